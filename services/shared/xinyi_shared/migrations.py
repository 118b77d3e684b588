"""Helpers for each service's Alembic migrations: row-level security and the shared tables
(outbox, processed events, dead letters) that the outbox relay and the idempotent consumer use."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command, op
from alembic.config import Config
from sqlalchemy.dialects import postgresql

from xinyi_shared.db import ESTATE_SETTING
from xinyi_shared.settings import ServiceSettings


def enable_estate_isolation(table: str, column: str = "estate_code") -> None:
    """Row-level security: a row is visible and writable only inside its own estate's transaction.

    FORCE makes the policy bind the table's owner too; only BYPASSRLS roles (``<svc>_system``) skip it.
    """
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY estate_isolation ON {table} "
        f"USING ({column} = current_setting('{ESTATE_SETTING}', true)) "
        f"WITH CHECK ({column} = current_setting('{ESTATE_SETTING}', true))"
    )


def create_messaging_tables() -> None:
    """The transactional outbox and the idempotent consumer's bookkeeping."""
    op.create_table(
        "outbox",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("seq", sa.BigInteger, sa.Identity(always=True), nullable=False, unique=True),
        sa.Column("estate_code", sa.Text, nullable=False),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("attributes", postgresql.JSONB, nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("published_at", sa.DateTime(timezone=True)),
    )
    op.create_index("outbox_unpublished", "outbox", ["seq"], postgresql_where=sa.text("published_at IS NULL"))
    enable_estate_isolation("outbox")

    op.create_table(
        "processed_events",
        sa.Column("consumer", sa.Text, primary_key=True),
        sa.Column("event_id", sa.Text, primary_key=True),
        sa.Column("estate_code", sa.Text, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    enable_estate_isolation("processed_events")

    # Events a consumer could not apply after retries; kept for an operator, never dropped silently.
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("consumer", sa.Text, nullable=False),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("partition", sa.Integer, nullable=False),
        sa.Column("offset", sa.BigInteger, nullable=False),
        sa.Column("event_id", sa.Text),
        sa.Column("event_type", sa.Text),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("payload", sa.LargeBinary),
        sa.Column("headers", postgresql.JSONB),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def upgrade_to_head(settings: ServiceSettings, migrations_dir: Path) -> None:
    """Run a service's migrations as its owner role (``<svc>_owner``)."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.attributes["url"] = settings.database_url("owner")
    command.upgrade(config, "head")


def run_env(target_metadata: sa.MetaData | None = None) -> None:
    """Body of every service's ``migrations/env.py`` (online mode only)."""
    from alembic import context

    url = context.config.attributes.get("url")
    if url is None:
        raise RuntimeError("run migrations through the service's 'migrate' command")
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool, hide_parameters=True)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
