"""Events ticketing reacts to: estates onboarded (their default targets), and the ledger's decisions
on the expenses proposed for tickets' materials (the ticket shows where its money stands)."""

from __future__ import annotations

from google.protobuf.message import Message
from sqlalchemy.orm import Session

from ticketing_service.adapters.tickets import TicketRepository
from ticketing_service.service_layer.targets import adopt_default_targets
from xinyi.ledger.v1 import events_pb2 as ledger_events
from xinyi.tenant.v1 import events_pb2 as tenant_events
from xinyi_shared.consumer import EventHandler, Subscription
from xinyi_shared.events import CloudEvent
from xinyi_shared.kafka_topics import LEDGER_EVENTS, TENANT_EVENTS


def on_estate_onboarded(session: Session, event: CloudEvent) -> None:
    estate = event.parse(tenant_events.EstateOnboarded).estate
    adopt_default_targets(session, estate.code, estate.time_zone)


def _expense_status(status: str, message_type: type[Message]) -> EventHandler:
    def handle(session: Session, event: CloudEvent) -> None:
        expense = event.parse(message_type)
        TicketRepository(session).set_expense_status(str(expense.expense_id), status)  # type: ignore[attr-defined]

    return handle


TENANT_SUBSCRIPTION = Subscription(
    name="ticketing.tenant-events",
    topics=[TENANT_EVENTS],
    handlers={tenant_events.EstateOnboarded.DESCRIPTOR.full_name: on_estate_onboarded},
)
LEDGER_SUBSCRIPTION = Subscription(
    name="ticketing.ledger-events",
    topics=[LEDGER_EVENTS],
    handlers={
        ledger_events.ExpenseApproved.DESCRIPTOR.full_name: _expense_status("approved", ledger_events.ExpenseApproved),
        ledger_events.ExpenseRejected.DESCRIPTOR.full_name: _expense_status("rejected", ledger_events.ExpenseRejected),
        ledger_events.ExpensePaid.DESCRIPTOR.full_name: _expense_status("paid", ledger_events.ExpensePaid),
    },
    # Three event types of the ledger's busy topic: gather, rather than wake for every payment.
    gather_ms=100,
)
