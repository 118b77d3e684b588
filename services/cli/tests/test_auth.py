"""Login, logout, the token file and its refresh, against a fake Keycloak behind httpx.MockTransport."""

import base64
import json
import stat
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
from typer.testing import CliRunner, Result

from xinyi_cli import auth, client
from xinyi_cli.main import app

KEYCLOAK = "http://127.0.0.1:18080"
TOKEN_URL = f"{KEYCLOAK}/realms/xinyi/protocol/openid-connect/token"
TENANT = "http://127.0.0.1:8101"
PLAIN_OUTPUT = {"COLUMNS": "200", "FORCE_COLOR": None, "TTY_COMPATIBLE": None, "TTY_INTERACTIVE": None}

Handler = Callable[[httpx.Request], httpx.Response]


class FakePlatform:
    """Keycloak's token endpoint and the tenant service's estate list; records every request."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.issued = 0
        self.token_answer: Handler = self._grant
        self.estates: list[dict[str, object]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        if str(request.url) == TOKEN_URL and request.method == "POST":
            return self.token_answer(request)
        if request.url.path == "/v1/estates" and request.method == "GET":
            return httpx.Response(200, json=self.estates)
        return httpx.Response(404, json={"error": "not_found", "reason": f"no route {request.url.path}"})

    def _grant(self, request: httpx.Request) -> httpx.Response:
        self.issued += 1
        return httpx.Response(
            200,
            json={
                "access_token": f"access-{self.issued}",
                "expires_in": 300,
                "refresh_token": f"refresh-{self.issued}",
                "refresh_expires_in": 1800,
                "token_type": "Bearer",
            },
        )

    def token_requests(self) -> list[dict[str, list[str]]]:
        return [parse_qs(r.content.decode()) for r in self.requests if str(r.url) == TOKEN_URL]

    def api_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if str(r.url) != TOKEN_URL]


@pytest.fixture
def platform(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakePlatform:
    fake = FakePlatform()
    monkeypatch.setattr(client, "make_http_client", lambda: httpx.Client(transport=httpx.MockTransport(fake.handle)))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for name in ("XINYI_TOKEN", "XINYI_KEYCLOAK_URL", "XINYI_TENANT_URL"):
        monkeypatch.delenv(name, raising=False)
    return fake


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    return tmp_path / "config" / "xinyi" / "token.json"


def invoke(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=input, env=PLAIN_OUTPUT)


def store(path: Path, *, access: str, refresh: str | None, expires_at: float, refresh_expires_at: float | None) -> None:
    auth.save_tokens(
        auth.TokenSet(access, refresh, expires_at, refresh_expires_at, username="platform-admin"),
        path,
    )


# ---------------------------------------------------------------- login / logout


def test_login_does_the_password_grant_and_stores_the_tokens_owner_only(
    platform: FakePlatform, token_file: Path
) -> None:
    before = time.time()
    result = invoke("login", "--username", "platform-admin", "--password-stdin", input="s3cret pass\n")

    assert result.exit_code == 0, result.output
    assert "logged in as platform-admin" in result.stdout
    [form] = platform.token_requests()
    assert form == {
        "grant_type": ["password"],
        "client_id": ["xinyi-web"],
        "username": ["platform-admin"],
        "password": ["s3cret pass"],
        "scope": ["organization:*"],
    }
    assert platform.requests[0].headers["content-type"] == "application/x-www-form-urlencoded"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(token_file.parent.stat().st_mode) == 0o700
    stored = json.loads(token_file.read_text())
    assert stored["access_token"] == "access-1"
    assert stored["refresh_token"] == "refresh-1"
    assert before + 300 <= stored["expires_at"] <= time.time() + 300
    assert before + 1800 <= stored["refresh_expires_at"] <= time.time() + 1800


def test_login_asks_the_password_with_a_hidden_prompt(platform: FakePlatform, token_file: Path) -> None:
    result = invoke("login", "-u", "firm-manager", input="hidden-pw\n")

    assert result.exit_code == 0, result.output
    assert platform.token_requests()[0]["password"] == ["hidden-pw"]
    assert "Password" in result.output
    assert "hidden-pw" not in result.output  # not echoed
    assert token_file.exists()


def test_login_uses_the_keycloak_url_from_the_environment(
    platform: FakePlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = "http://keycloak.test:9999"
    monkeypatch.setenv("XINYI_KEYCLOAK_URL", other)

    invoke("login", "-u", "platform-admin", "--password-stdin", input="pw")

    assert str(platform.requests[0].url) == f"{other}/realms/xinyi/protocol/openid-connect/token"


def test_login_with_wrong_password_says_so_and_stores_nothing(platform: FakePlatform, token_file: Path) -> None:
    platform.token_answer = lambda _: httpx.Response(
        401, json={"error": "invalid_grant", "error_description": "Invalid user credentials"}
    )

    result = invoke("login", "-u", "platform-admin", "--password-stdin", input="wrong")

    assert result.exit_code == 1
    assert "error: login failed: Invalid user credentials" in result.stderr
    assert "Traceback" not in result.output
    assert not token_file.exists()


def test_login_with_an_empty_password_is_a_usage_error(platform: FakePlatform) -> None:
    result = invoke("login", "-u", "platform-admin", "--password-stdin", input="\n")

    assert result.exit_code == 2
    assert platform.requests == []


def test_logout_deletes_the_token_file(platform: FakePlatform, token_file: Path) -> None:
    store(token_file, access="a", refresh="r", expires_at=time.time() + 300, refresh_expires_at=None)

    result = invoke("logout")

    assert result.exit_code == 0
    assert not token_file.exists()
    assert "logged out" in result.stdout
    again = invoke("logout")
    assert again.exit_code == 0
    assert "not logged in" in again.stdout


# ---------------------------------------------------------------- using the token


def test_commands_send_the_stored_access_token(platform: FakePlatform, token_file: Path) -> None:
    store(token_file, access="stored-access", refresh="r", expires_at=time.time() + 300, refresh_expires_at=None)

    result = invoke("estates", "list")

    assert result.exit_code == 0, result.output
    assert platform.token_requests() == []
    [request] = platform.api_requests()
    assert request.headers["authorization"] == "Bearer stored-access"


def test_an_expired_access_token_is_refreshed_and_the_new_tokens_stored(
    platform: FakePlatform, token_file: Path
) -> None:
    store(
        token_file,
        access="old-access",
        refresh="old-refresh",
        expires_at=time.time() - 10,
        refresh_expires_at=time.time() + 600,
    )
    token_file.chmod(0o644)  # a rewrite must tighten it again

    result = invoke("estates", "list")

    assert result.exit_code == 0, result.output
    assert platform.token_requests() == [
        {"grant_type": ["refresh_token"], "client_id": ["xinyi-web"], "refresh_token": ["old-refresh"]}
    ]
    [request] = platform.api_requests()
    assert request.headers["authorization"] == "Bearer access-1"
    stored = json.loads(token_file.read_text())
    assert (stored["access_token"], stored["refresh_token"]) == ("access-1", "refresh-1")
    assert stored["expires_at"] > time.time() + 250
    assert stored["username"] == "platform-admin"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600


def test_a_token_about_to_expire_is_refreshed_too(platform: FakePlatform, token_file: Path) -> None:
    store(token_file, access="old", refresh="r", expires_at=time.time() + 5, refresh_expires_at=None)

    invoke("estates", "list")

    assert platform.api_requests()[0].headers["authorization"] == "Bearer access-1"


def test_a_refused_refresh_means_not_logged_in(platform: FakePlatform, token_file: Path) -> None:
    store(token_file, access="old", refresh="revoked", expires_at=time.time() - 10, refresh_expires_at=None)
    platform.token_answer = lambda _: httpx.Response(
        400, json={"error": "invalid_grant", "error_description": "Session not active"}
    )

    result = invoke("estates", "list")

    assert result.exit_code == 1
    assert "error: not logged in: run `xinyi login`" in result.stderr
    assert "Session not active" in result.stderr
    assert platform.api_requests() == []


def test_an_expired_refresh_token_is_not_even_tried(platform: FakePlatform, token_file: Path) -> None:
    store(token_file, access="old", refresh="r", expires_at=time.time() - 100, refresh_expires_at=time.time() - 50)

    result = invoke("estates", "list")

    assert result.exit_code == 1
    assert "not logged in: run `xinyi login`" in result.stderr
    assert platform.requests == []


def test_without_a_token_commands_say_not_logged_in(platform: FakePlatform) -> None:
    result = invoke("estates", "list")

    assert result.exit_code == 1
    assert result.stderr.strip() == "error: not logged in: run `xinyi login`"
    assert result.stdout == ""
    assert platform.requests == []


def test_a_damaged_token_file_means_not_logged_in(platform: FakePlatform, token_file: Path) -> None:
    token_file.parent.mkdir(parents=True)
    token_file.write_text("{not json")

    result = invoke("estates", "list")

    assert result.exit_code == 1
    assert "not logged in: run `xinyi login`" in result.stderr
    assert "Traceback" not in result.output


def test_xinyi_token_overrides_the_stored_token(
    platform: FakePlatform, token_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store(token_file, access="stored", refresh="r", expires_at=time.time() - 10, refresh_expires_at=None)
    monkeypatch.setenv("XINYI_TOKEN", "from-env")

    result = invoke("estates", "list")

    assert result.exit_code == 0, result.output
    assert platform.token_requests() == []  # no refresh of the stored one either
    assert platform.api_requests()[0].headers["authorization"] == "Bearer from-env"


def test_the_token_file_lives_under_xdg_config_home_or_dot_config() -> None:
    assert auth.token_path({"XDG_CONFIG_HOME": "/etc/xdg-test"}) == Path("/etc/xdg-test/xinyi/token.json")
    assert auth.token_path({}) == Path.home() / ".config" / "xinyi" / "token.json"


def test_without_expires_in_the_jwt_exp_claim_is_used() -> None:
    claims = base64.urlsafe_b64encode(json.dumps({"exp": 2_000_000_000}).encode()).decode().rstrip("=")
    tokens = auth.TokenSet.from_grant({"access_token": f"h.{claims}.s"}, now=1_000, username=None)

    assert tokens.expires_at == 2_000_000_000
    assert tokens.refresh_token is None
    assert auth.TokenSet.from_grant({"access_token": "opaque"}, now=1_000, username=None).access_expired(1_000)


def test_the_request_id_of_the_token_request_is_a_uuid4(platform: FakePlatform) -> None:
    invoke("login", "-u", "platform-admin", "--password-stdin", input="pw")

    request_id = platform.requests[0].headers["x-request-id"]
    assert uuid.UUID(hex=request_id).version == 4
    assert request_id == uuid.UUID(hex=request_id).hex
