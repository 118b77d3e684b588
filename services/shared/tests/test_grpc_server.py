"""The shared gRPC server in process: it takes requests the size of a voucher (up to 10 MiB, above
gRPC's default of 4 MiB) and maps the platform's errors to their status codes."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import grpc
import pytest

from xinyi_shared.auth import Principal, Role, TokenVerifier
from xinyi_shared.errors import Conflict
from xinyi_shared.grpc_server import MAX_MESSAGE_BYTES, GrpcServer, current_principal

MIB = 1024 * 1024
SERVICE = "xinyi.test.v1.Probe"


class _AnyToken(TokenVerifier):
    """Every bearer token is a service's (no Keycloak here)."""

    def __init__(self) -> None:
        pass

    def verify(self, token: str) -> Principal:
        return Principal(
            subject="svc", username="service-account", roles=frozenset({Role.SERVICE}), estates=frozenset()
        )


def _size(request: bytes, context: grpc.ServicerContext) -> bytes:
    assert current_principal().username == "service-account"
    return len(request).to_bytes(8, "big")


def _conflict(request: bytes, context: grpc.ServicerContext) -> bytes:
    raise Conflict("this idempotency key was already used for a different request")


def _register(server: grpc.Server) -> None:
    handlers: dict[str, Any] = {
        "Size": grpc.unary_unary_rpc_method_handler(_size),
        "Conflict": grpc.unary_unary_rpc_method_handler(_conflict),
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def channel() -> Iterator[grpc.Channel]:
    port = _free_port()
    server = GrpcServer("test", port, _AnyToken(), _register, threads=2)
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield channel
    finally:
        server.stop()


def _call(channel: grpc.Channel, method: str, payload: bytes) -> bytes:
    answer: bytes = channel.unary_unary(f"/{SERVICE}/{method}")(
        payload, metadata=[("authorization", "Bearer t")], timeout=30
    )
    return answer


def test_a_request_of_a_10_mib_voucher_and_its_envelope_is_taken(channel: grpc.Channel) -> None:
    assert MAX_MESSAGE_BYTES >= 11 * MIB
    payload = b"\0" * (10 * MIB + 64 * 1024)
    assert int.from_bytes(_call(channel, "Size", payload), "big") == len(payload)


def test_a_request_beyond_the_limit_is_refused_as_too_large(channel: grpc.Channel) -> None:
    with pytest.raises(grpc.RpcError) as refused:
        _call(channel, "Size", b"\0" * (MAX_MESSAGE_BYTES + 1))
    assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_a_conflict_is_already_exists(channel: grpc.Channel) -> None:
    with pytest.raises(grpc.RpcError) as refused:
        _call(channel, "Conflict", b"x")
    assert refused.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert "different request" in (refused.value.details() or "")
