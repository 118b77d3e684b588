"""Wires the ticketing service: database, the tenant and ledger clients, the blob store, the clock,
units of work, consumers, the outbox relay, the breach scheduler, the notifier, HTTP and gRPC."""

from __future__ import annotations

from fastapi import FastAPI

from ticketing_service.adapters.directory import LedgerExpenses, TenantDirectory
from ticketing_service.entrypoints import consumers, grpc_api, http_api
from ticketing_service.service_layer.scheduler import LogSender, Notifier, Sender, TimerScheduler, WebhookSender
from ticketing_service.service_layer.tickets import Ticketing
from ticketing_service.service_layer.unit_of_work import TicketingUnitOfWork
from ticketing_service.settings import TicketingSettings
from xinyi_shared.auth import ServiceTokenProvider
from xinyi_shared.blobs import blob_store_from_settings
from xinyi_shared.clock import SystemClock, clock_from_setting
from xinyi_shared.consumer import IdempotentConsumer
from xinyi_shared.kafka_topics import TICKETING_EVENTS
from xinyi_shared.outbox import OutboxRelay
from xinyi_shared.service import ServiceCore

BODY_LIMITS = {"/v1/estates/{code}/ticket-files": http_api.UPLOAD_LIMIT}


def build_app(settings: TicketingSettings) -> FastAPI:
    core = ServiceCore.from_settings(settings)
    tokens = ServiceTokenProvider(settings)
    directory = TenantDirectory(settings, tokens)
    expenses = LedgerExpenses(settings, tokens)
    clock = clock_from_setting(settings.clock_file)

    def unit_of_work(estate_code: str) -> TicketingUnitOfWork:
        return TicketingUnitOfWork(core.database, estate_code)

    ticketing = Ticketing(
        unit_of_work=unit_of_work,
        directory=directory,
        clock=clock,
        store=blob_store_from_settings(settings),
        expenses=expenses,
        photo_max_bytes=settings.photo_max_bytes,
    )
    sender: Sender = (
        WebhookSender(settings.notification_webhook_url) if settings.notification_webhook_url else LogSender()
    )

    def shutdown() -> None:
        directory.close()
        expenses.close()

    app = core.app(
        title="Xinyi ticketing service",
        description="Residents' reports (报事报修), routed to grids and the firm, fixed against service targets, rated.",
        components=[
            OutboxRelay(settings, core.database, topics=[TICKETING_EVENTS]),
            IdempotentConsumer(settings, core.database, consumers.TENANT_SUBSCRIPTION),
            IdempotentConsumer(settings, core.database, consumers.LEDGER_SUBSCRIPTION),
            TimerScheduler(
                core.database, clock, batch=settings.scheduler_batch, poll_seconds=settings.scheduler_poll_seconds
            ),
            # Deliveries are paced by real time, also when a test holds the service's clock still.
            Notifier(
                core.database,
                sender,
                SystemClock(),
                poll_seconds=settings.notification_poll_seconds,
                max_attempts=settings.notification_max_attempts,
            ),
            core.grpc_server(grpc_api.register(unit_of_work)),
        ],
        routers=[http_api.build_router()],
        on_shutdown=shutdown,
        body_limits=BODY_LIMITS,
    )
    app.state.ticketing = ticketing
    return app
