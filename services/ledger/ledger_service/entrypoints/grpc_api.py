"""gRPC API of the trust books for the other services."""

from __future__ import annotations

from collections.abc import Callable

import grpc

from ledger_service.domain.books import AccountType
from ledger_service.service_layer.books import chart_of_accounts
from xinyi.ledger.v1 import ledger_pb2, ledger_pb2_grpc
from xinyi_shared.auth import ESTATE_ROLES, Role, require_estate_access
from xinyi_shared.db import Database
from xinyi_shared.errors import InvalidInput
from xinyi_shared.grpc_server import current_principal

ACCOUNT_TYPE_TO_PROTO = {
    AccountType.ASSET: ledger_pb2.ACCOUNT_TYPE_ASSET,
    AccountType.LIABILITY: ledger_pb2.ACCOUNT_TYPE_LIABILITY,
    AccountType.EQUITY: ledger_pb2.ACCOUNT_TYPE_EQUITY,
    AccountType.INCOME: ledger_pb2.ACCOUNT_TYPE_INCOME,
    AccountType.EXPENSE: ledger_pb2.ACCOUNT_TYPE_EXPENSE,
}


class LedgerServicer(ledger_pb2_grpc.LedgerServiceServicer):
    def __init__(self, database: Database) -> None:
        self._database = database

    def GetChartOfAccounts(
        self, request: ledger_pb2.GetChartOfAccountsRequest, context: grpc.ServicerContext
    ) -> ledger_pb2.ChartOfAccounts:
        if not request.estate_code:
            raise InvalidInput("estate_code is required")
        require_estate_access(current_principal(), request.estate_code, Role.SERVICE, *ESTATE_ROLES)
        books = chart_of_accounts(self._database, request.estate_code)
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


def register(database: Database) -> Callable[[grpc.Server], None]:
    def add(server: grpc.Server) -> None:
        ledger_pb2_grpc.add_LedgerServiceServicer_to_server(LedgerServicer(database), server)

    return add
