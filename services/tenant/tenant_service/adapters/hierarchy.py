"""The district's hierarchy (districts, sub-districts, communities) in and out of PostgreSQL: platform
data, shared by every estate, read and written with the system session."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from tenant_service.domain.hierarchy import Area

LEVELS = {
    # kind: (table, parent table, parent column)
    "district": ("districts", None, None),
    "sub-district": ("sub_districts", "districts", "district_code"),
    "community": ("communities", "sub_districts", "sub_district_code"),
}


@dataclass(frozen=True)
class CommunityPlace:
    """Where a community lies: its sub-district and district."""

    sub_district_code: str
    district_code: str


class HierarchyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def has_parent(self, area: Area) -> bool:
        """Whether the area's parent exists (a district has none to look for)."""
        _, parent_table, _ = LEVELS[area.kind]
        if parent_table is None:
            return True
        found = self.session.execute(
            text(f"SELECT 1 FROM {parent_table} WHERE code = :code"), {"code": area.parent_code}
        ).first()
        return found is not None

    def add(self, area: Area) -> bool:
        """Insert the area; False when its code is taken (the row is left as it is)."""
        table, _, parent_column = LEVELS[area.kind]
        columns = "code, name" + (f", {parent_column}" if parent_column else "")
        values = ":code, :name" + (", :parent" if parent_column else "")
        created = self.session.execute(
            text(f"INSERT INTO {table} ({columns}) VALUES ({values}) ON CONFLICT (code) DO NOTHING RETURNING code"),
            {"code": area.code, "name": area.name, "parent": area.parent_code},
        ).first()
        return created is not None

    def name_and_parent(self, kind: str, code: str) -> tuple[str, str] | None:
        """The registered area's name and parent code ("" for a district), None when there is none."""
        table, _, parent_column = LEVELS[kind]
        row = self.session.execute(text(f"SELECT * FROM {table} WHERE code = :code"), {"code": code}).mappings().first()
        if row is None:
            return None
        return row["name"], row[parent_column] if parent_column else ""

    def community_place(self, community_code: str) -> CommunityPlace | None:
        row = self.session.execute(
            text(
                "SELECT s.code AS sub_district, s.district_code FROM communities c "
                "JOIN sub_districts s ON s.code = c.sub_district_code WHERE c.code = :community"
            ),
            {"community": community_code},
        ).first()
        return CommunityPlace(row.sub_district, row.district_code) if row else None

    def tree(self) -> list[dict[str, Any]]:
        """Districts with their sub-districts, communities and estates (codes, names, estates' status)."""
        districts = self.session.execute(text("SELECT code, name FROM districts ORDER BY code")).mappings().all()
        subs = (
            self.session.execute(text("SELECT code, name, district_code FROM sub_districts ORDER BY code"))
            .mappings()
            .all()
        )
        communities = (
            self.session.execute(text("SELECT code, name, sub_district_code FROM communities ORDER BY code"))
            .mappings()
            .all()
        )
        estates = (
            self.session.execute(
                text("SELECT estate_code, name, community_code, status FROM estates ORDER BY estate_code")
            )
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
