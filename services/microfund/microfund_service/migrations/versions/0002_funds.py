"""The community funds: their rule, pledges, donations received, grants and their files.

Row-level security is by ``scope``, the community a row belongs to (``community:<code>``), set as
the transaction's ``xinyi.estate`` like an estate code: a fund's rows are seen only inside its
community's transactions.

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

TS = sa.DateTime(timezone=True)
NOW = sa.func.now()


def upgrade() -> None:
    op.create_table(
        "funds",
        sa.Column("community_code", sa.Text, primary_key=True),
        sa.Column("scope", sa.Text, nullable=False, unique=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("threshold_fen", sa.BigInteger, nullable=False),
        sa.Column("book_open", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.CheckConstraint("threshold_fen >= 0", name="funds_threshold"),
    )
    enable_estate_isolation("funds", "scope")

    # Which estates a fund's community holds (from EstateOnboarded), readable inside the fund's scope.
    op.create_table(
        "fund_estates",
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("estate_code", sa.Text, primary_key=True),
    )
    enable_estate_isolation("fund_estates", "scope")

    op.create_table(
        "pledges",
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("estate_code", sa.Text, primary_key=True),
        sa.Column("period", sa.Text, primary_key=True),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("source_transaction", sa.Text, nullable=False),
        sa.Column("ledger_transaction", sa.Text),
        sa.Column("pledged_at", TS, nullable=False, server_default=NOW),
        sa.CheckConstraint("amount_fen > 0", name="pledges_positive"),
    )
    enable_estate_isolation("pledges", "scope")

    op.create_table(
        "donations",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("estate_code", sa.Text),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("received_on", sa.Date, nullable=False),
        sa.Column("donor_name", sa.Text),
        sa.Column("anonymous", sa.Boolean, nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("ledger_transaction", sa.Text, nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.Column("request_key", sa.Text, nullable=False),
        sa.Column("recorded_at", TS, nullable=False, server_default=NOW),
        sa.UniqueConstraint("scope", "request_key", name="donations_once_per_key"),
        sa.CheckConstraint("amount_fen > 0", name="donations_positive"),
        sa.CheckConstraint("anonymous OR donor_name IS NOT NULL", name="donations_named_or_anonymous"),
    )
    enable_estate_isolation("donations", "scope")

    op.create_table(
        "grants",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("applicant", sa.Text, nullable=False),
        sa.Column("applicant_estate", sa.Text, nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("state", postgresql.JSONB, nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("applied_at", TS, nullable=False, server_default=NOW),
        sa.Column("updated_at", TS, nullable=False, server_default=NOW),
        sa.UniqueConstraint("scope", "number", name="grants_numbered"),
    )
    enable_estate_isolation("grants", "scope")

    op.create_table(
        "grant_history",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("grant_id", sa.Text, sa.ForeignKey("grants.id"), nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("detail", postgresql.JSONB, nullable=False),
        sa.Column("at", TS, nullable=False, server_default=NOW),
    )
    enable_estate_isolation("grant_history", "scope")

    op.create_table(
        "fund_files",
        sa.Column("scope", sa.Text, primary_key=True),
        sa.Column("sha256", sa.Text, primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("media_type", sa.Text, nullable=False),
        sa.Column("file_name", sa.Text, nullable=False, server_default=""),
        sa.Column("uploaded_by", sa.Text, nullable=False),
        sa.Column("uploaded_at", TS, nullable=False, server_default=NOW),
    )
    enable_estate_isolation("fund_files", "scope")

    op.create_table(
        "write_keys",
        sa.Column("scope", sa.Text, primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("answer", postgresql.JSONB),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
    )
    enable_estate_isolation("write_keys", "scope")


def downgrade() -> None:
    for table in (
        "write_keys",
        "fund_files",
        "grant_history",
        "grants",
        "donations",
        "pledges",
        "fund_estates",
        "funds",
    ):
        op.drop_table(table)
