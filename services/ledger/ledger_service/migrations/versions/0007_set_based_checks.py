"""The journal's integrity checked once per statement instead of once per row.

Posting a chunk of 1,000 bills spent most of its time in per-row triggers: the foreign keys of
postings (to transactions and accounts) and of transactions (to periods), and the trigger numbering
each transaction. The journal is append-only (no row is ever updated or deleted), so those keys
only ever guard inserts; the same guarantees are now checked by statement-level triggers over the
statements' transition tables, in a few set-based queries:

* every posting's transaction exists (the join that keeps ``period_totals`` must find each one);
* every posting's account is open in its estate's books;
* every transaction's period exists in its estate's books;
* every transaction touched balances and has two lines or more, and its lines arrived in that one
  statement: they must be numbered 1…n, so a later statement adding a line to a posted
  transaction collides with line 1 on the primary key;
* a transaction's number comes from its estate's sequence, drawn in the INSERT itself
  (``nextval`` of the sequence named once per statement); the numbers are unique per estate.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SLOTS = 16


def upgrade() -> None:
    op.execute("DROP TRIGGER transactions_numbered ON transactions")
    op.execute("DROP FUNCTION assign_estate_seq()")
    op.execute("ALTER TABLE postings DROP CONSTRAINT postings_transaction_id_fkey")
    op.execute("ALTER TABLE postings DROP CONSTRAINT postings_estate_code_account_fkey")
    op.execute("ALTER TABLE transactions DROP CONSTRAINT transactions_estate_code_period_fkey")
    op.execute(
        """
        CREATE FUNCTION transactions_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
          missing record;
        BEGIN
          SELECT n.estate_code, n.period INTO missing
          FROM (SELECT DISTINCT estate_code, period FROM new_transactions) n
          WHERE NOT EXISTS (SELECT 1 FROM periods p WHERE p.estate_code = n.estate_code AND p.period = n.period)
          LIMIT 1;
          IF FOUND THEN
            RAISE EXCEPTION 'period % of estate % is not in its books', missing.period, missing.estate_code
              USING ERRCODE = 'foreign_key_violation';
          END IF;
          RETURN NULL;
        END $$;
        CREATE TRIGGER transactions_checked AFTER INSERT ON transactions
          REFERENCING NEW TABLE AS new_transactions FOR EACH STATEMENT EXECUTE FUNCTION transactions_inserted();
        """
    )
    # Households' lines are found by (estate, household, account); nothing reads by account first
    # any more (balances and statements come from period_totals).
    op.execute("DROP INDEX postings_by_account")
    op.execute("DROP TRIGGER postings_checked_and_totalled ON postings")
    op.execute("DROP FUNCTION postings_inserted()")
    op.execute(
        f"""
        CREATE FUNCTION postings_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
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
          WITH joined_lines AS MATERIALIZED (
            SELECT n.estate_code, t.period, n.account, t.kind, n.amount_fen
            FROM new_postings n JOIN transactions t ON t.id = n.transaction_id
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
          SELECT (SELECT count(*) FROM joined_lines), (SELECT count(*) FROM new_postings) INTO joined, posted;
          IF joined <> posted THEN
            RAISE EXCEPTION 'a posting names a transaction that does not exist'
              USING ERRCODE = 'foreign_key_violation';
          END IF;
          RETURN NULL;
        END $$
        -- The join to transactions looks up each new posting's transaction by its key: a hash join
        -- would scan every transaction of every estate, a cost that grows with the books.
        SET enable_hashjoin = off SET enable_mergejoin = off;
        CREATE TRIGGER postings_checked_and_totalled AFTER INSERT ON postings
          REFERENCING NEW TABLE AS new_postings FOR EACH STATEMENT EXECUTE FUNCTION postings_inserted();
        """
    )


def downgrade() -> None:
    raise NotImplementedError("restore from a backup instead")
