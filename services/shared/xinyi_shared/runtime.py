"""The command line every service shares: ``serve`` (HTTP + gRPC + background parts) and ``migrate``.

``serve`` runs ``XINYI_HTTP_WORKERS`` uvicorn worker processes behind one master. The master binds
the HTTP port, starts the workers (spawned, so each builds its own app, pools, gRPC server, outbox
relay, consumers and tracer provider through :func:`worker_app`), restarts one that dies, and on SIGTERM or SIGINT
stops them all gracefully before it exits itself. Before it spawns them it gives them an empty directory
for their metrics, ``<state dir>/metrics/<service>-<port>`` (prometheus_client's multiprocess mode, see
:mod:`xinyi_shared.exposition`), and it marks each worker it replaces as dead there.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import importlib
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import cast

import uvicorn
from fastapi import FastAPI
from prometheus_client import multiprocess
from uvicorn.supervisors import Multiprocess

from xinyi_shared import tracing
from xinyi_shared.exposition import MULTIPROC_DIR_ENV, fresh_multiprocess_dir
from xinyi_shared.http import SERVER_MAX_HEAD_BYTES
from xinyi_shared.logs import configure_logging
from xinyi_shared.migrations import upgrade_to_head
from xinyi_shared.settings import ServiceSettings, default_state_dir

log = logging.getLogger(__name__)

SettingsFactory = Callable[[], ServiceSettings]
AppFactory = Callable[[ServiceSettings], FastAPI]

# How a worker process finds the service's factories: their import paths ("module:qualname"),
# set by the master before it starts the workers, which inherit its environment.
SETTINGS_FACTORY_ENV = "_XINYI_SETTINGS_FACTORY"
APP_FACTORY_ENV = "_XINYI_APP_FACTORY"
MASTER_PID_ENV = "_XINYI_MASTER_PID"
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
# The collector's first threshold (CPython's default: 700 allocations). A request allocates thousands
# of short-lived objects, so the default runs a young collection, and every tenth an older one, many
# times a request; fewer, larger rounds cost less in all.
YOUNG_COLLECTION_THRESHOLD = 20_000


def service_main(
    settings_factory: SettingsFactory,
    app_factory: AppFactory,
    migrations_dir: Path,
    argv: list[str] | None = None,
) -> None:
    parser = argparse.ArgumentParser(description="Run or migrate a Xinyi service.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "serve", help="serve HTTP and gRPC, relay the outbox, run the consumers (XINYI_HTTP_WORKERS processes)"
    )
    commands.add_parser("migrate", help="upgrade the service's database schema to the latest revision")
    args = parser.parse_args(argv)

    settings = settings_factory()
    configure_logging(settings.service_name, settings.log_level)
    if args.command == "migrate":
        upgrade_to_head(settings, migrations_dir)
        return
    os.environ[SETTINGS_FACTORY_ENV] = import_path(settings_factory)
    os.environ[APP_FACTORY_ENV] = import_path(app_factory)
    # One worker runs in this process; several run under uvicorn's master (this process), which
    # forwards SIGTERM to each and waits for them, so stopping this pid stops the whole service.
    config = uvicorn.Config(
        f"{__name__}:{worker_app.__name__}",
        factory=True,
        workers=settings.http_workers,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        loop="uvloop",
        # h11 keeps the head limit below (httptools has none of its own).
        http="h11",
        # The request line and headers the server buffers at most (see xinyi_shared.http.RequestLimits).
        h11_max_incomplete_event_size=SERVER_MAX_HEAD_BYTES,
    )
    if config.workers == 1:
        server = uvicorn.Server(config)
        server.run()
        if not server.started:
            sys.exit(3)  # uvicorn's STARTUP_FAILURE
        return
    # Bound first: a second start of the service fails here, before it empties the first one's metrics.
    listener = tcp_listener(config)
    metrics_dir = fresh_multiprocess_dir(metrics_dir_of(settings))
    # Inherited by the workers, spawned after this: each imports prometheus_client with it already set.
    os.environ[MULTIPROC_DIR_ENV] = str(metrics_dir)
    os.environ[MASTER_PID_ENV] = str(os.getpid())
    Supervisor(config, sockets=[listener], metrics_dir=metrics_dir).run()


def metrics_dir_of(settings: ServiceSettings) -> Path:
    """Where the workers of ``settings``' service keep their metrics (emptied at each start): one
    directory per port, so that another replica on the same machine neither empties nor adds to it."""
    return default_state_dir() / "metrics" / f"{settings.service_name}-{settings.http_port}"


class Supervisor(Multiprocess):
    """uvicorn's master, which also tells prometheus_client of each worker it retires — one that died
    and was replaced, or one stopped by SIGTTOU or SIGHUP's restart — so that its ``live`` gauges leave
    the merge (its counters stay in the totals). Workers change only in the master's loop, in these two
    steps; the workers left when the master stops are of no concern, as the next start empties the
    directory."""

    def __init__(self, config: uvicorn.Config, sockets: list[socket.socket], metrics_dir: Path) -> None:
        super().__init__(config, sockets)
        self._metrics_dir = metrics_dir

    def handle_signals(self) -> None:
        self._marking_retired(super().handle_signals)

    def keep_subprocess_alive(self) -> None:
        self._marking_retired(super().keep_subprocess_alive)

    def _marking_retired(self, step: Callable[[], None]) -> None:
        before = {process.pid for process in self.processes}
        try:
            step()
        finally:
            for pid in before - {process.pid for process in self.processes}:
                if pid is not None:
                    multiprocess.mark_process_dead(pid, str(self._metrics_dir))  # type: ignore[no-untyped-call]


def tcp_listener(config: uvicorn.Config) -> socket.socket:
    """The workers' shared listening socket, marked as TCP.

    uvicorn's ``bind_socket`` leaves the socket's protocol at 0; accepted connections inherit it, and
    asyncio then skips TCP_NODELAY, so each keep-alive response waits ~40 ms for the client's delayed
    ACK (Kludex/uvicorn#3149). Re-wrapping the descriptor with IPPROTO_TCP restores it.
    """
    bound = config.bind_socket()
    if bound.family not in (socket.AF_INET, socket.AF_INET6):
        return bound
    return socket.socket(bound.family, bound.type, socket.IPPROTO_TCP, fileno=bound.detach())


def worker_app() -> FastAPI:
    """The service's app in one worker process (uvicorn's factory, called in each worker)."""
    end_with_master()
    settings_factory = cast(SettingsFactory, load(os.environ[SETTINGS_FACTORY_ENV]))
    app_factory = cast(AppFactory, load(os.environ[APP_FACTORY_ENV]))
    settings = settings_factory()
    configure_logging(settings.service_name, settings.log_level)  # a spawned worker starts unconfigured
    # Each worker exports its own spans (when XINYI_OTLP_ENDPOINT says where) and propagates trace context.
    tracing.configure(settings)
    app = app_factory(settings)
    settle_garbage_collector()
    return app


def settle_garbage_collector() -> None:
    """Move what the worker has built so far (modules, the app, its routes and schemas: over a hundred
    thousand objects that live as long as the process) out of the collector's sight, so that its full
    collections, which would otherwise walk them all and hold the GIL for tens of milliseconds, only walk
    what requests leave behind; and collect the young less often."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, middle, old)


def end_with_master() -> None:
    """A worker of a master that dies without stopping it (``kill -9``, the OOM killer) is sent SIGTERM
    and stops gracefully: left running it would keep the port, its relay and its consumers, and the
    master started in its place could not bind. Linux only (``prctl``); nothing in a one-process service."""
    master = os.environ.get(MASTER_PID_ENV)
    if master is None or not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        log.warning("cannot ask to end with the master", extra={"errno": ctypes.get_errno()})
        return
    if os.getppid() != int(master):  # the master died before the request: end now
        os.kill(os.getpid(), signal.SIGTERM)


def import_path(target: object) -> str:
    """``module:qualname`` of a module-level function or class, checked to import back to ``target``."""
    module = getattr(target, "__module__", None)
    qualname = getattr(target, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str) or "<" in qualname or module == "__main__":
        raise ValueError(f"{target!r} is not importable by name; worker processes need a module-level factory")
    path = f"{module}:{qualname}"
    if load(path) is not target:
        raise ValueError(f"{path} does not import back to {target!r}")
    return path


def load(path: str) -> object:
    """The object named by ``module:qualname``."""
    module_name, _, qualname = path.partition(":")
    found: object = importlib.import_module(module_name)
    for part in qualname.split("."):
        found = getattr(found, part)
    return found
