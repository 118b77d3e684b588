"""The lifecycle of a ticket: what people may do to it, in which status, and what each step records.

::

    open ──acknowledge──▶ acknowledged ──start──▶ in_progress ──resolve──▶ resolved
      │  ╰──────────────start──────────────────────▲                      │   │
      ╰─────────────────resolve──────────────────────────────────────────▶│   │ confirm (rating) / auto_confirm
                                                   ▲                      │   ▼
                                                   ╰───────reopen─────────┴─ confirmed ──close──▶ closed
    open / acknowledged / in_progress ──withdraw──▶ withdrawn

Rules where the issue leaves a choice:

- **First response** is the firm's first step out of ``open``: acknowledging, starting, or resolving
  at once (a stair light fixed on the spot). Notes and assignments are not a response.
- **Who works a ticket**: the firm manager on any ticket; a staff member on a ticket assigned to it or
  to nobody (starting or resolving an unassigned ticket assigns it to the one who did). A staff
  member may take an unassigned ticket; only the manager reassigns.
- **Resolving** needs a note saying what was done (the resident confirms against it), and may carry
  photos of the fix.
- **Confirming** is the requester's alone and carries a rating. A silent requester's ticket is
  confirmed by the scheduler (:func:`.sla.auto_confirm`) ``auto_confirm_minutes`` after the resolution,
  without a rating. Until the scheduler has done so, the requester may still confirm and rate.
- **Reopening** is the requester's, with a reason: from ``resolved``, and from ``confirmed`` until
  ``reopen_window_minutes`` after the confirmation; the ticket goes back to ``in_progress`` with its
  assignee (the firm has answered already), keeps its first response, loses its current resolution
  and rating, and its resolution is measured again to the next one (see :mod:`.sla`). When the
  window ends the scheduler closes it (:func:`.sla.close`); nobody closes a ticket earlier, so the
  window is never cut short.
- **Withdrawing** is the requester's, while the ticket is active; it stops the clocks (a target
  already missed stays missed).
- **Reclassifying** (category, urgency) is the firm's, while the ticket is active; the terms are
  taken again from the estate's targets and the deadlines recomputed from the report time. Breaches
  already recorded stay recorded. The history shows every change.
- A reopen and a reclassification first record the breaches due by then (see
  :func:`.sla.record_due_breaches`), so their outcome may hold system transitions before the
  person's own (``Outcome.transition`` is the person's).
- **Complaints**: the requester files one formal complaint per ticket, in any status; the requester
  or a community officer takes it beyond the estate, once.
- **Materials** are recorded by the firm in any status (receipts often come late).

Refusals: the wrong actor is ``PermissionDenied`` (checked first, whatever the status); a step the
status does not allow is ``Conflict``; bad values are ``InvalidInput``.
"""

from __future__ import annotations

from datetime import datetime

from ticketing_service.domain import sla
from ticketing_service.domain.materials import MaterialPurchase
from ticketing_service.domain.satisfaction import Rating
from ticketing_service.domain.targets import ServiceTargets, Urgency, urgency_of
from ticketing_service.domain.tickets import (
    ACTIVE,
    MAX_NOTE_LENGTH,
    MAX_PHOTOS,
    MAX_REASON_LENGTH,
    Action,
    Actor,
    ActorRole,
    Complaint,
    Outcome,
    Status,
    Ticket,
    advance,
    is_requester,
    moment,
)
from ticketing_service.domain.validation import clean_text, file_references, identifier
from xinyi_shared.errors import Conflict, InvalidInput, PermissionDenied


def _note(value: object, *, required: bool = False, name: str = "note", max_length: int = MAX_NOTE_LENGTH) -> str:
    return clean_text(name, value, max_length, multiline=True, required=required)


def _require_firm(actor: Actor, what: str) -> None:
    if not actor.is_firm:
        raise PermissionDenied(f"only the firm's staff or manager may {what}")


def _require_hands(ticket: Ticket, actor: Actor, what: str) -> None:
    """The firm manager works any ticket; staff only theirs or an unassigned one."""
    _require_firm(actor, what)
    if actor.role is ActorRole.FIRM_STAFF and ticket.assignee not in (None, actor.subject):
        raise PermissionDenied(f"the ticket is assigned to another staff member: only they or the manager may {what}")


def _require_requester(ticket: Ticket, actor: Actor, what: str) -> None:
    if not is_requester(ticket, actor):
        raise PermissionDenied(
            f"only a resident of the ticket's household (or the grid leader who reported it for no household) may {what}"
        )


def _require_status(ticket: Ticket, allowed: frozenset[Status] | set[Status], what: str) -> None:
    if ticket.status not in allowed:
        expected = ", ".join(sorted(status.value for status in allowed))
        raise Conflict(f"a {ticket.status.value} ticket cannot be {what} (only a ticket that is {expected})")


def _took(ticket: Ticket, actor: Actor) -> str | None:
    return actor.subject if ticket.assignee is None else None


def acknowledge(ticket: Ticket, actor: Actor, now: datetime, note: str = "") -> Outcome:
    """The firm answers the report (first response): open → acknowledged."""
    _require_hands(ticket, actor, "acknowledge a ticket")
    text = _note(note)
    _require_status(ticket, {Status.OPEN}, "acknowledged")
    at = moment(ticket, now)
    return advance(
        ticket, actor, Action.ACKNOWLEDGE, at, Status.ACKNOWLEDGED, record={"note": text}, acknowledged_at=at
    )


def start(ticket: Ticket, actor: Actor, now: datetime, note: str = "") -> Outcome:
    """Someone of the firm is on it: open or acknowledged → in_progress (from open, it is also the
    first response). An unassigned ticket becomes the actor's."""
    _require_hands(ticket, actor, "start work on a ticket")
    text = _note(note)
    _require_status(ticket, {Status.OPEN, Status.ACKNOWLEDGED}, "started")
    at = moment(ticket, now)
    took = _took(ticket, actor)
    return advance(
        ticket,
        actor,
        Action.START,
        at,
        Status.IN_PROGRESS,
        record={"note": text, "assignee": took},
        acknowledged_at=ticket.acknowledged_at or at,
        assignee=ticket.assignee or took,
    )


def resolve(ticket: Ticket, actor: Actor, note: str, now: datetime, photos: tuple[str, ...] = ()) -> Outcome:
    """The firm says it is fixed, saying what was done: open, acknowledged or in_progress → resolved."""
    _require_hands(ticket, actor, "resolve a ticket")
    text = _note(note, required=True, name="resolution note")
    proof = file_references("photos", photos, 0, MAX_PHOTOS)
    _require_status(ticket, ACTIVE, "resolved")
    at = moment(ticket, now)
    took = _took(ticket, actor)
    return advance(
        ticket,
        actor,
        Action.RESOLVE,
        at,
        Status.RESOLVED,
        record={"note": text, "assignee": took, "photos": proof},
        acknowledged_at=ticket.acknowledged_at or at,
        first_resolved_at=ticket.first_resolved_at or at,
        resolved_at=at,
        resolution_note=text,
        resolution_photos=proof,
        assignee=ticket.assignee or took,
    )


def confirm(ticket: Ticket, actor: Actor, rating: Rating, now: datetime) -> Outcome:
    """The requester agrees it is fixed and rates the fix: resolved → confirmed."""
    _require_requester(ticket, actor, "confirm a ticket")
    if not isinstance(rating, Rating):
        raise InvalidInput("a confirmation carries a rating from 1 to 5")
    _require_status(ticket, {Status.RESOLVED}, "confirmed")
    at = moment(ticket, now)
    return advance(
        ticket, actor, Action.CONFIRM, at, Status.CONFIRMED, record={"rating": rating}, confirmed_at=at, rating=rating
    )


def reopen(ticket: Ticket, actor: Actor, reason: str, now: datetime) -> Outcome:
    """The requester says it is not fixed: resolved, or confirmed within the window → in_progress."""
    _require_requester(ticket, actor, "reopen a ticket")
    text = _note(reason, required=True, name="reason", max_length=MAX_REASON_LENGTH)
    _require_status(ticket, {Status.RESOLVED, Status.CONFIRMED}, "reopened")
    at = moment(ticket, now)
    window_ends = sla.close_due_at(ticket)
    if window_ends is not None and at >= window_ends:
        raise Conflict("the time to reopen this ticket has passed: file a complaint instead")
    caught_up = sla.record_due_breaches(ticket, at)
    ticket = caught_up.ticket
    reopened = advance(
        ticket,
        actor,
        Action.REOPEN,
        at,
        Status.IN_PROGRESS,
        record={"note": text},
        resolved_at=None,
        confirmed_at=None,
        auto_confirmed=False,
        rating=None,
        reopened_at=at,
        reopen_count=ticket.reopen_count + 1,
    )
    return Outcome(reopened.ticket, caught_up.transitions + reopened.transitions)


def withdraw(ticket: Ticket, actor: Actor, now: datetime, reason: str = "") -> Outcome:
    """The requester no longer needs it: open, acknowledged or in_progress → withdrawn."""
    _require_requester(ticket, actor, "withdraw a ticket")
    text = _note(reason, name="reason", max_length=MAX_REASON_LENGTH)
    _require_status(ticket, ACTIVE, "withdrawn")
    at = moment(ticket, now)
    return advance(ticket, actor, Action.WITHDRAW, at, Status.WITHDRAWN, record={"note": text}, withdrawn_at=at)


def assign(ticket: Ticket, actor: Actor, assignee: str, now: datetime, note: str = "") -> Outcome:
    """Give an active ticket to a staff member (the manager, any; a staff member, itself when nobody has it)."""
    _require_firm(actor, "assign a ticket")
    to = identifier("assignee", assignee)
    text = _note(note)
    if actor.role is ActorRole.FIRM_STAFF and (to != actor.subject or ticket.assignee is not None):
        raise PermissionDenied("a staff member may only take an unassigned ticket; the manager reassigns")
    _require_status(ticket, ACTIVE, "assigned")
    if ticket.assignee == to:
        raise Conflict("the ticket is already assigned to them")
    at = moment(ticket, now)
    return advance(ticket, actor, Action.ASSIGN, at, record={"note": text, "assignee": to}, assignee=to)


def add_note(ticket: Ticket, actor: Actor, text: str, now: datetime, *, internal: bool) -> Outcome:
    """A note in the history, in any status: ``internal`` ones by the firm, never shown to residents;
    public ones (a message to the requester, or the requester's) by the firm or the requester."""
    if internal:
        _require_firm(actor, "write internal notes")
    elif not (actor.is_firm or is_requester(ticket, actor)):
        raise PermissionDenied("only the firm and the ticket's requester write on a ticket")
    body = _note(text, required=True)
    at = moment(ticket, now)
    return advance(ticket, actor, Action.NOTE, at, record={"note": body, "internal": bool(internal)})


def reclassify(
    ticket: Ticket,
    actor: Actor,
    targets: ServiceTargets,
    now: datetime,
    *,
    category: str | None = None,
    urgency: Urgency | None = None,
    note: str = "",
) -> Outcome:
    """The firm corrects the category or urgency of an active ticket; its terms and deadlines follow."""
    _require_firm(actor, "reclassify a ticket")
    if targets.estate_code != ticket.estate_code:
        raise InvalidInput("the targets are another estate's")
    new_category = targets.check_category(category) if category is not None else ticket.category
    new_urgency = urgency_of(urgency) if urgency is not None else ticket.urgency
    text = _note(note)
    _require_status(ticket, ACTIVE, "reclassified")
    if (new_category, new_urgency) == (ticket.category, ticket.urgency):
        raise Conflict("the ticket already has this category and urgency")
    terms = targets.terms_for(new_category, new_urgency)
    at = moment(ticket, now)
    caught_up = sla.record_due_breaches(ticket, at)
    ticket = caught_up.ticket
    changed = advance(
        ticket,
        actor,
        Action.RECLASSIFY,
        at,
        record={"note": text, "category": new_category, "urgency": new_urgency},
        category=new_category,
        urgency=new_urgency,
        terms=terms,
    )
    return Outcome(changed.ticket, caught_up.transitions + changed.transitions)


def file_complaint(ticket: Ticket, actor: Actor, reason: str, now: datetime) -> Outcome:
    """The requester flags the ticket as a formal complaint (投诉), once, in any status."""
    _require_requester(ticket, actor, "file a complaint")
    text = _note(reason, required=True, name="reason", max_length=MAX_REASON_LENGTH)
    if ticket.complaint is not None:
        raise Conflict("this ticket is already a formal complaint")
    at = moment(ticket, now)
    complaint = Complaint(reason=text, filed_at=at, filed_by=actor.subject)
    return advance(ticket, actor, Action.COMPLAIN, at, record={"note": text}, complaint=complaint)


def escalate_complaint(ticket: Ticket, actor: Actor, now: datetime, note: str = "") -> Outcome:
    """The complaint goes beyond the estate, to the sub-district (信访): by the requester or a
    community officer, once. It counts toward the estate's petition rate."""
    if not (is_requester(ticket, actor) or actor.role is ActorRole.COMMUNITY_OFFICER):
        raise PermissionDenied("only the requester or a community officer takes a complaint beyond the estate")
    text = _note(note)
    complaint = ticket.complaint
    if complaint is None:
        raise Conflict("only a formal complaint is taken beyond the estate: file the complaint first")
    if complaint.escalated:
        raise Conflict("this complaint has already been taken beyond the estate")
    at = moment(ticket, now)
    escalated = Complaint(
        reason=complaint.reason,
        filed_at=complaint.filed_at,
        filed_by=complaint.filed_by,
        escalated_at=at,
        escalated_by=actor.subject,
        escalated_by_role=actor.role,
    )
    return advance(ticket, actor, Action.ESCALATE_COMPLAINT, at, record={"note": text}, complaint=escalated)


def record_materials(ticket: Ticket, actor: Actor, purchase: MaterialPurchase, now: datetime) -> Outcome:
    """The firm records materials bought for the ticket (any status); the service proposes the expense
    to the ledger from ``purchase.expense_proposal(ticket.id)``."""
    _require_firm(actor, "record materials")
    if not isinstance(purchase, MaterialPurchase):
        raise InvalidInput("materials are recorded as a purchase")
    at = moment(ticket, now)
    return advance(
        ticket,
        actor,
        Action.MATERIALS,
        at,
        record={"purchase": purchase},
        materials_fen=ticket.materials_fen + purchase.total_fen,
    )
