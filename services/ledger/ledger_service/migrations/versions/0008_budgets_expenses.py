"""The money-out half of the trust model: budgets adopted by ballot, expenses under dual approval
with vouchers, residents' questions, and account 2300 (expenses payable) in every estate's books.

* ``budget_drafts`` / ``budget_plans``: the firm's draft of a year's budget, its service plans and
  their lines (``lines`` JSON: account, name, amount); ``budgets``: the plan adopted for each year.
* ``vouchers``: files an estate uploaded (content-addressed: the bytes live in the blob store).
* ``expenses`` and ``expense_history`` (every state change: who, when, why); ``expense_questions``.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from xinyi_shared.migrations import enable_estate_isolation

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)
JSONB = postgresql.JSONB
NOW = sa.func.now()


def upgrade() -> None:
    # Every estate's books gain the liability an approved, unpaid expense is booked on.
    # As the owner, with the policies' FORCE lifted for this transaction only (as in 0005).
    op.execute("ALTER TABLE accounts NO FORCE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE trust_books NO FORCE ROW LEVEL SECURITY")
    op.execute(
        "INSERT INTO accounts (estate_code, code, name, name_zh, type) "
        "SELECT estate_code, '2300', 'Expenses payable (approved, unpaid)', '应付费用', 'liability' FROM trust_books "
        "ON CONFLICT DO NOTHING"
    )
    op.execute("ALTER TABLE accounts FORCE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE trust_books FORCE ROW LEVEL SECURITY")

    op.create_table(
        "budget_drafts",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("estate_code", sa.Text, nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="draft"),
        sa.Column("large_expense_threshold_fen", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("large_expense_rule", sa.Text, nullable=False, server_default="ballot"),
        sa.Column("ballot_id", sa.Text),
        sa.Column("adopted_plan", sa.Text),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("status IN ('draft', 'balloting', 'adopted', 'not_adopted')", name="budget_drafts_status"),
        sa.CheckConstraint("large_expense_rule IN ('ballot', 'second_supervisor')", name="budget_drafts_rule"),
    )
    op.create_index("budget_drafts_by_year", "budget_drafts", ["estate_code", "year"])
    enable_estate_isolation("budget_drafts")

    op.create_table(
        "budget_plans",
        sa.Column("draft_id", UUID, sa.ForeignKey("budget_drafts.id"), primary_key=True),
        sa.Column("position", sa.SmallInteger, primary_key=True),
        sa.Column("estate_code", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("fee_income_fen", sa.BigInteger, nullable=False),
        sa.Column("lines", JSONB, nullable=False),
    )
    enable_estate_isolation("budget_plans")

    op.create_table(
        "budgets",
        sa.Column("estate_code", sa.Text, primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("draft_id", UUID, sa.ForeignKey("budget_drafts.id"), nullable=False),
        sa.Column("plan_position", sa.SmallInteger, nullable=False),
        sa.Column("ballot_id", sa.Text, nullable=False),
        sa.Column("adopted_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
    )
    enable_estate_isolation("budgets")

    op.create_table(
        "vouchers",
        sa.Column("estate_code", sa.Text, primary_key=True),
        sa.Column("sha256", sa.Text, primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("media_type", sa.Text, nullable=False),
        sa.Column("file_name", sa.Text, nullable=False, server_default=""),
        sa.Column("uploaded_by", sa.Text, nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="vouchers_sha256_hex"),
    )
    enable_estate_isolation("vouchers")

    op.create_table(
        "expenses",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("estate_code", sa.Text, nullable=False),
        sa.Column("number", sa.BigInteger, sa.Identity(always=True), nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("payee", sa.Text, nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("account", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("vouchers", JSONB, nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("escalation", sa.Text, nullable=False, server_default="none"),
        sa.Column("proposed_by", sa.Text, nullable=False),
        sa.Column("proposed_by_name", sa.Text, nullable=False, server_default=""),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("first_approver", sa.Text),
        sa.Column("ballot_id", sa.Text),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("reason", sa.Text),
        sa.Column("booking_transaction_id", UUID),
        sa.Column("payment_transaction_id", UUID),
        sa.CheckConstraint(
            "status IN ('proposed', 'awaiting_ballot', 'awaiting_second_approval', 'approved', 'paid', 'rejected')",
            name="expenses_status",
        ),
        sa.CheckConstraint("amount_fen > 0", name="expenses_amount_positive"),
    )
    op.create_index("expenses_by_estate", "expenses", ["estate_code", "number"])
    enable_estate_isolation("expenses")

    op.create_table(
        "expense_history",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("estate_code", sa.Text, nullable=False),
        sa.Column("expense_id", UUID, sa.ForeignKey("expenses.id"), nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("actor_name", sa.Text, nullable=False, server_default=""),
        sa.Column("reason", sa.Text),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
    )
    op.create_index("expense_history_by_expense", "expense_history", ["estate_code", "expense_id", "id"])
    enable_estate_isolation("expense_history")

    op.create_table(
        "expense_questions",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("estate_code", sa.Text, nullable=False),
        sa.Column("expense_id", UUID, sa.ForeignKey("expenses.id"), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("asked_by", sa.Text, nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("answer", sa.Text),
        sa.Column("answered_by", sa.Text),
        sa.Column("answered_at", sa.DateTime(timezone=True)),
    )
    op.create_index("expense_questions_by_expense", "expense_questions", ["estate_code", "expense_id"])
    enable_estate_isolation("expense_questions")

    # History is appended, never rewritten.
    op.execute(
        "CREATE TRIGGER expense_history_append_only BEFORE UPDATE OR DELETE ON expense_history "
        "FOR EACH ROW EXECUTE FUNCTION refuse_change()"
    )


def downgrade() -> None:
    raise NotImplementedError("restore from a backup instead")
