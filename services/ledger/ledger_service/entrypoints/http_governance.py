"""HTTP API of the money-out half: budget drafts and the adopted budget, vouchers, expenses under dual
approval, residents' questions, and budget vs actual (thin: parse, authorise, call a use case)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, File, Path, Query, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from ledger_service.adapters.governance import AdoptedBudget, Question, StoredDraft, StoredExpense, Voucher
from ledger_service.domain.budgets import (
    MAX_LINES,
    MAX_PLANS,
    BudgetDraft,
    BudgetLine,
    ExpensePolicy,
    LargeExpenseRule,
    LineExecution,
    ServicePlan,
)
from ledger_service.domain.expenses import MAX_VOUCHERS, Proposal
from ledger_service.domain.postings import MAX_ENTRY_FEN
from ledger_service.entrypoints.deps import (
    AnyMember,
    EstateUnitOfWork,
    FirmManager,
    FirmMember,
    Supervisor,
    mark_replayed,
)
from ledger_service.service_layer import governance
from ledger_service.service_layer.common import Registry
from ledger_service.service_layer.governance import Actor, BudgetExecution
from xinyi_shared.api import OptionalIdempotencyKey, errors
from xinyi_shared.auth import Principal
from xinyi_shared.blobs import BlobStore, BlobTampered
from xinyi_shared.errors import Conflict, InvalidInput
from xinyi_shared.http import PAGED, TOTAL_COUNT, EstateCode, PageLimit, PageOffset, api_router

Fen = Annotated[StrictInt, Field(gt=0, le=MAX_ENTRY_FEN, description=f"Integer fen, 1 to {MAX_ENTRY_FEN}")]
BudgetAccount = Annotated[str, Field(pattern=r"^5[1-9][0-9]{2}$", description="An expense budget line, 5100-5999")]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="The SHA-256 of a voucher uploaded first")]
Year = Annotated[int, Path(ge=2000, le=2100, description="A calendar year")]
VOUCHER_UPLOAD_LIMIT = 10 * 1024 * 1024 + 64 * 1024  # the blob store's limit and the multipart envelope


def actor(principal: Principal) -> Actor:
    return Actor(subject=principal.subject or principal.username, name=principal.username)


async def blob_store(request: Request) -> BlobStore:
    store: BlobStore = request.app.state.blob_store
    return store


Blobs = Annotated[BlobStore, Depends(blob_store)]


# Budgets -------------------------------------------------------------------------------------------


class BudgetLineBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    account: BudgetAccount
    name: str = Field(min_length=1, max_length=100, examples=["保洁 Cleaning"])
    amount_fen: Fen


class ServicePlanBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100, description="Also the ballot option that adopts it")
    fee_income_fen: Fen = Field(description="The year's fee income the plan needs (以收定支)")
    lines: list[BudgetLineBody] = Field(min_length=1, max_length=MAX_LINES)


class BudgetDraftBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    year: int = Field(ge=2000, le=2100)
    plans: list[ServicePlanBody] = Field(min_length=1, max_length=MAX_PLANS)
    large_expense_threshold_fen: StrictInt = Field(
        default=0, ge=0, le=MAX_ENTRY_FEN, description="Above it an expense needs the rule below (0: no threshold)"
    )
    large_expense_rule: LargeExpenseRule = Field(
        default=LargeExpenseRule.BALLOT, description="How large or over-budget expenses are decided"
    )

    def draft(self) -> BudgetDraft:
        return BudgetDraft(
            year=self.year,
            plans=tuple(
                ServicePlan(
                    name=plan.name,
                    fee_income_fen=plan.fee_income_fen,
                    lines=tuple(BudgetLine(line.account, line.name, line.amount_fen) for line in plan.lines),
                )
                for plan in self.plans
            ),
            policy=ExpensePolicy(self.large_expense_threshold_fen, self.large_expense_rule),
        )


class BudgetLinePublic(BaseModel):
    account: str
    name: str
    amount_fen: int


class ServicePlanPublic(BaseModel):
    name: str
    fee_income_fen: int
    spending_fen: int
    lines: list[BudgetLinePublic]

    @classmethod
    def of(cls, plan: ServicePlan) -> ServicePlanPublic:
        return cls(
            name=plan.name,
            fee_income_fen=plan.fee_income_fen,
            spending_fen=plan.spending_fen,
            lines=[
                BudgetLinePublic(account=line.account, name=line.name, amount_fen=line.amount_fen)
                for line in plan.lines
            ],
        )


class BudgetDraftPublic(BaseModel):
    id: str
    year: int
    status: str = Field(description="draft, balloting, adopted or not_adopted")
    ballot_subject: str = Field(description="The subject to give the ballot that decides this draft")
    ballot_id: str | None
    adopted_plan: str | None
    large_expense_threshold_fen: int
    large_expense_rule: str
    plans: list[ServicePlanPublic]
    created_at: datetime
    decided_at: datetime | None

    @classmethod
    def of(cls, stored: StoredDraft) -> BudgetDraftPublic:
        return cls(
            id=stored.id,
            year=stored.draft.year,
            status=stored.status.value,
            ballot_subject=f"budget:{stored.id}",
            ballot_id=stored.ballot_id,
            adopted_plan=stored.adopted_plan,
            large_expense_threshold_fen=stored.draft.policy.threshold_fen,
            large_expense_rule=stored.draft.policy.rule.value,
            plans=[ServicePlanPublic.of(plan) for plan in stored.draft.plans],
            created_at=stored.created_at,
            decided_at=stored.decided_at,
        )


class BudgetPublic(BaseModel):
    year: int
    draft_id: str
    ballot_id: str
    adopted_at: datetime
    plan: ServicePlanPublic
    large_expense_threshold_fen: int
    large_expense_rule: str

    @classmethod
    def of(cls, budget: AdoptedBudget) -> BudgetPublic:
        return cls(
            year=budget.year,
            draft_id=budget.draft_id,
            ballot_id=budget.ballot_id,
            adopted_at=budget.adopted_at,
            plan=ServicePlanPublic.of(budget.plan),
            large_expense_threshold_fen=budget.policy.threshold_fen,
            large_expense_rule=budget.policy.rule.value,
        )


class LineExecutionPublic(BaseModel):
    account: str
    name: str
    adopted_fen: int
    booked_in_period_fen: int = Field(description="Approved expenses booked on the line in the month")
    booked_year_to_date_fen: int
    spent_fen: int = Field(description="Paid, of what is booked in the year")
    committed_fen: int = Field(description="Approved and booked, not yet paid")
    remaining_fen: int = Field(description="Adopted less booked in the year")

    @classmethod
    def of(cls, line: LineExecution) -> LineExecutionPublic:
        return cls(
            account=line.account,
            name=line.name,
            adopted_fen=line.adopted_fen,
            booked_in_period_fen=line.booked_in_period_fen,
            booked_year_to_date_fen=line.booked_year_to_date_fen,
            spent_fen=line.spent_fen,
            committed_fen=line.committed_fen,
            remaining_fen=line.remaining_fen,
        )


class OpenQuestionPublic(BaseModel):
    question_id: str
    expense_id: str
    expense_number: int
    question: str
    asked_at: datetime


class EstateQuestionPublic(OpenQuestionPublic):
    """An item of the estate's questions: an open question as the budget's execution lists it, with the
    firm's answer once given (null while open); never who asked."""

    answer: str | None
    answered_at: datetime | None

    @classmethod
    def of(cls, question: Question) -> EstateQuestionPublic:
        return cls(
            question_id=question.id,
            expense_id=question.expense_id,
            expense_number=question.expense_number,
            question=question.question,
            asked_at=question.asked_at,
            answer=question.answer,
            answered_at=question.answered_at,
        )


class BudgetExecutionPublic(BaseModel):
    period: str
    year: int
    plan_name: str | None = Field(description="The plan the owners adopted for the year; null when none")
    lines: list[LineExecutionPublic]
    open_questions: list[OpenQuestionPublic]

    @classmethod
    def of(cls, execution: BudgetExecution) -> BudgetExecutionPublic:
        return cls(
            period=execution.period,
            year=execution.year,
            plan_name=execution.adopted.plan.name if execution.adopted else None,
            lines=[LineExecutionPublic.of(line) for line in execution.lines],
            open_questions=[
                OpenQuestionPublic(
                    question_id=q.id,
                    expense_id=q.expense_id,
                    expense_number=q.expense_number,
                    question=q.question,
                    asked_at=q.asked_at,
                )
                for q in execution.open_questions
            ],
        )


# Vouchers and expenses -----------------------------------------------------------------------------


class VoucherPublic(BaseModel):
    sha256: str
    size: int
    media_type: str
    file_name: str

    @classmethod
    def of(cls, voucher: Voucher) -> VoucherPublic:
        return cls(sha256=voucher.sha256, size=voucher.size, media_type=voucher.media_type, file_name=voucher.file_name)


class ExpenseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    payee: str = Field(min_length=1, max_length=200)
    amount_fen: Fen
    account: BudgetAccount
    description: str = Field(min_length=1, max_length=2000)
    vouchers: list[Sha256] = Field(min_length=1, max_length=MAX_VOUCHERS)


class ExpensePublic(BaseModel):
    id: str
    number: int
    status: str = Field(description="proposed, awaiting_ballot, awaiting_second_approval, approved, paid, rejected")
    payee: str
    amount_fen: int
    account: str
    description: str
    year: int
    needs: str = Field(description="What it needs beyond the supervisor: none, ballot, second_supervisor")
    ballot_subject: str | None = Field(
        description="The subject of the households' ballot that decides it, when it needs one and is undecided"
    )
    ballot_id: str | None
    proposed_by: str
    proposed_at: datetime
    decided_at: datetime | None
    reason: str | None
    booking_transaction_id: str | None
    payment_transaction_id: str | None
    ticket_id: str | None = Field(
        description="The ticket (ticketing service) whose materials it pays, when proposed through one"
    )

    @classmethod
    def of(cls, expense: StoredExpense) -> ExpensePublic:
        return cls(
            id=expense.id,
            number=expense.number,
            status=expense.status.value,
            payee=expense.proposal.payee,
            amount_fen=expense.proposal.amount_fen,
            account=expense.proposal.account,
            description=expense.proposal.description,
            year=expense.year,
            needs=expense.escalation.value,
            ballot_subject=f"expense:{expense.id}"
            if expense.status.value == "awaiting_ballot"
            or (expense.status.value == "proposed" and expense.escalation.value == "ballot")
            else None,
            ballot_id=expense.ballot_id,
            proposed_by=expense.proposed_by_name,
            proposed_at=expense.proposed_at,
            decided_at=expense.decided_at,
            reason=expense.reason,
            booking_transaction_id=expense.booking_transaction_id,
            payment_transaction_id=expense.payment_transaction_id,
            ticket_id=expense.ticket_id,
        )


class HistoryPublic(BaseModel):
    action: str
    status: str
    by: str
    reason: str | None
    at: datetime


class QuestionPublic(BaseModel):
    id: str
    expense_id: str
    question: str
    asked_at: datetime
    answer: str | None
    answered_at: datetime | None

    @classmethod
    def of(cls, question: Question) -> QuestionPublic:
        # Who asked is not shown: a resident questions the firm, not in front of the neighbours.
        return cls(
            id=question.id,
            expense_id=question.expense_id,
            question=question.question,
            asked_at=question.asked_at,
            answer=question.answer,
            answered_at=question.answered_at,
        )


class ExpenseDetailPublic(ExpensePublic):
    vouchers: list[VoucherPublic]
    history: list[HistoryPublic]
    questions: list[QuestionPublic]


class RejectBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=1000)


class QuestionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, max_length=2000)


class AnswerBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer: str = Field(min_length=1, max_length=2000)


def build_governance_router(registry: Registry) -> APIRouter:
    router = api_router(prefix="/v1/estates/{code}")

    # Budgets -----------------------------------------------------------------------------------

    @router.post(
        "/budget-drafts",
        tags=["budget"],
        status_code=201,
        response_model=BudgetDraftPublic,
        responses=errors(404, 409, 422),
        summary="Draft the year's budget as service plans (firm manager); the owners adopt one by ballot",
    )
    def create_draft(
        code: EstateCode,
        body: BudgetDraftBody,
        principal: FirmManager,
        uow: EstateUnitOfWork,
        key: OptionalIdempotencyKey,
        response: Response,
    ) -> BudgetDraftPublic:
        stored, replayed = governance.draft_budget(uow, registry, body.draft(), actor(principal), key)
        mark_replayed(response, replayed)
        return BudgetDraftPublic.of(stored)

    @router.get(
        "/budget-drafts",
        tags=["budget"],
        response_model=list[BudgetDraftPublic],
        responses={**errors(404, 422), **PAGED},
        summary="The estate's budget drafts, newest first (anyone of the estate)",
        description="A page of the drafts, newest first (ties by id): `limit` 1 to 500 (default 100) after "
        "`offset` (0 to 1,000,000). The `X-Total-Count` header gives how many drafts there are in all.",
    )
    def list_drafts(
        code: EstateCode,
        principal: AnyMember,
        uow: EstateUnitOfWork,
        response: Response,
        limit: PageLimit = 100,
        offset: PageOffset = 0,
    ) -> list[BudgetDraftPublic]:
        total, drafts = governance.page_of_drafts(uow, limit, offset)
        response.headers[TOTAL_COUNT] = str(total)
        return [BudgetDraftPublic.of(stored) for stored in drafts]

    @router.get(
        "/budget-drafts/{draft_id}",
        tags=["budget"],
        response_model=BudgetDraftPublic,
        responses=errors(404, 422),
        summary="A budget draft and its plans (anyone of the estate)",
    )
    def get_draft(code: EstateCode, draft_id: UUID, principal: AnyMember, uow: EstateUnitOfWork) -> BudgetDraftPublic:
        return BudgetDraftPublic.of(governance.get_draft(uow, str(draft_id)))

    @router.put(
        "/budget-drafts/{draft_id}",
        tags=["budget"],
        response_model=BudgetDraftPublic,
        responses=errors(404, 409, 422),
        summary="Change a draft not yet put to the owners (firm manager)",
    )
    def replace_draft(
        code: EstateCode, draft_id: UUID, body: BudgetDraftBody, principal: FirmManager, uow: EstateUnitOfWork
    ) -> BudgetDraftPublic:
        return BudgetDraftPublic.of(
            governance.replace_draft(uow, registry, str(draft_id), body.draft(), actor(principal))
        )

    @router.get(
        "/budgets/{year}",
        tags=["budget"],
        response_model=BudgetPublic,
        responses=errors(404, 422),
        summary="The budget the owners adopted for the year (anyone of the estate)",
    )
    def get_budget(code: EstateCode, year: Year, principal: AnyMember, uow: EstateUnitOfWork) -> BudgetPublic:
        return BudgetPublic.of(governance.adopted_budget(uow, year))

    @router.get(
        "/budgets/{year}/execution",
        tags=["budget"],
        response_model=list[BudgetExecutionPublic],
        responses=errors(404, 422),
        summary="Budget vs actual per line, month by month (anyone of the estate)",
    )
    def execution(
        code: EstateCode, year: Year, principal: AnyMember, uow: EstateUnitOfWork
    ) -> list[BudgetExecutionPublic]:
        return [BudgetExecutionPublic.of(month) for month in governance.monthly_execution(uow, year)]

    # Vouchers ----------------------------------------------------------------------------------

    @router.post(
        "/vouchers",
        tags=["expenses"],
        status_code=201,
        response_model=VoucherPublic,
        responses=errors(404, 409, 413, 422),
        summary="Upload a voucher (invoice or receipt: PDF, PNG, JPEG or WebP, checked from its bytes) (firm)",
    )
    async def upload_voucher(
        code: EstateCode,
        principal: FirmMember,
        uow: EstateUnitOfWork,
        store: Blobs,
        file: Annotated[UploadFile, File(description="The voucher's file")],
    ) -> VoucherPublic:
        data = await file.read(VOUCHER_UPLOAD_LIMIT + 1)
        if len(data) > VOUCHER_UPLOAD_LIMIT:
            raise InvalidInput("a voucher is at most 10 MiB")
        voucher = await run_in_threadpool(
            governance.upload_voucher, uow, store, data, file.filename or "", actor(principal)
        )
        return VoucherPublic.of(voucher)

    @router.get(
        "/vouchers/{sha256}",
        tags=["expenses"],
        response_class=Response,
        responses={200: {"content": {"application/pdf": {}, "image/*": {}}}, **errors(404, 409, 422)},
        summary="A voucher's file (anyone of the estate); 409 when its bytes no longer match their hash",
    )
    def download_voucher(
        code: EstateCode,
        sha256: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")],
        principal: AnyMember,
        uow: EstateUnitOfWork,
        store: Blobs,
    ) -> Response:
        try:
            voucher, data = governance.voucher_bytes(uow, store, sha256)
        except BlobTampered as error:
            raise Conflict(f"voucher {sha256} is tampered: its bytes no longer match their SHA-256") from error
        return Response(
            data,
            media_type=voucher.media_type,
            headers={"Content-Disposition": f'inline; filename="{sha256[:16]}"', "X-Content-Type-Options": "nosniff"},
        )

    # Expenses ----------------------------------------------------------------------------------

    @router.post(
        "/expenses",
        tags=["expenses"],
        status_code=201,
        response_model=ExpensePublic,
        responses=errors(404, 409, 422),
        summary="Propose an expense with its vouchers (firm); the supervisor decides",
    )
    def propose(
        code: EstateCode,
        body: ExpenseBody,
        principal: FirmMember,
        uow: EstateUnitOfWork,
        key: OptionalIdempotencyKey,
        response: Response,
    ) -> ExpensePublic:
        proposal = Proposal(body.payee, body.amount_fen, body.account, body.description, tuple(body.vouchers))
        stored, replayed = governance.propose_expense(uow, proposal, actor(principal), key)
        mark_replayed(response, replayed)
        return ExpensePublic.of(stored)

    @router.get(
        "/expenses",
        tags=["expenses"],
        response_model=list[ExpensePublic],
        responses=errors(404, 422),
        summary="The estate's expenses, newest first (anyone of the estate); page with ?before=<number>",
    )
    def list_expenses(
        code: EstateCode,
        principal: AnyMember,
        uow: EstateUnitOfWork,
        status: Annotated[str | None, Query(max_length=40)] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    ) -> list[ExpensePublic]:
        return [ExpensePublic.of(e) for e in governance.list_expenses(uow, status, limit, before)]

    @router.get(
        "/expenses/{expense_id}",
        tags=["expenses"],
        response_model=ExpenseDetailPublic,
        responses=errors(404, 422),
        summary="An expense with its vouchers, its history and residents' questions (anyone of the estate)",
    )
    def get_expense(
        code: EstateCode, expense_id: UUID, principal: AnyMember, uow: EstateUnitOfWork
    ) -> ExpenseDetailPublic:
        detail = governance.get_expense(uow, str(expense_id))
        return ExpenseDetailPublic(
            **ExpensePublic.of(detail.expense).model_dump(),
            vouchers=[VoucherPublic.of(v) for v in detail.vouchers],
            history=[
                HistoryPublic(action=h.action, status=h.status, by=h.actor_name, reason=h.reason, at=h.at)
                for h in detail.history
            ],
            questions=[QuestionPublic.of(q) for q in detail.questions],
        )

    @router.post(
        "/expenses/{expense_id}/approve",
        tags=["expenses"],
        response_model=ExpensePublic,
        responses=errors(404, 409, 422),
        summary="Approve an expense (supervisor, never its proposer); booked at once unless it needs more",
    )
    def approve(code: EstateCode, expense_id: UUID, principal: Supervisor, uow: EstateUnitOfWork) -> ExpensePublic:
        return ExpensePublic.of(governance.approve_expense(uow, str(expense_id), actor(principal)))

    @router.post(
        "/expenses/{expense_id}/reject",
        tags=["expenses"],
        response_model=ExpensePublic,
        responses=errors(404, 409, 422),
        summary="Reject an expense with a reason (supervisor, never its proposer)",
    )
    def reject(
        code: EstateCode, expense_id: UUID, body: RejectBody, principal: Supervisor, uow: EstateUnitOfWork
    ) -> ExpensePublic:
        return ExpensePublic.of(governance.reject_expense(uow, str(expense_id), body.reason, actor(principal)))

    @router.post(
        "/expenses/{expense_id}/payment",
        tags=["expenses"],
        response_model=ExpensePublic,
        responses=errors(404, 409, 422),
        summary="Pay an approved expense from the trust fund (firm manager); once",
    )
    def pay(code: EstateCode, expense_id: UUID, principal: FirmManager, uow: EstateUnitOfWork) -> ExpensePublic:
        return ExpensePublic.of(governance.pay_expense(uow, str(expense_id), actor(principal)))

    @router.post(
        "/expenses/{expense_id}/questions",
        tags=["expenses"],
        status_code=201,
        response_model=QuestionPublic,
        responses=errors(404, 422),
        summary="Question an expense (质疑; anyone of the estate); the firm must answer",
    )
    def ask(
        code: EstateCode, expense_id: UUID, body: QuestionBody, principal: AnyMember, uow: EstateUnitOfWork
    ) -> QuestionPublic:
        return QuestionPublic.of(governance.ask_question(uow, str(expense_id), body.question, actor(principal)))

    @router.post(
        "/expenses/{expense_id}/questions/{question_id}/answer",
        tags=["expenses"],
        response_model=QuestionPublic,
        responses=errors(404, 409, 422),
        summary="Answer a resident's question on an expense (firm)",
    )
    def answer(
        code: EstateCode,
        expense_id: UUID,
        question_id: UUID,
        body: AnswerBody,
        principal: FirmMember,
        uow: EstateUnitOfWork,
    ) -> QuestionPublic:
        return QuestionPublic.of(
            governance.answer_question(uow, str(expense_id), str(question_id), body.answer, actor(principal))
        )

    @router.get(
        "/questions",
        tags=["expenses"],
        response_model=list[EstateQuestionPublic],
        responses={**errors(404, 422), **PAGED},
        summary="Residents' questions on the estate's expenses, oldest first (anyone of the estate)",
        description="A page of the questions, oldest asked first (ties by id): only the unanswered ones "
        "(`open=true`, the default: what the firm still has to answer) or every one, answered too "
        "(`open=false`, with the answer); never who asked. `limit` 1 to 500 (default 100) after `offset` "
        "(0 to 1,000,000). The `X-Total-Count` header gives how many questions there are in all (the same "
        "`open`).",
    )
    def list_questions(
        code: EstateCode,
        principal: AnyMember,
        uow: EstateUnitOfWork,
        response: Response,
        open_only: Annotated[
            bool, Query(alias="open", description="Only the questions not answered yet (false: every one)")
        ] = True,
        limit: PageLimit = 100,
        offset: PageOffset = 0,
    ) -> list[EstateQuestionPublic]:
        total, questions = governance.page_of_questions(uow, open_only, limit, offset)
        response.headers[TOTAL_COUNT] = str(total)
        return [EstateQuestionPublic.of(q) for q in questions]

    return router
