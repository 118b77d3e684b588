"""Fund memberships and the messaging tables.

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
        "fund_memberships",
        sa.Column("estate_code", sa.Text, primary_key=True),
        sa.Column("community_code", sa.Text, nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    enable_estate_isolation("fund_memberships")
    create_messaging_tables()


def downgrade() -> None:
    for table in ("dead_letters", "processed_events", "outbox", "fund_memberships"):
        op.drop_table(table)
