"""Database access with the caller's estate set for PostgreSQL row-level security.

Every table that holds estate data carries ``estate_code`` and a policy comparing it with the
transaction-local setting ``xinyi.estate``. Requests and consumers use the ``<svc>_app`` role, to
which the policies always apply; only cross-estate machinery (the outbox relay, platform-wide
listings) uses the ``<svc>_system`` role, which bypasses them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from xinyi_shared.settings import ServiceSettings

ESTATE_SETTING = "xinyi.estate"


class Database:
    def __init__(self, settings: ServiceSettings) -> None:
        self.app_engine: Engine = create_engine(
            settings.database_url("app"), pool_size=settings.db_pool_size, pool_pre_ping=True
        )
        self.system_engine: Engine = create_engine(settings.database_url("system"), pool_size=2, pool_pre_ping=True)
        self._app_sessions = sessionmaker(self.app_engine, expire_on_commit=False)
        self._system_sessions = sessionmaker(self.system_engine, expire_on_commit=False)

    @contextmanager
    def estate_session(self, estate_code: str) -> Iterator[Session]:
        """One transaction that sees and writes only ``estate_code``'s rows; commits on success."""
        with self._app_sessions.begin() as session:
            set_estate(session, estate_code)
            yield session

    @contextmanager
    def system_session(self) -> Iterator[Session]:
        """One cross-estate transaction; for platform machinery only, never for a caller's request."""
        with self._system_sessions.begin() as session:
            yield session

    def ping(self) -> None:
        with self.app_engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.app_engine.dispose()
        self.system_engine.dispose()


def set_estate(session: Session, estate_code: str) -> None:
    # is_local=true: the setting ends with the transaction, so a pooled connection never keeps it.
    session.execute(text("SELECT set_config(:name, :estate, true)"), {"name": ESTATE_SETTING, "estate": estate_code})
