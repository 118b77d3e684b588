"""Wires the ledger service: database, tenant client, units of work, consumer, outbox relay, the
remuneration accruer, the billing worker, HTTP and gRPC."""

from __future__ import annotations

from fastapi import FastAPI

from ledger_service.adapters.tenant_client import TenantClient
from ledger_service.entrypoints import (
    consumers,
    grpc_api,
    http_api,
    http_billing,
    http_funds,
    http_governance,
    http_log,
)
from ledger_service.service_layer.billing import BillingWorker
from ledger_service.service_layer.remuneration import RemunerationAccruer
from ledger_service.service_layer.unit_of_work import LedgerUnitOfWork
from ledger_service.settings import LedgerSettings
from xinyi_shared.auth import ServiceTokenProvider
from xinyi_shared.blobs import blob_store_from_settings
from xinyi_shared.consumer import IdempotentConsumer
from xinyi_shared.kafka_topics import LEDGER_EVENTS
from xinyi_shared.outbox import OutboxRelay
from xinyi_shared.service import ServiceCore

BODY_LIMITS = {"/v1/estates/{code}/vouchers": http_governance.VOUCHER_UPLOAD_LIMIT}


def build_app(settings: LedgerSettings) -> FastAPI:
    core = ServiceCore.from_settings(settings)
    tenant = TenantClient(settings, ServiceTokenProvider(settings))
    accruer: RemunerationAccruer

    def unit_of_work(estate_code: str) -> LedgerUnitOfWork:
        return LedgerUnitOfWork(core.database, estate_code, accruer, settings.log_authority)

    accruer = RemunerationAccruer(core.database, tenant, unit_of_work)
    # One store of vouchers for HTTP uploads and for other services' (gRPC).
    blob_store = blob_store_from_settings(settings)
    biller = BillingWorker(
        core.database,
        tenant,
        unit_of_work,
        chunk=settings.billing_chunk,
        parallel=settings.billing_workers,
        max_jobs=settings.billing_jobs,
        lease_seconds=settings.billing_lease_seconds,
        poll_seconds=settings.billing_poll_seconds,
    )
    app = core.app(
        title="Xinyi ledger service",
        description="The estates' trust books (信托账本): double-entry, in fen, public to each estate; "
        "and each community micro-fund's book (社区微基金).",
        components=[
            OutboxRelay(settings, core.database, topics=[LEDGER_EVENTS]),
            IdempotentConsumer(settings, core.database, consumers.tenant_subscription(tenant)),
            accruer,
            biller,  # after the accruer, so it stops first
            core.grpc_server(grpc_api.register(core.database, unit_of_work, blob_store)),
        ],
        routers=[
            http_api.build_router(core.database, tenant, tenant),
            http_billing.build_billing_router(core.database, unit_of_work, biller.wake),
            http_governance.build_governance_router(tenant),
            http_log.build_log_router(tenant),
            http_funds.build_funds_router(),
        ],
        on_shutdown=tenant.close,
        body_limits=BODY_LIMITS,
    )
    app.state.blob_store = blob_store
    app.state.ledger_uow_factory = unit_of_work
    return app
