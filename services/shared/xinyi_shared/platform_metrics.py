"""Metrics of the platform's own machinery, beside the request metrics of :mod:`xinyi_shared.http` and
:mod:`xinyi_shared.grpc_server`: Kafka consumer lag, the outbox's oldest waiting event, and the use of
the database pools.

None carries an estate label: their label sets are bounded by the services, their consumer groups and
topics, and their two engines (``app``, ``system``). Everything here is registered at import, so the
names exist (empty) before a service starts; the values come from:

- :class:`ConsumerMetrics`, which the idempotent consumer's thread calls after each poll — every few
  seconds, the lag from what the consumer already knows (its positions, and the high watermarks of
  the fetch responses it read), asking the broker for the end offsets only of partitions it has not
  read a fetch response of yet;
- :func:`outbox_backlog`, which the outbox relay runs on each round (one query on the outbox's
  unpublished rows);
- :data:`DATABASE_POOLS`, a collector that reads each tracked engine's pool when Prometheus scrapes
  (no thread, no polling) — with one worker process. With several (prometheus_client's multiprocess
  mode, see :mod:`xinyi_shared.exposition`) the scraped worker cannot see the others' pools, so each
  worker writes its own into livesum gauges of the same names, every :data:`POOL_GAUGE_SECONDS`
  (:class:`PoolGauges`), and the scrape sums them.

Each gauge says how the workers' values are merged in that mode (``multiprocess_mode``): summed when
each worker holds a part (partitions, lag, connections), the largest when each measures the same thing
(the outbox, the last poll, the last event's delay).
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from kafka.errors import IllegalStateError
from prometheus_client import REGISTRY, Gauge
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlalchemy.pool import QueuePool

from xinyi_shared.db import Database, Executor, sql

log = logging.getLogger(__name__)

# --- Kafka consumers ---------------------------------------------------------------------------------

KAFKA_CONSUMER_LAG = Gauge(
    "xinyi_kafka_consumer_lag",
    "Events in the partitions assigned to this consumer that it has not yet handled "
    "(end offset minus position), summed per topic; 0 when it holds no partition of the topic",
    ["service", "consumer", "topic"],
    multiprocess_mode="livesum",  # each worker's consumer holds some of the group's partitions
)
KAFKA_CONSUMER_PARTITIONS = Gauge(
    "xinyi_kafka_consumer_assigned_partitions",
    "Partitions of its topics assigned to this consumer by its group",
    ["service", "consumer"],
    multiprocess_mode="livesum",
)
KAFKA_CONSUMER_EVENT_DELAY = Gauge(
    "xinyi_kafka_consumer_event_delay_seconds",
    "How long the last event the consumer handled had been in Kafka when it was handled "
    "(handling time minus the record's Kafka timestamp)",
    ["service", "consumer"],
    multiprocess_mode="livemax",  # the longest of the workers' last delays
)
KAFKA_CONSUMER_LAST_POLL = Gauge(
    "xinyi_kafka_consumer_last_poll_timestamp_seconds",
    "When the consumer last polled Kafka and handled what it got (Unix time); it stops advancing while "
    "the consumer retries an event it cannot apply or cannot reach the broker, when its lag is stale too",
    ["service", "consumer"],
    multiprocess_mode="livemax",  # the latest poll of the workers, as the alert takes the latest of the replicas
)

# How often a consumer recomputes its lag (cheap, but no need to do it after every poll), and how long
# it waits at most for the end offsets it has to ask the broker for.
LAG_INTERVAL_SECONDS = 5.0
END_OFFSETS_TIMEOUT_MS = 2000


class PartitionOffsets(NamedTuple):
    """What a consumer knows of one assigned partition: its next offset to fetch (``position``) and
    the offset the next produced record will get (``end``, the high watermark); None when unknown."""

    topic: str
    position: int | None
    end: int | None


def lag_by_topic(topics: Iterable[str], partitions: Iterable[PartitionOffsets]) -> dict[str, int]:
    """The lag of each subscribed topic: the sum over its assigned partitions of ``end - position``.

    Every topic of ``topics`` is in the answer, at 0 when none of its partitions is assigned here (a
    replica beside others in its group may hold none), so that summing the series of all replicas
    gives the group's lag. A partition whose position or end is not yet known (just assigned, not yet
    fetched) counts 0, as does one whose position passed a stale high watermark."""
    lag = dict.fromkeys(topics, 0)
    for partition in partitions:
        if partition.position is None or partition.end is None:
            continue
        lag[partition.topic] = lag.get(partition.topic, 0) + max(0, partition.end - partition.position)
    return lag


def _partition_offsets(consumer: Any) -> list[PartitionOffsets]:
    """The assigned partitions' offsets. The end is the high watermark of the last fetch response the
    consumer read for the partition; a consumer far behind may not have read one yet for some (their
    responses wait in its buffer while it works through another's records), and only for those is the
    broker asked (one ListOffsets request). ``position(tp, timeout_ms=0)`` never waits: it is a lookup
    once poll() positioned the partition, and None before."""
    ends: dict[Any, int | None] = {}
    for tp in consumer.assignment() or ():
        try:
            ends[tp] = consumer.highwater(tp)
        except IllegalStateError:  # revoked meanwhile
            continue
    unknown = [tp for tp, end in ends.items() if end is None]
    if unknown:
        try:
            ends.update(consumer.end_offsets(unknown, timeout_ms=END_OFFSETS_TIMEOUT_MS))
        except Exception as error:  # noqa: BLE001 - counted as unknown until the next round
            log.debug("end offsets not known", extra={"error": repr(error)})
    offsets = []
    for tp, end in ends.items():
        try:
            position = consumer.position(tp, timeout_ms=0)
        except IllegalStateError:
            continue
        offsets.append(PartitionOffsets(tp.topic, position, end))
    return offsets


class ConsumerMetrics:
    """The lag and event delay of one consumer (group), updated by its own thread (a KafkaConsumer is
    not thread-safe, so nothing else may ask it)."""

    def __init__(self, service: str, consumer: str, topics: Iterable[str]) -> None:
        self._service = service
        self._consumer = consumer
        self._topics = list(topics)
        self._next_update = 0.0

    def observe(self, consumer: Any, batch: Mapping[Any, list[Any]]) -> None:
        """After a poll and the handling of its ``batch``: the batch's event delay, and the lag when
        :data:`LAG_INTERVAL_SECONDS` have passed. Never raises: metrics must not stop a consumer."""
        try:
            self._observe(consumer, batch)
        except Exception as error:  # noqa: BLE001 - a metric is not worth a consumer's reconnect
            log.debug("consumer metrics not updated", extra={"error": repr(error)})

    def _observe(self, consumer: Any, batch: Mapping[Any, list[Any]]) -> None:
        now = time.time()
        KAFKA_CONSUMER_LAST_POLL.labels(self._service, self._consumer).set(now)
        # A record's timestamp is the producer's (the relay's send) in milliseconds; -1 when absent.
        delays = [
            now - records[-1].timestamp / 1000 for records in batch.values() if records and records[-1].timestamp >= 0
        ]
        if delays:
            KAFKA_CONSUMER_EVENT_DELAY.labels(self._service, self._consumer).set(max(0.0, max(delays)))
        if time.monotonic() < self._next_update:
            return
        self._next_update = time.monotonic() + LAG_INTERVAL_SECONDS
        offsets = _partition_offsets(consumer)
        KAFKA_CONSUMER_PARTITIONS.labels(self._service, self._consumer).set(len(offsets))
        for topic, lag in lag_by_topic(self._topics, offsets).items():
            KAFKA_CONSUMER_LAG.labels(self._service, self._consumer, topic).set(lag)


# --- Outbox ------------------------------------------------------------------------------------------

OUTBOX_OLDEST_EVENT_AGE = Gauge(
    "xinyi_outbox_oldest_event_age_seconds",
    "Age of the oldest event in the outbox not yet acknowledged by Kafka (0 when none waits), "
    "measured by the relay on each round",
    ["service"],
    multiprocess_mode="livemax",  # every worker's relay measures the same outbox
)


@dataclass(frozen=True)
class OutboxBacklog:
    pending: int
    oldest_event_age_seconds: float


def oldest_event_age_seconds(oldest: datetime | None, now: datetime) -> float:
    """Seconds since ``oldest`` (the oldest waiting event's recording), 0 when nothing waits; never
    negative (``now`` and ``oldest`` both come from the database's clock, but a transaction's start
    may follow the statement's)."""
    if oldest is None:
        return 0.0
    return max(0.0, (now - oldest).total_seconds())


def outbox_backlog(session: Executor) -> OutboxBacklog:
    """How many events wait in the outbox and how old the oldest is, by the database's clock.

    One pass over the unpublished rows (the partial index ``outbox_unpublished``), as the count alone
    took before."""
    row = session.execute(
        sql("SELECT count(*), min(created_at), clock_timestamp() FROM outbox WHERE published_at IS NULL")
    ).one()
    pending, oldest, now = row
    return OutboxBacklog(int(pending), oldest_event_age_seconds(oldest, now))


# --- Database pools ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolUse:
    """A QueuePool's state: ``size`` connections are kept, up to ``max_overflow`` more are opened
    under load; ``checked_out`` are in use, ``checked_in`` idle in the pool, ``overflow`` open beyond
    ``size``."""

    size: int
    max_overflow: int
    checked_out: int
    checked_in: int
    overflow: int


def pool_use(pool: Any) -> PoolUse | None:
    """What ``pool`` holds, or None for a pool that is not a QueuePool (no size to report)."""
    if not isinstance(pool, QueuePool):
        return None
    return PoolUse(
        size=pool.size(),
        # SQLAlchemy keeps the limit private; -1 means unlimited (a pool of size 0).
        max_overflow=max(0, int(getattr(pool, "_max_overflow", 0))),
        checked_out=pool.checkedout(),
        checked_in=pool.checkedin(),
        # Negative while fewer than ``size`` connections were ever opened: none beyond the size.
        overflow=max(0, pool.overflow()),
    )


_POOL_GAUGES = {
    "checked_out": "Connections of the pool in use",
    "checked_in": "Idle connections held in the pool",
    "size": "Connections the pool keeps open (its size)",
    "overflow": "Connections open beyond the pool's size (closed on return)",
    "max_overflow": "Connections the pool may open beyond its size",
}
_POOL_LABELS = ["service", "engine"]

# The same gauges as each worker writes them in multiprocess mode, summed over the workers when scraped.
# In no registry: the default one has DATABASE_POOLS under these names, and a scrape in that mode reads
# the workers' files instead.
POOL_WORKER_GAUGES = {
    gauge: Gauge(f"xinyi_db_pool_{gauge}", documentation, _POOL_LABELS, registry=None, multiprocess_mode="livesum")
    for gauge, documentation in _POOL_GAUGES.items()
}
# How often a worker writes its pools' use in that mode: well within Prometheus's scrape interval.
POOL_GAUGE_SECONDS = 1.0


class DatabasePools(Collector):
    """The tracked engines' pools: read when Prometheus scrapes (:meth:`collect`, ``xinyi_db_pool_<gauge>``
    with the labels ``service`` and ``engine``), or written into :data:`POOL_WORKER_GAUGES`
    (:meth:`write_gauges`, multiprocess mode). Engines are held weakly, so a disposed database drops
    out; the pool is looked up each time, as ``Engine.dispose()`` replaces it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._engines: dict[tuple[str, str], weakref.ReferenceType[Engine]] = {}
        self._written: set[tuple[str, str]] = set()

    def track(self, service: str, name: str, engine: Engine) -> None:
        """Report ``engine``'s pool as ``{service=service, engine=name}`` (replacing an earlier one)."""
        with self._lock:
            self._engines[(service, name)] = weakref.ref(engine)

    def forget(self, service: str, name: str) -> None:
        with self._lock:
            self._engines.pop((service, name), None)

    def uses(self) -> dict[tuple[str, str], PoolUse]:
        """What each tracked engine's pool holds now, by ``(service, engine)``; pools without a size
        are left out."""
        with self._lock:
            tracked = list(self._engines.items())
        uses = {}
        for (service, name), reference in tracked:
            engine = reference()
            if engine is None:
                self.forget(service, name)
                continue
            use = pool_use(engine.pool)
            if use is not None:
                uses[(service, name)] = use
        return uses

    def describe(self) -> Iterator[GaugeMetricFamily]:
        for gauge, documentation in _POOL_GAUGES.items():
            yield GaugeMetricFamily(f"xinyi_db_pool_{gauge}", documentation, labels=_POOL_LABELS)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        families = {
            gauge: GaugeMetricFamily(f"xinyi_db_pool_{gauge}", documentation, labels=_POOL_LABELS)
            for gauge, documentation in _POOL_GAUGES.items()
        }
        for (service, name), use in self.uses().items():
            for gauge, family in families.items():
                family.add_metric([service, name], getattr(use, gauge))
        yield from families.values()

    def write_gauges(self) -> None:
        """Writes this process's pools into :data:`POOL_WORKER_GAUGES`. A pool written before and no
        longer tracked (forgotten, its engine gone) is written 0: it holds no connection, and a series
        cannot be removed in multiprocess mode."""
        uses = self.uses()
        with self._lock:
            gone, self._written = self._written - uses.keys(), set(uses)
        for labels in gone:
            for metric in POOL_WORKER_GAUGES.values():
                metric.labels(*labels).set(0)
        for labels, use in uses.items():
            for gauge, metric in POOL_WORKER_GAUGES.items():
                metric.labels(*labels).set(getattr(use, gauge))

    def zero_gauges(self) -> None:
        """Writes 0 for every pool written so far: this process is stopping and will hold no connection."""
        with self._lock:
            written, self._written = self._written, set()
        for labels in written:
            for metric in POOL_WORKER_GAUGES.values():
                metric.labels(*labels).set(0)


DATABASE_POOLS = DatabasePools()
REGISTRY.register(DATABASE_POOLS)


def track_database_pools(service: str, database: Database) -> None:
    """Report the pools of ``database``'s two engines (``app``, ``system``) as ``service``'s."""
    DATABASE_POOLS.track(service, "app", database.app_engine)
    DATABASE_POOLS.track(service, "system", database.system_engine)


class PoolGauges:
    """A worker's share of the pool gauges in multiprocess mode: writes the tracked pools (by default
    :data:`DATABASE_POOLS`) every ``interval`` seconds from a thread of its own, started and stopped with
    the app (a :class:`~xinyi_shared.http.Component`), and 0 when stopped.

    Read rather than counted: SQLAlchemy's pool events fire before the pool's own bookkeeping (the
    ``checkin`` event before the connection is back in the pool, or closed when it was an overflow
    one), so they would have to replay that bookkeeping to keep the figures right; reading the pool
    as the single-process collector does keeps the two modes' figures the same."""

    def __init__(self, pools: DatabasePools | None = None, interval: float = POOL_GAUGE_SECONDS) -> None:
        self._pools = pools if pools is not None else DATABASE_POOLS
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._write()
        self._thread = threading.Thread(target=self._run, name="pool-gauges", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self._pools.zero_gauges()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._write()

    def _write(self) -> None:
        try:
            self._pools.write_gauges()
        except Exception as error:  # noqa: BLE001 - a metric is not worth a worker's thread
            log.debug("database pool gauges not written", extra={"error": repr(error)})
