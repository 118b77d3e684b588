"""The ledger's HTTP routes against the role table of docs/access.md, in-process.

Every row of the ledger's table, for every role: a FastAPI ``TestClient`` on the ledger's routers
(with the shared app factory's error handlers), the caller replaced through ``dependency_overrides``
by a fake :class:`Principal` of that role, the estate's unit of work by one on in-memory books
(``fakes.FakeBooks``), the tenant service by fakes. No PostgreSQL, Kafka or Keycloak.

What a cell means here: ``yes`` answers 2xx; ``no`` 403; ``hidden`` 404; ``own`` 200 for the
caller's own household and 404 for another; ``blinded`` 200 with the other households' lines
without their household; ``public`` answers without a token."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any, cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from ledger_service.adapters.billing_jobs import BillingJob
from ledger_service.domain.books import TrustBooks
from ledger_service.entrypoints import http_api, http_billing
from ledger_service.entrypoints.deps import estate_unit_of_work
from ledger_service.service_layer import billing
from ledger_service.service_layer.postings import record_payment
from ledger_service.service_layer.unit_of_work import LedgerUnitOfWork
from services.ledger.tests.fakes import FakeBooks, FakeRegistry, estate_rules
from tests.access_doc import ROLES, Row, table
from xinyi_shared.auth import Principal, TokenVerifier
from xinyi_shared.db import Database
from xinyi_shared.errors import NotFound
from xinyi_shared.http import EstateCode, create_app, current_principal

ESTATE = "jinhe-lvzhou"
FOREIGN = "binhe-huayuan"
DISTRICT = "shuangliu"
TODAY = date(2026, 5, 20)
PERIOD = "2026-05"
RULES = estate_rules("2026-03-01", rate="35", remuneration_share_bps=1500, donation_share_bps=3000)
OWN = "11111111-1111-4111-8111-111111111111"  # the household of every non-firm caller below
OTHER = "22222222-2222-4222-8222-222222222222"  # a household none of them belongs to
# Who sees every household (ledger_service.entrypoints.deps.OVERSIGHT); the others belong to OWN.
OVERSIGHT = {"firm_manager", "firm_staff", "supervisor"}
CROSS_ESTATE = {"platform_admin", "service"}  # not members of estates
ROWS = [row for row in table("ledger") if row.kind == "http"]


def principal(role: str, estate: str = ESTATE) -> Principal:
    return Principal(
        subject=f"{role}-subject",
        username=role.replace("_", "-"),
        roles=frozenset({role}),
        estates=frozenset() if role in CROSS_ESTATE else frozenset({estate}),
    )


class FakeMembership:
    """The tenant service's CheckMembership: every caller that is not the firm or the supervisor
    belongs to household OWN."""

    def households_of_user(self, estate_code: str, user_id: str) -> list[str]:
        return [OWN] if estate_code == ESTATE and user_id.removesuffix("-subject") not in OVERSIGHT else []


@dataclass
class Ledger:
    books: FakeBooks
    registry: FakeRegistry
    app: FastAPI
    client: TestClient
    transaction_id: str  # a posted entry, to reverse
    jobs: dict[str, BillingJob] = field(default_factory=dict)

    def act_as(self, who: Principal | None) -> None:
        if who is None:
            self.app.dependency_overrides.pop(current_principal, None)
        else:
            self.app.dependency_overrides[current_principal] = lambda: who

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Response:
        response: Response = self.client.request(
            method, path, json=body, headers={"Idempotency-Key": f"roles-{uuid.uuid4().hex}"}
        )
        return response


def job(estate_code: str | None, scope: str = "estate") -> BillingJob:
    now = datetime(2026, 5, 20, 8, tzinfo=UTC)
    return BillingJob(
        job_id=str(uuid.uuid4()),
        scope=scope,
        district_code=DISTRICT,
        estate_code=estate_code,
        period=PERIOD,
        status="queued",
        households_total=None,
        households_done=0,
        estates_total=1,
        estates_done=0,
        households_billed=0,
        already_billed=0,
        not_occupied=0,
        billed_fen=0,
        created_at=now,
        started_at=None,
        finished_at=None,
        requested_by="firm-manager",
        request_hash="-",
        attempts=0,
    )


@pytest.fixture
def ledger(monkeypatch: pytest.MonkeyPatch) -> Iterator[Ledger]:
    books = FakeBooks(TODAY)
    books.open_estate(ESTATE, first_period="2026-03", rules=RULES, households={OWN: 9000, OTHER: 12055})
    books.open_estate(FOREIGN, first_period="2026-03", rules=RULES, households={OWN: 9000})
    registry = FakeRegistry()
    for estate in (ESTATE, FOREIGN):
        registry.add_rules(estate, RULES)
        registry.add_household(estate, OWN, 9000)
        registry.add_household(estate, OTHER, 12055)
    # Entries with both households' lines: each billed for May and paying part of it.
    for household, fen in ((OWN, 1000), (OTHER, 2000)):
        books.bill(ESTATE, household, PERIOD)
        paid, _ = record_payment(
            books.uow(ESTATE), registry, f"pay-{household}", household, fen, "cash", "r", TODAY, "firm-staff"
        )
    jobs = {"estate": job(ESTATE), "district": job(None, scope="district")}

    def chart_of_accounts(database: Database, code: str) -> TrustBooks:
        with books.uow(code) as uow:
            found = uow.books.get(code)
        if found is None:
            raise NotFound(f"no trust books for estate {code!r}")
        return found

    def start_estate_job(*args: object) -> tuple[BillingJob, bool]:
        return jobs["estate"], False

    def start_district_job(*args: object) -> tuple[BillingJob, bool]:
        return jobs["district"], False

    def get_job(database: Database, job_id: str) -> BillingJob | None:
        return next((j for j in jobs.values() if j.job_id == job_id), None)

    # The few places the routes read the database themselves rather than through the unit of work.
    monkeypatch.setattr(http_api, "chart_of_accounts", chart_of_accounts)
    monkeypatch.setattr(billing, "start_estate_job", start_estate_job)
    monkeypatch.setattr(billing, "start_district_job", start_district_job)
    monkeypatch.setattr(billing, "get_job", get_job)

    no_database = cast(Database, None)
    app = create_app(
        service="ledger",
        title="ledger (in-process)",
        description="",
        verifier=TokenVerifier("http://127.0.0.1:9/realms/xinyi", "xinyi-api"),  # never asked: overridden
        readiness_checks={},
    )
    app.include_router(http_api.build_router(no_database, registry, FakeMembership()))
    app.include_router(http_billing.build_billing_router(no_database, books.uow))
    app.state.ledger_uow_factory = books.uow  # the PDF route opens units of work itself

    def unit_of_work(code: EstateCode) -> LedgerUnitOfWork:
        return books.uow(code)

    app.dependency_overrides[estate_unit_of_work] = unit_of_work
    with TestClient(app, raise_server_exceptions=False) as client:  # no components: nothing to start
        yield Ledger(books, registry, app, client, paid.transaction_id, jobs)


# One request per row of the table (the household account: another household's).
REQUESTS: dict[tuple[str, str], Callable[[Ledger], tuple[str, dict[str, Any] | None]]] = {
    ("GET", "/health/live"): lambda _: ("/health/live", None),
    ("GET", "/health/ready"): lambda _: ("/health/ready", None),
    ("GET", "/v1/estates/{code}/accounts"): lambda _: (f"/v1/estates/{ESTATE}/accounts", None),
    ("GET", "/v1/estates/{code}/transactions"): lambda _: (f"/v1/estates/{ESTATE}/transactions", None),
    ("GET", "/v1/estates/{code}/balances"): lambda _: (f"/v1/estates/{ESTATE}/balances", None),
    ("GET", "/v1/estates/{code}/statements/{period}"): lambda _: (f"/v1/estates/{ESTATE}/statements/{PERIOD}", None),
    ("GET", "/v1/estates/{code}/statements/{period}/pdf"): lambda _: (
        f"/v1/estates/{ESTATE}/statements/{PERIOD}/pdf",
        None,
    ),
    ("GET", "/v1/estates/{code}/households/{household_id}/account"): lambda _: (
        f"/v1/estates/{ESTATE}/households/{OTHER}/account",
        None,
    ),
    ("GET", "/v1/estates/{code}/arrears"): lambda _: (f"/v1/estates/{ESTATE}/arrears", None),
    ("POST", "/v1/estates/{code}/payments"): lambda _: (
        f"/v1/estates/{ESTATE}/payments",
        {"household_id": OTHER, "amount_fen": 100, "method": "cash", "received_on": TODAY.isoformat()},
    ),
    ("POST", "/v1/estates/{code}/common-income"): lambda _: (
        f"/v1/estates/{ESTATE}/common-income",
        {"kind": "parking", "amount_fen": 500, "received_on": TODAY.isoformat()},
    ),
    ("POST", "/v1/estates/{code}/transactions/{transaction_id}/reversal"): lambda ledger: (
        f"/v1/estates/{ESTATE}/transactions/{ledger.transaction_id}/reversal",
        {"reason": "entered twice"},
    ),
    ("POST", "/v1/estates/{code}/periods/{period}/close"): lambda _: (
        f"/v1/estates/{ESTATE}/periods/2026-03/close",
        None,
    ),
    ("POST", "/v1/estates/{code}/billing-runs"): lambda _: (f"/v1/estates/{ESTATE}/billing-runs", {"period": PERIOD}),
    ("POST", "/v1/districts/{district}/billing-runs"): lambda _: (
        f"/v1/districts/{DISTRICT}/billing-runs",
        {"period": PERIOD},
    ),
    ("GET", "/v1/billing-jobs/{job_id}"): lambda ledger: (f"/v1/billing-jobs/{ledger.jobs['estate'].job_id}", None),
}


def request(ledger: Ledger, row: Row) -> Response:
    path, body = REQUESTS[row.key](ledger)
    return ledger.call(row.method, path, body)


def test_every_ledger_row_has_a_request() -> None:
    assert {row.key for row in ROWS} == set(REQUESTS), "docs/access.md and REQUESTS list different routes"


def refused(response: Response, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert response.json()["reason"]


def lines_of(response: Response) -> list[dict[str, Any]]:
    return [line for entry in response.json() for line in entry["lines"]]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("row", ROWS, ids=[f"{row.method} {row.path}" for row in ROWS])
def test_each_role_gets_what_the_table_says(ledger: Ledger, row: Row, role: str) -> None:
    cell = row.cells[role]
    ledger.act_as(None if cell == "public" else principal(role))
    response = request(ledger, row)
    where = f"docs/access.md:{row.line} says {cell!r} for {role}; got {response.status_code}: {response.text[:300]}"
    if cell == "no":
        assert response.status_code == 403, where
        refused(response, 403, "permission_denied")
    elif cell == "hidden":
        assert response.status_code == 404, where
        refused(response, 404, "not_found")
    elif cell in ("yes", "public", "blinded"):
        assert 200 <= response.status_code < 300, where
    elif cell == "own":
        refused(response, 404, "not_found")  # the request is for another household
        mine = ledger.call("GET", f"/v1/estates/{ESTATE}/households/{OWN}/account")
        assert mine.status_code == 200, where
        assert mine.json()["household_id"] == OWN
    else:
        raise AssertionError(f"no check for the cell {cell!r}")
    if row.path == "/v1/estates/{code}/transactions" and cell in ("yes", "blinded"):
        check_entries(response, blinded=cell == "blinded")


def check_entries(response: Response, *, blinded: bool) -> None:
    lines = lines_of(response)
    shown = {line["household_id"] for line in lines if line["household_id"]}
    hidden = [line for line in lines if line["blinded"]]
    if not blinded:
        assert shown == {OWN, OTHER}
        assert not hidden
        return
    assert shown == {OWN}, "only the caller's own household is named"
    assert hidden, "the other household's lines are shown, blinded"
    assert all(line["household_id"] is None and line["amount_fen"] != 0 for line in hidden)
    # Blinding hides whose, not how much: every entry still balances.
    for entry in response.json():
        assert sum(line["amount_fen"] for line in entry["lines"]) == 0


@pytest.mark.parametrize("row", [r for r in ROWS if "public" not in r.cells.values()], ids=lambda r: r.path)
def test_no_token_no_answer(ledger: Ledger, row: Row) -> None:
    ledger.act_as(None)
    refused(request(ledger, row), 401, "unauthenticated")


@pytest.mark.parametrize("row", [r for r in ROWS if r.path.startswith("/v1/estates/{code}/")], ids=lambda r: r.path)
@pytest.mark.parametrize("role", sorted(OVERSIGHT | {"resident"}))
def test_another_estates_people_are_refused(ledger: Ledger, row: Row, role: str) -> None:
    ledger.act_as(principal(role, estate=FOREIGN))
    refused(request(ledger, row), 403, "permission_denied")


def test_a_billing_job_of_a_district_is_the_platforms(ledger: Ledger) -> None:
    district_job = ledger.jobs["district"]
    for role in ROLES:
        ledger.act_as(principal(role))
        response = ledger.call("GET", f"/v1/billing-jobs/{district_job.job_id}")
        expected = 200 if role in CROSS_ESTATE else 404
        assert response.status_code == expected, (role, response.text)


def test_an_estate_job_shows_only_to_its_own_estate(ledger: Ledger) -> None:
    ledger.jobs["estate"] = replace(ledger.jobs["estate"], estate_code=FOREIGN)
    ledger.act_as(principal("firm_manager"))
    refused(ledger.call("GET", f"/v1/billing-jobs/{ledger.jobs['estate'].job_id}"), 404, "not_found")
