"""Only the household sub-ledgers' lines in ``postings_by_household``.

The index (estate, household, account) served the household sub-ledgers' reads: a household's
balances, its prepaid credit, whether it has entries. Every one of them names the household
(``household_id = …`` or ``= ANY(…)``), yet every line was indexed: the cash, income and expense
lines, which carry no household, are most of them (all of another service's batch, one of each
payment's, the income side of every bill). The index now holds only the lines that name a
household, so the others are written without it; the reads are unchanged, since a condition on
``household_id`` implies the index's ``household_id IS NOT NULL``.

Revision ID: 0015
Revises: 0014
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP INDEX postings_by_household")
    op.execute(
        "CREATE INDEX postings_by_household ON postings (estate_code, household_id, account) "
        "WHERE household_id IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX postings_by_household")
    op.execute("CREATE INDEX postings_by_household ON postings (estate_code, household_id, account)")
