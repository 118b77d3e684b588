"""Use cases of the trust books."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from ledger_service.adapters.books import BooksRepository
from ledger_service.adapters.rules import RulesRepository
from ledger_service.adapters.tenant_client import EstateInfo, estate_terms
from ledger_service.domain.books import EstateTerms, TrustBooks, open_books
from xinyi.ledger.v1 import events_pb2
from xinyi.tenant.v1 import tenant_pb2
from xinyi_shared.db import Database
from xinyi_shared.errors import NotFound
from xinyi_shared.kafka_topics import LEDGER_EVENTS
from xinyi_shared.outbox import publish

EVENT_SOURCE = "xinyi/ledger"
log = logging.getLogger(__name__)


class EstateRegistry(Protocol):
    def estate(self, estate_code: str) -> tuple[EstateTerms, EstateInfo]: ...

    def rules_message(self, estate_code: str, day: date) -> tenant_pb2.EstateRules: ...


def open_trust_books(
    session: Session,
    registry: EstateRegistry,
    estate_code: str,
    cause_event_id: str,
    onboarded_with: tenant_pb2.EstateRules | None = None,
    onboarded_as: tenant_pb2.Estate | None = None,
) -> bool:
    """Open the estate's books; False when they were already open. ``onboarded_as`` and
    ``onboarded_with``: the estate and its first rules as the onboarding event states them, when it
    does; what an event lacks is asked of the registry (the terms and profile in force now, the rules
    in force today), so the books open as the estate was onboarded without a call to the tenant
    service on the way.

    Runs inside the transaction that records the causing event as processed."""
    repository = BooksRepository(session)
    if onboarded_as is not None and onboarded_as.code == estate_code and onboarded_as.fee_rate_fen_per_sqm_month:
        # Books already open are found by the insert below (one round trip fewer on the way).
        terms, info = estate_terms(onboarded_as)
    else:
        if repository.get(estate_code) is not None:
            return False  # not worth a call to the tenant service
        terms, info = registry.estate(estate_code)
    books = open_books(terms)
    # The rules with the month they started: the books begin that month, and the ledger reads its
    # rules from here on (later changes arrive as EstateRulesChanged events, after this one in the
    # estate's partition).
    today = datetime.now(ZoneInfo(info.time_zone)).date()
    if onboarded_with is not None and onboarded_with.effective_from:
        rules, source = onboarded_with, f"event:EstateOnboarded@{cause_event_id}"
    else:
        rules, source = registry.rules_message(estate_code, today), f"grpc:GetEstateRules@{cause_event_id}"
    first_period = rules.effective_from[:7] if rules.effective_from else f"{today:%Y-%m}"
    if not repository.add(books, opened_by_event=cause_event_id, info=info, first_period=first_period):
        return False
    RulesRepository(session, estate_code).record(rules, source=source)
    publish(
        session,
        LEDGER_EVENTS,
        EVENT_SOURCE,
        estate_code,
        events_pb2.TrustBooksOpened(estate_code=estate_code, account_count=len(books.accounts)),
    )
    _number_entries_after_commit(session, estate_code)
    return True


def _number_entries_after_commit(session: Session, estate_code: str) -> None:
    """Create the estate's sequence of entry numbers in a transaction of its own once the books are
    open: CREATE SEQUENCE writes a new relation file, which on a busy disk once took 100 ms of the
    way from onboarding to open books. Should this not run (a crash in between), the estate's first
    entry creates it."""
    bind = session.get_bind()
    if not isinstance(bind, Engine):
        return  # a session on a caller's connection: the first entry creates it

    def create(_: Session) -> None:
        try:
            with bind.connect() as connection, connection.begin():
                BooksRepository(connection).number_entries(estate_code)
        except Exception:  # the first entry creates it instead
            log.warning("the entry sequence of %s was not created; its first entry will", estate_code, exc_info=True)

    event.listen(session, "after_commit", create, once=True)


def chart_of_accounts(database: Database, estate_code: str) -> TrustBooks:
    with database.estate_session(estate_code) as session:
        books = BooksRepository(session).get(estate_code)
    if books is None:
        raise NotFound(f"no trust books for estate {estate_code!r}")
    return books
