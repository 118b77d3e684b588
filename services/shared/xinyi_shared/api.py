"""What every service's HTTP routes declare the same way: the one error schema, the error responses a
route can give, and typed dependencies for who may call it (the pattern of full-stack-fastapi-template's
``api/deps.py``), so that routes read as plain signatures and a role table can be tested in-process by
overriding :func:`xinyi_shared.http.current_principal`.

    @router.get("/estates/{code}/grids", response_model=list[GridPublic], responses=errors(404))
    def list_grids(code: EstateCode, principal: AnyMember) -> list[GridPublic]: ...

with ``AnyMember = Annotated[Principal, Depends(estate_member(*ESTATE_ROLES))]`` in the service's
``entrypoints/deps.py``."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Annotated, Any

from fastapi import Depends, Header
from pydantic import BaseModel, ConfigDict, Field

from xinyi_shared.auth import Principal, require_estate_access, require_role
from xinyi_shared.errors import InvalidInput
from xinyi_shared.http import CurrentPrincipal, EstateCode


class ErrorBody(BaseModel):
    """Every error the platform answers: a stable code and a reason safe to show. Some add structured
    specifics (``details`` of a malformed request, ``row_errors`` of a refused file, ``request_id`` of a 500)."""

    model_config = ConfigDict(extra="allow")

    error: str = Field(description="A stable code: invalid_input, not_found, conflict, …", examples=["invalid_input"])
    reason: str = Field(description="What went wrong, for people", examples=["estate code must be 3-63 characters …"])


ERROR_DESCRIPTIONS: dict[int, str] = {
    401: "No valid token",
    403: "The token's roles or estates do not allow this",
    404: "No such estate or resource (or none the caller may see)",
    409: "Refused by the current state (a suspended estate or read-only books, a key or code taken by other details)",
    413: "The request body is over this route's limit (refused before authentication and parsing)",
    422: "Invalid input",
    429: "Too many requests: retry after `Retry-After` seconds",
    503: "A dependency (the identity provider, another service) is unavailable: retry the request as is",
}
_ERROR_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}},
    429: {"Retry-After": {"description": "Seconds to wait before trying again", "schema": {"type": "integer"}}},
}


def errors(
    *statuses: int, public: bool = False, described: Mapping[int, str] | None = None
) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route: 401 and 403 (unless ``public``, a route without a token) and
    ``statuses``, each with the one error schema; ``described`` overrides the generic descriptions."""
    wanted = (*(() if public else (401, 403)), *statuses)
    texts = {**ERROR_DESCRIPTIONS, **(described or {})}
    responses: dict[int | str, dict[str, Any]] = {}
    for status in sorted(set(wanted)):
        response: dict[str, Any] = {"model": ErrorBody, "description": texts[status]}
        if status in _ERROR_HEADERS:
            response["headers"] = _ERROR_HEADERS[status]
        responses[status] = response
    return responses


def role_holder(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency: the caller holds one of ``roles`` (else 403), whatever its estates."""

    async def check(principal: CurrentPrincipal) -> Principal:  # async: no thread-pool hop (no I/O)
        require_role(principal, *roles)
        return principal

    return check


def estate_member(
    *roles: str, platform_roles: Collection[str] = ()
) -> Callable[[str, Principal], Awaitable[Principal]]:
    """A dependency for routes under ``/estates/{code}``: the caller belongs to the path's estate with one
    of ``roles``, or holds one of ``platform_roles``, which act for every estate (else 403).

    The path's code is validated first (422 for a malformed code, before any access check): FastAPI
    validates a dependency's parameters before calling it."""

    async def check(code: EstateCode, principal: CurrentPrincipal) -> Principal:  # async: no I/O
        if platform_roles and principal.has_role(*platform_roles):
            return principal
        if not roles:
            require_role(principal, *platform_roles)
        require_estate_access(principal, code, *roles)
        return principal

    return check


# Idempotency keys ------------------------------------------------------------------------------------

IDEMPOTENCY_KEY_FORMAT = re.compile(r"^[A-Za-z0-9_.:\-]{8,128}$")
_KEY_RULE = "8-128 letters, digits, '_', '.', ':' or '-'"


async def required_idempotency_key(
    key: Annotated[
        str,
        Header(
            alias="Idempotency-Key",
            description=f"Required: {_KEY_RULE}, unique per intended write. "
            "A retry with the same key returns the first answer (Idempotent-Replayed: true).",
        ),
    ],
) -> str:
    """The ``Idempotency-Key`` header of a write that must have one (422 when missing or malformed)."""
    if not IDEMPOTENCY_KEY_FORMAT.match(key):
        raise InvalidInput(f"an Idempotency-Key of {_KEY_RULE} is required")
    return key


async def optional_idempotency_key(
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description=f"Optional: {_KEY_RULE}. A retry with the same key "
            "answers the first result (Idempotent-Replayed: true) instead of doing it twice.",
        ),
    ] = None,
) -> str | None:
    """The ``Idempotency-Key`` header of a write that may have one (422 when malformed)."""
    if key is not None and not IDEMPOTENCY_KEY_FORMAT.match(key):
        raise InvalidInput(f"an Idempotency-Key is {_KEY_RULE}")
    return key


IdempotencyKey = Annotated[str, Depends(required_idempotency_key)]
OptionalIdempotencyKey = Annotated[str | None, Depends(optional_idempotency_key)]
