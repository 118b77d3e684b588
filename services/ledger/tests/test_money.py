from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger_service.domain.money import bill_amount, round_half_up, share
from xinyi_shared.errors import InvalidInput


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [
        (0, 7, 0),
        (6, 3, 2),
        (5, 2, 3),  # 2.5 → 3
        (-5, 2, -3),  # -2.5 → -3: halves go away from zero
        (5, -2, -3),
        (-5, -2, 3),
        (7, 3, 2),  # 2.33 → 2
        (-7, 3, -2),
        (8, 3, 3),  # 2.67 → 3
        (-8, 3, -3),
        (1, 2, 1),
        (-1, 2, -1),
        (1, 3, 0),
        (-1, 3, 0),
        (4499, 1000, 4),
        (4500, 1000, 5),
        (10**40 + 1, 2, 5 * 10**39 + 1),  # exact at any size
    ],
)
def test_round_half_up(numerator: int, denominator: int, expected: int) -> None:
    assert round_half_up(numerator, denominator) == expected


@given(st.integers(-(10**15), 10**15), st.integers(1, 10**6))
def test_round_half_up_is_the_nearest_whole_number_and_symmetric(numerator: int, denominator: int) -> None:
    rounded = round_half_up(numerator, denominator)
    exact = Fraction(numerator, denominator)
    assert abs(exact - rounded) <= Fraction(1, 2)
    if abs(exact - rounded) == Fraction(1, 2):
        assert abs(rounded) > abs(exact)  # a half goes away from zero
    assert round_half_up(-numerator, denominator) == -rounded
    assert round_half_up(numerator, -denominator) == -rounded


@pytest.mark.parametrize("bad", [(1, 0), (1.5, 1), (1, 2.0), (True, 1), ("1", 1)])
def test_round_half_up_refuses_zero_denominators_and_non_integers(bad: tuple[object, object]) -> None:
    with pytest.raises(InvalidInput):
        round_half_up(*bad)  # type: ignore[arg-type]


def test_share() -> None:
    # 100,000.00 CNY × 15% = 15,000.00 CNY; 15,000.00 × 30% = 4,500.00.
    assert share(10_000_000, 1500) == 1_500_000
    assert share(1_500_000, 3000) == 450_000
    assert share(3150, 1500) == 473  # 472.5 → 473
    assert share(-3150, 1500) == -473  # a reversal rounds to the negated share
    assert share(4219, 1500) == 633  # 632.85
    assert share(1105, 3000) == 332  # 331.5
    assert share(1, 4999) == 0  # 0.4999
    assert share(1, 5000) == 1  # 0.5
    assert share(12345, 0) == 0
    assert share(12345, 10000) == 12345


@pytest.mark.parametrize("bps", [-1, 10001])
def test_share_refuses_impossible_shares(bps: int) -> None:
    with pytest.raises(InvalidInput):
        share(100, bps)


@given(st.integers(-(10**12), 10**12), st.integers(0, 10000))
def test_share_is_exact_to_half_a_fen(amount: int, bps: int) -> None:
    assert abs(Fraction(amount * bps, 10000) - share(amount, bps)) <= Fraction(1, 2)
    assert share(-amount, bps) == -share(amount, bps)


def test_the_worked_example_of_the_brief() -> None:
    # 90 m² × 0.35 CNY = 31.50 CNY: 9000 hundredths of m² × 35 fen / 100 = 3150 fen.
    assert bill_amount(9000, Decimal("35")) == 3150


@pytest.mark.parametrize(
    ("area", "rate", "expected"),
    [
        (9000, "35", 3150),  # 90 × 35 = 3150
        (12055, "35", 4219),  # 120.55 × 35 = 4219.25 → 4219
        (6530, "35", 2286),  # 65.3 × 35 = 2285.5 → 2286 (half up)
        (9000, "35.5", 3195),  # 90 × 35.5 = 3195
        (12055, "35.5", 4280),  # 120.55 × 35.5 = 4279.525 → 4280
        (6530, "35.5", 2318),  # 65.3 × 35.5 = 2318.15 → 2318
        (6530, "35.5000", 2318),  # trailing zeros are not decimals
        (1, "0.0001", 0),  # 0.01 m² × 0.0001 fen
        (0, "35", 0),
        (12055, 35, 4219),  # a whole number of fen may be an int
    ],
)
def test_bill_amount(area: int, rate: str | int, expected: int) -> None:
    assert bill_amount(area, Decimal(rate)) == expected


def test_bill_amount_prorates_with_one_rounding_at_the_end() -> None:
    # 90 m² × 35 for 15 of 30 days = 3150 × 15 / 30 = 1575.
    assert bill_amount(9000, Decimal("35"), occupied_days=15, days_in_month=30) == 1575
    # 90 m² × 35 for 10 of 31 days = 31500 / 31 = 1016.13 → 1016.
    assert bill_amount(9000, Decimal("35"), occupied_days=10, days_in_month=31) == 1016
    # 120.55 m² × 35.5 for 10 of 31 days = 4279.525 × 10 / 31 = 1380.49… → 1380. Rounding the month
    # first (4280 × 10 / 31 = 1380.6 → 1381) would overcharge by a fen: the rule is one rounding.
    assert bill_amount(12055, Decimal("35.5"), occupied_days=10, days_in_month=31) == 1380
    assert bill_amount(12055, Decimal("35.5"), occupied_days=31, days_in_month=31) == 4280
    assert bill_amount(12055, Decimal("35.5"), occupied_days=0, days_in_month=28) == 0


@given(
    st.integers(0, 10**7),
    st.decimals(min_value=0, max_value=10**4, places=4, allow_nan=False, allow_infinity=False),
    st.integers(28, 31).flatmap(lambda days: st.tuples(st.integers(0, days), st.just(days))),
)
def test_bill_amount_is_the_exact_value_rounded_once(area: int, rate: Decimal, days: tuple[int, int]) -> None:
    occupied, in_month = days
    exact = Fraction(area) * Fraction(rate) / 100 * Fraction(occupied, in_month)
    billed = bill_amount(area, rate, occupied_days=occupied, days_in_month=in_month)
    assert abs(exact - billed) <= Fraction(1, 2)
    assert billed == round_half_up(exact.numerator, exact.denominator)


@pytest.mark.parametrize(
    "arguments",
    [
        (9000, 0.35),  # never floats
        (9000, Decimal("35.00001")),  # more than four decimals
        (9000, Decimal("-35")),
        (9000, Decimal("NaN")),
        (9000, Decimal("Infinity")),
        (9000, Decimal("sNaN")),
        (9000, True),  # after 1 below: a remembered rate of 1 is not a rate of True
        (9000, Decimal("-0.00001")),
        (-1, Decimal("35")),
        (90.0, Decimal("35")),
        (9000, Decimal("35"), 10, None),  # both or neither
        (9000, Decimal("35"), None, 30),
        (9000, Decimal("35"), 31, 30),  # more days than the month has
        (9000, Decimal("35"), -1, 30),
        (9000, Decimal("35"), 10, 32),
        (9000, Decimal("35"), 0, 0),
    ],
)
def test_bill_amount_refuses_what_cannot_be_billed_exactly(arguments: tuple[object, ...]) -> None:
    assert bill_amount(9000, 1) == 90  # the rate of 1 fen is remembered, and must not stand in for True
    with pytest.raises(InvalidInput):
        bill_amount(*arguments)  # type: ignore[arg-type]
