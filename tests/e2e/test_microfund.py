"""The community micro-fund end to end, with real services: two estates of one community close a
month, their firms' donations become pledges (30% of each firm's remuneration, worked out below),
one firm pays, money from others arrives, a grant above the council's threshold is decided by the
households of both benefiting estates, paid in two instalments with receipts and closed — and the
fund's own book in the ledger holds exactly what came in less what went out."""

from __future__ import annotations

import struct
import uuid
import zlib
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.e2e.conftest import onboard, wait_for_books
from tests.e2e.test_budget_expenses import decide_by_ballot, raw_records, redeliver
from tests.harness import (
    SUB_DISTRICT,
    bearer,
    claim_member,
    eventually,
    household_csv,
    http_url,
    run_billing,
    unique_code,
)

pytestmark = pytest.mark.e2e

LEDGER_TOPIC = "xinyi.ledger.events.v1"
PERIOD = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()


def png(seed: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", seed, 1, 8, 0, 0, 0, 0)) + chunk(b"IEND", b"")


def key() -> str:
    return f"mf-{uuid.uuid4().hex}"


class Estate:
    def __init__(self, code: str, manager: str, supervisor: str, residents: list[str], households: list[str]) -> None:
        self.code, self.manager, self.supervisor, self.residents, self.households = (
            code,
            manager,
            supervisor,
            residents,
            households,
        )
        self.ledger = httpx.Client(
            base_url=f"{http_url('ledger')}/v1/estates/{code}", headers=bearer(manager), timeout=60
        )

    def pay(self, household: str, fen: int) -> None:
        body = {"household_id": household, "amount_fen": fen, "method": "bank_transfer", "received_on": TODAY}
        paid = self.ledger.post("/payments", json=body, headers={"Idempotency-Key": key()})
        assert paid.status_code == 201, paid.text


@pytest.fixture(scope="module")
def community(tenant_api, admin_token, make_member) -> dict[str, Any]:
    code = unique_code("mfc")
    made = tenant_api.post(
        f"/v1/sub-districts/{SUB_DISTRICT}/communities",
        json={"code": code, "name": "微基金测试社区"},
        headers=bearer(admin_token),
    )
    assert made.status_code == 201, made.text
    estates = []
    for name in ("a", "b"):
        estate = unique_code(f"mf{name}")
        assert onboard(tenant_api, admin_token, estate, community_code=code).status_code == 201
        _, manager = make_member(estate, "firm_manager")
        _, supervisor = make_member(estate, "supervisor")
        content = household_csv(3, bad_lines={0: {"面积": "90"}, 1: {"面积": "120.55"}, 2: {"面积": "65.3"}})
        households = tenant_api.post(
            f"/v1/estates/{estate}/households/import",
            files={"file": ("list.csv", content, "text/csv")},
            headers=bearer(manager),
        ).json()["household_ids"]
        residents = [claim_member(tenant_api, estate, manager, households[i], f"1370{i:07d}") for i in range(3)]
        wait_for_books(estate, manager)
        estates.append(Estate(estate, manager, supervisor, residents, households))
    _, officer = make_member(estates[0].code, "community_officer")
    outsider_estate = unique_code("mfx")  # of the harness's own community, not this one
    assert onboard(tenant_api, admin_token, outsider_estate).status_code == 201
    _, outsider_manager = make_member(outsider_estate, "firm_manager")
    outsider_household = tenant_api.post(
        f"/v1/estates/{outsider_estate}/households/import",
        files={"file": ("list.csv", household_csv(1, prefix="x"), "text/csv")},
        headers=bearer(outsider_manager),
    ).json()["household_ids"][0]
    outsider = claim_member(tenant_api, outsider_estate, outsider_manager, outsider_household, "13799990000")
    return {"code": code, "estates": estates, "officer": officer, "outsider": outsider}


def fund_api(community: str, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"{http_url('microfund')}/v1/communities/{community}", headers=bearer(token), timeout=60
    )


def test_pledges_transfers_a_grant_by_ballot_and_the_funds_own_book(community, tenant_api) -> None:
    code = community["code"]
    a, b = community["estates"]
    officer = fund_api(code, community["officer"])

    # Bills: 90.00 m² × 35 = 3150, 120.55 × 35 = 4219.25 → 4219, 65.30 × 35 = 2285.5 → 2286 fen.
    for estate in (a, b):
        assert run_billing(estate.ledger, "/billing-runs", PERIOD, key())["status"] == "done"
    a.pay(a.households[0], 3150)
    b.pay(b.households[0], 3150)
    b.pay(b.households[1], 4219)
    # Estate A collected 3150: remuneration 15% = 472.5 → 473; donation 30% of 473 = 141.9 → 142 fen.
    # Estate B collected 7369: remuneration 15% = 1105.35 → 1105; donation 30% of 1105 = 331.5 → 332 fen.
    for estate, donation in ((a, 142), (b, 332)):
        closed = estate.ledger.post(f"/periods/{PERIOD}/close", json={}, headers={"Idempotency-Key": key()})
        assert closed.status_code == 200, closed.text
        assert closed.json()["donation_fen"] == donation

    def pledged() -> dict[str, Any] | None:
        statement = officer.get("/fund").json()
        firms = {f["estate_code"]: f for f in statement.get("firms", [])}
        return statement if len(firms) == 2 else None

    statement = eventually(pledged, what="both firms' pledges in the fund")
    firms = {f["estate_code"]: f for f in statement["firms"]}
    assert (firms[a.code]["pledged_fen"], firms[b.code]["pledged_fen"]) == (142, 332)

    # A DonationDeclared delivered again, as is and under a new event id, is pledged once.
    (record,) = raw_records(LEDGER_TOPIC, a.code, "xinyi.ledger.v1.DonationDeclared")
    redeliver(LEDGER_TOPIC, record, new_id=False)
    redeliver(LEDGER_TOPIC, record, new_id=True)

    # Firm A pays its pledge; firm B does not. A transfer beyond what B owes is refused.
    paid = officer.post(
        "/fund/donations",
        json={"source": "firm", "estate_code": a.code, "amount_fen": 142, "received_on": TODAY},
        headers={"Idempotency-Key": key()},
    )
    assert paid.status_code == 201, paid.text
    too_much = officer.post(
        "/fund/donations",
        json={"source": "firm", "estate_code": b.code, "amount_fen": 333, "received_on": TODAY},
        headers={"Idempotency-Key": key()},
    )
    assert too_much.status_code == 409 and "332" in too_much.json()["reason"]
    named = officer.post(
        "/fund/donations",
        json={
            "source": "business",
            "amount_fen": 100_000,
            "received_on": TODAY,
            "donor_name": "便民超市",
            "anonymous": False,
        },
        headers={"Idempotency-Key": "mf-named-gift-" + code},
    )
    again = officer.post(
        "/fund/donations",
        json={
            "source": "business",
            "amount_fen": 100_000,
            "received_on": TODAY,
            "donor_name": "便民超市",
            "anonymous": False,
        },
        headers={"Idempotency-Key": "mf-named-gift-" + code},
    )
    assert named.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["id"] == named.json()["id"]
    hidden = officer.post(
        "/fund/donations",
        json={"source": "resident", "amount_fen": 50_000, "received_on": TODAY, "donor_name": "张三"},
        headers={"Idempotency-Key": key()},
    )
    assert hidden.status_code == 201 and hidden.json()["donor"] is None
    bad = officer.post(
        "/fund/donations",
        json={"source": "resident", "amount_fen": -5, "received_on": TODAY},
        headers={"Idempotency-Key": key()},
    )
    assert bad.status_code == 422 and bad.json()["reason"]

    statement = fund_api(code, a.residents[0]).get("/fund").json()
    firms = {f["estate_code"]: f for f in statement["firms"]}
    assert (firms[a.code]["received_fen"], firms[a.code]["outstanding_fen"]) == (142, 0)
    assert (firms[b.code]["received_fen"], firms[b.code]["outstanding_fen"]) == (0, 332)
    assert statement["balance_fen"] == 142 + 100_000 + 50_000
    assert statement["donations_from_firms_fen"] == 142 + 332, "the redelivered declaration pledged nothing more"
    assert [d["donor"] for d in statement["donations"] if d["source"] != "firm"] == ["便民超市", None]

    # A grant above the council's threshold: the households of both benefiting estates decide.
    assert officer.put("/fund/rule", json={"threshold_fen": 50_000}).status_code == 200
    resident = fund_api(code, a.residents[0])
    plan = resident.post("/fund/files", files={"file": ("plan.png", png(1), "image/png")}).json()["sha256"]
    applied = resident.post(
        "/fund/grants",
        json={
            "title": "楼道声控灯改造",
            "purpose": "两个小区的楼道灯换成声控LED",
            "budget": [{"item": "LED灯具", "amount_fen": 90_000}, {"item": "安装", "amount_fen": 30_000}],
            "benefiting_estates": [a.code, b.code],
            "applicant_kind": "resident_group",
            "group_name": "楼道志愿队",
            "attachments": [plan],
        },
    )
    assert applied.status_code == 201, applied.text
    grant = applied.json()
    assert grant["amount_fen"] == 120_000 and grant["status"] == "applied"
    reviewed = officer.post(f"/fund/grants/{grant['id']}/review", json={"approve": True, "note": "交业主表决"})
    assert reviewed.json()["status"] == "awaiting_ballot"
    for estate in (a, b):
        decide_by_ballot(
            tenant_api,
            estate.code,
            estate.supervisor,
            estate.residents,
            grant["ballot_subject"],
            ["同意", "不同意"],
            ["同意", "同意", "不同意"],
        )

    def approved() -> dict[str, Any] | None:
        shown = officer.get(f"/fund/grants/{grant['id']}").json()["grant"]
        return shown if shown["status"] == "approved" else None

    shown = eventually(approved, what="the grant approved by both estates' ballots")
    assert (shown["decided_by"], shown["approved_fen"]) == ("ballot", 120_000)

    receipts = [
        officer.post("/fund/files", files={"file": (f"r{i}.png", png(10 + i), "image/png")}).json()["sha256"]
        for i in (1, 2, 3)
    ]
    first = officer.post(
        f"/fund/grants/{grant['id']}/disbursements",
        json={"amount_fen": 70_000, "receipt": receipts[0], "paid_on": TODAY},
        headers={"Idempotency-Key": key()},
    )
    assert first.status_code == 201, first.text
    second = officer.post(
        f"/fund/grants/{grant['id']}/disbursements",
        json={"amount_fen": 50_000, "receipt": receipts[1], "paid_on": TODAY},
        headers={"Idempotency-Key": key()},
    )
    assert second.status_code == 201 and second.json()["disbursed_fen"] == 120_000
    beyond = officer.post(
        f"/fund/grants/{grant['id']}/disbursements",
        json={"amount_fen": 1, "receipt": receipts[2], "paid_on": TODAY},
        headers={"Idempotency-Key": key()},
    )
    assert beyond.status_code == 409, "nothing beyond the approved amount"
    closed = officer.post(
        f"/fund/grants/{grant['id']}/close", json={"report": "32盏灯已更换，夜间全亮", "photos": [receipts[2]]}
    )
    assert closed.status_code == 200 and closed.json()["status"] == "closed"

    # Under the threshold the officer decides; but the fund cannot pay more than it holds.
    small = resident.post(
        "/fund/grants",
        json={
            "title": "棋牌桌",
            "purpose": "活动室添两张棋牌桌",
            "budget": [{"item": "棋牌桌", "amount_fen": 40_000}],
            "benefiting_estates": [a.code],
        },
    ).json()
    decided = officer.post(f"/fund/grants/{small['id']}/review", json={"approve": True, "note": "同意"}).json()
    assert (decided["status"], decided["decided_by"]) == ("approved", "officer")
    broke = officer.post(
        f"/fund/grants/{small['id']}/disbursements",
        json={"amount_fen": 40_000, "receipt": receipts[2], "paid_on": TODAY},
        headers={"Idempotency-Key": key()},
    )
    assert broke.status_code == 409 and "holds" in broke.json()["reason"]

    # The fund's own book: inflows less disbursements, to the fen.
    final = officer.get("/fund").json()
    inflows = 142 + 100_000 + 50_000
    assert final["balance_fen"] == inflows - 120_000 == 30_142
    assert final["pledges_receivable_fen"] == 332
    assert final["donations_from_firms_fen"] == 142 + 332, (
        "the redelivered declarations, long consumed, pledged nothing"
    )
    assert final["grants_payable_fen"] == 40_000  # the small grant, approved and unpaid
    # Its log is signed after each money step: the latest checkpoint covers every entry of the book
    # (two pledges, a transfer, two donations, two approvals, two instalments), for its households.
    ledger_fund = httpx.Client(
        base_url=f"{http_url('ledger')}/v1/funds/{code}", headers=bearer(a.residents[0]), timeout=60
    )
    entries = ledger_fund.get("/transactions", params={"limit": 100}).json()
    checkpoint = ledger_fund.get("/log/checkpoints/latest").json()
    assert checkpoint["tree_size"] == 9 == len(entries)
    assert ledger_fund.get("/accounts").status_code == 200
    assert (
        httpx.get(
            f"{http_url('ledger')}/v1/funds/{code}/log/checkpoints/latest",
            headers=bearer(community["outsider"]),
            timeout=30,
        ).status_code
        == 403
    )
    statuses = {g["title"]: g["status"] for g in final["grants"]}
    assert statuses == {"楼道声控灯改造": "closed", "棋牌桌": "approved"}
    assert all(g["applicant"] for g in final["grants"]), "the officer sees who applied"


def test_a_household_outside_the_community_cannot_see_or_apply(community) -> None:
    outsider = fund_api(community["code"], community["outsider"])
    assert outsider.get("/fund").status_code == 403
    applied = outsider.post(
        "/fund/grants",
        json={"title": "x", "purpose": "x", "budget": [{"item": "x", "amount_fen": 1}], "benefiting_estates": ["x-1"]},
    )
    assert applied.status_code == 403
    a = community["estates"][0]
    listed = fund_api(community["code"], a.residents[1]).get("/fund/grants").json()
    assert all(g["applicant"] is None for g in listed), "another resident does not see who applied"
