"""Benchmark: a billing run of one large estate while payments keep arriving.

Shows that billing (one short transaction per household) does not hold locks that block payments:
prints the run's throughput and payment latencies when idle and during the run. Needs the platform
(`make up`); creates its own estate. Usage: .venv/bin/python bench/billing_vs_payments.py [households]
"""

from __future__ import annotations

import statistics
import sys
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.harness import (
    COMMUNITY,
    DISTRICT,
    SUB_DISTRICT,
    KeycloakAdmin,
    bearer,
    household_csv,
    http_url,
    register_hierarchy,
    unique_code,
    user_token,
)

PAYMENTS = 60


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def pay_many(
    ledger: httpx.Client,
    households: list[str],
    count: int,
    today: str,
    latencies: list[float],
    stop: threading.Event | None = None,
) -> None:
    for i in range(count):
        if stop is not None and stop.is_set():
            return
        started = time.perf_counter()
        response = ledger.post(
            "/payments",
            json={
                "household_id": households[i * 7 % len(households)],
                "amount_fen": 100,
                "method": "cash",
                "received_on": today,
            },
            headers={"Idempotency-Key": f"bench-{uuid.uuid4().hex}"},
        )
        latencies.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()


def report(name: str, latencies: list[float]) -> None:
    print(
        f"payments {name:14} n={len(latencies):3}  p50 {statistics.median(latencies):6.1f} ms  "
        f"p95 {percentile(latencies, 0.95):6.1f} ms  max {max(latencies):6.1f} ms"
    )


def main(households_count: int) -> None:
    admin = user_token("platform-admin")
    tenant = httpx.Client(base_url=http_url("tenant"), timeout=300)
    register_hierarchy(tenant, admin)
    code = unique_code("bench")
    body = {
        "code": code,
        "name": "基准小区",
        "district_code": DISTRICT,
        "sub_district_code": SUB_DISTRICT,
        "community_code": COMMUNITY,
    }
    tenant.post("/v1/estates", json=body, headers=bearer(admin)).raise_for_status()
    keycloak = KeycloakAdmin.connect()
    username = f"bench-manager-{uuid.uuid4().hex[:6]}"
    user_id = keycloak.create_user(username, "firm_manager")
    try:
        tenant.post(
            f"/v1/estates/{code}/members", json={"username": username}, headers=bearer(admin)
        ).raise_for_status()
        manager = user_token(username)
        started = time.perf_counter()
        imported = tenant.post(
            f"/v1/estates/{code}/households/import",
            files={"file": ("list.csv", household_csv(households_count), "text/csv")},
            headers=bearer(manager),
        )
        imported.raise_for_status()
        print(f"import   {households_count} households in {time.perf_counter() - started:.1f} s")
        households = imported.json()["household_ids"]
        ledger = httpx.Client(base_url=f"{http_url('ledger')}/v1/estates/{code}", headers=bearer(manager), timeout=600)
        while ledger.get("/accounts").status_code != 200:
            time.sleep(0.5)
        now = datetime.now(ZoneInfo("Asia/Shanghai"))
        today, period = now.date().isoformat(), now.strftime("%Y-%m")

        idle: list[float] = []
        pay_many(ledger, households, PAYMENTS, today, idle)

        during: list[float] = []
        stop = threading.Event()
        payer = threading.Thread(target=pay_many, args=(ledger, households, 10_000, today, during, stop))
        started = time.perf_counter()
        payer.start()
        run = ledger.post(
            "/billing-runs", json={"period": period}, headers={"Idempotency-Key": f"bench-{uuid.uuid4().hex}"}
        )
        elapsed = time.perf_counter() - started
        stop.set()
        payer.join()
        run.raise_for_status()
        billed = run.json()["billed"]
        print(f"billing  {billed} households in {elapsed:.1f} s ({billed / elapsed:,.0f} households/s)")
        report("idle", idle)
        report("during billing", during)
    finally:
        keycloak.delete_user(user_id)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
