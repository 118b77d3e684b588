"""Ticketing's materials in the books, end to end over the ledger's gRPC API with a service's token:
a voucher close to the 10 MiB limit (beyond gRPC's default message size) uploaded on behalf of a
firm member, an expense proposed for a ticket on that member's behalf — idempotent by its key, the
key refused for another proposal — shown with its ticket over HTTP, announced with it on Kafka, and
never approved by the member it was proposed for."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Iterator

import grpc
import httpx
import pytest

from tests.e2e.conftest import onboard, wait_for_books
from tests.harness import bearer, estate_events, grpc_target, http_url, service_token, unique_code, user_token
from xinyi.ledger.v1 import events_pb2, ledger_pb2, ledger_pb2_grpc

pytestmark = pytest.mark.e2e

LEDGER_TOPIC = "xinyi.ledger.events.v1"
MIB = 1024 * 1024


def subject_of(token: str) -> str:
    payload = token.split(".")[1]
    return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"])


def receipt_photo(size: int) -> bytes:
    """A phone's JPEG of a receipt, ``size`` bytes (start and end-of-image markers, unique content)."""
    head = b"\xff\xd8\xff\xe0" + uuid.uuid4().bytes
    return head + b"\0" * (size - len(head) - 2) + b"\xff\xd9"


@pytest.fixture
def estate(tenant_api, admin_token, make_member, keycloak) -> Iterator[tuple[str, httpx.Client, str, str, str]]:
    """An estate with its books open, a firm member who is also a supervisor (so that only the rule,
    not the role, keeps it from approving what was proposed for it) and another supervisor."""
    code = unique_code("materials")
    assert onboard(tenant_api, admin_token, code).status_code == 201
    staff_name, _ = make_member(code, "firm_staff")
    _, supervisor = make_member(code, "supervisor")
    keycloak.grant_role(staff_name, "supervisor")
    staff = user_token(staff_name)
    wait_for_books(code, staff)
    ledger = httpx.Client(base_url=f"{http_url('ledger')}/v1/estates/{code}", timeout=60)
    yield code, ledger, staff_name, staff, supervisor
    ledger.close()


def test_ticketing_proposes_an_expense_for_a_ticket_on_a_firm_members_behalf(estate) -> None:
    code, ledger, staff_name, staff, supervisor = estate
    service = [("authorization", f"Bearer {service_token('ticketing-service')}")]
    member = [("authorization", f"Bearer {staff}")]
    ticket = f"T-{uuid.uuid4().hex[:12]}"

    with grpc.insecure_channel(grpc_target("ledger")) as channel:
        stub = ledger_pb2_grpc.LedgerServiceStub(channel)

        def refused(call, request, metadata=service) -> grpc.StatusCode:
            with pytest.raises(grpc.RpcError) as error:
                call(request, metadata=metadata, timeout=60)
            return error.value.code()

        # --- the voucher ------------------------------------------------------------------------------
        photo = receipt_photo(10 * MIB - 4096)
        upload = ledger_pb2.UploadVoucherRequest(
            estate_code=code, content=photo, file_name="收据.jpg", uploaded_by=subject_of(staff)
        )
        ref = stub.UploadVoucher(upload, metadata=service, timeout=60)
        assert (ref.sha256, ref.size, ref.media_type) == (hashlib.sha256(photo).hexdigest(), len(photo), "image/jpeg")
        assert refused(stub.UploadVoucher, upload, member) == grpc.StatusCode.PERMISSION_DENIED
        program = ledger_pb2.UploadVoucherRequest(
            estate_code=code, content=b"MZ\x90\x00" + b"\0" * 60, file_name="收据.jpg", uploaded_by=subject_of(staff)
        )
        assert refused(stub.UploadVoucher, program) == grpc.StatusCode.INVALID_ARGUMENT
        too_large = ledger_pb2.UploadVoucherRequest(
            estate_code=code, content=receipt_photo(10 * MIB + 1), uploaded_by=subject_of(staff)
        )
        assert refused(stub.UploadVoucher, too_large) == grpc.StatusCode.INVALID_ARGUMENT
        downloaded = ledger.get(f"/vouchers/{ref.sha256}", headers=bearer(supervisor))
        assert downloaded.status_code == 200 and downloaded.content == photo

        # --- the proposal -----------------------------------------------------------------------------
        proposal = ledger_pb2.ProposeExpenseRequest(
            estate_code=code,
            idempotency_key=f"ticket-{ticket}-materials",
            payee="五金店",
            amount_fen=3_500,
            account="5600",
            description=f"工单 {ticket}：水龙头一个",
            vouchers=[ref.sha256],
            proposed_by=subject_of(staff),
            proposed_by_name=staff_name,
            ticket_id=ticket,
        )
        without_key = ledger_pb2.ProposeExpenseRequest()
        without_key.CopyFrom(proposal)
        without_key.idempotency_key = ""
        assert refused(stub.ProposeExpense, without_key) == grpc.StatusCode.INVALID_ARGUMENT
        assert refused(stub.ProposeExpense, proposal, member) == grpc.StatusCode.PERMISSION_DENIED

        first = stub.ProposeExpense(proposal, metadata=service, timeout=60)
        assert (first.status, first.escalation, first.replayed, first.ticket_id) == (
            "proposed",
            "ballot",  # no budget adopted yet: the households decide it
            False,
            ticket,
        )
        again = stub.ProposeExpense(proposal, metadata=service, timeout=60)
        assert (again.expense_id, again.replayed, again.ticket_id) == (first.expense_id, True, ticket)
        for field, value in (("amount_fen", 3_600), ("ticket_id", f"{ticket}-b")):
            other = ledger_pb2.ProposeExpenseRequest()
            other.CopyFrom(proposal)
            setattr(other, field, value)
            assert refused(stub.ProposeExpense, other) == grpc.StatusCode.ALREADY_EXISTS

    # --- the expense, over HTTP and on Kafka --------------------------------------------------------------
    listed = ledger.get("/expenses", headers=bearer(supervisor)).json()
    assert [(e["id"], e["ticket_id"]) for e in listed] == [(first.expense_id, ticket)], "proposed once"
    detail = ledger.get(f"/expenses/{first.expense_id}", headers=bearer(supervisor)).json()
    assert (detail["ticket_id"], detail["proposed_by"], detail["status"]) == (ticket, staff_name, "proposed")
    assert [v["sha256"] for v in detail["vouchers"]] == [ref.sha256]
    assert [h["by"] for h in detail["history"]] == [staff_name]
    (event,) = [
        events_pb2.ExpenseProposed.FromString(payload)
        for payload in estate_events(LEDGER_TOPIC, code, "xinyi.ledger.v1.ExpenseProposed")
    ]
    assert (event.expense_id, event.ticket_id, event.amount_fen) == (first.expense_id, ticket, 3_500)

    # The member it was proposed for never decides it, though a supervisor too; another supervisor does.
    own = ledger.post(f"/expenses/{first.expense_id}/approve", headers=bearer(staff))
    assert own.status_code == 403 and "proposer" in own.json()["reason"]
    approved = ledger.post(f"/expenses/{first.expense_id}/approve", headers=bearer(supervisor))
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["ticket_id"]) == ("awaiting_ballot", ticket)
