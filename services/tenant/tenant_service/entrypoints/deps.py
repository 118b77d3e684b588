"""Typed dependencies of the tenant's HTTP routes: who may call each route (docs/access.md and
tests/e2e/test_access.py hold the role table), so routes read as plain signatures and the table can be
tested in-process by overriding ``xinyi_shared.http.current_principal``.

Routes under ``/estates/{code}`` check the path's code first (422 when malformed), then the caller's
roles and estates (403)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from xinyi_shared.api import estate_member, role_holder
from xinyi_shared.auth import ESTATE_ROLES, Principal, Role

FIRM = (Role.FIRM_MANAGER, Role.FIRM_STAFF)
# Who may read the estate's household register (masked): the firm, the supervisor, grid leaders (only the
# households of the grids they lead: service_layer.households.register_scope).
REGISTER_READERS = (*FIRM, Role.SUPERVISOR, Role.GRID_LEADER)
# Who may see a household's members (masked): the firm and the supervisor.
MEMBER_READERS = (*FIRM, Role.SUPERVISOR)

# Platform-wide roles, whatever the estate ---------------------------------------------------------

PlatformAdmin = Annotated[Principal, Depends(role_holder(Role.PLATFORM_ADMIN))]
HierarchyReader = Annotated[Principal, Depends(role_holder(Role.PLATFORM_ADMIN, Role.GOVERNANCE_OBSERVER))]

# Routes of one estate (the path's {code}) -------------------------------------------------------------

EstateAdmin = Annotated[Principal, Depends(estate_member(platform_roles=(Role.PLATFORM_ADMIN,)))]
"""The platform team, for any estate."""
EstateReader = Annotated[Principal, Depends(estate_member(*ESTATE_ROLES, platform_roles=(Role.PLATFORM_ADMIN,)))]
"""The estate's own people, or the platform team."""
AnyMember = Annotated[Principal, Depends(estate_member(*ESTATE_ROLES))]
FirmMember = Annotated[Principal, Depends(estate_member(*FIRM))]
FirmManager = Annotated[Principal, Depends(estate_member(Role.FIRM_MANAGER))]
RegisterReader = Annotated[Principal, Depends(estate_member(*REGISTER_READERS))]
MemberReader = Annotated[Principal, Depends(estate_member(*MEMBER_READERS))]
Resident = Annotated[Principal, Depends(estate_member(Role.RESIDENT))]
BallotOpener = Annotated[Principal, Depends(estate_member(Role.SUPERVISOR, Role.FIRM_MANAGER))]
"""The supervisor; the firm manager for service-plan choices (the use case checks the kind)."""
Supervisor = Annotated[Principal, Depends(estate_member(Role.SUPERVISOR))]
StaffReader = Annotated[
    Principal, Depends(estate_member(*FIRM, Role.SUPERVISOR, platform_roles=(Role.PLATFORM_ADMIN,)))
]
"""Who may list the firm's accounts of an estate: the firm (to assign work), the supervisor, the platform team."""
