"""满意度与信访 — residents' ratings, the satisfaction rate, formal complaints and the petition rate.

Exact integer arithmetic throughout. Both rates are rounded once, toward the less flattering side,
so an estate shows 100% satisfaction only when every rating is good and 0 petitions only when there
were none:

- **satisfaction rate** = ratings of 4 or 5 ÷ all ratings, in basis points (10000 = 100%), rounded
  *down*; no rating, no rate (``None``). Only a resident's own rating counts: a ticket confirmed
  automatically for a silent resident carries none (counting it as satisfied would flatter the firm).
  The caller gives one rating per ticket, its latest (a reopened ticket's earlier rating is replaced).
- **petition rate** (信访率) = formal complaints escalated beyond the estate (to the sub-district)
  in a period ÷ the estate's households, in basis points of the households (1 bps = 1 petition per
  10,000 households = 0.1 per 1,000), rounded *up*; an estate with no households has no rate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ticketing_service.domain.validation import clean_text, whole
from xinyi_shared.errors import InvalidInput

MIN_SCORE = 1
MAX_SCORE = 5
SATISFIED_FROM = 4  # a rating of 4 or 5 is a satisfied resident
MAX_COMMENT_LENGTH = 500
BPS_WHOLE = 10000


@dataclass(frozen=True)
class Rating:
    """评价 — the resident's rating of the fix, 1 to 5, with an optional comment."""

    score: int
    comment: str = ""

    def __post_init__(self) -> None:
        whole("rating", self.score, MIN_SCORE, MAX_SCORE)
        object.__setattr__(
            self, "comment", clean_text("comment", self.comment, MAX_COMMENT_LENGTH, multiline=True, required=False)
        )

    @property
    def satisfied(self) -> bool:
        return self.score >= SATISFIED_FROM


def _ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


def satisfaction_rate_bps(ratings: Iterable[Rating | int]) -> int | None:
    """Share of ratings ≥ 4 in basis points, rounded down; None when there is no rating.

    Example: 49 good ratings of 50 → 9800 (98%); 2 of 3 → 6666 (66.66%)."""
    total = satisfied = 0
    for rating in ratings:
        score = rating.score if isinstance(rating, Rating) else whole("rating", rating, MIN_SCORE, MAX_SCORE)
        total += 1
        satisfied += score >= SATISFIED_FROM
    if total == 0:
        return None
    return satisfied * BPS_WHOLE // total


def _count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{name} must be a whole number, not {type(value).__name__}")
    if value < 0:
        raise InvalidInput(f"{name} cannot be negative")
    return value


def petition_rate_bps(escalated_complaints: int, households: int) -> int | None:
    """Complaints escalated beyond the estate per 10,000 households (basis points), rounded up; None
    for an estate without households. Examples: 1 petition in an estate of 3,000 households → 4 bps
    (3.33 rounded up; 0.04% of the households); 3 of 3,000 → 10 bps (1 per 1,000 households)."""
    escalated = _count("escalated complaints", escalated_complaints)
    base = _count("households", households)
    if base == 0:
        return None
    return _ceil_div(escalated * BPS_WHOLE, base)


def share_bps(hits: int, total: int) -> int | None:
    """``hits`` of ``total`` in basis points, rounded down (e.g. the share of tickets answered within
    target); None when ``total`` is 0."""
    part = _count("hits", hits)
    whole_count = _count("total", total)
    if part > whole_count:
        raise InvalidInput("a share cannot count more hits than the total")
    if whole_count == 0:
        return None
    return part * BPS_WHOLE // whole_count
