"""The ledger's HTTP routes against the role table of docs/access.md, in-process.

Every row of the ledger's table, for every role: a FastAPI ``TestClient`` on the ledger's routers
(with the shared app factory's error handlers), the caller replaced through ``dependency_overrides``
by a fake :class:`Principal` of that role, the estate's unit of work by one on in-memory books
(``fakes.FakeBooks``), the tenant service by fakes. No PostgreSQL, Kafka or Keycloak.

What a cell means here: ``yes`` answers 2xx; ``no`` 403; ``hidden`` 404; ``own`` 200 for the
caller's own household and 404 for another; ``blinded`` 200 with the other households' lines
without their household; ``public`` answers without a token.

Each test gets books of its own, made through the use cases: bills and payments, a budget adopted by
ballot for 2026 and a draft still open to change, a voucher in a blob store on disk, expenses waiting
for the supervisor (one to approve, one to reject), one approved to pay, and a resident's question
waiting for the firm's answer; the estate's log holding every entry under a checkpoint, the
supervisor's witness key registered and its cosignature of that checkpoint ready to send; the
community's micro-fund book open with an entry under a checkpoint — so every allowed write has a
target in the state it needs."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from ledger_service.adapters.billing_jobs import BillingJob
from ledger_service.domain.books import TrustBooks
from ledger_service.domain.expenses import Proposal
from ledger_service.domain.funds import fund_book_code
from ledger_service.entrypoints import http_api, http_billing, http_funds, http_governance, http_log
from ledger_service.entrypoints.deps import estate_unit_of_work
from ledger_service.service_layer import billing, funds, governance, transparency
from ledger_service.service_layer.governance import Actor
from ledger_service.service_layer.postings import record_payment
from ledger_service.service_layer.unit_of_work import LedgerUnitOfWork
from services.ledger.tests.fakes import FakeBooks, FakeRegistry, estate_rules
from services.ledger.tests.test_governance import adopt_budget, png
from tests.access_doc import ROLES, Row, table
from xinyi_shared.auth import Principal, TokenVerifier
from xinyi_shared.blobs import FilesystemBlobStore
from xinyi_shared.db import Database
from xinyi_shared.errors import NotFound
from xinyi_shared.http import EstateCode, create_app, current_principal
from xinyi_shared.transparency.checkpoint import cosign, generate_witness_key, verify_cosignature
from xinyi_shared.transparency.entries import decode_opening
from xinyi_shared.transparency.note import parse_signer_key
from xinyi_shared.transparency.verify import verify_bundle

ESTATE = "jinhe-lvzhou"
FOREIGN = "binhe-huayuan"
COMMUNITY = "jinhe"  # the community of both estates above (FakeBooks.open_estate's default)
ELSEWHERE = "lianhe-jiayuan"  # an estate of another community
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
YEAR = 2026  # the year of the adopted budget
DRAFT = {  # a budget draft as the firm manager sends it: 600,000 + 15% of 1,000,000 within 1,000,000
    "year": YEAR,
    "plans": [
        {
            "name": "基础",
            "fee_income_fen": 1_000_000,
            "lines": [
                {"account": "5100", "name": "保洁", "amount_fen": 300_000},
                {"account": "5200", "name": "秩序维护", "amount_fen": 300_000},
            ],
        }
    ],
    "large_expense_threshold_fen": 50_000,
    "large_expense_rule": "second_supervisor",
}


def actor(role: str) -> Actor:
    """The use cases' actor for a caller of ``role``, as the routes make it from ``principal(role)``."""
    return Actor(subject=f"{role}-subject", name=role.replace("_", "-"))


@dataclass(frozen=True)
class Upload:
    """A multipart file to send instead of a JSON body."""

    name: str
    data: bytes
    media_type: str


Body = dict[str, Any] | Upload | None


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
    # The money-out targets: draft (changeable), voucher (its sha256), to_approve, to_reject, to_pay
    # (expense ids), question (waiting for an answer, on to_approve). The log's: tree_size (of the
    # checkpoint holding every entry), cosignature (the registered witness's line for it), witness_key
    # (another witness key to register).
    targets: dict[str, str] = field(default_factory=dict)

    def act_as(self, who: Principal | None) -> None:
        if who is None:
            self.app.dependency_overrides.pop(current_principal, None)
        else:
            self.app.dependency_overrides[current_principal] = lambda: who

    def call(self, method: str, path: str, body: Body = None) -> Response:
        headers = {"Idempotency-Key": f"roles-{uuid.uuid4().hex}"}
        if isinstance(body, Upload):
            files = {"file": (body.name, body.data, body.media_type)}
            response: Response = self.client.request(method, path, files=files, headers=headers)
        else:
            response = self.client.request(method, path, json=body, headers=headers)
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


def money_out(books: FakeBooks, registry: FakeRegistry, store: FilesystemBlobStore) -> dict[str, str]:
    """The money-out state the routes act on, made through the use cases (see the module's doc)."""
    adopt_budget(books, registry, ESTATE)
    draft, _ = governance.draft_budget(
        books.uow(ESTATE),
        registry,
        http_governance.BudgetDraftBody.model_validate(DRAFT).draft(),
        actor("firm_manager"),
    )
    voucher = governance.upload_voucher(books.uow(ESTATE), store, png(), "invoice.png", actor("firm_staff"))

    def propose(amount: int) -> str:
        proposal = Proposal("成都洁净服务有限公司", amount, "5100", "五月保洁耗材", (voucher.sha256,))
        return governance.propose_expense(books.uow(ESTATE), proposal, actor("firm_staff"))[0].id

    to_approve, to_reject, to_pay = propose(1_000), propose(2_000), propose(3_000)
    governance.approve_expense(books.uow(ESTATE), to_pay, actor("supervisor"))
    question = governance.ask_question(books.uow(ESTATE), to_approve, "为什么买这么多？", actor("resident"))
    return {
        "draft": draft.id,
        "voucher": voucher.sha256,
        "to_approve": to_approve,
        "to_reject": to_reject,
        "to_pay": to_pay,
        "question": question.id,
    }


WITNESS = "supervisor.jinhe-lvzhou/zhang"
COSIGNED_AT = int(datetime(2026, 5, 20, 9, tzinfo=UTC).timestamp())


def public_books(books: FakeBooks) -> dict[str, str]:
    """Every entry so far under a checkpoint, the supervisor's witness key registered, and its
    cosignature of that checkpoint (not yet sent)."""
    published = transparency.publish_now(books.uow(ESTATE))
    witness = parse_signer_key(generate_witness_key(WITNESS))
    transparency.register_witness(books.uow(ESTATE), witness.vkey, "supervisor")
    return {
        "tree_size": str(published.tree_size),
        "cosignature": cosign(published.note, witness, COSIGNED_AT),
        "witness_key": parse_signer_key(generate_witness_key(f"{WITNESS}-2")).vkey,
    }


def community_fund(books: FakeBooks) -> dict[str, str]:
    """The community's micro-fund book, open with a pledge under a checkpoint of its log."""
    fund = fund_book_code(COMMUNITY)
    funds.open_fund_book(books.uow(fund), "金河社区微基金", "microfund-service")
    pledge, _ = funds.post_fund_transaction(
        books.uow(fund),
        "pledge-roles-1",
        "pledge",
        "五月认捐",
        [("1200", 4500, None), ("4000", -4500, None)],
        "microfund-service",
    )
    published = funds.publish_checkpoint(books.uow(fund))
    return {"fund_transaction": pledge.transaction_id, "fund_tree_size": str(published.tree_size)}


@pytest.fixture
def ledger(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Ledger]:
    books = FakeBooks(TODAY)
    books.open_estate(ESTATE, first_period="2026-03", rules=RULES, households={OWN: 9000, OTHER: 12055})
    books.open_estate(FOREIGN, first_period="2026-03", rules=RULES, households={OWN: 9000})
    books.open_estate(ELSEWHERE, first_period="2026-03", rules=RULES, community_code="lianhe")
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
    store = FilesystemBlobStore(tmp_path / "blobs")
    targets = money_out(books, registry, store) | public_books(books) | community_fund(books)
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
    app.include_router(http_governance.build_governance_router(registry))
    app.include_router(http_log.build_log_router(FakeMembership()))
    app.include_router(http_funds.build_funds_router())
    app.state.ledger_uow_factory = books.uow  # the statement routes open units of work themselves
    app.state.blob_store = store

    def unit_of_work(code: EstateCode) -> LedgerUnitOfWork:
        return books.uow(code)

    app.dependency_overrides[estate_unit_of_work] = unit_of_work
    with TestClient(app, raise_server_exceptions=False) as client:  # no components: nothing to start
        yield Ledger(books, registry, app, client, paid.transaction_id, jobs, targets)


# One request per row of the table (the household account: another household's).
EXPENSES = f"/v1/estates/{ESTATE}/expenses"
LOG = f"/v1/estates/{ESTATE}/log"
FUND = f"/v1/funds/{COMMUNITY}"
REQUESTS: dict[tuple[str, str], Callable[[Ledger], tuple[str, Body]]] = {
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
    ("GET", "/v1/estates/{code}/budget-drafts"): lambda _: (f"/v1/estates/{ESTATE}/budget-drafts", None),
    ("GET", "/v1/estates/{code}/budget-drafts/{draft_id}"): lambda ledger: (
        f"/v1/estates/{ESTATE}/budget-drafts/{ledger.targets['draft']}",
        None,
    ),
    ("POST", "/v1/estates/{code}/budget-drafts"): lambda _: (f"/v1/estates/{ESTATE}/budget-drafts", DRAFT),
    ("PUT", "/v1/estates/{code}/budget-drafts/{draft_id}"): lambda ledger: (
        f"/v1/estates/{ESTATE}/budget-drafts/{ledger.targets['draft']}",
        {**DRAFT, "large_expense_rule": "ballot"},
    ),
    ("GET", "/v1/estates/{code}/budgets/{year}"): lambda _: (f"/v1/estates/{ESTATE}/budgets/{YEAR}", None),
    ("GET", "/v1/estates/{code}/budgets/{year}/execution"): lambda _: (
        f"/v1/estates/{ESTATE}/budgets/{YEAR}/execution",
        None,
    ),
    ("POST", "/v1/estates/{code}/vouchers"): lambda _: (
        f"/v1/estates/{ESTATE}/vouchers",
        Upload("receipt.png", png(2), "image/png"),
    ),
    ("GET", "/v1/estates/{code}/vouchers/{sha256}"): lambda ledger: (
        f"/v1/estates/{ESTATE}/vouchers/{ledger.targets['voucher']}",
        None,
    ),
    ("POST", "/v1/estates/{code}/expenses"): lambda ledger: (
        EXPENSES,
        {
            "payee": "成都绿化工程队",
            "amount_fen": 4_000,
            "account": "5200",
            "description": "秩序维护：对讲机电池",
            "vouchers": [ledger.targets["voucher"]],
        },
    ),
    ("GET", "/v1/estates/{code}/expenses"): lambda _: (EXPENSES, None),
    ("GET", "/v1/estates/{code}/expenses/{expense_id}"): lambda ledger: (
        f"{EXPENSES}/{ledger.targets['to_approve']}",
        None,
    ),
    ("POST", "/v1/estates/{code}/expenses/{expense_id}/approve"): lambda ledger: (
        f"{EXPENSES}/{ledger.targets['to_approve']}/approve",
        None,
    ),
    ("POST", "/v1/estates/{code}/expenses/{expense_id}/reject"): lambda ledger: (
        f"{EXPENSES}/{ledger.targets['to_reject']}/reject",
        {"reason": "发票抬头不是业主大会"},
    ),
    ("POST", "/v1/estates/{code}/expenses/{expense_id}/payment"): lambda ledger: (
        f"{EXPENSES}/{ledger.targets['to_pay']}/payment",
        None,
    ),
    ("POST", "/v1/estates/{code}/expenses/{expense_id}/questions"): lambda ledger: (
        f"{EXPENSES}/{ledger.targets['to_pay']}/questions",
        {"question": "付给谁了？"},
    ),
    ("POST", "/v1/estates/{code}/expenses/{expense_id}/questions/{question_id}/answer"): lambda ledger: (
        f"{EXPENSES}/{ledger.targets['to_approve']}/questions/{ledger.targets['question']}/answer",
        {"answer": "一季度的用量，附三家比价"},
    ),
    ("GET", "/v1/estates/{code}/questions"): lambda _: (f"/v1/estates/{ESTATE}/questions", None),
    ("GET", "/v1/estates/{code}/log/key"): lambda _: (f"{LOG}/key", None),
    ("GET", "/v1/estates/{code}/log/checkpoints"): lambda _: (f"{LOG}/checkpoints", None),
    ("POST", "/v1/estates/{code}/log/checkpoints"): lambda _: (f"{LOG}/checkpoints", None),
    ("GET", "/v1/estates/{code}/log/checkpoints/latest"): lambda _: (f"{LOG}/checkpoints/latest", None),
    ("GET", "/v1/estates/{code}/log/checkpoints/{tree_size}"): lambda ledger: (
        f"{LOG}/checkpoints/{ledger.targets['tree_size']}",
        None,
    ),
    ("GET", "/v1/estates/{code}/log/consistency"): lambda ledger: (
        f"{LOG}/consistency?from={ledger.targets['tree_size']}",
        None,
    ),
    ("GET", "/v1/estates/{code}/log/entries/{transaction_id}/proof"): lambda ledger: (
        f"{LOG}/entries/{ledger.transaction_id}/proof",
        None,
    ),
    ("PUT", "/v1/estates/{code}/log/witness"): lambda ledger: (
        f"{LOG}/witness",
        {"witness_key": ledger.targets["witness_key"]},
    ),
    ("POST", "/v1/estates/{code}/log/checkpoints/{tree_size}/cosignatures"): lambda ledger: (
        f"{LOG}/checkpoints/{ledger.targets['tree_size']}/cosignatures",
        {"signature": ledger.targets["cosignature"]},
    ),
    ("GET", "/v1/estates/{code}/households/{household_id}/opening"): lambda _: (
        f"/v1/estates/{ESTATE}/households/{OTHER}/opening",
        None,
    ),
    ("GET", "/v1/funds/{community}/accounts"): lambda _: (f"{FUND}/accounts", None),
    ("GET", "/v1/funds/{community}/transactions"): lambda _: (f"{FUND}/transactions", None),
    ("GET", "/v1/funds/{community}/log/key"): lambda _: (f"{FUND}/log/key", None),
    ("GET", "/v1/funds/{community}/log/checkpoints/latest"): lambda _: (f"{FUND}/log/checkpoints/latest", None),
    ("GET", "/v1/funds/{community}/log/consistency"): lambda ledger: (
        f"{FUND}/log/consistency?from={ledger.targets['fund_tree_size']}",
        None,
    ),
    ("GET", "/v1/funds/{community}/log/entries/{transaction_id}/proof"): lambda ledger: (
        f"{FUND}/log/entries/{ledger.targets['fund_transaction']}/proof",
        None,
    ),
}


def request(ledger: Ledger, row: Row) -> Response:
    path, body = REQUESTS[row.key](ledger)
    return ledger.call(row.method, path, body)


def own_request(ledger: Ledger, row: Row) -> Response:
    """The row's request for the caller's own household (REQUESTS names another's)."""
    path, body = REQUESTS[row.key](ledger)
    assert OTHER in path, row
    return ledger.call(row.method, path.replace(OTHER, OWN), body)


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
        mine = own_request(ledger, row)
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


# The money-out routes beyond the table -----------------------------------------------------------


def test_a_proposer_holding_the_supervisor_role_too_cannot_approve_over_http(ledger: Ledger) -> None:
    both = replace(principal("firm_staff"), subject="both-subject", roles=frozenset({"firm_staff", "supervisor"}))
    ledger.act_as(both)
    proposed = ledger.call("POST", *REQUESTS[("POST", "/v1/estates/{code}/expenses")](ledger))
    assert proposed.status_code == 201, proposed.text
    expense_id = proposed.json()["id"]
    refused(ledger.call("POST", f"{EXPENSES}/{expense_id}/approve"), 403, "permission_denied")
    refused(ledger.call("POST", f"{EXPENSES}/{expense_id}/reject", {"reason": "自己否掉"}), 403, "permission_denied")
    ledger.act_as(principal("supervisor"))
    approved = ledger.call("POST", f"{EXPENSES}/{expense_id}/approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert approved.json()["booking_transaction_id"]


def test_a_voucher_is_checked_from_its_bytes_and_served_as_uploaded(ledger: Ledger) -> None:
    ledger.act_as(principal("firm_staff"))
    uploaded = ledger.call("POST", f"/v1/estates/{ESTATE}/vouchers", Upload("r.png", png(5), "application/pdf"))
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["media_type"] == "image/png"  # from the bytes, not the client's word
    not_an_image = ledger.call("POST", f"/v1/estates/{ESTATE}/vouchers", Upload("r.png", b"hello", "image/png"))
    refused(not_an_image, 422, "invalid_input")
    ledger.act_as(principal("resident"))
    served = ledger.call("GET", f"/v1/estates/{ESTATE}/vouchers/{uploaded.json()['sha256']}")
    assert served.status_code == 200
    assert served.content == png(5)
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    refused(ledger.call("GET", f"/v1/estates/{ESTATE}/vouchers/{'0' * 64}"), 404, "not_found")


def test_the_statement_shows_budget_vs_actual_and_the_questions_awaiting_an_answer(ledger: Ledger) -> None:
    ledger.act_as(principal("resident"))
    statement = ledger.call("GET", f"/v1/estates/{ESTATE}/statements/{PERIOD}")
    assert statement.status_code == 200, statement.text
    budget = statement.json()["budget"]
    assert (budget["period"], budget["year"], budget["plan_name"]) == (PERIOD, YEAR, "基础")
    cleaning = next(line for line in budget["lines"] if line["account"] == "5100")
    # Of the three proposals on 5100 only the 3,000 was approved: booked, not yet paid.
    assert (cleaning["adopted_fen"], cleaning["booked_in_period_fen"], cleaning["committed_fen"]) == (
        300_000,
        3_000,
        3_000,
    )
    assert (cleaning["spent_fen"], cleaning["remaining_fen"]) == (0, 297_000)
    (question,) = budget["open_questions"]
    assert question["question_id"] == ledger.targets["question"]
    assert "asked_by" not in question


# The public books beyond the table -----------------------------------------------------------------


def test_a_resident_verifies_an_entry_offline_with_what_the_routes_give(ledger: Ledger) -> None:
    ledger.act_as(principal("resident"))
    identity = ledger.call("GET", f"{LOG}/key").json()
    assert identity["origin"] == f"ledger.xinyi.test/estates/{ESTATE}"
    assert [k["name"] for k in identity["witness_keys"]] == [WITNESS]
    latest = ledger.call("GET", f"{LOG}/checkpoints/latest").json()
    assert (str(latest["tree_size"]), latest["cosigned"], latest["cosignatures"]) == (
        ledger.targets["tree_size"],
        False,
        [],
    )

    ledger.act_as(principal("supervisor"))
    cosigned = ledger.call(
        "POST", *REQUESTS[("POST", "/v1/estates/{code}/log/checkpoints/{tree_size}/cosignatures")](ledger)
    )
    assert cosigned.status_code == 200, cosigned.text
    assert cosigned.json()["cosigned"] is True
    assert verify_cosignature(cosigned.json()["note"], identity["witness_keys"][0]["witness_key"]).timestamp == (
        COSIGNED_AT
    )

    ledger.act_as(principal("resident"))
    opening = ledger.call("GET", f"/v1/estates/{ESTATE}/households/{OWN}/opening").json()
    assert opening["household_id"] == OWN
    secret = decode_opening(opening["opening"])
    (own_payment,) = (
        row.id
        for row in ledger.books.entries_of(ESTATE)
        if row.transaction.kind == "payment_received"
        and any(line.household_id == OWN for line in row.transaction.lines)
    )
    for transaction_id, mine in ((own_payment, True), (ledger.transaction_id, False)):  # OTHER's payment
        bundle = ledger.call("GET", f"{LOG}/entries/{transaction_id}/proof").json()
        verdict = verify_bundle(
            bundle,
            log_key=identity["log_key"],
            witness_keys=[identity["witness_keys"][0]["witness_key"]],
            opening=secret,
            require_witness=True,
        )
        assert verdict.ok is mine, verdict.reasons
        if not mine:
            assert verdict.reasons == ["no line of this entry belongs to the household"]
    refused(ledger.call("GET", f"{LOG}/entries/{uuid.uuid4()}/proof"), 404, "not_found")
    refused(ledger.call("GET", f"{LOG}/checkpoints/{int(ledger.targets['tree_size']) + 1}"), 404, "not_found")


def test_an_opening_is_not_shown_to_a_member_who_also_oversees_the_estate(ledger: Ledger) -> None:
    # A member of household OWN (FakeMembership) holding the supervisor's role too: the firm and the
    # supervisor never read an opening, whatever else they are.
    both = replace(principal("resident"), subject="both-subject", roles=frozenset({"resident", "supervisor"}))
    ledger.act_as(both)
    refused(ledger.call("GET", f"/v1/estates/{ESTATE}/households/{OWN}/opening"), 404, "not_found")
    ledger.act_as(replace(both, roles=frozenset({"resident"})))
    assert ledger.call("GET", f"/v1/estates/{ESTATE}/households/{OWN}/opening").status_code == 200


def test_the_supervisors_cosignature_must_be_made_with_the_registered_key(ledger: Ledger) -> None:
    ledger.act_as(principal("supervisor"))
    path, _ = REQUESTS[("POST", "/v1/estates/{code}/log/checkpoints/{tree_size}/cosignatures")](ledger)
    note = ledger.call("GET", f"{LOG}/checkpoints/latest").json()["note"]
    stranger = parse_signer_key(generate_witness_key(WITNESS))  # the same name, another key
    refused(ledger.call("POST", path, {"signature": cosign(note, stranger, COSIGNED_AT)}), 403, "permission_denied")
    refused(ledger.call("POST", path, {"signature": "— not a signature line"}), 422, "invalid_input")
    refused(ledger.call("PUT", f"{LOG}/witness", {"witness_key": "not a witness key at all"}), 422, "invalid_input")


# The community funds' books beyond the table ---------------------------------------------------------

FUND_ROWS = [r for r in ROWS if r.path.startswith("/v1/funds/{community}/")]


@pytest.mark.parametrize("row", FUND_ROWS, ids=lambda r: r.path)
@pytest.mark.parametrize("role", sorted(OVERSIGHT | {"resident", "grid_leader", "community_officer"}))
def test_people_of_another_communitys_estates_are_refused_the_fund(ledger: Ledger, row: Row, role: str) -> None:
    ledger.act_as(principal(role, estate=ELSEWHERE))
    refused(request(ledger, row), 403, "permission_denied")
    # Belonging to the community through any one of the token's estates is enough.
    ledger.act_as(replace(principal(role, estate=ELSEWHERE), estates=frozenset({ELSEWHERE, FOREIGN})))
    assert request(ledger, row).status_code == 200


def test_a_fund_not_open_is_not_found_and_still_refused_to_others(ledger: Ledger) -> None:
    ledger.act_as(principal("platform_admin"))
    refused(ledger.call("GET", "/v1/funds/lianhe/accounts"), 404, "not_found")
    ledger.act_as(principal("resident", estate=ELSEWHERE))
    refused(ledger.call("GET", "/v1/funds/lianhe/accounts"), 404, "not_found")
    ledger.act_as(principal("resident"))  # of jinhe, not of lianhe: refused before the book is looked for
    refused(ledger.call("GET", "/v1/funds/lianhe/accounts"), 403, "permission_denied")
    refused(ledger.call("GET", "/v1/funds/Not_A_Code/accounts"), 422, "invalid_input")


def test_the_estate_routes_never_reach_a_funds_book(ledger: Ledger) -> None:
    ledger.act_as(principal("platform_admin"))
    refused(ledger.call("GET", f"/v1/estates/{fund_book_code(COMMUNITY)}/accounts"), 422, "invalid_input")


def test_a_resident_verifies_a_fund_entry_offline_with_what_the_routes_give(ledger: Ledger) -> None:
    ledger.act_as(principal("resident"))
    accounts = ledger.call("GET", f"{FUND}/accounts").json()
    assert (accounts["community_code"], accounts["name"]) == (COMMUNITY, "金河社区微基金")
    balances = {a["code"]: a["balance_fen"] for a in accounts["accounts"]}
    assert balances == {"1000": 0, "1200": 4500, "2100": 0, "3000": 0, "4000": -4500, "4100": 0, "5000": 0}
    (entry,) = ledger.call("GET", f"{FUND}/transactions").json()
    assert (entry["id"], entry["number"], entry["kind"]) == (ledger.targets["fund_transaction"], 1, "pledge")
    identity = ledger.call("GET", f"{FUND}/log/key").json()
    assert identity["origin"] == f"ledger.xinyi.test/funds/{COMMUNITY}"
    latest = ledger.call("GET", f"{FUND}/log/checkpoints/latest").json()
    assert str(latest["tree_size"]) == ledger.targets["fund_tree_size"]
    bundle = ledger.call("GET", f"{FUND}/log/entries/{ledger.targets['fund_transaction']}/proof").json()
    assert bundle["entry"]["estate"] == COMMUNITY
    assert verify_bundle(bundle, log_key=identity["log_key"]).ok
    # The estate's log key does not open the fund's checkpoint, nor the fund's an estate's.
    estate_key = ledger.call("GET", f"{LOG}/key").json()["log_key"]
    assert not verify_bundle(bundle, log_key=estate_key).ok
    consistency = ledger.call("GET", f"{FUND}/log/consistency?from=1").json()
    assert consistency["format"] == "xinyi-consistency/v1"
