"""HTTP API of households, grids, memberships and invitations (thin: parse, authorise through typed
dependencies, call the service layer, shape the output)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from ipaddress import IPv4Network, IPv6Network
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, File, Path, Query, Request, Response, UploadFile, status
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from tenant_service.domain.households import Household, Relation
from tenant_service.domain.personal_data import normalize_email, normalize_phone
from tenant_service.entrypoints.deps import (
    AnyMember,
    FirmManager,
    FirmMember,
    MemberReader,
    RegisterReader,
    Resident,
)
from tenant_service.service_layer import households as cases
from tenant_service.service_layer.estates import Directory
from xinyi_shared.api import errors
from xinyi_shared.codes import ESTATE_CODE_PATTERN
from xinyi_shared.db import Database
from xinyi_shared.errors import Conflict, InvalidInput, NotFound
from xinyi_shared.http import EstateCode, PageOffset, api_router, client_address
from xinyi_shared.rate_limits import Quota, RateLimiter

MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_PAGE_SIZE = 1000  # households per page of the register
GRID_CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}$"
GridCode = Annotated[str, Path(description="The grid's code within the estate", pattern=GRID_CODE_PATTERN)]


class HouseholdPublic(BaseModel):
    id: UUID
    building: str
    unit: str
    floor: str
    room: str
    area_sqm: str = Field(description="Floor area in m², two decimals")
    area_centi_sqm: int
    grid_code: str | None
    occupied_from: date | None
    occupied_until: date | None

    @classmethod
    def of(cls, h: Household) -> HouseholdPublic:
        return cls(
            id=h.id,
            building=h.building,
            unit=h.unit,
            floor=h.floor,
            room=h.room,
            area_sqm=f"{h.area_centi_sqm // 100}.{h.area_centi_sqm % 100:02d}",
            area_centi_sqm=h.area_centi_sqm,
            grid_code=h.grid_code,
            occupied_from=h.occupied_from,
            occupied_until=h.occupied_until,
        )


class OwnerMasked(BaseModel):
    name: str = Field(description="Masked: the first character, then a star per further character")
    phone: str = Field(description="Masked (138****1234); empty when unknown")


class HouseholdListed(BaseModel):
    """A row of the household register: the dwelling and its owners, masked."""

    id: UUID
    building: str
    unit: str
    floor: str
    room: str
    area_centi_sqm: int
    grid_code: str | None
    occupied_from: date | None
    member_count: int
    owners: list[OwnerMasked]


class HouseholdPage(BaseModel):
    total: int = Field(description="Households of the estate the caller sees (a grid leader: of its grids)")
    limit: int
    offset: int
    households: list[HouseholdListed]


class MemberPublic(BaseModel):
    person_id: UUID
    name: str = Field(description="Masked")
    phone: str = Field(description="Masked; empty when unknown")
    relation: Relation
    has_account: bool
    since: date | None


class Occupancy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    occupied_from: date | None = Field(description="Move-in or hand-over date; fees run from it")
    occupied_until: date | None = Field(default=None, description="Move-out date; fees stop the day before")


class ImportOutcome(BaseModel):
    imported: int
    household_ids: list[UUID]


class GridCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=GRID_CODE_PATTERN)
    name: str = Field(min_length=1, max_length=100)


class GridRef(BaseModel):
    code: str
    name: str


class GridPublic(BaseModel):
    code: str
    name: str
    leaders: list[str] = Field(description="Usernames of the grid's leaders")
    household_count: int


class GridAssigned(BaseModel):
    assigned: int


class GridLeaders(BaseModel):
    model_config = ConfigDict(extra="forbid")
    usernames: list[str] = Field(max_length=20)


class GridAssignment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    household_ids: list[UUID] = Field(min_length=1, max_length=5000)


class InvitationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    contact: str = Field(min_length=3, max_length=254, description="Mobile number or e-mail of the invitee")
    relation: Relation = Relation.RESIDENT


class InvitationIssued(BaseModel):
    id: UUID
    claim_code: str = Field(description="Give it to the invitee (SMS, letter); shown once")
    expires_at: str


class ClaimBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    estate_code: str = Field(pattern=ESTATE_CODE_PATTERN)
    claim_code: str = Field(min_length=8, max_length=64)
    username: str = Field(min_length=3, max_length=64)
    password: str = Field(min_length=12, max_length=128)
    # Keycloak's user profile requires an e-mail for a complete account (log-in by phone is a later step).
    email: str = Field(min_length=3, max_length=254)
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)


class JoinBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    claim_code: str = Field(min_length=8, max_length=64, description="The invitation's code the firm gave")


class Claimed(BaseModel):
    username: str
    estate_code: str


class ClaimLimits:
    """How many wrong claims a minute, per client address and per estate named (known or not, so that a
    429 tells no more than a 404), counted in the database across every worker and replica. Only
    refused claims count (as failed log-ins do): guessing codes is throttled, people claiming their
    households are not; an address or estate over its quota is refused before the claim is tried."""

    def __init__(
        self,
        limiter: RateLimiter,
        per_address: int,
        per_estate: int,
        trusted_proxies: Sequence[IPv4Network | IPv6Network] = (),
    ) -> None:
        self.limiter = limiter
        self.address = Quota("claim:address", per_address, 60, "too many claims from this address; try again later")
        self.estate = Quota("claim:estate", per_estate, 60, "too many claims for this estate; try again later")
        self.trusted_proxies = tuple(trusted_proxies)

    def check(self, request: Request, estate_code: str) -> None:
        self.limiter.check(self.address, client_address(request, self.trusted_proxies))
        self.limiter.check(self.estate, estate_code)

    def count_refusal(self, request: Request, estate_code: str) -> None:
        self.limiter.hit(self.address, client_address(request, self.trusted_proxies))
        self.limiter.hit(self.estate, estate_code)


def _normalize_contact(contact: str) -> str:
    return normalize_email(contact) if "@" in contact else normalize_phone(contact)


def build_router(database: Database, directory: Directory, claim_limits: ClaimLimits) -> APIRouter:
    router = api_router(prefix="/v1", tags=["households"])

    @router.post(
        "/estates/{code}/households/import",
        status_code=status.HTTP_201_CREATED,
        response_model=ImportOutcome,
        summary="Import households from CSV or XLSX (firm); all rows or none, every bad row named",
        responses=errors(
            404,
            409,
            413,
            422,
            described={
                413: f"The file is over {MAX_IMPORT_BYTES // (1024 * 1024)} MiB",
                422: "Bad rows: `row_errors` lists line, column and reason; nothing imported",
            },
        ),
    )
    async def import_households(
        code: EstateCode, principal: FirmMember, file: Annotated[UploadFile, File()]
    ) -> ImportOutcome:
        content = await file.read(MAX_IMPORT_BYTES + 1)
        if len(content) > MAX_IMPORT_BYTES:
            raise InvalidInput(f"file larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MiB")
        ids = await run_in_threadpool(cases.import_households, database, code, file.filename or "", content)
        return ImportOutcome(imported=len(ids), household_ids=ids)

    @router.get(
        "/estates/{code}/households",
        response_model=HouseholdPage,
        responses=errors(422),
        summary="The household register, personal data masked (a grid leader: the grids it leads)",
    )
    def list_households(
        code: EstateCode,
        principal: RegisterReader,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description=f"Page size, 1 to {MAX_PAGE_SIZE}")] = 100,
        offset: PageOffset = 0,
        q: Annotated[
            str | None,
            Query(
                min_length=1,
                max_length=40,
                description="Only households whose address (building, unit, room) contains it",
            ),
        ] = None,
        grid: Annotated[
            str | None, Query(min_length=1, max_length=40, description="Only the households of this grid")
        ] = None,
    ) -> HouseholdPage:
        total, rows = cases.list_households(database, code, principal, limit, offset, q, grid)
        return HouseholdPage(
            total=total, limit=limit, offset=offset, households=[HouseholdListed.model_validate(r) for r in rows]
        )

    @router.get(
        "/estates/{code}/households/{household_id}",
        response_model=HouseholdPublic,
        responses=errors(
            404,
            422,
            described={404: "No such household in this estate, or not one the caller may see (same answer)"},
        ),
        summary="One household (the firm, the supervisor; grid leaders those of their grids; anyone its own)",
    )
    def get_household(code: EstateCode, household_id: UUID, principal: AnyMember) -> HouseholdPublic:
        return HouseholdPublic.of(cases.read_household(database, code, household_id, principal))

    @router.put(
        "/estates/{code}/households/{household_id}/occupancy",
        response_model=HouseholdPublic,
        responses=errors(404, 409, 413, 422),
        summary="Record a move-in or move-out (firm); billing follows these dates",
    )
    def occupancy(code: EstateCode, household_id: UUID, body: Occupancy, principal: FirmMember) -> HouseholdPublic:
        return HouseholdPublic.of(
            cases.change_occupancy(database, code, household_id, body.occupied_from, body.occupied_until)
        )

    @router.get(
        "/estates/{code}/households/{household_id}/members",
        response_model=list[MemberPublic],
        responses=errors(404, 422),
        summary="A household's members, masked (firm and supervisor only)",
    )
    def members(code: EstateCode, household_id: UUID, principal: MemberReader) -> list[MemberPublic]:
        return [MemberPublic.model_validate(m) for m in cases.household_members(database, code, household_id)]

    @router.get(
        "/estates/{code}/my-households",
        response_model=list[HouseholdPublic],
        responses=errors(422),
        summary="The caller's own households",
    )
    def my_households(code: EstateCode, principal: AnyMember) -> list[HouseholdPublic]:
        return [HouseholdPublic.of(h) for h in cases.households_of(database, code, principal.subject)]

    @router.post(
        "/estates/{code}/my-households",
        status_code=201,
        tags=["memberships"],
        response_model=HouseholdPublic,
        responses=errors(
            404,
            409,
            413,
            422,
            429,
            described={
                404: "No such invitation for this estate",
                409: "The invitation was claimed, revoked or has expired, the estate is suspended, or the "
                "account already belongs to the household",
                429: "Too many wrong claims from this address or for this estate; see `Retry-After`",
            },
        ),
        summary="Claim a household with an invitation code and the account you have (a resident of the "
        "estate); the household joined",
    )
    def join_household(code: EstateCode, body: JoinBody, principal: Resident, request: Request) -> HouseholdPublic:
        claim_limits.check(request, code)
        try:
            household = cases.join_household(database, code, body.claim_code, principal)
        except (NotFound, Conflict, InvalidInput):
            claim_limits.count_refusal(request, code)
            raise
        return HouseholdPublic.of(household)

    # Grids ----------------------------------------------------------------------------------

    @router.post(
        "/estates/{code}/grids",
        status_code=201,
        tags=["grids"],
        response_model=GridRef,
        responses={
            200: {"model": GridRef, "description": "The grid already exists"},
            **errors(404, 409, 413, 422),
        },
        summary="Create a grid (微网格)",
    )
    def create_grid(code: EstateCode, body: GridCreate, principal: FirmManager, response: Response) -> GridRef:
        if not cases.create_grid(database, code, body.code, body.name):
            response.status_code = status.HTTP_200_OK
        return GridRef(code=body.code, name=body.name)

    @router.get(
        "/estates/{code}/grids",
        tags=["grids"],
        response_model=list[GridPublic],
        responses=errors(422),
        summary="Grids with their leaders and household counts",
    )
    def list_grids(code: EstateCode, principal: AnyMember) -> list[GridPublic]:
        return [GridPublic.model_validate(g) for g in cases.list_grids(database, code)]

    @router.put(
        "/estates/{code}/grids/{grid}/leaders",
        status_code=204,
        tags=["grids"],
        response_class=Response,
        responses=errors(404, 409, 413, 422),
        summary="Set a grid's leaders",
    )
    def set_leaders(code: EstateCode, grid: GridCode, body: GridLeaders, principal: FirmManager) -> Response:
        cases.set_grid_leaders(database, code, grid, body.usernames)
        return Response(status_code=204)

    @router.post(
        "/estates/{code}/grids/{grid}/households",
        tags=["grids"],
        response_model=GridAssigned,
        responses=errors(404, 409, 413, 422),
        summary="Put households into a grid",
    )
    def assign(code: EstateCode, grid: GridCode, body: GridAssignment, principal: FirmMember) -> GridAssigned:
        return GridAssigned(assigned=cases.assign_grid(database, code, grid, body.household_ids))

    # Invitations ----------------------------------------------------------------------------

    @router.post(
        "/estates/{code}/households/{household_id}/invitations",
        status_code=201,
        response_model=InvitationIssued,
        tags=["memberships"],
        responses=errors(404, 409, 413, 422),
        summary="Invite an owner or resident to claim the household (firm)",
    )
    def invite(code: EstateCode, household_id: UUID, body: InvitationCreate, principal: FirmMember) -> InvitationIssued:
        invitation, claim_code = cases.invite(
            database, code, household_id, body.relation, _normalize_contact(body.contact), principal.username
        )
        return InvitationIssued(id=invitation.id, claim_code=claim_code, expires_at=invitation.expires_at.isoformat())

    @router.post(
        "/invitations/claim",
        status_code=201,
        tags=["memberships"],
        response_model=Claimed,
        summary="Claim a household with an invitation code: creates the resident's account (no token needed)",
        responses=errors(
            404,
            409,
            413,
            422,
            429,
            503,
            public=True,
            described={
                404: "No such invitation for this estate (the same answer for an unknown estate)",
                409: "The invitation was claimed, revoked or has expired, the estate is suspended, or the username is taken",
                429: "Too many wrong claims from this address or for this estate; see `Retry-After`",
            },
        ),
    )
    def claim(body: ClaimBody, request: Request) -> Claimed:
        claim_limits.check(request, body.estate_code)
        try:
            email = normalize_email(body.email)
            cases.claim_invitation(
                database,
                directory,
                body.estate_code,
                body.claim_code,
                cases.Claim(body.username, email, body.first_name, body.last_name, body.password),
            )
        except (NotFound, Conflict, InvalidInput):
            claim_limits.count_refusal(request, body.estate_code)
            raise
        return Claimed(username=body.username.strip().lower(), estate_code=body.estate_code)

    return router
