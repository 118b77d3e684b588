"""Service targets in and out of PostgreSQL."""

from __future__ import annotations

import json

from ticketing_service.domain.targets import DEFAULT_CATEGORIES, CategoryTarget, ServiceTargets, Urgency
from xinyi_shared.db import Executor, sql

_COLUMNS = (
    "time_zone, first_response_minutes, resolution_minutes, categories, overrides, escalation_grace_minutes, "
    "auto_confirm_minutes, reopen_window_minutes"
)


class TargetsRepository:
    def __init__(self, session: Executor) -> None:
        self.session = session

    def add_if_missing(self, targets: ServiceTargets) -> bool:
        row = self.session.execute(
            sql(
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
            sql(f"SELECT {_COLUMNS} FROM service_targets WHERE estate_code = :estate"), {"estate": estate_code}
        ).first()
        if row is None:
            return None
        return ServiceTargets(
            estate_code,
            row.time_zone,
            row.first_response_minutes,
            row.resolution_minutes,
            categories=tuple(row.categories) if row.categories else DEFAULT_CATEGORIES,
            overrides=tuple(
                CategoryTarget(
                    o["category"],
                    Urgency(o["urgency"]) if o.get("urgency") else None,
                    o["first_response_minutes"],
                    o["resolution_minutes"],
                )
                for o in row.overrides
            ),
            escalation_grace_minutes=row.escalation_grace_minutes,
            auto_confirm_minutes=row.auto_confirm_minutes,
            reopen_window_minutes=row.reopen_window_minutes,
        )

    def put(self, targets: ServiceTargets) -> None:
        """Replace the estate's targets (tickets already reported keep the terms they were given)."""
        overrides = [
            {
                "category": o.category,
                "urgency": o.urgency.value if o.urgency is not None else None,
                "first_response_minutes": o.first_response_minutes,
                "resolution_minutes": o.resolution_minutes,
            }
            for o in targets.overrides
        ]
        self.session.execute(
            sql(
                "UPDATE service_targets SET first_response_minutes = :first, resolution_minutes = :resolution, "
                "categories = :categories, overrides = CAST(:overrides AS jsonb), escalation_grace_minutes = :grace, "
                "auto_confirm_minutes = :confirm, reopen_window_minutes = :window, updated_at = now() "
                "WHERE estate_code = :estate"
            ),
            {
                "estate": targets.estate_code,
                "first": targets.first_response_minutes,
                "resolution": targets.resolution_minutes,
                "categories": list(targets.categories),
                "overrides": json.dumps(overrides),
                "grace": targets.escalation_grace_minutes,
                "confirm": targets.auto_confirm_minutes,
                "window": targets.reopen_window_minutes,
            },
        )
