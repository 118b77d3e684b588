"""The engine for a city: per-estate transaction numbers, period totals kept as entries post, the
balance check per statement instead of per row, and no running totals on the period's row.

* ``transactions.estate_seq``: each estate numbers its own entries from its own sequence (the global
  ``seq`` stays internal), so no estate can read how busy the others are. Numbers increase; a
  rolled-back posting may leave a gap.
* ``period_totals``: net fen per (estate, period, account, kind), kept by a statement-level trigger
  on ``postings`` in the same transaction, so statements read a few hundred rows whatever the
  number of entries. Each row is striped over ``slot`` (the backend's pid modulo 16): concurrent
  postings from different connections update different rows and never wait for each other.
* the balance check runs once per INSERT statement over its transition table: every transaction
  touched balances, has at least two lines, and all of its lines arrived in that one statement
  (so no line can ever be added to a posted transaction).
* periods lose their running remuneration totals: the remuneration is accrued from
  ``period_totals`` (service_layer/remuneration.py), so a payment never touches the period's row
  beyond the key-share lock its foreign key takes.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from xinyi_shared.migrations import enable_estate_isolation

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SLOTS = 16
BACKFILLED = ("transactions", "postings", "trust_books", "periods", "period_totals")


def upgrade() -> None:
    # The backfills below read and write every estate's rows: as the owner, with the policies'
    # FORCE lifted for this transaction only (restored at the end of the upgrade).
    for table in BACKFILLED[:-1]:
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    # --- per-estate numbering -------------------------------------------------------------------
    op.execute(
        """
        CREATE FUNCTION estate_sequence(estate text) RETURNS regclass
          LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        DECLARE
          name text := 'estate_seq_' || md5(estate);
        BEGIN
          IF to_regclass(name) IS NULL THEN
            BEGIN
              EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %I', name);
            EXCEPTION WHEN unique_violation OR duplicate_table THEN
              NULL;  -- created concurrently by another transaction
            END;
          END IF;
          RETURN name::regclass;
        END $$;

        CREATE FUNCTION assign_estate_seq() RETURNS trigger
          LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        BEGIN
          NEW.estate_seq := nextval(estate_sequence(NEW.estate_code));
          RETURN NEW;
        END $$;
        """
    )
    op.add_column("transactions", sa.Column("estate_seq", sa.BigInteger))
    op.execute("ALTER TABLE transactions DISABLE TRIGGER transactions_append_only")
    op.execute(
        """
        UPDATE transactions t SET estate_seq = n.number
        FROM (SELECT id, row_number() OVER (PARTITION BY estate_code ORDER BY seq) AS number FROM transactions) n
        WHERE n.id = t.id
        """
    )
    op.execute("ALTER TABLE transactions ENABLE TRIGGER transactions_append_only")
    op.execute(
        """
        SELECT setval(estate_sequence(estate_code), max(estate_seq)) FROM transactions GROUP BY estate_code;
        SELECT estate_sequence(estate_code) FROM trust_books;
        """
    )
    op.alter_column("transactions", "estate_seq", nullable=False)
    op.create_index("transactions_by_estate_seq", "transactions", ["estate_code", "estate_seq"], unique=True)
    op.execute(
        "CREATE TRIGGER transactions_numbered BEFORE INSERT ON transactions "
        "FOR EACH ROW EXECUTE FUNCTION assign_estate_seq()"
    )

    # --- period totals --------------------------------------------------------------------------
    op.create_table(
        "period_totals",
        sa.Column("estate_code", sa.Text, primary_key=True),
        sa.Column("period", sa.Text, primary_key=True),
        sa.Column("account", sa.Text, primary_key=True),
        sa.Column("kind", sa.Text, primary_key=True),
        sa.Column("slot", sa.SmallInteger, primary_key=True),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
    )
    enable_estate_isolation("period_totals")
    op.execute("ALTER TABLE period_totals NO FORCE ROW LEVEL SECURITY")
    op.execute(
        """
        INSERT INTO period_totals (estate_code, period, account, kind, slot, amount_fen)
        SELECT p.estate_code, t.period, p.account, t.kind, 0, sum(p.amount_fen)
        FROM postings p JOIN transactions t ON t.id = p.transaction_id
        GROUP BY p.estate_code, t.period, p.account, t.kind
        """
    )

    # --- the balance check and the totals, once per statement -------------------------------------
    op.execute("DROP TRIGGER postings_balanced ON postings")
    op.execute("DROP FUNCTION check_transaction_balanced()")
    op.execute(
        f"""
        CREATE FUNCTION postings_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
          bad uuid;
        BEGIN
          SELECT n.transaction_id INTO bad
          FROM (SELECT transaction_id, sum(amount_fen) AS total, count(*) AS lines
                FROM new_postings GROUP BY transaction_id) n
          WHERE n.total <> 0 OR n.lines < 2
             OR n.lines <> (SELECT count(*) FROM postings p WHERE p.transaction_id = n.transaction_id)
          LIMIT 1;
          IF FOUND THEN
            RAISE EXCEPTION 'transaction % does not balance, has fewer than two lines, or was already posted', bad
              USING ERRCODE = 'check_violation';
          END IF;
          INSERT INTO period_totals AS totals (estate_code, period, account, kind, slot, amount_fen)
          SELECT n.estate_code, t.period, n.account, t.kind, (pg_backend_pid() % {SLOTS})::smallint, sum(n.amount_fen)
          FROM new_postings n JOIN transactions t ON t.id = n.transaction_id
          GROUP BY n.estate_code, t.period, n.account, t.kind
          ORDER BY n.estate_code, t.period, n.account, t.kind
          ON CONFLICT (estate_code, period, account, kind, slot)
            DO UPDATE SET amount_fen = totals.amount_fen + EXCLUDED.amount_fen;
          RETURN NULL;
        END $$;
        CREATE TRIGGER postings_checked_and_totalled AFTER INSERT ON postings
          REFERENCING NEW TABLE AS new_postings FOR EACH STATEMENT EXECUTE FUNCTION postings_inserted();
        """
    )

    op.drop_column("periods", "remuneration_basis_fen")
    op.drop_column("periods", "remuneration_accrued_fen")
    # The month the books begin (the month of the estate's first rules): no period before it exists.
    op.add_column("trust_books", sa.Column("first_period", sa.Text))
    op.execute(
        """
        UPDATE trust_books b SET first_period = coalesce(
          (SELECT min(period) FROM transactions t WHERE t.estate_code = b.estate_code),
          to_char(b.opened_at AT TIME ZONE b.time_zone, 'YYYY-MM'))
        """
    )
    op.alter_column("trust_books", "first_period", nullable=False)
    # Idempotency keys are claimed first (the response is written when the request's work is done,
    # in the same transaction), so a retry racing the first request waits for it on the key's index.
    op.alter_column("idempotency_keys", "response", nullable=True)
    # Open bills of a household, and a household's lines, without scanning the estate.
    op.create_index("bills_by_household", "bills", ["estate_code", "household_id", "period"])
    op.create_index("postings_by_household", "postings", ["estate_code", "household_id", "account"])
    for table in BACKFILLED:
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")


def downgrade() -> None:
    raise NotImplementedError("the engine's tables are not downgraded; restore from a backup instead")
