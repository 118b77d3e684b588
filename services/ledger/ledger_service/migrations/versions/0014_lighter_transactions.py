"""Fewer indexes and checks to keep per journal entry.

Every entry updated six indexes of ``transactions`` and queued a foreign-key check; billing writes
hundreds of thousands of entries in a run. Two of the indexes and the check served nothing that
a statement-level check or a smaller index does not:

* ``seq``, the global identity of revision 0002, has had no reader since entries are numbered per
  estate (``estate_seq``, revision 0005); its unique index and ``transactions_by_period`` (estate,
  period, seq) were written for every entry and read by nothing (a month's figures come from
  ``period_totals``; the transparency log reads an estate's entries in ``estate_seq`` order). The
  column and both indexes are dropped.
* ``reverses``: a unique constraint indexed every entry, NULL included, and its foreign key queued
  a check per entry. Now a partial unique index holds only reversals (a transaction is still
  reversed at most once), and ``transactions_inserted()`` checks, once per statement, that each
  reversal names a transaction of its own estate's books: stricter than the key, which accepted
  another estate's transaction. Entries are never updated or deleted (``refuse_change``), so the
  check at insert is all the key did.

Revision ID: 0014
Revises: 0013
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP INDEX transactions_by_period")
    op.execute("ALTER TABLE transactions DROP COLUMN seq")
    op.execute("ALTER TABLE transactions DROP CONSTRAINT transactions_reverses_fkey")
    op.execute("ALTER TABLE transactions DROP CONSTRAINT transactions_reverses_key")
    op.execute("CREATE UNIQUE INDEX transactions_reversed_once ON transactions (reverses) WHERE reverses IS NOT NULL")
    op.execute(
        """
        CREATE OR REPLACE FUNCTION transactions_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
          missing record;
          bad uuid;
        BEGIN
          SELECT n.estate_code, n.period INTO missing
          FROM (SELECT DISTINCT estate_code, period FROM new_transactions) n
          WHERE NOT EXISTS (SELECT 1 FROM periods p WHERE p.estate_code = n.estate_code AND p.period = n.period)
          LIMIT 1;
          IF FOUND THEN
            RAISE EXCEPTION 'period % of estate % is not in its books', missing.period, missing.estate_code
              USING ERRCODE = 'foreign_key_violation';
          END IF;
          -- One probe by key per new reversal, driven by the new rows (OFFSET 0: never flattened).
          SELECT n.id INTO bad
          FROM new_transactions n
          LEFT JOIN LATERAL (
            SELECT true AS found FROM transactions t
            WHERE t.estate_code = n.estate_code AND t.id = n.reverses OFFSET 0
          ) t ON true
          WHERE n.reverses IS NOT NULL AND t.found IS NULL
          LIMIT 1;
          IF FOUND THEN
            RAISE EXCEPTION 'transaction % reverses a transaction that is not in the books of its estate', bad
              USING ERRCODE = 'foreign_key_violation';
          END IF;
          RETURN NULL;
        END $$
        """
    )


def downgrade() -> None:
    raise NotImplementedError("restore from a backup instead")
