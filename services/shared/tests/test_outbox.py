"""The outbox's parts that need no database: the notification and the listener's address."""

from __future__ import annotations

from typing import Any, cast

import psycopg.conninfo
from sqlalchemy.orm import Session

from xinyi.tenant.v1 import events_pb2
from xinyi_shared.outbox import OUTBOX_CHANNEL, listener_conninfo, publish
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
