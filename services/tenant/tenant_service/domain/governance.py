"""治理指标 — what the municipal committee compares: each estate's month in figures, rolled up per
community, sub-district and district, with small numbers suppressed. Plain Python, no I/O.

The committee's read side (the governance issue) accumulates, per estate and month, only what the
services' events say — amounts, counts and durations, never a person, household or unit — in an
:class:`EstateMonth`; :func:`figures` turns one (or a roll-up of several, :func:`roll_up`) into the
figures shown. Rules:

- Rates are basis points (10000 = 100%): the collection rate rounded half up as the trust books
  round it, the others down except the petition rate (up), as the ticketing service rounds them;
  durations are whole seconds; medians and 90th percentiles are nearest-rank over the tickets
  themselves (a roll-up pools the tickets, it does not average the
  estates' medians).
- A figure with nothing to measure is ``None``. A figure computed from fewer households than
  ``min_households`` (every figure of that estate or area) or fewer ratings than ``min_ratings``
  (the satisfaction rate) is :data:`SUPPRESSED`: shown as such, never as 0, so no small group's
  answers can be told apart.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Final

BPS = 10_000


class _Suppressed(Enum):
    SUPPRESSED = "suppressed"

    def __repr__(self) -> str:
        return "SUPPRESSED"


SUPPRESSED: Final = _Suppressed.SUPPRESSED
Figure = int | None | _Suppressed


@dataclass
class EstateMonth:
    """What the events of one estate's month add up to (or, rolled up, of several estates')."""

    period: str
    estates: frozenset[str]
    households: int = 0
    billed_fen: int = 0
    collected_fen: int = 0
    ratings: Counter[int] = field(default_factory=Counter)  # score -> how many
    first_response_seconds: list[int] = field(default_factory=list)
    resolution_seconds: list[int] = field(default_factory=list)
    first_response_met: int = 0
    resolution_met: int = 0
    complaints: int = 0
    petitions: int = 0
    budget_adopted_fen: Counter[str] = field(default_factory=Counter)  # budget line -> fen
    budget_actual_fen: Counter[str] = field(default_factory=Counter)
    surplus_fen: int = 0
    fund_pledged_fen: int = 0
    fund_received_fen: int = 0
    fund_granted_fen: int = 0


@dataclass(frozen=True)
class Thresholds:
    min_households: int = 20
    min_ratings: int = 5


@dataclass(frozen=True)
class Figures:
    period: str
    estates: int
    households: Figure
    collection_rate_bps: Figure
    ratings: Figure
    satisfaction_rate_bps: Figure
    first_response_median_seconds: Figure
    first_response_p90_seconds: Figure
    resolution_median_seconds: Figure
    resolution_p90_seconds: Figure
    first_response_within_target_bps: Figure
    resolution_within_target_bps: Figure
    complaints: Figure
    petitions: Figure
    petition_rate_bps: Figure
    fees_billed_fen: Figure
    fees_collected_fen: Figure
    budget_adopted_fen: Mapping[str, Figure]  # line -> the year's adopted amount
    budget_actual_fen: Mapping[str, Figure]  # line -> spent from January through the month
    budget_execution_bps: Mapping[str, Figure]  # line -> actual ÷ adopted
    budget_total_execution_bps: Figure  # every line's actual ÷ every line's adopted
    surplus_fen: Figure  # income less expenses from January through the month
    fund_pledged_fen: Figure
    fund_received_fen: Figure
    fund_granted_fen: Figure


def nearest_rank(values: Sequence[int], share: float) -> int | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


def _share(part: int, whole: int) -> int | None:
    return None if whole == 0 else part * BPS // whole


def collection_rate(collected_fen: int, billed_fen: int) -> int | None:
    """Collected ÷ billed in basis points, rounded half up as the trust books round it (so the
    committee's figure of a closed month is the one its published statement shows)."""
    if billed_fen <= 0:
        return None
    return (2 * collected_fen * BPS + billed_fen) // (2 * billed_fen)


def roll_up(months: Iterable[EstateMonth], period: str) -> EstateMonth:
    """The estates' months pooled into one (a community's, a sub-district's, the district's)."""
    total = EstateMonth(period, frozenset())
    for month in months:
        if month.period != period:
            raise ValueError(f"a roll-up of {period} was given {month.period}")
        total.estates |= month.estates
        total.households += month.households
        total.billed_fen += month.billed_fen
        total.collected_fen += month.collected_fen
        total.ratings.update(month.ratings)
        total.first_response_seconds.extend(month.first_response_seconds)
        total.resolution_seconds.extend(month.resolution_seconds)
        total.first_response_met += month.first_response_met
        total.resolution_met += month.resolution_met
        total.complaints += month.complaints
        total.petitions += month.petitions
        total.budget_adopted_fen.update(month.budget_adopted_fen)
        total.budget_actual_fen.update(month.budget_actual_fen)
        total.surplus_fen += month.surplus_fen
        total.fund_pledged_fen += month.fund_pledged_fen
        total.fund_received_fen += month.fund_received_fen
        total.fund_granted_fen += month.fund_granted_fen
    return total


def figures(month: EstateMonth, thresholds: Thresholds = Thresholds()) -> Figures:
    """The figures of an estate's (or an area's) month, small numbers suppressed."""
    too_few = month.households < thresholds.min_households

    def shown(value: int | None) -> Figure:
        return SUPPRESSED if too_few else value

    rated = sum(month.ratings.values())
    satisfied = sum(count for score, count in month.ratings.items() if score >= 4)
    satisfaction: Figure = _share(satisfied, rated)
    if too_few or (rated and rated < thresholds.min_ratings):
        satisfaction = SUPPRESSED
    petition_rate = None if month.households == 0 else -(-month.petitions * BPS // month.households)
    lines = sorted(set(month.budget_adopted_fen) | set(month.budget_actual_fen))
    return Figures(
        period=month.period,
        estates=len(month.estates),
        households=shown(month.households),
        collection_rate_bps=shown(collection_rate(month.collected_fen, month.billed_fen)),
        ratings=shown(rated),
        satisfaction_rate_bps=satisfaction,
        first_response_median_seconds=shown(nearest_rank(month.first_response_seconds, 0.5)),
        first_response_p90_seconds=shown(nearest_rank(month.first_response_seconds, 0.9)),
        resolution_median_seconds=shown(nearest_rank(month.resolution_seconds, 0.5)),
        resolution_p90_seconds=shown(nearest_rank(month.resolution_seconds, 0.9)),
        first_response_within_target_bps=shown(_share(month.first_response_met, len(month.first_response_seconds))),
        resolution_within_target_bps=shown(_share(month.resolution_met, len(month.resolution_seconds))),
        complaints=shown(month.complaints),
        petitions=shown(month.petitions),
        petition_rate_bps=shown(petition_rate),
        fees_billed_fen=shown(month.billed_fen),
        fees_collected_fen=shown(month.collected_fen),
        budget_adopted_fen={line: shown(month.budget_adopted_fen[line]) for line in lines},
        budget_actual_fen={line: shown(month.budget_actual_fen[line]) for line in lines},
        budget_execution_bps={
            line: shown(_share(month.budget_actual_fen[line], month.budget_adopted_fen[line])) for line in lines
        },
        budget_total_execution_bps=shown(
            _share(sum(month.budget_actual_fen.values()), sum(month.budget_adopted_fen.values()))
        ),
        surplus_fen=shown(month.surplus_fen),
        fund_pledged_fen=shown(month.fund_pledged_fen),
        fund_received_fen=shown(month.fund_received_fen),
        fund_granted_fen=shown(month.fund_granted_fen),
    )


def median_of(values: Iterable[Figure]) -> int | None:
    """The median (nearest-rank, lower) of the figures that are shown: suppressed and empty ones
    do not count, so a comparison with the district is made only among estates that can be seen."""
    shown = [value for value in values if isinstance(value, int)]
    return nearest_rank(shown, 0.5)


def compare(estate: Figure, district_median: int | None) -> int | None:
    """An estate's figure minus the district's median (None when either cannot be shown)."""
    if not isinstance(estate, int) or district_median is None:
        return None
    return estate - district_median
