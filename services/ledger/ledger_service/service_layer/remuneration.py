"""The firm's remuneration, accrued per batch of postings instead of per posting.

Payments, bills and reversals move the remuneration basis of their period (``period_totals``,
kept by the database as they post); the accruer then posts share(basis) - accrued for the period
(``trust_books.accrue_remuneration``), which telescopes to exactly the share of the month's
basis, rounded once, as per-posting accruals did — without making the estate's payments wait on
one running-totals row. Accruals of a period serialise on its row (FOR NO KEY UPDATE, which
postings' key-share locks do not conflict with); a close accrues what is left under its own lock.

The accruer runs in each process: writes tell it which (estate, period) moved after they commit,
and a slow sweep over every open period catches what a crash between a commit and its accrual
left behind. Statements of an open month add what is still to accrue, so they never lag.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from prometheus_client import Counter
from sqlalchemy import text

from ledger_service.domain import trust_books as rules
from ledger_service.domain.postings import REMUNERATION
from ledger_service.service_layer.common import Registry, period_start, rules_in_force
from ledger_service.service_layer.movements import post_and_announce
from ledger_service.service_layer.unit_of_work import LedgerUnitOfWork
from xinyi_shared.db import Database

log = logging.getLogger(__name__)

ACCRUALS = Counter("xinyi_ledger_remuneration_accruals_total", "Remuneration accrual entries posted")
ACCRUER = "ledger:remuneration"


def accrue(uow: LedgerUnitOfWork, registry: Registry, period: str, *, locked: bool, actor: str = ACCRUER) -> int:
    """Post what remains to accrue in ``period`` (inside ``uow``'s transaction); returns the fen
    posted. ``locked``: the caller already holds the period exclusively (a close); otherwise take
    the accrual lock, or give up at once (0) when another accrual holds it."""
    if not locked:
        status = uow.journal.lock_period_for_accrual(period, wait=False)
        if status != "open":
            return 0
    period_rules = rules_in_force(uow, registry, period_start(period))
    terms = rules.Remuneration(period_rules.remuneration_share_bps, period_rules.remuneration_basis)
    totals = uow.journal.totals(period, period)
    basis, accrued = rules.basis_of_totals(
        ((t.account, t.kind, t.amount_fen) for t in totals), terms.remuneration_basis
    )
    transactions = rules.accrue_remuneration(period, terms, basis_total_fen=basis, accrued_fen=accrued)
    post_and_announce(uow, transactions, actor)
    if transactions:
        ACCRUALS.inc()
    return sum(t.amount_on(REMUNERATION) for t in transactions)


class RemunerationAccruer:
    """Background accruals (a service component: start/stop with the HTTP app)."""

    def __init__(
        self,
        database: Database,
        registry: Registry,
        uow_factory: Callable[[str], LedgerUnitOfWork],
        *,
        # Postings of an estate's month within this long share one accrual. Kept short: balances
        # read right after a payment should already include its remuneration (250 ms let tests
        # that compare balances before and after a refused write see a late accrual land).
        delay_seconds: float = 0.05,
        sweep_seconds: float = 30.0,
    ) -> None:
        self._database = database
        self._registry = registry
        self._uow_factory = uow_factory
        self._delay = delay_seconds
        self._sweep_every = sweep_seconds
        self._pending: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="remuneration-accruer", daemon=True)

    def touch(self, estate_code: str, period: str) -> None:
        with self._lock:
            self._pending.add((estate_code, period))
        self._wake.set()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        next_sweep = time.monotonic() + 1.0
        while not self._stop.is_set():
            self._wake.wait(timeout=max(0.0, min(1.0, next_sweep - time.monotonic())))
            self._wake.clear()
            if self._stop.is_set():
                return
            if time.monotonic() >= next_sweep:
                self._sweep()
                next_sweep = time.monotonic() + self._sweep_every
            # A short pause collects a burst of postings into one accrual.
            time.sleep(self._delay)
            with self._lock:
                batch, self._pending = self._pending, set()
            for estate_code, period in sorted(batch):
                self._accrue_one(estate_code, period)

    def _accrue_one(self, estate_code: str, period: str) -> None:
        try:
            with self._uow_factory(estate_code) as uow:
                if uow.journal.lock_period_for_accrual(period, wait=False) is None:
                    # Another accrual holds it and may have read the totals before our commit: retry.
                    if uow.journal.period_status(period) == "open":
                        self.touch(estate_code, period)
                    return
                accrue(uow, self._registry, period, locked=True)
                uow.commit()
        except Exception as error:  # noqa: BLE001 - retried by the next sweep; never kills the thread
            log.warning(
                "remuneration accrual failed; the sweep retries it",
                extra={"estate": estate_code, "period": period, "error": type(error).__name__},
            )

    def _sweep(self) -> None:
        try:
            with self._database.system_session() as session:
                # An estate's open months: a community fund's book accrues nothing (it has no terms).
                rows = session.execute(
                    text(
                        "SELECT p.estate_code, p.period FROM periods p WHERE p.status = 'open' AND EXISTS "
                        "(SELECT 1 FROM trust_books b WHERE b.estate_code = p.estate_code AND b.kind = 'trust')"
                    )
                ).all()
        except Exception as error:  # noqa: BLE001 - the database may be down; try again next sweep
            log.warning("remuneration sweep failed", extra={"error": type(error).__name__})
            return
        with self._lock:
            self._pending.update((r.estate_code, r.period) for r in rows)
