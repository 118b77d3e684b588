"""记账 — the double-entry model of the trust books.

A :class:`Transaction` is a set of :class:`Line` s that sum to exactly zero fen: positive amounts are
debits, negative amounts are credits. Transactions are append-only: nothing is ever edited or
deleted, a mistake is corrected by a :func:`reversal` (every line negated) and, when needed, a new
correct transaction.

Accounts are the codes of the standard chart (``books.STANDARD_CHART``) plus the expense budget
lines 5100-5999 an adopted budget opens. Receivable (1100) and prepaid (2000) lines always name the
household they belong to, so each household's sub-ledger sums to its control account; no other
account takes a household.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from ledger_service.domain.books import STANDARD_CHART
from xinyi_shared.errors import InvalidInput

CASH = "1000"
RECEIVABLE = "1100"
PREPAID = "2000"
REMUNERATION_PAYABLE = "2100"
DONATION_PAYABLE = "2200"
EXPENSES_PAYABLE = "2300"
SURPLUS = "3000"
FEE_INCOME = "4000"
REMUNERATION = "5000"

HOUSEHOLD_ACCOUNTS = frozenset({RECEIVABLE, PREPAID})
"""Accounts whose lines carry a household (the household sub-ledgers); no other account does."""

MANAGED_ACCOUNTS = frozenset(
    {RECEIVABLE, PREPAID, REMUNERATION_PAYABLE, DONATION_PAYABLE, EXPENSES_PAYABLE, FEE_INCOME, REMUNERATION}
)
"""Accounts only the ledger's own rules post to: fees, household sub-ledgers, remuneration, donation,
approved expenses."""

CHART_CODES = frozenset(account.code for account in STANDARD_CHART)

MAX_ENTRY_FEN = 10**10
"""Largest amount a caller may enter (a payment, an income, a posting line): 100 million yuan.
Bounded so that every sum of entries — balances, totals, statements — stays far inside the signed
64-bit integers the database, gRPC and JSON readers use (9.2 × 10^8 maximal entries to overflow)."""

MAX_ABS_FEN = 10**12
"""Largest amount a line may carry, derived lines (a month's remuneration accrual) included."""

_BUDGET_LINE = re.compile(r"5[1-9][0-9]{2}")
_PERIOD = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


def is_budget_line(code: str) -> bool:
    """An expense budget line of an adopted budget: 5100 to 5999 (5000 is the firm's remuneration)."""
    return isinstance(code, str) and _BUDGET_LINE.fullmatch(code) is not None


def is_known_account(code: str) -> bool:
    return isinstance(code, str) and (code in CHART_CODES or is_budget_line(code))


def check_period(period: str) -> str:
    """A books period is a month written ``YYYY-MM`` (``2025-01``); anything else is InvalidInput."""
    if not isinstance(period, str) or not _is_period(period):
        raise InvalidInput(f"a period is a month written YYYY-MM, not {period!r}")
    return period


@lru_cache(maxsize=1024)
def _is_period(text: str) -> bool:
    # Remembered: billing checks the same month several times for each of a chunk's thousands of bills.
    return _PERIOD.fullmatch(text) is not None


@dataclass(frozen=True)
class Line:
    """One side of a transaction: ``amount_fen`` > 0 debits ``account``, < 0 credits it, never 0."""

    account: str
    amount_fen: int
    household_id: str | None = None

    def __post_init__(self) -> None:
        if not is_known_account(self.account):
            raise InvalidInput(f"unknown account {self.account!r}")
        if isinstance(self.amount_fen, bool) or not isinstance(self.amount_fen, int):
            raise InvalidInput("an amount is a whole number of fen")
        if self.amount_fen == 0:
            raise InvalidInput("a line cannot be zero")
        if abs(self.amount_fen) > MAX_ABS_FEN:
            raise InvalidInput("an amount is too large")
        if self.account in HOUSEHOLD_ACCOUNTS:
            if not isinstance(self.household_id, str) or not self.household_id:
                raise InvalidInput(f"a line on account {self.account} must name its household")
        elif self.household_id is not None:
            raise InvalidInput(f"account {self.account} has no household sub-ledger")


@dataclass(frozen=True)
class Transaction:
    """A balanced, immutable set of lines posted in one period.

    ``period`` is the books period (``YYYY-MM``) the transaction is posted in; ``reverses`` is the
    id of the transaction this one reverses; ``reference`` holds string facts about the entry (a
    bill id, a receipt or voucher number, how a payment was allocated). Refused (InvalidInput):
    fewer than two lines, lines that do not sum to zero, zero amounts, unknown accounts, a malformed
    period, an empty kind.
    """

    kind: str
    period: str
    lines: tuple[Line, ...]
    memo: str = ""
    reverses: str | None = None
    reference: dict[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.kind, str) or not self.kind:
            raise InvalidInput("a transaction needs a kind")
        object.__setattr__(self, "kind", str(self.kind))  # a StrEnum member is stored as its plain value
        check_period(self.period)
        lines = tuple(self.lines)
        object.__setattr__(self, "lines", lines)
        if not all(isinstance(line, Line) for line in lines):
            raise InvalidInput("a transaction is made of lines")
        if len(lines) < 2:
            raise InvalidInput("a transaction has at least two lines")
        for line in lines:
            # Lines are checked when built; a line changed behind the frozen dataclass's back is not.
            Line(line.account, line.amount_fen, line.household_id)
        total = sum(line.amount_fen for line in lines)
        if total != 0:
            raise InvalidInput(f"a transaction must balance: debits and credits differ by {total} fen")
        if not isinstance(self.memo, str):
            raise InvalidInput("a memo is text")
        if "\x00" in self.memo:
            raise InvalidInput("a memo cannot hold a NUL character")
        if self.reverses is not None and (not isinstance(self.reverses, str) or not self.reverses):
            raise InvalidInput("a reversal names the transaction it reverses")
        reference = dict(self.reference)  # a copy: the caller's dict cannot change a posted entry
        if not all(isinstance(key, str) and isinstance(value, str) for key, value in reference.items()):
            raise InvalidInput("reference keys and values are text")
        object.__setattr__(self, "reference", reference)

    def amount_on(self, account: str, household_id: str | None = None) -> int:
        """Net fen of this transaction on ``account`` (for one household when given): debits positive."""
        return sum(
            line.amount_fen
            for line in self.lines
            if line.account == account and (household_id is None or line.household_id == household_id)
        )


def reversal(original: Transaction, original_id: str, period: str, memo: str) -> Transaction:
    """The transaction that cancels ``original``: same kind and reference, every line negated.

    Posted in ``period`` (the open period the correction is made in, not necessarily the original's)
    with ``reverses=original_id``. This is the bare reversal; ``trust_books.reverse_entry`` adds
    the remuneration adjustment and the sub-ledger checks a reversal of a fee entry needs.
    """
    if not isinstance(original_id, str) or not original_id:
        raise InvalidInput("a reversal names the transaction it reverses")
    return Transaction(
        kind=original.kind,
        period=period,
        lines=tuple(Line(line.account, -line.amount_fen, line.household_id) for line in original.lines),
        memo=memo,
        reverses=original_id,
        reference=dict(original.reference),
    )
