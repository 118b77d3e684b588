"""Benchmark: parsing a firm's household file (CSV and XLSX) of the largest estate size (3,000
households). Prints rows per second; no pass/fail."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tenant_service.adapters.household_files import parse_household_file
from tests.harness import household_csv, household_xlsx

ROWS = 3000
ROUNDS = 5


def measure(name: str, content: bytes) -> None:
    timings = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        result = parse_household_file(name, content)
        timings.append(time.perf_counter() - started)
        assert result.ok and len(result.rows) == ROWS, result.errors[:3]
    median = statistics.median(timings)
    print(
        f"{name:12} {ROWS} rows  median {median * 1000:7.1f} ms  ({ROWS / median:,.0f} rows/s, {len(content) / 1024:.0f} KiB)"
    )


if __name__ == "__main__":
    measure("list.csv", household_csv(ROWS))
    measure("list.xlsx", household_xlsx(ROWS))
