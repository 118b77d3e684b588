"""Estates registry and the messaging tables.

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
        "estates",
        sa.Column("estate_code", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("district_code", sa.Text, nullable=False),
        sa.Column("community_code", sa.Text, nullable=False),
        sa.Column("fee_rate_fen_per_sqm_month", sa.Numeric(12, 4), nullable=False),
        sa.Column("remuneration_share_bps", sa.Integer, nullable=False),
        sa.Column("donation_share_bps", sa.Integer, nullable=False),
        sa.Column("time_zone", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("directory_id", sa.Text),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("fee_rate_fen_per_sqm_month > 0", name="estates_fee_rate_positive"),
        sa.CheckConstraint("remuneration_share_bps BETWEEN 0 AND 10000", name="estates_remuneration_share_range"),
        sa.CheckConstraint("donation_share_bps BETWEEN 0 AND 10000", name="estates_donation_share_range"),
        sa.CheckConstraint(
            "status IN ('provisioning', 'active', 'suspended', 'offboarded')", name="estates_status_known"
        ),
    )
    enable_estate_isolation("estates")
    create_messaging_tables()


def downgrade() -> None:
    for table in ("dead_letters", "processed_events", "outbox", "estates"):
        op.drop_table(table)
