"""核验我的缴费 and 投票 in a real browser, against the running stack (issue 13, "Done when").

A fresh estate with one household and its resident, arranged through the APIs (nothing of the demo's):
the firm bills the month, records the household's payment and closes the month, so a signed checkpoint
holds the payment. The resident logs in through Keycloak, verifies the payment in the browser (the
Merkle proof, the checkpoint's Ed25519 signature and the household commitment, checked by the page's
own code) and sees the proof offered as a download. The supervisor opens a ballot through the API; the
resident reads it, votes and sees the receipt code; the supervisor closes it through the API; the
resident checks the receipt in the audit list and sees it counted.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_resident_pages import open_app, settle, username_of
from tests.e2e.conftest import (  # noqa: F401  (fixtures, used by name)
    admin_token,
    keycloak,
    make_member,
    onboard,
    tenant_api,
    wait_for_books,
)
from tests.harness import bearer, claim_member, eventually, household_csv, http_url, run_billing, unique_code

pytestmark = pytest.mark.browser

PERIOD = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
QUESTION = "是否同意更换3栋电梯？"
OPTIONS = ["同意", "反对", "弃权"]


def key() -> str:
    return f"browser-{uuid.uuid4().hex}"


@pytest.fixture(scope="module")
def estate(tenant_api, admin_token, make_member) -> Iterator[dict[str, str]]:  # noqa: F811
    """A fresh estate, its resident's household billed and paid, the month closed (a checkpoint)."""
    code = unique_code("h5v")
    assert onboard(tenant_api, admin_token, code).status_code == 201
    _, manager = make_member(code, "firm_manager")
    _, supervisor = make_member(code, "supervisor")
    imported = tenant_api.post(
        f"/v1/estates/{code}/households/import",
        files={"file": ("v.csv", household_csv(1, bad_lines={0: {"面积": "90"}}), "text/csv")},
        headers=bearer(manager),
    )
    assert imported.status_code in (200, 201), imported.text
    household = imported.json()["household_ids"][0]
    token = claim_member(tenant_api, code, manager, household, "13900005678")
    wait_for_books(code, manager)

    with httpx.Client(
        base_url=f"{http_url('ledger')}/v1/estates/{code}", headers=bearer(manager), timeout=60
    ) as ledger:
        billed = run_billing(ledger, "/billing-runs", PERIOD, key())
        assert billed["status"] == "done", billed
        paid = ledger.post(
            "/payments",
            json={
                "household_id": household,
                "amount_fen": 3150,
                "method": "wechat_pay",
                "reference": "wx-verify-1",
                "received_on": TODAY,
            },
            headers={"Idempotency-Key": key()},
        )
        assert paid.status_code == 201, paid.text
        closed = ledger.post(f"/periods/{PERIOD}/close", json={}, headers={"Idempotency-Key": key()})
        assert closed.status_code == 200, closed.text

    def payment() -> str | None:
        account = httpx.get(
            f"{http_url('ledger')}/v1/estates/{code}/households/{household}/account", headers=bearer(token), timeout=10
        ).json()
        return account["payments"][0]["transaction_id"] if account.get("payments") else None

    transaction = eventually(payment, timeout=60, what="the resident's payment in the books")

    def proven() -> bool | None:
        response = httpx.get(
            f"{http_url('ledger')}/v1/estates/{code}/log/entries/{transaction}/proof", headers=bearer(token), timeout=10
        )
        return True if response.status_code == 200 else None

    eventually(proven, timeout=90, what="the payment in a signed checkpoint")
    yield {
        "code": code,
        "household": household,
        "transaction": transaction,
        "username": username_of(token),
        "supervisor": supervisor,
    }


def test_a_resident_verifies_a_payment_and_votes(page: Page, shot, front_door: str, app_built: None, estate) -> None:
    code, transaction, username = estate["code"], estate["transaction"], estate["username"]

    # Verify the payment, in the browser.
    open_app(page, username, f"/h5/estates/{code}/verify")
    shot("verify-page")
    button = page.get_by_test_id(f"verify-{transaction}")
    expect(button).to_be_visible()
    button.click()
    ok = page.get_by_test_id("verify-ok")
    expect(ok.or_(page.get_by_test_id("verify-failed")).first).to_be_visible()
    expect(page.get_by_test_id("verify-failed")).to_have_count(0)
    expect(ok).to_be_visible()
    expect(ok).to_contain_text("核验通过")
    expect(page.get_by_test_id("verify-household-line")).to_contain_text("¥31.50")
    download_link = page.get_by_test_id("download-proof")
    expect(download_link).to_be_visible()
    shot("payment-verified")
    with page.expect_download() as download:
        download_link.click()
    saved = download.value
    assert saved.suggested_filename.endswith(".json")
    assert '"xinyi-inclusion/v1"' in Path(saved.path()).read_text(encoding="utf-8")

    # A ballot opened by the supervisor.
    supervisor = estate["supervisor"]
    now = datetime.now(UTC)
    opened = httpx.post(
        f"{http_url('tenant')}/v1/estates/{code}/ballots",
        json={
            "subject": "lift-2027",
            "question": QUESTION,
            "options": OPTIONS,
            "quorum_bps": 5000,
            "threshold": "simple_majority",
            "threshold_base": "votes_cast",
            "opens_at": (now - timedelta(minutes=2)).isoformat(),
            "closes_at": (now + timedelta(hours=1)).isoformat(),
        },
        headers=bearer(supervisor),
        timeout=30,
    )
    assert opened.status_code == 201, opened.text
    ballot = opened.json()["id"]

    page.get_by_test_id("tab-ballots").click()
    settle(page)
    item = page.get_by_test_id(f"ballot-{ballot}")
    expect(item).to_contain_text(QUESTION)
    shot("ballots")
    item.click()
    settle(page)
    expect(page.get_by_test_id("ballot-turnout")).to_contain_text("0 / 1")
    page.get_by_test_id("option-0").click()
    shot("option-chosen")
    page.get_by_test_id("vote").click()
    receipt = page.get_by_test_id("receipt-code")
    expect(receipt).to_be_visible()
    code_text = receipt.inner_text().strip()
    assert code_text
    expect(page.get_by_test_id("own-vote")).to_contain_text(OPTIONS[0])
    expect(page.get_by_test_id("ballot-turnout")).to_contain_text("1 / 1")
    shot("voted")

    # The supervisor closes the ballot; the resident checks the receipt in the audit list.
    closed = httpx.post(
        f"{http_url('tenant')}/v1/estates/{code}/ballots/{ballot}/close",
        json={"early": True},
        headers=bearer(supervisor),
        timeout=30,
    )
    assert closed.status_code == 200, closed.text
    # A new visit in the same tab (tokens live in memory, so this logs in again): the receipt is kept
    # for the tab's session, the API shows it only once.
    open_app(page, username, f"/h5/estates/{code}/ballots?ballot={ballot}")
    if f"ballot={ballot}" not in page.url:
        page.goto(f"{front_door}/h5/estates/{code}/ballots?ballot={ballot}")
        settle(page)
    expect(page.get_by_test_id("ballot-result")).to_be_visible()
    expect(page.get_by_test_id("receipt-code")).to_have_text(code_text)
    expect(page.get_by_test_id("receipt-input")).to_have_value(code_text)
    page.get_by_test_id("check-receipt").click()
    counted = page.get_by_test_id("receipt-counted")
    expect(counted).to_be_visible()
    expect(counted).to_contain_text(OPTIONS[0])
    shot("receipt-counted")
