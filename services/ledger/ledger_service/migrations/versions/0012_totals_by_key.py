"""The journal's statement-level check looks each new posting's transaction up by its key.

``postings_inserted()`` (revision 0007) joined the statement's new postings to ``transactions``
with hash and merge joins switched off, meaning a lookup by key per posting. But the planner, whose
statistics say an estate new to them has about one transaction, scanned the estate's
transactions in the outer loop and the new postings in the inner one: a chunk of 1,000 bills
(2,000 lines) compared 4,000,000 pairs and took 0.6 s; in an estate with a long history the cost
grew with the books (a new estate's first billing was quadratic in its households). Two changes
make it one index probe per new transaction and account, whatever the statistics say:

* the lookup is a lateral subquery that cannot be flattened (``OFFSET 0``): the new postings drive it;
* ``transactions_by_estate_id`` (estate, id): under row-level security every read of
  ``transactions`` carries the estate condition, and with ``transactions_pkey`` (id alone) the
  planner preferred the estate's index, filtering on the id. With both in one index both are index
  conditions, and that index wins on any statistics.

The checks and the totals are unchanged.

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

SLOTS = 16  # as revision 0007: the totals' rows per (estate, period, account, kind)


def upgrade() -> None:
    op.execute("CREATE INDEX transactions_by_estate_id ON transactions (estate_code, id)")
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION postings_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
          bad uuid;
          unknown record;
          posted bigint;
          joined bigint;
        BEGIN
          SELECT n.transaction_id INTO bad
          FROM (SELECT transaction_id, sum(amount_fen) AS total, count(*) AS lines, min(line) AS first,
                       max(line) AS last
                FROM new_postings GROUP BY transaction_id) n
          WHERE n.total <> 0 OR n.lines < 2 OR n.first <> 1 OR n.last <> n.lines
          LIMIT 1;
          IF FOUND THEN
            RAISE EXCEPTION 'transaction % does not balance, has fewer than two lines, or its lines are not 1..n', bad
              USING ERRCODE = 'check_violation';
          END IF;
          SELECT n.estate_code, n.account INTO unknown
          FROM (SELECT DISTINCT estate_code, account FROM new_postings) n
          WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.estate_code = n.estate_code AND a.code = n.account)
          LIMIT 1;
          IF FOUND THEN
            RAISE EXCEPTION 'account % is not open in the books of %', unknown.account, unknown.estate_code
              USING ERRCODE = 'foreign_key_violation';
          END IF;
          -- The totals, from the postings joined to their transactions (which must all exist).
          WITH per_transaction AS MATERIALIZED (
            SELECT transaction_id, estate_code, account, sum(amount_fen) AS amount_fen, count(*) AS lines
            FROM new_postings GROUP BY transaction_id, estate_code, account
          ), joined_lines AS MATERIALIZED (
            SELECT p.estate_code, t.period, p.account, t.kind, p.amount_fen, p.lines
            FROM per_transaction p
            CROSS JOIN LATERAL (
              SELECT period, kind FROM transactions WHERE id = p.transaction_id OFFSET 0
            ) t
          ), added AS (
            INSERT INTO period_totals AS totals (estate_code, period, account, kind, slot, amount_fen)
            SELECT estate_code, period, account, kind, (pg_backend_pid() % {SLOTS})::smallint, sum(amount_fen)
            FROM joined_lines
            GROUP BY estate_code, period, account, kind
            ORDER BY estate_code, period, account, kind
            ON CONFLICT (estate_code, period, account, kind, slot)
              DO UPDATE SET amount_fen = totals.amount_fen + EXCLUDED.amount_fen
            RETURNING 1
          )
          SELECT (SELECT coalesce(sum(lines), 0) FROM joined_lines), (SELECT count(*) FROM new_postings)
            INTO joined, posted;
          IF joined <> posted THEN
            RAISE EXCEPTION 'a posting names a transaction that does not exist'
              USING ERRCODE = 'foreign_key_violation';
          END IF;
          RETURN NULL;
        END $$
        -- No hash or merge join: those would read every transaction of the estate.
        SET enable_hashjoin = off SET enable_mergejoin = off;
        """
    )


def downgrade() -> None:
    raise NotImplementedError("restore from a backup instead")
