"""Events the micro-fund reacts to: estates onboarded (their community's fund, opened once in the
ledger), the ledger's donations declared at month closes (pledges), and the tenant's ballots on
grants (subject ``grant:<id>``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from microfund_service.adapters.memberships import MembershipRepository
from microfund_service.domain.fund import Pledge
from microfund_service.service_layer import funds
from microfund_service.service_layer.funds import Books
from microfund_service.service_layer.memberships import join_community_fund
from xinyi.ledger.v1 import events_pb2 as ledger_events
from xinyi.tenant.v1 import events_pb2 as tenant_events
from xinyi_shared.consumer import Subscription
from xinyi_shared.events import CloudEvent
from xinyi_shared.kafka_topics import LEDGER_EVENTS, TENANT_EVENTS

GRANT_SUBJECT = "grant:"


def tenant_subscription(books: Books) -> Subscription:
    def on_estate_onboarded(session: Session, event: CloudEvent) -> None:
        estate = event.parse(tenant_events.EstateOnboarded).estate
        join_community_fund(session, estate.code, estate.community_code)
        funds.join(session, books, estate.code, estate.community_code)

    def community_of(session: Session, estate_code: str) -> str | None:
        membership = MembershipRepository(session).get(estate_code)
        return membership.community_code if membership else None

    def on_ballot_opened(session: Session, event: CloudEvent) -> None:
        ballot = event.parse(tenant_events.BallotOpened)
        if not ballot.subject.startswith(GRANT_SUBJECT):
            return
        community = community_of(session, ballot.estate_code)
        if community is not None:
            grant_id = ballot.subject.removeprefix(GRANT_SUBJECT)
            funds.ballot_opened(session, community, grant_id, ballot.estate_code, ballot.ballot_id)

    def on_ballot_closed(session: Session, event: CloudEvent) -> None:
        ballot = event.parse(tenant_events.BallotClosed)
        if not ballot.subject.startswith(GRANT_SUBJECT):
            return
        community = community_of(session, ballot.estate_code)
        if community is not None:
            grant_id = ballot.subject.removeprefix(GRANT_SUBJECT)
            funds.ballot_closed(
                session, books, community, grant_id, ballot.estate_code, ballot.ballot_id, ballot.adopted_option
            )

    return Subscription(
        name="microfund.tenant-events",
        topics=[TENANT_EVENTS],
        handlers={
            tenant_events.EstateOnboarded.DESCRIPTOR.full_name: on_estate_onboarded,
            tenant_events.BallotOpened.DESCRIPTOR.full_name: on_ballot_opened,
            tenant_events.BallotClosed.DESCRIPTOR.full_name: on_ballot_closed,
        },
    )


def ledger_subscription(books: Books) -> Subscription:
    def on_donation_declared(session: Session, event: CloudEvent) -> None:
        declared = event.parse(ledger_events.DonationDeclared)
        if declared.amount_fen <= 0:
            return  # a month without remuneration declares nothing to pledge
        pledge = Pledge(declared.estate_code, declared.period, declared.amount_fen, declared.transaction_id)
        funds.pledge_declared(session, books, pledge, declared.community_code)

    return Subscription(
        name="microfund.ledger-events",
        topics=[LEDGER_EVENTS],
        handlers={ledger_events.DonationDeclared.DESCRIPTOR.full_name: on_donation_declared},
        # One event type of the ledger's busy topic: gather, rather than wake for every payment.
        gather_ms=100,
    )
