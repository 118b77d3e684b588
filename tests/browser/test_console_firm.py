"""The property firm's console pages in a real browser, against the running stack (issue 14, "Done when").

The test arranges its own estate and firm manager through the APIs (nothing of the demo's), then, as
the firm manager at a desk:

- imports a household file with a bad row: the page names the row (line, column, reason) and the
  register's API shows that nothing was imported; then a good file: the API lists its households;
- runs billing for this month: the progress bar reaches 100% and the ledger holds a bill for each
  household, the amount the page shows being the job's;
- records a household's payment typed in yuan: the ledger has it, in fen, on that household;
- downloads the month's statement as a PDF (a real one: it starts with %PDF) after reading the
  statement's figures, which are the ledger's.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import openpyxl
import pytest
from playwright.sync_api import FilePayload, Page, expect

from tests.browser.console_pages import go_to, missing_keys, open_console
from tests.e2e.conftest import (  # noqa: F401  (fixtures, used by name)
    admin_token,
    keycloak,
    make_member,
    onboard,
    tenant_api,
    wait_for_books,
)
from tests.harness import bearer, finished_job, household_csv, http_url, unique_code

pytestmark = pytest.mark.browser

PERIOD = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
AREA_REASON = "area must be a positive number of m² with at most 2 decimals"
HOUSEHOLDS = 3


@dataclass
class Firm:
    code: str
    manager: str
    token: str
    tenant: httpx.Client
    ledger: httpx.Client


@pytest.fixture
def firm(
    tenant_api: httpx.Client,  # noqa: F811
    admin_token: str,  # noqa: F811
    make_member: Callable[[str, str], tuple[str, str]],  # noqa: F811
) -> Iterator[Firm]:
    code = unique_code("cfirm")
    assert onboard(tenant_api, admin_token, code).status_code == 201
    manager, token = make_member(code, "firm_manager")
    wait_for_books(code, token)
    with (
        httpx.Client(base_url=f"{http_url('tenant')}/v1/estates/{code}", headers=bearer(token), timeout=60) as tenant,
        httpx.Client(base_url=f"{http_url('ledger')}/v1/estates/{code}", headers=bearer(token), timeout=60) as ledger,
    ):
        yield Firm(code, manager, token, tenant, ledger)


def register(firm: Firm) -> dict[str, object]:
    response = firm.tenant.get("/households", params={"limit": 100})
    assert response.status_code == 200, response.text
    page: dict[str, object] = response.json()
    return page


def fen(amount: int) -> str:
    """As the console shows money (src/i18n/format.ts): ¥1,234.56."""
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount) // 100:,}.{abs(amount) % 100:02d}"


def csv_file(content: bytes, name: str) -> FilePayload:
    return {"name": name, "mimeType": "text/csv", "buffer": content}


def test_the_firm_imports_bills_takes_a_payment_and_downloads_the_statement(
    desk_page: Page,
    desk_shot: Callable[[str], Path],
    front_door: str,
    console_built: None,
    firm: Firm,
) -> None:
    page = desk_page
    open_console(page, firm.manager, f"/console/estates/{firm.code}/firm")
    expect(page.get_by_test_id("firm-households")).to_be_visible()
    expect(page.get_by_test_id("households-table")).to_contain_text("暂无住户")

    # --- a file with a bad row: the row is named, nothing is imported ---------------------------------
    bad = household_csv(HOUSEHOLDS, bad_lines={1: {"面积": "九十平"}})  # data row 2 = line 3 of the file
    upload = page.get_by_test_id("household-upload").locator("input[type=file]")
    upload.set_input_files(csv_file(bad, "名单-有误.csv"))
    errors = page.get_by_test_id("import-errors")
    expect(errors).to_be_visible()
    row = errors.locator("tbody tr").filter(has_text=AREA_REASON)
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(0)).to_have_text("3")
    expect(row.locator("td").nth(1)).to_have_text("面积")
    expect(row.locator("td").nth(2)).to_have_text(AREA_REASON)
    expect(page.get_by_test_id("import-refused")).to_contain_text("名单-有误.csv")
    desk_shot("import-refused")
    assert register(firm)["total"] == 0, "a refused file imported households"

    # --- the good file: every household imported -------------------------------------------------------
    upload.set_input_files(csv_file(household_csv(HOUSEHOLDS), "名单.csv"))
    expect(page.get_by_test_id("import-success")).to_contain_text(f"已导入 {HOUSEHOLDS} 户")
    listed = register(firm)
    assert listed["total"] == HOUSEHOLDS
    households = listed["households"]
    assert isinstance(households, list)
    table_rows = page.get_by_test_id("households-table").locator(".el-table__body-wrapper tbody tr")
    expect(table_rows).to_have_count(HOUSEHOLDS)
    desk_shot("imported")

    # --- the template offered is the header row the import reads ---------------------------------------
    with page.expect_download() as template:
        page.get_by_test_id("household-template").click()
    header = next(csv.reader(io.StringIO(Path(template.value.path()).read_text(encoding="utf-8-sig"))))
    assert {"楼栋", "房号", "面积", "业主姓名"} <= set(header)

    # --- a billing run: progress to 100%, the ledger holds the bills -----------------------------------
    go_to(page, f"/console/estates/{firm.code}/firm/billing")
    expect(page.get_by_test_id("firm-billing")).to_be_visible()
    page.get_by_test_id("billing-start").click()
    expect(page.get_by_test_id("billing-status")).to_have_text("已完成", timeout=120_000)
    expect(page.get_by_test_id("billing-progress")).to_contain_text("100%")
    job_id = re.search(r"[?&]job=([^&]+)", page.url)
    assert job_id, page.url
    job = httpx.get(
        f"{http_url('ledger')}/v1/billing-jobs/{job_id.group(1)}", headers=bearer(firm.token), timeout=30
    ).json()
    assert job["status"] == "done" and job["period"] == PERIOD, job
    assert job["households_billed"] == HOUSEHOLDS, job
    expect(page.get_by_test_id("billing-amount")).to_have_text(fen(int(job["billed_fen"])))
    desk_shot("billing-done")
    first = households[0]
    assert isinstance(first, dict)
    account = firm.ledger.get(f"/households/{first['id']}/account").json()
    assert [bill["period"] for bill in account["bills"]] == [PERIOD], account
    owed = int(account["owed_fen"])
    assert owed > 0

    # --- a payment: typed in yuan, recorded in fen on the household ------------------------------------
    go_to(page, f"/console/estates/{firm.code}/firm")
    page.get_by_test_id("households-table").locator(".el-table__body-wrapper tbody tr").first.wait_for()
    page.get_by_test_id("households-table").get_by_role("button", name="登记收款").first.click()
    expect(page.get_by_test_id("firm-payments")).to_be_visible()
    household_id = re.search(r"[?&]household=([0-9a-f-]+)", page.url)
    assert household_id, page.url
    paid_for = household_id.group(1)
    owed = int(firm.ledger.get(f"/households/{paid_for}/account").json()["owed_fen"])
    yuan = f"{owed // 100:,}.{owed % 100:02d}"
    page.get_by_test_id("payment-amount").fill(yuan)
    page.get_by_test_id("payment-reference").fill("WX-4200000001")
    desk_shot("payment-form")
    page.get_by_test_id("payment-submit").click()
    expect(page.get_by_test_id("payment-recorded")).to_be_visible()
    expect(page.get_by_test_id("payment-owed")).to_have_text("¥0.00")
    after = firm.ledger.get(f"/households/{paid_for}/account").json()
    assert after["owed_fen"] == 0, after
    assert [(p["amount_fen"], p["reference"]) for p in after["payments"]] == [(owed, "WX-4200000001")], after
    desk_shot("payment-recorded")

    # --- the month's statement, and its PDF ------------------------------------------------------------
    go_to(page, f"/console/estates/{firm.code}/firm/statements")
    statement = firm.ledger.get(f"/statements/{PERIOD}").json()
    expect(page.get_by_test_id("statement-billed")).to_have_text(fen(int(statement["fees_billed_fen"])))
    expect(page.get_by_test_id("statement-collected")).to_have_text(fen(int(statement["fees_collected_fen"])))
    assert statement["fees_collected_fen"] == owed
    desk_shot("statement")
    with page.expect_download() as download:
        page.get_by_test_id("statement-pdf").click()
    assert download.value.suggested_filename == f"{firm.code}-{PERIOD}.pdf"
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    assert missing_keys(page) == []


def test_the_arrears_export_is_spreadsheet_safe(
    desk_page: Page,
    desk_shot: Callable[[str], Path],
    front_door: str,
    console_built: None,
    firm: Firm,
) -> None:
    """Arrears with ageing, and the CSV export: every household that owes, with the ledger's amounts,
    and a building named like a formula kept as text."""
    content = household_csv(2, bad_lines={0: {"楼栋": "=1+1"}})
    imported = firm.tenant.post("/households/import", files={"file": ("list.csv", content, "text/csv")})
    assert imported.status_code == 201, imported.text
    started = firm.ledger.post(
        "/billing-runs", json={"period": PERIOD}, headers={"Idempotency-Key": f"arrears-{unique_code('k')}"}
    )
    assert started.status_code == 202, started.text
    assert finished_job(firm.ledger, started.json()["job_id"])["status"] == "done"
    arrears = firm.ledger.get("/arrears").json()
    assert len(arrears["households"]) == 2, arrears

    page = desk_page
    open_console(page, firm.manager, f"/console/estates/{firm.code}/firm/arrears")
    expect(page.get_by_test_id("arrears-total")).to_contain_text(fen(int(arrears["total_fen"])))
    arrears_rows = page.get_by_test_id("arrears-table").locator(".el-table__body-wrapper tbody tr")
    expect(arrears_rows).to_have_count(2)
    expect(arrears_rows.filter(has_text="1栋1单元102室")).to_have_count(1)
    expect(arrears_rows.filter(has_text="=1+1栋1单元101室")).to_have_count(1)
    desk_shot("arrears")
    with page.expect_download() as download:
        page.get_by_test_id("arrears-export").click()
    raw = Path(download.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    owed = {row[3]: row for row in rows[1:] if len(row) == 5}
    for household in arrears["households"]:
        row = owed[household["household_id"]]
        assert Decimal(row[4]) == Decimal(household["owed_fen"]) / 100, row
    assert "'=1+1" in {row[0] for row in owed.values()}

    # The same as an XLSX workbook: amounts as numbers, the formula-like building kept as text.
    with page.expect_download() as workbook_download:
        page.get_by_test_id("arrears-export-xlsx").click()
    assert workbook_download.value.suggested_filename.endswith(".xlsx")
    workbook_bytes = Path(workbook_download.value.path()).read_bytes()  # no extension: open the bytes
    sheet = openpyxl.load_workbook(io.BytesIO(workbook_bytes), read_only=True).worksheets[0]
    cells = [list(row) for row in sheet.iter_rows(values_only=True)]
    by_household = {row[3]: row for row in cells[1:] if len(row) >= 5 and row[3]}
    for household in arrears["households"]:
        row = by_household[household["household_id"]]
        assert Decimal(str(row[4])) == Decimal(household["owed_fen"]) / 100, row
    assert "'=1+1" in {row[0] for row in by_household.values()}
