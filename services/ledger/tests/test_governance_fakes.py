"""FakeGovernance behaves as adapters/governance.py on PostgreSQL does (so the governance use-case
tests mean something): rows roll back with the unit of work, expense numbers come from an identity a
rollback does not give back, every read is the estate's own, the history is only appended to."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.exc import IntegrityError, NoResultFound

from ledger_service.adapters.governance import Voucher
from ledger_service.domain import expenses
from ledger_service.domain.budgets import BudgetLine, DraftStatus
from ledger_service.domain.expenses import Escalation, ExpenseStatus, Proposal
from ledger_service.domain.postings import Transaction
from services.ledger.tests.fakes import FakeBooks, estate_rules
from services.ledger.tests.test_governance import BASIC, ENHANCED, budget_draft

ESTATE = "jinhe-lvzhou"
OTHER = "binhe-huayuan"
SHA = "a" * 64
VOUCHER = Voucher(SHA, 120, "image/png", "invoice.png")


@pytest.fixture
def books() -> FakeBooks:
    books = FakeBooks(date(2026, 5, 20))
    books.open_estate(ESTATE, first_period="2026-03", rules=estate_rules("2026-03-01"))
    books.open_estate(OTHER, first_period="2026-03")
    return books


def proposal(amount: int = 100, account: str = "5100") -> Proposal:
    return Proposal("payee", amount, account, "what for", (SHA,))


def add_expense(books: FakeBooks, estate: str = ESTATE, amount: int = 100, *, commit: bool = True) -> str:
    with books.uow(estate) as uow:
        uow.governance.add_voucher(VOUCHER, "firm")
        expense_id = uow.governance.add_expense(proposal(amount), [VOUCHER], 2026, Escalation.NONE, "firm", "Firm")
        if commit:
            uow.commit()
    return expense_id


def test_everything_written_rolls_back_with_the_unit_of_work_but_expense_numbers(books: FakeBooks) -> None:
    start = books.tables.copy()
    with books.uow(ESTATE) as uow:
        draft_id = uow.governance.add_draft(budget_draft(), "manager")
        uow.governance.adopt(2026, draft_id, "基础", "ballot-1")
        uow.governance.open_budget_lines(list(BASIC.lines))
        assert "5600" in uow.journal.open_accounts()
        uow.governance.add_voucher(VOUCHER, "firm")
        expense_id = uow.governance.add_expense(proposal(), [VOUCHER], 2026, Escalation.NONE, "firm", "Firm")
        uow.governance.add_question(expense_id, "why?", "resident")
        uow.governance.record(expense_id, "approved", ExpenseStatus.APPROVED, "sup", "Sup", None)
    assert books.tables == start  # no commit: nothing stays
    with books.uow(ESTATE) as uow:
        assert "5600" not in uow.journal.open_accounts()
    second = add_expense(books)
    with books.uow(ESTATE) as uow:
        assert uow.governance.expense(second).number == 2  # type: ignore[union-attr]  # 1 was taken, then rolled back


def test_a_savepoint_undoes_only_its_own_rows(books: FakeBooks) -> None:
    with books.uow(ESTATE) as uow:
        kept = uow.governance.add_draft(budget_draft(), "manager")
        with pytest.raises(RuntimeError), uow.savepoint():
            uow.governance.add_draft(budget_draft(), "manager")
            raise RuntimeError("refused")
        assert [d.id for d in uow.governance.drafts()] == [kept]


def test_reads_are_the_estates_own(books: FakeBooks) -> None:
    expense_id = add_expense(books)
    with books.uow(ESTATE) as uow:
        draft_id = uow.governance.add_draft(budget_draft(), "manager")
        uow.governance.adopt(2026, draft_id, "基础", "ballot-1")
        question_id = uow.governance.add_question(expense_id, "why?", "resident")
        uow.commit()
    with books.uow(OTHER) as uow:
        governance = uow.governance
        assert governance.draft(draft_id) is None
        assert governance.drafts() == []
        assert governance.budget(2026) is None
        assert governance.vouchers([SHA]) == {}
        assert governance.expense(expense_id) is None
        assert governance.expenses(None, 50, None) == []
        assert governance.question(question_id) is None
        assert governance.questions() == []
        assert governance.held_on_line(2026, "5100") == 0
        with pytest.raises(NoResultFound):
            governance.expense_vouchers(expense_id)
        with pytest.raises(IntegrityError, match="unknown expense"):
            governance.add_question(expense_id, "why?", "resident")
        governance.update_expense(expense_id, status="paid")  # an UPDATE of no row: nothing
        governance.answer(question_id, "no", "firm")
        governance.mark_balloting(draft_id, "ballot-x")
    with books.uow(ESTATE) as uow:
        assert uow.governance.expense(expense_id).status is ExpenseStatus.PROPOSED  # type: ignore[union-attr]
        assert uow.governance.question(question_id).answer is None  # type: ignore[union-attr]
        assert uow.governance.draft(draft_id).status is DraftStatus.DRAFT  # type: ignore[union-attr]
        assert uow.governance.expense_vouchers(expense_id) == [VOUCHER]


def test_malformed_ids_find_nothing(books: FakeBooks) -> None:
    with books.uow(ESTATE) as uow:
        assert uow.governance.draft("not-a-uuid") is None
        assert uow.governance.expense("not-a-uuid") is None
        assert uow.governance.question("not-a-uuid") is None


def test_adopt_replaces_the_years_budget_and_finds_the_plan_ignoring_case(books: FakeBooks) -> None:
    with books.uow(ESTATE) as uow:
        first = uow.governance.add_draft(budget_draft(), "manager")
        second = uow.governance.add_draft(budget_draft(ENHANCED, threshold=0, rule="second_supervisor"), "manager")
        uow.governance.adopt(2026, first, "豪华", "ballot-0")  # no such plan: no row
        assert uow.governance.budget(2026) is None
        uow.governance.adopt(2026, first, "基础", "ballot-1")
        assert uow.governance.budget(2026).plan == BASIC  # type: ignore[union-attr]
        uow.governance.adopt(2026, second, "提升", "ballot-2")
        adopted = uow.governance.budget(2026)
        assert adopted is not None
        assert (adopted.draft_id, adopted.plan, adopted.ballot_id) == (second, ENHANCED, "ballot-2")
        assert adopted.policy.threshold_fen == 0
        assert uow.governance.budget(2027) is None


def test_expenses_are_numbered_across_estates_listed_newest_first_and_held_or_committed_by_line(
    books: FakeBooks,
) -> None:
    first, foreign, second, third = (
        add_expense(books, e, a) for e, a in ((ESTATE, 100), (OTHER, 1), (ESTATE, 200), (ESTATE, 400))
    )
    with books.uow(ESTATE) as uow:
        governance = uow.governance
        numbers = [governance.expense(e).number for e in (first, second, third)]  # type: ignore[union-attr]
        assert numbers == [1, 3, 4]
        assert [e.id for e in governance.expenses(None, 10, None)] == [third, second, first]
        assert [e.id for e in governance.expenses(None, 10, 4)] == [second, first]
        assert [e.id for e in governance.expenses(None, 1, None)] == [third]
        governance.update_expense(first, status="approved", decided_at=True)
        governance.update_expense(second, status="awaiting_ballot", first_approver="sup")
        governance.set_escalation(second, "ballot")
        assert [e.id for e in governance.expenses("approved", 10, None)] == [first]
        assert governance.held_on_line(2026, "5100") == 600  # proposed 400 + awaiting a ballot 200
        assert governance.held_on_line(2027, "5100") == 0
        changed = governance.expense(second)
        assert changed is not None
        assert (changed.status, changed.first_approver, changed.escalation) == (
            ExpenseStatus.AWAITING_BALLOT,
            "sup",
            Escalation.BALLOT,
        )
        assert governance.expense(first).decided_at is not None  # type: ignore[union-attr]
        with pytest.raises(ValueError, match="unknown expense fields"):
            governance.update_expense(first, amount_fen=1)
        with pytest.raises(ValueError, match="unknown expense fields"):
            governance.update_expense(first)
        with pytest.raises(IntegrityError, match="expenses_status"):
            governance.update_expense(first, status="lost")
    assert foreign


def post(books: FakeBooks, transaction: Transaction, estate: str = ESTATE) -> str:
    with books.uow(estate) as uow:
        uow.journal.hold_period(transaction.period)
        (posted,) = uow.journal.post([transaction], "test")
        uow.commit()
    return posted.transaction_id


def decided(
    books: FakeBooks, amount: int, account: str, booked: str | None, paid: str | None, estate: str = ESTATE
) -> str:
    """An expense booked in the month ``booked`` and paid in the month ``paid`` (None: not yet)."""
    expense_id = add_expense(books, estate, amount)
    changes: dict[str, str] = {}
    if booked is not None:
        changes["booking_transaction_id"] = post(
            books, expenses.booking(booked, expense_id, account, amount, "x"), estate
        )
    if paid is not None:
        changes["payment_transaction_id"] = post(books, expenses.payment(paid, expense_id, amount, "x"), estate)
    if changes:
        with books.uow(estate) as uow:
            uow.governance.update_expense(expense_id, **changes)
            uow.commit()
    return expense_id


def test_committed_is_booked_from_the_first_month_through_the_last_and_unpaid_at_its_end(books: FakeBooks) -> None:
    books.open_accounts(ESTATE, "5100", "5200")
    books.open_accounts(OTHER, "5100")
    decided(books, 100, "5100", booked="2026-03", paid="2026-04")
    decided(books, 200, "5100", booked="2026-04", paid=None)
    decided(books, 400, "5200", booked="2026-05", paid="2026-05")
    decided(books, 800, "5200", booked=None, paid=None)  # proposed only: not booked, not committed
    decided(books, 1600, "5100", booked="2026-04", paid=None, estate=OTHER)
    with books.uow(ESTATE) as uow:
        committed = uow.governance.committed_by_line
        assert committed("2026-01", "2026-03") == {"5100": 100}  # paid in April: unpaid at the end of March
        assert committed("2026-01", "2026-04") == {"5100": 200}
        assert committed("2026-01", "2026-05") == {"5100": 200}  # 5200 was paid the month it was booked
        assert committed("2026-05", "2026-05") == {}  # booked before the first month
        assert committed("2026-01", "2026-02") == {}
    with books.uow(OTHER) as uow:
        assert uow.governance.committed_by_line("2026-01", "2026-12") == {"5100": 1600}


def test_a_line_opens_once_with_the_estates_books(books: FakeBooks) -> None:
    with books.uow(ESTATE) as uow:
        assert "5900" not in uow.journal.open_accounts()
        uow.governance.open_line("5900")
        uow.governance.open_line("5900")  # ON CONFLICT DO NOTHING
        assert "5900" in uow.journal.open_accounts()
    with books.uow(ESTATE) as uow:
        assert "5900" not in uow.journal.open_accounts()  # not committed
        uow.governance.open_line("5900")
        uow.commit()
    with books.uow(ESTATE) as uow:
        assert "5900" in uow.journal.open_accounts()
    with books.uow(OTHER) as uow:
        assert "5900" not in uow.journal.open_accounts()
    with books.uow("nowhere") as uow, pytest.raises(IntegrityError):
        uow.governance.open_line("5900")


def test_the_history_is_appended_in_order_and_questions_open_until_answered(books: FakeBooks) -> None:
    expense_id = add_expense(books)
    with books.uow(ESTATE) as uow:
        governance = uow.governance
        governance.record(expense_id, "approved", ExpenseStatus.APPROVED, "sup", "Sup", None)
        governance.record(expense_id, "paid", ExpenseStatus.PAID, "mgr", "Mgr", None)
        assert [(h.action, h.status, h.actor_name) for h in governance.history(expense_id)] == [
            ("proposed", "proposed", "Firm"),
            ("approved", "approved", "Sup"),
            ("paid", "paid", "Mgr"),
        ]
        with pytest.raises(IntegrityError, match="unknown expense"):
            governance.record(f"{'0' * 8}-0000-4000-8000-{'0' * 12}", "x", ExpenseStatus.PAID, "a", "A", None)
        first = governance.add_question(expense_id, "why?", "resident")
        second = governance.add_question(expense_id, "who?", "resident")
        governance.answer(first, "because", "firm")
        answered = governance.question(first)
        assert answered is not None
        assert (answered.answer, answered.expense_number) == ("because", 1)
        assert [q.id for q in governance.questions(expense_id)] == [first, second]
        assert [q.id for q in governance.questions(open_only=True)] == [second]
        assert [q.id for q in governance.questions(expense_id.upper(), open_only=True)] == [second]


def test_budget_lines_open_in_the_books_and_stay_open(books: FakeBooks) -> None:
    with books.uow(ESTATE) as uow:
        uow.governance.open_budget_lines([BudgetLine("5700", "设施设备", 1)])
        uow.governance.open_budget_lines([BudgetLine("5700", "设施设备", 1)])  # ON CONFLICT DO NOTHING
        uow.commit()
    with books.uow(ESTATE) as uow:
        assert "5700" in uow.journal.open_accounts()
    with books.uow("nowhere") as uow, pytest.raises(IntegrityError):
        uow.governance.open_budget_lines([BudgetLine("5700", "设施设备", 1)])


def test_a_voucher_is_registered_once_by_a_well_formed_hash(books: FakeBooks) -> None:
    with books.uow(ESTATE) as uow:
        uow.governance.add_voucher(VOUCHER, "firm")
        uow.governance.add_voucher(Voucher(SHA, 1, "application/pdf", "other.pdf"), "firm")
        assert uow.governance.vouchers([SHA, "b" * 64]) == {SHA: VOUCHER}
        with pytest.raises(IntegrityError, match="vouchers_sha256_hex"):
            uow.governance.add_voucher(Voucher("A" * 64, 1, "image/png", ""), "firm")
