"""A statement of bills is checked once, like the postings: not a foreign-key probe per bill.

Billing inserts a chunk's 1,000–5,000 bills in one statement. The foreign key from
``bills.transaction_id`` ran a query and took a share lock on the referenced transaction per bill
(its lock is written to the table and the WAL), and ``bills_by_household`` repeated the columns of
the unique index the table already had: together about a tenth of PostgreSQL's work per bill.

* ``bills_inserted()``, after each statement that inserts bills, looks every new bill's transaction
  up by the key (estate, id) and refuses the statement if one is not in its estate's books. That is
  stricter than the foreign key, which accepted another estate's transaction. Transactions cannot
  be updated or deleted (``refuse_change``), so the check at insert is all the key did after it.
* ``bills_by_household`` is dropped; ``bills_once_per_household_and_period`` serves its reads.

Revision ID: 0013
Revises: 0012
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP INDEX bills_by_household")
    op.execute("ALTER TABLE bills DROP CONSTRAINT bills_transaction_id_fkey")
    op.execute(
        """
        CREATE FUNCTION bills_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
          bad uuid;
        BEGIN
          -- One probe by key per new bill, driven by the new bills (OFFSET 0: never flattened).
          SELECT n.id INTO bad
          FROM new_bills n
          LEFT JOIN LATERAL (
            SELECT true AS found FROM transactions t
            WHERE t.estate_code = n.estate_code AND t.id = n.transaction_id OFFSET 0
          ) t ON true
          WHERE t.found IS NULL
          LIMIT 1;
          IF FOUND THEN
            RAISE EXCEPTION 'bill % names a transaction that is not in the books of its estate', bad
              USING ERRCODE = 'foreign_key_violation';
          END IF;
          RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER bills_checked AFTER INSERT ON bills REFERENCING NEW TABLE AS new_bills "
        "FOR EACH STATEMENT EXECUTE FUNCTION bills_inserted()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER bills_checked ON bills")
    op.execute("DROP FUNCTION bills_inserted()")
    op.execute(
        "ALTER TABLE bills ADD CONSTRAINT bills_transaction_id_fkey FOREIGN KEY (transaction_id) "
        "REFERENCES transactions(id)"
    )
    op.execute("CREATE INDEX bills_by_household ON bills (estate_code, household_id, period)")
