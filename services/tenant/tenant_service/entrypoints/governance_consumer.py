"""The committee's read side is fed by its own consumer group, ``tenant.governance``, from the four
services' topics: each event becomes facts in the ``governance_*`` tables (adapters.governance_store)
and nothing else — no call back to a service, no read of another part of the tenant's database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from google.protobuf.message import Message
from sqlalchemy.orm import Session

from tenant_service.adapters.governance_store import EstateIdentity, GovernanceFacts, TicketFacts
from xinyi.ledger.v1 import events_pb2 as ledger_events
from xinyi.microfund.v1 import events_pb2 as fund_events
from xinyi.tenant.v1 import events_pb2 as tenant_events
from xinyi.tenant.v1 import tenant_pb2
from xinyi.ticketing.v1 import events_pb2 as ticket_events
from xinyi_shared.consumer import EventHandler, Subscription
from xinyi_shared.events import CloudEvent
from xinyi_shared.kafka_topics import LEDGER_EVENTS, MICROFUND_EVENTS, TENANT_EVENTS, TICKETING_EVENTS

M = TypeVar("M", bound=Message)

CONSUMER_GROUP = "tenant.governance"
TOPICS = [TENANT_EVENTS, LEDGER_EVENTS, TICKETING_EVENTS, MICROFUND_EVENTS]


def instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"an instant without its offset: {text!r}")
    return moment


def _status(value: int) -> str:
    return tenant_pb2.EstateStatus.Name(value).removeprefix("ESTATE_STATUS_").lower()


def _on(message_type: type[M], apply: Callable[[GovernanceFacts, CloudEvent, M], None]) -> EventHandler:
    def handle(session: Session, event: CloudEvent) -> None:
        apply(GovernanceFacts(session), event, event.parse(message_type))

    return handle


def _onboarded(facts: GovernanceFacts, event: CloudEvent, m: tenant_events.EstateOnboarded) -> None:
    e = m.estate
    identity = EstateIdentity(
        e.code, e.name, e.district_code, e.sub_district_code, e.community_code, e.time_zone, _status(e.status)
    )
    at, books_begin = instant(event.time), _books_begin(m)
    facts.estate_onboarded(identity, min(at, books_begin) if books_begin else at)


def _books_begin(m: tenant_events.EstateOnboarded) -> datetime | None:
    """The first instant of the estate's books, in its time zone: an estate that joins with earlier
    months' books (rules.effective_from before the onboarding month) is in the figures of those months.
    Events from before the field existed say nothing: the books began in the month of the event."""
    if not m.HasField("rules") or not m.rules.effective_from:
        return None
    first = date.fromisoformat(m.rules.effective_from)
    return datetime(first.year, first.month, first.day, tzinfo=ZoneInfo(m.estate.time_zone))


def _status_of(status: str) -> Callable[[GovernanceFacts, CloudEvent, Message], None]:
    def apply(facts: GovernanceFacts, event: CloudEvent, _: Message) -> None:
        facts.estate_status(event.subject, status)

    return apply


def _transitioned(facts: GovernanceFacts, event: CloudEvent, m: ticket_events.TicketTransitioned) -> None:
    f = m.figures
    facts.ticket_figures(
        event.subject,
        m.ticket_id,
        m.seq,
        TicketFacts(
            first_response_seconds=f.first_response_seconds if f.HasField("first_response_seconds") else None,
            resolution_seconds=f.resolution_seconds if f.HasField("resolution_seconds") else None,
            first_response_met=f.first_response_met if f.HasField("first_response_met") else None,
            resolution_met=f.resolution_met if f.HasField("resolution_met") else None,
        ),
    )


def _breached(facts: GovernanceFacts, event: CloudEvent, m: ticket_events.SlaBreached) -> None:
    if m.level == "firm_manager":  # the breach itself; "community_officer" is its escalation
        facts.ticket_breached(event.subject, m.ticket_id)


def _books_moved(facts: GovernanceFacts, event: CloudEvent, m: ledger_events.BooksMoved) -> None:
    facts.books_moved(
        event.subject,
        m.period,
        m.fees_billed_fen,
        m.fees_collected_fen,
        m.income_fen,
        m.expenses_fen,
        {line.account: line.amount_fen for line in m.budget_lines},
    )


def _books_moved_together(session: Session, events: list[CloudEvent]) -> None:
    """A run of an estate's BooksMoved events: their movements are sums, so one upsert per month
    carries them all (a busy estate's payments arrive by the hundred)."""
    months: dict[str, list[int]] = {}
    lines: dict[str, dict[str, int]] = {}
    for event in events:
        m = event.parse(ledger_events.BooksMoved)
        totals = months.setdefault(m.period, [0, 0, 0, 0])
        for i, amount in enumerate((m.fees_billed_fen, m.fees_collected_fen, m.income_fen, m.expenses_fen)):
            totals[i] += amount
        spent = lines.setdefault(m.period, {})
        for line in m.budget_lines:
            spent[line.account] = spent.get(line.account, 0) + line.amount_fen
    facts = GovernanceFacts(session)
    for period, (billed, collected, income, expenses) in months.items():
        facts.books_moved(events[0].subject, period, billed, collected, income, expenses, lines[period])


def _budget(facts: GovernanceFacts, event: CloudEvent, m: ledger_events.BudgetAdopted) -> None:
    lines: dict[str, int] = {}
    for line in m.lines:
        lines[line.account] = lines.get(line.account, 0) + line.amount_fen
    facts.budget_adopted(event.subject, m.year, lines, instant(event.time))


def _closed(facts: GovernanceFacts, event: CloudEvent, m: ledger_events.PeriodClosed) -> None:
    facts.period_closed(
        event.subject,
        m.period,
        instant(event.time),
        m.fees_billed_fen,
        m.fees_collected_fen,
        m.closing_balance_fen,
        m.surplus_year_to_date_fen,
    )


def _received(facts: GovernanceFacts, event: CloudEvent, m: fund_events.DonationReceived) -> None:
    estate = m.estate_code if m.source == "firm" and m.estate_code else None
    facts.fund_flow(
        event.subject, m.community_code, estate, "received", m.donation_id, m.amount_fen, instant(event.time)
    )


def _decided(facts: GovernanceFacts, event: CloudEvent, m: fund_events.GrantDecided) -> None:
    if m.approved:
        facts.fund_flow(event.subject, m.community_code, None, "granted", m.grant_id, m.amount_fen, instant(event.time))


HANDLERS: dict[str, EventHandler] = {
    tenant_events.EstateOnboarded.DESCRIPTOR.full_name: _on(tenant_events.EstateOnboarded, _onboarded),
    tenant_events.EstateSuspended.DESCRIPTOR.full_name: _on(tenant_events.EstateSuspended, _status_of("suspended")),
    tenant_events.EstateResumed.DESCRIPTOR.full_name: _on(tenant_events.EstateResumed, _status_of("active")),
    tenant_events.EstateOffboarded.DESCRIPTOR.full_name: _on(tenant_events.EstateOffboarded, _status_of("offboarded")),
    tenant_events.HouseholdsImported.DESCRIPTOR.full_name: _on(
        tenant_events.HouseholdsImported,
        lambda f, e, m: f.households_registered(e.subject, m.household_ids, instant(e.time)),
    ),
    tenant_events.HouseholdChanged.DESCRIPTOR.full_name: _on(
        tenant_events.HouseholdChanged,
        lambda f, e, m: f.households_registered(e.subject, [m.household.id], instant(e.time)),
    ),
    ticket_events.TicketReported.DESCRIPTOR.full_name: _on(
        ticket_events.TicketReported, lambda f, e, m: f.ticket_reported(e.subject, m.ticket_id, instant(m.reported_at))
    ),
    ticket_events.TicketTransitioned.DESCRIPTOR.full_name: _on(ticket_events.TicketTransitioned, _transitioned),
    ticket_events.TicketRated.DESCRIPTOR.full_name: _on(
        ticket_events.TicketRated, lambda f, e, m: f.ticket_rated(e.subject, m.ticket_id, m.score, instant(m.at))
    ),
    ticket_events.SlaBreached.DESCRIPTOR.full_name: _on(ticket_events.SlaBreached, _breached),
    ticket_events.ComplaintFiled.DESCRIPTOR.full_name: _on(
        ticket_events.ComplaintFiled,
        lambda f, e, m: f.ticket_moment(e.subject, m.ticket_id, "complaint_at", instant(m.at)),
    ),
    ticket_events.ComplaintEscalated.DESCRIPTOR.full_name: _on(
        ticket_events.ComplaintEscalated,
        lambda f, e, m: f.ticket_moment(e.subject, m.ticket_id, "petition_at", instant(m.at)),
    ),
    ledger_events.BooksMoved.DESCRIPTOR.full_name: _on(ledger_events.BooksMoved, _books_moved),
    ledger_events.BudgetAdopted.DESCRIPTOR.full_name: _on(ledger_events.BudgetAdopted, _budget),
    ledger_events.PeriodClosed.DESCRIPTOR.full_name: _on(ledger_events.PeriodClosed, _closed),
    ledger_events.CheckpointPublished.DESCRIPTOR.full_name: _on(
        ledger_events.CheckpointPublished,
        lambda f, e, m: f.checkpoint_published(e.subject, m.period, m.origin, m.tree_size, m.root_hash),
    ),
    ledger_events.CheckpointCosigned.DESCRIPTOR.full_name: _on(
        ledger_events.CheckpointCosigned,
        lambda f, e, m: f.checkpoint_cosigned(e.subject, m.tree_size, m.witness_key_name),
    ),
    fund_events.DonationPledged.DESCRIPTOR.full_name: _on(
        fund_events.DonationPledged,
        lambda f, e, m: f.fund_flow(
            e.subject, m.community_code, m.estate_code, "pledged", m.pledge_id, m.amount_fen, instant(e.time), m.period
        ),
    ),
    fund_events.DonationReceived.DESCRIPTOR.full_name: _on(fund_events.DonationReceived, _received),
    fund_events.GrantDecided.DESCRIPTOR.full_name: _on(fund_events.GrantDecided, _decided),
}

# The handlers write only the governance tables: a poll's events of an estate go in one transaction,
# and a poll gathers up to a fifth of a second of them (the committee's figures are not awaited).
SUBSCRIPTION = Subscription(
    name=CONSUMER_GROUP,
    topics=TOPICS,
    handlers=HANDLERS,
    batch_by_estate=True,
    run_handlers={ledger_events.BooksMoved.DESCRIPTOR.full_name: _books_moved_together},
    gather_ms=200,
)
