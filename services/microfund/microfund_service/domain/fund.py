"""微基金 — a community's micro-fund: pledges of the firms, what they and others actually gave, grants
applied for, decided, disbursed in instalments and closed. Plain Python: no clock, database or network.

The fund's money is kept in the ledger, in the community's own book (see the ledger's fund chart),
so every step that moves money here names the balanced lines it posts there:

=====================================  ==========================  ==========================
step                                   debit                       credit
=====================================  ==========================  ==========================
a firm's pledge (DonationDeclared)     1200 pledges receivable     4000 donations from firms
the firm's transfer arriving           1000 fund cash              1200 pledges receivable
another donation                       1000 fund cash              4100 other donations
a grant approved                       5000 community grants       2100 grants payable
an instalment paid                     2100 grants payable         1000 fund cash
a grant closed under its amount        2100 grants payable         5000 community grants
=====================================  ==========================  ==========================

So the fund's cash (1000) is always what came in minus what was paid out, a firm's arrears are its
pledges minus its transfers, and a grant's commitment (2100) is what was approved and not yet paid.

Decisions follow the community council's rule (:class:`CouncilRule`): at or under the threshold the
community officer decides; above it the households of every benefiting estate decide by ballot
(one ballot per estate, subject ``grant:<id>``), and the grant is approved only if every one of
those ballots adopts an approving option.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum

from xinyi_shared.codes import validate_estate_code
from xinyi_shared.errors import Conflict, InvalidInput, PermissionDenied

MAX_ENTRY_FEN = 10**10  # as the ledger: 100,000,000.00 CNY
MAX_TITLE = 200
MAX_TEXT = 4000
MAX_NAME = 200
MAX_LINES = 30
MAX_FILES = 10
APPROVING_OPTIONS = frozenset({"approve", "approved", "yes", "同意", "赞成", "批准"})
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

CASH = "1000"
PLEDGES_RECEIVABLE = "1200"
GRANTS_PAYABLE = "2100"
FIRM_DONATIONS = "4000"
OTHER_DONATIONS = "4100"
GRANTS = "5000"

Lines = tuple[tuple[str, int], ...]


def text(name: str, value: object, limit: int, *, required: bool = True) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be a text")
    cleaned = value.replace("\r\n", "\n").strip()
    if required and not cleaned:
        raise InvalidInput(f"{name} must not be empty")
    if len(cleaned) > limit:
        raise InvalidInput(f"{name} must be at most {limit} characters")
    if any((ord(c) < 32 and c != "\n") or c == "\x7f" for c in cleaned):
        raise InvalidInput(f"{name} must not hold control characters")
    return cleaned


def amount(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{name} must be a whole number of fen")
    if not 1 <= value <= MAX_ENTRY_FEN:
        raise InvalidInput(f"{name} must be between 1 and {MAX_ENTRY_FEN} fen")
    return value


def files(name: str, values: object, low: int = 0) -> tuple[str, ...]:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise InvalidInput(f"{name} must be a list of SHA-256 references")
    found = tuple(values)
    if not low <= len(found) <= MAX_FILES:
        raise InvalidInput(f"{name}: {low} to {MAX_FILES} files")
    if not all(isinstance(sha, str) and _SHA256.match(sha) for sha in found) or len(set(found)) != len(found):
        raise InvalidInput(f"{name} are distinct SHA-256 references (64 lowercase hexadecimal digits)")
    return found


def pledge_lines(amount_fen: int) -> Lines:
    return ((PLEDGES_RECEIVABLE, amount_fen), (FIRM_DONATIONS, -amount_fen))


def transfer_lines(amount_fen: int) -> Lines:
    return ((CASH, amount_fen), (PLEDGES_RECEIVABLE, -amount_fen))


def donation_lines(amount_fen: int) -> Lines:
    return ((CASH, amount_fen), (OTHER_DONATIONS, -amount_fen))


def approval_lines(amount_fen: int) -> Lines:
    return ((GRANTS, amount_fen), (GRANTS_PAYABLE, -amount_fen))


def disbursement_lines(amount_fen: int) -> Lines:
    return ((GRANTS_PAYABLE, amount_fen), (CASH, -amount_fen))


def release_lines(amount_fen: int) -> Lines:
    return ((GRANTS_PAYABLE, amount_fen), (GRANTS, -amount_fen))


# Inflows ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pledge:
    """A firm's donation declared at an estate's month close: owed to the fund until transferred."""

    estate_code: str
    period: str
    amount_fen: int
    source_transaction: str  # the ledger's transaction in the estate's trust books

    def __post_init__(self) -> None:
        validate_estate_code(self.estate_code)
        if not isinstance(self.period, str) or not _PERIOD.match(self.period):
            raise InvalidInput("period is YYYY-MM")
        amount("amount_fen", self.amount_fen)


class DonorKind(StrEnum):
    FIRM = "firm"  # a firm's transfer against its pledges
    RESIDENT = "resident"
    BUSINESS = "business"
    SUB_DISTRICT = "sub_district"
    OTHER = "other"


@dataclass(frozen=True)
class Donation:
    """Money that arrived: a firm's transfer (``estate_code`` of the firm's estate) or another
    donation; the donor is named in the statement only when it chose to be (``anonymous`` False)."""

    source: DonorKind
    amount_fen: int
    received_on: date
    estate_code: str | None = None
    donor_name: str | None = None
    anonymous: bool = True
    note: str = ""

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "source", DonorKind(self.source))
        except ValueError:
            raise InvalidInput(f"source must be one of {', '.join(k.value for k in DonorKind)}") from None
        amount("amount_fen", self.amount_fen)
        if not isinstance(self.received_on, date):
            raise InvalidInput("received_on must be a date")
        if self.source is DonorKind.FIRM:
            if self.estate_code is None:
                raise InvalidInput("a firm's transfer names the estate whose pledges it pays")
            validate_estate_code(self.estate_code)
        elif self.estate_code is not None:
            raise InvalidInput("only a firm's transfer names an estate")
        if not isinstance(self.anonymous, bool):
            raise InvalidInput("anonymous must be true or false")
        if self.anonymous:
            object.__setattr__(self, "donor_name", None)  # not kept: the donor chose not to be named
        else:
            object.__setattr__(self, "donor_name", text("donor_name", self.donor_name or "", MAX_NAME))
        object.__setattr__(self, "note", text("note", self.note, MAX_TEXT, required=False))

    @property
    def lines(self) -> Lines:
        return transfer_lines(self.amount_fen) if self.source is DonorKind.FIRM else donation_lines(self.amount_fen)


def check_transfer(donation: Donation, outstanding_fen: int) -> None:
    """A firm's transfer pays its estate's outstanding pledges and no more (an overpayment is
    recorded as another donation, by its donor's choice, not silently)."""
    if donation.source is DonorKind.FIRM and donation.amount_fen > outstanding_fen:
        raise Conflict(
            f"the firm owes the fund {outstanding_fen} fen for estate {donation.estate_code}: "
            f"a transfer of {donation.amount_fen} fen is more than its pledges"
        )


# Grants -------------------------------------------------------------------------------------------


class GrantStatus(StrEnum):
    APPLIED = "applied"  # waiting for the community officer's review
    AWAITING_BALLOT = "awaiting_ballot"  # above the threshold: the benefiting estates' households vote
    APPROVED = "approved"  # may be disbursed, in instalments
    REJECTED = "rejected"
    CLOSED = "closed"  # reported on; what was not paid is released


class ApplicantKind(StrEnum):
    RESIDENT = "resident"
    RESIDENT_GROUP = "resident_group"
    SUPERVISOR = "supervisor"


@dataclass(frozen=True)
class BudgetItem:
    item: str
    amount_fen: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "item", text("item", self.item, MAX_TITLE))
        amount("amount_fen", self.amount_fen)


@dataclass(frozen=True)
class CouncilRule:
    """The community council's rule: the officer decides grants up to ``threshold_fen``; above it,
    the households of the benefiting estates, by ballot."""

    threshold_fen: int = 500_000  # 5,000.00 CNY

    def __post_init__(self) -> None:
        if isinstance(self.threshold_fen, bool) or not isinstance(self.threshold_fen, int) or self.threshold_fen < 0:
            raise InvalidInput("threshold_fen must be a whole number of fen, 0 or more")

    def needs_ballot(self, amount_fen: int) -> bool:
        return amount_fen > self.threshold_fen


@dataclass(frozen=True)
class Application:
    title: str
    purpose: str
    budget: tuple[BudgetItem, ...]
    benefiting_estates: tuple[str, ...]
    applicant_kind: ApplicantKind
    group_name: str | None = None  # a resident group's name
    attachments: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "title", text("title", self.title, MAX_TITLE))
        object.__setattr__(self, "purpose", text("purpose", self.purpose, MAX_TEXT))
        budget = tuple(self.budget)
        if not 1 <= len(budget) <= MAX_LINES or not all(isinstance(b, BudgetItem) for b in budget):
            raise InvalidInput(f"a grant's budget has 1 to {MAX_LINES} items")
        object.__setattr__(self, "budget", budget)
        amount("the budget's total", sum(b.amount_fen for b in budget))
        estates = tuple(self.benefiting_estates)
        if not estates or len(set(estates)) != len(estates):
            raise InvalidInput("name the estates the grant benefits, each once")
        for code in estates:
            validate_estate_code(code)
        object.__setattr__(self, "benefiting_estates", estates)
        try:
            object.__setattr__(self, "applicant_kind", ApplicantKind(self.applicant_kind))
        except ValueError:
            raise InvalidInput("applicant_kind must be resident, resident_group or supervisor") from None
        if self.applicant_kind is ApplicantKind.RESIDENT_GROUP:
            object.__setattr__(self, "group_name", text("group_name", self.group_name or "", MAX_NAME))
        else:
            object.__setattr__(self, "group_name", None)
        object.__setattr__(self, "attachments", files("attachments", self.attachments))

    @property
    def amount_fen(self) -> int:
        return sum(b.amount_fen for b in self.budget)


@dataclass(frozen=True)
class Instalment:
    number: int
    amount_fen: int
    receipt: str  # SHA-256 of the receipt in the blob store
    paid_on: date


@dataclass(frozen=True)
class Grant:
    id: str
    community_code: str
    application: Application
    applicant: str  # the applicant's account (token subject)
    applicant_estate: str
    status: GrantStatus = GrantStatus.APPLIED
    approved_fen: int = 0
    decided_by: str | None = None  # "officer" or "ballot"
    decision_note: str = ""
    ballots: Mapping[str, str] = field(default_factory=dict)  # estate -> ballot id
    ballot_results: Mapping[str, bool] = field(default_factory=dict)  # estate -> approved
    instalments: tuple[Instalment, ...] = ()
    report: str = ""
    report_photos: tuple[str, ...] = ()

    @property
    def amount_fen(self) -> int:
        return self.application.amount_fen

    @property
    def disbursed_fen(self) -> int:
        return sum(i.amount_fen for i in self.instalments)

    @property
    def remaining_fen(self) -> int:
        return self.approved_fen - self.disbursed_fen


def apply(
    grant_id: str,
    community_code: str,
    application: Application,
    applicant: str,
    applicant_estate: str,
    community_estates: Iterable[str],
) -> Grant:
    """A new application; it benefits estates of this community only, and comes from one of them."""
    members = set(community_estates)
    if applicant_estate not in members:
        raise PermissionDenied("only people of the community's estates apply to its fund")
    outside = [code for code in application.benefiting_estates if code not in members]
    if outside:
        raise InvalidInput(f"estate(s) {', '.join(outside)} are not of this community")
    return Grant(grant_id, community_code, application, applicant, applicant_estate)


def review(grant: Grant, rule: CouncilRule, approve: bool, note: str) -> Grant:
    """The community officer's review: under the threshold, the decision; above it, approval sends
    the grant to the benefiting estates' ballots (a rejection is final either way)."""
    if grant.status is not GrantStatus.APPLIED:
        raise Conflict(f"a {grant.status.value} grant is not waiting for review")
    reason = text("note", note, MAX_TEXT, required=not approve)
    if not approve:
        return replace(grant, status=GrantStatus.REJECTED, decided_by="officer", decision_note=reason)
    if rule.needs_ballot(grant.amount_fen):
        return replace(grant, status=GrantStatus.AWAITING_BALLOT, decision_note=reason)
    return replace(
        grant, status=GrantStatus.APPROVED, decided_by="officer", decision_note=reason, approved_fen=grant.amount_fen
    )


def ballot_subject(grant_id: str) -> str:
    return f"grant:{grant_id}"


def ballot_opened(grant: Grant, estate_code: str, ballot_id: str) -> Grant:
    if grant.status is not GrantStatus.AWAITING_BALLOT:
        raise Conflict("this grant is not put to a ballot")
    if estate_code not in grant.application.benefiting_estates:
        raise Conflict(f"estate {estate_code} does not benefit from this grant: its ballot does not decide it")
    if estate_code in grant.ballots and grant.ballots[estate_code] != ballot_id:
        raise Conflict(f"estate {estate_code} already votes on this grant in another ballot")
    return replace(grant, ballots={**grant.ballots, estate_code: ballot_id})


def ballot_closed(grant: Grant, estate_code: str, ballot_id: str, adopted_option: str) -> Grant:
    """One estate's ballot closed; the grant is decided when every benefiting estate's ballot has
    (approved if all of them adopted an approving option)."""
    if grant.status is not GrantStatus.AWAITING_BALLOT or grant.ballots.get(estate_code) != ballot_id:
        return grant  # not (or no longer) decided by this ballot
    results = {**grant.ballot_results, estate_code: adopted_option.strip().casefold() in APPROVING_OPTIONS}
    grant = replace(grant, ballot_results=results)
    if not all(results.get(code) is True for code in grant.application.benefiting_estates):
        if any(value is False for value in results.values()):
            return replace(grant, status=GrantStatus.REJECTED, decided_by="ballot")
        return grant
    return replace(grant, status=GrantStatus.APPROVED, decided_by="ballot", approved_fen=grant.amount_fen)


def disburse(grant: Grant, amount_fen: int, receipt: str, paid_on: date, fund_cash_fen: int) -> Grant:
    """Pay an instalment with its receipt: never beyond the approved amount nor the fund's cash."""
    amount("amount_fen", amount_fen)
    [sha] = files("receipt", [receipt], 1)
    if grant.status is not GrantStatus.APPROVED:
        raise Conflict(f"a {grant.status.value} grant is not disbursed")
    if amount_fen > grant.remaining_fen:
        raise Conflict(f"the grant has {grant.remaining_fen} fen left to pay of {grant.approved_fen} approved")
    if amount_fen > fund_cash_fen:
        raise Conflict(f"the fund holds {fund_cash_fen} fen: it cannot pay {amount_fen}")
    instalment = Instalment(len(grant.instalments) + 1, amount_fen, sha, paid_on)
    return replace(grant, instalments=(*grant.instalments, instalment))


def close(grant: Grant, report: str, photos: Sequence[str]) -> tuple[Grant, int]:
    """Close an approved grant with a short report and photos; returns the grant and the amount
    approved but not paid, released back to the fund."""
    if grant.status is not GrantStatus.APPROVED:
        raise Conflict(f"a {grant.status.value} grant is not closed")
    if not grant.instalments:
        raise Conflict("a grant is closed after it was paid: disburse it first")
    summary = text("report", report, MAX_TEXT)
    closed = replace(grant, status=GrantStatus.CLOSED, report=summary, report_photos=files("photos", photos))
    return closed, grant.remaining_fen


# The public statement -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FirmAccount:
    estate_code: str
    pledged_fen: int
    received_fen: int

    @property
    def outstanding_fen(self) -> int:
        return self.pledged_fen - self.received_fen


def firm_accounts(pledges: Iterable[Pledge], transfers: Iterable[Donation]) -> list[FirmAccount]:
    pledged: dict[str, int] = {}
    received: dict[str, int] = {}
    for pledge in pledges:
        pledged[pledge.estate_code] = pledged.get(pledge.estate_code, 0) + pledge.amount_fen
    for transfer in transfers:
        if transfer.source is DonorKind.FIRM and transfer.estate_code is not None:
            received[transfer.estate_code] = received.get(transfer.estate_code, 0) + transfer.amount_fen
    return [
        FirmAccount(code, pledged.get(code, 0), received.get(code, 0)) for code in sorted(set(pledged) | set(received))
    ]
