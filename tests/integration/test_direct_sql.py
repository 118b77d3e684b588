"""Plain-text statements run on psycopg under a SQLAlchemy connection (``xinyi_shared.direct_sql``)
answer as SQLAlchemy would, on the real PostgreSQL: the same rows and values, the same result
methods, the same wrapped errors; anything else takes SQLAlchemy's own path."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import Connection, bindparam, column, select, text
from sqlalchemy.exc import DataError, IntegrityError, MultipleResultsFound, NoResultFound, OperationalError
from sqlalchemy.types import Integer

from xinyi_shared.db import Database, set_estate, sql
from xinyi_shared.direct_sql import DirectConnection, DirectResult

ESTATE = "direct-sql-probe"  # no such estate: rows written under it are the test's own and rolled back
ROWS = sql(
    "SELECT n, CAST(n AS text) || '%' AS label, CAST(:day AS date) AS day, CAST(:id AS uuid) AS id, "
    "CAST(:amount AS bigint) * n AS amount, CAST('1.50' AS numeric) AS rate, "
    "jsonb_build_object('n', n) AS reference FROM generate_series(1, CAST(:count AS int)) AS n ORDER BY n"
)
PARAMETERS = {"day": datetime.date(2026, 12, 2), "id": uuid.UUID(int=7), "amount": 2**40, "count": 3}


@pytest.fixture
def direct(ledger_database: Database) -> Iterator[Connection]:
    connection = ledger_database.connect()
    assert isinstance(connection, DirectConnection), "the app engine makes DirectConnections"
    connection.direct = True
    connection.begin()
    yield connection
    connection.rollback()
    connection.close()


def _through_sqlalchemy(ledger_database: Database) -> list[tuple[object, ...]]:
    with ledger_database.connect() as connection:
        return [tuple(row) for row in connection.execute(ROWS, PARAMETERS).all()]


def test_rows_and_values_are_sqlalchemys(ledger_database: Database, direct: Connection) -> None:
    result = direct.execute(ROWS, PARAMETERS)
    assert isinstance(result, DirectResult)
    rows = result.all()
    assert [tuple(row) for row in rows] == _through_sqlalchemy(ledger_database)
    first = rows[0]
    assert (first.n, first.label, first.amount, first.rate) == (1, "1%", 2**40, Decimal("1.50"))
    assert first.reference == {"n": 1} and first.id == uuid.UUID(int=7)
    assert first._mapping["day"] == datetime.date(2026, 12, 2)
    n, label, *_ = first
    assert (n, label) == (1, "1%")


def test_result_methods(direct: Connection) -> None:
    assert direct.execute(ROWS, PARAMETERS).first().n == 1
    assert direct.execute(ROWS, PARAMETERS).scalar() == 1
    assert direct.execute(ROWS, PARAMETERS).scalars().all() == [1, 2, 3]
    assert [m["n"] for m in direct.execute(ROWS, PARAMETERS).mappings().all()] == [1, 2, 3]
    assert [row.n for row in direct.execute(ROWS, PARAMETERS)] == [1, 2, 3]
    result = direct.execute(ROWS, PARAMETERS)
    assert (result.fetchone().n, result.fetchone().n, result.all()[0].n, result.fetchone()) == (1, 2, 3, None)
    one = {**PARAMETERS, "count": 1}
    assert direct.execute(ROWS, one).one().n == 1
    assert direct.execute(ROWS, one).scalar_one() == 1
    assert direct.execute(ROWS, {**PARAMETERS, "count": 0}).scalar_one_or_none() is None
    assert direct.execute(ROWS, {**PARAMETERS, "count": 0}).first() is None
    with pytest.raises(NoResultFound):
        direct.execute(ROWS, {**PARAMETERS, "count": 0}).one()
    with pytest.raises(MultipleResultsFound):
        direct.execute(ROWS, PARAMETERS).one_or_none()


def test_writes_count_their_rows_in_the_transaction(direct: Connection) -> None:
    set_estate(direct, ESTATE)
    keys = [f"direct-{uuid.uuid4()}" for _ in range(2)]
    inserted = direct.execute(
        sql(
            "INSERT INTO idempotency_keys (estate_code, key, request_hash) "
            "SELECT :estate, k, 'probe' FROM unnest(CAST(:keys AS text[])) AS k"
        ),
        {"estate": ESTATE, "keys": keys},
    )
    assert inserted.rowcount == 2 and inserted.all() == []
    found = direct.execute(sql("SELECT count(*) FROM idempotency_keys WHERE key = ANY(:keys)"), {"keys": keys})
    assert found.scalar() == 2


def test_driver_errors_are_wrapped_as_sqlalchemy_wraps_them(direct: Connection) -> None:
    with pytest.raises(DataError) as refused:
        direct.execute(sql("SELECT CAST(:text AS int)"), {"text": "not a number"})
    assert refused.value.orig is not None and refused.value.hide_parameters
    direct.rollback()
    direct.begin()
    set_estate(direct, ESTATE)
    key = f"direct-{uuid.uuid4()}"
    insert = sql("INSERT INTO idempotency_keys (estate_code, key, request_hash) VALUES (:estate, :key, 'probe')")
    direct.execute(insert, {"estate": ESTATE, "key": key})
    with pytest.raises(IntegrityError):
        direct.execute(insert, {"estate": ESTATE, "key": key})


def test_a_lost_connection_is_invalidated(ledger_database: Database, direct: Connection) -> None:
    pid = direct.execute(sql("SELECT pg_backend_pid()")).scalar()
    with ledger_database.connect() as other:
        assert other.execute(text("SELECT pg_terminate_backend(:pid, 10000)"), {"pid": pid}).scalar()
        other.commit()
    with pytest.raises(OperationalError) as lost:
        direct.execute(sql("SELECT 1"))
    assert lost.value.connection_invalidated and direct.invalidated


def test_anything_else_takes_sqlalchemys_path(ledger_database: Database, direct: Connection) -> None:
    typed = text("SELECT :n AS n").bindparams(bindparam("n", type_=Integer))
    assert not isinstance(direct.execute(typed, {"n": 4}), DirectResult)
    assert not isinstance(direct.execute(select(column("x")).select_from(text("(SELECT 5 AS x) AS t"))), DirectResult)
    assert not isinstance(direct.execute(ROWS, [PARAMETERS]), DirectResult)
    with ledger_database.connect() as plain:  # not opted in
        assert not isinstance(plain.execute(ROWS, PARAMETERS), DirectResult)
