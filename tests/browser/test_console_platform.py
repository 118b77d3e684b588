"""The platform team's console pages in a real browser, against the running stack (issue 14).

- the platform team onboards an estate through the console's form, its place in the hierarchy and
  its rules typed — checked through the registry's API: the estate exists with exactly those rules,
  and its rules history has the onboarding entry;
- a refused form (a code already taken by other details) keeps everything typed and shows the
  API's own reason.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.console_pages import open_console
from tests.e2e.conftest import (  # noqa: F401  (fixtures, used by name)
    admin_token,
    estate_body,
    onboard,
    tenant_api,
)
from tests.harness import COMMUNITY, DISTRICT, SUB_DISTRICT, bearer, unique_code

pytestmark = pytest.mark.browser


def field(page: Page, testid: str) -> Locator:
    """The text box of a form field (Element Plus puts the test id on the <input> or around it)."""
    return page.locator(f'input[data-testid="{testid}"], [data-testid="{testid}"] input').first


def choose(page: Page, testid: str, code: str) -> None:
    """Picks the option ``… (code)`` of a filterable Element Plus select."""
    page.locator(f'[data-testid="{testid}"]').first.click()
    page.keyboard.type(code)
    page.locator(".el-select-dropdown__item:visible", has_text=f"({code})").first.click()


def fill_identity(page: Page, code: str, name: str) -> None:
    field(page, "onboard-code").fill(code)
    field(page, "onboard-name").fill(name)
    choose(page, "onboard-district", DISTRICT)
    choose(page, "onboard-sub-district", SUB_DISTRICT)
    choose(page, "onboard-community", COMMUNITY)


def set_number(page: Page, testid: str, value: str) -> None:
    box = field(page, testid)
    box.fill(value)
    # Leaving the box commits the number (blur, not Tab: Tab would open the next field's picker).
    box.evaluate("element => element.blur()")


def test_the_platform_team_onboards_an_estate_through_the_form(
    desk_page: Page,
    desk_shot: Callable[[str], Path],
    front_door: str,
    console_built: None,
    tenant_api: httpx.Client,  # noqa: F811
    admin_token: str,  # noqa: F811
) -> None:
    code = unique_code("cons")
    open_console(desk_page, "platform-admin", "/console/platform/onboard")
    expect(desk_page.get_by_test_id("onboard-form")).to_be_visible()
    fill_identity(desk_page, code, f"控制台小区 {code}")
    field(desk_page, "onboard-firm").fill("信义测试物业")
    field(desk_page, "onboard-fee-rate").fill("42.5")
    expect(desk_page.get_by_test_id("onboard-fee-yuan")).to_contain_text("¥0.425")
    set_number(desk_page, "onboard-remuneration", "12.5")
    set_number(desk_page, "onboard-donation", "20")
    set_number(desk_page, "onboard-billing-day", "5")
    desk_page.get_by_test_id("onboard-basis").get_by_text("按应收物业费").click()
    desk_shot("form-filled")
    desk_page.get_by_test_id("onboard-submit").click()
    expect(desk_page.get_by_test_id("onboard-done")).to_be_visible()
    desk_shot("onboarded")

    # The registry has it, with the rules typed.
    estate = tenant_api.get(f"/v1/estates/{code}", headers=bearer(admin_token))
    assert estate.status_code == 200, estate.text
    got = estate.json()
    assert got["name"] == f"控制台小区 {code}"
    assert (got["district_code"], got["sub_district_code"], got["community_code"]) == (
        DISTRICT,
        SUB_DISTRICT,
        COMMUNITY,
    )
    assert got["firm_name"] == "信义测试物业"
    assert got["status"] == "active"
    rules = tenant_api.get(f"/v1/estates/{code}/rules", headers=bearer(admin_token)).json()
    assert rules["in_force"] == {
        "fee_rate_fen_per_sqm_month": "42.5",
        "remuneration_share_bps": 1250,
        "donation_share_bps": 2000,
        "remuneration_basis": "billed",
        "billing_day": 5,
    }, rules
    assert len(rules["history"]) == 1 and rules["history"][0]["changed_by"] == "platform-admin", rules

    # Its page shows the same rules and their history.
    desk_page.get_by_test_id("onboard-open-estate").click()
    expect(desk_page.get_by_test_id("rules-in-force")).to_contain_text("42.5")
    expect(desk_page.get_by_test_id("rules-in-force")).to_contain_text("12.50%")
    expect(desk_page.get_by_test_id("rules-history").locator("tbody tr")).to_have_count(1)
    desk_shot("estate-page")


def test_a_refused_onboarding_keeps_the_form_and_shows_the_reason(
    desk_page: Page,
    desk_shot: Callable[[str], Path],
    front_door: str,
    console_built: None,
    tenant_api: httpx.Client,  # noqa: F811
    admin_token: str,  # noqa: F811
) -> None:
    code = unique_code("ctaken")
    assert onboard(tenant_api, admin_token, code).status_code == 201
    other_name = f"另一个小区 {code}"
    # What the registry says to the same request.
    expected = tenant_api.post(
        "/v1/estates",
        json=estate_body(code, name=other_name, firm_name="别家物业"),
        headers=bearer(admin_token),
    )
    assert expected.status_code == 409, expected.text
    reason = expected.json()["reason"]

    open_console(desk_page, "platform-admin", "/console/platform/onboard")
    fill_identity(desk_page, code, other_name)
    field(desk_page, "onboard-firm").fill("别家物业")
    desk_page.get_by_test_id("onboard-submit").click()
    error = desk_page.get_by_test_id("onboard-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text(reason)
    desk_shot("refused")
    # Everything typed is still there; nothing was onboarded under the other name.
    expect(field(desk_page, "onboard-code")).to_have_value(code)
    expect(field(desk_page, "onboard-name")).to_have_value(other_name)
    expect(field(desk_page, "onboard-firm")).to_have_value("别家物业")
    expect(desk_page.get_by_test_id("onboard-community")).to_contain_text(COMMUNITY)
    expect(desk_page.get_by_test_id("onboard-done")).to_have_count(0)
    kept = tenant_api.get(f"/v1/estates/{code}", headers=bearer(admin_token)).json()
    assert kept["name"] == f"测试小区 {code}", kept
