"""Typed dependencies of ticketing's HTTP routes (the pattern of full-stack-fastapi-template's
``api/deps.py``, through :mod:`xinyi_shared.api`): who may call a route reads in its signature, the
role table of docs/access.md can be tested in-process with ``dependency_overrides``, and the use
cases get the process's :class:`~ticketing_service.service_layer.tickets.Ticketing` and the caller
with the actors its roles make of it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response

from ticketing_service.service_layer.tickets import Caller, Ticketing, caller
from xinyi_shared.api import estate_member
from xinyi_shared.auth import ESTATE_ROLES, Principal, Role

FIRM = (Role.FIRM_MANAGER, Role.FIRM_STAFF)
REPORTERS = (Role.RESIDENT, Role.GRID_LEADER, *FIRM)
REQUESTERS = (Role.RESIDENT, Role.GRID_LEADER)
WRITERS = (Role.RESIDENT, Role.GRID_LEADER, *FIRM)
ESCALATORS = (Role.RESIDENT, Role.GRID_LEADER, Role.COMMUNITY_OFFICER)

# Anyone of the path's estate (else 403).
AnyMember = Annotated[Principal, Depends(estate_member(*ESTATE_ROLES))]
Reporter = Annotated[Principal, Depends(estate_member(*REPORTERS))]
FirmMember = Annotated[Principal, Depends(estate_member(*FIRM))]
Requester = Annotated[Principal, Depends(estate_member(*REQUESTERS))]
Writer = Annotated[Principal, Depends(estate_member(*WRITERS))]
Escalator = Annotated[Principal, Depends(estate_member(*ESCALATORS))]
Supervisor = Annotated[Principal, Depends(estate_member(Role.SUPERVISOR))]


async def ticketing_of(request: Request) -> Ticketing:
    ticketing: Ticketing = request.app.state.ticketing
    return ticketing


TicketingDep = Annotated[Ticketing, Depends(ticketing_of)]


def as_caller(ticketing: Ticketing, code: str, principal: Principal) -> Caller:
    return caller(ticketing, code, principal)


def mark_replayed(response: Response, replayed: bool) -> None:
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
