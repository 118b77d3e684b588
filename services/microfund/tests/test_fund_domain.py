"""The micro-fund's rules (domain/fund.py): postings balance, transfers within pledges, the council's
rule, ballots of every benefiting estate, disbursements within the approved amount and the cash."""

from __future__ import annotations

from datetime import date

import pytest

from microfund_service.domain import fund
from microfund_service.domain.fund import (
    ApplicantKind,
    Application,
    BudgetItem,
    CouncilRule,
    Donation,
    DonorKind,
    GrantStatus,
    Pledge,
)
from xinyi_shared.errors import Conflict, InvalidInput, PermissionDenied

ESTATES = ("jinhe-a", "jinhe-b")
RECEIPT = "ab" * 32
DAY = date(2031, 4, 2)


def application(total: int = 800_000, estates: tuple[str, ...] = ESTATES) -> Application:
    return Application(
        title="楼道灯改造",
        purpose="把两个小区的楼道灯换成声控LED",
        budget=(BudgetItem("LED灯具", total - 100_000), BudgetItem("安装", 100_000)),
        benefiting_estates=estates,
        applicant_kind=ApplicantKind.RESIDENT_GROUP,
        group_name="楼道志愿队",
    )


def applied(total: int = 800_000, estates: tuple[str, ...] = ESTATES) -> fund.Grant:
    return fund.apply("g-1", "jinhe", application(total, estates), "resident-1", "jinhe-a", ESTATES)


@pytest.mark.parametrize(
    "lines",
    [
        fund.pledge_lines(1234),
        fund.transfer_lines(1234),
        fund.donation_lines(1234),
        fund.approval_lines(1234),
        fund.disbursement_lines(1234),
        fund.release_lines(1234),
    ],
)
def test_every_posting_balances(lines: tuple[tuple[str, int], ...]) -> None:
    assert sum(amount for _, amount in lines) == 0 and len(lines) == 2


def test_firm_accounts_show_pledged_received_and_arrears() -> None:
    pledges = [Pledge("jinhe-a", "2031-03", 450_000, "tx-1"), Pledge("jinhe-b", "2031-03", 123_457, "tx-2")]
    paid = [Donation(DonorKind.FIRM, 450_000, DAY, "jinhe-a")]
    accounts = {a.estate_code: a for a in fund.firm_accounts(pledges, paid)}
    assert (accounts["jinhe-a"].outstanding_fen, accounts["jinhe-b"].outstanding_fen) == (0, 123_457)
    with pytest.raises(Conflict):
        fund.check_transfer(Donation(DonorKind.FIRM, 123_458, DAY, "jinhe-b"), accounts["jinhe-b"].outstanding_fen)
    fund.check_transfer(Donation(DonorKind.FIRM, 123_457, DAY, "jinhe-b"), accounts["jinhe-b"].outstanding_fen)


def test_a_donor_is_named_only_by_choice() -> None:
    named = Donation(DonorKind.BUSINESS, 10_000, DAY, donor_name="便民超市", anonymous=False)
    hidden = Donation(DonorKind.RESIDENT, 5_000, DAY, donor_name="张三", anonymous=True)
    assert named.donor_name == "便民超市" and hidden.donor_name is None
    with pytest.raises(InvalidInput):
        Donation(DonorKind.BUSINESS, 10_000, DAY, anonymous=False)  # named, but no name
    with pytest.raises(InvalidInput):
        Donation(DonorKind.FIRM, 10_000, DAY)  # a firm's transfer names its estate
    with pytest.raises(InvalidInput):
        Donation(DonorKind.RESIDENT, 0, DAY)


def test_applications_come_from_and_benefit_the_community_only() -> None:
    with pytest.raises(PermissionDenied):
        fund.apply("g-2", "jinhe", application(), "r-9", "elsewhere", ESTATES)
    with pytest.raises(InvalidInput):
        fund.apply("g-2", "jinhe", application(estates=("jinhe-a", "elsewhere")), "r-1", "jinhe-a", ESTATES)
    with pytest.raises(InvalidInput):
        Application("t", "p", (), ESTATES, ApplicantKind.RESIDENT)


def test_the_officer_decides_under_the_threshold() -> None:
    grant = fund.review(applied(500_000), CouncilRule(500_000), True, "ok")
    assert (grant.status, grant.decided_by, grant.approved_fen) == (GrantStatus.APPROVED, "officer", 500_000)
    rejected = fund.review(applied(500_000), CouncilRule(500_000), False, "not community work")
    assert rejected.status is GrantStatus.REJECTED
    with pytest.raises(InvalidInput):
        fund.review(applied(500_000), CouncilRule(500_000), False, "")  # a rejection says why


def test_above_the_threshold_every_benefiting_estate_votes() -> None:
    grant = fund.review(applied(800_000), CouncilRule(500_000), True, "to the households")
    assert grant.status is GrantStatus.AWAITING_BALLOT and grant.approved_fen == 0
    grant = fund.ballot_opened(grant, "jinhe-a", "b-1")
    grant = fund.ballot_opened(grant, "jinhe-b", "b-2")
    with pytest.raises(Conflict):
        fund.ballot_opened(grant, "jinhe-a", "b-3")
    grant = fund.ballot_closed(grant, "jinhe-a", "b-1", "同意")
    assert grant.status is GrantStatus.AWAITING_BALLOT  # one estate still voting
    assert fund.ballot_closed(grant, "jinhe-b", "b-9", "同意") == grant  # not this grant's ballot
    approved = fund.ballot_closed(grant, "jinhe-b", "b-2", "同意")
    assert (approved.status, approved.decided_by, approved.approved_fen) == (GrantStatus.APPROVED, "ballot", 800_000)
    refused = fund.ballot_closed(grant, "jinhe-b", "b-2", "不同意")
    assert refused.status is GrantStatus.REJECTED


def test_disbursements_stay_within_the_approved_amount_and_the_cash() -> None:
    grant = fund.review(applied(500_000), CouncilRule(500_000), True, "ok")
    with pytest.raises(Conflict):
        fund.disburse(grant, 300_000, RECEIPT, DAY, fund_cash_fen=299_999)
    grant = fund.disburse(grant, 300_000, RECEIPT, DAY, fund_cash_fen=1_000_000)
    with pytest.raises(Conflict):
        fund.disburse(grant, 200_001, RECEIPT, DAY, fund_cash_fen=1_000_000)
    grant = fund.disburse(grant, 150_000, "cd" * 32, DAY, fund_cash_fen=1_000_000)
    assert [i.number for i in grant.instalments] == [1, 2] and grant.remaining_fen == 50_000
    closed, released = fund.close(grant, "灯已换好", ["ef" * 32])
    assert closed.status is GrantStatus.CLOSED and released == 50_000
    with pytest.raises(Conflict):
        fund.disburse(closed, 1, RECEIPT, DAY, fund_cash_fen=10)


def test_nothing_is_paid_before_approval_and_nothing_closed_before_payment() -> None:
    with pytest.raises(Conflict):
        fund.disburse(applied(), 1, RECEIPT, DAY, fund_cash_fen=10)
    approved = fund.review(applied(500_000), CouncilRule(500_000), True, "ok")
    with pytest.raises(Conflict):
        fund.close(approved, "done", [])
