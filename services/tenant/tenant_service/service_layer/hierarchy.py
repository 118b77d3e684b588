"""Use cases of the district hierarchy (platform data, shared by every estate)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from tenant_service.domain.hierarchy import Area
from xinyi_shared.db import Database
from xinyi_shared.errors import Conflict, NotFound

LEVELS = {
    # kind: (table, parent table, parent column)
    "district": ("districts", None, None),
    "sub-district": ("sub_districts", "districts", "district_code"),
    "community": ("communities", "sub_districts", "sub_district_code"),
}


def register_area(database: Database, area: Area) -> bool:
    """Register a district, sub-district or community; True when new, False when it already exists
    with the same name and parent (a retry); Conflict when the code is taken by another."""
    table, parent_table, parent_column = LEVELS[area.kind]
    with database.system_session() as session:
        if parent_table is not None:
            parent = session.execute(
                text(f"SELECT 1 FROM {parent_table} WHERE code = :code"), {"code": area.parent_code}
            ).first()
            if parent is None:
                raise NotFound(f"no such parent {area.parent_code!r} for {area.kind} {area.code!r}")
        columns = "code, name" + (f", {parent_column}" if parent_column else "")
        values = ":code, :name" + (", :parent" if parent_column else "")
        created = session.execute(
            text(f"INSERT INTO {table} ({columns}) VALUES ({values}) ON CONFLICT (code) DO NOTHING RETURNING code"),
            {"code": area.code, "name": area.name, "parent": area.parent_code},
        ).first()
        if created is not None:
            return True
        existing = (
            session.execute(text(f"SELECT * FROM {table} WHERE code = :code"), {"code": area.code}).mappings().one()
        )
        if existing["name"] != area.name or (parent_column and existing[parent_column] != area.parent_code):
            raise Conflict(f"{area.kind} {area.code!r} already exists with other details")
        return False


def hierarchy(database: Database) -> list[dict[str, Any]]:
    """Districts with their sub-districts, communities and estates (codes and names only)."""
    with database.system_session() as session:
        districts = session.execute(text("SELECT code, name FROM districts ORDER BY code")).mappings().all()
        subs = (
            session.execute(text("SELECT code, name, district_code FROM sub_districts ORDER BY code")).mappings().all()
        )
        communities = (
            session.execute(text("SELECT code, name, sub_district_code FROM communities ORDER BY code"))
            .mappings()
            .all()
        )
        estates = (
            session.execute(text("SELECT estate_code, name, community_code, status FROM estates ORDER BY estate_code"))
            .mappings()
            .all()
        )
    return [
        {
            "code": d["code"],
            "name": d["name"],
            "sub_districts": [
                {
                    "code": s["code"],
                    "name": s["name"],
                    "communities": [
                        {
                            "code": c["code"],
                            "name": c["name"],
                            "estates": [
                                {"code": e["estate_code"], "name": e["name"], "status": e["status"]}
                                for e in estates
                                if e["community_code"] == c["code"]
                            ],
                        }
                        for c in communities
                        if c["sub_district_code"] == s["code"]
                    ],
                }
                for s in subs
                if s["district_code"] == d["code"]
            ],
        }
        for d in districts
    ]
