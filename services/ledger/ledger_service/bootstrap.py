"""Wires the ledger service: database, tenant client, consumer, outbox relay, HTTP and gRPC."""

from __future__ import annotations

from fastapi import FastAPI

from ledger_service.adapters.tenant_client import TenantClient
from ledger_service.entrypoints import consumers, grpc_api, http_api
from ledger_service.settings import LedgerSettings
from xinyi_shared.auth import ServiceTokenProvider
from xinyi_shared.consumer import IdempotentConsumer
from xinyi_shared.kafka_topics import LEDGER_EVENTS
from xinyi_shared.outbox import OutboxRelay
from xinyi_shared.service import ServiceCore


def build_app(settings: LedgerSettings) -> FastAPI:
    core = ServiceCore.from_settings(settings)
    tenant = TenantClient(settings, ServiceTokenProvider(settings))
    return core.app(
        title="Xinyi ledger service",
        description="The estates' trust books (信托账本): double-entry, in fen, public to each estate.",
        components=[
            OutboxRelay(settings, core.database, topics=[LEDGER_EVENTS]),
            IdempotentConsumer(settings, core.database, consumers.tenant_subscription(tenant)),
            core.grpc_server(grpc_api.register(core.database)),
        ],
        routers=[
            http_api.build_router(core.database, tenant, tenant),
            http_api.build_district_router(core.database, tenant),
        ],
        on_shutdown=tenant.close,
    )
