"""What the ledger learned from the tenant service's events (households and announced rules)."""

from __future__ import annotations

import json
import uuid

from google.protobuf.json_format import MessageToDict

from xinyi.tenant.v1 import tenant_pb2
from xinyi_shared.db import Executor, sql


class TenantMirror:
    def __init__(self, session: Executor) -> None:
        self.session = session

    def learn_households(self, estate_code: str, households: list[tuple[str, int | None]]) -> None:
        if not households:
            return
        self.session.execute(
            sql(
                "INSERT INTO known_households (estate_code, household_id, area_centi_sqm) VALUES (:estate, :id, :area) "
                "ON CONFLICT (estate_code, household_id) DO UPDATE SET "
                "area_centi_sqm = coalesce(EXCLUDED.area_centi_sqm, known_households.area_centi_sqm)"
            ),
            [{"estate": estate_code, "id": uuid.UUID(h), "area": area} for h, area in households],
        )

    def knows_household(self, estate_code: str, household_id: str) -> bool:
        return (
            self.session.execute(
                sql("SELECT 1 FROM known_households WHERE estate_code = :estate AND household_id = :id"),
                {"estate": estate_code, "id": uuid.UUID(household_id)},
            ).first()
            is not None
        )

    def record_rules(self, estate_code: str, rules: tenant_pb2.EstateRules, event_id: str) -> None:
        self.session.execute(
            sql(
                "INSERT INTO announced_rules (estate_code, effective_from, rules, event_id) "
                "VALUES (:estate, :effective_from, CAST(:rules AS jsonb), :event) "
                "ON CONFLICT (estate_code, effective_from) DO UPDATE SET rules = EXCLUDED.rules, event_id = EXCLUDED.event_id"
            ),
            {
                "estate": estate_code,
                "effective_from": rules.effective_from,
                "rules": json.dumps(MessageToDict(rules, preserving_proto_field_name=True)),
                "event": event_id,
            },
        )
