"""Creates the demo district's estate through the public APIs, as the platform team would, and
makes the demo accounts its members. Safe to run again: onboarding and memberships are idempotent."""

from __future__ import annotations

import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.harness import bearer, household_csv, http_url, register_hierarchy, user_token

DEMO_ESTATE = {
    "code": "jinhe-lvzhou",
    "name": "金河绿洲",
    "district_code": "shuangliu",
    "sub_district_code": "dongsheng",
    "community_code": "jinhe",
    "fee_rate_fen_per_sqm_month": "35",
    "remuneration_share_bps": 1500,
    "donation_share_bps": 3000,
}
DEMO_HOUSEHOLDS = 120
ESTATE_MEMBERS = ["firm-manager", "firm-staff", "supervisor", "resident", "grid-leader", "community-officer"]


def main() -> None:
    admin = bearer(user_token("platform-admin"))
    with httpx.Client(base_url=http_url("tenant"), timeout=30) as tenant:
        register_hierarchy(tenant, admin["Authorization"].removeprefix("Bearer "))
        # An estate made by an earlier version of this script is kept as it is (resumed if suspended).
        existing = tenant.get(f"/v1/estates/{DEMO_ESTATE['code']}", headers=admin)
        if existing.status_code != 200:
            response = tenant.post("/v1/estates", json=DEMO_ESTATE, headers=admin)
            if response.status_code not in (200, 201):
                sys.exit(f"onboarding the demo estate failed: {response.status_code} {response.text}")
        elif existing.json().get("status") == "suspended":
            tenant.post(f"/v1/estates/{DEMO_ESTATE['code']}/resume", headers=admin).raise_for_status()
        for username in ESTATE_MEMBERS:
            added = tenant.post(
                f"/v1/estates/{DEMO_ESTATE['code']}/members", json={"username": username}, headers=admin
            )
            if added.status_code != 204:
                sys.exit(f"adding {username} to the demo estate failed: {added.status_code} {added.text}")

    manager = bearer(user_token("firm-manager"))
    deadline = time.monotonic() + 90
    while True:
        books = httpx.get(
            f"{http_url('ledger')}/v1/estates/{DEMO_ESTATE['code']}/accounts", headers=manager, timeout=10
        )
        if books.status_code == 200:
            break
        if time.monotonic() > deadline:
            sys.exit(f"the demo estate's trust books did not open: {books.status_code} {books.text}")
        time.sleep(0.5)
    code = DEMO_ESTATE["code"]
    with httpx.Client(base_url=http_url("tenant"), timeout=60) as tenant:
        if tenant.get(f"/v1/estates/{code}/households", headers=manager).json()["total"] == 0:
            tenant.post(
                f"/v1/estates/{code}/households/import",
                files={"file": ("demo.csv", household_csv(DEMO_HOUSEHOLDS, prefix="示例"), "text/csv")},
                headers=manager,
            ).raise_for_status()
    period = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    # The ledger learns of a resumption from the tenant's events: until then its books are read-only.
    deadline = time.monotonic() + 60
    while True:
        billing = httpx.post(
            f"{http_url('ledger')}/v1/estates/{code}/billing-runs",
            json={"period": period},
            headers={**manager, "Idempotency-Key": f"demo-billing-{period}"},
            timeout=120,
        )
        if billing.status_code != 409 or "read-only" not in billing.text or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    billing.raise_for_status()
    job = billing.json()
    deadline = time.monotonic() + 300
    while job["status"] not in ("done", "failed"):  # billing is a background job: follow it
        if time.monotonic() > deadline:
            sys.exit(f"the demo estate's billing job {job['job_id']} did not finish")
        time.sleep(0.5)
        job = httpx.get(f"{http_url('ledger')}/v1/billing-jobs/{job['job_id']}", headers=manager, timeout=30).json()
    if job["status"] != "done":
        sys.exit(f"the demo estate's billing job failed: {job['failures']}")
    households = tenant_total(code, manager)
    ticket = demo_ticket(code, manager)
    billed = int(job["billed_fen"])
    print(
        f"demo estate {code} ({DEMO_ESTATE['name']}): {len(books.json()['accounts'])} trust accounts, "
        f"{households} households, {period} billed ({billed // 100:,}.{billed % 100:02d} CNY in this run), "
        f"a stair-light ticket ({ticket})"
    )


def demo_ticket(code: str, manager: dict[str, str]) -> str:
    """A public stair-light ticket the firm took by phone for the first household (once: its
    Idempotency-Key makes a second run answer the same ticket), so the queue is not empty."""
    first = httpx.get(f"{http_url('tenant')}/v1/estates/{code}/households?limit=1", headers=manager, timeout=30)
    household = first.json()["households"][0]["id"]
    staff = bearer(user_token("firm-staff"))
    deadline = time.monotonic() + 60
    while (
        httpx.get(f"{http_url('ticketing')}/v1/estates/{code}/service-targets", headers=staff, timeout=10).status_code
        != 200
    ):
        if time.monotonic() > deadline:
            sys.exit("ticketing did not learn of the demo estate")
        time.sleep(0.5)
    reported = httpx.post(
        f"{http_url('ticketing')}/v1/estates/{code}/tickets",
        json={
            "category": "lighting",
            "urgency": "urgent",
            "description": "1栋1单元10楼楼道灯不亮（住户来电）",
            "household_id": household,
            "area": "1栋1单元10楼楼道",
            "visibility": "public",
        },
        headers={**staff, "Idempotency-Key": "demo-stair-light-ticket-1"},
        timeout=30,
    )
    if reported.status_code != 201:
        sys.exit(f"reporting the demo ticket failed: {reported.status_code} {reported.text}")
    return f"{reported.json()['status']}, {reported.json()['id']}"


def tenant_total(code: str, headers: dict[str, str]) -> int:
    response = httpx.get(f"{http_url('tenant')}/v1/estates/{code}/households", headers=headers, timeout=30)
    return int(response.json()["total"])


if __name__ == "__main__":
    main()
