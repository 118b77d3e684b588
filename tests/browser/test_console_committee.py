"""The committee's dashboard in a real browser, against the running stack (issue 14, "Done when").

The demo's ``governance-observer`` opens the dashboard, filters a month, reads the district's and the
demo estate's figures, compares the estate with the district median, downloads the CSV and checks the
signed monthly report — every figure shown or downloaded is checked against the governance API's own
answer, fetched here with a real token of the same account. Suppressed figures are shown as such
(never 0) and missing ones as "—".

The committee never sees a person, household or unit: every page it opened is scanned for the demo
households' names and phones (deploy/demo_data.py imports ``示例业主<i>`` with ``139<i:08d>``, its
owners are ``owner-<estate>-<i>``, a donor is 王 芳), and every API request the pages made went to the
governance API (and the tenant's OpenAPI document, which says whether XLSX is offered) only.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Locator, Page, Request, expect

from tests.browser.console_pages import missing_keys, open_console
from tests.harness import WEB_URL, bearer, user_token
from xinyi_shared.transparency.entries import canonical_json

pytestmark = pytest.mark.browser

OBSERVER = "governance-observer"
SLOW = 60_000  # ms: a month of every estate's figures takes seconds on a busy machine
PAGE_SIZE = 20  # rows of the dashboard's table
DEMO_ESTATE = "jinhe-lvzhou"
TABLE_METRICS = [
    "households",
    "collection_rate_bps",
    "satisfaction_rate_bps",
    "ratings",
    "first_response_median_seconds",
    "first_response_p90_seconds",
    "resolution_median_seconds",
    "resolution_p90_seconds",
    "first_response_within_target_bps",
    "resolution_within_target_bps",
    "petition_rate_bps",
    "petitions",
    "budget_total_execution_bps",
    "surplus_fen",
    "fund_pledged_fen",
    "fund_received_fen",
    "fund_granted_fen",
]
# What the demo put in of people: the households' names and phones (tests.harness.household_csv with
# prefix 示例), its owners' accounts and a named donor (deploy/demo_data.py).
PERSONAL = re.compile(r"示例业主\d+|(?<!\d)139\d{8}(?!\d)|owner-[a-z0-9-]+-\d{3}|王\s?芳")
ALLOWED_API = re.compile(r"^/api/tenant/(v1/governance/|openapi\.json$)")


# --- the figures as the page must show them (web/src/console/sections/committee/figures.ts, zh-CN) -----


def shown(value: Any, metric: str, difference: bool = False) -> str:
    if value == "suppressed":
        return "已隐去"
    if value is None:
        return "—"
    assert isinstance(value, int) and not isinstance(value, bool), value
    sign, size = ("-" if value < 0 else ""), abs(value)
    if metric.endswith("_bps"):
        text = f"{sign}{size // 100}.{size % 100:02d}%"
    elif metric.endswith("_seconds"):
        hours, rest = divmod(size, 3600)
        minutes, seconds = divmod(rest, 60)
        text = sign + (f"{hours}小时{minutes:02d}分" if hours else f"{minutes}分{seconds:02d}秒")
    elif metric.endswith("_fen"):
        text = f"{sign}¥{size // 100:,}.{size % 100:02d}"
    else:
        text = f"{value:,}"
    return f"+{text}" if difference and value > 0 else text


def cell_text(locator: Locator) -> str:
    return re.sub(r"\s+", " ", locator.inner_text()).strip()


# --- the API, with the observer's own token --------------------------------------------------------


@pytest.fixture(scope="module")
def governance() -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=f"{WEB_URL}/api/tenant/v1/governance", headers=bearer(user_token(OBSERVER)), timeout=120
    ) as client:
        yield client


def figures(api: httpx.Client, **params: str) -> dict[str, Any]:
    """The figures as JSON, the rows of every page (the service pages them: ``total`` counts them all)."""
    rows: list[dict[str, Any]] = []
    while True:
        response = api.get("/figures", params={**params, "limit": 500, "offset": len(rows)})
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        rows += answer["rows"]
        if not answer["rows"] or len(rows) >= answer["total"]:
            return {**answer, "offset": 0, "limit": len(rows), "rows": rows}


def month_with_demo(api: httpx.Client) -> str:
    """The last complete month the demo estate has figures of; this month when its books began this
    month (a stack whose demo was made today)."""
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    this = f"{now.year:04d}-{now.month:02d}"
    last = f"{now.year - 1:04d}-12" if now.month == 1 else f"{now.year:04d}-{now.month - 1:02d}"
    for period in (last, this):
        if any(r["code"] == DEMO_ESTATE for r in figures(api, period=period, area=DEMO_ESTATE)["rows"]):
            return period
    pytest.fail(f"the demo estate {DEMO_ESTATE} has no figures of {last} or {this}: run deploy/demo_data.py")


def month_before(period: str) -> str:
    year, month = (int(part) for part in period.split("-"))
    return f"{year - 1:04d}-12" if month == 1 else f"{year:04d}-{month - 1:02d}"


# --- the page --------------------------------------------------------------------------------------


def text_field(page: Page, testid: str) -> Locator:
    """The <input> of an Element Plus field, whether the test id landed on it or on its wrapper."""
    return page.locator(f'input[data-testid="{testid}"], [data-testid="{testid}"] input').first


def pick(page: Page, select: str, option: str, typed: str | None = None) -> None:
    """Chooses ``option`` in the Element Plus select ``data-testid=select`` (typing ``typed`` first)."""
    page.get_by_test_id(select).click()
    if typed is not None:
        text_field(page, select).fill(typed)
    page.locator(".el-select-dropdown__item:visible").filter(
        has_text=re.compile(rf"^\s*{re.escape(option)}\s*$")
    ).first.click(timeout=SLOW)


def check_row(page: Page, row: dict[str, Any]) -> None:
    for metric in TABLE_METRICS:
        cell = page.get_by_test_id("committee-figures").get_by_test_id(f"fig-{row['code']}-{metric}").first
        expected = shown(row["figures"][metric], metric)
        expect(cell).to_have_text(expected)
        if row["figures"][metric] == "suppressed":
            expect(cell).to_have_attribute("data-state", "suppressed")


def scan_for_people(page: Page, where: str) -> None:
    text = page.locator("body").inner_text() + page.content()
    found = PERSONAL.findall(text)
    assert not found, f"{where} shows people's details: {sorted(set(found))[:5]}"


def test_the_committee_filters_a_month_compares_an_estate_and_downloads_the_csv(
    desk_page: Page,
    desk_shot: Callable[[str], Path],
    front_door: str,
    console_built: None,
    governance: httpx.Client,
    tmp_path: Path,
) -> None:
    page = desk_page
    period = month_with_demo(governance)
    api_requests: list[str] = []

    def seen(request: Request) -> None:
        path = request.url.removeprefix(WEB_URL)
        if path.startswith("/api/"):
            api_requests.append(path.split("?")[0])

    page.on("request", seen)

    open_console(page, OBSERVER, "/console/committee")
    expect(page.get_by_test_id("committee-dashboard")).to_be_visible()
    desk_shot("dashboard")

    # The month, then the district level: every figure of every district row as the API gives it. The
    # page opens on the last complete month, which may be the demo's very month: another month is
    # chosen first, so that choosing the demo's shows in the URL whichever it opened on.
    pick(page, "committee-period", month_before(period))
    expect(page).to_have_url(re.compile(rf"period={month_before(period)}"))
    pick(page, "committee-period", period)
    expect(page).to_have_url(re.compile(rf"period={period}"))
    pick(page, "committee-level", "区")
    expect(page).to_have_url(re.compile(r"level=district"))
    districts = figures(governance, period=period, level="district")["rows"]
    assert districts, f"no district has figures of {period}"
    for row in districts[:PAGE_SIZE]:  # the table's first page, in the API's order
        expect(page.get_by_test_id(f"area-{row['code']}")).to_be_visible(timeout=SLOW)
        check_row(page, row)
    # The demo estate's district, found by its code.
    (estate_area,) = [r for r in figures(governance, period=period, area=DEMO_ESTATE)["rows"] if r["level"] == "estate"]
    text_field(page, "committee-search").fill(estate_area["district_code"])
    (demo_district,) = [r for r in districts if r["code"] == estate_area["district_code"]]
    expect(page.get_by_test_id(f"area-{demo_district['code']}")).to_be_visible(timeout=SLOW)
    check_row(page, demo_district)
    expect(page.get_by_test_id("committee-thresholds")).to_contain_text(
        str(figures(governance, period=period, level="district")["min_households"])
    )
    desk_shot("district-month")

    # The demo estate's row at the estate level.
    pick(page, "committee-level", "小区")
    expect(page).to_have_url(re.compile(r"level=estate"))
    expect(text_field(page, "committee-search")).to_have_value("")  # another level, unfiltered
    pick(page, "committee-area", DEMO_ESTATE, typed=DEMO_ESTATE)  # an estate's code is an area too
    expect(page).to_have_url(re.compile(rf"area={DEMO_ESTATE}"))
    (estate_row,) = [r for r in figures(governance, period=period, area=DEMO_ESTATE)["rows"] if r["level"] == "estate"]
    expect(page.get_by_test_id(f"area-{DEMO_ESTATE}")).to_be_visible(timeout=SLOW)
    check_row(page, estate_row)
    # The ranking answers for the same month and figure as the API's.
    ranking = governance.get(
        "/ranking", params={"period": period, "metric": "collection_rate_bps", "level": "estate", "area": DEMO_ESTATE}
    ).json()
    ranked = [r for r in ranking["rows"] if isinstance(r["value"], int)]
    if ranked:
        best = ranked[0]
        expect(page.get_by_test_id(f"rank-{best['code']}").first).to_contain_text(
            shown(best["value"], "collection_rate_bps"), timeout=SLOW
        )
    desk_shot("estate-row")

    # The CSV: the API's own file, saved; the demo estate's line as the API's JSON gives it.
    with page.expect_download() as download_info:
        page.get_by_test_id("committee-csv").click()
    saved = tmp_path / "figures.csv"
    download_info.value.save_as(saved)
    downloaded = saved.read_bytes().decode("utf-8-sig")
    from_api = governance.get(
        "/figures", params={"period": period, "level": "estate", "area": DEMO_ESTATE, "format": "csv"}
    )
    assert from_api.status_code == 200, from_api.text
    ours = list(csv.DictReader(io.StringIO(downloaded)))
    theirs = list(csv.DictReader(io.StringIO(from_api.text.lstrip("\ufeff"))))
    assert next(csv.reader(io.StringIO(downloaded))) == next(csv.reader(io.StringIO(from_api.text.lstrip("\ufeff"))))
    assert {r["code"] for r in ours} == {r["code"] for r in theirs}
    (line,) = [r for r in ours if r["code"] == DEMO_ESTATE]
    assert line["period"] == period and line["level"] == "estate"
    for metric in TABLE_METRICS:
        value = estate_row["figures"][metric]
        assert line[metric] == ("" if value is None else str(value)), (metric, line[metric], value)
    # XLSX is offered exactly when the service's OpenAPI lists it among the figures' formats.
    openapi = httpx.get(f"{WEB_URL}/api/tenant/openapi.json", timeout=60).json()
    formats = str(
        next(p for p in openapi["paths"]["/v1/governance/figures"]["get"]["parameters"] if p["name"] == "format")
    )
    expect(page.get_by_test_id("committee-xlsx")).to_have_count(1 if "xlsx" in formats else 0)
    scan_for_people(page, "the dashboard")
    assert missing_keys(page) == []

    # The estate against the district median.
    page.get_by_test_id("nav-committee-compare").click()
    expect(page.get_by_test_id("committee-compare")).to_be_visible()
    pick(page, "compare-period", period)
    pick(page, "compare-estate", f"{estate_row['name']} ({DEMO_ESTATE})", typed=DEMO_ESTATE)
    comparison = governance.get(f"/estates/{DEMO_ESTATE}/comparison", params={"period": period}).json()
    expect(page.get_by_test_id("compare-head")).to_contain_text(str(comparison["estates_in_district"]), timeout=SLOW)
    for metric in comparison["metrics"]:
        name = metric["metric"]
        expect(page.get_by_test_id(f"cmp-{name}-value")).to_have_text(shown(metric["value"], name))
        expect(page.get_by_test_id(f"cmp-{name}-median")).to_have_text(shown(metric["district_median"], name))
        expect(page.get_by_test_id(f"cmp-{name}-difference")).to_have_text(
            shown(metric["difference"], name, difference=True)
        )
    desk_shot("compared")
    scan_for_people(page, "the comparison")
    assert missing_keys(page) == []

    # The signed monthly report, verified in the browser against the published key.
    page.get_by_test_id("nav-committee-report").click()
    expect(page.get_by_test_id("committee-report")).to_be_visible()
    pick(page, "report-period", period)
    district = estate_area["district_code"]
    expect(page.get_by_test_id("report-facts")).to_be_visible(timeout=SLOW)
    if page.get_by_test_id("report-district").count():  # several districts: the demo estate's
        pick(page, "report-district", district)
    # A district's report signs every estate's month and checkpoint: minutes on a busy machine.
    expect(page.get_by_test_id("report-facts")).to_contain_text(district, timeout=4 * SLOW)
    expect(page.get_by_test_id("report-verified")).to_have_attribute("data-verified", "true", timeout=SLOW)
    answer = governance.get(f"/reports/{period}", params={"district": district})
    assert answer.status_code == 200, answer.text
    # Every estate of the district is in the report, shown 20 to a page.
    estates_in_report = len(answer.json()["report"]["estates"])
    expect(page.get_by_test_id("report-estates").locator("tr.el-table__row")).to_have_count(min(20, estates_in_report))
    expect(page.get_by_test_id("report-estates-pages")).to_contain_text(str(estates_in_report))
    with page.expect_download() as report_download:
        page.get_by_test_id("report-download").click()
    saved_report = tmp_path / "report.json"
    report_download.value.save_as(saved_report)
    saved = json.loads(saved_report.read_text(encoding="utf-8"))
    assert saved["report"]["district_code"] == district and saved["report"]["period"] == period
    assert saved["report_sha256"] == hashlib.sha256(canonical_json(saved["report"])).hexdigest()
    desk_shot("report")
    scan_for_people(page, "the report")
    assert missing_keys(page) == []

    # Only the governance API was asked.
    others = sorted({p for p in api_requests if not ALLOWED_API.match(p)})
    assert not others, f"the committee's pages asked other APIs: {others}"
    assert any(p.startswith("/api/tenant/v1/governance/figures") for p in api_requests)
