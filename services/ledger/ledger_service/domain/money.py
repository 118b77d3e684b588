"""金额 — money in integer fen and the rounding rules of the trust books.

Every amount in the books is an ``int`` of fen (1 CNY = 100 fen). Floats are refused everywhere:
a rate that is not a whole number of fen is a :class:`~decimal.Decimal`, and every computation is
done on exact integers (a ``Decimal`` is turned into its exact integer fraction first), so the only
rounding is the one stated in each function, done once, at the end.

Rounding rules (the README copies them):

1. **Half up, away from zero** (:func:`round_half_up`): an exact fraction is rounded to the nearest
   whole fen; a fraction of exactly one half goes away from zero (2.5 → 3, -2.5 → -3). Rounding is
   therefore symmetric: ``round_half_up(-n, d) == -round_half_up(n, d)``, so a reversal of an amount
   rounds to exactly the negated amount.
2. **Shares** (:func:`share`): ``amount × bps / 10000`` rounded by rule 1, once. Remuneration and
   donations are shares; the trust books apply them *cumulatively per period* (see
   ``trust_books``) so that the rounding never accumulates across postings.
3. **Bills** (:func:`bill_amount`): ``area (m²) × rate (fen per m² per month)``, times
   ``occupied_days / days_in_month`` when prorated, computed as one exact fraction and rounded by
   rule 1 once, at the end — never per factor.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from xinyi_shared.errors import InvalidInput

BPS_WHOLE = 10000
"""Basis points in a whole: 10000 bps = 100%."""

RATE_MAX_DECIMALS = 4
"""A fee rate in fen per m² per month may carry at most this many decimals (0.0001 fen)."""


def _require_int(name: str, value: object) -> int:
    # bool is an int in Python; a True/False amount is always a caller's mistake.
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{name} must be a whole number (integer fen), not {type(value).__name__}")
    return value


def round_half_up(numerator: int, denominator: int) -> int:
    """The exact fraction ``numerator / denominator`` rounded to a whole number, halves away from zero.

    Works for any signs: 5/2 → 3, -5/2 → -3, 7/3 → 2, -7/3 → -2, 1/2 → 1, -1/2 → -1. Integer
    arithmetic only, so it is exact for any size. A zero denominator is refused (InvalidInput).
    """
    _require_int("numerator", numerator)
    _require_int("denominator", denominator)
    if denominator == 0:
        raise InvalidInput("cannot divide by zero")
    negative = (numerator < 0) != (denominator < 0)
    quotient, remainder = divmod(abs(numerator), abs(denominator))
    if 2 * remainder >= abs(denominator):
        quotient += 1
    return -quotient if negative else quotient


def share(amount_fen: int, bps: int) -> int:
    """``amount_fen × bps / 10000``, rounded half up (away from zero) to the fen, once.

    ``bps`` is in basis points, 0 to 10000 (1500 = 15%). The amount may be negative (a reversal):
    ``share(-x, bps) == -share(x, bps)``. Example: share(10_000_000, 1500) == 1_500_000
    (100,000.00 CNY × 15% = 15,000.00 CNY); share(3150, 1500) == 473 (472.5 rounds up).
    """
    _require_int("amount", amount_fen)
    _require_int("share", bps)
    if not 0 <= bps <= BPS_WHOLE:
        raise InvalidInput("a share must be between 0 and 10000 basis points")
    return round_half_up(amount_fen * bps, BPS_WHOLE)


def rate_fraction(rate_fen_per_sqm_month: Decimal | int) -> tuple[int, int]:
    """The rate as an exact fraction ``(numerator, denominator)`` of fen per m² per month.

    Accepts a ``Decimal`` (or an ``int``) that is finite, not negative and has at most four decimals
    once trailing zeros are dropped (``Decimal("35.5000")`` is fine, ``Decimal("35.00001")`` is
    refused). Floats are refused: they cannot hold 0.355 exactly.
    """
    if isinstance(rate_fen_per_sqm_month, bool) or not isinstance(rate_fen_per_sqm_month, Decimal | int):
        raise InvalidInput(
            f"a fee rate must be a Decimal of fen per m² per month, not {type(rate_fen_per_sqm_month).__name__}"
        )
    if isinstance(rate_fen_per_sqm_month, Decimal) and not rate_fen_per_sqm_month.is_finite():
        raise InvalidInput("a fee rate must be a finite number")
    return _fraction(rate_fen_per_sqm_month)


@lru_cache(maxsize=256, typed=True)
def _fraction(rate_fen_per_sqm_month: Decimal | int) -> tuple[int, int]:
    # Remembered: a billing run asks it for every household, at the estate's one rate.
    rate = Decimal(rate_fen_per_sqm_month)
    if rate < 0:
        raise InvalidInput("a fee rate cannot be negative")
    numerator, denominator = rate.as_integer_ratio()
    if 10**RATE_MAX_DECIMALS % denominator != 0:
        raise InvalidInput(f"a fee rate may have at most {RATE_MAX_DECIMALS} decimals of a fen")
    return numerator, denominator


def bill_amount(
    area_centi_sqm: int,
    rate_fen_per_sqm_month: Decimal,
    occupied_days: int | None = None,
    days_in_month: int | None = None,
) -> int:
    """A household's monthly fee in fen: area × rate, prorated by days when asked, rounded once.

    ``area_centi_sqm`` is the floor area in hundredths of a m² (120.55 m² → 12055);
    ``rate_fen_per_sqm_month`` is fen per m² per month as a ``Decimal`` with at most four decimals
    (0.35 CNY → ``Decimal("35")``; 0.355 CNY → ``Decimal("35.5")``). Give both ``occupied_days``
    and ``days_in_month`` (28-31, 0 ≤ occupied ≤ days) to prorate a partial month, or neither.

    Rounding: the exact value ``area × rate / 100 × occupied_days / days_in_month`` is computed as
    one integer fraction and rounded half up to the fen once, at the end (rule 3 of this module).
    Examples: 90 m² × 35 → 9000 × 35 / 100 = 3150 fen (31.50 CNY); 65.3 m² × 35 → 2285.5 → 2286;
    120.55 m² × 35.5 for 10 of 31 days → 1380.49… → 1380 (rounding the month first, 4280, and then
    prorating would give 1381).
    """
    _require_int("area", area_centi_sqm)
    if area_centi_sqm < 0:
        raise InvalidInput("a floor area cannot be negative")
    rate_numerator, rate_denominator = rate_fraction(rate_fen_per_sqm_month)
    numerator = area_centi_sqm * rate_numerator
    denominator = 100 * rate_denominator
    if (occupied_days is None) != (days_in_month is None):
        raise InvalidInput("give both occupied_days and days_in_month to prorate, or neither")
    if occupied_days is not None and days_in_month is not None:
        _require_int("occupied_days", occupied_days)
        _require_int("days_in_month", days_in_month)
        if not 28 <= days_in_month <= 31:
            raise InvalidInput("a month has 28 to 31 days")
        if not 0 <= occupied_days <= days_in_month:
            raise InvalidInput("occupied days must be between 0 and the days of the month")
        numerator *= occupied_days
        denominator *= days_in_month
    return round_half_up(numerator, denominator)
