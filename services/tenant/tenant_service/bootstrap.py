"""Wires the tenant service from its settings: database, Keycloak, outbox relay, ballot closer, the
committee's read side (its consumer and API), HTTP and gRPC."""

from __future__ import annotations

from fastapi import FastAPI

from tenant_service.adapters.governance_store import district_session
from tenant_service.adapters.keycloak_directory import KeycloakDirectory
from tenant_service.domain.governance import Thresholds
from tenant_service.entrypoints import (
    governance_consumer,
    governance_metrics,
    grpc_api,
    http_api,
    http_ballots,
    http_governance,
    http_households,
)
from tenant_service.service_layer.ballots import BallotCloser
from tenant_service.service_layer.governance import Committee
from tenant_service.settings import TenantSettings
from xinyi_shared.consumer import IdempotentConsumer
from xinyi_shared.http import KIB
from xinyi_shared.kafka_topics import TENANT_EVENTS
from xinyi_shared.outbox import OutboxRelay
from xinyi_shared.rate_limits import RateLimiter
from xinyi_shared.service import ServiceCore

# Bodies over the shared 1 MiB default, refused (413) before authentication and parsing beyond these:
# the household file plus its multipart envelope.
BODY_LIMITS = {"/v1/estates/{code}/households/import": http_households.MAX_IMPORT_BYTES + 64 * KIB}


def build_app(settings: TenantSettings) -> FastAPI:
    core = ServiceCore.from_settings(settings)
    directory = KeycloakDirectory(settings)
    claim_limits = http_households.ClaimLimits(
        RateLimiter(core.database.app_engine),
        per_address=settings.claim_rate_per_address,
        per_estate=settings.claim_rate_per_estate,
        trusted_proxies=settings.trusted_proxies,
    )
    committee = Committee(
        lambda writable=False: district_session(core.database, writable),
        Thresholds(settings.governance_min_households, settings.governance_min_ratings),
        settings.governance_time_zone,
        settings.report_authority,
    )
    governance_metrics.GOVERNANCE_FIGURES.bind(committee, settings.governance_time_zone)
    return core.app(
        title="Xinyi tenant service",
        description=(
            "The district's registry: hierarchy, estates (小区) and their rules, grids, households, "
            "memberships, and one-household-one-vote ballots (一户一票)."
        ),
        components=[
            OutboxRelay(settings, core.database, topics=[TENANT_EVENTS]),
            BallotCloser(core.database),
            # The committee's read side, fed only by its own consumer group.
            IdempotentConsumer(settings, core.database, governance_consumer.SUBSCRIPTION),
            core.grpc_server(grpc_api.register(core.database, directory)),
        ],
        routers=[
            http_api.build_router(core.database, directory),
            http_households.build_router(core.database, directory, claim_limits),
            http_ballots.build_router(core.database),
            http_governance.build_router(committee),
        ],
        body_limits=BODY_LIMITS,
    )
