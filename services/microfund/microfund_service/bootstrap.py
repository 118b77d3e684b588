"""Wires the micro-fund service: database, the ledger's fund books, the blob store, consumers, the
outbox relay, HTTP and gRPC."""

from __future__ import annotations

from fastapi import FastAPI

from microfund_service.adapters.ledger import FundBooks
from microfund_service.entrypoints import consumers, grpc_api, http_api, http_funds
from microfund_service.service_layer.funds import Microfund
from microfund_service.settings import MicrofundSettings
from xinyi_shared.auth import ServiceTokenProvider
from xinyi_shared.blobs import blob_store_from_settings
from xinyi_shared.consumer import IdempotentConsumer
from xinyi_shared.kafka_topics import MICROFUND_EVENTS
from xinyi_shared.outbox import OutboxRelay
from xinyi_shared.service import ServiceCore

BODY_LIMITS = {"/v1/communities/{community}/fund/files": http_funds.UPLOAD_LIMIT}


def build_app(settings: MicrofundSettings) -> FastAPI:
    core = ServiceCore.from_settings(settings)
    books = FundBooks(settings, ServiceTokenProvider(settings))
    microfund = Microfund(core.database, books, blob_store_from_settings(settings))
    app = core.app(
        title="Xinyi micro-fund service",
        description="The community micro-fund (微基金): the firms' pledges and transfers, other donations, grants.",
        components=[
            OutboxRelay(settings, core.database, topics=[MICROFUND_EVENTS]),
            IdempotentConsumer(settings, core.database, consumers.tenant_subscription(books)),
            IdempotentConsumer(settings, core.database, consumers.ledger_subscription(books)),
            core.grpc_server(grpc_api.register(lambda: microfund)),
        ],
        routers=[http_api.build_router(core.database), http_funds.build_funds_router()],
        on_shutdown=books.close,
        body_limits=BODY_LIMITS,
    )
    app.state.microfund = microfund
    return app
