"""What a worker process needs to rebuild the service's app, the pool sized to its threads, and where the
workers keep their metrics."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import anyio
import anyio.to_thread
import pytest

from xinyi_shared import runtime
from xinyi_shared.db import SYNC_ROUTE_THREADS, app_pool_limits
from xinyi_shared.runtime import import_path, load
from xinyi_shared.settings import ServiceSettings


def test_factories_travel_to_worker_processes_by_import_path() -> None:
    assert import_path(ServiceSettings) == "xinyi_shared.settings:ServiceSettings"
    assert load(import_path(app_pool_limits)) is app_pool_limits


def test_a_factory_that_cannot_be_imported_by_name_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="module-level factory"):
        import_path(lambda settings: settings)

    def local_factory() -> None: ...

    with pytest.raises(ValueError, match="module-level factory"):
        import_path(local_factory)


def test_the_app_pool_covers_every_thread_that_can_query_at_once() -> None:
    settings = ServiceSettings(service_name="ledger", http_port=1, grpc_port=2)
    pool_size, max_overflow = app_pool_limits(settings)
    assert pool_size == settings.db_pool_size
    assert pool_size + max_overflow >= SYNC_ROUTE_THREADS + settings.grpc_threads
    bigger = ServiceSettings(service_name="ledger", http_port=1, grpc_port=2, grpc_threads=64, db_pool_size=5)
    assert sum(app_pool_limits(bigger)) >= SYNC_ROUTE_THREADS + 64
    # A pool configured larger than the threads keeps its size and needs no overflow.
    assert app_pool_limits(ServiceSettings(service_name="ledger", http_port=1, grpc_port=2, db_pool_size=100)) == (
        100,
        0,
    )


def test_the_sync_route_threads_are_anyios_default() -> None:
    async def default_tokens() -> float:
        return anyio.to_thread.current_default_thread_limiter().total_tokens

    assert anyio.run(default_tokens) == SYNC_ROUTE_THREADS


def test_the_workers_listener_is_tcp_so_connections_get_nodelay() -> None:
    import socket

    import uvicorn

    from xinyi_shared.runtime import tcp_listener

    listener = tcp_listener(uvicorn.Config("x:y", host="127.0.0.1", port=0))
    try:
        assert listener.proto == socket.IPPROTO_TCP
        listener.listen()  # as the event loop does when it serves the socket
        client = socket.create_connection(listener.getsockname())
        accepted, _ = listener.accept()
        # What asyncio checks before it sets TCP_NODELAY on an accepted connection.
        assert accepted.proto == socket.IPPROTO_TCP
        accepted.close()
        client.close()
    finally:
        listener.close()


def test_each_replica_keeps_the_metrics_of_its_workers_apart(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from xinyi_shared.runtime import metrics_dir_of

    monkeypatch.setenv("XINYI_STATE", str(tmp_path))
    first = metrics_dir_of(ServiceSettings(service_name="ledger", http_port=8102, grpc_port=9102))
    second = metrics_dir_of(ServiceSettings(service_name="ledger", http_port=18102, grpc_port=19102))
    assert first == tmp_path / "metrics" / "ledger-8102"
    assert second != first


def _gone(pid: int) -> bool:
    """The process has exited (a zombie not yet reaped by whoever adopted it counts as exited)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl(PR_SET_PDEATHSIG) is Linux's")
def test_a_worker_ends_when_its_master_is_killed() -> None:
    # A master (this stand-in) spawns a worker, which asks to end with it; kill -9 of the master alone
    # must not leave the worker holding the port, its relay and its consumers.
    worker = (
        "from xinyi_shared.runtime import end_with_master; end_with_master(); "
        "import time; print('worker ready', flush=True); time.sleep(120)"
    )
    master = (
        "import os, subprocess, sys, time; "
        f"os.environ['{runtime.MASTER_PID_ENV}'] = str(os.getpid()); "
        f"child = subprocess.Popen([sys.executable, '-c', {worker!r}]); "
        "print(child.pid, flush=True); time.sleep(120)"
    )
    process = subprocess.Popen([sys.executable, "-c", master], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    child = int(process.stdout.readline())
    assert process.stdout.readline().strip() == "worker ready"
    assert not _gone(child)
    process.kill()
    process.wait(timeout=10)
    deadline = time.monotonic() + 10
    while not _gone(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(child), "the worker outlived its master"


def test_a_worker_hides_what_it_built_at_start_from_the_collector() -> None:
    # In a process of its own: freezing is for the whole interpreter.
    probe = (
        "import gc, json; from xinyi_shared import runtime; before = gc.get_freeze_count(); "
        "runtime.settle_garbage_collector(); "
        "print(json.dumps([before, gc.get_freeze_count(), gc.get_threshold()[0]]))"
    )
    answer = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    before, frozen, young_threshold = json.loads(answer.stdout)
    assert before == 0
    assert frozen > 10_000  # the modules imported so far, at least
    assert young_threshold == runtime.YOUNG_COLLECTION_THRESHOLD
