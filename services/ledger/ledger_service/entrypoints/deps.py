"""Typed dependencies of the ledger's HTTP routes (the pattern of full-stack-fastapi-template's
``api/deps.py``): who may call a route, the required idempotency key, and the estate's unit of
work — so each route reads as a plain signature and the role table can be tested in-process with
``dependency_overrides``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, Request, Response

from ledger_service.service_layer.common import IDEMPOTENCY_KEY
from ledger_service.service_layer.unit_of_work import LedgerUnitOfWork
from xinyi_shared.api import estate_member
from xinyi_shared.auth import ESTATE_ROLES, Principal, Role
from xinyi_shared.errors import InvalidInput
from xinyi_shared.http import EstateCode

FIRM = (Role.FIRM_MANAGER, Role.FIRM_STAFF)
OVERSIGHT = (Role.FIRM_MANAGER, Role.FIRM_STAFF, Role.SUPERVISOR)


async def idempotency_key(
    key: Annotated[
        str,
        Header(
            alias="Idempotency-Key",
            description="Required: 8-128 letters, digits, '_', '.', ':' or '-', unique per intended write. "
            "A retry with the same key returns the first answer (Idempotent-Replayed: true).",
        ),
    ],
) -> str:
    if not IDEMPOTENCY_KEY.match(key):
        raise InvalidInput("an Idempotency-Key of 8-128 letters, digits, '_', '.', ':' or '-' is required")
    return key


IdempotencyKey = Annotated[str, Depends(idempotency_key)]


AnyMember = Annotated[Principal, Depends(estate_member(*ESTATE_ROLES))]
FirmMember = Annotated[Principal, Depends(estate_member(*FIRM))]
FirmManager = Annotated[Principal, Depends(estate_member(Role.FIRM_MANAGER))]
Overseer = Annotated[Principal, Depends(estate_member(*OVERSIGHT))]
Supervisor = Annotated[Principal, Depends(estate_member(Role.SUPERVISOR))]


async def estate_unit_of_work(code: EstateCode, request: Request) -> LedgerUnitOfWork:
    factory: Callable[[str], LedgerUnitOfWork] = request.app.state.ledger_uow_factory
    return factory(code)


EstateUnitOfWork = Annotated[LedgerUnitOfWork, Depends(estate_unit_of_work)]


def mark_replayed(response: Response, replayed: bool) -> None:
    """Tell a retry that it got the first answer (a write repeated under its idempotency key)."""
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
