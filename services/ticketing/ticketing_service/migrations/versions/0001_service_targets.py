"""Service targets per estate and the messaging tables.

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
        "service_targets",
        sa.Column("estate_code", sa.Text, primary_key=True),
        sa.Column("time_zone", sa.Text, nullable=False),
        sa.Column("first_response_minutes", sa.Integer, nullable=False),
        sa.Column("resolution_minutes", sa.Integer, nullable=False),
        sa.CheckConstraint(
            "first_response_minutes > 0 AND resolution_minutes >= first_response_minutes", name="service_targets_sane"
        ),
    )
    enable_estate_isolation("service_targets")
    create_messaging_tables()


def downgrade() -> None:
    for table in ("dead_letters", "processed_events", "outbox", "service_targets"):
        op.drop_table(table)
