"""The shared library's messaging against real PostgreSQL and Kafka: a rolled-back change sends no
event, a committed one reaches Kafka through the outbox, and a redelivered event changes nothing."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from tests.harness import eventually, read_events, service_settings, unique_code
from xinyi.tenant.v1 import events_pb2, tenant_pb2
from xinyi_shared.consumer import apply_event
from xinyi_shared.db import Database
from xinyi_shared.events import CloudEvent
from xinyi_shared.kafka_topics import TENANT_EVENTS
from xinyi_shared.outbox import publish


@pytest.fixture(scope="module")
def database():
    settings = service_settings("tenant")
    db = Database(settings)
    yield db
    db.dispose()


def message(code: str) -> events_pb2.EstateResumed:
    return events_pb2.EstateResumed(estate_code=code)


def outbox_rows(database: Database, event_id: str) -> int:
    with database.system_session() as session:
        return session.execute(
            text("SELECT count(*) FROM outbox WHERE id = :id"), {"id": uuid.UUID(event_id)}
        ).scalar_one()


def test_a_rolled_back_change_sends_no_event(database: Database) -> None:
    code = unique_code("rollback")
    recorded: list[CloudEvent] = []
    with pytest.raises(RuntimeError), database.estate_session(code) as session:
        recorded.append(publish(session, TENANT_EVENTS, "xinyi/test", code, message(code)))
        raise RuntimeError("the change fails after the event was recorded")
    assert outbox_rows(database, recorded[0].id) == 0


def test_a_committed_change_reaches_kafka_through_the_outbox(database: Database) -> None:
    # The running tenant service's relay publishes every committed row of its outbox.
    code = unique_code("commit")
    with database.estate_session(code) as session:
        event = publish(session, TENANT_EVENTS, "xinyi/test", code, message(code))
    assert outbox_rows(database, event.id) == 1

    def relayed() -> list[tuple[dict[str, str], bytes]] | None:
        found = [(a, v) for a, v in read_events(TENANT_EVENTS) if a.get("id") == event.id]
        return found or None

    (attributes, value), *more = eventually(relayed, timeout=60, what="the relay to publish the event")
    assert not more
    assert attributes["subject"] == code and attributes["type"] == "xinyi.tenant.v1.EstateResumed"
    assert events_pb2.EstateResumed.FromString(value).estate_code == code


def test_a_redelivered_event_is_applied_once(database: Database) -> None:
    code = unique_code("redeliver")
    event = CloudEvent.from_message("xinyi/test", code, events_pb2.EstateOnboarded(estate=tenant_pb2.Estate(code=code)))
    applied: list[str] = []

    def handler(session, received: CloudEvent) -> None:
        applied.append(received.id)

    consumer = f"integration-{uuid.uuid4().hex[:8]}"
    assert apply_event(database, consumer, event, handler) is True
    assert apply_event(database, consumer, event, handler) is False
    assert applied == [event.id]


def test_a_failing_handler_leaves_the_event_unclaimed(database: Database) -> None:
    code = unique_code("retry")
    event = CloudEvent.from_message("xinyi/test", code, message(code))
    consumer = f"integration-{uuid.uuid4().hex[:8]}"

    def failing(session, received: CloudEvent) -> None:
        raise RuntimeError("the effect failed")

    with pytest.raises(RuntimeError):
        apply_event(database, consumer, event, failing)
    # The claim rolled back with the effect: a redelivery is applied.
    assert apply_event(database, consumer, event, lambda session, received: None) is True


def claimed(database: Database, consumer: str, ids: list[str]) -> set[str]:
    with database.system_session() as session:
        rows = session.execute(
            text("SELECT event_id::text FROM processed_events WHERE consumer = :c AND event_id::text = ANY(:ids)"),
            {"c": consumer, "ids": ids},
        ).scalars()
        return set(rows)


def test_a_batch_applies_each_estates_events_in_one_transaction_and_isolates_a_faulty_one(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from types import SimpleNamespace

    from xinyi_shared import consumer as consumer_module
    from xinyi_shared.consumer import IdempotentConsumer, Subscription

    monkeypatch.setattr(consumer_module, "MAX_ATTEMPTS_FOR_FAULTY_EVENT", 1)
    first, second = unique_code("batch-a"), unique_code("batch-b")
    events = [
        CloudEvent.from_message("xinyi/test", code, message(code)) for code in (first, second, first, first, second)
    ]
    faulty = events[2].id
    transactions: list[tuple[str, int]] = []

    def handler(session, received: CloudEvent) -> None:
        transactions.append((received.id, session.execute(text("SELECT txid_current()")).scalar_one()))
        if received.id == faulty:
            raise ValueError("this event cannot be applied")

    name = f"integration-{uuid.uuid4().hex[:8]}"
    subscription = Subscription(name, [TENANT_EVENTS], {events[0].type: handler}, batch_by_estate=True)
    settings = service_settings("tenant")
    consumer = IdempotentConsumer(settings, database, subscription)
    records = [
        SimpleNamespace(topic="test-topic", partition=0, offset=100 + i, headers=e.kafka_headers(), value=e.data)
        for i, e in enumerate(events)
    ]

    assert consumer._handle_batch(records) == 105
    ids = [e.id for e in events]
    assert claimed(database, name, ids) == set(ids) - {faulty}
    # The second estate's two events shared one transaction; the first estate's batch failed on the
    # faulty event, was rolled back whole, and its events were applied one transaction each.
    second_tx = {tx for event_id, tx in transactions if event_id in (ids[1], ids[4])}
    assert len(second_tx) == 1
    with database.system_session() as session:
        dead = session.execute(text("SELECT event_id, error FROM dead_letters WHERE consumer = :c"), {"c": name}).all()
    assert [(row.event_id, "cannot be applied" in row.error) for row in dead] == [(faulty, True)]

    # Redelivered (a crash before the offset commit): nothing is applied twice.
    transactions.clear()
    assert consumer._handle_batch(records) == 105
    # Only the unclaimed one is tried again: in the batch, then on its own.
    assert [event_id for event_id, _ in transactions] == [faulty, faulty]


def test_a_batch_claims_its_events_at_once_and_gives_runs_to_their_run_handler(database: Database) -> None:
    from xinyi_shared.consumer import apply_event, apply_events

    code = unique_code("runs")
    resumed = [CloudEvent.from_message("xinyi/test", code, message(code)) for _ in range(5)]
    onboarded = CloudEvent.from_message(
        "xinyi/test", code, events_pb2.EstateOnboarded(estate=tenant_pb2.Estate(code=code))
    )
    name = f"integration-{uuid.uuid4().hex[:8]}"
    one_by_one: list[str] = []
    runs: list[list[str]] = []

    def handler(session, received: CloudEvent) -> None:
        one_by_one.append(received.id)

    def run_handler(session, received: list[CloudEvent]) -> None:
        runs.append([e.id for e in received])

    assert apply_event(database, name, resumed[1], handler) is True  # claimed by an earlier poll
    one_by_one.clear()
    batch = [resumed[0], resumed[1], resumed[2], resumed[0], onboarded, resumed[3], resumed[4]]
    outcomes = apply_events(database, name, [(e, handler) for e in batch], {resumed[0].type: run_handler})

    # Already claimed, or repeated within the batch: not applied; the rest once each, in order.
    assert outcomes == [True, False, True, False, True, True, True]
    assert runs == [[resumed[0].id, resumed[2].id], [resumed[3].id, resumed[4].id]]
    assert one_by_one == [onboarded.id]
    ids = [e.id for e in resumed] + [onboarded.id]
    assert claimed(database, name, ids) == set(ids)
    # Redelivered whole: nothing is applied again.
    assert apply_events(database, name, [(e, handler) for e in batch], {resumed[0].type: run_handler}) == [False] * 7
    assert len(runs) == 2 and one_by_one == [onboarded.id]
