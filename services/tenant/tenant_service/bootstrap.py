"""Wires the tenant service from its settings: database, Keycloak, outbox relay, ballot closer,
HTTP and gRPC."""

from __future__ import annotations

from fastapi import FastAPI

from tenant_service.adapters.keycloak_directory import KeycloakDirectory
from tenant_service.entrypoints import grpc_api, http_api, http_ballots, http_households
from tenant_service.service_layer.ballots import BallotCloser
from tenant_service.settings import TenantSettings
from xinyi_shared.kafka_topics import TENANT_EVENTS
from xinyi_shared.outbox import OutboxRelay
from xinyi_shared.service import ServiceCore


def build_app(settings: TenantSettings) -> FastAPI:
    core = ServiceCore.from_settings(settings)
    directory = KeycloakDirectory(settings)
    return core.app(
        title="Xinyi tenant service",
        description=(
            "The district's registry: hierarchy, estates (小区) and their rules, grids, households, "
            "memberships, and one-household-one-vote ballots (一户一票)."
        ),
        components=[
            OutboxRelay(settings, core.database, topics=[TENANT_EVENTS]),
            BallotCloser(core.database),
            core.grpc_server(grpc_api.register(core.database)),
        ],
        routers=[
            http_api.build_router(core.database, directory),
            http_households.build_router(core.database, directory),
            http_ballots.build_router(core.database),
        ],
    )
