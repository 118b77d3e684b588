"""A consumer whose client stops fetching while events wait connects afresh and applies them, against
real Kafka and PostgreSQL; a consumer that is merely idle is left alone.

The stall is made real inside the consumer's own thread: on its first connection the consumer pauses
every partition it is assigned (a paused partition is not fetched, as with the kafka-python 3 bug the
watch is there for), then the test produces events to its topic."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from kafka import KafkaConsumer, KafkaProducer

from tests.harness import PORTS, eventually, service_settings, unique_code
from xinyi.tenant.v1 import events_pb2
from xinyi_shared.consumer import IdempotentConsumer, Subscription
from xinyi_shared.db import Database
from xinyi_shared.events import CloudEvent
from xinyi_shared.kafka_topics import ensure_topics

STALL_SECONDS = 2.0
KAFKA = f"127.0.0.1:{PORTS['KAFKA_PORT']}"


class _PausingConsumer(IdempotentConsumer):
    """The consumer, pausing its partitions on its first connection when told to, and counting its
    connections."""

    def __init__(self, *args: Any, pause_first: bool) -> None:
        super().__init__(*args)
        self.pause_first = pause_first
        self.connections = 0
        self.paused = threading.Event()

    def _connect(self) -> KafkaConsumer:
        self.connections += 1
        return super()._connect()

    def _poll(self, consumer: KafkaConsumer) -> dict[Any, list[Any]]:
        if self.pause_first and self.connections == 1 and consumer.assignment() and not self.paused.is_set():
            consumer.pause(*consumer.assignment())
            self.paused.set()
        return super()._poll(consumer)


@pytest.fixture
def topic() -> str:
    name = f"xinyi.test.stall-{uuid.uuid4().hex[:10]}.v1"
    ensure_topics(service_settings("tenant"), [name])
    return name


@pytest.fixture(scope="module")
def database() -> Iterator[Database]:
    db = Database(service_settings("tenant"))
    yield db
    db.dispose()


def start(database: Database, topic: str, applied: list[str], *, pause_first: bool) -> _PausingConsumer:
    settings = service_settings("tenant", consumer_stall_seconds=STALL_SECONDS)
    subscription = Subscription(
        f"integration-stall-{uuid.uuid4().hex[:8]}",
        [topic],
        {"xinyi.tenant.v1.EstateResumed": lambda session, event: applied.append(event.id)},
    )
    consumer = _PausingConsumer(settings, database, subscription, pause_first=pause_first)
    consumer.start()
    return consumer


def produce(topic: str, count: int) -> list[str]:
    producer = KafkaProducer(bootstrap_servers=KAFKA)
    ids = []
    try:
        for _ in range(count):
            code = unique_code("stall")
            event = CloudEvent.from_message("xinyi/test", code, events_pb2.EstateResumed(estate_code=code))
            producer.send(topic, key=code.encode(), value=event.data, headers=event.kafka_headers()).get(timeout=30)
            ids.append(event.id)
    finally:
        producer.close()
    return ids


def test_a_consumer_that_stops_fetching_while_events_wait_connects_afresh_and_applies_them(
    database: Database, topic: str
) -> None:
    applied: list[str] = []
    consumer = start(database, topic, applied, pause_first=True)
    try:
        assert consumer.paused.wait(60), "the consumer was never assigned its partitions"
        sent = produce(topic, 8)
        eventually(lambda: set(sent) <= set(applied) or None, timeout=60, what="the stalled consumer's events")
        assert consumer.connections == 2, "one fresh connection after the stall"
        assert sorted(applied) == sorted(sent), "each event applied once"
    finally:
        consumer.stop()


def test_an_idle_consumer_with_nothing_waiting_keeps_its_connection(database: Database, topic: str) -> None:
    applied: list[str] = []
    consumer = start(database, topic, applied, pause_first=False)
    try:
        sent = produce(topic, 2)
        eventually(lambda: set(sent) <= set(applied) or None, timeout=60, what="the events")
        threading.Event().wait(STALL_SECONDS * 3)  # several stall periods of polls that bring nothing
        assert consumer.connections == 1
    finally:
        consumer.stop()
