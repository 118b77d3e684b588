"""Estate isolation is enforced by PostgreSQL itself: even raw SQL run as a service's own role sees
and writes only the estate its transaction is set to."""

from __future__ import annotations

import psycopg
import pytest

from tests.e2e.conftest import wait_for_books
from tests.harness import connect


def estate_codes_seen(connection: psycopg.Connection, table: str, estate: str | None) -> set[str]:
    with connection.transaction(), connection.cursor() as cursor:
        if estate is not None:
            cursor.execute("SELECT set_config('xinyi.estate', %s, true)", (estate,))
        cursor.execute(f"SELECT DISTINCT estate_code FROM {table}")
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.parametrize(
    ("database", "table"), [("ledger", "accounts"), ("ledger", "trust_books"), ("tenant", "estates")]
)
def test_raw_sql_as_the_service_role_cannot_read_across_estates(make_estate, database: str, table: str) -> None:
    first, second = make_estate("rls-a"), make_estate("rls-b")
    wait_for_books(first.code, first.manager_token)
    wait_for_books(second.code, second.manager_token)

    with connect(database, "app") as connection:
        assert estate_codes_seen(connection, table, None) == set(), "no estate set: no rows at all"
        assert estate_codes_seen(connection, table, first.code) == {first.code}
        assert estate_codes_seen(connection, table, second.code) == {second.code}

    # The system role (relay, platform listings) does see both: the rows are really there.
    with connect(database, "system") as connection:
        assert {first.code, second.code} <= estate_codes_seen(connection, table, None)


def test_raw_sql_as_the_service_role_cannot_write_into_another_estate(make_estate) -> None:
    first, second = make_estate("rlsw-a"), make_estate("rlsw-b")
    wait_for_books(first.code, first.manager_token)
    with connect("ledger", "app") as connection:
        with (
            pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"),
            connection.transaction(),
            connection.cursor() as cursor,
        ):
            cursor.execute("SELECT set_config('xinyi.estate', %s, true)", (first.code,))
            cursor.execute(
                "INSERT INTO accounts (estate_code, code, name, name_zh, type) "
                "VALUES (%s, '9999', 'smuggled', '走私', 'asset')",
                (second.code,),
            )
        with connection.transaction(), connection.cursor() as cursor:
            cursor.execute("SELECT set_config('xinyi.estate', %s, true)", (first.code,))
            cursor.execute("UPDATE accounts SET name = 'changed' WHERE estate_code = %s", (second.code,))
            assert cursor.rowcount == 0, "another estate's rows are invisible, so nothing is updated"


def test_the_app_role_cannot_switch_row_level_security_off() -> None:
    with connect("ledger", "app") as connection, connection.cursor() as cursor:
        cursor.execute("SELECT rolbypassrls, rolsuper FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            cursor.execute("ALTER TABLE accounts DISABLE ROW LEVEL SECURITY")
