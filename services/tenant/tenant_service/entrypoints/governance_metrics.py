"""The committee's figures of the current month as Prometheus gauges, for the committee's Grafana
dashboard (deploy/grafana/dashboards/xinyi-committee.json): one series per figure and area — the
district, its sub-districts, communities and estates (as many as the district has: bounded), never a
household. A suppressed figure or one with nothing to measure has no series (a gap, not a zero).

Computed from the read side when Prometheus scrapes, at most once a minute (the figures are cached),
on the same read-only district session as the API."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from tenant_service.domain.governance import SUPPRESSED
from tenant_service.service_layer.governance import AreaFigures, Committee
from xinyi_shared.exposition import register_shared_collector

log = logging.getLogger(__name__)

CACHE_SECONDS = 60.0
LABELS = ["level", "area", "district"]

# name -> (help, the figure, the factor turning it into the metric's unit)
GAUGES: dict[str, tuple[str, str, float]] = {
    "xinyi_governance_households": ("Households of the area", "households", 1),
    "xinyi_governance_collection_ratio": ("Fees collected / billed this month", "collection_rate_bps", 1e-4),
    "xinyi_governance_satisfaction_ratio": ("Share of ratings of 4 or 5", "satisfaction_rate_bps", 1e-4),
    "xinyi_governance_ratings": ("Ratings of the month's tickets", "ratings", 1),
    "xinyi_governance_first_response_median_seconds": (
        "Median time to first response",
        "first_response_median_seconds",
        1,
    ),
    "xinyi_governance_first_response_p90_seconds": (
        "90th percentile time to first response",
        "first_response_p90_seconds",
        1,
    ),
    "xinyi_governance_resolution_median_seconds": ("Median time to resolution", "resolution_median_seconds", 1),
    "xinyi_governance_resolution_p90_seconds": ("90th percentile time to resolution", "resolution_p90_seconds", 1),
    "xinyi_governance_first_response_within_target_ratio": (
        "Share of first responses within target",
        "first_response_within_target_bps",
        1e-4,
    ),
    "xinyi_governance_resolution_within_target_ratio": (
        "Share of resolutions within target",
        "resolution_within_target_bps",
        1e-4,
    ),
    "xinyi_governance_complaints": ("Formal complaints of the month's tickets", "complaints", 1),
    "xinyi_governance_petitions": ("Complaints taken beyond the estate this month", "petitions", 1),
    "xinyi_governance_petition_ratio": ("Petitions per household", "petition_rate_bps", 1e-4),
    "xinyi_governance_budget_execution_ratio": (
        "Budget lines' spending from January / adopted",
        "budget_total_execution_bps",
        1e-4,
    ),
    "xinyi_governance_surplus_yuan": ("Income less expenses from January (CNY)", "surplus_fen", 0.01),
    "xinyi_governance_fund_pledged_yuan": (
        "Donations pledged to the micro-fund this month (CNY)",
        "fund_pledged_fen",
        0.01,
    ),
    "xinyi_governance_fund_received_yuan": (
        "Money received by the micro-fund this month (CNY)",
        "fund_received_fen",
        0.01,
    ),
    "xinyi_governance_fund_granted_yuan": (
        "Grants approved by the micro-fund this month (CNY)",
        "fund_granted_fen",
        0.01,
    ),
}
SUPPRESSED_NAME = "xinyi_governance_suppressed_figures"


class GovernanceCollector(Collector):
    """Registered at import (so the names exist before the service starts); fed once bound."""

    def __init__(self) -> None:
        self._source: Callable[[], list[AreaFigures]] | None = None
        self._cached: tuple[float, list[AreaFigures]] | None = None
        self._lock = threading.Lock()

    def bind(self, committee: Committee, time_zone: str) -> None:
        zone = ZoneInfo(time_zone)

        def current_month() -> list[AreaFigures]:
            period = datetime.now(UTC).astimezone(zone).strftime("%Y-%m")
            return committee.figures(period, period)

        self._source = current_month
        self._cached = None

    def _rows(self) -> list[AreaFigures]:
        source = self._source
        if source is None:
            return []
        with self._lock:
            if self._cached is None or time.monotonic() - self._cached[0] > CACHE_SECONDS:
                try:
                    self._cached = (time.monotonic(), source())
                except Exception as error:  # noqa: BLE001 - a failed scrape must not fail the others
                    log.warning("governance figures unavailable for metrics", extra={"error": repr(error)})
                    return [] if self._cached is None else self._cached[1]
            return self._cached[1]

    def describe(self) -> Iterator[Metric]:
        for name, (description, _, _) in GAUGES.items():
            yield GaugeMetricFamily(name, description, labels=LABELS)
        yield GaugeMetricFamily(SUPPRESSED_NAME, "Figures of the area shown as suppressed", labels=LABELS)

    def collect(self) -> Iterator[Metric]:
        rows = self._rows()
        for name, (description, figure, factor) in GAUGES.items():
            family = GaugeMetricFamily(name, description, labels=LABELS)
            for row in rows:
                value = getattr(row.figures, figure)
                if isinstance(value, int) and not isinstance(value, bool):
                    family.add_metric([row.level, row.code, row.district_code], value * factor)
            yield family
        suppressed = GaugeMetricFamily(SUPPRESSED_NAME, "Figures of the area shown as suppressed", labels=LABELS)
        for row in rows:
            count = sum(1 for _, figure, _ in GAUGES.values() if getattr(row.figures, figure) is SUPPRESSED)
            if count:  # an area with none has no series: one per area would double the metric's size
                suppressed.add_metric([row.level, row.code, row.district_code], count)
        yield suppressed


GOVERNANCE_FIGURES = GovernanceCollector()
# Read from the database: valid from any worker, so served in multiprocess mode too.
register_shared_collector(GOVERNANCE_FIGURES)
