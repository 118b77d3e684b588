"""The ledger as the micro-fund sees it: the community's fund book (gRPC, microfund's service token)."""

from __future__ import annotations

import grpc

from xinyi.ledger.v1 import ledger_pb2, ledger_pb2_grpc
from xinyi_shared.auth import ServiceTokenProvider
from xinyi_shared.errors import Conflict, XinyiError
from xinyi_shared.grpc_client import call_metadata, channel, translate_rpc_error
from xinyi_shared.settings import ServiceSettings

FUND_BOOK = "fund"


def _error(error: grpc.RpcError) -> XinyiError:
    if error.code() in (grpc.StatusCode.ALREADY_EXISTS, grpc.StatusCode.FAILED_PRECONDITION):
        return Conflict(error.details() or error.code().name)
    return translate_rpc_error(error)


class FundBooks:
    def __init__(self, settings: ServiceSettings, tokens: ServiceTokenProvider) -> None:
        self._channel = channel(settings.ledger_grpc_target)
        self._stub = ledger_pb2_grpc.LedgerServiceStub(self._channel)
        self._tokens = tokens

    def open_book(self, community_code: str, name: str) -> None:
        try:
            self._stub.OpenFundBook(
                ledger_pb2.OpenFundBookRequest(community_code=community_code, name=name),
                metadata=call_metadata(self._tokens),
                timeout=30,
            )
        except grpc.RpcError as error:
            raise _error(error) from error

    def post(self, community_code: str, key: str, kind: str, memo: str, lines: tuple[tuple[str, int], ...]) -> str:
        """Post one balanced transaction into the fund's book; a retry with ``key`` answers the first."""
        try:
            posted = self._stub.PostTransaction(
                ledger_pb2.PostTransactionRequest(
                    book=FUND_BOOK,
                    community_code=community_code,
                    idempotency_key=key,
                    kind=kind,
                    memo=memo,
                    lines=[ledger_pb2.PostingLine(account=a, amount_fen=f) for a, f in lines],
                ),
                metadata=call_metadata(self._tokens),
                timeout=30,
            )
        except grpc.RpcError as error:
            raise _error(error) from error
        return str(posted.transaction_id)

    def balances(self, community_code: str) -> dict[str, int]:
        try:
            answer = self._stub.GetBalances(
                ledger_pb2.GetBalancesRequest(book=FUND_BOOK, community_code=community_code),
                metadata=call_metadata(self._tokens),
                timeout=30,
            )
        except grpc.RpcError as error:
            raise _error(error) from error
        return {b.account: int(b.balance_fen) for b in answer.balances}

    def publish_checkpoint(self, community_code: str) -> tuple[int, str]:
        try:
            checkpoint = self._stub.PublishFundCheckpoint(
                ledger_pb2.PublishFundCheckpointRequest(community_code=community_code),
                metadata=call_metadata(self._tokens),
                timeout=60,
            )
        except grpc.RpcError as error:
            raise _error(error) from error
        return int(checkpoint.tree_size), str(checkpoint.note)

    def close(self) -> None:
        self._channel.close()
