"""The money-out domain on its own: budgets (domain/budgets.py) and expenses (domain/expenses.py).

No unit of work, no clock: values in, values or errors out. Amounts are in fen."""

from __future__ import annotations

from typing import Any

import pytest

from ledger_service.domain import budgets, expenses
from ledger_service.domain.budgets import (
    MAX_LINES,
    MAX_PLANS,
    BudgetDraft,
    BudgetLine,
    DraftStatus,
    ExpensePolicy,
    LargeExpenseRule,
    ServicePlan,
)
from ledger_service.domain.expenses import Escalation, ExpenseStatus, Proposal
from ledger_service.domain.postings import MAX_ENTRY_FEN
from xinyi_shared.errors import Conflict, InvalidInput, PermissionDenied

SHA = [f"{i:x}" * 64 for i in range(1, 12)]  # 11 distinct voucher hashes
BAD_AMOUNTS: list[Any] = [True, False, "100", 100.0, None, 0, -1, MAX_ENTRY_FEN + 1]


def line(account: str = "5100", amount: Any = 1000, name: Any = "保洁") -> BudgetLine:
    return BudgetLine(account, name, amount)


def plan(name: Any = "基础", income: Any = 10_000, lines: Any = None) -> ServicePlan:
    return ServicePlan(name, income, tuple(lines) if lines is not None else (line(),))


def draft(*plans: ServicePlan, year: Any = 2026, policy: ExpensePolicy | None = None) -> BudgetDraft:
    return BudgetDraft(year, plans or (plan(),), policy or ExpensePolicy())


def proposal(**changes: Any) -> Proposal:
    fields: dict[str, Any] = {
        "payee": "成都洁净服务有限公司",
        "amount_fen": 5000,
        "account": "5100",
        "description": "五月保洁耗材",
        "vouchers": (SHA[0],),
    }
    fields.update(changes)
    return Proposal(**fields)


# Budget lines, plans and drafts ------------------------------------------------------------------


@pytest.mark.parametrize("account", ["5000", "4100", "1000", "5099", "6000", "510", "51000", "51a0", " 5100", ""])
def test_a_budget_line_is_an_expense_account_from_5100_to_5999(account: str) -> None:
    with pytest.raises(InvalidInput, match="5100-5999"):
        line(account)


@pytest.mark.parametrize("account", ["5100", "5199", "5999"])
def test_the_edges_of_the_budget_lines_are_lines(account: str) -> None:
    assert line(account).account == account


@pytest.mark.parametrize("name", ["", "   ", None, 5100, "x" * 101])
def test_a_line_needs_a_name_of_at_most_100_characters(name: Any) -> None:
    with pytest.raises(InvalidInput, match="name of line 5100"):
        line(name=name)


def test_names_are_stripped_and_100_characters_are_enough() -> None:
    assert line(name="  保洁 Cleaning \n").name == "保洁 Cleaning"
    assert line(name="x" * 100).name == "x" * 100
    assert plan(name="  基础 ").name == "基础"


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_a_line_amount_is_a_whole_positive_number_of_fen_within_the_maximum(amount: Any) -> None:
    with pytest.raises(InvalidInput, match="the amount of line 5100"):
        line(amount=amount)


@pytest.mark.parametrize("amount", [1, MAX_ENTRY_FEN])
def test_the_edges_of_a_line_amount(amount: int) -> None:
    assert line(amount=amount).amount_fen == amount


@pytest.mark.parametrize("income", BAD_AMOUNTS)
def test_a_plan_fee_income_is_a_whole_positive_number_of_fen(income: Any) -> None:
    with pytest.raises(InvalidInput, match="fee income"):
        plan(income=income)


@pytest.mark.parametrize("name", ["", "  ", None, "x" * 101])
def test_a_plan_needs_a_name(name: Any) -> None:
    with pytest.raises(InvalidInput, match="plan's name"):
        plan(name=name)


def test_a_plan_has_1_to_max_lines_lines_each_named_once_and_keeps_them_in_account_order() -> None:
    with pytest.raises(InvalidInput, match=f"1 to {MAX_LINES} budget lines"):
        plan(lines=())
    with pytest.raises(InvalidInput, match=f"1 to {MAX_LINES} budget lines"):
        plan(lines=[line(f"5{i:03d}") for i in range(100, 100 + MAX_LINES + 1)])
    assert len(plan(lines=[line(f"5{i:03d}") for i in range(100, 100 + MAX_LINES)]).lines) == MAX_LINES
    with pytest.raises(InvalidInput, match="names a budget line twice"):
        plan(lines=[line("5100", 10), line("5200"), line("5100", 20, name="保洁二")])
    kept = plan(lines=[line("5600", 3), line("5100", 1), line("5300", 2)])
    assert [x.account for x in kept.lines] == ["5100", "5300", "5600"]
    assert kept.spending_fen == 6
    assert kept.line("5300") == line("5300", 2)
    assert kept.line("5200") is None


@pytest.mark.parametrize("year", [1999, 2101, True, "2026", 2026.0, None])
def test_a_budget_year_is_a_whole_year_from_2000_to_2100(year: Any) -> None:
    with pytest.raises(InvalidInput, match="year"):
        draft(year=year)


def test_a_draft_offers_1_to_max_plans_plans() -> None:
    with pytest.raises(InvalidInput, match=f"1 to {MAX_PLANS} service plans"):
        BudgetDraft(2026, (), ExpensePolicy())
    many = tuple(plan(name=f"方案{i}") for i in range(MAX_PLANS + 1))
    with pytest.raises(InvalidInput, match=f"1 to {MAX_PLANS} service plans"):
        draft(*many)
    assert len(draft(*many[:MAX_PLANS]).plans) == MAX_PLANS


@pytest.mark.parametrize(("first", "second"), [("Basic", "basic"), ("Basic", " BASIC "), ("Straße", "STRASSE")])
def test_plan_names_are_distinct_ignoring_case_they_are_the_ballot_options(first: str, second: str) -> None:
    with pytest.raises(InvalidInput, match="distinct names"):
        draft(plan(name=first), plan(name=second))


def test_a_plan_is_found_by_its_name_ignoring_case_and_spaces() -> None:
    basic, enhanced = plan(name="Basic"), plan(name="Enhanced")
    offered = draft(basic, enhanced)
    assert offered.plan("  enhanced ") is enhanced
    assert offered.plan("BASIC") is basic
    assert offered.plan("premium") is None
    assert budgets.plan_adopted(offered, "basic") is basic
    assert budgets.plan_adopted(offered, "") is None
    assert budgets.plan_adopted(offered, "   ") is None
    assert budgets.plan_adopted(offered, "premium") is None


@pytest.mark.parametrize("threshold", [-1, True, "0", MAX_ENTRY_FEN + 1])
def test_a_large_expense_threshold_is_0_or_a_whole_number_of_fen(threshold: Any) -> None:
    with pytest.raises(InvalidInput, match="threshold"):
        ExpensePolicy(threshold, LargeExpenseRule.BALLOT)


def test_the_large_expense_rule_is_ballot_or_second_supervisor() -> None:
    assert ExpensePolicy(0, "second_supervisor").rule is LargeExpenseRule.SECOND_SUPERVISOR  # type: ignore[arg-type]
    assert ExpensePolicy().rule is LargeExpenseRule.BALLOT
    with pytest.raises(InvalidInput, match="'ballot' or 'second_supervisor'"):
        ExpensePolicy(0, "the_mayor")  # type: ignore[arg-type]


def test_spending_and_the_firms_remuneration_must_fit_inside_the_plans_income() -> None:
    # 15% of 10,000 is 1,500: lines of 8,500 fit exactly, one fen more does not.
    exact = draft(plan(income=10_000, lines=[line("5100", 5000), line("5200", 3500)]))
    exact.check_within_income(1500)
    over = draft(plan(name="ok", income=10_000, lines=[line("5100", 1)]), plan(name="提升", lines=[line("5100", 8501)]))
    with pytest.raises(InvalidInput, match=r"提升.*8501.*1500.*10000"):
        over.check_within_income(1500)
    # The remuneration is rounded half up as the ledger rounds it: 15% of 3 is 0.45 → 0, of 5 is 0.75 → 1.
    draft(plan(income=3, lines=[line("5100", 3)])).check_within_income(1500)
    with pytest.raises(InvalidInput):
        draft(plan(income=5, lines=[line("5100", 5)])).check_within_income(1500)
    draft(plan(income=10_000, lines=[line("5100", 10_000)])).check_within_income(0)


def test_only_a_draft_not_yet_put_to_the_owners_can_change() -> None:
    budgets.require_editable(DraftStatus.DRAFT)
    for status in (DraftStatus.BALLOTING, DraftStatus.ADOPTED, DraftStatus.NOT_ADOPTED):
        with pytest.raises(Conflict, match=status.value):
            budgets.require_editable(status)


def test_a_ballot_subject_names_its_draft() -> None:
    assert budgets.ballot_subject("d-1") == "budget:d-1"
    assert budgets.draft_of_subject("budget:d-1") == "d-1"
    assert budgets.draft_of_subject("budget: d-1 ") == "d-1"
    assert budgets.draft_of_subject("budget:") is None
    assert budgets.draft_of_subject("budget:   ") is None
    assert budgets.draft_of_subject("expense:d-1") is None
    assert budgets.draft_of_subject("Budget:d-1") is None
    assert budgets.draft_of_subject("elect the committee") is None


def test_budget_vs_actual_per_line() -> None:
    adopted = [line("5100", 300_000), line("5200", 200_000, name="秩序维护")]
    rows = budgets.budget_execution(
        adopted,
        booked_in_period={"5100": 15_000, "5300": 700},
        booked_year_to_date={"5100": 40_000, "5300": 700, "5700": 0},
        committed={"5100": 5_000, "5650": 900},
    )
    assert [(r.account, r.name, r.adopted_fen) for r in rows] == [
        ("5100", "保洁", 300_000),
        ("5200", "秩序维护", 200_000),  # adopted, nothing booked: still shown
        ("5300", "Greening", 0),  # booked without being adopted: a standard line's name
        ("5650", "5650", 0),  # committed only, a line of no standard name: its code
    ]  # 5700: nothing booked, not adopted: not shown
    cleaning = rows[0]
    assert (cleaning.booked_in_period_fen, cleaning.booked_year_to_date_fen, cleaning.committed_fen) == (
        15_000,
        40_000,
        5_000,
    )
    assert cleaning.spent_fen == 35_000
    assert cleaning.remaining_fen == 260_000
    assert rows[2].remaining_fen == -700  # over budget shows negative
    assert budgets.budget_execution([], {}, {}, {}) == []


# Expenses ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"payee": ""}, "payee"),
        ({"payee": "   "}, "payee"),
        ({"payee": "x" * 201}, "payee"),
        ({"description": ""}, "description"),
        ({"description": "x" * 2001}, "description"),
        ({"account": "5000"}, "5100-5999"),
        ({"account": "2300"}, "5100-5999"),
        ({"vouchers": ()}, "1 to 10 vouchers"),
        ({"vouchers": tuple(SHA)}, "1 to 10 vouchers"),
        ({"vouchers": (SHA[0], SHA[1], SHA[0])}, "attached twice"),
    ]
    + [({"amount_fen": amount}, "amount_fen") for amount in BAD_AMOUNTS],
)
def test_a_proposal_is_refused_when(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        proposal(**changes)


def test_a_proposal_keeps_its_text_stripped_and_its_vouchers_in_order() -> None:
    kept = proposal(payee=" 成都洁净 ", description=" 耗材\n", vouchers=list(SHA[:10]), amount_fen=MAX_ENTRY_FEN)
    assert (kept.payee, kept.description) == ("成都洁净", "耗材")
    assert kept.vouchers == tuple(SHA[:10])


@pytest.mark.parametrize("given", [None, ""])
def test_an_expense_without_a_ticket_names_none(given: str | None) -> None:
    assert expenses.ticket_reference(given) is None


@pytest.mark.parametrize("ticket", ["T-2026-000123", "0b6f8a52-6d0c-4d1e-9a53-2f1c1e0f4a77", "工单 7", "x" * 128])
def test_a_ticket_id_is_kept_as_given(ticket: str) -> None:
    assert expenses.ticket_reference(ticket) == ticket


@pytest.mark.parametrize(
    ("ticket", "message"),
    [
        ("x" * 129, "at most 128"),
        ("T-1\n", "printable"),
        ("T-1\x00", "printable"),
        (" T-1", "surrounding spaces"),
        ("T-1 ", "surrounding spaces"),
        (123, "text"),
    ],
)
def test_a_ticket_id_is_refused_when(ticket: Any, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        expenses.ticket_reference(ticket)


BALLOT_POLICY = ExpensePolicy(50_000, LargeExpenseRule.BALLOT)
SECOND_POLICY = ExpensePolicy(50_000, LargeExpenseRule.SECOND_SUPERVISOR)


@pytest.mark.parametrize(
    ("amount", "adopted", "used", "policy", "needs"),
    [
        (100, None, 0, None, Escalation.BALLOT),  # no budget adopted for the year
        (100, None, 0, SECOND_POLICY, Escalation.BALLOT),  # a line not in the budget
        (100, 1000, 0, BALLOT_POLICY, Escalation.NONE),
        (1000, 1000, 0, BALLOT_POLICY, Escalation.NONE),  # exactly the line
        (400, 1000, 600, BALLOT_POLICY, Escalation.NONE),
        (401, 1000, 600, BALLOT_POLICY, Escalation.BALLOT),  # one fen over the line
        (401, 1000, 600, SECOND_POLICY, Escalation.BALLOT),  # over the line: the households, whatever the rule
        (50_000, 100_000, 0, BALLOT_POLICY, Escalation.NONE),  # exactly the threshold
        (50_001, 100_000, 0, BALLOT_POLICY, Escalation.BALLOT),
        (50_001, 100_000, 0, SECOND_POLICY, Escalation.SECOND_SUPERVISOR),
        (90_000, 100_000, 0, ExpensePolicy(0, LargeExpenseRule.SECOND_SUPERVISOR), Escalation.NONE),  # no threshold
    ],
)
def test_what_an_expense_needs_beyond_the_supervisor(
    amount: int, adopted: int | None, used: int, policy: ExpensePolicy | None, needs: Escalation
) -> None:
    assert expenses.escalation(amount, adopted, used, policy) is needs


def test_the_proposer_never_decides_and_a_second_approval_is_anothers() -> None:
    with pytest.raises(PermissionDenied, match="proposer"):
        expenses.check_decider("firm-1", None, "firm-1")
    with pytest.raises(PermissionDenied, match="proposer"):
        expenses.check_decider("sup-1", "sup-2", "sup-1")
    with pytest.raises(PermissionDenied, match="another supervisor"):
        expenses.check_decider("firm-1", "sup-1", "sup-1")
    expenses.check_decider("firm-1", None, "sup-1")
    expenses.check_decider("firm-1", "sup-1", "sup-2")


def test_the_states_an_approval_leads_to() -> None:
    proposed, second = ExpenseStatus.PROPOSED, ExpenseStatus.AWAITING_SECOND_APPROVAL
    assert expenses.after_approval(proposed, Escalation.NONE) is ExpenseStatus.APPROVED
    assert expenses.after_approval(proposed, Escalation.BALLOT) is ExpenseStatus.AWAITING_BALLOT
    assert expenses.after_approval(proposed, Escalation.SECOND_SUPERVISOR) is second
    assert expenses.after_approval(second, Escalation.SECOND_SUPERVISOR) is ExpenseStatus.APPROVED
    for status in (proposed, second):
        expenses.check_approvable(status)
        expenses.check_rejectable(status)
    with pytest.raises(Conflict, match="ballot"):
        expenses.check_approvable(ExpenseStatus.AWAITING_BALLOT)
    with pytest.raises(Conflict, match="ballot"):
        expenses.after_approval(ExpenseStatus.AWAITING_BALLOT, Escalation.BALLOT)
    for status in (ExpenseStatus.APPROVED, ExpenseStatus.PAID, ExpenseStatus.REJECTED):
        with pytest.raises(Conflict, match=status.value):
            expenses.check_approvable(status)
        with pytest.raises(Conflict, match=status.value):
            expenses.after_approval(status, Escalation.NONE)
    for status in (ExpenseStatus.AWAITING_BALLOT, ExpenseStatus.APPROVED, ExpenseStatus.PAID, ExpenseStatus.REJECTED):
        with pytest.raises(Conflict, match=status.value):
            expenses.check_rejectable(status)
    expenses.check_payable(ExpenseStatus.APPROVED)
    for status in set(ExpenseStatus) - {ExpenseStatus.APPROVED}:
        with pytest.raises(Conflict, match="only an approved, unpaid expense"):
            expenses.check_payable(status)


@pytest.mark.parametrize("option", ["同意", "赞成", "批准", "approve", " Approved ", "YES"])
def test_a_ballot_approves_an_expense_by_an_approving_option(option: str) -> None:
    assert expenses.approved_by_ballot(option)


@pytest.mark.parametrize("option", ["不同意", "反对", "no", "", "  ", "approve it"])
def test_any_other_adopted_option_does_not_approve(option: str) -> None:
    assert not expenses.approved_by_ballot(option)


def test_an_expense_ballot_subject_names_the_expense() -> None:
    assert expenses.expense_of_subject("expense:e-1") == "e-1"
    assert expenses.expense_of_subject("expense: ") is None
    assert expenses.expense_of_subject("budget:e-1") is None


def test_an_approved_expense_is_booked_on_its_line_and_paid_from_the_trust_fund() -> None:
    booked = expenses.booking("2026-05", "e-1", "5600", 12_345, "x" * 300)
    assert booked.kind == "expense"
    assert [(x.account, x.amount_fen) for x in booked.lines] == [("5600", 12_345), ("2300", -12_345)]
    assert booked.reference == {"expense_id": "e-1"}
    assert len(booked.memo or "") == 200
    paid = expenses.payment("2026-05", "e-1", 12_345, "成都洁净")
    assert paid.kind == "expense_paid"
    assert [(x.account, x.amount_fen) for x in paid.lines] == [("2300", 12_345), ("1000", -12_345)]
    assert paid.memo == "Expense paid: 成都洁净"
