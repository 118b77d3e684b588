"""Helpers of the desk console's browser tests (web/src/console, served at /console/).

``open_console(page, "firm-manager")`` goes to the console, through Keycloak's real log-in page, and
waits until the console marks ``[data-testid="console-ready"]`` (logged in, layout drawn).
``missing_keys(page)`` gives the catalogue keys the page lacked (``<html data-i18n-missing>``, set by
web/src/console/i18n.ts as the resident pages do).
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.harness import DEMO_PASSWORD, KEYCLOAK_URL, REALM, WEB_URL

CONSOLE_URL = f"{WEB_URL}/console"
AUTH_URL = re.compile(re.escape(f"{KEYCLOAK_URL}/realms/{REALM}/protocol/openid-connect/auth") + r"\?")


def keycloak_log_in(page: Page, username: str, password: str = DEMO_PASSWORD) -> None:
    """Keycloak's own form: the username first, then the password on the next page (identity-first),
    or both on one page."""
    page.locator("#username").fill(username)
    if not page.locator("#password").is_visible():
        page.locator("#kc-login").click()
    page.locator("#password").fill(password)
    page.locator("#kc-login").click()


def open_console(page: Page, username: str, path: str = "/console/", password: str = DEMO_PASSWORD) -> None:
    """Opens ``path`` (under /console/) as ``username``, logging in through Keycloak, and waits until the
    console is ready. The console keeps tokens in memory only: a later ``page.goto`` logs in again,
    so move around inside the app (menu, ``go_to``) rather than by reloading."""
    if not path.startswith("/console"):
        path = "/console/" + path.lstrip("/")
    page.goto(f"{WEB_URL}{path}")
    ready = page.get_by_test_id("console-ready")
    login_button = page.get_by_test_id("login")
    expect(page.locator("#kc-login").or_(login_button).or_(ready).first).to_be_visible()
    if login_button.is_visible():
        login_button.click()
    # Keycloak's form, unless this browser already has a Keycloak session (then straight back).
    expect(page.locator("#username").or_(ready).first).to_be_visible()
    if page.locator("#username").is_visible():
        keycloak_log_in(page, username, password)
    expect(page.get_by_test_id("console-ready")).to_be_visible()


def go_to(page: Page, path: str) -> None:
    """Moves to ``path`` (under /console/) inside the running app, as a link would — without reloading
    the page (which would drop the in-memory session) — and waits for the route to settle."""
    if path.startswith("/console"):
        path = path[len("/console") :] or "/"
    page.evaluate(
        """async (path) => {
            const app = document.querySelector('#app').__vue_app__;
            const router = app.config.globalProperties.$router;
            await router.push(path);
        }""",
        path,
    )
    page.wait_for_load_state("networkidle")


def missing_keys(page: Page) -> list[str]:
    """The catalogue keys the page asked for and did not find, as ``locale:key``."""
    value = page.evaluate("() => document.documentElement.dataset.i18nMissing || ''")
    return [key for key in str(value).split() if key]


def switch_language(page: Page) -> None:
    """The header's language switch (zh-CN ⇄ English)."""
    before = page.evaluate("() => document.documentElement.lang")
    page.get_by_test_id("language-switch").first.click()
    expect(page.locator("html")).not_to_have_attribute("lang", before)
