"""双密码支出 — expenses under dual approval: the firm proposes, the owners' supervisor approves.

An expense is proposed by the firm (payee, amount, budget line, description, vouchers). The owners'
supervisor approves or rejects it with a reason; the proposer never approves, whatever roles they
hold. An expense that takes its line over the adopted amount, or exceeds the year's large-expense
threshold, needs more than one supervisor: a ballot of the households or, where the adopted budget
says so, a second supervisor. Only an approved expense is booked (Dr 51xx / Cr 2300 expenses
payable) and then paid (Dr 2300 / Cr 1000). Residents may question an expense (质疑); the firm
answers. Nothing here reads a clock or a database.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ledger_service.domain.budgets import ExpensePolicy, LargeExpenseRule
from ledger_service.domain.postings import CASH, EXPENSES_PAYABLE, MAX_ENTRY_FEN, Line, Transaction, is_budget_line
from xinyi_shared.errors import Conflict, InvalidInput, PermissionDenied

MAX_VOUCHERS = 10
MAX_DESCRIPTION_LENGTH = 2000
MAX_PAYEE_LENGTH = 200
MAX_REASON_LENGTH = 1000
MAX_QUESTION_LENGTH = 2000
MAX_TICKET_ID_LENGTH = 128
BALLOT_SUBJECT_PREFIX = "expense:"
# A ballot on an expense approves it when its adopted option is one of these (case-insensitive).
APPROVING_OPTIONS = frozenset({"approve", "approved", "yes", "同意", "赞成", "批准"})


class ExpenseStatus(StrEnum):
    PROPOSED = "proposed"  # waiting for the supervisor
    AWAITING_BALLOT = "awaiting_ballot"  # the supervisor agreed; the households decide
    AWAITING_SECOND_APPROVAL = "awaiting_second_approval"  # the supervisor agreed; a second one must
    APPROVED = "approved"  # booked, not yet paid
    PAID = "paid"
    REJECTED = "rejected"


class Escalation(StrEnum):
    NONE = "none"
    BALLOT = "ballot"
    SECOND_SUPERVISOR = "second_supervisor"


def text(name: str, value: object, max_length: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{name} must not be empty")
    value = value.strip()
    if len(value) > max_length:
        raise InvalidInput(f"{name} must be at most {max_length} characters")
    return value


def ticket_reference(value: object) -> str | None:
    """The ticketing service's ticket an expense pays materials for: None (or empty) when none, else
    1 to 128 printable characters, kept as given (no surrounding spaces: an id, not a text)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidInput("ticket_id must be text")
    if len(value) > MAX_TICKET_ID_LENGTH:
        raise InvalidInput(f"ticket_id must be at most {MAX_TICKET_ID_LENGTH} characters")
    if not value.isprintable() or value != value.strip():
        raise InvalidInput("ticket_id must be printable characters without surrounding spaces")
    return value


@dataclass(frozen=True)
class Proposal:
    payee: str
    amount_fen: int
    account: str
    description: str
    vouchers: tuple[str, ...]  # SHA-256 of the voucher files, uploaded first

    def __post_init__(self) -> None:
        object.__setattr__(self, "payee", text("payee", self.payee, MAX_PAYEE_LENGTH))
        object.__setattr__(self, "description", text("description", self.description, MAX_DESCRIPTION_LENGTH))
        if isinstance(self.amount_fen, bool) or not isinstance(self.amount_fen, int):
            raise InvalidInput("amount_fen must be a whole number of fen")
        if not 0 < self.amount_fen <= MAX_ENTRY_FEN:
            raise InvalidInput(f"amount_fen must be between 1 and {MAX_ENTRY_FEN} fen")
        if not is_budget_line(self.account):
            raise InvalidInput(f"budget line {self.account!r} must be an expense account 5100-5999")
        vouchers = tuple(self.vouchers)
        if not 1 <= len(vouchers) <= MAX_VOUCHERS:
            raise InvalidInput(f"an expense needs 1 to {MAX_VOUCHERS} vouchers (invoices or receipts)")
        if len(set(vouchers)) != len(vouchers):
            raise InvalidInput("a voucher is attached twice")
        object.__setattr__(self, "vouchers", vouchers)


def escalation(
    proposal_amount_fen: int, line_adopted_fen: int | None, line_used_fen: int, policy: ExpensePolicy | None
) -> Escalation:
    """What an expense needs beyond the supervisor's approval. ``line_used_fen`` is what the line has
    booked this year plus what other expenses already hold on it; ``line_adopted_fen`` is None when
    no budget is adopted for the year or the line is not in it."""
    rule = policy.rule if policy is not None else LargeExpenseRule.BALLOT
    over_line = line_adopted_fen is None or line_used_fen + proposal_amount_fen > line_adopted_fen
    # Over its line (or off the budget), an expense changes the adopted budget: only the households may.
    if over_line:
        return Escalation.BALLOT
    if policy is not None and policy.threshold_fen and proposal_amount_fen > policy.threshold_fen:
        return Escalation.BALLOT if rule is LargeExpenseRule.BALLOT else Escalation.SECOND_SUPERVISOR
    return Escalation.NONE


def check_decider(proposed_by: str, first_approver: str | None, decider: str) -> None:
    if decider == proposed_by:
        raise PermissionDenied("the proposer of an expense can never approve or reject it")
    if first_approver is not None and decider == first_approver:
        raise PermissionDenied("a second approval must come from another supervisor")


def check_approvable(status: ExpenseStatus) -> None:
    if status is ExpenseStatus.AWAITING_BALLOT:
        raise Conflict("this expense waits for the households' ballot (subject 'expense:<id>')")
    if status not in (ExpenseStatus.PROPOSED, ExpenseStatus.AWAITING_SECOND_APPROVAL):
        raise Conflict(f"the expense is {status.value}: it cannot be approved again")


def after_approval(status: ExpenseStatus, needs: Escalation) -> ExpenseStatus:
    """The state an expense reaches when a supervisor approves it."""
    if status is ExpenseStatus.PROPOSED:
        if needs is Escalation.BALLOT:
            return ExpenseStatus.AWAITING_BALLOT
        if needs is Escalation.SECOND_SUPERVISOR:
            return ExpenseStatus.AWAITING_SECOND_APPROVAL
        return ExpenseStatus.APPROVED
    if status is ExpenseStatus.AWAITING_SECOND_APPROVAL:
        return ExpenseStatus.APPROVED
    if status is ExpenseStatus.AWAITING_BALLOT:
        raise Conflict("this expense waits for the households' ballot (subject 'expense:<id>')")
    raise Conflict(f"the expense is {status.value}: it cannot be approved again")


def check_rejectable(status: ExpenseStatus) -> None:
    if status not in (ExpenseStatus.PROPOSED, ExpenseStatus.AWAITING_SECOND_APPROVAL):
        raise Conflict(f"the expense is {status.value}: it cannot be rejected now")


def check_payable(status: ExpenseStatus) -> None:
    if status is not ExpenseStatus.APPROVED:
        raise Conflict(f"the expense is {status.value}: only an approved, unpaid expense is paid")


def approved_by_ballot(adopted_option: str) -> bool:
    return adopted_option.strip().casefold() in APPROVING_OPTIONS


def expense_of_subject(subject: str) -> str | None:
    if subject.startswith(BALLOT_SUBJECT_PREFIX):
        return subject[len(BALLOT_SUBJECT_PREFIX) :].strip() or None
    return None


def booking(period: str, expense_id: str, account: str, amount_fen: int, payee: str) -> Transaction:
    """The approved expense booked on its line: Dr 51xx / Cr 2300 (owed to the payee)."""
    return Transaction(
        kind="expense",
        period=period,
        lines=(Line(account, amount_fen), Line(EXPENSES_PAYABLE, -amount_fen)),
        memo=f"Expense approved: {payee}"[:200],
        reference={"expense_id": expense_id},
    )


def payment(period: str, expense_id: str, amount_fen: int, payee: str) -> Transaction:
    """The approved expense paid from the trust fund: Dr 2300 / Cr 1000."""
    return Transaction(
        kind="expense_paid",
        period=period,
        lines=(Line(EXPENSES_PAYABLE, amount_fen), Line(CASH, -amount_fen)),
        memo=f"Expense paid: {payee}"[:200],
        reference={"expense_id": expense_id},
    )
