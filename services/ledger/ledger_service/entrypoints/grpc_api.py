"""gRPC API of the trust books and the community micro-funds' books for the other services (thin:
authorise, call a use case, map). A request names its book: "trust" (an estate's, by estate_code) or
"fund" (a community's micro-fund, by community_code; the platform's services only)."""

from __future__ import annotations

from collections.abc import Callable

import grpc

from ledger_service.domain.books import AccountType
from ledger_service.domain.expenses import Proposal
from ledger_service.domain.funds import FundBook, fund_book_code
from ledger_service.domain.views import Posted
from ledger_service.service_layer import funds, governance, postings, views
from ledger_service.service_layer.books import chart_of_accounts
from ledger_service.service_layer.common import check_key
from ledger_service.service_layer.governance import Actor
from ledger_service.service_layer.unit_of_work import LedgerUnitOfWork
from xinyi.ledger.v1 import ledger_pb2, ledger_pb2_grpc
from xinyi_shared.auth import ESTATE_ROLES, Role, require_estate_access, require_role
from xinyi_shared.blobs import BlobStore
from xinyi_shared.db import Database
from xinyi_shared.errors import Conflict, InvalidInput, NotFound, XinyiError
from xinyi_shared.grpc_server import current_principal

ACCOUNT_TYPE_TO_PROTO = {
    AccountType.ASSET: ledger_pb2.ACCOUNT_TYPE_ASSET,
    AccountType.LIABILITY: ledger_pb2.ACCOUNT_TYPE_LIABILITY,
    AccountType.EQUITY: ledger_pb2.ACCOUNT_TYPE_EQUITY,
    AccountType.INCOME: ledger_pb2.ACCOUNT_TYPE_INCOME,
    AccountType.EXPENSE: ledger_pb2.ACCOUNT_TYPE_EXPENSE,
}
BOOKS = ("trust", "fund")
FUND = "fund"
# The status a refused item of a batch carries: what the single-transaction call would answer.
ERROR_CODES: dict[type[XinyiError], str] = {
    InvalidInput: "INVALID_ARGUMENT",
    Conflict: "ALREADY_EXISTS",
    NotFound: "NOT_FOUND",
}
MAX_SUBJECT_LENGTH = 128  # a token subject (Keycloak: a UUID)
MAX_NAME_LENGTH = 200


def _estate(code: str, *roles: str) -> str:
    if not code:
        raise InvalidInput("estate_code is required")
    require_estate_access(current_principal(), code, *roles)
    return code


def _book(book: str) -> None:
    if book not in BOOKS:
        raise InvalidInput(f"unknown book {book!r}: one of {', '.join(BOOKS)}")


def _fund(community_code: str, estate_code: str = "") -> str:
    """The book code of a community's fund, for the platform's services only (checked first)."""
    require_role(current_principal(), Role.SERVICE)
    if estate_code:
        raise InvalidInput("a fund's book is named by community_code; estate_code stays empty")
    if not community_code:
        raise InvalidInput("community_code is required for book 'fund'")
    return fund_book_code(community_code)


def _fund_book(book: FundBook, opened_now: bool) -> ledger_pb2.FundBook:
    return ledger_pb2.FundBook(
        community_code=book.community_code,
        name=book.name,
        accounts=[
            ledger_pb2.Account(code=a.code, name=a.name, name_zh=a.name_zh, type=ACCOUNT_TYPE_TO_PROTO[a.type])
            for a in book.accounts
        ],
        opened_now=opened_now,
    )


def _lines(lines: list[ledger_pb2.PostingLine]) -> list[tuple[str, int, str | None]]:
    return [(line.account, line.amount_fen, line.household_id or None) for line in lines]


def _on_behalf_of(field: str, subject: str, name: str = "") -> Actor:
    """The person a service acts for: their token subject (required: the proposer never approves)
    and the name the history shows (the subject when none is given)."""
    if not subject:
        raise InvalidInput(f"{field} (the token subject of the person the service acts for) is required")
    if len(subject) > MAX_SUBJECT_LENGTH or not subject.isprintable() or subject != subject.strip():
        raise InvalidInput(f"{field} must be a token subject of at most {MAX_SUBJECT_LENGTH} printable characters")
    name = name.strip()
    if len(name) > MAX_NAME_LENGTH or not name.isprintable():
        raise InvalidInput(f"{field}_name must be at most {MAX_NAME_LENGTH} printable characters")
    return Actor(subject=subject, name=name or subject)


class LedgerServicer(ledger_pb2_grpc.LedgerServiceServicer):
    def __init__(
        self, database: Database, uow_factory: Callable[[str], LedgerUnitOfWork], blob_store: BlobStore
    ) -> None:
        self._database = database
        self._uow = uow_factory
        self._blobs = blob_store

    def GetChartOfAccounts(
        self, request: ledger_pb2.GetChartOfAccountsRequest, context: grpc.ServicerContext
    ) -> ledger_pb2.ChartOfAccounts:
        code = _estate(request.estate_code, Role.SERVICE, *ESTATE_ROLES)
        books = chart_of_accounts(self._database, code)
        return ledger_pb2.ChartOfAccounts(
            estate_code=books.terms.estate_code,
            fee_rate_fen_per_sqm_month=str(books.terms.fee_rate_fen_per_sqm_month),
            remuneration_share_bps=books.terms.remuneration_share_bps,
            donation_share_bps=books.terms.donation_share_bps,
            accounts=[
                ledger_pb2.Account(code=a.code, name=a.name, name_zh=a.name_zh, type=ACCOUNT_TYPE_TO_PROTO[a.type])
                for a in books.accounts
            ],
        )

    def PostTransaction(
        self, request: ledger_pb2.PostTransactionRequest, context: grpc.ServicerContext
    ) -> ledger_pb2.PostedTransaction:
        if request.book == FUND:
            code = _fund(request.community_code, request.estate_code)
            post = funds.post_fund_transaction
        else:
            code = _estate(request.estate_code, Role.SERVICE)
            _book(request.book)
            post = postings.post_transaction
        result, replayed = post(
            self._uow(code),
            request.idempotency_key,
            request.kind,
            request.memo,
            _lines(list(request.lines)),
            current_principal().username,
        )
        return ledger_pb2.PostedTransaction(
            transaction_id=result.transaction_id, period=result.period, replayed=replayed
        )

    def PostTransactions(
        self, request: ledger_pb2.PostTransactionsRequest, context: grpc.ServicerContext
    ) -> ledger_pb2.PostTransactionsResponse:
        items = [(t.idempotency_key, t.kind, t.memo, _lines(list(t.lines))) for t in request.transactions]
        outcomes: list[tuple[Posted, bool] | XinyiError]
        if request.book == FUND:
            code = _fund(request.community_code, request.estate_code)
            outcomes = funds.post_fund_transactions(self._uow(code), items, current_principal().username)
        else:
            code = _estate(request.estate_code, Role.SERVICE)
            _book(request.book or "trust")
            outcomes = postings.post_transactions(self._uow(code), items, current_principal().username)
        response = ledger_pb2.PostTransactionsResponse()
        for (key, _, _, _), outcome in zip(items, outcomes, strict=True):
            if isinstance(outcome, XinyiError):
                response.refused += 1
                response.results.append(
                    ledger_pb2.PostTransactionResult(
                        idempotency_key=key,
                        error_code=ERROR_CODES.get(type(outcome), "FAILED_PRECONDITION"),
                        error_reason=outcome.reason,
                    )
                )
                continue
            posted, replayed = outcome
            if replayed:
                response.replayed += 1
            else:
                response.posted += 1
            response.results.append(
                ledger_pb2.PostTransactionResult(
                    idempotency_key=key, transaction_id=posted.transaction_id, period=posted.period, replayed=replayed
                )
            )
        return response

    def GetBalances(self, request: ledger_pb2.GetBalancesRequest, context: grpc.ServicerContext) -> ledger_pb2.Balances:
        if request.book == FUND:
            balances = funds.balances(self._uow(_fund(request.community_code, request.estate_code)))
        else:
            code = _estate(request.estate_code, Role.SERVICE, *ESTATE_ROLES)
            _book(request.book or "trust")
            balances = views.balances(self._uow(code))
        return ledger_pb2.Balances(
            balances=[ledger_pb2.Balance(account=a, balance_fen=f) for a, f in sorted(balances.items())]
        )

    def GetStatement(
        self, request: ledger_pb2.GetStatementRequest, context: grpc.ServicerContext
    ) -> ledger_pb2.Statement:
        code = _estate(request.estate_code, Role.SERVICE, *ESTATE_ROLES)
        s = views.get_statement(self._uow(code), request.period)
        return ledger_pb2.Statement(
            estate_code=code,
            period=s["period"],
            closed=s["closed"],
            opening_balance_fen=s["opening_balance_fen"],
            fees_billed_fen=s["fees_billed_fen"],
            fees_collected_fen=s["fees_collected_fen"],
            collection_rate_bps=s["collection_rate_bps"],
            common_income_by_kind=s["common_income_by_kind"],
            expenses_by_budget_line=s["expenses_by_budget_line"],
            remuneration_fen=s["remuneration_fen"],
            donation_fen=s["donation_fen"],
            closing_balance_fen=s["closing_balance_fen"],
            surplus_year_to_date_fen=s["surplus_year_to_date_fen"],
        )

    def UploadVoucher(
        self, request: ledger_pb2.UploadVoucherRequest, context: grpc.ServicerContext
    ) -> ledger_pb2.VoucherRef:
        code = _estate(request.estate_code, Role.SERVICE)
        actor = _on_behalf_of("uploaded_by", request.uploaded_by)
        voucher = governance.upload_voucher(self._uow(code), self._blobs, request.content, request.file_name, actor)
        return ledger_pb2.VoucherRef(sha256=voucher.sha256, size=voucher.size, media_type=voucher.media_type)

    def ProposeExpense(
        self, request: ledger_pb2.ProposeExpenseRequest, context: grpc.ServicerContext
    ) -> ledger_pb2.ProposedExpense:
        code = _estate(request.estate_code, Role.SERVICE)
        key = check_key(request.idempotency_key)
        actor = _on_behalf_of("proposed_by", request.proposed_by, request.proposed_by_name)
        proposal = Proposal(
            request.payee, request.amount_fen, request.account, request.description, tuple(request.vouchers)
        )
        stored, replayed = governance.propose_expense(
            self._uow(code), proposal, actor, key, ticket_id=request.ticket_id or None
        )
        return ledger_pb2.ProposedExpense(
            expense_id=stored.id,
            status=stored.status.value,
            escalation=stored.escalation.value,
            replayed=replayed,
            ticket_id=stored.ticket_id or "",
        )

    def OpenFundBook(
        self, request: ledger_pb2.OpenFundBookRequest, context: grpc.ServicerContext
    ) -> ledger_pb2.FundBook:
        code = _fund(request.community_code)
        book, opened_now = funds.open_fund_book(self._uow(code), request.name, current_principal().username)
        return _fund_book(book, opened_now)

    def PublishFundCheckpoint(
        self, request: ledger_pb2.PublishFundCheckpointRequest, context: grpc.ServicerContext
    ) -> ledger_pb2.FundCheckpoint:
        code = _fund(request.community_code)
        published = funds.publish_checkpoint(self._uow(code))
        return ledger_pb2.FundCheckpoint(
            community_code=request.community_code, tree_size=published.tree_size, note=published.note
        )


def register(
    database: Database, uow_factory: Callable[[str], LedgerUnitOfWork], blob_store: BlobStore
) -> Callable[[grpc.Server], None]:
    def add(server: grpc.Server) -> None:
        ledger_pb2_grpc.add_LedgerServiceServicer_to_server(LedgerServicer(database, uow_factory, blob_store), server)

    return add
