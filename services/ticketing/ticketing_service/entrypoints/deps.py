"""Typed dependencies of ticketing's HTTP routes (the pattern of full-stack-fastapi-template's
``api/deps.py``, through :mod:`xinyi_shared.api`): who may call a route reads in its signature, and
the role table of docs/access.md can be tested in-process with ``dependency_overrides``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from xinyi_shared.api import estate_member
from xinyi_shared.auth import ESTATE_ROLES, Principal

# Anyone of the path's estate (else 403).
AnyMember = Annotated[Principal, Depends(estate_member(*ESTATE_ROLES))]
