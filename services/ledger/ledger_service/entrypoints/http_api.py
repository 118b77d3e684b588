"""HTTP API of the trust books (thin: parse, authorise through typed dependencies, call a use case,
shape its typed result).

Every write that moves money needs an ``Idempotency-Key`` header; a retry with the same key
returns the first answer (with ``Idempotent-Replayed: true``), the same key with another body 409.
Amounts are strict integers of fen: booleans, strings and decimals are refused (422)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from ledger_service.adapters.statement_pdf import BudgetRow, OpenQuestion, StatementView, render_statement_pdf
from ledger_service.domain.books import TrustBooks
from ledger_service.domain.postings import MAX_ENTRY_FEN
from ledger_service.domain.views import EntryView, HouseholdAccount, PaymentRecorded, Posted
from ledger_service.entrypoints.deps import (
    OVERSIGHT,
    AnyMember,
    EstateUnitOfWork,
    FirmManager,
    FirmMember,
    Overseer,
    mark_replayed,
)
from ledger_service.entrypoints.http_governance import BudgetExecutionPublic
from ledger_service.service_layer import governance, postings, views
from ledger_service.service_layer.books import chart_of_accounts
from ledger_service.service_layer.common import Registry
from xinyi_shared.api import IdempotencyKey, errors
from xinyi_shared.auth import ESTATE_ROLES, require_estate_access
from xinyi_shared.db import Database
from xinyi_shared.errors import NotFound
from xinyi_shared.http import CurrentPrincipal, EstateCode, api_router

PERIOD_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
Period = Annotated[str, Path(description="A month, YYYY-MM", pattern=PERIOD_PATTERN)]
Fen = Annotated[StrictInt, Field(gt=0, le=MAX_ENTRY_FEN, description=f"Integer fen, 1 to {MAX_ENTRY_FEN}")]
MAX_ENTRY_NUMBER = 2**62


class AccountPublic(BaseModel):
    code: str
    name: str
    name_zh: str
    type: str


class ChartPublic(BaseModel):
    estate_code: str
    fee_rate_fen_per_sqm_month: str
    remuneration_share_bps: int
    donation_share_bps: int
    accounts: list[AccountPublic]

    @classmethod
    def of(cls, books: TrustBooks) -> ChartPublic:
        return cls(
            estate_code=books.terms.estate_code,
            fee_rate_fen_per_sqm_month=str(books.terms.fee_rate_fen_per_sqm_month),
            remuneration_share_bps=books.terms.remuneration_share_bps,
            donation_share_bps=books.terms.donation_share_bps,
            accounts=[
                AccountPublic(code=a.code, name=a.name, name_zh=a.name_zh, type=a.type.value) for a in books.accounts
            ],
        )


class PaymentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    household_id: UUID
    amount_fen: Fen
    method: str = Field(description="cash, bank_transfer, wechat_pay or alipay")
    reference: str = Field(default="", max_length=200, description="Bank or WeChat Pay/Alipay transaction reference")
    received_on: date


class IncomeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(description="parking, advertising, venue_rent or other")
    amount_fen: Fen
    description: str = Field(default="", max_length=200)
    received_on: date


class ReversalCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)


class Allocated(BaseModel):
    bill_id: str
    amount_fen: int


class PaymentPublic(BaseModel):
    payment_id: str
    transaction_id: str
    number: int = Field(description="The entry's number in the estate's books")
    period: str
    allocated: list[Allocated]
    to_prepaid_fen: int

    @classmethod
    def of(cls, result: PaymentRecorded) -> PaymentPublic:
        return cls(
            payment_id=result.payment_id,
            transaction_id=result.transaction_id,
            number=result.number,
            period=result.period,
            allocated=[Allocated(bill_id=b, amount_fen=f) for b, f in result.allocated],
            to_prepaid_fen=result.to_prepaid_fen,
        )


class PostedPublic(BaseModel):
    transaction_id: str
    number: int
    period: str
    reverses: str | None = None

    @classmethod
    def of(cls, result: Posted) -> PostedPublic:
        return cls(
            transaction_id=result.transaction_id, number=result.number, period=result.period, reverses=result.reverses
        )


class StatementPublic(BaseModel):
    estate_code: str
    estate_name: str
    closed: bool
    period: str
    opening_balance_fen: int
    fees_billed_fen: int
    fees_collected_fen: int
    collection_rate_bps: int
    common_income_by_kind: dict[str, int]
    expenses_by_budget_line: dict[str, int]
    remuneration_fen: int
    donation_fen: int
    closing_balance_fen: int
    surplus_year_to_date_fen: int
    budget: BudgetExecutionPublic = Field(
        description="Budget vs actual per line for the month's year, and the questions awaiting the firm's answer"
    )


class BillPublic(BaseModel):
    id: str
    period: str
    amount_fen: int
    billed_on: date
    area_centi_sqm: int
    rate: str
    occupied_days: int | None
    due_fen: int


class PaymentRecordPublic(BaseModel):
    id: str
    amount_fen: int
    method: str
    reference: str
    received_on: date
    transaction_id: str


class HouseholdAccountPublic(BaseModel):
    household_id: str
    owed_fen: int
    prepaid_fen: int
    bills: list[BillPublic]
    payments: list[PaymentRecordPublic]

    @classmethod
    def of(cls, account: HouseholdAccount) -> HouseholdAccountPublic:
        return cls(
            household_id=account.household_id,
            owed_fen=account.owed_fen,
            prepaid_fen=account.prepaid_fen,
            bills=[BillPublic(**vars(b)) for b in account.bills],
            payments=[PaymentRecordPublic(**vars(p)) for p in account.payments],
        )


class HouseholdOwing(BaseModel):
    household_id: str
    owed_fen: int


class ArrearsPublic(BaseModel):
    as_of: date
    total_fen: int
    ageing_fen: dict[str, int]
    households: list[HouseholdOwing]
    next_after: str | None = Field(description="Pass as ?after= for the next page; null on the last page")


class EntryLinePublic(BaseModel):
    account: str
    amount_fen: int
    household_id: str | None = Field(description="The household of a 1100/2000 line; null when blinded")
    blinded: bool = Field(
        default=False, description="Another household's line, shown to a resident without its household"
    )


class EntryPublic(BaseModel):
    id: str
    number: int = Field(description="The entry's number in the estate's books; page with ?before=")
    period: str
    kind: str
    memo: str
    reverses: str | None
    posted_at: datetime
    posted_by: str
    lines: list[EntryLinePublic]

    @classmethod
    def of(cls, entry: EntryView, visible_households: set[str] | None = None) -> EntryPublic:
        """``visible_households``: the only households whose lines the caller may see (None: all)."""

        def line(entry_line: EntryLinePublic) -> EntryLinePublic:
            household = entry_line.household_id
            if visible_households is None or household is None or household in visible_households:
                return entry_line
            return EntryLinePublic(
                account=entry_line.account, amount_fen=entry_line.amount_fen, household_id=None, blinded=True
            )

        return cls(
            id=entry.id,
            number=entry.number,
            period=entry.period,
            kind=entry.kind,
            memo=entry.memo,
            reverses=entry.reverses,
            posted_at=entry.posted_at,
            posted_by=entry.posted_by,
            lines=[line(EntryLinePublic(**vars(entry_line))) for entry_line in entry.lines],
        )


def build_router(database: Database, registry: Registry, membership: Any) -> APIRouter:
    router = api_router(prefix="/v1/estates/{code}")

    @router.get(
        "/accounts",
        tags=["trust books"],
        response_model=ChartPublic,
        responses=errors(404),
        summary="The chart of accounts (anyone of the estate)",
    )
    def get_chart(code: EstateCode, principal: AnyMember) -> ChartPublic:
        return ChartPublic.of(chart_of_accounts(database, code))

    @router.post(
        "/payments",
        tags=["payments"],
        status_code=201,
        response_model=PaymentPublic,
        responses=errors(404, 409, 422),
        summary="Record a household's payment (firm); oldest bills first",
    )
    def payment(
        code: EstateCode,
        body: PaymentCreate,
        principal: FirmMember,
        key: IdempotencyKey,
        uow: EstateUnitOfWork,
        response: Response,
    ) -> PaymentPublic:
        result, replayed = postings.record_payment(
            uow,
            registry,
            key,
            str(body.household_id),
            body.amount_fen,
            body.method,
            body.reference,
            body.received_on,
            principal.username,
        )
        mark_replayed(response, replayed)
        return PaymentPublic.of(result)

    @router.post(
        "/common-income",
        tags=["income"],
        status_code=201,
        response_model=PostedPublic,
        responses=errors(404, 409, 422),
        summary="Record common income: parking, advertising, venue rent, other (firm)",
    )
    def income(
        code: EstateCode,
        body: IncomeCreate,
        principal: FirmMember,
        key: IdempotencyKey,
        uow: EstateUnitOfWork,
        response: Response,
    ) -> PostedPublic:
        result, replayed = postings.record_common_income(
            uow, key, body.kind, body.amount_fen, body.description, body.received_on, principal.username
        )
        mark_replayed(response, replayed)
        return PostedPublic.of(result)

    @router.post(
        "/transactions/{transaction_id}/reversal",
        tags=["corrections"],
        status_code=201,
        response_model=PostedPublic,
        responses=errors(404, 409, 422),
        summary="Correct an entry by reversing it (firm manager)",
    )
    def reversal(
        code: EstateCode,
        transaction_id: UUID,
        body: ReversalCreate,
        principal: FirmManager,
        key: IdempotencyKey,
        uow: EstateUnitOfWork,
        response: Response,
    ) -> PostedPublic:
        result, replayed = postings.reverse(uow, key, transaction_id, body.reason, principal.username)
        mark_replayed(response, replayed)
        return PostedPublic.of(result)

    @router.post(
        "/periods/{period}/close",
        tags=["periods"],
        response_model=StatementPublic,
        responses=errors(404, 409, 422),
        summary="Close a month: remuneration, donation, frozen entries, statement (firm manager)",
    )
    def close(
        code: EstateCode,
        period: Period,
        principal: FirmManager,
        key: IdempotencyKey,
        request: Request,
        response: Response,
    ) -> dict[str, Any]:
        factory = request.app.state.ledger_uow_factory
        result, replayed = postings.close_period(factory(code), registry, period, key, principal.username)
        mark_replayed(response, replayed)
        # Answered as GET /statements/{period} answers it: the kept statement and budget vs actual.
        return {**result, "budget": BudgetExecutionPublic.of(governance.budget_execution(factory(code), period))}

    @router.get(
        "/statements/{period}",
        tags=["statements"],
        response_model=StatementPublic,
        responses=errors(404, 422),
        summary="The monthly statement (anyone of the estate); 404 outside the books' months",
    )
    def statement(code: EstateCode, period: Period, principal: AnyMember, request: Request) -> dict[str, Any]:
        factory = request.app.state.ledger_uow_factory
        result = views.get_statement(factory(code), period)
        execution = governance.budget_execution(factory(code), period)
        return {**result, "budget": BudgetExecutionPublic.of(execution)}

    @router.get(
        "/statements/{period}/pdf",
        tags=["statements"],
        response_class=Response,
        responses={200: {"content": {"application/pdf": {}}}, **errors(404, 422)},
        summary="The monthly statement as a printable PDF",
    )
    def statement_pdf(code: EstateCode, period: Period, principal: AnyMember, request: Request) -> Response:
        factory = request.app.state.ledger_uow_factory
        s = views.get_statement(factory(code), period)
        execution = governance.budget_execution(factory(code), period)
        names = {account.code: account.name_zh for account in chart_of_accounts(database, code).accounts}
        view = StatementView(
            estate_code=code,
            estate_name=s["estate_name"] or code,
            period=period,
            generated_at=views.estate_now(factory(code)),
            opening_balance_fen=s["opening_balance_fen"],
            fees_billed_fen=s["fees_billed_fen"],
            fees_collected_fen=s["fees_collected_fen"],
            collection_rate_bps=s["collection_rate_bps"],
            common_income_by_kind=s["common_income_by_kind"],
            expenses_by_budget_line={
                line: (names.get(line, line), fen) for line, fen in s["expenses_by_budget_line"].items()
            },
            remuneration_fen=s["remuneration_fen"],
            donation_fen=s["donation_fen"],
            closing_balance_fen=s["closing_balance_fen"],
            surplus_year_to_date_fen=s["surplus_year_to_date_fen"],
            closed=s["closed"],
            budget_plan=execution.adopted.plan.name if execution.adopted else None,
            budget_rows=tuple(
                BudgetRow(
                    account=line.account,
                    name=names.get(line.account, line.name),
                    adopted_fen=line.adopted_fen,
                    booked_in_period_fen=line.booked_in_period_fen,
                    booked_year_to_date_fen=line.booked_year_to_date_fen,
                    committed_fen=line.committed_fen,
                    remaining_fen=line.remaining_fen,
                )
                for line in execution.lines
            ),
            open_questions=tuple(
                OpenQuestion(q.expense_number, q.question, f"{q.asked_at:%Y-%m-%d}") for q in execution.open_questions
            ),
        )
        return Response(
            render_statement_pdf(view),
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{code}-{period}.pdf"'},
        )

    @router.get(
        "/households/{household_id}/account",
        tags=["payments"],
        response_model=HouseholdAccountPublic,
        responses=errors(404, 422),
        summary="A household's bills, payments, arrears and prepaid credit (its members, the firm, the supervisor)",
    )
    def account(
        code: EstateCode, household_id: UUID, principal: CurrentPrincipal, uow: EstateUnitOfWork
    ) -> HouseholdAccountPublic:
        require_estate_access(principal, code, *ESTATE_ROLES)
        if not principal.has_role(*OVERSIGHT) and str(household_id) not in membership.households_of_user(
            code, principal.subject
        ):
            raise NotFound("no such household account")
        return HouseholdAccountPublic.of(views.household_account(uow, str(household_id)))

    @router.get(
        "/arrears",
        tags=["payments"],
        response_model=ArrearsPublic,
        responses=errors(404, 422),
        summary="Arrears per household, a page at a time, and ageing (firm and supervisor)",
    )
    def arrears(
        code: EstateCode,
        principal: Overseer,
        uow: EstateUnitOfWork,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
        after: Annotated[UUID | None, Query(description="The last household of the previous page")] = None,
    ) -> ArrearsPublic:
        result = views.arrears(uow, limit, str(after) if after else None)
        return ArrearsPublic(
            as_of=result.as_of,
            total_fen=result.total_fen,
            ageing_fen=result.ageing_fen,
            households=[HouseholdOwing(household_id=h, owed_fen=f) for h, f in result.households],
            next_after=result.next_after,
        )

    @router.get(
        "/transactions",
        tags=["trust books"],
        response_model=list[EntryPublic],
        responses=errors(404, 422),
        summary="The entries of the books, newest first (public to the estate: other households' lines "
        "blinded for residents); page with ?before=<number>",
    )
    def transactions(
        code: EstateCode,
        principal: AnyMember,
        uow: EstateUnitOfWork,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        before: Annotated[
            int | None, Query(ge=1, le=MAX_ENTRY_NUMBER, description="Entries numbered below this one")
        ] = None,
    ) -> list[EntryPublic]:
        # The firm and the supervisor see every line; anyone else sees its own households' lines in
        # full and the others' amounts without their household (docs/access.md).
        visible = (
            None if principal.has_role(*OVERSIGHT) else set(membership.households_of_user(code, principal.subject))
        )
        return [EntryPublic.of(entry, visible) for entry in views.entries(uow, limit, before)]

    @router.get(
        "/balances",
        tags=["trust books"],
        response_model=dict[str, int],
        responses=errors(404),
        summary="Balance of every account (debits minus credits, fen)",
    )
    def get_balances(code: EstateCode, principal: AnyMember, uow: EstateUnitOfWork) -> dict[str, int]:
        return views.balances(uow)

    return router
