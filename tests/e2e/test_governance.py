"""The committee's figures end to end (治理指标): two estates of a district of their own go through a
month — bills, payments, tickets answered, fixed and rated (one target missed and breached by the
service's scheduler), a complaint taken to the sub-district, a budget adopted and an expense within
it, one month closed — and the governance API answers, for each estate, each community, the
sub-district and the district, exactly the figures this test computes by hand from what it did.

Time is held by the test for the tickets (a ticketing replica whose clock is a file, see
test_ticketing), so durations are exact; the ledger runs on the real clock, in the current month.
Then: replaying every topic from the beginning into an emptied read model gives the same figures;
no answer of the governance API carries a person, household or unit; residents and the firm are
refused."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import openpyxl
import pytest

from tests.e2e.test_budget_expenses import a_pdf, plans, upload
from tests.e2e.test_ticketing import Api, Clock, _start_replica
from tests.harness import (
    PORTS,
    REPO_DIR,
    bearer,
    claim_member,
    eventually,
    household_csv,
    http_url,
    run_billing,
    unique_code,
    user_token,
)
from xinyi_shared.transparency.checkpoint import checkpoint_of
from xinyi_shared.transparency.note import open_note, parse_verifier_key

pytestmark = pytest.mark.e2e

SHANGHAI = ZoneInfo("Asia/Shanghai")
RATE_FEN_PER_SQM = 35  # the onboarding default: 0.35 CNY per m² and month
REMUNERATION_BPS = 1500  # 15% of fees collected
DONATION_BPS = 3000  # 30% of the remuneration
MIN_HOUSEHOLDS, MIN_RATINGS = 20, 5  # the tenant service's defaults
BPS = 10_000


def half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


def nearest_rank(values: list[int], share: float) -> int | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


def area_fen(index: int) -> int:
    """The bill of household_csv's row ``index``: its area (80 + i % 40 . i % 100 m²) × the rate."""
    centi_sqm = (80 + index % 40) * 100 + index % 100
    return half_up(centi_sqm * RATE_FEN_PER_SQM, 100)


@dataclass
class EstateRun:
    code: str
    community: str
    manager: str
    staff: str
    supervisor: str
    households: list[str]
    residents: list[str] = field(default_factory=list)  # tokens, resident i of household i
    resident_names: list[str] = field(default_factory=list)
    billed: int = 0
    collected: int = 0
    expenses_by_line: dict[str, int] = field(default_factory=dict)
    adopted_by_line: dict[str, int] = field(default_factory=dict)
    first_response: list[int] = field(default_factory=list)
    first_met: int = 0
    resolution: list[int] = field(default_factory=list)
    resolution_met: int = 0
    ratings: list[int] = field(default_factory=list)
    complaints: int = 0
    petitions: int = 0
    ticket_ids: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def ticket_clock() -> Iterator[tuple[Clock, str]]:
    with tempfile.TemporaryDirectory(prefix="xinyi-governance-e2e-") as scratch:
        clock = Clock(Path(scratch) / "clock.json")
        clock.set(datetime.now(UTC).replace(microsecond=0))
        replica = _start_replica(clock.path, Path(scratch), 1)
        try:
            yield clock, replica.url
        finally:
            replica.process.terminate()
            try:
                replica.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                replica.process.kill()


def make_hierarchy(tenant_api: httpx.Client, admin_token: str) -> tuple[str, str, list[str]]:
    district, sub_district = unique_code("gov-d"), unique_code("gov-s")
    communities = [unique_code("gov-c"), unique_code("gov-c")]
    calls = [
        ("/v1/districts", {"code": district, "name": "治理测试区"}),
        (f"/v1/districts/{district}/sub-districts", {"code": sub_district, "name": "测试街道"}),
    ] + [(f"/v1/sub-districts/{sub_district}/communities", {"code": c, "name": f"社区 {c}"}) for c in communities]
    for path, body in calls:
        response = tenant_api.post(path, json=body, headers=bearer(admin_token))
        assert response.status_code == 201, response.text
    return district, sub_district, communities


def make_estate(
    tenant_api: httpx.Client, admin_token: str, make_member, district: str, sub: str, community: str, size: int
) -> EstateRun:
    code = unique_code("gov-e")
    body = {
        "code": code,
        "name": f"治理小区 {code}",
        "district_code": district,
        "sub_district_code": sub,
        "community_code": community,
    }
    assert tenant_api.post("/v1/estates", json=body, headers=bearer(admin_token)).status_code == 201
    _, manager = make_member(code, "firm_manager")
    _, staff = make_member(code, "firm_staff")
    _, supervisor = make_member(code, "supervisor")
    imported = tenant_api.post(
        f"/v1/estates/{code}/households/import",
        files={"file": ("list.csv", household_csv(size, prefix=code[-4:]), "text/csv")},
        headers=bearer(manager),
    )
    assert imported.status_code == 201, imported.text
    return EstateRun(code, community, manager, staff, supervisor, imported.json()["household_ids"])


def add_residents(tenant_api: httpx.Client, run: EstateRun, count: int) -> None:
    for i in range(count):
        run.residents.append(claim_member(tenant_api, run.code, run.manager, run.households[i], f"1370{i:07d}"))


def ledger(run: EstateRun, token: str) -> httpx.Client:
    return httpx.Client(base_url=f"{http_url('ledger')}/v1/estates/{run.code}", headers=bearer(token), timeout=60)


def bill_and_pay(run: EstateRun, period: str, paying: int) -> None:
    with ledger(run, run.manager) as books:
        eventually(lambda: books.get("/accounts").status_code == 200 or None, what=f"the books of {run.code}")
        job = run_billing(books, "/billing-runs", period, f"gov-bill-{uuid.uuid4().hex}")
        assert job["status"] == "done", job
        run.billed = sum(area_fen(i) for i in range(len(run.households)))
        bills = []
        for i, household in enumerate(run.households):
            (bill,) = books.get(f"/households/{household}/account").json()["bills"]
            assert bill["amount_fen"] == area_fen(i), "the bill is the area times the rate"
            bills.append(bill["amount_fen"])
        today = datetime.now(SHANGHAI).date().isoformat()
        for i in range(paying):
            paid = books.post(
                "/payments",
                json={
                    "household_id": run.households[i],
                    "amount_fen": bills[i],
                    "method": "wechat_pay",
                    "reference": f"wx-{i}",
                    "received_on": today,
                },
                headers={"Idempotency-Key": f"gov-pay-{uuid.uuid4().hex}"},
            )
            assert paid.status_code == 201, paid.text
        run.collected = sum(bills[:paying])


def adopt_budget_and_spend(tenant_api: httpx.Client, run: EstateRun, year: int) -> None:
    with ledger(run, run.manager) as books:
        drafted = books.post("/budget-drafts", json={"year": year, "plans": plans()})
        assert drafted.status_code == 201, drafted.text
        draft = drafted.json()
        now = datetime.now(UTC)
        opened = tenant_api.post(
            f"/v1/estates/{run.code}/ballots",
            json={
                "subject": draft["ballot_subject"],
                "question": "本年度服务方案",
                "options": ["基础方案", "提升方案"],
                "quorum_bps": 0,
                "threshold": "simple_majority",
                "threshold_base": "votes_cast",
                "opens_at": (now - timedelta(minutes=1)).isoformat(),
                "closes_at": (now + timedelta(hours=1)).isoformat(),
            },
            headers=bearer(run.supervisor),
        )
        assert opened.status_code == 201, opened.text
        ballot = opened.json()["id"]
        voted = tenant_api.post(
            f"/v1/estates/{run.code}/ballots/{ballot}/votes",
            json={"option": "提升方案"},
            headers=bearer(run.residents[0]),
        )
        assert voted.status_code == 201, voted.text
        closed = tenant_api.post(
            f"/v1/estates/{run.code}/ballots/{ballot}/close", json={"early": True}, headers=bearer(run.supervisor)
        )
        assert closed.status_code == 200, closed.text
        eventually(lambda: books.get(f"/budgets/{year}").status_code == 200 or None, what="the budget adopted")
        run.adopted_by_line = {line["account"]: line["amount_fen"] for line in plans()[1]["lines"]}

        voucher = upload(books, run.manager, "发票.pdf", a_pdf(books, run.manager), "application/pdf")
        assert voucher.status_code == 201, voucher.text
        proposed = books.post(
            "/expenses",
            json={
                "payee": "某某维修公司",
                "amount_fen": 150_000,
                "account": "5600",
                "description": "楼道灯更换",
                "vouchers": [voucher.json()["sha256"]],
            },
        )
        assert proposed.status_code == 201, proposed.text
        approved = books.post(f"/expenses/{proposed.json()['id']}/approve", headers=bearer(run.supervisor))
        assert approved.status_code == 200, approved.text
        run.expenses_by_line = {"5600": 150_000}


def wait_for_accruals(run: EstateRun, period: str) -> dict[str, Any]:
    """The statement once the remuneration of the fees collected is accrued (after each payment)."""
    expected = half_up(run.collected * REMUNERATION_BPS, BPS)
    with ledger(run, run.manager) as books:

        def accrued() -> dict[str, Any] | None:
            statement = books.get(f"/statements/{period}").json()
            return statement if statement["remuneration_fen"] == expected else None

        return eventually(accrued, timeout=90, what=f"the remuneration of {run.code}")


def seconds(moment: datetime, since: datetime) -> int:
    return int((moment - since).total_seconds())


def test_a_month_of_two_estates_in_the_committees_figures(
    tenant_api: httpx.Client, admin_token: str, make_member, ticket_clock
) -> None:
    clock, replica_url = ticket_clock
    t0 = datetime.now(UTC).replace(microsecond=0)
    local = t0.astimezone(SHANGHAI)
    if (local + timedelta(hours=3)).month != local.month:
        pytest.skip("within three hours of a month's end in Asia/Shanghai: the month would change mid-test")
    period = local.strftime("%Y-%m")
    clock.set(t0)

    district, sub_district, communities = make_hierarchy(tenant_api, admin_token)
    big = make_estate(tenant_api, admin_token, make_member, district, sub_district, communities[0], 24)
    small = make_estate(tenant_api, admin_token, make_member, district, sub_district, communities[1], 20)
    add_residents(tenant_api, big, 6)
    add_residents(tenant_api, small, 2)

    # --- the books: bills, payments, a budget and an expense, the big estate's month closed ---------------
    bill_and_pay(big, period, paying=17)
    bill_and_pay(small, period, paying=9)
    adopt_budget_and_spend(tenant_api, big, t0.astimezone(SHANGHAI).year)

    # --- the tickets, on the test's clock -----------------------------------------------------------------
    def wait_for_targets(run: EstateRun) -> None:
        eventually(
            lambda: Api(replica_url, run.code, run.manager).get("/service-targets").status_code == 200 or None,
            what=f"ticketing to know {run.code}",
        )

    wait_for_targets(big)
    wait_for_targets(small)
    tickets: list[tuple[EstateRun, int, dict[str, Any]]] = []
    for run, count in ((big, 6), (small, 2)):
        for i in range(count):
            created = Api(replica_url, run.code, run.residents[i]).post(
                "/tickets",
                {"category": "lighting", "description": f"{i}号楼道灯不亮", "household_id": run.households[i]},
            )
            assert created.status_code == 201, created.text
            ticket = created.json()
            assert datetime.fromisoformat(ticket["reported_at"]) == t0
            run.ticket_ids.append(ticket["id"])
            tickets.append((run, i, ticket))

    def step(run: EstateRun, token: str, ticket: dict[str, Any], action: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = Api(replica_url, run.code, token).post(f"/tickets/{ticket['id']}/{action}", body)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    # Answered within minutes — but the big estate's sixth ticket only after its target, once the
    # service's own scheduler has recorded the breach.
    acknowledged_at = {0: 60, 1: 120, 2: 180, 3: 240, 4: 300}
    for run, i, ticket in tickets:
        if run is big and i == 5:
            continue
        moment = t0 + timedelta(seconds=acknowledged_at[i] if run is big else 400 + 50 * i)
        clock.set(moment)
        step(run, run.staff, ticket, "acknowledge", {"note": "马上到"})
        run.first_response.append(seconds(moment, t0))
        run.first_met += moment <= datetime.fromisoformat(ticket["first_response_due_at"])
    late = tickets[5][2]
    late_moment = datetime.fromisoformat(late["first_response_due_at"]) + timedelta(seconds=61)
    clock.set(late_moment)
    viewer = Api(replica_url, big.code, big.manager)
    eventually(
        lambda: viewer.get(f"/tickets/{late['id']}").json()["ticket"]["breaches"] or None,
        timeout=60,
        what="the scheduler to record the missed first response",
    )
    step(big, big.staff, late, "acknowledge", {"note": "抱歉来晚了"})
    big.first_response.append(seconds(late_moment, t0))

    # Fixed one after another, then rated by the residents who reported them.
    scores = {big.code: [5, 4, 3, 5, 2, 4], small.code: [5, 4]}
    moment = late_moment
    for run, _, ticket in tickets:
        moment += timedelta(seconds=30)
        clock.set(moment)
        step(run, run.staff, ticket, "resolve", {"note": "更换灯泡"})
        run.resolution.append(seconds(moment, t0))
        run.resolution_met += moment <= datetime.fromisoformat(ticket["resolution_due_at"])
    for run, i, ticket in tickets:
        moment += timedelta(seconds=10)
        clock.set(moment)
        score = scores[run.code][i]
        step(run, run.residents[i], ticket, "confirm", {"score": score, "comment": "好"})
        run.ratings.append(score)

    # The resident who gave 2 complains, and takes it to the sub-district (a petition).
    moment += timedelta(minutes=5)
    clock.set(moment)
    step(big, big.residents[4], tickets[4][2], "complaint", {"reason": "灯又坏了，态度差"})
    big.complaints = 1
    step(big, big.residents[4], tickets[4][2], "complaint/escalate", {"note": "向街道反映"})
    big.petitions = 1

    # --- closing the big estate's month ------------------------------------------------------------------
    big_statement = wait_for_accruals(big, period)
    small_statement = wait_for_accruals(small, period)
    with ledger(big, big.manager) as books:
        closed = books.post(f"/periods/{period}/close", json={}, headers={"Idempotency-Key": f"gov-close-{t0:%s}"})
        assert closed.status_code == 200, closed.text
        big_statement = closed.json()
        log_checkpoint = books.get("/log/checkpoints/latest").json()

    # --- what the committee should see, computed by hand ---------------------------------------------
    def remuneration(run: EstateRun) -> int:
        return half_up(run.collected * REMUNERATION_BPS, BPS)

    def expected(runs: list[EstateRun], pledged: int) -> dict[str, Any]:
        households = sum(len(r.households) for r in runs)
        ratings = [s for r in runs for s in r.ratings]
        first = [s for r in runs for s in r.first_response]
        fixed = [s for r in runs for s in r.resolution]
        billed, collected = sum(r.billed for r in runs), sum(r.collected for r in runs)
        adopted: dict[str, int] = {}
        spent: dict[str, int] = {}
        for r in runs:
            for line, fen in r.adopted_by_line.items():
                adopted[line] = adopted.get(line, 0) + fen
            for line, fen in r.expenses_by_line.items():
                spent[line] = spent.get(line, 0) + fen
        petitions = sum(r.petitions for r in runs)
        satisfied = sum(1 for s in ratings if s >= 4)
        lines = sorted(set(adopted) | set(spent))
        return {
            "estates": len(runs),
            "households": households,
            "fees_billed_fen": billed,
            "fees_collected_fen": collected,
            "collection_rate_bps": half_up(collected * BPS, billed),
            "ratings": len(ratings),
            "satisfaction_rate_bps": "suppressed" if len(ratings) < MIN_RATINGS else satisfied * BPS // len(ratings),
            "first_response_median_seconds": nearest_rank(first, 0.5),
            "first_response_p90_seconds": nearest_rank(first, 0.9),
            "resolution_median_seconds": nearest_rank(fixed, 0.5),
            "resolution_p90_seconds": nearest_rank(fixed, 0.9),
            "first_response_within_target_bps": sum(r.first_met for r in runs) * BPS // len(first),
            "resolution_within_target_bps": sum(r.resolution_met for r in runs) * BPS // len(fixed),
            "complaints": sum(r.complaints for r in runs),
            "petitions": petitions,
            "petition_rate_bps": -(-petitions * BPS // households),
            "budget_adopted_fen": {line: adopted.get(line, 0) for line in lines},
            "budget_actual_fen": {line: spent.get(line, 0) for line in lines},
            "budget_execution_bps": {line: spent.get(line, 0) * BPS // adopted[line] for line in lines},
            "budget_total_execution_bps": (sum(spent.values()) * BPS // sum(adopted.values())) if adopted else None,
            # Income (the fees billed) less expenses (the remuneration and the approved expense).
            "surplus_fen": sum(r.billed - remuneration(r) - sum(r.expenses_by_line.values()) for r in runs),
            "fund_pledged_fen": pledged,
            "fund_received_fen": 0,
            "fund_granted_fen": 0,
        }

    donation = half_up(remuneration(big) * DONATION_BPS, BPS)
    assert big_statement["donation_fen"] == donation
    want = {
        ("estate", big.code): expected([big], donation),
        ("estate", small.code): expected([small], 0),
        ("community", big.community): expected([big], donation),
        ("community", small.community): expected([small], 0),
        ("sub_district", sub_district): expected([big, small], donation),
        ("district", district): expected([big, small], donation),
    }
    # The hand figures agree with the books each estate publishes.
    for run, statement in ((big, big_statement), (small, small_statement)):
        mine = want[("estate", run.code)]
        assert (mine["fees_billed_fen"], mine["fees_collected_fen"], mine["collection_rate_bps"]) == (
            statement["fees_billed_fen"],
            statement["fees_collected_fen"],
            statement["collection_rate_bps"],
        )
        assert mine["surplus_fen"] == statement["surplus_year_to_date_fen"]
    assert want[("estate", small.code)]["satisfaction_rate_bps"] == "suppressed"  # 2 ratings < 5
    assert want[("estate", big.code)]["first_response_within_target_bps"] == 8333  # one of six late

    observer = user_token("governance-observer")
    api = httpx.Client(base_url=f"{http_url('tenant')}/v1/governance", headers=bearer(observer), timeout=60)

    def figures_now() -> dict[tuple[str, str], dict[str, Any]]:
        response = api.get("/figures", params={"period": period, "area": district})
        assert response.status_code == 200, response.text
        return {(row["level"], row["code"]): row["figures"] for row in response.json()["rows"]}

    def matches() -> dict[tuple[str, str], dict[str, Any]] | None:
        seen = figures_now()
        if set(seen) != set(want):
            return None
        for key, figures in want.items():
            if any(seen[key].get(name) != value for name, value in figures.items()):
                return None
        return seen

    try:
        seen = eventually(matches, timeout=120, what="the committee's figures to reach the hand-computed ones")
    except AssertionError:
        seen = figures_now()
        diffs = {
            f"{key[0]} {key[1]}": {
                n: (seen.get(key, {}).get(n), v) for n, v in figures.items() if seen.get(key, {}).get(n) != v
            }
            for key, figures in want.items()
        }
        raise AssertionError(
            f"figures differ (seen, wanted): {json.dumps(diffs, default=str, ensure_ascii=False)}"
        ) from None

    # --- CSV, ranking, comparison and the signed report ----------------------------------------------
    answers: list[str] = []
    as_csv = api.get("/figures", params={"period": period, "area": district, "format": "csv"})
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    answers.append(as_csv.text)
    rows = {(r["level"], r["code"]): r for r in csv.DictReader(io.StringIO(as_csv.text.lstrip("\ufeff")))}
    big_row = rows[("estate", big.code)]
    assert int(big_row["collection_rate_bps"]) == want[("estate", big.code)]["collection_rate_bps"]
    assert rows[("estate", small.code)]["satisfaction_rate_bps"] == "suppressed"
    # The same figures as an XLSX workbook: the CSV's header and cells, numbers as numbers.
    as_xlsx = api.get("/figures", params={"period": period, "area": district, "format": "xlsx"})
    assert as_xlsx.status_code == 200 and as_xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(as_xlsx.content), read_only=True).worksheets[0]
    header, *cells = [list(line) for line in sheet.iter_rows(values_only=True)]
    answers.append(repr([header, *cells]))
    from_xlsx = {(line[header.index("level")], line[header.index("code")]): line for line in cells}
    assert from_xlsx.keys() == rows.keys()
    assert from_xlsx[("estate", big.code)][header.index("collection_rate_bps")] == int(big_row["collection_rate_bps"])
    assert from_xlsx[("estate", small.code)][header.index("satisfaction_rate_bps")] == "suppressed"

    ranked = api.get("/ranking", params={"period": period, "metric": "satisfaction_rate_bps", "area": district})
    assert ranked.status_code == 200, ranked.text
    answers.append(ranked.text)
    order = [(r["code"], r["rank"], r["value"]) for r in ranked.json()["rows"]]
    big_satisfaction = want[("estate", big.code)]["satisfaction_rate_bps"]
    assert order == [(big.code, 1, big_satisfaction), (small.code, None, "suppressed")]
    by_time = api.get(
        "/ranking", params={"period": period, "metric": "first_response_median_seconds", "area": district}
    ).json()["rows"]
    faster = sorted((big, small), key=lambda r: nearest_rank(r.first_response, 0.5) or 0)
    assert [r["code"] for r in by_time] == [r.code for r in faster], "the shortest time ranks first"

    compared = api.get(f"/estates/{small.code}/comparison", params={"period": period})
    assert compared.status_code == 200, compared.text
    answers.append(compared.text)
    metric = {m["metric"]: m for m in compared.json()["metrics"]}
    rates = sorted(want[("estate", r.code)]["collection_rate_bps"] for r in (big, small))
    assert metric["collection_rate_bps"]["district_median"] == rates[0]  # nearest rank, lower of two
    assert metric["collection_rate_bps"]["difference"] == want[("estate", small.code)]["collection_rate_bps"] - rates[0]
    assert metric["satisfaction_rate_bps"] == {
        "metric": "satisfaction_rate_bps",
        "value": "suppressed",
        "district_median": big_satisfaction,
        "difference": None,
    }

    report = api.get(f"/reports/{period}", params={"district": district})
    assert report.status_code == 200, report.text
    answers.append(report.text)
    signed = report.json()
    digest = hashlib.sha256(
        json.dumps(signed["report"], sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()
    assert signed["report_sha256"] == digest
    key = parse_verifier_key(api.get("/report-key").json()["verifier_key"])
    opened = open_note(signed["signed_note"], [key])
    assert opened.signed_by(key) is not None
    assert opened.text.endswith(f"{district}\n{period}\n{signed['report']['issued_at']}\nsha256 {digest}\n")
    estates = {e["code"]: e for e in signed["report"]["estates"]}
    assert estates[big.code]["books_closed"] and not estates[small.code]["books_closed"]
    published = checkpoint_of(log_checkpoint["note"])
    assert estates[big.code]["checkpoint"]["tree_size"] == published.size == log_checkpoint["tree_size"]
    assert estates[big.code]["checkpoint"]["root_hash"] == published.root_hash.hex()
    assert estates[small.code]["checkpoint"] is None
    assert signed["report"]["district"]["figures"]["households"] == 44

    # --- replaying the topics into an emptied read model gives the same figures --------------------------
    before = figures_now()
    rebuilt = subprocess.run(
        [sys.executable, "-m", "tenant_service.governance_rebuild"],
        cwd=REPO_DIR,
        env={
            **os.environ,
            "XINYI_DB_PORT": str(PORTS["POSTGRES_PORT"]),
            "XINYI_KAFKA_BOOTSTRAP": f"127.0.0.1:{PORTS['KAFKA_PORT']}",
        },
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert rebuilt.returncode == 0, rebuilt.stderr[-3000:]
    assert "rebuilt the committee's read side" in rebuilt.stdout
    assert figures_now() == before

    # --- no person, household or unit in any answer ------------------------------------------------------
    for level in ("estate", "community", "sub_district", "district"):
        answers.append(api.get("/figures", params={"period": period, "level": level}).text)
    for name in ("collection_rate_bps", "petition_rate_bps", "fund_pledged_fen"):
        answers.append(api.get("/ranking", params={"period": period, "metric": name}).text)
    answers.append(api.get(f"/estates/{big.code}/comparison", params={"period": period}).text)
    personal = [h for run in (big, small) for h in run.households]
    personal += [t for run in (big, small) for t in run.ticket_ids]
    personal += [f"{run.code[-4:]}业主" for run in (big, small)]  # the owners' names of the lists
    personal += [f"139{i:08d}" for run in (big, small) for i in range(len(run.households))]  # household_csv's phones
    personal += [f"1370{i:07d}" for run in (big, small) for i in range(len(run.residents))]  # the residents' phones
    # A phone standing alone; digits inside a hash, a signature or a longer number are not one.
    phone = re.compile(r"(?<![0-9A-Za-z+/])1[3-9]\d{9}(?![0-9A-Za-z])")
    for answer in answers:
        for value in personal:
            assert value not in answer, f"{value} in a governance answer"
        assert not phone.search(answer), f"a phone number in a governance answer: {phone.search(answer)}"
        for marker in ("单元", "household_id", "username", "subject"):
            assert marker not in answer, f"{marker!r} in a governance answer"

    # --- residents and the firm are refused ---------------------------------------------------------------
    for token in (big.residents[0], big.manager, small.supervisor):
        for path, params in (
            ("/figures", {"period": period}),
            ("/ranking", {"period": period, "metric": "ratings"}),
            (f"/estates/{big.code}/comparison", {"period": period}),
            (f"/reports/{period}", {}),
            ("/report-key", {}),
        ):
            refused = httpx.get(
                f"{http_url('tenant')}/v1/governance{path}", params=params, headers=bearer(token), timeout=30
            )
            assert refused.status_code == 403, (path, refused.text)
    assert httpx.get(f"{http_url('tenant')}/v1/governance/figures", params={"period": period}).status_code == 401
    api.close()
