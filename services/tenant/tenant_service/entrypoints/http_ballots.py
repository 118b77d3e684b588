"""HTTP API of owners' ballots (一户一票) (thin: parse, authorise through typed dependencies, call the
service layer, shape the output)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from tenant_service.domain.ballots import BallotResult, BallotTerms, ThresholdBase, ThresholdKind
from tenant_service.entrypoints.deps import AnyMember, BallotOpener, Supervisor
from tenant_service.service_layer import ballots as cases
from xinyi_shared.api import errors
from xinyi_shared.db import Database
from xinyi_shared.http import TOTAL_COUNT, TOTAL_COUNT_DOC, EstateCode, PageLimit, PageOffset, api_router

ReceiptCode = Annotated[str, Path(description="The receipt code the voter was given")]


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


class BallotOpened(BaseModel):
    id: UUID
    electorate_size: int = Field(description="Households entitled to vote")


class BallotSummary(BaseModel):
    id: UUID
    kind: str
    subject: str
    question: str
    opens_at: datetime
    closes_at: datetime
    closed_at: datetime | None


class BallotResultPublic(BaseModel):
    tally: dict[str, int] = Field(description="Households per option")
    votes_cast: int
    electorate_size: int
    quorum_met: bool
    adopted_option: str | None
    audit: dict[str, list[str]] = Field(description="Per option, the fingerprints of the counted receipts")

    @classmethod
    def of(cls, result: BallotResult) -> BallotResultPublic:
        return cls.model_validate(result.as_dict())


class BallotPublic(BaseModel):
    id: UUID
    kind: str
    subject: str
    question: str
    options: list[str]
    quorum_bps: int
    threshold: ThresholdKind
    threshold_base: ThresholdBase
    opens_at: datetime
    closes_at: datetime
    status: str
    electorate_size: int
    votes_cast: int
    own_votes: dict[str, str | None] = Field(
        description="The caller's households in the electorate, each with its current choice (null: none yet)"
    )
    result: BallotResultPublic | None = Field(description="The count once closed, else null")


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


class ReceiptCheck(BaseModel):
    counted: bool
    option: str | None = Field(description="The option the receipt's vote was counted for; null when not counted")


def build_router(database: Database) -> APIRouter:
    router = api_router(prefix="/v1/estates/{code}/ballots", tags=["ballots"])

    @router.post(
        "",
        status_code=201,
        response_model=BallotOpened,
        responses=errors(404, 409, 413, 422),
        summary="Open a ballot (supervisor; the firm for service-plan choices)",
    )
    def open_ballot(code: EstateCode, body: BallotCreate, principal: BallotOpener) -> BallotOpened:
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
        return BallotOpened(id=UUID(ballot.ballot_id), electorate_size=ballot.electorate_size)

    @router.get(
        "",
        response_model=list[BallotSummary],
        responses={200: {"headers": {TOTAL_COUNT: TOTAL_COUNT_DOC}}, **errors(422)},
        summary="The estate's ballots, a page at a time",
        description="A page of the estate's ballots, the latest opening first (ties by id). "
        f"`{TOTAL_COUNT}` answers how many ballots the estate has across all pages: page with "
        "`offset` until it is reached.",
    )
    def list_ballots(
        code: EstateCode,
        principal: AnyMember,
        response: Response,
        limit: PageLimit = 100,
        offset: PageOffset = 0,
    ) -> list[BallotSummary]:
        total, ballots = cases.list_ballots(database, code, limit, offset)
        response.headers[TOTAL_COUNT] = str(total)
        return [BallotSummary.model_validate(b) for b in ballots]

    @router.get(
        "/{ballot_id}",
        response_model=BallotPublic,
        responses=errors(404, 422),
        summary="A ballot: terms, turnout, your household's choice, the result once closed",
    )
    def get_ballot(code: EstateCode, ballot_id: UUID, principal: AnyMember) -> BallotPublic:
        return BallotPublic.model_validate(cases.ballot_view(database, code, ballot_id, principal))

    @router.post(
        "/{ballot_id}/votes",
        status_code=201,
        response_model=VoteReceipt,
        responses=errors(404, 409, 413, 422),
        summary="Vote for your household (replaces its earlier vote)",
    )
    def vote(code: EstateCode, ballot_id: UUID, body: VoteBody, principal: AnyMember) -> VoteReceipt:
        household_id, receipt = cases.cast_vote(database, code, ballot_id, principal, body.option, body.household_id)
        return VoteReceipt(household_id=UUID(household_id), receipt_code=receipt)

    @router.post(
        "/{ballot_id}/close",
        response_model=BallotResultPublic,
        responses=errors(404, 409, 413, 422),
        summary="Close the ballot and publish the result (supervisor; due ballots close by themselves)",
    )
    def close(
        code: EstateCode, ballot_id: UUID, principal: Supervisor, body: CloseBody | None = None
    ) -> BallotResultPublic:
        result = cases.close_ballot(database, code, ballot_id, principal.username, force=bool(body and body.early))
        return BallotResultPublic.of(result)

    @router.get(
        "/{ballot_id}/receipts/{receipt_code}",
        response_model=ReceiptCheck,
        responses=errors(404, 422, described={422: "Invalid input, or the ballot is not closed yet"}),
        summary="Check that a receipt was counted, and for which option",
    )
    def check_receipt(
        code: EstateCode, ballot_id: UUID, receipt_code: ReceiptCode, principal: AnyMember
    ) -> ReceiptCheck:
        option = cases.check_receipt(database, code, ballot_id, receipt_code)
        return ReceiptCheck(counted=option is not None, option=option)

    return router
