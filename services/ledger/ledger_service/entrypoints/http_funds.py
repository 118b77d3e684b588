"""HTTP API of the community micro-funds' books for people (thin: authorise, call a use case, shape):
the fund's accounts and balances, its entries, and its signed log (the key, the latest checkpoint,
inclusion and consistency proofs, in the formats of docs/transparency.md).

Who reads a fund's book: the platform's services and admins, and anyone of an estate of the fund's
community (the token's estates; the ledger knows each estate's community from its books). Anyone
else is refused (403), before the book is looked for. The micro-fund service writes over gRPC."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from ledger_service.domain.funds import fund_book_code
from ledger_service.entrypoints.http_api import MAX_ENTRY_NUMBER, EntryPublic
from ledger_service.entrypoints.http_log import CheckpointPublic, LogKeyPublic, TreeSize
from ledger_service.service_layer import funds
from ledger_service.service_layer.unit_of_work import LedgerUnitOfWork
from xinyi_shared.api import errors
from xinyi_shared.auth import ESTATE_ROLES, Principal, Role, require_role
from xinyi_shared.errors import PermissionDenied
from xinyi_shared.http import AreaCode, CurrentPrincipal, api_router

PLATFORM = (Role.SERVICE, Role.PLATFORM_ADMIN)


def _books(request: Request) -> Callable[[str], LedgerUnitOfWork]:
    factory: Callable[[str], LedgerUnitOfWork] = request.app.state.ledger_uow_factory
    return factory


def fund_reader(community: AreaCode, principal: CurrentPrincipal, request: Request) -> Principal:
    """The platform's services and admins, or a person of an estate of ``community`` (else 403)."""
    if principal.has_role(*PLATFORM):
        return principal
    require_role(principal, *PLATFORM, *ESTATE_ROLES)
    if not funds.of_the_community(_books(request), principal.estates, community):
        raise PermissionDenied("the token's estates are not of this community: its fund's book is theirs to read")
    return principal


async def fund_unit_of_work(community: AreaCode, request: Request) -> LedgerUnitOfWork:
    return _books(request)(fund_book_code(community))


FundReader = Annotated[Principal, Depends(fund_reader)]
FundUnitOfWork = Annotated[LedgerUnitOfWork, Depends(fund_unit_of_work)]


class FundAccountPublic(BaseModel):
    code: str
    name: str
    name_zh: str
    type: str
    balance_fen: int = Field(description="Debits minus credits, fen")


class FundAccountsPublic(BaseModel):
    community_code: str
    name: str
    accounts: list[FundAccountPublic]


def build_funds_router() -> APIRouter:
    router = api_router(prefix="/v1/funds/{community}", tags=["community funds"])

    @router.get(
        "/accounts",
        response_model=FundAccountsPublic,
        responses=errors(404, 422),
        summary="The fund's chart of accounts with each balance (anyone of the community's estates)",
    )
    def accounts(community: AreaCode, principal: FundReader, uow: FundUnitOfWork) -> FundAccountsPublic:
        book, balances = funds.accounts(uow)
        return FundAccountsPublic(
            community_code=book.community_code,
            name=book.name,
            accounts=[
                FundAccountPublic(
                    code=b.account.code,
                    name=b.account.name,
                    name_zh=b.account.name_zh,
                    type=b.account.type.value,
                    balance_fen=b.balance_fen,
                )
                for b in balances
            ],
        )

    @router.get(
        "/transactions",
        response_model=list[EntryPublic],
        responses=errors(404, 422),
        summary="The fund's entries, newest first (anyone of the community's estates); page with ?before=<number>",
    )
    def transactions(
        community: AreaCode,
        principal: FundReader,
        uow: FundUnitOfWork,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        before: Annotated[
            int | None, Query(ge=1, le=MAX_ENTRY_NUMBER, description="Entries numbered below this one")
        ] = None,
    ) -> list[EntryPublic]:
        return [EntryPublic.of(entry) for entry in funds.entries(uow, limit, before)]

    @router.get(
        "/log/key",
        response_model=LogKeyPublic,
        responses=errors(404, 422),
        summary="The fund's log origin and verifier key (anyone of the community's estates)",
    )
    def key(community: AreaCode, principal: FundReader, uow: FundUnitOfWork) -> LogKeyPublic:
        identity = funds.identity(uow)
        return LogKeyPublic(origin=identity.origin, log_key=identity.log_key, witness_keys=[])

    @router.get(
        "/log/checkpoints/latest",
        response_model=CheckpointPublic,
        responses=errors(404, 422),
        summary="The fund's latest checkpoint (anyone of the community's estates)",
    )
    def latest(community: AreaCode, principal: FundReader, uow: FundUnitOfWork) -> CheckpointPublic:
        return CheckpointPublic.of(funds.checkpoint(uow))

    @router.get(
        "/log/consistency",
        response_model=dict[str, Any],
        responses=errors(404, 422),
        summary="A consistency proof between two of the fund's checkpoints (xinyi-consistency/v1)",
    )
    def consistency(
        community: AreaCode,
        principal: FundReader,
        uow: FundUnitOfWork,
        from_size: Annotated[int, Query(alias="from", ge=1, le=2**62)],
        to_size: Annotated[int | None, Query(alias="to", ge=1, le=2**62)] = None,
    ) -> dict[str, Any]:
        return funds.consistency(uow, from_size, to_size)

    @router.get(
        "/log/entries/{transaction_id}/proof",
        response_model=dict[str, Any],
        responses=errors(404, 409, 422),
        summary="An entry's inclusion proof in a checkpoint of the fund's log (xinyi-inclusion/v1)",
    )
    def proof(
        community: AreaCode,
        transaction_id: UUID,
        principal: FundReader,
        uow: FundUnitOfWork,
        tree_size: TreeSize | None = None,
        from_tree_size: Annotated[
            int | None, Query(ge=1, le=2**62, description="An older checkpoint you hold: also prove it a prefix")
        ] = None,
    ) -> dict[str, Any]:
        return funds.inclusion(uow, str(transaction_id), tree_size, from_tree_size)

    return router
