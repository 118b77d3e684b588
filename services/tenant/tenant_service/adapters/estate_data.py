"""All of one estate's data at once, in and out of PostgreSQL: read for its archive, removed when it is
offboarded, and the archives themselves (kept after the removal)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

# Every table holding the estate's data (but the estate's own row and its archives), in the order an
# archive lists them reversed and a removal deletes them (children before parents).
ESTATE_TABLES = (
    "ballot_votes",
    "ballot_electorate",
    "ballots",
    "invitations",
    "household_members",
    "people",
    "households",
    "grid_leaders",
    "grids",
    "estate_rule_changes",
)


@dataclass(frozen=True)
class Archive:
    """An export of an estate's data (docs/estate-archive.md), as stored."""

    id: uuid.UUID
    sha256: str
    size_bytes: int
    content: bytes


class EstateDataRepository:
    """Runs in the estate's own session: row-level security keeps every statement to its rows."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def estate_row(self, code: str) -> dict[str, Any]:
        return dict(
            self.session.execute(text("SELECT * FROM estates WHERE estate_code = :code"), {"code": code})
            .mappings()
            .one()
        )

    def table_rows(self, code: str) -> dict[str, list[dict[str, Any]]]:
        """Every row of every table of ESTATE_TABLES (parents first), as column → value."""
        return {
            table: [
                dict(row)
                for row in self.session.execute(
                    text(f"SELECT * FROM {table} WHERE estate_code = :code"), {"code": code}
                ).mappings()
            ]
            for table in reversed(ESTATE_TABLES)
        }

    def delete_all(self, code: str) -> None:
        """Remove the estate's data (its row and its archives stay)."""
        for table in ESTATE_TABLES:
            self.session.execute(text(f"DELETE FROM {table} WHERE estate_code = :code"), {"code": code})

    # Archives ---------------------------------------------------------------------------------------

    def add_archive(self, code: str, archive: Archive, created_by: str) -> None:
        self.session.execute(
            text(
                "INSERT INTO estate_archives (id, estate_code, sha256, size_bytes, content, created_by) "
                "VALUES (:id, :code, :sha, :size, :content, :by)"
            ),
            {
                "id": archive.id,
                "code": code,
                "sha": archive.sha256,
                "size": archive.size_bytes,
                "content": archive.content,
                "by": created_by,
            },
        )

    def archive(self, archive_id: uuid.UUID) -> Archive | None:
        row = self.session.execute(
            text("SELECT id, sha256, size_bytes, content FROM estate_archives WHERE id = :id"), {"id": archive_id}
        ).first()
        return Archive(row.id, row.sha256, row.size_bytes, bytes(row.content)) if row else None

    def exported_since_last_change(self, archive_sha256: str) -> bool:
        """Whether an archive with that SHA-256 was exported since the estate's status last changed
        (its suspension, for a suspended estate)."""
        found = self.session.execute(
            text(
                "SELECT 1 FROM estate_archives a JOIN estates e ON e.estate_code = a.estate_code "
                "WHERE a.sha256 = :sha AND a.created_at >= e.updated_at"
            ),
            {"sha": archive_sha256},
        ).first()
        return found is not None
