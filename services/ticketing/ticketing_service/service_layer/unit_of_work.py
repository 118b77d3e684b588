"""Ticketing's unit of work: one estate's transaction with its repositories and its outbox."""

from __future__ import annotations

from sqlalchemy import Connection

from ticketing_service.adapters.targets import TargetsRepository
from ticketing_service.adapters.tickets import TicketRepository
from xinyi_shared.db import Database
from xinyi_shared.kafka_topics import TICKETING_EVENTS
from xinyi_shared.unit_of_work import EstateUnitOfWork

EVENT_SOURCE = "xinyi/ticketing"


class TicketingUnitOfWork(EstateUnitOfWork):
    tickets: TicketRepository
    targets: TargetsRepository

    def __init__(self, database: Database, estate_code: str) -> None:
        super().__init__(database, estate_code, topic=TICKETING_EVENTS, source=EVENT_SOURCE)

    def bind(self, connection: Connection) -> None:
        self.tickets = TicketRepository(connection)
        self.targets = TargetsRepository(connection)
