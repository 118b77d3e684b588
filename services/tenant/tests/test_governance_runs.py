"""The committee's read side applies a run of an estate's BooksMoved events in one go: the figures must
be those of applying the events one by one, month by month and budget line by budget line."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import ClassVar

import pytest

from tenant_service.entrypoints import governance_consumer
from xinyi.ledger.v1 import events_pb2 as ledger_events
from xinyi_shared.events import CloudEvent


class SummedBooks:
    """Stands in for GovernanceFacts: adds up what books_moved is given, as its upsert does."""

    calls: ClassVar[int] = 0
    totals: ClassVar[Counter[tuple[str, str, str]]] = Counter()

    def __init__(self, session: object) -> None:
        pass

    def books_moved(
        self,
        estate_code: str,
        period: str,
        billed: int,
        collected: int,
        income: int,
        expenses: int,
        budget_lines: Mapping[str, int],
    ) -> None:
        type(self).calls += 1
        for name, amount in (("billed", billed), ("collected", collected), ("income", income), ("expenses", expenses)):
            self.totals[(estate_code, period, name)] += amount
        for account, amount in budget_lines.items():
            self.totals[(estate_code, period, f"line:{account}")] += amount


def moved(i: int, period: str, lines: dict[str, int]) -> CloudEvent:
    message = ledger_events.BooksMoved(
        estate_code="jinhe-lvzhou",
        period=period,
        fees_billed_fen=1000 * i,
        fees_collected_fen=37 * i + 1,
        income_fen=5 if i % 3 == 0 else 0,
        expenses_fen=-11 * i if i % 4 == 0 else 0,  # a reversal moves the books back
        budget_lines=[ledger_events.BudgetLineAmount(account=a, amount_fen=f) for a, f in lines.items()],
    )
    return CloudEvent.from_message("xinyi/ledger", "jinhe-lvzhou", message)


@pytest.fixture
def books(monkeypatch: pytest.MonkeyPatch) -> type[SummedBooks]:
    SummedBooks.calls, SummedBooks.totals = 0, Counter()
    monkeypatch.setattr(governance_consumer, "GovernanceFacts", SummedBooks)
    return SummedBooks


def test_a_run_of_books_moved_sums_to_the_events_applied_one_by_one(books: type[SummedBooks]) -> None:
    events = [
        moved(i, "2026-11" if i % 5 else "2026-10", {"5001.cleaning": 100 * i, "5002.security": i} if i % 2 else {})
        for i in range(1, 41)
    ]
    handle = governance_consumer.HANDLERS[ledger_events.BooksMoved.DESCRIPTOR.full_name]
    for event in events:
        handle(None, event)  # type: ignore[arg-type]
    one_by_one, books.totals = books.totals, Counter()
    books.calls = 0

    governance_consumer._books_moved_together(None, events)  # type: ignore[arg-type]

    assert books.totals == one_by_one
    assert books.calls == 2  # one upsert per month, not per event
    assert one_by_one[("jinhe-lvzhou", "2026-11", "line:5001.cleaning")] == sum(
        100 * i for i in range(1, 41) if i % 2 and i % 5
    )


def test_the_subscription_applies_books_moved_in_runs() -> None:
    run_handlers = governance_consumer.SUBSCRIPTION.run_handlers
    assert run_handlers == {ledger_events.BooksMoved.DESCRIPTOR.full_name: governance_consumer._books_moved_together}
