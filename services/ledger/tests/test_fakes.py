"""The fakes behave as the database and the adapters they stand for (so the use-case tests mean something)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.exc import IntegrityError

from ledger_service.domain.postings import Line, Transaction
from services.ledger.tests.fakes import FakeBooks, FakeRegistry, estate_rules
from xinyi.ledger.v1 import events_pb2
from xinyi_shared.errors import Conflict, NotFound

ESTATE = "jinhe-lvzhou"
OTHER = "binhe-huayuan"


@pytest.fixture
def books() -> FakeBooks:
    books = FakeBooks(date(2026, 5, 20))
    books.open_estate(ESTATE, first_period="2026-03", rules=estate_rules("2026-03-01"))
    books.open_estate(OTHER, first_period="2026-03")
    return books


def income(fen: int, period: str = "2026-05") -> Transaction:
    return Transaction("common_income", period, (Line("1000", fen), Line("4100", -fen)))


def test_the_journal_refuses_what_the_database_refuses(books: FakeBooks) -> None:
    unbalanced = income(100)
    object.__setattr__(unbalanced, "lines", (Line("1000", 100), Line("4100", -99)))  # behind the dataclass's back
    with books.uow(ESTATE) as uow:
        uow.journal.hold_period("2026-05")
        with pytest.raises(IntegrityError, match="balance"):
            uow.journal.post([unbalanced], "test")
        with pytest.raises(IntegrityError, match="no period"):
            uow.journal.post([income(100, "2026-04")], "test")  # no row for April
        with pytest.raises(IntegrityError, match="not open"):
            uow.journal.post([Transaction("expense", "2026-05", (Line("5100", 1), Line("1000", -1)))], "test")
        (posted,) = uow.journal.post([income(100)], "test")
        reversal = Transaction(
            "common_income", "2026-05", (Line("1000", -100), Line("4100", 100)), reverses=posted.transaction_id
        )
        uow.journal.post([reversal], "test")
        with pytest.raises(IntegrityError, match="already reversed"):
            uow.journal.post([reversal], "test")
        with pytest.raises(IntegrityError, match="periods_period_format"):
            uow.journal.hold_period("2026-5")


def test_entries_are_numbered_per_estate_and_totalled_per_period_account_and_kind(books: FakeBooks) -> None:
    for estate, amounts in ((ESTATE, (100, 250)), (OTHER, (7,))):
        with books.uow(estate) as uow:
            uow.journal.hold_period("2026-05")
            posted = uow.journal.post([income(fen) for fen in amounts], "test")
            uow.commit()
        assert [ref.number for ref in posted] == list(range(1, len(amounts) + 1))
    with books.uow(ESTATE) as uow:
        assert [(t.account, t.kind, t.amount_fen) for t in uow.journal.totals("2026-05", "2026-05")] == [
            ("1000", "common_income", 350),
            ("4100", "common_income", -350),
        ]
        assert uow.journal.balances() == {"1000": 350, "4100": -350}
        assert uow.journal.cash_before("2026-06") == 350
        assert uow.journal.cash_before("2026-05") == 0
    books.check_consistency()


def test_a_rolled_back_posting_leaves_a_gap_in_the_numbers_as_a_sequence_does(books: FakeBooks) -> None:
    with books.uow(ESTATE) as uow:
        uow.journal.hold_period("2026-05")
        uow.journal.post([income(1)], "test")  # not committed
    with books.uow(ESTATE) as uow:
        uow.journal.hold_period("2026-05")
        (posted,) = uow.journal.post([income(1)], "test")
        uow.commit()
    assert posted.number == 2
    assert [row.number for row in books.entries_of(ESTATE)] == [2]


def test_commit_keeps_rollback_and_leaving_without_commit_restore(books: FakeBooks) -> None:
    start = books.tables.copy()
    with books.uow(ESTATE) as uow:
        uow.journal.hold_period("2026-05")
        uow.publish(events_pb2.PeriodClosed(estate_code=ESTATE, period="2026-05"))
        uow.rollback()
        assert books.tables == start
        uow.journal.hold_period("2026-05")
        uow.commit()
        uow.journal.hold_period("2026-04")  # after the commit: rolled back at the end of the block
    assert books.period_statuses(ESTATE) == {"2026-05": "open"}
    assert books.published() == []


def test_a_savepoint_undoes_only_its_own_changes(books: FakeBooks) -> None:
    with books.uow(ESTATE) as uow:
        uow.journal.hold_period("2026-05")
        with uow.savepoint():
            uow.journal.post([income(5)], "test")
        with pytest.raises(Conflict), uow.savepoint():
            uow.journal.post([income(7)], "test")
            uow.keys.claim("key-in-savepoint", {"a": 1})
            raise Conflict("refused")
        uow.commit()
    assert books.balance(ESTATE, "1000") == 5
    assert books.tables.idempotency_keys == {}


def test_after_commit_hooks_and_basis_moves_reach_the_accruer_only_on_commit(books: FakeBooks) -> None:
    ran: list[str] = []
    with books.uow(ESTATE) as uow:
        uow.after_commit(lambda: ran.append("rolled back"))
        uow.basis_moved("2026-04")
    with books.uow(ESTATE) as uow:
        uow.after_commit(lambda: ran.append("committed"))
        uow.basis_moved("2026-05")
        assert ran == []
        uow.commit()
    assert ran == ["committed"]
    assert uow.basis_moves == ["2026-05"]
    assert books.accruals.touched == [(ESTATE, "2026-05")]


def test_idempotency_keys_claim_replay_conflict_and_vanish_on_rollback(books: FakeBooks) -> None:
    with books.uow(ESTATE) as uow:
        assert uow.keys.claim("key-00000001", {"amount": 1}) is None  # new: the work is ours
    with books.uow(ESTATE) as uow:
        assert uow.keys.claim("key-00000001", {"amount": 1}) is None  # the first claim rolled back
        uow.keys.answer("key-00000001", {"allocated": [("bill", 1)], "on": date(2026, 5, 20)})
        uow.commit()
    with books.uow(ESTATE) as uow:
        # The answer as it is read back from JSON: tuples are lists, dates are text.
        assert uow.keys.claim("key-00000001", {"amount": 1}) == {"allocated": [["bill", 1]], "on": "2026-05-20"}
        with pytest.raises(Conflict):
            uow.keys.claim("key-00000001", {"amount": 2})
    with books.uow(OTHER) as uow:
        assert uow.keys.claim("key-00000001", {"amount": 2}) is None  # keys are per estate


def test_one_unit_of_work_at_a_time_and_none_outside_its_block(books: FakeBooks) -> None:
    outer = books.uow(ESTATE)
    with outer, pytest.raises(RuntimeError), books.uow(OTHER):
        pass
    with pytest.raises(RuntimeError):
        outer.journal.context()
    with pytest.raises(RuntimeError):
        outer.commit()


def test_reads_are_scoped_to_the_estate(books: FakeBooks) -> None:
    with books.uow(ESTATE) as uow:
        uow.journal.hold_period("2026-05")
        uow.journal.post([income(9)], "test")
        uow.commit()
    with books.uow(OTHER) as uow:
        assert uow.journal.totals("2026-01", "2026-12") == []
        assert uow.journal.entries(10, None) == []
        assert uow.journal.periods_with_status() == {}
    with books.uow("nowhere") as uow:
        assert uow.journal.context() is None


def test_the_registry_answers_the_rules_in_force_and_its_households() -> None:
    registry = FakeRegistry()
    registry.add_rules(ESTATE, estate_rules("2026-03-01"), estate_rules("2026-07-01", rate="36.5"))
    assert registry.rules_on(ESTATE, date(2026, 6, 30)).fee_rate_fen_per_sqm_month == 35
    assert str(registry.rules_on(ESTATE, date(2026, 7, 1)).fee_rate_fen_per_sqm_month) == "36.5"
    with pytest.raises(NotFound):
        registry.rules_message(ESTATE, date(2026, 2, 28))
    registry.add_household(ESTATE, "11111111-1111-4111-8111-111111111111", 9000)
    assert registry.household(ESTATE, "11111111-1111-4111-8111-111111111111").area_centi_sqm == 9000
    with pytest.raises(NotFound):
        registry.household(OTHER, "11111111-1111-4111-8111-111111111111")
