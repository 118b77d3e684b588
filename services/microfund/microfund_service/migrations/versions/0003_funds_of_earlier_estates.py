"""Funds for the communities of estates onboarded before the funds existed: each community that an
estate's membership names gets its fund (the default council rule) and counts its estates; its book
in the ledger is opened at the fund's first money step.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = ("fund_memberships", "funds", "fund_estates")


def upgrade() -> None:
    # Row-level security binds the owner too (FORCE); this backfill spans communities, so it is
    # lifted for the statements below and put back before the transaction commits.
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    op.execute(
        "INSERT INTO funds (community_code, scope, name, threshold_fen) "
        "SELECT DISTINCT community_code, 'community:' || community_code, community_code || ' 社区微基金', 500000 "
        "FROM fund_memberships ON CONFLICT (community_code) DO NOTHING"
    )
    op.execute(
        "INSERT INTO fund_estates (scope, estate_code) "
        "SELECT 'community:' || community_code, estate_code FROM fund_memberships "
        "ON CONFLICT (estate_code) DO NOTHING"
    )
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")


def downgrade() -> None:
    """The funds made here may hold money since: nothing is removed."""
