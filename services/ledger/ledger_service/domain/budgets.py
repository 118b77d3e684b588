"""公开预算 — the year's open budget: the firm drafts service plans, the owners adopt one by ballot.

A draft holds one or more **service plans** ("basic", "enhanced" …), each with its budget lines
(expense accounts 5100-5999: cleaning, security, greening …), their amounts for the year, and the
fee income the plan needs (以收定支: spending within income — the lines and the firm's remuneration
on that income must fit inside it). The draft also states how large expenses are decided that
year: above a threshold, by a ballot of the households or by a second supervisor.

The supervisor puts the draft to a ballot in the tenant service (subject ``budget:<draft id>``, one
option per plan, named as the plan). When the ballot closes, the plan named by its adopted option
becomes the year's budget; a budget changes only by a new ballot. Nothing here reads a clock or a
database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from ledger_service.domain.money import share
from ledger_service.domain.postings import MAX_ENTRY_FEN, is_budget_line
from xinyi_shared.errors import Conflict, InvalidInput

MAX_PLANS = 5
MAX_LINES = 40
MAX_NAME_LENGTH = 100
MIN_YEAR, MAX_YEAR = 2000, 2100
BALLOT_SUBJECT_PREFIX = "budget:"

# The usual lines of a trust-property budget; a draft may name others in 5100-5999.
STANDARD_LINES: Mapping[str, tuple[str, str]] = {
    "5100": ("Cleaning", "保洁"),
    "5200": ("Security and order", "秩序维护"),
    "5300": ("Greening", "绿化"),
    "5400": ("Elevator maintenance", "电梯维保"),
    "5500": ("Common-area utilities", "公共能耗"),
    "5600": ("Repairs", "维修"),
    "5700": ("Facilities and equipment", "设施设备"),
    "5800": ("Administration", "管理费用"),
    "5900": ("Reserve", "备用金"),
}


class DraftStatus(StrEnum):
    DRAFT = "draft"  # the firm may still change it
    BALLOTING = "balloting"  # put to the owners: frozen
    ADOPTED = "adopted"
    NOT_ADOPTED = "not_adopted"  # the ballot closed without adopting any of its plans


class LargeExpenseRule(StrEnum):
    BALLOT = "ballot"  # the households decide by ballot
    SECOND_SUPERVISOR = "second_supervisor"  # a second supervisor approves too


def _text(name: str, value: object, max_length: int = MAX_NAME_LENGTH) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{name} must not be empty")
    value = value.strip()
    if len(value) > max_length:
        raise InvalidInput(f"{name} must be at most {max_length} characters")
    return value


def _fen(name: str, value: object, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{name} must be a whole number of fen")
    if not minimum <= value <= MAX_ENTRY_FEN:
        raise InvalidInput(f"{name} must be between {minimum} and {MAX_ENTRY_FEN} fen")
    return value


@dataclass(frozen=True)
class BudgetLine:
    account: str  # 5100-5999
    name: str
    amount_fen: int  # for the year

    def __post_init__(self) -> None:
        if not is_budget_line(self.account):
            raise InvalidInput(f"budget line {self.account!r} must be an expense account 5100-5999")
        object.__setattr__(self, "name", _text(f"the name of line {self.account}", self.name))
        _fen(f"the amount of line {self.account}", self.amount_fen)


@dataclass(frozen=True)
class ServicePlan:
    name: str
    fee_income_fen: int  # the year's fee income the plan needs
    lines: tuple[BudgetLine, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", _text("a plan's name", self.name))
        _fen(f"the fee income of plan {self.name!r}", self.fee_income_fen)
        lines = tuple(self.lines)
        if not 1 <= len(lines) <= MAX_LINES:
            raise InvalidInput(f"plan {self.name!r} needs 1 to {MAX_LINES} budget lines")
        accounts = [line.account for line in lines]
        if len(set(accounts)) != len(accounts):
            raise InvalidInput(f"plan {self.name!r} names a budget line twice")
        object.__setattr__(self, "lines", tuple(sorted(lines, key=lambda line: line.account)))

    @property
    def spending_fen(self) -> int:
        return sum(line.amount_fen for line in self.lines)

    def line(self, account: str) -> BudgetLine | None:
        return next((line for line in self.lines if line.account == account), None)


@dataclass(frozen=True)
class ExpensePolicy:
    """How the year's large expenses are decided: above ``threshold_fen`` (0: no threshold), or
    over their line's adopted amount, by ``rule``."""

    threshold_fen: int = 0
    rule: LargeExpenseRule = LargeExpenseRule.BALLOT

    def __post_init__(self) -> None:
        _fen("the large-expense threshold", self.threshold_fen, minimum=0)
        try:
            object.__setattr__(self, "rule", LargeExpenseRule(self.rule))
        except ValueError as error:
            raise InvalidInput("large expenses are decided by 'ballot' or 'second_supervisor'") from error


@dataclass(frozen=True)
class BudgetDraft:
    year: int
    plans: tuple[ServicePlan, ...]
    policy: ExpensePolicy

    def __post_init__(self) -> None:
        if isinstance(self.year, bool) or not isinstance(self.year, int) or not MIN_YEAR <= self.year <= MAX_YEAR:
            raise InvalidInput(f"a budget's year is between {MIN_YEAR} and {MAX_YEAR}")
        plans = tuple(self.plans)
        if not 1 <= len(plans) <= MAX_PLANS:
            raise InvalidInput(f"a budget offers 1 to {MAX_PLANS} service plans")
        names = [plan.name.casefold() for plan in plans]
        if len(set(names)) != len(names):
            raise InvalidInput("service plans need distinct names (they are the ballot's options)")
        object.__setattr__(self, "plans", plans)

    def check_within_income(self, remuneration_share_bps: int) -> None:
        """以收定支: each plan's lines and the firm's remuneration on its income fit inside the income."""
        for plan in self.plans:
            remuneration = share(plan.fee_income_fen, remuneration_share_bps)
            if plan.spending_fen + remuneration > plan.fee_income_fen:
                raise InvalidInput(
                    f"plan {plan.name!r} spends {plan.spending_fen} fen and pays the firm {remuneration} fen "
                    f"out of {plan.fee_income_fen} fen of fee income: spending must stay within income"
                )

    def plan(self, name: str) -> ServicePlan | None:
        wanted = name.strip().casefold()
        return next((plan for plan in self.plans if plan.name.casefold() == wanted), None)


def require_editable(status: DraftStatus) -> None:
    if status is not DraftStatus.DRAFT:
        raise Conflict(f"the draft is {status.value}: only a draft not yet put to the owners can change")


def ballot_subject(draft_id: str) -> str:
    return f"{BALLOT_SUBJECT_PREFIX}{draft_id}"


def draft_of_subject(subject: str) -> str | None:
    """The draft a ballot decides, from its subject (``budget:<draft id>``); None for other ballots."""
    if subject.startswith(BALLOT_SUBJECT_PREFIX):
        return subject[len(BALLOT_SUBJECT_PREFIX) :].strip() or None
    return None


def plan_adopted(draft: BudgetDraft, adopted_option: str) -> ServicePlan | None:
    """The plan a closed ballot adopted: the one its adopted option names (None: no plan adopted)."""
    if not adopted_option.strip():
        return None
    return draft.plan(adopted_option)


@dataclass(frozen=True)
class LineExecution:
    """One budget line against the books. An approved expense is booked on its line at approval
    (Dr 51xx / Cr 2300 expenses payable) and paid later (Dr 2300 / Cr 1000); so of what is booked,
    ``committed`` is approved but unpaid and ``spent`` is paid."""

    account: str
    name: str
    adopted_fen: int
    booked_in_period_fen: int  # booked on the line in the month
    booked_year_to_date_fen: int  # booked on the line from January through the month
    committed_fen: int  # approved, not yet paid

    @property
    def spent_fen(self) -> int:
        return self.booked_year_to_date_fen - self.committed_fen

    @property
    def remaining_fen(self) -> int:
        return self.adopted_fen - self.booked_year_to_date_fen


def budget_execution(
    lines: Sequence[BudgetLine],
    booked_in_period: Mapping[str, int],
    booked_year_to_date: Mapping[str, int],
    committed: Mapping[str, int],
) -> list[LineExecution]:
    """Budget vs actual per line; a line booked without being adopted shows with 0 adopted."""
    names = {line.account: line.name for line in lines}
    adopted = {line.account: line.amount_fen for line in lines}
    touched = {account for account, fen in booked_year_to_date.items() if fen}
    touched |= {account for account, fen in committed.items() if fen}
    return [
        LineExecution(
            account=account,
            name=names.get(account) or STANDARD_LINES.get(account, (account, ""))[0],
            adopted_fen=adopted.get(account, 0),
            booked_in_period_fen=booked_in_period.get(account, 0),
            booked_year_to_date_fen=booked_year_to_date.get(account, 0),
            committed_fen=committed.get(account, 0),
        )
        for account in sorted(set(adopted) | touched)
    ]
