"""The log-in-free invitation claim: rate-limited per client address and per estate (429 with
Retry-After), one answer for an unknown estate and a wrong code; and the upload limit the tenant
declares names a real route. In process, no database: the limiter's store and the repositories are fakes."""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tenant_service import bootstrap
from tenant_service.domain.estate import Estate, EstateProfile, EstateStatus
from tenant_service.entrypoints import http_households
from tenant_service.service_layer import households as cases
from tenant_service.settings import TenantSettings
from xinyi_shared.auth import TokenVerifier
from xinyi_shared.errors import NotFound
from xinyi_shared.http import create_app
from xinyi_shared.rate_limits import Quota, RateLimited, RateLimiter


class MemoryLimiter(RateLimiter):
    """The limiter's counting without its table: one window that never ends."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()

    def hit(self, quota: Quota, key: str) -> int:
        self.counts[(quota.scope, key)] += 1
        count = self.counts[(quota.scope, key)]
        if count > quota.limit:
            raise RateLimited(quota.reason, 17)
        return count

    def check(self, quota: Quota, key: str) -> None:
        if self.counts[(quota.scope, key)] >= quota.limit:
            raise RateLimited(quota.reason, 17)


def claim_body(estate: str = "jinhe-lvzhou", code: str = "wrong-code-123") -> dict[str, str]:
    return {
        "estate_code": estate,
        "claim_code": code,
        "username": "resident-1",
        "password": "a-long-password-1",
        "email": "resident-1@xinyi.test",
        "first_name": "民",
        "last_name": "居",
    }


def build_app(
    limiter: RateLimiter, per_address: int = 20, per_estate: int = 100, proxies: tuple[Any, ...] = ()
) -> FastAPI:
    app = create_app(
        service="tenant",
        title="test",
        description="test",
        verifier=TokenVerifier("http://issuer.test", "xinyi-api", jwks_url="http://unused.test/certs"),
        readiness_checks={},
    )
    limits = http_households.ClaimLimits(limiter, per_address, per_estate, proxies)
    app.include_router(http_households.build_router(None, None, limits))  # type: ignore[arg-type]
    return app


@pytest.fixture
def refused_claims(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every claim is a wrong code; returns the estates claimed."""
    claimed: list[str] = []

    def claim_invitation(database: object, directory: object, code: str, claim_code: str, claim: object) -> str:
        claimed.append(code)
        raise NotFound(cases.CLAIM_REFUSED)

    monkeypatch.setattr(cases, "claim_invitation", claim_invitation)
    return claimed


def test_the_21st_wrong_claim_from_one_address_in_a_window_is_a_429(refused_claims: list[str]) -> None:
    limiter = MemoryLimiter()
    client = TestClient(build_app(limiter), client=("203.0.113.7", 50000))

    answers = [client.post("/v1/invitations/claim", json=claim_body()) for _ in range(21)]

    assert [a.status_code for a in answers] == [404] * 20 + [429]
    assert answers[-1].headers["retry-after"] == "17"
    assert answers[-1].json()["error"] == "rate_limited"
    assert len(refused_claims) == 20
    # Another address still may.
    other = TestClient(build_app(limiter), client=("203.0.113.8", 50000))
    assert other.post("/v1/invitations/claim", json=claim_body()).status_code == 404


def test_only_refused_claims_count(monkeypatch: pytest.MonkeyPatch) -> None:
    accepted: list[str] = []

    def claim_invitation(database: object, directory: object, code: str, claim_code: str, claim: object) -> str:
        accepted.append(code)
        return "user-id"

    monkeypatch.setattr(cases, "claim_invitation", claim_invitation)
    limiter = MemoryLimiter()
    client = TestClient(build_app(limiter, per_address=3), client=("203.0.113.7", 50000))

    statuses = [client.post("/v1/invitations/claim", json=claim_body()).status_code for _ in range(5)]

    assert statuses == [201] * 5, "people claiming their households are never throttled"
    assert len(accepted) == 5
    assert limiter.counts[("claim:address", "203.0.113.7")] == 0


def test_an_estate_has_a_budget_whatever_the_addresses(refused_claims: list[str]) -> None:
    limiter = MemoryLimiter()
    answers = [
        TestClient(build_app(limiter, per_estate=5), client=(f"198.51.100.{i}", 50000)).post(
            "/v1/invitations/claim", json=claim_body("target-estate")
        )
        for i in range(6)
    ]

    assert [a.status_code for a in answers] == [404] * 5 + [429]
    assert limiter.counts[("claim:estate", "target-estate")] == 5, "the refused sixth is not tried, nor counted"
    other_estate = TestClient(build_app(limiter, per_estate=5), client=("198.51.100.99", 50000))
    assert other_estate.post("/v1/invitations/claim", json=claim_body("other-estate")).status_code == 404


def test_forwarded_for_counts_only_behind_a_trusted_proxy(refused_claims: list[str]) -> None:
    limiter = MemoryLimiter()
    proxy = (ipaddress.ip_network("10.0.0.0/8"),)
    spoofed = {"x-forwarded-for": "192.0.2.1"}

    TestClient(build_app(limiter), client=("203.0.113.7", 50000)).post(
        "/v1/invitations/claim", json=claim_body(), headers=spoofed
    )
    TestClient(build_app(limiter, proxies=proxy), client=("10.1.2.3", 50000)).post(
        "/v1/invitations/claim", json=claim_body(), headers=spoofed
    )

    assert limiter.counts[("claim:address", "203.0.113.7")] == 1
    assert limiter.counts[("claim:address", "192.0.2.1")] == 1
    assert ("claim:address", "10.1.2.3") not in limiter.counts


# One answer for an unknown estate and a wrong code --------------------------------------------


def estate(status: EstateStatus) -> Estate:
    profile = EstateProfile(code="jinhe-lvzhou", name="金河绿洲", district_code="shuangliu", community_code="jinhe")
    return Estate(profile, status, directory_id="org-1")


class FakeEstates:
    known: Estate | None = None

    def __init__(self, session: object) -> None: ...

    def get(self, code: str, for_update: bool = False) -> Estate | None:
        return self.known


class FakeHouseholds:
    def __init__(self, session: object) -> None: ...

    def invitation_by_code_hash(self, code_hash: str) -> None:
        return None  # a wrong code (and an unknown estate has no invitations)


class FakeDatabase:
    @contextmanager
    def estate_session(self, code: str) -> Iterator[object]:
        yield object()


class NoDirectory:
    def __getattr__(self, name: str) -> object:
        raise AssertionError("no account is made for a refused claim")


@pytest.mark.parametrize(
    "known",
    [None, estate(EstateStatus.ACTIVE), estate(EstateStatus.SUSPENDED), estate(EstateStatus.PROVISIONING)],
    ids=["unknown estate", "active estate", "suspended estate", "provisioning estate"],
)
def test_an_unknown_estate_and_a_wrong_code_get_one_answer(
    monkeypatch: pytest.MonkeyPatch, known: Estate | None
) -> None:
    monkeypatch.setattr(cases, "EstateRepository", FakeEstates)
    monkeypatch.setattr(cases, "HouseholdRepository", FakeHouseholds)
    monkeypatch.setattr(FakeEstates, "known", known)
    claim = cases.Claim("resident-1", "resident-1@xinyi.test", "民", "居", "a-long-password-1")

    with pytest.raises(NotFound) as refused:
        cases.claim_invitation(FakeDatabase(), NoDirectory(), "jinhe-lvzhou", "wrong-code-123", claim)  # type: ignore[arg-type]

    assert refused.value.reason == cases.CLAIM_REFUSED
    assert refused.value.details == {}


def test_the_declared_upload_limits_name_real_routes() -> None:
    app = bootstrap.build_app(TenantSettings())
    paths = app.openapi()["paths"]

    assert bootstrap.BODY_LIMITS, "the household import takes files over 1 MiB"
    for path, limit in bootstrap.BODY_LIMITS.items():
        assert path in paths
        assert limit > http_households.MAX_IMPORT_BYTES
