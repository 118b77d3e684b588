"""The tenant and ledger services as ticketing sees them (gRPC, with ticketing's service token)."""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from xinyi.ledger.v1 import ledger_pb2, ledger_pb2_grpc
from xinyi.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from xinyi_shared.auth import ServiceTokenProvider
from xinyi_shared.errors import Conflict, NotFound, XinyiError
from xinyi_shared.grpc_client import call_metadata, channel, translate_rpc_error
from xinyi_shared.settings import ServiceSettings

# A voucher is up to 10 MiB; the request around it a little more.
MAX_MESSAGE_BYTES = 12 * 1024 * 1024


@dataclass(frozen=True)
class Membership:
    households: frozenset[str]
    grids: frozenset[str]


@dataclass(frozen=True)
class ProposedExpense:
    expense_id: str
    status: str
    escalation: str


def _error(error: grpc.RpcError) -> XinyiError:
    if error.code() in (grpc.StatusCode.ALREADY_EXISTS, grpc.StatusCode.FAILED_PRECONDITION):
        return Conflict(error.details() or error.code().name)
    return translate_rpc_error(error)


class TenantDirectory:
    """Who a person is in an estate (its households, the grids it leads) and a household's grid."""

    def __init__(self, settings: ServiceSettings, tokens: ServiceTokenProvider) -> None:
        self._channel = channel(settings.tenant_grpc_target)
        self._stub = tenant_pb2_grpc.TenantServiceStub(self._channel)
        self._tokens = tokens

    def membership(self, estate_code: str, subject: str, username: str) -> Membership:
        try:
            answer = self._stub.CheckMembership(
                tenant_pb2.CheckMembershipRequest(estate_code=estate_code, user_id=subject, username=username),
                metadata=call_metadata(self._tokens),
                timeout=10,
            )
        except grpc.RpcError as error:
            raise _error(error) from error
        return Membership(frozenset(answer.household_ids), frozenset(answer.led_grid_codes))

    def household_grid(self, estate_code: str, household_id: str) -> str | None:
        """The household's grid; NotFound for a household the estate does not have; None without a grid."""
        try:
            self._stub.GetHousehold(
                tenant_pb2.GetHouseholdRequest(estate_code=estate_code, household_id=household_id),
                metadata=call_metadata(self._tokens),
                timeout=10,
            )
        except grpc.RpcError as error:
            if error.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                raise NotFound("no such household in this estate") from error
            raise _error(error) from error
        try:
            grid = self._stub.ResolveGrid(
                tenant_pb2.ResolveGridRequest(estate_code=estate_code, household_id=household_id),
                metadata=call_metadata(self._tokens),
                timeout=10,
            )
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise _error(error) from error
        return grid.code or None

    def household_count(self, estate_code: str) -> int:
        try:
            return sum(
                len(page.households)
                for page in self._stub.ListHouseholdPages(
                    tenant_pb2.ListHouseholdsRequest(estate_code=estate_code),
                    metadata=call_metadata(self._tokens),
                    timeout=60,
                )
            )
        except grpc.RpcError as error:
            raise _error(error) from error

    def estate_staff(self, estate_code: str) -> frozenset[str]:
        """The account ids of the estate's firm (whom a ticket may be assigned to)."""
        try:
            answer = self._stub.ListEstateStaff(
                tenant_pb2.ListEstateStaffRequest(estate_code=estate_code),
                metadata=call_metadata(self._tokens),
                timeout=15,
            )
        except grpc.RpcError as error:
            raise _error(error) from error
        return frozenset(account.account_id for account in answer.accounts)

    def close(self) -> None:
        self._channel.close()


class LedgerExpenses:
    """The ledger's expense proposals: receipts uploaded as vouchers, the proposal made for a person."""

    def __init__(self, settings: ServiceSettings, tokens: ServiceTokenProvider) -> None:
        self._channel = channel(
            settings.ledger_grpc_target,
            options=[
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ],
        )
        self._stub = ledger_pb2_grpc.LedgerServiceStub(self._channel)
        self._tokens = tokens

    def upload_voucher(self, estate_code: str, content: bytes, file_name: str, uploaded_by: str) -> str:
        try:
            ref = self._stub.UploadVoucher(
                ledger_pb2.UploadVoucherRequest(
                    estate_code=estate_code, content=content, file_name=file_name, uploaded_by=uploaded_by
                ),
                metadata=call_metadata(self._tokens),
                timeout=60,
            )
        except grpc.RpcError as error:
            raise _error(error) from error
        return str(ref.sha256)

    def propose(
        self,
        estate_code: str,
        key: str,
        *,
        payee: str,
        amount_fen: int,
        account: str,
        description: str,
        vouchers: tuple[str, ...],
        proposed_by: str,
        proposed_by_name: str,
        ticket_id: str,
    ) -> ProposedExpense:
        try:
            answer = self._stub.ProposeExpense(
                ledger_pb2.ProposeExpenseRequest(
                    estate_code=estate_code,
                    idempotency_key=key,
                    payee=payee,
                    amount_fen=amount_fen,
                    account=account,
                    description=description,
                    vouchers=list(vouchers),
                    proposed_by=proposed_by,
                    proposed_by_name=proposed_by_name,
                    ticket_id=ticket_id,
                ),
                metadata=call_metadata(self._tokens),
                timeout=30,
            )
        except grpc.RpcError as error:
            raise _error(error) from error
        return ProposedExpense(answer.expense_id, answer.status, answer.escalation)

    def close(self) -> None:
        self._channel.close()
