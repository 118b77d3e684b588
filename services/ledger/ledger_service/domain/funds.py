"""社区微基金账本 — a community micro-fund's book: a book of its own beside the estates' trust books.

Each community's fund keeps double-entry books in integer fen on its own chart (:data:`FUND_CHART`):
the firms' pledged donations (应收认捐款), the money received (基金存款), the grants decided and paid
(应付资助款, 社区资助支出). The micro-fund service posts them; the ledger keeps them with the trust
books' guarantees (balanced, append-only, numbered, idempotent, in a signed log) and none of their
rules: no billing, no remuneration, no period close. Entries land in the current month.

A fund's book lives in the ledger's per-book tables under a reserved **book code**,
``fund:<community code>``. Estate codes are lower-case letters, digits and hyphens only
(:mod:`xinyi_shared.codes`), so no estate can ever have a fund's code: the colon keeps the two
namespaces apart (and the database checks it: a fund's row has that form, a trust book's never).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ledger_service.domain.books import Account, AccountType
from ledger_service.domain.postings import MAX_ABS_FEN, Line, Transaction, check_period
from ledger_service.domain.views import month_of
from xinyi_shared.codes import validate_area_code
from xinyi_shared.errors import InvalidInput

FUND_BOOK_PREFIX = "fund:"
MAX_FUND_NAME = 200

FUND_CASH = "1000"
PLEDGES_RECEIVABLE = "1200"
GRANTS_PAYABLE = "2100"
FUND_BALANCE = "3000"
FIRM_DONATIONS = "4000"
OTHER_DONATIONS = "4100"
COMMUNITY_GRANTS = "5000"

FUND_CHART: tuple[Account, ...] = (
    Account(FUND_CASH, "Fund cash", "基金存款", AccountType.ASSET),
    Account(PLEDGES_RECEIVABLE, "Pledges receivable", "应收认捐款", AccountType.ASSET),
    Account(GRANTS_PAYABLE, "Grants payable", "应付资助款", AccountType.LIABILITY),
    Account(FUND_BALANCE, "Fund balance", "基金结余", AccountType.EQUITY),
    Account(FIRM_DONATIONS, "Donations from property firms", "物业企业捐赠", AccountType.INCOME),
    Account(OTHER_DONATIONS, "Other donations", "其他捐赠", AccountType.INCOME),
    Account(COMMUNITY_GRANTS, "Community grants", "社区资助支出", AccountType.EXPENSE),
)
FUND_ACCOUNT_CODES = frozenset(account.code for account in FUND_CHART)


def check_community(community_code: str) -> str:
    """A community's code, as the registry defines it (InvalidInput otherwise)."""
    if not isinstance(community_code, str):
        raise InvalidInput("community code must be text")
    return validate_area_code("community", community_code)


def fund_book_code(community_code: str) -> str:
    """The reserved code the fund's rows are kept under: ``fund:<community>``, never an estate's."""
    return f"{FUND_BOOK_PREFIX}{check_community(community_code)}"


def community_of_book(book_code: str) -> str | None:
    """The community whose fund ``book_code`` names; None for an estate's trust books."""
    if not book_code.startswith(FUND_BOOK_PREFIX):
        return None
    return book_code.removeprefix(FUND_BOOK_PREFIX)


def check_fund_name(name: str) -> str:
    """The fund's name as people read it: required, at most 200 printable characters."""
    if not isinstance(name, str):
        raise InvalidInput("a fund's name is text")
    name = name.strip()
    if not name:
        raise InvalidInput("a fund book needs a name")
    if len(name) > MAX_FUND_NAME or not name.isprintable():
        raise InvalidInput(f"a fund's name is at most {MAX_FUND_NAME} printable characters")
    return name


@dataclass(frozen=True)
class FundLine(Line):
    """One side of a fund's transaction: an account of :data:`FUND_CHART`, never a household."""

    def __post_init__(self) -> None:
        if not isinstance(self.account, str) or self.account not in FUND_ACCOUNT_CODES:
            raise InvalidInput(
                f"account {self.account!r} is not in a fund's chart ({', '.join(sorted(FUND_ACCOUNT_CODES))})"
            )
        if isinstance(self.amount_fen, bool) or not isinstance(self.amount_fen, int):
            raise InvalidInput("an amount is a whole number of fen")
        if self.amount_fen == 0:
            raise InvalidInput("a line cannot be zero")
        if abs(self.amount_fen) > MAX_ABS_FEN:
            raise InvalidInput("an amount is too large")
        if self.household_id is not None:
            raise InvalidInput("a fund's accounts have no household sub-ledger")


@dataclass(frozen=True)
class FundTransaction(Transaction):
    """A balanced, immutable set of :class:`FundLine` s posted in one period of a fund's book.

    The same shape as a trust transaction (so the journal keeps both alike), checked against the
    fund's chart instead: fewer than two lines, lines that do not sum to zero, zero amounts,
    accounts outside the fund's chart, a household, a malformed period or an empty kind are refused."""

    def __post_init__(self) -> None:
        if not isinstance(self.kind, str) or not self.kind:
            raise InvalidInput("a transaction needs a kind")
        object.__setattr__(self, "kind", str(self.kind))
        check_period(self.period)
        lines = tuple(self.lines)
        if not all(isinstance(line, Line) for line in lines):
            raise InvalidInput("a transaction is made of lines")
        # Every line checked as a fund's line, whatever it was built as.
        lines = tuple(FundLine(line.account, line.amount_fen, line.household_id) for line in lines)
        object.__setattr__(self, "lines", lines)
        if len(lines) < 2:
            raise InvalidInput("a transaction has at least two lines")
        total = sum(line.amount_fen for line in lines)
        if total != 0:
            raise InvalidInput(f"a transaction must balance: debits and credits differ by {total} fen")
        if not isinstance(self.memo, str):
            raise InvalidInput("a memo is text")
        if self.reverses is not None:
            raise InvalidInput("a fund's entries are corrected by new entries, not reversals")
        reference = dict(self.reference)
        if not all(isinstance(key, str) and isinstance(value, str) for key, value in reference.items()):
            raise InvalidInput("reference keys and values are text")
        object.__setattr__(self, "reference", reference)


@dataclass(frozen=True)
class FundBook:
    """A community's fund book as it is open: its name, its chart, and the fund's calendar day."""

    community_code: str
    name: str
    first_period: str
    today: date
    accounts: tuple[Account, ...] = field(default=FUND_CHART)

    @property
    def book_code(self) -> str:
        return fund_book_code(self.community_code)

    @property
    def current_period(self) -> str:
        """Where every posting lands: the fund's current month (it has no close)."""
        return month_of(self.today)
