"""材料 — materials the firm buys to fix a ticket, paid from the estate's trust fund.

A purchase is one supplier's receipt: one or more lines (what, how much, at what unit price in fen),
the budget line it is charged to (5100-5999, e.g. 5600 repairs) and the receipts' SHA-256 in the
blob store. It is a value object only: the service turns it into an expense proposal of the ledger
(:meth:`MaterialPurchase.expense_proposal`), which then follows the dual-approval rules; nothing is
paid because a ticket says so.

Money is integer fen; a quantity is a whole number or a ``Decimal`` with at most three decimals
(2.5 m of cable), never a float. A line's total is ``quantity × unit price`` rounded half up to the
fen once (the ledger's rule 1); the purchase's total is the sum of its lines. Like a ledger entry,
no amount exceeds 10^10 fen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from ticketing_service.domain.targets import Category
from ticketing_service.domain.validation import clean_text, file_references
from xinyi_shared.errors import InvalidInput

MAX_ENTRY_FEN = 10**10  # as the ledger: 100,000,000.00 CNY per entry
MAX_QUANTITY = 10**6
QUANTITY_MAX_DECIMALS = 3
MAX_LINES = 50
MAX_RECEIPTS = 10  # the ledger's limit of vouchers per expense
MAX_ITEM_LENGTH = 200
MAX_UNIT_LENGTH = 20
MAX_SUPPLIER_LENGTH = 200
MAX_MEMO_LENGTH = 2000
REPAIRS_LINE = "5600"

# The budget line a category's materials usually go to (the ledger's usual lines); the firm may choose another.
SUGGESTED_BUDGET_LINES: dict[str, str] = {
    Category.CLEANING: "5100",
    Category.SECURITY: "5200",
    Category.GREENING: "5300",
    Category.ELEVATOR: "5400",
    Category.LIGHTING: REPAIRS_LINE,
    Category.PLUMBING: REPAIRS_LINE,
}


def suggested_budget_line(category: str) -> str:
    """5100 cleaning, 5200 security, 5300 greening, 5400 elevator; 5600 repairs for everything else."""
    return SUGGESTED_BUDGET_LINES.get(category, REPAIRS_LINE)


def is_budget_line(code: object) -> bool:
    """An expense line of an adopted budget, as the ledger has it: 5100 to 5999 (5000 is the firm's)."""
    return isinstance(code, str) and len(code) == 4 and code.isascii() and code.isdigit() and 5100 <= int(code) <= 5999


def _round_half_up(numerator: int, denominator: int) -> int:
    quotient, remainder = divmod(numerator, denominator)
    return quotient + (2 * remainder >= denominator)


def _quantity_fraction(quantity: object) -> tuple[int, int]:
    if isinstance(quantity, bool) or not isinstance(quantity, int | Decimal):
        raise InvalidInput(f"a quantity must be a whole number or a decimal, not {type(quantity).__name__}")
    value = Decimal(quantity)
    if not value.is_finite() or value <= 0:
        raise InvalidInput("a quantity must be a positive number")
    if value > MAX_QUANTITY:
        raise InvalidInput(f"a quantity must be at most {MAX_QUANTITY}")
    numerator, denominator = value.as_integer_ratio()
    if 10**QUANTITY_MAX_DECIMALS % denominator != 0:
        raise InvalidInput(f"a quantity may have at most {QUANTITY_MAX_DECIMALS} decimals")
    return numerator, denominator


@dataclass(frozen=True)
class MaterialLine:
    """One item of a receipt; ``total_fen`` is computed, never given."""

    item: str
    quantity: int | Decimal
    unit_price_fen: int
    unit: str = ""  # 个, m, kg … ; empty for pieces
    total_fen: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "item", clean_text("item", self.item, MAX_ITEM_LENGTH))
        object.__setattr__(self, "unit", clean_text("unit", self.unit, MAX_UNIT_LENGTH, required=False))
        numerator, denominator = _quantity_fraction(self.quantity)
        if isinstance(self.unit_price_fen, bool) or not isinstance(self.unit_price_fen, int):
            raise InvalidInput("unit_price_fen must be a whole number of fen")
        if not 1 <= self.unit_price_fen <= MAX_ENTRY_FEN:
            raise InvalidInput(f"unit_price_fen must be between 1 and {MAX_ENTRY_FEN} fen")
        total = _round_half_up(numerator * self.unit_price_fen, denominator)
        if not 1 <= total <= MAX_ENTRY_FEN:
            raise InvalidInput(f"a line's total must be between 1 and {MAX_ENTRY_FEN} fen")
        object.__setattr__(self, "total_fen", total)


@dataclass(frozen=True)
class ExpenseProposalDraft:
    """What the ledger needs to propose an expense (the fields of its ``Proposal``), plus the ticket
    it is for, so the ledger links the expense back to the ticket."""

    ticket_id: str
    payee: str
    amount_fen: int
    account: str
    description: str
    vouchers: tuple[str, ...]


@dataclass(frozen=True)
class MaterialPurchase:
    """One supplier's receipt for a ticket's materials; ``total_fen`` is the sum of its lines."""

    supplier: str
    lines: tuple[MaterialLine, ...]
    budget_line: str
    receipts: tuple[str, ...]  # SHA-256 of the receipt files (发票/收据), uploaded first
    total_fen: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "supplier", clean_text("supplier", self.supplier, MAX_SUPPLIER_LENGTH))
        if isinstance(self.lines, str) or not isinstance(self.lines, Iterable):
            raise InvalidInput("lines must be a list of material lines")
        lines = tuple(self.lines)
        if not 1 <= len(lines) <= MAX_LINES:
            raise InvalidInput(f"a purchase has 1 to {MAX_LINES} lines")
        if not all(isinstance(line, MaterialLine) for line in lines):
            raise InvalidInput("lines must be a list of material lines")
        object.__setattr__(self, "lines", lines)
        if not is_budget_line(self.budget_line):
            raise InvalidInput("the budget line must be an expense account 5100-5999 (5600 repairs)")
        object.__setattr__(self, "receipts", file_references("receipts", self.receipts, 1, MAX_RECEIPTS))
        total = sum(line.total_fen for line in lines)
        if total > MAX_ENTRY_FEN:
            raise InvalidInput(f"a purchase must total at most {MAX_ENTRY_FEN} fen")
        object.__setattr__(self, "total_fen", total)

    def expense_proposal(self, ticket_id: str) -> ExpenseProposalDraft:
        """The ledger expense proposal for this purchase: payee, amount, line, vouchers, and a
        description naming the ticket and every line (cut to the ledger's 2000 characters)."""
        items = "; ".join(
            f"{line.item} × {line.quantity}{line.unit} @ {line.unit_price_fen} fen = {line.total_fen} fen"
            for line in self.lines
        )
        description = f"Materials for ticket {ticket_id}: {items}"
        if len(description) > MAX_MEMO_LENGTH:
            description = description[: MAX_MEMO_LENGTH - 1] + "…"
        return ExpenseProposalDraft(
            ticket_id=ticket_id,
            payee=self.supplier,
            amount_fen=self.total_fen,
            account=self.budget_line,
            description=description,
            vouchers=self.receipts,
        )
