"""Wires the ticketing service."""

from __future__ import annotations

from fastapi import FastAPI

from ticketing_service.entrypoints import consumers, http_api
from ticketing_service.settings import TicketingSettings
from xinyi_shared.consumer import IdempotentConsumer
from xinyi_shared.service import ServiceCore


def build_app(settings: TicketingSettings) -> FastAPI:
    core = ServiceCore.from_settings(settings)
    return core.app(
        title="Xinyi ticketing service",
        description="Residents' reports, routed to grids and fixed against service targets.",
        components=[
            IdempotentConsumer(settings, core.database, consumers.TENANT_SUBSCRIPTION),
            # Health service only for now; the ticketing contract comes with the ticketing issue.
            core.grpc_server(),
        ],
        routers=[http_api.build_router(core.database)],
    )
