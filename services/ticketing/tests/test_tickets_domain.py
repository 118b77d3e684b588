"""The ticket lifecycle as a pure domain: every step allowed and refused, by status and by actor,
what each transition records, who sees what, and the validation of what a reporter files."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from ticketing_service.domain import lifecycle, sla
from ticketing_service.domain.materials import MaterialLine, MaterialPurchase
from ticketing_service.domain.satisfaction import Rating
from ticketing_service.domain.targets import CategoryTarget, ServiceTargets, Urgency
from ticketing_service.domain.tickets import (
    SYSTEM,
    Access,
    Action,
    Actor,
    ActorRole,
    Location,
    Outcome,
    Report,
    ReporterKind,
    Status,
    Ticket,
    Visibility,
    access,
    report,
    shows,
)
from xinyi_shared.errors import Conflict, InvalidInput, PermissionDenied

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 1, 2, 0, 0, tzinfo=SHANGHAI)  # a broken stair light at 02:00
ESTATE = "jinhe-lvzhou"
TARGETS = ServiceTargets(ESTATE, "Asia/Shanghai")
PHOTO = "ab" * 32
RECEIPT = "cd" * 32

RESIDENT = Actor("res-1", ActorRole.RESIDENT, households=frozenset({"h-1502"}))
HOUSEMATE = Actor("res-2", ActorRole.RESIDENT, households=frozenset({"h-1502"}))
NEIGHBOUR = Actor("res-9", ActorRole.RESIDENT, households=frozenset({"h-0901"}))
STAFF = Actor("staff-1", ActorRole.FIRM_STAFF)
OTHER_STAFF = Actor("staff-2", ActorRole.FIRM_STAFF)
MANAGER = Actor("manager-1", ActorRole.FIRM_MANAGER)
GRID_LEADER = Actor("grid-1", ActorRole.GRID_LEADER, grids=frozenset({"g-3"}))
OTHER_GRID_LEADER = Actor("grid-2", ActorRole.GRID_LEADER, grids=frozenset({"g-4"}))
SUPERVISOR = Actor("sup-1", ActorRole.SUPERVISOR)
OFFICER = Actor("officer-1", ActorRole.COMMUNITY_OFFICER)


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def draft(**changes: object) -> Report:
    fields: dict[str, object] = {
        "category": "lighting",
        "urgency": Urgency.URGENT,
        "location": Location.common_area("3栋2单元 stairwell, 5th floor"),
        "description": "The stair light is out; it is pitch dark.",
        "photos": (PHOTO,),
        "household_id": "h-1502",
        "grid_code": "g-3",
    }
    fields.update(changes)
    return Report(**fields)  # type: ignore[arg-type]


def reported(actor: Actor = RESIDENT, targets: ServiceTargets = TARGETS, **changes: object) -> Ticket:
    return report("t-1", actor, draft(**changes), targets, T0).ticket


def purchase() -> MaterialPurchase:
    return MaterialPurchase("Hardware shop", (MaterialLine("LED bulb", 2, 1250),), "5600", (RECEIPT,))


def in_status(status: Status) -> Ticket:
    """A ticket brought to ``status`` the ordinary way, assigned to STAFF."""
    ticket = reported()
    if status is Status.OPEN:
        return ticket
    if status is Status.WITHDRAWN:
        return lifecycle.withdraw(ticket, RESIDENT, minutes(1)).ticket
    ticket = lifecycle.acknowledge(ticket, STAFF, minutes(5)).ticket
    ticket = lifecycle.assign(ticket, STAFF, STAFF.subject, minutes(5)).ticket
    if status is Status.ACKNOWLEDGED:
        return ticket
    ticket = lifecycle.start(ticket, STAFF, minutes(10)).ticket
    if status is Status.IN_PROGRESS:
        return ticket
    ticket = lifecycle.resolve(ticket, STAFF, "Replaced the bulb.", minutes(40)).ticket
    if status is Status.RESOLVED:
        return ticket
    ticket = lifecycle.confirm(ticket, RESIDENT, Rating(5), minutes(45)).ticket
    if status is Status.CONFIRMED:
        return ticket
    return sla.close(ticket, minutes(45) + timedelta(days=7)).ticket


LATER = minutes(60 * 24 * 30)  # a month on: every timer of a ticket in these tests is due
STEPS: dict[str, Callable[[Ticket], Outcome]] = {
    "acknowledge": lambda t: lifecycle.acknowledge(t, MANAGER, LATER),
    "start": lambda t: lifecycle.start(t, MANAGER, LATER),
    "resolve": lambda t: lifecycle.resolve(t, MANAGER, "Fixed.", LATER),
    "confirm": lambda t: lifecycle.confirm(t, RESIDENT, Rating(4), LATER),
    "auto_confirm": lambda t: sla.auto_confirm(t, LATER),
    "close": lambda t: sla.close(t, LATER),
    "reopen": lambda t: lifecycle.reopen(t, RESIDENT, "Still dark.", t.updated_at + timedelta(minutes=1)),
    "withdraw": lambda t: lifecycle.withdraw(t, RESIDENT, LATER),
    "assign": lambda t: lifecycle.assign(t, MANAGER, OTHER_STAFF.subject, LATER),
    "reclassify": lambda t: lifecycle.reclassify(t, MANAGER, TARGETS, t.updated_at, urgency=Urgency.EMERGENCY),
    "note": lambda t: lifecycle.add_note(t, STAFF, "Bulbs ordered.", LATER, internal=True),
    "comment": lambda t: lifecycle.add_note(t, RESIDENT, "Thank you.", LATER, internal=False),
    "complain": lambda t: lifecycle.file_complaint(t, RESIDENT, "Nobody came.", LATER),
    "materials": lambda t: lifecycle.record_materials(t, STAFF, purchase(), LATER),
}
ACTIVE = {Status.OPEN, Status.ACKNOWLEDGED, Status.IN_PROGRESS}
EVERY = set(Status)
# step -> (statuses it is allowed from, the status it leads to; None: the status is kept)
ALLOWED: dict[str, tuple[set[Status], Status | None]] = {
    "acknowledge": ({Status.OPEN}, Status.ACKNOWLEDGED),
    "start": ({Status.OPEN, Status.ACKNOWLEDGED}, Status.IN_PROGRESS),
    "resolve": (ACTIVE, Status.RESOLVED),
    "confirm": ({Status.RESOLVED}, Status.CONFIRMED),
    "auto_confirm": ({Status.RESOLVED}, Status.CONFIRMED),
    "close": ({Status.CONFIRMED}, Status.CLOSED),
    "reopen": ({Status.RESOLVED, Status.CONFIRMED}, Status.IN_PROGRESS),
    "withdraw": (ACTIVE, Status.WITHDRAWN),
    "assign": (ACTIVE, None),
    "reclassify": (ACTIVE, None),
    "note": (EVERY, None),
    "comment": (EVERY, None),
    "complain": (EVERY, None),
    "materials": (EVERY, None),
}


def test_the_table_covers_every_step() -> None:
    assert set(STEPS) == set(ALLOWED)


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("step", list(STEPS))
def test_every_step_from_every_status(step: str, status: Status) -> None:
    ticket = in_status(status)
    assert ticket.status is status
    allowed_from, leads_to = ALLOWED[step]
    if status not in allowed_from:
        with pytest.raises(Conflict):
            STEPS[step](ticket)
        return
    outcome = STEPS[step](ticket)
    expected = leads_to if leads_to is not None else status
    assert outcome.ticket.status is expected
    (transition,) = outcome.transitions
    assert (transition.from_status, transition.to_status) == (status, expected)
    assert transition.seq == outcome.ticket.version == ticket.version + 1
    assert transition.ticket_id == ticket.id
    assert transition.at == outcome.ticket.updated_at >= ticket.updated_at


def test_the_night_of_the_stair_light() -> None:
    """Reported 02:00:00, acknowledged 02:07:30, resolved 02:48:15, confirmed with a 5."""
    opened = report("t-1", RESIDENT, draft(), TARGETS, T0)
    assert opened.ticket.status is Status.OPEN
    assert opened.transition.action is Action.REPORT
    assert opened.transition.from_status is None
    assert opened.ticket.reporter_kind is ReporterKind.RESIDENT
    assert opened.ticket.first_response_due_at == datetime(2026, 3, 1, 2, 30, tzinfo=SHANGHAI)
    assert opened.ticket.resolution_due_at == datetime(2026, 3, 1, 3, 0, tzinfo=SHANGHAI)
    acknowledged = lifecycle.acknowledge(opened.ticket, STAFF, T0 + timedelta(minutes=7, seconds=30), "On my way")
    assert sla.first_response_seconds(acknowledged.ticket) == 450
    resolved = lifecycle.resolve(acknowledged.ticket, STAFF, "New LED bulb.", T0 + timedelta(minutes=48, seconds=15))
    assert sla.resolution_seconds(resolved.ticket) == 2895
    confirmed = lifecycle.confirm(resolved.ticket, RESIDENT, Rating(5, "Fixed in the night!"), minutes(60))
    ticket = confirmed.ticket
    assert ticket.status is Status.CONFIRMED
    assert ticket.rating == Rating(5, "Fixed in the night!")
    assert confirmed.transition.rating == Rating(5, "Fixed in the night!")
    assert (confirmed.transition.actor_subject, confirmed.transition.actor_role) == ("res-1", ActorRole.RESIDENT)
    assert sla.figures(ticket) == sla.SlaFigures(450, 2895, True, True, 0)
    assert ticket.version == 4


def test_a_transition_records_who_when_from_to_and_the_note() -> None:
    outcome = lifecycle.acknowledge(reported(), STAFF, minutes(3), "  Seen, coming at once  ")
    transition = outcome.transition
    assert transition.action is Action.ACKNOWLEDGE
    assert (transition.actor_subject, transition.actor_role) == ("staff-1", ActorRole.FIRM_STAFF)
    assert transition.at == minutes(3)
    assert (transition.from_status, transition.to_status) == (Status.OPEN, Status.ACKNOWLEDGED)
    assert transition.note == "Seen, coming at once"
    assert not transition.internal


def test_moments_are_kept_in_utc() -> None:
    ticket = reported()
    assert ticket.reported_at.tzinfo is UTC
    assert ticket.reported_at == datetime(2026, 2, 28, 18, 0, tzinfo=UTC)


def test_steps_never_change_the_ticket_they_are_given() -> None:
    ticket = reported()
    lifecycle.acknowledge(ticket, STAFF, minutes(1))
    assert ticket.status is Status.OPEN
    assert ticket.version == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        ticket.status = Status.CLOSED  # type: ignore[misc]


# --- first response, starting and resolving ---------------------------------------------------------


def test_starting_an_open_ticket_is_its_first_response_and_takes_it() -> None:
    outcome = lifecycle.start(reported(), STAFF, minutes(4))
    assert outcome.ticket.acknowledged_at == minutes(4)
    assert outcome.ticket.assignee == "staff-1"
    assert outcome.transition.assignee == "staff-1"


def test_resolving_on_the_spot_is_also_the_first_response() -> None:
    outcome = lifecycle.resolve(reported(), STAFF, "Reset the breaker.", minutes(12), photos=(PHOTO,))
    ticket = outcome.ticket
    assert ticket.acknowledged_at == ticket.resolved_at == ticket.first_resolved_at == minutes(12)
    assert ticket.resolution_note == "Reset the breaker."
    assert ticket.resolution_photos == (PHOTO,)
    assert outcome.transition.photos == (PHOTO,)
    assert sla.first_response_seconds(ticket) == sla.resolution_seconds(ticket) == 720


def test_acknowledging_does_not_assign() -> None:
    assert lifecycle.acknowledge(reported(), STAFF, minutes(1)).ticket.assignee is None


def test_a_resolution_says_what_was_done() -> None:
    with pytest.raises(InvalidInput):
        lifecycle.resolve(in_status(Status.IN_PROGRESS), STAFF, "   ", minutes(30))


def test_resolution_photos_are_checked() -> None:
    with pytest.raises(InvalidInput):
        lifecycle.resolve(in_status(Status.IN_PROGRESS), STAFF, "Done", minutes(30), photos=("not-a-hash",))


# --- assignment -------------------------------------------------------------------------------------


def test_staff_work_only_their_own_or_unassigned_tickets() -> None:
    ticket = in_status(Status.ACKNOWLEDGED)  # assigned to STAFF
    with pytest.raises(PermissionDenied):
        lifecycle.start(ticket, OTHER_STAFF, minutes(20))
    with pytest.raises(PermissionDenied):
        lifecycle.resolve(ticket, OTHER_STAFF, "Done", minutes(20))
    assert lifecycle.start(ticket, MANAGER, minutes(20)).ticket.assignee == "staff-1"  # the manager keeps it theirs


def test_the_manager_assigns_and_reassigns() -> None:
    ticket = lifecycle.assign(reported(), MANAGER, "staff-1", minutes(2), "Nearest to building 3").ticket
    assert ticket.assignee == "staff-1"
    outcome = lifecycle.assign(ticket, MANAGER, "staff-2", minutes(3))
    assert outcome.ticket.assignee == "staff-2"
    assert outcome.transition.action is Action.ASSIGN
    assert outcome.transition.assignee == "staff-2"
    assert outcome.ticket.status is Status.OPEN  # assigning is not a response
    assert outcome.ticket.acknowledged_at is None


def test_staff_take_an_unassigned_ticket_but_never_reassign() -> None:
    taken = lifecycle.assign(reported(), STAFF, "staff-1", minutes(2)).ticket
    assert taken.assignee == "staff-1"
    with pytest.raises(PermissionDenied):
        lifecycle.assign(taken, OTHER_STAFF, "staff-2", minutes(3))
    with pytest.raises(PermissionDenied):
        lifecycle.assign(taken, STAFF, "staff-2", minutes(3))
    with pytest.raises(PermissionDenied):
        lifecycle.assign(reported(), STAFF, "staff-2", minutes(3))


def test_assigning_to_the_same_person_again_is_a_conflict() -> None:
    ticket = lifecycle.assign(reported(), MANAGER, "staff-1", minutes(2)).ticket
    with pytest.raises(Conflict):
        lifecycle.assign(ticket, MANAGER, "staff-1", minutes(3))


# --- notes ------------------------------------------------------------------------------------------


def test_internal_notes_are_the_firms_and_marked_internal() -> None:
    outcome = lifecycle.add_note(reported(), MANAGER, "Resident is elderly, call first.", minutes(1), internal=True)
    assert outcome.transition.internal
    assert outcome.transition.action is Action.NOTE
    for actor in (RESIDENT, GRID_LEADER, SUPERVISOR, OFFICER):
        with pytest.raises(PermissionDenied):
            lifecycle.add_note(reported(), actor, "Let me in", minutes(1), internal=True)


def test_public_notes_are_the_firms_and_the_requesters() -> None:
    assert not lifecycle.add_note(
        reported(), HOUSEMATE, "Door code 1234", minutes(1), internal=False
    ).transition.internal
    assert lifecycle.add_note(reported(), STAFF, "Tomorrow 9:00", minutes(1), internal=False).ticket.version == 2
    for actor in (NEIGHBOUR, GRID_LEADER, SUPERVISOR, OFFICER):
        with pytest.raises(PermissionDenied):
            lifecycle.add_note(reported(), actor, "Hello", minutes(1), internal=False)


def test_an_empty_note_is_refused() -> None:
    with pytest.raises(InvalidInput):
        lifecycle.add_note(reported(), STAFF, " \n ", minutes(1), internal=True)


# --- confirmation, automatic confirmation, closing ----------------------------------------------------


def test_confirmation_needs_a_rating() -> None:
    with pytest.raises(InvalidInput):
        lifecycle.confirm(in_status(Status.RESOLVED), RESIDENT, 5, minutes(50))  # type: ignore[arg-type]


def test_any_member_of_the_household_confirms() -> None:
    assert lifecycle.confirm(in_status(Status.RESOLVED), HOUSEMATE, Rating(3), minutes(50)).ticket.rating == Rating(3)


def test_the_requester_may_confirm_after_the_automatic_confirmation_fell_due_until_it_ran() -> None:
    ticket = in_status(Status.RESOLVED)
    late = ticket.updated_at + timedelta(days=10)
    assert lifecycle.confirm(ticket, RESIDENT, Rating(5), late).ticket.rating == Rating(5)


def test_automatic_confirmation_at_its_moment_and_not_before() -> None:
    ticket = in_status(Status.RESOLVED)  # resolved at 02:40
    due = minutes(40) + timedelta(days=3)
    with pytest.raises(Conflict):
        sla.auto_confirm(ticket, due - timedelta(microseconds=1))
    outcome = sla.auto_confirm(ticket, due)
    assert outcome.ticket.status is Status.CONFIRMED
    assert outcome.ticket.auto_confirmed
    assert outcome.ticket.rating is None
    assert outcome.ticket.confirmed_at == due
    assert (outcome.transition.actor_subject, outcome.transition.actor_role) == (SYSTEM.subject, ActorRole.SYSTEM)
    assert outcome.transition.action is Action.AUTO_CONFIRM


def test_closing_waits_for_the_end_of_the_reopen_window() -> None:
    ticket = in_status(Status.CONFIRMED)  # confirmed at 02:45
    window_ends = minutes(45) + timedelta(days=7)
    with pytest.raises(Conflict):
        sla.close(ticket, window_ends - timedelta(seconds=1))
    closed = sla.close(ticket, window_ends)
    assert closed.ticket.status is Status.CLOSED
    assert closed.ticket.closed_at == window_ends
    assert closed.transition.actor_role is ActorRole.SYSTEM


# --- reopening --------------------------------------------------------------------------------------


def test_reopening_a_resolved_ticket_goes_back_to_work_and_keeps_the_history() -> None:
    ticket = in_status(Status.RESOLVED)
    outcome = lifecycle.reopen(ticket, RESIDENT, "It flickers and went out again.", minutes(50))
    reopened = outcome.ticket
    assert reopened.status is Status.IN_PROGRESS
    assert reopened.assignee == "staff-1"
    assert reopened.acknowledged_at == ticket.acknowledged_at  # the first response stands
    assert reopened.first_resolved_at == minutes(40)
    assert reopened.resolved_at is None
    assert reopened.reopened_at == minutes(50)
    assert reopened.reopen_count == 1
    assert reopened.version == ticket.version + 1
    assert outcome.transition.note == "It flickers and went out again."
    assert sla.resolution_seconds(reopened) is None
    again = lifecycle.resolve(reopened, STAFF, "Replaced the switch too.", minutes(75)).ticket
    assert again.first_resolved_at == minutes(40)
    assert sla.resolution_seconds(again) == 75 * 60  # to the final resolution, from the report


def test_reopening_a_confirmed_ticket_within_the_window_drops_its_rating() -> None:
    ticket = in_status(Status.CONFIRMED)
    outcome = lifecycle.reopen(ticket, RESIDENT, "Dark again.", minutes(45) + timedelta(days=7) - timedelta(seconds=1))
    assert outcome.ticket.status is Status.IN_PROGRESS
    assert outcome.ticket.rating is None
    assert outcome.ticket.confirmed_at is None
    assert outcome.transition.from_status is Status.CONFIRMED


def test_reopening_after_the_window_is_refused_even_before_the_scheduler_closed_it() -> None:
    ticket = in_status(Status.CONFIRMED)
    with pytest.raises(Conflict, match="complaint"):
        lifecycle.reopen(ticket, RESIDENT, "Dark again.", minutes(45) + timedelta(days=7))


def test_an_estate_without_a_reopen_window_reopens_only_resolved_tickets() -> None:
    targets = ServiceTargets(ESTATE, "Asia/Shanghai", reopen_window_minutes=0)
    ticket = lifecycle.resolve(reported(targets=targets), STAFF, "Done", minutes(20)).ticket
    confirmed = lifecycle.confirm(ticket, RESIDENT, Rating(4), minutes(21)).ticket
    with pytest.raises(Conflict):
        lifecycle.reopen(confirmed, RESIDENT, "No", minutes(21))
    assert sla.next_timer(confirmed) == minutes(21)  # closes at once
    assert lifecycle.reopen(ticket, RESIDENT, "No", minutes(21)).ticket.status is Status.IN_PROGRESS


def test_an_auto_confirmed_ticket_may_be_reopened_in_the_window() -> None:
    auto = sla.auto_confirm(in_status(Status.RESOLVED), minutes(40) + timedelta(days=3)).ticket
    reopened = lifecycle.reopen(auto, RESIDENT, "I was away; it is still broken.", auto.updated_at).ticket
    assert reopened.status is Status.IN_PROGRESS
    assert not reopened.auto_confirmed


def test_a_reopen_needs_a_reason() -> None:
    with pytest.raises(InvalidInput):
        lifecycle.reopen(in_status(Status.RESOLVED), RESIDENT, "", minutes(50))


# --- withdrawal -------------------------------------------------------------------------------------


def test_the_requester_withdraws_an_active_ticket() -> None:
    outcome = lifecycle.withdraw(in_status(Status.IN_PROGRESS), HOUSEMATE, minutes(20), "It came back on by itself.")
    assert outcome.ticket.status is Status.WITHDRAWN
    assert outcome.ticket.withdrawn_at == minutes(20)
    assert sla.next_timer(outcome.ticket) is None


# --- reclassification -------------------------------------------------------------------------------


def test_reclassifying_takes_the_terms_again_and_keeps_the_report_time() -> None:
    targets = ServiceTargets(
        ESTATE,
        "Asia/Shanghai",
        overrides=(CategoryTarget("elevator", Urgency.EMERGENCY, 5, 30),),
    )
    ticket = reported(targets=targets)
    outcome = lifecycle.reclassify(ticket, STAFF, targets, minutes(2), category="elevator", urgency=Urgency.EMERGENCY)
    changed = outcome.ticket
    assert (changed.category, changed.urgency) == ("elevator", Urgency.EMERGENCY)
    assert changed.first_response_due_at == minutes(5)
    assert changed.resolution_due_at == minutes(30)
    assert (outcome.transition.category, outcome.transition.urgency) == ("elevator", Urgency.EMERGENCY)


def test_reclassifying_to_the_same_is_a_conflict_and_to_an_unknown_category_invalid() -> None:
    with pytest.raises(Conflict):
        lifecycle.reclassify(reported(), STAFF, TARGETS, minutes(2), category="lighting")
    with pytest.raises(InvalidInput):
        lifecycle.reclassify(reported(), STAFF, TARGETS, minutes(2), category="spaceships")
    with pytest.raises(InvalidInput):
        lifecycle.reclassify(reported(), STAFF, ServiceTargets("another-estate", "Asia/Shanghai"), minutes(2))


# --- complaints -------------------------------------------------------------------------------------


def test_a_formal_complaint_once_then_beyond_the_estate_once() -> None:
    ticket = in_status(Status.CLOSED)
    filed = lifecycle.file_complaint(ticket, RESIDENT, "It took a week and nobody called back.", LATER)
    complaint = filed.ticket.complaint
    assert complaint is not None and not complaint.escalated
    assert complaint.filed_by == "res-1"
    assert filed.transition.action is Action.COMPLAIN
    with pytest.raises(Conflict):
        lifecycle.file_complaint(filed.ticket, HOUSEMATE, "Again", LATER)
    escalated = lifecycle.escalate_complaint(filed.ticket, HOUSEMATE, LATER, "To the sub-district office")
    assert escalated.ticket.complaint is not None and escalated.ticket.complaint.escalated
    assert escalated.ticket.complaint.escalated_by_role is ActorRole.RESIDENT
    assert escalated.ticket.complaint.reason == complaint.reason
    assert escalated.ticket.status is Status.CLOSED
    with pytest.raises(Conflict):
        lifecycle.escalate_complaint(escalated.ticket, OFFICER, LATER)


def test_only_a_complaint_goes_beyond_the_estate() -> None:
    with pytest.raises(Conflict):
        lifecycle.escalate_complaint(reported(), RESIDENT, minutes(1))


def test_a_community_officer_takes_a_complaint_beyond_the_estate() -> None:
    filed = lifecycle.file_complaint(reported(), RESIDENT, "Rude staff", minutes(1)).ticket
    escalated = lifecycle.escalate_complaint(filed, OFFICER, minutes(2)).ticket
    assert escalated.complaint is not None
    assert escalated.complaint.escalated_by == "officer-1"


def test_a_complaint_needs_a_reason() -> None:
    with pytest.raises(InvalidInput):
        lifecycle.file_complaint(reported(), RESIDENT, "  ", minutes(1))


# --- materials --------------------------------------------------------------------------------------


def test_materials_are_recorded_on_the_ticket() -> None:
    first = lifecycle.record_materials(in_status(Status.IN_PROGRESS), STAFF, purchase(), minutes(30))
    assert first.transition.purchase == purchase()
    assert first.ticket.materials_fen == 2500
    second = lifecycle.record_materials(first.ticket, MANAGER, purchase(), minutes(31))
    assert second.ticket.materials_fen == 5000
    with pytest.raises(InvalidInput):
        lifecycle.record_materials(first.ticket, STAFF, "bulbs", minutes(32))  # type: ignore[arg-type]


# --- who may do what --------------------------------------------------------------------------------

EVERYONE = {
    "resident": RESIDENT,
    "housemate": HOUSEMATE,
    "neighbour": NEIGHBOUR,
    "staff": STAFF,
    "manager": MANAGER,
    "grid_leader": GRID_LEADER,
    "other_grid_leader": OTHER_GRID_LEADER,
    "supervisor": SUPERVISOR,
    "officer": OFFICER,
    "system": SYSTEM,
}
FIRM_ONLY = {"staff", "manager"}
REQUESTER = {"resident", "housemate"}
# step -> (the status to try it from, how the actor does it, who may)
ACTOR_RULES: dict[str, tuple[Status, Callable[[Ticket, Actor], Outcome], set[str]]] = {
    "acknowledge": (Status.OPEN, lambda t, a: lifecycle.acknowledge(t, a, minutes(60)), FIRM_ONLY),
    "start": (Status.OPEN, lambda t, a: lifecycle.start(t, a, minutes(60)), FIRM_ONLY),
    "resolve": (Status.OPEN, lambda t, a: lifecycle.resolve(t, a, "Done", minutes(60)), FIRM_ONLY),
    "confirm": (Status.RESOLVED, lambda t, a: lifecycle.confirm(t, a, Rating(5), minutes(60)), REQUESTER),
    "reopen": (Status.RESOLVED, lambda t, a: lifecycle.reopen(t, a, "No", minutes(60)), REQUESTER),
    "withdraw": (Status.OPEN, lambda t, a: lifecycle.withdraw(t, a, minutes(60)), REQUESTER),
    "assign": (Status.OPEN, lambda t, a: lifecycle.assign(t, a, a.subject, minutes(60)), FIRM_ONLY),
    "reclassify": (
        Status.OPEN,
        lambda t, a: lifecycle.reclassify(t, a, TARGETS, minutes(20), urgency=Urgency.LOW),
        FIRM_ONLY,
    ),
    "internal note": (
        Status.OPEN,
        lambda t, a: lifecycle.add_note(t, a, "x", minutes(60), internal=True),
        FIRM_ONLY,
    ),
    "public note": (
        Status.OPEN,
        lambda t, a: lifecycle.add_note(t, a, "x", minutes(60), internal=False),
        FIRM_ONLY | REQUESTER,
    ),
    "complain": (Status.OPEN, lambda t, a: lifecycle.file_complaint(t, a, "x", minutes(60)), REQUESTER),
    "materials": (
        Status.IN_PROGRESS,
        lambda t, a: lifecycle.record_materials(t, a, purchase(), minutes(60)),
        FIRM_ONLY,
    ),
}


@pytest.mark.parametrize("who", list(EVERYONE))
@pytest.mark.parametrize("step", list(ACTOR_RULES))
def test_who_may_take_each_step(step: str, who: str) -> None:
    status, do, allowed = ACTOR_RULES[step]
    ticket = in_status(status)
    if status is not Status.OPEN:
        ticket = dataclasses.replace(ticket, assignee=None)  # so that any staff member may work it
    if who in allowed:
        assert do(ticket, EVERYONE[who]).ticket.version == ticket.version + 1
    else:
        with pytest.raises(PermissionDenied):
            do(ticket, EVERYONE[who])


@pytest.mark.parametrize("who", list(EVERYONE))
def test_who_takes_a_complaint_beyond_the_estate(who: str) -> None:
    filed = lifecycle.file_complaint(reported(), RESIDENT, "x", minutes(1)).ticket
    if who in REQUESTER | {"officer"}:
        assert lifecycle.escalate_complaint(filed, EVERYONE[who], minutes(2)).ticket.complaint is not None
    else:
        with pytest.raises(PermissionDenied):
            lifecycle.escalate_complaint(filed, EVERYONE[who], minutes(2))


def test_the_wrong_actor_is_refused_before_the_status_is_looked_at() -> None:
    with pytest.raises(PermissionDenied):
        lifecycle.acknowledge(in_status(Status.CLOSED), RESIDENT, LATER)
    with pytest.raises(PermissionDenied):
        lifecycle.confirm(in_status(Status.OPEN), STAFF, Rating(5), LATER)


def test_staff_who_reported_for_a_resident_cannot_confirm_for_them() -> None:
    ticket = reported(actor=STAFF)
    assert ticket.reporter_kind is ReporterKind.FIRM_ON_BEHALF
    resolved = lifecycle.resolve(ticket, STAFF, "Done", minutes(10)).ticket
    with pytest.raises(PermissionDenied):
        lifecycle.confirm(resolved, STAFF, Rating(5), minutes(11))
    assert lifecycle.confirm(resolved, RESIDENT, Rating(5), minutes(11)).ticket.status is Status.CONFIRMED


def test_a_grid_leaders_common_area_ticket_is_confirmed_by_that_grid_leader() -> None:
    ticket = reported(actor=GRID_LEADER, household_id=None)
    assert ticket.reporter_kind is ReporterKind.GRID_LEADER
    assert ticket.household_id is None
    resolved = lifecycle.resolve(ticket, STAFF, "Done", minutes(10)).ticket
    for outsider in (OTHER_GRID_LEADER, RESIDENT, Actor("grid-1", ActorRole.RESIDENT, frozenset({"h-1502"}))):
        with pytest.raises(PermissionDenied):
            lifecycle.confirm(resolved, outsider, Rating(5), minutes(11))
    assert lifecycle.confirm(resolved, GRID_LEADER, Rating(4), minutes(11)).ticket.status is Status.CONFIRMED


def test_a_grid_leaders_ticket_for_a_household_is_the_households() -> None:
    ticket = reported(actor=GRID_LEADER, location=Location.household("h-1502"), household_id=None)
    assert ticket.household_id == "h-1502"
    resolved = lifecycle.resolve(ticket, STAFF, "Done", minutes(10)).ticket
    with pytest.raises(PermissionDenied):
        lifecycle.confirm(resolved, GRID_LEADER, Rating(5), minutes(11))
    assert lifecycle.confirm(resolved, RESIDENT, Rating(5), minutes(11)).ticket.rating == Rating(5)


# --- reporting --------------------------------------------------------------------------------------


def test_a_resident_reports_only_for_its_own_household() -> None:
    with pytest.raises(PermissionDenied):
        reported(actor=NEIGHBOUR)
    with pytest.raises(InvalidInput):
        reported(actor=RESIDENT, household_id=None)


def test_the_firm_reports_on_a_residents_behalf_only() -> None:
    assert reported(actor=MANAGER).reporter_kind is ReporterKind.FIRM_ON_BEHALF
    with pytest.raises(InvalidInput):
        reported(actor=STAFF, household_id=None)


def test_a_grid_leader_reports_for_the_grids_it_leads() -> None:
    with pytest.raises(PermissionDenied):
        reported(actor=OTHER_GRID_LEADER)
    with pytest.raises(PermissionDenied):
        reported(actor=OTHER_GRID_LEADER, household_id=None)
    assert reported(actor=OTHER_GRID_LEADER, household_id=None, grid_code=None).grid_code is None
    with pytest.raises(InvalidInput):
        reported(actor=GRID_LEADER, grid_code=None)  # for a household, its grid is named


@pytest.mark.parametrize("actor", [SUPERVISOR, OFFICER, SYSTEM])
def test_others_do_not_report(actor: Actor) -> None:
    with pytest.raises(PermissionDenied):
        reported(actor=actor)


def test_a_report_takes_the_terms_of_its_category_and_urgency() -> None:
    ticket = reported()
    assert ticket.terms == TARGETS.terms_for("lighting", Urgency.URGENT)
    assert ticket.estate_code == ESTATE
    assert ticket.version == 1
    assert ticket.updated_at == ticket.reported_at


def test_a_household_location_is_the_households() -> None:
    ticket = reported(location=Location.household("h-1502"), household_id=None)
    assert ticket.household_id == "h-1502"
    with pytest.raises(InvalidInput):
        draft(location=Location.household("h-0901"), household_id="h-1502")


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"description": ""}, "empty"),
        ({"description": "  \n\t "}, "empty"),
        ({"description": "x" * 2001}, "at most 2000"),
        ({"description": "dark\x00"}, "control"),
        ({"description": "dark\tstairs"}, "control"),
        ({"description": "dark\u202estairs"}, "control"),
        ({"description": b"dark"}, "text"),
        ({"photos": (PHOTO,) * 2}, "twice"),
        ({"photos": tuple(f"{i:064x}" for i in range(10))}, "0 to 9"),
        ({"photos": ("AB" * 32,)}, "SHA-256"),
        ({"photos": PHOTO}, "list"),
        ({"category": "Lighting"}, "category"),
        ({"category": ""}, "category"),
        ({"urgency": "critical"}, "urgency"),
        ({"urgency": 3}, "urgency"),
        ({"visibility": "secret"}, "visibility"),
        ({"household_id": ""}, "household"),
        ({"location": "stairwell"}, "location"),
    ],
)
def test_bad_reports_are_refused(changes: dict[str, object], reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        draft(**changes)


def test_a_description_is_stripped_and_keeps_its_line_breaks() -> None:
    report_ = draft(description="  Light out.\r\nSince 01:30.  ")
    assert report_.description == "Light out.\nSince 01:30."
    assert draft(description="x" * 2000).description == "x" * 2000


def test_nine_photos_or_none() -> None:
    assert len(draft(photos=[f"{i:064x}" for i in range(9)]).photos) == 9
    assert draft(photos=()).photos == ()


@pytest.mark.parametrize(
    "location",
    [
        lambda: Location(),
        lambda: Location(household_id="h-1", area="stairs"),
        lambda: Location.common_area(""),
        lambda: Location.common_area("a" * 201),
        lambda: Location.common_area("line\nbreak"),
        lambda: Location.household(" "),
    ],
)
def test_bad_locations_are_refused(location: Callable[[], Location]) -> None:
    with pytest.raises(InvalidInput):
        location()


def test_a_category_the_estate_does_not_use_is_refused() -> None:
    targets = ServiceTargets(ESTATE, "Asia/Shanghai", categories=("lighting", "water_tank"))
    assert reported(targets=targets, category="water_tank").category == "water_tank"
    with pytest.raises(InvalidInput, match="water_tank"):
        reported(targets=targets, category="parking")


@pytest.mark.parametrize("naive", [datetime(2026, 3, 1, 2, 0), "2026-03-01T02:00:00+08:00", None])
def test_naive_or_missing_moments_are_refused(naive: object) -> None:
    with pytest.raises(InvalidInput, match="time zone"):
        report("t-1", RESIDENT, draft(), TARGETS, naive)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="time zone"):
        lifecycle.acknowledge(reported(), STAFF, naive)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="time zone"):
        sla.run_due(reported(), naive)  # type: ignore[arg-type]


def test_a_clock_behind_the_last_change_never_makes_history_run_backwards() -> None:
    ticket = lifecycle.acknowledge(reported(), STAFF, minutes(10)).ticket
    outcome = lifecycle.start(ticket, STAFF, minutes(9))  # another replica's clock, a minute behind
    assert outcome.transition.at == minutes(10)
    assert outcome.ticket.updated_at == minutes(10)


def test_any_time_zone_is_the_same_instant() -> None:
    utc = lifecycle.acknowledge(reported(), STAFF, datetime(2026, 2, 28, 18, 7, 30, tzinfo=UTC)).ticket
    plus8 = lifecycle.acknowledge(reported(), STAFF, T0 + timedelta(minutes=7, seconds=30)).ticket
    other = datetime(2026, 2, 28, 20, 7, 30, tzinfo=timezone(timedelta(hours=2)))
    assert utc == plus8 == lifecycle.acknowledge(reported(), STAFF, other).ticket


@pytest.mark.parametrize("subject", ["", "  ", "a" * 129, "sub\nject"])
def test_bad_actors_are_refused(subject: str) -> None:
    with pytest.raises(InvalidInput):
        Actor(subject, ActorRole.RESIDENT)


def test_an_unknown_role_is_refused() -> None:
    with pytest.raises(InvalidInput):
        Actor("x", "janitor")  # type: ignore[arg-type]


# --- a ticket rebuilt from storage --------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"status": Status.RESOLVED},  # without a resolution time
        {"acknowledged_at": T0 + timedelta(minutes=1)},  # acknowledged yet open
        {"status": Status.CLOSED},
        {"status": Status.WITHDRAWN},
        {"version": 0},
        {"reported_at": datetime(2026, 3, 1, 2, 0)},
        {"rating": Rating(5)},
        {"estate_code": "Not An Estate"},
        {"category": "Bad Category"},
        {"urgency": "unheard-of"},
        {"reopen_count": -1},
    ],
)
def test_a_ticket_that_could_not_have_been_produced_is_refused(changes: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        dataclasses.replace(reported(), **changes)  # type: ignore[arg-type]


def test_a_moment_after_the_latest_change_is_refused() -> None:
    ticket = reported()
    with pytest.raises(InvalidInput):
        dataclasses.replace(ticket, status=Status.ACKNOWLEDGED, acknowledged_at=minutes(5))  # updated_at is T0


# --- who sees what ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "private", "public"),
    [
        ("resident", Access.REQUESTER, Access.REQUESTER),
        ("housemate", Access.REQUESTER, Access.REQUESTER),
        ("neighbour", Access.NONE, Access.PUBLIC),
        ("staff", Access.STAFF, Access.STAFF),
        ("manager", Access.STAFF, Access.STAFF),
        ("grid_leader", Access.REQUESTER, Access.REQUESTER),  # the ticket's grid: routed to it
        ("other_grid_leader", Access.NONE, Access.PUBLIC),
        ("supervisor", Access.NONE, Access.PUBLIC),
        ("officer", Access.NONE, Access.PUBLIC),
        ("system", Access.STAFF, Access.STAFF),
    ],
)
def test_who_sees_a_ticket(who: str, private: Access, public: Access) -> None:
    assert access(reported(), EVERYONE[who]) is private
    assert access(reported(visibility=Visibility.PUBLIC), EVERYONE[who]) is public


def test_the_reporter_sees_what_it_reported() -> None:
    assert access(reported(actor=GRID_LEADER), GRID_LEADER) is Access.REQUESTER
    assert access(reported(actor=GRID_LEADER), OTHER_GRID_LEADER) is Access.NONE


def test_a_community_officer_sees_a_private_ticket_escalated_to_the_community() -> None:
    ticket = reported()
    assert access(ticket, OFFICER) is Access.NONE
    escalated = sla.run_due(ticket, minutes(61)).ticket  # first response missed past its grace
    assert access(escalated, OFFICER) is Access.REQUESTER
    filed = lifecycle.file_complaint(ticket, RESIDENT, "x", minutes(1)).ticket
    assert access(filed, OFFICER) is Access.NONE
    beyond = lifecycle.escalate_complaint(filed, RESIDENT, minutes(2)).ticket
    assert access(beyond, OFFICER) is Access.REQUESTER


def test_amounts_in_a_purchase_are_exact() -> None:
    line = MaterialLine("Cable", Decimal("2.5"), 333, "m")
    assert line.total_fen == 833  # 832.5 rounds half up


def test_what_each_viewer_sees_of_the_history() -> None:
    ticket = reported(visibility=Visibility.PUBLIC)
    history = [report("t-1", RESIDENT, draft(), TARGETS, T0).transition]
    for outcome in (
        lifecycle.add_note(ticket, STAFF, "Resident is away until 9", minutes(1), internal=True),
        lifecycle.add_note(ticket, RESIDENT, "Please call first", minutes(1), internal=False),
        lifecycle.acknowledge(ticket, STAFF, minutes(2)),
        lifecycle.file_complaint(ticket, RESIDENT, "Rude", minutes(3)),
    ):
        history.append(outcome.transition)
    actions = {
        level: [t.action.value for t in history if shows(level, t)]
        for level in (Access.STAFF, Access.REQUESTER, Access.PUBLIC, Access.NONE)
    }
    assert actions == {
        Access.STAFF: ["report", "note", "note", "acknowledge", "complain"],
        Access.REQUESTER: ["report", "note", "acknowledge", "complain"],
        Access.PUBLIC: ["report", "acknowledge"],
        Access.NONE: [],
    }


def test_a_ticket_located_in_another_household_is_refused() -> None:
    with pytest.raises(InvalidInput):
        dataclasses.replace(reported(), location=Location.household("h-0901"))
