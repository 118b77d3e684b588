"""Unit of work for one estate: one database transaction, the estate set for row-level security,
the service's repositories bound to it, and an outbox bound to the service's topic and source.

The pattern of cosmicpython's ``unit_of_work.py``: use cases take a unit of work, do their reads
and writes through its repositories, and call ``commit()``; leaving the ``with`` block without a
commit rolls everything back. Unit tests hand the use cases a fake with in-memory repositories.

    with uow:                           # BEGIN, SET xinyi.estate
        uow.journal.post(...)
        uow.publish(PeriodClosed(...))  # outbox row, same transaction
        uow.commit()
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import ClassVar, Self

from google.protobuf.message import Message
from psycopg.pq import TransactionStatus
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from xinyi_shared.db import Database, set_estate
from xinyi_shared.direct_sql import DirectConnection
from xinyi_shared.outbox import publish


class EstateUnitOfWork:
    """Subclasses add typed repositories in :meth:`bind` (called with the open session)."""

    # Run the repositories' plain-text statements on the driver (xinyi_shared.direct_sql): a
    # subclass whose repositories use only what DirectResult offers of SQLAlchemy's results.
    direct_statements: ClassVar[bool] = False

    def __init__(self, database: Database, estate_code: str, *, topic: str, source: str) -> None:
        self.database = database
        self.estate_code = estate_code
        self.topic = topic
        self.source = source
        self._connection: Connection | None = None
        self._after_commit: list[Callable[[], None]] = []

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            raise RuntimeError("the unit of work is used outside its 'with' block")
        return self._connection

    def bind(self, connection: Connection) -> None:
        """Create the repositories on ``connection``; the base has none."""

    def __enter__(self) -> Self:
        # A bare connection rather than an ORM session: the repositories speak SQL, and a session's
        # bookkeeping costs about a tenth of a millisecond on every statement.
        connection = self.database.connect()
        if self.direct_statements and isinstance(connection, DirectConnection):
            connection.direct = True
        try:
            connection.begin()
            set_estate(connection, self.estate_code)
        except BaseException:
            connection.close()
            raise
        self._connection = connection
        self._after_commit = []
        self.bind(connection)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                if connection.in_transaction():
                    end_uncommitted(connection)
            finally:
                connection.close()

    def commit(self) -> None:
        self.connection.commit()
        hooks, self._after_commit = self._after_commit, []
        for hook in hooks:
            hook()

    def rollback(self) -> None:
        self.connection.rollback()
        self._after_commit = []

    def after_commit(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` once the transaction has committed (never when it rolls back)."""
        self._after_commit.append(hook)

    def publish(self, message: Message) -> None:
        """Announce ``message`` about this estate through the outbox, in this transaction."""
        publish(self.connection, self.topic, self.source, self.estate_code, message)


def end_uncommitted(connection: Connection) -> None:
    """End a transaction left without a commit: roll back what it wrote, and commit one that wrote
    nothing (a read, or a refusal before any write), which is the same to the database.

    Why not always roll back: psycopg forgets every prepared statement of a connection at each
    rollback (it cannot tell what the transaction may have dropped), so its next statements are
    parsed and planned again, a DEALLOCATE ALL round trip and the costliest part of a short
    statement; a read-only request would do that on every call.
    """
    if not connection.invalidated and _wrote_nothing(connection):
        connection.commit()
        return
    # Also after a lost connection (invalidated): the rollback only resets it, and the error that
    # lost it is the one the caller sees.
    connection.rollback()


def _wrote_nothing(connection: Connection) -> bool:
    info = getattr(connection.connection.driver_connection, "info", None)
    if getattr(info, "transaction_status", None) != TransactionStatus.INTRANS:
        return False  # failed (a statement raised) or in an unknown state: roll back
    try:
        # A transaction gets an id at its first write (a row locked FOR UPDATE/SHARE included).
        return not connection.execute(text("SELECT pg_current_xact_id_if_assigned() IS NOT NULL")).scalar()
    except DBAPIError:
        return False  # cannot tell (the connection may have gone): roll back
