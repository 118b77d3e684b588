"""The journal: append-only balanced transactions, bills and their settlements, periods,
idempotency keys, and the period running totals used for exact cumulative rounding.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from xinyi_shared.migrations import enable_estate_isolation

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)
JSONB = postgresql.JSONB


def upgrade() -> None:
    op.add_column("trust_books", sa.Column("status", sa.Text, nullable=False, server_default="active"))
    op.add_column("trust_books", sa.Column("community_code", sa.Text, nullable=False, server_default=""))
    op.add_column("trust_books", sa.Column("estate_name", sa.Text, nullable=False, server_default=""))
    op.add_column("trust_books", sa.Column("time_zone", sa.Text, nullable=False, server_default="Asia/Shanghai"))

    op.create_table(
        "periods",
        sa.Column("estate_code", sa.Text, primary_key=True),
        sa.Column("period", sa.Text, primary_key=True),
        sa.Column("status", sa.Text, nullable=False, server_default="open"),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("closed_by", sa.Text),
        sa.Column("statement", JSONB),
        # Running totals of the period for exact cumulative rounding of the remuneration.
        sa.Column("remuneration_basis_fen", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("remuneration_accrued_fen", sa.BigInteger, nullable=False, server_default="0"),
        sa.CheckConstraint("status IN ('open', 'closed')", name="periods_status_known"),
        sa.CheckConstraint("period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'", name="periods_period_format"),
    )
    enable_estate_isolation("periods")

    op.create_table(
        "transactions",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("seq", sa.BigInteger, sa.Identity(always=True), nullable=False, unique=True),
        sa.Column("estate_code", sa.Text, nullable=False),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("memo", sa.Text, nullable=False, server_default=""),
        sa.Column("reverses", UUID, sa.ForeignKey("transactions.id"), unique=True),
        sa.Column("reference", JSONB, nullable=False, server_default="{}"),
        sa.Column("posted_by", sa.Text, nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.ForeignKeyConstraint(["estate_code", "period"], ["periods.estate_code", "periods.period"]),
    )
    op.create_index("transactions_by_period", "transactions", ["estate_code", "period", "seq"])
    enable_estate_isolation("transactions")

    op.create_table(
        "postings",
        sa.Column("transaction_id", UUID, sa.ForeignKey("transactions.id"), primary_key=True),
        sa.Column("line", sa.SmallInteger, primary_key=True),
        sa.Column("estate_code", sa.Text, nullable=False),
        sa.Column("account", sa.Text, nullable=False),
        sa.Column("household_id", UUID),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.CheckConstraint("amount_fen <> 0", name="postings_amount_not_zero"),
        sa.ForeignKeyConstraint(["estate_code", "account"], ["accounts.estate_code", "accounts.code"]),
    )
    op.create_index("postings_by_account", "postings", ["estate_code", "account", "household_id"])
    enable_estate_isolation("postings")

    # The database itself refuses an unbalanced transaction (checked at commit) and any change to
    # a posted entry: corrections are reversing transactions.
    op.execute(
        """
        CREATE FUNCTION check_transaction_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF (SELECT coalesce(sum(amount_fen), 0) FROM postings WHERE transaction_id = NEW.transaction_id) <> 0 THEN
            RAISE EXCEPTION 'transaction % does not balance', NEW.transaction_id USING ERRCODE = 'check_violation';
          END IF;
          RETURN NULL;
        END $$;
        CREATE CONSTRAINT TRIGGER postings_balanced AFTER INSERT ON postings
          DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION check_transaction_balanced();
        CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION '% is append-only: post a reversing transaction instead', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
        END $$;
        CREATE TRIGGER postings_append_only BEFORE UPDATE OR DELETE ON postings
          FOR EACH ROW EXECUTE FUNCTION refuse_change();
        CREATE TRIGGER transactions_append_only BEFORE UPDATE OR DELETE ON transactions
          FOR EACH ROW EXECUTE FUNCTION refuse_change();
        """
    )

    op.create_table(
        "bills",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("estate_code", sa.Text, nullable=False),
        sa.Column("household_id", UUID, nullable=False),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("area_centi_sqm", sa.BigInteger, nullable=False),
        sa.Column("rate_fen_per_sqm_month", sa.Numeric(12, 4), nullable=False),
        sa.Column("occupied_days", sa.Integer),
        sa.Column("billed_on", sa.Date, nullable=False),
        sa.Column("transaction_id", UUID, sa.ForeignKey("transactions.id"), nullable=False),
        sa.UniqueConstraint("estate_code", "household_id", "period", name="bills_once_per_household_and_period"),
        sa.CheckConstraint("amount_fen > 0", name="bills_amount_positive"),
    )
    enable_estate_isolation("bills")
    op.create_table(
        "bill_settlements",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("estate_code", sa.Text, nullable=False),
        sa.Column("bill_id", UUID, sa.ForeignKey("bills.id"), nullable=False, index=True),
        sa.Column("transaction_id", UUID, sa.ForeignKey("transactions.id"), nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.CheckConstraint("amount_fen <> 0", name="bill_settlements_amount_not_zero"),
    )
    enable_estate_isolation("bill_settlements")

    op.create_table(
        "payments",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("estate_code", sa.Text, nullable=False),
        sa.Column("household_id", UUID, nullable=False, index=True),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("method", sa.Text, nullable=False),
        sa.Column("reference", sa.Text, nullable=False, server_default=""),
        sa.Column("received_on", sa.Date, nullable=False),
        sa.Column("transaction_id", UUID, sa.ForeignKey("transactions.id"), nullable=False),
        sa.CheckConstraint("amount_fen > 0", name="payments_amount_positive"),
        sa.CheckConstraint("method IN ('cash', 'bank_transfer', 'wechat_pay', 'alipay')", name="payments_method_known"),
    )
    enable_estate_isolation("payments")

    op.create_table(
        "idempotency_keys",
        sa.Column("estate_code", sa.Text, primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("request_hash", sa.Text, nullable=False),
        sa.Column("response", JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    enable_estate_isolation("idempotency_keys")


def downgrade() -> None:
    for table in ("idempotency_keys", "payments", "bill_settlements", "bills", "postings", "transactions", "periods"):
        op.drop_table(table)
    op.execute("DROP FUNCTION IF EXISTS check_transaction_balanced, refuse_change")
    for column in ("time_zone", "estate_name", "community_code", "status"):
        op.drop_column("trust_books", column)
