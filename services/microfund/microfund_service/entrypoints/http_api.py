"""HTTP API of the micro-fund (memberships so far; pledges and grants come with their own issue)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from microfund_service.service_layer.memberships import fund_membership
from xinyi_shared.auth import ESTATE_ROLES, require_estate_access
from xinyi_shared.db import Database
from xinyi_shared.http import CurrentPrincipal, EstateCode


class FundMembershipPublic(BaseModel):
    estate_code: str
    community_code: str


def build_router(database: Database) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["micro-fund"])

    @router.get(
        "/estates/{code}/fund",
        response_model=FundMembershipPublic,
        summary="The community micro-fund the estate donates to",
    )
    def get_membership(code: EstateCode, principal: CurrentPrincipal) -> FundMembershipPublic:
        require_estate_access(principal, code, *ESTATE_ROLES)
        membership = fund_membership(database, code)
        return FundMembershipPublic(estate_code=membership.estate_code, community_code=membership.community_code)

    return router
