"""The estate's rules as the ledger keeps them (``announced_rules``: learned from the tenant
service's EstateRulesChanged events, and backfilled over gRPC when the books open), so a month's
rules are read locally: the rules of a month never change once it has started."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from google.protobuf.json_format import MessageToDict

from ledger_service.adapters.tenant_client import BASIS, PeriodRules
from xinyi.tenant.v1 import tenant_pb2
from xinyi_shared.db import Executor, sql

_BASIS_NAMES = {tenant_pb2.RemunerationBasis.Name(value): name for value, name in BASIS.items()}


def rules_of_json(stored: dict[str, Any]) -> PeriodRules:
    """The rules from their stored form (protobuf JSON: defaults omitted, enums by name)."""
    return PeriodRules(
        fee_rate_fen_per_sqm_month=Decimal(stored.get("fee_rate_fen_per_sqm_month") or "0"),
        remuneration_share_bps=int(stored.get("remuneration_share_bps", 0)),
        donation_share_bps=int(stored.get("donation_share_bps", 0)),
        remuneration_basis=_BASIS_NAMES.get(str(stored.get("remuneration_basis", "")), "collected"),
        billing_day=int(stored.get("billing_day", 0)) or 1,
    )


class RulesRepository:
    def __init__(self, session: Executor, estate_code: str) -> None:
        self.session = session
        self.estate = estate_code

    def in_force(self, day: date) -> PeriodRules | None:
        row = self.session.execute(
            sql(
                "SELECT rules FROM announced_rules WHERE estate_code = :estate AND effective_from <= :day "
                "ORDER BY effective_from DESC LIMIT 1"
            ),
            {"estate": self.estate, "day": day},
        ).first()
        return rules_of_json(dict(row.rules)) if row else None

    def record(self, rules: tenant_pb2.EstateRules, source: str) -> None:
        """Keep ``rules`` (from an event, or read over gRPC: ``source`` says which)."""
        self.session.execute(
            sql(
                "INSERT INTO announced_rules (estate_code, effective_from, rules, event_id) "
                "VALUES (:estate, :effective_from, CAST(:rules AS jsonb), :source) "
                "ON CONFLICT (estate_code, effective_from) DO UPDATE SET rules = EXCLUDED.rules, "
                "event_id = EXCLUDED.event_id"
            ),
            {
                "estate": self.estate,
                "effective_from": rules.effective_from,
                "rules": json.dumps(MessageToDict(rules, preserving_proto_field_name=True)),
                "source": source,
            },
        )
