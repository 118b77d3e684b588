"""Wires the tenant service from its settings: database, Keycloak, outbox relay, HTTP and gRPC."""

from __future__ import annotations

from fastapi import FastAPI

from tenant_service.adapters.keycloak_directory import KeycloakDirectory
from tenant_service.entrypoints import grpc_api, http_api
from tenant_service.settings import TenantSettings
from xinyi_shared.auth import TokenVerifier
from xinyi_shared.db import Database
from xinyi_shared.grpc_server import GrpcServer
from xinyi_shared.http import create_app
from xinyi_shared.kafka_topics import TENANT_EVENTS, KafkaProbe
from xinyi_shared.outbox import OutboxRelay


def build_app(settings: TenantSettings) -> FastAPI:
    database = Database(settings)
    verifier = TokenVerifier.from_settings(settings)
    directory = KeycloakDirectory(settings)
    app = create_app(
        service=settings.service_name,
        title="Xinyi tenant service",
        description="The district's registry of estates (小区) and their rules; onboarding and memberships.",
        verifier=verifier,
        readiness_checks={"database": database.ping, "kafka": KafkaProbe(settings)},
        components=[
            OutboxRelay(settings, database, topics=[TENANT_EVENTS]),
            GrpcServer(
                settings.service_name,
                settings.grpc_port,
                verifier,
                grpc_api.register(database),
                host=settings.grpc_host,
            ),
        ],
        on_shutdown=database.dispose,
    )
    app.include_router(http_api.build_router(database, directory))
    return app
