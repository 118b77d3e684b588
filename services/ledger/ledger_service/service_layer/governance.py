"""The money-out half of the trust model: the year's budget adopted by ballot, expenses under dual
approval with their vouchers, residents' questions, and budget vs actual.

Use cases take the estate's unit of work (or, for the ballot events, the consumer's session wrapped
as :class:`GovernanceWork`) and commit only when everything they wrote belongs together."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from google.protobuf.message import Message

from ledger_service.adapters.governance import (
    AdoptedBudget,
    GovernanceRepository,
    Question,
    StoredDraft,
    StoredExpense,
    Voucher,
)
from ledger_service.adapters.journal import JournalRepository
from ledger_service.domain import budgets, expenses
from ledger_service.domain.budgets import BudgetDraft, DraftStatus, LineExecution
from ledger_service.domain.expenses import Escalation, ExpenseStatus, Proposal
from ledger_service.domain.postings import is_budget_line
from ledger_service.domain.views import EstateContext
from ledger_service.service_layer.common import (
    Registry,
    books_of,
    posting_period,
    readable_period,
    rules_in_force,
    writable,
)
from ledger_service.service_layer.movements import post_and_announce
from ledger_service.service_layer.unit_of_work import LedgerUnitOfWork
from xinyi.ledger.v1 import events_pb2
from xinyi_shared.blobs import BlobStore, MediaType
from xinyi_shared.errors import Conflict, InvalidInput, NotFound

# The households' ballot on an expense decides it while no supervisor has yet (a ballot opened as
# soon as it was proposed), or once the supervisor has agreed and it waits for them.
BALLOT_DECIDES = frozenset({ExpenseStatus.PROPOSED, ExpenseStatus.AWAITING_BALLOT})
VOUCHER_TYPES = frozenset({MediaType.PDF, MediaType.PNG, MediaType.JPEG, MediaType.WEBP})


class GovernanceWork(Protocol):
    """What the ballot handlers need: the estate's repositories and its outbox, in one transaction."""

    estate_code: str
    governance: GovernanceRepository
    journal: JournalRepository

    def publish(self, message: Message) -> None: ...


@dataclass(frozen=True)
class Actor:
    subject: str  # the account's id: who may not approve their own proposal
    name: str  # shown in the history


# Budgets -------------------------------------------------------------------------------------------


def draft_budget(
    uow: LedgerUnitOfWork, registry: Registry, draft: BudgetDraft, actor: Actor, key: str | None = None
) -> tuple[StoredDraft, bool]:
    """A new draft; with an idempotency key, a retry answers the first draft (replayed: True)."""
    with uow:
        if key is not None:
            first = uow.keys.claim(key, {"budget_draft": repr(draft)})
            if first is not None:
                return _draft(uow.governance, str(first["draft_id"])), True
        context = writable(uow.journal.context(), uow.estate_code)
        _check_year(context, draft)
        _check_within_income(uow, registry, context, draft)
        draft_id = uow.governance.add_draft(draft, actor.subject)
        if key is not None:
            uow.keys.answer(key, {"draft_id": draft_id})
        stored = _draft(uow.governance, draft_id)
        uow.commit()
    return stored, False


def replace_draft(
    uow: LedgerUnitOfWork, registry: Registry, draft_id: str, draft: BudgetDraft, actor: Actor
) -> StoredDraft:
    with uow:
        context = writable(uow.journal.context(), uow.estate_code)
        stored = _draft(uow.governance, draft_id, for_update=True)
        budgets.require_editable(stored.status)
        _check_year(context, draft)
        _check_within_income(uow, registry, context, draft)
        uow.governance.replace_draft(draft_id, draft)
        updated = uow.governance.draft(draft_id)
        uow.commit()
    assert updated is not None
    return updated


def _check_year(context: EstateContext, draft: BudgetDraft) -> None:
    if draft.year < context.today.year:
        raise InvalidInput(f"a budget is drafted for this year ({context.today.year}) or a coming one")


def _check_within_income(uow: LedgerUnitOfWork, registry: Registry, context: EstateContext, draft: BudgetDraft) -> None:
    rules = rules_in_force(uow, registry, context.today)
    draft.check_within_income(rules.remuneration_share_bps)


def _draft(repository: GovernanceRepository, draft_id: str, *, for_update: bool = False) -> StoredDraft:
    stored = repository.draft(draft_id, for_update=for_update)
    if stored is None:
        raise NotFound(f"no budget draft {draft_id}")
    return stored


def get_draft(uow: LedgerUnitOfWork, draft_id: str) -> StoredDraft:
    with uow:
        books_of(uow.journal.context(), uow.estate_code)
        return _draft(uow.governance, draft_id)


def list_drafts(uow: LedgerUnitOfWork, limit: int = 100, offset: int = 0) -> list[StoredDraft]:
    """A page of the estate's drafts, newest first (see :func:`page_of_drafts`)."""
    return page_of_drafts(uow, limit, offset)[1]


def page_of_drafts(uow: LedgerUnitOfWork, limit: int = 100, offset: int = 0) -> tuple[int, list[StoredDraft]]:
    """How many drafts the estate has, and ``limit`` of them after ``offset``, newest first (the id
    breaks ties, so pages neither overlap nor skip); both read in one transaction."""
    with uow:
        books_of(uow.journal.context(), uow.estate_code)
        return uow.governance.count_drafts(), uow.governance.drafts(limit, offset)


def adopted_budget(uow: LedgerUnitOfWork, year: int) -> AdoptedBudget:
    with uow:
        books_of(uow.journal.context(), uow.estate_code)
        budget = uow.governance.budget(year)
    if budget is None:
        raise NotFound(f"no budget adopted for {year}")
    return budget


def ballot_opened(work: GovernanceWork, ballot_id: str, subject: str, options: Sequence[str]) -> None:
    """A ballot on a draft freezes it; a ballot on an expense is recorded on it."""
    draft_id = budgets.draft_of_subject(subject)
    if draft_id is not None:
        stored = work.governance.draft(draft_id, for_update=True)
        if stored is not None and stored.status is DraftStatus.DRAFT:
            work.governance.mark_balloting(draft_id, ballot_id)
        return
    expense_id = expenses.expense_of_subject(subject)
    if expense_id is not None:
        expense = work.governance.expense(expense_id, for_update=True)
        if expense is not None and expense.status in BALLOT_DECIDES and expense.ballot_id is None:
            work.governance.update_expense(expense_id, ballot_id=ballot_id)


def ballot_closed(work: GovernanceWork, ballot_id: str, subject: str, adopted_option: str, actor: str) -> None:
    """The owners decided: a draft's plan becomes the year's budget (once), or an expense waiting
    for their ballot is approved and booked, or rejected."""
    draft_id = budgets.draft_of_subject(subject)
    if draft_id is not None:
        _decide_draft(work, draft_id, ballot_id, adopted_option)
        return
    expense_id = expenses.expense_of_subject(subject)
    if expense_id is not None:
        _decide_expense_by_ballot(work, expense_id, ballot_id, adopted_option, actor)


def _decide_draft(work: GovernanceWork, draft_id: str, ballot_id: str, adopted_option: str) -> None:
    stored = work.governance.draft(draft_id, for_update=True)
    # Decided once: a second delivery, or a second ballot on a decided draft, changes nothing.
    if stored is None or stored.status in (DraftStatus.ADOPTED, DraftStatus.NOT_ADOPTED):
        return
    if stored.ballot_id is not None and stored.ballot_id != ballot_id:
        return  # another ballot than the one the draft was put to
    plan = budgets.plan_adopted(stored.draft, adopted_option)
    if plan is None:
        work.governance.decide_draft(draft_id, DraftStatus.NOT_ADOPTED, None, ballot_id)
        return
    work.governance.decide_draft(draft_id, DraftStatus.ADOPTED, plan.name, ballot_id)
    work.governance.adopt(stored.draft.year, draft_id, plan.name, ballot_id)
    work.governance.open_budget_lines(list(plan.lines))
    work.publish(
        events_pb2.BudgetAdopted(
            estate_code=work.estate_code,
            year=stored.draft.year,
            draft_id=draft_id,
            plan_name=plan.name,
            ballot_id=ballot_id,
            fee_income_fen=plan.fee_income_fen,
            lines=[
                events_pb2.BudgetLineAmount(account=line.account, name=line.name, amount_fen=line.amount_fen)
                for line in plan.lines
            ],
        )
    )


# Vouchers ------------------------------------------------------------------------------------------


def upload_voucher(uow: LedgerUnitOfWork, store: BlobStore, data: bytes, file_name: str, actor: Actor) -> Voucher:
    """Keep a voucher's bytes in the blob store (type and size checked from the bytes) and register
    it with the estate, so its expenses may name it."""
    with uow:
        writable(uow.journal.context(), uow.estate_code)
    blob = store.put(data, allowed=VOUCHER_TYPES)
    voucher = Voucher(blob.sha256, blob.size, blob.media_type, (file_name or "")[:200])
    with uow:
        uow.governance.add_voucher(voucher, actor.subject)
        known = uow.governance.vouchers([blob.sha256])
        uow.commit()
    return known[blob.sha256]


def voucher_bytes(uow: LedgerUnitOfWork, store: BlobStore, sha256: str) -> tuple[Voucher, bytes]:
    """A voucher of this estate and its bytes (BlobTampered when they no longer match their hash)."""
    with uow:
        books_of(uow.journal.context(), uow.estate_code)
        known = uow.governance.vouchers([sha256.lower()])
    voucher = known.get(sha256.lower())
    if voucher is None:
        raise NotFound(f"no voucher {sha256} in this estate")
    return voucher, store.get(voucher.sha256)


# Expenses ------------------------------------------------------------------------------------------


def propose_expense(
    uow: LedgerUnitOfWork, proposal: Proposal, actor: Actor, key: str | None = None, ticket_id: str | None = None
) -> tuple[StoredExpense, bool]:
    """A new proposal, for the ticket ``ticket_id`` (ticketing's materials) if given; with an
    idempotency key, a retry answers the first proposal (replayed: True), and the key used for
    another proposal or another ticket is a Conflict."""
    ticket_id = expenses.ticket_reference(ticket_id)
    with uow:
        if key is not None:
            # Without a ticket, the fingerprint stays the one keys were claimed with before tickets.
            request = {"expense": repr(proposal)} | ({"ticket_id": ticket_id} if ticket_id is not None else {})
            first = uow.keys.claim(key, request)
            if first is not None:
                return _expense(uow.governance, str(first["expense_id"])), True
        context = writable(uow.journal.context(), uow.estate_code)
        year = context.today.year
        vouchers = uow.governance.vouchers(list(proposal.vouchers))
        missing = [sha for sha in proposal.vouchers if sha not in vouchers]
        if missing:
            raise InvalidInput(f"voucher(s) {', '.join(missing)} were not uploaded to this estate")
        budget = uow.governance.budget(year)
        if budget is not None and budget.plan.line(proposal.account) is None:
            lines = ", ".join(line.account for line in budget.plan.lines)
            raise InvalidInput(f"line {proposal.account} is not in the budget adopted for {year} (its lines: {lines})")
        needs = _escalation(uow, year, proposal.account, proposal.amount_fen)
        expense_id = uow.governance.add_expense(
            proposal, [vouchers[sha] for sha in proposal.vouchers], year, needs, actor.subject, actor.name, ticket_id
        )
        uow.publish(
            events_pb2.ExpenseProposed(
                estate_code=uow.estate_code,
                expense_id=expense_id,
                account=proposal.account,
                amount_fen=proposal.amount_fen,
                escalation=needs.value,
                ticket_id=ticket_id or "",
            )
        )
        if key is not None:
            uow.keys.answer(key, {"expense_id": expense_id})
        stored = _expense(uow.governance, expense_id)
        uow.commit()
    return stored, False


def _escalation(uow: LedgerUnitOfWork, year: int, account: str, amount_fen: int, holding: int = 0) -> Escalation:
    """What an expense of ``amount_fen`` on ``account`` needs; ``holding``: its own amount, when it
    is already among the expenses holding the line."""
    budget = uow.governance.budget(year)
    if budget is None:
        return expenses.escalation(amount_fen, None, 0, None)
    line = budget.plan.line(account)
    booked = _booked_in_year(uow.journal, year).get(account, 0)
    used = booked + uow.governance.held_on_line(year, account) - holding
    return expenses.escalation(amount_fen, line.amount_fen if line else None, used, budget.policy)


def _booked_in_year(journal: JournalRepository, year: int, through: str | None = None) -> dict[str, int]:
    booked: dict[str, int] = {}
    for total in journal.totals(f"{year:04d}-01", through or f"{year:04d}-12"):
        if is_budget_line(total.account):
            booked[total.account] = booked.get(total.account, 0) + total.amount_fen
    return booked


def _expense(repository: GovernanceRepository, expense_id: str, *, for_update: bool = False) -> StoredExpense:
    expense = repository.expense(expense_id, for_update=for_update)
    if expense is None:
        raise NotFound(f"no expense {expense_id}")
    return expense


def approve_expense(uow: LedgerUnitOfWork, expense_id: str, actor: Actor) -> StoredExpense:
    with uow:
        context = writable(uow.journal.context(), uow.estate_code)
        expense = _expense(uow.governance, expense_id, for_update=True)
        expenses.check_approvable(expense.status)
        expenses.check_decider(expense.proposed_by, expense.first_approver, actor.subject)
        needs = expense.escalation
        if expense.status is ExpenseStatus.PROPOSED:
            # Other expenses may have been booked since the proposal: the line is judged as it is now.
            proposal = expense.proposal
            needs = _escalation(uow, expense.year, proposal.account, proposal.amount_fen, holding=proposal.amount_fen)
        status = expenses.after_approval(expense.status, needs)
        if status is ExpenseStatus.APPROVED:
            approval = (
                events_pb2.APPROVAL_SECOND_SUPERVISOR
                if expense.status is ExpenseStatus.AWAITING_SECOND_APPROVAL
                else events_pb2.APPROVAL_SUPERVISOR
            )
            _book(uow, context, expense, approval)
            uow.governance.update_expense(expense_id, status=status.value, decided_at=True)
        else:
            uow.governance.update_expense(expense_id, status=status.value, first_approver=actor.subject)
        if needs is not expense.escalation:
            uow.governance.set_escalation(expense_id, needs.value)
        uow.governance.record(expense_id, "approved", status, actor.subject, actor.name, None)
        updated = _expense(uow.governance, expense_id)
        uow.commit()
    return updated


def _book(
    work: LedgerUnitOfWork | GovernanceWork,
    context: EstateContext,
    expense: StoredExpense,
    approval: events_pb2.Approval,
) -> None:
    period = posting_period(work, context, context.current_period)
    # A line off the adopted budget (approved by the households' ballot) opens with its booking.
    work.governance.open_line(expense.proposal.account)
    transaction = expenses.booking(
        period, expense.id, expense.proposal.account, expense.proposal.amount_fen, expense.proposal.payee
    )
    (posted,) = post_and_announce(work, [transaction], f"expense:{expense.id}")
    work.governance.update_expense(expense.id, booking_transaction_id=posted.transaction_id)
    work.publish(
        events_pb2.ExpenseApproved(
            estate_code=work.estate_code,
            expense_id=expense.id,
            account=expense.proposal.account,
            amount_fen=expense.proposal.amount_fen,
            period=period,
            transaction_id=posted.transaction_id,
            approval=approval,
        )
    )


def reject_expense(uow: LedgerUnitOfWork, expense_id: str, reason: str, actor: Actor) -> StoredExpense:
    reason = expenses.text("reason", reason, expenses.MAX_REASON_LENGTH)
    with uow:
        writable(uow.journal.context(), uow.estate_code)
        expense = _expense(uow.governance, expense_id, for_update=True)
        expenses.check_rejectable(expense.status)
        expenses.check_decider(expense.proposed_by, None, actor.subject)
        uow.governance.update_expense(expense_id, status=ExpenseStatus.REJECTED.value, reason=reason, decided_at=True)
        uow.governance.record(expense_id, "rejected", ExpenseStatus.REJECTED, actor.subject, actor.name, reason)
        uow.publish(
            events_pb2.ExpenseRejected(
                estate_code=uow.estate_code,
                expense_id=expense_id,
                account=expense.proposal.account,
                amount_fen=expense.proposal.amount_fen,
            )
        )
        updated = _expense(uow.governance, expense_id)
        uow.commit()
    return updated


def _decide_expense_by_ballot(
    work: GovernanceWork, expense_id: str, ballot_id: str, adopted_option: str, actor: str
) -> None:
    expense = work.governance.expense(expense_id, for_update=True)
    if expense is None or expense.status not in BALLOT_DECIDES:
        return  # decided already (a second delivery, or by the supervisor before the ballot closed)
    if expense.ballot_id is not None and expense.ballot_id != ballot_id:
        return
    context = work.journal.context()
    approved = expenses.approved_by_ballot(adopted_option)
    if approved and context is not None and context.status == "active":
        status = ExpenseStatus.APPROVED
        _book(work, context, expense, events_pb2.APPROVAL_BALLOT)
        work.governance.update_expense(expense_id, status=status.value, ballot_id=ballot_id, decided_at=True)
        work.governance.record(expense_id, "approved by ballot", status, actor, "ballot", None)
        return
    reason = (
        "the households approved it by ballot while the books were read-only: propose it again"
        if approved
        else "the households did not approve it by ballot"
    )
    work.governance.update_expense(
        expense_id, status=ExpenseStatus.REJECTED.value, ballot_id=ballot_id, reason=reason, decided_at=True
    )
    work.governance.record(expense_id, "rejected by ballot", ExpenseStatus.REJECTED, actor, "ballot", reason)
    work.publish(
        events_pb2.ExpenseRejected(
            estate_code=work.estate_code,
            expense_id=expense_id,
            account=expense.proposal.account,
            amount_fen=expense.proposal.amount_fen,
            by_ballot=True,
        )
    )


def pay_expense(uow: LedgerUnitOfWork, expense_id: str, actor: Actor) -> StoredExpense:
    """The approved expense is paid from the trust fund (once: a second payment is refused)."""
    with uow:
        context = writable(uow.journal.context(), uow.estate_code)
        expense = _expense(uow.governance, expense_id, for_update=True)
        expenses.check_payable(expense.status)
        period = posting_period(uow, context, context.current_period)
        transaction = expenses.payment(period, expense.id, expense.proposal.amount_fen, expense.proposal.payee)
        (posted,) = post_and_announce(uow, [transaction], actor.subject)
        uow.governance.update_expense(
            expense_id, status=ExpenseStatus.PAID.value, payment_transaction_id=posted.transaction_id
        )
        uow.governance.record(expense_id, "paid", ExpenseStatus.PAID, actor.subject, actor.name, None)
        uow.publish(
            events_pb2.ExpensePaid(
                estate_code=uow.estate_code,
                expense_id=expense_id,
                amount_fen=expense.proposal.amount_fen,
                period=period,
                transaction_id=posted.transaction_id,
            )
        )
        updated = _expense(uow.governance, expense_id)
        uow.commit()
    return updated


@dataclass(frozen=True)
class ExpenseDetail:
    expense: StoredExpense
    vouchers: list[Voucher]
    history: list[Any]
    questions: list[Question]


def get_expense(uow: LedgerUnitOfWork, expense_id: str) -> ExpenseDetail:
    with uow:
        books_of(uow.journal.context(), uow.estate_code)
        expense = _expense(uow.governance, expense_id)
        return ExpenseDetail(
            expense=expense,
            vouchers=uow.governance.expense_vouchers(expense_id),
            history=uow.governance.history(expense_id),
            questions=uow.governance.questions(expense_id),
        )


def list_expenses(uow: LedgerUnitOfWork, status: str | None, limit: int, before: int | None) -> list[StoredExpense]:
    if status is not None:
        try:
            status = ExpenseStatus(status).value
        except ValueError as error:
            raise InvalidInput(
                f"unknown status {status!r}: one of {', '.join(s.value for s in ExpenseStatus)}"
            ) from error
    with uow:
        books_of(uow.journal.context(), uow.estate_code)
        return uow.governance.expenses(status, limit, before)


# Questions -----------------------------------------------------------------------------------------


def ask_question(uow: LedgerUnitOfWork, expense_id: str, question: str, actor: Actor) -> Question:
    question = expenses.text("question", question, expenses.MAX_QUESTION_LENGTH)
    with uow:
        writable(uow.journal.context(), uow.estate_code)
        _expense(uow.governance, expense_id)
        question_id = uow.governance.add_question(expense_id, question, actor.subject)
        uow.publish(
            events_pb2.ExpenseQuestioned(estate_code=uow.estate_code, expense_id=expense_id, question_id=question_id)
        )
        stored = uow.governance.question(question_id)
        uow.commit()
    assert stored is not None
    return stored


def answer_question(uow: LedgerUnitOfWork, expense_id: str, question_id: str, answer: str, actor: Actor) -> Question:
    answer = expenses.text("answer", answer, expenses.MAX_QUESTION_LENGTH)
    with uow:
        writable(uow.journal.context(), uow.estate_code)
        stored = uow.governance.question(question_id, for_update=True)
        if stored is None or stored.expense_id != expense_id:
            raise NotFound(f"no question {question_id} on expense {expense_id}")
        if stored.answer is not None:
            raise Conflict("this question is answered already")
        uow.governance.answer(question_id, answer, actor.subject)
        uow.publish(
            events_pb2.ExpenseQuestionAnswered(
                estate_code=uow.estate_code, expense_id=expense_id, question_id=question_id
            )
        )
        answered = uow.governance.question(question_id)
        uow.commit()
    assert answered is not None
    return answered


def page_of_questions(
    uow: LedgerUnitOfWork, open_only: bool = True, limit: int = 100, offset: int = 0
) -> tuple[int, list[Question]]:
    """How many questions the estate has (only the unanswered ones with ``open_only``: what the firm
    still owes an answer), and ``limit`` of them after ``offset``, oldest asked first (the id breaks
    ties, so pages neither overlap nor skip); both read in one transaction."""
    with uow:
        books_of(uow.journal.context(), uow.estate_code)
        return uow.governance.count_questions(open_only), uow.governance.questions_page(open_only, limit, offset)


# Budget vs actual ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetExecution:
    period: str
    year: int
    adopted: AdoptedBudget | None
    lines: list[LineExecution]
    open_questions: list[Question]


def execution_in(uow: LedgerUnitOfWork, period: str) -> BudgetExecution:
    """Budget vs actual of the month's year through the month, inside an open unit of work."""
    year = int(period[:4])
    budget = uow.governance.budget(year)
    # One read of the year's totals through the month gives both the month and the year to date.
    in_period: dict[str, int] = {}
    year_to_date: dict[str, int] = {}
    for total in uow.journal.totals(f"{year:04d}-01", period):
        if is_budget_line(total.account):
            year_to_date[total.account] = year_to_date.get(total.account, 0) + total.amount_fen
            if total.period == period:
                in_period[total.account] = in_period.get(total.account, 0) + total.amount_fen
    lines = budgets.budget_execution(
        list(budget.plan.lines) if budget else [],
        in_period,
        year_to_date,
        uow.governance.committed_by_line(f"{year:04d}-01", period),
    )
    return BudgetExecution(period, year, budget, lines, uow.governance.questions(open_only=True))


def budget_execution(uow: LedgerUnitOfWork, period: str) -> BudgetExecution:
    with uow:
        context = books_of(uow.journal.context(), uow.estate_code)
        readable_period(context, period)
        return execution_in(uow, period)


def monthly_execution(uow: LedgerUnitOfWork, year: int) -> list[BudgetExecution]:
    """Budget vs actual for each month of ``year`` the books have, January first."""
    with uow:
        context = books_of(uow.journal.context(), uow.estate_code)
        months = [f"{year:04d}-{month:02d}" for month in range(1, 13)]
        return [execution_in(uow, period) for period in months if context.readable_period(period)]
