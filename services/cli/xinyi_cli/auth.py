"""Tokens from Keycloak: the OAuth2 password and refresh grants, and the token file they are kept in."""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from xinyi_cli.client import ApiError, send

REALM = "xinyi"
CLIENT_ID = "xinyi-web"
SCOPE = "organization:*"
TOKEN_ENV = "XINYI_TOKEN"
EXPIRY_LEEWAY_SECONDS = 30  # refresh a little early so a token does not expire on its way to the service
NOT_LOGGED_IN = "not logged in: run `xinyi login`"


class NotLoggedIn(Exception):
    """No usable token: nothing stored, or the stored session can no longer be refreshed."""

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail
        super().__init__(f"{NOT_LOGGED_IN} ({detail})" if detail else NOT_LOGGED_IN)


def token_path(environ: Mapping[str, str] | None = None) -> Path:
    """`${XDG_CONFIG_HOME:-~/.config}/xinyi/token.json`."""
    env = os.environ if environ is None else environ
    config_home = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config_home) / "xinyi" / "token.json"


def token_url(keycloak_url: str) -> str:
    return f"{keycloak_url.rstrip('/')}/realms/{REALM}/protocol/openid-connect/token"


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str | None
    expires_at: float  # epoch seconds
    refresh_expires_at: float | None = None  # None: Keycloak did not say (or the refresh token never expires)
    username: str | None = None

    def access_expired(self, now: float) -> bool:
        return now >= self.expires_at - EXPIRY_LEEWAY_SECONDS

    def refresh_expired(self, now: float) -> bool:
        return self.refresh_expires_at is not None and now >= self.refresh_expires_at - EXPIRY_LEEWAY_SECONDS

    @classmethod
    def from_grant(cls, body: Mapping[str, Any], now: float, username: str | None) -> TokenSet:
        """A token endpoint's answer: `access_token`, `expires_in`, `refresh_token`, `refresh_expires_in`."""
        access = body.get("access_token")
        if not isinstance(access, str) or not access:
            raise ApiError("Keycloak answered without an access token")
        expires_in = body.get("expires_in")
        # without expires_in, the JWT's own exp; failing both, the token counts as expired and is refreshed on use
        expires_at = now + float(expires_in) if isinstance(expires_in, int | float) else (_jwt_expiry(access) or now)
        refresh = body.get("refresh_token")
        refresh_in = body.get("refresh_expires_in")
        refresh_expires_at = now + float(refresh_in) if isinstance(refresh_in, int | float) and refresh_in > 0 else None
        return cls(
            access_token=access,
            refresh_token=refresh if isinstance(refresh, str) and refresh else None,
            expires_at=expires_at,
            refresh_expires_at=refresh_expires_at,
            username=username,
        )


def _jwt_expiry(token: str) -> float | None:
    """The `exp` claim of a JWT, read without verifying it (only to know when to refresh)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    return float(exp) if isinstance(exp, int | float) else None


def save_tokens(tokens: TokenSet, path: Path) -> None:
    """Write the token file atomically, readable by its owner only (0600, directory 0700)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=".token-", dir=path.parent)  # mkstemp creates it 0600
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump(asdict(tokens), file)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def load_tokens(path: Path) -> TokenSet | None:
    """The stored tokens, or None when there is no file; a damaged file counts as not logged in."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return TokenSet(
            access_token=str(raw["access_token"]),
            refresh_token=raw.get("refresh_token"),
            expires_at=float(raw["expires_at"]),
            refresh_expires_at=raw.get("refresh_expires_at"),
            username=raw.get("username"),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise NotLoggedIn(f"cannot read {path}: {error}") from error


def delete_tokens(path: Path) -> bool:
    """Remove the token file; False when there was none."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def _grant(http: httpx.Client, keycloak_url: str, form: dict[str, str]) -> dict[str, Any]:
    response = send(http, "POST", token_url(keycloak_url), data=form, service="Keycloak")
    if not isinstance(response.data, dict):
        raise ApiError("Keycloak answered with something other than a JSON object", request_id=response.request_id)
    return response.data


def password_grant(
    http: httpx.Client, keycloak_url: str, username: str, password: str, *, now: float | None = None
) -> TokenSet:
    form = {
        "grant_type": "password",
        "client_id": CLIENT_ID,
        "username": username,
        "password": password,
        "scope": SCOPE,
    }
    started = time.time() if now is None else now
    return TokenSet.from_grant(_grant(http, keycloak_url, form), started, username)


def refresh_grant(
    http: httpx.Client, keycloak_url: str, refresh_token: str, *, username: str | None, now: float | None = None
) -> TokenSet:
    form = {"grant_type": "refresh_token", "client_id": CLIENT_ID, "refresh_token": refresh_token}
    started = time.time() if now is None else now
    return TokenSet.from_grant(_grant(http, keycloak_url, form), started, username)


class TokenProvider:
    """Hands out a valid access token: `XINYI_TOKEN` if set, else the stored one, refreshed when expired."""

    def __init__(
        self,
        http: httpx.Client,
        keycloak_url: str,
        path: Path,
        *,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._http = http
        self._keycloak_url = keycloak_url
        self._path = path
        self._environ = os.environ if environ is None else environ
        self._clock = clock
        self._cached: TokenSet | None = None

    def __call__(self) -> str:
        override = self._environ.get(TOKEN_ENV)
        if override:
            return override
        now = self._clock()
        tokens = self._cached or load_tokens(self._path)
        if tokens is None:
            raise NotLoggedIn()
        if tokens.access_expired(now):
            tokens = self._refresh(tokens, now)
        self._cached = tokens
        return tokens.access_token

    def _refresh(self, tokens: TokenSet, now: float) -> TokenSet:
        if tokens.refresh_token is None or tokens.refresh_expired(now):
            raise NotLoggedIn("the session has expired")
        try:
            fresh = refresh_grant(
                self._http, self._keycloak_url, tokens.refresh_token, username=tokens.username, now=now
            )
        except ApiError as error:
            if error.status is not None and 400 <= error.status < 500:  # invalid_grant: session ended or revoked
                raise NotLoggedIn(f"the session could not be refreshed: {error.reason}") from error
            raise
        if fresh.refresh_token is None:  # Keycloak may omit it; the old one stays valid then
            fresh = TokenSet(
                fresh.access_token, tokens.refresh_token, fresh.expires_at, tokens.refresh_expires_at, tokens.username
            )
        save_tokens(fresh, self._path)
        return fresh
