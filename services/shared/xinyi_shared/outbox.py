"""Transactional outbox: events are written in the same transaction as the change they announce,
then relayed to Kafka (acks=all, idempotent producer) by :class:`OutboxRelay`.

A rolled-back change therefore never emits its event, and an accepted change never loses it: the
row stays until Kafka acknowledged it. Relaying can repeat an event after a crash between the
broker's acknowledgement and the row's update; consumers are idempotent on the event id.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import uuid
import zlib

from google.protobuf.message import Message
from kafka import KafkaProducer
from prometheus_client import Counter, Gauge
from sqlalchemy import text
from sqlalchemy.orm import Session

from xinyi_shared.db import Database
from xinyi_shared.events import CloudEvent
from xinyi_shared.kafka_topics import ensure_topics
from xinyi_shared.settings import ServiceSettings

log = logging.getLogger(__name__)

OUTBOX_PUBLISHED = Counter("xinyi_outbox_published_total", "Events relayed from the outbox to Kafka", ["service"])
OUTBOX_PENDING = Gauge("xinyi_outbox_pending", "Events in the outbox not yet acknowledged by Kafka", ["service"])
OUTBOX_FAILURES = Counter(
    "xinyi_outbox_relay_failures_total", "Relay rounds that failed and will be retried", ["service"]
)

BATCH_SIZE = 500


def record_event(session: Session, topic: str, event: CloudEvent) -> None:
    """Add ``event`` to the outbox inside the caller's transaction."""
    session.execute(
        text(
            "INSERT INTO outbox (id, estate_code, topic, event_type, attributes, payload) "
            "VALUES (:id, :estate, :topic, :type, CAST(:attributes AS jsonb), :payload)"
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


def publish(session: Session, topic: str, source: str, estate_code: str, message: Message) -> CloudEvent:
    """Build the CloudEvent for ``message`` and record it in the outbox; returns the event."""
    event = CloudEvent.from_message(source, estate_code, message)
    record_event(session, topic, event)
    return event


def _json(value: dict[str, str]) -> str:
    return json.dumps(value, ensure_ascii=False)


class OutboxRelay:
    """Background thread moving outbox rows to Kafka, in order, one relay at a time per service."""

    def __init__(self, settings: ServiceSettings, database: Database, topics: list[str]) -> None:
        self._settings = settings
        self._database = database
        self._topics = topics
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox-relay", daemon=True)
        self._producer: KafkaProducer | None = None
        # One lock id per service: a second replica waits instead of reordering an estate's events.
        self._lock_id = zlib.crc32(f"xinyi-outbox-{settings.service_name}".encode())

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=15)
        if self._producer is not None:
            self._producer.close(timeout=5)

    def wake(self) -> None:
        """Relay now rather than at the next poll (called after a commit that recorded events)."""
        self._wake.set()

    def _run(self) -> None:
        backoff = self._settings.outbox_poll_seconds
        while not self._stop.is_set():
            try:
                relayed = self.relay_once()
                backoff = self._settings.outbox_poll_seconds
                if relayed:
                    continue
            except Exception as error:  # noqa: BLE001 - the relay must outlive any broker or database outage
                OUTBOX_FAILURES.labels(self._settings.service_name).inc()
                log.warning("outbox relay failed; will retry", extra={"error": repr(error)})
                self._discard_producer()
                backoff = min(max(backoff * 2, 0.5), 10.0)
            self._wake.wait(backoff)
            self._wake.clear()

    def _discard_producer(self) -> None:
        if self._producer is not None:
            with contextlib.suppress(Exception):  # closing a broken producer may fail; it is dropped anyway
                self._producer.close(timeout=1)
            self._producer = None

    def _ensure_producer(self) -> KafkaProducer:
        if self._producer is None:
            ensure_topics(self._settings, self._topics)
            self._producer = KafkaProducer(
                bootstrap_servers=self._settings.kafka_bootstrap,
                client_id=f"{self._settings.service_name}-outbox",
                acks="all",
                # Idempotence lets the producer retry without duplicating; retries stay unbounded
                # within delivery_timeout_ms, after which the rows are simply relayed again.
                enable_idempotence=True,
                delivery_timeout_ms=30000,
                max_in_flight_requests_per_connection=1,
                max_block_ms=5000,
                request_timeout_ms=10000,
                linger_ms=5,
            )
        return self._producer

    def relay_once(self) -> int:
        """Relay one batch; returns how many events Kafka acknowledged."""
        with self._database.system_session() as session:
            locked = session.execute(text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": self._lock_id}).scalar()
            if not locked:
                return 0
            pending = session.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL")).scalar_one()
            OUTBOX_PENDING.labels(self._settings.service_name).set(pending)
            if not pending:
                return 0
            rows = session.execute(
                text(
                    "SELECT id, estate_code, topic, attributes, payload FROM outbox "
                    "WHERE published_at IS NULL ORDER BY seq LIMIT :limit"
                ),
                {"limit": BATCH_SIZE},
            ).all()
            producer = self._ensure_producer()
            futures = []
            for row in rows:
                event = CloudEvent.from_attributes(row.attributes, bytes(row.payload))
                futures.append(
                    producer.send(
                        row.topic,
                        key=row.estate_code.encode(),
                        value=event.data,
                        headers=event.kafka_headers(),
                    )
                )
            producer.flush(timeout=30)
            for future in futures:
                future.get(timeout=30)  # raises if Kafka did not acknowledge; the rows stay pending
            session.execute(
                text("UPDATE outbox SET published_at = now() WHERE id = ANY(:ids)"),
                {"ids": [row.id for row in rows]},
            )
        OUTBOX_PUBLISHED.labels(self._settings.service_name).inc(len(rows))
        OUTBOX_PENDING.labels(self._settings.service_name).dec(len(rows))
        return len(rows)
