"""gRPC API of the micro-fund for the platform's other services (thin: authorise, read, map)."""

from __future__ import annotations

from collections.abc import Callable

import grpc

from microfund_service.domain.fund import DonorKind, GrantStatus
from microfund_service.service_layer import funds
from microfund_service.service_layer.funds import Microfund
from xinyi.microfund.v1 import microfund_pb2, microfund_pb2_grpc
from xinyi_shared.auth import Role, require_role
from xinyi_shared.errors import InvalidInput
from xinyi_shared.grpc_server import current_principal

OPEN = frozenset({GrantStatus.APPLIED, GrantStatus.AWAITING_BALLOT, GrantStatus.APPROVED})


class MicrofundServicer(microfund_pb2_grpc.MicrofundServiceServicer):
    def __init__(self, app: Callable[[], Microfund]) -> None:
        self._app = app

    def GetFund(
        self, request: microfund_pb2.GetFundRequest, context: grpc.ServicerContext
    ) -> microfund_pb2.FundSummary:
        principal = current_principal()
        require_role(principal, Role.SERVICE)
        if not request.community_code:
            raise InvalidInput("community_code is required")
        s = funds.statement(self._app(), request.community_code, principal)
        return microfund_pb2.FundSummary(
            community_code=request.community_code,
            name=s.fund.name,
            estate_codes=s.estates,
            balance_fen=s.balances.get("1000", 0),
            pledged_fen=sum(f.pledged_fen for f in s.firms),
            received_from_firms_fen=sum(f.received_fen for f in s.firms),
            other_donations_fen=sum(
                d.donation.amount_fen for d in s.donations if d.donation.source is not DonorKind.FIRM
            ),
            granted_fen=s.balances.get("5000", 0),
            disbursed_fen=sum(g.disbursed_fen for g, _ in s.grants),
            grants_open=sum(g.status in OPEN for g, _ in s.grants),
        )


def register(app: Callable[[], Microfund]) -> Callable[[grpc.Server], None]:
    def add(server: grpc.Server) -> None:
        microfund_pb2_grpc.add_MicrofundServiceServicer_to_server(MicrofundServicer(app), server)

    return add
