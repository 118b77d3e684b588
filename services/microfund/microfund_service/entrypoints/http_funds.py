"""HTTP API of a community's micro-fund: its public statement, money received, files, grants from
application to closing. Thin: the token's roles are checked here (typed dependencies), membership of
the community and the rules in ``service_layer/funds.py`` and ``domain/fund.py``.

Everyone of the community's estates reads the statement and the grants (an application's applicant
only to itself and the community officer); the community officer records money received, reviews,
disburses and closes grants; residents and estates' supervisors apply."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from microfund_service.adapters.funds import StoredDonation, StoredFile
from microfund_service.domain.fund import (
    ApplicantKind,
    Application,
    BudgetItem,
    CouncilRule,
    Donation,
    DonorKind,
    Grant,
    ballot_subject,
)
from microfund_service.service_layer import funds as cases
from microfund_service.service_layer.funds import Microfund
from xinyi_shared.api import IdempotencyKey, OptionalIdempotencyKey, errors, role_holder
from xinyi_shared.auth import ESTATE_ROLES, Principal, Role
from xinyi_shared.errors import InvalidInput
from xinyi_shared.http import PAGED, TOTAL_COUNT, PageLimit, PageOffset, api_router

UPLOAD_LIMIT = 10 * 1024 * 1024 + 64 * 1024
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]

Member = Annotated[Principal, Depends(role_holder(*ESTATE_ROLES, Role.PLATFORM_ADMIN))]
Officer = Annotated[Principal, Depends(role_holder(Role.COMMUNITY_OFFICER))]
Applicant = Annotated[Principal, Depends(role_holder(Role.RESIDENT, Role.SUPERVISOR))]
Uploader = Annotated[Principal, Depends(role_holder(Role.RESIDENT, Role.SUPERVISOR, Role.COMMUNITY_OFFICER))]


async def microfund_of(request: Request) -> Microfund:
    app: Microfund = request.app.state.microfund
    return app


App = Annotated[Microfund, Depends(microfund_of)]


def _community(community: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,62}", community):
        raise InvalidInput("a community code is 2-63 lower-case letters, digits and hyphens")
    return community


def _replayed(response: Response, replayed: bool) -> None:
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"


class FirmPublic(BaseModel):
    estate_code: str
    pledged_fen: int
    received_fen: int
    outstanding_fen: int = Field(description="Pledged and not yet received: the firm's arrears to the fund")


class DonationPublic(BaseModel):
    id: str
    source: str = Field(description="firm, resident, business, sub_district or other")
    estate_code: str | None
    amount_fen: int
    received_on: date
    donor: str | None = Field(description="The donor's name, when it chose to be named; null when anonymous")
    note: str

    @classmethod
    def of(cls, stored: StoredDonation) -> DonationPublic:
        d = stored.donation
        return cls(
            id=stored.id,
            source=d.source.value,
            estate_code=d.estate_code,
            amount_fen=d.amount_fen,
            received_on=d.received_on,
            donor=None if d.anonymous else d.donor_name,
            note=d.note,
        )


class InstalmentPublic(BaseModel):
    number: int
    amount_fen: int
    receipt: str
    paid_on: date


class BudgetItemBody(BaseModel):
    item: str
    amount_fen: int


class GrantPublic(BaseModel):
    id: str
    number: int
    title: str
    purpose: str
    budget: list[BudgetItemBody]
    amount_fen: int
    benefiting_estates: list[str]
    applicant_kind: str
    group_name: str | None
    applicant: str | None = Field(description="The applicant's account: to itself and the community officer only")
    status: str = Field(description="applied, awaiting_ballot, approved, rejected, closed")
    approved_fen: int
    disbursed_fen: int
    decided_by: str | None = Field(description="officer or ballot")
    decision_note: str
    ballot_subject: str = Field(description="The subject each benefiting estate's ballot carries (above the threshold)")
    ballots: dict[str, str]
    instalments: list[InstalmentPublic]
    attachments: list[str]
    report: str
    report_photos: list[str]

    @classmethod
    def of(cls, grant: Grant, number: int, full: bool) -> GrantPublic:
        a = grant.application
        return cls(
            id=grant.id,
            number=number,
            title=a.title,
            purpose=a.purpose,
            budget=[BudgetItemBody(item=b.item, amount_fen=b.amount_fen) for b in a.budget],
            amount_fen=grant.amount_fen,
            benefiting_estates=list(a.benefiting_estates),
            applicant_kind=a.applicant_kind.value,
            group_name=a.group_name,
            applicant=grant.applicant if full else None,
            status=grant.status.value,
            approved_fen=grant.approved_fen,
            disbursed_fen=grant.disbursed_fen,
            decided_by=grant.decided_by,
            decision_note=grant.decision_note,
            ballot_subject=ballot_subject(grant.id),
            ballots=dict(grant.ballots),
            instalments=[
                InstalmentPublic(number=i.number, amount_fen=i.amount_fen, receipt=i.receipt, paid_on=i.paid_on)
                for i in grant.instalments
            ],
            attachments=list(a.attachments),
            report=grant.report,
            report_photos=list(grant.report_photos),
        )


class StatementPublic(BaseModel):
    community_code: str
    name: str
    estates: list[str]
    threshold_fen: int = Field(description="The officer decides grants up to this; above it, the households by ballot")
    balance_fen: int = Field(description="The fund's cash (account 1000 of its book in the ledger)")
    pledges_receivable_fen: int
    grants_payable_fen: int = Field(description="Approved and not yet paid")
    donations_from_firms_fen: int = Field(description="Pledged by the firms, in all")
    other_donations_fen: int
    grants_fen: int = Field(description="Granted, net of what closed grants did not need")
    firms: list[FirmPublic]
    donations: list[DonationPublic]
    grants: list[GrantPublic]


class DonationBody(BaseModel):
    source: DonorKind
    amount_fen: int
    received_on: date
    estate_code: str | None = Field(default=None, description="For a firm's transfer: the estate whose pledges it pays")
    donor_name: str | None = None
    anonymous: bool = True
    note: str = ""


class ApplicationBody(BaseModel):
    title: str
    purpose: str
    budget: list[BudgetItemBody] = Field(min_length=1, max_length=30)
    benefiting_estates: list[str] = Field(min_length=1, max_length=50)
    applicant_kind: ApplicantKind = ApplicantKind.RESIDENT
    group_name: str | None = None
    attachments: list[Sha256] = Field(default_factory=list, max_length=10)


class ReviewBody(BaseModel):
    approve: bool
    note: str = ""


class DisbursementBody(BaseModel):
    amount_fen: int
    receipt: Sha256
    paid_on: date


class CloseBody(BaseModel):
    report: str
    photos: list[Sha256] = Field(default_factory=list, max_length=10)


class RuleBody(BaseModel):
    threshold_fen: int = Field(examples=[500000])


class GrantHistoryPublic(BaseModel):
    action: str
    at: Any
    detail: dict[str, Any]


class GrantDetail(BaseModel):
    grant: GrantPublic
    history: list[GrantHistoryPublic]


class FilePublic(BaseModel):
    sha256: str
    size: int
    media_type: str
    file_name: str

    @classmethod
    def of(cls, stored: StoredFile) -> FilePublic:
        return cls(sha256=stored.sha256, size=stored.size, media_type=stored.media_type, file_name=stored.file_name)


def build_funds_router() -> APIRouter:
    router = api_router(prefix="/v1/communities/{community}/fund", tags=["micro-fund"])
    common = errors(404, 409, 422, 503)

    @router.get(
        "",
        response_model=StatementPublic,
        responses=errors(404, 422, 503),
        summary="The fund's public statement (everyone of the community's estates)",
    )
    def get_statement(community: str, principal: Member, app: App) -> StatementPublic:
        s = cases.statement(app, _community(community), principal)
        _, grants = cases.grants_of(app, community, principal)
        b = s.balances
        return StatementPublic(
            community_code=community,
            name=s.fund.name,
            estates=s.estates,
            threshold_fen=s.fund.rule.threshold_fen,
            balance_fen=b.get("1000", 0),
            pledges_receivable_fen=b.get("1200", 0),
            grants_payable_fen=-b.get("2100", 0),
            donations_from_firms_fen=-b.get("4000", 0),
            other_donations_fen=-b.get("4100", 0),
            grants_fen=b.get("5000", 0),
            firms=[
                FirmPublic(
                    estate_code=f.estate_code,
                    pledged_fen=f.pledged_fen,
                    received_fen=f.received_fen,
                    outstanding_fen=f.outstanding_fen,
                )
                for f in s.firms
            ],
            donations=[DonationPublic.of(d) for d in s.donations],
            grants=[GrantPublic.of(g, n, full) for g, n, full in grants],
        )

    @router.put(
        "/rule",
        response_model=RuleBody,
        responses=common,
        summary="The council's threshold for the officer's decisions (community officer)",
    )
    def put_rule(community: str, body: RuleBody, principal: Officer, app: App) -> RuleBody:
        fund = cases.set_rule(app, _community(community), principal, CouncilRule(body.threshold_fen))
        return RuleBody(threshold_fen=fund.rule.threshold_fen)

    @router.post(
        "/donations",
        status_code=201,
        response_model=DonationPublic,
        responses=common,
        summary="Record money received: a firm's transfer against its pledges, or another donation (officer)",
    )
    def post_donation(
        community: str, body: DonationBody, principal: Officer, app: App, key: IdempotencyKey, response: Response
    ) -> DonationPublic:
        donation = Donation(
            body.source, body.amount_fen, body.received_on, body.estate_code, body.donor_name, body.anonymous, body.note
        )
        stored, replayed = cases.record_donation(app, _community(community), principal, donation, key)
        _replayed(response, replayed)
        return DonationPublic.of(stored)

    @router.get(
        "/donations",
        response_model=list[DonationPublic],
        responses={**errors(404, 422, 503), **PAGED},
        summary="The money the fund received, newest first (everyone of the community's estates)",
        description="A page of the statement's donations, newest first (by the day received, then the "
        "latest recorded): `limit` 1 to 500 (default 100) after `offset` (0 to 1,000,000). The "
        "`X-Total-Count` header gives how many donations there are in all.",
    )
    def list_donations(
        community: str,
        principal: Member,
        app: App,
        response: Response,
        limit: PageLimit = 100,
        offset: PageOffset = 0,
    ) -> list[DonationPublic]:
        total, donations = cases.donations_of(app, _community(community), principal, limit, offset)
        response.headers[TOTAL_COUNT] = str(total)
        return [DonationPublic.of(d) for d in donations]

    @router.post(
        "/files",
        status_code=201,
        response_model=FilePublic,
        responses=errors(404, 409, 413, 422, 503),
        summary="Upload an attachment, receipt or photo (PDF, PNG, JPEG, WebP, checked from the bytes)",
    )
    async def upload(community: str, principal: Uploader, app: App, file: Annotated[UploadFile, File()]) -> FilePublic:
        data = await file.read(UPLOAD_LIMIT + 1)
        if len(data) > UPLOAD_LIMIT:
            raise InvalidInput("a file is at most 10 MiB")
        stored = await run_in_threadpool(
            cases.upload_file, app, _community(community), principal, data, file.filename or ""
        )
        return FilePublic.of(stored)

    @router.get(
        "/files/{sha256}",
        response_class=Response,
        responses=errors(404, 409, 422, 503),
        summary="A file of the fund (everyone of the community's estates)",
    )
    def download(community: str, sha256: str, principal: Member, app: App) -> Response:
        stored, data = cases.fund_file(app, _community(community), principal, sha256)
        return Response(content=data, media_type=stored.media_type, headers={"X-Content-Type-Options": "nosniff"})

    @router.post(
        "/grants",
        status_code=201,
        response_model=GrantPublic,
        responses=common,
        summary="Apply for a grant (a resident, for itself or a resident group, or an estate's supervisor)",
    )
    def apply(
        community: str,
        body: ApplicationBody,
        principal: Applicant,
        app: App,
        key: OptionalIdempotencyKey,
        response: Response,
    ) -> GrantPublic:
        application = Application(
            title=body.title,
            purpose=body.purpose,
            budget=tuple(BudgetItem(b.item, b.amount_fen) for b in body.budget),
            benefiting_estates=tuple(body.benefiting_estates),
            applicant_kind=body.applicant_kind,
            group_name=body.group_name,
            attachments=tuple(body.attachments),
        )
        grant, number, replayed = cases.apply_for_grant(app, _community(community), principal, application, key)
        _replayed(response, replayed)
        return GrantPublic.of(grant, number, True)

    @router.get(
        "/grants",
        response_model=list[GrantPublic],
        responses={**errors(404, 422, 503), **PAGED},
        summary="The fund's grants (the applicant shown only to itself and the officer)",
        description="A page of the grants by number: `limit` 1 to 500 (default 100) after `offset` "
        "(0 to 1,000,000). The `X-Total-Count` header gives how many grants there are in all (every "
        "grant is listed to everyone of the community; only the applicant is masked).",
    )
    def list_grants(
        community: str,
        principal: Member,
        app: App,
        response: Response,
        limit: PageLimit = 100,
        offset: PageOffset = 0,
    ) -> list[GrantPublic]:
        total, grants = cases.grants_of(app, _community(community), principal, limit, offset)
        response.headers[TOTAL_COUNT] = str(total)
        return [GrantPublic.of(g, n, full) for g, n, full in grants]

    @router.get(
        "/grants/{grant_id}",
        response_model=GrantDetail,
        responses=errors(404, 422, 503),
        summary="A grant and its history",
    )
    def get_grant(community: str, grant_id: str, principal: Member, app: App) -> GrantDetail:
        grant, number, full, history = cases.grant_detail(app, _community(community), principal, grant_id)
        return GrantDetail(
            grant=GrantPublic.of(grant, number, full),
            history=[GrantHistoryPublic(action=a, at=at, detail=d) for a, _, d, at in history],
        )

    @router.post(
        "/grants/{grant_id}/review",
        response_model=GrantPublic,
        responses=common,
        summary="The officer's review: the decision under the threshold, or the grant to the estates' ballots",
    )
    def review(community: str, grant_id: str, body: ReviewBody, principal: Officer, app: App) -> GrantPublic:
        grant, number = cases.review_grant(app, _community(community), principal, grant_id, body.approve, body.note)
        return GrantPublic.of(grant, number, True)

    @router.post(
        "/grants/{grant_id}/disbursements",
        status_code=201,
        response_model=GrantPublic,
        responses=common,
        summary="Pay an instalment with its receipt, within the approved amount and the fund's cash (officer)",
    )
    def disburse(
        community: str,
        grant_id: str,
        body: DisbursementBody,
        principal: Officer,
        app: App,
        key: IdempotencyKey,
        response: Response,
    ) -> GrantPublic:
        grant, number, replayed = cases.disburse_grant(
            app, _community(community), principal, grant_id, body.amount_fen, body.receipt, body.paid_on, key
        )
        _replayed(response, replayed)
        return GrantPublic.of(grant, number, True)

    @router.post(
        "/grants/{grant_id}/close",
        response_model=GrantPublic,
        responses=common,
        summary="Close a grant with a short report and photos; what it did not need returns to the fund",
    )
    def close(community: str, grant_id: str, body: CloseBody, principal: Officer, app: App) -> GrantPublic:
        grant, number = cases.close_grant(app, _community(community), principal, grant_id, body.report, body.photos)
        return GrantPublic.of(grant, number, True)

    return router
