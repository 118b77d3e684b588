"""What ``GET /metrics`` answers, whether the service runs one worker process or several.

With one (``XINYI_HTTP_WORKERS=1``) it is prometheus_client's default registry, as it is.

With several, each worker is a process of its own and a scrape reaches whichever of them accepts the
connection, so prometheus_client runs in its multiprocess mode: the master (:mod:`xinyi_shared.runtime`)
points ``PROMETHEUS_MULTIPROC_DIR`` at a directory it empties, before it spawns the workers
(prometheus_client chooses its mode when a process first imports it); every worker keeps its metric
values in memory-mapped files there, and the worker that is scraped merges them all. Counters and
histograms are summed over the workers — a worker that died keeps its share, so a total never goes
back — and each gauge is merged as its ``multiprocess_mode`` says: ``livesum`` for what each worker
holds of a whole (its consumers' partitions and their lag, its pools' connections), ``livemax`` for
what every worker measures alike (the outbox, the time of its consumer's last poll); ``live`` drops
the values of a worker once the master marks it dead.

Collectors that read the answering process when scraped (prometheus_client's process and garbage
collector metrics, :class:`~xinyi_shared.platform_metrics.DatabasePools`) would describe one worker
only, and are not served in that mode. Those valid from any worker — they read the database — are
registered with :func:`register_shared_collector` and served in both.
"""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

MULTIPROC_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"

_SHARED_COLLECTORS: list[Collector] = []


def multiprocess() -> bool:
    """Whether this process keeps its metrics in the workers' shared directory (prometheus_client's
    own switch, which a worker inherits from the master)."""
    return MULTIPROC_DIR_ENV in os.environ


def fresh_multiprocess_dir(path: Path) -> Path:
    """``path``, created when missing and emptied of an earlier run's files (whose counters would
    otherwise be added to this run's)."""
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()
    return path


def register_shared_collector(collector: Collector) -> None:
    """Serve ``collector`` from every worker: it must answer the same whichever process it runs in."""
    REGISTRY.register(collector)
    _SHARED_COLLECTORS.append(collector)


def scrape_registry() -> CollectorRegistry:
    """The registry a scrape of this process reads: in multiprocess mode the merge of every worker's
    files and the shared collectors (built anew, as the library's documentation does), else the default."""
    if not multiprocess():
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # prometheus_client leaves it unannotated
    for collector in _SHARED_COLLECTORS:
        registry.register(collector)
    return registry


def latest() -> bytes:
    """The text format of :func:`scrape_registry`."""
    return generate_latest(scrape_registry())
