"""Billing as a set-based, resumable background job.

``POST …/billing-runs`` creates a job (:func:`start_estate_job`, :func:`start_district_job`) and
answers at once; a :class:`BillingWorker` in every ledger process claims queued jobs — and jobs
whose worker died, once their lease has expired — and bills their estates, several at a time.

An estate is billed chunk by chunk (``chunk`` households, one estate transaction each, row-level
security applying), in a handful of statements whatever the chunk's size: lock the chunk's
households (sorted, then the period with a key-share lock: the order payments take them in, so no
deadlock), find those already billed for the month (one statement against ``bills``), read their
prepaid credit (one statement), post every transaction (``JournalRepository.post``: two
statements), record the bills (one ``INSERT … SELECT FROM unnest``) and the prepaid applications'
settlements (one). A chunk commits with its bills or not at all, and ``bills`` takes one bill per
household and month, so a job resumed after its process was killed bills nothing twice.

Progress is written after each chunk commits, with the system role (the job tables are platform
machinery). A resumed estate counts its figures again from its first chunk: the bills this job
made before the interruption count as billed (``bills.billing_job_id``), those of other runs as
already billed — so the job's final figures are exact however often it was interrupted.

The remuneration is not accrued per bill: each chunk tells the accruer its period moved, and each
estate's run ends with one :func:`remuneration.accrue`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol, TypeVar

from prometheus_client import Counter, Histogram
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from ledger_service.adapters.billing_jobs import BillingJob, BillingJobsRepository, EstateFailure
from ledger_service.adapters.idempotency import request_fingerprint
from ledger_service.adapters.tenant_client import BillableHousehold, PeriodRules
from ledger_service.domain import trust_books as rules
from ledger_service.domain.billing import (
    FINISHED,
    ChunkPlan,
    EstateStatus,
    HouseholdFee,
    JobStatus,
    NewBill,
    RunFigures,
    check_chunk_size,
    chunked,
    household_fee,
    job_status,
    period_bounds,
    plan_chunk,
)
from ledger_service.domain.postings import RECEIVABLE, Transaction
from ledger_service.domain.trust_books import FeeBills, Kind, Remuneration
from ledger_service.service_layer.common import Registry, UnitOfWorkFactory, check_key, rules_in_force, writable
from ledger_service.service_layer.movements import post_and_announce, post_fee_bills_and_announce
from ledger_service.service_layer.remuneration import accrue
from ledger_service.service_layer.unit_of_work import LedgerUnitOfWork
from xinyi_shared.db import Database
from xinyi_shared.errors import Conflict, InvalidInput, NotFound, XinyiError
from xinyi_shared.ids import new_id, new_ids

log = logging.getLogger(__name__)

T = TypeVar("T")

NO_TERMS = Remuneration()  # bills need terms only to accrue, which happens per batch
DEFAULT_CHUNK = 1000
CHUNK_ATTEMPTS = 3  # a chunk that deadlocked is tried again, this many times in all
MAX_JOB_ATTEMPTS = 10  # claims of one job (each crash or transient failure costs one) before it fails
RETRY_AFTER_SECONDS = 5.0  # a job released after a transient failure waits this long before a new claim

HOUSEHOLDS = Counter("xinyi_ledger_billing_households_total", "Households processed by billing jobs", ["outcome"])
BILLED_FEN = Counter("xinyi_ledger_billing_billed_fen_total", "Fen billed by billing jobs")
CHUNK_SECONDS = Histogram(
    "xinyi_ledger_billing_chunk_seconds",
    "Time to bill one chunk of households, commit included",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
JOBS = Counter("xinyi_ledger_billing_jobs_total", "Billing jobs finished", ["status"])


class BillingRegistry(Registry, Protocol):
    """The tenant service as billing needs it: the estate's households, streamed."""

    def households(self, estate_code: str) -> Iterable[BillableHousehold]: ...


def _facts(error: BaseException) -> dict[str, object]:
    """What may be logged of an unexpected error: its type and SQLSTATE, never its message (SQL
    errors carry the statement's parameters)."""
    facts: dict[str, object] = {"error": type(error).__name__}
    sqlstate = getattr(getattr(error, "orig", None), "sqlstate", None)
    if isinstance(sqlstate, str):
        facts["sqlstate"] = sqlstate
    return facts


def _request_hash(period: str) -> str:
    return request_fingerprint({"run": "billing", "period": period})


def _check_month(period: str, first_period: str, current_period: str) -> None:
    if period > current_period:
        raise InvalidInput(f"period {period} has not started yet")
    if period < first_period:
        raise InvalidInput(f"period {period} is before these books begin ({first_period})")


# Starting a job (the request) ----------------------------------------------------------------


def start_estate_job(
    database: Database, uow_factory: UnitOfWorkFactory, estate_code: str, period: str, key: str, actor: str
) -> tuple[BillingJob, bool]:
    """A job billing every household of the estate for ``period``; ``(job, replayed)``. The same
    key again returns the same job (whatever became of the estate since); with another period, 409."""
    check_key(key)
    period_bounds(period)
    fingerprint = _request_hash(period)
    existing = _by_key(database, "estate", estate_code, key, fingerprint)
    if existing is not None:
        return existing, True
    with uow_factory(estate_code) as uow:
        context = writable(uow.journal.context(), estate_code)
        _check_month(period, context.first_period, context.current_period)
        if uow.journal.period_status(period) == "closed":
            raise Conflict(f"period {period} is closed")
    return _create(
        database,
        scope="estate",
        district_code=None,
        estate_code=estate_code,
        period=period,
        key=key,
        fingerprint=fingerprint,
        actor=actor,
        estates=[estate_code],
    )


def start_district_job(
    database: Database, district_code: str, period: str, key: str, actor: str
) -> tuple[BillingJob, bool]:
    """A job billing every estate of the district whose books are active (fixed when the job is
    created); an estate that cannot be billed (closed month, suspended since …) is listed among
    the job's failures and the others are billed."""
    check_key(key)
    period_bounds(period)
    fingerprint = _request_hash(period)
    existing = _by_key(database, "district", district_code, key, fingerprint)
    if existing is not None:
        return existing, True
    with database.system_session() as session:
        estates = BillingJobsRepository(session).district_estates(district_code)
    if not estates:
        raise NotFound(f"no estate of district {district_code!r} has active trust books")
    if all(period > f"{e.today:%Y-%m}" for e in estates):
        raise InvalidInput(f"period {period} has not started yet")
    if all(period < e.first_period for e in estates):
        raise InvalidInput(f"period {period} is before the books of the district's estates begin")
    return _create(
        database,
        scope="district",
        district_code=district_code,
        estate_code=None,
        period=period,
        key=key,
        fingerprint=fingerprint,
        actor=actor,
        estates=[e.estate_code for e in estates],
    )


def _by_key(database: Database, scope: str, target: str, key: str, fingerprint: str) -> BillingJob | None:
    with database.system_session() as session:
        existing = BillingJobsRepository(session).by_key(scope, target, key)
    if existing is not None and existing.request_hash != fingerprint:
        raise Conflict("this idempotency key was already used for a different request")
    return existing


def _create(
    database: Database,
    *,
    scope: str,
    district_code: str | None,
    estate_code: str | None,
    period: str,
    key: str,
    fingerprint: str,
    actor: str,
    estates: Sequence[str],
) -> tuple[BillingJob, bool]:
    with database.system_session() as session:
        jobs = BillingJobsRepository(session)
        job = jobs.create(
            scope=scope,
            district_code=district_code,
            estate_code=estate_code,
            period=period,
            key=key,
            request_hash=fingerprint,
            requested_by=actor,
            estates=estates,
        )
        if job is not None:
            log.info(
                "billing job queued",
                extra={"job_id": job.job_id, "scope": scope, "period": period, "estates": len(estates)},
            )
            return job, False
    # A concurrent request with the same key created it first (the insert waited for it).
    replayed = _by_key(database, scope, (estate_code if scope == "estate" else district_code) or "", key, fingerprint)
    if replayed is None:
        raise Conflict("the idempotency key is in use by a request that has not finished; retry")
    return replayed, True


def get_job(database: Database, job_id: str) -> BillingJob | None:
    with database.system_session() as session:
        return BillingJobsRepository(session).get(job_id)


# Billing an estate -------------------------------------------------------------------------


class Interrupted(Exception):
    """The job's lease was lost or the worker stops: leave the job to whoever holds it next."""


class EstateProgress(Protocol):
    """Where an estate's run reports; each call raises :class:`Interrupted` when the run must stop."""

    def check(self) -> None: ...

    def total(self, households: int) -> None: ...

    def chunk(self, figures: RunFigures) -> None: ...


def _fees(period: str, period_rules: PeriodRules, households: Sequence[BillableHousehold]) -> list[HouseholdFee]:
    return [
        household_fee(
            period, h.id, h.area_centi_sqm, period_rules.fee_rate_fen_per_sqm_month, h.occupied_from, h.occupied_until
        )
        for h in households
    ]


def bill_estate(
    uow_factory: UnitOfWorkFactory,
    registry: BillingRegistry,
    *,
    job_id: str,
    estate_code: str,
    period: str,
    actor: str,
    chunk_size: int = DEFAULT_CHUNK,
    progress: EstateProgress,
) -> RunFigures:
    """Bill every household of the estate for ``period`` by floor area × the rate in force on the
    month's first day, prorated by the days occupied; chunk by chunk, each its own transaction.
    Households billed for the month already are left alone; returns the run's figures."""
    check_chunk_size(chunk_size)
    start, _ = period_bounds(period)
    with uow_factory(estate_code) as uow:
        context = writable(uow.journal.context(), estate_code)
        _check_month(period, context.first_period, context.current_period)
        if uow.journal.period_status(period) == "closed":
            raise Conflict(f"period {period} is closed")
        period_rules = rules_in_force(uow, registry, start)
        uow.commit()  # the rules, when they had to be learned from the tenant service
    households = list(registry.households(estate_code))
    progress.total(len(households))
    figures = RunFigures()
    for chunk in chunked(households, chunk_size):
        progress.check()
        fees = _fees(period, period_rules, chunk)
        done = _bill_chunk_retrying(uow_factory, estate_code, job_id, period, period_rules, fees, actor)
        progress.chunk(done)
        figures += done
    try:
        with uow_factory(estate_code) as uow:
            accrue(uow, registry, period, locked=False)
            uow.commit()
    except Exception as error:  # noqa: BLE001 - the accruer's sweep accrues it later; the bills stand
        log.warning(
            "remuneration accrual after billing failed; the accruer retries it",
            extra={"estate": estate_code, "period": period, **_facts(error)},
        )
    return figures


def _retryable(error: DBAPIError) -> bool:
    # A deadlock or serialisation failure, or a bill that raced in: the chunk is tried again (its
    # households' bills, if any arrived, are then left alone).
    sqlstate = getattr(error.orig, "sqlstate", None)
    return sqlstate in ("40P01", "40001", "23505")


def _bill_chunk_retrying(
    uow_factory: UnitOfWorkFactory,
    estate_code: str,
    job_id: str,
    period: str,
    period_rules: PeriodRules,
    fees: Sequence[HouseholdFee],
    actor: str,
) -> RunFigures:
    for attempt in range(1, CHUNK_ATTEMPTS + 1):
        started = time.perf_counter()
        try:
            with uow_factory(estate_code) as uow:
                plan = bill_chunk(uow, job_id, period, period_rules, fees, actor)
        except DBAPIError as error:
            if attempt == CHUNK_ATTEMPTS or not _retryable(error):
                raise
            time.sleep(0.05 * attempt)
            continue
        CHUNK_SECONDS.observe(time.perf_counter() - started)
        _count(plan.figures)
        return plan.figures
    raise AssertionError("unreachable")  # pragma: no cover


def _count(figures: RunFigures) -> None:
    HOUSEHOLDS.labels("billed").inc(figures.households_billed)
    HOUSEHOLDS.labels("already_billed").inc(figures.already_billed)
    HOUSEHOLDS.labels("not_occupied").inc(figures.not_occupied)
    BILLED_FEN.inc(figures.billed_fen)


def bill_chunk(
    uow: LedgerUnitOfWork,
    job_id: str,
    period: str,
    period_rules: PeriodRules,
    fees: Sequence[HouseholdFee],
    actor: str,
) -> ChunkPlan:
    """Bill ``fees`` (one chunk) in one transaction of ``uow`` (entered by the caller) and commit."""
    start, _ = period_bounds(period)
    households = [fee.household_id for fee in fees]
    # Households first (sorted), then the period: the order payments take them in.
    if uow.journal.hold_period(period, households=households) != "open":
        raise Conflict(f"period {period} was closed during the billing run")
    plan = plan_chunk(fees, uow.journal.billed_in_period(period, households, job_id))
    if plan.to_bill:
        credits = uow.journal.prepaid_credits([fee.household_id for fee in plan.to_bill])
        # Most households have no prepaid credit: their bills are one batch of rows.
        bills = _post_plain_bills(uow, period, [fee for fee in plan.to_bill if fee.household_id not in credits], actor)
        credited, settlements = _post_credited_bills(
            uow, period, [fee for fee in plan.to_bill if fee.household_id in credits], credits, actor
        )
        bills.extend(credited)
        uow.journal.add_bills(period, start, period_rules.fee_rate_fen_per_sqm_month, bills, billing_job_id=job_id)
        uow.journal.settle(settlements)
        uow.basis_moved(period)
    uow.commit()
    return plan


def _post_plain_bills(uow: LedgerUnitOfWork, period: str, fees: Sequence[HouseholdFee], actor: str) -> list[NewBill]:
    """Post the bills of households without prepaid credit as one batch (:class:`FeeBills`)."""
    if not fees:
        return []
    batch = FeeBills(period, new_ids(len(fees)), [fee.household_id for fee in fees], [fee.amount_fen for fee in fees])
    posted_ids = post_fee_bills_and_announce(uow, batch, actor)
    return [
        NewBill(bill_id, fee.household_id, fee.amount_fen, fee.area_centi_sqm, fee.days, transaction_id)
        for fee, bill_id, transaction_id in zip(fees, batch.bill_ids, posted_ids, strict=True)
    ]


def _post_credited_bills(
    uow: LedgerUnitOfWork, period: str, fees: Sequence[HouseholdFee], credits: dict[str, int], actor: str
) -> tuple[list[NewBill], list[tuple[str, str, int]]]:
    """Post the bills of households with prepaid credit, each settled from it as far as it goes:
    the bills, and the settlements (bill id, the prepaid application's transaction, fen)."""
    if not fees:
        return [], []
    transactions: list[Transaction] = []
    spans: list[tuple[HouseholdFee, str, int, int]] = []  # fee, bill id, first transaction, how many
    for fee in fees:
        bill_id = new_id()
        built = rules.bill_household(
            period,
            fee.household_id,
            fee.amount_fen,
            NO_TERMS,
            prepaid_credit_fen=credits[fee.household_id],
            reference={"bill_id": bill_id},
        )
        spans.append((fee, bill_id, len(transactions), len(built)))
        transactions.extend(built)
    posted = post_and_announce(uow, transactions, actor)
    bills: list[NewBill] = []
    settlements: list[tuple[str, str, int]] = []
    for fee, bill_id, first, count in spans:
        bills.append(
            NewBill(
                bill_id, fee.household_id, fee.amount_fen, fee.area_centi_sqm, fee.days, posted[first].transaction_id
            )
        )
        for index in range(first + 1, first + count):
            transaction = transactions[index]
            if transaction.kind == Kind.PREPAID_APPLIED:
                applied = -transaction.amount_on(RECEIVABLE, fee.household_id)
                settlements.append((bill_id, posted[index].transaction_id, applied))
    return bills, settlements


# The worker ----------------------------------------------------------------------------------


class _Progress:
    """An estate's progress, written with the system role after each committed chunk, only while
    this worker still holds the job's lease."""

    def __init__(self, worker: BillingWorker, job_id: str, estate_code: str, interrupt: threading.Event) -> None:
        self._worker = worker
        self._job_id = job_id
        self._estate = estate_code
        self._interrupt = interrupt

    def check(self) -> None:
        if self._interrupt.is_set():
            raise Interrupted

    def total(self, households: int) -> None:
        self._write(lambda jobs, owner: jobs.estate_total(owner, self._job_id, self._estate, households))

    def chunk(self, figures: RunFigures) -> None:
        self._write(lambda jobs, owner: jobs.estate_progress(owner, self._job_id, self._estate, figures))

    def _write(self, write: Callable[[BillingJobsRepository, str], bool]) -> None:
        if not self._worker.write(write):
            self._interrupt.set()
            raise Interrupted


class BillingWorker:
    """Runs billing jobs in the background (a service component: start/stop with the HTTP app).

    Each process runs one; they share the work through the jobs' leases. A worker runs at most
    ``max_jobs`` jobs at once and bills at most ``parallel`` estates at once across them, renews
    its leases every quarter of ``lease_seconds``, and takes over a job whose lease expired."""

    def __init__(
        self,
        database: Database,
        registry: BillingRegistry,
        uow_factory: UnitOfWorkFactory,
        *,
        chunk: int = DEFAULT_CHUNK,
        parallel: int = 4,
        max_jobs: int = 2,
        lease_seconds: float = 20.0,
        poll_seconds: float = 1.0,
    ) -> None:
        self._database = database
        self._registry = registry
        self._uow_factory = uow_factory
        self._chunk = check_chunk_size(chunk)
        self._parallel = max(1, parallel)
        self._max_jobs = max(1, max_jobs)
        self._lease = lease_seconds
        self._poll = poll_seconds
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._slots = threading.BoundedSemaphore(self._parallel)
        self._lock = threading.Lock()
        self._held: dict[str, threading.Event] = {}  # job id → its interrupt
        self._job_threads: list[threading.Thread] = []
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="billing-worker", daemon=True)

    # Component ---------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop at the next chunk boundary and release the jobs, so another process resumes them."""
        self._stop.set()
        with self._lock:
            for interrupt in self._held.values():
                interrupt.set()
            threads = list(self._job_threads)
        self._wake.set()
        self._thread.join(timeout=10)
        for thread in threads:
            thread.join(timeout=30)

    def wake(self) -> None:
        """A job was queued: look for it now rather than at the next poll."""
        self._wake.set()

    # Database ----------------------------------------------------------------------------------

    def write(self, change: Callable[[BillingJobsRepository, str], T]) -> T:
        with self._database.system_session() as session:
            return change(BillingJobsRepository(session), self.owner)

    # The loop ----------------------------------------------------------------------------------

    def _run(self) -> None:
        renew_every = self._lease / 4
        next_renewal = 0.0
        last_renewed = time.monotonic()
        while not self._stop.is_set():
            if time.monotonic() >= next_renewal:
                if self._renew():
                    last_renewed = time.monotonic()
                elif time.monotonic() - last_renewed > self._lease * 0.75:
                    # Leases could not be renewed for most of their length: another worker may
                    # take the jobs over, so stop billing them.
                    self._interrupt_all()
                next_renewal = time.monotonic() + renew_every
            self._claim_while_free()
            self._wake.wait(timeout=min(self._poll, renew_every))
            self._wake.clear()

    def _renew(self) -> bool:
        with self._lock:
            held = dict(self._held)
        if not held:
            return True
        try:
            kept = self.write(lambda jobs, owner: jobs.renew(owner, list(held), self._lease))
        except Exception as error:  # noqa: BLE001 - the database may be down: try again soon
            log.warning("billing job leases could not be renewed", extra=_facts(error))
            return False
        for job_id, interrupt in held.items():
            if job_id not in kept:
                log.warning("billing job lease lost; leaving the job to its new worker", extra={"job_id": job_id})
                interrupt.set()
        return True

    def _interrupt_all(self) -> None:
        with self._lock:
            for interrupt in self._held.values():
                interrupt.set()

    def _claim_while_free(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                if len(self._held) >= self._max_jobs:
                    return
            try:
                job = self.write(lambda jobs, owner: jobs.claim(owner, self._lease))
            except Exception as error:  # noqa: BLE001 - the database may be down: try at the next poll
                log.warning("billing jobs could not be claimed", extra=_facts(error))
                return
            if job is None:
                return
            self._launch(job)

    def _launch(self, job: BillingJob) -> None:
        interrupt = threading.Event()
        thread = threading.Thread(
            target=self._run_job, args=(job, interrupt), name=f"billing-job-{job.job_id[:8]}", daemon=True
        )
        with self._lock:
            self._held[job.job_id] = interrupt
            self._job_threads = [t for t in self._job_threads if t.is_alive()]
            self._job_threads.append(thread)
        thread.start()

    def _run_job(self, job: BillingJob, interrupt: threading.Event) -> None:
        retry = threading.Event()
        try:
            if job.attempts > MAX_JOB_ATTEMPTS:
                reason = f"the job was interrupted {MAX_JOB_ATTEMPTS} times; start it again with a new key"
                self.write(lambda jobs, owner: jobs.fail_unfinished(owner, job.job_id, reason))
                self._finish(job, JobStatus.FAILED, reason)
                return
            log.info(
                "billing job running",
                extra={"job_id": job.job_id, "scope": job.scope, "period": job.period, "attempt": job.attempts},
            )
            pending = [
                e.estate_code
                for e in self.write(lambda jobs, _: jobs.job_estates(job.job_id))
                if e.status not in (EstateStatus.DONE, EstateStatus.FAILED)
            ]
            if pending:
                with ThreadPoolExecutor(
                    max_workers=min(self._parallel, len(pending)), thread_name_prefix=f"billing-{job.job_id[:8]}"
                ) as pool:
                    for future in [pool.submit(self._run_estate, job, code, interrupt, retry) for code in pending]:
                        future.result()
            if interrupt.is_set():
                if retry.is_set() or self._stop.is_set():
                    self._release(job, RETRY_AFTER_SECONDS if retry.is_set() else 0.0)
                return
            statuses = [e.status for e in self.write(lambda jobs, _: jobs.job_estates(job.job_id))]
            self._finish(job, job_status(job.scope, statuses), None)
        except Exception as error:  # noqa: BLE001 - leave the job for a later attempt, never kill the worker
            log.error("billing job interrupted by an error", extra={"job_id": job.job_id, **_facts(error)})
            self._release(job, RETRY_AFTER_SECONDS)
        finally:
            with self._lock:
                self._held.pop(job.job_id, None)
            self._wake.set()  # room for another job

    def _run_estate(
        self, job: BillingJob, estate_code: str, interrupt: threading.Event, retry: threading.Event
    ) -> None:
        with self._slots:
            if interrupt.is_set():
                return
            if not self.write(lambda jobs, owner: jobs.estate_started(owner, job.job_id, estate_code)):
                interrupt.set()
                return
            try:
                figures = bill_estate(
                    self._uow_factory,
                    self._registry,
                    job_id=job.job_id,
                    estate_code=estate_code,
                    period=job.period,
                    actor=job.requested_by,
                    chunk_size=self._chunk,
                    progress=_Progress(self, job.job_id, estate_code, interrupt),
                )
            except Interrupted:
                return
            except XinyiError as error:
                self._estate_finished(job, estate_code, EstateStatus.FAILED, error.reason, interrupt)
                return
            except (OperationalError, InterfaceError) as error:
                # The database went away or a lock could not be had: the whole job is tried again.
                log.warning(
                    "billing of an estate interrupted; the job is retried",
                    extra={"job_id": job.job_id, "estate": estate_code, **_facts(error)},
                )
                retry.set()
                interrupt.set()
                return
            except Exception as error:  # noqa: BLE001 - reported as the estate's failure
                log.error(
                    "billing of an estate failed",
                    extra={"job_id": job.job_id, "estate": estate_code, **_facts(error)},
                )
                reason = "an unexpected error stopped the billing of this estate; quote the job id when reporting it"
                self._estate_finished(job, estate_code, EstateStatus.FAILED, reason, interrupt)
                return
            log.info(
                "estate billed",
                extra={
                    "job_id": job.job_id,
                    "estate": estate_code,
                    "billed": figures.households_billed,
                    "already_billed": figures.already_billed,
                    "not_occupied": figures.not_occupied,
                },
            )
            self._estate_finished(job, estate_code, EstateStatus.DONE, None, interrupt)

    def _estate_finished(
        self, job: BillingJob, estate_code: str, status: EstateStatus, error: str | None, interrupt: threading.Event
    ) -> None:
        if not self.write(lambda jobs, owner: jobs.estate_finished(owner, job.job_id, estate_code, status, error)):
            interrupt.set()

    def _finish(self, job: BillingJob, status: JobStatus, error: str | None) -> None:
        if status not in FINISHED:
            raise ValueError(f"a job finishes done or failed, not {status}")
        if self.write(lambda jobs, owner: jobs.finish(owner, job.job_id, status, error)):
            JOBS.labels(str(status)).inc()
            log.info("billing job finished", extra={"job_id": job.job_id, "status": str(status)})

    def _release(self, job: BillingJob, delay: float) -> None:
        try:
            self.write(lambda jobs, owner: jobs.release(owner, job.job_id, retry_after_seconds=delay))
        except Exception as error:  # noqa: BLE001 - the lease expires by itself
            log.warning("billing job could not be released", extra={"job_id": job.job_id, **_facts(error)})


__all__ = [
    "BillingJob",
    "BillingRegistry",
    "BillingWorker",
    "EstateFailure",
    "bill_chunk",
    "bill_estate",
    "get_job",
    "start_district_job",
    "start_estate_job",
]
