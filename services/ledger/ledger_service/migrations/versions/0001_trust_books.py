"""Trust books, chart of accounts and the messaging tables.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from xinyi_shared.migrations import create_messaging_tables, enable_estate_isolation

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trust_books",
        sa.Column("estate_code", sa.Text, primary_key=True),
        sa.Column("fee_rate_fen_per_sqm_month", sa.Numeric(12, 4), nullable=False),
        sa.Column("remuneration_share_bps", sa.Integer, nullable=False),
        sa.Column("donation_share_bps", sa.Integer, nullable=False),
        sa.Column("opened_by_event", sa.Text, nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    enable_estate_isolation("trust_books")
    op.create_table(
        "accounts",
        sa.Column("estate_code", sa.Text, sa.ForeignKey("trust_books.estate_code"), primary_key=True),
        sa.Column("code", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("name_zh", sa.Text, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.CheckConstraint("type IN ('asset', 'liability', 'equity', 'income', 'expense')", name="accounts_type_known"),
    )
    enable_estate_isolation("accounts")
    create_messaging_tables()


def downgrade() -> None:
    for table in ("dead_letters", "processed_events", "outbox", "accounts", "trust_books"):
        op.drop_table(table)
