"""Households, people, memberships, grids and invitations in and out of PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from tenant_service.domain.households import Household, ListedHousehold, Person, RegisterScope, Relation
from tenant_service.domain.invitations import Invitation

HOUSEHOLD_COLUMNS = (
    "id, estate_code, building, unit, floor, room, area_centi_sqm, grid_code, occupied_from, occupied_until"
)

# ListedHousehold's fields in its order, written as text by PostgreSQL, the households in stream()'s
# order. Dates by to_char: date::text follows the session's DateStyle, Python's isoformat does not.
# A DBAPI statement (HouseholdRepository.listing), hence %s for the estate.
LISTING_SQL = (
    "SELECT id::text, estate_code, building, unit, floor, room, area_centi_sqm, coalesce(grid_code, ''), "
    "coalesce(to_char(occupied_from, 'YYYY-MM-DD'), ''), coalesce(to_char(occupied_until, 'YYYY-MM-DD'), '') "
    "FROM households WHERE estate_code = %s ORDER BY building, unit, room"
)


def _household(row: Any) -> Household:
    return Household(
        id=row.id,
        estate_code=row.estate_code,
        building=row.building,
        unit=row.unit,
        floor=row.floor,
        room=row.room,
        area_centi_sqm=row.area_centi_sqm,
        grid_code=row.grid_code,
        occupied_from=row.occupied_from,
        occupied_until=row.occupied_until,
    )


def _in_scope(scope: RegisterScope, alias: str = "households") -> tuple[str, dict[str, Any]]:
    """The condition (to AND into a WHERE clause) and parameters that keep the households of ``alias``
    a reader with ``scope`` sees; the caller does not query when ``scope.sees_nothing``."""
    if scope.everything:
        return "true", {}
    if scope.leader is None:
        return "false", {}
    return (
        f"{alias}.grid_code IN (SELECT l.grid_code FROM grid_leaders l "
        f"WHERE l.estate_code = {alias}.estate_code AND lower(l.username) = :leader)",
        {"leader": scope.leader},
    )


def _matching(search: str | None, grid: str | None, alias: str) -> tuple[str, dict[str, Any]]:
    """The condition that keeps the households of ``alias`` whose address contains ``search``
    (case-insensitive; % and _ taken literally) and that are in ``grid``, when given."""
    conditions, params = ["true"], {}
    if search:
        literal = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        # As people write the address: the label (3栋2单元1502, Household.label), or 3-2-1502, 3 2 1502.
        b, u, r = f"{alias}.building", f"nullif({alias}.unit, '')", f"{alias}.room"
        conditions.append(
            f"(concat({b}, '栋', {u} || '单元', {r}) ILIKE :search "
            f"OR concat_ws('-', {b}, {u}, {r}) ILIKE :search OR concat_ws(' ', {b}, {u}, {r}) ILIKE :search)"
        )
        params["search"] = f"%{literal}%"
    if grid:
        conditions.append(f"{alias}.grid_code = :grid")
        params["grid"] = grid
    return " AND ".join(conditions), params


class HouseholdRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # Households -------------------------------------------------------------------------------

    def existing_dwellings(self, estate_code: str) -> set[tuple[str, str, str]]:
        rows = self.session.execute(
            text("SELECT building, unit, room FROM households WHERE estate_code = :estate"), {"estate": estate_code}
        ).all()
        return {(r.building, r.unit, r.room) for r in rows}

    def add_households(self, households: list[Household]) -> None:
        if not households:
            return
        self.session.execute(
            text(
                "INSERT INTO households (id, estate_code, building, unit, floor, room, area_centi_sqm, grid_code, "
                "occupied_from) VALUES (:id, :estate_code, :building, :unit, :floor, :room, :area, :grid, :occupied)"
            ),
            [
                {
                    "id": h.id,
                    "estate_code": h.estate_code,
                    "building": h.building,
                    "unit": h.unit,
                    "floor": h.floor,
                    "room": h.room,
                    "area": h.area_centi_sqm,
                    "grid": h.grid_code,
                    "occupied": h.occupied_from,
                }
                for h in households
            ],
        )

    def add_people(self, people: list[Person]) -> None:
        if not people:
            return
        self.session.execute(
            text(
                "INSERT INTO people (id, estate_code, name, phone, email, user_id) "
                "VALUES (:id, :estate_code, :name, :phone, :email, :user_id)"
            ),
            [
                {
                    "id": p.id,
                    "estate_code": p.estate_code,
                    "name": p.name,
                    "phone": p.phone,
                    "email": p.email,
                    "user_id": p.user_id,
                }
                for p in people
            ],
        )

    def add_members(self, estate_code: str, members: list[tuple[uuid.UUID, uuid.UUID, Relation, date | None]]) -> None:
        if not members:
            return
        self.session.execute(
            text(
                "INSERT INTO household_members (estate_code, household_id, person_id, relation, since) "
                "VALUES (:estate, :household, :person, :relation, :since) ON CONFLICT DO NOTHING"
            ),
            [
                {"estate": estate_code, "household": h, "person": p, "relation": r.value, "since": since}
                for h, p, r, since in members
            ],
        )

    def people_by_name_and_phone(self, estate_code: str) -> dict[tuple[str, str], uuid.UUID]:
        rows = self.session.execute(
            text("SELECT id, name, phone FROM people WHERE estate_code = :estate AND phone <> ''"),
            {"estate": estate_code},
        ).all()
        return {(r.name, r.phone): r.id for r in rows}

    def save_occupancy(self, household: Household) -> None:
        self.session.execute(
            text("UPDATE households SET occupied_from = :start, occupied_until = :end WHERE id = :id"),
            {"start": household.occupied_from, "end": household.occupied_until, "id": household.id},
        )

    def get(self, household_id: uuid.UUID, scope: RegisterScope | None = None) -> Household | None:
        """The household, or None when it is not in the estate (or not in ``scope``, when given)."""
        condition, params = _in_scope(scope or RegisterScope.whole_estate())
        row = self.session.execute(
            text(f"SELECT {HOUSEHOLD_COLUMNS} FROM households WHERE id = :id AND {condition}"),
            {"id": household_id, **params},
        ).first()
        return _household(row) if row else None

    def stream(self, estate_code: str) -> Iterator[Household]:
        result = self.session.execute(
            text(
                f"SELECT {HOUSEHOLD_COLUMNS} FROM households WHERE estate_code = :estate ORDER BY building, unit, room"
            ).execution_options(yield_per=500),
            {"estate": estate_code},
        )
        for row in result:
            yield _household(row)

    def listing(self, estate_code: str) -> list[ListedHousehold]:
        """Every household of the estate, in stream()'s order, as the contract writes it. Read whole
        (an estate holds tens of thousands at most) on the session's DBAPI cursor: SQLAlchemy's rows
        cost as much again as the fetch, and billing a district reads hundreds of thousands. The
        cursor is the session's connection, in its transaction: row-level security still applies."""
        cursor = self.session.connection().connection.cursor()
        try:
            cursor.execute(LISTING_SQL, (estate_code,))
            return list(map(ListedHousehold._make, cursor.fetchall()))
        finally:
            cursor.close()

    def list_with_owners(
        self,
        estate_code: str,
        limit: int,
        offset: int,
        scope: RegisterScope | None = None,
        search: str | None = None,
        grid: str | None = None,
    ) -> list[dict[str, Any]]:
        """Households (those in ``scope``, when given; matching ``search`` and ``grid``) with their
        owners' names and phones (the caller masks them)."""
        condition, params = _in_scope(scope or RegisterScope.whole_estate(), "h")
        matching, more = _matching(search, grid, "h")
        condition, params = f"{condition} AND {matching}", params | more
        rows = self.session.execute(
            text(
                "SELECT h.id, h.building, h.unit, h.floor, h.room, h.area_centi_sqm, h.grid_code, h.occupied_from, "
                "coalesce(array_agg(p.name ORDER BY p.name) FILTER (WHERE m.relation = 'owner'), '{}') AS owner_names, "
                "coalesce(array_agg(p.phone ORDER BY p.name) FILTER (WHERE m.relation = 'owner'), '{}') AS owner_phones, "
                "count(m.person_id) AS member_count "
                "FROM households h LEFT JOIN household_members m ON m.household_id = h.id "
                f"LEFT JOIN people p ON p.id = m.person_id WHERE h.estate_code = :estate AND {condition} "
                "GROUP BY h.id ORDER BY h.building, h.unit, h.room LIMIT :limit OFFSET :offset"
            ),
            {"estate": estate_code, "limit": limit, "offset": offset, **params},
        ).mappings()
        return [dict(row) for row in rows]

    def count(
        self, estate_code: str, scope: RegisterScope | None = None, search: str | None = None, grid: str | None = None
    ) -> int:
        """How many households the estate has (in ``scope``, matching ``search`` and ``grid``, when given)."""
        condition, params = _in_scope(scope or RegisterScope.whole_estate())
        matching, more = _matching(search, grid, "households")
        condition, params = f"{condition} AND {matching}", params | more
        return int(
            self.session.execute(
                text(f"SELECT count(*) FROM households WHERE estate_code = :estate AND {condition}"),
                {"estate": estate_code, **params},
            ).scalar_one()
        )

    def ids(self, estate_code: str) -> list[uuid.UUID]:
        return list(
            self.session.execute(
                text("SELECT id FROM households WHERE estate_code = :estate"), {"estate": estate_code}
            ).scalars()
        )

    def members(self, household_id: uuid.UUID) -> list[dict[str, Any]]:
        rows = self.session.execute(
            text(
                "SELECT p.id, p.name, p.phone, p.email, p.user_id, m.relation, m.since, m.until "
                "FROM household_members m JOIN people p ON p.id = m.person_id WHERE m.household_id = :household "
                "ORDER BY m.relation, p.name"
            ),
            {"household": household_id},
        ).mappings()
        return [dict(row) for row in rows]

    def households_of_user(self, estate_code: str, user_id: str) -> list[uuid.UUID]:
        return list(
            self.session.execute(
                text(
                    "SELECT DISTINCT m.household_id FROM people p JOIN household_members m ON m.person_id = p.id "
                    "WHERE p.estate_code = :estate AND p.user_id = :user AND (m.until IS NULL OR m.until > current_date)"
                ),
                {"estate": estate_code, "user": user_id},
            ).scalars()
        )

    def person_by_contact(self, household_id: uuid.UUID, contact: str) -> uuid.UUID | None:
        return self.session.execute(
            text(
                "SELECT p.id FROM household_members m JOIN people p ON p.id = m.person_id "
                "WHERE m.household_id = :household AND (p.phone = :contact OR p.email = :contact) LIMIT 1"
            ),
            {"household": household_id, "contact": contact},
        ).scalar_one_or_none()

    def link_user(self, person_id: uuid.UUID, user_id: str) -> None:
        self.session.execute(
            text("UPDATE people SET user_id = :user WHERE id = :id"), {"user": user_id, "id": person_id}
        )

    # Grids ------------------------------------------------------------------------------------

    def add_grid(self, estate_code: str, code: str, name: str) -> bool:
        row = self.session.execute(
            text(
                "INSERT INTO grids (estate_code, code, name) VALUES (:estate, :code, :name) "
                "ON CONFLICT DO NOTHING RETURNING code"
            ),
            {"estate": estate_code, "code": code, "name": name},
        ).first()
        return row is not None

    def grids(self, estate_code: str) -> list[dict[str, Any]]:
        rows = self.session.execute(
            text(
                "SELECT g.code, g.name, coalesce(array_agg(l.username ORDER BY l.username) "
                "FILTER (WHERE l.username IS NOT NULL), '{}') AS leaders, "
                "(SELECT count(*) FROM households h WHERE h.estate_code = g.estate_code AND h.grid_code = g.code) "
                "AS household_count FROM grids g LEFT JOIN grid_leaders l "
                "ON l.estate_code = g.estate_code AND l.grid_code = g.code "
                "WHERE g.estate_code = :estate GROUP BY g.estate_code, g.code, g.name ORDER BY g.code"
            ),
            {"estate": estate_code},
        ).mappings()
        return [dict(row) for row in rows]

    def grid(self, estate_code: str, code: str) -> dict[str, Any] | None:
        return next((g for g in self.grids(estate_code) if g["code"] == code), None)

    def grid_codes(self, estate_code: str) -> set[str]:
        return set(
            self.session.execute(
                text("SELECT code FROM grids WHERE estate_code = :estate"), {"estate": estate_code}
            ).scalars()
        )

    def grids_led_by(self, estate_code: str, scope: RegisterScope) -> list[str]:
        """The codes of the grids whose leaders include ``scope.leader`` (compared lower-case, as the
        register's scope compares them), in order; none for a scope without a leader."""
        if scope.leader is None:
            return []
        return list(
            self.session.execute(
                text(
                    "SELECT DISTINCT grid_code FROM grid_leaders WHERE estate_code = :estate "
                    "AND lower(username) = :leader ORDER BY grid_code"
                ),
                {"estate": estate_code, "leader": scope.leader},
            ).scalars()
        )

    def set_grid_leaders(self, estate_code: str, grid_code: str, usernames: list[str]) -> None:
        params = {"estate": estate_code, "grid": grid_code}
        self.session.execute(text("DELETE FROM grid_leaders WHERE estate_code = :estate AND grid_code = :grid"), params)
        if usernames:
            self.session.execute(
                text("INSERT INTO grid_leaders (estate_code, grid_code, username) VALUES (:estate, :grid, :username)"),
                [{**params, "username": username} for username in usernames],
            )

    def assign_grid(self, estate_code: str, grid_code: str, household_ids: list[uuid.UUID]) -> int:
        result = self.session.execute(
            text("UPDATE households SET grid_code = :grid WHERE estate_code = :estate AND id = ANY(:ids)"),
            {"estate": estate_code, "grid": grid_code, "ids": household_ids},
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    # Invitations ------------------------------------------------------------------------------

    def add_invitation(self, invitation: Invitation, created_by: str) -> None:
        self.session.execute(
            text(
                "INSERT INTO invitations (id, estate_code, household_id, relation, contact, code_hash, status, "
                "expires_at, created_by) VALUES (:id, :estate, :household, :relation, :contact, :hash, :status, "
                ":expires, :by)"
            ),
            {
                "id": invitation.id,
                "estate": invitation.estate_code,
                "household": invitation.household_id,
                "relation": invitation.relation.value,
                "contact": invitation.contact,
                "hash": invitation.code_hash,
                "status": invitation.status,
                "expires": invitation.expires_at,
                "by": created_by,
            },
        )

    def invitation_by_code_hash(self, code_hash: str) -> Invitation | None:
        row = self.session.execute(
            text(
                "SELECT id, estate_code, household_id, relation, contact, code_hash, status, expires_at "
                "FROM invitations WHERE code_hash = :hash FOR UPDATE"
            ),
            {"hash": code_hash},
        ).first()
        if row is None:
            return None
        return Invitation(
            row.id,
            row.estate_code,
            row.household_id,
            Relation(row.relation),
            row.contact,
            row.code_hash,
            row.status,
            row.expires_at,
        )

    def mark_claimed(self, invitation_id: uuid.UUID, user_id: str) -> None:
        self.session.execute(
            text(
                "UPDATE invitations SET status = 'claimed', claimed_user_id = :user, claimed_at = now() WHERE id = :id"
            ),
            {"user": user_id, "id": invitation_id},
        )
