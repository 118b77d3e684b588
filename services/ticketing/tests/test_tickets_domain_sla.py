"""Service targets on a ticket: figures to the second, breaches detected once, the escalation ladder,
the scheduler's timer and the automatic confirmation and closing; and the estate's targets per
category and urgency."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ticketing_service.domain import lifecycle, sla
from ticketing_service.domain.satisfaction import Rating
from ticketing_service.domain.targets import CategoryTarget, ServiceTargets, SlaTerms, Urgency
from ticketing_service.domain.tickets import (
    Action,
    Actor,
    ActorRole,
    Breach,
    EscalationLevel,
    Location,
    Report,
    SlaKind,
    Status,
    Ticket,
    report,
)
from xinyi_shared.errors import Conflict, InvalidInput

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 1, 2, 0, 0, tzinfo=SHANGHAI)
TICK = timedelta(microseconds=1)
ESTATE = "jinhe-lvzhou"
TARGETS = ServiceTargets(ESTATE, "Asia/Shanghai")  # 30 min to answer, 60 to fix; grace: the target again
RESIDENT = Actor("res-1", ActorRole.RESIDENT, households=frozenset({"h-1502"}))
STAFF = Actor("staff-1", ActorRole.FIRM_STAFF)

FR, RES = SlaKind.FIRST_RESPONSE, SlaKind.RESOLUTION
MANAGER, COMMUNITY = EscalationLevel.FIRM_MANAGER, EscalationLevel.COMMUNITY_OFFICER


def at(minutes: float = 0, seconds: float = 0) -> datetime:
    return T0 + timedelta(minutes=minutes, seconds=seconds)


def reported(
    targets: ServiceTargets = TARGETS, category: str = "lighting", urgency: Urgency = Urgency.URGENT
) -> Ticket:
    draft = Report(category, urgency, Location.common_area("Stairwell 3-2"), "Light out", household_id="h-1502")
    return report("t-1", RESIDENT, draft, targets, T0).ticket


def steps(ticket: Ticket) -> list[tuple[SlaKind, EscalationLevel]]:
    return [(breach.kind, breach.level) for breach in ticket.breaches]


# --- figures ----------------------------------------------------------------------------------------


def test_first_response_and_resolution_to_the_second() -> None:
    ticket = lifecycle.acknowledge(reported(), STAFF, at(7, 30)).ticket
    assert sla.first_response_seconds(ticket) == 450
    assert sla.first_response_time(ticket) == timedelta(seconds=450)
    assert sla.resolution_seconds(ticket) is None
    ticket = lifecycle.resolve(ticket, STAFF, "Done", at(59, 59)).ticket
    assert sla.resolution_seconds(ticket) == 3599
    assert sla.resolution_met(ticket) is True


def test_seconds_are_rounded_down() -> None:
    ticket = lifecycle.acknowledge(reported(), STAFF, at(7, 29.999999)).ticket
    assert sla.first_response_seconds(ticket) == 449
    assert sla.whole_seconds(timedelta(days=2, seconds=5, microseconds=999_999)) == 172_805


def test_a_target_met_on_the_dot_is_met_and_a_microsecond_later_is_missed() -> None:
    on_time = lifecycle.acknowledge(reported(), STAFF, at(30)).ticket
    assert sla.first_response_met(on_time) is True
    late = lifecycle.acknowledge(reported(), STAFF, at(30) + TICK).ticket
    assert sla.first_response_met(late) is False
    assert sla.first_response_seconds(late) == 1800


def test_nothing_is_met_or_missed_before_it_happens() -> None:
    assert sla.figures(reported()) == sla.SlaFigures(None, None, None, None, 0)


def test_a_withdrawn_ticket_has_no_resolution_time() -> None:
    ticket = lifecycle.withdraw(lifecycle.acknowledge(reported(), STAFF, at(5)).ticket, RESIDENT, at(20)).ticket
    assert sla.figures(ticket) == sla.SlaFigures(300, None, True, None, 0)


def test_resolution_is_measured_to_the_final_resolution() -> None:
    ticket = lifecycle.resolve(reported(), STAFF, "Bulb", at(20)).ticket
    assert sla.resolution_seconds(ticket) == 1200
    ticket = lifecycle.reopen(ticket, RESIDENT, "Out again", at(80)).ticket
    assert sla.resolution_met(ticket) is None
    ticket = lifecycle.resolve(ticket, STAFF, "Wiring", at(95)).ticket
    ticket = lifecycle.confirm(ticket, RESIDENT, Rating(4), at(100)).ticket
    assert sla.figures(ticket) == sla.SlaFigures(1200, 5700, True, False, 1)


# --- breaches and the escalation ladder ----------------------------------------------------------------


def test_no_breach_before_or_at_the_deadline() -> None:
    ticket = reported()
    assert sla.due_breaches(ticket, at(29)) == ()
    assert sla.due_breaches(ticket, at(30)) == ()
    assert sla.run_due(ticket, at(30)).transitions == ()


def test_an_unanswered_ticket_breaches_just_after_its_deadline_and_goes_to_the_manager() -> None:
    ticket = reported()
    assert sla.due_breaches(ticket, at(30) + TICK) == (Breach(FR, MANAGER, at(30), at(30) + TICK),)
    outcome = sla.run_due(ticket, at(30, 4))
    (transition,) = outcome.transitions
    assert transition.action is Action.BREACH
    assert transition.actor_role is ActorRole.SYSTEM
    assert transition.breach == Breach(FR, MANAGER, at(30), at(30, 4))
    assert (transition.from_status, transition.to_status) == (Status.OPEN, Status.OPEN)
    assert outcome.ticket.escalation_level is MANAGER
    assert outcome.ticket.version == 2


def test_a_recorded_breach_is_never_reported_again() -> None:
    once = sla.run_due(reported(), at(31)).ticket
    assert sla.due_breaches(once, at(31)) == ()
    assert sla.due_breaches(once, at(45)) == ()
    assert sla.run_due(once, at(45)).transitions == ()
    with pytest.raises(Conflict):
        sla.record_breach(once, Breach(FR, MANAGER, at(30), at(45)))


def test_a_breach_that_is_not_due_is_not_recorded() -> None:
    with pytest.raises(Conflict):
        sla.record_breach(reported(), Breach(FR, MANAGER, at(30), at(20)))


def test_still_unanswered_after_the_grace_goes_to_the_community_officer() -> None:
    ticket = sla.run_due(reported(), at(31)).ticket
    ticket = sla.run_due(ticket, at(59)).ticket
    assert steps(ticket) == [(FR, MANAGER)]
    outcome = sla.run_due(ticket, at(61))  # 30 + 30 min of grace for the response; the resolution is due at 60
    assert [t.breach for t in outcome.transitions] == [
        Breach(RES, MANAGER, at(60), at(61)),
        Breach(FR, COMMUNITY, at(60), at(61)),
    ]
    assert outcome.ticket.escalation_level is COMMUNITY


def test_a_scheduler_that_was_down_records_every_step_in_ladder_order() -> None:
    outcome = sla.run_due(reported(), at(24 * 60))
    assert [(t.breach.kind, t.breach.level) for t in outcome.transitions if t.breach] == [
        (FR, MANAGER),
        (RES, MANAGER),
        (FR, COMMUNITY),
        (RES, COMMUNITY),
    ]
    assert [t.seq for t in outcome.transitions] == [2, 3, 4, 5]
    assert sla.next_timer(outcome.ticket) is None  # nothing more can be due until someone acts


def test_an_answer_after_the_breach_stops_the_ladder() -> None:
    ticket = sla.run_due(reported(), at(31)).ticket
    ticket = lifecycle.acknowledge(ticket, STAFF, at(40)).ticket
    ticket = lifecycle.resolve(ticket, STAFF, "Done", at(50)).ticket
    assert sla.due_breaches(ticket, at(24 * 60)) == ()
    assert steps(ticket) == [(FR, MANAGER)]


def test_a_late_answer_is_a_breach_even_if_the_scheduler_missed_the_deadline() -> None:
    ticket = lifecycle.acknowledge(reported(), STAFF, at(45)).ticket  # nobody looked at 02:30
    assert sla.next_timer(ticket) == at(30) + TICK  # in the past: due at once
    assert sla.due_breaches(ticket, at(45)) == (Breach(FR, MANAGER, at(30), at(45)),)
    ticket = sla.run_due(ticket, at(45)).ticket
    assert steps(ticket) == [(FR, MANAGER)]  # answered within the grace: no community escalation


def test_an_answer_before_the_deadline_is_never_a_breach_however_late_the_scheduler_runs() -> None:
    ticket = lifecycle.acknowledge(reported(), STAFF, at(29)).ticket
    ticket = lifecycle.resolve(ticket, STAFF, "Done", at(59)).ticket
    assert sla.due_breaches(ticket, at(24 * 60)) == ()


def test_the_grace_is_configurable() -> None:
    targets = ServiceTargets(ESTATE, "Asia/Shanghai", escalation_grace_minutes=10)
    ticket = sla.run_due(reported(targets), at(40)).ticket
    assert steps(ticket) == [(FR, MANAGER)]
    assert sla.next_timer(ticket) == at(40) + TICK
    assert steps(sla.run_due(ticket, at(40) + TICK).ticket) == [(FR, MANAGER), (FR, COMMUNITY)]


def test_a_withdrawal_stops_the_clocks_but_a_miss_before_it_stays() -> None:
    early = lifecycle.withdraw(reported(), RESIDENT, at(10)).ticket
    assert sla.next_timer(early) is None
    assert sla.due_breaches(early, at(24 * 60)) == ()
    late = lifecycle.withdraw(reported(), RESIDENT, at(45)).ticket
    assert steps(sla.run_due(late, at(50)).ticket) == [(FR, MANAGER)]


def test_a_reopen_after_the_deadline_is_a_resolution_breach_at_once() -> None:
    ticket = lifecycle.resolve(reported(), STAFF, "Bulb", at(20)).ticket
    ticket = lifecycle.reopen(ticket, RESIDENT, "Out again", at(24 * 60)).ticket
    outcome = sla.run_due(ticket, at(24 * 60))
    assert [t.breach for t in outcome.transitions] == [Breach(RES, MANAGER, at(60), at(24 * 60))]
    # The community is called in only if the firm has not fixed it a grace (60 min) after the reopen.
    assert sla.next_timer(outcome.ticket) == at(24 * 60 + 60) + TICK
    fixed = lifecycle.resolve(outcome.ticket, STAFF, "Wiring", at(24 * 60 + 50)).ticket
    assert sla.due_breaches(fixed, at(24 * 60 + 70)) == ()
    unfixed = sla.run_due(outcome.ticket, at(24 * 60 + 61)).ticket
    assert steps(unfixed) == [(RES, MANAGER), (RES, COMMUNITY)]


def test_a_reopen_before_the_deadline_keeps_the_deadline() -> None:
    ticket = lifecycle.resolve(reported(), STAFF, "Bulb", at(20)).ticket
    ticket = lifecycle.reopen(ticket, RESIDENT, "Out again", at(25)).ticket
    assert sla.next_timer(ticket) == at(60) + TICK
    assert sla.deadline(ticket, RES, COMMUNITY) == at(120)


def test_reclassifying_moves_the_deadlines() -> None:
    targets = ServiceTargets(ESTATE, "Asia/Shanghai", overrides=(CategoryTarget("lighting", Urgency.LOW, 240, 1440),))
    ticket = reported(targets)
    assert sla.next_timer(ticket) == at(30) + TICK
    relaxed = lifecycle.reclassify(ticket, STAFF, targets, at(10), urgency=Urgency.LOW).ticket
    assert sla.next_timer(relaxed) == at(240) + TICK
    assert sla.due_breaches(relaxed, at(100)) == ()


# --- the scheduler's timer --------------------------------------------------------------------------


def test_the_timer_walks_through_a_tickets_life() -> None:
    ticket = reported()
    assert sla.next_due(ticket) == sla.Timer(at(30) + TICK, sla.TimerKind.BREACH, FR, MANAGER)
    ticket = lifecycle.acknowledge(ticket, STAFF, at(7)).ticket
    assert sla.next_due(ticket) == sla.Timer(at(60) + TICK, sla.TimerKind.BREACH, RES, MANAGER)
    ticket = lifecycle.resolve(ticket, STAFF, "Done", at(40)).ticket
    assert sla.next_due(ticket) == sla.Timer(at(40) + timedelta(days=3), sla.TimerKind.AUTO_CONFIRM)
    ticket = lifecycle.confirm(ticket, RESIDENT, Rating(5), at(45)).ticket
    assert sla.next_due(ticket) == sla.Timer(at(45) + timedelta(days=7), sla.TimerKind.CLOSE)
    ticket = sla.close(ticket, at(45) + timedelta(days=7)).ticket
    assert sla.next_timer(ticket) is None


def test_a_silent_resident_gets_an_automatic_confirmation_then_a_closing() -> None:
    ticket = lifecycle.resolve(lifecycle.acknowledge(reported(), STAFF, at(5)).ticket, STAFF, "Done", at(40)).ticket
    due = at(40) + timedelta(days=3)
    assert sla.run_due(ticket, due - TICK).transitions == ()
    confirmed = sla.run_due(ticket, due)
    assert [t.action for t in confirmed.transitions] == [Action.AUTO_CONFIRM]
    assert confirmed.ticket.auto_confirmed
    assert sla.next_timer(confirmed.ticket) == due + timedelta(days=7)
    closed = sla.run_due(confirmed.ticket, due + timedelta(days=7))
    assert [t.action for t in closed.transitions] == [Action.CLOSE]
    assert closed.ticket.status is Status.CLOSED
    assert sla.next_timer(closed.ticket) is None


def test_one_late_run_does_everything_due_in_order() -> None:
    ticket = lifecycle.resolve(reported(), STAFF, "Done", at(45)).ticket  # answered and fixed at 02:45
    late = at(0) + timedelta(days=30)
    outcome = sla.run_due(ticket, late)
    assert [t.action for t in outcome.transitions] == [Action.BREACH, Action.AUTO_CONFIRM]
    assert outcome.transitions[0].breach == Breach(FR, MANAGER, at(30), late)
    assert [t.seq for t in outcome.transitions] == [3, 4]
    assert all(t.at == late for t in outcome.transitions)
    # Confirmed when the scheduler did it: the requester has the whole reopen window from then.
    assert outcome.ticket.confirmed_at == late
    assert sla.next_timer(outcome.ticket) == late + timedelta(days=7)


def test_a_confirmation_and_its_closing_in_one_run_when_the_estate_has_no_reopen_window() -> None:
    targets = ServiceTargets(ESTATE, "Asia/Shanghai", reopen_window_minutes=0)
    ticket = lifecycle.resolve(reported(targets), STAFF, "Done", at(20)).ticket
    outcome = sla.run_due(ticket, at(20) + timedelta(days=5))
    assert [t.action for t in outcome.transitions] == [Action.AUTO_CONFIRM, Action.CLOSE]
    assert outcome.ticket.status is Status.CLOSED


def test_after_a_run_the_timer_is_in_the_future() -> None:
    ticket = reported()
    for minute in (0, 30, 31, 59, 60, 61, 90, 121, 500):
        now = at(minute)
        ticket = sla.run_due(ticket, now).ticket
        timer = sla.next_timer(ticket)
        assert timer is None or timer > now


# --- targets per category and urgency --------------------------------------------------------------


def test_the_existing_api_of_service_targets_still_works() -> None:
    targets = ServiceTargets("jinhe-lvzhou", "Asia/Shanghai", 20, 45)
    assert (targets.first_response_minutes, targets.resolution_minutes) == (20, 45)
    assert targets.target_for("plumbing", Urgency.LOW) == (20, 45)


def test_the_most_specific_target_wins() -> None:
    targets = ServiceTargets(
        ESTATE,
        "Asia/Shanghai",
        overrides=(
            CategoryTarget("elevator", None, 15, 120),
            CategoryTarget("elevator", Urgency.EMERGENCY, 5, 30),
            CategoryTarget("greening", Urgency.LOW, 24 * 60, 7 * 24 * 60),
        ),
    )
    assert targets.target_for("elevator", Urgency.EMERGENCY) == (5, 30)
    assert targets.target_for("elevator", Urgency.NORMAL) == (15, 120)
    assert targets.target_for("greening", Urgency.LOW) == (24 * 60, 7 * 24 * 60)
    assert targets.target_for("greening", Urgency.URGENT) == (30, 60)
    assert targets.terms_for("elevator", Urgency.EMERGENCY) == SlaTerms(5, 30, 5, 30, 3 * 24 * 60, 7 * 24 * 60)


def test_a_grace_set_by_the_estate_applies_to_both_targets() -> None:
    targets = ServiceTargets(ESTATE, "Asia/Shanghai", escalation_grace_minutes=15, auto_confirm_minutes=60)
    assert targets.terms_for("other", Urgency.NORMAL) == SlaTerms(30, 60, 15, 15, 60, 7 * 24 * 60)


def test_the_default_categories() -> None:
    assert TARGETS.categories == (
        "lighting",
        "plumbing",
        "elevator",
        "cleaning",
        "greening",
        "security",
        "parking",
        "noise",
        "neighbour_dispute",
        "other",
    )


@pytest.mark.parametrize(
    "build",
    [
        lambda: ServiceTargets(ESTATE, "Asia/Shanghai", True, 60),
        lambda: ServiceTargets(ESTATE, "Asia/Shanghai", 30, 60.0),  # type: ignore[arg-type]
        lambda: ServiceTargets(ESTATE, "Asia/Shanghai", 30, 366 * 24 * 60 + 1),
        lambda: ServiceTargets(ESTATE, "Asia/Shanghai", categories=()),
        lambda: ServiceTargets(ESTATE, "Asia/Shanghai", categories=("lighting", "lighting")),
        lambda: ServiceTargets(ESTATE, "Asia/Shanghai", categories=("Lighting",)),
        lambda: ServiceTargets(ESTATE, "Asia/Shanghai", categories="lighting"),  # type: ignore[arg-type]
        lambda: ServiceTargets(ESTATE, "Asia/Shanghai", overrides=(CategoryTarget("pool", None, 5, 10),)),
        lambda: ServiceTargets(
            ESTATE,
            "Asia/Shanghai",
            overrides=(CategoryTarget("noise", None, 5, 10), CategoryTarget("noise", None, 6, 10)),
        ),
        lambda: ServiceTargets(ESTATE, "Asia/Shanghai", overrides=((5, 10),)),  # type: ignore[arg-type]
        lambda: ServiceTargets(ESTATE, "Asia/Shanghai", escalation_grace_minutes=0),
        lambda: ServiceTargets(ESTATE, "Asia/Shanghai", auto_confirm_minutes=0),
        lambda: ServiceTargets(ESTATE, "Asia/Shanghai", reopen_window_minutes=-1),
        lambda: ServiceTargets(ESTATE, "Asia/Shanghai", reopen_window_minutes=91 * 24 * 60),
        lambda: CategoryTarget("noise", Urgency.LOW, 20, 10),
        lambda: CategoryTarget("noise", "whenever", 5, 10),  # type: ignore[arg-type]
        lambda: CategoryTarget("noise", None, 0, 10),
    ],
)
def test_impossible_targets_are_refused(build: object) -> None:
    with pytest.raises(InvalidInput):
        build()  # type: ignore[operator]


def test_an_unknown_category_has_no_target() -> None:
    with pytest.raises(InvalidInput):
        TARGETS.target_for("pool", Urgency.LOW)


# --- steps that would lose a breach record it first ---------------------------------------------------


def test_a_reopen_first_records_what_the_fix_that_did_not_hold_had_missed() -> None:
    # Nobody ran the scheduler: answered and fixed at 04:30, past the community's 04:00 for the fix.
    ticket = lifecycle.resolve(reported(), STAFF, "Bulb", at(150)).ticket
    outcome = lifecycle.reopen(ticket, RESIDENT, "Out again", at(240))
    assert [t.action for t in outcome.transitions] == [Action.BREACH] * 4 + [Action.REOPEN]
    assert outcome.transition.action is Action.REOPEN
    assert [t.breach for t in outcome.transitions[:4]] == [
        Breach(FR, MANAGER, at(30), at(240)),
        Breach(RES, MANAGER, at(60), at(240)),
        Breach(FR, COMMUNITY, at(60), at(240)),
        Breach(RES, COMMUNITY, at(120), at(240)),  # before the reopen moved the community's deadline
    ]
    assert [t.seq for t in outcome.transitions] == [3, 4, 5, 6, 7]
    assert outcome.ticket.version == 7


def test_a_reclassification_first_records_a_deadline_it_would_move() -> None:
    targets = ServiceTargets(ESTATE, "Asia/Shanghai", overrides=(CategoryTarget("lighting", Urgency.LOW, 240, 1440),))
    outcome = lifecycle.reclassify(reported(targets), STAFF, targets, at(40), urgency=Urgency.LOW)
    assert [t.action for t in outcome.transitions] == [Action.BREACH, Action.RECLASSIFY]
    assert outcome.transitions[0].breach == Breach(FR, MANAGER, at(30), at(40))
    assert outcome.ticket.urgency is Urgency.LOW
