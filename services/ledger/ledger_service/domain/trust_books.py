"""信托账本规则 — the rules that turn an estate's business into balanced transactions.

Every function here is pure: it takes what the caller read from the books and returns
:class:`~ledger_service.domain.postings.Transaction` objects, which the caller persists together,
atomically, or not at all. Nothing here reads a clock or a database.

The postings (Dr = positive line, Cr = negative line; ``[h]`` = on household ``h``'s sub-ledger):

================== ===================================================================
bill               Dr 1100[h] / Cr 4000 property fee income
prepaid applied    Dr 2000[h] / Cr 1100[h] — a household's prepaid credit settles its new bill
payment            Dr 1000 cash / Cr 1100[h] (allocated to bills) / Cr 2000[h] (overpayment)
common income      Dr 1000 / Cr 4100 parking, 4110 advertising, 4120 venue rent, 4190 other
expense            Dr 51xx-59xx budget line / Cr 1000
remuneration       Dr 5000 / Cr 2100 — the firm's share, accrued as the fees it is based on move
donation           Dr 2100 / Cr 2200 — at period close, a share of the period's remuneration
                   becomes payable to the community micro-fund, out of the firm's remuneration
================== ===================================================================

**Remuneration basis.** An estate's terms say whether the firm's remuneration is a share of fees
*billed* (accrued when a bill is posted) or of fees *collected* (accrued when fee income is
settled: a payment allocated to a bill, or prepaid credit applied to a bill). The brief's worked
example ("an estate collects 100,000.00 … remuneration 15,000.00") is the collected basis.

**Cumulative rounding per period.** Within one period, the basis total ``B`` moves posting by
posting. Each posting that moves it by ``d`` accrues ``share(B + d) - share(B)``; the accruals of a
period telescope to exactly ``share(B_period)``, whatever the number and order of postings, so
rounding never accumulates (rounding every posting on its own would: 472.5 + 632.85 → 473 + 633 =
1106, where 15% of the total 7369 is 1105). Reversals move the basis of the period they are posted
in by a negative amount and accrue a negative adjustment the same way.

**Running totals the caller provides** (the period is the one being posted in):

* ``basis_total_in_period_before`` — the period's remuneration basis so far, in fen: the sum of
  :func:`remuneration_basis_delta` over the transactions already posted in the period. On the
  billed basis that is the net credit to 4000 in the period; on the collected basis, the net credit
  to 1100 by ``payment_received`` and ``prepaid_applied`` transactions (and their reversals).
* ``remuneration_accrued_in_period`` — the net debit to 5000 in the period so far. It must equal
  ``share(basis_total_in_period_before)``; when it does not, the totals are stale or have drifted
  and the posting is refused (Conflict) instead of compounding the error.

:func:`period_totals` computes both from the period's transactions. The caller must serialise the
postings of one estate (the totals it read must still be the totals when it writes), post only
into the open period, and keep the share and the basis unchanged within a period (new terms take
effect at the start of a period; a correction takes the terms of the period it is posted in).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from ledger_service.domain.money import round_half_up, share
from ledger_service.domain.postings import (
    CASH,
    DONATION_PAYABLE,
    FEE_INCOME,
    MANAGED_ACCOUNTS,
    MAX_ABS_FEN,
    MAX_ENTRY_FEN,
    PREPAID,
    RECEIVABLE,
    REMUNERATION,
    REMUNERATION_PAYABLE,
    Line,
    Transaction,
    check_period,
    is_budget_line,
    is_known_account,
    reversal,
)
from xinyi_shared.errors import Conflict, InvalidInput


class Kind(StrEnum):
    """``Transaction.kind`` of the entries these rules build (a reversal keeps the original's kind)."""

    FEE_BILLED = "fee_billed"
    PREPAID_APPLIED = "prepaid_applied"
    PAYMENT_RECEIVED = "payment_received"
    COMMON_INCOME = "common_income"
    EXPENSE = "expense"
    REMUNERATION_ACCRUED = "remuneration_accrued"
    DONATION_DECLARED = "donation_declared"


SETTLING_KINDS = frozenset({Kind.PAYMENT_RECEIVED, Kind.PREPAID_APPLIED})
"""Kinds whose credits to 1100 settle fee income (the collected basis, ``fees_collected``)."""

DERIVED_KINDS = frozenset({Kind.REMUNERATION_ACCRUED, Kind.DONATION_DECLARED})
"""Kinds that follow from other entries; they are never reversed on their own."""


class RemunerationBasis(StrEnum):
    COLLECTED = "collected"
    BILLED = "billed"


COMMON_INCOME_ACCOUNTS: Mapping[str, str] = {
    "parking": "4100",
    "advertising": "4110",
    "venue_rent": "4120",
    "other": "4190",
}
_COMMON_INCOME_KINDS = {account: kind for kind, account in COMMON_INCOME_ACCOUNTS.items()}

AGEING_BUCKETS = ("0-30", "31-90", "91-180", ">180")


class RemunerationTerms(Protocol):
    """What the rules need of an estate's terms (``EstateTerms`` or :class:`Remuneration`)."""

    @property
    def remuneration_share_bps(self) -> int: ...

    @property
    def remuneration_basis(self) -> str: ...


@dataclass(frozen=True)
class Remuneration:
    """The firm's remuneration terms: a share in basis points of fees collected or billed."""

    remuneration_share_bps: int = 1500
    remuneration_basis: str = RemunerationBasis.COLLECTED

    def __post_init__(self) -> None:
        _remuneration_terms(self)


@dataclass(frozen=True)
class HouseholdBalance:
    """A household's sub-ledger: what it owes (1100 debit) and its prepaid credit (2000 credit), ≥ 0."""

    receivable_fen: int = 0
    prepaid_fen: int = 0

    def __post_init__(self) -> None:
        _require_fen("receivable", self.receivable_fen, minimum=0)
        _require_fen("prepaid credit", self.prepaid_fen, minimum=0)


@dataclass(frozen=True)
class OpenBill:
    """A bill with something left to pay, as the caller's bills table holds it."""

    bill_id: str
    period: str
    due_fen_remaining: int
    billed_on: date

    def __post_init__(self) -> None:
        _require_text("bill id", self.bill_id)
        check_period(self.period)
        _require_fen("amount due", self.due_fen_remaining, minimum=0)
        if not isinstance(self.billed_on, date) or isinstance(self.billed_on, datetime):
            raise InvalidInput("a bill's billed_on is a date (the estate's calendar day, not a timestamp)")


@dataclass(frozen=True)
class Allocation:
    """How a payment is split: ``per_bill`` [(bill_id, fen)] oldest first, the rest ``to_prepaid``."""

    per_bill: list[tuple[str, int]]
    to_prepaid: int

    @property
    def allocated_fen(self) -> int:
        return sum(fen for _, fen in self.per_bill)


@dataclass(frozen=True)
class PeriodTotals:
    """The running totals of a period that the posting rules take (see the module docstring)."""

    remuneration_basis_fen: int
    remuneration_accrued_fen: int


@dataclass(frozen=True)
class MonthlyStatement:
    """月度收支公示 — the public monthly statement of an estate's trust fund, all amounts in fen."""

    period: str
    opening_balance_fen: int
    fees_billed_fen: int
    fees_collected_fen: int
    collection_rate_bps: int
    common_income_by_kind: dict[str, int] = field(hash=False)
    expenses_by_budget_line: dict[str, int] = field(hash=False)
    remuneration_fen: int
    donation_fen: int
    closing_balance_fen: int
    surplus_year_to_date_fen: int


# --- checks -----------------------------------------------------------------------------------


def _require_fen(name: str, value: object, *, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{name} must be a whole number of fen")
    if minimum is not None and value < minimum:
        raise InvalidInput(f"{name} must be at least {minimum} fen")
    return value


def _require_text(name: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"{name} is required")
    return value


def _remuneration_terms(terms: RemunerationTerms) -> tuple[int, RemunerationBasis]:
    bps = terms.remuneration_share_bps
    if isinstance(bps, bool) or not isinstance(bps, int) or not 0 <= bps <= 10000:
        raise InvalidInput("the remuneration share must be between 0 and 10000 basis points")
    return bps, _basis(terms.remuneration_basis)


def _basis(value: str) -> RemunerationBasis:
    try:
        return RemunerationBasis(value)
    except ValueError:
        raise InvalidInput("the remuneration basis is 'collected' or 'billed'") from None


def _percent(bps: int) -> str:
    return f"{Decimal(bps) / 100:f}%"  # exact: 1500 → "15%", 1550 → "15.5%"


def _reference(*parts: Mapping[str, str] | None) -> dict[str, str]:
    if len(parts) == 1:  # nothing to merge (a bill's reference, thousands per billing chunk)
        return dict(parts[0] or {})
    merged: dict[str, str] = {}
    for part in parts:
        for key, value in (part or {}).items():
            if key in merged:
                raise InvalidInput(f"reference key {key!r} is set by the ledger")
            merged[key] = value
    return merged


# --- remuneration -----------------------------------------------------------------------------


def remuneration_basis_delta(transaction: Transaction, basis: str) -> int:
    """How far ``transaction`` moves the remuneration basis of the period it is posted in, in fen.

    Billed basis: its net credit to 4000 (a bill +amount, a bill's reversal -amount). Collected
    basis: its net credit to 1100 when it settles fees (kind ``payment_received`` or
    ``prepaid_applied``, or their reversals); 0 for every other transaction.
    """
    if _basis(basis) is RemunerationBasis.BILLED:
        return -transaction.amount_on(FEE_INCOME)
    if transaction.kind in SETTLING_KINDS:
        return -transaction.amount_on(RECEIVABLE)
    return 0


def period_totals(transactions: Iterable[Transaction], basis: str) -> PeriodTotals:
    """The running totals of a period from the transactions posted in it so far (any order)."""
    basis_fen = 0
    accrued = 0
    for transaction in transactions:
        basis_fen += remuneration_basis_delta(transaction, basis)
        accrued += transaction.amount_on(REMUNERATION)
    return PeriodTotals(remuneration_basis_fen=basis_fen, remuneration_accrued_fen=accrued)


def _accrual(
    period: str,
    terms: RemunerationTerms,
    remuneration_accrued_in_period: int | None,
    basis_total_in_period_before: int | None,
    postings: Sequence[Transaction],
) -> list[Transaction]:
    """The remuneration accrual for ``postings``: share(B + d) - share(B), or nothing when 0.

    Nothing either when the caller gives no running totals: it accrues later, per batch, with
    :func:`accrue_remuneration` (the engine does, so postings need not serialise on the totals)."""
    bps, basis = _remuneration_terms(terms)
    if remuneration_accrued_in_period is None or basis_total_in_period_before is None:
        return []
    _require_fen("remuneration accrued in the period", remuneration_accrued_in_period)
    _require_fen("remuneration basis of the period", basis_total_in_period_before)
    if remuneration_accrued_in_period != share(basis_total_in_period_before, bps):
        raise Conflict(
            "the period's remuneration accrued so far does not match its basis: "
            "the running totals are stale or the books have drifted",
            {
                "period": period,
                "remuneration_accrued_fen": remuneration_accrued_in_period,
                "expected_fen": share(basis_total_in_period_before, bps),
            },
        )
    delta = sum(remuneration_basis_delta(posting, basis) for posting in postings)
    basis_after = basis_total_in_period_before + delta
    amount = share(basis_after, bps) - share(basis_total_in_period_before, bps)
    return _remuneration_entry(period, bps, basis, amount, basis_after, {"basis_fen": str(delta)})


def _remuneration_entry(
    period: str, bps: int, basis: str, amount: int, basis_total_fen: int, extra: Mapping[str, str] | None = None
) -> list[Transaction]:
    """The accrual entry Dr 5000 / Cr 2100 of ``amount`` (none when it is 0)."""
    if amount == 0:
        return []
    return [
        Transaction(
            kind=Kind.REMUNERATION_ACCRUED,
            period=period,
            lines=(Line(REMUNERATION, amount), Line(REMUNERATION_PAYABLE, -amount)),
            memo=f"Firm remuneration, {_percent(bps)} of fees {basis}",
            reference={
                "basis": str(basis),
                "share_bps": str(bps),
                **(extra or {}),
                "basis_period_total_fen": str(basis_total_fen),
            },
        )
    ]


def accrue_remuneration(
    period: str, terms: RemunerationTerms, *, basis_total_fen: int, accrued_fen: int
) -> list[Transaction]:
    """The remuneration still to accrue in ``period``: share(B) - what is accrued, or nothing.

    ``basis_total_fen`` is the period's remuneration basis so far (:func:`basis_of_totals`) and
    ``accrued_fen`` the net debit to 5000 in the period. Accruing per batch of postings telescopes
    exactly as accruing per posting does: after any number of batches the period's accruals add up
    to share(B), rounded once."""
    check_period(period)
    bps, basis = _remuneration_terms(terms)
    _require_fen("remuneration basis of the period", basis_total_fen)
    _require_fen("remuneration accrued in the period", accrued_fen)
    return _remuneration_entry(period, bps, basis, share(basis_total_fen, bps) - accrued_fen, basis_total_fen)


def basis_of_totals(totals: Iterable[tuple[str, str, int]], basis: str) -> tuple[int, int]:
    """(remuneration basis, remuneration accrued) of a period from its (account, kind, fen) totals."""
    billed = _basis(basis) is RemunerationBasis.BILLED
    basis_fen = accrued = 0
    for account, kind, fen in totals:
        if (billed and account == FEE_INCOME) or (not billed and account == RECEIVABLE and kind in SETTLING_KINDS):
            basis_fen -= fen
        if account == REMUNERATION:
            accrued += fen
    return basis_fen, accrued


# --- the posting rules ------------------------------------------------------------------------


def bill_household(
    period: str,
    household_id: str,
    amount_fen: int,
    terms: RemunerationTerms,
    *,
    remuneration_accrued_in_period: int | None = None,
    basis_total_in_period_before: int | None = None,
    prepaid_credit_fen: int,
    reference: Mapping[str, str] | None = None,
) -> list[Transaction]:
    """Post a household's bill; apply its prepaid credit; accrue remuneration.

    Returns, in order: the bill (Dr 1100[h] / Cr 4000 ``amount_fen``); when ``prepaid_credit_fen``
    (the household's prepaid credit, the credit balance of 2000[h], ≥ 0) is positive, its
    application Dr 2000[h] / Cr 1100[h] of ``min(credit, amount)`` — the bill's remaining due is
    ``amount - applied``; and when it is not zero, the remuneration accrual (billed basis: on the
    bill; collected basis: on the prepaid applied). The running totals are those of ``period``, as
    the module docstring defines them. ``reference`` (e.g. ``{"bill_id": …}``) is copied onto the
    bill and the prepaid application so either leads back to the bill.
    """
    check_period(period)
    _require_text("household", household_id)
    _require_fen("a bill", amount_fen, minimum=1)
    _require_fen("prepaid credit", prepaid_credit_fen, minimum=0)
    postings = [fee_bill(period, household_id, amount_fen, _reference(reference))]
    applied = min(prepaid_credit_fen, amount_fen)
    if applied > 0:
        postings.append(
            Transaction(
                kind=Kind.PREPAID_APPLIED,
                period=period,
                lines=(Line(PREPAID, applied, household_id), Line(RECEIVABLE, -applied, household_id)),
                memo=f"Prepaid fees applied to the property fee {period}",
                reference=_reference(reference),
            )
        )
    return postings + _accrual(period, terms, remuneration_accrued_in_period, basis_total_in_period_before, postings)


def fee_bill(period: str, household_id: str, amount_fen: int, reference: Mapping[str, str]) -> Transaction:
    """A household's bill of ``period``: Dr 1100[h] / Cr 4000 ``amount_fen``."""
    return Transaction(
        kind=Kind.FEE_BILLED,
        period=period,
        lines=(Line(RECEIVABLE, amount_fen, household_id), Line(FEE_INCOME, -amount_fen)),
        memo=fee_bill_memo(period),
        reference=dict(reference),
    )


def fee_bill_memo(period: str) -> str:
    return f"Property fee {period}"


@dataclass(frozen=True)
class FeeBills:
    """Bills of one period that no prepaid credit touches, as one batch: bill ``i`` is
    ``fee_bill(period, household_ids[i], amounts_fen[i], {"bill_id": bill_ids[i]})``, the entry
    :func:`bill_household` posts first.

    A billing chunk holds thousands of bills of the same shape; checked here once as a whole, they
    are posted as rows without a :class:`Transaction` built and checked for each (see
    :meth:`transactions` for the entries they are)."""

    period: str
    bill_ids: Sequence[str]  # each a tuple once made
    household_ids: Sequence[str]
    amounts_fen: Sequence[int]

    kind = Kind.FEE_BILLED
    debit_account = RECEIVABLE
    credit_account = FEE_INCOME

    def __post_init__(self) -> None:
        check_period(self.period)
        for name in ("bill_ids", "household_ids", "amounts_fen"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if not len(self.bill_ids) == len(self.household_ids) == len(self.amounts_fen):
            raise InvalidInput("every bill has one id, one household and one amount")
        if len(set(self.bill_ids)) != len(self.bill_ids):
            raise InvalidInput("a bill is listed twice")
        for bill_id, household_id in zip(self.bill_ids, self.household_ids, strict=True):
            _require_text("a bill id", bill_id)
            _require_text("household", household_id)
        for amount in self.amounts_fen:
            _require_fen("a bill", amount, minimum=1)
            if amount > MAX_ABS_FEN:
                raise InvalidInput("an amount is too large")

    def __len__(self) -> int:
        return len(self.bill_ids)

    @property
    def memo(self) -> str:
        return fee_bill_memo(self.period)

    def transactions(self) -> list[Transaction]:
        """The bills as entries, in order."""
        return [
            fee_bill(self.period, household_id, amount, {"bill_id": bill_id})
            for bill_id, household_id, amount in zip(self.bill_ids, self.household_ids, self.amounts_fen, strict=True)
        ]

    def movement(self) -> MonthMovement:
        """What the bills add to their month's statement: :func:`movements` of :meth:`transactions`."""
        total = sum(self.amounts_fen)
        return MonthMovement(self.period, fees_billed_fen=total, income_fen=total, transactions=len(self))


SERVICE_KIND = re.compile(r"[a-z][a-z_]{2,39}")
"""The kind of a transaction another service posts: lower-case words (``materials``, ``grant_paid``)."""

MAX_MEMO = 200
"""A memo longer than this is cut to it."""

ServiceLine = tuple[str, int, str | None]
"""A line another service posts: account, amount in fen (debits positive), household (always None:
only the ledger's own rules post to the household sub-ledgers)."""


OWN_KINDS = frozenset(kind.value for kind in Kind if kind is not Kind.EXPENSE)
"""Kinds only the ledger's own rules post (an approved expense comes back as another service's
posting, so ``expense`` is not one of them)."""

_KIND_REFUSAL = "kind must be lower-case words, and not one the ledger posts by itself"
_MANAGED_REFUSAL = f"accounts {', '.join(sorted(MANAGED_ACCOUNTS))} are posted only by the ledger's own rules"
_AMOUNT_REFUSAL = f"a line's amount is a whole number of fen, not 0, at most {MAX_ENTRY_FEN} either way"


def service_posting_refusal(
    kind: object, memo: object, lines: Sequence[ServiceLine], open_accounts: Collection[str] | None = None
) -> str | None:
    """Why a transaction another service posts is refused (None: it is not): a malformed or reserved
    kind, an account of the ledger's own rules, an amount that is not a whole non-zero number of fen
    within :data:`MAX_ENTRY_FEN`, what a :class:`Transaction` of its lines would refuse (fewer than
    two lines, an unknown account, a household on an account without sub-ledgers, lines that do not
    balance, a NUL in the memo) and, when ``open_accounts`` is given, an account not open in the
    books. Checked on the plain tuples: a batch of thousands is checked without building each."""
    if not isinstance(kind, str) or kind in OWN_KINDS or SERVICE_KIND.fullmatch(kind) is None:
        return _KIND_REFUSAL
    for account, _, _ in lines:
        if account in MANAGED_ACCOUNTS:
            return _MANAGED_REFUSAL
    total = 0
    for _, amount, _ in lines:
        if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < abs(amount) <= MAX_ENTRY_FEN:
            return _AMOUNT_REFUSAL
        total += amount
    for account, _, household_id in lines:
        if not is_known_account(account):
            return f"unknown account {account!r}"
        if household_id is not None:
            return f"account {account} has no household sub-ledger"
    if len(lines) < 2:
        return "a transaction has at least two lines"
    if total != 0:
        return f"a transaction must balance: debits and credits differ by {total} fen"
    if not isinstance(memo, str):
        return "a memo is text"
    if "\x00" in memo[:MAX_MEMO]:
        return "a memo cannot hold a NUL character"
    if open_accounts is not None:
        missing = sorted({account for account, _, _ in lines if account not in open_accounts})
        if missing:
            return (
                f"account(s) {', '.join(missing)} are not open in this estate's books "
                "(budget lines open with an adopted budget)"
            )
    return None


@dataclass(frozen=True)
class ServicePostings:
    """Transactions other services post into one period, as one batch: transaction ``i`` is
    ``Transaction(kinds[i], period, lines[i], memos[i])`` (see :meth:`transactions`), each checked
    by :func:`service_posting_refusal` when the batch is made, and posted as rows without a
    :class:`Transaction` built for each."""

    period: str
    kinds: Sequence[str]  # each a tuple once made
    memos: Sequence[str]  # cut to MAX_MEMO
    lines: Sequence[Sequence[ServiceLine]]

    def __post_init__(self) -> None:
        check_period(self.period)
        kinds, memos = (
            tuple(self.kinds),
            tuple(memo[:MAX_MEMO] if isinstance(memo, str) else memo for memo in self.memos),
        )
        lines = tuple(tuple(transaction) for transaction in self.lines)
        if not len(kinds) == len(memos) == len(lines):
            raise InvalidInput("every transaction has one kind, one memo and its lines")
        for index, (kind, memo, transaction) in enumerate(zip(kinds, memos, lines, strict=True)):
            refusal = service_posting_refusal(kind, memo, transaction)
            if refusal is not None:
                raise InvalidInput(f"transaction {index + 1}: {refusal}")
        object.__setattr__(self, "kinds", kinds)
        object.__setattr__(self, "memos", memos)
        object.__setattr__(self, "lines", lines)

    def __len__(self) -> int:
        return len(self.kinds)

    def transactions(self) -> list[Transaction]:
        """The batch as entries, in order."""
        return [
            Transaction(kind, self.period, tuple(Line(a, f, h) for a, f, h in lines), memo)
            for kind, memo, lines in zip(self.kinds, self.memos, self.lines, strict=True)
        ]

    def movement(self) -> MonthMovement:
        """What the batch adds to its month's statement: :func:`movements` of :meth:`transactions`
        (no fees: their accounts are the ledger's own)."""
        moved = MonthMovement(self.period, transactions=len(self))
        budget_lines: dict[str, int] = {}
        for lines in self.lines:
            for account, amount, _ in lines:
                if account[0] == "4":
                    moved.income_fen -= amount
                elif account[0] == "5":
                    moved.expenses_fen += amount
                    if is_budget_line(account):
                        budget_lines[account] = budget_lines.get(account, 0) + amount
        moved.budget_lines = {line: fen for line, fen in sorted(budget_lines.items()) if fen}
        return moved


def allocate_payment(amount_fen: int, open_bills: Sequence[OpenBill]) -> Allocation:
    """Split a payment over a household's open bills, oldest first; what is left is prepaid credit.

    Oldest means by the bill's period, then ``billed_on``, then ``bill_id`` (a total order, so the
    same inputs always give the same split). Each bill takes at most its remaining due; bills with
    nothing due take nothing and are left out. ``amount_fen`` must be > 0; bill ids must be unique.
    """
    _require_fen("a payment", amount_fen, minimum=1)
    if len({bill.bill_id for bill in open_bills}) != len(open_bills):
        raise InvalidInput("a bill is listed twice")
    remaining = amount_fen
    per_bill: list[tuple[str, int]] = []
    for bill in sorted(open_bills, key=lambda bill: (bill.period, bill.billed_on, bill.bill_id)):
        if remaining == 0:
            break
        take = min(remaining, bill.due_fen_remaining)
        if take > 0:
            per_bill.append((bill.bill_id, take))
            remaining -= take
    return Allocation(per_bill=per_bill, to_prepaid=remaining)


def record_payment(
    period: str,
    household_id: str,
    amount_fen: int,
    allocation: Allocation,
    terms: RemunerationTerms,
    *,
    remuneration_accrued_in_period: int | None = None,
    basis_total_in_period_before: int | None = None,
    reference: Mapping[str, str] | None = None,
) -> list[Transaction]:
    """Post a household's payment as ``allocation`` (from :func:`allocate_payment`) splits it.

    Returns the payment (Dr 1000 ``amount_fen`` / Cr 1100[h] the allocated part / Cr 2000[h] the
    prepaid part) and, on the collected basis and when not zero, the remuneration accrual on the
    allocated part. The payment's reference records the split: ``allocated:<bill_id>`` → fen for
    each bill and ``to_prepaid`` → fen, besides the caller's ``reference`` (a receipt number…).
    The allocation must add up to the amount, with positive parts and a prepaid part ≥ 0.
    """
    check_period(period)
    _require_text("household", household_id)
    _require_fen("a payment", amount_fen, minimum=1)
    _require_fen("the prepaid part", allocation.to_prepaid, minimum=0)
    for bill_id, fen in allocation.per_bill:
        _require_text("bill id", bill_id)
        _require_fen("an allocation", fen, minimum=1)
    if len({bill_id for bill_id, _ in allocation.per_bill}) != len(allocation.per_bill):
        raise InvalidInput("a bill is allocated twice")
    allocated = allocation.allocated_fen
    if allocated + allocation.to_prepaid != amount_fen:
        raise InvalidInput("the allocation does not add up to the payment")
    lines = [Line(CASH, amount_fen)]
    if allocated:
        lines.append(Line(RECEIVABLE, -allocated, household_id))
    if allocation.to_prepaid:
        lines.append(Line(PREPAID, -allocation.to_prepaid, household_id))
    split = {f"allocated:{bill_id}": str(fen) for bill_id, fen in allocation.per_bill}
    split["to_prepaid"] = str(allocation.to_prepaid)
    payment = Transaction(
        kind=Kind.PAYMENT_RECEIVED,
        period=period,
        lines=tuple(lines),
        memo=f"Property fee payment {period}",
        reference=_reference(split, reference),
    )
    return [payment, *_accrual(period, terms, remuneration_accrued_in_period, basis_total_in_period_before, [payment])]


def record_common_income(
    period: str, kind: str, amount_fen: int, *, memo: str = "", reference: Mapping[str, str] | None = None
) -> Transaction:
    """Common income into the trust fund: Dr 1000 / Cr 4100 parking, 4110 advertising, 4120 venue_rent
    or 4190 other. It belongs to the owners; the firm's remuneration is never a share of it."""
    account = COMMON_INCOME_ACCOUNTS.get(kind) if isinstance(kind, str) else None
    if account is None:
        raise InvalidInput(f"common income is one of {', '.join(COMMON_INCOME_ACCOUNTS)}")
    _require_fen("common income", amount_fen, minimum=1)
    return Transaction(
        kind=Kind.COMMON_INCOME,
        period=period,
        lines=(Line(CASH, amount_fen), Line(account, -amount_fen)),
        memo=memo or f"Common income: {kind.replace('_', ' ')}",
        reference=_reference(reference),
    )


def record_expense(
    period: str, budget_line: str, amount_fen: int, *, memo: str = "", reference: Mapping[str, str] | None = None
) -> Transaction:
    """An approved expense paid from the trust fund: Dr budget line (5100-5999) / Cr 1000."""
    if not is_budget_line(budget_line):
        raise InvalidInput("an expense goes to a budget line 5100-5999")
    _require_fen("an expense", amount_fen, minimum=1)
    return Transaction(
        kind=Kind.EXPENSE,
        period=period,
        lines=(Line(budget_line, amount_fen), Line(CASH, -amount_fen)),
        memo=memo or f"Expense {budget_line}",
        reference=_reference(reference),
    )


def close_period(period: str, remuneration_accrued_in_period: int, donation_share_bps: int) -> list[Transaction]:
    """The period's donation to the community micro-fund, out of the firm's remuneration.

    donation = share(remuneration accrued in the period, donation bps), rounded half up once on the
    period's total (30% of 15,000.00 = 4,500.00); posted Dr 2100 / Cr 2200. Nothing when it is 0.
    A period whose corrections made its remuneration negative gets the negative donation (Dr 2200 /
    Cr 2100), so the donation always follows the remuneration. Run once per period, after its last
    posting; the caller then posts nothing more into it.
    """
    check_period(period)
    _require_fen("remuneration accrued in the period", remuneration_accrued_in_period)
    donation = share(remuneration_accrued_in_period, donation_share_bps)
    if donation == 0:
        return []
    return [
        Transaction(
            kind=Kind.DONATION_DECLARED,
            period=period,
            lines=(Line(REMUNERATION_PAYABLE, donation), Line(DONATION_PAYABLE, -donation)),
            memo=f"Donation to the community micro-fund, {_percent(donation_share_bps)} of the remuneration {period}",
            reference={
                "share_bps": str(donation_share_bps),
                "remuneration_fen": str(remuneration_accrued_in_period),
            },
        )
    ]


def reverse_entry(
    original: Transaction,
    original_id: str,
    period: str,
    memo: str,
    terms: RemunerationTerms,
    *,
    remuneration_accrued_in_period: int | None = None,
    basis_total_in_period_before: int | None = None,
    household_balances: Mapping[str, HouseholdBalance],
    bill_due_fen_remaining: int | None = None,
) -> list[Transaction]:
    """Reverse a bill, prepaid application, payment, common income or expense, posted in ``period``.

    Returns the :func:`~ledger_service.domain.postings.reversal` and, when it moves the remuneration
    basis, the (usually negative) remuneration adjustment computed cumulatively on ``period``'s
    running totals. ``household_balances`` are the current sub-ledgers of the households the entry
    touches (a missing household counts as zero): the reversal is refused (Conflict) when it would
    leave a household owing less than nothing or with negative prepaid credit.

    A bill is reversed only while nothing has settled it: ``bill_due_fen_remaining`` (required for
    a ``fee_billed`` entry) must still be the whole billed amount, else Conflict — reverse what
    settled it (its payments, its prepaid application) first, then the bill. After the reversal the
    caller cancels the bill; after reversing a payment or a prepaid application it adds the amounts
    back to the bills' remaining due (the payment's ``allocated:<bill_id>`` references say how much).

    Refused (InvalidInput): reversing a reversal (post the entry again instead) and reversing a
    remuneration accrual or a donation, which follow the entries they are derived from. The caller
    refuses to reverse an entry twice (it knows which entries are reversed).
    """
    if original.reverses is not None:
        raise InvalidInput("a reversal is not reversed; post the entry again instead")
    if original.kind in DERIVED_KINDS:
        raise InvalidInput("remuneration and donations follow their entries; reverse those instead")
    if original.kind == Kind.FEE_BILLED:
        if bill_due_fen_remaining is None:
            raise InvalidInput("reversing a bill needs what is still due on it")
        _require_fen("amount due", bill_due_fen_remaining, minimum=0)
        if bill_due_fen_remaining != -original.amount_on(FEE_INCOME):
            raise Conflict("part of the bill is settled; reverse its payments and prepaid application first")
    undo = reversal(original, original_id, period, memo)
    for household_id in sorted({line.household_id for line in undo.lines if line.household_id is not None}):
        balance = household_balances.get(household_id, HouseholdBalance())
        if balance.receivable_fen + undo.amount_on(RECEIVABLE, household_id) < 0:
            raise Conflict("the reversal would leave a household owing less than nothing; reverse its payments first")
        if balance.prepaid_fen - undo.amount_on(PREPAID, household_id) < 0:
            raise Conflict("the reversal would leave a household with negative prepaid credit")
    return [undo, *_accrual(period, terms, remuneration_accrued_in_period, basis_total_in_period_before, [undo])]


# --- reports ----------------------------------------------------------------------------------


def ageing(open_bills: Iterable[OpenBill], as_of: date) -> dict[str, int]:
    """Receivables by age in fen: days from a bill's ``billed_on`` to ``as_of``.

    Buckets "0-30" (0 to 30 days), "31-90", "91-180", ">180"; all four are always present. A bill
    dated after ``as_of`` is not yet aged and counts in "0-30", so the buckets always add up to the
    open bills' total.
    """
    if not isinstance(as_of, date) or isinstance(as_of, datetime):
        raise InvalidInput("ageing is as of a calendar day")
    buckets = dict.fromkeys(AGEING_BUCKETS, 0)
    for bill in open_bills:
        days = (as_of - bill.billed_on).days
        if days <= 30:
            bucket = "0-30"
        elif days <= 90:
            bucket = "31-90"
        elif days <= 180:
            bucket = "91-180"
        else:
            bucket = ">180"
        buckets[bucket] += bill.due_fen_remaining
    return buckets


def collection_rate_bps(collected_fen: int, billed_fen: int) -> int:
    """collected / billed in basis points, rounded half up; 0 when nothing (or less) was billed.

    Can exceed 10000 when arrears of earlier periods are collected."""
    if billed_fen <= 0:
        return 0
    return round_half_up(collected_fen * 10000, billed_fen)


def statement_of_totals(
    period: str, totals: Iterable[tuple[str, str, str, int]], opening_cash_of_year_fen: int
) -> MonthlyStatement:
    """The monthly statement of ``period`` from per-period totals: (period, account, kind, net fen)
    from January of its year through ``period``. The same figures as :func:`statement` gives from
    the transactions themselves (a reversal keeps its original's kind, so it nets in place)."""
    check_period(period)
    _require_fen("opening cash of the year", opening_cash_of_year_fen)
    year = period[:4]
    opening = opening_cash_of_year_fen
    cash_in_period = billed = collected = remuneration = donation = surplus = 0
    common_income = dict.fromkeys(COMMON_INCOME_ACCOUNTS, 0)
    expenses: dict[str, int] = {}
    for posted, account, kind, fen in totals:
        check_period(posted)
        if posted[:4] != year or posted > period:
            raise InvalidInput(f"a statement of {period} takes the totals of {year} up to {period}")
        if account[0] in "45":
            surplus -= fen
        if posted < period:
            if account == CASH:
                opening += fen
            continue
        if account == CASH:
            cash_in_period += fen
        elif account == FEE_INCOME:
            billed -= fen
        elif account == RECEIVABLE and kind in SETTLING_KINDS:
            collected -= fen
        elif account == DONATION_PAYABLE and kind == Kind.DONATION_DECLARED:
            donation -= fen
        elif account == REMUNERATION:
            remuneration += fen
        elif account in _COMMON_INCOME_KINDS:
            common_income[_COMMON_INCOME_KINDS[account]] -= fen
        elif is_budget_line(account):
            expenses[account] = expenses.get(account, 0) + fen
    return MonthlyStatement(
        period=period,
        opening_balance_fen=opening,
        fees_billed_fen=billed,
        fees_collected_fen=collected,
        collection_rate_bps=collection_rate_bps(collected, billed),
        common_income_by_kind=common_income,
        expenses_by_budget_line=dict(sorted((line, fen) for line, fen in expenses.items() if fen)),
        remuneration_fen=remuneration,
        donation_fen=donation,
        closing_balance_fen=opening + cash_in_period,
        surplus_year_to_date_fen=surplus,
    )


def statement(
    period: str, transactions: Iterable[tuple[Transaction, str]], opening_cash_of_year_fen: int
) -> MonthlyStatement:
    """The monthly statement of ``period``, from the year's books.

    ``transactions`` are all the transactions posted from January of the period's year up to and
    including ``period``, each with the period it was posted in (``(transaction, "YYYY-MM")``; a
    transaction posted in another year or after ``period`` is refused). ``opening_cash_of_year_fen``
    is the balance of 1000 on 1 January.

    * opening/closing balance: 1000 at the start/end of the period;
    * fees billed: net credit to 4000 in the period (bills less reversed bills);
    * fees collected: fee income settled in the period — net credit to 1100 by payments
      (the part allocated to bills) and prepaid applications, less their reversals;
    * collection rate: :func:`collection_rate_bps` of those two;
    * common income by kind (all four kinds, 0 when none) and expenses by budget line (each
      51xx-59xx line posted in the period), net of reversals;
    * remuneration: net debit to 5000 in the period; donation: net credit to 2200 by the period's
      close;
    * surplus year to date: income (4xxx) less expenses (5xxx, the remuneration included) from
      January through the period. The donation is not an expense of the estate: it comes out of
      the firm's remuneration.
    """
    check_period(period)
    _require_fen("opening cash of the year", opening_cash_of_year_fen)
    year = period[:4]
    opening = opening_cash_of_year_fen
    cash_in_period = billed = collected = remuneration = donation = surplus = 0
    common_income = dict.fromkeys(COMMON_INCOME_ACCOUNTS, 0)
    expenses: dict[str, int] = {}
    for transaction, posted in transactions:
        check_period(posted)
        if posted[:4] != year or posted > period:
            raise InvalidInput(f"a statement of {period} takes the transactions of {year} up to {period}")
        surplus -= sum(line.amount_fen for line in transaction.lines if line.account[0] in "45")
        cash = transaction.amount_on(CASH)
        if posted < period:
            opening += cash
            continue
        cash_in_period += cash
        billed -= transaction.amount_on(FEE_INCOME)
        if transaction.kind in SETTLING_KINDS:
            collected -= transaction.amount_on(RECEIVABLE)
        if transaction.kind == Kind.DONATION_DECLARED:
            donation -= transaction.amount_on(DONATION_PAYABLE)
        remuneration += transaction.amount_on(REMUNERATION)
        for line in transaction.lines:
            if line.account in _COMMON_INCOME_KINDS:
                common_income[_COMMON_INCOME_KINDS[line.account]] -= line.amount_fen
            elif is_budget_line(line.account):
                expenses[line.account] = expenses.get(line.account, 0) + line.amount_fen
    return MonthlyStatement(
        period=period,
        opening_balance_fen=opening,
        fees_billed_fen=billed,
        fees_collected_fen=collected,
        collection_rate_bps=collection_rate_bps(collected, billed),
        common_income_by_kind=common_income,
        expenses_by_budget_line=dict(sorted(expenses.items())),
        remuneration_fen=remuneration,
        donation_fen=donation,
        closing_balance_fen=opening + cash_in_period,
        surplus_year_to_date_fen=surplus,
    )


@dataclass
class MonthMovement:
    """What some transactions of one period change in that period's statement (see :func:`movements`)."""

    period: str
    fees_billed_fen: int = 0
    fees_collected_fen: int = 0
    income_fen: int = 0
    expenses_fen: int = 0
    budget_lines: dict[str, int] = field(default_factory=dict)
    transactions: int = 0

    @property
    def surplus_fen(self) -> int:
        return self.income_fen - self.expenses_fen


def movements(transactions: Iterable[Transaction]) -> list[MonthMovement]:
    """Per period, what ``transactions`` add to the monthly statement: classified exactly as
    :func:`statement` classifies them, so the movements of all of a month's transactions sum to its
    statement's fees billed and collected, its expenses by budget line, and (over the months of a
    year) its surplus year to date."""
    by_period: dict[str, MonthMovement] = {}
    for transaction in transactions:
        moved = by_period.setdefault(transaction.period, MonthMovement(transaction.period))
        moved.transactions += 1
        moved.fees_billed_fen -= transaction.amount_on(FEE_INCOME)
        if transaction.kind in SETTLING_KINDS:
            moved.fees_collected_fen -= transaction.amount_on(RECEIVABLE)
        for line in transaction.lines:
            if line.account[0] == "4":
                moved.income_fen -= line.amount_fen
            elif line.account[0] == "5":
                moved.expenses_fen += line.amount_fen
            if is_budget_line(line.account):
                moved.budget_lines[line.account] = moved.budget_lines.get(line.account, 0) + line.amount_fen
    for moved in by_period.values():
        moved.budget_lines = {line: fen for line, fen in sorted(moved.budget_lines.items()) if fen}
    return [by_period[period] for period in sorted(by_period)]
