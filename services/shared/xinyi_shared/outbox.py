"""Transactional outbox: events are written in the same transaction as the change they announce,
then relayed to Kafka (acks=all, idempotent producer) by :class:`OutboxRelay`.

A rolled-back change therefore never emits its event, and an accepted change never loses it: the
row stays until Kafka acknowledged it. Relaying can repeat an event after a crash between the
broker's acknowledgement and the row's update; consumers are idempotent on the event id.

Recording an event also notifies the channel ``xinyi_outbox``, which PostgreSQL delivers only when
the transaction commits (and to listeners of the service's own database only). Every relay — one
per worker process — listens on it; the one leading the service's relays (the holder of its lead lock)
relays, so an event leaves within milliseconds of its commit, whichever process committed it.
Polling every ``outbox_poll_seconds`` remains as the fallback of a relay that cannot listen; a
listening relay with nothing to do looks on its own only every ``outbox_idle_check_seconds``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import threading
import time
import uuid
import zlib
from typing import Any

import psycopg
from confluent_kafka import KafkaError, KafkaException, Producer
from confluent_kafka import Message as KafkaMessage
from google.protobuf.message import Message
from prometheus_client import Counter, Gauge
from psycopg.rows import TupleRow
from sqlalchemy import Row, make_url, text
from sqlalchemy.orm import Session

from xinyi_shared import tracing
from xinyi_shared.db import Database, Executor
from xinyi_shared.events import CloudEvent
from xinyi_shared.kafka_topics import ensure_topics
from xinyi_shared.platform_metrics import OUTBOX_OLDEST_EVENT_AGE, outbox_backlog
from xinyi_shared.settings import ServiceSettings

log = logging.getLogger(__name__)

OUTBOX_PUBLISHED = Counter("xinyi_outbox_published_total", "Events relayed from the outbox to Kafka", ["service"])
OUTBOX_PENDING = Gauge(
    "xinyi_outbox_pending",
    "Events in the outbox not yet acknowledged by Kafka",
    ["service"],
    multiprocess_mode="livemax",  # every worker's relay measures the same outbox
)
OUTBOX_GAPS_SKIPPED = Counter(
    "xinyi_outbox_gaps_skipped_total",
    "Missing outbox seqs the relay stopped waiting for (rolled back, or committed later than the wait)",
    ["service"],
)
OUTBOX_FAILURES = Counter(
    "xinyi_outbox_relay_failures_total", "Relay rounds that failed and will be retried", ["service"]
)

OUTBOX_PRUNED = Counter(
    "xinyi_outbox_pruned_total", "Relayed events deleted from the outbox after outbox_keep_hours", ["service"]
)

BATCH_SIZE = 500
# The first pending seq (``edge.seq``, NULL when none waits) and the seq just below it (``edge.below``:
# the newest seq when none waits, 0 when there is none), where the relay's round counts from and the
# prune stops: one backward probe of the seq index, once. (max() over a join with the first CTE read
# every published row below it: a round's cost grew with the outbox's history.)
_EDGE = (
    "first AS MATERIALIZED (SELECT min(seq) AS seq FROM outbox WHERE published_at IS NULL), "
    "edge AS MATERIALIZED (SELECT first.seq, coalesce((SELECT o.seq FROM outbox o WHERE o.seq < "
    "coalesce(first.seq, 9223372036854775807) ORDER BY o.seq DESC LIMIT 1), 0) AS below FROM first)"
)
# Relayed events deleted at most this many per prune (a short statement in a relay round).
PRUNE_BATCH = 5000
# While a missing seq is awaited, the relay looks again this often (a rollback sends no notification).
GAP_RECHECK_SECONDS = 0.05
BACKLOG_MEASURE_SECONDS = 1.0  # the backlog gauges are at most this old (outbox_idle_check_seconds when idle)
# Notified by every transaction that records an event; each service has its own database, so the
# channel reaches that service's relays only.
OUTBOX_CHANNEL = "xinyi_outbox"
# The listener reconnects after a lost connection, waiting longer after each failure up to this.
LISTENER_RETRY_MAX_SECONDS = 30.0
# A relay that is not the service's leading relay relays one round and tries to become the leader
# this often (a leader that died released its lock with its connection).
LEAD_RETRY_SECONDS = 1.0


def record_event(session: Executor, topic: str, event: CloudEvent) -> None:
    """Add ``event`` to the outbox inside the caller's transaction, and wake the relays on commit."""
    # RETURNING pg_notify(...) queues the notification in the same statement (no extra round trip);
    # PostgreSQL sends it only if the transaction commits, once however many events it recorded.
    session.execute(
        text(
            "INSERT INTO outbox (id, estate_code, topic, event_type, attributes, payload) "
            "VALUES (:id, :estate, :topic, :type, CAST(:attributes AS jsonb), :payload) "
            f"RETURNING pg_notify('{OUTBOX_CHANNEL}', '')"
        ),
        {
            "id": uuid.UUID(event.id),
            "estate": event.subject,
            "topic": topic,
            "type": event.type,
            "attributes": _json(event.attributes()),
            "payload": event.data,
        },
    )


def publish(session: Executor, topic: str, source: str, estate_code: str, message: Message) -> CloudEvent:
    """Build the CloudEvent for ``message`` and record it in the outbox; returns the event. The event
    carries the trace context of its creation (a span of its own), which its consumers continue."""
    with tracing.event_span(topic, message.DESCRIPTOR.full_name, estate_code) as span:
        event = CloudEvent.from_message(source, estate_code, message)
        span.set_attribute("messaging.message.id", event.id)
        record_event(session, topic, event)
    return event


def _json(value: dict[str, str]) -> str:
    return json.dumps(value, ensure_ascii=False)


def listener_conninfo(settings: ServiceSettings) -> str:
    """libpq URL of the system role (the relay's LISTEN connection, plain psycopg, no SQLAlchemy)."""
    url = make_url(settings.database_url("system")).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class OutboxRelay:
    """Background thread moving outbox rows to Kafka, in order, one relay at a time per service.

    The thread relays, then sleeps until a commit notifies :data:`OUTBOX_CHANNEL`, :meth:`wake` is
    called, or ``outbox_poll_seconds`` pass; a burst of notifications becomes one relay round.

    Each round relays under the service's round lock (``pg_try_advisory_xact_lock``), so one relay
    at a time sends the outbox, in order, whatever the others do. One relay leads: it holds the
    service's lead lock on its LISTEN connection and relays at every commit of every process, all
    of which notify it. The others do not wake at commits to find the round lock taken: they relay
    one round and try to take the lead every :data:`LEAD_RETRY_SECONDS` (the lead passes when the
    leader's connection ends; their rounds keep events moving if a lead lock is ever left behind,
    as behind a transaction-mode pooler). A relay that cannot listen polls.
    """

    def __init__(self, settings: ServiceSettings, database: Database, topics: list[str]) -> None:
        self._settings = settings
        self._database = database
        self._topics = topics
        self._ready_topics: set[str] = set()  # topics known to exist on the cluster
        self._stop = threading.Event()
        # wake() and stop() write a byte here to end the thread's wait at once.
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(self._wake_write, False)
        self._thread = threading.Thread(target=self._run, name="outbox-relay", daemon=True)
        self._producer: Producer | None = None
        self._listener: psycopg.Connection[TupleRow] | None = None
        self._listener_retry_at = 0.0
        self._listener_backoff = 0.0
        # One lock id per service: a second replica waits instead of reordering an estate's events.
        self._lock_id = zlib.crc32(f"xinyi-outbox-{settings.service_name}".encode())
        self._lead_lock_id = zlib.crc32(f"xinyi-outbox-lead-{settings.service_name}".encode())
        # Missing seqs seen (first seq of the gap → when first seen): see relay_once.
        self._gaps: dict[int, float] = {}
        self._backlog_due = 0.0  # when the backlog's gauges are measured next (time.monotonic())
        self._prune_due = 0.0  # when relayed events past their keep are deleted next
        self.holding_gap = False
        self.round_lock_busy = False  # the last round found another relay's round under way
        self._leading = False  # holds the service's lead lock on the listener connection
        self._lead_attempt_at = 0.0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.wake()
        self._thread.join(timeout=15)
        if self._producer is not None:
            self._producer.flush(5)  # a round cut short by stop() has its rows relayed again anyway
        if not self._thread.is_alive():
            fds, self._wake_read, self._wake_write = (self._wake_read, self._wake_write), -1, -1
            for fd in fds:
                with contextlib.suppress(OSError):
                    os.close(fd)

    def wake(self) -> None:
        """Relay now rather than at the next notification or poll."""
        if self._wake_write < 0:
            return  # stopped
        with contextlib.suppress(BlockingIOError):  # a full pipe already holds a wake-up
            os.write(self._wake_write, b"!")

    @property
    def listening(self) -> bool:
        """Whether commits wake the relay (else it is polling until the listener reconnects)."""
        return self._listener is not None

    @property
    def leading(self) -> bool:
        """Whether this is the service's relay that relays every process's commits."""
        return self._leading and self._listener is not None

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    self._loop()
                except Exception:  # a bug here must not end relaying for the life of the process
                    log.exception("outbox relay thread failed; restarting it")
                    self._close_listener()
                    self._stop.wait(1)
        finally:
            self._close_listener()

    def _loop(self) -> None:
        poll = self._settings.outbox_poll_seconds
        backoff = poll
        while not self._stop.is_set():
            # Listening starts before relaying, so a commit during the round still wakes the next wait.
            self._ensure_listener()
            self._try_to_lead()
            if self._listener is not None and not self._leading:
                # Another relay leads, and is notified of this process's commits too.
                self._follow()
                continue
            try:
                started = time.monotonic()
                relayed = self.relay_once()
                backoff = poll
                if relayed:
                    # Notifications of commits up to now are covered by the next round, which waits
                    # for the rest of the interval so that events committed meanwhile share it.
                    self._stop.wait(started + self._settings.outbox_round_interval_seconds - time.monotonic())
                    self._drain_notifications()
                    continue
                notified = True
                if self.holding_gap or self.round_lock_busy:
                    # A held-back seq's commit notifies but its rollback does not, and another relay's
                    # round may end without the events committed during it: look again soon.
                    self._wait(min(poll, GAP_RECHECK_SECONDS), notified)
                    continue
                if self._listener is not None:
                    # Every commit that records an event notifies: nothing to poll for while listening.
                    self._wait(self._settings.outbox_idle_check_seconds, notified)
                    continue
            except Exception as error:  # noqa: BLE001 - the relay must outlive any broker or database outage
                self._round_failed(error)
                backoff = min(max(backoff * 2, 0.5), 10.0)
                # A failing broker or database is retried after the backoff, not on every commit.
                notified = False
            self._wait(backoff, notified)

    def _try_to_lead(self) -> None:
        listener = self._listener
        if listener is None or self._leading or time.monotonic() < self._lead_attempt_at:
            return
        self._lead_attempt_at = time.monotonic() + LEAD_RETRY_SECONDS
        try:
            row = listener.execute("SELECT pg_try_advisory_lock(%s)", (self._lead_lock_id,)).fetchone()
        except Exception as error:  # noqa: BLE001 - reconnect; poll meanwhile
            self._listener_failed("outbox listener lost its connection; polling meanwhile", error)
            return
        self._leading = bool(row and row[0])
        if self._leading:
            log.info("outbox relay leads", extra={"service": self._settings.service_name})

    def _follow(self) -> None:
        """While another relay leads: drop the notifications (the leader has them too), relay one
        round (the gauges stay fresh, and nothing waits on a leader that stopped relaying), and
        sleep until the next attempt to lead."""
        self._drain_notifications()
        try:
            self.relay_once()
        except Exception as error:  # noqa: BLE001 - the leader relays meanwhile; tried again next time
            self._round_failed(error)
        self._wait(max(0.0, self._lead_attempt_at - time.monotonic()), notified=False)

    def _round_failed(self, error: Exception) -> None:
        """Count and log a failed round, and start the next with a new producer (the broker may have
        gone away with the old one's connections)."""
        OUTBOX_FAILURES.labels(self._settings.service_name).inc()
        log.warning("outbox relay failed; will retry", extra={"error": repr(error)})
        self._discard_producer()

    def _measure_backlog(self, session: Session) -> int:
        self._backlog_due = time.monotonic() + BACKLOG_MEASURE_SECONDS
        backlog = outbox_backlog(session)
        OUTBOX_PENDING.labels(self._settings.service_name).set(backlog.pending)
        OUTBOX_OLDEST_EVENT_AGE.labels(self._settings.service_name).set(backlog.oldest_event_age_seconds)
        return backlog.pending

    def _wait(self, timeout: float, notified: bool) -> None:
        """Sleep up to ``timeout``; a notification (when ``notified``), wake() or stop() ends it early."""
        poller = select.poll()
        poller.register(self._wake_read, select.POLLIN)
        listener = self._listener if notified else None
        if listener is not None:
            poller.register(listener.fileno(), select.POLLIN)
        elif notified:
            # Not listening: wake up in time to reconnect, then relay what commits meanwhile left.
            timeout = max(0.0, min(timeout, self._listener_retry_at - time.monotonic()))
        try:
            ready = poller.poll(timeout * 1000)
        except OSError as error:  # EINTR is retried by Python; anything else: sleep, then relay
            log.warning("outbox relay wait failed", extra={"error": repr(error)})
            self._stop.wait(timeout)
            return
        for fd, _ in ready:
            if fd == self._wake_read:
                with contextlib.suppress(OSError):
                    while os.read(self._wake_read, 512):
                        pass
            else:
                self._drain_notifications()

    def _ensure_listener(self) -> None:
        """Connects the LISTEN connection if it is missing and its retry time has come."""
        if self._listener is not None or time.monotonic() < self._listener_retry_at:
            return
        try:
            listener = psycopg.connect(
                listener_conninfo(self._settings),
                autocommit=True,
                connect_timeout=5,
                application_name=f"{self._settings.service_name}-outbox-listener",
                # A peer that vanished without closing the connection is noticed within ~1 minute.
                keepalives=1,
                keepalives_idle=30,
                keepalives_interval=10,
                keepalives_count=3,
            )
        except Exception as error:  # noqa: BLE001 - polling goes on while the database is unreachable
            self._listener_failed("outbox listener could not connect; polling meanwhile", error)
            return
        try:
            listener.execute(f"LISTEN {OUTBOX_CHANNEL}")
        except Exception as error:  # noqa: BLE001
            with contextlib.suppress(Exception):
                listener.close()
            self._listener_failed("outbox listener could not LISTEN; polling meanwhile", error)
            return
        if self._listener_backoff:
            log.info("outbox listener reconnected")
        self._listener = listener
        self._listener_backoff = 0.0

    def _drain_notifications(self) -> int:
        """Consumes every notification already received, without waiting; returns how many."""
        listener = self._listener
        if listener is None:
            return 0
        drained = 0
        try:
            while True:
                # timeout=0: one look at what arrived, then stop (one batch per call).
                batch = sum(1 for _ in listener.notifies(timeout=0))
                if not batch:
                    break
                drained += batch
            if listener.broken or listener.closed:
                raise psycopg.OperationalError("the listener's connection is closed")
        except Exception as error:  # noqa: BLE001 - e.g. the database restarted: reconnect, poll meanwhile
            self._listener_failed("outbox listener lost its connection; polling meanwhile", error)
        return drained

    def _listener_failed(self, message: str, error: Exception) -> None:
        self._close_listener()
        self._listener_backoff = min(max(self._listener_backoff * 2, 0.5), LISTENER_RETRY_MAX_SECONDS)
        self._listener_retry_at = time.monotonic() + self._listener_backoff
        log.warning(message, extra={"error": repr(error), "retry_in_seconds": self._listener_backoff})

    def _close_listener(self) -> None:
        # The lead goes with the connection: PostgreSQL releases a session's locks when it ends.
        self._leading = False
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(Exception):  # a broken connection may fail to close; it is dropped
                listener.close()

    def _discard_producer(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            with contextlib.suppress(Exception):  # purging a broken producer may fail; it is dropped anyway
                producer.purge()  # what it still queued is pending in the outbox, and relayed again
                producer.flush(0)

    def _ensure_producer(self) -> Producer:
        if self._producer is None:
            self._ensure_topics(self._topics)
            # librdkafka (confluent-kafka): batching, checksums and the broker protocol run in its own
            # threads, outside the GIL, so relaying takes little from the requests of the same process
            # (kafka-python's sender thread took ~14% of a busy ledger worker's interpreter time).
            self._producer = Producer(
                {
                    "bootstrap.servers": self._settings.kafka_bootstrap,
                    "client.id": f"{self._settings.service_name}-outbox",
                    "acks": "all",
                    # Idempotence lets the producer retry without duplicating or reordering; retries
                    # stay within delivery.timeout.ms, after which the rows are simply relayed again.
                    "enable.idempotence": True,
                    "delivery.timeout.ms": 30000,
                    "request.timeout.ms": 10000,
                    "linger.ms": 5,
                    # Keyed records go where Java clients and kafka-python put them (murmur2 of the
                    # key), not librdkafka's default (CRC32): an estate's events keep to one partition
                    # whichever client wrote them, and tools can tell which partition holds an estate.
                    "partitioner": "murmur2_random",
                    "logger": log,
                }
            )
        return self._producer

    def _ensure_topics(self, topics: list[str]) -> None:
        """Create the topics not known to exist yet (the broker does not auto-create them).

        Rows name their own topic; one naming a topic the service was not built with would otherwise
        wait on metadata that never comes, and hold back every event behind it, round after round.
        """
        missing = sorted(set(topics) - self._ready_topics)
        if missing:
            ensure_topics(self._settings, missing)
            self._ready_topics.update(missing)

    def _next_in_order(self, session: Session) -> list[Row[Any]]:
        """The pending rows to publish now, in seq order, stopping at a missing seq.

        A seq is taken when a transaction inserts its event, not when it commits: a later transaction
        of the same estate may commit first. Its event is held back until the missing seq commits (its
        notification wakes the relay), so that an estate's events leave in the order they were
        recorded — or until ``outbox_gap_wait_seconds`` have passed, when the seq is taken for a
        transaction rolled back (sequences do not roll back) and skipped.
        """
        window = session.execute(
            text(
                f"WITH {_EDGE} "
                "SELECT edge.below, w.seq, w.pending, w.id, w.estate_code, w.topic, w.attributes, w.payload FROM edge "
                "LEFT JOIN LATERAL (SELECT seq, published_at IS NULL AS pending, id, estate_code, topic, attributes, "
                "payload FROM outbox WHERE seq >= edge.seq ORDER BY seq LIMIT :limit) w ON true"
            ),
            {"limit": BATCH_SIZE},
        ).all()
        self.holding_gap = False
        if not window or window[0].seq is None:
            self._gaps.clear()
            return []
        expected = int(window[0].below) + 1
        now = time.monotonic()
        taken: list[Row[Any]] = []
        for row in window:
            if row.seq > expected:  # seqs expected … row.seq − 1 are not visible: in flight or rolled back
                seen = self._gaps.setdefault(expected, now)
                if now - seen < self._settings.outbox_gap_wait_seconds:
                    self.holding_gap = True
                    break
                del self._gaps[expected]
                OUTBOX_GAPS_SKIPPED.labels(self._settings.service_name).inc()
                log.warning(
                    "outbox seqs never committed; relaying past them",
                    extra={"from_seq": expected, "to_seq": row.seq - 1},
                )
            expected = row.seq + 1
            if row.pending:
                taken.append(row)
        for gap in [gap for gap in self._gaps if gap < expected]:
            del self._gaps[gap]  # filled, or skipped
        return taken

    def prune(self, session: Session) -> int:
        """Delete the oldest relayed events kept longer than ``outbox_keep_hours``; returns how many.

        Only rows below the seq just under the first pending event go (that seq itself stays: it is
        where the relay's next round starts counting, see :meth:`_next_in_order`). Only the lowest
        PRUNE_BATCH seqs are looked at, so a prune costs the same however long the history; when it
        filled its batch the next comes at the next round, else after ``outbox_prune_seconds``.
        """
        deleted = int(
            session.execute(
                text(
                    f"WITH {_EDGE}, "
                    "lowest AS MATERIALIZED (SELECT o.seq, o.published_at FROM outbox o, edge WHERE o.seq < edge.below "
                    "ORDER BY o.seq LIMIT :batch), "
                    "gone AS (DELETE FROM outbox WHERE seq IN (SELECT seq FROM lowest WHERE published_at IS NOT NULL "
                    "AND published_at < now() - make_interval(secs => :keep)) RETURNING 1) "
                    "SELECT count(*) FROM gone"
                ),
                {"batch": PRUNE_BATCH, "keep": self._settings.outbox_keep_hours * 3600},
            ).scalar_one()
        )
        self._prune_due = time.monotonic() + (0 if deleted >= PRUNE_BATCH else self._settings.outbox_prune_seconds)
        if deleted:
            OUTBOX_PRUNED.labels(self._settings.service_name).inc(deleted)
        return deleted

    def _prune_aside(self, session: Session) -> None:
        """Prune in a savepoint of the round: a prune that fails is logged and tried again later, and
        the round relays all the same."""
        try:
            with session.begin_nested():
                self.prune(session)
        except Exception as error:  # noqa: BLE001 - relaying matters more than tidying
            self._prune_due = time.monotonic() + self._settings.outbox_prune_seconds
            log.warning("outbox prune failed; relaying goes on", extra={"error": repr(error)})

    def relay_once(self) -> int:
        """Relay one batch; returns how many events Kafka acknowledged."""
        self.holding_gap = False
        self.round_lock_busy = False
        with self._database.system_session() as session:
            # Measured by every replica's relay, the one holding the lock or not, so none reports a
            # backlog it saw rounds ago; at most once a BACKLOG_MEASURE_SECONDS, as under load the
            # leader wakes at every commit and the count would cost more than the relaying.
            if time.monotonic() >= self._backlog_due and not self._measure_backlog(session):
                return 0
            locked = session.execute(text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": self._lock_id}).scalar()
            if not locked:
                self.round_lock_busy = True
                return 0
            if time.monotonic() >= self._prune_due:
                self._prune_aside(session)
            rows = self._next_in_order(session)
            if not rows:
                return 0
            producer = self._ensure_producer()
            self._ensure_topics([row.topic for row in rows])
            failures: list[KafkaError] = []

            def delivered(error: KafkaError | None, _message: KafkaMessage) -> None:
                if error is not None:
                    failures.append(error)

            for row in rows:
                event = CloudEvent.from_attributes(row.attributes, bytes(row.payload))
                headers: list[tuple[str, str | bytes | None]] = list(event.kafka_headers())
                producer.produce(
                    row.topic,
                    key=row.estate_code.encode(),
                    value=event.data,
                    headers=headers,
                    on_delivery=delivered,
                )
            unacknowledged = producer.flush(30)  # serves the delivery reports
            if failures:  # the rows stay pending
                raise KafkaException(failures[0])
            if unacknowledged:
                raise KafkaException(KafkaError(KafkaError._MSG_TIMED_OUT, f"{unacknowledged} events not acknowledged"))
            session.execute(
                text("UPDATE outbox SET published_at = now() WHERE id = ANY(:ids)"),
                {"ids": [row.id for row in rows]},
            )
        OUTBOX_PUBLISHED.labels(self._settings.service_name).inc(len(rows))
        OUTBOX_PENDING.labels(self._settings.service_name).dec(len(rows))
        return len(rows)
