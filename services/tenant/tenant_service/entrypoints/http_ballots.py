"""HTTP API of owners' ballots (一户一票)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from tenant_service.domain.ballots import BallotTerms, ThresholdBase, ThresholdKind
from tenant_service.service_layer import ballots as cases
from xinyi_shared.auth import ESTATE_ROLES, Role, require_estate_access
from xinyi_shared.db import Database
from xinyi_shared.http import CurrentPrincipal, EstateCode


class BallotCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(default=cases.GENERAL, pattern="^(general|service_plan)$")
    subject: str | None = Field(
        default=None, max_length=200, description="A label other services act on, e.g. 'budget-2027'"
    )
    question: str = Field(min_length=1, max_length=2000)
    options: list[str] = Field(min_length=2, max_length=20)
    quorum_bps: int = Field(ge=0, le=10000, description="Share of households that must vote, in basis points")
    threshold: ThresholdKind
    threshold_base: ThresholdBase
    opens_at: datetime
    closes_at: datetime


class VoteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    option: str = Field(min_length=1, max_length=200)
    household_id: UUID | None = Field(default=None, description="Needed only by members of several households")


class VoteReceipt(BaseModel):
    household_id: UUID
    receipt_code: str = Field(description="Keep it: after the close it proves the vote was counted")


class CloseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    early: bool = Field(default=False, description="Close before the announced time (e.g. a cancelled ballot)")


def build_router(database: Database) -> APIRouter:
    router = APIRouter(prefix="/v1/estates/{code}/ballots", tags=["ballots"])

    @router.post("", status_code=201, summary="Open a ballot (supervisor; the firm for service-plan choices)")
    def open_ballot(code: EstateCode, body: BallotCreate, principal: CurrentPrincipal) -> dict[str, object]:
        require_estate_access(principal, code, Role.SUPERVISOR, Role.FIRM_MANAGER)
        terms = BallotTerms(
            question=body.question,
            options=tuple(body.options),
            quorum_bps=body.quorum_bps,
            threshold=body.threshold,
            threshold_base=body.threshold_base,
            opens_at=body.opens_at,
            closes_at=body.closes_at,
            subject=body.subject or "",
        )
        ballot = cases.open_ballot(database, code, principal, body.kind, terms)
        return {"id": ballot.ballot_id, "electorate_size": ballot.electorate_size}

    @router.get("", summary="The estate's ballots")
    def list_ballots(code: EstateCode, principal: CurrentPrincipal) -> list[dict[str, object]]:
        require_estate_access(principal, code, *ESTATE_ROLES)
        return cases.list_ballots(database, code)

    @router.get("/{ballot_id}", summary="A ballot: terms, turnout, your household's choice, the result once closed")
    def get_ballot(code: EstateCode, ballot_id: UUID, principal: CurrentPrincipal) -> dict[str, object]:
        require_estate_access(principal, code, *ESTATE_ROLES)
        return cases.ballot_view(database, code, ballot_id, principal)

    @router.post(
        "/{ballot_id}/votes",
        status_code=201,
        response_model=VoteReceipt,
        summary="Vote for your household (replaces its earlier vote)",
    )
    def vote(code: EstateCode, ballot_id: UUID, body: VoteBody, principal: CurrentPrincipal) -> VoteReceipt:
        require_estate_access(principal, code, *ESTATE_ROLES)
        household_id, receipt = cases.cast_vote(database, code, ballot_id, principal, body.option, body.household_id)
        return VoteReceipt(household_id=UUID(household_id), receipt_code=receipt)

    @router.post(
        "/{ballot_id}/close",
        summary="Close the ballot and publish the result (supervisor; due ballots close by themselves)",
    )
    def close(
        code: EstateCode, ballot_id: UUID, principal: CurrentPrincipal, body: CloseBody | None = None
    ) -> dict[str, object]:
        require_estate_access(principal, code, Role.SUPERVISOR)
        result = cases.close_ballot(database, code, ballot_id, principal.username, force=bool(body and body.early))
        return result.as_dict()

    @router.get(
        "/{ballot_id}/receipts/{receipt_code}", summary="Check that a receipt was counted, and for which option"
    )
    def check_receipt(
        code: EstateCode, ballot_id: UUID, receipt_code: str, principal: CurrentPrincipal
    ) -> dict[str, object]:
        require_estate_access(principal, code, *ESTATE_ROLES)
        option = cases.check_receipt(database, code, ballot_id, receipt_code)
        return {"counted": option is not None, "option": option}

    return router
