"""The committee's figures as Prometheus gauges: a shown figure is a series in its unit, a suppressed
or empty one has none, and the figures are read at most once a minute."""

from __future__ import annotations

from collections import Counter
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest

from tenant_service.domain.governance import EstateMonth, Thresholds, figures
from tenant_service.entrypoints.governance_metrics import GovernanceCollector
from tenant_service.service_layer.governance import AreaFigures


class FakeCommittee:
    def __init__(self, rows: list[AreaFigures]) -> None:
        self.rows = rows
        self.calls: list[tuple[str, str]] = []

    def figures(self, first: str, last: str, *args: Any) -> list[AreaFigures]:
        self.calls.append((first, last))
        return self.rows


def area(level: str, code: str, month: EstateMonth) -> AreaFigures:
    return AreaFigures(
        level, code, None, "d1", "s1", None, figures(month, Thresholds(min_households=20, min_ratings=5))
    )


def test_shown_figures_are_series_and_suppressed_ones_are_not() -> None:
    big = EstateMonth("2026-11", frozenset({"e1"}), households=40, billed_fen=10_000, collected_fen=9_000)
    big.ratings = Counter({5: 3, 2: 1})  # 4 ratings < 5: satisfaction suppressed
    small = EstateMonth("2026-11", frozenset({"e2"}), households=5, billed_fen=100, collected_fen=100)
    committee = FakeCommittee([area("estate", "e1", big), area("estate", "e2", small)])
    collector = GovernanceCollector()
    collector.bind(committee, "Asia/Shanghai")  # type: ignore[arg-type]
    registry = CollectorRegistry()
    registry.register(collector)
    text = generate_latest(registry).decode()
    assert 'xinyi_governance_collection_ratio{area="e1",district="d1",level="estate"} 0.9' in text
    assert 'xinyi_governance_households{area="e1",district="d1",level="estate"} 40.0' in text
    assert 'xinyi_governance_satisfaction_ratio{area="e1"' not in text, "suppressed: no series, not 0"
    small_series = [line for line in text.splitlines() if 'area="e2"' in line]
    assert small_series == ['xinyi_governance_suppressed_figures{area="e2",district="d1",level="estate"} 18.0'], (
        "every figure of a small estate is suppressed"
    )
    assert 'xinyi_governance_suppressed_figures{area="e2",district="d1",level="estate"}' in text
    assert 'xinyi_governance_suppressed_figures{area="e1",district="d1",level="estate"} 1.0' in text
    generate_latest(registry)
    assert len(committee.calls) == 1, "cached between scrapes"
    ((period, _),) = committee.calls
    assert len(period) == 7 and period[4] == "-"


def test_unbound_it_exports_the_names_without_series() -> None:
    registry = CollectorRegistry()
    registry.register(GovernanceCollector())
    text = generate_latest(registry).decode()
    assert "# TYPE xinyi_governance_collection_ratio gauge" in text
    assert "xinyi_governance_collection_ratio{" not in text
