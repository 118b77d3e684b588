"""`make bench-scaleout`: the scale-out drill (issue 15, item 5) as a benchmark, beside pgbench.

50 estates onboarded through the API (bench/fixtures.py), billed for the month, and the payments load
of `make bench` (``--clients`` firm-manager clients, bench/workloads.py's payments) sent through the
front door (``/api/ledger/``, nginx balancing over every ledger replica), each payment retried with
its idempotency key until it is answered (bench/drill.py):

- **phase A**: one ledger and one tenant replica (``ledger-2``, ``ledger-3``, ``tenant-2`` stopped
  with ``deploy/services.sh ctl stop``) for ``--seconds`` → payments/s;
- **phase B**: three ledger and two tenant replicas, the same load for as long, and half-way one
  ledger replica killed with SIGKILL (the one holding the outbox relay lock when one of replicas 2–3
  does, else ``ledger-2``; its process group, or ``--kill-mode process`` its pid alone) while
  supervisord starts another → payments/s, and the ratio B/A.

pgbench's two-row transactions on the same PostgreSQL cluster are measured just before the load, in
the same run (bench/pgbench_baseline.py). Then the checks of bench/drill.py: 0 payments lost or
duplicated, every estate's events in Kafka in one partition and in outbox order, applied by the
tenant's consumer group with every group's offsets committed to the end, the books balanced. The
result goes to bench/results/scaleout-<time>.json. The replica counts of the last
``deploy/services.sh up`` are restored at the end, and the estates removed, however the run ends.

Needs a running platform (`make up`) and root (or sudo) for the cluster's superuser; one benchmark
at a time (the lock of `make bench`). Figures, not assertions, but the exit status is 1 when a check
fails.

Usage: .venv/bin/python bench/scaleout.py [--estates 50 --households 20 --clients 8 --seconds 60]
       [--kill-mode group|process] [--skip-baseline] [--no-json]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import traceback
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR))

from bench.common import wait_for_platform  # noqa: E402
from bench.drill import KILL_SPAN, DrillResult, DrillSettings, platform_for, run_drill, say  # noqa: E402
from bench.fixtures import new_run_id  # noqa: E402
from bench.pgbench_baseline import Pgbench, PgbenchResult  # noqa: E402
from bench.run import exclusive, git_state  # noqa: E402

RESULTS_DIR = REPO_DIR / "bench" / "results"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--estates", type=int, default=50, help="estates onboarded for the run (default 50)")
    parser.add_argument("--households", type=int, default=20, help="households per estate (default 20)")
    parser.add_argument("--clients", type=int, default=8, help="payment clients, and pgbench clients (default 8)")
    parser.add_argument("--seconds", type=float, default=60, help="seconds of load in each phase (default 60)")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds before each (default 1)")
    parser.add_argument(
        "--settle", type=float, default=5.0, help="more unmeasured seconds before phase B, its replicas just started"
    )
    parser.add_argument("--kill-at", type=float, default=0.5, help="share of phase B after which to kill (0.5)")
    parser.add_argument(
        "--kill-mode",
        choices=("group", "process"),
        default="group",
        help="SIGKILL to the replica's process group (master and workers, default) or to its pid alone",
    )
    parser.add_argument("--skip-baseline", action="store_true", help="phase B only (no one-replica figure)")
    parser.add_argument("--no-bill", action="store_true", help="do not bill the estates first")
    parser.add_argument("--pgbench-seconds", type=float, default=10, help="seconds of the pgbench run (default 10)")
    parser.add_argument("--restart-timeout", type=float, default=300, help="seconds for a replica to be ready")
    parser.add_argument("--no-json", action="store_true", help="do not write bench/results/scaleout-<time>.json")
    return parser.parse_args(argv)


def _pgbench(result: PgbenchResult) -> dict[str, Any]:
    return {
        "clients": result.clients,
        "seconds": result.seconds,
        "tps": result.tps,
        "p50_ms": result.p50_ms,
        "p99_ms": result.p99_ms,
        "failed": result.failed,
    }


def _load(result: DrillResult) -> list[dict[str, Any]]:
    phases = []
    for phase in result.phases:
        load = phase.load
        phases.append(
            {
                "phase": phase.name,
                "replicas": phase.replicas,
                "clients": load.clients,
                "seconds": load.seconds,
                "payments": load.units,
                "payments_per_second": phase.payments_per_second,
                "p50_ms": load.p50_ms,
                "p95_ms": load.p95_ms,
                "p99_ms": load.p99_ms,
                "errors": dict(load.errors),
                "client_cpu_share": load.client_cpu_share,
                "kill": asdict(phase.kill) if phase.kill else None,
                "before_kill_per_second": phase.before_kill_per_second,
                "after_kill_per_second": phase.after_kill_per_second,
                "answered_per_second_of_phase": phase.timeline,
            }
        )
    return phases


def report(
    args: argparse.Namespace,
    started_at: datetime,
    run: str,
    pgbench: PgbenchResult | None,
    result: DrillResult | None,
    notes: list[str],
) -> None:
    say("")
    say(f"The scale-out drill beside pgbench — {os.cpu_count()} CPUs, {started_at:%Y-%m-%d %H:%M} UTC, run {run}")
    if pgbench is not None:
        say(f"pgbench two-row, {pgbench.clients} clients, just before the load: {pgbench.tps:,.0f} tx/s")
    if result is not None:
        by = {p.name: p for p in result.phases}
        for phase in result.phases:
            line = (
                f"phase {phase.name} ({phase.replicas['ledger']} ledger, {phase.replicas['tenant']} tenant): "
                f"{phase.load.units:,} payments in {phase.load.seconds:.0f} s = {phase.payments_per_second:.1f}/s "
                f"(p50 {phase.load.p50_ms:.0f} ms, p99 {phase.load.p99_ms:.0f} ms)"
            )
            if pgbench is not None:
                line += f" = {phase.payments_per_second / pgbench.tps:.2%} of pgbench two-row"
            say(line)
            if phase.kill is not None:
                k = phase.kill
                say(
                    f"  kill -9 ({k.mode}) of {k.name}, pid {k.pid}, {k.at_seconds:.1f} s in"
                    + (" while it held the outbox relay lock" if k.held_relay_lock else "")
                    + f": new pid {k.new_pid} after {k.new_pid_seconds or 0:.1f} s, ready after "
                    + (f"{k.ready_seconds:.0f} s" if k.ready_seconds is not None else "—")
                    + (f" ({k.error})" if k.error else "")
                    + f"; payments/s in the {KILL_SPAN:.0f} s before the kill {phase.before_kill_per_second or 0:.1f}, "
                    + f"in the {KILL_SPAN:.0f} s after {phase.after_kill_per_second or 0:.1f}"
                )
        if result.ratio is not None:
            say(
                f"ratio B/A (three ledger replicas, one killed mid-load, vs one): {result.ratio:.2f} "
                f"({by['B'].payments_per_second:.1f} / {by['A'].payments_per_second:.1f} payments/s)"
            )
        c = result.checks
        say(
            f"payments: {c.intended:,} intended, {c.recorded:,} answered 201, {c.refused} refused, {c.unanswered} "
            f"unanswered; in the ledger: {c.lost} lost, {c.duplicated} duplicated, {c.unexpected} unexpected "
            f"(retries: {result.retries or 'none'})"
        )
        say(
            f"events: {c.events:,} of the estates since the mark, {c.kafka_records:,} records read from Kafka "
            f"({c.kafka_repeats} repeats), {c.missing_in_kafka} missing, {c.unpublished} unpublished, "
            f"{c.estates_in_several_partitions} estates in several partitions, {c.out_of_order} out of order"
            + (
                f" (by phase of the late event: {c.out_of_order_by_phase}; {'; '.join(c.order_examples)})"
                if c.order_examples
                else ""
            )
        )
        say(
            f"consumers: {c.governance_events - c.unclaimed:,}/{c.governance_events:,} claimed by tenant.governance, {c.applied_out_of_order} applied out of order"
            + (f" ({'; '.join(c.applied_examples)})" if c.applied_examples else "")
            + "; "
            f"groups behind the end offsets: {c.lagging_groups or 'none'}"
        )
        say(
            f"books: {c.unbalanced_transactions} unbalanced transactions, {len(c.unbalanced_estates)} unbalanced "
            f"estates, {len(c.balance_mismatches)} estates whose GET /balances differs from their postings"
        )
        if result.consumers:
            say(
                "ledger topic partitions per consumer just before the kill: "
                + "; ".join(f"{group} {members}" for group, members in result.consumers.items())
            )
        say(f"front door after the drill: GET /api/ledger/health/ready → {result.front_door_after}")
        say(f"replicas restored: {result.restored}")
        say(f"drill: {'PASSED' if c.passed else 'FAILED: ' + '; '.join(c.failures())}")
        notes.extend(result.notes)
    notes.append(f"the machine was shared: load average {', '.join(f'{x:.2f}' for x in os.getloadavg())} at the end")
    for note in notes:
        say(f"note: {note}")
    if args.no_json or result is None:
        return
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"scaleout-{started_at:%Y-%m-%dT%H%M%SZ}.json"
    document: dict[str, Any] = {
        "started_at": started_at.isoformat(),
        "run_id": run,
        "git": git_state(),
        "machine": {"cpus": os.cpu_count(), "load_average_at_end": os.getloadavg()},
        "settings": vars(args),
        "pgbench_two_row": _pgbench(pgbench) if pgbench else None,
        "phases": _load(result),
        "ratio_b_to_a": result.ratio,
        "payments_ratio_to_pgbench_two_row": {
            p.name: p.payments_per_second / pgbench.tps for p in result.phases if pgbench and pgbench.tps
        },
        "checks": {**asdict(result.checks), "passed": result.checks.passed},
        "check_seconds": result.check_seconds,
        "retries": result.retries,
        "consumers_before_kill": result.consumers,
        "front_door_after": result.front_door_after,
        "replicas_restored": result.restored,
        "notes": notes,
    }
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False, default=str) + "\n")
    say(f"results: {path.relative_to(REPO_DIR)}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    problems = wait_for_platform(120)  # others restart services while they work
    if problems:
        say("make bench-scaleout measures a running platform, and it is not up:")
        for problem in problems:
            say(f"  - {problem}")
        return 2
    settings = DrillSettings(
        estates=args.estates,
        households=args.households,
        clients=args.clients,
        seconds=args.seconds,
        warmup=args.warmup,
        settle=args.settle,
        kill_at=args.kill_at,
        kill_mode=args.kill_mode,
        baseline=not args.skip_baseline,
        bill=not args.no_bill,
        restart_timeout=args.restart_timeout,
    )
    notes: list[str] = []
    pgbench_result: PgbenchResult | None = None
    result: DrillResult | None = None
    status = 0
    # A run stopped with SIGTERM (or Ctrl-C) still restores the replicas and removes its estates.
    signal.signal(signal.SIGTERM, _interrupt)
    with exclusive():
        started_at = datetime.now(UTC)
        run = new_run_id()
        try:
            with Pgbench() as pgbench, platform_for(run) as platform:

                def yardstick() -> None:
                    nonlocal pgbench_result
                    pgbench_result = pgbench.run("two_row", args.clients, args.pgbench_seconds)
                    say(f"  pgbench two-row, {args.clients} clients: {pgbench_result.tps:,.0f} tx/s")

                result = run_drill(platform, settings, before_load=yardstick)
            status = 0 if result.checks.passed else 1
        except KeyboardInterrupt:
            notes.append("interrupted")
            status = 130
        except Exception as error:  # noqa: BLE001 - report what was measured, then fail
            traceback.print_exc()
            notes.append(f"the run stopped: {error.__class__.__name__}: {error}")
            status = 1
        report(args, started_at, run, pgbench_result, result, notes)
    return status


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
