"""What the books answer with: typed results of the use cases and read models of the journal.

Plain data, no framework: the HTTP and gRPC layers shape these into their own schemas.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ledger_service.domain.postings import check_period


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


@dataclass(frozen=True)
class EstateContext:
    """The estate's books as a write needs them: may they move, and what day it is there."""

    estate_code: str
    status: str
    time_zone: str
    estate_name: str
    community_code: str
    first_period: str
    today: date
    knows_household: bool = False

    @property
    def current_period(self) -> str:
        return month_of(self.today)

    def readable_period(self, period: str) -> bool:
        """A period exists from the books' first month through the current one."""
        check_period(period)
        return self.first_period <= period <= self.current_period


@dataclass(frozen=True)
class PeriodTotal:
    """Net fen posted to ``account`` by transactions of ``kind`` in ``period`` (debits positive)."""

    period: str
    account: str
    kind: str
    amount_fen: int


@dataclass(frozen=True)
class PostedRef:
    """A posted transaction: its id and its number in the estate's books."""

    transaction_id: str
    number: int


@dataclass(frozen=True)
class EntryLine:
    account: str
    amount_fen: int
    household_id: str | None


@dataclass(frozen=True)
class EntryView:
    id: str
    number: int
    period: str
    kind: str
    memo: str
    reverses: str | None
    posted_at: datetime
    posted_by: str
    lines: list[EntryLine] = field(hash=False)


@dataclass(frozen=True)
class BillView:
    id: str
    period: str
    amount_fen: int
    billed_on: date
    area_centi_sqm: int
    rate: str
    occupied_days: int | None
    due_fen: int


@dataclass(frozen=True)
class PaymentView:
    id: str
    amount_fen: int
    method: str
    reference: str
    received_on: date
    transaction_id: str


@dataclass(frozen=True)
class HouseholdAccount:
    household_id: str
    owed_fen: int
    prepaid_fen: int
    bills: list[BillView] = field(hash=False)
    payments: list[PaymentView] = field(hash=False)


@dataclass(frozen=True)
class Arrears:
    as_of: date
    total_fen: int
    ageing_fen: dict[str, int] = field(hash=False)
    households: list[tuple[str, int]] = field(hash=False)
    next_after: str | None = None


@dataclass(frozen=True)
class PaymentRecorded:
    payment_id: str
    transaction_id: str
    number: int
    period: str
    allocated: list[tuple[str, int]] = field(hash=False)
    to_prepaid_fen: int = 0


@dataclass(frozen=True)
class Posted:
    """A transaction posted by a use case (common income, reversal, another service's posting)."""

    transaction_id: str
    number: int
    period: str
    reverses: str | None = None

    def stored(self) -> dict[str, Any]:
        """The answer kept under its idempotency key (``Posted(**stored)`` rebuilds it): the fields
        as ``asdict`` gives them, written out because a batch builds a thousand at a time."""
        return {
            "transaction_id": self.transaction_id,
            "number": self.number,
            "period": self.period,
            "reverses": self.reverses,
        }
