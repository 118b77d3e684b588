"""Metrics with several worker processes (prometheus_client's multiprocess mode): what each worker
writes in the shared directory is merged when any of them is scraped — counters summed, gauges as
their mode says — and the master marks a worker it replaces as dead, so its live gauges leave the sums.

The workers here are real child processes, started with ``PROMETHEUS_MULTIPROC_DIR`` already set, as
the master starts them (this test process imported prometheus_client without it: its own metrics
stay in memory)."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import create_engine, text
from sqlalchemy.pool import QueuePool

from services.shared.tests.apps import bare_app
from xinyi_shared import exposition
from xinyi_shared.exposition import MULTIPROC_DIR_ENV, fresh_multiprocess_dir, scrape_registry
from xinyi_shared.platform_metrics import POOL_WORKER_GAUGES, DatabasePools, PoolGauges

T = TypeVar("T")

# One worker's share: HTTP requests, its consumer's lag, the outbox as its relay saw it, and its pool
# with some connections in use, left in the directory when it exits (as a worker that died leaves them).
WORKER = textwrap.dedent(
    """
    import os, sqlite3, sys
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import QueuePool
    from xinyi_shared.http import HTTP_REQUESTS
    from xinyi_shared.outbox import OUTBOX_PENDING
    from xinyi_shared.platform_metrics import (
        KAFKA_CONSUMER_LAG, KAFKA_CONSUMER_PARTITIONS, OUTBOX_OLDEST_EVENT_AGE, DatabasePools,
    )

    requests, partitions, lag, oldest, held = map(int, sys.argv[1:])
    HTTP_REQUESTS.labels("svc", "GET", "/v1/things", "200").inc(requests)
    KAFKA_CONSUMER_PARTITIONS.labels("svc", "svc.events").set(partitions)
    KAFKA_CONSUMER_LAG.labels("svc", "svc.events", "topic").set(lag)
    OUTBOX_PENDING.labels("svc").set(oldest // 10)
    OUTBOX_OLDEST_EVENT_AGE.labels("svc").set(oldest)
    engine = create_engine(
        "sqlite://",
        creator=lambda: sqlite3.connect(":memory:", check_same_thread=False),
        poolclass=QueuePool,
        pool_size=2,
        max_overflow=3,
    )
    pools = DatabasePools()
    pools.track("svc", "app", engine)
    connections = [engine.connect() for _ in range(held)]
    for connection in connections:
        connection.execute(text("SELECT 1"))
    pools.write_gauges()
    print(os.getpid())
    """
)


def run_workers(directory: Path, *shares: tuple[int, ...]) -> list[int]:
    """Runs one worker per share at once, each to its end; returns their pids."""
    env = {**os.environ, MULTIPROC_DIR_ENV: str(directory)}
    running = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, *map(str, share)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for share in shares
    ]
    pids = []
    for worker in running:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        pids.append(int(out.split()[-1]))
    return pids


class _Figures(Collector):
    """Stands for a collector valid from any worker (the committee's figures, read from the database)."""

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily("xinyi_test_figure", "A figure read from the database", labels=["area"])
        family.add_metric(["district"], 42)
        yield family


# (requests, partitions, lag, oldest event's age, connections held) of each of the two workers
SHARES = ((3, 2, 5, 40, 3), (4, 4, 7, 90, 1))


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[int]]:
    """A directory two workers wrote (once for the module: a worker takes seconds to import), and their pids."""
    directory = fresh_multiprocess_dir(tmp_path_factory.mktemp("prometheus"))
    return directory, run_workers(directory, *SHARES)


@pytest.fixture
def workers_dir(written: tuple[Path, list[int]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This process scraping a copy of that directory, as a worker of the service would."""
    directory = Path(shutil.copytree(written[0], tmp_path / "prometheus"))
    monkeypatch.setenv(MULTIPROC_DIR_ENV, str(directory))
    monkeypatch.setattr(exposition, "_SHARED_COLLECTORS", [_Figures()])
    return directory


def test_a_scrape_sums_the_workers_counters_and_merges_their_gauges_by_mode(
    workers_dir: Path, written: tuple[Path, list[int]]
) -> None:
    first, second = written[1]

    registry = scrape_registry()

    def value(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    requests = {"service": "svc", "method": "GET", "route": "/v1/things", "status": "200"}
    assert value("xinyi_http_requests_total", **requests) == 7
    consumer = {"service": "svc", "consumer": "svc.events"}
    assert value("xinyi_kafka_consumer_assigned_partitions", **consumer) == 6  # livesum
    assert value("xinyi_kafka_consumer_lag", **consumer, topic="topic") == 12  # livesum
    assert value("xinyi_outbox_oldest_event_age_seconds", service="svc") == 90  # livemax
    assert value("xinyi_outbox_pending", service="svc") == 9  # livemax
    pool = {"service": "svc", "engine": "app"}
    assert value("xinyi_db_pool_checked_out", **pool) == 4
    assert value("xinyi_db_pool_size", **pool) == 4
    assert value("xinyi_db_pool_max_overflow", **pool) == 6
    assert value("xinyi_db_pool_overflow", **pool) == 1  # the first worker's third connection
    assert value("xinyi_db_pool_checked_in", **pool) == 0
    # No pid label: one series per label set, whichever worker answers.
    gauges = [s for f in registry.collect() if f.type == "gauge" for s in f.samples]
    assert gauges and all("pid" not in s.labels for s in gauges)
    assert value("xinyi_test_figure", area="district") == 42

    # The master marks the first worker dead: its live gauges leave the sums, its requests stay counted.
    multiprocess.mark_process_dead(first, str(workers_dir))
    assert value("xinyi_http_requests_total", **requests) == 7
    assert value("xinyi_kafka_consumer_lag", **consumer, topic="topic") == 7
    assert value("xinyi_db_pool_checked_out", **pool) == 1
    assert value("xinyi_outbox_oldest_event_age_seconds", service="svc") == 90
    assert second != first


def test_metrics_serves_every_worker_and_only_what_is_valid_from_any(workers_dir: Path) -> None:
    app = bare_app("svc")
    with TestClient(app) as client:
        body = client.get("/metrics").text
    assert 'xinyi_http_requests_total{method="GET",route="/v1/things",service="svc",status="200"} 7.0' in body
    assert 'xinyi_test_figure{area="district"} 42.0' in body
    # The answering process's own figures (CPU, memory, its pools read at scrape time) would flip
    # from one scrape to the next: not served in this mode.
    assert "process_cpu_seconds_total" not in body
    assert "python_gc_objects_collected_total" not in body


def test_one_process_serves_the_default_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MULTIPROC_DIR_ENV, raising=False)
    from prometheus_client import REGISTRY

    assert scrape_registry() is REGISTRY


def test_a_start_empties_the_directory_of_the_last_run(tmp_path: Path) -> None:
    directory = tmp_path / "prometheus" / "svc"
    directory.mkdir(parents=True)
    (directory / "counter_123.db").write_bytes(b"stale")
    (directory / "gauge_livesum_123.db").write_bytes(b"stale")
    assert fresh_multiprocess_dir(directory) == directory
    assert list(directory.iterdir()) == []
    assert fresh_multiprocess_dir(tmp_path / "new").is_dir()


# --- the pools in multiprocess mode --------------------------------------------------------------------


def eventually(check: Callable[[], T | None], timeout: float = 30.0) -> T:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result is not None and result is not False:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not so after {timeout} s")
        time.sleep(0.05)


def _written(gauge: str, service: str, engine: str) -> float | None:
    registry = CollectorRegistry()
    registry.register(POOL_WORKER_GAUGES[gauge])  # in no registry of their own
    return registry.get_sample_value(f"xinyi_db_pool_{gauge}", {"service": service, "engine": engine})


def test_a_worker_writes_its_pools_while_it_runs_and_zero_once_stopped() -> None:
    engine = create_engine(
        "sqlite://",
        creator=lambda: sqlite3.connect(":memory:", check_same_thread=False),
        poolclass=QueuePool,
        pool_size=2,
        max_overflow=1,
    )
    forgotten = create_engine("sqlite://", creator=lambda: sqlite3.connect(":memory:"), poolclass=QueuePool)
    pools = DatabasePools()
    pools.track("svc-workers", "app", engine)
    pools.track("svc-workers", "old", forgotten)
    gauges = PoolGauges(pools, interval=0.01)
    gauges.start()
    try:
        assert _written("size", "svc-workers", "old") == 5  # written at start
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            eventually(lambda: _written("checked_out", "svc-workers", "app") == 1)
        eventually(lambda: _written("checked_out", "svc-workers", "app") == 0)
        assert _written("checked_in", "svc-workers", "app") == 1
        pools.forget("svc-workers", "old")
        eventually(lambda: _written("size", "svc-workers", "old") == 0)
    finally:
        gauges.stop()
    assert _written("size", "svc-workers", "app") == 0


# --- the master ------------------------------------------------------------------------------------------

# A worker app that counts its starts and says it is alive in a livesum gauge.
WORKER_APP = textwrap.dedent(
    """
    from prometheus_client import Counter, Gauge

    ALIVE = Gauge("test_workers_alive", "Workers running", multiprocess_mode="livesum")
    STARTS = Counter("test_worker_starts", "Workers started")


    def app():
        ALIVE.set(1)
        STARTS.inc()

        async def serve(scope, receive, send):
            while scope["type"] == "lifespan":
                message = await receive()
                await send({"type": message["type"] + ".complete"})
                if message["type"] == "lifespan.shutdown":
                    return

        return serve
    """
)

MASTER = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    import uvicorn
    from xinyi_shared.exposition import MULTIPROC_DIR_ENV, fresh_multiprocess_dir
    from xinyi_shared.runtime import Supervisor, tcp_listener

    directory = fresh_multiprocess_dir(Path(sys.argv[1]))
    os.environ[MULTIPROC_DIR_ENV] = str(directory)
    config = uvicorn.Config("worker_app:app", factory=True, workers=2, host="127.0.0.1", port=0, log_config=None)
    Supervisor(config, sockets=[tcp_listener(config)], metrics_dir=directory).run()
    """
)


def _live_pids(directory: Path) -> set[int]:
    return {int(f.stem.rpartition("_")[2]) for f in directory.glob("gauge_livesum_*.db")}


def test_the_master_marks_a_worker_that_died_as_dead_and_replaces_it(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "worker_app.py").write_text(WORKER_APP)
    directory = tmp_path / "prometheus"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "app"), os.environ.get("PYTHONPATH", "")])}
    env.pop(MULTIPROC_DIR_ENV, None)
    master = subprocess.Popen(
        [sys.executable, "-c", MASTER, str(directory)],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        workers = eventually(lambda: _live_pids(directory) if len(_live_pids(directory)) == 2 else None)
        died = min(workers)
        os.kill(died, signal.SIGKILL)
        now = eventually(lambda: _live_pids(directory) if len(_live_pids(directory) - workers) == 1 else None)
        assert died not in now and len(now) == 2

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=str(directory))
        assert registry.get_sample_value("test_workers_alive", {}) == 2
        assert registry.get_sample_value("test_worker_starts_total", {}) == 3  # the dead one's start stays counted
    finally:
        master.terminate()  # the master stops its workers, as supervisord's SIGTERM does
        try:
            master.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(master.pid, signal.SIGKILL)
            master.wait()
    assert master.returncode == 0, master.stderr.read().decode() if master.stderr else ""
