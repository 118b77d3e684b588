"""The residents' phone pages in a real browser, against the running stack (issue 13, "Done when").

Each test arranges its own estates through the APIs (nothing of the demo's): estate A with two
households of different areas, billed for this month, a budget the owners adopted by ballot and a
resident account for each household; estate B beside it, with households of its own.

- a resident logs in through Keycloak's real page and reads the month's books and the budget chart;
- a resident of A who types B's addresses sees none of B (the estate picker says ``estate-denied``,
  and every call to B's API the page makes answers 403), and sees only their own household's bills,
  also when a household id of the neighbour is put into the page's own API call;
- every page, in zh-CN and then in English, has no missing catalogue key (the app reports one by a
  console error and ``<html data-i18n-missing>``, web/src/i18n/index.ts) and shows no raw key;
- no page is wider than the phone's 360 px, in either language.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page, Response, expect

from tests.e2e.conftest import (  # noqa: F401  (fixtures, used by name)
    admin_token,
    keycloak,
    make_member,
    onboard,
    tenant_api,
    wait_for_books,
)
from tests.e2e.test_budget_expenses import decide_by_ballot, plans
from tests.harness import (
    REPO_DIR,
    WEB_URL,
    bearer,
    claim_member,
    eventually,
    household_csv,
    http_url,
    run_billing,
    unique_code,
)

pytestmark = pytest.mark.browser

RESIDENT_PASSWORD = "a-long-password-1"
PERIOD = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
YEAR = int(PERIOD[:4])
SECTIONS = ["household", "books", "verify", "ballots", "repairs", "fund"]
AUTH_URL = re.compile(r".*/protocol/openid-connect/auth\?")
LOCALES_DIR = REPO_DIR / "web" / "src" / "locales"


# --- arranging the estates --------------------------------------------------------------------------


@dataclass
class Resident:
    username: str
    token: str
    household_id: str


@dataclass
class Estates:
    a: str
    b: str
    residents: list[Resident]  # of A: one for each of its two households
    b_households: list[str] = field(default_factory=list)


def username_of(token: str) -> str:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["preferred_username"]


@pytest.fixture(scope="module")
def estates(tenant_api, admin_token, make_member) -> Iterator[Estates]:  # noqa: F811
    # Estate A: two households, 90.00 and 120.55 m², so their bills differ.
    a = unique_code("h5a")
    assert onboard(tenant_api, admin_token, a).status_code == 201
    _, manager = make_member(a, "firm_manager")
    _, supervisor = make_member(a, "supervisor")
    imported = tenant_api.post(
        f"/v1/estates/{a}/households/import",
        files={"file": ("a.csv", household_csv(2, bad_lines={0: {"面积": "90"}, 1: {"面积": "120.55"}}), "text/csv")},
        headers=bearer(manager),
    )
    assert imported.status_code in (200, 201), imported.text
    households = imported.json()["household_ids"]
    tokens = [claim_member(tenant_api, a, manager, households[i], f"1390000{i:04d}") for i in range(2)]
    residents = [Resident(username_of(t), t, h) for t, h in zip(tokens, households, strict=True)]
    wait_for_books(a, manager)

    with httpx.Client(base_url=f"{http_url('ledger')}/v1/estates/{a}", headers=bearer(manager), timeout=60) as ledger:
        run_billing(ledger, "/billing-runs", PERIOD, f"h5-bill-{uuid.uuid4()}")
        drafted = ledger.post(
            "/budget-drafts", json={"year": YEAR, "plans": plans(), "large_expense_threshold_fen": 5_000_000}
        )
        assert drafted.status_code == 201, drafted.text
        draft = drafted.json()
        decide_by_ballot(
            tenant_api,
            a,
            supervisor,
            tokens,
            draft["ballot_subject"],
            ["基础方案", "提升方案"],
            ["提升方案", "提升方案"],
        )

        def adopted() -> dict[str, object] | None:
            response = ledger.get(f"/budgets/{YEAR}", headers=bearer(tokens[0]))
            return response.json() if response.status_code == 200 else None

        eventually(adopted, timeout=90, what="the ledger to adopt the winning plan")

    # Estate B: households of its own, none of A's residents among its members.
    b = unique_code("h5b")
    assert onboard(tenant_api, admin_token, b).status_code == 201
    _, b_manager = make_member(b, "firm_manager")
    b_imported = tenant_api.post(
        f"/v1/estates/{b}/households/import",
        files={"file": ("b.csv", household_csv(2, prefix="B"), "text/csv")},
        headers=bearer(b_manager),
    )
    assert b_imported.status_code in (200, 201), b_imported.text
    yield Estates(a, b, residents, b_imported.json()["household_ids"])


def account(estate: str, resident: Resident, household_id: str | None = None) -> httpx.Response:
    return httpx.get(
        f"{http_url('ledger')}/v1/estates/{estate}/households/{household_id or resident.household_id}/account",
        headers=bearer(resident.token),
        timeout=30,
    )


def fen(amount: int) -> str:
    """As the app shows money (src/i18n/format.ts): ¥1,234.56."""
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount) // 100:,}.{abs(amount) % 100:02d}"


# --- the browser's side -----------------------------------------------------------------------------


def keycloak_log_in(page: Page, username: str, password: str = RESIDENT_PASSWORD) -> None:
    """Keycloak's own page: the user name first, then the password."""
    page.locator("#username").fill(username)
    if not page.locator("#password").is_visible():
        page.locator("#kc-login").click()
    page.locator("#password").fill(password)
    page.locator("#kc-login").click()


def open_app(page: Page, username: str, path: str = "/h5/") -> None:
    """Opens ``path`` as a new visit (tokens live in memory only): the app's log-in button, then
    Keycloak's page if its session does not answer by itself (it does after the first log-in)."""
    page.goto(f"{WEB_URL}{path}")
    log_in_again(page, username)


def log_in_again(page: Page, username: str) -> None:
    login, form, ready = page.get_by_test_id("login"), page.locator("#username"), page.get_by_test_id("app-ready")
    for _ in range(4):
        expect(login.or_(form).or_(ready).first).to_be_visible()
        if ready.is_visible():
            break
        if form.is_visible():
            keycloak_log_in(page, username)
            page.wait_for_url(re.compile(re.escape(f"{WEB_URL}/h5/")))
        elif login.is_visible():
            login.click()
            page.wait_for_url(lambda url: "/h5/login" not in url)
    expect(ready).to_be_visible()
    settle(page)


def settle(page: Page) -> None:
    """The page has loaded: no request in flight and no loading indicator left."""
    page.wait_for_load_state("networkidle")
    expect(page.locator(".van-loading:visible")).to_have_count(0)


def catalogue_namespaces() -> set[str]:
    """The catalogues' top-level keys (common, books, …): a visible ``books.title`` is a raw key."""
    names: set[str] = set(SECTIONS)
    for catalogue in LOCALES_DIR.glob("*.ts"):
        names.update(re.findall(r"^  ([A-Za-z]\w*): \{", catalogue.read_text(), flags=re.M))
    return names


RAW_KEY = re.compile(r"\b(?:" + "|".join(sorted(catalogue_namespaces())) + r")\.[A-Za-z][\w.]*")

OVERFLOW_JS = """() => {
  const width = window.innerWidth;
  const clipped = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const style = getComputedStyle(p);
      if (['hidden', 'auto', 'scroll', 'clip'].includes(style.overflowX)) {
        const r = p.getBoundingClientRect();
        if (r.right <= width + 1 && r.left >= -1) return true;
      }
    }
    return false;
  };
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') continue;
    if ((r.width > width + 1 || r.right > width + 1 || r.left < -1) && !clipped(el)) {
      wide.push(`${el.tagName.toLowerCase()}${el.dataset.testid ? '[' + el.dataset.testid + ']' : ''}`
        + `.${[...el.classList].join('.')} (${Math.round(r.left)}..${Math.round(r.right)})`);
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: width, wide: wide.slice(0, 10)};
}"""


def check_page(page: Page, console: list[str], where: str, problems: list[str]) -> None:
    """Collects what is wrong with the page as it is now: missing keys, raw keys, overflow."""
    settle(page)
    missing = page.evaluate("document.documentElement.dataset.i18nMissing || ''")
    if missing:
        problems.append(f"{where}: missing i18n keys {missing}")
    warnings = [m for m in console if re.search(r"\[intlify\]|\[i18n\]|Not found '.*' key", m)]
    if warnings:
        problems.append(f"{where}: i18n console messages {warnings}")
    console.clear()
    text = page.locator("body").inner_text()
    raw = sorted(set(RAW_KEY.findall(text)))
    if raw:
        problems.append(f"{where}: raw keys on the page {raw}")
    overflow = page.evaluate(OVERFLOW_JS)
    if overflow["scrollWidth"] > overflow["innerWidth"] or overflow["wide"]:
        problems.append(f"{where}: wider than {overflow['innerWidth']}px: {overflow}")


def html_lang(page: Page) -> str:
    return page.evaluate("document.documentElement.lang")


# --- 1. log in, the month's books and the budget chart ----------------------------------------------


def test_a_resident_logs_in_and_reads_the_months_books_and_budget_chart(
    page: Page, shot, estates: Estates, front_door, app_built
) -> None:
    resident = estates.residents[0]
    page.goto(f"{WEB_URL}/h5/")
    expect(page.locator("#username").or_(page.get_by_test_id("login")).first).to_be_visible()
    if page.get_by_test_id("login").is_visible():
        shot("app-log-in")
        page.get_by_test_id("login").click()
    page.wait_for_url(AUTH_URL)
    expect(page.locator("#username")).to_be_visible()
    shot("keycloak-log-in")
    keycloak_log_in(page, resident.username)
    page.wait_for_url(re.compile(re.escape(f"{WEB_URL}/h5/estates/{estates.a}/household")))
    expect(page.get_by_test_id("app-ready")).to_be_visible()
    expect(page.get_by_test_id(f"household-{resident.household_id}")).to_be_visible()
    expect(page.get_by_test_id(f"bill-{PERIOD}")).to_be_visible()
    shot("household")

    page.get_by_test_id("tab-books").click()
    page.wait_for_url(re.compile(rf".*/h5/estates/{estates.a}/books"))
    settle(page)
    expect(page.get_by_test_id("budget-section")).to_be_visible()
    expect(page.get_by_test_id("no-budget")).to_have_count(0)
    chart = page.get_by_test_id("budget-chart")
    expect(chart).to_be_visible()
    expect(chart.locator("canvas, svg").first).to_be_visible()  # ECharts drew it
    box = chart.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 100, box
    for line in ("5100", "5200", "5600"):
        expect(page.get_by_test_id(f"budget-line-{line}")).to_be_visible()
    expect(page.get_by_test_id("budget-section")).to_contain_text("提升方案")
    shot("books")
    chart.scroll_into_view_if_needed()
    shot("budget-chart")

    # The month as an address of its own, too.
    open_app(page, resident.username, f"/h5/estates/{estates.a}/books/{PERIOD}")
    expect(page.get_by_test_id("budget-chart")).to_be_visible()
    shot("books-by-address")


# --- 2. isolation in the browser ----------------------------------------------------------------------


def test_a_resident_who_types_another_estates_address_sees_none_of_it(
    page: Page, shot, estates: Estates, front_door, app_built
) -> None:
    resident = estates.residents[0]
    responses: list[tuple[str, int]] = []
    requests: list[str] = []
    b_api = re.compile(rf"/api/[^/]+/.*estates/{re.escape(estates.b)}(/|$|\?)")
    page.on("request", lambda r: requests.append(r.url) if b_api.search(r.url) else None)

    def record(response: Response) -> None:
        if b_api.search(response.url):
            responses.append((response.url, response.status))

    page.on("response", record)
    open_app(page, resident.username)
    shot("own-household")

    for path in ("household", f"books/{PERIOD}", "books", "verify", "ballots", "repairs", "fund"):
        open_app(page, resident.username, f"/h5/estates/{estates.b}/{path}")
        page.wait_for_url(re.compile(r".*/h5/estates\?denied="))
        denied = page.get_by_test_id("estate-denied")
        expect(denied).to_be_visible()
        expect(denied).to_contain_text(estates.b)
        settle(page)
        text = page.locator("body").inner_text()
        for household in estates.b_households:
            assert household not in text
        assert f"测试小区 {estates.b}" not in text, "B's name must not show"
        expect(page.get_by_test_id(f"estate-{estates.b}")).to_have_count(0)
        expect(page.get_by_test_id(f"estate-{estates.a}")).to_be_visible()
        shot(f"denied-{path.replace('/', '-')}")

    answered = {url for url, _ in responses}
    assert all(status == 403 for _, status in responses), responses
    assert set(requests) == answered, "every request to B's API was answered, and only by a 403"

    # The API itself refuses the resident B's books and households.
    for url in (
        f"{http_url('ledger')}/v1/estates/{estates.b}/statements/{PERIOD}",
        f"{http_url('tenant')}/v1/estates/{estates.b}/my-households",
        f"{http_url('ledger')}/v1/estates/{estates.b}/households/{estates.b_households[0]}/account",
    ):
        assert httpx.get(url, headers=bearer(resident.token), timeout=30).status_code == 403, url


def test_a_resident_sees_only_their_own_households_bills(
    page: Page, shot, estates: Estates, front_door, app_built
) -> None:
    me, neighbour = estates.residents
    mine = account(estates.a, me)
    theirs = account(estates.a, neighbour)
    assert mine.status_code == 200 and theirs.status_code == 200, (mine.text, theirs.text)
    my_bills = {bill["period"]: bill["amount_fen"] for bill in mine.json()["bills"]}
    their_bills = {bill["period"]: bill["amount_fen"] for bill in theirs.json()["bills"]}
    assert PERIOD in my_bills and PERIOD in their_bills
    assert my_bills[PERIOD] != their_bills[PERIOD], "the two households are billed differently"

    api_urls: list[str] = []
    page.on("request", lambda r: api_urls.append(r.url) if "/api/" in r.url else None)
    open_app(page, me.username)
    expect(page.get_by_test_id(f"household-{me.household_id}")).to_be_visible()
    expect(page.get_by_test_id(f"household-{neighbour.household_id}")).to_have_count(0)
    for period, amount in my_bills.items():
        expect(page.get_by_test_id(f"bill-{period}")).to_contain_text(fen(amount))
    expect(page.locator('[data-testid^="bill-"]')).to_have_count(len(my_bills))
    text = page.locator("body").inner_text()
    assert fen(their_bills[PERIOD]) not in text
    assert neighbour.household_id not in text
    assert not any(neighbour.household_id in url for url in api_urls), api_urls
    shot("own-bills-only")

    # Every API call the page made with a household id, and the page's own account call, with the
    # neighbour's id put in instead: the API answers nothing of theirs, and the page shows none of it.
    with_ids = sorted({url for url in api_urls if me.household_id in url})
    assert with_ids, "the page asks for the household's account"
    swapped: list[tuple[str, int]] = []

    def swap(route) -> None:  # type: ignore[no-untyped-def]
        url = route.request.url.replace(me.household_id, neighbour.household_id)
        response = route.fetch(url=url)
        swapped.append((url, response.status))
        route.fulfill(response=response)

    page.route(re.compile(rf".*/api/.*{re.escape(me.household_id)}.*"), swap)
    open_app(page, me.username)
    assert swapped, "the page's household call went through the swap"
    assert all(status in (403, 404) for _, status in swapped), swapped
    text = page.locator("body").inner_text()
    assert fen(their_bills[PERIOD]) not in text
    expect(page.locator('[data-testid^="bill-"]')).to_have_count(0)
    shot("neighbours-id-refused")
    for url in with_ids:
        other = url.replace(me.household_id, neighbour.household_id).replace(WEB_URL, "")
        refused = httpx.get(f"{WEB_URL}{other}", headers=bearer(me.token), timeout=30)
        assert refused.status_code in (403, 404), (other, refused.status_code, refused.text)
        assert str(their_bills[PERIOD]) not in refused.text


# --- 3 and 4. every page, both languages: no missing key, nothing wider than the phone ------------------


def test_every_page_in_both_languages_has_every_text_and_fits_the_phone(
    page: Page, shot, estates: Estates, front_door, app_built
) -> None:
    resident = estates.residents[0]
    console: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    problems: list[str] = []

    # The app's log-in page, zh-CN then English (and back: the walk starts in zh-CN).
    page.goto(f"{WEB_URL}/h5/login")
    expect(page.get_by_test_id("login")).to_be_visible()
    assert html_lang(page) == "zh-CN"
    check_page(page, console, "login zh-CN", problems)
    shot("login-zh-CN")
    page.get_by_test_id("language-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    check_page(page, console, "login en", problems)
    shot("login-en")
    page.get_by_test_id("language-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")

    page.get_by_test_id("login").click()
    page.wait_for_url(AUTH_URL)
    keycloak_log_in(page, resident.username)
    page.wait_for_url(re.compile(rf".*/h5/estates/{estates.a}/household"))
    expect(page.get_by_test_id("app-ready")).to_be_visible()

    for language in ("zh-CN", "en"):
        if html_lang(page) != language:
            page.get_by_test_id("language-switch").click()
            expect(page.locator("html")).to_have_attribute("lang", language)
        for section in SECTIONS:
            page.get_by_test_id(f"tab-{section}").click()
            page.wait_for_url(re.compile(rf".*/h5/estates/{estates.a}/{section}"))
            check_page(page, console, f"{section} {language}", problems)
            shot(f"{section}-{language}")
        # The estate picker (a reload: Keycloak's session logs in again, the language is kept).
        open_app(page, resident.username, "/h5/estates")
        expect(page.get_by_test_id(f"estate-{estates.a}")).to_be_visible()
        assert html_lang(page) == language
        check_page(page, console, f"estates {language}", problems)
        shot(f"estates-{language}")
        page.get_by_test_id(f"estate-{estates.a}").click()
        page.wait_for_url(re.compile(rf".*/h5/estates/{estates.a}/household"))
        expect(page.get_by_test_id("tabbar")).to_be_visible()

    assert problems == [], "\n".join(problems)
