"""小区 — the estate, tenant of the platform, and the rules its trust books follow."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from xinyi_shared.errors import Conflict, InvalidInput

ESTATE_CODE_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$")
DEFAULT_FEE_RATE_FEN_PER_SQM_MONTH = Decimal("35")  # 0.35 CNY per m² per month
DEFAULT_REMUNERATION_SHARE_BPS = 1500  # 15% of property fees
DEFAULT_DONATION_SHARE_BPS = 3000  # 30% of the remuneration
MAX_FEE_RATE_DECIMALS = 4


class EstateStatus(StrEnum):
    PROVISIONING = "provisioning"  # row written, identity provider not yet done: invisible to estate users
    ACTIVE = "active"
    SUSPENDED = "suspended"
    OFFBOARDED = "offboarded"


def validate_estate_code(code: str) -> str:
    if not ESTATE_CODE_PATTERN.match(code):
        raise InvalidInput(
            "estate code must be 3-63 characters of lower-case letters, digits and hyphens, "
            "starting and ending with a letter or digit"
        )
    return code


def parse_fee_rate(value: str | Decimal) -> Decimal:
    """A fee rate in fen per m² per month: positive, at most four decimals of a fen."""
    try:
        rate = Decimal(str(value))
    except InvalidOperation as error:
        raise InvalidInput(f"fee rate {value!r} is not a decimal number of fen") from error
    if not rate.is_finite() or rate <= 0:
        raise InvalidInput("fee rate must be a positive number of fen per m² per month")
    exponent = rate.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_FEE_RATE_DECIMALS:
        raise InvalidInput(f"fee rate may have at most {MAX_FEE_RATE_DECIMALS} decimals of a fen")
    return rate


def validate_share_bps(name: str, bps: int) -> int:
    if not 0 <= bps <= 10000:
        raise InvalidInput(f"{name} must be between 0 and 10000 basis points")
    return bps


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

    def __post_init__(self) -> None:
        validate_estate_code(self.code)
        if not self.name.strip():
            raise InvalidInput("estate name must not be empty")
        if not self.district_code.strip() or not self.community_code.strip():
            raise InvalidInput("district and community codes must not be empty")
        object.__setattr__(self, "fee_rate_fen_per_sqm_month", parse_fee_rate(self.fee_rate_fen_per_sqm_month))
        validate_share_bps("remuneration share", self.remuneration_share_bps)
        validate_share_bps("donation share", self.donation_share_bps)


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
