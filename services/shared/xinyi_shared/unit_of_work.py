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
from typing import Self

from google.protobuf.message import Message
from sqlalchemy.orm import Session

from xinyi_shared.db import Database, set_estate
from xinyi_shared.outbox import publish


class EstateUnitOfWork:
    """Subclasses add typed repositories in :meth:`bind` (called with the open session)."""

    def __init__(self, database: Database, estate_code: str, *, topic: str, source: str) -> None:
        self.database = database
        self.estate_code = estate_code
        self.topic = topic
        self.source = source
        self._session: Session | None = None
        self._after_commit: list[Callable[[], None]] = []

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is used outside its 'with' block")
        return self._session

    def bind(self, session: Session) -> None:
        """Create the repositories on ``session``; the base has none."""

    def __enter__(self) -> Self:
        session = self.database.new_session()
        session.begin()
        try:
            set_estate(session, self.estate_code)
        except BaseException:
            session.close()
            raise
        self._session = session
        self._after_commit = []
        self.bind(session)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        session, self._session = self._session, None
        if session is not None:
            try:
                if session.in_transaction():
                    session.rollback()
            finally:
                session.close()

    def commit(self) -> None:
        self.session.commit()
        hooks, self._after_commit = self._after_commit, []
        for hook in hooks:
            hook()

    def rollback(self) -> None:
        self.session.rollback()
        self._after_commit = []

    def after_commit(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` once the transaction has committed (never when it rolls back)."""
        self._after_commit.append(hook)

    def publish(self, message: Message) -> None:
        """Announce ``message`` about this estate through the outbox, in this transaction."""
        publish(self.session, self.topic, self.source, self.estate_code, message)
