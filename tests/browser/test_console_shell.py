"""The desk console's shell in a real browser, against the running stack (issue 14, "Done when").

- a firm manager of one estate who edits another estate's console address into the browser is
  refused (the forbidden page), and the page asks no API about that estate and shows none of it;
- the menu shows each role only its sections (the platform team no estate's, the firm no district's);
- every page of the menu, for each desk role, renders in zh-CN and then in English with no missing
  catalogue key (``<html data-i18n-missing>``, web/src/console/i18n.ts) and no raw key on the screen.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, Request, expect

from tests.browser.console_pages import go_to, missing_keys, open_console, switch_language
from tests.e2e.conftest import (  # noqa: F401  (fixtures, used by name)
    admin_token,
    keycloak,
    make_estate,
    tenant_api,
)
from tests.harness import WEB_URL

pytestmark = pytest.mark.browser

SECTIONS = ["firm", "service", "supervisor", "community", "platform", "committee"]
ESTATE_SECTIONS = {"firm", "service", "supervisor", "community"}
DISTRICT_SECTIONS = {"platform", "committee"}
# A message key shown raw: two or more dotted lower-camel segments under a known namespace.
RAW_KEY = re.compile(
    r"\b(?:common|auth|layout|sections|home|forbidden|notFound|" + "|".join(SECTIONS) + r")\.[a-z][\w]*(?:\.[\w]+)*\b"
)


def nav_sections(page: Page) -> set[str]:
    testids = page.locator('[data-testid^="nav-section-"]').evaluate_all(
        "els => els.map(e => e.getAttribute('data-testid'))"
    )
    return {str(testid).removeprefix("nav-section-") for testid in testids}


def nav_entries(page: Page) -> list[str]:
    testids = page.locator('[data-testid="console-nav"] [data-testid^="nav-"]').evaluate_all(
        "els => els.map(e => e.getAttribute('data-testid'))"
    )
    return [str(t) for t in testids if not str(t).startswith("nav-section-")]


def test_a_firm_manager_cannot_open_another_estates_console_pages(
    desk_page: Page,
    desk_shot: Callable[[str], Path],
    front_door: str,
    console_built: None,
    make_estate,  # noqa: F811
) -> None:
    mine = make_estate("cmine")
    theirs = make_estate("ctheirs")
    asked_theirs: list[str] = []

    def watch(request: Request) -> None:
        if "/api/" in request.url and theirs.code in request.url:
            asked_theirs.append(request.url)

    desk_page.on("request", watch)
    open_console(desk_page, mine.manager_username)
    # One estate: straight to its pages.
    expect(desk_page).to_have_url(re.compile(re.escape(f"{WEB_URL}/console/estates/{mine.code}/")))
    expect(desk_page.get_by_test_id("forbidden")).to_have_count(0)
    desk_shot("own-estate")
    own_path = f"/estates/{mine.code}/firm"

    # The firm's page of the other estate, by editing the address: in the app, and by a fresh load.
    other_path = f"/estates/{theirs.code}/firm"
    go_to(desk_page, other_path)
    expect(desk_page.get_by_test_id("forbidden")).to_be_visible()
    expect(desk_page.get_by_test_id("forbidden")).to_contain_text(theirs.code)
    desk_shot("other-estate-refused")

    open_console(desk_page, mine.manager_username, path=f"/console{other_path}")
    expect(desk_page.get_by_test_id("forbidden")).to_be_visible()
    body = desk_page.locator("body").inner_text()
    assert f"测试小区 {theirs.code}" not in body
    assert asked_theirs == [], asked_theirs
    # The estate switcher offers only the manager's own estate.
    go_to(desk_page, own_path)
    expect(desk_page.get_by_test_id("forbidden")).to_have_count(0)
    switcher = desk_page.get_by_test_id("estate-switcher")
    if switcher.count():
        switcher.click()
        # Waits for the dropdown to render its options (a bare read right after the click may find none).
        expect(desk_page.locator(".el-select-dropdown__item:visible")).to_have_text([mine.code])


@pytest.mark.parametrize(
    ("username", "allowed", "refused"),
    [
        ("platform-admin", {"platform"}, ESTATE_SECTIONS | {"committee"}),
        ("governance-observer", {"committee"}, ESTATE_SECTIONS | {"platform"}),
        ("firm-manager", {"firm"}, DISTRICT_SECTIONS),
        ("supervisor", {"supervisor"}, DISTRICT_SECTIONS | {"firm"}),
        ("community-officer", {"community"}, {"platform", "committee", "supervisor"}),
    ],
)
def test_the_menu_shows_each_role_only_its_sections(
    desk_page: Page,
    front_door: str,
    console_built: None,
    username: str,
    allowed: set[str],
    refused: set[str],
) -> None:
    open_console(desk_page, username)
    shown = nav_sections(desk_page)
    assert allowed <= shown, (username, shown)
    assert not (refused & shown), (username, shown)


@pytest.mark.parametrize(
    "username",
    ["platform-admin", "governance-observer", "firm-manager", "firm-staff", "supervisor", "community-officer"],
)
def test_every_page_renders_in_both_languages_with_no_missing_key(
    desk_page: Page, desk_shot: Callable[[str], Path], front_door: str, console_built: None, username: str
) -> None:
    open_console(desk_page, username)
    entries = nav_entries(desk_page)
    assert entries, f"{username} sees no console page"
    for language in ("zh-CN", "en"):
        if language == "en":
            switch_language(desk_page)
        for entry in entries:
            desk_page.get_by_test_id(entry).click()
            desk_page.wait_for_load_state("networkidle")
            expect(desk_page.get_by_test_id("console-ready")).to_be_visible()
            # Loading states settle (Element Plus' v-loading mask).
            expect(desk_page.locator(".el-loading-mask:visible")).to_have_count(0, timeout=20_000)
            assert missing_keys(desk_page) == [], (language, entry, missing_keys(desk_page))
            text = desk_page.locator("body").inner_text()
            assert not RAW_KEY.findall(text), (language, entry, RAW_KEY.findall(text))
            assert desk_page.evaluate("() => document.documentElement.lang") == language
        desk_shot(f"{language}-last-page")
