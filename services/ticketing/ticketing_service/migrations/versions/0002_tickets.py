"""Tickets, their history, their files, materials and notifications; the estates' full targets.

* ``service_targets`` gains the estate's categories, per-category overrides, escalation grace, the
  delay of automatic confirmation and the reopen window (defaults: the ten categories, none, the
  target again, 3 days, 7 days);
* ``tickets``: one row per ticket: the columns people filter on and the scheduler's
  ``next_timer_at`` (indexed where set: due timers are found by index, never by a scan), and the
  whole state as JSON, changed only with ``version = version + 1`` (optimistic);
* ``ticket_transitions``: the append-only history, one row per step (``seq`` = the version it made);
* ``ticket_files``: photos and receipts uploaded to the blob store, per estate;
* ``ticket_materials``: purchases and the ledger expense each became (the link back);
* ``notifications``: the outbox of messages to people (reporter, assignee, grid, manager, officer);
* ``report_keys``: idempotency keys of reports, so a phone's retry does not open a second ticket.

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

JSONB = postgresql.JSONB
TS = sa.DateTime(timezone=True)
NOW = sa.func.now()


def upgrade() -> None:
    op.add_column("service_targets", sa.Column("categories", postgresql.ARRAY(sa.Text)))
    op.add_column("service_targets", sa.Column("overrides", JSONB, nullable=False, server_default="[]"))
    op.add_column("service_targets", sa.Column("escalation_grace_minutes", sa.Integer))
    op.add_column(
        "service_targets", sa.Column("auto_confirm_minutes", sa.Integer, nullable=False, server_default="4320")
    )
    op.add_column(
        "service_targets", sa.Column("reopen_window_minutes", sa.Integer, nullable=False, server_default="10080")
    )
    op.add_column("service_targets", sa.Column("updated_at", TS, nullable=False, server_default=NOW))

    op.create_table(
        "tickets",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("estate_code", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("category", sa.Text, nullable=False),
        sa.Column("urgency", sa.Text, nullable=False),
        sa.Column("household_id", sa.Text),
        sa.Column("grid_code", sa.Text),
        sa.Column("visibility", sa.Text, nullable=False),
        sa.Column("reporter_subject", sa.Text, nullable=False),
        sa.Column("assignee", sa.Text),
        sa.Column("reported_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("next_timer_at", TS),
        sa.Column("state", JSONB, nullable=False),
        sa.CheckConstraint("version >= 1", name="tickets_version"),
    )
    op.create_index("tickets_due", "tickets", ["next_timer_at"], postgresql_where=sa.text("next_timer_at IS NOT NULL"))
    op.create_index("tickets_by_estate", "tickets", ["estate_code", "reported_at", "id"])
    op.create_index("tickets_by_household", "tickets", ["estate_code", "household_id"])
    op.create_index("tickets_by_grid", "tickets", ["estate_code", "grid_code"])
    op.create_index("tickets_by_status", "tickets", ["estate_code", "status", "reported_at"])
    enable_estate_isolation("tickets")

    op.create_table(
        "ticket_transitions",
        sa.Column("ticket_id", sa.Text, sa.ForeignKey("tickets.id"), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("estate_code", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("record", JSONB, nullable=False),
    )
    enable_estate_isolation("ticket_transitions")
    # The history is append-only: nobody rewrites what happened to a ticket.
    op.execute(
        "CREATE FUNCTION ticket_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'ticket history is append-only'; END $$"
    )
    op.execute(
        "CREATE TRIGGER ticket_transitions_append_only BEFORE UPDATE OR DELETE ON ticket_transitions "
        "FOR EACH ROW EXECUTE FUNCTION ticket_history_append_only()"
    )

    op.create_table(
        "ticket_files",
        sa.Column("estate_code", sa.Text, primary_key=True),
        sa.Column("sha256", sa.Text, primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("media_type", sa.Text, nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("file_name", sa.Text, nullable=False, server_default=""),
        sa.Column("uploaded_by", sa.Text, nullable=False),
        sa.Column("uploaded_at", TS, nullable=False, server_default=NOW),
        sa.CheckConstraint("purpose IN ('photo', 'receipt')", name="ticket_files_purpose"),
    )
    enable_estate_isolation("ticket_files")

    op.create_table(
        "ticket_materials",
        sa.Column("estate_code", sa.Text, nullable=False),
        sa.Column("ticket_id", sa.Text, sa.ForeignKey("tickets.id"), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("expense_id", sa.Text, nullable=False, unique=True),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("account", sa.Text, nullable=False),
        sa.Column("expense_status", sa.Text, nullable=False),
        sa.Column("request_key", sa.Text, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.UniqueConstraint("estate_code", "request_key", name="ticket_materials_once_per_key"),
        sa.CheckConstraint("amount_fen > 0", name="ticket_materials_positive"),
    )
    enable_estate_isolation("ticket_materials")

    op.create_table(
        "notifications",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("estate_code", sa.Text, nullable=False),
        sa.Column("ticket_id", sa.Text, nullable=False),
        sa.Column("recipient_kind", sa.Text, nullable=False),
        sa.Column("recipient", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("message", JSONB, nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", TS, nullable=False, server_default=NOW),
        sa.Column("delivered_at", TS),
        sa.Column("last_error", sa.Text),
    )
    op.create_index(
        "notifications_pending", "notifications", ["next_attempt_at"], postgresql_where=sa.text("delivered_at IS NULL")
    )
    op.create_index("notifications_by_ticket", "notifications", ["estate_code", "ticket_id", "id"])
    enable_estate_isolation("notifications")

    op.create_table(
        "report_keys",
        sa.Column("estate_code", sa.Text, primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("ticket_id", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
    )
    enable_estate_isolation("report_keys")


def downgrade() -> None:
    for table in ("report_keys", "notifications", "ticket_materials", "ticket_files", "ticket_transitions", "tickets"):
        op.drop_table(table)
    op.execute("DROP FUNCTION IF EXISTS ticket_history_append_only()")
    for column in (
        "updated_at",
        "reopen_window_minutes",
        "auto_confirm_minutes",
        "escalation_grace_minutes",
        "overrides",
        "categories",
    ):
        op.drop_column("service_targets", column)
