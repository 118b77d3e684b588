"""Estates and their rules history in and out of PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import RowMapping
from sqlalchemy.orm import Session

from tenant_service.domain.estate import Estate, EstateProfile, EstateRules, EstateStatus, RuleChange

ESTATE_COLUMNS = (
    "estate_code, name, district_code, sub_district_code, community_code, fee_rate_fen_per_sqm_month, "
    "remuneration_share_bps, donation_share_bps, remuneration_basis, billing_day, time_zone, status, "
    "directory_id, first_accounts, suspended_reason, firm_name, books_from"
)


def like_literal(value: str) -> str:
    """``value`` as a LIKE pattern matching it anywhere, its %, _ and \\ taken literally."""
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@dataclass(frozen=True)
class EstateFilter:
    """Which estates a listing shows: ``search`` a case-insensitive part of the code or the name;
    ``district``, ``sub_district``, ``community`` the areas' codes (each when given)."""

    search: str | None = None
    district: str | None = None
    sub_district: str | None = None
    community: str | None = None

    def sql(self) -> tuple[str, dict[str, Any]]:
        """The WHERE condition and its parameters (the same for the count and the page)."""
        conditions, params = ["true"], {}
        if self.search:
            conditions.append("(estate_code ILIKE :search OR name ILIKE :search)")
            params["search"] = like_literal(self.search)
        for column, value in (
            ("district_code", self.district),
            ("sub_district_code", self.sub_district),
            ("community_code", self.community),
        ):
            if value:
                conditions.append(f"{column} = :{column}")
                params[column] = value
        return " AND ".join(conditions), params


def _to_estate(row: RowMapping) -> Estate:
    profile = EstateProfile(
        code=row["estate_code"],
        name=row["name"],
        district_code=row["district_code"],
        sub_district_code=row["sub_district_code"] or "",
        community_code=row["community_code"],
        fee_rate_fen_per_sqm_month=row["fee_rate_fen_per_sqm_month"],
        remuneration_share_bps=row["remuneration_share_bps"],
        donation_share_bps=row["donation_share_bps"],
        remuneration_basis=row["remuneration_basis"],
        billing_day=row["billing_day"],
        time_zone=row["time_zone"],
        firm_name=row["firm_name"],
        books_from=row["books_from"],
    )
    return Estate(profile=profile, status=EstateStatus(row["status"]), directory_id=row["directory_id"])


class EstateRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, code: str, *, for_update: bool = False) -> Estate | None:
        lock = " FOR UPDATE" if for_update else ""
        row = (
            self.session.execute(
                text(f"SELECT {ESTATE_COLUMNS} FROM estates WHERE estate_code = :code{lock}"), {"code": code}
            )
            .mappings()
            .first()
        )
        return _to_estate(row) if row else None

    def first_accounts(self, code: str) -> dict[str, Any] | None:
        return self.session.execute(
            text("SELECT first_accounts FROM estates WHERE estate_code = :code"), {"code": code}
        ).scalar_one_or_none()

    def add(self, estate: Estate, created_by: str, first_accounts: dict[str, Any]) -> None:
        p = estate.profile
        self.session.execute(
            text(
                "INSERT INTO estates (estate_code, name, district_code, sub_district_code, community_code, "
                "fee_rate_fen_per_sqm_month, remuneration_share_bps, donation_share_bps, remuneration_basis, "
                "billing_day, time_zone, status, directory_id, created_by, first_accounts, firm_name, books_from) VALUES "
                "(:code, :name, :district, :sub_district, :community, :rate, :remuneration, :donation, :basis, "
                ":billing_day, :tz, :status, :directory_id, :created_by, CAST(:first_accounts AS jsonb), :firm_name, "
                ":books_from)"
            ),
            {
                "code": p.code,
                "name": p.name,
                "district": p.district_code,
                "sub_district": p.sub_district_code,
                "community": p.community_code,
                "rate": p.fee_rate_fen_per_sqm_month,
                "remuneration": p.remuneration_share_bps,
                "donation": p.donation_share_bps,
                "basis": p.remuneration_basis.value,
                "billing_day": p.billing_day,
                "tz": p.time_zone,
                "status": estate.status.value,
                "directory_id": estate.directory_id,
                "created_by": created_by,
                "first_accounts": json.dumps(first_accounts, ensure_ascii=False),
                "firm_name": p.firm_name,
                "books_from": p.books_from,
            },
        )

    def save_status(self, estate: Estate, suspended_reason: str | None = None) -> None:
        self.session.execute(
            text(
                "UPDATE estates SET status = :status, directory_id = :directory_id, suspended_reason = :reason, "
                "updated_at = now() WHERE estate_code = :code"
            ),
            {
                "status": estate.status.value,
                "directory_id": estate.directory_id,
                "reason": suspended_reason,
                "code": estate.code,
            },
        )

    def count(self, where: EstateFilter) -> int:
        """How many estates match ``where`` (the total of :meth:`page`'s pages)."""
        condition, params = where.sql()
        return int(self.session.execute(text(f"SELECT count(*) FROM estates WHERE {condition}"), params).scalar_one())

    def page(self, where: EstateFilter, limit: int, offset: int) -> list[Estate]:
        """A page of the estates matching ``where``, by code (unique: a stable, total order)."""
        condition, params = where.sql()
        rows = self.session.execute(
            text(
                f"SELECT {ESTATE_COLUMNS} FROM estates WHERE {condition} "
                "ORDER BY estate_code LIMIT :limit OFFSET :offset"
            ),
            {**params, "limit": limit, "offset": offset},
        ).mappings()
        return [_to_estate(row) for row in rows]

    # Rules history ----------------------------------------------------------------------------

    def rule_changes(self, code: str) -> list[RuleChange]:
        """The estate's rules history, oldest effective date first (later entries win on a tie)."""
        rows = self.session.execute(
            text(
                "SELECT effective_from, rules, changed_by, reason FROM estate_rule_changes "
                "WHERE estate_code = :code ORDER BY effective_from, id"
            ),
            {"code": code},
        ).all()
        return [RuleChange(r.effective_from, EstateRules.from_json(r.rules), r.changed_by, r.reason) for r in rows]

    def rule_audit(self, code: str) -> list[dict[str, Any]]:
        rows = self.session.execute(
            text(
                "SELECT effective_from, rules, previous, reason, changed_by, changed_at FROM estate_rule_changes "
                "WHERE estate_code = :code ORDER BY id"
            ),
            {"code": code},
        ).mappings()
        return [dict(row) for row in rows]

    def add_rule_change(self, code: str, change: RuleChange, previous: EstateRules | None) -> None:
        self.session.execute(
            text(
                "INSERT INTO estate_rule_changes (estate_code, effective_from, rules, previous, reason, changed_by) "
                "VALUES (:code, :effective_from, CAST(:rules AS jsonb), CAST(:previous AS jsonb), :reason, :by)"
            ),
            {
                "code": code,
                "effective_from": change.effective_from,
                "rules": json.dumps(change.rules.to_json()),
                "previous": json.dumps(previous.to_json()) if previous else None,
                "reason": change.reason,
                "by": change.changed_by,
            },
        )
