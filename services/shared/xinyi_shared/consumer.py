"""Idempotent Kafka consumer: each event's effect and its id are committed in one transaction, so a
redelivered event changes nothing; the Kafka offset is committed only after that transaction."""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaConsumer, OffsetAndMetadata
from prometheus_client import Counter
from sqlalchemy import text
from sqlalchemy.orm import Session

from xinyi_shared import tracing
from xinyi_shared.db import Database
from xinyi_shared.errors import Unavailable
from xinyi_shared.events import CloudEvent
from xinyi_shared.kafka_topics import ensure_topics
from xinyi_shared.platform_metrics import ConsumerMetrics
from xinyi_shared.settings import ServiceSettings

log = logging.getLogger(__name__)

EVENTS_CONSUMED = Counter(
    "xinyi_events_consumed_total", "Events handled by a consumer", ["service", "consumer", "type", "outcome"]
)
CONSUMER_STALLS = Counter(
    "xinyi_consumer_stalls_total",
    "Times a consumer found a partition stuck (events waiting, none fetched) and connected afresh",
    ["service", "consumer"],
)

# A handler applies one event inside the estate-scoped transaction it is given.
EventHandler = Callable[[Session, CloudEvent], None]
# A run handler applies consecutive events of one type and one estate together (one statement for
# many, say): only for effects where that equals applying them one after the other.
RunHandler = Callable[[Session, list[CloudEvent]], None]

MAX_ATTEMPTS_FOR_FAULTY_EVENT = 5


def is_transient(error: Exception) -> bool:
    """Errors that a later attempt can overcome: retried forever rather than dead-lettered."""
    from sqlalchemy.exc import OperationalError

    return isinstance(error, Unavailable | OperationalError)


@dataclass(frozen=True)
class Subscription:
    name: str  # the consumer group, also the key under which processed events are recorded
    topics: list[str]
    handlers: dict[str, EventHandler]  # CloudEvent type -> handler; other types are skipped
    # Apply a poll's events of one estate in one transaction (one commit for many events) rather
    # than one each: for read models whose handlers only write their own tables. A group that
    # fails is rolled back whole and its events applied one at a time, with the usual retries.
    batch_by_estate: bool = False
    # CloudEvent type -> run handler, used in place of the event handler for a batch's consecutive
    # events of that type (batch_by_estate only; an event retried on its own uses ``handlers``).
    run_handlers: dict[str, RunHandler] = field(default_factory=dict)
    # How long the broker may hold a fetch to gather more events (0: hand each over at once). For
    # subscriptions nobody waits on, such as a read model, or one interested in a few event types of
    # a busy topic: it polls a few times a second under load instead of once for every event.
    gather_ms: int = 0


def claim_event(session: Session, consumer: str, event: CloudEvent) -> bool:
    """Record ``event`` as processed by ``consumer``; False when it already was."""
    return claim_events(session, consumer, [event])[0]


def apply_event(database: Database, consumer: str, event: CloudEvent, handler: EventHandler) -> bool:
    """Apply ``event`` exactly once; returns False when it was a duplicate."""
    with database.estate_session(event.subject) as session:
        if not claim_event(session, consumer, event):
            return False
        handler(session, event)
        return True


def claim_events(session: Session, consumer: str, events: list[CloudEvent]) -> list[bool]:
    """Record ``events`` as processed by ``consumer`` in one statement; for each, whether it was not
    yet (an id repeated in ``events`` is fresh at its first occurrence only)."""
    first: dict[str, CloudEvent] = {}
    for event in events:
        first.setdefault(event.id, event)
    claimed = set(
        session.execute(
            text(
                "INSERT INTO processed_events (consumer, event_id, estate_code, event_type) "
                "SELECT :consumer, e.id, e.estate, e.type FROM unnest(CAST(:ids AS text[]), "
                "CAST(:estates AS text[]), CAST(:types AS text[])) AS e(id, estate, type) "
                "ON CONFLICT DO NOTHING RETURNING event_id"
            ),
            {
                "consumer": consumer,
                "ids": list(first),
                "estates": [e.subject for e in first.values()],
                "types": [e.type for e in first.values()],
            },
        ).scalars()
    )
    fresh = []
    for event in events:
        fresh.append(event.id in claimed)
        claimed.discard(event.id)
    return fresh


def apply_events(
    database: Database,
    consumer: str,
    events: list[tuple[CloudEvent, EventHandler]],
    run_handlers: dict[str, RunHandler] | None = None,
) -> list[bool]:
    """Apply the events of one estate (``events[i][0].subject`` all equal), in order, exactly once,
    in one transaction; for each, whether it was applied (False: a duplicate). Consecutive fresh
    events of a type in ``run_handlers`` go to that handler together."""
    if not events:
        return []
    with database.estate_session(events[0][0].subject) as session:
        return apply_in_session(session, consumer, events, run_handlers)


def apply_in_session(
    session: Session,
    consumer: str,
    events: list[tuple[CloudEvent, EventHandler]],
    run_handlers: dict[str, RunHandler] | None = None,
) -> list[bool]:
    """:func:`apply_events` in the caller's transaction, for events of any estates (the committee's
    rebuild): claimed in one statement, then applied in order; a run handler gets consecutive fresh
    events of its type and of one estate."""
    if not events:
        return []
    run_handlers = run_handlers or {}
    applied = claim_events(session, consumer, [event for event, _ in events])
    fresh = [(event, handler) for (event, handler), new in zip(events, applied, strict=True) if new]
    for (event_type, _), group in itertools.groupby(fresh, key=lambda item: (item[0].type, item[0].subject)):
        run = list(group)
        run_handler = run_handlers.get(event_type)
        if run_handler is not None:
            run_handler(session, [event for event, _ in run])
            continue
        for event, handler in run:
            handler(session, event)
    return applied


class ConsumerStalled(Exception):
    """A partition has events waiting, yet the consumer's polls bring none from it."""


class StallWatch:
    """Which partitions of a consumer are stuck: every ``seconds`` the consumer looks at the events
    waiting in its partitions; a partition that had events waiting at the last look, still has, and
    brought no records in between is stuck (kafka-python 3 has been seen to stop fetching a partition
    until the next rebalance while the others flow: dpkp/kafka-python#3106, #3131)."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._seconds = seconds
        self._clock = clock
        self._next_look = clock() + seconds
        self._fed: set[Any] = set()  # partitions that brought records since the last look
        self._waiting_before: set[Any] = set()

    def polled(self, batches: dict[Any, list[Any]]) -> bool:
        """Note a poll's records; whether it is time to look."""
        self._fed.update(partition for partition, records in batches.items() if records)
        now = self._clock()
        if now < self._next_look:
            return False
        self._next_look = now + self._seconds
        return True

    def stuck(self, waiting: dict[Any, int]) -> dict[Any, int]:
        """At a look, given the events waiting now per partition: those of the stuck partitions."""
        stuck = {p: count for p, count in waiting.items() if p in self._waiting_before and p not in self._fed}
        self._waiting_before = set(waiting)
        self._fed = set()
        return stuck


def events_waiting(consumer: Any) -> dict[Any, int]:
    """The assigned partitions whose end offset is past the consumer's position, and by how much.

    A partition whose position or end is not known yet (just assigned) is left out. One partition a
    request: kafka-python 3.0.12 drops answers of a many-partition ``end_offsets``."""
    waiting = {}
    for partition in consumer.assignment() or ():
        try:
            position = consumer.position(partition, timeout_ms=0)
            end = consumer.end_offsets([partition], timeout_ms=2000).get(partition)
        except Exception:  # noqa: BLE001 - unknown for now; the next look asks again
            continue
        if position is not None and end is not None and end > position:
            waiting[partition] = end - position
    return waiting


GATHER_BYTES = 1024 * 1024  # a gathering fetch returns early once this much has arrived


def _fetch_settings(gather_ms: int) -> dict[str, int]:
    if gather_ms <= 0:
        return {"fetch_min_bytes": 1}  # the broker answers a fetch as soon as one event is there
    return {"fetch_min_bytes": GATHER_BYTES, "fetch_max_wait_ms": gather_ms}


class IdempotentConsumer:
    """Background thread running one :class:`Subscription`."""

    def __init__(self, settings: ServiceSettings, database: Database, subscription: Subscription) -> None:
        self._settings = settings
        self._database = database
        self._subscription = subscription
        self._metrics = ConsumerMetrics(settings.service_name, subscription.name, subscription.topics)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"consumer-{subscription.name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=15)

    def _connect(self) -> KafkaConsumer:
        ensure_topics(self._settings, self._subscription.topics)
        consumer = KafkaConsumer(
            bootstrap_servers=self._settings.kafka_bootstrap,
            group_id=self._subscription.name,
            client_id=f"{self._settings.service_name}-{self._subscription.name}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            # A read model applying batches takes more per poll (one transaction per estate in it).
            max_poll_records=500 if self._subscription.batch_by_estate else 100,
            **_fetch_settings(self._subscription.gather_ms),
        )
        consumer.subscribe(self._subscription.topics)
        return consumer

    def _run(self) -> None:
        consumer: KafkaConsumer | None = None
        watch: StallWatch  # one per connection, made with it
        while not self._stop.is_set():
            try:
                if consumer is None:
                    consumer = self._connect()
                    watch = StallWatch(self._settings.consumer_stall_seconds)
                batches = self._poll(consumer)
                if watch.polled(batches):
                    self._check_not_stalled(consumer, watch)
                applied: dict[Any, OffsetAndMetadata] = {}
                try:
                    for partition, records in batches.items():
                        applied_up_to: int | None = None
                        try:
                            if self._subscription.batch_by_estate:
                                applied_up_to = self._handle_batch(records)
                            else:
                                for record in records:
                                    if self._stop.is_set():
                                        break
                                    self._handle_with_retries(record)
                                    applied_up_to = record.offset + 1
                        finally:
                            if applied_up_to is not None:
                                applied[partition] = OffsetAndMetadata(applied_up_to, "", -1)
                finally:
                    # One offset commit per poll, for every partition it applied, not one per event
                    # or per partition (a round trip to the broker each): a crash before it
                    # redelivers events already applied, which their claims turn into no-ops.
                    if applied:
                        consumer.commit(applied)
                self._metrics.observe(consumer, batches)
            except Exception as error:  # noqa: BLE001 - reconnect after any broker outage
                log.warning("consumer loop failed; reconnecting", extra={"error": repr(error)})
                if consumer is not None:
                    with contextlib.suppress(Exception):  # the connection is being dropped anyway
                        consumer.close(autocommit=False)
                    consumer = None
                self._stop.wait(2)
        if consumer is not None:
            consumer.close(autocommit=False)

    def _poll(self, consumer: KafkaConsumer) -> dict[Any, list[Any]]:
        batches: dict[Any, list[Any]] = consumer.poll(timeout_ms=500)
        return batches

    def _check_not_stalled(self, consumer: KafkaConsumer, watch: StallWatch) -> None:
        """Raise :class:`ConsumerStalled` when a partition is stuck (see :class:`StallWatch`): the loop
        then connects afresh, a new member of the group fetching from the committed offsets."""
        stuck = watch.stuck(events_waiting(consumer))
        if not stuck:
            return
        CONSUMER_STALLS.labels(self._settings.service_name, self._subscription.name).inc()
        behind = {f"{tp.topic}[{tp.partition}]": count for tp, count in stuck.items()}
        raise ConsumerStalled(
            f"partitions brought nothing for {self._settings.consumer_stall_seconds:g}s: {behind} wait"
        )

    def _handle_batch(self, records: list[Any]) -> int | None:
        """Apply a partition's batch, one transaction per estate; the offset after the last record
        handled (None when none was). Records are parsed first: a record that cannot be read is
        dead-lettered, one of no interest is skipped; an estate's group that fails is replayed one
        event at a time (retries, dead letters) so that one faulty event never blocks the others."""
        if not records:
            return None
        name, service = self._subscription.name, self._settings.service_name
        groups: dict[str, list[tuple[Any, CloudEvent, EventHandler]]] = {}
        for record in records:
            try:
                event = CloudEvent.from_kafka(list(getattr(record, "headers", None) or []), record.value)
            except ValueError as error:
                self._dead_letter(record, error)
                continue
            handler = self._subscription.handlers.get(event.type)
            if handler is None:
                EVENTS_CONSUMED.labels(service, name, event.type, "ignored").inc()
                continue
            groups.setdefault(event.subject, []).append((record, event, handler))
        for group in groups.values():
            if self._stop.is_set():
                # Nothing after this point is committed; the offset below covers only whole batches.
                raise InterruptedError("consumer stopped before the batch was applied")
            try:
                with tracing.consumer_span(group[0][1], group[0][0], name) as span:
                    span.set_attribute("xinyi.events.in_batch", len(group))
                    outcomes = apply_events(
                        self._database,
                        name,
                        [(event, handler) for _, event, handler in group],
                        self._subscription.run_handlers,
                    )
            except Exception as error:  # noqa: BLE001 - each event of the group is retried on its own
                log.warning("batch not applied; applying its events one by one", extra={"error": repr(error)})
                for record, _, _ in group:
                    self._handle_with_retries(record)
                continue
            for (_, event, _), applied in zip(group, outcomes, strict=True):
                EVENTS_CONSUMED.labels(service, name, event.type, "applied" if applied else "duplicate").inc()
        return int(records[-1].offset) + 1

    def _handle_with_retries(self, record: Any) -> None:
        attempt = 0
        while not self._stop.is_set():
            attempt += 1
            try:
                self._handle(record)
                return
            except Exception as error:  # noqa: BLE001 - classified below
                if is_transient(error) or attempt < MAX_ATTEMPTS_FOR_FAULTY_EVENT:
                    delay = min(0.2 * 2**attempt, 10.0)
                    log.warning(
                        "event not applied; retrying",
                        extra={"error": repr(error), "attempt": attempt, "offset": getattr(record, "offset", None)},
                    )
                    self._stop.wait(delay)
                    continue
                self._dead_letter(record, error)
                return
        # Stopping mid-retry: the offset is not committed, so the event is redelivered after restart.
        raise InterruptedError("consumer stopped before the event was applied")

    def _handle(self, record: Any) -> None:
        headers = list(getattr(record, "headers", None) or [])
        value: bytes = record.value
        name = self._subscription.name
        try:
            event = CloudEvent.from_kafka(headers, value)
        except ValueError as error:
            self._dead_letter(record, error)
            return
        handler = self._subscription.handlers.get(event.type)
        if handler is None:
            EVENTS_CONSUMED.labels(self._settings.service_name, name, event.type, "ignored").inc()
            return
        # A span continuing the trace of the request that made the event (its request id in the logs).
        with tracing.consumer_span(event, record, name) as span:
            applied = apply_event(self._database, name, event, handler)
            outcome = "applied" if applied else "duplicate"
            span.set_attribute("xinyi.event.outcome", outcome)
            EVENTS_CONSUMED.labels(self._settings.service_name, name, event.type, outcome).inc()
            log.info(
                "event %s", outcome, extra={"event_id": event.id, "event_type": event.type, "estate": event.subject}
            )

    def _dead_letter(self, record: Any, error: Exception) -> None:
        headers = {k: (v.decode(errors="replace") if v else None) for k, v in (getattr(record, "headers", None) or [])}
        with self._database.system_session() as session:
            session.execute(
                text(
                    'INSERT INTO dead_letters (consumer, topic, "partition", "offset", event_id, event_type, '
                    "error, payload, headers) VALUES (:consumer, :topic, :partition, :offset, :event_id, "
                    ":event_type, :error, :payload, CAST(:headers AS jsonb))"
                ),
                {
                    "consumer": self._subscription.name,
                    "topic": record.topic,
                    "partition": record.partition,
                    "offset": record.offset,
                    "event_id": headers.get("ce_id"),
                    "event_type": headers.get("ce_type"),
                    "error": repr(error),
                    "payload": record.value,
                    "headers": json.dumps(headers),
                },
            )
        EVENTS_CONSUMED.labels(
            self._settings.service_name, self._subscription.name, headers.get("ce_type") or "?", "dead_letter"
        ).inc()
        log.error("event dead-lettered", extra={"error": repr(error), "event_id": headers.get("ce_id")})
