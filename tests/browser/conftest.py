"""Fixtures of the browser tests: Debian's chromium driven by Playwright through the front door.

Playwright never downloads a browser here (it cannot on these machines; the PyPI package brings
only its driver, and nothing runs ``playwright install``): it launches ``/usr/bin/chromium`` from
Debian's package (``deploy/system-packages.sh tests``, run by ``make test``), headless, with the
flags that keep it off the network beyond this machine. Each test gets a fresh context (no cookies, no storage) at a phone's 360 × 740, in zh-CN and
Asia/Shanghai, and a ``shot`` to record a step. Screenshots go to
``$XINYI_STATE/screenshots/<run>/<test>/NN-step.png`` (``XINYI_SCREENSHOTS`` overrides the folder):
outside the work tree, so nothing is committed, and kept for the last runs on the machine, CI's too;
a failed test adds its last screen and the page's console.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from tests.harness import REPO_DIR, STATE_DIR, WEB_URL

CHROMIUM = Path(os.environ.get("XINYI_CHROMIUM", "/usr/bin/chromium"))
# As the machine notes give them: no sandbox (the tests run as root), and nothing that phones
# home (this machine's network refuses it, many connections at a time).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 360, "height": 740}
DESK_VIEWPORT = {"width": 1440, "height": 900}
WEB_DIST = REPO_DIR / "web" / "dist"
SCREENSHOT_ROOT = Path(os.environ.get("XINYI_SCREENSHOTS", STATE_DIR / "screenshots"))
KEEP_RUNS = 10

Shot = Callable[[str], Path]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Keeps each phase's report on the test, so ``page`` knows at teardown whether the test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="session")
def screenshot_run() -> Path:
    """This run's folder, the older runs beyond the last few removed."""
    run = SCREENSHOT_ROOT / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    run.mkdir(parents=True, exist_ok=True)
    runs = sorted(p for p in SCREENSHOT_ROOT.iterdir() if p.is_dir() and re.fullmatch(r"\d{8}T\d{6}Z", p.name))
    for old in runs[:-KEEP_RUNS]:
        shutil.rmtree(old, ignore_errors=True)
    return run


@pytest.fixture(scope="session")
def front_door() -> str:
    """The front door's address, once it answers (``deploy/nginx.sh up``; ``make test`` starts it)."""
    try:
        response = httpx.get(f"{WEB_URL}/config.json", timeout=10)
    except httpx.HTTPError as error:
        pytest.fail(f"the front door does not answer at {WEB_URL} ({error}): run deploy/nginx.sh up")
    assert response.status_code == 200, response.text
    return WEB_URL


@pytest.fixture(scope="session")
def app_built() -> None:
    """The residents' app is built (web/dist/h5/index.html). Its absence is the only reason a browser
    test of the app skips: the front door serves a placeholder until web/ is built."""
    if not (WEB_DIST / "h5" / "index.html").is_file():
        pytest.skip("web/dist/h5/index.html is missing: the residents' app is not built yet (deploy/web.sh build)")


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run deploy/system-packages.sh tests (Debian's chromium)")
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


def recorded_page(
    browser: Browser, request: pytest.FixtureRequest, screenshot_run: Path, **context_options: object
) -> Iterator[Page]:
    """A page in a fresh context, its console recorded; on failure its last screen and console kept."""
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **context_options)  # type: ignore[arg-type]
    context.set_default_timeout(30_000)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        folder = step_folder(screenshot_run, request.node.name)
        page.screenshot(path=folder / "failed.png", full_page=True)
        (folder / "console.txt").write_text("\n".join([f"url: {page.url}", *console]) + "\n")
    context.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest, screenshot_run: Path) -> Iterator[Page]:
    """A phone: 360 × 740, touch."""
    yield from recorded_page(
        browser, request, screenshot_run, viewport=VIEWPORT, device_scale_factor=2, is_mobile=True, has_touch=True
    )


@pytest.fixture
def desk_page(browser: Browser, request: pytest.FixtureRequest, screenshot_run: Path) -> Iterator[Page]:
    """A desk: 1440 × 900 (the staff console, tests/browser/console_pages.py)."""
    yield from recorded_page(browser, request, screenshot_run, viewport=DESK_VIEWPORT)


def shooter(page: Page, request: pytest.FixtureRequest, screenshot_run: Path) -> Shot:
    steps = 0

    def take(step: str) -> Path:
        nonlocal steps
        steps += 1
        path = step_folder(screenshot_run, request.node.name) / f"{steps:02d}-{step}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return take


@pytest.fixture
def shot(page: Page, request: pytest.FixtureRequest, screenshot_run: Path) -> Shot:
    """``shot("logged-in")`` saves the page as NN-logged-in.png in this test's folder."""
    return shooter(page, request, screenshot_run)


@pytest.fixture
def desk_shot(desk_page: Page, request: pytest.FixtureRequest, screenshot_run: Path) -> Shot:
    """``desk_shot("onboarded")``: the same for ``desk_page``."""
    return shooter(desk_page, request, screenshot_run)


@pytest.fixture(scope="session")
def console_built() -> None:
    """The desk console is built (web/dist/console/index.html); else its browser tests skip."""
    if not (WEB_DIST / "console" / "index.html").is_file():
        pytest.skip("web/dist/console/index.html is missing: the console is not built yet (deploy/web.sh build)")


def step_folder(run: Path, test_name: str) -> Path:
    folder = run / re.sub(r"[^\w.-]+", "_", test_name)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
