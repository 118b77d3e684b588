"""Other services' postings checked as a batch (``ServicePostings``) against the rules one
:class:`Transaction` at a time holds them to: the same items accepted, the same reasons refused, the
same entries and the same movement of the month."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger_service.domain.postings import MANAGED_ACCOUNTS, MAX_ENTRY_FEN, Line, Transaction
from ledger_service.domain.trust_books import (
    OWN_KINDS,
    SERVICE_KIND,
    MonthMovement,
    ServiceLine,
    ServicePostings,
    movements,
    service_posting_refusal,
)
from xinyi_shared.errors import InvalidInput

PERIOD = "2025-03"
OPEN = frozenset({"1000", "4100", "4190", "5100", "5210", "3000"})


def one_at_a_time(kind: str, memo: str, lines: list[ServiceLine], opened: frozenset[str]) -> Transaction | str:
    """The rules as a Transaction applies them, one item at a time (the reference the batch must equal)."""
    if SERVICE_KIND.fullmatch(kind) is None or kind in OWN_KINDS:
        return "kind must be lower-case words, and not one the ledger posts by itself"
    if any(account in MANAGED_ACCOUNTS for account, _, _ in lines):
        return f"accounts {', '.join(sorted(MANAGED_ACCOUNTS))} are posted only by the ledger's own rules"
    for _, amount, _ in lines:
        if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < abs(amount) <= MAX_ENTRY_FEN:
            return f"a line's amount is a whole number of fen, not 0, at most {MAX_ENTRY_FEN} either way"
    try:
        transaction = Transaction(kind=kind, period=PERIOD, lines=tuple(Line(*line) for line in lines), memo=memo[:200])
    except InvalidInput as error:
        return error.reason
    missing = sorted({line.account for line in transaction.lines} - opened)
    if missing:
        return (
            f"account(s) {', '.join(missing)} are not open in this estate's books "
            "(budget lines open with an adopted budget)"
        )
    return transaction


accounts = st.sampled_from(["1000", "4100", "4190", "5100", "5210", "5999", "3000", "1100", "2000", "9999", "51x0"])
amounts = st.one_of(
    st.integers(-MAX_ENTRY_FEN - 2, MAX_ENTRY_FEN + 2), st.sampled_from([0, 1, -1, MAX_ENTRY_FEN, -MAX_ENTRY_FEN])
)
lines = st.lists(st.tuples(accounts, amounts, st.sampled_from([None, None, None, "h1"])), max_size=4)
balanced = st.builds(
    lambda debit, credit, fen: [(debit, fen, None), (credit, -fen, None)],
    st.sampled_from(["1000", "5100", "5210"]),
    st.sampled_from(["4100", "4190", "1000", "3000"]),
    st.integers(1, MAX_ENTRY_FEN),
)
items = st.lists(
    st.tuples(
        st.sampled_from(["materials", "grant_paid", "expense", "fee_billed", "payment_received", "ab", "Bad", "x_y\n"]),
        st.text(max_size=260).map(lambda memo: memo if len(memo) % 7 else memo + "\x00"),
        st.one_of(balanced, lines),
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(items=items)
def test_a_batch_accepts_and_refuses_what_one_transaction_at_a_time_would(
    items: list[tuple[str, str, list[ServiceLine]]],
) -> None:
    reasons = [service_posting_refusal(kind, memo, lines, OPEN) for kind, memo, lines in items]
    expected = [one_at_a_time(kind, memo, lines, OPEN) for kind, memo, lines in items]
    assert reasons == [reason if isinstance(reason, str) else None for reason in expected]
    kept = [item for item, reason in zip(items, reasons, strict=True) if reason is None]
    batch = ServicePostings(PERIOD, [k for k, _, _ in kept], [m for _, m, _ in kept], [lines for _, _, lines in kept])
    accepted = [transaction for transaction in expected if isinstance(transaction, Transaction)]
    assert batch.transactions() == accepted
    assert [batch.movement()] == (movements(accepted) or [MonthMovement(PERIOD)])


def test_an_expense_batch_moves_its_budget_lines_and_income_its_income() -> None:
    batch = ServicePostings(
        PERIOD,
        ["materials", "expense", "grant_received"],
        ["pipes", "cleaning", ""],
        [
            [("5100", 1200, None), ("1000", -1200, None)],
            [("5210", 800, None), ("1000", -800, None)],
            [("1000", 500, None), ("4190", -500, None)],
        ],
    )
    moved = batch.movement()
    assert (moved.expenses_fen, moved.income_fen, moved.transactions) == (2000, 500, 3)
    assert moved.budget_lines == {"5100": 1200, "5210": 800}


def test_a_memo_is_cut_to_two_hundred_characters() -> None:
    (transaction,) = ServicePostings(
        PERIOD, ["materials"], ["m" * 250], [[("5100", 1, None), ("1000", -1, None)]]
    ).transactions()
    assert transaction.memo == "m" * 200


@pytest.mark.parametrize(
    ("kinds", "memos", "lines"),
    [
        (["materials"], ["memo"], [[("5100", 1, None), ("1000", -2, None)]]),  # unbalanced
        (["materials"], ["memo"], [[("1100", 1, "h1"), ("1000", -1, None)]]),  # the ledger's own account
        (["fee_billed"], ["memo"], [[("5100", 1, None), ("1000", -1, None)]]),  # the ledger's own kind
        (["materials"], ["memo"], [[("5100", True, None), ("1000", -1, None)]]),  # not a number of fen
        (["materials"], ["a\x00b"], [[("5100", 1, None), ("1000", -1, None)]]),
        (["materials", "grants"], ["memo"], [[("5100", 1, None), ("1000", -1, None)]]),  # columns of two lengths
    ],
)
def test_a_batch_holding_a_refused_transaction_cannot_be_made(
    kinds: list[str], memos: list[str], lines: list[list[ServiceLine]]
) -> None:
    with pytest.raises(InvalidInput):
        ServicePostings(PERIOD, kinds, memos, lines)


def test_accounts_not_open_are_refused_only_when_the_open_accounts_are_known() -> None:
    lines: list[ServiceLine] = [("5300", 100, None), ("1000", -100, None)]
    assert service_posting_refusal("materials", "", lines) is None
    reason = service_posting_refusal("materials", "", lines, OPEN)
    assert reason is not None and reason.startswith("account(s) 5300 are not open")
