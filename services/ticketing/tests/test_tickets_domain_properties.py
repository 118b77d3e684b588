"""Properties of the ticket domain under any sequence of steps, by anyone, at any pace (hypothesis).

- Whatever is tried, a step either succeeds or is refused with Conflict or PermissionDenied (the
  inputs here are valid), and a refused step changes nothing.
- The history is consistent: one transition per version, ``seq`` 1, 2, 3 …, each from the status
  the previous one led to, moments never decreasing, the ticket's moments in their natural order.
- After the scheduler ran at ``now``, the ticket's timer is later than ``now`` (or there is none).
- What breaches are recorded depends on the ticket's timeline only, never on when the scheduler ran.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from ticketing_service.domain import lifecycle, sla
from ticketing_service.domain.materials import MaterialLine, MaterialPurchase
from ticketing_service.domain.satisfaction import Rating
from ticketing_service.domain.targets import MAX_WINDOW_MINUTES, CategoryTarget, ServiceTargets, Urgency
from ticketing_service.domain.tickets import (
    DONE,
    Actor,
    ActorRole,
    Location,
    Outcome,
    Report,
    Status,
    Ticket,
    Transition,
    report,
)
from xinyi_shared.errors import Conflict, PermissionDenied

T0 = datetime(2026, 3, 1, 18, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)
TARGETS = ServiceTargets("jinhe-lvzhou", "Asia/Shanghai", reopen_window_minutes=2 * 24 * 60)
RESIDENT = Actor("res-1", ActorRole.RESIDENT, households=frozenset({"h-1"}))
NEIGHBOUR = Actor("res-2", ActorRole.RESIDENT, households=frozenset({"h-2"}))
STAFF = Actor("staff-1", ActorRole.FIRM_STAFF)
OTHER_STAFF = Actor("staff-2", ActorRole.FIRM_STAFF)
MANAGER = Actor("manager-1", ActorRole.FIRM_MANAGER)
OFFICER = Actor("officer-1", ActorRole.COMMUNITY_OFFICER)
GRID_LEADER = Actor("grid-1", ActorRole.GRID_LEADER, grids=frozenset({"g-1"}))
ACTORS = (RESIDENT, NEIGHBOUR, STAFF, OTHER_STAFF, MANAGER, OFFICER, GRID_LEADER)
PURCHASE = MaterialPurchase("Shop", (MaterialLine("Bulb", 1, 800),), "5600", ("ab" * 32,))

Step = Callable[[Ticket, Actor, datetime], Outcome]
STEPS: dict[str, Step] = {
    "acknowledge": lambda t, a, now: lifecycle.acknowledge(t, a, now),
    "start": lambda t, a, now: lifecycle.start(t, a, now),
    "resolve": lambda t, a, now: lifecycle.resolve(t, a, "Fixed", now),
    "confirm": lambda t, a, now: lifecycle.confirm(t, a, Rating(4), now),
    "reopen": lambda t, a, now: lifecycle.reopen(t, a, "Not fixed", now),
    "withdraw": lambda t, a, now: lifecycle.withdraw(t, a, now),
    "assign": lambda t, a, now: lifecycle.assign(t, a, STAFF.subject, now),
    "take": lambda t, a, now: lifecycle.assign(t, a, a.subject, now),
    "internal note": lambda t, a, now: lifecycle.add_note(t, a, "note", now, internal=True),
    "public note": lambda t, a, now: lifecycle.add_note(t, a, "note", now, internal=False),
    "reclassify": lambda t, a, now: lifecycle.reclassify(
        t, a, TARGETS, now, urgency=Urgency.LOW if t.urgency is not Urgency.LOW else Urgency.EMERGENCY
    ),
    "complain": lambda t, a, now: lifecycle.file_complaint(t, a, "Bad", now),
    "escalate": lambda t, a, now: lifecycle.escalate_complaint(t, a, now),
    "materials": lambda t, a, now: lifecycle.record_materials(t, a, PURCHASE, now),
    "auto_confirm": lambda t, a, now: sla.auto_confirm(t, now),
    "close": lambda t, a, now: sla.close(t, now),
    "run_due": lambda t, a, now: sla.run_due(t, now),
}

# Paces from the same microsecond to days apart, and sometimes a clock a little behind.
pace = st.one_of(
    st.integers(-120, 0).map(lambda s: timedelta(seconds=s)),
    st.integers(0, 2 * 3600).map(lambda s: timedelta(seconds=s)),
    st.integers(0, 4 * 24 * 3600).map(lambda s: timedelta(seconds=s)),
    st.integers(0, 10).map(lambda us: timedelta(microseconds=us)),
)
# Mostly a step the status allows, by the actor whose step it is, so that tickets get far; sometimes
# any step by anyone, to be refused.
NATURAL = {
    "confirm": RESIDENT,
    "reopen": RESIDENT,
    "withdraw": RESIDENT,
    "complain": RESIDENT,
    "escalate": OFFICER,
    "public note": RESIDENT,
    "assign": MANAGER,
    "reclassify": MANAGER,
}
ANYTIME = ("internal note", "public note", "complain", "escalate", "materials", "run_due")
ACTIVE_STEPS = ("acknowledge", "start", "resolve", "assign", "take", "reclassify", "withdraw")
FORWARD: dict[Status, tuple[str, ...]] = {
    Status.OPEN: ACTIVE_STEPS,
    Status.ACKNOWLEDGED: ACTIVE_STEPS,
    Status.IN_PROGRESS: ACTIVE_STEPS,
    Status.RESOLVED: ("confirm", "reopen", "auto_confirm"),
    Status.CONFIRMED: ("reopen", "close"),
    Status.CLOSED: (),
    Status.WITHDRAWN: (),
}


def opened(urgency: Urgency) -> Outcome:
    draft = Report("lighting", urgency, Location.household("h-1"), "Light out", grid_code="g-1")
    return report("t-1", RESIDENT, draft, TARGETS, T0)


def check_history(ticket: Ticket, history: list[Transition]) -> None:
    assert ticket.version == len(history)
    assert [transition.seq for transition in history] == list(range(1, len(history) + 1))
    assert history[0].from_status is None
    for before, after in itertools.pairwise(history):
        assert after.from_status is before.to_status
        assert after.at >= before.at
    assert history[-1].to_status is ticket.status
    assert history[-1].at == ticket.updated_at
    assert all(transition.ticket_id == ticket.id for transition in history)


def check_ticket(ticket: Ticket) -> None:
    chain = [ticket.reported_at, ticket.acknowledged_at, ticket.first_resolved_at, ticket.resolved_at]
    chain += [ticket.confirmed_at, ticket.closed_at]
    present = [moment for moment in chain if moment is not None]
    assert present == sorted(present)
    assert all(moment <= ticket.updated_at for moment in present)
    if ticket.status in DONE:
        assert ticket.resolved_at is not None and ticket.first_resolved_at is not None
    if ticket.rating is not None:
        assert ticket.status in (Status.CONFIRMED, Status.CLOSED) and not ticket.auto_confirmed
    for breach in ticket.breaches:
        assert breach.detected_at > breach.deadline
    figures = sla.figures(ticket)
    if figures.first_response_seconds is not None:
        assert figures.first_response_seconds >= 0
        if figures.resolution_seconds is not None:
            assert figures.resolution_seconds >= figures.first_response_seconds


@settings(max_examples=200, deadline=None)
@given(data=st.data(), urgency=st.sampled_from(list(Urgency)), length=st.integers(0, 40))
def test_any_sequence_of_steps_keeps_the_history_consistent(data: st.DataObject, urgency: Urgency, length: int) -> None:
    first = opened(urgency)
    ticket = first.ticket
    history: list[Transition] = list(first.transitions)
    now = T0
    for _ in range(length):
        if data.draw(st.integers(0, 4)) == 0:
            name, actor = data.draw(st.sampled_from(sorted(STEPS))), data.draw(st.sampled_from(ACTORS))
        else:
            name = data.draw(st.sampled_from(FORWARD[ticket.status] + ANYTIME))
            actor = NATURAL.get(name, STAFF)
        timer = sla.next_timer(ticket)
        if timer is not None and data.draw(st.integers(0, 3)) == 0:
            now = max(now, timer + data.draw(st.sampled_from((timedelta(0), -TICK, TICK))))  # on the dot
        else:
            now += data.draw(pace)
        try:
            outcome = STEPS[name](ticket, actor, now)
        except (Conflict, PermissionDenied):
            continue
        assert outcome.ticket.version == ticket.version + len(outcome.transitions)
        if name == "run_due":
            timer = sla.next_timer(outcome.ticket)
            assert timer is None or timer > max(now, ticket.updated_at)
            assert sla.due_breaches(outcome.ticket, now) == ()
        else:
            assert outcome.transitions
        ticket = outcome.ticket
        history.extend(outcome.transitions)
        check_history(ticket, history)
        check_ticket(ticket)


# Firm and requester steps only, within a horizon shorter than the automatic confirmation, so the
# scheduler's runs can change nothing but the breaches it records.
TIMELINE_TARGETS = ServiceTargets(
    "jinhe-lvzhou",
    "Asia/Shanghai",
    overrides=(CategoryTarget("lighting", Urgency.LOW, 240, 1440),),
    auto_confirm_minutes=MAX_WINDOW_MINUTES,
)
TIMELINE_STEPS: dict[str, Step] = {
    "acknowledge": lambda t, a, now: lifecycle.acknowledge(t, MANAGER, now),
    "start": lambda t, a, now: lifecycle.start(t, MANAGER, now),
    "resolve": lambda t, a, now: lifecycle.resolve(t, MANAGER, "Fixed", now),
    "reopen": lambda t, a, now: lifecycle.reopen(t, RESIDENT, "Not fixed", now),
    "withdraw": lambda t, a, now: lifecycle.withdraw(t, RESIDENT, now),
    "reclassify": lambda t, a, now: lifecycle.reclassify(
        t, MANAGER, TIMELINE_TARGETS, now, urgency=Urgency.LOW if t.urgency is not Urgency.LOW else Urgency.URGENT
    ),
}
timeline = st.lists(
    st.tuples(
        st.sampled_from(sorted(TIMELINE_STEPS)),
        st.integers(0, 6 * 3600).map(lambda s: timedelta(seconds=s)),
        st.lists(st.integers(0, 6 * 3600), max_size=3),  # when the scheduler ran before the step
    ),
    max_size=12,
)


def _live(steps: list[tuple[str, timedelta, list[int]]], with_scheduler: bool) -> Ticket:
    ticket = report(
        "t-1",
        RESIDENT,
        Report("lighting", Urgency.URGENT, Location.household("h-1"), "Light out"),
        TIMELINE_TARGETS,
        T0,
    ).ticket
    now = T0
    for name, gap, runs in steps:
        if with_scheduler:
            for offset in sorted(runs):
                ticket = sla.run_due(ticket, now + min(timedelta(seconds=offset), gap)).ticket
        now += gap
        with contextlib.suppress(Conflict):
            ticket = TIMELINE_STEPS[name](ticket, RESIDENT, now).ticket
    return sla.run_due(ticket, now + timedelta(days=1)).ticket


@settings(max_examples=300, deadline=None)
@given(steps=timeline)
def test_what_is_breached_does_not_depend_on_when_the_scheduler_ran(
    steps: list[tuple[str, timedelta, list[int]]],
) -> None:
    watched = _live(steps, with_scheduler=True)
    unwatched = _live(steps, with_scheduler=False)
    assert watched.status is unwatched.status
    assert {(b.kind, b.level, b.deadline) for b in watched.breaches} == {
        (b.kind, b.level, b.deadline) for b in unwatched.breaches
    }
