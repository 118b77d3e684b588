"""Use cases of the district hierarchy (platform data, shared by every estate)."""

from __future__ import annotations

from typing import Any

from tenant_service.adapters.hierarchy import HierarchyRepository
from tenant_service.domain.hierarchy import Area
from xinyi_shared.db import Database
from xinyi_shared.errors import Conflict, NotFound


def register_area(database: Database, area: Area) -> bool:
    """Register a district, sub-district or community; True when new, False when it already exists
    with the same name and parent (a retry); Conflict when the code is taken by another."""
    with database.system_session() as session:
        repository = HierarchyRepository(session)
        if not repository.has_parent(area):
            raise NotFound(f"no such parent {area.parent_code!r} for {area.kind} {area.code!r}")
        if repository.add(area):
            return True
        if repository.name_and_parent(area.kind, area.code) != (area.name, area.parent_code):
            raise Conflict(f"{area.kind} {area.code!r} already exists with other details")
        return False


def hierarchy(database: Database) -> list[dict[str, Any]]:
    """Districts with their sub-districts, communities and estates (codes and names only)."""
    with database.system_session() as session:
        return HierarchyRepository(session).tree()
