"""Wires the micro-fund service."""

from __future__ import annotations

from fastapi import FastAPI

from microfund_service.entrypoints import consumers, http_api
from microfund_service.settings import MicrofundSettings
from xinyi_shared.consumer import IdempotentConsumer
from xinyi_shared.service import ServiceCore


def build_app(settings: MicrofundSettings) -> FastAPI:
    core = ServiceCore.from_settings(settings)
    return core.app(
        title="Xinyi micro-fund service",
        description="The community micro-fund (微基金): donations in, grants out.",
        components=[
            IdempotentConsumer(settings, core.database, consumers.TENANT_SUBSCRIPTION),
            # Health service only for now; the micro-fund contract comes with the micro-fund issue.
            core.grpc_server(),
        ],
        routers=[http_api.build_router(core.database)],
    )
