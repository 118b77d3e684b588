"""报修 in a real browser, against the running stack (issue 13, "Done when").

A fresh estate with one household and its resident (arranged through the APIs, nothing of the
demo's): the resident logs in through Keycloak, reports a broken stair light with a photo from the
file input the phone's camera fills; the firm's staff acknowledge and resolve it through the API;
the resident sees it resolved, confirms the fix and rates it 5 stars; the API then shows the
ticket confirmed with that rating.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

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
)
from tests.harness import WEB_URL, bearer, claim_member, eventually, household_csv, http_url, unique_code

pytestmark = pytest.mark.browser

DESCRIPTION = "3栋2单元5楼楼道灯不亮"


def small_png() -> bytes:
    """A valid 2 × 2 RGB PNG, written by hand."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\xff\xcc\x00" * 2 for _ in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def estate(tenant_api, admin_token, make_member) -> Iterator[tuple[str, str, str, str]]:  # noqa: F811
    """(estate code, resident's username, resident's token, firm staff's token)."""
    code = unique_code("h5r")
    assert onboard(tenant_api, admin_token, code).status_code == 201
    _, manager = make_member(code, "firm_manager")
    _, staff = make_member(code, "firm_staff")
    imported = tenant_api.post(
        f"/v1/estates/{code}/households/import",
        files={"file": ("r.csv", household_csv(1, bad_lines={0: {"面积": "90"}}), "text/csv")},
        headers=bearer(manager),
    )
    assert imported.status_code in (200, 201), imported.text
    household = imported.json()["household_ids"][0]
    token = claim_member(tenant_api, code, manager, household, "13900001234")

    def targets() -> dict[str, object] | None:
        response = httpx.get(
            f"{http_url('ticketing')}/v1/estates/{code}/service-targets", headers=bearer(token), timeout=10
        )
        return response.json() if response.status_code == 200 else None

    assert "lighting" in eventually(targets, timeout=90, what=f"ticketing to know {code}")["categories"]
    yield code, username_of(token), token, staff


def test_a_resident_reports_a_broken_light_and_rates_the_fix(
    page: Page, shot, front_door: str, app_built: None, estate, tmp_path: Path
) -> None:
    code, username, resident, staff = estate
    photo = tmp_path / "stair-light.png"
    photo.write_bytes(small_png())

    open_app(page, username, f"/h5/estates/{code}/repairs")
    expect(page.get_by_test_id("new-ticket")).to_be_visible()
    shot("repairs")

    page.get_by_test_id("new-ticket").click()
    page.get_by_test_id("ticket-category").select_option("lighting")
    page.get_by_test_id("ticket-description").fill(DESCRIPTION)
    page.get_by_test_id("ticket-photo").set_input_files(str(photo))
    expect(page.get_by_text("stair-light.png")).to_be_visible()
    shot("report-filled")
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/tickets")) as answer:
        page.get_by_test_id("submit-ticket").click()
    assert answer.value.status == 201, answer.value.text()
    ticket = answer.value.json()
    assert ticket["photos"] and re.fullmatch(r"[0-9a-f]{64}", ticket["photos"][0]), ticket
    assert ticket["description"] == DESCRIPTION and ticket["category"] == "lighting"
    expect(page.get_by_test_id("ticket-status")).to_have_attribute("data-status", "open")
    settle(page)
    shot("reported")

    tickets = f"{http_url('ticketing')}/v1/estates/{code}/tickets/{ticket['id']}"
    acknowledged = httpx.post(f"{tickets}/acknowledge", json={"note": "马上派人"}, headers=bearer(staff), timeout=30)
    assert acknowledged.status_code == 200, acknowledged.text
    resolved = httpx.post(f"{tickets}/resolve", json={"note": "更换LED灯泡"}, headers=bearer(staff), timeout=30)
    assert resolved.status_code == 200, resolved.text

    # Back to the list and in again: the page reads the ticket anew.
    page.get_by_test_id("ticket-back").click()
    expect(page.get_by_test_id(f"ticket-{ticket['id']}")).to_be_visible()
    page.reload()
    page.wait_for_url(re.compile(re.escape(f"{WEB_URL}/h5/")))
    expect(page.get_by_test_id(f"ticket-{ticket['id']}").or_(page.get_by_test_id("login")).first).to_be_visible()
    if page.get_by_test_id("login").is_visible():
        open_app(page, username, f"/h5/estates/{code}/repairs")
    settle(page)
    shot("list-resolved")
    page.get_by_test_id(f"ticket-{ticket['id']}").click()
    expect(page.get_by_test_id("ticket-status")).to_have_attribute("data-status", "resolved")
    expect(page.get_by_text("更换LED灯泡").first).to_be_visible()
    shot("resolved")

    page.get_by_test_id("rating").get_by_role("radio").nth(4).click()
    page.get_by_test_id("rating-comment").fill("修得很快，谢谢")
    shot("rated")
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/confirm")) as confirmed:
        page.get_by_test_id("confirm-fix").click()
    assert confirmed.value.status == 200, confirmed.value.text()
    expect(page.get_by_test_id("ticket-status")).to_have_attribute("data-status", "confirmed")
    settle(page)
    shot("confirmed")

    final = httpx.get(tickets, headers=bearer(resident), timeout=30)
    assert final.status_code == 200, final.text
    detail = final.json()["ticket"]
    assert detail["status"] == "confirmed", detail
    assert detail["rating"]["score"] == 5, detail
    assert detail["rating"]["comment"] == "修得很快，谢谢", detail
