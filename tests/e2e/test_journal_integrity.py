"""The journal's statement-level checks, run as the ledger's own role in real estates: a posting and
a bill must name a transaction of their own estate's books, and every INSERT of postings adds exactly
its lines to the month's totals (which statements and balances are read from)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

from tests.e2e.conftest import wait_for_books
from tests.harness import connect


def _in_estate(cursor: psycopg.Cursor, code: str) -> None:
    cursor.execute("SELECT set_config('xinyi.estate', %s, true)", (code,))


def _open_period_and_accounts(cursor: psycopg.Cursor) -> tuple[str, str, str]:
    # The books' first month, opened as a posting opens it (periods are created by writes only).
    cursor.execute(
        "INSERT INTO periods (estate_code, period) SELECT estate_code, first_period FROM trust_books "
        "ON CONFLICT DO NOTHING"
    )
    cursor.execute("SELECT first_period FROM trust_books")
    (period,) = cursor.fetchone()
    cursor.execute("SELECT code FROM accounts ORDER BY code LIMIT 2")
    first, second = (row[0] for row in cursor.fetchall())
    return period, first, second


def _new_transaction(cursor: psycopg.Cursor, code: str, period: str, reverses: uuid.UUID | None = None) -> uuid.UUID:
    transaction_id = uuid.uuid4()
    cursor.execute(
        "INSERT INTO transactions (id, estate_code, period, kind, posted_by, estate_seq, reverses) "
        "VALUES (%s, %s, %s, 'e2e_check', 'e2e', nextval(estate_sequence(%s)), %s)",
        (transaction_id, code, period, code, reverses),
    )
    return transaction_id


def _named_transaction(cursor: psycopg.Cursor, whose: str, other_code: str) -> uuid.UUID:
    """The transaction a test's row names: none at all, or one in another estate's books."""
    if whose == "no transaction":
        return uuid.uuid4()
    _in_estate(cursor, other_code)
    return _new_transaction(cursor, other_code, _open_period_and_accounts(cursor)[0])


def _post_lines(cursor: psycopg.Cursor, code: str, transaction_id: uuid.UUID, debit: str, credit: str) -> None:
    cursor.execute(
        "INSERT INTO postings (transaction_id, line, estate_code, account, amount_fen) "
        "VALUES (%s, 1, %s, %s, 12345), (%s, 2, %s, %s, -12345)",
        (transaction_id, code, debit, transaction_id, code, credit),
    )


@contextmanager
def _own_books(make_estate, name: str) -> Iterator[tuple[psycopg.Cursor, str, str, str, str]]:
    """A new estate's books, as the ledger's own role in a transaction rolled back at the end:
    (cursor, estate code, its first month opened, two of its accounts)."""
    estate = make_estate(name)
    wait_for_books(estate.code, estate.manager_token)
    with connect("ledger", "app") as connection, connection.transaction(force_rollback=True):
        cursor = connection.cursor()
        _in_estate(cursor, estate.code)
        yield (cursor, estate.code, *_open_period_and_accounts(cursor))


def test_postings_add_their_lines_to_the_months_totals(make_estate) -> None:
    with _own_books(make_estate, "jrnl-t") as (cursor, code, period, debit, credit):

        def totals() -> dict[str, int]:
            cursor.execute(
                "SELECT account, sum(amount_fen)::bigint FROM period_totals "
                "WHERE period = %s AND kind = 'e2e_check' GROUP BY account",
                (period,),
            )
            return {account: int(fen) for account, fen in cursor.fetchall()}

        assert totals() == {}
        for _ in range(3):
            _post_lines(cursor, code, _new_transaction(cursor, code, period), debit, credit)
        assert totals() == {debit: 3 * 12345, credit: -3 * 12345}


def _add_bill(cursor: psycopg.Cursor, code: str, period: str, transaction_id: uuid.UUID) -> None:
    cursor.execute(
        "INSERT INTO bills (id, estate_code, household_id, period, amount_fen, area_centi_sqm, "
        "rate_fen_per_sqm_month, billed_on, transaction_id) VALUES (%s, %s, %s, %s, 100, 8000, 2.5, now(), %s)",
        (uuid.uuid4(), code, uuid.uuid4(), period, transaction_id),
    )


def test_a_bill_of_a_transaction_of_its_own_books_is_recorded(make_estate) -> None:
    with _own_books(make_estate, "jrnl-bill") as (cursor, code, period, _, _):
        transaction_id = _new_transaction(cursor, code, period)
        _add_bill(cursor, code, period, transaction_id)
        cursor.execute("SELECT count(*) FROM bills WHERE transaction_id = %s", (transaction_id,))
        assert cursor.fetchone() == (1,)


def _post_naming(cursor: psycopg.Cursor, code: str, transaction_id: uuid.UUID) -> None:
    _, debit, credit = _open_period_and_accounts(cursor)
    _post_lines(cursor, code, transaction_id, debit, credit)


def _bill_naming(cursor: psycopg.Cursor, code: str, transaction_id: uuid.UUID) -> None:
    period, _, _ = _open_period_and_accounts(cursor)
    _add_bill(cursor, code, period, transaction_id)


def _reversal_naming(cursor: psycopg.Cursor, code: str, transaction_id: uuid.UUID) -> None:
    period, _, _ = _open_period_and_accounts(cursor)
    _new_transaction(cursor, code, period, reverses=transaction_id)


# Each row that names a transaction, and what its statement-level check answers when it is not there.
NAMING_ROWS = {
    "posting": (_post_naming, "names a transaction that does not exist"),
    "bill": (_bill_naming, "not in the books of its estate"),
    "reversal": (_reversal_naming, "reverses a transaction that is not in the books of its estate"),
}


@pytest.mark.parametrize("row", NAMING_ROWS)
@pytest.mark.parametrize("whose", ["no transaction", "another estate's transaction"])
def test_a_row_must_name_a_transaction_of_its_own_books(make_estate, row: str, whose: str) -> None:
    write, refusal = NAMING_ROWS[row]
    own, other = make_estate(f"jrnl-{row}-a"), make_estate(f"jrnl-{row}-b")
    wait_for_books(own.code, own.manager_token)
    wait_for_books(other.code, other.manager_token)
    with connect("ledger", "app") as connection, connection.transaction(force_rollback=True):
        cursor = connection.cursor()
        named = _named_transaction(cursor, whose, other.code)
        _in_estate(cursor, own.code)
        with pytest.raises(psycopg.errors.ForeignKeyViolation, match=refusal):
            write(cursor, own.code, named)


def test_a_transaction_of_its_own_books_is_reversed_once(make_estate) -> None:
    with _own_books(make_estate, "jrnl-reversal") as (cursor, code, period, _, _):
        original = _new_transaction(cursor, code, period)
        reversal = _new_transaction(cursor, code, period, reverses=original)
        cursor.execute("SELECT reverses FROM transactions WHERE id = %s", (reversal,))
        assert cursor.fetchone() == (original,)
        with pytest.raises(psycopg.errors.UniqueViolation):
            _new_transaction(cursor, code, period, reverses=original)
