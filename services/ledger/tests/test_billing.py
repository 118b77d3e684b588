"""Billing jobs without I/O: proration by the days occupied, chunking, the job's states and
figures, and an estate's run chunk by chunk against the fakes — including a run resumed after it
was interrupted, which bills nothing twice and counts its own bills once.

The estate's books begin in March 2026; "today" is 20 May 2026 there; 0.35 CNY per m² a month.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger_service.adapters.billing_jobs import BillingJob, EstateFailure
from ledger_service.adapters.tenant_client import BillableHousehold, PeriodRules
from ledger_service.domain import billing as domain
from ledger_service.domain.billing import (
    EstateStatus,
    HouseholdFee,
    JobStatus,
    NewBill,
    RunFigures,
    can_move,
    chunked,
    household_fee,
    job_status,
    occupied_days,
    plan_chunk,
)
from ledger_service.domain.money import bill_amount
from ledger_service.domain.postings import PREPAID, RECEIVABLE
from ledger_service.domain.trust_books import Kind
from ledger_service.entrypoints.http_billing import BillingJobPublic, may_read
from ledger_service.service_layer import billing
from ledger_service.service_layer.postings import record_payment
from services.ledger.tests.fakes import (
    BillRow,
    FakeBooks,
    FakeJournal,
    FakeLedgerUnitOfWork,
    FakeRegistry,
    PeriodRow,
    canonical,
    estate_rules,
    refused,
)
from xinyi.tenant.v1 import tenant_pb2
from xinyi_shared.auth import Principal, Role
from xinyi_shared.errors import Conflict, InvalidInput, NotFound

ESTATE = "jinhe-lvzhou"
TODAY = date(2026, 5, 20)
PERIOD = "2026-05"
RULES = estate_rules("2026-03-01", rate="35")
JOB = "0f0e0d0c-0b0a-4909-8807-060504030201"


def hid(n: int) -> str:
    return str(uuid.UUID(int=n + 1, version=4))


# Proration -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "occupied_from", "occupied_until", "expected"),
    [
        ("2026-05", None, None, (None, 31)),  # the whole month
        ("2026-04", None, None, (None, 30)),
        ("2026-05", date(2026, 5, 1), None, (None, 31)),  # handed over on the first: the whole month
        ("2026-05", date(2026, 4, 10), None, (None, 31)),
        ("2026-05", date(2026, 5, 11), None, (21, 31)),  # the 11th to the 31st
        ("2026-05", None, date(2026, 5, 11), (10, 31)),  # vacated on the 11th: the 1st to the 10th
        ("2026-05", None, date(2026, 6, 1), (None, 31)),  # vacated on the first of the next month
        ("2026-05", None, date(2026, 5, 31), (30, 31)),
        ("2026-05", date(2026, 5, 11), date(2026, 5, 21), (10, 31)),  # the 11th to the 20th
        ("2026-05", date(2026, 5, 11), date(2026, 5, 11), (0, 31)),  # vacated the day it was occupied
        ("2026-05", date(2026, 6, 1), None, (0, 31)),  # not yet handed over
        ("2026-05", None, date(2026, 5, 1), (0, 31)),  # vacated before the month
        ("2026-05", None, date(2026, 3, 1), (0, 31)),
        ("2026-02", date(2026, 2, 15), None, (14, 28)),
        ("2028-02", date(2028, 2, 15), None, (15, 29)),  # a leap year
        ("2026-12", date(2026, 12, 31), None, (1, 31)),
    ],
)
def test_occupied_days(
    period: str, occupied_from: date | None, occupied_until: date | None, expected: tuple[int | None, int]
) -> None:
    assert occupied_days(period, occupied_from, occupied_until) == expected


def _days_by_counting(period: str, occupied_from: date | None, occupied_until: date | None) -> int:
    first = date(int(period[:4]), int(period[5:]), 1)
    day, days = first, 0
    while day.month == first.month:
        if (occupied_from is None or day >= occupied_from) and (occupied_until is None or day < occupied_until):
            days += 1
        day += timedelta(days=1)
    return days


@given(
    st.sampled_from(["2026-01", "2026-02", "2026-04", "2028-02", "2026-12"]),
    st.one_of(st.none(), st.dates(date(2025, 11, 1), date(2029, 2, 1))),
    st.one_of(st.none(), st.dates(date(2025, 11, 1), date(2029, 2, 1))),
)
def test_occupied_days_are_the_days_from_occupation_to_the_day_before_vacating(
    period: str, occupied_from: date | None, occupied_until: date | None
) -> None:
    days, days_in_month = occupied_days(period, occupied_from, occupied_until)
    counted = _days_by_counting(period, occupied_from, occupied_until)
    assert (days_in_month if days is None else days) == counted
    assert days is None or 0 <= days < days_in_month


@pytest.mark.parametrize(
    ("area", "rate", "occupied_from", "occupied_until", "amount", "days"),
    [
        (9000, "35", None, None, 3150, None),  # 90.00 m² × 35 = 3150
        (6530, "35", None, None, 2286, None),  # 65.30 m² × 35 = 2285.5 → 2286 (half up)
        (12055, "35", None, None, 4219, None),  # 4219.25 → 4219
        # 120.55 m² × 35.5 for 10 of 31 days: 1380.49… → 1380, rounded once (not 4280 × 10/31 → 1381)
        (12055, "35.5", date(2026, 5, 22), None, 1380, 10),
        (9000, "35", date(2026, 6, 1), None, 0, 0),  # not occupied: nothing to bill
        (0, "35", None, None, 0, None),  # no floor area: nothing to bill
    ],
)
def test_a_households_fee_is_area_times_rate_prorated_and_rounded_once(
    area: int, rate: str, occupied_from: date | None, occupied_until: date | None, amount: int, days: int | None
) -> None:
    fee = household_fee(PERIOD, "h", area, Decimal(rate), occupied_from, occupied_until)
    assert (fee.amount_fen, fee.days, fee.area_centi_sqm) == (amount, days, area)


@given(st.integers(1, 10**7), st.decimals(0, 1000, places=4), st.integers(1, 31))
def test_a_prorated_fee_matches_the_money_rule(area: int, rate: Decimal, first_day: int) -> None:
    fee = household_fee(PERIOD, "h", area, rate, date(2026, 5, first_day), None)
    days = 32 - first_day
    expected = bill_amount(area, rate) if days == 31 else bill_amount(area, rate, days, 31)
    assert fee.amount_fen == expected


@pytest.mark.parametrize("period", ["2026-13", "2026-5", "0000-01", "", "2026-05-01"])
def test_a_malformed_month_is_refused(period: str) -> None:
    with pytest.raises(InvalidInput):
        occupied_days(period, None, None)


# Chunks ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "size", "expected"),
    [
        (0, 3, []),
        (1, 3, [1]),
        (3, 3, [3]),
        (7, 3, [3, 3, 1]),
        (5000, 1000, [1000] * 5),
        (5001, 5000, [5000, 1]),
    ],
)
def test_chunks_keep_order_and_size(items: int, size: int, expected: list[int]) -> None:
    chunks = list(chunked(iter(range(items)), size))
    assert [len(chunk) for chunk in chunks] == expected
    assert [item for chunk in chunks for item in chunk] == list(range(items))


@pytest.mark.parametrize("size", [0, -1, 5001, True])
def test_a_chunk_is_one_to_five_thousand_households(size: int) -> None:
    with pytest.raises(InvalidInput):
        list(chunked([1, 2], size))


def test_a_chunk_plan_bills_only_households_without_the_months_bill() -> None:
    fees = [
        HouseholdFee("a", 3150, None, 9000),  # to bill
        HouseholdFee("b", 4219, None, 12055),  # billed by this job before an interruption
        HouseholdFee("c", 2286, None, 6530),  # billed by another run
        HouseholdFee("d", 0, 0, 8000),  # not occupied
        HouseholdFee("e", 100, 3, 8000),  # to bill, prorated
    ]
    plan = plan_chunk(fees, {"b": (True, 4219), "c": (False, 2286)})
    assert [fee.household_id for fee in plan.to_bill] == ["a", "e"]
    assert plan.figures == RunFigures(
        households_done=5, households_billed=3, already_billed=1, not_occupied=1, billed_fen=3150 + 4219 + 100
    )


def test_run_figures_add_up() -> None:
    assert RunFigures(1, 2, 3, 4, 5) + RunFigures(10, 20, 30, 40, 50) == RunFigures(11, 22, 33, 44, 55)


# The job's states ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "to", "allowed"),
    [
        (JobStatus.QUEUED, JobStatus.RUNNING, True),
        (JobStatus.QUEUED, JobStatus.FAILED, True),
        (JobStatus.QUEUED, JobStatus.DONE, False),
        (JobStatus.RUNNING, JobStatus.RUNNING, True),  # taken over after its worker died
        (JobStatus.RUNNING, JobStatus.DONE, True),
        (JobStatus.RUNNING, JobStatus.FAILED, True),
        (JobStatus.RUNNING, JobStatus.QUEUED, False),
        (JobStatus.DONE, JobStatus.RUNNING, False),
        (JobStatus.FAILED, JobStatus.RUNNING, False),
    ],
)
def test_job_transitions(current: JobStatus, to: JobStatus, allowed: bool) -> None:
    assert can_move(current, to) is allowed


@pytest.mark.parametrize(
    ("scope", "estates", "expected"),
    [
        ("estate", ["done"], JobStatus.DONE),
        ("estate", ["failed"], JobStatus.FAILED),
        ("district", ["done", "done", "done"], JobStatus.DONE),
        ("district", ["done", "failed", "failed"], JobStatus.DONE),  # done, with failures listed
        ("district", ["failed", "failed"], JobStatus.FAILED),  # nothing could be billed
    ],
)
def test_a_finished_jobs_status(scope: str, estates: list[str], expected: JobStatus) -> None:
    assert job_status(scope, estates) == expected


def test_a_job_with_estates_still_to_bill_has_not_finished() -> None:
    with pytest.raises(ValueError):
        job_status("district", [EstateStatus.DONE, EstateStatus.RUNNING])


# An estate's run against the fakes ---------------------------------------------------------


@dataclass(frozen=True)
class JobBillRow(BillRow):
    """``bills`` with the column of revision 0006: which job billed the bill."""

    billing_job_id: str | None = None


class BillingJournal(FakeJournal):
    """The fake journal with the statements billing jobs add (``adapters/journal.py``)."""

    def billed_in_period(self, period: str, household_ids: Sequence[str], job_id: str) -> dict[str, tuple[bool, int]]:
        wanted = {canonical(h) for h in household_ids}
        return {
            bill.household_id: (getattr(bill, "billing_job_id", None) == job_id, bill.amount_fen)
            for bill in self._t.bills.values()
            if bill.estate_code == self.estate and bill.period == period and bill.household_id in wanted
        }

    def prepaid_credits(self, household_ids: Sequence[str]) -> dict[str, int]:
        credits = {h: -self.household_balances(h).get(PREPAID, 0) for h in household_ids}
        return {h: credit for h, credit in credits.items() if credit > 0}

    def add_bills(
        self,
        period: str,
        billed_on: date,
        rate_fen_per_sqm_month: Decimal,
        bills: Sequence[NewBill],
        billing_job_id: str | None = None,
    ) -> None:
        tables = self._t
        taken = {(b.estate_code, b.household_id, b.period) for b in tables.bills.values()}
        for bill in bills:
            if (self.estate, canonical(bill.household_id), period) in taken:
                raise refused("bills_once_per_household_and_period")
            if bill.transaction_id not in tables.transactions:
                raise refused("foreign key: a bill of an unknown transaction")
        for bill in bills:
            tables.bills[bill.bill_id] = JobBillRow(
                id=bill.bill_id,
                estate_code=self.estate,
                household_id=canonical(bill.household_id),
                period=period,
                amount_fen=bill.amount_fen,
                area_centi_sqm=bill.area_centi_sqm,
                rate_fen_per_sqm_month=rate_fen_per_sqm_month,
                occupied_days=bill.occupied_days,
                billed_on=billed_on,
                transaction_id=bill.transaction_id,
                billing_job_id=billing_job_id,
            )


class BillingUnitOfWork(FakeLedgerUnitOfWork):
    def bind(self, session: Any) -> None:
        super().bind(session)
        self.fake_journal = BillingJournal(self._open(), self.estate_code)
        self.journal = self.fake_journal


class Registry:
    """The tenant service as billing asks it: rules, and the estate's households streamed."""

    def __init__(self, fake: FakeRegistry) -> None:
        self.fake = fake
        self.listed = 0

    def rules_message(self, estate_code: str, day: date) -> tenant_pb2.EstateRules:
        return self.fake.rules_message(estate_code, day)

    def rules_on(self, estate_code: str, day: date) -> PeriodRules:
        return self.fake.rules_on(estate_code, day)

    def household(self, estate_code: str, household_id: str) -> BillableHousehold:
        return self.fake.household(estate_code, household_id)

    def households(self, estate_code: str) -> Iterable[BillableHousehold]:
        self.listed += 1
        yield from self.fake.households.get(estate_code, {}).values()


class Progress:
    def __init__(self, stop_after_chunks: int | None = None) -> None:
        self.totals: list[int] = []
        self.chunks: list[RunFigures] = []
        self.stop_after = stop_after_chunks

    def check(self) -> None:
        if self.stop_after is not None and len(self.chunks) >= self.stop_after:
            raise billing.Interrupted

    def total(self, households: int) -> None:
        self.totals.append(households)

    def chunk(self, figures: RunFigures) -> None:
        self.chunks.append(figures)


@pytest.fixture
def books() -> Iterator[FakeBooks]:
    books = FakeBooks(TODAY)
    books.open_estate(ESTATE, first_period="2026-03", rules=RULES)
    yield books
    books.check_consistency()


@pytest.fixture
def registry() -> Registry:
    fake = FakeRegistry()
    fake.add_rules(ESTATE, RULES)
    for n in range(10):
        fake.add_household(ESTATE, hid(n), 9000 + 100 * n)  # 90.00 m² + n m²
    fake.add_household(ESTATE, hid(10), 9000, occupied_from=date(2026, 5, 22))  # 10 of 31 days
    fake.add_household(ESTATE, hid(11), 9000, occupied_from=date(2026, 6, 1))  # not yet handed over
    return Registry(fake)


def factory(books: FakeBooks) -> Any:
    return lambda estate_code: BillingUnitOfWork(books, estate_code)


def run(
    books: FakeBooks, registry: Registry, *, job_id: str = JOB, chunk: int = 4, progress: Progress | None = None
) -> RunFigures:
    return billing.bill_estate(
        factory(books),
        registry,
        job_id=job_id,
        estate_code=ESTATE,
        period=PERIOD,
        actor="firm-manager",
        chunk_size=chunk,
        progress=progress or Progress(),
    )


def expected_amounts() -> dict[str, int]:
    amounts = {hid(n): (9000 + 100 * n) * 35 // 100 for n in range(10)}  # whole fen: areas of whole m²
    amounts[hid(10)] = 1016  # 3150 × 10 / 31 = 1016.13 → 1016
    return amounts


def bills_of(books: FakeBooks) -> dict[str, int]:
    return {b.household_id: b.amount_fen for b in books.tables.bills.values() if b.period == PERIOD}


def test_an_estates_run_bills_every_occupied_household_once_chunk_by_chunk(
    books: FakeBooks, registry: Registry
) -> None:
    progress = Progress()
    figures = run(books, registry, progress=progress)

    assert bills_of(books) == expected_amounts()
    assert figures == RunFigures(12, 11, 0, 1, sum(expected_amounts().values()))
    assert progress.totals == [12]
    assert [c.households_done for c in progress.chunks] == [4, 4, 4]
    assert sum(progress.chunks, RunFigures()) == figures
    rows = books.tables.bills.values()
    assert all(isinstance(b, JobBillRow) and b.billing_job_id == JOB for b in rows)
    assert {b.occupied_days for b in rows} == {None, 10}
    assert all(b.billed_on == date(2026, 5, 1) and b.rate_fen_per_sqm_month == Decimal(35) for b in rows)
    assert books.balance(ESTATE, RECEIVABLE) == sum(expected_amounts().values())
    # One posting statement per chunk; the accruer hears of each chunk; the run ends with an accrual.
    assert books.accruals.touched.count((ESTATE, PERIOD)) == 3


def test_the_households_of_a_chunk_are_locked_before_the_period(books: FakeBooks, registry: Registry) -> None:
    held: list[tuple[str, tuple[str, ...]]] = []

    class Recording(BillingUnitOfWork):
        def bind(self, session: Any) -> None:
            super().bind(session)
            self.fake_journal.held = held

    billing.bill_estate(
        lambda code: Recording(books, code),
        registry,
        job_id=JOB,
        estate_code=ESTATE,
        period=PERIOD,
        actor="x",
        chunk_size=5,
        progress=Progress(),
    )
    assert [len(households) for _, households in held] == [5, 5, 2]
    assert all(households == tuple(sorted(households)) for _, households in held)


def test_billing_a_month_again_bills_nothing_new(books: FakeBooks, registry: Registry) -> None:
    run(books, registry)
    entries = len(books.entries_of(ESTATE))
    again = run(books, registry, job_id=str(uuid.uuid4()))
    assert again == RunFigures(12, 0, 11, 1, 0)
    assert len(books.entries_of(ESTATE)) == entries


def test_a_resumed_run_bills_nothing_twice_and_counts_its_own_bills_once(books: FakeBooks, registry: Registry) -> None:
    with pytest.raises(billing.Interrupted):
        run(books, registry, progress=Progress(stop_after_chunks=2))
    assert len(bills_of(books)) == 8  # two chunks of four committed

    resumed = run(books, registry)  # the same job, from the start
    assert bills_of(books) == expected_amounts()
    assert resumed == RunFigures(12, 11, 0, 1, sum(expected_amounts().values()))
    fee_entries = [e for e in books.entries_of(ESTATE) if e.transaction.kind == Kind.FEE_BILLED]
    assert len(fee_entries) == 11


def test_a_prepaid_credit_settles_the_new_bill(books: FakeBooks, registry: Registry) -> None:
    record_payment(BillingUnitOfWork(books, ESTATE), registry, "pay-0001-key", hid(0), 1000, "cash", "", TODAY, "x")
    record_payment(BillingUnitOfWork(books, ESTATE), registry, "pay-0002-key", hid(1), 5000, "cash", "", TODAY, "x")

    run(books, registry)

    with BillingUnitOfWork(books, ESTATE) as uow:
        first = uow.journal.bills_of(hid(0))
        second = uow.journal.bills_of(hid(1))
        credits = uow.journal.prepaid_credits([hid(0), hid(1)])
    assert [(b.amount_fen, b.due_fen) for b in first] == [(3150, 2150)]  # 1000 prepaid applied
    assert [(b.amount_fen, b.due_fen) for b in second] == [(3185, 0)]  # 91 m² × 35; paid from 5000
    assert credits == {hid(1): 5000 - 3185}
    applied = [e for e in books.entries_of(ESTATE) if e.transaction.kind == Kind.PREPAID_APPLIED]
    assert sorted(e.transaction.amount_on(PREPAID) for e in applied) == [1000, 3185]


@pytest.mark.parametrize(
    ("change", "error", "reason"),
    [
        ("suspended", Conflict, "read-only"),
        ("closed", Conflict, "is closed"),
        ("future", InvalidInput, "has not started"),
        ("before", InvalidInput, "before these books begin"),
        ("unknown", NotFound, "no trust books"),
    ],
)
def test_an_estate_that_cannot_be_billed_is_refused_before_any_bill(
    books: FakeBooks, registry: Registry, change: str, error: type[Exception], reason: str
) -> None:
    period, estate = PERIOD, ESTATE
    if change == "suspended":
        books.set_status(ESTATE, "suspended")
    elif change == "closed":
        books.tables.periods[(ESTATE, PERIOD)] = PeriodRow("closed")
    elif change == "future":
        period = "2026-06"
    elif change == "before":
        period = "2026-02"
    else:
        estate = "nowhere-estate"
    with pytest.raises(error, match=reason):
        billing.bill_estate(
            factory(books), registry, job_id=JOB, estate_code=estate, period=period, actor="x", progress=Progress()
        )
    assert books.tables.bills == {}
    assert registry.listed == 0


def test_a_chunk_that_finds_its_month_closed_bills_nothing(books: FakeBooks, registry: Registry) -> None:
    rules_in_force = registry.rules_on(ESTATE, date(2026, 5, 1))
    fees = [household_fee(PERIOD, hid(0), 9000, Decimal(35), None, None)]
    books.tables.periods[(ESTATE, PERIOD)] = PeriodRow("closed")
    with pytest.raises(Conflict, match="closed during the billing run"), BillingUnitOfWork(books, ESTATE) as uow:
        billing.bill_chunk(uow, JOB, PERIOD, rules_in_force, fees, "x")
    assert books.tables.bills == {}


# What the API shows -------------------------------------------------------------------------


def job(**fields: Any) -> BillingJob:
    base: dict[str, Any] = {
        "job_id": JOB,
        "scope": "estate",
        "district_code": None,
        "estate_code": ESTATE,
        "period": PERIOD,
        "status": "running",
        "households_total": 12,
        "households_done": 4,
        "estates_total": 1,
        "estates_done": 0,
        "households_billed": 4,
        "already_billed": 0,
        "not_occupied": 0,
        "billed_fen": 12600,
        "created_at": datetime(2026, 5, 20, 1, 0, tzinfo=UTC),
        "started_at": datetime(2026, 5, 20, 1, 0, 1, tzinfo=UTC),
        "finished_at": None,
        "requested_by": "firm-manager",
        "request_hash": "x",
        "attempts": 1,
    }
    base.update(fields)
    return BillingJob(**base)


def test_the_job_json_has_exactly_the_contracts_fields() -> None:
    shown = BillingJobPublic.of(job(failures=[EstateFailure("binhe-huayuan", "period 2026-05 is closed")]))
    data = shown.model_dump(mode="json")
    assert set(data) == {
        "job_id",
        "scope",
        "district_code",
        "estate_code",
        "period",
        "status",
        "households_total",
        "households_done",
        "estates_total",
        "estates_done",
        "households_billed",
        "already_billed",
        "not_occupied",
        "billed_fen",
        "failures",
        "created_at",
        "finished_at",
    }
    assert data["failures"] == [{"estate_code": "binhe-huayuan", "reason": "period 2026-05 is closed"}]
    assert data["finished_at"] is None and data["created_at"].startswith("2026-05-20T01:00:00")


def principal(*roles: str, estates: tuple[str, ...] = ()) -> Principal:
    return Principal(subject="s", username="u", roles=frozenset(roles), estates=frozenset(estates))


@pytest.mark.parametrize(
    ("who", "estate_job", "district_job"),
    [
        (principal(Role.FIRM_MANAGER, estates=(ESTATE,)), True, False),
        (principal(Role.FIRM_STAFF, estates=(ESTATE,)), True, False),
        (principal(Role.SUPERVISOR, estates=(ESTATE,)), True, False),
        (principal(Role.RESIDENT, estates=(ESTATE,)), False, False),
        (principal(Role.GRID_LEADER, estates=(ESTATE,)), False, False),
        (principal(Role.FIRM_MANAGER, estates=("binhe-huayuan",)), False, False),  # another estate's manager
        (principal(Role.PLATFORM_ADMIN), True, True),
        (principal(Role.SERVICE), False, True),
        (principal(Role.COMMUNITY_OFFICER, estates=(ESTATE,)), False, False),
    ],
)
def test_who_may_read_a_job(who: Principal, estate_job: bool, district_job: bool) -> None:
    assert may_read(who, job()) is estate_job
    assert may_read(who, job(scope="district", district_code="shuangliu", estate_code=None)) is district_job


def test_the_chunk_bounds_are_the_domains() -> None:
    assert (domain.MIN_CHUNK, domain.MAX_CHUNK) == (1, 5000)
