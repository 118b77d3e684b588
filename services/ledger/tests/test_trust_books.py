from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TypedDict

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from ledger_service.domain.books import STANDARD_CHART
from ledger_service.domain.money import bill_amount, share
from ledger_service.domain.postings import MAX_ABS_FEN, Line, Transaction, reversal
from ledger_service.domain.trust_books import (
    Allocation,
    FeeBills,
    HouseholdBalance,
    Kind,
    MonthlyStatement,
    MonthMovement,
    OpenBill,
    Remuneration,
    ageing,
    allocate_payment,
    bill_household,
    close_period,
    collection_rate_bps,
    movements,
    period_totals,
    record_common_income,
    record_expense,
    record_payment,
    remuneration_basis_delta,
    reverse_entry,
    statement,
)
from xinyi_shared.errors import Conflict, InvalidInput

COLLECTED = Remuneration(remuneration_share_bps=1500, remuneration_basis="collected")
BILLED = Remuneration(remuneration_share_bps=1500, remuneration_basis="billed")


def next_period(period: str) -> str:
    year, month = int(period[:4]), int(period[5:])
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


# --- an in-memory book: what the lead's persistence does, reduced to dicts ----------------------


class RunningTotals(TypedDict):
    """The period's running totals, as the posting rules take them."""

    remuneration_accrued_in_period: int
    basis_total_in_period_before: int


@dataclass
class Bill:
    household_id: str
    period: str
    amount_fen: int
    due_fen: int
    billed_on: date
    cancelled: bool = False


class FakeBook:
    """Posts what the rules return, keeps balances, bills and the period's running totals."""

    def __init__(self, terms: Remuneration, donation_bps: int, period: str) -> None:
        self.terms = terms
        self.donation_bps = donation_bps
        self.period = period
        self.closed: list[str] = []
        self.entries: dict[str, tuple[Transaction, str]] = {}
        self.reversed: set[str] = set()
        self.balances: Counter[tuple[str, str | None]] = Counter()
        self.bills: dict[str, Bill] = {}
        self.moved: list[MonthMovement] = []  # what each post announced (BooksMoved)

    # posting ------------------------------------------------------------------------------
    def post(self, transactions: list[Transaction]) -> list[str]:
        ids = []
        for transaction in transactions:
            assert sum(line.amount_fen for line in transaction.lines) == 0
            assert transaction.period == self.period, "rules post into the open period only"
            transaction_id = f"t{len(self.entries) + 1}"
            self.entries[transaction_id] = (transaction, self.period)
            for line in transaction.lines:
                self.balances[(line.account, line.household_id)] += line.amount_fen
            ids.append(transaction_id)
        self.moved.extend(movements(transactions))
        return ids

    def in_period(self, period: str) -> list[Transaction]:
        return [transaction for transaction, posted in self.entries.values() if posted == period]

    def running_totals(self) -> RunningTotals:
        totals = period_totals(self.in_period(self.period), self.terms.remuneration_basis)
        return {
            "remuneration_accrued_in_period": totals.remuneration_accrued_fen,
            "basis_total_in_period_before": totals.remuneration_basis_fen,
        }

    def account(self, code: str) -> int:
        return sum(fen for (account, _), fen in self.balances.items() if account == code)

    def receivable(self, household_id: str) -> int:
        return self.balances[("1100", household_id)]

    def prepaid(self, household_id: str) -> int:
        return -self.balances[("2000", household_id)]

    def open_bills(self, household_id: str) -> list[OpenBill]:
        return [
            OpenBill(bill_id, bill.period, bill.due_fen, bill.billed_on)
            for bill_id, bill in self.bills.items()
            if bill.household_id == household_id and bill.due_fen > 0
        ]

    # business -----------------------------------------------------------------------------
    def bill(self, household_id: str, amount_fen: int, billed_on: date) -> tuple[str, list[Transaction]]:
        bill_id = f"b{len(self.bills) + 1}"
        transactions = bill_household(
            self.period,
            household_id,
            amount_fen,
            self.terms,
            prepaid_credit_fen=self.prepaid(household_id),
            reference={"bill_id": bill_id},
            **self.running_totals(),
        )
        applied = sum(-t.amount_on("1100") for t in transactions if t.kind == Kind.PREPAID_APPLIED)
        self.post(transactions)
        self.bills[bill_id] = Bill(household_id, self.period, amount_fen, amount_fen - applied, billed_on)
        return bill_id, transactions

    def pay(self, household_id: str, amount_fen: int) -> tuple[Allocation, list[Transaction]]:
        allocation = allocate_payment(amount_fen, self.open_bills(household_id))
        transactions = record_payment(
            self.period, household_id, amount_fen, allocation, self.terms, **self.running_totals()
        )
        self.post(transactions)
        for bill_id, fen in allocation.per_bill:
            self.bills[bill_id].due_fen -= fen
        return allocation, transactions

    def reverse(self, transaction_id: str) -> list[Transaction]:
        """Reverse as the caller would: refuse twice, pass the bill's due, put settled amounts back."""
        original, _ = self.entries[transaction_id]
        if transaction_id in self.reversed:
            raise Conflict("already reversed")
        bill_due = None
        if original.kind == Kind.FEE_BILLED:
            bill_due = self.bills[original.reference["bill_id"]].due_fen
        households = {line.household_id for line in original.lines if line.household_id is not None}
        transactions = reverse_entry(
            original,
            transaction_id,
            self.period,
            "correction",
            self.terms,
            household_balances={h: HouseholdBalance(self.receivable(h), self.prepaid(h)) for h in households},
            bill_due_fen_remaining=bill_due,
            **self.running_totals(),
        )
        self.post(transactions)
        self.reversed.add(transaction_id)
        if original.kind == Kind.FEE_BILLED:
            bill = self.bills[original.reference["bill_id"]]
            bill.due_fen, bill.cancelled = 0, True
        elif original.kind == Kind.PREPAID_APPLIED:
            self.bills[original.reference["bill_id"]].due_fen += -original.amount_on("1100")
        elif original.kind == Kind.PAYMENT_RECEIVED:
            for key, fen in original.reference.items():
                if key.startswith("allocated:"):
                    self.bills[key.removeprefix("allocated:")].due_fen += int(fen)
        return transactions

    def close(self) -> list[Transaction]:
        transactions = close_period(
            self.period, self.running_totals()["remuneration_accrued_in_period"], self.donation_bps
        )
        self.post(transactions)
        self.closed.append(self.period)
        self.period = next_period(self.period)
        return transactions

    def statement(self, period: str) -> MonthlyStatement:
        year = period[:4]
        opening_cash = sum(t.amount_on("1000") for t, posted in self.entries.values() if posted[:4] < year)
        of_year = [(t, posted) for t, posted in self.entries.values() if posted[:4] == year and posted <= period]
        return statement(period, of_year, opening_cash)


# --- the double-entry model ---------------------------------------------------------------------


def test_a_balanced_transaction() -> None:
    transaction = Transaction(
        kind="fee_billed",
        period="2025-01",
        lines=[Line("1100", 3150, "h1"), Line("4000", -3150)],  # type: ignore[arg-type]
        reference={"bill_id": "b1"},
    )
    assert transaction.lines == (Line("1100", 3150, "h1"), Line("4000", -3150))  # a list becomes a tuple
    assert transaction.amount_on("1100") == 3150
    assert transaction.amount_on("1100", "h2") == 0
    assert hash(transaction) == hash(transaction)  # frozen, and hashable despite the reference dict


@pytest.mark.parametrize(
    ("lines", "period"),
    [
        ((Line("1000", 100), Line("4100", -99)), "2025-01"),  # does not balance
        ((Line("1000", 100),), "2025-01"),  # one line
        ((), "2025-01"),
        ((Line("1000", 100), Line("4100", -100)), "2025-13"),
        ((Line("1000", 100), Line("4100", -100)), "2025-1"),
        ((Line("1000", 100), Line("4100", -100)), "25-01"),
        ((Line("1000", 100), Line("4100", -100)), "2025-00"),
        (("not a line", Line("4100", -100)), "2025-01"),
    ],
)
def test_transactions_that_are_refused(lines: tuple[Line, ...], period: str) -> None:
    with pytest.raises(InvalidInput):
        Transaction(kind="x", period=period, lines=lines)


@pytest.mark.parametrize("memo", ["receipt\x00 42", "\x00"])
def test_a_memo_cannot_hold_nul(memo: str) -> None:
    # PostgreSQL's text cannot store it: refused as input, never a failed write.
    with pytest.raises(InvalidInput, match="NUL"):
        Transaction(kind="x", period="2025-01", lines=(Line("1000", 100), Line("4100", -100)), memo=memo)


@pytest.mark.parametrize(
    "line",
    [
        lambda: Line("1000", 0),  # zero
        lambda: Line("9999", 100),  # unknown account
        lambda: Line("5000a", 100),
        lambda: Line("5099", 100),  # not a budget line
        lambda: Line("6100", 100),
        lambda: Line("1000", 1.5),  # type: ignore[arg-type]  # never floats
        lambda: Line("1000", True),
        lambda: Line("1100", 100),  # receivable without its household
        lambda: Line("2000", -100, ""),
        lambda: Line("1000", 100, "h1"),  # cash has no household sub-ledger
        lambda: Line("1000", 2**63),
    ],
)
def test_lines_that_are_refused(line: object) -> None:
    with pytest.raises(InvalidInput):
        line()  # type: ignore[operator]


def test_every_account_of_the_chart_and_every_budget_line_is_accepted() -> None:
    for account in STANDARD_CHART:
        household = "h1" if account.code in {"1100", "2000"} else None
        Transaction(kind="x", period="2025-01", lines=(Line(account.code, 1, household), Line("1000", -1)))
    for code in ("5100", "5555", "5999"):
        Transaction(kind="expense", period="2025-01", lines=(Line(code, 1), Line("1000", -1)))


def test_a_posted_transaction_does_not_change_with_the_callers_dict() -> None:
    reference = {"voucher": "V-1"}
    transaction = Transaction("x", "2025-01", (Line("1000", 1), Line("4190", -1)), reference=reference)
    reference["voucher"] = "V-2"
    assert transaction.reference == {"voucher": "V-1"}


def test_a_reversal_negates_every_line() -> None:
    original = Transaction(
        "payment_received",
        "2025-01",
        (Line("1000", 5000), Line("1100", -4219, "h2"), Line("2000", -781, "h2")),
        reference={"receipt": "R1"},
    )
    undo = reversal(original, "t7", "2025-03", "wrong household")
    assert undo == Transaction(
        "payment_received",
        "2025-03",
        (Line("1000", -5000), Line("1100", 4219, "h2"), Line("2000", 781, "h2")),
        memo="wrong household",
        reverses="t7",
        reference={"receipt": "R1"},
    )
    with pytest.raises(InvalidInput):
        reversal(original, "", "2025-03", "no id")


# --- the posting rules --------------------------------------------------------------------------


def test_a_bill_on_the_billed_basis_accrues_remuneration_when_posted() -> None:
    bill, accrual = bill_household(
        "2025-01",
        "h1",
        3150,
        BILLED,
        remuneration_accrued_in_period=0,
        basis_total_in_period_before=0,
        prepaid_credit_fen=0,
    )
    assert bill.kind == Kind.FEE_BILLED
    assert bill.lines == (Line("1100", 3150, "h1"), Line("4000", -3150))
    assert accrual.kind == Kind.REMUNERATION_ACCRUED
    assert accrual.lines == (Line("5000", 473), Line("2100", -473))  # 3150 × 15% = 472.5 → 473
    assert accrual.reference["basis_period_total_fen"] == "3150"


def test_a_bill_on_the_collected_basis_accrues_nothing_until_settled() -> None:
    transactions = bill_household(
        "2025-01",
        "h1",
        3150,
        COLLECTED,
        remuneration_accrued_in_period=0,
        basis_total_in_period_before=0,
        prepaid_credit_fen=0,
    )
    assert [t.kind for t in transactions] == [Kind.FEE_BILLED]


@settings(max_examples=60)
@given(
    st.lists(
        st.tuples(st.text("abcdef0123456789-", min_size=1, max_size=12), st.integers(1, MAX_ABS_FEN)),
        max_size=20,
        unique_by=lambda bill: bill[0],
    )
)
def test_a_batch_of_bills_is_the_bills_bill_household_posts(bills: list[tuple[str, int]]) -> None:
    batch = FeeBills("2025-03", [f"bill-{h}" for h, _ in bills], [h for h, _ in bills], [fen for _, fen in bills])
    expected = [
        bill_household("2025-03", h, fen, Remuneration(), prepaid_credit_fen=0, reference={"bill_id": f"bill-{h}"})[0]
        for h, fen in bills
    ]
    assert batch.transactions() == expected
    assert [batch.movement()] == (movements(expected) or [MonthMovement("2025-03")])


@pytest.mark.parametrize(
    ("bill_ids", "households", "amounts"),
    [
        (["b1"], ["h1"], [True]),
        (["b1"], ["h1"], ["100"]),
        (["b1"], ["h1"], [1.0]),
        (["b1"], ["h1"], [0]),
        (["b1"], ["h1"], [-5]),
        (["b1"], ["h1"], [MAX_ABS_FEN + 1]),
        (["b1"], [""], [100]),
        ([""], ["h1"], [100]),
        (["b1", "b1"], ["h1", "h2"], [100, 200]),
        (["b1", "b2"], ["h1"], [100, 200]),
    ],
)
def test_a_batch_of_bills_that_is_refused(
    bill_ids: list[object], households: list[object], amounts: list[object]
) -> None:
    with pytest.raises(InvalidInput):
        FeeBills("2025-03", bill_ids, households, amounts)  # type: ignore[arg-type]


def test_a_batch_of_bills_needs_a_month() -> None:
    with pytest.raises(InvalidInput):
        FeeBills("2025-13", ["b1"], ["h1"], [100])


def test_prepaid_credit_settles_a_new_bill_and_is_collected_fee_income() -> None:
    # 781 of credit against a 4280 bill: all of it applies; collected basis 781 × 15% = 117.15 → 117.
    bill, applied, accrual = bill_household(
        "2025-02",
        "h2",
        4280,
        COLLECTED,
        remuneration_accrued_in_period=0,
        basis_total_in_period_before=0,
        prepaid_credit_fen=781,
        reference={"bill_id": "b5"},
    )
    assert applied.kind == Kind.PREPAID_APPLIED
    assert applied.lines == (Line("2000", 781, "h2"), Line("1100", -781, "h2"))
    assert applied.reference == bill.reference == {"bill_id": "b5"}
    assert accrual.lines == (Line("5000", 117), Line("2100", -117))
    # More credit than the bill: only the bill's amount applies, the rest stays prepaid.
    _, applied, _ = bill_household(
        "2025-02",
        "h2",
        3000,
        BILLED,
        remuneration_accrued_in_period=0,
        basis_total_in_period_before=0,
        prepaid_credit_fen=5000,
    )
    assert applied.amount_on("2000") == 3000


def test_remuneration_is_rounded_cumulatively_per_period() -> None:
    # Two collections of 3150 and 4219 in a period, 15%:
    #   on their own: 472.5 → 473 and 632.85 → 633, together 1106;
    #   on the period: 15% of 7369 = 1105.35 → 1105. The second accrual is share(7369) - share(3150)
    #   = 1105 - 473 = 632, so the period's accruals add up to 1105 exactly.
    first = record_payment(
        "2025-01",
        "h1",
        3150,
        Allocation([("b1", 3150)], 0),
        COLLECTED,
        remuneration_accrued_in_period=0,
        basis_total_in_period_before=0,
    )
    second = record_payment(
        "2025-01",
        "h2",
        4219,
        Allocation([("b2", 4219)], 0),
        COLLECTED,
        remuneration_accrued_in_period=473,
        basis_total_in_period_before=3150,
    )
    assert first[1].amount_on("5000") == 473
    assert second[1].amount_on("5000") == 632
    assert 473 + 632 == share(7369, 1500) == 1105


def test_stale_running_totals_are_refused() -> None:
    with pytest.raises(Conflict):
        bill_household(
            "2025-01",
            "h1",
            3150,
            BILLED,
            remuneration_accrued_in_period=400,  # 15% of 3150 is 473: the totals do not match
            basis_total_in_period_before=3150,
            prepaid_credit_fen=0,
        )


@pytest.mark.parametrize(
    "overrides",
    [
        {"amount_fen": 0},
        {"amount_fen": -1},
        {"amount_fen": 31.5},
        {"household_id": ""},
        {"period": "2025/01"},
        {"prepaid_credit_fen": -1},
    ],
)
def test_bills_that_are_refused(overrides: dict[str, object]) -> None:
    arguments: dict[str, object] = {
        "period": "2025-01",
        "household_id": "h1",
        "amount_fen": 3150,
        "terms": COLLECTED,
        "remuneration_accrued_in_period": 0,
        "basis_total_in_period_before": 0,
        "prepaid_credit_fen": 0,
    }
    arguments.update(overrides)
    with pytest.raises(InvalidInput):
        bill_household(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "terms",
    [
        {"remuneration_share_bps": 10001},
        {"remuneration_share_bps": -1},
        {"remuneration_basis": "invoiced"},
    ],
)
def test_impossible_remuneration_terms_are_refused(terms: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        Remuneration(**terms)  # type: ignore[arg-type]


def test_payments_settle_the_oldest_bills_first_and_the_rest_is_prepaid() -> None:
    bills = [
        OpenBill("b-march", "2025-03", 3150, date(2025, 3, 1)),
        OpenBill("b-jan-late", "2025-01", 500, date(2025, 1, 20)),
        OpenBill("b-jan-z", "2025-01", 100, date(2025, 1, 1)),
        OpenBill("b-jan-a", "2025-01", 200, date(2025, 1, 1)),
        OpenBill("b-paid", "2024-12", 0, date(2024, 12, 1)),
    ]
    assert allocate_payment(650, bills) == Allocation([("b-jan-a", 200), ("b-jan-z", 100), ("b-jan-late", 350)], 0)
    assert allocate_payment(5000, bills) == Allocation(
        [("b-jan-a", 200), ("b-jan-z", 100), ("b-jan-late", 500), ("b-march", 3150)], 1050
    )
    assert allocate_payment(99, []) == Allocation([], 99)
    for bad in (0, -5):
        with pytest.raises(InvalidInput):
            allocate_payment(bad, bills)
    with pytest.raises(InvalidInput):
        allocate_payment(100, [bills[0], bills[0]])
    with pytest.raises(InvalidInput):
        OpenBill("b", "2025-01", -1, date(2025, 1, 1))
    with pytest.raises(InvalidInput):
        OpenBill("b", "2025-01", 1, datetime(2025, 1, 1, 8, 0))  # a calendar day, not a timestamp


def test_a_payment_posts_cash_settled_bills_and_prepaid_credit() -> None:
    allocation = Allocation([("b3", 4219)], 781)
    payment, accrual = record_payment(
        "2025-01",
        "h2",
        5000,
        allocation,
        COLLECTED,
        remuneration_accrued_in_period=0,
        basis_total_in_period_before=0,
        reference={"receipt": "R-0001"},
    )
    assert payment.kind == Kind.PAYMENT_RECEIVED
    assert payment.lines == (Line("1000", 5000), Line("1100", -4219, "h2"), Line("2000", -781, "h2"))
    assert payment.reference == {"allocated:b3": "4219", "to_prepaid": "781", "receipt": "R-0001"}
    assert accrual.lines == (Line("5000", 633), Line("2100", -633))  # 4219 × 15% = 632.85; prepaid not fees yet
    # Billed basis: remuneration accrued when billed, nothing when paid.
    assert (
        len(
            record_payment(
                "2025-01",
                "h2",
                5000,
                allocation,
                BILLED,
                remuneration_accrued_in_period=0,
                basis_total_in_period_before=0,
            )
        )
        == 1
    )


@pytest.mark.parametrize(
    "allocation",
    [
        Allocation([("b1", 100)], 0),  # does not add up to 5000
        Allocation([("b1", 5000)], 1),
        Allocation([("b1", 0)], 5000),
        Allocation([("b1", 2500), ("b1", 2500)], 0),
        Allocation([("b1", 5001)], -1),
        Allocation([("", 5000)], 0),
    ],
)
def test_allocations_that_are_refused(allocation: Allocation) -> None:
    with pytest.raises(InvalidInput):
        record_payment(
            "2025-01",
            "h1",
            5000,
            allocation,
            COLLECTED,
            remuneration_accrued_in_period=0,
            basis_total_in_period_before=0,
        )


def test_a_reference_may_not_overwrite_the_allocation() -> None:
    with pytest.raises(InvalidInput):
        record_payment(
            "2025-01",
            "h1",
            5000,
            Allocation([], 5000),
            COLLECTED,
            remuneration_accrued_in_period=0,
            basis_total_in_period_before=0,
            reference={"to_prepaid": "0"},
        )


@pytest.mark.parametrize(
    ("kind", "account"), [("parking", "4100"), ("advertising", "4110"), ("venue_rent", "4120"), ("other", "4190")]
)
def test_common_income_goes_to_the_trust_fund(kind: str, account: str) -> None:
    transaction = record_common_income("2025-01", kind, 20000)
    assert transaction.kind == Kind.COMMON_INCOME
    assert transaction.lines == (Line("1000", 20000), Line(account, -20000))


def test_common_income_and_expenses_that_are_refused() -> None:
    for kind, amount in (("lottery", 100), ("parking", 0), ("parking", -100)):
        with pytest.raises(InvalidInput):
            record_common_income("2025-01", kind, amount)
    for line, amount in (("5000", 100), ("4100", 100), ("5100", 0)):
        with pytest.raises(InvalidInput):
            record_expense("2025-01", line, amount)
    assert record_expense("2025-01", "5100", 15000).lines == (Line("5100", 15000), Line("1000", -15000))


def test_closing_a_period_declares_the_donation_out_of_the_remuneration() -> None:
    # 30% of 1105 = 331.5 → 332.
    (donation,) = close_period("2025-01", 1105, 3000)
    assert donation.kind == Kind.DONATION_DECLARED
    assert donation.lines == (Line("2100", 332), Line("2200", -332))
    assert close_period("2025-01", 0, 3000) == []
    assert close_period("2025-01", 1, 3000) == []  # 0.3 → 0
    assert close_period("2025-01", 1105, 0) == []
    # A period whose corrections made its remuneration negative gets the negative donation.
    (negative,) = close_period("2025-02", -473, 3000)
    assert negative.lines == (Line("2100", -142), Line("2200", 142))  # 141.9 → 142


def test_ageing_buckets_by_days_since_billing() -> None:
    as_of = date(2025, 7, 1)

    def billed(days_ago: int, fen: int) -> OpenBill:
        return OpenBill(f"b{days_ago}", "2025-01", fen, as_of - timedelta(days=days_ago))

    bills = [
        billed(0, 1),
        billed(30, 2),
        billed(31, 4),
        billed(90, 8),
        billed(91, 16),
        billed(180, 32),
        billed(181, 64),
        billed(400, 128),
        billed(-2, 256),  # dated after as_of: not aged yet
    ]
    assert ageing(bills, as_of) == {"0-30": 1 + 2 + 256, "31-90": 4 + 8, "91-180": 16 + 32, ">180": 64 + 128}
    assert ageing([], as_of) == {"0-30": 0, "31-90": 0, "91-180": 0, ">180": 0}


def test_collection_rate() -> None:
    assert collection_rate_bps(7369, 9655) == 7632  # 76.3231…%
    assert collection_rate_bps(1, 3) == 3333
    assert collection_rate_bps(2, 3) == 6667
    assert collection_rate_bps(11580, 9793) == 11825  # arrears collected: above 100%
    assert collection_rate_bps(500, 0) == 0
    assert collection_rate_bps(0, 0) == 0


# --- reversals ----------------------------------------------------------------------------------


def test_reversing_a_payment_reverses_its_remuneration_on_the_period_of_the_correction() -> None:
    book = FakeBook(COLLECTED, 3000, "2025-01")
    book.bill("h1", 3150, date(2025, 1, 1))
    _, (payment, _) = book.pay("h1", 3150)
    book.close()
    payment_id = next(i for i, (t, _) in book.entries.items() if t == payment)
    # February: 4219 collected (accrual 633), then January's payment of 3150 is reversed:
    # the February basis becomes 4219 - 3150 = 1069 → 160.35 → 160; adjustment 160 - 633 = -473.
    book.bill("h2", 4219, date(2025, 2, 1))
    book.pay("h2", 4219)
    undo, adjustment = book.reverse(payment_id)
    assert undo.reverses == payment_id and undo.period == "2025-02"
    assert undo.lines == (Line("1000", -3150), Line("1100", 3150, "h1"))
    assert adjustment.lines == (Line("5000", -473), Line("2100", 473))
    assert book.receivable("h1") == 3150
    assert book.open_bills("h1")[0].due_fen_remaining == 3150
    assert sum(t.amount_on("5000") for t in book.in_period("2025-02")) == share(1069, 1500) == 160


def test_reversals_that_are_refused() -> None:
    book = FakeBook(COLLECTED, 3000, "2025-01")
    book.bill("h1", 1000, date(2025, 1, 1))
    _, (payment, accrual) = book.pay("h1", 3000)  # 1000 to the bill, 2000 prepaid
    payment_id, accrual_id = (i for i, (t, _) in book.entries.items() if t in (payment, accrual))
    (donation,) = book.close()
    donation_id = next(i for i, (t, _) in book.entries.items() if t == donation)
    # The prepaid 2000 is used by February's bill: reversing the payment would leave -2000 of credit.
    book.bill("h1", 2500, date(2025, 2, 1))
    with pytest.raises(Conflict, match="prepaid"):
        book.reverse(payment_id)
    # February's bill is partly settled by the prepaid credit: it cannot be reversed before that is.
    february_bill_id = next(
        i for i, (t, _) in book.entries.items() if t.kind == Kind.FEE_BILLED and t.period == "2025-02"
    )
    with pytest.raises(Conflict, match="settled"):
        book.reverse(february_bill_id)
    february_bill = book.entries[february_bill_id][0]
    arguments: dict[str, object] = {
        "original": february_bill,
        "original_id": february_bill_id,
        "period": "2025-02",
        "memo": "x",
        "terms": COLLECTED,
        "remuneration_accrued_in_period": 300,
        "basis_total_in_period_before": 2000,
        "household_balances": {"h1": HouseholdBalance(receivable_fen=500, prepaid_fen=0)},
    }
    with pytest.raises(InvalidInput):  # a bill's reversal needs what is still due on it
        reverse_entry(**arguments)  # type: ignore[arg-type]
    # Whatever the caller says of the bill, the household's sub-ledger cannot go below zero.
    with pytest.raises(Conflict, match="owing"):
        reverse_entry(**arguments, bill_due_fen_remaining=2500)  # type: ignore[arg-type]
    # Undo the prepaid application, then the bill can go.
    applied_id = next(i for i, (t, _) in book.entries.items() if t.kind == Kind.PREPAID_APPLIED)
    book.reverse(applied_id)
    assert book.prepaid("h1") == 2000
    book.reverse(february_bill_id)
    assert (book.receivable("h1"), book.prepaid("h1")) == (0, 2000)
    for derived in (accrual_id, donation_id):
        with pytest.raises(InvalidInput):
            book.reverse(derived)
    common = record_common_income("2025-02", "parking", 100)
    (common_id,) = book.post([common])
    undo, *_ = book.reverse(common_id)
    with pytest.raises(InvalidInput):
        reverse_entry(
            undo,
            "t100",
            "2025-02",
            "x",
            COLLECTED,
            remuneration_accrued_in_period=0,
            basis_total_in_period_before=0,
            household_balances={},
        )


# --- worked examples, computed by hand ----------------------------------------------------------


def test_the_worked_example_of_the_brief() -> None:
    """An estate collects 100,000.00 CNY of fees in a month.

    remuneration = 100,000.00 × 15% = 15,000.00 CNY = 1,500,000 fen
    donation     =  15,000.00 × 30% =  4,500.00 CNY =   450,000 fen, out of the firm's remuneration
    available    = 100,000.00 - 15,000.00 = 85,000.00 CNY = 8,500,000 fen for the adopted budget
    the firm keeps 15,000.00 - 4,500.00 = 10,500.00 CNY
    """
    book = FakeBook(COLLECTED, 3000, "2025-03")
    for household in ("h1", "h2", "h3", "h4"):  # four bills of 25,000.00, all paid
        book.bill(household, 2_500_000, date(2025, 3, 1))
        book.pay(household, 2_500_000)
    book.close()
    march = book.statement("2025-03")
    assert march.fees_collected_fen == 10_000_000
    assert march.remuneration_fen == 1_500_000
    assert march.donation_fen == 450_000
    assert march.fees_collected_fen - march.remuneration_fen == 8_500_000
    assert book.account("2100") == -1_050_000  # payable to the firm
    assert book.account("2200") == -450_000  # payable to the community micro-fund
    assert march.collection_rate_bps == 10000
    assert march.closing_balance_fen == 10_000_000


def test_three_households_over_two_months_at_two_rates() -> None:
    """90 m², 120.55 m² and 65.3 m² at 0.35 CNY in January and 0.355 CNY in February.

    Collected basis, remuneration 15%, donation 30%, no cash at the start of the year.
    """
    book = FakeBook(COLLECTED, 3000, "2025-01")
    areas = {"a": 9000, "b": 12055, "c": 6530}

    # January, 35 fen per m²: 90 × 35 = 3150; 120.55 × 35 = 4219.25 → 4219; 65.3 × 35 = 2285.5 → 2286.
    january = {h: bill_amount(area, Decimal("35")) for h, area in areas.items()}
    assert january == {"a": 3150, "b": 4219, "c": 2286}  # billed 9655
    for h in areas:
        book.bill(h, january[h], date(2025, 1, 1))
    _, (_, accrual_a) = book.pay("a", 3150)  # 15% of 3150 = 472.5 → 473
    allocation_b, (_, accrual_b) = book.pay("b", 5000)  # 4219 settles the bill, 781 is prepaid
    assert allocation_b == Allocation([("b2", 4219)], 781)
    assert accrual_a.amount_on("5000") == 473
    assert accrual_b.amount_on("5000") == 632  # 15% of 7369 = 1105.35 → 1105; 1105 - 473 = 632
    book.post([record_common_income("2025-01", "parking", 20000)])  # 200.00
    book.post([record_expense("2025-01", "5100", 15000, memo="cleaning")])  # 150.00
    (donation,) = book.close()
    assert donation.amount_on("2200") == -332  # 30% of 1105 = 331.5 → 332

    assert book.statement("2025-01") == statement_of(
        "2025-01",
        opening=0,
        billed=9655,
        collected=7369,  # 3150 + 4219
        rate=7632,  # 7369 / 9655 = 76.323…%
        parking=20000,
        expenses={"5100": 15000},
        remuneration=1105,
        donation=332,
        closing=13150,  # 3150 + 5000 + 20000 - 15000
        surplus=13550,  # income 9655 + 20000 - expenses 1105 - 15000
    )

    # February, 35.5 fen per m²: 90 × 35.5 = 3195; 120.55 × 35.5 = 4279.525 → 4280; 65.3 × 35.5 = 2318.15 → 2318.
    february = {h: bill_amount(area, Decimal("35.5")) for h, area in areas.items()}
    assert february == {"a": 3195, "b": 4280, "c": 2318}  # billed 9793
    book.bill("a", 3195, date(2025, 2, 1))
    _, (_, applied, accrual) = book.bill("b", 4280, date(2025, 2, 1))
    assert applied.amount_on("2000", "b") == 781  # b's prepaid settles part of its bill
    assert accrual.amount_on("5000") == 117  # 15% of 781 = 117.15 → 117
    book.bill("c", 2318, date(2025, 2, 1))
    allocation_c, (_, accrual) = book.pay("c", 4604)  # January's arrears first, then February
    assert allocation_c == Allocation([("b3", 2286), ("b6", 2318)], 0)
    assert accrual.amount_on("5000") == 691  # basis 781 + 4604 = 5385 → 807.75 → 808; 808 - 117
    _, (_, accrual) = book.pay("a", 3195)
    assert accrual.amount_on("5000") == 479  # basis 8580 → 1287.0; 1287 - 808
    _, (_, accrual) = book.pay("b", 3000)  # part of the 4280 - 781 = 3499 due
    assert accrual.amount_on("5000") == 450  # basis 11580 → 1737.0; 1737 - 1287
    (donation,) = book.close()
    assert donation.amount_on("2200") == -521  # 30% of 1737 = 521.1 → 521

    assert book.statement("2025-02") == statement_of(
        "2025-02",
        opening=13150,
        billed=9793,  # 3195 + 4280 + 2318
        collected=11580,  # 781 + 4604 + 3195 + 3000
        rate=11825,  # 11580 / 9793 = 118.2477…%: January's arrears were collected too
        parking=0,
        expenses={},
        remuneration=1737,  # 117 + 691 + 479 + 450
        donation=521,
        closing=23949,  # 13150 + 4604 + 3195 + 3000
        surplus=21606,  # income 9655 + 20000 + 9793 = 39448, expenses 1105 + 15000 + 1737 = 17842
    )
    assert book.account("1000") == 23949
    assert book.account("2100") == -(1105 + 1737 - 332 - 521)  # 1989 owed to the firm
    assert book.account("2200") == -(332 + 521)  # 853 owed to the micro-fund
    assert {h: book.receivable(h) for h in areas} == {"a": 0, "b": 499, "c": 0}  # 3499 - 3000
    assert {h: book.prepaid(h) for h in areas} == {"a": 0, "b": 0, "c": 0}
    # b's February bill was billed on 1 February: 58 days old on 31 March.
    assert ageing(book.open_bills("b"), date(2025, 3, 31)) == {"0-30": 0, "31-90": 499, "91-180": 0, ">180": 0}


def statement_of(
    period: str,
    *,
    opening: int,
    billed: int,
    collected: int,
    rate: int,
    parking: int,
    expenses: dict[str, int],
    remuneration: int,
    donation: int,
    closing: int,
    surplus: int,
) -> MonthlyStatement:
    return MonthlyStatement(
        period=period,
        opening_balance_fen=opening,
        fees_billed_fen=billed,
        fees_collected_fen=collected,
        collection_rate_bps=rate,
        common_income_by_kind={"parking": parking, "advertising": 0, "venue_rent": 0, "other": 0},
        expenses_by_budget_line=expenses,
        remuneration_fen=remuneration,
        donation_fen=donation,
        closing_balance_fen=closing,
        surplus_year_to_date_fen=surplus,
    )


def test_a_statement_refuses_transactions_outside_its_year_to_date() -> None:
    transaction = record_common_income("2025-03", "parking", 100)
    for posted in ("2025-04", "2024-12"):
        with pytest.raises(InvalidInput):
            statement("2025-03", [(transaction, posted)], 0)


def test_the_statement_nets_reversals() -> None:
    book = FakeBook(BILLED, 3000, "2025-01")
    bill_id, (bill, _) = book.bill("h1", 3150, date(2025, 1, 2))
    bill_tx_id = next(i for i, (t, _) in book.entries.items() if t == bill)
    (expense_id,) = book.post([record_expense("2025-01", "5200", 900)])
    book.reverse(expense_id)
    book.reverse(bill_tx_id)
    january = book.statement("2025-01")
    assert january.fees_billed_fen == 0
    assert january.remuneration_fen == 0
    assert january.expenses_by_budget_line == {"5200": 0}
    assert january.closing_balance_fen == 0
    assert book.bills[bill_id].cancelled


# --- the property: nothing can drift ------------------------------------------------------------

HOUSEHOLDS = ("h1", "h2", "h3")
BPS = st.one_of(st.sampled_from([0, 1, 1500, 3000, 3333, 5000, 9999, 10000]), st.integers(0, 10000))
FEN = st.integers(1, 500_000)


class TrustBooksMachine(RuleBasedStateMachine):
    """Random sequences of bills, payments, common income, expenses, reversals and closes."""

    book: FakeBook

    @initialize(
        basis=st.sampled_from(["collected", "billed"]),
        remuneration_bps=BPS,
        donation_bps=BPS,
        start=st.sampled_from(["2024-11", "2025-01", "2025-12"]),
    )
    def open_books(self, basis: str, remuneration_bps: int, donation_bps: int, start: str) -> None:
        self.book = FakeBook(Remuneration(remuneration_bps, basis), donation_bps, start)
        # What the fees moved the remuneration basis by, per period, as the model sees it.
        self.billed: Counter[str] = Counter()
        self.collected: Counter[str] = Counter()

    @property
    def bps(self) -> int:
        return self.book.terms.remuneration_share_bps

    @rule(household=st.sampled_from(HOUSEHOLDS), amount=FEN, day=st.integers(0, 27))
    def bill(self, household: str, amount: int, day: int) -> None:
        period = self.book.period
        billed_on = date(int(period[:4]), int(period[5:]), 1) + timedelta(days=day)
        _, transactions = self.book.bill(household, amount, billed_on)
        self.billed[period] += amount
        self.collected[period] += sum(t.amount_on("2000") for t in transactions if t.kind == Kind.PREPAID_APPLIED)

    @rule(household=st.sampled_from(HOUSEHOLDS), amount=FEN)
    def pay(self, household: str, amount: int) -> None:
        due = sum(bill.due_fen_remaining for bill in self.book.open_bills(household))
        allocation, _ = self.book.pay(household, amount)
        assert allocation.allocated_fen == min(amount, due)
        self.collected[self.book.period] += allocation.allocated_fen

    @rule(kind=st.sampled_from(["parking", "advertising", "venue_rent", "other"]), amount=FEN)
    def common_income(self, kind: str, amount: int) -> None:
        self.book.post([record_common_income(self.book.period, kind, amount)])

    @rule(line=st.sampled_from(["5100", "5210", "5999"]), amount=FEN)
    def expense(self, line: str, amount: int) -> None:
        self.book.post([record_expense(self.book.period, line, amount)])

    @precondition(lambda self: bool(self.book.entries))
    @rule(data=st.data())
    def reverse(self, data: st.DataObject) -> None:
        candidates = [
            i
            for i, (t, _) in self.book.entries.items()
            if i not in self.book.reversed
            and t.reverses is None
            and t.kind not in (Kind.REMUNERATION_ACCRUED, Kind.DONATION_DECLARED)
        ]
        if not candidates:
            return
        transaction_id = data.draw(st.sampled_from(candidates))
        original, _ = self.book.entries[transaction_id]
        try:
            self.book.reverse(transaction_id)
        except Conflict:
            event(f"refused: reversal of {original.kind}")
            return  # a bill something settled, or prepaid credit already spent
        event(f"reversed {original.kind}")
        period = self.book.period
        if original.kind == Kind.FEE_BILLED:
            self.billed[period] -= -original.amount_on("4000")
        elif original.kind in (Kind.PAYMENT_RECEIVED, Kind.PREPAID_APPLIED):
            self.collected[period] -= -original.amount_on("1100")

    @rule()
    def close(self) -> None:
        self.book.close()

    # invariants, after every step --------------------------------------------------------
    @invariant()
    def every_transaction_balances(self) -> None:
        for transaction, posted in self.book.entries.values():
            assert sum(line.amount_fen for line in transaction.lines) == 0
            assert all(line.amount_fen != 0 for line in transaction.lines)
            assert transaction.period == posted

    @invariant()
    def the_books_sum_to_zero_and_match_their_lines(self) -> None:
        assert sum(self.book.balances.values()) == 0
        from_lines: Counter[tuple[str, str | None]] = Counter()
        for transaction, _ in self.book.entries.values():
            for line in transaction.lines:
                from_lines[(line.account, line.household_id)] += line.amount_fen
        assert {k: v for k, v in from_lines.items() if v} == {k: v for k, v in self.book.balances.items() if v}

    @invariant()
    def households_never_owe_less_than_nothing(self) -> None:
        for household in HOUSEHOLDS:
            assert self.book.receivable(household) >= 0
            assert self.book.prepaid(household) >= 0
            # The sub-ledger is the household's open bills, and ageing accounts for all of it.
            open_bills = self.book.open_bills(household)
            assert self.book.receivable(household) == sum(bill.due_fen_remaining for bill in open_bills)
            assert sum(ageing(open_bills, date(2030, 1, 1)).values()) == self.book.receivable(household)

    @invariant()
    def remuneration_is_exactly_the_share_of_each_period(self) -> None:
        basis = self.billed if self.book.terms.remuneration_basis == "billed" else self.collected
        for period in {posted for _, posted in self.book.entries.values()}:
            in_period = self.book.in_period(period)
            accrued = sum(t.amount_on("5000") for t in in_period)
            assert accrued == share(basis[period], self.bps)
            assert (
                sum(remuneration_basis_delta(t, self.book.terms.remuneration_basis) for t in in_period) == basis[period]
            )

    @invariant()
    def donations_are_exactly_the_share_of_each_closed_period(self) -> None:
        for period in self.book.closed:
            in_period = self.book.in_period(period)
            remuneration = sum(t.amount_on("5000") for t in in_period)
            donation = -sum(t.amount_on("2200") for t in in_period)
            assert donation == share(remuneration, self.book.donation_bps)

    @invariant()
    def the_statement_agrees_with_the_books(self) -> None:
        period = self.book.period
        current = self.book.statement(period)
        assert current.closing_balance_fen == self.book.account("1000")
        assert current.fees_billed_fen == self.billed[period]
        assert current.fees_collected_fen == self.collected[period]
        assert current.remuneration_fen == sum(t.amount_on("5000") for t in self.book.in_period(period))
        assert current.closing_balance_fen - current.opening_balance_fen == sum(
            t.amount_on("1000") for t in self.book.in_period(period)
        )

    @invariant()
    def the_announced_movements_sum_to_the_statement(self) -> None:
        period = self.book.period
        current = self.book.statement(period)
        in_period = [moved for moved in self.book.moved if moved.period == period]
        year_to_date = [moved for moved in self.book.moved if moved.period[:4] == period[:4] and moved.period <= period]
        assert sum(moved.fees_billed_fen for moved in in_period) == current.fees_billed_fen
        assert sum(moved.fees_collected_fen for moved in in_period) == current.fees_collected_fen
        assert sum(moved.surplus_fen for moved in year_to_date) == current.surplus_year_to_date_fen
        by_line: Counter[str] = Counter()
        for moved in in_period:
            by_line.update(moved.budget_lines)
        spent = {line: fen for line, fen in current.expenses_by_budget_line.items() if fen}  # net of reversals
        assert {line: fen for line, fen in by_line.items() if fen} == spent


TrustBooksMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
TestTrustBooksNeverDrift = TrustBooksMachine.TestCase
