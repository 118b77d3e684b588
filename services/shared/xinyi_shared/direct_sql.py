"""Plain-text statements run on psycopg's cursor, under a SQLAlchemy connection's transaction.

SQLAlchemy spends ≈ 50–60 µs of Python on each statement it executes (its execution context and a
result's metadata built from the cursor's description), more than a short statement costs
PostgreSQL; a payment runs about ten. A :class:`DirectConnection` whose ``direct`` flag is set (a
unit of work that opts in) runs a ``text()`` statement with a mapping of parameters on the driver's
connection instead — the same SQL as SQLAlchemy compiles it, the same parameters, the same
transaction and prepared statements — and answers with :class:`DirectResult`, which offers the
part of SQLAlchemy's ``Result`` the repositories use. Everything else (ORM sessions, Core
constructs, typed or pre-bound parameters, execution options, many parameter sets) takes
SQLAlchemy's own path. Driver errors are wrapped as SQLAlchemy wraps them (``DataError``,
``IntegrityError``, ``OperationalError`` …), and a lost connection invalidates the connection.
"""

from __future__ import annotations

import functools
from collections import namedtuple
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, cast

import psycopg
from sqlalchemy import Connection, TextClause
from sqlalchemy.dialects.postgresql.psycopg import dialect as psycopg_dialect
from sqlalchemy.exc import DBAPIError, MultipleResultsFound, NoResultFound

_DIALECT = psycopg_dialect()  # type: ignore[no-untyped-call]


@functools.lru_cache(maxsize=4096)
def driver_sql(statement: str) -> str:
    """The statement as SQLAlchemy sends it to psycopg (``:name`` → ``%(name)s``, ``%`` doubled)."""
    return str(TextClause(statement).compile(dialect=_DIALECT))


def _mapping(row: tuple[Any, ...]) -> dict[str, Any]:
    return cast(dict[str, Any], row._asdict())  # type: ignore[attr-defined]


@functools.lru_cache(maxsize=1024)
def _row_type(names: tuple[str, ...]) -> type[tuple[Any, ...]]:
    # Attribute access by column name like SQLAlchemy's Row; names that cannot be attributes
    # (duplicates, "?column?") are renamed, and stay reachable by position.
    base = namedtuple("Row", names, rename=True)  # type: ignore[misc]
    return cast(type[tuple[Any, ...]], type("Row", (base,), {"__slots__": (), "_mapping": property(_mapping)}))


class DirectResult:
    """The rows of a statement, already fetched, with the ``Result`` methods the repositories use."""

    __slots__ = ("_next", "_rows", "rowcount")

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows = rows
        self._next = 0
        self.rowcount = rowcount

    def __iter__(self) -> Iterator[Any]:
        return iter(self._remaining())

    def _remaining(self) -> list[Any]:
        rows, self._next = self._rows[self._next :], len(self._rows)
        return rows

    def all(self) -> list[Any]:
        return self._remaining()

    fetchall = all

    def fetchone(self) -> Any:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def first(self) -> Any:
        rows = self._remaining()
        return rows[0] if rows else None

    def one_or_none(self) -> Any:
        rows = self._remaining()
        if len(rows) > 1:
            raise MultipleResultsFound("Multiple rows were found when one or none was required")
        return rows[0] if rows else None

    def one(self) -> Any:
        row = self.one_or_none()
        if row is None:
            raise NoResultFound("No row was found when one was required")
        return row

    def scalar(self) -> Any:
        row = self.first()
        return None if row is None else row[0]

    def scalar_one(self) -> Any:
        return self.one()[0]

    def scalar_one_or_none(self) -> Any:
        row = self.one_or_none()
        return None if row is None else row[0]

    def scalars(self) -> DirectResult:
        return DirectResult([row[0] for row in self._remaining()], self.rowcount)

    def mappings(self) -> DirectResult:
        return DirectResult([row._mapping for row in self._remaining()], self.rowcount)


class DirectConnection(Connection):
    """A SQLAlchemy connection that runs plain-text statements on the driver when ``direct`` is set."""

    direct = False

    def execute(self, statement: Any, parameters: Any = None, *, execution_options: Any = None) -> Any:
        if (
            self.direct
            and type(statement) is TextClause
            and not execution_options
            and (parameters is None or isinstance(parameters, Mapping))
            and _untyped(statement)
        ):
            return self._execute_on_driver(statement, parameters or {})
        return super().execute(statement, parameters, execution_options=execution_options)

    def _execute_on_driver(self, statement: TextClause, parameters: Mapping[str, Any]) -> DirectResult:
        if not self.in_transaction():
            self.begin()  # as SQLAlchemy's autobegin would
        driver = cast(psycopg.Connection[Any], self.connection.driver_connection)
        query = driver_sql(statement.text)
        cursor = driver.cursor()
        try:
            cursor.execute(query, parameters)
            description = cursor.description
            if description is None:
                return DirectResult([], cursor.rowcount)
            row_type = _row_type(tuple(column.name for column in description))
            return DirectResult([row_type._make(row) for row in cursor.fetchall()], cursor.rowcount)  # type: ignore[attr-defined]
        except psycopg.Error as error:
            raise self._wrapped(error, query, parameters, cursor) from error
        finally:
            cursor.close()

    def _wrapped(
        self, error: psycopg.Error, query: str, parameters: Mapping[str, Any], cursor: psycopg.Cursor[Any]
    ) -> BaseException:
        disconnected = self.dialect.is_disconnect(cast(Any, error), self.connection.dbapi_connection, cast(Any, cursor))
        wrapped = DBAPIError.instance(
            query,
            cast(Sequence[Any], parameters),
            error,
            psycopg.Error,
            hide_parameters=True,
            connection_invalidated=disconnected,
            dialect=self.dialect,
        )
        if disconnected:
            self.invalidate(error)
        return wrapped


def _untyped(statement: TextClause) -> bool:
    """Whether every parameter comes from the call, untyped (as ``sql()`` makes them)."""
    return all(
        bind.type._isnull and bind.value is None and bind.callable is None for bind in statement._bindparams.values()
    )
