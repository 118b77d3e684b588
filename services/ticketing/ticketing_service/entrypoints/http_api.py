"""HTTP API of ticketing (service targets so far; tickets come with their own issue)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from ticketing_service.service_layer.targets import service_targets
from xinyi_shared.auth import ESTATE_ROLES, require_estate_access
from xinyi_shared.db import Database
from xinyi_shared.http import CurrentPrincipal, EstateCode


class ServiceTargetsPublic(BaseModel):
    estate_code: str
    time_zone: str
    first_response_minutes: int
    resolution_minutes: int


def build_router(database: Database) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["service targets"])

    @router.get(
        "/estates/{code}/service-targets",
        response_model=ServiceTargetsPublic,
        summary="How fast reports must be answered and fixed",
    )
    def get_targets(code: EstateCode, principal: CurrentPrincipal) -> ServiceTargetsPublic:
        require_estate_access(principal, code, *ESTATE_ROLES)
        t = service_targets(database, code)
        return ServiceTargetsPublic(
            estate_code=t.estate_code,
            time_zone=t.time_zone,
            first_response_minutes=t.first_response_minutes,
            resolution_minutes=t.resolution_minutes,
        )

    return router
