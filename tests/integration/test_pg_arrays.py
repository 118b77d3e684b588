"""Array literals parsed by the real PostgreSQL come back element for element: every value the
ledger passes in a set-based write (ids, amounts, memos in any script, JSON references)."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import text

from xinyi_shared.db import Database
from xinyi_shared.pg_arrays import int_array, text_array, uuid_array

AWKWARD_TEXT = [
    "plain",
    "",
    "NULL",
    'a "quoted" word',
    "back\\slash\\",
    '\\"',
    "comma, {braces} and spaces  ",
    "物业费 2026-12 ✓",
    "line\nbreak\ttab",
    json.dumps({"bill_id": "x", "note": 'he said "ok" \\ fine'}, ensure_ascii=False),
]


def _parsed(ledger_database: Database, literal: str, sql_type: str) -> list[object]:
    with ledger_database.system_session() as session:
        return list(session.execute(text(f"SELECT CAST(:v AS {sql_type}) AS a"), {"v": literal}).scalar_one())


def test_text_comes_back_as_written(ledger_database: Database) -> None:
    values = [*AWKWARD_TEXT, None]
    assert _parsed(ledger_database, text_array(values), "text[]") == values


def test_json_references_come_back_as_written(ledger_database: Database) -> None:
    references = [json.dumps({"bill_id": str(uuid.uuid4()), "memo": memo}, ensure_ascii=False) for memo in AWKWARD_TEXT]
    assert _parsed(ledger_database, text_array(references), "jsonb[]") == [json.loads(r) for r in references]


def test_ids_and_integers_come_back_as_written(ledger_database: Database) -> None:
    ids: list[str | uuid.UUID | None] = [uuid.uuid4(), str(uuid.uuid4()), None]
    assert _parsed(ledger_database, uuid_array(ids), "uuid[]") == [uuid.UUID(str(i)) if i else None for i in ids]
    amounts = [0, -1, 10**10, -(2**63), 2**63 - 1, None]
    assert _parsed(ledger_database, int_array(amounts), "bigint[]") == amounts


def test_an_id_that_is_not_one_is_refused_by_postgresql(ledger_database: Database) -> None:
    from sqlalchemy.exc import DataError

    with pytest.raises(DataError):
        _parsed(ledger_database, uuid_array(["not-an-id"]), "uuid[]")
