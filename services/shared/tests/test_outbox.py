"""The outbox's parts that need no database: the notification, the listener's address, the lead."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

import psycopg.conninfo
from sqlalchemy.orm import Session

from xinyi.tenant.v1 import events_pb2
from xinyi_shared.db import Database
from xinyi_shared.outbox import OUTBOX_CHANNEL, OutboxRelay, listener_conninfo, publish
from xinyi_shared.settings import ServiceSettings


class _RecordingSession:
    def __init__(self) -> None:
        self.statements: list[tuple[str, dict[str, Any]]] = []

    def execute(self, statement: Any, parameters: dict[str, Any]) -> None:
        self.statements.append((str(statement), parameters))


def test_recording_an_event_notifies_the_relays_in_the_same_statement() -> None:
    session = _RecordingSession()
    message = events_pb2.EstateResumed(estate_code="jinhe-lvzhou")
    event = publish(cast(Session, session), "xinyi.tenant.events.v1", "xinyi/test", "jinhe-lvzhou", message)
    ((sql, parameters),) = session.statements
    assert sql.startswith("INSERT INTO outbox")
    assert f"pg_notify('{OUTBOX_CHANNEL}', '')" in sql
    assert parameters["estate"] == "jinhe-lvzhou" and str(parameters["id"]) == event.id


def test_the_listener_connects_as_the_system_role_without_the_sqlalchemy_driver() -> None:
    settings = ServiceSettings(service_name="ledger", http_port=1, grpc_port=2, db_port=5433, db_password="p@ss:w/rd")
    conninfo = listener_conninfo(settings)
    assert conninfo.startswith("postgresql://ledger_system:")
    assert conninfo.endswith("@127.0.0.1:5433/ledger")
    parsed = psycopg.conninfo.conninfo_to_dict(conninfo)
    assert parsed["password"] == "p@ss:w/rd" and parsed["user"] == "ledger_system"


class _Rows:
    def __init__(self, row: tuple[Any, ...]) -> None:
        self._row = row

    def fetchone(self) -> tuple[Any, ...]:
        return self._row


class _Listener:
    """A LISTEN connection whose lead lock another session may already hold."""

    def __init__(self, lock_free: bool) -> None:
        self.lock_free = lock_free
        self.statements: list[str] = []
        self.closed = False

    def execute(self, statement: str, parameters: tuple[Any, ...] = ()) -> _Rows:
        self.statements.append(statement)
        return _Rows((self.lock_free,))

    def close(self) -> None:
        self.closed = True


def _relay(listener: _Listener) -> OutboxRelay:
    settings = ServiceSettings(service_name="ledger", http_port=1, grpc_port=2)
    relay = OutboxRelay(settings, cast(Database, None), ["xinyi.ledger.events.v1"])
    relay._listener = cast(Any, listener)
    return relay


def test_the_relay_that_gets_the_lock_on_its_listener_leads_and_stops_trying() -> None:
    listener = _Listener(lock_free=True)
    relay = _relay(listener)
    relay._try_to_lead()
    assert relay.leading
    relay._lead_attempt_at = 0.0
    relay._try_to_lead()
    assert listener.statements == ["SELECT pg_try_advisory_lock(%s)"], "a leader does not ask again"


def test_a_follower_tries_to_lead_again_only_after_the_retry_interval() -> None:
    listener = _Listener(lock_free=False)
    relay = _relay(listener)
    relay._try_to_lead()
    relay._try_to_lead()
    assert not relay.leading and len(listener.statements) == 1
    listener.lock_free = True  # the leader's connection ended
    relay._lead_attempt_at = time.monotonic() - 0.001
    relay._try_to_lead()
    assert relay.leading


def test_the_lead_ends_with_the_listener_connection() -> None:
    listener = _Listener(lock_free=True)
    relay = _relay(listener)
    relay._try_to_lead()
    relay._close_listener()
    assert listener.closed and not relay.leading and not relay.listening


def test_the_lead_lock_is_not_the_lock_each_round_takes() -> None:
    # The leader's rounds take the round lock from another connection than its listener's: with one
    # key for both, the leader's own session lock would refuse them.
    relay = _relay(_Listener(lock_free=True))
    assert relay._lead_lock_id != relay._lock_id


class _NotifyingListener(_Listener):
    """A leading LISTEN connection whose notifications the test sends through a pipe."""

    def __init__(self) -> None:
        super().__init__(lock_free=True)
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        self.broken = False

    def fileno(self) -> int:
        return self._read

    def notify(self) -> None:
        os.write(self._write, b"n")

    def notifies(self, timeout: float = 0) -> list[str]:
        try:
            return ["xinyi_outbox"] * len(os.read(self._read, 512))
        except BlockingIOError:
            return []

    def close(self) -> None:
        super().close()
        for fd in (self._read, self._write):
            os.close(fd)


class _CountingRelay(OutboxRelay):
    """A leading relay whose rounds find nothing, or another relay's round under way, and are counted."""

    def __init__(self, listener: _NotifyingListener, round_lock_busy: bool = False) -> None:
        settings = ServiceSettings(
            service_name="ledger", http_port=1, grpc_port=2, outbox_poll_seconds=0.01, outbox_idle_check_seconds=60
        )
        super().__init__(settings, cast(Database, None), ["xinyi.ledger.events.v1"])
        self._listener = cast(Any, listener)
        self._busy = round_lock_busy
        self.rounds = threading.Semaphore(0)
        self.count = 0

    def relay_once(self) -> int:
        self.round_lock_busy = self._busy
        self.count += 1
        self.rounds.release()
        return 0


@contextmanager
def _running(relay: _CountingRelay) -> Iterator[None]:
    """The relay's loop in a thread of its own for the ``with`` block, then stopped."""
    thread = threading.Thread(target=relay._loop, daemon=True)
    thread.start()
    try:
        yield
    finally:
        relay._stop.set()
        relay.wake()
        thread.join(5)
    assert not thread.is_alive()


def test_a_listening_relay_with_nothing_to_relay_waits_for_a_commit_instead_of_polling() -> None:
    listener = _NotifyingListener()
    relay = _CountingRelay(listener)
    try:
        with _running(relay):
            assert relay.rounds.acquire(timeout=5)
            time.sleep(0.3)  # thirty polls of 0.01 s, were it polling
            assert relay.count == 1
            listener.notify()  # a commit that recorded an event
            assert relay.rounds.acquire(timeout=5)
            assert relay.count == 2
    finally:
        listener.close()


def test_a_relay_that_found_another_relays_round_under_way_looks_again_soon() -> None:
    # That round may end without the events committed during it, and their notifications are spent.
    listener = _NotifyingListener()
    relay = _CountingRelay(listener, round_lock_busy=True)
    try:
        with _running(relay):
            time.sleep(0.3)
        assert relay.count >= 3
    finally:
        listener.close()
