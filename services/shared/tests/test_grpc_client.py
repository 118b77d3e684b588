"""The channel to a service with several replicas spreads its calls over all of them, and keeps
calling the others when one replica goes away (the scale-out drill kills one mid-load)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent import futures

import grpc
import pytest

from xinyi_shared.grpc_client import balanced, channel

SERVICE = "xinyi.test.v1.Replica"


def _replica(name: str) -> tuple[grpc.Server, int]:
    def who(request: bytes, context: grpc.ServicerContext) -> bytes:
        return name.encode()

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    handlers = {"Who": grpc.unary_unary_rpc_method_handler(who)}
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, port


@pytest.fixture
def replicas() -> Iterator[list[tuple[grpc.Server, int]]]:
    started = [_replica(f"replica-{k}") for k in (1, 2, 3)]
    yield started
    for server, _ in started:
        server.stop(grace=None)


def test_calls_are_spread_over_every_replica_and_skip_one_that_went_away(
    replicas: list[tuple[grpc.Server, int]],
) -> None:
    target = "ipv4:" + ",".join(f"127.0.0.1:{port}" for _, port in replicas)
    with channel(target) as balanced:
        who = balanced.unary_unary(f"/{SERVICE}/Who")
        answers = Counter(who(b"", timeout=5, wait_for_ready=True).decode() for _ in range(30))
        assert set(answers) == {"replica-1", "replica-2", "replica-3"}
        assert min(answers.values()) >= 5  # round robin, not all to the first address

        replicas[1][0].stop(grace=None)  # one replica is gone (kill -9 in the drill)
        after = Counter(who(b"", timeout=5, wait_for_ready=True).decode() for _ in range(30))
        assert set(after) == {"replica-1", "replica-3"}


def test_only_a_target_of_several_replicas_is_balanced() -> None:
    assert balanced("ipv4:127.0.0.1:9102,127.0.0.1:9112")
    assert balanced("dns:///xinyi-ledger-grpc:9102")
    assert not balanced("127.0.0.1:9102")
    assert not balanced("ipv4:127.0.0.1:9102")
