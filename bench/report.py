"""The benchmark's figures: what each is compared with and its target (issue 7), the table printed at
the end of `make bench` and the JSON kept in bench/results/."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    unit: str
    baseline: str | None = None  # key of the pgbench figure it is divided by
    ratio_style: str = "percent"  # "percent" (share of pgbench) or "times" (multiple of it)
    target: str = ""
    # Whether the run met the target, from (median figure, median ratio); None when not checkable.
    met: Callable[[float, float | None], bool] | None = None


def _share_at_least(share: float) -> Callable[[float, float | None], bool]:
    return lambda _value, ratio: ratio is not None and ratio >= share


def _at_most(limit: float) -> Callable[[float, float | None], bool]:
    return lambda value, _ratio: value <= limit


def _within(low: float, high: float) -> Callable[[float, float | None], bool]:
    return lambda value, _ratio: low <= value <= high


PGBENCH_FIGURES = [
    Figure("pg.two_row.tps", "pgbench two-row tx, 8 clients", "tx/s"),
    Figure("pg.two_row.p50", "pgbench two-row tx, p50", "ms"),
    Figure("pg.two_row.p99", "pgbench two-row tx, p99", "ms"),
    Figure("pg.hot_row.tps", "pgbench hot-row tx, 8 clients", "tx/s"),
    Figure("pg.batch.rows", "pgbench 1,000-row batch", "rows/s"),
]


def platform_figures(clients: int, hot_clients: int, batch_clients: int, district_households: int) -> list[Figure]:
    return [
        Figure(
            "pay.rate",
            f"payments, {clients} clients, 3 estates",
            "/s",
            "pg.two_row.tps",
            target="≥ 10% of two-row",
            met=_share_at_least(0.10),
        ),
        Figure("pay.rate.hot", "  the same ÷ pgbench hot-row", "/s", "pg.hot_row.tps"),
        Figure("pay.p50", "payments p50", "ms", "pg.two_row.p50", "times"),
        Figure("pay.p99", "payments p99", "ms", "pg.two_row.p99", "times", "≤ 50 ms", _at_most(50)),
        Figure("pay.client_cpu", "  load generator CPU per payment", "ms"),
        Figure("pay.client_share", "  load generator CPU, share of one core", "%"),
        Figure("pay32x3.rate", f"payments, {hot_clients} clients, 3 estates", "/s", "pg.two_row.tps"),
        Figure("pay32x1.rate", f"payments, {hot_clients} clients, 1 estate", "/s", "pg.hot_row.tps"),
        Figure("pay32x1.p99", f"payments p99, {hot_clients} clients, 1 estate", "ms", "pg.two_row.p99", "times"),
        Figure(
            "pay32.one_vs_three",
            "one estate ÷ three estates (32 clients)",
            "×",
            target="≥ 0.80",
            met=_within(0.8, math.inf),
        ),
        Figure(
            "grpc.lines",
            f"gRPC batched posting, {batch_clients} callers",
            "lines/s",
            "pg.batch.rows",
            target="≥ 20% of batch rows",
            met=_share_at_least(0.20),
        ),
        Figure("grpc.p50", "  one call of 1,000 transactions, p50", "ms"),
        Figure(
            "billing.seconds",
            f"billing a district of {district_households:,} households",
            "s",
            target="≤ 60 s for 600,000" if district_households == 600_000 else "≤ 60 s at 600,000",
            met=_at_most(60) if district_households == 600_000 else None,
        ),
        Figure("billing.households", "  households billed", "/s"),
        Figure("billing.rows", "  posting lines written", "rows/s", "pg.batch.rows"),
        Figure(
            "read.statement.small",
            "statement p50, small estate",
            "ms",
            "pg.two_row.p50",
            "times",
            "≤ 30 ms",
            _at_most(30),
        ),
        Figure(
            "read.statement.large",
            "statement p50, large estate",
            "ms",
            "pg.two_row.p50",
            "times",
            "≤ 30 ms",
            _at_most(30),
        ),
        Figure("read.statement.ratio", "  large ÷ small", "×", target="0.80–1.20", met=_within(0.8, 1.2)),
        Figure(
            "read.page.small",
            "transactions?limit=100 p50, small",
            "ms",
            "pg.two_row.p50",
            "times",
            "≤ 30 ms",
            _at_most(30),
        ),
        Figure(
            "read.page.large",
            "transactions?limit=100 p50, large",
            "ms",
            "pg.two_row.p50",
            "times",
            "≤ 30 ms",
            _at_most(30),
        ),
        Figure("read.page.ratio", "  large ÷ small", "×", target="0.80–1.20", met=_within(0.8, 1.2)),
        Figure("read.floor", "  ledger GET /health/live p50 (the floor)", "ms", "pg.two_row.p50", "times"),
        Figure("event.p50", "onboarding → books open, p50", "ms"),
        Figure("event.p95", "onboarding → books open, p95", "ms", target="≤ 50 ms", met=_at_most(50)),
        Figure("event.onboarding_p50", "  the onboarding request itself, p50", "ms"),
    ]


WORKLOAD_NAMES = {
    "pay": "payments",
    "grpc": "gRPC batched posting",
    "billing": "billing",
    "read": "reads",
    "event": "event path",
}


@dataclass
class Results:
    """Per-round values of every figure, and why a workload could not be measured."""

    rounds: int
    values: dict[str, list[float | None]] = field(default_factory=dict)
    not_available: dict[str, str] = field(default_factory=dict)
    skipped: set[str] = field(default_factory=set)  # figure-key prefixes of workloads left out
    notes: list[str] = field(default_factory=list)

    def add(self, round_index: int, key: str, value: float | None) -> None:
        series = self.values.setdefault(key, [None] * self.rounds)
        series[round_index] = None if value is None or math.isnan(value) else value

    def filled(self, round_index: int) -> set[str]:
        """Keys with a value in round ``round_index``."""
        return {key for key, series in self.values.items() if series[round_index] is not None}

    def discard(self, round_index: int, keys: set[str]) -> None:
        for key in keys:
            self.values[key][round_index] = None


def _stats(values: list[float]) -> tuple[float, float, float]:
    return min(values), statistics.median(values), max(values)


def summarise(figure: Figure, results: Results) -> dict[str, Any]:
    values = results.values.get(figure.key, [])
    measured = [v for v in values if v is not None]
    row: dict[str, Any] = {"key": figure.key, "label": figure.label, "unit": figure.unit, "values": values}
    row["target"] = figure.target
    if not measured:
        return row
    row["min"], row["median"], row["max"] = _stats(measured)
    median_ratio = None
    if figure.baseline:
        baseline = results.values.get(figure.baseline, [])
        ratios = [v / b for v, b in zip(values, baseline, strict=False) if v is not None and b is not None and b != 0]
        baseline_measured = [b for b in baseline if b is not None]
        row["baseline_key"] = figure.baseline
        row["baseline_values"] = baseline
        if baseline_measured:
            row["baseline_median"] = statistics.median(baseline_measured)
        if ratios:
            row["ratio_min"], median_ratio, row["ratio_max"] = _stats(ratios)
            row["ratio_median"] = median_ratio
    if figure.met is not None:
        row["met"] = figure.met(row["median"], median_ratio)
    return row


def _number(value: float, unit: str) -> str:
    if unit in ("ms", "s", "×"):
        return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"


def _ratio(value: float, style: str) -> str:
    if style == "percent":
        return f"{value * 100:.1f}%" if value < 10 else f"×{value:,.1f}"
    return f"×{value:,.2f}" if value < 10 else f"×{value:,.0f}"


def table(figures: list[Figure], results: Results) -> tuple[str, list[dict[str, Any]]]:
    """The printed table and its rows as data."""
    header = ("figure", "unit", "min", "median", "max", "pgbench", "ratio median [min–max]", "target", "met")
    lines: list[tuple[str, ...]] = [header]
    rows = []
    for figure in figures:
        row = summarise(figure, results)
        rows.append(row)
        if "median" not in row:
            workload = figure.key.split(".")[0]
            marker = "not measured"
            if workload in results.not_available:
                marker = "not available"
            elif workload in results.skipped:
                marker = "skipped"
            lines.append((figure.label, figure.unit, "—", "—", "—", "", marker, figure.target, ""))
            continue
        pgbench = ratio = ""
        if "baseline_median" in row:
            pgbench = _number(row["baseline_median"], "ms" if figure.ratio_style == "times" else "")
        if "ratio_median" in row:
            ratio = _ratio(row["ratio_median"], figure.ratio_style)
            if len([v for v in row["values"] if v is not None]) > 1:
                ratio += (
                    f" [{_ratio(row['ratio_min'], figure.ratio_style)}–{_ratio(row['ratio_max'], figure.ratio_style)}]"
                )
        met = "" if row.get("met") is None else ("yes" if row["met"] else "NO")
        lines.append(
            (
                figure.label,
                figure.unit,
                _number(row["min"], figure.unit),
                _number(row["median"], figure.unit),
                _number(row["max"], figure.unit),
                pgbench,
                ratio,
                figure.target,
                met,
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    numeric = {2, 3, 4, 5}
    text = []
    for index, line in enumerate(lines):
        cells = [cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i]) for i, cell in enumerate(line)]
        text.append("  ".join(cells).rstrip())
        if index == 0:
            text.append("  ".join("-" * w for w in widths))
    for workload, reason in sorted(results.not_available.items()):
        text.append(f"not available — {WORKLOAD_NAMES.get(workload, workload)}: {reason}")
    return "\n".join(text), rows
