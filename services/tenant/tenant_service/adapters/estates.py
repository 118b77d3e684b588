"""Estate rows in and out of PostgreSQL."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.orm import Session

from tenant_service.adapters.tables import estates
from tenant_service.domain.estate import Estate, EstateProfile, EstateStatus


def _to_estate(row: RowMapping) -> Estate:
    profile = EstateProfile(
        code=row["estate_code"],
        name=row["name"],
        district_code=row["district_code"],
        community_code=row["community_code"],
        fee_rate_fen_per_sqm_month=row["fee_rate_fen_per_sqm_month"].normalize(),
        remuneration_share_bps=row["remuneration_share_bps"],
        donation_share_bps=row["donation_share_bps"],
        time_zone=row["time_zone"],
    )
    return Estate(profile=profile, status=EstateStatus(row["status"]), directory_id=row["directory_id"])


class EstateRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, code: str, *, for_update: bool = False) -> Estate | None:
        query = select(estates).where(estates.c.estate_code == code)
        if for_update:
            query = query.with_for_update()
        row = self.session.execute(query).mappings().first()
        return _to_estate(row) if row else None

    def add(self, estate: Estate, created_by: str) -> None:
        p = estate.profile
        self.session.execute(
            estates.insert().values(
                estate_code=p.code,
                name=p.name,
                district_code=p.district_code,
                community_code=p.community_code,
                fee_rate_fen_per_sqm_month=p.fee_rate_fen_per_sqm_month,
                remuneration_share_bps=p.remuneration_share_bps,
                donation_share_bps=p.donation_share_bps,
                time_zone=p.time_zone,
                status=estate.status.value,
                directory_id=estate.directory_id,
                created_by=created_by,
            )
        )

    def save_status(self, estate: Estate) -> None:
        self.session.execute(
            update(estates)
            .where(estates.c.estate_code == estate.code)
            .values(status=estate.status.value, directory_id=estate.directory_id, updated_at=func.now())
        )

    def list_all(self) -> list[Estate]:
        rows = self.session.execute(select(estates).order_by(estates.c.estate_code)).mappings().all()
        return [_to_estate(row) for row in rows]
