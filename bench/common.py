"""What every benchmark module shares: the platform's addresses (deploy/ports.env, through
tests/harness.py), tokens that renew themselves during a long run, percentiles and the estate's
calendar day."""

from __future__ import annotations

import base64
import json
import math
import threading
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

import httpx

from tests.harness import PORTS, STATE_DIR, grpc_target, http_url, service_token, user_token

__all__ = [
    "PORTS",
    "TIME_ZONE",
    "TokenSource",
    "estate_today",
    "grpc_target",
    "http_url",
    "percentile",
    "platform_problems",
    "service_pids",
    "wait_for_platform",
]

SERVICES = ("tenant", "ledger", "ticketing", "microfund")

TIME_ZONE = ZoneInfo("Asia/Shanghai")  # the bench estates' time zone (the platform's default)


def estate_today() -> date:
    return datetime.now(TIME_ZONE).date()


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile of ``values`` (``share`` in 0..1); NaN when there are none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def _expires_at(token: str) -> float:
    """The token's ``exp`` claim as a time.monotonic() deadline (the signature is the server's business)."""
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return time.monotonic() + (float(claims["exp"]) - time.time())


class TokenSource:
    """An access token fetched again a minute before it expires (a full run outlasts one token)."""

    def __init__(self, fetch: Callable[[], str]) -> None:
        self._fetch = fetch
        self._lock = threading.Lock()
        self._token = ""
        self._expires_at = 0.0

    @classmethod
    def user(cls, username: str, password: str | None = None) -> TokenSource:
        return cls(lambda: user_token(username, password) if password else user_token(username))

    @classmethod
    def service(cls, client_id: str) -> TokenSource:
        return cls(lambda: service_token(client_id))

    def token(self) -> str:
        if time.monotonic() < self._expires_at - 60:
            return self._token
        with self._lock:
            if time.monotonic() >= self._expires_at - 60:
                self._token = self._fetch()
                self._expires_at = _expires_at(self._token)
            return self._token

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}"}


def platform_problems() -> list[str]:
    """What is not up (empty when the four services, Keycloak and PostgreSQL answer)."""
    problems = []
    for service in SERVICES:
        try:
            response = httpx.get(f"{http_url(service)}/health/ready", timeout=5)
            if response.status_code != 200:
                problems.append(f"{service} is not ready ({response.status_code}: {response.text[:200]})")
        except httpx.HTTPError as error:
            problems.append(f"{service} does not answer on {http_url(service)} ({error.__class__.__name__})")
    try:
        httpx.get(f"http://127.0.0.1:{PORTS['KEYCLOAK_PORT']}/realms/xinyi", timeout=5).raise_for_status()
    except httpx.HTTPError as error:
        problems.append(f"Keycloak's realm xinyi does not answer ({error.__class__.__name__})")
    return problems


def wait_for_platform(timeout: float) -> list[str]:
    """Wait up to ``timeout`` seconds for the platform to be up (others restart services while
    they work); what is still not up."""
    deadline = time.monotonic() + timeout
    while (problems := platform_problems()) and time.monotonic() < deadline:
        time.sleep(2)
    return problems


def service_pids() -> dict[str, str]:
    """The services' process ids as deploy/services.sh recorded them: a change means a restart."""
    pids = {}
    for service in SERVICES:
        path = STATE_DIR / "services" / f"{service}.pid"
        pids[service] = path.read_text().strip() if path.exists() else ""
    return pids
