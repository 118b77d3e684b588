"""Tamper-evident books: each estate's entries as the leaves of an append-only Merkle tree, checkpoints
signed at each period close, the supervisor's cosignatures, and each household's secret (the opening
of the commitments that stand for it in the leaves).

* ``log_keys``: the estate's log signing key (Ed25519, Go note format) and its verifier key;
* ``log_leaves``: leaf ``n`` of an estate's log is one transaction, with its leaf hash; append-only;
* ``checkpoints``: the signed checkpoint notes; ``cosignatures``: the witness lines added to them;
* ``witness_keys``: the supervisors' registered verifier keys (a rotation retires the old one);
* ``household_secrets``: 32 random bytes per household.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from xinyi_shared.migrations import enable_estate_isolation

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)
NOW = sa.func.now()


def upgrade() -> None:
    op.create_table(
        "log_keys",
        sa.Column("estate_code", sa.Text, primary_key=True),
        sa.Column("origin", sa.Text, nullable=False),
        sa.Column("signer_key", sa.Text, nullable=False),
        sa.Column("verifier_key", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
    )
    enable_estate_isolation("log_keys")

    op.create_table(
        "log_leaves",
        sa.Column("estate_code", sa.Text, primary_key=True),
        sa.Column("leaf_index", sa.BigInteger, primary_key=True),
        sa.Column("transaction_id", UUID, nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary, nullable=False),
        sa.UniqueConstraint("estate_code", "transaction_id", name="log_leaves_once_per_transaction"),
        sa.CheckConstraint("leaf_index >= 0 AND octet_length(leaf_hash) = 32", name="log_leaves_shape"),
    )
    enable_estate_isolation("log_leaves")

    op.create_table(
        "checkpoints",
        sa.Column("estate_code", sa.Text, primary_key=True),
        sa.Column("tree_size", sa.BigInteger, primary_key=True),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("root_hash", sa.LargeBinary, nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
    )
    enable_estate_isolation("checkpoints")

    op.create_table(
        "witness_keys",
        sa.Column("estate_code", sa.Text, primary_key=True),
        sa.Column("verifier_key", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("registered_by", sa.Text, nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("retired_at", sa.DateTime(timezone=True)),
    )
    enable_estate_isolation("witness_keys")

    op.create_table(
        "cosignatures",
        sa.Column("estate_code", sa.Text, primary_key=True),
        sa.Column("tree_size", sa.BigInteger, primary_key=True),
        sa.Column("verifier_key", sa.Text, primary_key=True),
        sa.Column("signature_line", sa.Text, nullable=False),
        sa.Column("cosigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
    )
    enable_estate_isolation("cosignatures")

    op.create_table(
        "household_secrets",
        sa.Column("estate_code", sa.Text, primary_key=True),
        sa.Column("household_id", UUID, primary_key=True),
        sa.Column("secret", sa.LargeBinary, nullable=False),
        sa.CheckConstraint("octet_length(secret) = 32", name="household_secrets_size"),
    )
    enable_estate_isolation("household_secrets")

    for table in ("log_leaves", "checkpoints", "cosignatures", "household_secrets"):
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION refuse_change()"
        )


def downgrade() -> None:
    raise NotImplementedError("restore from a backup instead")
