"""How a unit of work ends when its use case did not commit, on the real PostgreSQL: what it wrote
is rolled back; a transaction that wrote nothing is committed instead, so that the connection keeps
the statements psycopg prepared on it (a rollback makes psycopg deallocate them all)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import OperationalError

from xinyi_shared.db import Database, set_estate
from xinyi_shared.unit_of_work import EstateUnitOfWork, end_uncommitted

ESTATE = "uow-end-probe"  # no such estate: rows written under it are the test's own
PREPARED = text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%uow_end_probe%'")


def _read_until_prepared(connection: Connection) -> None:
    # psycopg prepares a statement on its fifth execution on a connection.
    for n in range(6):
        assert connection.execute(text("SELECT CAST(:n AS int) AS uow_end_probe"), {"n": n}).scalar() == n
    assert connection.execute(PREPARED).scalar() == 1


def _write(connection: Connection, key: str) -> None:
    set_estate(connection, ESTATE)
    connection.execute(
        text("INSERT INTO idempotency_keys (estate_code, key, request_hash) VALUES (:estate, :key, 'probe')"),
        {"estate": ESTATE, "key": key},
    )


def _written(connection: Connection, key: str) -> bool:
    set_estate(connection, ESTATE)
    found = connection.execute(text("SELECT count(*) FROM idempotency_keys WHERE key = :key"), {"key": key}).scalar()
    connection.rollback()
    return bool(found)


def test_what_was_written_is_rolled_back(ledger_database: Database) -> None:
    key = f"uow-end-{uuid.uuid4()}"
    with ledger_database.connect() as connection:
        connection.begin()
        _write(connection, key)
        end_uncommitted(connection)
        assert not connection.in_transaction()
        assert not _written(connection, key)


def test_a_read_ends_keeping_its_prepared_statements(ledger_database: Database) -> None:
    with ledger_database.connect() as connection:
        connection.begin()
        _read_until_prepared(connection)
        end_uncommitted(connection)
        assert not connection.in_transaction()
        assert connection.execute(PREPARED).scalar() == 1
        connection.rollback()


def test_a_rollback_after_a_write_forgets_them(ledger_database: Database) -> None:
    """The contrast that makes the commit worth it: the same reads, then a write, then the end."""
    with ledger_database.connect() as connection:
        connection.begin()
        _read_until_prepared(connection)
        key = f"uow-end-{uuid.uuid4()}"
        _write(connection, key)
        end_uncommitted(connection)
        assert connection.execute(PREPARED).scalar() == 0
        assert not _written(connection, key)


def test_a_failed_transaction_is_rolled_back(ledger_database: Database) -> None:
    with ledger_database.connect() as connection:
        connection.begin()
        with pytest.raises(Exception, match="division by zero"):
            connection.execute(text("SELECT 1 / 0"))
        end_uncommitted(connection)
        assert not connection.in_transaction()
        assert connection.execute(text("SELECT 2")).scalar() == 2
        connection.rollback()


def test_a_lost_connection_leaves_its_own_error(ledger_database: Database) -> None:
    """The ledger_database going away mid-transaction: the caller sees that error (a consumer retries it as
    transient), not one of ending the transaction on a connection that is gone."""
    work = EstateUnitOfWork(ledger_database, ESTATE, topic="xinyi.test.uow-end.v1", source="xinyi/test")
    with pytest.raises(OperationalError), work as uow:
        pid = uow.connection.execute(text("SELECT pg_backend_pid()")).scalar()
        with ledger_database.connect() as other:
            # A role may end its own backends; the timeout waits until this one is gone.
            assert other.execute(text("SELECT pg_terminate_backend(:pid, 10000)"), {"pid": pid}).scalar()
            other.commit()
        uow.connection.execute(text("SELECT 1"))
    with EstateUnitOfWork(ledger_database, ESTATE, topic="xinyi.test.uow-end.v1", source="xinyi/test") as uow:
        assert uow.connection.execute(text("SELECT 2")).scalar() == 2  # the pool gave a live connection
