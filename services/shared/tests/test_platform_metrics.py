"""The platform's own metrics without a broker or a server: consumer lag from a consumer's offsets, the
outbox's oldest waiting event, the database pools read at scrape time, HTTP requests per route template
with their status, and gRPC streams counted with their real status."""

from __future__ import annotations

import gc
import socket
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import grpc
import pytest
from fastapi.testclient import TestClient
from kafka import TopicPartition
from kafka.errors import IllegalStateError, KafkaTimeoutError
from prometheus_client import REGISTRY, CollectorRegistry
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool, QueuePool

from services.shared.tests.apps import bare_app
from xinyi_shared import platform_metrics
from xinyi_shared.auth import Principal, Role, TokenVerifier
from xinyi_shared.db import Database
from xinyi_shared.errors import NotFound
from xinyi_shared.grpc_server import GrpcServer
from xinyi_shared.outbox import OutboxRelay
from xinyi_shared.platform_metrics import (
    ConsumerMetrics,
    DatabasePools,
    PartitionOffsets,
    lag_by_topic,
    oldest_event_age_seconds,
    outbox_backlog,
    pool_use,
)
from xinyi_shared.settings import ServiceSettings

TENANT, LEDGER = "xinyi.tenant.events.v1", "xinyi.ledger.events.v1"


def sample(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


# --- lag ---------------------------------------------------------------------------------------------


def test_the_lag_of_a_topic_is_the_sum_over_its_assigned_partitions() -> None:
    partitions = [
        PartitionOffsets(TENANT, position=10, end=15),
        PartitionOffsets(TENANT, position=7, end=7),
        PartitionOffsets(TENANT, position=0, end=3),
        PartitionOffsets(LEDGER, position=100, end=101),
    ]
    assert lag_by_topic([TENANT, LEDGER], partitions) == {TENANT: 8, LEDGER: 1}


def test_a_replica_without_partitions_reports_zero_for_each_subscribed_topic() -> None:
    assert lag_by_topic([TENANT, LEDGER], []) == {TENANT: 0, LEDGER: 0}


def test_unknown_offsets_and_a_stale_high_watermark_count_no_lag() -> None:
    partitions = [
        PartitionOffsets(TENANT, position=None, end=40),  # not yet positioned
        PartitionOffsets(TENANT, position=12, end=None),  # not yet fetched
        PartitionOffsets(TENANT, position=30, end=25),  # position ahead of the last fetch's watermark
        PartitionOffsets(TENANT, position=1, end=2),
    ]
    assert lag_by_topic([TENANT], partitions) == {TENANT: 1}


@dataclass
class _Record:
    offset: int
    timestamp: int  # milliseconds


class _FakeConsumer:
    """The part of KafkaConsumer the metrics read: assignment, high watermarks, positions, and the end
    offsets the broker gives."""

    def __init__(
        self,
        offsets: dict[TopicPartition, tuple[int | None, int | None]],
        broker_ends: dict[TopicPartition, int] | None = None,
    ) -> None:
        self.offsets = offsets  # partition -> (position, highwater of the last fetch response read)
        self.broker_ends = broker_ends or {}
        self.asked: list[list[TopicPartition]] = []
        self.revoked: set[TopicPartition] = set()

    def end_offsets(self, partitions: list[TopicPartition], timeout_ms: int | None = None) -> dict[TopicPartition, int]:
        assert timeout_ms is not None, "the consumer thread never waits for the broker unbounded"
        self.asked.append(sorted(partitions))
        if not self.broker_ends:
            raise KafkaTimeoutError("no answer")
        return {tp: self.broker_ends[tp] for tp in partitions}

    def assignment(self) -> set[TopicPartition]:
        return set(self.offsets)

    def highwater(self, tp: TopicPartition) -> int | None:
        if tp in self.revoked:
            raise IllegalStateError("Partition is not assigned")
        return self.offsets[tp][1]

    def position(self, tp: TopicPartition, timeout_ms: int | None = None) -> int | None:
        assert timeout_ms == 0, "the metrics never wait on the broker"
        return self.offsets[tp][0]


def test_a_consumer_reports_its_lag_per_topic_and_its_partitions(monkeypatch: pytest.MonkeyPatch) -> None:
    consumer = _FakeConsumer(
        {
            TopicPartition(TENANT, 0): (5, 9),
            TopicPartition(TENANT, 3): (2, 2),
            TopicPartition(TENANT, 4): (None, None),  # just assigned, not yet positioned
        }
    )
    metrics = ConsumerMetrics("svc-lag", "svc.tenant-events", [TENANT, LEDGER])
    metrics.observe(consumer, {})  # the broker does not answer for partition 4: it counts 0
    assert consumer.asked == [[TopicPartition(TENANT, 4)]]
    assert sample("xinyi_kafka_consumer_lag", service="svc-lag", consumer="svc.tenant-events", topic=TENANT) == 4
    assert sample("xinyi_kafka_consumer_lag", service="svc-lag", consumer="svc.tenant-events", topic=LEDGER) == 0
    assert sample("xinyi_kafka_consumer_assigned_partitions", service="svc-lag", consumer="svc.tenant-events") == 3

    # Recomputed at most every LAG_INTERVAL_SECONDS, then to 0 once the group took every partition away.
    consumer.offsets = {}
    metrics.observe(consumer, {})
    assert sample("xinyi_kafka_consumer_lag", service="svc-lag", consumer="svc.tenant-events", topic=TENANT) == 4
    monkeypatch.setattr(platform_metrics, "LAG_INTERVAL_SECONDS", 0.0)
    metrics = ConsumerMetrics("svc-lag", "svc.tenant-events", [TENANT, LEDGER])
    metrics.observe(consumer, {})
    assert sample("xinyi_kafka_consumer_lag", service="svc-lag", consumer="svc.tenant-events", topic=TENANT) == 0
    assert sample("xinyi_kafka_consumer_assigned_partitions", service="svc-lag", consumer="svc.tenant-events") == 0


def test_the_broker_is_asked_only_for_the_ends_of_partitions_not_yet_fetched() -> None:
    """A consumer far behind reads one partition's fetch responses while the others' wait in its buffer:
    their high watermarks are not known yet, yet their lag is the largest."""
    fetched, waiting = TopicPartition(TENANT, 0), TopicPartition(TENANT, 1)
    consumer = _FakeConsumer({fetched: (10, 900), waiting: (0, None)}, broker_ends={waiting: 4000, fetched: 950})
    ConsumerMetrics("svc-behind", "c", [TENANT]).observe(consumer, {})
    assert consumer.asked == [[waiting]]
    assert sample("xinyi_kafka_consumer_lag", service="svc-behind", consumer="c", topic=TENANT) == 890 + 4000


def test_a_partition_revoked_while_reading_is_skipped() -> None:
    kept, revoked = TopicPartition(TENANT, 0), TopicPartition(TENANT, 1)
    consumer = _FakeConsumer({kept: (1, 3), revoked: (0, 50)})
    consumer.revoked.add(revoked)
    ConsumerMetrics("svc-revoked", "c", [TENANT]).observe(consumer, {})
    assert sample("xinyi_kafka_consumer_lag", service="svc-revoked", consumer="c", topic=TENANT) == 2


def test_the_event_delay_is_that_of_the_batch_s_latest_events(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(platform_metrics.time, "time", lambda: 1000.0)
    batch = {
        TopicPartition(TENANT, 0): [_Record(1, 990_000), _Record(2, 997_500)],
        TopicPartition(TENANT, 1): [_Record(7, 999_000)],
        TopicPartition(TENANT, 2): [_Record(8, -1)],  # no timestamp: ignored
    }
    ConsumerMetrics("svc-delay", "c", [TENANT]).observe(_FakeConsumer({}), batch)
    assert sample("xinyi_kafka_consumer_event_delay_seconds", service="svc-delay", consumer="c") == 2.5
    assert sample("xinyi_kafka_consumer_last_poll_timestamp_seconds", service="svc-delay", consumer="c") == 1000.0


def test_a_failing_consumer_never_breaks_the_loop_through_its_metrics() -> None:
    class Broken:
        def assignment(self) -> set[TopicPartition]:
            raise RuntimeError("closed")

    ConsumerMetrics("svc-broken", "c", [TENANT]).observe(Broken(), {})  # does not raise
    assert sample("xinyi_kafka_consumer_lag", service="svc-broken", consumer="c", topic=TENANT) is None


# --- outbox ------------------------------------------------------------------------------------------

NOW = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def test_the_oldest_event_age_is_zero_when_nothing_waits() -> None:
    assert oldest_event_age_seconds(None, NOW) == 0.0


def test_the_oldest_event_age_is_measured_on_the_database_clock_and_never_negative() -> None:
    assert oldest_event_age_seconds(NOW - timedelta(minutes=2, milliseconds=500), NOW) == 120.5
    # created_at is its transaction's start, which can follow the measuring statement's clock read
    assert oldest_event_age_seconds(NOW + timedelta(milliseconds=3), NOW) == 0.0


class _Result:
    def __init__(self, row: tuple[Any, ...]) -> None:
        self.row = row

    def one(self) -> tuple[Any, ...]:
        return self.row

    def scalar(self) -> Any:
        return self.row[0]


class _OutboxSession:
    """Answers the relay's statements: the backlog, then the relay lock (not granted here)."""

    def __init__(self, pending: int, oldest: datetime | None) -> None:
        self.pending, self.oldest = pending, oldest
        self.statements: list[str] = []

    def execute(self, statement: Any, parameters: Any = None) -> _Result:
        sql = str(statement)
        self.statements.append(sql)
        if "count(*)" in sql:
            return _Result((self.pending, self.oldest, NOW))
        if "pg_try_advisory_xact_lock" in sql:
            return _Result((False,))
        raise AssertionError(f"unexpected statement {sql}")


def test_the_backlog_counts_the_waiting_events_and_ages_the_oldest() -> None:
    session = _OutboxSession(3, NOW - timedelta(seconds=42))
    backlog = outbox_backlog(cast(Session, session))
    assert (backlog.pending, backlog.oldest_event_age_seconds) == (3, 42.0)
    assert "published_at IS NULL" in session.statements[0]


def test_a_relay_that_does_not_hold_the_lock_still_reports_the_backlog(monkeypatch: pytest.MonkeyPatch) -> None:
    """With several replicas only one relays at a time; the others' gauges must not keep an old value.
    They are measured at most once a BACKLOG_MEASURE_SECONDS (the relay wakes at every commit)."""
    import xinyi_shared.outbox as outbox_module

    clock = [1000.0]
    monkeypatch.setattr(outbox_module.time, "monotonic", lambda: clock[0])

    class _Database:
        def __init__(self, session: _OutboxSession) -> None:
            self.session = session

        def system_session(self) -> Any:
            import contextlib

            return contextlib.nullcontext(self.session)

    settings = ServiceSettings(service_name="svc-outbox", http_port=1, grpc_port=2)
    session = _OutboxSession(2, NOW - timedelta(seconds=90))
    relay = OutboxRelay(settings, cast(Database, _Database(session)), topics=[TENANT])  # not started
    assert relay.relay_once() == 0
    assert sample("xinyi_outbox_pending", service="svc-outbox") == 2
    assert sample("xinyi_outbox_oldest_event_age_seconds", service="svc-outbox") == 90
    session.pending, session.oldest = 0, None
    counted = sum("published_at IS NULL" in statement for statement in session.statements)
    clock[0] += outbox_module.BACKLOG_MEASURE_SECONDS / 2
    relay.relay_once()
    assert sum("published_at IS NULL" in statement for statement in session.statements) == counted
    assert sample("xinyi_outbox_pending", service="svc-outbox") == 2, "not measured again so soon"
    clock[0] += outbox_module.BACKLOG_MEASURE_SECONDS
    relay.relay_once()
    assert sample("xinyi_outbox_pending", service="svc-outbox") == 0
    assert sample("xinyi_outbox_oldest_event_age_seconds", service="svc-outbox") == 0


# --- database pools ----------------------------------------------------------------------------------


def _engine(pool_size: int = 2, max_overflow: int = 3) -> Engine:
    """A real QueuePool over SQLite connections (the pool neither knows nor cares which database)."""
    return create_engine(
        "sqlite://",
        creator=lambda: sqlite3.connect(":memory:", check_same_thread=False),
        poolclass=QueuePool,
        pool_size=pool_size,
        max_overflow=max_overflow,
    )


def _scrape(pools: DatabasePools) -> dict[tuple[str, str, str], float]:
    registry = CollectorRegistry()
    registry.register(pools)
    return {
        (s.name, s.labels["service"], s.labels["engine"]): s.value
        for family in registry.collect()
        for s in family.samples
    }


@pytest.fixture
def pools() -> Iterator[DatabasePools]:
    yield DatabasePools()


def test_the_pool_is_read_when_prometheus_scrapes(pools: DatabasePools) -> None:
    engine = _engine()
    pools.track("svc", "app", engine)
    assert _scrape(pools)[("xinyi_db_pool_checked_out", "svc", "app")] == 0
    held = [engine.connect() for _ in range(3)]  # the pool's 2, and one overflow connection
    try:
        for connection in held:
            connection.execute(text("SELECT 1"))
        scraped = _scrape(pools)
        assert scraped[("xinyi_db_pool_checked_out", "svc", "app")] == 3
        assert scraped[("xinyi_db_pool_checked_in", "svc", "app")] == 0
        assert scraped[("xinyi_db_pool_overflow", "svc", "app")] == 1
        assert scraped[("xinyi_db_pool_size", "svc", "app")] == 2
        assert scraped[("xinyi_db_pool_max_overflow", "svc", "app")] == 3
    finally:
        for connection in held:
            connection.close()
    scraped = _scrape(pools)
    assert scraped[("xinyi_db_pool_checked_out", "svc", "app")] == 0
    assert scraped[("xinyi_db_pool_checked_in", "svc", "app")] == 2  # the overflow one was closed
    assert scraped[("xinyi_db_pool_overflow", "svc", "app")] == 0


def test_a_disposed_engine_is_read_through_its_new_pool(pools: DatabasePools) -> None:
    engine = _engine()
    pools.track("svc", "system", engine)
    with engine.connect():
        pass
    engine.dispose()  # replaces engine.pool
    with engine.connect():
        assert _scrape(pools)[("xinyi_db_pool_checked_out", "svc", "system")] == 1


def test_an_engine_gone_drops_out_and_a_pool_without_a_size_is_not_reported(pools: DatabasePools) -> None:
    engine = _engine()
    pools.track("gone", "app", engine)
    pools.track("svc", "app", create_engine("sqlite://", poolclass=NullPool))
    del engine
    gc.collect()
    assert _scrape(pools) == {}
    assert pool_use(create_engine("sqlite://", poolclass=NullPool).pool) is None


def test_the_pool_gauges_are_registered_at_import_even_before_any_database() -> None:
    names = {family.name for family in REGISTRY.collect()}
    assert {
        "xinyi_db_pool_checked_out",
        "xinyi_db_pool_size",
        "xinyi_db_pool_overflow",
        "xinyi_kafka_consumer_lag",
        "xinyi_outbox_oldest_event_age_seconds",
    } <= names


def test_a_service_s_database_is_tracked_under_its_two_engines(monkeypatch: pytest.MonkeyPatch) -> None:
    from xinyi_shared.service import ServiceCore

    settings = ServiceSettings(service_name="svc-core", http_port=1, grpc_port=2)
    tracked = DatabasePools()
    monkeypatch.setattr(platform_metrics, "DATABASE_POOLS", tracked)
    core = ServiceCore.from_settings(settings)  # engines are lazy: nothing connects
    try:
        scraped = _scrape(tracked)
        assert scraped[("xinyi_db_pool_size", "svc-core", "app")] == settings.db_pool_size
        assert scraped[("xinyi_db_pool_size", "svc-core", "system")] == 2
    finally:
        core.database.dispose()


# --- HTTP requests -----------------------------------------------------------------------------------


def test_http_requests_are_counted_per_route_template_with_their_status_and_latency() -> None:
    app = bare_app("svc-http")

    @app.get("/v1/estates/{code}/bug")
    def bug(code: str) -> None:
        raise KeyError(code)

    @app.get("/v1/estates/{code}/gone")
    def gone(code: str) -> None:
        raise NotFound("no such thing")

    with TestClient(app, raise_server_exceptions=False) as client:
        for code in ("jinhe-lvzhou", "tianfu-yuan"):
            assert client.get(f"/v1/estates/{code}/bug").status_code == 500
        assert client.get("/v1/estates/jinhe-lvzhou/gone").status_code == 404
        assert client.get("/no/such/route/12345").status_code == 404

    def requests(route: str, status: str) -> float | None:
        return sample("xinyi_http_requests_total", service="svc-http", method="GET", route=route, status=status)

    # One series per route template, never per estate or raw path (bounded cardinality).
    assert requests("/v1/estates/{code}/bug", "500") == 2
    assert requests("/v1/estates/{code}/gone", "404") == 1
    assert requests("unmatched", "404") == 1
    latency = "xinyi_http_request_duration_seconds_count"
    assert sample(latency, service="svc-http", method="GET", route="/v1/estates/{code}/bug") == 2
    exported = [
        s.labels.get("route") for f in REGISTRY.collect() for s in f.samples if s.labels.get("service") == "svc-http"
    ]
    assert not [route for route in exported if route and "jinhe" in route]


# --- gRPC streams ------------------------------------------------------------------------------------

STREAM_SERVICE = "xinyi.test.v1.Streams"


class _AnyToken(TokenVerifier):
    def __init__(self) -> None:
        pass

    def verify(self, token: str) -> Principal:
        return Principal(subject="svc", username="svc", roles=frozenset({Role.SERVICE}), estates=frozenset())


def _broken_stream(request: bytes, context: grpc.ServicerContext) -> Iterator[bytes]:
    yield b"first"
    raise RuntimeError("a bug half-way through the stream")


def _register(server: grpc.Server) -> None:
    handlers: dict[str, Any] = {"Broken": grpc.unary_stream_rpc_method_handler(_broken_stream)}
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(STREAM_SERVICE, handlers),))


def test_a_stream_that_fails_is_counted_as_internal_not_ok() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = GrpcServer("svc-stream", port, _AnyToken(), _register, threads=2)
    server.start()
    method = f"/{STREAM_SERVICE}/Broken"
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            call = channel.unary_stream(method)(b"", metadata=[("authorization", "Bearer t")], timeout=30)
            with pytest.raises(grpc.RpcError) as failed:
                list(call)
            assert failed.value.code() == grpc.StatusCode.INTERNAL
    finally:
        server.stop()
    assert sample("xinyi_grpc_requests_total", service="svc-stream", method=method, code="INTERNAL") == 1
    assert sample("xinyi_grpc_requests_total", service="svc-stream", method=method, code="OK") is None
