"""What the ledger keeps of the tenant service's facts: the estate's households (ids, to check a
payment's household without a call) and its announced rule changes.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from xinyi_shared.migrations import enable_estate_isolation

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "known_households",
        sa.Column("estate_code", sa.Text, primary_key=True),
        sa.Column("household_id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("area_centi_sqm", sa.BigInteger),
        sa.Column("learned_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    enable_estate_isolation("known_households")
    op.create_table(
        "announced_rules",
        sa.Column("estate_code", sa.Text, primary_key=True),
        sa.Column("effective_from", sa.Date, primary_key=True),
        sa.Column("rules", postgresql.JSONB, nullable=False),
        sa.Column("event_id", sa.Text, nullable=False),
    )
    enable_estate_isolation("announced_rules")


def downgrade() -> None:
    op.drop_table("announced_rules")
    op.drop_table("known_households")
