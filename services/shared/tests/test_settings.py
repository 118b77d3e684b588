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
