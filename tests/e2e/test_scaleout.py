"""The scale-out drill at test size (issue 15, item 5; `make bench-scaleout` is the full one, with the
one-replica baseline and the figures): three ledger and two tenant replicas under the payments load
through the front door, one ledger replica killed with SIGKILL mid-load and started again by
supervisord; afterwards no payment is lost or duplicated, every estate's events reached Kafka and the
tenant's consumers in order, and the books balance (bench/drill.py). The replica counts the platform
had are restored, and the estates removed, whatever happens. No timing is asserted."""

from __future__ import annotations

import httpx
import pytest

from bench.drill import (
    FRONT_DOOR_LEDGER,
    DrillSettings,
    alive,
    pid_of,
    platform_for,
    read_replica_counts,
    ready,
    run_drill,
)
from bench.fixtures import new_run_id

pytestmark = pytest.mark.e2e

SETTINGS = DrillSettings(
    estates=10,
    households=10,
    clients=4,
    seconds=20,
    warmup=1.0,
    settle=2.0,
    kill_at=0.4,
    kill_mode="process",  # the master alone, as a crash: its workers must end with it
    baseline=False,  # the one-replica figure is the benchmark's
    bill=True,
    restart_timeout=300,
    check_timeout=180,
)


@pytest.mark.timeout(1200)
def test_three_ledger_replicas_one_killed_mid_load_lose_nothing() -> None:
    before = read_replica_counts()
    with platform_for(f"t{new_run_id()[:5]}") as platform:
        result = run_drill(platform, SETTINGS)

    phase = result.phases[-1]
    print(
        f"phase B: {phase.load.units} payments at {phase.payments_per_second:.1f}/s; kill: {phase.kill}; "
        f"retries: {result.retries}; checks took {result.check_seconds}"
    )
    checks = result.checks
    assert checks.intended > 0 and checks.recorded > 0, "the load made payments"
    assert checks.lost == 0 and checks.unanswered == 0, checks.failures()
    assert checks.duplicated == 0 and checks.unexpected == 0 and checks.refused_but_recorded == 0, checks.failures()
    assert checks.events > 0 and checks.unpublished == 0 and checks.missing_in_kafka == 0, checks.failures()
    assert checks.estates_in_several_partitions == 0, checks.failures()
    assert checks.governance_events > 0 and checks.unclaimed == 0, checks.failures()
    assert checks.applied_out_of_order == 0, checks.applied_examples
    assert not checks.lagging_groups, checks.lagging_groups
    assert checks.unbalanced_transactions == 0 and not checks.unbalanced_estates, checks.failures()
    assert not checks.balance_mismatches, checks.balance_mismatches

    kill = phase.kill
    assert kill is not None and not kill.error, kill
    assert not alive(kill.pid), "the killed replica is gone"
    assert kill.new_pid and kill.new_pid != kill.pid, "supervisord started another process"
    assert kill.ready_seconds is not None, "the new process answers ready"
    # The master alone was killed: its workers ended with it (the drill did not have to end them).
    assert not [note for note in result.notes if "the drill ended them" in note], result.notes
    assert pid_of(kill.name) == kill.new_pid or alive(pid_of(kill.name))

    assert result.front_door_after == 200
    assert httpx.get(f"{FRONT_DOOR_LEDGER}/health/ready", timeout=10).status_code == 200
    assert read_replica_counts() == before, "the replica counts are restored"
    # And the replicas themselves: those no longer wanted are stopped (their consumers leave their
    # groups, their ports close).
    assert not [k for k in range(before["ledger"] + 1, 4) if ready("ledger", k)], "extra ledger replicas still run"
    assert not [k for k in range(before["tenant"] + 1, 3) if ready("tenant", k)], "extra tenant replicas still run"

    # Last, so that every other check above is known to hold when it fails: each estate's events in
    # Kafka in the order of the ledger's outbox (its seq), as the relay means to publish them.
    assert checks.out_of_order == 0, (checks.out_of_order_by_phase, checks.order_examples)
    assert checks.passed, checks.failures()
