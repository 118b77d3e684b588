"""An estate may join the platform with its trust books from an earlier month (books_from, the first
day of that month; NULL: its onboarding month). Its first rules apply from that day, so the ledger
opens the books from that month.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("estates", sa.Column("books_from", sa.Date, nullable=True))
    op.create_check_constraint(
        "estates_books_from_month_start", "estates", "books_from IS NULL OR extract(day FROM books_from) = 1"
    )


def downgrade() -> None:
    op.drop_constraint("estates_books_from_month_start", "estates")
    op.drop_column("estates", "books_from")
