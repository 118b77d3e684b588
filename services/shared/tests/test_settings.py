import pytest
from pydantic import ValidationError

from xinyi_shared.settings import ServiceSettings


def test_development_defaults_are_filled_in() -> None:
    settings = ServiceSettings(service_name="ledger", http_port=1, grpc_port=2)
    assert settings.db_name == "ledger"
    assert settings.client_id == "ledger-service"
    assert settings.database_url("app").startswith("postgresql+psycopg://ledger_app:")
    assert settings.issuer.endswith("/realms/xinyi")


def test_production_refuses_development_secrets() -> None:
    with pytest.raises(ValidationError, match="XINYI_DB_PASSWORD"):
        ServiceSettings(service_name="ledger", http_port=1, grpc_port=2, environment="production")
    with pytest.raises(ValidationError, match="XINYI_CLIENT_SECRET"):
        ServiceSettings(
            service_name="ledger", http_port=1, grpc_port=2, environment="production", db_password="s3cret-real"
        )
    settings = ServiceSettings(
        service_name="ledger",
        http_port=1,
        grpc_port=2,
        environment="production",
        db_password="s3cret-real",
        client_secret="another-real-secret",
    )
    assert settings.client_secret.get_secret_value() == "another-real-secret"


def test_one_worker_process_unless_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ServiceSettings(service_name="ledger", http_port=1, grpc_port=2).http_workers == 1
    monkeypatch.setenv("XINYI_HTTP_WORKERS", "2")
    assert ServiceSettings(service_name="ledger", http_port=1, grpc_port=2).http_workers == 2
    monkeypatch.setenv("XINYI_HTTP_WORKERS", "0")
    with pytest.raises(ValidationError, match="http_workers"):
        ServiceSettings(service_name="ledger", http_port=1, grpc_port=2)


def test_the_outbox_poll_must_be_positive() -> None:
    with pytest.raises(ValidationError, match="outbox_poll_seconds"):
        ServiceSettings(service_name="ledger", http_port=1, grpc_port=2, outbox_poll_seconds=0)
