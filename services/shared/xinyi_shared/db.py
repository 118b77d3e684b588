"""Database access with the caller's estate set for PostgreSQL row-level security.

Every table that holds estate data carries ``estate_code`` and a policy comparing it with the
transaction-local setting ``xinyi.estate``. Requests and consumers use the ``<svc>_app`` role, to
which the policies always apply; only cross-estate machinery (the outbox relay, platform-wide
listings) uses the ``<svc>_system`` role, which bypasses them.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, TextClause, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from xinyi_shared.direct_sql import DirectConnection
from xinyi_shared.settings import ServiceSettings

ESTATE_SETTING = "xinyi.estate"

# FastAPI runs sync routes in anyio's thread pool: its default limiter, 40 threads per process.
SYNC_ROUTE_THREADS = 40
# Background threads that also query as the app role (Kafka consumers, a service's own workers such
# as the ledger's billing jobs), with room to spare.
BACKGROUND_THREADS = 8
# A pooled connection is replaced after this long, so none outlives a server-side timeout or a
# failover by much; a connection broken earlier invalidates the pool on its first error.
POOL_RECYCLE_SECONDS = 1800


def app_pool_limits(settings: ServiceSettings) -> tuple[int, int]:
    """``(pool_size, max_overflow)`` of the app engine in one process.

    The pool covers every thread that can query at once (sync routes, gRPC server, consumers), so
    no request waits on the pool or fails after ``pool_timeout``; we chose that over capping the
    thread pool to a smaller pool, which would queue health checks, metrics and token checks behind
    database work. Only ``db_pool_size`` connections stay open: overflow ones close on return.
    """
    threads = SYNC_ROUTE_THREADS + settings.grpc_threads + BACKGROUND_THREADS
    return settings.db_pool_size, max(0, threads - settings.db_pool_size)


class Database:
    def __init__(self, settings: ServiceSettings) -> None:
        pool_size, max_overflow = app_pool_limits(settings)
        # No pool_pre_ping on the request path (a round trip per checkout): a disconnect error
        # invalidates the whole pool, so after a database restart one query fails and the next
        # ones reconnect; pool_recycle retires connections before they grow stale.
        self.app_engine: Engine = create_engine(
            settings.database_url("app"),
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_recycle=POOL_RECYCLE_SECONDS,
            hide_parameters=True,  # a failed statement's error never carries its values (names, phones)
        )
        # Its connections can run plain-text statements on the driver (a unit of work that opts in;
        # see xinyi_shared.direct_sql). SQLAlchemy makes each connection from this class attribute.
        self.app_engine._connection_cls = DirectConnection
        # The relay and platform listings are rare enough to afford a ping per checkout.
        self.system_engine: Engine = create_engine(
            settings.database_url("system"),
            pool_size=2,
            pool_pre_ping=True,
            pool_recycle=POOL_RECYCLE_SECONDS,
            hide_parameters=True,
        )
        self._app_sessions = sessionmaker(self.app_engine, expire_on_commit=False)
        self._system_sessions = sessionmaker(self.system_engine, expire_on_commit=False)

    @contextmanager
    def estate_session(self, estate_code: str) -> Iterator[Session]:
        """One transaction that sees and writes only ``estate_code``'s rows; commits on success."""
        with self._app_sessions.begin() as session:
            set_estate(session, estate_code)
            yield session

    def new_session(self) -> Session:
        """A session on the app role that the caller begins, sets the estate on and closes."""
        return self._app_sessions()

    def connect(self) -> Connection:
        """A pooled connection on the app role (see :class:`xinyi_shared.unit_of_work.EstateUnitOfWork`)."""
        return self.app_engine.connect()

    @contextmanager
    def system_session(self) -> Iterator[Session]:
        """One cross-estate transaction; for platform machinery only, never for a caller's request."""
        with self._system_sessions.begin() as session:
            yield session

    def ping(self) -> None:
        with self.app_engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            connection.commit()  # not the rollback of a close, which unprepares the connection's statements

    def dispose(self) -> None:
        self.app_engine.dispose()
        self.system_engine.dispose()


Executor = Session | Connection
"""What repositories run their SQL on: an ORM session, or a bare connection (a unit of work's,
which skips the session's bookkeeping on every statement)."""


@functools.lru_cache(maxsize=1024)
def sql(statement: str) -> TextClause:
    """``text(statement)``, built once per distinct statement: parsing its parameters and computing
    its cache key cost more than a short statement's round trip on a busy request path."""
    return text(statement)


def set_estate(session: Executor, estate_code: str) -> None:
    # is_local=true: the setting ends with the transaction, so a pooled connection never keeps it.
    session.execute(sql("SELECT set_config(:name, :estate, true)"), {"name": ESTATE_SETTING, "estate": estate_code})
