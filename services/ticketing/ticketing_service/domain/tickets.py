"""报事报修 — residents' tickets: what was reported, by whom, for which household, and where it stands.

A ticket is an immutable value. It changes only through the functions of
:mod:`ticketing_service.domain.lifecycle` (people's actions) and :mod:`ticketing_service.domain.sla`
(the clock's: breaches, escalations, automatic confirmation and closing), each of which returns an
:class:`Outcome`: the new state, with ``version`` one higher per step, and the :class:`Transition`
records to append to the ticket's history (``seq`` = the version it produced, so a repository can
append with a unique ``(ticket_id, seq)`` and update the row ``WHERE version = old``). Nothing here
reads a clock, a database or the network: every function takes ``now``.

Who is who. An :class:`Actor` is a subject id and the role it acts in, with the households it
belongs to (a resident) or the grids it leads (a grid leader), as the service layer found them in
the tenant register. The *requester* of a ticket is its household (any resident member of it), or,
for a ticket a grid leader reported without a household, that grid leader: only the requester
confirms, rates, reopens, withdraws and complains. The firm (staff and manager) answers: it
acknowledges, works, resolves, assigns, reclassifies and keeps internal notes. The service's own
scheduler acts as :data:`SYSTEM`, a role no person's token maps to.

Who sees what (:func:`access`): the firm sees everything, internal notes included; the requester
and the reporter see their ticket without internal notes; everyone else of the estate sees a public
ticket in its public form (no household, reporter, rating comment or notes) and never a private one.
A ticket is routed to the grid leaders of its grid (网格长, the first responders), who see it as the
requester does; otherwise a private ticket is the household's and the firm's only (a grid leader of
another grid sees only public tickets); a community officer sees a private ticket once it is
escalated to the community (a missed target past its grace, or a complaint taken beyond the estate),
because it must act on it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from ticketing_service.domain.materials import MaterialPurchase
from ticketing_service.domain.satisfaction import Rating
from ticketing_service.domain.targets import ServiceTargets, SlaTerms, Urgency, category_code, urgency_of
from ticketing_service.domain.validation import (
    aware,
    clean_text,
    file_references,
    identifier,
    optional_aware,
    optional_identifier,
)
from xinyi_shared.codes import validate_estate_code
from xinyi_shared.errors import InvalidInput, PermissionDenied

MAX_DESCRIPTION_LENGTH = 2000
MAX_AREA_LENGTH = 200
MAX_NOTE_LENGTH = 2000
MAX_REASON_LENGTH = 1000
MAX_PHOTOS = 9


class Status(StrEnum):
    OPEN = "open"  # reported, nobody of the firm has answered yet
    ACKNOWLEDGED = "acknowledged"  # the firm answered (first response)
    IN_PROGRESS = "in_progress"  # someone is on it (or it was reopened)
    RESOLVED = "resolved"  # the firm says it is fixed; the requester confirms or reopens
    CONFIRMED = "confirmed"  # the requester agreed (or stayed silent): may still be reopened for a while
    CLOSED = "closed"  # final
    WITHDRAWN = "withdrawn"  # the requester no longer needs it; final


ACTIVE = frozenset({Status.OPEN, Status.ACKNOWLEDGED, Status.IN_PROGRESS})
"""The firm is working on it: the resolution clock runs."""
DONE = frozenset({Status.RESOLVED, Status.CONFIRMED, Status.CLOSED})
"""Resolved: the resolution clock stopped at ``resolved_at``."""
FINAL = frozenset({Status.CLOSED, Status.WITHDRAWN})


class Action(StrEnum):
    REPORT = "report"
    ACKNOWLEDGE = "acknowledge"
    START = "start"
    RESOLVE = "resolve"
    CONFIRM = "confirm"
    AUTO_CONFIRM = "auto_confirm"
    CLOSE = "close"
    REOPEN = "reopen"
    WITHDRAW = "withdraw"
    ASSIGN = "assign"
    NOTE = "note"
    RECLASSIFY = "reclassify"
    COMPLAIN = "complain"
    ESCALATE_COMPLAINT = "escalate_complaint"
    BREACH = "breach"  # a target missed (level firm_manager) or still missed after its grace (community_officer)
    MATERIALS = "materials"


class ActorRole(StrEnum):
    """The role an actor acts in; the values are the platform's realm roles (``xinyi_shared.auth.Role``)."""

    RESIDENT = "resident"
    FIRM_STAFF = "firm_staff"
    FIRM_MANAGER = "firm_manager"
    GRID_LEADER = "grid_leader"
    COMMUNITY_OFFICER = "community_officer"
    SUPERVISOR = "supervisor"
    SYSTEM = "system"  # the service's own scheduler; no token carries it


FIRM = frozenset({ActorRole.FIRM_STAFF, ActorRole.FIRM_MANAGER})


class ReporterKind(StrEnum):
    RESIDENT = "resident"  # a resident, for its household
    FIRM_ON_BEHALF = "firm_on_behalf"  # the firm, for a resident who called or walked in
    GRID_LEADER = "grid_leader"  # the grid leader, for a household of its grid or a common area


class Visibility(StrEnum):
    PRIVATE = "private"  # the household's and the firm's only
    PUBLIC = "public"  # the whole estate's


class SlaKind(StrEnum):
    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"


class EscalationLevel(StrEnum):
    FIRM_MANAGER = "firm_manager"  # at the deadline
    COMMUNITY_OFFICER = "community_officer"  # at the deadline plus its grace


ESCALATION_ORDER = (EscalationLevel.FIRM_MANAGER, EscalationLevel.COMMUNITY_OFFICER)


class Access(StrEnum):
    """How much of a ticket a viewer may see."""

    NONE = "none"  # not at all, not even that it exists (404)
    PUBLIC = "public"  # category, urgency, common-area location, description, photos, status, times
    REQUESTER = "requester"  # everything but internal notes
    STAFF = "staff"  # everything


@dataclass(frozen=True)
class Actor:
    subject: str
    role: ActorRole
    households: frozenset[str] = frozenset()  # a resident's households
    grids: frozenset[str] = frozenset()  # a grid leader's grids

    def __post_init__(self) -> None:
        object.__setattr__(self, "subject", identifier("subject", self.subject))
        try:
            object.__setattr__(self, "role", ActorRole(self.role))
        except ValueError:
            raise InvalidInput("unknown role") from None
        object.__setattr__(self, "households", frozenset(self.households))
        object.__setattr__(self, "grids", frozenset(self.grids))

    @property
    def is_firm(self) -> bool:
        return self.role in FIRM


SYSTEM = Actor("xinyi-ticketing", ActorRole.SYSTEM)


@dataclass(frozen=True)
class Location:
    """Where the problem is: inside a household's dwelling, or a building or common area (text)."""

    household_id: str | None = None
    area: str | None = None

    def __post_init__(self) -> None:
        if (self.household_id is None) == (self.area is None):
            raise InvalidInput("a location is either a household or a building/common area")
        object.__setattr__(self, "household_id", optional_identifier("household id", self.household_id))
        if self.area is not None:
            object.__setattr__(self, "area", clean_text("area", self.area, MAX_AREA_LENGTH))

    @classmethod
    def household(cls, household_id: str) -> Location:
        return cls(household_id=household_id)

    @classmethod
    def common_area(cls, area: str) -> Location:
        return cls(area=area)


@dataclass(frozen=True)
class Report:
    """What a reporter files. ``household_id`` is the household the ticket is for (required from a
    resident and from the firm; optional from a grid leader); a household location is that household.
    ``grid_code`` is the household's grid from the register, or the grid of a common area."""

    category: str
    urgency: Urgency
    location: Location
    description: str
    photos: tuple[str, ...] = ()  # SHA-256 of photos already in the blob store
    visibility: Visibility = Visibility.PRIVATE
    household_id: str | None = None
    grid_code: str | None = None

    def __post_init__(self) -> None:
        category_code(self.category)
        object.__setattr__(self, "urgency", urgency_of(self.urgency))
        if not isinstance(self.location, Location):
            raise InvalidInput("location must be a household or a building/common area")
        object.__setattr__(
            self, "description", clean_text("description", self.description, MAX_DESCRIPTION_LENGTH, multiline=True)
        )
        object.__setattr__(self, "photos", file_references("photos", self.photos, 0, MAX_PHOTOS))
        object.__setattr__(self, "visibility", _visibility(self.visibility))
        household = optional_identifier("household id", self.household_id)
        located = self.location.household_id
        if located is not None and household is not None and located != household:
            raise InvalidInput("a ticket located in a household is for that household")
        object.__setattr__(self, "household_id", household if household is not None else located)
        object.__setattr__(self, "grid_code", optional_identifier("grid", self.grid_code))


def _visibility(value: object) -> Visibility:
    if isinstance(value, str):
        try:
            return Visibility(value)
        except ValueError:
            pass
    raise InvalidInput("visibility must be private or public")


@dataclass(frozen=True)
class Breach:
    """A target missed (``level`` firm_manager: the breach itself, escalated to the firm manager) or
    still missed after its grace (community_officer). ``deadline`` is the moment after which it was
    missed; ``detected_at`` when the service recorded it. Recorded once per (kind, level)."""

    kind: SlaKind
    level: EscalationLevel
    deadline: datetime
    detected_at: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", SlaKind(self.kind))
        object.__setattr__(self, "level", EscalationLevel(self.level))
        object.__setattr__(self, "deadline", aware("deadline", self.deadline))
        object.__setattr__(self, "detected_at", aware("detected_at", self.detected_at))


@dataclass(frozen=True)
class Complaint:
    """投诉 — a formal complaint by the requester; ``escalated_at`` once taken beyond the estate (to
    the sub-district), which counts toward the estate's petition rate."""

    reason: str
    filed_at: datetime
    filed_by: str
    escalated_at: datetime | None = None
    escalated_by: str | None = None
    escalated_by_role: ActorRole | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "reason", clean_text("reason", self.reason, MAX_REASON_LENGTH, multiline=True))
        object.__setattr__(self, "filed_at", aware("filed_at", self.filed_at))
        object.__setattr__(self, "filed_by", identifier("filed_by", self.filed_by))
        object.__setattr__(self, "escalated_at", optional_aware("escalated_at", self.escalated_at))
        if (self.escalated_at is None) != (self.escalated_by is None):
            raise InvalidInput("an escalated complaint names who escalated it")

    @property
    def escalated(self) -> bool:
        return self.escalated_at is not None


@dataclass(frozen=True)
class Transition:
    """One line of a ticket's history (append-only): who, in which role, when, from which status to
    which (the same for notes, assignments, breaches …), and what the step carried. ``internal``
    notes are the firm's only."""

    ticket_id: str
    seq: int
    action: Action
    actor_subject: str
    actor_role: ActorRole
    at: datetime
    from_status: Status | None  # None for the report
    to_status: Status
    note: str = ""
    internal: bool = False
    assignee: str | None = None  # assign, and start/resolve when they took an unassigned ticket
    rating: Rating | None = None  # confirm
    breach: Breach | None = None  # breach
    photos: tuple[str, ...] = ()  # resolve: photos of the fix
    purchase: MaterialPurchase | None = None  # materials
    category: str | None = None  # reclassify
    urgency: Urgency | None = None  # reclassify


_OPTIONAL_TIMESTAMPS = (
    "acknowledged_at",
    "first_resolved_at",
    "resolved_at",
    "confirmed_at",
    "closed_at",
    "withdrawn_at",
    "reopened_at",
)


@dataclass(frozen=True)
class Ticket:
    """The state of a ticket. Built by :func:`report`, changed by lifecycle and sla, and rebuilt by a
    repository from its row (the checks below refuse a row that could not have been produced)."""

    id: str
    estate_code: str
    category: str
    urgency: Urgency
    location: Location
    household_id: str | None
    grid_code: str | None
    description: str
    photos: tuple[str, ...]
    visibility: Visibility
    reporter_subject: str
    reporter_role: ActorRole
    reporter_kind: ReporterKind
    reported_at: datetime
    terms: SlaTerms
    updated_at: datetime  # the moment of the latest transition
    status: Status = Status.OPEN
    version: int = 1  # = the number of transitions in the history
    assignee: str | None = None
    acknowledged_at: datetime | None = None  # first response; never reset by a reopen
    first_resolved_at: datetime | None = None
    resolved_at: datetime | None = None  # the current resolution; cleared by a reopen
    confirmed_at: datetime | None = None
    auto_confirmed: bool = False
    closed_at: datetime | None = None
    withdrawn_at: datetime | None = None
    reopened_at: datetime | None = None  # the latest reopen
    reopen_count: int = 0
    resolution_note: str = ""
    resolution_photos: tuple[str, ...] = ()
    rating: Rating | None = None
    breaches: tuple[Breach, ...] = ()
    complaint: Complaint | None = None
    materials_fen: int = 0  # total of the materials recorded for it

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", identifier("ticket id", self.id))
        validate_estate_code(self.estate_code)
        category_code(self.category)
        object.__setattr__(self, "urgency", urgency_of(self.urgency))
        object.__setattr__(self, "visibility", _visibility(self.visibility))
        object.__setattr__(self, "status", Status(self.status))
        if not isinstance(self.terms, SlaTerms):
            raise InvalidInput("a ticket carries the terms it is measured by")
        object.__setattr__(self, "reported_at", aware("reported_at", self.reported_at))
        object.__setattr__(self, "updated_at", aware("updated_at", self.updated_at))
        for name in _OPTIONAL_TIMESTAMPS:
            object.__setattr__(self, name, optional_aware(name, getattr(self, name)))
        # A repository may hand in lists; the state keeps tuples.
        object.__setattr__(self, "photos", file_references("photos", self.photos, 0, MAX_PHOTOS))
        object.__setattr__(self, "resolution_photos", file_references("photos", self.resolution_photos, 0, MAX_PHOTOS))
        object.__setattr__(self, "breaches", tuple(self.breaches))
        self._check_consistent()

    def _check_consistent(self) -> None:
        status = self.status
        if self.version < 1:
            raise InvalidInput("a ticket has at least its report in its history")
        if self.reopen_count < 0 or self.materials_fen < 0:
            raise InvalidInput("counts and totals of a ticket cannot be negative")
        if (status is Status.OPEN) != (self.acknowledged_at is None) and status is not Status.WITHDRAWN:
            raise InvalidInput("a ticket is acknowledged exactly when it has left the open status")
        if (status in DONE) != (self.resolved_at is not None):
            raise InvalidInput("a ticket has a resolution time exactly when it is resolved")
        if (status in (Status.CONFIRMED, Status.CLOSED)) != (self.confirmed_at is not None):
            raise InvalidInput("a ticket has a confirmation time exactly when it is confirmed")
        if (status is Status.CLOSED) != (self.closed_at is not None):
            raise InvalidInput("a ticket has a closing time exactly when it is closed")
        if (status is Status.WITHDRAWN) != (self.withdrawn_at is not None):
            raise InvalidInput("a ticket has a withdrawal time exactly when it is withdrawn")
        if self.rating is not None and (self.confirmed_at is None or self.auto_confirmed):
            raise InvalidInput("only a ticket the requester confirmed has a rating")
        moments = [m for m in (self.acknowledged_at, self.first_resolved_at, self.resolved_at) if m is not None]
        moments += [
            m for m in (self.confirmed_at, self.closed_at, self.withdrawn_at, self.reopened_at) if m is not None
        ]
        if self.updated_at < self.reported_at or any(
            moment < self.reported_at or moment > self.updated_at for moment in moments
        ):
            raise InvalidInput("a ticket's moments lie between its report and its latest change")
        if self.location.household_id is not None and self.location.household_id != self.household_id:
            raise InvalidInput("a ticket located in a household is for that household")
        if len({(breach.kind, breach.level) for breach in self.breaches}) != len(self.breaches):
            raise InvalidInput("a breach is recorded once")

    @property
    def first_response_due_at(self) -> datetime:
        return self.reported_at + timedelta(minutes=self.terms.first_response_minutes)

    @property
    def resolution_due_at(self) -> datetime:
        return self.reported_at + timedelta(minutes=self.terms.resolution_minutes)

    @property
    def escalation_level(self) -> EscalationLevel | None:
        """The highest level a missed target reached, None if none was missed."""
        levels = {breach.level for breach in self.breaches}
        reached = [level for level in ESCALATION_ORDER if level in levels]
        return reached[-1] if reached else None

    def has_breach(self, kind: SlaKind, level: EscalationLevel) -> bool:
        return any(breach.kind is kind and breach.level is level for breach in self.breaches)


@dataclass(frozen=True)
class Outcome:
    """What a step produced: the new state and the transitions to append (in order). The scheduler's
    :func:`~ticketing_service.domain.sla.run_due` may produce none (nothing was due)."""

    ticket: Ticket
    transitions: tuple[Transition, ...]

    @property
    def transition(self) -> Transition:
        """The last transition (the only one, for a person's action)."""
        if not self.transitions:
            raise LookupError("nothing happened")
        return self.transitions[-1]


def moment(ticket: Ticket, now: datetime) -> datetime:
    """``now`` in UTC, never before the ticket's latest change: a replica whose clock is a little
    behind, or a transaction that began before another committed, must not make history run
    backwards, so such a ``now`` counts as the moment of that change."""
    return max(aware("now", now), ticket.updated_at)


def advance(
    ticket: Ticket,
    actor: Actor,
    action: Action,
    at: datetime,
    status: Status | None = None,
    *,
    record: dict[str, Any] | None = None,
    **changes: Any,
) -> Outcome:
    """The one way a ticket changes: ``changes`` applied, ``status`` entered (or kept), the version
    one higher, and the transition recording it (``record``: its optional fields)."""
    to_status = status if status is not None else ticket.status
    version = ticket.version + 1
    changed = dataclasses.replace(ticket, status=to_status, version=version, updated_at=at, **changes)
    transition = Transition(
        ticket_id=ticket.id,
        seq=version,
        action=action,
        actor_subject=actor.subject,
        actor_role=actor.role,
        at=at,
        from_status=ticket.status,
        to_status=to_status,
        **(record or {}),
    )
    return Outcome(changed, (transition,))


def is_requester(ticket: Ticket, actor: Actor) -> bool:
    """Whether ``actor`` speaks for the ticket: a resident of its household, or (without a household)
    the grid leader who reported it."""
    if ticket.household_id is not None:
        return actor.role is ActorRole.RESIDENT and ticket.household_id in actor.households
    return actor.role is ticket.reporter_role and actor.subject == ticket.reporter_subject


def access(ticket: Ticket, viewer: Actor) -> Access:
    """How much of ``ticket`` ``viewer`` (an actor of the ticket's estate) may see."""
    if viewer.is_firm or viewer.role is ActorRole.SYSTEM:
        return Access.STAFF
    if is_requester(ticket, viewer) or (
        viewer.subject == ticket.reporter_subject and viewer.role is ticket.reporter_role
    ):
        return Access.REQUESTER
    if viewer.role is ActorRole.GRID_LEADER and ticket.grid_code is not None and ticket.grid_code in viewer.grids:
        return Access.REQUESTER
    if viewer.role is ActorRole.COMMUNITY_OFFICER and (
        ticket.escalation_level is EscalationLevel.COMMUNITY_OFFICER
        or (ticket.complaint is not None and ticket.complaint.escalated)
    ):
        return Access.REQUESTER
    if ticket.visibility is Visibility.PUBLIC:
        return Access.PUBLIC
    return Access.NONE


# What the estate sees of a public ticket's history: its course, not what people wrote or who they are.
PUBLIC_ACTIONS = frozenset(
    {
        Action.REPORT,
        Action.ACKNOWLEDGE,
        Action.START,
        Action.RESOLVE,
        Action.CONFIRM,
        Action.AUTO_CONFIRM,
        Action.CLOSE,
        Action.REOPEN,
        Action.WITHDRAW,
        Action.BREACH,
        Action.MATERIALS,  # the trust fund's money is everyone's business
    }
)


def shows(level: Access, transition: Transition) -> bool:
    """Whether a viewer with ``level`` sees ``transition`` in the history: the firm every one; the
    requester all but internal notes; the estate, for a public ticket, the steps of its course
    (shown as action, moment and statuses only: no notes, rating comment or who, but the firm's)."""
    if level is Access.STAFF:
        return True
    if level is Access.NONE or transition.internal:
        return False
    return level is Access.REQUESTER or transition.action in PUBLIC_ACTIONS


def _reporter_kind(ticket_household: str | None, grid_code: str | None, actor: Actor) -> ReporterKind:
    if actor.role is ActorRole.RESIDENT:
        if ticket_household is None:
            raise InvalidInput("a resident reports for its household: name the household")
        if ticket_household not in actor.households:
            raise PermissionDenied("a resident reports only for its own households")
        return ReporterKind.RESIDENT
    if actor.is_firm:
        if ticket_household is None:
            raise InvalidInput("the firm reports on a resident's behalf: name the household")
        return ReporterKind.FIRM_ON_BEHALF
    if actor.role is ActorRole.GRID_LEADER:
        if ticket_household is not None and grid_code is None:
            raise InvalidInput("a grid leader's report for a household names the household's grid")
        if grid_code is not None and grid_code not in actor.grids:
            raise PermissionDenied("a grid leader reports only for the grids it leads")
        return ReporterKind.GRID_LEADER
    raise PermissionDenied("tickets are reported by residents, the firm on a resident's behalf, and grid leaders")


def report(ticket_id: str, actor: Actor, draft: Report, targets: ServiceTargets, now: datetime) -> Outcome:
    """Open a ticket: the first state and its first transition (report, → open). ``targets`` are the
    estate's; the ticket keeps the terms of its category and urgency as they are now."""
    at = aware("now", now)
    kind = _reporter_kind(draft.household_id, draft.grid_code, actor)
    category = targets.check_category(draft.category)
    ticket = Ticket(
        id=ticket_id,
        estate_code=targets.estate_code,
        category=category,
        urgency=draft.urgency,
        location=draft.location,
        household_id=draft.household_id,
        grid_code=draft.grid_code,
        description=draft.description,
        photos=draft.photos,
        visibility=draft.visibility,
        reporter_subject=actor.subject,
        reporter_role=actor.role,
        reporter_kind=kind,
        reported_at=at,
        terms=targets.terms_for(category, draft.urgency),
        updated_at=at,
    )
    transition = Transition(
        ticket_id=ticket.id,
        seq=1,
        action=Action.REPORT,
        actor_subject=actor.subject,
        actor_role=actor.role,
        at=at,
        from_status=None,
        to_status=Status.OPEN,
    )
    return Outcome(ticket, (transition,))
