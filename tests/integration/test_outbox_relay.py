"""The outbox relay is woken by the commit itself (PostgreSQL NOTIFY), against real PostgreSQL and
Kafka: with a poll interval far longer than the test waits, an event can only arrive through the
notification, and a rolled-back transaction neither wakes the relay for its event nor relays it.

The relay runs in this process on the ticketing database, to a topic of its own; the running ticketing
service's relays take turns with it under the same lock, and hold back events behind a missing seq alike.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from tests.harness import PORTS, event_attributes, eventually, read_events, read_records, service_settings, unique_code
from xinyi.tenant.v1 import events_pb2
from xinyi_shared.db import Database
from xinyi_shared.events import CloudEvent
from xinyi_shared.outbox import OutboxRelay, publish
from xinyi_shared.settings import ServiceSettings

TOPIC = "xinyi.test.outbox-relay.v1"
POLL_SECONDS = 30.0  # the fallback poll; nothing in these tests waits for it
WITHIN = 10.0  # how long a test waits for an event: only a notification can deliver it in time


class _ObservedRelay(OutboxRelay):
    """The relay, telling the test when a round found nothing left (so it is waiting)."""

    def __init__(self, settings: ServiceSettings, database: Database) -> None:
        super().__init__(settings, database, topics=[TOPIC])
        self.idle = threading.Event()

    def relay_once(self) -> int:
        relayed = super().relay_once()
        if not relayed:
            self.idle.set()
        return relayed


@pytest.fixture(scope="module")
def database() -> Iterator[Database]:
    db = Database(settings())
    yield db
    db.dispose()


@pytest.fixture(scope="module")
def relay(database: Database) -> Iterator[_ObservedRelay]:
    relay = _ObservedRelay(settings(), database)
    relay.start()
    # The first rounds relay whatever an earlier run left; then the relay waits.
    assert relay.idle.wait(60), "the relay never finished its first rounds"
    eventually(lambda: relay.listening or None, timeout=10, what="the relay to listen")
    yield relay
    # Leave nothing of this module pending in the ticketing outbox for the service's relays.
    eventually(lambda: not pending_test_events(database) or None, timeout=WITHIN, what="this module's events to leave")
    relay.stop()


def pending_test_events(database: Database) -> int:
    with database.system_session() as session:
        return int(
            session.execute(
                text("SELECT count(*) FROM outbox WHERE published_at IS NULL AND topic LIKE 'xinyi.test.%'")
            ).scalar_one()
        )


def settings() -> ServiceSettings:
    return service_settings("ticketing", outbox_poll_seconds=POLL_SECONDS)


def record(database: Database, code: str) -> CloudEvent:
    with database.estate_session(code) as session:
        return publish(session, TOPIC, "xinyi/test", code, events_pb2.EstateResumed(estate_code=code))


def relayed_ids() -> set[str]:
    return {attributes.get("id", "") for attributes, _ in read_events(TOPIC)}


def arrives(event: CloudEvent) -> None:
    eventually(
        lambda: True if event.id in relayed_ids() else None,
        timeout=WITHIN,
        what=f"event {event.id} to reach Kafka (the relay polls only every {POLL_SECONDS}s)",
    )


def test_a_committed_event_is_relayed_on_its_commit_notification(database: Database, relay: _ObservedRelay) -> None:
    event = record(database, unique_code("notify"))
    arrives(event)
    assert relay.listening


def test_events_committed_in_a_burst_all_arrive(database: Database, relay: _ObservedRelay) -> None:
    events = [record(database, unique_code("burst")) for _ in range(20)]
    for event in events:
        arrives(event)


def test_a_rolled_back_transaction_relays_nothing(database: Database, relay: _ObservedRelay) -> None:
    code = unique_code("rollback")
    recorded: list[CloudEvent] = []
    with pytest.raises(RuntimeError), database.estate_session(code) as session:
        recorded.append(publish(session, TOPIC, "xinyi/test", code, events_pb2.EstateResumed(estate_code=code)))
        raise RuntimeError("the change fails after its event was recorded")
    with database.system_session() as session:
        rows = session.execute(
            text("SELECT count(*) FROM outbox WHERE id = :id"), {"id": uuid.UUID(recorded[0].id)}
        ).scalar_one()
    assert rows == 0

    # A later commit wakes the relay; by the time its event arrives, the relay has run a round
    # after the rollback, and the rolled-back event is not in the topic.
    marker = record(database, code)
    arrives(marker)
    assert recorded[0].id not in relayed_ids()


def test_an_estates_events_leave_in_the_order_they_were_recorded(database: Database, relay: _ObservedRelay) -> None:
    # The first transaction records its event (taking the lower seq) and commits only after a second
    # transaction of the same estate has recorded and committed its own: the relay holds the second
    # event back until the first commits, and Kafka gets them in the order they were recorded.
    code = unique_code("order")
    first_tx = database.estate_session(code)
    session = first_tx.__enter__()
    try:
        first = publish(session, TOPIC, "xinyi/test", code, events_pb2.EstateResumed(estate_code=code))
        session.flush()
        second = record(database, code)  # committed: its notification wakes the relay
        relay.idle.clear()
        assert relay.idle.wait(WITHIN), "the relay did not run a round after the second commit"
        assert second.id not in relayed_ids(), "the second event left before the first was committed"
    finally:
        first_tx.__exit__(None, None, None)  # commits the first
    arrives(second)
    order = [attributes["id"] for attributes, _ in read_events(TOPIC) if attributes.get("subject") == code]
    assert order == [first.id, second.id]


def test_a_seq_never_committed_holds_the_events_behind_it_only_for_a_while(
    database: Database, relay: _ObservedRelay
) -> None:
    code = unique_code("gap")
    with pytest.raises(RuntimeError), database.estate_session(code) as session:
        publish(session, TOPIC, "xinyi/test", code, events_pb2.EstateResumed(estate_code=code))
        session.flush()
        raise RuntimeError("rolled back after its event took a seq")
    behind = record(database, code)
    arrives(behind)  # within WITHIN, well before the fallback poll: the relay looked again by itself


def test_an_event_to_a_topic_not_yet_on_the_cluster_is_relayed_and_holds_nothing_back(
    database: Database, relay: _ObservedRelay
) -> None:
    # The broker does not create topics by itself: a relay must create the topic an event names
    # even when it was built with other topics, or that event (and every one behind it) waits forever.
    from kafka.admin import KafkaAdminClient

    # The topic is left on the cluster: the running ticketing service's relay, which takes turns with
    # this one, may have sent to it, and a producer whose topic is deleted asks the cluster for it
    # again and again (kafka-python), a busy core for the rest of the run.
    code = unique_code("newtopic")
    fresh_topic = f"xinyi.test.outbox-fresh-{uuid.uuid4().hex[:12]}.v1"
    admin = KafkaAdminClient(bootstrap_servers=f"127.0.0.1:{PORTS['KAFKA_PORT']}")
    try:
        assert fresh_topic not in admin.list_topics()
    finally:
        admin.close()
    with database.estate_session(code) as session:
        fresh = publish(session, fresh_topic, "xinyi/test", code, events_pb2.EstateResumed(estate_code=code))
    behind = record(database, code)
    arrives(behind)
    assert fresh.id in {attributes.get("id", "") for attributes, _ in read_events(fresh_topic)}


def test_an_estates_events_go_to_the_partition_its_code_hashes_to(database: Database, relay: _ObservedRelay) -> None:
    # The partition a Java client or kafka-python picks for the key (murmur2): events of one estate
    # written by different clients share a partition (and so an order), and a reader can tell which
    # partition holds an estate (tests/e2e/test_tracing.py does).
    from kafka import KafkaConsumer
    from kafka.partitioner import murmur2

    recorded = [record(database, unique_code("partition")) for _ in range(12)]
    for event in recorded:
        arrives(event)
    wanted = {event.id for event in recorded}
    records = read_records(TOPIC)
    consumer = KafkaConsumer(bootstrap_servers=f"127.0.0.1:{PORTS['KAFKA_PORT']}")
    try:
        partitions = len(consumer.partitions_for_topic(TOPIC) or ())
    finally:
        consumer.close()
    assert partitions > 1, "with one partition the test could not tell"
    landed = {
        event_attributes(kafka_record)["id"]: kafka_record.partition
        for kafka_record in records
        if event_attributes(kafka_record).get("id") in wanted
    }
    expected = {event.id: (murmur2(event.subject.encode()) & 0x7FFFFFFF) % partitions for event in recorded}
    assert landed == expected
    assert len(set(expected.values())) > 1, "twelve estates on one partition: the test could not tell"
