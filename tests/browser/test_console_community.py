"""The community officer's micro-fund pages in a real browser, against the running stack (issue 14).

The test makes its own community with one estate whose firm owes the fund a pledge (the estate bills a
month, a household pays, the month closes: 30% of the firm's remuneration is pledged, as
tests/e2e/test_microfund.py works out), and a community officer of that estate. The officer opens the
console's micro-fund page, records the firm's transfer — first more than the firm owes (the API's
reason is shown and what was typed stays), then what it owes — and the fund's received figure, read
from the API with the officer's token, rises by exactly that.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.console_pages import missing_keys, open_console
from tests.e2e.conftest import (  # noqa: F401  (fixtures, used by name)
    admin_token,
    keycloak,
    make_member,
    onboard,
    tenant_api,
    wait_for_books,
)
from tests.harness import SUB_DISTRICT, bearer, eventually, household_csv, http_url, run_billing, unique_code

pytestmark = pytest.mark.browser

PERIOD = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
SLOW = 60_000  # ms


def key() -> str:
    return f"console-test-{uuid.uuid4().hex}"


def yuan(fen: int) -> str:
    return f"¥{fen // 100:,}.{fen % 100:02d}"


def field(page: Page, testid: str) -> Locator:
    """The <input> of an Element Plus field, whether the test id landed on it or on its wrapper."""
    return page.locator(f'input[data-testid="{testid}"], [data-testid="{testid}"] input').first


@pytest.fixture(scope="module")
def pledged(
    tenant_api: httpx.Client,  # noqa: F811
    admin_token: str,  # noqa: F811
    make_member: Callable[[str, str], tuple[str, str]],  # noqa: F811
) -> dict[str, Any]:
    """A community of one estate whose firm has pledged this month's donation and paid none of it."""
    community = unique_code("cmc")
    made = tenant_api.post(
        f"/v1/sub-districts/{SUB_DISTRICT}/communities",
        json={"code": community, "name": "管理台微基金社区"},
        headers=bearer(admin_token),
    )
    assert made.status_code == 201, made.text
    estate = unique_code("cme")
    assert onboard(tenant_api, admin_token, estate, community_code=community).status_code == 201
    _, manager = make_member(estate, "firm_manager")
    imported = tenant_api.post(
        f"/v1/estates/{estate}/households/import",
        files={
            "file": ("list.csv", household_csv(2, bad_lines={0: {"面积": "90"}, 1: {"面积": "120.55"}}), "text/csv")
        },
        headers=bearer(manager),
    )
    assert imported.status_code in (200, 201), imported.text
    households = imported.json()["household_ids"]
    wait_for_books(estate, manager)
    with httpx.Client(
        base_url=f"{http_url('ledger')}/v1/estates/{estate}", headers=bearer(manager), timeout=60
    ) as ledger:
        assert run_billing(ledger, "/billing-runs", PERIOD, key())["status"] == "done"
        body = {"household_id": households[0], "amount_fen": 3150, "method": "bank_transfer", "received_on": TODAY}
        paid = ledger.post("/payments", json=body, headers={"Idempotency-Key": key()})
        assert paid.status_code == 201, paid.text
        closed = ledger.post(f"/periods/{PERIOD}/close", json={}, headers={"Idempotency-Key": key()})
        assert closed.status_code == 200, closed.text
        donation = int(closed.json()["donation_fen"])
    assert donation > 0, closed.text
    officer, officer_token = make_member(estate, "community_officer")
    fund = httpx.Client(
        base_url=f"{http_url('microfund')}/v1/communities/{community}", headers=bearer(officer_token), timeout=60
    )

    def firm() -> dict[str, Any] | None:
        statement = fund.get("/fund").json()
        return next((f for f in statement.get("firms", []) if f["estate_code"] == estate), None)

    eventually(firm, what="the firm's pledge in the community's fund")
    return {"community": community, "estate": estate, "officer": officer, "fund": fund, "donation": donation}


def firm_figures(fund: httpx.Client, estate: str) -> dict[str, Any]:
    statement = fund.get("/fund")
    assert statement.status_code == 200, statement.text
    (firm,) = [f for f in statement.json()["firms"] if f["estate_code"] == estate]
    return dict(firm)


def test_the_community_officer_records_a_firms_transfer(
    desk_page: Page,
    desk_shot: Callable[[str], Path],
    front_door: str,
    console_built: None,
    pledged: dict[str, Any],
) -> None:
    page = desk_page
    estate, fund = pledged["estate"], pledged["fund"]
    before = firm_figures(fund, estate)
    owed = before["outstanding_fen"]
    assert owed == pledged["donation"] and before["received_fen"] == 0, before

    open_console(page, pledged["officer"], f"/console/estates/{estate}/community")
    expect(page.get_by_test_id("community-fund")).to_be_visible()
    expect(page.get_by_test_id(f"firm-{estate}-pledged")).to_have_text(yuan(before["pledged_fen"]), timeout=SLOW)
    expect(page.get_by_test_id(f"firm-{estate}-received")).to_have_text(yuan(0))
    expect(page.get_by_test_id(f"firm-{estate}-outstanding")).to_have_text(yuan(owed))
    desk_shot("fund")

    # More than the firm owes: the API refuses, its reason is shown, the typed amount stays.
    page.get_by_test_id(f"record-{estate}").click()
    amount = field(page, "donation-amount")
    expect(amount).to_have_value(f"{owed // 100}.{owed % 100:02d}")
    too_much = f"{(owed + 100) // 100}.{(owed + 100) % 100:02d}"
    amount.fill(too_much)
    page.get_by_test_id("donation-submit").click()
    expect(page.get_by_test_id("donation-error")).to_be_visible(timeout=SLOW)
    expect(page.get_by_test_id("donation-error")).not_to_be_empty()
    expect(amount).to_have_value(too_much)
    assert firm_figures(fund, estate)["received_fen"] == 0
    desk_shot("refused")

    # What it owes: recorded, and the page and the API show it received.
    amount.fill(f"{owed // 100}.{owed % 100:02d}")
    page.get_by_test_id("donation-submit").click()
    expect(page.get_by_test_id(f"firm-{estate}-received")).to_have_text(yuan(owed), timeout=SLOW)
    expect(page.get_by_test_id(f"firm-{estate}-outstanding")).to_have_text(yuan(0))
    after = firm_figures(fund, estate)
    assert after["received_fen"] == before["received_fen"] + owed, after
    assert after["outstanding_fen"] == 0, after
    statement = fund.get("/fund").json()
    firm_donations = [d for d in statement["donations"] if d["source"] == "firm" and d["estate_code"] == estate]
    assert [(d["amount_fen"], d["received_on"]) for d in firm_donations] == [(owed, TODAY)], firm_donations
    expect(page.get_by_test_id("fund-donations")).to_contain_text(yuan(owed))
    desk_shot("recorded")
    assert missing_keys(page) == []
