"""An estate that joins the platform with its earlier months' books (``books_from``), end to end: the
tenant starts its first rules there, the ledger opens the books from that month (EstateOnboarded's
rules.effective_from, GetEstateRules), every month from it is billed at the rate in force on its
first day, payments and income dated in those months land in them, and the months close in order,
each signing a checkpoint. What the request may not say (a coming month, more than 24 months back,
not YYYY-MM) is refused with its reason, and no estate is made."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.e2e.conftest import onboard, wait_for_books
from tests.e2e.test_ledger import key, post
from tests.harness import bearer, household_csv, http_url, run_billing, unique_code

pytestmark = pytest.mark.e2e

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()


def month(back: int) -> str:
    """The month ``back`` months before this one (negative: a coming one), YYYY-MM."""
    index = TODAY.year * 12 + TODAY.month - 1 - back
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def day_in(period: str, day: int) -> str:
    return date(int(period[:4]), int(period[5:]), day).isoformat()


@pytest.fixture
def earlier_books(tenant_api, admin_token, make_member):
    """An estate onboarded with its books from three months back, three households of 90.00, 120.55
    and 65.30 m² (31.50, 42.19 and 22.86 CNY a month at 0.35 CNY/m²)."""
    code = unique_code("booksfrom")
    onboarded = onboard(tenant_api, admin_token, code, books_from=month(3))
    assert onboarded.status_code == 201, onboarded.text
    assert onboarded.json()["books_from"] == month(3)
    _, manager = make_member(code, "firm_manager")
    content = household_csv(3, bad_lines={0: {"面积": "90"}, 1: {"面积": "120.55"}, 2: {"面积": "65.3"}})
    imported = tenant_api.post(
        f"/v1/estates/{code}/households/import",
        files={"file": ("list.csv", content, "text/csv")},
        headers=bearer(manager),
    )
    assert imported.status_code == 201, imported.text
    wait_for_books(code, manager)
    ledger = httpx.Client(base_url=f"{http_url('ledger')}/v1/estates/{code}", headers=bearer(manager), timeout=60)
    yield code, ledger, imported.json()["household_ids"], manager
    ledger.close()


def test_the_books_begin_in_the_stated_month_and_each_month_is_billed_paid_and_closed_in_order(
    tenant_api, earlier_books
) -> None:
    code, ledger, (h1, h2, h3), manager = earlier_books
    first, second, third, current = month(3), month(2), month(1), month(0)

    rules = tenant_api.get(f"/v1/estates/{code}/rules", headers=bearer(manager)).json()
    assert [entry["effective_from"] for entry in rules["history"]] == [f"{first}-01"]
    assert ledger.get(f"/statements/{month(4)}").status_code == 404, "nothing before the books began"

    for period in (first, second, third, current):
        job = run_billing(ledger, "/billing-runs", period, key())
        assert job["status"] == "done", job
        assert (job["households_billed"], job["billed_fen"]) == (3, 3150 + 4219 + 2286), period
    refused = ledger.post("/billing-runs", json={"period": month(4)}, headers={"Idempotency-Key": key()})
    assert refused.status_code in (404, 422), refused.text

    # Payments and income dated in the earlier months are accepted and land in those months.
    for period, payments in (
        (first, [(h1, 3150), (h2, 4219), (h3, 2286)]),
        (second, [(h1, 3150), (h2, 4219)]),  # household 3 stops paying
        (third, [(h1, 3150), (h2, 4219)]),
    ):
        for household, fen in payments:
            body = {
                "household_id": household,
                "amount_fen": fen,
                "method": "bank_transfer",
                "reference": f"bank-{period}",
                "received_on": day_in(period, 15),
            }
            paid = post(ledger, "/payments", body, key())
            assert paid.status_code == 201, paid.text
            assert paid.json()["period"] == period
    income = {"kind": "parking", "amount_fen": 20000, "description": "停车费", "received_on": day_in(second, 28)}
    parked = post(ledger, "/common-income", income, key())
    assert parked.status_code == 201 and parked.json()["period"] == second, parked.text
    before = {"household_id": h1, "amount_fen": 100, "method": "cash", "received_on": day_in(month(4), 28)}
    too_early = post(ledger, "/payments", before, key())
    assert too_early.status_code == 422 and first in too_early.json()["reason"], too_early.text

    # Months close in order from the first month of the books, each signing a checkpoint.
    out_of_order = post(ledger, f"/periods/{second}/close", {}, key())
    assert out_of_order.status_code == 409 and first in out_of_order.json()["reason"], out_of_order.text
    closed = {}
    for period in (first, second, third):
        answer = post(ledger, f"/periods/{period}/close", {}, key())
        assert answer.status_code == 200, answer.text
        closed[period] = answer.json()
    assert closed[first]["closed"] is True and closed[first]["opening_balance_fen"] == 0
    assert (closed[first]["fees_billed_fen"], closed[first]["fees_collected_fen"]) == (9655, 9655)
    assert closed[first]["collection_rate_bps"] == 10000
    # 15% of the collected fees, rounded once per month; 30% of it donated at the close.
    assert closed[first]["remuneration_fen"] == 1448 and closed[first]["donation_fen"] == 434
    assert closed[second]["fees_collected_fen"] == 7369 and closed[second]["common_income_by_kind"]["parking"] == 20000
    assert closed[second]["opening_balance_fen"] == closed[first]["closing_balance_fen"]
    assert closed[third]["opening_balance_fen"] == closed[second]["closing_balance_fen"]
    checkpoints = ledger.get("/log/checkpoints").json()
    assert sorted(c["period"] for c in checkpoints) == [first, second, third]

    # Household 3 owes the bills of the months it did not pay, the oldest from two months back.
    account = ledger.get(f"/households/{h3}/account").json()
    assert account["owed_fen"] == 3 * 2286
    assert [bill["period"] for bill in account["bills"] if bill["due_fen"]] == [second, third, current]
    assert ledger.get(f"/statements/{current}").json()["closed"] is False


@pytest.mark.parametrize(
    ("books_from", "reason"),
    [
        (month(-1), "in the future"),
        (month(25), "at most 24 months"),
        ("2025-13", "YYYY-MM"),
        ("2025/11", "YYYY-MM"),
    ],
)
def test_a_coming_too_old_or_malformed_month_is_refused_and_no_estate_is_made(
    tenant_api, admin_token, books_from: str, reason: str
) -> None:
    code = unique_code("booksfrom")
    refused = onboard(tenant_api, admin_token, code, books_from=books_from)
    assert refused.status_code == 422, refused.text
    assert reason in refused.json()["reason"]
    assert tenant_api.get(f"/v1/estates/{code}", headers=bearer(admin_token)).status_code == 404
    listed = tenant_api.get("/v1/estates", params={"q": code}, headers=bearer(admin_token)).json()
    assert code not in {estate["code"] for estate in listed}
    # The code is still free: the same estate onboards once the month is right.
    assert onboard(tenant_api, admin_token, code, books_from=month(0)).status_code == 201
