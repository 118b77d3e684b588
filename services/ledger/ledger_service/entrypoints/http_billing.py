"""HTTP API of billing runs: start one (202 with the job) and follow it.

A billing run is a background job (service_layer/billing.py): ``POST`` answers at once with the
job and its address (``Location``); ``GET /v1/billing-jobs/{job_id}`` shows its progress. The same
``Idempotency-Key`` again returns the same job (``Idempotent-Replayed: true``). A job is shown only
to whom may start it or oversee its estate; to anyone else it does not exist (404, not 403), so a
job id reveals nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from ledger_service.entrypoints.deps import OVERSIGHT, FirmMember
from ledger_service.service_layer import billing
from ledger_service.service_layer.common import UnitOfWorkFactory
from xinyi_shared.api import IdempotencyKey, errors, role_holder
from xinyi_shared.auth import Principal, Role, require_estate_access
from xinyi_shared.db import Database
from xinyi_shared.errors import NotFound, XinyiError
from xinyi_shared.http import AreaCode, CurrentPrincipal, EstateCode, api_router

PERIOD_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
PlatformOperator = Annotated[Principal, Depends(role_holder(Role.PLATFORM_ADMIN, Role.SERVICE))]
NOT_FOUND = "no such billing job"


class BillingRun(BaseModel):
    model_config = ConfigDict(extra="forbid")
    period: str = Field(pattern=PERIOD_PATTERN, description="The month to bill, YYYY-MM", examples=["2026-05"])


class EstateFailurePublic(BaseModel):
    estate_code: str
    reason: str


class BillingJobPublic(BaseModel):
    """A billing job and its progress. ``households_total`` is null until every estate's households
    have been read; ``estates_done`` counts the estates finished, billed or failed (``failures``)."""

    job_id: str
    scope: Literal["estate", "district"]
    district_code: str | None
    estate_code: str | None
    period: str
    status: Literal["queued", "running", "done", "failed"]
    households_total: int | None
    households_done: int
    estates_total: int
    estates_done: int
    households_billed: int
    already_billed: int
    not_occupied: int = Field(description="Households that owe nothing this month (not occupied, or a zero fee)")
    billed_fen: int
    failures: list[EstateFailurePublic]
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, job: billing.BillingJob) -> BillingJobPublic:
        return cls(
            job_id=job.job_id,
            scope="district" if job.scope == "district" else "estate",
            district_code=job.district_code,
            estate_code=job.estate_code,
            period=job.period,
            status=_status(job.status),
            households_total=job.households_total,
            households_done=job.households_done,
            estates_total=job.estates_total,
            estates_done=job.estates_done,
            households_billed=job.households_billed,
            already_billed=job.already_billed,
            not_occupied=job.not_occupied,
            billed_fen=job.billed_fen,
            failures=[EstateFailurePublic(estate_code=f.estate_code, reason=f.reason) for f in job.failures],
            created_at=job.created_at,
            finished_at=job.finished_at,
        )


def _status(value: str) -> Literal["queued", "running", "done", "failed"]:
    if value == "queued":
        return "queued"
    if value == "running":
        return "running"
    if value == "done":
        return "done"
    return "failed"


def may_read(principal: Principal, job: billing.BillingJob) -> bool:
    """An estate's job: its firm and supervisor, or a platform admin; a district's job: a platform
    admin or a service."""
    if job.scope == "district":
        return principal.has_role(Role.PLATFORM_ADMIN, Role.SERVICE)
    if principal.has_role(Role.PLATFORM_ADMIN):
        return True
    try:
        require_estate_access(principal, job.estate_code or "", *OVERSIGHT)
    except XinyiError:
        return False
    return True


def _accepted(response: Response, job: billing.BillingJob, replayed: bool) -> BillingJobPublic:
    response.headers["Location"] = f"/v1/billing-jobs/{job.job_id}"
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return BillingJobPublic.of(job)


def build_billing_router(
    database: Database, uow_factory: UnitOfWorkFactory, wake: Callable[[], None] = lambda: None
) -> APIRouter:
    """The billing routes; ``wake`` tells this process's :class:`billing.BillingWorker` a job was
    queued (``worker.wake``), so it starts at once instead of at the worker's next poll."""
    router = api_router(prefix="/v1", tags=["billing"])
    accepted = {"description": "The job was created (or, with a key used before, is the job it created)"}

    @router.post(
        "/estates/{code}/billing-runs",
        status_code=202,
        response_model=BillingJobPublic,
        responses={202: accepted, **errors(404, 409, 413, 422)},
        summary="Bill every household of the estate for a month, in the background (firm)",
    )
    def estate_billing_run(
        code: EstateCode,
        body: BillingRun,
        principal: FirmMember,
        key: IdempotencyKey,
        response: Response,
    ) -> BillingJobPublic:
        job, replayed = billing.start_estate_job(database, uow_factory, code, body.period, key, principal.username)
        if not replayed:
            wake()
        return _accepted(response, job, replayed)

    @router.post(
        "/districts/{district}/billing-runs",
        status_code=202,
        response_model=BillingJobPublic,
        responses={202: accepted, **errors(404, 409, 413, 422)},
        summary="Bill every estate of a district for a month, in the background (platform_admin)",
    )
    def district_billing_run(
        district: AreaCode,
        body: BillingRun,
        principal: PlatformOperator,
        key: IdempotencyKey,
        response: Response,
    ) -> BillingJobPublic:
        job, replayed = billing.start_district_job(database, district, body.period, key, principal.username)
        if not replayed:
            wake()
        return _accepted(response, job, replayed)

    @router.get(
        "/billing-jobs/{job_id}",
        response_model=BillingJobPublic,
        responses=errors(404),
        summary="A billing job's progress (whoever may start it or oversee its estate; 404 for anyone else)",
    )
    def billing_job(job_id: Annotated[str, Path(max_length=64)], principal: CurrentPrincipal) -> BillingJobPublic:
        job = billing.get_job(database, job_id)
        if job is None or not may_read(principal, job):
            raise NotFound(NOT_FOUND)
        return BillingJobPublic.of(job)

    return router
