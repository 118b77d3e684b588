"""Billing as a background job: ``billing_jobs`` (one per request: an estate or a district, a month)
and ``billing_job_estates`` (each estate the job bills, with its progress and, when it could not be
billed, why), and which job billed each bill.

The job tables are platform machinery, like the outbox relay's: read and written by the service's
system role (BYPASSRLS), never by the app role, which loses every privilege on them, so no estate's
transaction can read another estate's jobs. A job is leased by the worker that runs it
(``lease_owner``, ``lease_until``, renewed while it runs); a job whose lease expired — its worker
died — is taken over by another worker and resumes. The households themselves are billed in the
estate's own transactions (row-level security applies), chunk by chunk; ``bills.billing_job_id``
says which job billed a bill, so a resumed job counts its own bills exactly once.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)
PERIOD_FORMAT = "period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'"
STATUSES = "('queued', 'running', 'done', 'failed')"


def _counter(name: str) -> sa.Column:
    return sa.Column(name, sa.BigInteger, nullable=False, server_default="0")


def upgrade() -> None:
    op.create_table(
        "billing_jobs",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("district_code", sa.Text),
        sa.Column("estate_code", sa.Text),
        # The estate's or the district's code: an idempotency key is unique per scope and target.
        sa.Column("target_code", sa.Text, nullable=False),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("idempotency_key", sa.Text, nullable=False),
        sa.Column("request_hash", sa.Text, nullable=False),
        sa.Column("requested_by", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="queued"),
        # Progress: the sums of the job's estates (households_total stays NULL until every estate's
        # households have been read), kept in step by the worker.
        sa.Column("households_total", sa.BigInteger),
        _counter("households_done"),
        _counter("households_billed"),
        _counter("already_billed"),
        _counter("not_occupied"),
        _counter("billed_fen"),
        sa.Column("estates_total", sa.Integer, nullable=False, server_default="0"),
        sa.Column("estates_done", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        # The worker holding the job, until when, and its last sign of life; attempts counts claims.
        sa.Column("lease_owner", sa.Text),
        sa.Column("lease_until", sa.DateTime(timezone=True)),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.CheckConstraint("scope IN ('estate', 'district')", name="billing_jobs_scope_known"),
        sa.CheckConstraint(
            "(scope = 'estate' AND estate_code IS NOT NULL AND target_code = estate_code) OR "
            "(scope = 'district' AND district_code IS NOT NULL AND estate_code IS NULL AND target_code = district_code)",
            name="billing_jobs_target",
        ),
        sa.CheckConstraint(PERIOD_FORMAT, name="billing_jobs_period_format"),
        sa.CheckConstraint(f"status IN {STATUSES}", name="billing_jobs_status_known"),
        sa.UniqueConstraint("scope", "target_code", "idempotency_key", name="billing_jobs_one_per_key"),
    )
    # What workers look for: unfinished jobs, oldest first.
    op.create_index(
        "billing_jobs_unfinished",
        "billing_jobs",
        ["created_at"],
        postgresql_where=sa.text("status IN ('queued', 'running')"),
    )

    op.create_table(
        "billing_job_estates",
        sa.Column("job_id", UUID, sa.ForeignKey("billing_jobs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("estate_code", sa.Text, primary_key=True),
        sa.Column("status", sa.Text, nullable=False, server_default="queued"),
        sa.Column("households_total", sa.BigInteger),
        _counter("households_done"),
        _counter("households_billed"),
        _counter("already_billed"),
        _counter("not_occupied"),
        _counter("billed_fen"),
        sa.Column("error", sa.Text),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint(f"status IN {STATUSES}", name="billing_job_estates_status_known"),
    )

    # Machinery of the system role only (the default privileges gave the app role access).
    op.execute(
        """
        DO $$
        DECLARE
          app text := current_database() || '_app';
        BEGIN
          IF EXISTS (SELECT FROM pg_roles WHERE rolname = app) THEN
            EXECUTE format('REVOKE ALL ON billing_jobs, billing_job_estates FROM %I', app);
          END IF;
        END $$;
        """
    )

    # Which job billed a bill (NULL: a bill of the synchronous runs before this revision).
    op.add_column("bills", sa.Column("billing_job_id", UUID))


def downgrade() -> None:
    op.drop_column("bills", "billing_job_id")
    op.drop_table("billing_job_estates")
    op.drop_table("billing_jobs")
