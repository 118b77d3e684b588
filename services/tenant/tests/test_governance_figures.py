"""The committee's figures (domain/governance.py), worked out by hand: rates, pooled medians of a
roll-up, small numbers suppressed (never shown as 0), comparison with the district's median."""

from __future__ import annotations

from collections import Counter

from tenant_service.domain.governance import (
    SUPPRESSED,
    EstateMonth,
    Thresholds,
    compare,
    figures,
    median_of,
    nearest_rank,
    roll_up,
)

PERIOD = "2031-03"


def big() -> EstateMonth:
    return EstateMonth(
        PERIOD,
        frozenset({"jinhe-a"}),
        households=300,
        billed_fen=1_000_000,
        collected_fen=968_500,
        ratings=Counter({5: 40, 4: 9, 2: 1}),
        first_response_seconds=[300, 600, 900, 2400],
        resolution_seconds=[1800, 3000, 4000],
        first_response_met=3,
        resolution_met=2,
        complaints=2,
        petitions=1,
        budget_adopted_fen=Counter({"5100": 400_000, "5600": 100_000}),
        budget_actual_fen=Counter({"5100": 33_000, "5600": 12_500}),
        surplus_fen=250_000,
        fund_pledged_fen=4_500,
        fund_received_fen=4_500,
    )


def small() -> EstateMonth:
    return EstateMonth(
        PERIOD,
        frozenset({"jinhe-b"}),
        households=12,
        billed_fen=100_000,
        collected_fen=50_000,
        ratings=Counter({5: 2, 1: 1}),
        first_response_seconds=[3600],
        resolution_seconds=[7200],
        first_response_met=0,
        resolution_met=0,
    )


def test_an_estates_month() -> None:
    f = figures(big())
    assert f.collection_rate_bps == 9685
    assert (f.ratings, f.satisfaction_rate_bps) == (50, 9800)  # 49 of 50 rated 4 or 5
    assert (f.first_response_median_seconds, f.first_response_p90_seconds) == (600, 2400)
    assert f.first_response_within_target_bps == 7500 and f.resolution_within_target_bps == 6666
    assert f.petition_rate_bps == 34  # 1 of 300 households, per 10,000, rounded up (33.3)
    assert f.budget_execution_bps == {"5100": 825, "5600": 1250}


def test_a_small_estate_is_suppressed_not_zero() -> None:
    f = figures(small(), Thresholds(min_households=20, min_ratings=5))
    assert f.households is SUPPRESSED and f.satisfaction_rate_bps is SUPPRESSED
    assert f.collection_rate_bps is SUPPRESSED and f.petitions is SUPPRESSED
    few_ratings = figures(EstateMonth(PERIOD, frozenset({"x"}), households=500, ratings=Counter({5: 3})))
    assert few_ratings.satisfaction_rate_bps is SUPPRESSED and few_ratings.households == 500
    nothing = figures(EstateMonth(PERIOD, frozenset({"x"}), households=500))
    assert nothing.satisfaction_rate_bps is None and nothing.collection_rate_bps is None


def test_a_roll_up_pools_the_tickets_and_sums_the_money() -> None:
    district = figures(roll_up([big(), small()], PERIOD))
    assert district.estates == 2 and district.households == 312
    assert district.collection_rate_bps == (968_500 + 50_000) * 10_000 // 1_100_000  # 9259
    assert district.satisfaction_rate_bps == 51 * 10_000 // 53  # 49 + 2 of 53 ratings: 9622
    # Pooled tickets 300, 600, 900, 2400, 3600: the median is the district's third ticket, not an average.
    assert district.first_response_median_seconds == 900
    assert nearest_rank([300, 600, 900, 2400, 3600], 0.9) == district.first_response_p90_seconds == 3600


def test_comparison_with_the_district_median_uses_only_what_can_be_shown() -> None:
    shown = [figures(big()).collection_rate_bps, figures(small()).collection_rate_bps, 9000, 9500]
    district_median = median_of(shown)
    assert district_median == 9500  # of 9000, 9500, 9685 (the small estate's is suppressed)
    assert compare(figures(big()).collection_rate_bps, district_median) == 185
    assert compare(figures(small()).collection_rate_bps, district_median) is None
