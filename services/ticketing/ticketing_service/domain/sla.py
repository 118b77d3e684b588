"""服务时效 — service targets applied to a ticket: deadlines, the figures the committee watches, the
breaches the service detects by itself, and the timer the scheduler keeps per ticket.

Measures (wall time, nights included; whole seconds, rounded down):

- **first response time** = ``acknowledged_at − reported_at``: the firm's first step out of ``open``
  (see :mod:`.lifecycle`). A reopen never resets it.
- **resolution time** = ``resolved_at − reported_at`` to the *final* resolution: a reopened ticket is
  measured again to its next resolution, from the original report (the resident waited all along),
  so a fix that did not hold counts as late if the real fix was. A ticket that is not resolved now
  (active, reopened, withdrawn) has no resolution time.
- A target is **met** when the step came at or before its deadline (``≤``; reported 02:00:00 with a
  30-minute target, acknowledged 02:30:00 is within target), and **missed** from the first instant
  after it.

Breaches and escalations (the ladder): for each of the two targets, a missed deadline is recorded
once at level ``firm_manager`` (the breach: the manager is told), and, if the target is still not met
after its grace (``*_grace_minutes``; by default the target again), once more at level
``community_officer``. For the resolution target the grace of a ticket reopened after its deadline
runs from the reopen, so the firm has the grace to fix it before the community is called in (the
manager is told at once). Whether a step is due depends only on the ticket's timeline, not on when
the scheduler looked: a ticket acknowledged late is recorded as breached even if the scheduler was
down at the deadline, and one acknowledged before it never is. A recorded step is never reported
again (the repository can enforce it with a unique ``(ticket_id, kind, level)``).

Timers: :func:`next_timer` is the earliest moment something is due for a ticket (a breach or
escalation, the automatic confirmation, the closing), or None when nothing ever will be. Store it in
an indexed column; the scheduler picks tickets whose timer is ``<= now`` (``FOR UPDATE SKIP
LOCKED``), calls :func:`run_due`, saves the outcome and the new :func:`next_timer`. After
``run_due(ticket, now)``, ``next_timer`` of the result is None or later than ``now``; a timer may be in
the past (a late acknowledgement not yet recorded as a breach), which simply makes the ticket due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from ticketing_service.domain.tickets import (
    DONE,
    ESCALATION_ORDER,
    SYSTEM,
    Action,
    Breach,
    EscalationLevel,
    Outcome,
    SlaKind,
    Status,
    Ticket,
    Transition,
    advance,
    moment,
)
from xinyi_shared.errors import Conflict

TICK = timedelta(microseconds=1)
"""The resolution of time (as PostgreSQL's ``timestamptz``): a deadline is missed from ``deadline + TICK``."""

SLA_KINDS = (SlaKind.FIRST_RESPONSE, SlaKind.RESOLUTION)


class TimerKind(StrEnum):
    BREACH = "breach"
    AUTO_CONFIRM = "auto_confirm"
    CLOSE = "close"


_LEVEL_RANK = {level: rank for rank, level in enumerate(ESCALATION_ORDER)}
_KIND_RANK = {kind: rank for rank, kind in enumerate(SLA_KINDS)}
_TIMER_RANK = {TimerKind.BREACH: 0, TimerKind.AUTO_CONFIRM: 1, TimerKind.CLOSE: 2}


@dataclass(frozen=True)
class Timer:
    """Something due for a ticket at ``at``; for a breach, which target and which level."""

    at: datetime
    kind: TimerKind
    sla_kind: SlaKind | None = None
    level: EscalationLevel | None = None


@dataclass(frozen=True)
class SlaFigures:
    """A ticket's measures, free of personal data (for events and the committee's figures)."""

    first_response_seconds: int | None
    resolution_seconds: int | None
    first_response_met: bool | None
    resolution_met: bool | None
    reopen_count: int


def whole_seconds(delta: timedelta) -> int:
    """A duration in whole seconds, rounded down (449.9 s → 449)."""
    return delta // timedelta(seconds=1)


def due_at(ticket: Ticket, kind: SlaKind) -> datetime:
    return ticket.first_response_due_at if kind is SlaKind.FIRST_RESPONSE else ticket.resolution_due_at


def deadline(ticket: Ticket, kind: SlaKind, level: EscalationLevel) -> datetime:
    """The moment after which the ``kind`` target, not yet met, escalates to ``level``."""
    due = due_at(ticket, kind)
    if level is EscalationLevel.FIRM_MANAGER:
        return due
    if kind is SlaKind.FIRST_RESPONSE:
        return due + timedelta(minutes=ticket.terms.first_response_grace_minutes)
    reopened = ticket.reopened_at
    start = reopened if reopened is not None and reopened > due else due
    return start + timedelta(minutes=ticket.terms.resolution_grace_minutes)


def stopped_at(ticket: Ticket, kind: SlaKind) -> datetime | None:
    """When the ``kind`` clock stopped (met, or withdrawn), None while it runs."""
    if kind is SlaKind.FIRST_RESPONSE and ticket.acknowledged_at is not None:
        return ticket.acknowledged_at
    if kind is SlaKind.RESOLUTION and ticket.status in DONE:
        return ticket.resolved_at
    if ticket.status is Status.WITHDRAWN:
        return ticket.withdrawn_at
    return None


def _pending(ticket: Ticket) -> list[tuple[SlaKind, EscalationLevel, datetime]]:
    """Breach steps not recorded that are, or will be if nothing happens, due."""
    steps = []
    for kind in SLA_KINDS:
        stopped = stopped_at(ticket, kind)
        for level in ESCALATION_ORDER:
            limit = deadline(ticket, kind, level)
            if ticket.has_breach(kind, level) or (stopped is not None and stopped <= limit):
                continue
            steps.append((kind, level, limit))
    return sorted(steps, key=lambda step: (step[2], _LEVEL_RANK[step[1]], _KIND_RANK[step[0]]))


def due_breaches(ticket: Ticket, now: datetime) -> tuple[Breach, ...]:
    """The breaches and escalations due at ``now`` and not yet recorded, in order of deadline (at
    equal deadlines the firm manager's before the community's, the response before the resolution)."""
    at = moment(ticket, now)
    return tuple(Breach(kind, level, limit, at) for kind, level, limit in _pending(ticket) if at > limit)


def next_due(ticket: Ticket) -> Timer | None:
    """The earliest thing due for the ticket (it may be in the past), None if nothing ever will be."""
    timers = [Timer(limit + TICK, TimerKind.BREACH, kind, level) for kind, level, limit in _pending(ticket)]
    confirm_at = auto_confirm_due_at(ticket)
    if confirm_at is not None:
        timers.append(Timer(confirm_at, TimerKind.AUTO_CONFIRM))
    close_at = close_due_at(ticket)
    if close_at is not None:
        timers.append(Timer(close_at, TimerKind.CLOSE))
    # At equal moments: breaches before escalations to the community, then confirmation, then closing.
    return min(timers, key=_timer_order, default=None)


def _timer_order(timer: Timer) -> tuple[datetime, int, int, int]:
    level = _LEVEL_RANK[timer.level] if timer.level is not None else 0
    kind = _KIND_RANK[timer.sla_kind] if timer.sla_kind is not None else 0
    return timer.at, _TIMER_RANK[timer.kind], level, kind


def next_timer(ticket: Ticket) -> datetime | None:
    """The moment the scheduler must next look at the ticket; None when nothing is ever due again."""
    timer = next_due(ticket)
    return timer.at if timer is not None else None


def record_breach(ticket: Ticket, breach: Breach) -> Outcome:
    """Record one due breach (by the service itself); refused unless it is due and not yet recorded."""
    if breach not in due_breaches(ticket, breach.detected_at):
        raise Conflict("only a breach that is due and not yet recorded is recorded, at the moment it was detected")
    at = moment(ticket, breach.detected_at)
    return advance(ticket, SYSTEM, Action.BREACH, at, record={"breach": breach}, breaches=(*ticket.breaches, breach))


def record_due_breaches(ticket: Ticket, now: datetime) -> Outcome:
    """Every breach due at ``now``, recorded in order of deadline (no transitions when none is due).

    A reopen and a reclassification call it first: the one clears the resolution, the other moves
    the deadlines, so a breach not yet recorded would otherwise be lost, and what is recorded would
    depend on when the scheduler last looked."""
    transitions: list[Transition] = []
    current = ticket
    for breach in due_breaches(ticket, now):
        outcome = record_breach(current, breach)
        current = outcome.ticket
        transitions.extend(outcome.transitions)
    return Outcome(current, tuple(transitions))


def auto_confirm_due_at(ticket: Ticket) -> datetime | None:
    """When a resolved ticket is confirmed for a silent requester; None unless it is resolved."""
    if ticket.status is not Status.RESOLVED or ticket.resolved_at is None:
        return None
    return ticket.resolved_at + timedelta(minutes=ticket.terms.auto_confirm_minutes)


def close_due_at(ticket: Ticket) -> datetime | None:
    """When a confirmed ticket closes (its reopen window ends); None unless it is confirmed."""
    if ticket.status is not Status.CONFIRMED or ticket.confirmed_at is None:
        return None
    return ticket.confirmed_at + timedelta(minutes=ticket.terms.reopen_window_minutes)


def auto_confirm(ticket: Ticket, now: datetime) -> Outcome:
    """The scheduler confirms a resolved ticket the requester left unanswered: resolved → confirmed,
    without a rating, stamped ``now`` (the reopen window runs from then). Refused (Conflict) before
    it is due; until it has run, the requester may still confirm and rate."""
    if ticket.status is not Status.RESOLVED:
        raise Conflict(f"a {ticket.status.value} ticket cannot be confirmed automatically (only a resolved one)")
    at = moment(ticket, now)
    due = auto_confirm_due_at(ticket)
    if due is None or at < due:
        raise Conflict("the requester still has time to confirm or reopen this ticket")
    return advance(ticket, SYSTEM, Action.AUTO_CONFIRM, at, Status.CONFIRMED, confirmed_at=at, auto_confirmed=True)


def close(ticket: Ticket, now: datetime) -> Outcome:
    """The scheduler closes a confirmed ticket once its reopen window has ended: confirmed → closed.
    Nobody closes a ticket earlier, so the requester's window is never cut short."""
    if ticket.status is not Status.CONFIRMED:
        raise Conflict(f"a {ticket.status.value} ticket cannot be closed (only a confirmed one)")
    at = moment(ticket, now)
    due = close_due_at(ticket)
    if due is None or at < due:
        raise Conflict("the requester may still reopen this ticket")
    return advance(ticket, SYSTEM, Action.CLOSE, at, Status.CLOSED, closed_at=at)


def run_due(ticket: Ticket, now: datetime) -> Outcome:
    """Everything due at ``now``, in order of due moment: breaches and escalations, the automatic
    confirmation, the closing. No transitions when nothing was due."""
    at = moment(ticket, now)
    transitions: list[Transition] = []
    current = ticket
    while (timer := next_due(current)) is not None and timer.at <= at:
        if timer.kind is TimerKind.BREACH and timer.sla_kind is not None and timer.level is not None:
            limit = deadline(current, timer.sla_kind, timer.level)
            outcome = record_breach(current, Breach(timer.sla_kind, timer.level, limit, at))
        elif timer.kind is TimerKind.AUTO_CONFIRM:
            outcome = auto_confirm(current, at)
        else:
            outcome = close(current, at)
        current = outcome.ticket
        transitions.extend(outcome.transitions)
    return Outcome(current, tuple(transitions))


def first_response_time(ticket: Ticket) -> timedelta | None:
    if ticket.acknowledged_at is None:
        return None
    return ticket.acknowledged_at - ticket.reported_at


def resolution_time(ticket: Ticket) -> timedelta | None:
    if ticket.status not in DONE or ticket.resolved_at is None:
        return None
    return ticket.resolved_at - ticket.reported_at


def first_response_seconds(ticket: Ticket) -> int | None:
    elapsed = first_response_time(ticket)
    return None if elapsed is None else whole_seconds(elapsed)


def resolution_seconds(ticket: Ticket) -> int | None:
    elapsed = resolution_time(ticket)
    return None if elapsed is None else whole_seconds(elapsed)


def first_response_met(ticket: Ticket) -> bool | None:
    """Whether the first response came within target; None while there is none."""
    if ticket.acknowledged_at is None:
        return None
    return ticket.acknowledged_at <= ticket.first_response_due_at


def resolution_met(ticket: Ticket) -> bool | None:
    """Whether the (current, final if confirmed) resolution came within target; None while unresolved."""
    if ticket.status not in DONE or ticket.resolved_at is None:
        return None
    return ticket.resolved_at <= ticket.resolution_due_at


def figures(ticket: Ticket) -> SlaFigures:
    return SlaFigures(
        first_response_seconds=first_response_seconds(ticket),
        resolution_seconds=resolution_seconds(ticket),
        first_response_met=first_response_met(ticket),
        resolution_met=resolution_met(ticket),
        reopen_count=ticket.reopen_count,
    )
