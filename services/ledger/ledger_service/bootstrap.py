"""Wires the ledger service: database, tenant client, consumer, outbox relay, HTTP and gRPC."""

from __future__ import annotations

from fastapi import FastAPI

from ledger_service.adapters.tenant_client import TenantClient
from ledger_service.entrypoints import consumers, grpc_api, http_api
from ledger_service.settings import LedgerSettings
from xinyi_shared.auth import ServiceTokenProvider, TokenVerifier
from xinyi_shared.consumer import IdempotentConsumer
from xinyi_shared.db import Database
from xinyi_shared.grpc_server import GrpcServer
from xinyi_shared.http import create_app
from xinyi_shared.kafka_topics import LEDGER_EVENTS, KafkaProbe
from xinyi_shared.outbox import OutboxRelay


def build_app(settings: LedgerSettings) -> FastAPI:
    database = Database(settings)
    verifier = TokenVerifier.from_settings(settings)
    tenant = TenantClient(settings, ServiceTokenProvider(settings))

    def shutdown() -> None:
        tenant.close()
        database.dispose()

    app = create_app(
        service=settings.service_name,
        title="Xinyi ledger service",
        description="The estates' trust books (信托账本): double-entry, in fen, public to each estate.",
        verifier=verifier,
        readiness_checks={"database": database.ping, "kafka": KafkaProbe(settings)},
        components=[
            OutboxRelay(settings, database, topics=[LEDGER_EVENTS]),
            IdempotentConsumer(settings, database, consumers.tenant_subscription(tenant)),
            GrpcServer(
                settings.service_name,
                settings.grpc_port,
                verifier,
                grpc_api.register(database),
                host=settings.grpc_host,
            ),
        ],
        on_shutdown=shutdown,
    )
    app.include_router(http_api.build_router(database))
    return app
