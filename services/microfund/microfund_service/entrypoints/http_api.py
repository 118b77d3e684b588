"""HTTP API of the micro-fund (memberships so far; pledges and grants come with their own issue).

Thin: who may call a route is a typed dependency (``entrypoints/deps.py``), every route declares its
response model and the errors it can give, in the one error schema ``{"error", "reason"}``."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from microfund_service.domain.membership import FundMembership
from microfund_service.entrypoints.deps import AnyMember
from microfund_service.service_layer.memberships import fund_membership
from xinyi_shared.api import errors
from xinyi_shared.db import Database
from xinyi_shared.http import EstateCode, api_router


class FundMembershipPublic(BaseModel):
    estate_code: str = Field(examples=["jinhe-lvzhou"])
    community_code: str = Field(
        description="The community (社区) whose micro-fund the estate donates to", examples=["jinhe"]
    )

    @classmethod
    def of(cls, membership: FundMembership) -> FundMembershipPublic:
        return cls(estate_code=membership.estate_code, community_code=membership.community_code)


def build_router(database: Database) -> APIRouter:
    router = api_router(prefix="/v1", tags=["micro-fund"])

    @router.get(
        "/estates/{code}/fund",
        response_model=FundMembershipPublic,
        responses=errors(404, 422, 503, described={404: "No such estate, or it has not joined a community micro-fund"}),
        summary="The community micro-fund the estate donates to (anyone of the estate)",
    )
    def get_membership(code: EstateCode, principal: AnyMember) -> FundMembershipPublic:
        return FundMembershipPublic.of(fund_membership(database, code))

    return router
