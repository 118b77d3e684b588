"""`make bench`: the platform's throughput and latency beside pgbench on the same PostgreSQL cluster,
measured in one run, interleaved (pgbench, then the platform figure it is compared with) and
repeated over rounds; prints min / median / max of each figure over the rounds, the pgbench figure
of the same rounds, the ratio (the median of the per-round ratios) and the target of issue 7, and
keeps the results in bench/results/<UTC time>.json. Figures, not assertions: nothing fails on a slow
machine.

Needs a running platform (`make up`) and root (or sudo) for the cluster's superuser. Makes its own
estates (see bench/fixtures.py and bench/district_sql.py) and removes them at the end; a run that
was killed leaves them behind: `bench/run.py --cleanup` removes them.

Usage: .venv/bin/python bench/run.py [--rounds 3] [--seconds 15] [--billing-estates 300 --billing-households 2000] …
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import platform as host
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR))

from bench import workloads  # noqa: E402
from bench.common import (  # noqa: E402
    estate_today,
    http_url,
    percentile,
    platform_problems,
    service_pids,
    wait_for_platform,
)
from bench.district_sql import District, create_district  # noqa: E402
from bench.fixtures import PREFIX, BenchPlatform, new_run_id, purge  # noqa: E402
from bench.load import LoadResult  # noqa: E402
from bench.pgbench_baseline import Pgbench, PgbenchResult  # noqa: E402
from bench.report import PGBENCH_FIGURES, Results, platform_figures, table  # noqa: E402

WORKLOADS = ("payments", "grpc", "billing", "reads", "events")
FIGURE_PREFIXES = {
    "payments": {"pay", "pay32x1", "pay32x3", "pay32"},
    "grpc": {"grpc"},
    "billing": {"billing"},
    "reads": {"read"},
    "events": {"event"},
}
QUICK = {
    "rounds": 2,
    "seconds": 5,
    "billing_estates": 20,
    "billing_households": 500,
    "read_large": 10000,
    "read_seconds": 5,
    "event_estates": 10,
}
LOCK_FILE = Path("/tmp/xinyi-bench.lock")
RESULTS_DIR = REPO_DIR / "bench" / "results"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every measurement (default 3)")
    parser.add_argument("--seconds", type=float, default=15, help="seconds per throughput measurement (default 15)")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds before each (default 1)")
    parser.add_argument("--clients", type=int, default=8, help="payment clients and pgbench clients (default 8)")
    parser.add_argument("--hot-clients", type=int, default=32, help="clients of the one-estate test (default 32)")
    parser.add_argument("--payment-households", type=int, default=1000, help="households per payment estate")
    parser.add_argument("--batch-clients", type=int, default=2, help="gRPC callers and pgbench batch clients")
    parser.add_argument("--batch-size", type=int, default=1000, help="transactions per PostTransactions call")
    parser.add_argument(
        "--billing-estates", type=int, default=300, help="estates of the billing district (default 300)"
    )
    parser.add_argument("--billing-households", type=int, default=2000, help="households per billing estate")
    parser.add_argument("--billing-timeout", type=float, default=900, help="seconds before a billing job is given up")
    parser.add_argument("--read-small", type=int, default=2000, help="entries of the small estate (default 2,000)")
    parser.add_argument("--read-large", type=int, default=50000, help="entries of the large estate (default 50,000)")
    parser.add_argument("--read-seconds", type=float, default=10, help="seconds of reads per round")
    parser.add_argument(
        "--fill-budget",
        type=float,
        default=600,
        help="seconds allowed for posting the read estates' entries (default 600)",
    )
    parser.add_argument("--event-estates", type=int, default=20, help="estates onboarded per round (default 20)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smaller run (about 8 minutes): 2 rounds of 5 s, a district of 20 × 500, 2,000 / 10,000 entries",
    )
    parser.add_argument("--skip", action="append", default=[], choices=WORKLOADS, help="leave a workload out")
    parser.add_argument("--no-json", action="store_true", help="do not write bench/results/<time>.json")
    parser.add_argument("--keep", action="store_true", help="keep what the run made (for looking at it)")
    parser.add_argument("--cleanup", action="store_true", help="remove what killed runs left behind, then exit")
    if "--quick" in (sys.argv[1:] if argv is None else argv):
        parser.set_defaults(**QUICK)  # flags given as well still win
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.seconds <= 0:
        parser.error("--rounds and --seconds must be positive")
    return args


def say(message: str) -> None:
    print(message, flush=True)


@contextlib.contextmanager
def exclusive() -> Iterator[None]:
    """One benchmark at a time on this machine (two would measure each other)."""
    with LOCK_FILE.open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SystemExit("another `make bench` is running on this machine; wait for it") from None
        yield


def months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def git_state() -> dict[str, Any]:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO_DIR, capture_output=True, text=True, check=False).stdout.strip()

    changed = git("status", "--porcelain", "--", "services", "proto")
    return {"commit": git("rev-parse", "HEAD"), "uncommitted_service_changes": len(changed.splitlines())}


def load_summary(result: LoadResult) -> dict[str, Any]:
    return {
        "clients": result.clients,
        "seconds": result.seconds,
        "requests": result.requests,
        "units": result.units,
        "units_per_second": result.units_per_second,
        "p50_ms": result.p50_ms,
        "p95_ms": result.p95_ms,
        "p99_ms": result.p99_ms,
        "errors": dict(result.errors),
        "client_cpu_ms_per_request": result.client_cpu_ms_per_request,
        "client_cpu_share_of_a_core": result.client_cpu_share,
    }


def pgbench_summary(result: PgbenchResult) -> dict[str, Any]:
    return {
        "clients": result.clients,
        "seconds": result.seconds,
        "transactions": result.transactions,
        "failed": result.failed,
        "tps": result.tps,
        "rows_per_second": result.rows_per_second,
        "p50_ms": result.p50_ms,
        "p99_ms": result.p99_ms,
    }


class Discarded(Exception):
    """A measurement that ran but is not representative (requests failed, a service restarted)."""


def check_errors(result: LoadResult) -> None:
    """More than 1% of the requests failed: the figures would describe the failures, not the platform."""
    failed = sum(result.errors.values())
    attempts = result.requests + failed
    if failed > 0.01 * attempts:
        label, _ = result.errors.most_common(1)[0]
        raise Discarded(f"{failed} of {attempts} requests failed, e.g. {label[:160]}")


def errors_note(result: LoadResult) -> str:
    failed = sum(result.errors.values())
    if not failed:
        return ""
    top = ", ".join(f"{n}× {label}" for label, n in result.errors.most_common(2))
    return f"  ({failed} failed: {top})"


class Bench:
    """One run: setup, the rounds, the teardown."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.run_id = new_run_id()
        self.platform = BenchPlatform(self.run_id)
        self.results = Results(rounds=args.rounds)
        self.raw: list[dict[str, Any]] = [{} for _ in range(args.rounds)]
        self.enabled = set(WORKLOADS) - set(args.skip)
        for workload in args.skip:
            self.results.skipped |= FIGURE_PREFIXES[workload]
        self.payment_households: dict[str, list[str]] = {}
        self.read_entries: dict[str, int] = {}
        self.batched = workloads.BatchedPosting()
        self.grpc_ok = False
        self.district: District | None = None
        self.billing_periods: list[str] = []
        self.setup_seconds: dict[str, float] = {}

    def unavailable(self, key: str, reason: str) -> None:
        self.results.not_available[key] = reason
        say(f"  {key}: not available — {reason}")

    # Setup ------------------------------------------------------------------------------------

    def setup(self) -> None:
        args, platform = self.args, self.platform
        started = time.perf_counter()
        say(f"setup (run {self.run_id}): bench estates through the API")
        platform.register_hierarchy()
        platform.create_manager()
        wanted: dict[str, int] = {}
        if "payments" in self.enabled or "grpc" in self.enabled:
            wanted.update({f"pay-{i}": args.payment_households for i in (1, 2, 3)})
        if "reads" in self.enabled:
            wanted.update({"read-small": 0, "read-large": 0})
        made = platform.make_estates(wanted) if wanted else {}
        self.payment_households = {code: ids for code, ids in made.items() if "-pay-" in code}
        period = estate_today().strftime("%Y-%m")
        problems = {workloads.bill_estate(platform.manager_tokens, code, period) for code in self.payment_households}
        problems.discard(None)
        if problems:
            self.results.notes.append(
                f"the payment estates could not be billed for {period} first ({'; '.join(sorted(map(str, problems)))}): "
                "payments became prepaid credit instead of settling bills"
            )
        self.setup_seconds["estates"] = time.perf_counter() - started
        say(f"  {len(made)} estates onboarded in {self.setup_seconds['estates']:.1f} s")

        if "grpc" in self.enabled or "reads" in self.enabled:
            probe = next(iter(made))
            missing = self.batched.unavailable(probe)
            self.grpc_ok = missing is None
            if missing:
                self.unavailable("grpc", missing.reason)
        if "reads" in self.enabled:
            self.fill_reads()
        if "billing" in self.enabled:
            self.make_district()

    def fill_reads(self) -> None:
        args = self.args
        started = time.perf_counter()
        small, large = self.platform.code("read-small"), self.platform.code("read-large")
        batch = args.batch_size if self.grpc_ok else 1
        callers = args.batch_clients if self.grpc_ok else 8
        if not self.grpc_ok:
            say("  posting the read estates' entries one by one (no batched posting yet)")
        self.read_entries = {small: workloads.fill_entries(small, args.read_small, args.fill_budget, batch, callers)}
        left = max(30.0, args.fill_budget - (time.perf_counter() - started))
        self.read_entries[large] = workloads.fill_entries(large, args.read_large, left, batch, callers)
        for code, wanted in ((small, args.read_small), (large, args.read_large)):
            if self.read_entries[code] < wanted:
                self.results.notes.append(
                    f"{code} has {self.read_entries[code]:,} entries, not {wanted:,}: posting them took longer "
                    f"than --fill-budget {args.fill_budget:.0f} s ({'batched' if self.grpc_ok else 'one by one'})"
                )
        self.setup_seconds["read_entries"] = time.perf_counter() - started
        say(
            f"  read estates: {self.read_entries[small]:,} and {self.read_entries[large]:,} entries "
            f"in {self.setup_seconds['read_entries']:.1f} s"
        )

    def make_district(self) -> None:
        args = self.args
        with httpx.Client(base_url=http_url("ledger"), timeout=30) as ledger:
            missing = workloads.billing_job_api(ledger)
        if missing:
            self.unavailable("billing", missing.reason)
            return
        today = estate_today()
        # Round r bills its own month, oldest first, ending with the current one.
        self.billing_periods = [months_back(today, args.rounds - 1 - r).strftime("%Y-%m") for r in range(args.rounds)]
        self.district = District(
            code=self.platform.code("district"),
            estate_prefix=self.platform.code("d"),
            estates=args.billing_estates,
            households_per_estate=args.billing_households,
            rules_from=months_back(today, args.rounds - 1),
        )
        started = time.perf_counter()
        create_district(self.district)
        self.setup_seconds["district"] = time.perf_counter() - started
        say(
            f"  district {self.district.code}: {self.district.estates} estates × "
            f"{self.district.households_per_estate:,} households in SQL in {self.setup_seconds['district']:.1f} s"
        )

    # Rounds -----------------------------------------------------------------------------------

    def round(self, r: int, pgbench: Pgbench) -> None:
        args, raw = self.args, self.raw[r]
        problems = wait_for_platform(180)
        if problems:
            raise RuntimeError(f"the platform went down before round {r + 1}: {'; '.join(problems)}")
        say(f"round {r + 1}/{args.rounds}")
        self.measure(r, pgbench, raw)

    def measure(self, r: int, pgbench: Pgbench, raw: dict[str, Any]) -> None:
        """pgbench and the platform figures compared with it, one after the other."""
        steps: list[tuple[str, bool, Callable[[int, dict[str, Any]], None]]] = [
            ("pgbench two-row", True, lambda r, raw: self.pgbench_two_row(r, raw, pgbench)),
            ("payments", "payments" in self.enabled, self.payments),
            ("pgbench hot-row", True, lambda r, raw: self.pgbench_hot_row(r, raw, pgbench)),
            ("payments, one estate vs three", "payments" in self.enabled, self.payments_hot),
            ("pgbench batch", True, lambda r, raw: self.pgbench_batch(r, raw, pgbench)),
            ("gRPC batched posting", "grpc" in self.enabled and self.grpc_ok, self.batched_posting),
            ("billing", self.district is not None and "billing" not in self.results.not_available, self.bill),
            ("reads", "reads" in self.enabled, self.read),
            ("event path", "events" in self.enabled, self.event_path),
        ]
        for name, enabled, step in steps:
            if not enabled:
                continue
            before, pids = self.results.filled(r), service_pids()
            try:
                step(r, raw)
                restarted = [service for service, pid in service_pids().items() if pid != pids[service]]
                if restarted:
                    raise Discarded(f"{', '.join(restarted)} restarted during it (not by the benchmark)")
            except Discarded as why:
                self.results.discard(r, self.results.filled(r) - before)
                raw.setdefault("discarded", {})[name] = str(why)
                self.results.notes.append(f"round {r + 1}: {name} left out of the figures: {why}")
                say(f"  {name}: left out of the figures — {why}")
            except Exception as error:  # noqa: BLE001 - one failed measurement does not end the run
                message = f"{error.__class__.__name__}: {str(error)[:300]}"
                self.results.discard(r, self.results.filled(r) - before)
                raw.setdefault("failed", {})[name] = message
                self.results.notes.append(f"round {r + 1}: {name} failed ({message})")
                say(f"  {name}: failed this round — {message}")

    def pgbench_two_row(self, r: int, raw: dict[str, Any], pgbench: Pgbench) -> None:
        args, add = self.args, self.results.add
        two = pgbench.run("two_row", args.clients, args.seconds)
        raw["pgbench_two_row"] = pgbench_summary(two)
        add(r, "pg.two_row.tps", two.tps)
        add(r, "pg.two_row.p50", two.p50_ms)
        add(r, "pg.two_row.p99", two.p99_ms)
        say(
            f"  pgbench two-row, {args.clients} clients: {two.tps:,.0f} tx/s, p50 {two.p50_ms:.2f} ms, p99 {two.p99_ms:.2f} ms"
        )

    def pgbench_hot_row(self, r: int, raw: dict[str, Any], pgbench: Pgbench) -> None:
        hot = pgbench.run("hot_row", self.args.clients, self.args.seconds)
        raw["pgbench_hot_row"] = pgbench_summary(hot)
        self.results.add(r, "pg.hot_row.tps", hot.tps)
        say(f"  pgbench hot-row, {self.args.clients} clients: {hot.tps:,.0f} tx/s")

    def pgbench_batch(self, r: int, raw: dict[str, Any], pgbench: Pgbench) -> None:
        batch = pgbench.run("batch_1000", self.args.batch_clients, self.args.seconds)
        raw["pgbench_batch_1000"] = pgbench_summary(batch)
        self.results.add(r, "pg.batch.rows", batch.rows_per_second)
        say(f"  pgbench 1,000-row batch, {self.args.batch_clients} clients: {batch.rows_per_second:,.0f} rows/s")

    def payments(self, r: int, raw: dict[str, Any]) -> None:
        args, add = self.args, self.results.add
        pay = workloads.payments(
            self.platform.manager_tokens, self.payment_households, args.clients, args.seconds, args.warmup
        )
        raw["payments"] = load_summary(pay)
        check_errors(pay)
        add(r, "pay.rate", pay.units_per_second)
        add(r, "pay.rate.hot", pay.units_per_second)
        add(r, "pay.p50", pay.p50_ms)
        add(r, "pay.p99", pay.p99_ms)
        add(r, "pay.client_cpu", pay.client_cpu_ms_per_request)
        add(r, "pay.client_share", 100 * pay.client_cpu_share)
        say(
            f"  payments, {args.clients} clients, 3 estates: {pay.units_per_second:,.1f}/s, p50 {pay.p50_ms:.1f} ms, "
            f"p99 {pay.p99_ms:.1f} ms; load generator {pay.client_cpu_ms_per_request:.2f} ms CPU a payment "
            f"({pay.client_cpu_share:.0%} of a core){errors_note(pay)}"
        )

    def payments_hot(self, r: int, raw: dict[str, Any]) -> None:
        args, add = self.args, self.results.add
        codes = sorted(self.payment_households)
        one = workloads.payments(
            self.platform.manager_tokens,
            {codes[0]: self.payment_households[codes[0]]},
            args.hot_clients,
            args.seconds,
            args.warmup,
        )
        three = workloads.payments(
            self.platform.manager_tokens, self.payment_households, args.hot_clients, args.seconds, args.warmup
        )
        raw["payments_hot_one_estate"] = load_summary(one)
        raw["payments_hot_three_estates"] = load_summary(three)
        check_errors(one)
        check_errors(three)
        add(r, "pay32x1.rate", one.units_per_second)
        add(r, "pay32x1.p99", one.p99_ms)
        add(r, "pay32x3.rate", three.units_per_second)
        if three.units_per_second:
            add(r, "pay32.one_vs_three", one.units_per_second / three.units_per_second)
        say(
            f"  payments, {args.hot_clients} clients: one estate {one.units_per_second:,.1f}/s "
            f"(p99 {one.p99_ms:.0f} ms){errors_note(one)}, three estates {three.units_per_second:,.1f}/s "
            f"(p99 {three.p99_ms:.0f} ms){errors_note(three)}"
        )

    def batched_posting(self, r: int, raw: dict[str, Any]) -> None:
        args = self.args
        posting = self.batched.load(
            sorted(self.payment_households), args.batch_clients, args.seconds, args.batch_size, args.warmup
        )
        raw["grpc_batched_posting"] = load_summary(posting)
        check_errors(posting)
        self.results.add(r, "grpc.lines", posting.units_per_second)
        self.results.add(r, "grpc.p50", posting.p50_ms)
        say(
            f"  gRPC batched posting, {args.batch_clients} callers × {args.batch_size:,} transactions: "
            f"{posting.units_per_second:,.0f} lines/s, p50 {posting.p50_ms:.0f} ms a call{errors_note(posting)}"
        )

    def event_path(self, r: int, raw: dict[str, Any]) -> None:
        add = self.results.add
        events = workloads.event_path(self.platform, [f"ev{r + 1}-{i:02d}" for i in range(self.args.event_estates)])
        raw["event_path"] = asdict(events)
        if events.timeouts or events.failures:
            raise Discarded(f"{events.failures} onboardings failed, {events.timeouts} books never opened")
        opened = events.books_open_ms
        add(r, "event.p50", percentile(opened, 0.5))
        add(r, "event.p95", percentile(opened, 0.95))
        add(r, "event.onboarding_p50", percentile(events.onboarding_ms, 0.5))
        trouble = ", ".join(
            f"{n} {what}" for n, what in ((events.timeouts, "never opened"), (events.failures, "failed")) if n
        )
        say(
            f"  onboarding → books open, {len(opened)} estates: p50 {percentile(opened, 0.5):.0f} ms, "
            f"p95 {percentile(opened, 0.95):.0f} ms (onboarding itself p50 "
            f"{percentile(events.onboarding_ms, 0.5):.0f} ms){', ' + trouble if trouble else ''}"
        )

    def bill(self, r: int, raw: dict[str, Any]) -> None:
        assert self.district is not None
        period = self.billing_periods[r]
        result = workloads.billing(self.platform.admin, self.district, period, self.args.billing_timeout)
        if isinstance(result, workloads.NotAvailable):
            self.unavailable("billing", result.reason)
            return
        raw["billing"] = asdict(result)
        finished = result.status in workloads.JOB_DONE
        if finished:
            self.results.add(r, "billing.seconds", result.seconds)
        self.results.add(r, "billing.households", result.households_per_second)
        self.results.add(r, "billing.rows", result.rows_per_second)
        say(
            f"  billing {period}: {result.households_done:,}/{result.households_total:,} households, "
            f"{result.estates_done}/{result.estates_total} estates, {result.status}, in {result.seconds:.1f} s "
            f"({result.households_per_second:,.0f} households/s, {result.rows_per_second:,.0f} posting lines/s)"
        )
        if not finished:
            self.results.notes.append(f"billing of {period}: {result.status}; later rounds do not bill")
            self.results.not_available["billing"] = f"the job of round {r + 1} ended {result.status}"
            workloads.wait_for_job_quiet(self.platform.admin, self.district, self.args.billing_timeout)

    def read(self, r: int, raw: dict[str, Any]) -> None:
        small, large = self.platform.code("read-small"), self.platform.code("read-large")
        result = workloads.reads(self.platform.manager_tokens, self.read_entries, self.args.read_seconds)
        raw["reads"] = {
            "entries": result.entries,
            "p50_ms": {f"{e} {c}".strip(): result.p50(e, c) for e, c in result.latencies_ms},
            "p95_ms": {f"{e} {c}".strip(): result.p95(e, c) for e, c in result.latencies_ms},
            "requests": {f"{e} {c}".strip(): len(v) for (e, c), v in result.latencies_ms.items()},
            "errors": result.errors,
        }
        if result.errors:
            raise Discarded(f"reads failed: {result.errors}")
        for endpoint, key in (("statement", "statement"), ("transactions", "page")):
            p_small, p_large = result.p50(endpoint, small), result.p50(endpoint, large)
            self.results.add(r, f"read.{key}.small", p_small)
            self.results.add(r, f"read.{key}.large", p_large)
            if p_small == p_small and p_large == p_large and p_small:  # neither is NaN
                self.results.add(r, f"read.{key}.ratio", p_large / p_small)
        self.results.add(r, "read.floor", result.p50(*workloads.FLOOR))
        say(
            f"  reads p50 (entries {result.entries[small]:,} / {result.entries[large]:,}): statement "
            f"{result.p50('statement', small):.1f} / {result.p50('statement', large):.1f} ms, transactions "
            f"{result.p50('transactions', small):.1f} / {result.p50('transactions', large):.1f} ms; "
            f"GET /health/live {result.p50(*workloads.FLOOR):.1f} ms"
            + (f"  (errors: {result.errors})" if result.errors else "")
        )

    # Teardown and report ----------------------------------------------------------------------

    def teardown(self) -> None:
        if self.args.keep:
            say(f"kept the run's estates (prefix {self.platform.prefix}-); remove them with bench/run.py --cleanup")
            return
        say("teardown: offboarding the bench estates and removing their rows")
        try:
            for problem in self.platform.teardown():
                self.results.notes.append(f"teardown: {problem}")
        except Exception as error:  # noqa: BLE001 - the figures are still worth printing
            traceback.print_exc()
            self.results.notes.append(f"teardown failed ({error.__class__.__name__})")
        if any(note.startswith("teardown") for note in self.results.notes):
            self.results.notes.append("remove what is left with `bench/run.py --cleanup` once nothing else runs")

    def report(self, started_at: datetime) -> None:
        args = self.args
        district_households = args.billing_estates * args.billing_households
        figures = PGBENCH_FIGURES + platform_figures(
            args.clients, args.hot_clients, args.batch_clients, district_households
        )
        text, rows = table(figures, self.results)
        say("")
        if not any(v is not None for values in self.results.values.values() for v in values):
            text = "nothing was measured"
        say(
            f"Xinyi beside pgbench on the same PostgreSQL cluster — {args.rounds} round(s), {args.seconds:.0f} s "
            f"per measurement, {os.cpu_count()} CPUs, {started_at:%Y-%m-%d %H:%M} UTC"
        )
        say(text)
        say(
            "ratio: the platform figure ÷ the pgbench figure of the same round (median over rounds); "
            "for latencies, how many times pgbench's."
        )
        for note in self.results.notes:
            say(f"note: {note}")
        if args.no_json or text == "nothing was measured":
            return
        RESULTS_DIR.mkdir(exist_ok=True)
        path = RESULTS_DIR / f"{started_at:%Y-%m-%dT%H%M%SZ}.json"
        document = {
            "started_at": started_at.isoformat(),
            "run_id": self.run_id,
            "machine": {
                "cpus": os.cpu_count(),
                "load_average_at_end": os.getloadavg(),
                "python": host.python_version(),
            },
            "git": git_state(),
            "settings": vars(args),
            "setup_seconds": self.setup_seconds,
            "figures": rows,
            "not_available": self.results.not_available,
            "notes": self.results.notes,
            "rounds": self.raw,
        }
        path.write_text(json.dumps(document, indent=1, ensure_ascii=False, default=str) + "\n")
        say(f"results: {path.relative_to(REPO_DIR)}")


def cleanup() -> int:
    """Remove every benchmark estate, district and account left behind (prefix ``xbench-``)."""
    with exclusive():
        platform = BenchPlatform("cleanup")
        removed = platform.remove_organizations(f"{PREFIX}-")
        users = platform.keycloak.client.get("/users", params={"search": f"{PREFIX}-", "max": 1000}).json()
        accounts = [user["id"] for user in users if str(user.get("username", "")).startswith(f"{PREFIX}-")]
        for user_id in accounts:
            platform.keycloak.delete_user(user_id)
        deleted = purge(PREFIX)
        Pgbench.drop()
        say(f"removed {removed} Keycloak organisations, {len(accounts)} accounts, rows: {deleted}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    problems = platform_problems()
    if problems:
        say("make bench measures a running platform, and it is not up:")
        for problem in problems:
            say(f"  - {problem}")
        say("Start it with `make up` (and wait for its 'done'), then run `make bench` again.")
        return 2
    if args.cleanup:
        return cleanup()
    with exclusive():
        started_at = datetime.now(UTC)
        bench = Bench(args)
        status = 0
        try:
            with Pgbench() as pgbench:
                bench.setup()
                for r in range(args.rounds):
                    bench.round(r, pgbench)
        except KeyboardInterrupt:
            bench.results.notes.append("interrupted: figures of the rounds done so far")
            status = 130
        except Exception as error:  # noqa: BLE001 - report what was measured, then fail
            traceback.print_exc()
            bench.results.notes.append(f"the run stopped: {error.__class__.__name__}: {error}")
            status = 1
        finally:
            bench.teardown()
        bench.report(started_at)
    return status


if __name__ == "__main__":
    sys.exit(main())
