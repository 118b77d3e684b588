"""The committee's read side (治理指标): what the services' events say about each estate, and nothing
else — no person, household attribute or unit; households are counted by their opaque ids. Fed only
by the consumer group ``tenant.governance`` and rebuildable from the topics (tenant_service.
governance_rebuild). Facts keep their instants; months are derived when read, in the estate's time
zone, so the order in which topics are replayed never changes a figure.

Row-level security by estate as everywhere (a community-wide fund fact is scoped ``community:<code>``);
the committee reads across estates through the system role, and only these tables.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

from xinyi_shared.migrations import enable_estate_isolation

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = {
    "governance_estates": """
        estate_code text PRIMARY KEY,
        name text NOT NULL,
        district_code text NOT NULL,
        sub_district_code text NOT NULL,
        community_code text NOT NULL,
        time_zone text NOT NULL,
        status text NOT NULL,
        onboarded_at timestamptz NOT NULL""",
    "governance_households": """
        estate_code text NOT NULL,
        household_id text NOT NULL,
        registered_at timestamptz NOT NULL,
        PRIMARY KEY (estate_code, household_id)""",
    "governance_tickets": """
        estate_code text NOT NULL,
        ticket_id text NOT NULL,
        reported_at timestamptz,
        figures_seq integer NOT NULL DEFAULT -1,
        first_response_seconds bigint,
        resolution_seconds bigint,
        first_response_met boolean,
        resolution_met boolean,
        breaches integer NOT NULL DEFAULT 0,
        rating smallint CHECK (rating BETWEEN 1 AND 5),
        rated_at timestamptz,
        complaint_at timestamptz,
        petition_at timestamptz,
        PRIMARY KEY (estate_code, ticket_id)""",
    "governance_books": """
        estate_code text NOT NULL,
        period text NOT NULL,
        fees_billed_fen bigint NOT NULL DEFAULT 0,
        fees_collected_fen bigint NOT NULL DEFAULT 0,
        income_fen bigint NOT NULL DEFAULT 0,
        expenses_fen bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (estate_code, period)""",
    "governance_budget_spent": """
        estate_code text NOT NULL,
        period text NOT NULL,
        account text NOT NULL,
        amount_fen bigint NOT NULL,
        PRIMARY KEY (estate_code, period, account)""",
    "governance_budgets": """
        estate_code text NOT NULL,
        year integer NOT NULL,
        adopted_at timestamptz NOT NULL,
        lines jsonb NOT NULL,
        PRIMARY KEY (estate_code, year)""",
    "governance_closes": """
        estate_code text NOT NULL,
        period text NOT NULL,
        closed_at timestamptz NOT NULL,
        fees_billed_fen bigint NOT NULL,
        fees_collected_fen bigint NOT NULL,
        closing_balance_fen bigint NOT NULL,
        surplus_year_to_date_fen bigint NOT NULL,
        PRIMARY KEY (estate_code, period)""",
    "governance_checkpoints": """
        estate_code text NOT NULL,
        period text NOT NULL,
        origin text NOT NULL,
        tree_size bigint NOT NULL,
        root_hash bytea NOT NULL,
        PRIMARY KEY (estate_code, period)""",
    "governance_cosignatures": """
        estate_code text NOT NULL,
        tree_size bigint NOT NULL,
        witness text NOT NULL,
        PRIMARY KEY (estate_code, tree_size, witness)""",
    "governance_fund_flows": """
        scope text NOT NULL,
        community_code text NOT NULL,
        estate_code text,
        kind text NOT NULL CHECK (kind IN ('pledged', 'received', 'granted')),
        reference text NOT NULL,
        period text,
        at timestamptz NOT NULL,
        amount_fen bigint NOT NULL,
        PRIMARY KEY (scope, kind, reference)""",
}


def upgrade() -> None:
    for table, columns in TABLES.items():
        op.execute(f"CREATE TABLE {table} ({columns})")
        enable_estate_isolation(table, "scope" if table == "governance_fund_flows" else "estate_code")
    op.execute("CREATE INDEX governance_tickets_reported ON governance_tickets (reported_at)")
    op.execute(
        "CREATE INDEX governance_tickets_petitions ON governance_tickets (petition_at) WHERE petition_at IS NOT NULL"
    )
    op.execute("CREATE INDEX governance_fund_flows_at ON governance_fund_flows (community_code, at)")
    # Not part of the read model (a rebuild keeps it): the key that signs the monthly district reports.
    op.execute(
        "CREATE TABLE report_signing_keys (name text PRIMARY KEY, skey text NOT NULL, vkey text NOT NULL, "
        "created_at timestamptz NOT NULL DEFAULT now())"
    )


def downgrade() -> None:
    op.execute("DROP TABLE report_signing_keys")
    for table in reversed(TABLES):
        op.execute(f"DROP TABLE {table}")
