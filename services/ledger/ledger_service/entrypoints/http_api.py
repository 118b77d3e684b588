"""HTTP API of the trust books."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel

from ledger_service.domain.books import TrustBooks
from ledger_service.service_layer.books import chart_of_accounts
from xinyi_shared.auth import ESTATE_ROLES, require_estate_access
from xinyi_shared.db import Database
from xinyi_shared.http import CurrentPrincipal

EstateCode = Annotated[str, Path(description="The estate's code", pattern=r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")]


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


def build_router(database: Database) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["trust books"])

    @router.get(
        "/estates/{code}/accounts",
        response_model=ChartPublic,
        summary="The estate's chart of accounts (anyone of the estate: the books are public to it)",
    )
    def get_chart(code: EstateCode, principal: CurrentPrincipal) -> ChartPublic:
        require_estate_access(principal, code, *ESTATE_ROLES)
        return ChartPublic.of(chart_of_accounts(database, code))

    return router
