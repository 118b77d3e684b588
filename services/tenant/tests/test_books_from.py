"""An estate that joins the platform with its earlier months' books (``books_from``): its first rules
apply from the first day of that month, so the ledger opens the books from it (EstateOnboarded's
rules.effective_from). Never a coming month, at most 24 months back, written YYYY-MM: anything else
is 422 with the reason, and nothing is created — no row, no organisation, no account, no event.

In process, no database or Keycloak: the onboarding route on the shared app factory, the platform
admin through ``dependency_overrides``, the repositories, the directory and the outbox as fakes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tenant_service.adapters.hierarchy import CommunityPlace
from tenant_service.domain.estate import (
    Estate,
    EstateProfile,
    RuleChange,
    check_books_from,
    parse_books_from,
)
from tenant_service.entrypoints import http_api
from tenant_service.service_layer import estates as cases
from xinyi.tenant.v1 import events_pb2
from xinyi_shared.auth import Principal, Role, TokenVerifier
from xinyi_shared.errors import InvalidInput
from xinyi_shared.http import create_app, current_principal

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()
ADMIN = Principal("admin-subject", "platform-admin", frozenset({Role.PLATFORM_ADMIN}), frozenset())


def month(back: int) -> str:
    """The month ``back`` months before this one (negative: a coming month), YYYY-MM."""
    index = TODAY.year * 12 + TODAY.month - 1 - back
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


class Registry:
    """What the fake repositories hold, and what the use case announced and asked of Keycloak."""

    def __init__(self) -> None:
        self.estates: dict[str, Estate] = {}
        self.first_accounts: dict[str, dict[str, Any]] = {}
        self.rule_changes: list[tuple[str, RuleChange]] = []
        self.events: list[Any] = []
        self.directory_calls: list[str] = []


class FakeEstates:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def get(self, code: str, *, for_update: bool = False) -> Estate | None:
        return self.registry.estates.get(code)

    def first_accounts(self, code: str) -> dict[str, Any] | None:
        return self.registry.first_accounts.get(code)

    def add(self, estate: Estate, created_by: str, first_accounts: dict[str, Any]) -> None:
        self.registry.estates[estate.code] = estate
        self.registry.first_accounts[estate.code] = first_accounts

    def save_status(self, estate: Estate, suspended_reason: str | None = None) -> None:
        self.registry.estates[estate.code] = estate

    def add_rule_change(self, code: str, change: RuleChange, previous: object) -> None:
        self.registry.rule_changes.append((code, change))


class FakeHierarchy:
    def community_place(self, community_code: str) -> CommunityPlace:
        return CommunityPlace(sub_district_code="dongsheng", district_code="shuangliu")


class FakeDirectory:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def ensure_organization(self, estate_code: str, name: str) -> str:
        self.registry.directory_calls.append(f"organisation {estate_code}")
        return f"org-{estate_code}"


class FakeDatabase:
    @contextmanager
    def estate_session(self, code: str) -> Iterator[object]:
        yield object()


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> Registry:
    registry = Registry()
    monkeypatch.setattr(cases, "EstateRepository", lambda session: FakeEstates(registry))
    monkeypatch.setattr(cases, "HierarchyRepository", lambda session: FakeHierarchy())
    monkeypatch.setattr(cases.events, "announce", lambda session, code, event: registry.events.append(event))
    return registry


@pytest.fixture
def client(registry: Registry) -> Iterator[TestClient]:
    app: FastAPI = create_app(
        service="tenant",
        title="test",
        description="test",
        verifier=TokenVerifier("http://issuer.test", "xinyi-api", jwks_url="http://unused.test/certs"),
        readiness_checks={},
    )
    app.include_router(http_api.build_router(FakeDatabase(), FakeDirectory(registry)))  # type: ignore[arg-type]
    app.dependency_overrides[current_principal] = lambda: ADMIN
    yield TestClient(app, raise_server_exceptions=False)


def onboard(client: TestClient, **overrides: object) -> Any:
    body: dict[str, object] = {
        "code": "jinhe-lvzhou",
        "name": "金河绿洲",
        "district_code": "shuangliu",
        "sub_district_code": "dongsheng",
        "community_code": "jinhe",
    }
    return client.post("/v1/estates", json={**body, **overrides})


def first_rules_from(registry: Registry) -> date:
    ((_, change),) = registry.rule_changes
    return change.effective_from


def test_books_from_an_earlier_month_start_the_first_rules_and_the_event_there(
    client: TestClient, registry: Registry
) -> None:
    answer = onboard(client, books_from=month(3))

    assert answer.status_code == 201, answer.text
    assert answer.json()["books_from"] == month(3)
    assert first_rules_from(registry) == parse_books_from(month(3))
    (event,) = registry.events
    assert isinstance(event, events_pb2.EstateOnboarded)
    assert event.rules.effective_from == f"{month(3)}-01", "the ledger opens the books from this month"
    assert event.estate.code == "jinhe-lvzhou" and event.estate.fee_rate_fen_per_sqm_month == "35"


def test_without_books_from_the_books_begin_in_the_onboarding_month(client: TestClient, registry: Registry) -> None:
    answer = onboard(client)

    assert answer.status_code == 201, answer.text
    assert answer.json()["books_from"] is None
    assert first_rules_from(registry) == TODAY.replace(day=1)
    assert registry.events[0].rules.effective_from == TODAY.replace(day=1).isoformat()


@pytest.mark.parametrize("back", [0, 1, 24])
def test_this_month_and_up_to_24_months_back_are_accepted(client: TestClient, registry: Registry, back: int) -> None:
    assert onboard(client, books_from=month(back)).status_code == 201
    assert first_rules_from(registry) == parse_books_from(month(back))


@pytest.mark.parametrize(
    ("books_from", "reason"),
    [
        (month(-1), "is in the future"),
        (month(-13), "is in the future"),
        (month(25), "25 months back: at most 24 months"),
        ("1999-01", "at most 24 months"),
        ("2025-13", "not a month written YYYY-MM"),
        ("2025-00", "not a month written YYYY-MM"),
        ("2025-1", "not a month written YYYY-MM"),
        ("2025-11-01", "not a month written YYYY-MM"),
        ("11/2025", "not a month written YYYY-MM"),
        ("", "not a month written YYYY-MM"),
        (" 2025-11", "not a month written YYYY-MM"),
        ("0000-01", "not a month of the calendar"),  # found by the fuzzer: was a 500
    ],
)
def test_a_coming_too_old_or_malformed_month_is_refused_and_nothing_is_created(
    client: TestClient, registry: Registry, books_from: str, reason: str
) -> None:
    answer = onboard(client, books_from=books_from)

    assert answer.status_code == 422, answer.text
    assert answer.json()["error"] == "invalid_input"
    assert "books_from" in answer.json()["reason"] and reason in answer.json()["reason"]
    assert registry.estates == {} and registry.rule_changes == [] and registry.events == []
    assert registry.directory_calls == [], "no organisation in Keycloak"


@pytest.mark.parametrize("books_from", [202511, ["2025-11"], {"month": "2025-11"}, "2" * 21])
def test_books_from_of_another_type_is_refused(client: TestClient, registry: Registry, books_from: object) -> None:
    answer = onboard(client, books_from=books_from)

    assert answer.status_code == 422, answer.text
    assert registry.estates == {} and registry.directory_calls == []


def test_a_retry_must_state_the_same_books_from(client: TestClient, registry: Registry) -> None:
    assert onboard(client, books_from=month(6)).status_code == 201
    again = onboard(client, books_from=month(6))
    assert again.status_code == 200 and again.json()["books_from"] == month(6)
    for other in ({"books_from": month(5)}, {}):
        refused = onboard(client, **other)
        assert refused.status_code == 409, refused.text
    assert len(registry.rule_changes) == 1 and len(registry.events) == 1


def test_the_range_is_counted_in_whole_months() -> None:
    today = date(2026, 11, 30)
    check_books_from(date(2024, 11, 1), today)
    check_books_from(date(2026, 11, 1), today)
    with pytest.raises(InvalidInput, match="at most 24 months"):
        check_books_from(date(2024, 10, 1), today)
    with pytest.raises(InvalidInput, match="in the future"):
        check_books_from(date(2026, 12, 1), today)
    with pytest.raises(InvalidInput, match="first day of a month"):
        EstateProfile("jinhe-lvzhou", "金河绿洲", "shuangliu", "jinhe", books_from=date(2026, 11, 2))


def test_the_openapi_document_describes_books_from() -> None:
    app = create_app(
        service="tenant",
        title="test",
        description="test",
        verifier=TokenVerifier("http://issuer.test", "xinyi-api", jwks_url="http://unused.test/certs"),
        readiness_checks={},
    )
    app.include_router(http_api.build_router(FakeDatabase(), None))  # type: ignore[arg-type]
    schemas = app.openapi()["components"]["schemas"]
    request = schemas["EstateCreate"]["properties"]["books_from"]
    assert request["pattern"] == r"^[0-9]{4}-(0[1-9]|1[0-2])$" and "24 months" in request["description"]
    for answer in ("EstatePublic", "EstateOnboardedPublic"):
        assert "books_from" in schemas[answer]["required"], answer
        assert "onboarding month" in schemas[answer]["properties"]["books_from"]["description"]


class RecordedFacts:
    def __init__(self) -> None:
        self.onboarded: list[tuple[str, datetime]] = []

    def estate_onboarded(self, identity: Any, at: datetime) -> None:
        self.onboarded.append((identity.code, at))


@pytest.mark.parametrize(
    ("effective_from", "expected"),
    [
        ("2026-08-01", datetime(2026, 8, 1, tzinfo=ZoneInfo("Asia/Shanghai"))),  # earlier books: from their month
        ("2026-11-01", datetime(2026, 11, 1, tzinfo=ZoneInfo("Asia/Shanghai"))),  # the onboarding month's start
        ("", datetime(2026, 11, 30, 5, 35, tzinfo=UTC)),  # an event from before the field: its own time
    ],
)
def test_the_committees_figures_count_the_estate_from_the_month_its_books_begin(
    effective_from: str, expected: datetime
) -> None:
    """The read side keeps an estate out of the months before it joined: with earlier books it is in
    the figures of those months too (the ledger's BooksMoved of those months then count)."""
    from tenant_service.entrypoints import governance_consumer
    from xinyi.tenant.v1 import tenant_pb2
    from xinyi_shared.events import CloudEvent

    message = events_pb2.EstateOnboarded(
        estate=tenant_pb2.Estate(code="jinhe-lvzhou", name="金河绿洲", time_zone="Asia/Shanghai")
    )
    if effective_from:
        message.rules.effective_from = effective_from
    event = CloudEvent(
        id="e-1",
        source="xinyi/tenant",
        type=message.DESCRIPTOR.full_name,
        subject="jinhe-lvzhou",
        time="2026-11-30T05:35:00+00:00",
        data=message.SerializeToString(),
    )
    facts = RecordedFacts()

    governance_consumer._onboarded(facts, event, message)  # type: ignore[arg-type]

    assert facts.onboarded == [("jinhe-lvzhou", expected)]
