"""Typed dependencies of the ledger's HTTP routes (the pattern of full-stack-fastapi-template's
``api/deps.py``): who may call a route and the estate's unit of work — so each route reads as a plain signature and the role table can be tested in-process with
``dependency_overrides``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request, Response

from ledger_service.service_layer.unit_of_work import LedgerUnitOfWork
from xinyi_shared.api import estate_member
from xinyi_shared.auth import ESTATE_ROLES, Principal, Role
from xinyi_shared.http import EstateCode

FIRM = (Role.FIRM_MANAGER, Role.FIRM_STAFF)
OVERSIGHT = (Role.FIRM_MANAGER, Role.FIRM_STAFF, Role.SUPERVISOR)


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
