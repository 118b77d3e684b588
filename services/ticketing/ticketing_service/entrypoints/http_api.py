"""HTTP API of ticketing (service targets so far; tickets come with their own issue).

Thin: who may call a route is a typed dependency (``entrypoints/deps.py``), every route declares its
response model and the errors it can give, in the one error schema ``{"error", "reason"}``."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ticketing_service.domain.targets import ServiceTargets
from ticketing_service.entrypoints.deps import AnyMember
from ticketing_service.service_layer.targets import service_targets
from xinyi_shared.api import errors
from xinyi_shared.db import Database
from xinyi_shared.http import EstateCode


class ServiceTargetsPublic(BaseModel):
    estate_code: str = Field(examples=["jinhe-lvzhou"])
    time_zone: str = Field(description="The estate's IANA time zone", examples=["Asia/Shanghai"])
    first_response_minutes: int = Field(description="A report is answered within this many minutes", examples=[30])
    resolution_minutes: int = Field(description="A report is fixed within this many minutes", examples=[60])

    @classmethod
    def of(cls, targets: ServiceTargets) -> ServiceTargetsPublic:
        return cls(
            estate_code=targets.estate_code,
            time_zone=targets.time_zone,
            first_response_minutes=targets.first_response_minutes,
            resolution_minutes=targets.resolution_minutes,
        )


def build_router(database: Database) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["service targets"])

    @router.get(
        "/estates/{code}/service-targets",
        response_model=ServiceTargetsPublic,
        responses=errors(404, 422, 503, described={404: "No such estate known to ticketing"}),
        summary="How fast reports must be answered and fixed (anyone of the estate)",
    )
    def get_targets(code: EstateCode, principal: AnyMember) -> ServiceTargetsPublic:
        return ServiceTargetsPublic.of(service_targets(database, code))

    return router
