"""Events the ledger reacts to (each applied once: see xinyi_shared.consumer)."""

from __future__ import annotations

from google.protobuf.message import Message
from sqlalchemy.orm import Session

from ledger_service.adapters.books import BooksRepository
from ledger_service.adapters.governance import GovernanceRepository
from ledger_service.adapters.journal import JournalRepository
from ledger_service.adapters.tenant_mirror import TenantMirror
from ledger_service.service_layer import governance
from ledger_service.service_layer.books import EstateRegistry, open_trust_books
from ledger_service.service_layer.unit_of_work import EVENT_SOURCE
from xinyi.tenant.v1 import events_pb2 as tenant_events
from xinyi_shared.consumer import EventHandler, Subscription
from xinyi_shared.events import CloudEvent
from xinyi_shared.kafka_topics import LEDGER_EVENTS, TENANT_EVENTS
from xinyi_shared.outbox import publish


class ConsumerWork:
    """The consumer's estate session as the governance use cases take it (the consumer commits)."""

    def __init__(self, session: Session, estate_code: str) -> None:
        self.session = session
        self.estate_code = estate_code
        self.governance = GovernanceRepository(session, estate_code)
        self.journal = JournalRepository(session, estate_code)

    def publish(self, message: Message) -> None:
        publish(self.session, LEDGER_EVENTS, EVENT_SOURCE, self.estate_code, message)


def tenant_subscription(registry: EstateRegistry) -> Subscription:
    def on_estate_onboarded(session: Session, event: CloudEvent) -> None:
        onboarded = event.parse(tenant_events.EstateOnboarded)
        # The books open as the event states the estate and its first rules (the tenant service is
        # asked only for what an older event lacks); later changes follow as events of the estate.
        open_trust_books(
            session,
            registry,
            onboarded.estate.code,
            cause_event_id=event.id,
            onboarded_with=onboarded.rules if onboarded.HasField("rules") else None,
            onboarded_as=onboarded.estate,
        )

    def status_setter(status: str) -> EventHandler:
        def apply(session: Session, event: CloudEvent) -> None:
            # A suspended estate's books are read-only; an offboarded one's are kept, frozen.
            BooksRepository(session).set_status(event.subject, status)

        return apply

    def on_households_imported(session: Session, event: CloudEvent) -> None:
        imported = event.parse(tenant_events.HouseholdsImported)
        TenantMirror(session).learn_households(event.subject, [(h, None) for h in imported.household_ids])

    def on_household_changed(session: Session, event: CloudEvent) -> None:
        household = event.parse(tenant_events.HouseholdChanged).household
        TenantMirror(session).learn_households(event.subject, [(household.id, household.area_centi_sqm)])

    def on_rules_changed(session: Session, event: CloudEvent) -> None:
        changed = event.parse(tenant_events.EstateRulesChanged)
        TenantMirror(session).record_rules(event.subject, changed.rules, event.id)

    def on_ballot_opened(session: Session, event: CloudEvent) -> None:
        opened = event.parse(tenant_events.BallotOpened)
        governance.ballot_opened(ConsumerWork(session, event.subject), opened.ballot_id, opened.subject, opened.options)

    def on_ballot_closed(session: Session, event: CloudEvent) -> None:
        closed = event.parse(tenant_events.BallotClosed)
        adopted = closed.adopted_option if closed.quorum_met else ""
        governance.ballot_closed(
            ConsumerWork(session, event.subject),
            closed.ballot_id,
            closed.subject,
            adopted,
            f"ballot:{closed.ballot_id}",
        )

    return Subscription(
        name="ledger.tenant-events",
        topics=[TENANT_EVENTS],
        handlers={
            tenant_events.EstateOnboarded.DESCRIPTOR.full_name: on_estate_onboarded,
            tenant_events.EstateSuspended.DESCRIPTOR.full_name: status_setter("suspended"),
            tenant_events.EstateResumed.DESCRIPTOR.full_name: status_setter("active"),
            tenant_events.EstateOffboarded.DESCRIPTOR.full_name: status_setter("offboarded"),
            tenant_events.HouseholdsImported.DESCRIPTOR.full_name: on_households_imported,
            tenant_events.HouseholdChanged.DESCRIPTOR.full_name: on_household_changed,
            tenant_events.EstateRulesChanged.DESCRIPTOR.full_name: on_rules_changed,
            tenant_events.BallotOpened.DESCRIPTOR.full_name: on_ballot_opened,
            tenant_events.BallotClosed.DESCRIPTOR.full_name: on_ballot_closed,
        },
    )
