"""The ledger's unit of work: one book's transaction with its repositories and its outbox. A book is
an estate's trust books (named by the estate's code) or a community fund's (``fund:<community>``)."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import Connection

from ledger_service.adapters.books import BooksRepository
from ledger_service.adapters.fund_books import FundBooksRepository
from ledger_service.adapters.governance import GovernanceRepository
from ledger_service.adapters.idempotency import IdempotencyKeys, request_fingerprint
from ledger_service.adapters.journal import JournalRepository
from ledger_service.adapters.rules import RulesRepository
from ledger_service.adapters.tenant_mirror import TenantMirror
from ledger_service.adapters.transparency_log import TransparencyLog
from ledger_service.domain.funds import community_of_book
from ledger_service.domain.views import EstateContext
from xinyi_shared.db import Database
from xinyi_shared.kafka_topics import LEDGER_EVENTS
from xinyi_shared.unit_of_work import EstateUnitOfWork

EVENT_SOURCE = "xinyi/ledger"
DEFAULT_LOG_AUTHORITY = "ledger.xinyi.localhost"


class AccrualQueue(Protocol):
    def touch(self, estate_code: str, period: str) -> None: ...


class LedgerUnitOfWork(EstateUnitOfWork):
    direct_statements = True  # its repositories speak text SQL; the payment path runs about ten

    journal: JournalRepository
    keys: IdempotencyKeys
    rules: RulesRepository
    books: BooksRepository
    mirror: TenantMirror
    governance: GovernanceRepository
    log: TransparencyLog
    funds: FundBooksRepository

    def __init__(
        self,
        database: Database,
        estate_code: str,
        accruals: AccrualQueue | None = None,
        log_authority: str = DEFAULT_LOG_AUTHORITY,
    ) -> None:
        super().__init__(database, estate_code, topic=LEDGER_EVENTS, source=EVENT_SOURCE)
        self._accruals = accruals
        # Names this deployment in each estate's log origin: <authority>/estates/<code>.
        self.log_authority = log_authority

    def basis_moved(self, period: str) -> None:
        """Fees the firm's remuneration is based on moved in ``period``: accrue it soon after commit."""
        accruals = self._accruals
        if accruals is not None:
            estate = self.estate_code
            self.after_commit(lambda: accruals.touch(estate, period))

    def bind(self, session: Connection) -> None:
        self.journal = JournalRepository(session, self.estate_code)
        self.keys = IdempotencyKeys(session, self.estate_code)
        self.rules = RulesRepository(session, self.estate_code)
        self.books = BooksRepository(session)
        self.mirror = TenantMirror(session)
        self.governance = GovernanceRepository(session, self.estate_code)
        self.log = TransparencyLog(session, self.estate_code, community_of_book(self.estate_code))
        self.funds = FundBooksRepository(session, self.estate_code)

    def open_write(
        self, key: str, body: dict[str, Any], household_id: str | None = None
    ) -> tuple[dict[str, Any] | None, EstateContext | None]:
        """Start a write: claim its idempotency key and read the books, in one round trip. Returns the
        first answer when the key was used before for this same request (Conflict for another)."""
        fingerprint = request_fingerprint(body)
        claimed, context = self.journal.claim_and_context(key, fingerprint, household_id)
        if claimed:
            return None, context
        return self.keys.stored(key, fingerprint), context

    def savepoint(self) -> Savepoint:
        return Savepoint(self.connection)


class Savepoint:
    """A nested transaction: one item of a batch is all or nothing without undoing the others."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def __enter__(self) -> None:
        self._nested = self._connection.begin_nested()

    def __exit__(self, exc_type: object, exc: object, traceback: object) -> None:
        if exc_type is None:
            self._nested.commit()
        else:
            self._nested.rollback()
