"""An expense names the ticket it pays materials for: ``expenses.ticket_id``, the ticketing service's
id of the ticket (NULL for an expense proposed without one, as every expense before this revision).
The table keeps its forced row-level security; a new nullable column changes no row.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("expenses", sa.Column("ticket_id", sa.Text, nullable=True))
    op.create_check_constraint(
        "expenses_ticket_id_length", "expenses", "ticket_id IS NULL OR char_length(ticket_id) BETWEEN 1 AND 128"
    )


def downgrade() -> None:
    op.drop_column("expenses", "ticket_id")
