"""The district's registry: hierarchy, estate rules history, grids, households, people,
memberships, invitations, ballots and offboarding archives.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from xinyi_shared.migrations import enable_estate_isolation

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)
JSONB = postgresql.JSONB
NOW = sa.func.now()


def _timestamp(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable, server_default=None if nullable else NOW)


def upgrade() -> None:
    # Hierarchy above the estates: platform data, shared by every estate of the district.
    op.create_table(
        "districts",
        sa.Column("code", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        _timestamp("created_at"),
    )
    op.create_table(
        "sub_districts",
        sa.Column("code", sa.Text, primary_key=True),
        sa.Column("district_code", sa.Text, sa.ForeignKey("districts.code"), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        _timestamp("created_at"),
    )
    op.create_table(
        "communities",
        sa.Column("code", sa.Text, primary_key=True),
        sa.Column("sub_district_code", sa.Text, sa.ForeignKey("sub_districts.code"), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        _timestamp("created_at"),
    )

    op.add_column("estates", sa.Column("sub_district_code", sa.Text))
    op.add_column("estates", sa.Column("remuneration_basis", sa.Text, nullable=False, server_default="collected"))
    op.add_column("estates", sa.Column("billing_day", sa.Integer, nullable=False, server_default="1"))
    op.add_column("estates", sa.Column("first_accounts", JSONB))
    op.add_column("estates", sa.Column("suspended_reason", sa.Text))

    # Every change of an estate's rules, append-only: who, when, from which date, old and new.
    op.create_table(
        "estate_rule_changes",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("estate_code", sa.Text, nullable=False, index=True),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("rules", JSONB, nullable=False),
        sa.Column("previous", JSONB),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("changed_by", sa.Text, nullable=False),
        _timestamp("changed_at"),
    )
    # The rules an estate was onboarded with are its first change (before the policies bind the owner).
    op.execute("ALTER TABLE estates NO FORCE ROW LEVEL SECURITY")
    op.execute(
        "INSERT INTO estate_rule_changes (estate_code, effective_from, rules, changed_by, changed_at, reason) "
        "SELECT estate_code, date_trunc('month', created_at AT TIME ZONE time_zone)::date, jsonb_build_object("
        "'fee_rate_fen_per_sqm_month', fee_rate_fen_per_sqm_month::text, "
        "'remuneration_share_bps', remuneration_share_bps, 'donation_share_bps', donation_share_bps, "
        "'remuneration_basis', remuneration_basis, 'billing_day', billing_day), created_by, created_at, 'onboarding' "
        "FROM estates"
    )
    op.execute("ALTER TABLE estates FORCE ROW LEVEL SECURITY")
    enable_estate_isolation("estate_rule_changes")

    op.create_table(
        "grids",
        sa.Column("estate_code", sa.Text, primary_key=True),
        sa.Column("code", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        _timestamp("created_at"),
    )
    enable_estate_isolation("grids")
    op.create_table(
        "grid_leaders",
        sa.Column("estate_code", sa.Text, primary_key=True),
        sa.Column("grid_code", sa.Text, primary_key=True),
        sa.Column("username", sa.Text, primary_key=True),
        sa.ForeignKeyConstraint(["estate_code", "grid_code"], ["grids.estate_code", "grids.code"], ondelete="CASCADE"),
    )
    enable_estate_isolation("grid_leaders")

    op.create_table(
        "households",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("estate_code", sa.Text, nullable=False),
        sa.Column("building", sa.Text, nullable=False),
        sa.Column("unit", sa.Text, nullable=False),
        sa.Column("floor", sa.Text, nullable=False),
        sa.Column("room", sa.Text, nullable=False),
        sa.Column("area_centi_sqm", sa.BigInteger, nullable=False),
        sa.Column("grid_code", sa.Text),
        sa.Column("occupied_from", sa.Date),
        sa.Column("occupied_until", sa.Date),
        _timestamp("created_at"),
        sa.UniqueConstraint("estate_code", "building", "unit", "room", name="households_one_per_dwelling"),
        sa.CheckConstraint("area_centi_sqm > 0", name="households_area_positive"),
        sa.ForeignKeyConstraint(["estate_code", "grid_code"], ["grids.estate_code", "grids.code"]),
    )
    enable_estate_isolation("households")

    # Personal data: stored for the estate only, never in events or logs.
    op.create_table(
        "people",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("estate_code", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("phone", sa.Text, nullable=False, server_default=""),
        sa.Column("email", sa.Text, nullable=False, server_default=""),
        sa.Column("user_id", sa.Text),  # the Keycloak account, once claimed
        _timestamp("created_at"),
    )
    op.create_index("people_by_user", "people", ["estate_code", "user_id"])
    enable_estate_isolation("people")
    op.create_table(
        "household_members",
        sa.Column("estate_code", sa.Text, nullable=False),
        sa.Column("household_id", UUID, sa.ForeignKey("households.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("person_id", UUID, sa.ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("relation", sa.Text, nullable=False),
        sa.Column("since", sa.Date),
        sa.Column("until", sa.Date),
        sa.CheckConstraint("relation IN ('owner', 'resident')", name="household_members_relation_known"),
    )
    enable_estate_isolation("household_members")

    op.create_table(
        "invitations",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("estate_code", sa.Text, nullable=False),
        sa.Column("household_id", UUID, sa.ForeignKey("households.id", ondelete="CASCADE"), nullable=False),
        sa.Column("relation", sa.Text, nullable=False),
        sa.Column("contact", sa.Text, nullable=False),
        sa.Column("code_hash", sa.Text, nullable=False, unique=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        _timestamp("created_at"),
        sa.Column("claimed_user_id", sa.Text),
        _timestamp("claimed_at", nullable=True),
        sa.CheckConstraint("status IN ('pending', 'claimed', 'revoked')", name="invitations_status_known"),
    )
    enable_estate_isolation("invitations")

    op.create_table(
        "ballots",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("estate_code", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False, server_default=""),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("options", JSONB, nullable=False),
        sa.Column("quorum_bps", sa.Integer, nullable=False),
        sa.Column("threshold", sa.Text, nullable=False),
        sa.Column("threshold_base", sa.Text, nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.Text, nullable=False),
        _timestamp("created_at"),
        _timestamp("closed_at", nullable=True),
        sa.Column("closed_by", sa.Text),
        sa.Column("result", JSONB),
    )
    op.create_index("ballots_due", "ballots", ["closes_at"], postgresql_where=sa.text("closed_at IS NULL"))
    enable_estate_isolation("ballots")
    op.create_table(
        "ballot_electorate",
        sa.Column("estate_code", sa.Text, nullable=False),
        sa.Column("ballot_id", UUID, sa.ForeignKey("ballots.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("household_id", UUID, primary_key=True),
    )
    enable_estate_isolation("ballot_electorate")
    op.create_table(
        "ballot_votes",
        sa.Column("estate_code", sa.Text, nullable=False),
        sa.Column("ballot_id", UUID, primary_key=True),
        sa.Column("household_id", UUID, primary_key=True),
        sa.Column("option", sa.Text, nullable=False),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("cast_by", sa.Text, nullable=False),
        sa.Column("cast_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ballot_id", "household_id"], ["ballot_electorate.ballot_id", "ballot_electorate.household_id"]
        ),
    )
    enable_estate_isolation("ballot_votes")

    # Offboarding exports, kept after the estate's data is removed (read by the platform team only).
    op.create_table(
        "estate_archives",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("estate_code", sa.Text, nullable=False),
        sa.Column("sha256", sa.Text, nullable=False),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        _timestamp("created_at"),
    )
    enable_estate_isolation("estate_archives")


def downgrade() -> None:
    for table in (
        "estate_archives",
        "ballot_votes",
        "ballot_electorate",
        "ballots",
        "invitations",
        "household_members",
        "people",
        "households",
        "grid_leaders",
        "grids",
        "estate_rule_changes",
    ):
        op.drop_table(table)
    for column in ("suspended_reason", "first_accounts", "billing_day", "remuneration_basis", "sub_district_code"):
        op.drop_column("estates", column)
    for table in ("communities", "sub_districts", "districts"):
        op.drop_table(table)
