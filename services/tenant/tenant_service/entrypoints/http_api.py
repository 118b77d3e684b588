"""HTTP API of the registry: hierarchy, estates, rules, lifecycle (thin: parse, authorise through typed
dependencies, call the service layer, shape the output). Households and ballots have routers of their own.

Every route declares its response model and the errors it can give (``xinyi_shared.api.errors``)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from tenant_service.domain.estate import (
    BOOKS_FROM_PATTERN,
    DEFAULT_DONATION_SHARE_BPS,
    DEFAULT_FEE_RATE_FEN_PER_SQM_MONTH,
    DEFAULT_REMUNERATION_SHARE_BPS,
    Estate,
    EstateProfile,
    EstateRules,
    RemunerationBasis,
    RuleChange,
    parse_books_from,
)
from tenant_service.domain.hierarchy import Area
from tenant_service.entrypoints.deps import EstateAdmin, EstateReader, HierarchyReader, PlatformAdmin, StaffReader
from tenant_service.service_layer import estates as estate_cases
from tenant_service.service_layer import hierarchy as hierarchy_cases
from tenant_service.service_layer.estates import Directory, EstateFilter, FirstAccount
from xinyi_shared.api import errors
from xinyi_shared.codes import AREA_CODE_PATTERN, ESTATE_CODE_PATTERN
from xinyi_shared.db import Database
from xinyi_shared.http import TOTAL_COUNT, TOTAL_COUNT_DOC, AreaCode, EstateCode, PageLimit, PageOffset, api_router

# The domain checks a code in a body and names the problem in its reason; the schema documents the pattern.
SHA256_PATTERN = r"^[0-9a-f]{64}$"

AreaQuery = Annotated[
    str | None, Query(pattern=AREA_CODE_PATTERN, description="Only the estates of this area (its code)")
]


class AreaCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(examples=["shuangliu"], json_schema_extra={"pattern": AREA_CODE_PATTERN})
    name: str = Field(min_length=1, max_length=200, examples=["双流区"])


class AreaPublic(BaseModel):
    code: str
    name: str


class EstateNode(BaseModel):
    code: str
    name: str
    status: str


class CommunityNode(BaseModel):
    code: str
    name: str
    estates: list[EstateNode]


class SubDistrictNode(BaseModel):
    code: str
    name: str
    communities: list[CommunityNode]


class DistrictNode(BaseModel):
    code: str
    name: str
    sub_districts: list[SubDistrictNode]


class AccountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=3, max_length=64, pattern=r"^[a-z0-9._-]+$")
    email: str = Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)

    def to_account(self) -> FirstAccount:
        return FirstAccount(self.username, str(self.email), self.first_name, self.last_name)


class EstateCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(
        description="Immutable code, e.g. 'jinhe-lvzhou'",
        examples=["jinhe-lvzhou"],
        json_schema_extra={"pattern": ESTATE_CODE_PATTERN},
    )
    name: str = Field(min_length=1, max_length=200, examples=["金河绿洲"])
    district_code: str = Field(min_length=1, max_length=64, examples=["shuangliu"])
    sub_district_code: str = Field(default="", max_length=64, examples=["dongsheng"])
    community_code: str = Field(min_length=1, max_length=64, examples=["jinhe"])
    fee_rate_fen_per_sqm_month: Decimal = Field(
        default=DEFAULT_FEE_RATE_FEN_PER_SQM_MONTH, description="Fen per m² per month; 35 = 0.35 CNY"
    )
    remuneration_share_bps: int = Field(default=DEFAULT_REMUNERATION_SHARE_BPS, ge=0, le=10000)
    donation_share_bps: int = Field(default=DEFAULT_DONATION_SHARE_BPS, ge=0, le=10000)
    remuneration_basis: RemunerationBasis = RemunerationBasis.COLLECTED
    billing_day: int = Field(default=1, ge=1, le=28)
    time_zone: str = "Asia/Shanghai"
    firm_name: str = Field(default="", max_length=200, description="The property firm serving the estate (trustee)")
    books_from: str | None = Field(
        default=None,
        max_length=20,
        description="For an estate that joins with its earlier months' books: the month (YYYY-MM) its trust "
        "books begin, from which its first rules apply and every month can be billed and closed in order. "
        "Not a coming month, at most 24 months back (in the estate's time zone); default: the onboarding month",
        examples=["2025-11"],
        json_schema_extra={"pattern": BOOKS_FROM_PATTERN},
    )
    firm_manager: AccountCreate | None = Field(default=None, description="The firm's first manager account")
    supervisor: AccountCreate | None = Field(default=None, description="The owners' supervisor account")


class RulesPublic(BaseModel):
    fee_rate_fen_per_sqm_month: str
    remuneration_share_bps: int
    donation_share_bps: int
    remuneration_basis: str
    billing_day: int

    @classmethod
    def of(cls, rules: EstateRules) -> RulesPublic:
        return cls(**{**rules.to_json()})


class EstatePublic(BaseModel):
    code: str
    name: str
    district_code: str
    sub_district_code: str
    community_code: str
    fee_rate_fen_per_sqm_month: str
    remuneration_share_bps: int
    donation_share_bps: int
    remuneration_basis: str
    billing_day: int
    time_zone: str
    firm_name: str
    status: str
    books_from: str | None = Field(
        description="The month (YYYY-MM) the estate's trust books begin, when it joined with earlier months' "
        "books; null: its onboarding month (the first entry of the rules history says which)"
    )

    @classmethod
    def of(cls, estate: Estate, rules: EstateRules | None = None) -> EstatePublic:
        p = estate.profile
        r = rules or p.initial_rules()
        return cls(
            code=p.code,
            name=p.name,
            district_code=p.district_code,
            sub_district_code=p.sub_district_code,
            community_code=p.community_code,
            fee_rate_fen_per_sqm_month=str(r.fee_rate_fen_per_sqm_month),
            remuneration_share_bps=r.remuneration_share_bps,
            donation_share_bps=r.donation_share_bps,
            remuneration_basis=r.remuneration_basis.value,
            billing_day=r.billing_day,
            time_zone=p.time_zone,
            firm_name=p.firm_name,
            status=estate.status.value,
            books_from=f"{p.books_from:%Y-%m}" if p.books_from else None,
        )


class EstateOnboardedPublic(EstatePublic):
    initial_passwords: dict[str, str] = Field(
        default_factory=dict, description="Temporary passwords of accounts created by this call (shown once)"
    )


class MemberAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=255)


class StaffPublic(BaseModel):
    account_id: str = Field(description="The account's id (token subject): what a ticket's `assignee` takes")
    username: str
    display_name: str = Field(description="Family name then given name; the username when the account has none")
    roles: list[str] = Field(description="Its firm roles: firm_manager, firm_staff")


class RulesChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    effective_from: date = Field(description="First day of a month, today or later")
    fee_rate_fen_per_sqm_month: Decimal
    remuneration_share_bps: int = Field(ge=0, le=10000)
    donation_share_bps: int = Field(ge=0, le=10000)
    remuneration_basis: RemunerationBasis = RemunerationBasis.COLLECTED
    billing_day: int = Field(default=1, ge=1, le=28)
    reason: str = Field(min_length=1, max_length=500, description="Why (e.g. the owners' resolution)")


class RuleChangePublic(BaseModel):
    """One entry of the audited rules history."""

    effective_from: date
    rules: RulesPublic
    previous: RulesPublic | None = Field(description="The rules this change replaced; null for the first")
    reason: str
    changed_by: str
    changed_at: datetime


class RulesView(BaseModel):
    in_force: RulesPublic | None
    history: list[RuleChangePublic]


class SuspendBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)


class ArchivePublic(BaseModel):
    id: UUID
    sha256: str
    size_bytes: int
    download: str


class OffboardBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    archive_sha256: str = Field(pattern=SHA256_PATTERN)


def _rules_view(history: list[dict[str, object]], in_force: EstateRules | None) -> RulesView:
    return RulesView(
        in_force=RulesPublic.of(in_force) if in_force else None,
        history=[RuleChangePublic.model_validate(entry) for entry in history],
    )


def build_router(database: Database, directory: Directory) -> APIRouter:
    router = api_router(prefix="/v1")

    # Hierarchy ------------------------------------------------------------------------------

    def register(kind: str, body: AreaCreate, parent: str, response: Response) -> AreaPublic:
        created = hierarchy_cases.register_area(database, Area(kind, body.code, body.name, parent))
        response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return AreaPublic(code=body.code, name=body.name)

    already_registered: dict[int | str, dict[str, Any]] = {
        200: {"model": AreaPublic, "description": "Already registered with these details"}
    }

    @router.post(
        "/districts",
        tags=["hierarchy"],
        status_code=201,
        response_model=AreaPublic,
        responses={**already_registered, **errors(409, 413, 422)},
        summary="Register a district (区)",
    )
    def create_district(body: AreaCreate, principal: PlatformAdmin, response: Response) -> AreaPublic:
        return register("district", body, "", response)

    @router.post(
        "/districts/{district}/sub-districts",
        tags=["hierarchy"],
        status_code=201,
        response_model=AreaPublic,
        responses={**already_registered, **errors(404, 409, 413, 422)},
        summary="Register a sub-district (街道)",
    )
    def create_sub_district(
        district: AreaCode, body: AreaCreate, principal: PlatformAdmin, response: Response
    ) -> AreaPublic:
        return register("sub-district", body, district, response)

    @router.post(
        "/sub-districts/{sub_district}/communities",
        tags=["hierarchy"],
        status_code=201,
        response_model=AreaPublic,
        responses={**already_registered, **errors(404, 409, 413, 422)},
        summary="Register a community (社区)",
    )
    def create_community(
        sub_district: AreaCode, body: AreaCreate, principal: PlatformAdmin, response: Response
    ) -> AreaPublic:
        return register("community", body, sub_district, response)

    @router.get(
        "/hierarchy",
        tags=["hierarchy"],
        response_model=list[DistrictNode],
        responses=errors(),
        summary="Districts → sub-districts → communities → estates",
    )
    def get_hierarchy(principal: HierarchyReader) -> list[dict[str, object]]:
        return hierarchy_cases.hierarchy(database)

    # Estates --------------------------------------------------------------------------------

    @router.post(
        "/estates",
        tags=["estates"],
        response_model=EstateOnboardedPublic,
        status_code=status.HTTP_201_CREATED,
        summary="Onboard an estate with its first accounts, its books from this month or an earlier one "
        "(platform_admin); repeating the request returns it",
        responses={
            200: {"model": EstateOnboardedPublic, "description": "Already onboarded with these details"},
            **errors(
                409,
                413,
                422,
                503,
                described={
                    409: "Code taken by other details",
                    422: "Invalid details, e.g. books_from malformed, in the future or more than 24 months back",
                },
            ),
        },
    )
    def create_estate(body: EstateCreate, principal: PlatformAdmin, response: Response) -> EstateOnboardedPublic:
        profile = EstateProfile(
            **body.model_dump(exclude={"firm_manager", "supervisor", "books_from"}),
            books_from=parse_books_from(body.books_from) if body.books_from is not None else None,
        )
        onboarding = estate_cases.onboard_estate(
            database,
            directory,
            profile,
            actor=principal.username,
            firm_manager=body.firm_manager.to_account() if body.firm_manager else None,
            supervisor=body.supervisor.to_account() if body.supervisor else None,
        )
        if not onboarding.created:
            response.status_code = status.HTTP_200_OK
        return EstateOnboardedPublic(
            **EstatePublic.of(onboarding.estate).model_dump(), initial_passwords=onboarding.initial_passwords
        )

    @router.get(
        "/estates",
        tags=["estates"],
        response_model=list[EstatePublic],
        responses={
            200: {"headers": {TOTAL_COUNT: TOTAL_COUNT_DOC}},
            **errors(422, described={422: "limit outside 1..500, offset outside 0..1000000, or a malformed filter"}),
        },
        summary="The district's estates, a page at a time (platform_admin)",
        description="A page of the estates (every status), ordered by code, optionally only those whose code or "
        "name contains `q` (case-insensitive) and those of a district, sub-district or community. "
        f"`{TOTAL_COUNT}` answers how many estates match across all pages: page with `offset` "
        "until it is reached.",
    )
    def list_estates(
        principal: PlatformAdmin,
        response: Response,
        limit: PageLimit = 100,
        offset: PageOffset = 0,
        q: Annotated[
            str | None,
            Query(min_length=1, max_length=100, description="Only estates whose code or name contains it (any case)"),
        ] = None,
        district: AreaQuery = None,
        sub_district: AreaQuery = None,
        community: AreaQuery = None,
    ) -> list[EstatePublic]:
        where = EstateFilter(search=q, district=district, sub_district=sub_district, community=community)
        total, estates = estate_cases.list_estates(database, limit, offset, where)
        response.headers[TOTAL_COUNT] = str(total)
        return [EstatePublic.of(estate) for estate in estates]

    @router.get(
        "/estates/{code}",
        tags=["estates"],
        response_model=EstatePublic,
        responses=errors(404, 422),
        summary="One estate, with the rules in force today",
    )
    def get_estate(code: EstateCode, principal: EstateReader) -> EstatePublic:
        estate, rules, _ = estate_cases.get_estate_with_rules(database, code)
        return EstatePublic.of(estate, rules)

    @router.post(
        "/estates/{code}/members",
        tags=["estates"],
        status_code=204,
        response_class=Response,
        responses=errors(404, 409, 413, 422, 503, described={404: "No such estate, or no such account"}),
        summary="Make an existing account a member of the estate (platform_admin)",
    )
    def add_member(code: EstateCode, body: MemberAdd, principal: EstateAdmin) -> Response:
        estate_cases.add_member(database, directory, code, body.username)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    @router.get(
        "/estates/{code}/staff",
        tags=["estates"],
        response_model=list[StaffPublic],
        responses={
            200: {"headers": {TOTAL_COUNT: TOTAL_COUNT_DOC}},
            **errors(404, 422, 503, described={422: "limit outside 1..500 or offset outside 0..1000000"}),
        },
        summary="The firm's accounts of the estate: whom its tickets may be assigned to",
        description="Members of the estate's organisation holding `firm_manager` or `firm_staff`, by display "
        f"name, a page at a time (`{TOTAL_COUNT}`: how many in all). No resident is ever listed.",
    )
    def list_staff(
        code: EstateCode,
        principal: StaffReader,
        response: Response,
        limit: PageLimit = 100,
        offset: PageOffset = 0,
    ) -> list[StaffPublic]:
        staff = estate_cases.estate_staff(database, directory, code)
        response.headers[TOTAL_COUNT] = str(len(staff))
        return [
            StaffPublic(
                account_id=account.account_id,
                username=account.username,
                display_name=account.display_name,
                roles=list(account.roles),
            )
            for account in staff[offset : offset + limit]
        ]

    # Rules ----------------------------------------------------------------------------------

    @router.get(
        "/estates/{code}/rules",
        tags=["rules"],
        response_model=RulesView,
        responses=errors(404, 422),
        summary="Rules in force and their audited history",
    )
    def get_rules(code: EstateCode, principal: EstateReader) -> RulesView:
        return _rules_view(*estate_cases.rules_history(database, code))

    @router.post(
        "/estates/{code}/rules",
        tags=["rules"],
        status_code=201,
        response_model=RulesView,
        responses=errors(404, 409, 413, 422),
        summary="Change the rules from a future month (platform_admin); audited",
    )
    def change_rules(code: EstateCode, body: RulesChange, principal: EstateAdmin) -> RulesView:
        rules = EstateRules(**body.model_dump(exclude={"effective_from", "reason"}))
        estate_cases.change_rules(
            database, code, RuleChange(body.effective_from, rules, principal.username, body.reason)
        )
        return _rules_view(*estate_cases.rules_history(database, code))

    # Lifecycle ------------------------------------------------------------------------------

    @router.post(
        "/estates/{code}/suspend",
        tags=["lifecycle"],
        response_model=EstatePublic,
        responses=errors(404, 409, 413, 422),
        summary="Make the estate read-only (platform_admin)",
    )
    def suspend(code: EstateCode, body: SuspendBody, principal: EstateAdmin) -> EstatePublic:
        return EstatePublic.of(estate_cases.suspend_estate(database, code, body.reason))

    @router.post(
        "/estates/{code}/resume",
        tags=["lifecycle"],
        response_model=EstatePublic,
        responses=errors(404, 409, 422),
        summary="End a suspension (platform_admin)",
    )
    def resume(code: EstateCode, principal: EstateAdmin) -> EstatePublic:
        return EstatePublic.of(estate_cases.resume_estate(database, code))

    @router.post(
        "/estates/{code}/export",
        tags=["lifecycle"],
        status_code=201,
        response_model=ArchivePublic,
        responses=errors(404, 409, 422),
        summary="Export all the estate's data as an archive (platform_admin)",
    )
    def export(code: EstateCode, principal: EstateAdmin) -> ArchivePublic:
        archive = estate_cases.export_estate(database, code, principal.username)
        return ArchivePublic(
            id=archive.id,
            sha256=archive.sha256,
            size_bytes=archive.size_bytes,
            download=f"/v1/estates/{code}/archives/{archive.id}",
        )

    @router.get(
        "/estates/{code}/archives/{archive_id}",
        tags=["lifecycle"],
        response_class=Response,
        responses={
            200: {
                "description": "The archive (zip)",
                "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
                "headers": {
                    "X-Archive-SHA256": {
                        "description": "The archive's SHA-256 (name it to offboard the estate)",
                        "schema": {"type": "string", "pattern": SHA256_PATTERN},
                    }
                },
            },
            **errors(404, 422, described={404: "No such archive of this estate"}),
        },
        summary="Download an export (zip; see docs/estate-archive.md)",
    )
    def download_archive(code: EstateCode, archive_id: UUID, principal: EstateAdmin) -> Response:
        archive = estate_cases.get_archive(database, code, archive_id)
        return Response(
            archive.content,
            media_type="application/zip",
            headers={
                "Content-Disposition": f'attachment; filename="{code}-{archive.id}.zip"',
                "X-Archive-SHA256": archive.sha256,
            },
        )

    @router.post(
        "/estates/{code}/offboard",
        tags=["lifecycle"],
        response_model=EstatePublic,
        responses=errors(404, 409, 413, 422, 503),
        summary="Remove a suspended, exported estate (platform_admin)",
    )
    def offboard(code: EstateCode, body: OffboardBody, principal: EstateAdmin) -> EstatePublic:
        return EstatePublic.of(estate_cases.offboard_estate(database, directory, code, body.archive_sha256))

    return router
