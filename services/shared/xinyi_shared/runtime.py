"""The command line every service shares: ``serve`` (HTTP + gRPC + background parts) and ``migrate``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from xinyi_shared.logs import configure_logging
from xinyi_shared.migrations import upgrade_to_head
from xinyi_shared.settings import ServiceSettings


def service_main(
    settings_factory: Callable[[], ServiceSettings],
    app_factory: Callable[[ServiceSettings], FastAPI],
    migrations_dir: Path,
    argv: list[str] | None = None,
) -> None:
    parser = argparse.ArgumentParser(description="Run or migrate a Xinyi service.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="serve HTTP and gRPC, relay the outbox, run the consumers")
    commands.add_parser("migrate", help="upgrade the service's database schema to the latest revision")
    args = parser.parse_args(argv)

    settings = settings_factory()
    configure_logging(settings.service_name, settings.log_level)
    if args.command == "migrate":
        upgrade_to_head(settings, migrations_dir)
        return
    app = app_factory(settings)
    uvicorn.run(app, host=settings.http_host, port=settings.http_port, log_config=None, access_log=False)
