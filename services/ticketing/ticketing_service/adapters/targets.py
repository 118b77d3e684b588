"""Service targets in and out of PostgreSQL."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from ticketing_service.domain.targets import ServiceTargets


class TargetsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_if_missing(self, targets: ServiceTargets) -> bool:
        row = self.session.execute(
            text(
                "INSERT INTO service_targets (estate_code, time_zone, first_response_minutes, resolution_minutes) "
                "VALUES (:estate, :tz, :first, :resolution) ON CONFLICT (estate_code) DO NOTHING RETURNING estate_code"
            ),
            {
                "estate": targets.estate_code,
                "tz": targets.time_zone,
                "first": targets.first_response_minutes,
                "resolution": targets.resolution_minutes,
            },
        ).first()
        return row is not None

    def get(self, estate_code: str) -> ServiceTargets | None:
        row = self.session.execute(
            text(
                "SELECT time_zone, first_response_minutes, resolution_minutes FROM service_targets "
                "WHERE estate_code = :estate"
            ),
            {"estate": estate_code},
        ).first()
        if row is None:
            return None
        return ServiceTargets(estate_code, row.time_zone, row.first_response_minutes, row.resolution_minutes)
