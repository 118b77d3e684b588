"""Rebuild the committee's read side from the event history: ``python -m tenant_service.governance_rebuild``
(or ``xinyi-tenant-governance-rebuild``), with the tenant service's settings (XINYI_* variables).

In one transaction: the read model's tables and the consumer group's claims are emptied, and every
event of the four topics, from their beginning to their ends as found at the start, is applied again
by the same handlers the live consumer uses. Readers keep seeing the old figures until it commits
(the tables are emptied by DELETE, not TRUNCATE); the live consumer waits on the locks, then skips
what the rebuild applied (its claims) and applies what came after. The topics must therefore keep
their whole history (Kafka retention of these topics: unlimited)."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import text

from tenant_service.adapters.governance_store import READ_MODEL_TABLES
from tenant_service.entrypoints.governance_consumer import SUBSCRIPTION
from tenant_service.settings import TenantSettings
from xinyi_shared.consumer import EventHandler, apply_in_session
from xinyi_shared.db import Database
from xinyi_shared.events import CloudEvent
from xinyi_shared.kafka_topics import ensure_topics

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rebuilt:
    records: int
    applied: int
    duplicates: int
    unreadable: int
    seconds: float


def rebuild(
    settings: TenantSettings, database: Database, topics: Sequence[str] = tuple(SUBSCRIPTION.topics)
) -> Rebuilt:
    """Empty the read model and apply every event of ``topics`` (the four services' by default)."""
    started = time.monotonic()
    ensure_topics(settings, list(topics))
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        client_id=f"{settings.service_name}-governance-rebuild",
        enable_auto_commit=False,
        group_id=None,
        max_poll_records=2000,
    )
    records = applied = duplicates = unreadable = 0
    try:
        partitions = [
            TopicPartition(topic, partition)
            for topic in topics
            for partition in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        with database.system_session() as session:
            # Claims first, then the tables: the live consumer claims before it writes, so it waits
            # at its first statement and never holds what this transaction needs.
            session.execute(text("LOCK TABLE processed_events IN SHARE ROW EXCLUSIVE MODE"))
            session.execute(text(f"LOCK TABLE {', '.join(READ_MODEL_TABLES)} IN SHARE ROW EXCLUSIVE MODE"))
            for table in READ_MODEL_TABLES:
                session.execute(text(f"DELETE FROM {table}"))
            session.execute(text("DELETE FROM processed_events WHERE consumer = :c"), {"c": SUBSCRIPTION.name})
            remaining = {tp for tp in partitions if consumer.position(tp) < ends[tp]}
            while remaining:
                for tp, batch in consumer.poll(timeout_ms=1000).items():
                    # A poll's events of a partition are claimed in one statement and applied by the
                    # live consumer's handlers, runs of BooksMoved summed as it sums them.
                    events: list[tuple[CloudEvent, EventHandler]] = []
                    for record in batch:
                        if record.offset >= ends[tp]:
                            break
                        records += 1
                        try:
                            event = CloudEvent.from_kafka(list(record.headers or []), record.value)
                        except ValueError:
                            unreadable += 1
                            continue
                        handler = SUBSCRIPTION.handlers.get(event.type)
                        if handler is not None:
                            events.append((event, handler))
                    fresh = apply_in_session(session, SUBSCRIPTION.name, events, SUBSCRIPTION.run_handlers)
                    applied += sum(fresh)
                    duplicates += len(fresh) - sum(fresh)  # the same event delivered twice: applied once
                remaining = {tp for tp in remaining if consumer.position(tp) < ends[tp]}
    finally:
        consumer.close()
    return Rebuilt(records, applied, duplicates, unreadable, time.monotonic() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    settings = TenantSettings()
    database = Database(settings)
    try:
        result = rebuild(settings, database)
    finally:
        database.dispose()
    print(
        f"rebuilt the committee's read side: {result.applied} events applied of {result.records} records "
        f"({result.duplicates} duplicates, {result.unreadable} unreadable) in {result.seconds:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
