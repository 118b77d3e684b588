"""Rate-limit counters shared by every process of the service (xinyi_shared.rate_limits): one row per
scope, key (a client address, an estate code) and fixed window. No estate data, so no row-level
security; the app role reads and writes it (default privileges).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_counters",
        sa.Column("scope", sa.Text, primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("window_start", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
    )
    # Pruning deletes old windows of every key.
    op.create_index("rate_limit_counters_window_start", "rate_limit_counters", ["window_start"])


def downgrade() -> None:
    op.drop_table("rate_limit_counters")
