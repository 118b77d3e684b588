"""计费 — a month's bill of each household, and the bookkeeping of a billing job, in plain Python.

A billing job bills one estate, or every estate of a district, for one month. It runs in the
background, chunk by chunk; each chunk is one transaction of the estate's books, so a job that is
interrupted (its process killed) resumes from where it was: a household already billed for the
month is never billed again (the database refuses a second bill of a household for a month). The
figures of an estate's run are counted again from the start when it resumes: a household billed
by this job before the interruption counts as billed, one billed by an earlier run as already billed.

Proration (the rule of the trust books): fees are owed from the day the dwelling is occupied
(handed over / moved in) until the day before it is vacated; a month only partly covered is
prorated by days, and the amount rounded once (:func:`ledger_service.domain.money.bill_amount`).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from typing import NamedTuple, TypeVar

from ledger_service.domain.money import bill_amount
from ledger_service.domain.postings import check_period
from xinyi_shared.errors import InvalidInput

T = TypeVar("T")

MIN_CHUNK = 1
MAX_CHUNK = 5000


def period_bounds(period: str) -> tuple[date, date]:
    """The first and the last day of ``period`` (YYYY-MM)."""
    check_period(period)
    return _bounds(period)


@lru_cache(maxsize=256)
def _bounds(period: str) -> tuple[date, date]:
    # Remembered: every household of a billing chunk is prorated within the same month.
    year, month = int(period[:4]), int(period[5:])
    if year < 1:
        raise InvalidInput(f"no such month: {period}")
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def occupied_days(period: str, occupied_from: date | None, occupied_until: date | None) -> tuple[int | None, int]:
    """``(days, days_in_month)``: the days of ``period`` the household owes fees for — None for the
    whole month, 0 for none — and the days of the month.

    Fees run from ``occupied_from`` (hand-over / move-in; None: before the month) through the day
    before ``occupied_until`` (vacated; None: still occupied)."""
    start, end = period_bounds(period)
    days_in_month = end.day
    first = max(start, occupied_from) if occupied_from else start
    last = min(end, occupied_until - timedelta(days=1)) if occupied_until else end
    if last < first:
        return 0, days_in_month
    days = (last - first).days + 1
    return (None if days == days_in_month else days), days_in_month


class HouseholdFee(NamedTuple):
    """What one household owes for a month: ``amount_fen`` (0: nothing to bill) for ``days``
    occupied (None: the whole month). A tuple: a billing run makes one per household."""

    household_id: str
    amount_fen: int
    days: int | None
    area_centi_sqm: int


def household_fee(
    period: str,
    household_id: str,
    area_centi_sqm: int,
    rate_fen_per_sqm_month: Decimal,
    occupied_from: date | None,
    occupied_until: date | None,
) -> HouseholdFee:
    """The household's fee for ``period``: area × rate, prorated by the days occupied, rounded once."""
    days, days_in_month = occupied_days(period, occupied_from, occupied_until)
    if days == 0:
        return HouseholdFee(household_id, 0, 0, area_centi_sqm)
    amount = bill_amount(area_centi_sqm, rate_fen_per_sqm_month, days, days_in_month if days else None)
    return HouseholdFee(household_id, amount, days, area_centi_sqm)


class NewBill(NamedTuple):
    """A bill to record, with the transaction that posted it (a tuple, one per household billed)."""

    bill_id: str
    household_id: str
    amount_fen: int
    area_centi_sqm: int
    occupied_days: int | None
    transaction_id: str


def check_chunk_size(size: int) -> int:
    if isinstance(size, bool) or not isinstance(size, int) or not MIN_CHUNK <= size <= MAX_CHUNK:
        raise InvalidInput(f"a billing chunk is {MIN_CHUNK} to {MAX_CHUNK} households")
    return size


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (the last one shorter), in order; nothing for no items."""
    check_chunk_size(size)
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# The job ---------------------------------------------------------------------------------------


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class EstateStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


FINISHED = frozenset({JobStatus.DONE, JobStatus.FAILED})

# Which status may follow which (a running job whose worker died stays "running" until another
# worker takes it over: running → running).
_JOB_TRANSITIONS = {
    JobStatus.QUEUED: frozenset({JobStatus.RUNNING, JobStatus.FAILED}),
    JobStatus.RUNNING: frozenset({JobStatus.RUNNING, JobStatus.DONE, JobStatus.FAILED}),
    JobStatus.DONE: frozenset(),
    JobStatus.FAILED: frozenset(),
}


def can_move(current: JobStatus | str, to: JobStatus | str) -> bool:
    return JobStatus(to) in _JOB_TRANSITIONS[JobStatus(current)]


@dataclass(frozen=True)
class RunFigures:
    """What a billing run of households came to (also the old synchronous run's summary)."""

    households_done: int = 0
    households_billed: int = 0
    already_billed: int = 0
    not_occupied: int = 0
    billed_fen: int = 0

    def __add__(self, other: RunFigures) -> RunFigures:
        return RunFigures(
            self.households_done + other.households_done,
            self.households_billed + other.households_billed,
            self.already_billed + other.already_billed,
            self.not_occupied + other.not_occupied,
            self.billed_fen + other.billed_fen,
        )


@dataclass(frozen=True)
class ChunkPlan:
    """One chunk, once the books said which of its households already have the month's bill:
    the fees to bill now, and the chunk's figures (those it bills counted as billed)."""

    to_bill: list[HouseholdFee]
    figures: RunFigures


def plan_chunk(fees: Sequence[HouseholdFee], billed: dict[str, tuple[bool, int]]) -> ChunkPlan:
    """Split a chunk's ``fees``: nothing owed (not occupied, or a zero fee), billed already —
    ``billed`` maps a household to (billed by this very job, before an interruption; its amount) —
    and to bill now. A household billed by this job counts as billed (its amount in billed_fen),
    one billed by another run as already billed."""
    to_bill: list[HouseholdFee] = []
    billed_now = already = skipped = fen = 0
    for fee in fees:
        found = billed.get(fee.household_id)
        if found is not None:
            ours, amount = found
            if ours:
                billed_now += 1
                fen += amount
            else:
                already += 1
        elif fee.amount_fen == 0:
            skipped += 1
        else:
            to_bill.append(fee)
            billed_now += 1
            fen += fee.amount_fen
    return ChunkPlan(to_bill, RunFigures(len(fees), billed_now, already, skipped, fen))


def job_status(scope: str, estate_statuses: Sequence[EstateStatus | str]) -> JobStatus:
    """The status of a job whose estates all finished: an estate job is failed when its estate
    failed; a district job when none of its estates could be billed (and it had any), else done —
    with the estates that failed listed as its failures."""
    statuses = [EstateStatus(s) for s in estate_statuses]
    if any(s not in (EstateStatus.DONE, EstateStatus.FAILED) for s in statuses):
        raise ValueError("the job still has estates to bill")
    if statuses and all(s == EstateStatus.FAILED for s in statuses):
        return JobStatus.FAILED
    if scope == "estate" and not statuses:
        return JobStatus.FAILED
    return JobStatus.DONE
