"""小区 — the estate, tenant of the platform, and the rules its trust books follow."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from xinyi_shared.codes import validate_estate_code
from xinyi_shared.errors import Conflict, InvalidInput

DEFAULT_FEE_RATE_FEN_PER_SQM_MONTH = Decimal("35")  # 0.35 CNY per m² per month
DEFAULT_REMUNERATION_SHARE_BPS = 1500  # 15% of property fees
DEFAULT_DONATION_SHARE_BPS = 3000  # 30% of the remuneration
MAX_FEE_RATE_DECIMALS = 4
# How far back an estate's trust books may begin when it joins the platform with its earlier months
# (books_from): two years of bills, payments and closes to enter from its paper or spreadsheet books.
MAX_BOOKS_FROM_MONTHS_BACK = 24
BOOKS_FROM_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"


class RemunerationBasis(StrEnum):
    """What the firm's remuneration (酬金) is a share of."""

    COLLECTED = "collected"  # fees actually collected: the firm shares the collection risk
    BILLED = "billed"


class EstateStatus(StrEnum):
    PROVISIONING = "provisioning"  # row written, identity provider not yet done: invisible to estate users
    ACTIVE = "active"
    SUSPENDED = "suspended"
    OFFBOARDED = "offboarded"


def parse_fee_rate(value: str | Decimal) -> Decimal:
    """A fee rate in fen per m² per month: positive, at most four decimals of a fen."""
    try:
        rate = Decimal(str(value))
    except InvalidOperation as error:
        raise InvalidInput(f"fee rate {value!r} is not a decimal number of fen") from error
    if not rate.is_finite() or rate <= 0:
        raise InvalidInput("fee rate must be a positive number of fen per m² per month")
    canonical = Decimal(format(rate.normalize(), "f"))  # "35.5000" -> 35.5, "40.00" -> 40 (never 4E+1)
    exponent = canonical.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_FEE_RATE_DECIMALS:
        raise InvalidInput(f"fee rate may have at most {MAX_FEE_RATE_DECIMALS} decimals of a fen")
    return canonical


def validate_share_bps(name: str, bps: int) -> int:
    if not 0 <= bps <= 10000:
        raise InvalidInput(f"{name} must be between 0 and 10000 basis points")
    return bps


def parse_books_from(value: str) -> date:
    """The first day of a month written YYYY-MM (the month an estate's trust books begin)."""
    if not re.fullmatch(BOOKS_FROM_PATTERN, value):
        raise InvalidInput(f"books_from {value[:20]!r} is not a month written YYYY-MM (e.g. 2025-11)")
    if int(value[:4]) < 1:  # year 0000 is no date; far from any estate's books anyway
        raise InvalidInput(f"books_from {value!r} is not a month of the calendar (years begin at 0001)")
    return date(int(value[:4]), int(value[5:]), 1)


def check_books_from(books_from: date, today: date) -> None:
    """An estate may bring its books from an earlier month, never from a coming one, and at most
    MAX_BOOKS_FROM_MONTHS_BACK months back (``today`` in the estate's time zone)."""
    months_back = (today.year - books_from.year) * 12 + today.month - books_from.month
    if months_back < 0:
        raise InvalidInput(f"books_from {books_from:%Y-%m} is in the future: the books begin this month or earlier")
    if months_back > MAX_BOOKS_FROM_MONTHS_BACK:
        raise InvalidInput(
            f"books_from {books_from:%Y-%m} is {months_back} months back: "
            f"at most {MAX_BOOKS_FROM_MONTHS_BACK} months ({_months_before(today, MAX_BOOKS_FROM_MONTHS_BACK)})"
        )


def _months_before(today: date, months: int) -> str:
    index = today.year * 12 + today.month - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def validate_time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidInput(f"unknown time zone {name!r}") from error
    return name


@dataclass(frozen=True)
class EstateRules:
    """The estate's money rules; they change from a stated date, never retroactively."""

    fee_rate_fen_per_sqm_month: Decimal = DEFAULT_FEE_RATE_FEN_PER_SQM_MONTH
    remuneration_share_bps: int = DEFAULT_REMUNERATION_SHARE_BPS
    donation_share_bps: int = DEFAULT_DONATION_SHARE_BPS
    remuneration_basis: RemunerationBasis = RemunerationBasis.COLLECTED
    billing_day: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "fee_rate_fen_per_sqm_month", parse_fee_rate(self.fee_rate_fen_per_sqm_month))
        validate_share_bps("remuneration share", self.remuneration_share_bps)
        validate_share_bps("donation share", self.donation_share_bps)
        try:
            object.__setattr__(self, "remuneration_basis", RemunerationBasis(self.remuneration_basis))
        except ValueError as error:
            raise InvalidInput("remuneration basis must be 'collected' or 'billed'") from error
        if not 1 <= self.billing_day <= 28:
            raise InvalidInput("billing day must be between 1 and 28 (every month has it)")

    def to_json(self) -> dict[str, Any]:
        values = asdict(self)
        values["fee_rate_fen_per_sqm_month"] = str(self.fee_rate_fen_per_sqm_month)
        values["remuneration_basis"] = self.remuneration_basis.value
        return values

    @classmethod
    def from_json(cls, values: dict[str, Any]) -> EstateRules:
        return cls(
            **{**values, "fee_rate_fen_per_sqm_month": Decimal(values["fee_rate_fen_per_sqm_month"]).normalize()}
        )


@dataclass(frozen=True)
class RuleChange:
    """One entry of the audited rules history: from ``effective_from`` on, ``rules`` apply."""

    effective_from: date
    rules: EstateRules
    changed_by: str
    reason: str = ""


def change_in_force(changes: list[RuleChange], on: date) -> RuleChange | None:
    """The change whose rules apply on ``on``: the latest effective on or before it (``changes``
    oldest first; the later entry wins among changes with the same date)."""
    applicable = [change for change in changes if change.effective_from <= on]
    return applicable[-1] if applicable else None


def rules_in_force(changes: list[RuleChange], on: date) -> EstateRules | None:
    change = change_in_force(changes, on)
    return change.rules if change else None


def schedule_rule_change(history: list[RuleChange], change: RuleChange, today: date) -> EstateRules | None:
    """Checks ``change`` against the history (oldest first); returns the rules it replaces.

    Rules apply per billing month, so a change starts on the first day of a month, and never in
    the past: bills already issued stay as they were."""
    if change.effective_from < today:
        raise InvalidInput("rules cannot change retroactively: effective_from must be today or later")
    if change.effective_from.day != 1:
        raise InvalidInput("rules change from the first day of a month (billing is monthly)")
    previous = rules_in_force(sorted(history, key=lambda c: c.effective_from), change.effective_from)
    if previous == change.rules:
        raise Conflict("these rules are already in force from that date")
    return previous


@dataclass(frozen=True)
class EstateProfile:
    """What the platform team states when onboarding an estate."""

    code: str
    name: str
    district_code: str
    community_code: str
    fee_rate_fen_per_sqm_month: Decimal = DEFAULT_FEE_RATE_FEN_PER_SQM_MONTH
    remuneration_share_bps: int = DEFAULT_REMUNERATION_SHARE_BPS
    donation_share_bps: int = DEFAULT_DONATION_SHARE_BPS
    time_zone: str = "Asia/Shanghai"
    sub_district_code: str = ""
    remuneration_basis: RemunerationBasis = RemunerationBasis.COLLECTED
    billing_day: int = 1
    firm_name: str = ""  # the property firm serving the estate, its trustee (受托人)
    # The first day of the month its trust books begin, when earlier than the onboarding month (an
    # estate that joins with its past months' books); None: the onboarding month.
    books_from: date | None = None

    def __post_init__(self) -> None:
        validate_estate_code(self.code)
        if self.books_from is not None and self.books_from.day != 1:
            raise InvalidInput("books_from is the first day of a month")
        if len(self.firm_name) > 200:
            raise InvalidInput("firm name must be at most 200 characters")
        if not self.name.strip():
            raise InvalidInput("estate name must not be empty")
        if not self.district_code.strip() or not self.community_code.strip():
            raise InvalidInput("district and community codes must not be empty")
        validate_time_zone(self.time_zone)
        rules = self.initial_rules()  # validates the rule fields
        object.__setattr__(self, "fee_rate_fen_per_sqm_month", rules.fee_rate_fen_per_sqm_month)
        object.__setattr__(self, "remuneration_basis", rules.remuneration_basis)

    def initial_rules(self) -> EstateRules:
        return EstateRules(
            fee_rate_fen_per_sqm_month=self.fee_rate_fen_per_sqm_month,
            remuneration_share_bps=self.remuneration_share_bps,
            donation_share_bps=self.donation_share_bps,
            remuneration_basis=self.remuneration_basis,
            billing_day=self.billing_day,
        )


@dataclass(frozen=True)
class Estate:
    profile: EstateProfile
    status: EstateStatus
    directory_id: str | None = None  # the Keycloak organisation's id

    @property
    def code(self) -> str:
        return self.profile.code

    def check_same_request(self, profile: EstateProfile) -> None:
        """Retrying an onboarding must state the same estate; another body under the code is refused."""
        if profile != self.profile:
            raise Conflict(f"estate {self.code!r} already exists with different details")

    def activated(self, directory_id: str) -> Estate:
        return replace(self, status=EstateStatus.ACTIVE, directory_id=directory_id)

    def require_writable(self) -> None:
        """A suspended estate is read-only: its people still see their data, nobody changes it."""
        if self.status is EstateStatus.SUSPENDED:
            raise Conflict(f"estate {self.code!r} is suspended: its data is read-only")
        if self.status is not EstateStatus.ACTIVE:
            raise Conflict(f"estate {self.code!r} is {self.status.value}")

    def suspended(self) -> Estate:
        if self.status is not EstateStatus.ACTIVE:
            raise Conflict(f"only an active estate can be suspended (this one is {self.status.value})")
        return replace(self, status=EstateStatus.SUSPENDED)

    def resumed(self) -> Estate:
        if self.status is not EstateStatus.SUSPENDED:
            raise Conflict(f"only a suspended estate can be resumed (this one is {self.status.value})")
        return replace(self, status=EstateStatus.ACTIVE)

    def offboarded(self) -> Estate:
        if self.status not in (EstateStatus.ACTIVE, EstateStatus.SUSPENDED):
            raise Conflict(f"estate {self.code!r} cannot be offboarded while {self.status.value}")
        return replace(self, status=EstateStatus.OFFBOARDED)


@dataclass(frozen=True)
class StaffAccount:
    """An account of the estate's organisation holding some of the asked roles
    (the firm's staff: whom the estate's tickets may be assigned to)."""

    account_id: str
    username: str
    display_name: str
    roles: tuple[str, ...]
