"""信托账本 — an estate's trust books: the chart of accounts they open with.

The owners' money is kept apart from the firm's: every account here belongs to the estate's trust
fund. Budget lines (expense accounts 5100-…) are added when a budget is adopted.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from xinyi_shared.errors import InvalidInput


class AccountType(StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    INCOME = "income"
    EXPENSE = "expense"


@dataclass(frozen=True)
class Account:
    code: str
    name: str
    name_zh: str
    type: AccountType


STANDARD_CHART: tuple[Account, ...] = (
    Account("1000", "Trust fund cash", "信托资金", AccountType.ASSET),
    Account("1100", "Property fees receivable", "应收物业费", AccountType.ASSET),
    Account("2000", "Prepaid property fees", "预收物业费", AccountType.LIABILITY),
    Account("2100", "Firm remuneration payable", "应付物业酬金", AccountType.LIABILITY),
    Account("2200", "Donation payable to the community micro-fund", "应付社区微基金捐赠", AccountType.LIABILITY),
    Account("2300", "Expenses payable (approved, unpaid)", "应付费用", AccountType.LIABILITY),
    Account("3000", "Surplus carried forward", "累计结余", AccountType.EQUITY),
    Account("4000", "Property fee income", "物业费收入", AccountType.INCOME),
    Account("4100", "Common income: parking", "公共收益：停车", AccountType.INCOME),
    Account("4110", "Common income: advertising", "公共收益：广告", AccountType.INCOME),
    Account("4120", "Common income: venue rent", "公共收益：场地租金", AccountType.INCOME),
    Account("4190", "Common income: other", "公共收益：其他", AccountType.INCOME),
    Account("5000", "Firm remuneration", "物业酬金", AccountType.EXPENSE),
)


@dataclass(frozen=True)
class EstateTerms:
    """The estate's rules the books were opened with, as the tenant service stated them."""

    estate_code: str
    fee_rate_fen_per_sqm_month: Decimal
    remuneration_share_bps: int
    donation_share_bps: int

    def __post_init__(self) -> None:
        if self.fee_rate_fen_per_sqm_month <= 0:
            raise InvalidInput("fee rate must be positive")
        for name, bps in (("remuneration", self.remuneration_share_bps), ("donation", self.donation_share_bps)):
            if not 0 <= bps <= 10000:
                raise InvalidInput(f"{name} share must be between 0 and 10000 basis points")


@dataclass(frozen=True)
class TrustBooks:
    terms: EstateTerms
    accounts: tuple[Account, ...]


def open_books(terms: EstateTerms) -> TrustBooks:
    return TrustBooks(terms=terms, accounts=STANDARD_CHART)
