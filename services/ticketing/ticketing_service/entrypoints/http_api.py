"""HTTP API of ticketing: service targets, tickets and their steps, photos and receipts, materials.

Thin: who may call a route is a typed dependency (``entrypoints/deps.py``), every route declares its
response model and the errors it can give, in the one error schema ``{"error", "reason"}``; the
rules are the domain's (``domain/lifecycle.py``), reached through ``service_layer/tickets.py``.

What a caller sees of a ticket depends on who it is (``domain/tickets.py``, ``access``): the firm
everything; the requester, the reporter and the ticket's grid leaders all but internal notes; the
rest of the estate a public ticket in its public form (no household, people, notes or rating
comment) and nothing at all of a private one (404)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, File, Query, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from ticketing_service.adapters.tickets import MaterialsRecord, StoredFile
from ticketing_service.domain import lifecycle, sla
from ticketing_service.domain.materials import MaterialLine, MaterialPurchase
from ticketing_service.domain.satisfaction import Rating
from ticketing_service.domain.targets import CategoryTarget, ServiceTargets, Urgency
from ticketing_service.domain.tickets import Access, Status, Ticket, Transition
from ticketing_service.entrypoints.deps import (
    AnyMember,
    Escalator,
    FirmMember,
    Reporter,
    Requester,
    Supervisor,
    TicketingDep,
    Writer,
    as_caller,
    mark_replayed,
)
from ticketing_service.service_layer import tickets as cases
from xinyi_shared.api import OptionalIdempotencyKey, errors
from xinyi_shared.blobs import BlobTampered
from xinyi_shared.errors import Conflict, InvalidInput
from xinyi_shared.http import EstateCode, api_router

UPLOAD_LIMIT = 10 * 1024 * 1024 + 64 * 1024  # the photo limit and the multipart envelope
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="The SHA-256 of a file uploaded first")]
TicketId = Annotated[str, Field(min_length=1, max_length=128)]


# Service targets ----------------------------------------------------------------------------------


class CategoryTargetBody(BaseModel):
    category: str = Field(examples=["elevator"])
    urgency: Urgency | None = Field(default=None, description="One urgency, or null for every urgency")
    first_response_minutes: int = Field(examples=[15])
    resolution_minutes: int = Field(examples=[240])


class ServiceTargetsPublic(BaseModel):
    estate_code: str = Field(examples=["jinhe-lvzhou"])
    time_zone: str = Field(description="The estate's IANA time zone", examples=["Asia/Shanghai"])
    first_response_minutes: int = Field(description="A report is answered within this many minutes", examples=[30])
    resolution_minutes: int = Field(description="A report is fixed within this many minutes", examples=[60])
    categories: list[str] = Field(description="The categories residents choose from")
    overrides: list[CategoryTargetBody] = Field(description="Targets of a category (at one urgency or every one)")
    escalation_grace_minutes: int | None = Field(
        description="After a missed target, how long until the community officer is called in (null: the target again)"
    )
    auto_confirm_minutes: int = Field(description="A resolved ticket is confirmed for a silent resident after this")
    reopen_window_minutes: int = Field(description="A confirmed ticket may be reopened for this long, then closes")

    @classmethod
    def of(cls, targets: ServiceTargets) -> ServiceTargetsPublic:
        return cls(
            estate_code=targets.estate_code,
            time_zone=targets.time_zone,
            first_response_minutes=targets.first_response_minutes,
            resolution_minutes=targets.resolution_minutes,
            categories=list(targets.categories),
            overrides=[
                CategoryTargetBody(
                    category=o.category,
                    urgency=o.urgency,
                    first_response_minutes=o.first_response_minutes,
                    resolution_minutes=o.resolution_minutes,
                )
                for o in targets.overrides
            ],
            escalation_grace_minutes=targets.escalation_grace_minutes,
            auto_confirm_minutes=targets.auto_confirm_minutes,
            reopen_window_minutes=targets.reopen_window_minutes,
        )


class ServiceTargetsBody(BaseModel):
    first_response_minutes: int = Field(examples=[30])
    resolution_minutes: int = Field(examples=[60])
    categories: list[str] | None = Field(default=None, description="Null keeps the estate's categories")
    overrides: list[CategoryTargetBody] = Field(default_factory=list)
    escalation_grace_minutes: int | None = None
    auto_confirm_minutes: int = 3 * 24 * 60
    reopen_window_minutes: int = 7 * 24 * 60


# Tickets ------------------------------------------------------------------------------------------


class ReportBody(BaseModel):
    category: str = Field(examples=["lighting"])
    urgency: Urgency = Field(default=Urgency.NORMAL, examples=["urgent"])
    description: str = Field(examples=["3栋2单元5楼楼道灯不亮"])
    household_id: str | None = Field(
        default=None, description="The household it is for (a resident's own; the firm names the resident's)"
    )
    area: str | None = Field(
        default=None, description="A building or common area, when the problem is not inside the dwelling"
    )
    grid_code: str | None = Field(default=None, description="A grid leader's report for no household: its grid")
    photos: list[Sha256] = Field(default_factory=list, max_length=9, description="Photos uploaded first")
    visibility: Literal["private", "public"] = Field(
        default="private", description="public: the whole estate sees it (common areas); private: household and firm"
    )


class RatingPublic(BaseModel):
    score: int
    comment: str | None = Field(description="Null for anyone but the firm, the requester and the ticket's grid")


class BreachPublic(BaseModel):
    kind: str = Field(examples=["first_response"])
    level: str = Field(examples=["firm_manager"])
    deadline: datetime
    detected_at: datetime


class FiguresPublic(BaseModel):
    first_response_seconds: int | None
    resolution_seconds: int | None
    first_response_met: bool | None
    resolution_met: bool | None
    reopen_count: int


class TicketPublic(BaseModel):
    id: str
    estate_code: str
    view: str = Field(description="How much of the ticket the caller sees: public, requester or staff")
    category: str
    urgency: str
    status: str
    visibility: str
    area: str | None = Field(description="The building or common area, if not inside the dwelling")
    grid_code: str | None
    description: str
    photos: list[str]
    household_id: str | None = Field(description="Null in the public view")
    reporter_kind: str
    reporter_subject: str | None = Field(description="Null in the public view")
    assignee: str | None = Field(description="Null in the public view")
    reported_at: datetime
    first_response_due_at: datetime
    resolution_due_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    confirmed_at: datetime | None
    auto_confirmed: bool
    closed_at: datetime | None
    withdrawn_at: datetime | None
    reopen_count: int
    resolution_note: str | None = Field(description="Null in the public view")
    resolution_photos: list[str]
    rating: RatingPublic | None
    breaches: list[BreachPublic]
    escalation_level: str | None
    complaint: bool
    complaint_escalated: bool
    materials_fen: int
    figures: FiguresPublic
    version: int

    @classmethod
    def of(cls, ticket: Ticket, level: Access) -> TicketPublic:
        full = level in (Access.REQUESTER, Access.STAFF)
        figures = sla.figures(ticket)
        rating = ticket.rating
        return cls(
            id=ticket.id,
            estate_code=ticket.estate_code,
            view=level.value,
            category=ticket.category,
            urgency=ticket.urgency.value,
            status=ticket.status.value,
            visibility=ticket.visibility.value,
            area=ticket.location.area,
            grid_code=ticket.grid_code,
            description=ticket.description,
            photos=list(ticket.photos),
            household_id=ticket.household_id if full else None,
            reporter_kind=ticket.reporter_kind.value,
            reporter_subject=ticket.reporter_subject if full else None,
            assignee=ticket.assignee if full else None,
            reported_at=ticket.reported_at,
            first_response_due_at=ticket.first_response_due_at,
            resolution_due_at=ticket.resolution_due_at,
            acknowledged_at=ticket.acknowledged_at,
            resolved_at=ticket.resolved_at,
            confirmed_at=ticket.confirmed_at,
            auto_confirmed=ticket.auto_confirmed,
            closed_at=ticket.closed_at,
            withdrawn_at=ticket.withdrawn_at,
            reopen_count=ticket.reopen_count,
            resolution_note=ticket.resolution_note if full else None,
            resolution_photos=list(ticket.resolution_photos),
            rating=None
            if rating is None
            else RatingPublic(score=rating.score, comment=rating.comment if full else None),
            breaches=[
                BreachPublic(kind=b.kind.value, level=b.level.value, deadline=b.deadline, detected_at=b.detected_at)
                for b in ticket.breaches
            ],
            escalation_level=ticket.escalation_level.value if ticket.escalation_level else None,
            complaint=ticket.complaint is not None,
            complaint_escalated=ticket.complaint is not None and ticket.complaint.escalated,
            materials_fen=ticket.materials_fen,
            figures=FiguresPublic(**figures.__dict__),
            version=ticket.version,
        )


class TransitionPublic(BaseModel):
    seq: int
    action: str
    at: datetime
    from_status: str | None
    to_status: str
    actor_role: str
    actor_subject: str | None = Field(description="Null in the public view")
    note: str | None = Field(description="Null in the public view")
    internal: bool
    assignee: str | None
    rating: RatingPublic | None
    breach: BreachPublic | None
    photos: list[str]
    materials_fen: int | None = Field(description="The purchase's total, on a materials step")
    category: str | None
    urgency: str | None

    @classmethod
    def of(cls, transition: Transition, level: Access) -> TransitionPublic:
        full = level in (Access.REQUESTER, Access.STAFF)
        rating, breach = transition.rating, transition.breach
        return cls(
            seq=transition.seq,
            action=transition.action.value,
            at=transition.at,
            from_status=transition.from_status.value if transition.from_status else None,
            to_status=transition.to_status.value,
            actor_role=transition.actor_role.value,
            actor_subject=transition.actor_subject if full else None,
            note=transition.note if full else None,
            internal=transition.internal,
            assignee=transition.assignee if full else None,
            rating=None
            if rating is None
            else RatingPublic(score=rating.score, comment=rating.comment if full else None),
            breach=None
            if breach is None
            else BreachPublic(
                kind=breach.kind.value,
                level=breach.level.value,
                deadline=breach.deadline,
                detected_at=breach.detected_at,
            ),
            photos=list(transition.photos),
            materials_fen=transition.purchase.total_fen if transition.purchase else None,
            category=transition.category,
            urgency=transition.urgency.value if transition.urgency else None,
        )


class MaterialsPublic(BaseModel):
    seq: int = Field(description="The step of the ticket's history that recorded them")
    expense_id: str = Field(
        description="The ledger's expense proposal (GET /api/ledger/v1/estates/{code}/expenses/{id})"
    )
    amount_fen: int
    account: str
    expense_status: str
    recorded_at: datetime

    @classmethod
    def of(cls, record: MaterialsRecord) -> MaterialsPublic:
        return cls(
            seq=record.seq,
            expense_id=record.expense_id,
            amount_fen=record.amount_fen,
            account=record.account,
            expense_status=record.expense_status,
            recorded_at=record.recorded_at,
        )


class TicketDetail(BaseModel):
    ticket: TicketPublic
    history: list[TransitionPublic]
    materials: list[MaterialsPublic]


class TicketPage(BaseModel):
    tickets: list[TicketPublic]
    next_before: str | None = Field(description="Pass as ?before= for the next page; null on the last one")


class NoteBody(BaseModel):
    note: str = Field(default="", max_length=2000)


class ResolveBody(BaseModel):
    note: str = Field(description="What was done (the resident confirms against it)", examples=["更换LED灯泡"])
    photos: list[Sha256] = Field(default_factory=list, max_length=9)


class ConfirmBody(BaseModel):
    score: int = Field(description="1-5; 4 or 5 is a satisfied resident", examples=[5])
    comment: str = Field(default="", max_length=500)


class ReasonBody(BaseModel):
    reason: str = Field(examples=["灯还是不亮"])


class OptionalReasonBody(BaseModel):
    reason: str = ""


class AssignBody(BaseModel):
    assignee: str = Field(description="The staff member's account id (token subject)")
    note: str = ""


class TicketNoteBody(BaseModel):
    text: str
    internal: bool = Field(default=False, description="The firm's internal note, never shown to residents")


class ReclassifyBody(BaseModel):
    category: str | None = None
    urgency: Urgency | None = None
    note: str = ""


class MaterialLineBody(BaseModel):
    item: str = Field(examples=["LED灯泡"])
    quantity: Decimal = Field(examples=["2"], description="A whole number or up to three decimals")
    unit: str = Field(default="", examples=["个"])
    unit_price_fen: int = Field(examples=[1250])


class MaterialsBody(BaseModel):
    supplier: str = Field(examples=["五金店"])
    lines: list[MaterialLineBody] = Field(min_length=1, max_length=50)
    budget_line: str = Field(examples=["5600"], description="The adopted budget's line (5100-5999)")
    receipts: list[Sha256] = Field(min_length=1, max_length=10, description="Receipts uploaded first")


class MaterialsAnswer(BaseModel):
    ticket: TicketPublic
    materials: MaterialsPublic


class FilePublic(BaseModel):
    sha256: str
    size: int
    media_type: str
    purpose: str
    file_name: str

    @classmethod
    def of(cls, stored: StoredFile) -> FilePublic:
        return cls(
            sha256=stored.sha256,
            size=stored.size,
            media_type=stored.media_type,
            purpose=stored.purpose,
            file_name=stored.file_name,
        )


class NotificationPublic(BaseModel):
    recipient_kind: str = Field(description="person, grid, firm_queue or role")
    recipient: str
    kind: str
    text: str
    attempts: int


class MonthFiguresPublic(BaseModel):
    estate_code: str
    month: str = Field(examples=["2031-03"])
    households: int = Field(description="The estate's households now (the base of the petition rate)")
    reported: int = Field(description="Tickets reported in the month (the estate's time zone)")
    resolved: int
    withdrawn: int
    first_response_median_seconds: int | None
    first_response_p90_seconds: int | None
    resolution_median_seconds: int | None
    resolution_p90_seconds: int | None
    first_response_within_target_bps: int | None = Field(description="Of the tickets answered; 10000 = 100%")
    resolution_within_target_bps: int | None = Field(description="Of the tickets resolved")
    breached: int = Field(description="Tickets that missed a target")
    ratings: int
    satisfaction_rate_bps: int | None = Field(description="Ratings of 4 or 5 of all ratings; null without a rating")
    complaints: int
    petitions: int = Field(description="Complaints taken beyond the estate in the month")
    petition_rate_bps: int | None = Field(description="Petitions per 10,000 households, rounded up")


def _quantity(value: Decimal) -> int | Decimal:
    return int(value) if value == value.to_integral_value() else value


def _cursor(before: str | None) -> tuple[datetime, str] | None:
    if before is None:
        return None
    moment, _, ticket_id = before.partition("~")
    try:
        return datetime.fromisoformat(moment), ticket_id
    except ValueError:
        raise InvalidInput("before is the next_before of a previous page") from None


def build_router() -> APIRouter:
    router = api_router(prefix="/v1/estates/{code}")
    ticket_errors = errors(404, 409, 422, 503)

    @router.get(
        "/service-targets",
        response_model=ServiceTargetsPublic,
        responses=errors(404, 422, 503, described={404: "No such estate known to ticketing"}),
        summary="How fast reports must be answered and fixed (anyone of the estate)",
        tags=["service targets"],
    )
    def get_targets(code: EstateCode, principal: AnyMember, ticketing: TicketingDep) -> ServiceTargetsPublic:
        return ServiceTargetsPublic.of(cases.estate_targets(ticketing, code))

    @router.put(
        "/service-targets",
        response_model=ServiceTargetsPublic,
        responses=errors(404, 422, 503),
        summary="Set the estate's categories and targets (the owners' supervisor); reported tickets keep theirs",
        tags=["service targets"],
    )
    def put_targets(
        code: EstateCode, body: ServiceTargetsBody, principal: Supervisor, ticketing: TicketingDep
    ) -> ServiceTargetsPublic:
        def build(current: ServiceTargets) -> ServiceTargets:
            return ServiceTargets(
                code,
                current.time_zone,
                body.first_response_minutes,
                body.resolution_minutes,
                categories=tuple(body.categories) if body.categories is not None else current.categories,
                overrides=tuple(
                    CategoryTarget(o.category, o.urgency, o.first_response_minutes, o.resolution_minutes)
                    for o in body.overrides
                ),
                escalation_grace_minutes=body.escalation_grace_minutes,
                auto_confirm_minutes=body.auto_confirm_minutes,
                reopen_window_minutes=body.reopen_window_minutes,
            )

        return ServiceTargetsPublic.of(cases.set_targets(ticketing, code, build))

    @router.post(
        "/ticket-files",
        status_code=201,
        response_model=FilePublic,
        responses=errors(404, 409, 413, 422, 503),
        summary="Upload a photo (PNG, JPEG, WebP, HEIC) or, for the firm, a receipt (also PDF); checked from its bytes",
        tags=["tickets"],
    )
    async def upload_file(
        code: EstateCode,
        principal: Reporter,
        ticketing: TicketingDep,
        file: Annotated[UploadFile, File(description="The photo or receipt")],
        purpose: Annotated[Literal["photo", "receipt"], Query(description="photo or receipt")] = "photo",
    ) -> FilePublic:
        data = await file.read(UPLOAD_LIMIT + 1)
        if len(data) > UPLOAD_LIMIT:
            raise InvalidInput("a file is at most 10 MiB")

        def store() -> StoredFile:
            return cases.upload_file(
                ticketing, as_caller(ticketing, code, principal), data, file.filename or "", purpose
            )

        return FilePublic.of(await run_in_threadpool(store))

    @router.post(
        "/tickets",
        status_code=201,
        response_model=TicketPublic,
        responses=ticket_errors,
        summary="Report a problem (a resident for its household, the firm for a resident, a grid leader)",
        tags=["tickets"],
    )
    def report(
        code: EstateCode,
        body: ReportBody,
        principal: Reporter,
        ticketing: TicketingDep,
        key: OptionalIdempotencyKey,
        response: Response,
    ) -> TicketPublic:
        who = as_caller(ticketing, code, principal)
        request = cases.ReportRequest(
            category=body.category,
            urgency=body.urgency.value,
            description=body.description,
            household_id=body.household_id,
            area=body.area,
            grid_code=body.grid_code,
            photos=tuple(body.photos),
            visibility=body.visibility,
        )
        ticket, replayed = cases.report_ticket(ticketing, who, request, key)
        mark_replayed(response, replayed)
        return TicketPublic.of(ticket, cases.access_of(ticket, who))

    @router.get(
        "/tickets",
        response_model=TicketPage,
        responses=errors(404, 422, 503),
        summary="Tickets the caller may see, newest first (the firm: all; residents: their own and public ones)",
        tags=["tickets"],
    )
    def list_tickets(
        code: EstateCode,
        principal: AnyMember,
        ticketing: TicketingDep,
        status: Annotated[Status | None, Query()] = None,
        category: Annotated[str | None, Query(max_length=40)] = None,
        assignee: Annotated[str | None, Query(max_length=128)] = None,
        open: Annotated[bool, Query(description="Only open, acknowledged and in-progress tickets")] = False,
        mine: Annotated[bool, Query(description="Only the tickets the caller reported or is requester of")] = False,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        before: Annotated[str | None, Query(max_length=200, description="next_before of the previous page")] = None,
    ) -> TicketPage:
        who = as_caller(ticketing, code, principal)
        request = cases.ListRequest(
            status=status.value if status else None,
            category=category,
            assignee=assignee,
            open_only=open,
            mine=mine,
            limit=limit,
            before=_cursor(before),
        )
        shown = cases.list_tickets(ticketing, who, request)
        last = shown[-1][0] if len(shown) == limit else None
        return TicketPage(
            tickets=[TicketPublic.of(ticket, level) for ticket, level in shown],
            next_before=f"{last.reported_at.isoformat()}~{last.id}" if last else None,
        )

    @router.get(
        "/ticket-figures/{month}",
        response_model=MonthFiguresPublic,
        responses=errors(404, 422, 503),
        summary="The month's service figures: response and fix times, targets met, satisfaction, petitions "
        "(anyone of the estate; no person or household)",
        tags=["tickets"],
    )
    def month_figures(
        code: EstateCode, month: str, principal: AnyMember, ticketing: TicketingDep
    ) -> MonthFiguresPublic:
        figures, households = cases.estate_month_figures(ticketing, code, month)
        return MonthFiguresPublic(estate_code=code, month=month, households=households, **figures.__dict__)

    @router.get(
        "/tickets/{ticket_id}",
        response_model=TicketDetail,
        responses=errors(404, 422, 503),
        summary="A ticket and its history, as much as the caller may see (404 for a private ticket of others)",
        tags=["tickets"],
    )
    def get_ticket(code: EstateCode, ticket_id: str, principal: AnyMember, ticketing: TicketingDep) -> TicketDetail:
        shown = cases.view_ticket(ticketing, as_caller(ticketing, code, principal), ticket_id)
        return TicketDetail(
            ticket=TicketPublic.of(shown.ticket, shown.level),
            history=[TransitionPublic.of(t, shown.level) for t in shown.history],
            materials=[MaterialsPublic.of(m) for m in shown.materials],
        )

    def step(
        code: str,
        ticket_id: str,
        principal: object,
        ticketing: cases.Ticketing,
        action: cases.Step,
        photos: list[str] | None = None,
    ) -> TicketPublic:
        who = as_caller(ticketing, code, principal)  # type: ignore[arg-type]
        ticket = cases.take_step(ticketing, who, ticket_id, action, photos=photos or ())
        return TicketPublic.of(ticket, cases.access_of(ticket, who))

    @router.post(
        "/tickets/{ticket_id}/acknowledge",
        response_model=TicketPublic,
        responses=ticket_errors,
        summary="The firm answers the report (first response)",
        tags=["ticket steps"],
    )
    def acknowledge(
        code: EstateCode, ticket_id: str, body: NoteBody, principal: FirmMember, ticketing: TicketingDep
    ) -> TicketPublic:
        return step(
            code, ticket_id, principal, ticketing, lambda t, a, now: lifecycle.acknowledge(t, a, now, body.note)
        )

    @router.post(
        "/tickets/{ticket_id}/start",
        response_model=TicketPublic,
        responses=ticket_errors,
        summary="Someone of the firm is on it (an unassigned ticket becomes theirs)",
        tags=["ticket steps"],
    )
    def start(
        code: EstateCode, ticket_id: str, body: NoteBody, principal: FirmMember, ticketing: TicketingDep
    ) -> TicketPublic:
        return step(code, ticket_id, principal, ticketing, lambda t, a, now: lifecycle.start(t, a, now, body.note))

    @router.post(
        "/tickets/{ticket_id}/resolve",
        response_model=TicketPublic,
        responses=ticket_errors,
        summary="The firm says it is fixed, saying what was done, with photos of the fix",
        tags=["ticket steps"],
    )
    def resolve(
        code: EstateCode, ticket_id: str, body: ResolveBody, principal: FirmMember, ticketing: TicketingDep
    ) -> TicketPublic:
        return step(
            code,
            ticket_id,
            principal,
            ticketing,
            lambda t, a, now: lifecycle.resolve(t, a, body.note, now, tuple(body.photos)),
            body.photos,
        )

    @router.post(
        "/tickets/{ticket_id}/confirm",
        response_model=TicketPublic,
        responses=ticket_errors,
        summary="The requester confirms the fix and rates it 1-5",
        tags=["ticket steps"],
    )
    def confirm(
        code: EstateCode, ticket_id: str, body: ConfirmBody, principal: Requester, ticketing: TicketingDep
    ) -> TicketPublic:
        rating = Rating(body.score, body.comment)
        return step(code, ticket_id, principal, ticketing, lambda t, a, now: lifecycle.confirm(t, a, rating, now))

    @router.post(
        "/tickets/{ticket_id}/reopen",
        response_model=TicketPublic,
        responses=ticket_errors,
        summary="The requester says it is not fixed (until the reopen window ends)",
        tags=["ticket steps"],
    )
    def reopen(
        code: EstateCode, ticket_id: str, body: ReasonBody, principal: Requester, ticketing: TicketingDep
    ) -> TicketPublic:
        return step(code, ticket_id, principal, ticketing, lambda t, a, now: lifecycle.reopen(t, a, body.reason, now))

    @router.post(
        "/tickets/{ticket_id}/withdraw",
        response_model=TicketPublic,
        responses=ticket_errors,
        summary="The requester no longer needs it",
        tags=["ticket steps"],
    )
    def withdraw(
        code: EstateCode, ticket_id: str, body: OptionalReasonBody, principal: Requester, ticketing: TicketingDep
    ) -> TicketPublic:
        return step(code, ticket_id, principal, ticketing, lambda t, a, now: lifecycle.withdraw(t, a, now, body.reason))

    @router.post(
        "/tickets/{ticket_id}/assign",
        response_model=TicketPublic,
        responses=ticket_errors,
        summary="Assign to a staff member (the manager; staff take an unassigned ticket)",
        tags=["ticket steps"],
    )
    def assign(
        code: EstateCode, ticket_id: str, body: AssignBody, principal: FirmMember, ticketing: TicketingDep
    ) -> TicketPublic:
        who = as_caller(ticketing, code, principal)
        ticket = cases.assign_ticket(ticketing, who, ticket_id, body.assignee, body.note)
        return TicketPublic.of(ticket, cases.access_of(ticket, who))

    @router.post(
        "/tickets/{ticket_id}/notes",
        response_model=TicketPublic,
        responses=ticket_errors,
        summary="A note: the firm's internal ones, or a message between the firm and the requester",
        tags=["ticket steps"],
    )
    def note(
        code: EstateCode, ticket_id: str, body: TicketNoteBody, principal: Writer, ticketing: TicketingDep
    ) -> TicketPublic:
        return step(
            code,
            ticket_id,
            principal,
            ticketing,
            lambda t, a, now: lifecycle.add_note(t, a, body.text, now, internal=body.internal),
        )

    @router.post(
        "/tickets/{ticket_id}/reclassify",
        response_model=TicketPublic,
        responses=ticket_errors,
        summary="The firm corrects category or urgency; the deadlines follow",
        tags=["ticket steps"],
    )
    def reclassify(
        code: EstateCode, ticket_id: str, body: ReclassifyBody, principal: FirmMember, ticketing: TicketingDep
    ) -> TicketPublic:
        targets = cases.estate_targets(ticketing, code)
        return step(
            code,
            ticket_id,
            principal,
            ticketing,
            lambda t, a, now: lifecycle.reclassify(
                t, a, targets, now, category=body.category, urgency=body.urgency, note=body.note
            ),
        )

    @router.post(
        "/tickets/{ticket_id}/complaint",
        response_model=TicketPublic,
        responses=ticket_errors,
        summary="The requester files a formal complaint (投诉)",
        tags=["ticket steps"],
    )
    def complain(
        code: EstateCode, ticket_id: str, body: ReasonBody, principal: Requester, ticketing: TicketingDep
    ) -> TicketPublic:
        return step(
            code, ticket_id, principal, ticketing, lambda t, a, now: lifecycle.file_complaint(t, a, body.reason, now)
        )

    @router.post(
        "/tickets/{ticket_id}/complaint/escalate",
        response_model=TicketPublic,
        responses=ticket_errors,
        summary="Take the complaint beyond the estate (the requester or a community officer): a petition",
        tags=["ticket steps"],
    )
    def escalate(
        code: EstateCode, ticket_id: str, body: NoteBody, principal: Escalator, ticketing: TicketingDep
    ) -> TicketPublic:
        return step(
            code, ticket_id, principal, ticketing, lambda t, a, now: lifecycle.escalate_complaint(t, a, now, body.note)
        )

    @router.post(
        "/tickets/{ticket_id}/materials",
        status_code=201,
        response_model=MaterialsAnswer,
        responses=ticket_errors,
        tags=["ticket steps"],
        summary="Record materials bought for it: proposed to the ledger as an expense (dual approval)",
    )
    def materials(
        code: EstateCode,
        ticket_id: str,
        body: MaterialsBody,
        principal: FirmMember,
        ticketing: TicketingDep,
        key: OptionalIdempotencyKey,
        response: Response,
    ) -> MaterialsAnswer:
        purchase = MaterialPurchase(
            supplier=body.supplier,
            lines=tuple(
                MaterialLine(line.item, _quantity(line.quantity), line.unit_price_fen, line.unit) for line in body.lines
            ),
            budget_line=body.budget_line,
            receipts=tuple(body.receipts),
        )
        who = as_caller(ticketing, code, principal)
        ticket, record, replayed = cases.record_materials(ticketing, who, ticket_id, purchase, key)
        mark_replayed(response, replayed)
        return MaterialsAnswer(
            ticket=TicketPublic.of(ticket, cases.access_of(ticket, who)), materials=MaterialsPublic.of(record)
        )

    @router.get(
        "/tickets/{ticket_id}/files/{sha256}",
        response_class=Response,
        responses=errors(404, 409, 422, 503),
        summary="A photo of a ticket the caller may see (a receipt: the firm and the requester)",
        tags=["tickets"],
    )
    def download(
        code: EstateCode, ticket_id: str, sha256: str, principal: AnyMember, ticketing: TicketingDep
    ) -> Response:
        try:
            stored, data = cases.ticket_file(ticketing, as_caller(ticketing, code, principal), ticket_id, sha256)
        except BlobTampered as error:
            raise Conflict(f"file {sha256} is tampered: its bytes no longer match their SHA-256") from error
        return Response(content=data, media_type=stored.media_type, headers={"X-Content-Type-Options": "nosniff"})

    @router.get(
        "/tickets/{ticket_id}/notifications",
        response_model=list[NotificationPublic],
        responses=errors(404, 422, 503),
        summary="Who was told what about the ticket (the firm)",
        tags=["tickets"],
    )
    def notifications(
        code: EstateCode, ticket_id: str, principal: FirmMember, ticketing: TicketingDep
    ) -> list[NotificationPublic]:
        sent = cases.ticket_notifications(ticketing, as_caller(ticketing, code, principal), ticket_id)
        return [
            NotificationPublic(
                recipient_kind=n.recipient_kind,
                recipient=n.recipient,
                kind=n.kind,
                text=str(n.message.get("text", "")),
                attempts=n.attempts,
            )
            for n in sent
        ]

    return router
