"""Ratings, the satisfaction and petition rates, materials and the text checks, as exact values."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ticketing_service.domain.materials import (
    MAX_ENTRY_FEN,
    ExpenseProposalDraft,
    MaterialLine,
    MaterialPurchase,
    is_budget_line,
    suggested_budget_line,
)
from ticketing_service.domain.satisfaction import Rating, petition_rate_bps, satisfaction_rate_bps, share_bps
from ticketing_service.domain.validation import clean_text
from xinyi_shared.errors import InvalidInput

RECEIPT = "cd" * 32

# --- ratings ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("score", [1, 2, 3, 4, 5])
def test_a_rating_is_one_to_five(score: int) -> None:
    assert Rating(score).score == score
    assert Rating(score).satisfied is (score >= 4)


@pytest.mark.parametrize("score", [0, 6, -1, True, False, 4.0, "5", None, Decimal(5)])
def test_anything_else_is_not_a_rating(score: object) -> None:
    with pytest.raises(InvalidInput):
        Rating(score)  # type: ignore[arg-type]


def test_a_rating_comment_is_optional_stripped_and_bounded() -> None:
    assert Rating(5).comment == ""
    assert Rating(5, "  Fast, thank you!\r\n  ").comment == "Fast, thank you!"
    assert Rating(4, "x" * 500).comment == "x" * 500
    with pytest.raises(InvalidInput):
        Rating(4, "x" * 501)
    with pytest.raises(InvalidInput):
        Rating(4, "bad\x07bell")


# --- satisfaction rate ------------------------------------------------------------------------------


def test_the_satisfaction_rate_counts_ratings_of_four_and_five() -> None:
    assert satisfaction_rate_bps([5] * 49 + [3]) == 9800  # the article's 98%
    assert satisfaction_rate_bps([Rating(4), Rating(5), Rating(3), Rating(1)]) == 5000
    assert satisfaction_rate_bps([4]) == 10000
    assert satisfaction_rate_bps([3, 2, 1]) == 0


def test_the_satisfaction_rate_is_rounded_down_so_100_percent_is_earned() -> None:
    assert satisfaction_rate_bps([5, 5, 1]) == 6666  # 6666.67
    assert satisfaction_rate_bps([5] * 19999 + [3]) == 9999  # 9999.5 is not 100%


def test_no_ratings_no_rate() -> None:
    assert satisfaction_rate_bps([]) is None
    assert satisfaction_rate_bps(iter(())) is None


@pytest.mark.parametrize("bad", [0, 6, True, 4.5, "4"])
def test_a_bad_score_in_the_rate_is_refused(bad: object) -> None:
    with pytest.raises(InvalidInput):
        satisfaction_rate_bps([5, bad])  # type: ignore[list-item]


# --- petition rate ----------------------------------------------------------------------------------


def test_the_petition_rate_is_per_ten_thousand_households_rounded_up() -> None:
    assert petition_rate_bps(0, 3000) == 0  # the article's 0%
    assert petition_rate_bps(1, 3000) == 4  # 3.33 bps: never shown as none
    assert petition_rate_bps(3, 3000) == 10  # 1 per 1,000 households
    assert petition_rate_bps(1, 10000) == 1
    assert petition_rate_bps(5, 5) == 10000


def test_an_estate_without_households_has_no_petition_rate() -> None:
    assert petition_rate_bps(0, 0) is None


@pytest.mark.parametrize(("complaints", "households"), [(-1, 10), (1, -10), (True, 10), (1, 10.0), ("1", 10)])
def test_bad_petition_counts_are_refused(complaints: object, households: object) -> None:
    with pytest.raises(InvalidInput):
        petition_rate_bps(complaints, households)  # type: ignore[arg-type]


def test_a_share_within_target() -> None:
    assert share_bps(97, 100) == 9700
    assert share_bps(2, 3) == 6666
    assert share_bps(0, 0) is None
    with pytest.raises(InvalidInput):
        share_bps(4, 3)


# --- materials --------------------------------------------------------------------------------------


def test_a_line_totals_quantity_times_unit_price() -> None:
    line = MaterialLine("LED bulb 9W", 3, 1250)
    assert line.total_fen == 3750
    assert line.unit == ""


def test_a_decimal_quantity_is_rounded_half_up_once() -> None:
    assert MaterialLine("Cable", Decimal("2.5"), 333, "m").total_fen == 833  # 832.5
    assert MaterialLine("Cable", Decimal("2.25"), 333, "m").total_fen == 749  # 749.25
    assert MaterialLine("Sand", Decimal("0.001"), 500, "t").total_fen == 1  # 0.5


@pytest.mark.parametrize(
    ("quantity", "price"),
    [
        (0, 100),
        (-1, 100),
        (2.5, 100),
        (True, 100),
        ("2", 100),
        (Decimal("1.0001"), 100),
        (Decimal("NaN"), 100),
        (Decimal("Infinity"), 100),
        (10**6 + 1, 1),
        (1, 0),
        (1, -100),
        (1, 12.5),
        (1, True),
        (1, MAX_ENTRY_FEN + 1),
        (2, MAX_ENTRY_FEN),
        (Decimal("0.001"), 1),  # rounds to nothing
    ],
)
def test_bad_lines_are_refused(quantity: object, price: object) -> None:
    with pytest.raises(InvalidInput):
        MaterialLine("Bulb", quantity, price)  # type: ignore[arg-type]


def test_the_largest_line_is_ten_billion_fen() -> None:
    assert MaterialLine("Elevator", 1, MAX_ENTRY_FEN).total_fen == MAX_ENTRY_FEN


def test_a_purchase_sums_its_lines_and_becomes_an_expense_proposal() -> None:
    purchase = MaterialPurchase(
        "  Shuangliu Hardware  ",
        [MaterialLine("LED bulb", 2, 1250), MaterialLine("Cable", Decimal("2.5"), 333, "m")],  # type: ignore[arg-type]
        "5600",
        [RECEIPT],  # type: ignore[arg-type]
    )
    assert purchase.total_fen == 3333
    assert purchase.supplier == "Shuangliu Hardware"
    assert isinstance(purchase.lines, tuple)
    draft = purchase.expense_proposal("t-1")
    assert draft == ExpenseProposalDraft(
        ticket_id="t-1",
        payee="Shuangliu Hardware",
        amount_fen=3333,
        account="5600",
        description="Materials for ticket t-1: LED bulb × 2 @ 1250 fen = 2500 fen; Cable × 2.5m @ 333 fen = 833 fen",
        vouchers=(RECEIPT,),
    )


def test_a_long_purchase_fits_the_ledgers_description() -> None:
    lines = [MaterialLine("x" * 200, 1, 1) for _ in range(50)]
    draft = MaterialPurchase("Shop", tuple(lines), "5600", (RECEIPT,)).expense_proposal("t-1")
    assert len(draft.description) == 2000
    assert draft.description.endswith("…")


@pytest.mark.parametrize(
    "changes",
    [
        {"supplier": ""},
        {"lines": []},
        {"lines": [MaterialLine("x", 1, 1)] * 51},
        {"lines": ["bulb"]},
        {"budget_line": "5000"},  # the firm's remuneration
        {"budget_line": "1000"},
        {"budget_line": "56OO"},
        {"budget_line": 5600},
        {"receipts": []},  # the ledger needs a voucher
        {"receipts": [RECEIPT, RECEIPT]},
        {"receipts": ["ab" * 32] * 1 + [f"{i:064x}" for i in range(10)]},
        {"lines": [MaterialLine("x", 1, MAX_ENTRY_FEN), MaterialLine("y", 1, 1)]},
    ],
)
def test_bad_purchases_are_refused(changes: dict[str, object]) -> None:
    fields: dict[str, object] = {
        "supplier": "Shop",
        "lines": [MaterialLine("Bulb", 1, 100)],
        "budget_line": "5600",
        "receipts": [RECEIPT],
    }
    fields.update(changes)
    with pytest.raises(InvalidInput):
        MaterialPurchase(**fields)  # type: ignore[arg-type]


def test_budget_lines() -> None:
    assert is_budget_line("5100") and is_budget_line("5999")
    assert not is_budget_line("5099") and not is_budget_line("6000") and not is_budget_line("５６００")
    assert suggested_budget_line("lighting") == "5600"
    assert suggested_budget_line("elevator") == "5400"
    assert suggested_budget_line("cleaning") == "5100"
    assert suggested_budget_line("neighbour_dispute") == "5600"


# --- texts ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["a\x00b", "a\tb", "a\x1bb", "a\x7fb", "a\u0085b", "a\u202eb", "a\u2066b", "a\ud800b", "a\nb"]
)
def test_control_characters_are_refused_in_a_single_line_text(text: str) -> None:
    with pytest.raises(InvalidInput, match="control"):
        clean_text("area", text, 100)


def test_line_breaks_are_the_only_control_characters_of_a_multiline_text() -> None:
    assert clean_text("note", "a\r\nb\rc\nd", 100, multiline=True) == "a\nb\nc\nd"
    with pytest.raises(InvalidInput, match="other than line breaks"):
        clean_text("note", "a\n\tb", 100, multiline=True)


def test_texts_keep_emoji_and_chinese() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # joined by zero-width joiners (format characters)
    assert clean_text("note", f" 楼道灯坏了 👍🏽 {family} ", 100) == f"楼道灯坏了 👍🏽 {family}"


def test_the_length_is_counted_after_stripping() -> None:
    assert clean_text("note", "  " + "x" * 10 + "  ", 10) == "x" * 10
    with pytest.raises(InvalidInput, match="at most 10"):
        clean_text("note", "x" * 11, 10)
