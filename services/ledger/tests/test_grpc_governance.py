"""The ledger's gRPC methods for ticketing's materials (entrypoints/grpc_api.py), in process against
the fakes: UploadVoucher and ProposeExpense are for the platform's services only, act on behalf of
the person the request names (who then never approves the expense), need an idempotency key for a
proposal and answer a retry with the first proposal.

The servicer is called directly with the caller set as the interceptor sets it; how errors become
gRPC status codes is services/shared/tests/test_grpc_server.py's (Conflict: ALREADY_EXISTS,
InvalidInput: INVALID_ARGUMENT, PermissionDenied: PERMISSION_DENIED)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from ledger_service.domain.expenses import ExpenseStatus
from ledger_service.entrypoints.grpc_api import LedgerServicer
from ledger_service.service_layer import governance
from services.ledger.tests.fakes import FakeBooks
from services.ledger.tests.test_governance import ESTATE, OTHER, RULES, SUPERVISOR, TODAY, png
from xinyi.ledger.v1 import events_pb2, ledger_pb2
from xinyi_shared.auth import Principal, Role
from xinyi_shared.blobs import FilesystemBlobStore
from xinyi_shared.db import Database
from xinyi_shared.errors import Conflict, InvalidInput, PermissionDenied
from xinyi_shared.grpc_server import principal_var

SERVICE = Principal("ticketing-sa", "service-account-ticketing-service", frozenset({Role.SERVICE}), frozenset())
STAFF_SUBJECT = "5f0c3c1e-1111-4222-8333-944455556666"


def person(*roles: str) -> Principal:
    return Principal("someone", "someone", frozenset(roles), frozenset({ESTATE}))


@pytest.fixture
def books() -> Iterator[FakeBooks]:
    books = FakeBooks(TODAY)
    books.open_estate(ESTATE, first_period="2026-03", rules=RULES)
    books.open_estate(OTHER, first_period="2026-03", rules=RULES)
    yield books
    books.check_consistency()


@pytest.fixture
def servicer(books: FakeBooks, tmp_path: Path) -> LedgerServicer:
    return LedgerServicer(cast(Database, None), books.uow, FilesystemBlobStore(tmp_path))


@pytest.fixture(autouse=True)
def caller() -> Iterator[None]:
    token = principal_var.set(SERVICE)
    yield
    principal_var.reset(token)


def as_caller(principal: Principal) -> None:
    principal_var.set(principal)


def upload(servicer: LedgerServicer, seed: int = 1, **changes: Any) -> ledger_pb2.VoucherRef:
    fields: dict[str, Any] = {
        "estate_code": ESTATE,
        "content": png(seed),
        "file_name": f"receipt-{seed}.png",
        "uploaded_by": STAFF_SUBJECT,
    }
    return servicer.UploadVoucher(ledger_pb2.UploadVoucherRequest(**(fields | changes)), cast(Any, None))


def proposal(uploaded: list[str], **changes: Any) -> ledger_pb2.ProposeExpenseRequest:
    fields: dict[str, Any] = {
        "estate_code": ESTATE,
        "idempotency_key": "ticket-T-42-materials",
        "payee": "五金店",
        "amount_fen": 3_500,
        "account": "5600",
        "description": "工单 T-42：水龙头",
        "vouchers": uploaded,
        "proposed_by": STAFF_SUBJECT,
        "proposed_by_name": "firm-staff",
        "ticket_id": "T-42",
    }
    return ledger_pb2.ProposeExpenseRequest(**(fields | changes))


def propose(servicer: LedgerServicer, request: ledger_pb2.ProposeExpenseRequest) -> ledger_pb2.ProposedExpense:
    return servicer.ProposeExpense(request, cast(Any, None))


def test_a_service_uploads_a_voucher_on_a_persons_behalf(servicer: LedgerServicer, books: FakeBooks) -> None:
    ref = upload(servicer)
    assert (ref.size, ref.media_type, len(ref.sha256)) == (len(png()), "image/png", 64)
    row = books.tables.vouchers[(ESTATE, ref.sha256)]
    assert (row.uploaded_by, row.voucher.file_name) == (STAFF_SUBJECT, "receipt-1.png")
    assert upload(servicer) == ref, "the same bytes: the same voucher"


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"uploaded_by": ""}, InvalidInput, "uploaded_by"),
        ({"content": b"just text"}, InvalidInput, "unrecognised"),
        ({"content": b""}, InvalidInput, "empty"),
        ({"estate_code": ""}, InvalidInput, "estate_code"),
    ],
)
def test_a_voucher_upload_is_refused_when(
    servicer: LedgerServicer, books: FakeBooks, changes: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        upload(servicer, **changes)
    assert books.tables.vouchers == {}


def test_a_voucher_of_read_only_books_is_refused(servicer: LedgerServicer, books: FakeBooks) -> None:
    books.set_status(ESTATE, "suspended")
    with pytest.raises(Conflict, match="read-only"):
        upload(servicer)


@pytest.mark.parametrize("role", [Role.FIRM_MANAGER, Role.FIRM_STAFF, Role.SUPERVISOR, Role.PLATFORM_ADMIN])
def test_only_the_platforms_services_call_them(servicer: LedgerServicer, books: FakeBooks, role: str) -> None:
    sha = upload(servicer).sha256
    as_caller(person(role))
    with pytest.raises(PermissionDenied):
        upload(servicer, 2)
    with pytest.raises(PermissionDenied):
        propose(servicer, proposal([sha]))
    assert books.tables.expenses == {}


def test_a_proposal_made_through_a_service_is_the_persons_and_names_its_ticket(
    servicer: LedgerServicer, books: FakeBooks
) -> None:
    sha = upload(servicer).sha256
    answer = propose(servicer, proposal([sha]))
    assert (answer.status, answer.escalation, answer.replayed, answer.ticket_id) == (
        "proposed",
        "ballot",
        False,
        "T-42",
    )
    detail = governance.get_expense(books.uow(ESTATE), answer.expense_id)
    assert (detail.expense.proposed_by, detail.expense.proposed_by_name) == (STAFF_SUBJECT, "firm-staff")
    assert detail.expense.ticket_id == "T-42"
    assert [h.actor_name for h in detail.history] == ["firm-staff"]
    (event,) = [m for m in books.published(ESTATE) if isinstance(m, events_pb2.ExpenseProposed)]
    assert (event.expense_id, event.ticket_id) == (answer.expense_id, "T-42")
    # The person it was proposed for never decides it; the supervisor does.
    governance_actor = governance.Actor(STAFF_SUBJECT, "firm-staff")
    with pytest.raises(PermissionDenied, match="proposer"):
        governance.approve_expense(books.uow(ESTATE), answer.expense_id, governance_actor)
    decided = governance.approve_expense(books.uow(ESTATE), answer.expense_id, SUPERVISOR)
    assert decided.status is ExpenseStatus.AWAITING_BALLOT  # no budget adopted: the households decide


def test_a_retry_answers_the_first_proposal_and_another_body_is_refused(
    servicer: LedgerServicer, books: FakeBooks
) -> None:
    sha = upload(servicer).sha256
    first = propose(servicer, proposal([sha]))
    again = propose(servicer, proposal([sha]))
    assert again.replayed and (again.expense_id, again.status, again.ticket_id) == (
        first.expense_id,
        first.status,
        "T-42",
    )
    for changes in ({"amount_fen": 3_600}, {"ticket_id": "T-43"}, {"ticket_id": ""}):
        with pytest.raises(Conflict, match="different request"):
            propose(servicer, proposal([sha], **changes))
    assert len(books.tables.expenses) == 1


def test_without_a_ticket_the_answer_names_none(servicer: LedgerServicer, books: FakeBooks) -> None:
    sha = upload(servicer).sha256
    answer = propose(servicer, proposal([sha], ticket_id="", proposed_by_name=""))
    assert answer.ticket_id == ""
    stored = governance.get_expense(books.uow(ESTATE), answer.expense_id).expense
    assert (stored.ticket_id, stored.proposed_by_name) == (None, STAFF_SUBJECT), "the subject, when no name is given"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"idempotency_key": ""}, "Idempotency-Key"),
        ({"idempotency_key": "short"}, "Idempotency-Key"),
        ({"proposed_by": ""}, "proposed_by"),
        ({"proposed_by": "x" * 129}, "proposed_by"),
        ({"proposed_by_name": "a\nb"}, "proposed_by_name"),
        ({"ticket_id": "x" * 129}, "ticket_id"),
        ({"payee": ""}, "payee"),
        ({"amount_fen": 0}, "amount_fen"),
        ({"account": "1000"}, "5100-5999"),
        ({"vouchers": []}, "vouchers"),
        ({"vouchers": ["f" * 64]}, "not uploaded"),
        ({"estate_code": ""}, "estate_code"),
    ],
)
def test_a_proposal_is_refused_when(
    servicer: LedgerServicer, books: FakeBooks, changes: dict[str, Any], message: str
) -> None:
    sha = upload(servicer).sha256
    with pytest.raises(InvalidInput, match=message):
        propose(servicer, proposal([sha], **changes))
    assert books.tables.expenses == {}


def test_a_voucher_of_another_estate_is_not_this_ones(servicer: LedgerServicer, books: FakeBooks) -> None:
    foreign = upload(servicer, estate_code=OTHER).sha256
    with pytest.raises(InvalidInput, match="not uploaded to this estate"):
        propose(servicer, proposal([foreign]))
