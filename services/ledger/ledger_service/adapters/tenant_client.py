"""The tenant service as the ledger sees it: the estate's terms, read over gRPC."""

from __future__ import annotations

from decimal import Decimal

import grpc

from ledger_service.domain.books import EstateTerms
from xinyi.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from xinyi_shared.auth import ServiceTokenProvider
from xinyi_shared.grpc_client import call_metadata, translate_rpc_error
from xinyi_shared.settings import ServiceSettings


class TenantClient:
    def __init__(self, settings: ServiceSettings, tokens: ServiceTokenProvider) -> None:
        self._channel = grpc.insecure_channel(settings.tenant_grpc_target)
        self._stub = tenant_pb2_grpc.TenantServiceStub(self._channel)
        self._tokens = tokens

    def estate_terms(self, estate_code: str) -> EstateTerms:
        try:
            estate = self._stub.GetEstate(
                tenant_pb2.GetEstateRequest(estate_code=estate_code), metadata=call_metadata(self._tokens), timeout=10
            )
        except grpc.RpcError as error:
            raise translate_rpc_error(error) from error
        return EstateTerms(
            estate_code=estate.code,
            fee_rate_fen_per_sqm_month=Decimal(estate.fee_rate_fen_per_sqm_month),
            remuneration_share_bps=estate.remuneration_share_bps,
            donation_share_bps=estate.donation_share_bps,
        )

    def close(self) -> None:
        self._channel.close()
