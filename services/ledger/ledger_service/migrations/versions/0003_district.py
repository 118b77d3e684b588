"""Trust books know their district, so a district's billing run covers exactly its estates.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("trust_books", sa.Column("district_code", sa.Text, nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_column("trust_books", "district_code")
