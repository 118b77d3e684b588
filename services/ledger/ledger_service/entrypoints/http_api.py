"""HTTP API of the trust books (thin: parse, authorise, call the service layer, shape the output).

Every write that moves money needs an ``Idempotency-Key`` header; a retry with the same key
returns the first answer (with ``Idempotent-Replayed: true``), the same key with another body 409."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from ledger_service.adapters.statement_pdf import StatementView, render_statement_pdf
from ledger_service.domain.books import TrustBooks
from ledger_service.service_layer import journal as cases
from ledger_service.service_layer.books import chart_of_accounts
from xinyi_shared.auth import ESTATE_ROLES, Principal, Role, require_estate_access, require_role
from xinyi_shared.db import Database
from xinyi_shared.errors import NotFound
from xinyi_shared.http import CurrentPrincipal, EstateCode

Period = Annotated[str, Path(description="A month, YYYY-MM", pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]
IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", description="8-128 characters, unique per intended write")
]
FIRM = (Role.FIRM_MANAGER, Role.FIRM_STAFF)
OVERSIGHT = (Role.FIRM_MANAGER, Role.FIRM_STAFF, Role.SUPERVISOR)


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


class BillingRun(BaseModel):
    model_config = ConfigDict(extra="forbid")
    period: str = Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", examples=["2026-11"])


class PaymentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    household_id: str
    amount_fen: int = Field(description="Integer fen (3150 = 31.50 CNY); positive")
    method: str = Field(description="cash, bank_transfer, wechat_pay or alipay")
    reference: str = Field(default="", max_length=200, description="Bank or WeChat Pay/Alipay transaction reference")
    received_on: date


class IncomeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(description="parking, advertising, venue_rent or other")
    amount_fen: int
    description: str = Field(default="", max_length=200)
    received_on: date


class ReversalCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)


def _replayed(response: Response, replayed: bool) -> None:
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"


def build_district_router(database: Database, registry: cases.Registry) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["billing"])

    @router.post(
        "/districts/{district}/billing-runs", summary="Bill every estate of a district for a month (platform_admin)"
    )
    def district_billing(
        district: Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")],
        body: BillingRun,
        principal: CurrentPrincipal,
        idempotency_key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        require_role(principal, Role.PLATFORM_ADMIN, Role.SERVICE)
        return cases.run_district_billing(
            database, registry, district, body.period, cases.check_key(idempotency_key), principal.username
        )

    return router


def build_router(database: Database, registry: cases.Registry, membership: Any) -> APIRouter:
    router = APIRouter(prefix="/v1/estates/{code}")

    def require_household_reader(principal: Principal, code: str, household_id: str) -> None:
        """The firm and the supervisor read every household's account; a resident only its own."""
        require_estate_access(principal, code, *ESTATE_ROLES)
        if principal.has_role(*OVERSIGHT):
            return
        if household_id not in membership.households_of_user(code, principal.subject):
            raise NotFound("no such household account")

    @router.get(
        "/accounts",
        tags=["trust books"],
        response_model=ChartPublic,
        summary="The chart of accounts (anyone of the estate)",
    )
    def get_chart(code: EstateCode, principal: CurrentPrincipal) -> ChartPublic:
        require_estate_access(principal, code, *ESTATE_ROLES)
        return ChartPublic.of(chart_of_accounts(database, code))

    @router.post(
        "/billing-runs",
        tags=["billing"],
        summary="Bill every household for a month (firm); billing twice bills nothing new",
    )
    def billing_run(
        code: EstateCode, body: BillingRun, principal: CurrentPrincipal, idempotency_key: IdempotencyKey = None
    ) -> dict[str, Any]:
        require_estate_access(principal, code, *FIRM)
        return cases.run_billing(
            database, registry, code, body.period, cases.check_key(idempotency_key), principal.username
        )

    @router.post(
        "/payments",
        tags=["payments"],
        status_code=201,
        summary="Record a household's payment (firm); oldest bills first",
    )
    def payment(
        code: EstateCode,
        body: PaymentCreate,
        principal: CurrentPrincipal,
        response: Response,
        idempotency_key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        require_estate_access(principal, code, *FIRM)
        result, replayed = cases.record_payment(
            database,
            registry,
            code,
            cases.check_key(idempotency_key),
            body.household_id,
            body.amount_fen,
            body.method,
            body.reference,
            body.received_on,
            principal.username,
        )
        _replayed(response, replayed)
        return result

    @router.post(
        "/common-income",
        tags=["income"],
        status_code=201,
        summary="Record common income: parking, advertising, venue rent, other (firm)",
    )
    def income(
        code: EstateCode,
        body: IncomeCreate,
        principal: CurrentPrincipal,
        response: Response,
        idempotency_key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        require_estate_access(principal, code, *FIRM)
        result, replayed = cases.record_common_income(
            database,
            code,
            cases.check_key(idempotency_key),
            body.kind,
            body.amount_fen,
            body.description,
            body.received_on,
            principal.username,
        )
        _replayed(response, replayed)
        return result

    @router.post(
        "/transactions/{transaction_id}/reversal",
        tags=["corrections"],
        status_code=201,
        summary="Correct an entry by reversing it (firm manager)",
    )
    def reversal(
        code: EstateCode,
        transaction_id: UUID,
        body: ReversalCreate,
        principal: CurrentPrincipal,
        response: Response,
        idempotency_key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        require_estate_access(principal, code, Role.FIRM_MANAGER)
        result, replayed = cases.reverse(
            database, registry, code, cases.check_key(idempotency_key), transaction_id, body.reason, principal.username
        )
        _replayed(response, replayed)
        return result

    @router.post(
        "/periods/{period}/close",
        tags=["periods"],
        summary="Close a month: donation, frozen entries, statement (firm manager)",
    )
    def close(
        code: EstateCode,
        period: Period,
        principal: CurrentPrincipal,
        response: Response,
        idempotency_key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        require_estate_access(principal, code, Role.FIRM_MANAGER)
        result, replayed = cases.close_period(
            database, registry, code, period, cases.check_key(idempotency_key), principal.username
        )
        _replayed(response, replayed)
        return result

    @router.get("/statements/{period}", tags=["statements"], summary="The monthly statement (anyone of the estate)")
    def statement(code: EstateCode, period: Period, principal: CurrentPrincipal) -> dict[str, Any]:
        require_estate_access(principal, code, *ESTATE_ROLES)
        return cases.get_statement(database, code, period)

    @router.get(
        "/statements/{period}/pdf",
        tags=["statements"],
        summary="The monthly statement as a printable PDF",
        response_class=Response,
    )
    def statement_pdf(code: EstateCode, period: Period, principal: CurrentPrincipal) -> Response:
        require_estate_access(principal, code, *ESTATE_ROLES)
        s = cases.get_statement(database, code, period)
        names = {account.code: account.name_zh for account in chart_of_accounts(database, code).accounts}
        view = StatementView(
            estate_code=code,
            estate_name=s["estate_name"] or code,
            period=period,
            generated_at=cases.estate_now(database, code),
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
        )
        return Response(
            render_statement_pdf(view),
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{code}-{period}.pdf"'},
        )

    @router.get(
        "/households/{household_id}/account",
        tags=["payments"],
        summary="A household's bills, payments, arrears and prepaid credit",
    )
    def account(code: EstateCode, household_id: UUID, principal: CurrentPrincipal) -> dict[str, Any]:
        require_household_reader(principal, code, str(household_id))
        return cases.household_account(database, code, str(household_id))

    @router.get("/arrears", tags=["payments"], summary="Arrears per household and ageing (firm and supervisor)")
    def arrears(code: EstateCode, principal: CurrentPrincipal) -> dict[str, Any]:
        require_estate_access(principal, code, *OVERSIGHT)
        return cases.arrears(database, code)

    @router.get(
        "/transactions", tags=["trust books"], summary="Every entry of the books, newest first (public to the estate)"
    )
    def transactions(
        code: EstateCode,
        principal: CurrentPrincipal,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> list[dict[str, Any]]:
        require_estate_access(principal, code, *ESTATE_ROLES)
        return cases.entries(database, code, limit, offset)

    @router.get("/balances", tags=["trust books"], summary="Balance of every account (debits minus credits, fen)")
    def get_balances(code: EstateCode, principal: CurrentPrincipal) -> dict[str, int]:
        require_estate_access(principal, code, *ESTATE_ROLES)
        return cases.balances(database, code)

    return router
