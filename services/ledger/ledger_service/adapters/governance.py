"""Budgets, vouchers, expenses and questions in and out of PostgreSQL (one estate's rows, under
row-level security)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ledger_service.domain.budgets import (
    STANDARD_LINES,
    BudgetDraft,
    BudgetLine,
    DraftStatus,
    ExpensePolicy,
    ServicePlan,
)
from ledger_service.domain.expenses import Escalation, ExpenseStatus, Proposal
from xinyi_shared.db import Executor, sql


@dataclass(frozen=True)
class StoredDraft:
    id: str
    draft: BudgetDraft
    status: DraftStatus
    ballot_id: str | None
    adopted_plan: str | None
    created_by: str
    created_at: datetime
    decided_at: datetime | None


@dataclass(frozen=True)
class AdoptedBudget:
    year: int
    draft_id: str
    plan: ServicePlan
    policy: ExpensePolicy
    ballot_id: str
    adopted_at: datetime


@dataclass(frozen=True)
class Voucher:
    sha256: str
    size: int
    media_type: str
    file_name: str


@dataclass(frozen=True)
class HistoryItem:
    action: str
    status: str
    actor_name: str
    reason: str | None
    at: datetime


@dataclass(frozen=True)
class Question:
    id: str
    expense_id: str
    expense_number: int
    question: str
    asked_at: datetime
    answer: str | None
    answered_at: datetime | None
    asked_by: str


@dataclass(frozen=True)
class StoredExpense:
    id: str
    number: int
    status: ExpenseStatus
    proposal: Proposal
    year: int
    escalation: Escalation
    proposed_by: str
    proposed_by_name: str
    proposed_at: datetime
    first_approver: str | None
    ballot_id: str | None
    decided_at: datetime | None
    reason: str | None
    booking_transaction_id: str | None
    payment_transaction_id: str | None
    ticket_id: str | None  # the ticket (ticketing service) it pays materials for, if any


def _plan(row: Any) -> ServicePlan:
    return ServicePlan(
        name=row.name,
        fee_income_fen=int(row.fee_income_fen),
        lines=tuple(BudgetLine(line["account"], line["name"], int(line["amount_fen"])) for line in row.lines),
    )


def _question(row: Any) -> Question:
    return Question(
        id=str(row.id),
        expense_id=str(row.expense_id),
        expense_number=int(row.expense_number),
        question=row.question,
        asked_at=row.asked_at,
        answer=row.answer,
        answered_at=row.answered_at,
        asked_by=row.asked_by,
    )


def _expense(row: Any) -> StoredExpense:
    return StoredExpense(
        id=str(row.id),
        number=int(row.number),
        status=ExpenseStatus(row.status),
        proposal=Proposal(
            payee=row.payee,
            amount_fen=int(row.amount_fen),
            account=row.account,
            description=row.description,
            vouchers=tuple(v["sha256"] for v in row.vouchers),
        ),
        year=int(row.year),
        escalation=Escalation(row.escalation),
        proposed_by=row.proposed_by,
        proposed_by_name=row.proposed_by_name,
        proposed_at=row.proposed_at,
        first_approver=row.first_approver,
        ballot_id=row.ballot_id,
        decided_at=row.decided_at,
        reason=row.reason,
        booking_transaction_id=str(row.booking_transaction_id) if row.booking_transaction_id else None,
        payment_transaction_id=str(row.payment_transaction_id) if row.payment_transaction_id else None,
        ticket_id=row.ticket_id,
    )


class GovernanceRepository:
    def __init__(self, session: Executor, estate_code: str) -> None:
        self.session = session
        self.estate = estate_code

    # Budgets -------------------------------------------------------------------------------------

    def add_draft(self, draft: BudgetDraft, created_by: str) -> str:
        draft_id = uuid.uuid4()
        self.session.execute(
            sql(
                "INSERT INTO budget_drafts (id, estate_code, year, large_expense_threshold_fen, large_expense_rule, "
                "created_by) VALUES (:id, :estate, :year, :threshold, :rule, :by)"
            ),
            {
                "id": draft_id,
                "estate": self.estate,
                "year": draft.year,
                "threshold": draft.policy.threshold_fen,
                "rule": draft.policy.rule.value,
                "by": created_by,
            },
        )
        self._write_plans(draft_id, draft)
        return str(draft_id)

    def replace_draft(self, draft_id: str, draft: BudgetDraft) -> None:
        self.session.execute(
            sql(
                "UPDATE budget_drafts SET year = :year, large_expense_threshold_fen = :threshold, "
                "large_expense_rule = :rule WHERE estate_code = :estate AND id = :id"
            ),
            {
                "id": uuid.UUID(draft_id),
                "estate": self.estate,
                "year": draft.year,
                "threshold": draft.policy.threshold_fen,
                "rule": draft.policy.rule.value,
            },
        )
        self.session.execute(
            sql("DELETE FROM budget_plans WHERE estate_code = :estate AND draft_id = :id"),
            {"estate": self.estate, "id": uuid.UUID(draft_id)},
        )
        self._write_plans(uuid.UUID(draft_id), draft)

    def _write_plans(self, draft_id: uuid.UUID, draft: BudgetDraft) -> None:
        self.session.execute(
            sql(
                "INSERT INTO budget_plans (draft_id, position, estate_code, name, fee_income_fen, lines) "
                "VALUES (:draft, :position, :estate, :name, :income, CAST(:lines AS jsonb))"
            ),
            [
                {
                    "draft": draft_id,
                    "position": position,
                    "estate": self.estate,
                    "name": plan.name,
                    "income": plan.fee_income_fen,
                    "lines": json.dumps(
                        [
                            {"account": line.account, "name": line.name, "amount_fen": line.amount_fen}
                            for line in plan.lines
                        ],
                        ensure_ascii=False,
                    ),
                }
                for position, plan in enumerate(draft.plans)
            ],
        )

    def draft(self, draft_id: str, *, for_update: bool = False) -> StoredDraft | None:
        try:
            key = uuid.UUID(draft_id)
        except ValueError:
            return None
        row = self.session.execute(
            sql(
                "SELECT id, year, status, large_expense_threshold_fen, large_expense_rule, ballot_id, adopted_plan, "
                "created_by, created_at, decided_at FROM budget_drafts WHERE estate_code = :estate AND id = :id"
                + (" FOR UPDATE" if for_update else "")
            ),
            {"estate": self.estate, "id": key},
        ).first()
        if row is None:
            return None
        plans = self.session.execute(
            sql(
                "SELECT name, fee_income_fen, lines FROM budget_plans WHERE estate_code = :estate AND draft_id = :id "
                "ORDER BY position"
            ),
            {"estate": self.estate, "id": key},
        ).all()
        return StoredDraft(
            id=str(row.id),
            draft=BudgetDraft(
                year=int(row.year),
                plans=tuple(_plan(p) for p in plans),
                policy=ExpensePolicy(int(row.large_expense_threshold_fen), row.large_expense_rule),
            ),
            status=DraftStatus(row.status),
            ballot_id=row.ballot_id,
            adopted_plan=row.adopted_plan,
            created_by=row.created_by,
            created_at=row.created_at,
            decided_at=row.decided_at,
        )

    def drafts(self, limit: int = 100, offset: int = 0) -> list[StoredDraft]:
        """A page of the estate's drafts, newest first (the id breaks ties: drafts of one transaction
        share its now()), so that pages neither overlap nor skip."""
        ids = self.session.execute(
            sql(
                "SELECT id FROM budget_drafts WHERE estate_code = :estate "
                "ORDER BY created_at DESC, id DESC LIMIT :limit OFFSET :offset"
            ),
            {"estate": self.estate, "limit": limit, "offset": offset},
        ).scalars()
        return [draft for draft in (self.draft(str(i)) for i in list(ids)) if draft is not None]

    def count_drafts(self) -> int:
        """How many drafts :meth:`drafts` pages through (the same rows)."""
        return int(
            self.session.execute(
                sql("SELECT count(*) FROM budget_drafts WHERE estate_code = :estate"), {"estate": self.estate}
            ).scalar_one()
        )

    def mark_balloting(self, draft_id: str, ballot_id: str) -> None:
        self.session.execute(
            sql(
                "UPDATE budget_drafts SET status = 'balloting', ballot_id = :ballot "
                "WHERE estate_code = :estate AND id = :id"
            ),
            {"estate": self.estate, "id": uuid.UUID(draft_id), "ballot": ballot_id},
        )

    def decide_draft(self, draft_id: str, status: DraftStatus, adopted_plan: str | None, ballot_id: str) -> None:
        self.session.execute(
            sql(
                "UPDATE budget_drafts SET status = :status, adopted_plan = :plan, ballot_id = :ballot, "
                "decided_at = now() WHERE estate_code = :estate AND id = :id"
            ),
            {
                "estate": self.estate,
                "id": uuid.UUID(draft_id),
                "status": status.value,
                "plan": adopted_plan,
                "ballot": ballot_id,
            },
        )

    def adopt(self, year: int, draft_id: str, plan_name: str, ballot_id: str) -> None:
        """The year's budget is the plan; a later ballot's plan replaces an earlier one."""
        self.session.execute(
            sql(
                "INSERT INTO budgets (estate_code, year, draft_id, plan_position, ballot_id) "
                "SELECT :estate, :year, :draft, position, :ballot FROM budget_plans "
                "WHERE estate_code = :estate AND draft_id = :draft AND lower(name) = lower(:plan) "
                "ON CONFLICT (estate_code, year) DO UPDATE SET draft_id = EXCLUDED.draft_id, "
                "plan_position = EXCLUDED.plan_position, ballot_id = EXCLUDED.ballot_id, adopted_at = now()"
            ),
            {"estate": self.estate, "year": year, "draft": uuid.UUID(draft_id), "plan": plan_name, "ballot": ballot_id},
        )

    def budget(self, year: int) -> AdoptedBudget | None:
        row = self.session.execute(
            sql(
                "SELECT b.year, b.draft_id, b.ballot_id, b.adopted_at, p.name, p.fee_income_fen, p.lines, "
                "d.large_expense_threshold_fen, d.large_expense_rule FROM budgets b "
                "JOIN budget_plans p ON p.draft_id = b.draft_id AND p.position = b.plan_position "
                "JOIN budget_drafts d ON d.id = b.draft_id "
                "WHERE b.estate_code = :estate AND b.year = :year"
            ),
            {"estate": self.estate, "year": year},
        ).first()
        if row is None:
            return None
        return AdoptedBudget(
            year=int(row.year),
            draft_id=str(row.draft_id),
            plan=_plan(row),
            policy=ExpensePolicy(int(row.large_expense_threshold_fen), row.large_expense_rule),
            ballot_id=row.ballot_id,
            adopted_at=row.adopted_at,
        )

    def open_budget_lines(self, lines: list[BudgetLine]) -> None:
        """Open the adopted lines' accounts in the books (an account once opened stays open)."""
        self.session.execute(
            sql(
                "INSERT INTO accounts (estate_code, code, name, name_zh, type) "
                "VALUES (:estate, :code, :name, :name, 'expense') ON CONFLICT DO NOTHING"
            ),
            [{"estate": self.estate, "code": line.account, "name": line.name} for line in lines],
        )

    # Vouchers ------------------------------------------------------------------------------------

    def add_voucher(self, voucher: Voucher, uploaded_by: str) -> None:
        self.session.execute(
            sql(
                "INSERT INTO vouchers (estate_code, sha256, size, media_type, file_name, uploaded_by) "
                "VALUES (:estate, :sha, :size, :type, :name, :by) ON CONFLICT DO NOTHING"
            ),
            {
                "estate": self.estate,
                "sha": voucher.sha256,
                "size": voucher.size,
                "type": voucher.media_type,
                "name": voucher.file_name,
                "by": uploaded_by,
            },
        )

    def vouchers(self, hashes: list[str]) -> dict[str, Voucher]:
        rows = self.session.execute(
            sql(
                "SELECT sha256, size, media_type, file_name FROM vouchers "
                "WHERE estate_code = :estate AND sha256 = ANY(CAST(:hashes AS text[]))"
            ),
            {"estate": self.estate, "hashes": hashes},
        ).all()
        return {r.sha256: Voucher(r.sha256, int(r.size), r.media_type, r.file_name) for r in rows}

    # Expenses ------------------------------------------------------------------------------------

    def add_expense(
        self,
        proposal: Proposal,
        vouchers: list[Voucher],
        year: int,
        escalation: Escalation,
        proposed_by: str,
        proposed_by_name: str,
        ticket_id: str | None = None,
    ) -> str:
        expense_id = uuid.uuid4()
        self.session.execute(
            sql(
                "INSERT INTO expenses (id, estate_code, status, payee, amount_fen, account, description, vouchers, "
                "year, escalation, proposed_by, proposed_by_name, ticket_id) VALUES (:id, :estate, 'proposed', "
                ":payee, :amount, :account, :description, CAST(:vouchers AS jsonb), :year, :escalation, :by, :name, "
                ":ticket)"
            ),
            {
                "id": expense_id,
                "estate": self.estate,
                "payee": proposal.payee,
                "amount": proposal.amount_fen,
                "account": proposal.account,
                "description": proposal.description,
                "vouchers": json.dumps(
                    [
                        {"sha256": v.sha256, "size": v.size, "media_type": v.media_type, "file_name": v.file_name}
                        for v in vouchers
                    ],
                    ensure_ascii=False,
                ),
                "year": year,
                "escalation": escalation.value,
                "by": proposed_by,
                "name": proposed_by_name,
                "ticket": ticket_id,
            },
        )
        self.record(str(expense_id), "proposed", ExpenseStatus.PROPOSED, proposed_by, proposed_by_name, None)
        return str(expense_id)

    _EXPENSE = (
        "SELECT id, number, status, payee, amount_fen, account, description, vouchers, year, escalation, "
        "proposed_by, proposed_by_name, proposed_at, first_approver, ballot_id, decided_at, reason, "
        "booking_transaction_id, payment_transaction_id, ticket_id FROM expenses WHERE estate_code = :estate"
    )

    def expense(self, expense_id: str, *, for_update: bool = False) -> StoredExpense | None:
        try:
            key = uuid.UUID(expense_id)
        except ValueError:
            return None
        row = self.session.execute(
            sql(self._EXPENSE + " AND id = :id" + (" FOR UPDATE" if for_update else "")),
            {"estate": self.estate, "id": key},
        ).first()
        return _expense(row) if row is not None else None

    def expenses(self, status: str | None, limit: int, before: int | None) -> list[StoredExpense]:
        rows = self.session.execute(
            sql(
                self._EXPENSE + " AND (CAST(:status AS text) IS NULL OR status = :status) "
                "AND (CAST(:before AS bigint) IS NULL OR number < :before) ORDER BY number DESC LIMIT :limit"
            ),
            {"estate": self.estate, "status": status, "before": before, "limit": limit},
        ).all()
        return [_expense(r) for r in rows]

    def expense_vouchers(self, expense_id: str) -> list[Voucher]:
        raw = self.session.execute(
            sql("SELECT vouchers FROM expenses WHERE estate_code = :estate AND id = :id"),
            {"estate": self.estate, "id": uuid.UUID(expense_id)},
        ).scalar_one()
        return [Voucher(v["sha256"], int(v["size"]), v["media_type"], v.get("file_name", "")) for v in raw]

    def held_on_line(self, year: int, account: str) -> int:
        """What expenses not yet booked hold on a line (proposed or waiting for a further approval)."""
        return int(
            self.session.execute(
                sql(
                    "SELECT coalesce(sum(amount_fen), 0) FROM expenses WHERE estate_code = :estate AND year = :year "
                    "AND account = :account AND status IN ('proposed', 'awaiting_ballot', 'awaiting_second_approval')"
                ),
                {"estate": self.estate, "year": year, "account": account},
            ).scalar_one()
        )

    def committed_by_line(self, first_period: str, through_period: str) -> dict[str, int]:
        """Per line, the expenses booked from ``first_period`` through ``through_period`` and not yet
        paid at the end of ``through_period`` (approved, unpaid then)."""
        rows = self.session.execute(
            sql(
                "SELECT e.account, sum(e.amount_fen)::bigint AS fen FROM expenses e "
                "JOIN transactions b ON b.id = e.booking_transaction_id "
                "LEFT JOIN transactions p ON p.id = e.payment_transaction_id "
                "WHERE e.estate_code = :estate AND b.period >= :first AND b.period <= :through "
                "AND (p.id IS NULL OR p.period > :through) GROUP BY e.account"
            ),
            {"estate": self.estate, "first": first_period, "through": through_period},
        ).all()
        return {r.account: int(r.fen) for r in rows}

    def open_line(self, account: str) -> None:
        """Open a budget line's account when it is not open (named as the standard line, or by its code)."""
        name, name_zh = STANDARD_LINES.get(account, (f"Budget line {account}", f"预算科目 {account}"))
        self.session.execute(
            sql(
                "INSERT INTO accounts (estate_code, code, name, name_zh, type) "
                "VALUES (:estate, :code, :name, :name_zh, 'expense') ON CONFLICT DO NOTHING"
            ),
            {"estate": self.estate, "code": account, "name": name, "name_zh": name_zh},
        )

    def update_expense(self, expense_id: str, **changes: Any) -> None:
        allowed = {
            "status",
            "first_approver",
            "ballot_id",
            "decided_at",
            "reason",
            "booking_transaction_id",
            "payment_transaction_id",
        }
        if not changes or not set(changes) <= allowed:
            raise ValueError(f"unknown expense fields: {sorted(set(changes) - allowed)}")
        assignments = ", ".join(
            f"{name} = now()" if name == "decided_at" else f"{name} = :{name}" for name in sorted(changes)
        )
        values = {name: value for name, value in changes.items() if name != "decided_at"}
        for name in ("booking_transaction_id", "payment_transaction_id"):
            if values.get(name) is not None:
                values[name] = uuid.UUID(str(values[name]))
        self.session.execute(
            sql(f"UPDATE expenses SET {assignments} WHERE estate_code = :estate AND id = :id"),
            {**values, "estate": self.estate, "id": uuid.UUID(expense_id)},
        )

    def set_escalation(self, expense_id: str, escalation: str) -> None:
        self.session.execute(
            sql("UPDATE expenses SET escalation = :escalation WHERE estate_code = :estate AND id = :id"),
            {"estate": self.estate, "id": uuid.UUID(expense_id), "escalation": escalation},
        )

    def record(
        self, expense_id: str, action: str, status: ExpenseStatus, actor: str, actor_name: str, reason: str | None
    ) -> None:
        self.session.execute(
            sql(
                "INSERT INTO expense_history (estate_code, expense_id, action, status, actor, actor_name, reason) "
                "VALUES (:estate, :id, :action, :status, :actor, :name, :reason)"
            ),
            {
                "estate": self.estate,
                "id": uuid.UUID(expense_id),
                "action": action,
                "status": status.value,
                "actor": actor,
                "name": actor_name,
                "reason": reason,
            },
        )

    def history(self, expense_id: str) -> list[HistoryItem]:
        rows = self.session.execute(
            sql(
                "SELECT action, status, actor_name, reason, at FROM expense_history "
                "WHERE estate_code = :estate AND expense_id = :id ORDER BY id"
            ),
            {"estate": self.estate, "id": uuid.UUID(expense_id)},
        ).all()
        return [HistoryItem(r.action, r.status, r.actor_name, r.reason, r.at) for r in rows]

    # Questions -----------------------------------------------------------------------------------

    def add_question(self, expense_id: str, question: str, asked_by: str) -> str:
        question_id = uuid.uuid4()
        self.session.execute(
            sql(
                "INSERT INTO expense_questions (id, estate_code, expense_id, question, asked_by) "
                "VALUES (:id, :estate, :expense, :question, :by)"
            ),
            {
                "id": question_id,
                "estate": self.estate,
                "expense": uuid.UUID(expense_id),
                "question": question,
                "by": asked_by,
            },
        )
        return str(question_id)

    _QUESTIONS_OF_ESTATE = (
        "FROM expense_questions q JOIN expenses e ON e.id = q.expense_id AND e.estate_code = q.estate_code "
        "WHERE q.estate_code = :estate"
    )
    _QUESTION = (
        "SELECT q.id, q.expense_id, e.number AS expense_number, q.question, q.asked_at, q.answer, q.answered_at, "
        "q.asked_by " + _QUESTIONS_OF_ESTATE
    )
    _OPEN_ONLY = " AND (NOT :open_only OR q.answer IS NULL)"

    def question(self, question_id: str, *, for_update: bool = False) -> Question | None:
        try:
            key = uuid.UUID(question_id)
        except ValueError:
            return None
        row = self.session.execute(
            sql(self._QUESTION + " AND q.id = :id" + (" FOR UPDATE OF q" if for_update else "")),
            {"estate": self.estate, "id": key},
        ).first()
        return _question(row) if row is not None else None

    def questions(self, expense_id: str | None = None, *, open_only: bool = False) -> list[Question]:
        rows = self.session.execute(
            sql(
                self._QUESTION + " AND (CAST(:expense AS uuid) IS NULL OR q.expense_id = CAST(:expense AS uuid)) "
                "AND (NOT :open_only OR q.answer IS NULL) ORDER BY q.asked_at LIMIT 500"
            ),
            {"estate": self.estate, "expense": expense_id, "open_only": open_only},
        ).all()
        return [_question(r) for r in rows]

    def questions_page(self, open_only: bool, limit: int, offset: int) -> list[Question]:
        """A page of the estate's questions (only the unanswered ones with ``open_only``), oldest asked
        first; the id breaks ties (questions of one transaction share its now()), so that pages neither
        overlap nor skip."""
        rows = self.session.execute(
            sql(self._QUESTION + self._OPEN_ONLY + " ORDER BY q.asked_at, q.id LIMIT :limit OFFSET :offset"),
            {"estate": self.estate, "open_only": open_only, "limit": limit, "offset": offset},
        ).all()
        return [_question(r) for r in rows]

    def count_questions(self, open_only: bool) -> int:
        """How many questions :meth:`questions_page` pages through (the same rows)."""
        return int(
            self.session.execute(
                sql("SELECT count(*) " + self._QUESTIONS_OF_ESTATE + self._OPEN_ONLY),
                {"estate": self.estate, "open_only": open_only},
            ).scalar_one()
        )

    def answer(self, question_id: str, answer: str, answered_by: str) -> None:
        self.session.execute(
            sql(
                "UPDATE expense_questions SET answer = :answer, answered_by = :by, answered_at = now() "
                "WHERE estate_code = :estate AND id = :id"
            ),
            {"estate": self.estate, "id": uuid.UUID(question_id), "answer": answer, "by": answered_by},
        )
