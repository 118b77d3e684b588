"""An estate's first rules apply from the first day of its onboarding month (that month is billable);
earlier rows said the onboarding day.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The owner runs migrations under forced row-level security: lift it for this one statement.
    op.execute("ALTER TABLE estate_rule_changes NO FORCE ROW LEVEL SECURITY")
    op.execute(
        "UPDATE estate_rule_changes SET effective_from = date_trunc('month', effective_from)::date "
        "WHERE reason = 'onboarding' AND extract(day FROM effective_from) <> 1"
    )
    op.execute("ALTER TABLE estate_rule_changes FORCE ROW LEVEL SECURITY")


def downgrade() -> None:
    pass  # the onboarding day is not kept; the month start is as valid
