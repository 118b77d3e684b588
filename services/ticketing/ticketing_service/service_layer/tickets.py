"""Use cases of tickets: report, every step people take, reading and listing by what a caller may
see, photos and receipts, materials proposed to the ledger, and the estate's targets.

A person's token may carry several roles (a resident who is also a grid leader). The domain acts
with one role at a time, so a step is tried in each role the person holds, in the order of
:data:`ROLE_ORDER` (the requester's roles first, so a resident confirms its own ticket as resident),
and the first the domain allows is taken; when none is, the first refusal is the answer. What a
person may see of a ticket is the most any of its roles may see.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from ticketing_service.adapters.directory import Membership, ProposedExpense
from ticketing_service.adapters.tickets import MaterialsRecord, Notification, StoredFile, TicketFilter
from ticketing_service.domain import lifecycle, sla
from ticketing_service.domain.figures import MonthFigures, month_figures
from ticketing_service.domain.materials import MaterialPurchase
from ticketing_service.domain.targets import ServiceTargets
from ticketing_service.domain.tickets import (
    Access,
    Actor,
    ActorRole,
    Location,
    Outcome,
    Report,
    Ticket,
    Transition,
    access,
    report,
    shows,
)
from ticketing_service.service_layer.announce import announce
from ticketing_service.service_layer.unit_of_work import TicketingUnitOfWork
from xinyi.ticketing.v1 import events_pb2
from xinyi_shared.auth import Principal
from xinyi_shared.blobs import BlobStore, MediaType
from xinyi_shared.clock import Clock
from xinyi_shared.errors import Conflict, InvalidInput, NotFound, PermissionDenied, XinyiError

ROLE_ORDER = (
    ActorRole.RESIDENT,
    ActorRole.GRID_LEADER,
    ActorRole.FIRM_MANAGER,
    ActorRole.FIRM_STAFF,
    ActorRole.COMMUNITY_OFFICER,
    ActorRole.SUPERVISOR,
)
PHOTO_TYPES = frozenset({MediaType.PNG, MediaType.JPEG, MediaType.WEBP, MediaType.HEIC})
RECEIPT_TYPES = frozenset({MediaType.PDF, MediaType.PNG, MediaType.JPEG, MediaType.WEBP})
MAX_PAGE = 200


class Directory(Protocol):
    def membership(self, estate_code: str, subject: str, username: str) -> Membership: ...

    def household_grid(self, estate_code: str, household_id: str) -> str | None: ...

    def household_count(self, estate_code: str) -> int: ...

    def estate_staff(self, estate_code: str) -> frozenset[str]: ...


class Expenses(Protocol):
    def upload_voucher(self, estate_code: str, content: bytes, file_name: str, uploaded_by: str) -> str: ...

    def propose(
        self,
        estate_code: str,
        key: str,
        *,
        payee: str,
        amount_fen: int,
        account: str,
        description: str,
        vouchers: tuple[str, ...],
        proposed_by: str,
        proposed_by_name: str,
        ticket_id: str,
    ) -> ProposedExpense: ...


UnitOfWorkFactory = Callable[[str], TicketingUnitOfWork]


@dataclass
class Ticketing:
    """What the use cases work with (built once per process)."""

    unit_of_work: UnitOfWorkFactory
    directory: Directory
    clock: Clock
    store: BlobStore
    expenses: Expenses | None = None
    photo_max_bytes: int = 10 * 1024 * 1024


@dataclass
class Caller:
    """A person of an estate, with the actors its roles make of it."""

    estate_code: str
    principal: Principal
    actors: list[Actor] = field(default_factory=list)

    @property
    def subject(self) -> str:
        return self.principal.subject


def caller(ticketing: Ticketing, estate_code: str, principal: Principal) -> Caller:
    roles = [role for role in ROLE_ORDER if principal.has_role(role.value)]
    membership = Membership(frozenset(), frozenset())
    if ActorRole.RESIDENT in roles or ActorRole.GRID_LEADER in roles:
        membership = ticketing.directory.membership(estate_code, principal.subject, principal.username)
    actors = [
        Actor(
            principal.subject,
            role,
            households=membership.households if role is ActorRole.RESIDENT else frozenset(),
            grids=membership.grids if role is ActorRole.GRID_LEADER else frozenset(),
        )
        for role in roles
    ]
    return Caller(estate_code, principal, actors)


def access_of(ticket: Ticket, who: Caller) -> Access:
    ranks = [Access.NONE, Access.PUBLIC, Access.REQUESTER, Access.STAFF]
    best = Access.NONE
    for actor in who.actors:
        level = access(ticket, actor)
        if ranks.index(level) > ranks.index(best):
            best = level
    return best


def _first_allowed(who: Caller, step: Callable[[Actor], Outcome]) -> Outcome:
    if not who.actors:
        raise PermissionDenied("none of your roles works on tickets")
    refusal: XinyiError | None = None
    for actor in who.actors:
        try:
            return step(actor)
        except PermissionDenied as error:
            refusal = refusal or error
    assert refusal is not None
    raise refusal


def _publish(uow: TicketingUnitOfWork, outcome: Outcome) -> None:
    announcement = announce(outcome)
    for message in announcement.events:
        uow.publish(message)
    uow.tickets.notify(announcement.notifications)


# Report --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportRequest:
    category: str
    urgency: str
    description: str
    household_id: str | None = None
    area: str | None = None
    grid_code: str | None = None
    photos: tuple[str, ...] = ()
    visibility: str = "private"


def _fingerprint(request: ReportRequest, subject: str) -> str:
    body = json.dumps([subject, request.__dict__], sort_keys=True, default=list, ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


def report_ticket(
    ticketing: Ticketing, who: Caller, request: ReportRequest, key: str | None = None
) -> tuple[Ticket, bool]:
    """Open a ticket; with an idempotency key a retry answers the first ticket (True: replayed)."""
    code = who.estate_code
    request = _with_own_household(who, request)
    if request.household_id is None and request.area is None:
        raise InvalidInput("say where the problem is: a household_id, or an area (building or common area)")
    location = (
        Location.common_area(request.area)
        if request.area is not None
        else Location.household(str(request.household_id))
    )
    grid = request.grid_code
    if request.household_id is not None:
        grid = ticketing.directory.household_grid(code, request.household_id)
    draft = Report(
        category=request.category,
        urgency=request.urgency,  # type: ignore[arg-type]  # checked by Report
        location=location,
        description=request.description,
        photos=request.photos,
        visibility=request.visibility,  # type: ignore[arg-type]
        household_id=request.household_id,
        grid_code=grid,
    )
    ticket_id = str(uuid.uuid4())
    with ticketing.unit_of_work(code) as uow:
        if key is not None:
            first = uow.tickets.claim_report_key(code, key, _fingerprint(request, who.subject), ticket_id)
            if first is not None:
                earlier = uow.tickets.get(first)
                if earlier is None:
                    raise NotFound("the ticket this key opened is gone")
                return earlier, True
        targets = uow.targets.get(code)
        if targets is None:
            raise NotFound(f"estate {code!r} is not known to ticketing")
        _check_files(uow, draft.photos, "photo")
        now = ticketing.clock.now()
        outcome = _first_allowed(who, lambda actor: report(ticket_id, actor, draft, targets, now))
        uow.tickets.add(outcome, sla.next_timer(outcome.ticket))
        _publish(uow, outcome)
        uow.commit()
    return outcome.ticket, False


def _with_own_household(who: Caller, request: ReportRequest) -> ReportRequest:
    """A resident of exactly one household who reports without naming it reports for it (what a
    phone page would send); anyone else names the household, or reports a common area as a grid leader."""
    if request.household_id is not None or any(actor.role is not ActorRole.RESIDENT for actor in who.actors):
        return request
    households = {h for actor in who.actors for h in actor.households}
    if len(households) != 1:
        return request
    return dataclasses.replace(request, household_id=next(iter(households)))


def _check_files(uow: TicketingUnitOfWork, shas: Sequence[str], purpose: str) -> None:
    known = uow.tickets.files(list(shas))
    missing = [sha for sha in shas if sha not in known or known[sha].purpose != purpose]
    if missing:
        raise InvalidInput(f"{purpose}(s) {', '.join(missing)} were not uploaded to this estate first")


# Steps ---------------------------------------------------------------------------------------------

Step = Callable[[Ticket, Actor, datetime], Outcome]


def take_step(ticketing: Ticketing, who: Caller, ticket_id: str, step: Step, *, photos: Sequence[str] = ()) -> Ticket:
    """One person's step on a ticket, under the ticket's row lock; the scheduler's timer follows."""
    with ticketing.unit_of_work(who.estate_code) as uow:
        ticket = uow.tickets.get(ticket_id, for_update=True)
        if ticket is None or access_of(ticket, who) is Access.NONE:
            raise NotFound("no such ticket in this estate")
        if photos:
            _check_files(uow, photos, "photo")
        now = ticketing.clock.now()
        outcome = _first_allowed(who, lambda actor: step(ticket, actor, now))
        uow.tickets.save(outcome, ticket.version, sla.next_timer(outcome.ticket))
        _publish(uow, outcome)
        uow.commit()
    return outcome.ticket


def assign_ticket(ticketing: Ticketing, who: Caller, ticket_id: str, assignee: str, note: str = "") -> Ticket:
    """Give the ticket to an account of the estate's firm (the tenant's list of its staff): a ticket
    assigned to anybody else would wait for someone who never sees it. A ticket the caller cannot see
    is 404 first, as for every step; the staff are asked before the ticket's row lock is taken."""
    with ticketing.unit_of_work(who.estate_code) as uow:
        ticket = uow.tickets.get(ticket_id)
        if ticket is None or access_of(ticket, who) is Access.NONE:
            raise NotFound("no such ticket in this estate")
    if assignee not in ticketing.directory.estate_staff(who.estate_code):
        raise InvalidInput(
            "the assignee is not an account of this estate's firm (GET /api/tenant/v1/estates/{code}/staff lists them)"
        )
    return take_step(ticketing, who, ticket_id, lambda t, actor, now: lifecycle.assign(t, actor, assignee, now, note))


@dataclass(frozen=True)
class TicketView:
    ticket: Ticket
    level: Access
    history: list[Transition]
    materials: list[MaterialsRecord]


def view_ticket(ticketing: Ticketing, who: Caller, ticket_id: str) -> TicketView:
    with ticketing.unit_of_work(who.estate_code) as uow:
        ticket = uow.tickets.get(ticket_id)
        level = Access.NONE if ticket is None else access_of(ticket, who)
        if ticket is None or level is Access.NONE:
            raise NotFound("no such ticket in this estate")
        history = [t for t in uow.tickets.history(ticket_id) if shows(level, t)]
        materials = uow.tickets.materials(ticket_id) if level in (Access.STAFF, Access.REQUESTER) else []
    return TicketView(ticket, level, history, materials)


@dataclass(frozen=True)
class ListRequest:
    status: str | None = None
    category: str | None = None
    assignee: str | None = None
    open_only: bool = False
    mine: bool = False  # only the tickets the caller reported or is the requester of
    limit: int = 50
    before: tuple[datetime, str] | None = None


def list_tickets(ticketing: Ticketing, who: Caller, request: ListRequest) -> list[tuple[Ticket, Access]]:
    """The tickets the caller may see, newest first, each with how much of it the caller may see."""
    if not 1 <= request.limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}")
    firm = any(actor.is_firm for actor in who.actors)
    households = sorted({h for actor in who.actors for h in actor.households})
    grids = sorted({g for actor in who.actors for g in actor.grids})
    officer = any(actor.role is ActorRole.COMMUNITY_OFFICER for actor in who.actors)
    base = {
        "status": request.status,
        "category": request.category,
        "assignee": request.assignee,
        "open_only": request.open_only,
    }
    if firm and not request.mine:
        where = TicketFilter(**base)  # type: ignore[arg-type]
    elif request.mine:
        where = TicketFilter(**base, households=households, reporter=who.subject)  # type: ignore[arg-type]
    else:
        where = TicketFilter(
            **base,  # type: ignore[arg-type]
            households=households,
            grids=grids,
            reporter=who.subject,
            public=True,
            escalated_to_community=officer,
        )
    with ticketing.unit_of_work(who.estate_code) as uow:
        tickets = uow.tickets.listing(who.estate_code, where, request.limit, request.before)
    shown = [(ticket, access_of(ticket, who)) for ticket in tickets]
    return [(ticket, level) for ticket, level in shown if level is not Access.NONE]


# Files ---------------------------------------------------------------------------------------------


def upload_file(ticketing: Ticketing, who: Caller, data: bytes, file_name: str, purpose: str) -> StoredFile:
    """A photo (anyone who reports: resident, grid leader, firm) or a receipt (the firm): type and
    size checked from the bytes before anything is stored."""
    if purpose == "receipt":
        if not any(actor.is_firm for actor in who.actors):
            raise PermissionDenied("only the firm uploads receipts")
        allowed = RECEIPT_TYPES
    elif purpose == "photo":
        reporters = {ActorRole.RESIDENT, ActorRole.GRID_LEADER, ActorRole.FIRM_MANAGER, ActorRole.FIRM_STAFF}
        if not any(actor.role in reporters for actor in who.actors):
            raise PermissionDenied("photos are uploaded by residents, grid leaders and the firm")
        allowed = PHOTO_TYPES
    else:
        raise InvalidInput("purpose must be photo or receipt")
    with ticketing.unit_of_work(who.estate_code) as uow:
        if uow.targets.get(who.estate_code) is None:
            raise NotFound(f"estate {who.estate_code!r} is not known to ticketing")
    blob = ticketing.store.put(data, allowed=allowed, max_bytes=ticketing.photo_max_bytes)
    stored = StoredFile(blob.sha256, blob.size, blob.media_type.value, purpose, (file_name or "")[:200])
    with ticketing.unit_of_work(who.estate_code) as uow:
        uow.tickets.add_file(who.estate_code, stored, who.subject)
        known = uow.tickets.files([blob.sha256])[blob.sha256]
        uow.commit()
    if known.purpose != purpose:
        raise Conflict(f"this file was uploaded before as a {known.purpose}")
    return known


def ticket_file(ticketing: Ticketing, who: Caller, ticket_id: str, sha256: str) -> tuple[StoredFile, bytes]:
    """A photo of a ticket the caller may see, or (firm and requester) a receipt of its materials."""
    shown = view_ticket(ticketing, who, ticket_id)
    ticket = shown.ticket
    attached = set(ticket.photos) | set(ticket.resolution_photos)
    if shown.level in (Access.STAFF, Access.REQUESTER):
        attached |= {sha for t in shown.history if t.purchase is not None for sha in t.purchase.receipts}
        attached |= {sha for t in shown.history for sha in t.photos}
    if sha256 not in attached:
        raise NotFound("no such file on this ticket")
    with ticketing.unit_of_work(who.estate_code) as uow:
        stored = uow.tickets.files([sha256]).get(sha256)
    if stored is None:
        raise NotFound("no such file on this ticket")
    return stored, ticketing.store.get(sha256)


# Materials -----------------------------------------------------------------------------------------


def record_materials(
    ticketing: Ticketing, who: Caller, ticket_id: str, purchase: MaterialPurchase, key: str | None
) -> tuple[Ticket, MaterialsRecord, bool]:
    """Record materials bought for a ticket and propose their expense to the ledger (linked both
    ways). The ledger's proposal is made first, under an idempotency key derived from the request's
    key (or a new one), so a retry after any failure proposes it once; the ticket then records it."""
    expenses = ticketing.expenses
    if expenses is None:
        raise Conflict("the ledger is not reachable from this ticketing service")
    request_key = key or str(uuid.uuid4())
    code = who.estate_code
    with ticketing.unit_of_work(code) as uow:
        earlier = uow.tickets.materials_by_key(request_key)
        if earlier is not None:
            if earlier.ticket_id != ticket_id or earlier.amount_fen != purchase.total_fen:
                raise Conflict("this Idempotency-Key was used for other materials")
            replayed = uow.tickets.get(ticket_id)
            assert replayed is not None
            return replayed, earlier, True
        found = uow.tickets.get(ticket_id)
        if found is None or access_of(found, who) is Access.NONE:
            raise NotFound("no such ticket in this estate")
        # The step's checks (firm only) before anything reaches the ledger.
        _first_allowed(who, lambda a: lifecycle.record_materials(found, a, purchase, ticketing.clock.now()))
        _check_files(uow, purchase.receipts, "receipt")
    proposal = purchase.expense_proposal(ticket_id)
    vouchers = tuple(
        expenses.upload_voucher(code, ticketing.store.get(sha), f"ticket-{ticket_id[:8]}-{sha[:8]}", who.subject)
        for sha in proposal.vouchers
    )
    proposed = expenses.propose(
        code,
        _ledger_key(ticket_id, request_key),
        payee=proposal.payee,
        amount_fen=proposal.amount_fen,
        account=proposal.account,
        description=proposal.description,
        vouchers=vouchers,
        proposed_by=who.subject,
        proposed_by_name=who.principal.username or who.subject,
        ticket_id=ticket_id,
    )
    with ticketing.unit_of_work(code) as uow:
        ticket = uow.tickets.get(ticket_id, for_update=True)
        assert ticket is not None
        now = ticketing.clock.now()
        outcome = _first_allowed(who, lambda a: lifecycle.record_materials(ticket, a, purchase, now))
        record = MaterialsRecord(
            ticket_id,
            outcome.transition.seq,
            proposed.expense_id,
            purchase.total_fen,
            purchase.budget_line,
            proposed.status,
            outcome.transition.at,
        )
        uow.tickets.save(outcome, ticket.version, sla.next_timer(outcome.ticket))
        uow.tickets.add_materials(code, record, request_key)
        uow.publish(
            events_pb2.MaterialsRecorded(
                estate_code=code,
                ticket_id=ticket_id,
                expense_id=proposed.expense_id,
                amount_fen=purchase.total_fen,
                account=purchase.budget_line,
            )
        )
        _publish(uow, outcome)
        uow.commit()
    return outcome.ticket, record, False


def _ledger_key(ticket_id: str, request_key: str) -> str:
    """The ledger's idempotency key for a ticket's materials: within its 128 characters, apart from
    the estate's other keys, the same for every retry of one request."""
    digest = hashlib.sha256(f"{ticket_id}\n{request_key}".encode()).hexdigest()[:40]
    return f"ticket-materials:{digest}"


def expense_moved(uow: TicketingUnitOfWork, expense_id: str, status: str) -> bool:
    """The ledger decided or paid an expense: the ticket's materials show it (False: not a ticket's)."""
    return uow.tickets.set_expense_status(expense_id, status)


# Targets -------------------------------------------------------------------------------------------


def estate_targets(ticketing: Ticketing, estate_code: str) -> ServiceTargets:
    with ticketing.unit_of_work(estate_code) as uow:
        targets = uow.targets.get(estate_code)
    if targets is None:
        raise NotFound(f"estate {estate_code!r} is not known to ticketing")
    return targets


def set_targets(
    ticketing: Ticketing, estate_code: str, build: Callable[[ServiceTargets], ServiceTargets]
) -> ServiceTargets:
    """Replace the estate's targets; tickets already reported keep the terms they were given."""
    with ticketing.unit_of_work(estate_code) as uow:
        current = uow.targets.get(estate_code)
        if current is None:
            raise NotFound(f"estate {estate_code!r} is not known to ticketing")
        targets = build(current)
        uow.targets.put(targets)
        uow.commit()
    return targets


def ticket_notifications(ticketing: Ticketing, who: Caller, ticket_id: str) -> list[Notification]:
    shown = view_ticket(ticketing, who, ticket_id)
    if shown.level is not Access.STAFF:
        raise NotFound("no such ticket in this estate")
    with ticketing.unit_of_work(who.estate_code) as uow:
        return uow.tickets.notifications_of(ticket_id)


def estate_month_figures(ticketing: Ticketing, estate_code: str, month: str) -> tuple[MonthFigures, int]:
    """The estate's figures for ``month`` (YYYY-MM, in its time zone), and its households now."""
    try:
        first = datetime.strptime(month, "%Y-%m")
    except ValueError:
        raise InvalidInput("month is YYYY-MM") from None
    targets = estate_targets(ticketing, estate_code)
    zone = ZoneInfo(targets.time_zone)
    start = first.replace(tzinfo=zone)
    end = (
        first.replace(year=first.year + 1, month=1) if first.month == 12 else first.replace(month=first.month + 1)
    ).replace(tzinfo=zone)
    households = ticketing.directory.household_count(estate_code)
    with ticketing.unit_of_work(estate_code) as uow:
        tickets = uow.tickets.of_month(estate_code, start, end)
    return month_figures(tickets, start, end, households), households
