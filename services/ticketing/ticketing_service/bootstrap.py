"""Wires the ticketing service."""

from __future__ import annotations

from fastapi import FastAPI

from ticketing_service.entrypoints import consumers, http_api
from ticketing_service.settings import TicketingSettings
from xinyi_shared.auth import TokenVerifier
from xinyi_shared.consumer import IdempotentConsumer
from xinyi_shared.db import Database
from xinyi_shared.grpc_server import GrpcServer
from xinyi_shared.http import create_app
from xinyi_shared.kafka_topics import KafkaProbe


def build_app(settings: TicketingSettings) -> FastAPI:
    database = Database(settings)
    verifier = TokenVerifier.from_settings(settings)
    app = create_app(
        service=settings.service_name,
        title="Xinyi ticketing service",
        description="Residents' reports, routed to grids and fixed against service targets.",
        verifier=verifier,
        readiness_checks={"database": database.ping, "kafka": KafkaProbe(settings)},
        components=[
            IdempotentConsumer(settings, database, consumers.TENANT_SUBSCRIPTION),
            # Health service only for now; the ticketing contract comes with the ticketing issue.
            GrpcServer(
                settings.service_name,
                settings.grpc_port,
                verifier,
                register=lambda server: None,
                host=settings.grpc_host,
            ),
        ],
        on_shutdown=database.dispose,
    )
    app.include_router(http_api.build_router(database))
    return app
