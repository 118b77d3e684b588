"""Billing runs as background jobs, end to end: ``POST …/billing-runs`` answers 202 with a job that
bills every household once, by area × rate rounded half up; the same key returns the same job;
billing a month again bills nothing new; a job is shown only to whom may see it (404 to anyone
else); and a district's job resumes after the ledger is killed (``kill -9``) mid-run and bills
every household exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid

import httpx
import pytest

from tests.e2e.conftest import onboard, wait_for_books
from tests.e2e.test_ledger import PERIOD, key
from tests.harness import (
    REPO_DIR,
    STATE_DIR,
    bearer,
    claim_member,
    connect,
    eventually,
    household_csv,
    http_url,
    run_billing,
    service_token,
    unique_code,
)

JOB_FIELDS = {
    "job_id",
    "scope",
    "district_code",
    "estate_code",
    "period",
    "status",
    "households_total",
    "households_done",
    "estates_total",
    "estates_done",
    "households_billed",
    "already_billed",
    "not_occupied",
    "billed_fen",
    "failures",
    "created_at",
    "finished_at",
}
RATE_FEN_PER_SQM = 35  # the onboarding default: 0.35 CNY per m² a month


def fee(row: int) -> int:
    """The month's fee of the ``row``-th household of ``household_csv``: its area (80.00 m² +
    row % 40 m², plus row % 100 hundredths) × 35 fen / 100, rounded half up to the fen."""
    area_centi_sqm = (80 + row % 40) * 100 + row % 100
    return (area_centi_sqm * RATE_FEN_PER_SQM * 2 + 100) // 200


def job_url(job_id: str) -> str:
    return f"{http_url('ledger')}/v1/billing-jobs/{job_id}"


def bills_per_household(codes: list[str], period: str) -> dict[str, tuple[int, int]]:
    """household → (number of its bills of ``period``, their amount), from the ledger's database."""
    with connect("ledger", "system") as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT household_id::text, count(*), sum(amount_fen) FROM bills "
            "WHERE estate_code = ANY(%s) AND period = %s GROUP BY household_id",
            (codes, period),
        )
        return {household: (int(count), int(fen)) for household, count, fen in cursor.fetchall()}


def estate_with_households(tenant_api, admin_token, make_member, rows: int, **estate: object) -> tuple[str, str, list]:
    code = str(estate.pop("code", unique_code("billjob")))
    assert onboard(tenant_api, admin_token, code, **estate).status_code == 201
    _, manager = make_member(code, "firm_manager")
    imported = tenant_api.post(
        f"/v1/estates/{code}/households/import",
        files={"file": ("list.csv", household_csv(rows), "text/csv")},
        headers=bearer(manager),
    )
    assert imported.status_code == 201, imported.text
    wait_for_books(code, manager)
    return code, manager, imported.json()["household_ids"]


def test_an_estate_job_bills_every_household_once_by_area_times_rate(tenant_api, admin_token, make_member) -> None:
    rows = 57
    code, manager, households = estate_with_households(tenant_api, admin_token, make_member, rows)
    ledger = httpx.Client(base_url=f"{http_url('ledger')}/v1/estates/{code}", headers=bearer(manager), timeout=60)
    run_key = key()

    started = ledger.post("/billing-runs", json={"period": PERIOD}, headers={"Idempotency-Key": run_key})
    assert started.status_code == 202, started.text
    job = started.json()
    assert set(job) == JOB_FIELDS
    assert started.headers["Location"] == f"/v1/billing-jobs/{job['job_id']}"
    assert (job["scope"], job["estate_code"], job["district_code"], job["period"]) == ("estate", code, None, PERIOD)
    assert job["status"] in ("queued", "running", "done") and job["estates_total"] == 1

    def finished() -> dict | None:
        shown = ledger.get(job_url(job["job_id"])).json()
        return shown if shown["status"] in ("done", "failed") else None

    done = eventually(finished, timeout=120, what="the billing job to finish")
    expected = {household: fee(row) for row, household in enumerate(households)}
    assert done["status"] == "done" and done["failures"] == [], done
    assert (done["households_total"], done["households_done"], done["households_billed"]) == (rows, rows, rows)
    assert (done["already_billed"], done["not_occupied"]) == (0, 0)
    assert done["billed_fen"] == sum(expected.values())
    assert (done["estates_total"], done["estates_done"]) == (1, 1)
    assert done["finished_at"] is not None
    assert bills_per_household([code], PERIOD) == {h: (1, fen) for h, fen in expected.items()}
    account = ledger.get(f"/households/{households[7]}/account").json()
    assert [(b["period"], b["amount_fen"]) for b in account["bills"]] == [(PERIOD, fee(7))]

    # The same key again: the same job, marked as a replay.
    again = ledger.post("/billing-runs", json={"period": PERIOD}, headers={"Idempotency-Key": run_key})
    assert again.status_code == 202 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["job_id"] == job["job_id"]
    assert again.headers["Location"] == started.headers["Location"]
    # The same key for another month is another request.
    other = ledger.post("/billing-runs", json={"period": "2020-01"}, headers={"Idempotency-Key": run_key})
    assert other.status_code == 409, other.text

    # Billing the month again bills nothing new.
    second = run_billing(ledger, "/billing-runs", PERIOD, key())
    assert second["job_id"] != job["job_id"]
    assert (second["households_billed"], second["already_billed"], second["billed_fen"]) == (0, rows, 0)
    assert bills_per_household([code], PERIOD) == {h: (1, fen) for h, fen in expected.items()}


def test_a_job_is_shown_only_to_whom_may_see_it(books, tenant_api, admin_token, make_member, make_estate) -> None:
    code, ledger, (h1, _, _) = books
    job = run_billing(ledger, "/billing-runs", PERIOD, key())
    url = job_url(job["job_id"])
    _, supervisor = make_member(code, "supervisor")
    _, staff = make_member(code, "firm_staff")
    resident = claim_member(tenant_api, code, make_member(code, "firm_manager")[1], h1, "13600000091")
    stranger = make_estate("billjob-other")  # another estate's firm manager
    for token, status in (
        (ledger.headers["Authorization"].removeprefix("Bearer "), 200),
        (supervisor, 200),
        (staff, 200),
        (admin_token, 200),
        (resident, 404),
        (stranger.manager_token, 404),
        (service_token("microfund-service"), 404),
    ):
        shown = httpx.get(url, headers=bearer(token), timeout=30)
        assert shown.status_code == status, (status, shown.text)
        if status == 404:
            assert shown.json()["error"] == "not_found"
    assert httpx.get(url, timeout=30).status_code == 401
    for missing in (str(uuid.uuid4()), "not-a-job-id"):
        assert httpx.get(job_url(missing), headers=bearer(admin_token), timeout=30).status_code == 404

    # Starting a run: the estate's firm only; a district's run: a platform admin or a service.
    body, headers = {"period": PERIOD}, {"Idempotency-Key": key()}
    estate_runs = f"{http_url('ledger')}/v1/estates/{code}/billing-runs"
    for token in (resident, supervisor, stranger.manager_token):
        refused = httpx.post(estate_runs, json=body, headers={**headers, **bearer(token)}, timeout=30)
        assert refused.status_code == 403, refused.text
    district_runs = f"{http_url('ledger')}/v1/districts/shuangliu/billing-runs"
    refused = httpx.post(district_runs, json=body, headers={**headers, **bearer(stranger.manager_token)}, timeout=30)
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        ({"period": PERIOD}, {}, 422),  # no Idempotency-Key
        ({"period": PERIOD}, {"Idempotency-Key": "short"}, 422),
        ({"period": "2026-13"}, None, 422),
        ({"period": "2999-01"}, None, 422),  # not started yet
        ({"period": "2020-01"}, None, 422),  # before the books begin
        ({"period": PERIOD, "extra": 1}, None, 422),
        ({}, None, 422),
    ],
)
def test_a_run_that_cannot_start_creates_no_job(books, body, headers, status) -> None:
    code, ledger, _ = books
    answer = ledger.post("/billing-runs", json=body, headers={"Idempotency-Key": key()} if headers is None else headers)
    assert answer.status_code == status, answer.text
    assert {"error", "reason"} <= set(answer.json())
    with connect("ledger", "system") as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM billing_jobs WHERE estate_code = %s", (code,))
        assert cursor.fetchone()[0] == 0


def test_a_district_run_of_an_unknown_district_is_not_found(admin_token) -> None:
    answer = httpx.post(
        f"{http_url('ledger')}/v1/districts/{unique_code('nowhere')}/billing-runs",
        json={"period": PERIOD},
        headers={"Idempotency-Key": key(), **bearer(admin_token)},
        timeout=30,
    )
    assert answer.status_code == 404, answer.text


# The ledger killed mid-run ---------------------------------------------------------------------


def kill_ledger() -> None:
    """kill -9 the ledger's whole process group (its master and every worker), as a crash would."""
    pid = int((STATE_DIR / "services" / "ledger.pid").read_text())
    pgid = os.getpgid(pid)
    os.killpg(pgid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise AssertionError("the ledger's processes outlived SIGKILL")


def start_services() -> None:
    """deploy/services.sh up: starts what is not running (or lets its supervisor do so) and waits
    until every service is ready."""
    subprocess.run([str(REPO_DIR / "deploy" / "services.sh"), "up"], check=True, timeout=180)


def job_progress(job_id: str) -> tuple[str, int, int]:
    """(status, households done, households total) of the job, read from the ledger's database."""
    with connect("ledger", "system") as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT j.status, j.households_done, (SELECT count(*) FROM billing_job_estates e "
            "WHERE e.job_id = j.id AND e.status IN ('done', 'failed')) FROM billing_jobs j WHERE j.id = %s",
            (job_id,),
        )
        status, done, finished_estates = cursor.fetchone()
        return status, int(done), int(finished_estates)


@pytest.mark.timeout(900)
def test_a_district_job_resumes_after_the_ledger_is_killed_and_bills_every_household_once(
    tenant_api, admin_token, make_member
) -> None:
    # Enough households that the kill lands mid-run with the ledger's usual chunks (1,000 households,
    # XINYI_BILLING_CHUNK): four chunks an estate, billed estate by estate in parallel.
    estates, rows = 3, 4000
    district = unique_code("crashdist")
    sub, community = unique_code("street"), unique_code("community")
    for path, body in (
        ("/v1/districts", {"code": district, "name": "计费测试区"}),
        (f"/v1/districts/{district}/sub-districts", {"code": sub, "name": "计费测试街道"}),
        (f"/v1/sub-districts/{sub}/communities", {"code": community, "name": "计费测试社区"}),
    ):
        assert tenant_api.post(path, json=body, headers=bearer(admin_token)).status_code == 201
    households: dict[str, list[str]] = {}
    for _ in range(estates):
        code, _, ids = estate_with_households(
            tenant_api,
            admin_token,
            make_member,
            rows,
            district_code=district,
            sub_district_code=sub,
            community_code=community,
        )
        households[code] = ids
    codes = sorted(households)
    expected = {h: fee(row) for ids in households.values() for row, h in enumerate(ids)}
    total = estates * rows

    admin = httpx.Client(headers=bearer(admin_token), timeout=60)
    runs = f"{http_url('ledger')}/v1/districts/{district}/billing-runs"
    run_key = key()
    started = admin.post(runs, json={"period": PERIOD}, headers={"Idempotency-Key": run_key})
    assert started.status_code == 202, started.text
    job_id = started.json()["job_id"]
    assert started.json()["estates_total"] == estates

    # Kill the ledger as soon as the job's first chunks have committed.
    deadline = time.monotonic() + 180
    while (progress := job_progress(job_id))[1] == 0:
        assert progress[0] in ("queued", "running") and time.monotonic() < deadline, progress
        time.sleep(0.02)
    kill_ledger()
    status, done, finished_estates = job_progress(job_id)
    billed_at_kill = sum(count for count, _ in bills_per_household(codes, PERIOD).values())
    assert status == "running" and 0 < done < total and finished_estates < estates, (
        "the job finished before the ledger could be killed",
        status,
        done,
    )
    assert 0 < billed_at_kill < total

    start_services()
    # The restarted ledger takes the job over once its lease has expired, and resumes it.
    replay = admin.post(runs, json={"period": PERIOD}, headers={"Idempotency-Key": run_key})
    assert replay.status_code == 202 and replay.json()["job_id"] == job_id

    def finished() -> dict | None:
        shown = admin.get(job_url(job_id)).json()
        return shown if shown["status"] in ("done", "failed") else None

    final = eventually(finished, timeout=300, what="the resumed job to finish")
    assert final["status"] == "done" and final["failures"] == [], final
    assert (final["estates_total"], final["estates_done"]) == (estates, estates)
    assert (final["households_total"], final["households_done"]) == (total, total)
    assert (final["households_billed"], final["already_billed"], final["not_occupied"]) == (total, 0, 0)
    assert final["billed_fen"] == sum(expected.values())

    bills = bills_per_household(codes, PERIOD)
    assert {h for h, (count, _) in bills.items() if count != 1} == set(), "a household billed twice"
    assert bills == {h: (1, fen) for h, fen in expected.items()}, "every household billed once, by its area"
    with connect("ledger", "system") as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM transactions WHERE estate_code = ANY(%s) AND period = %s AND kind = 'fee_billed'",
            (codes, PERIOD),
        )
        assert cursor.fetchone()[0] == total, "one fee entry per household"
        cursor.execute(
            "SELECT count(*) FROM (SELECT transaction_id FROM postings WHERE estate_code = ANY(%s) "
            "GROUP BY transaction_id HAVING sum(amount_fen) <> 0) unbalanced",
            (codes,),
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT attempts FROM billing_jobs WHERE id = %s", (job_id,))
        assert cursor.fetchone()[0] >= 2, "the job was taken over after the kill"
