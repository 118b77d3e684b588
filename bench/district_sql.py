"""The billing benchmark's district, made directly in SQL: N estates × M households in the tenant
and ledger databases, as the superuser (bypassing row-level security), one INSERT … SELECT per table.

Onboarding 300 estates through the API would take minutes (a Keycloak organisation each) and is
not what is measured. The rows written here are those an onboarded estate with imported households
has — keep this module in step with the migrations:

- tenant (services/tenant/tenant_service/migrations/versions/): ``districts``, ``sub_districts``,
  ``communities``; ``estates`` (status active, no Keycloak organisation); the onboarding row of
  ``estate_rule_changes``; ``households`` (billing reads them over gRPC, ListHouseholdPages);
- ledger (services/ledger/ledger_service/migrations/versions/): ``trust_books`` (with the district
  and ``first_period``, the month of the first rules; 0005 numbers entries per estate from a
  sequence its trigger creates at the first posting, as for an onboarded estate),
  ``accounts`` (the standard chart), ``announced_rules`` (the mirror of the rules, as the ledger
  writes it from EstateRulesChanged), ``known_households`` (the mirror of the households, with
  their areas).

Household ids are derived from the estate code and the household's number (``md5(…)::uuid``),
so both databases compute the same ids without passing 600,000 of them around. Periods: the rules
apply from the first day of ``rules_from``, so every round of a run can bill a month of its own.
Everything is removed by bench.fixtures.purge (every code starts with the run's prefix)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from google.protobuf.json_format import MessageToDict

from bench.superuser import code_literal, literal, psql
from ledger_service.domain.books import STANDARD_CHART
from xinyi.tenant.v1 import tenant_pb2

FEE_RATE_FEN_PER_SQM_MONTH = "35"
REMUNERATION_SHARE_BPS = 1500
DONATION_SHARE_BPS = 3000


@dataclass(frozen=True)
class District:
    code: str
    estate_prefix: str
    estates: int
    households_per_estate: int
    rules_from: date

    @property
    def households(self) -> int:
        return self.estates * self.households_per_estate

    def estate_code(self, number: int) -> str:
        return f"{self.estate_prefix}{number:04d}"


def _estates_sql(district: District) -> str:
    """A SELECT of (estate_code, n) for the district's estates."""
    return (
        f"SELECT {literal(district.estate_prefix)} || lpad(n::text, 4, '0') AS estate_code, n "
        f"FROM generate_series(1, {district.estates:d}) AS n"
    )


def _household_id(estate: str, number: str) -> str:
    return f"md5({estate} || ':' || {number})::uuid"


def _tenant_sql(district: District) -> str:
    code = code_literal(district.code)
    rules = {
        "fee_rate_fen_per_sqm_month": FEE_RATE_FEN_PER_SQM_MONTH,
        "remuneration_share_bps": REMUNERATION_SHARE_BPS,
        "donation_share_bps": DONATION_SHARE_BPS,
        "remuneration_basis": "collected",
        "billing_day": 1,
    }
    return f"""
INSERT INTO districts (code, name) VALUES ({code}, '基准计费区');
INSERT INTO sub_districts (code, district_code, name) VALUES ({code_literal(district.code + "-sub")}, {code}, '基准计费街道');
INSERT INTO communities (code, sub_district_code, name)
  VALUES ({code_literal(district.code + "-c")}, {code_literal(district.code + "-sub")}, '基准计费社区');

INSERT INTO estates (estate_code, name, district_code, sub_district_code, community_code,
  fee_rate_fen_per_sqm_month, remuneration_share_bps, donation_share_bps, remuneration_basis, billing_day,
  time_zone, status, directory_id, created_by, first_accounts, firm_name)
SELECT e.estate_code, '基准计费小区 ' || e.n, {code}, {code_literal(district.code + "-sub")},
  {code_literal(district.code + "-c")}, {FEE_RATE_FEN_PER_SQM_MONTH}, {REMUNERATION_SHARE_BPS}, {DONATION_SHARE_BPS},
  'collected', 1, 'Asia/Shanghai', 'active', NULL, 'xinyi-bench', '{{}}'::jsonb, '基准物业'
FROM ({_estates_sql(district)}) AS e;

INSERT INTO estate_rule_changes (estate_code, effective_from, rules, reason, changed_by, changed_at)
SELECT e.estate_code, DATE {literal(district.rules_from.isoformat())}, {literal(json.dumps(rules))}::jsonb,
  'onboarding', 'xinyi-bench', now()
FROM ({_estates_sql(district)}) AS e;

INSERT INTO households (id, estate_code, building, unit, floor, room, area_centi_sqm, grid_code, occupied_from)
SELECT {_household_id("e.estate_code", "h")}, e.estate_code,
  (h / 200 + 1) || '栋', (h / 50 % 4 + 1) || '单元', (h % 50 / 4 + 1)::text,
  (h % 50 / 4 + 1) || '0' || (h % 50 % 4 + 1), 6000 + (h * 37) % 9000, NULL, NULL
FROM ({_estates_sql(district)}) AS e CROSS JOIN generate_series(0, {district.households_per_estate - 1:d}) AS h;
ANALYZE estates;
ANALYZE households;
"""


def _ledger_sql(district: District) -> str:
    code = code_literal(district.code)
    rules = MessageToDict(
        tenant_pb2.EstateRules(
            effective_from=district.rules_from.isoformat(),
            fee_rate_fen_per_sqm_month=FEE_RATE_FEN_PER_SQM_MONTH,
            remuneration_share_bps=REMUNERATION_SHARE_BPS,
            donation_share_bps=DONATION_SHARE_BPS,
            remuneration_basis=tenant_pb2.REMUNERATION_BASIS_COLLECTED,
            billing_day=1,
        ),
        preserving_proto_field_name=True,
    )
    chart = ", ".join(
        f"({literal(a.code)}, {literal(a.name)}, {literal(a.name_zh)}, {literal(a.type.value)})" for a in STANDARD_CHART
    )
    return f"""
INSERT INTO trust_books (estate_code, fee_rate_fen_per_sqm_month, remuneration_share_bps, donation_share_bps,
  opened_by_event, estate_name, community_code, time_zone, district_code, status, first_period)
SELECT e.estate_code, {FEE_RATE_FEN_PER_SQM_MONTH}, {REMUNERATION_SHARE_BPS}, {DONATION_SHARE_BPS},
  'xinyi-bench-setup', '基准计费小区 ' || e.n, {code_literal(district.code + "-c")}, 'Asia/Shanghai', {code}, 'active',
  {literal(district.rules_from.strftime("%Y-%m"))}
FROM ({_estates_sql(district)}) AS e;

INSERT INTO accounts (estate_code, code, name, name_zh, type)
SELECT e.estate_code, a.code, a.name, a.name_zh, a.type
FROM ({_estates_sql(district)}) AS e CROSS JOIN (VALUES {chart}) AS a (code, name, name_zh, type);

INSERT INTO announced_rules (estate_code, effective_from, rules, event_id)
SELECT e.estate_code, DATE {literal(district.rules_from.isoformat())}, {literal(json.dumps(rules))}::jsonb,
  'xinyi-bench-setup'
FROM ({_estates_sql(district)}) AS e;

INSERT INTO known_households (estate_code, household_id, area_centi_sqm)
SELECT e.estate_code, {_household_id("e.estate_code", "h")}, 6000 + (h * 37) % 9000
FROM ({_estates_sql(district)}) AS e CROSS JOIN generate_series(0, {district.households_per_estate - 1:d}) AS h;
ANALYZE trust_books;
ANALYZE known_households;
"""


def create_district(district: District) -> None:
    """Write the district's rows: tenant first (the ledger's mirror follows the registry)."""
    psql(_tenant_sql(district), "tenant")
    psql(_ledger_sql(district), "ledger")


def count_postings(district: District) -> int | None:
    """Posting lines in the district's books (None when the ledger's schema has no such table)."""
    try:
        rows = psql(
            f"SELECT count(*) FROM postings WHERE starts_with(estate_code, {code_literal(district.estate_prefix)})",
            "ledger",
        )
    except RuntimeError:
        return None
    return int(rows[0][0])
