"""Money out at the desk, in a real browser against the running stack (issue 14, "Done when").

The test arranges its own estate through the APIs: three households with a resident each, a firm
manager and a supervisor, and a budget the owners adopted by ballot (so that an expense within its
line needs only the supervisor). Then, in the console:

- the firm manager proposes an expense with a PDF voucher (a small real PDF made here), uploaded
  through the form's drop zone; the ledger has it as proposed, naming that voucher by its SHA-256;
- the supervisor opens the approvals page, previews the voucher (the PDF preview is visible, its
  blob loaded and hashed in the browser to the voucher's SHA-256), and approves it; the ledger has it
  approved and booked, and the month's statement (GET /statements/{period}) shows it on its line;
- a rejection needs a reason: without one the page refuses and the ledger still has it proposed;
  with one the expense is rejected with that reason, shown on the page and kept by the ledger;
- the audit view verifies, in the browser, two checkpoints the supervisor had the ledger sign (their
  signatures against the log's key) and the consistency proof between them.
"""

from __future__ import annotations

import hashlib
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.console_pages import go_to, open_console
from tests.e2e.conftest import (  # noqa: F401  (fixtures, used by name)
    admin_token,
    keycloak,
    make_member,
    onboard,
    tenant_api,
    wait_for_books,
)
from tests.e2e.test_budget_expenses import decide_by_ballot, plans
from tests.harness import bearer, claim_member, eventually, household_csv, http_url, unique_code

pytestmark = pytest.mark.browser

PERIOD = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
YEAR = int(PERIOD[:4])
SLOW = 30_000  # ms: a step that waits for a service on a busy machine
LINE = "5600"  # 维修: 10,000.00 or 20,000.00 yuan in the plans of tests/e2e/test_budget_expenses.py


def small_pdf(text: str) -> bytes:
    """A one-page PDF 1.4 with ``text`` on it: objects, a compressed content stream, a correct xref."""
    content = zlib.compress(f"BT /F1 18 Tf 40 100 Td ({text}) Tj ET".encode("latin-1"))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@dataclass
class Desk:
    code: str
    manager: str  # username
    manager_token: str
    supervisor: str
    supervisor_token: str
    ledger: httpx.Client


@pytest.fixture(scope="module")
def desk(
    tenant_api: httpx.Client,  # noqa: F811
    admin_token: str,  # noqa: F811
    make_member: Callable[[str, str], tuple[str, str]],  # noqa: F811
) -> Iterator[Desk]:
    code = unique_code("desk")
    assert onboard(tenant_api, admin_token, code).status_code == 201
    manager, manager_token = make_member(code, "firm_manager")
    supervisor, supervisor_token = make_member(code, "supervisor")
    imported = tenant_api.post(
        f"/v1/estates/{code}/households/import",
        files={"file": ("list.csv", household_csv(3), "text/csv")},
        headers=bearer(manager_token),
    )
    assert imported.status_code in (200, 201), imported.text
    ids = imported.json()["household_ids"]
    residents = [claim_member(tenant_api, code, manager_token, ids[i], f"1360000{i:04d}") for i in range(3)]
    wait_for_books(code, manager_token)
    ledger = httpx.Client(base_url=f"{http_url('ledger')}/v1/estates/{code}", timeout=60)
    drafted = ledger.post(
        "/budget-drafts",
        json={"year": YEAR, "plans": plans(), "large_expense_threshold_fen": 5_000_000},
        headers=bearer(manager_token),
    )
    assert drafted.status_code == 201, drafted.text
    decide_by_ballot(
        tenant_api,
        code,
        supervisor_token,
        residents,
        drafted.json()["ballot_subject"],
        ["基础方案", "提升方案"],
        ["提升方案", "提升方案", "基础方案"],
    )

    def adopted() -> dict[str, object] | None:
        response = ledger.get(f"/budgets/{YEAR}", headers=bearer(manager_token))
        return response.json() if response.status_code == 200 else None

    eventually(adopted, timeout=90, what="the ledger to adopt the winning plan")
    yield Desk(code, manager, manager_token, supervisor, supervisor_token, ledger)
    ledger.close()


def expense_numbered(desk: Desk, number: int) -> dict[str, object]:
    listed = desk.ledger.get("/expenses", params={"limit": 200}, headers=bearer(desk.manager_token))
    assert listed.status_code == 200, listed.text
    found = [e for e in listed.json() if e["number"] == number]
    assert found, f"no expense number {number}"
    detail = desk.ledger.get(f"/expenses/{found[0]['id']}", headers=bearer(desk.manager_token))
    assert detail.status_code == 200, detail.text
    result: dict[str, object] = detail.json()
    return result


def propose_by_api(desk: Desk, payee: str, amount_fen: int) -> dict[str, object]:
    voucher = small_pdf(f"receipt {uuid.uuid4().hex[:8]}")
    uploaded = desk.ledger.post(
        "/vouchers", files={"file": ("receipt.pdf", voucher, "application/pdf")}, headers=bearer(desk.manager_token)
    )
    assert uploaded.status_code == 201, uploaded.text
    proposed = desk.ledger.post(
        "/expenses",
        json={
            "payee": payee,
            "amount_fen": amount_fen,
            "account": LINE,
            "description": "门禁维修",
            "vouchers": [uploaded.json()["sha256"]],
        },
        headers=bearer(desk.manager_token),
    )
    assert proposed.status_code == 201, proposed.text
    result: dict[str, object] = proposed.json()
    return result


def log_out_of_keycloak(page: Page) -> None:
    """The next log-in asks for a password again (the console keeps its tokens in memory only)."""
    page.context.clear_cookies()


def test_the_firm_proposes_with_a_pdf_voucher_and_the_supervisor_previews_approves_and_rejects(
    desk_page: Page,
    desk_shot: Callable[[str], Path],
    front_door: str,
    console_built: None,
    desk: Desk,
    tmp_path: Path,
) -> None:
    page = desk_page
    before = desk.ledger.get(f"/statements/{PERIOD}", headers=bearer(desk.manager_token))
    assert before.status_code == 200, before.text
    line_before = int(before.json()["expenses_by_budget_line"].get(LINE, 0))

    # --- the firm proposes, with a PDF voucher dropped into the form ------------------------------------
    pdf = small_pdf("Invoice 2026-0042 elevator door")
    sha = hashlib.sha256(pdf).hexdigest()
    voucher_file = tmp_path / "invoice-0042.pdf"
    voucher_file.write_bytes(pdf)

    open_console(page, desk.manager, f"/console/estates/{desk.code}/service/")
    form = page.get_by_test_id("propose-expense")
    expect(form).to_be_visible()
    # The adopted budget's lines are offered to choose from.
    form.locator(".el-select").first.click()
    page.locator(".el-select-dropdown__item:visible").filter(has_text=LINE).first.click()
    page.get_by_test_id("expense-amount").fill("1,234.56")
    page.get_by_test_id("expense-payee").fill("上海安达电梯维修有限公司")
    page.get_by_test_id("expense-description").fill("3栋电梯门机维修")
    page.get_by_test_id("voucher-upload").locator("input[type=file]").set_input_files(str(voucher_file))
    expect(page.locator(f'[data-testid="voucher-list"] li[data-sha256="{sha}"]')).to_be_visible(timeout=SLOW)
    desk_shot("firm-expense-form")
    page.get_by_test_id("propose-submit").click()
    done = page.get_by_test_id("propose-done")
    expect(done).to_be_visible(timeout=SLOW)
    desk_shot("firm-expense-proposed")

    listed = desk.ledger.get("/expenses", params={"status": "proposed"}, headers=bearer(desk.manager_token)).json()
    mine = [e for e in listed if e["payee"] == "上海安达电梯维修有限公司"]
    assert len(mine) == 1, listed
    proposed = expense_numbered(desk, int(mine[0]["number"]))
    assert proposed["amount_fen"] == 123456 and proposed["account"] == LINE and proposed["status"] == "proposed"
    assert [v["sha256"] for v in proposed["vouchers"]] == [sha]  # type: ignore[attr-defined]
    assert proposed["vouchers"][0]["media_type"] == "application/pdf"  # type: ignore[index]
    expect(page.get_by_test_id(f"expense-status-{proposed['number']}")).to_have_attribute(
        "data-status", "proposed", timeout=SLOW
    )

    # A second one, to be rejected (proposed through the API).
    second = propose_by_api(desk, "某五金店", 8800)

    # --- the supervisor previews the voucher and approves ---------------------------------------------
    log_out_of_keycloak(page)
    open_console(page, desk.supervisor, f"/console/estates/{desk.code}/supervisor/")
    page.get_by_test_id(f"review-{proposed['number']}").click()
    preview = page.locator(f'[data-testid="voucher-preview"][data-sha256="{sha}"]')
    expect(preview).to_have_attribute("data-state", "loaded", timeout=SLOW)
    expect(preview).to_have_attribute("data-verified", "true")  # the blob's bytes hash to the voucher's SHA-256
    frame = preview.get_by_test_id("voucher-pdf")
    expect(frame).to_be_visible()
    assert str(frame.get_attribute("src")).startswith("blob:")
    assert frame.bounding_box() is not None and frame.bounding_box()["height"] > 300  # type: ignore[index]
    expect(page.get_by_test_id("detail-amount")).to_have_text("¥1,234.56", timeout=SLOW)
    desk_shot("supervisor-voucher-preview")
    blocked_by_csp = preview.get_attribute("data-blocked") == "true"

    page.get_by_test_id("approve").click()
    expect(page.get_by_test_id("detail-status")).to_have_attribute("data-status", "approved", timeout=SLOW)
    desk_shot("supervisor-approved")
    approved = expense_numbered(desk, int(proposed["number"]))  # type: ignore[call-overload]
    assert approved["status"] == "approved" and approved["booking_transaction_id"]
    assert [h["status"] for h in approved["history"]][-1] == "approved"  # type: ignore[attr-defined]

    # --- the month's statement shows it on its line ---------------------------------------------------
    def booked() -> int | None:
        statement = desk.ledger.get(f"/statements/{PERIOD}", headers=bearer(desk.supervisor_token))
        assert statement.status_code == 200, statement.text
        value = int(statement.json()["expenses_by_budget_line"].get(LINE, 0))
        return value if value == line_before + 123456 else None

    assert eventually(booked, timeout=30, what="the statement to show the approved expense") == line_before + 123456

    # --- a rejection needs a reason, and shows it -------------------------------------------------------
    page.get_by_test_id(f"review-{second['number']}").click()
    expect(page.get_by_test_id("detail-amount")).to_have_text("¥88.00", timeout=SLOW)
    page.get_by_test_id("reject").click()
    expect(page.get_by_test_id("reason-missing")).to_be_visible()
    assert expense_numbered(desk, int(second["number"]))["status"] == "proposed"  # type: ignore[call-overload]
    reason = "发票抬头不是本小区业主大会，请重开发票"
    page.get_by_test_id("reject-reason").fill(reason)
    page.get_by_test_id("reject").click()
    expect(page.get_by_test_id("detail-status")).to_have_attribute("data-status", "rejected", timeout=SLOW)
    expect(page.get_by_test_id("detail-reason")).to_have_text(reason)
    desk_shot("supervisor-rejected")
    rejected = expense_numbered(desk, int(second["number"]))  # type: ignore[call-overload]
    assert rejected["status"] == "rejected" and rejected["reason"] == reason

    # --- the audit view verifies the log's checkpoints and their consistency in the browser ----------
    older = desk.ledger.post("/log/checkpoints", headers=bearer(desk.supervisor_token))
    assert older.status_code == 200, older.text
    third = propose_by_api(desk, "某保洁公司", 5000)  # approved too: one more entry in the log
    approved_too = desk.ledger.post(f"/expenses/{third['id']}/approve", headers=bearer(desk.supervisor_token))
    assert approved_too.status_code == 200 and approved_too.json()["status"] == "approved", approved_too.text
    newer = desk.ledger.post("/log/checkpoints", headers=bearer(desk.supervisor_token))
    assert newer.status_code == 200, newer.text
    old_size, new_size = older.json()["tree_size"], newer.json()["tree_size"]
    assert new_size > old_size
    go_to(page, f"/console/estates/{desk.code}/supervisor/audit")
    for size in (old_size, new_size):
        expect(page.get_by_test_id(f"signature-{size}")).to_have_attribute("data-verified", "true", timeout=SLOW)
        # No witness key is registered in this estate: nothing is co-signed, and the page says so.
        expect(page.get_by_test_id(f"cosigned-{size}")).to_have_attribute("data-cosigned", "false")
    page.get_by_test_id("prove").click()
    result = page.get_by_test_id("consistency-result")
    expect(result).to_have_attribute("data-ok", "true", timeout=SLOW)
    expect(result).to_contain_text(str(old_size))
    desk_shot("supervisor-audit")

    # The front door's Content-Security-Policy must let the PDF preview frame its blob: URL.
    assert not blocked_by_csp, (
        "the PDF preview was blocked by the front door's CSP: deploy/nginx/xinyi.conf needs "
        "`frame-src 'self' blob: …` for the voucher preview"
    )
