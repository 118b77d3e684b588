"""HTTP API of the estate registry (thin: parse, authorise, call the service layer, shape output)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Path, Response, status
from pydantic import BaseModel, ConfigDict, Field

from tenant_service.domain.estate import (
    DEFAULT_DONATION_SHARE_BPS,
    DEFAULT_FEE_RATE_FEN_PER_SQM_MONTH,
    DEFAULT_REMUNERATION_SHARE_BPS,
    Estate,
    EstateProfile,
)
from tenant_service.service_layer import estates as estate_cases
from tenant_service.service_layer.estates import Directory
from xinyi_shared.auth import ESTATE_ROLES, Role, require_estate_access, require_role
from xinyi_shared.db import Database
from xinyi_shared.http import CurrentPrincipal

EstateCode = Annotated[
    str, Path(description="The estate's code (tenant key)", pattern=r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
]


class EstateCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(description="Immutable code, e.g. 'jinhe-lvzhou'", examples=["jinhe-lvzhou"])
    name: str = Field(min_length=1, max_length=200, examples=["金河绿洲"])
    district_code: str = Field(min_length=1, max_length=64, examples=["shuangliu"])
    community_code: str = Field(min_length=1, max_length=64, examples=["jinhe"])
    fee_rate_fen_per_sqm_month: Decimal = Field(
        default=DEFAULT_FEE_RATE_FEN_PER_SQM_MONTH, description="Fen per m² per month; 35 = 0.35 CNY"
    )
    remuneration_share_bps: int = Field(default=DEFAULT_REMUNERATION_SHARE_BPS, ge=0, le=10000)
    donation_share_bps: int = Field(default=DEFAULT_DONATION_SHARE_BPS, ge=0, le=10000)
    time_zone: str = "Asia/Shanghai"


class EstatePublic(BaseModel):
    code: str
    name: str
    district_code: str
    community_code: str
    fee_rate_fen_per_sqm_month: str
    remuneration_share_bps: int
    donation_share_bps: int
    time_zone: str
    status: str

    @classmethod
    def of(cls, estate: Estate) -> EstatePublic:
        p = estate.profile
        return cls(
            code=p.code,
            name=p.name,
            district_code=p.district_code,
            community_code=p.community_code,
            fee_rate_fen_per_sqm_month=str(p.fee_rate_fen_per_sqm_month),
            remuneration_share_bps=p.remuneration_share_bps,
            donation_share_bps=p.donation_share_bps,
            time_zone=p.time_zone,
            status=estate.status.value,
        )


class MemberAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=255)


def build_router(database: Database, directory: Directory) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["estates"])

    @router.post(
        "/estates",
        response_model=EstatePublic,
        status_code=status.HTTP_201_CREATED,
        summary="Onboard an estate (platform_admin); repeating the same request returns the estate",
        responses={
            200: {"description": "Already onboarded with these details"},
            409: {"description": "Code taken by other details"},
        },
    )
    def create_estate(body: EstateCreate, principal: CurrentPrincipal, response: Response) -> EstatePublic:
        require_role(principal, Role.PLATFORM_ADMIN)
        profile = EstateProfile(**body.model_dump())
        estate, created = estate_cases.onboard_estate(database, directory, profile, actor=principal.username)
        if not created:
            response.status_code = status.HTTP_200_OK
        return EstatePublic.of(estate)

    @router.get("/estates", response_model=list[EstatePublic], summary="Every estate of the district (platform_admin)")
    def list_estates(principal: CurrentPrincipal) -> list[EstatePublic]:
        require_role(principal, Role.PLATFORM_ADMIN)
        return [EstatePublic.of(estate) for estate in estate_cases.list_estates(database)]

    @router.get("/estates/{code}", response_model=EstatePublic, summary="One estate (its members, or platform_admin)")
    def get_estate(code: EstateCode, principal: CurrentPrincipal) -> EstatePublic:
        if not principal.has_role(Role.PLATFORM_ADMIN):
            require_estate_access(principal, code, *ESTATE_ROLES)
        return EstatePublic.of(estate_cases.get_estate(database, code))

    @router.post(
        "/estates/{code}/members",
        status_code=status.HTTP_204_NO_CONTENT,
        summary="Make an existing account a member of the estate (platform_admin)",
    )
    def add_member(code: EstateCode, body: MemberAdd, principal: CurrentPrincipal) -> Response:
        require_role(principal, Role.PLATFORM_ADMIN)
        estate_cases.add_member(database, directory, code, body.username)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return router
