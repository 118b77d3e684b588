"""docs/access.md against the running platform: the routes each service serves are the document's,
and what the role tables of test_access.py and test_ledger_access.py do not play is played here from
the document itself — the remaining rows for every role, the ``service`` column of every row, every
gRPC method for every role.

As in the other role tables, a write by an allowed role is not made (the feature tests make it);
``yes`` is "not refused" (not 401/403), ``no`` is 403, ``hidden`` 404, ``own`` 404 for a household
not the caller's, ``public`` answers without a token."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from typing import Any

import grpc
import httpx
import pytest

from tests.access_doc import ROLES, Row, access_rows, fill, row_for, table
from tests.e2e import test_access as tenant_e2e
from tests.e2e import test_ledger_access as ledger_e2e
from tests.e2e.conftest import estate_body, onboard
from tests.e2e.test_ledger import PERIOD
from tests.harness import (
    COMMUNITY,
    DISTRICT,
    SUB_DISTRICT,
    bearer,
    eventually,
    grpc_target,
    household_csv,
    http_url,
    service_token,
    unique_code,
)
from xinyi.ledger.v1 import ledger_pb2, ledger_pb2_grpc
from xinyi.microfund.v1 import microfund_pb2, microfund_pb2_grpc
from xinyi.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from xinyi.ticketing.v1 import ticketing_pb2, ticketing_pb2_grpc
from xinyi_shared.transparency.checkpoint import generate_witness_key
from xinyi_shared.transparency.note import parse_signer_key

pytestmark = pytest.mark.e2e

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}
REFUSED = (401, 403)
Request = tuple[str, dict[str, Any] | None]  # path, JSON body


def covered_by_the_other_tables() -> set[tuple[str, tuple[str, str]]]:
    """The (service, row) pairs test_access.py and test_ledger_access.py play for the role families."""
    tenant = [(method, fill(template)) for method, template, _, _ in tenant_e2e.ROUTES]
    tenant.append((tenant_e2e.UPLOAD[0], fill(tenant_e2e.UPLOAD[1])))
    ledger = [(method, f"/v1/estates/x{fill(path)}") for method, path, _, _ in ledger_e2e.ROUTES]
    ledger.append(("GET", f"/v1/estates/x{fill(ledger_e2e.ACCOUNT)}"))
    return {("tenant", row_for("tenant", m, p).key) for m, p in tenant} | {
        ("ledger", row_for("ledger", m, p).key) for m, p in ledger
    }


COVERED = covered_by_the_other_tables()
HTTP_ROWS = [row for row in access_rows() if row.kind == "http"]
REMAINING = [row for row in HTTP_ROWS if (row.service, row.key) not in COVERED]


# What to send for each remaining row; ``ctx`` is the ``estate`` fixture.
REQUESTS: dict[tuple[str, str, str], Callable[[dict[str, Any]], Request]] = {
    ("tenant", "POST", "/v1/districts"): lambda ctx: ("/v1/districts", {"code": unique_code("acl"), "name": "x"}),
    ("tenant", "POST", "/v1/districts/{district}/sub-districts"): lambda ctx: (
        f"/v1/districts/{DISTRICT}/sub-districts",
        {"code": unique_code("acl"), "name": "x"},
    ),
    ("tenant", "POST", "/v1/sub-districts/{sub_district}/communities"): lambda ctx: (
        f"/v1/sub-districts/{SUB_DISTRICT}/communities",
        {"code": unique_code("acl"), "name": "x"},
    ),
    ("tenant", "GET", "/v1/hierarchy"): lambda ctx: ("/v1/hierarchy", None),
    ("tenant", "GET", "/v1/governance/figures"): lambda ctx: ("/v1/governance/figures?period=2026-01", None),
    ("tenant", "GET", "/v1/governance/ranking"): lambda ctx: (
        "/v1/governance/ranking?period=2026-01&metric=collection_rate_bps",
        None,
    ),
    ("tenant", "GET", "/v1/governance/estates/{code}/comparison"): lambda ctx: (
        f"/v1/governance/estates/{ctx['code']}/comparison?period=2026-01",
        None,
    ),
    ("tenant", "GET", "/v1/governance/reports/{period}"): lambda ctx: ("/v1/governance/reports/2026-01", None),
    ("tenant", "GET", "/v1/governance/report-key"): lambda ctx: ("/v1/governance/report-key", None),
    ("tenant", "GET", "/v1/estates"): lambda ctx: ("/v1/estates", None),
    ("tenant", "POST", "/v1/estates"): lambda ctx: ("/v1/estates", estate_body(unique_code("acl-x"))),
    ("tenant", "GET", "/v1/estates/{code}/archives/{archive_id}"): lambda ctx: (
        f"/v1/estates/{ctx['code']}/archives/{uuid.uuid4()}",
        None,
    ),
    # Public: answered without a token (a malformed claim: 422, counted by the claim limits once).
    ("tenant", "POST", "/v1/invitations/claim"): lambda ctx: ("/v1/invitations/claim", {"estate_code": ctx["code"]}),
    ("ledger", "POST", "/v1/districts/{district}/billing-runs"): lambda ctx: (
        f"/v1/districts/{DISTRICT}/billing-runs",
        {"period": PERIOD},
    ),
    ("ledger", "GET", "/v1/billing-jobs/{job_id}"): lambda ctx: (f"/v1/billing-jobs/{ctx['job_id']}", None),
    ("ticketing", "GET", "/v1/estates/{code}/service-targets"): lambda ctx: (
        f"/v1/estates/{ctx['code']}/service-targets",
        None,
    ),
    ("microfund", "GET", "/v1/estates/{code}/fund"): lambda ctx: (f"/v1/estates/{ctx['code']}/fund", None),
}
# Ticketing: an unknown ticket is fine (only refusals are asserted, and allowed writes are not made).
_NO_TICKET = "/tickets/00000000-0000-4000-8000-000000000000"
_TICKETING: dict[tuple[str, str], Callable[[str], Request]] = {
    ("PUT", "/service-targets"): lambda base: (
        f"{base}/service-targets",
        {"first_response_minutes": 30, "resolution_minutes": 60},
    ),
    ("POST", "/ticket-files"): lambda base: (f"{base}/ticket-files", None),
    ("POST", "/tickets"): lambda base: (f"{base}/tickets", {"category": "lighting", "description": "x"}),
    ("GET", "/tickets"): lambda base: (f"{base}/tickets", None),
    ("GET", "/ticket-figures/{month}"): lambda base: (f"{base}/ticket-figures/2031-03", None),
    ("GET", "/tickets/{ticket_id}"): lambda base: (f"{base}{_NO_TICKET}", None),
    ("GET", "/tickets/{ticket_id}/files/{sha256}"): lambda base: (f"{base}{_NO_TICKET}/files/{'ab' * 32}", None),
    ("GET", "/tickets/{ticket_id}/notifications"): lambda base: (f"{base}{_NO_TICKET}/notifications", None),
}
for _step, _body in {
    "acknowledge": {},
    "start": {},
    "resolve": {"note": "x"},
    "confirm": {"score": 5},
    "reopen": {"reason": "x"},
    "withdraw": {},
    "assign": {"assignee": "x"},
    "notes": {"text": "x"},
    "reclassify": {"urgency": "low"},
    "complaint": {"reason": "x"},
    "complaint/escalate": {},
    "materials": {"supplier": "x", "lines": [], "budget_line": "5600", "receipts": []},
}.items():
    _TICKETING[("POST", f"/tickets/{{ticket_id}}/{_step}")] = lambda base, step=_step, body=_body: (
        f"{base}{_NO_TICKET}/{step}",
        body,
    )
# The ledger's money-out rows: unknown drafts, vouchers, expenses and questions are fine, since only
# the refusals (401/403) are asserted; a write by an allowed role is not made.
_DRAFT = {
    "year": int(PERIOD[:4]),
    "plans": [{"name": "基础", "fee_income_fen": 100, "lines": [{"account": "5100", "name": "保洁", "amount_fen": 1}]}],
}
_EXPENSE = {"payee": "x", "amount_fen": 1, "account": "5100", "description": "x", "vouchers": ["0" * 64]}
_MONEY_OUT: dict[tuple[str, str], Callable[[str], Request]] = {
    ("GET", "/budget-drafts"): lambda base: (f"{base}/budget-drafts", None),
    ("GET", "/budget-drafts/{draft_id}"): lambda base: (f"{base}/budget-drafts/{uuid.uuid4()}", None),
    ("POST", "/budget-drafts"): lambda base: (f"{base}/budget-drafts", _DRAFT),
    ("PUT", "/budget-drafts/{draft_id}"): lambda base: (f"{base}/budget-drafts/{uuid.uuid4()}", _DRAFT),
    ("GET", "/budgets/{year}"): lambda base: (f"{base}/budgets/{PERIOD[:4]}", None),
    ("GET", "/budgets/{year}/execution"): lambda base: (f"{base}/budgets/{PERIOD[:4]}/execution", None),
    ("POST", "/vouchers"): lambda base: (f"{base}/vouchers", None),  # refused before the file is read
    ("GET", "/vouchers/{sha256}"): lambda base: (f"{base}/vouchers/{'0' * 64}", None),
    ("POST", "/expenses"): lambda base: (f"{base}/expenses", _EXPENSE),
    ("GET", "/expenses"): lambda base: (f"{base}/expenses", None),
    ("GET", "/expenses/{expense_id}"): lambda base: (f"{base}/expenses/{uuid.uuid4()}", None),
    ("POST", "/expenses/{expense_id}/approve"): lambda base: (f"{base}/expenses/{uuid.uuid4()}/approve", None),
    ("POST", "/expenses/{expense_id}/reject"): lambda base: (
        f"{base}/expenses/{uuid.uuid4()}/reject",
        {"reason": "x"},
    ),
    ("POST", "/expenses/{expense_id}/payment"): lambda base: (f"{base}/expenses/{uuid.uuid4()}/payment", None),
    ("POST", "/expenses/{expense_id}/questions"): lambda base: (
        f"{base}/expenses/{uuid.uuid4()}/questions",
        {"question": "x"},
    ),
    ("POST", "/expenses/{expense_id}/questions/{question_id}/answer"): lambda base: (
        f"{base}/expenses/{uuid.uuid4()}/questions/{uuid.uuid4()}/answer",
        {"answer": "x"},
    ),
    ("GET", "/questions"): lambda base: (f"{base}/questions", None),
}
# The estate's log: unknown sizes, entries and households are fine (a 404 is not a refusal); a write by
# an allowed role is not made, so the witness key and the cosignature line need only be well formed.
_COSIGNATURE = "— supervisor.acl/x " + base64.b64encode(bytes(76)).decode("ascii")
_PUBLIC_BOOKS: dict[tuple[str, str], Callable[[str], Request]] = {
    ("GET", "/log/key"): lambda base: (f"{base}/log/key", None),
    ("GET", "/log/checkpoints"): lambda base: (f"{base}/log/checkpoints", None),
    ("POST", "/log/checkpoints"): lambda base: (f"{base}/log/checkpoints", None),
    ("GET", "/log/checkpoints/latest"): lambda base: (f"{base}/log/checkpoints/latest", None),
    ("GET", "/log/checkpoints/{tree_size}"): lambda base: (f"{base}/log/checkpoints/{2**40}", None),
    ("GET", "/log/consistency"): lambda base: (f"{base}/log/consistency?from=1&to={2**40}", None),
    ("GET", "/log/entries/{transaction_id}/proof"): lambda base: (f"{base}/log/entries/{uuid.uuid4()}/proof", None),
    ("PUT", "/log/witness"): lambda base: (
        f"{base}/log/witness",
        {"witness_key": parse_signer_key(generate_witness_key("supervisor.acl/x")).vkey},
    ),
    ("POST", "/log/checkpoints/{tree_size}/cosignatures"): lambda base: (
        f"{base}/log/checkpoints/{2**40}/cosignatures",
        {"signature": _COSIGNATURE},
    ),
    # Another household's opening: 'own' and 'hidden' are both 404 for it.
    ("GET", "/households/{household_id}/opening"): lambda base: (f"{base}/households/{uuid.uuid4()}/opening", None),
}
for (_method, _suffix), _request in (_MONEY_OUT | _PUBLIC_BOOKS).items():
    REQUESTS[("ledger", _method, f"/v1/estates/{{code}}{_suffix}")] = lambda ctx, request=_request: request(
        f"/v1/estates/{ctx['code']}"
    )
# A community fund's book in the ledger: the community of the fixture's estate (its people may read it);
# the book may not be open, and unknown sizes and entries are fine (a 404 is not a refusal).
_FUND_BOOK: dict[tuple[str, str], Callable[[str], Request]] = {
    ("GET", "/accounts"): lambda base: (f"{base}/accounts", None),
    ("GET", "/transactions"): lambda base: (f"{base}/transactions", None),
    ("GET", "/log/key"): lambda base: (f"{base}/log/key", None),
    ("GET", "/log/checkpoints/latest"): lambda base: (f"{base}/log/checkpoints/latest", None),
    ("GET", "/log/consistency"): lambda base: (f"{base}/log/consistency?from=1&to={2**40}", None),
    ("GET", "/log/entries/{transaction_id}/proof"): lambda base: (f"{base}/log/entries/{uuid.uuid4()}/proof", None),
}
for (_method, _suffix), _request in _FUND_BOOK.items():
    REQUESTS[("ledger", _method, f"/v1/funds/{{community}}{_suffix}")] = lambda ctx, request=_request: request(
        f"/v1/funds/{COMMUNITY}"
    )
_FUND = "/fund"
_FUND_REQUESTS: dict[tuple[str, str], Callable[[str], Request]] = {
    ("GET", ""): lambda base: (base, None),
    ("PUT", "/rule"): lambda base: (f"{base}/rule", {"threshold_fen": 500000}),
    ("POST", "/donations"): lambda base: (
        f"{base}/donations",
        {"source": "resident", "amount_fen": 1, "received_on": "2031-04-01"},
    ),
    ("GET", "/donations"): lambda base: (f"{base}/donations", None),
    ("POST", "/files"): lambda base: (f"{base}/files", None),
    ("GET", "/files/{sha256}"): lambda base: (f"{base}/files/{'ab' * 32}", None),
    ("POST", "/grants"): lambda base: (f"{base}/grants", {"title": "x"}),
    ("GET", "/grants"): lambda base: (f"{base}/grants", None),
    ("GET", "/grants/{grant_id}"): lambda base: (f"{base}/grants/{uuid.uuid4()}", None),
    ("POST", "/grants/{grant_id}/review"): lambda base: (f"{base}/grants/{uuid.uuid4()}/review", {"approve": True}),
    ("POST", "/grants/{grant_id}/disbursements"): lambda base: (f"{base}/grants/{uuid.uuid4()}/disbursements", {}),
    ("POST", "/grants/{grant_id}/close"): lambda base: (f"{base}/grants/{uuid.uuid4()}/close", {"report": "x"}),
}
for (_method, _suffix), _request in _FUND_REQUESTS.items():
    REQUESTS[("microfund", _method, f"/v1/communities/{{community}}/fund{_suffix}")] = lambda ctx, request=_request: (
        request(f"/v1/communities/{COMMUNITY}/fund")
    )
for (_method, _suffix), _request in _TICKETING.items():
    REQUESTS[("ticketing", _method, f"/v1/estates/{{code}}{_suffix}")] = lambda ctx, request=_request: request(
        f"/v1/estates/{ctx['code']}"
    )
for _service in ("tenant", "ledger", "ticketing", "microfund"):
    for _path in ("/health/live", "/health/ready"):
        REQUESTS[(_service, "GET", _path)] = lambda ctx, path=_path: (path, None)


@pytest.fixture(scope="module")
def estate(tenant_api, admin_token, make_member) -> dict[str, Any]:
    """An estate with an account per role family and a household; a service's token; another
    estate's firm manager; an estate billing job; the estate known to ticketing and the micro-fund."""
    own, other = unique_code("tacl-a"), unique_code("tacl-b")
    for code in (own, other):
        assert onboard(tenant_api, admin_token, code).status_code == 201
    tokens = {"platform_admin": admin_token, "service": service_token("ticketing-service")}
    for family in tenant_e2e.FAMILIES[1:]:
        _, tokens[family] = make_member(own, family)
    _, foreign = make_member(other, "firm_manager")
    manager = bearer(tokens["firm_manager"])
    household = tenant_api.post(
        f"/v1/estates/{own}/households/import",
        files={"file": ("list.csv", household_csv(1), "text/csv")},
        headers=manager,
    ).json()["household_ids"][0]

    def job() -> str | None:
        started = httpx.post(
            f"{http_url('ledger')}/v1/estates/{own}/billing-runs",
            json={"period": PERIOD},
            headers={**manager, "Idempotency-Key": f"tacl-{own}"},
            timeout=30,
        )
        return str(started.json()["job_id"]) if started.status_code == 202 else None

    job_id = eventually(job, what="the estate's books, to start a billing job")
    for service, path in (("ticketing", "service-targets"), ("microfund", "fund")):
        url = f"{http_url(service)}/v1/estates/{own}/{path}"
        eventually(
            lambda url=url: httpx.get(url, headers=manager, timeout=10).status_code == 200 or None,
            what=f"the estate known to {service}",
        )
    return {"code": own, "tokens": tokens, "foreign": foreign, "household": household, "job_id": job_id}


def call(row: Row, request: Request, token: str | None) -> httpx.Response:
    path, body = request
    headers = {"Idempotency-Key": f"tacl-{uuid.uuid4().hex}", **(bearer(token) if token else {})}
    return httpx.request(row.method, f"{http_url(row.service)}{path}", json=body, headers=headers, timeout=30)


def check(row: Row, role: str, response: httpx.Response) -> None:
    cell = row.cells[role]
    where = f"docs/access.md:{row.line} says {cell!r} for {role} on {row.method} {row.path}: {response.status_code}"
    if cell in ("yes", "public", "blinded"):
        assert response.status_code not in REFUSED, where
    elif cell == "no":
        assert response.status_code == 403, where
    elif cell in ("hidden", "own"):
        assert response.status_code == 404, where
    else:
        raise AssertionError(f"no check for the cell {cell!r}")


@pytest.mark.parametrize("service", ["tenant", "ledger", "ticketing", "microfund"])
def test_the_running_services_serve_the_routes_of_the_document(service: str) -> None:
    document = httpx.get(f"{http_url(service)}/openapi.json", timeout=30).json()
    served = {
        (m.upper(), path) for path, operations in document["paths"].items() for m in operations if m in HTTP_METHODS
    }
    assert served == {row.key for row in table(service)}


def test_every_remaining_row_has_a_request() -> None:
    missing = {(row.service, *row.key) for row in REMAINING} - set(REQUESTS)
    assert not missing, f"rows of docs/access.md no test plays: add them to REQUESTS here: {sorted(missing)}"


@pytest.mark.parametrize("row", REMAINING, ids=[f"{r.service} {r.method} {r.path}" for r in REMAINING])
def test_the_remaining_rows_for_every_role(estate, row: Row) -> None:
    request = REQUESTS[(row.service, *row.key)](estate)
    if set(row.cells.values()) == {"public"}:
        check(row, "resident", call(row, request, None))  # once, without a token: the same for all
        return
    assert call(row, request, None).status_code == 401, "no token, no answer"
    for role in ROLES:
        if row.method != "GET" and row.cells[role] != "no":
            continue  # writes by allowed roles are made by the feature tests
        check(row, role, call(row, request, estate["tokens"][role]))
    if "{code}" in row.path:
        response = call(row, request, estate["foreign"])
        assert response.status_code == 403, "another estate's firm manager"


def test_the_service_column_of_the_other_tables(estate) -> None:
    """Services (client credentials) act for any estate, but only where their role is named."""
    token = estate["tokens"]["service"]
    for method, template, body, _ in tenant_e2e.ROUTES:
        path = template.format(code=estate["code"], household=estate["household"], ballot=uuid.uuid4())
        row = row_for("tenant", method, path)
        check(row, "service", call(row, (path, body), token))
    for method, suffix, body, _ in [*ledger_e2e.ROUTES, ("GET", ledger_e2e.ACCOUNT, None, set())]:
        if isinstance(body, dict):
            body = {k: (v.format(household=estate["household"]) if isinstance(v, str) else v) for k, v in body.items()}
        path = f"/v1/estates/{estate['code']}{suffix.format(household=estate['household'])}"
        row = row_for("ledger", method, path)
        check(row, "service", call(row, (path, body), token))
    upload = row_for("tenant", "POST", fill(tenant_e2e.UPLOAD[1], estate["code"]))
    response = httpx.post(
        f"{http_url('tenant')}/v1/estates/{estate['code']}/households/import",
        files={"file": ("x.csv", household_csv(1, prefix="svc"), "text/csv")},
        headers=bearer(token),
        timeout=30,
    )
    check(upload, "service", response)


# gRPC ---------------------------------------------------------------------------------------------

GRPC_WRITES = {
    "PostTransaction",
    "PostTransactions",
    "UploadVoucher",
    "ProposeExpense",
    "OpenFundBook",
    "PublishFundCheckpoint",
}


def grpc_request(name: str, estate: dict[str, Any]) -> Any:
    code, household = estate["code"], estate["household"]
    return {
        "GetEstate": lambda: tenant_pb2.GetEstateRequest(estate_code=code),
        "GetEstateRules": lambda: tenant_pb2.GetEstateRequest(estate_code=code),
        "ListHouseholds": lambda: tenant_pb2.ListHouseholdsRequest(estate_code=code),
        "ListHouseholdPages": lambda: tenant_pb2.ListHouseholdsRequest(estate_code=code),
        "GetHousehold": lambda: tenant_pb2.GetHouseholdRequest(estate_code=code, household_id=household),
        "ResolveGrid": lambda: tenant_pb2.ResolveGridRequest(estate_code=code, household_id=household),
        "CheckMembership": lambda: tenant_pb2.CheckMembershipRequest(estate_code=code, user_id="nobody"),
        "ListEstateStaff": lambda: tenant_pb2.ListEstateStaffRequest(estate_code=code),
        "GetChartOfAccounts": lambda: ledger_pb2.GetChartOfAccountsRequest(estate_code=code),
        "PostTransaction": lambda: ledger_pb2.PostTransactionRequest(
            estate_code=code,
            book="trust",
            idempotency_key=f"tacl-{uuid.uuid4().hex}",
            kind="expense",
            memo="x",
            lines=[ledger_pb2.PostingLine(account="4100", amount_fen=1)],
        ),
        "PostTransactions": lambda: ledger_pb2.PostTransactionsRequest(estate_code=code, book="trust"),
        "GetBalances": lambda: ledger_pb2.GetBalancesRequest(estate_code=code, book="trust"),
        "GetStatement": lambda: ledger_pb2.GetStatementRequest(estate_code=code, period=PERIOD),
        "UploadVoucher": lambda: ledger_pb2.UploadVoucherRequest(estate_code=code, content=b"x", uploaded_by="nobody"),
        "ProposeExpense": lambda: ledger_pb2.ProposeExpenseRequest(
            estate_code=code, idempotency_key=f"tacl-{uuid.uuid4().hex}"
        ),
        "OpenFundBook": lambda: ledger_pb2.OpenFundBookRequest(community_code=COMMUNITY, name="x"),
        "PublishFundCheckpoint": lambda: ledger_pb2.PublishFundCheckpointRequest(community_code=COMMUNITY),
        "GetTicket": lambda: ticketing_pb2.GetTicketRequest(estate_code=code, ticket_id=str(uuid.uuid4())),
        "ListTickets": lambda: ticketing_pb2.ListTicketsRequest(estate_code=code),
        "GetFund": lambda: microfund_pb2.GetFundRequest(community_code=COMMUNITY),
    }[name]()


GRPC_ROWS = [row for row in access_rows() if row.kind == "grpc"]


@pytest.mark.parametrize("row", GRPC_ROWS, ids=[row.path for row in GRPC_ROWS])
def test_grpc_methods_for_every_role(estate, row: Row) -> None:
    name = row.path.rsplit("/", 1)[1]
    stubs = {
        "tenant": tenant_pb2_grpc.TenantServiceStub,
        "ledger": ledger_pb2_grpc.LedgerServiceStub,
        "ticketing": ticketing_pb2_grpc.TicketingServiceStub,
        "microfund": microfund_pb2_grpc.MicrofundServiceStub,
    }
    with grpc.insecure_channel(grpc_target(row.service)) as channel:
        method = getattr(stubs[row.service](channel), name)
        for role in ROLES:
            cell = row.cells[role]
            if name in GRPC_WRITES and cell != "no":
                continue  # posted by the ledger's feature tests
            try:
                result = method(
                    grpc_request(name, estate),
                    metadata=[("authorization", f"Bearer {estate['tokens'][role]}")],
                    # A connection still being set up is waited for, not answered UNAVAILABLE.
                    wait_for_ready=True,
                    timeout=30,
                )
                list(result) if name in ("ListHouseholds", "ListHouseholdPages") else result
                status = grpc.StatusCode.OK
            except grpc.RpcError as error:
                status = error.code()
            where = f"docs/access.md:{row.line} says {cell!r} for {role} on {name}: {status}"
            if cell == "yes":
                assert status not in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED), where
            else:
                assert cell == "no", where
                assert status == grpc.StatusCode.PERMISSION_DENIED, where
