"""The trust books end to end with real PostgreSQL and Kafka: billing by floor area, payments,
common income, remuneration, donation and the period close, every figure computed by hand below."""

from __future__ import annotations

import io
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from zoneinfo import ZoneInfo

import grpc
import httpx
from pypdf import PdfReader

from tests.e2e.conftest import onboard, wait_for_books
from tests.e2e.test_registry import next_month_start
from tests.harness import (
    bearer,
    claim_member,
    connect,
    estate_events,
    estate_today,
    eventually,
    grpc_target,
    household_csv,
    http_url,
    run_billing,
    service_token,
    settled_balances,
    unique_code,
)
from xinyi.ledger.v1 import events_pb2, ledger_pb2, ledger_pb2_grpc

PERIOD = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()


def key() -> str:
    return f"test-{uuid.uuid4().hex}"


def post(ledger: httpx.Client, path: str, body: dict, idempotency_key: str | None = None) -> httpx.Response:
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    return ledger.post(path, json=body, headers=headers)


def bill(ledger: httpx.Client, period: str = PERIOD, idempotency_key: str | None = None) -> dict:
    """Bill the estate for ``period`` and wait for the job to finish."""
    return run_billing(ledger, "/billing-runs", period, idempotency_key or key())


def pay(ledger, household: str, fen: int, idempotency_key: str | None = None) -> httpx.Response:
    body = {
        "household_id": household,
        "amount_fen": fen,
        "method": "wechat_pay",
        "reference": "wx-1",
        "received_on": TODAY,
    }
    return post(ledger, "/payments", body, idempotency_key or key())


def test_a_month_of_the_books_matches_the_hand_computed_figures(books) -> None:
    code, ledger, (h1, h2, h3) = books

    # Bills, area × rate, rounded half up per household to the fen:
    #   90.00 m² × 35 fen = 3150 fen; 120.55 × 35 = 4219.25 → 4219; 65.30 × 35 = 2285.5 → 2286.
    billed = bill(ledger)
    assert billed["status"] == "done" and billed["period"] == PERIOD
    assert (billed["households_billed"], billed["already_billed"], billed["not_occupied"]) == (3, 0, 0)
    assert billed["billed_fen"] == 3150 + 4219 + 2286
    again = bill(ledger)
    assert (again["households_billed"], again["already_billed"]) == (0, 3), "billing twice bills nothing new"

    assert pay(ledger, h1, 3150).status_code == 201  # pays its bill exactly
    overpaid = pay(ledger, h2, 5000)  # 4219 settles the bill, 5000 - 4219 = 781 becomes prepaid credit
    assert overpaid.json()["to_prepaid_fen"] == 781
    assert pay(ledger, h3, 1000).status_code == 201  # 2286 - 1000 = 1286 still owed
    parking = post(
        ledger,
        "/common-income",
        {"kind": "parking", "amount_fen": 20000, "description": "11月停车费", "received_on": TODAY},
        key(),
    )
    assert parking.status_code == 201

    # Collected fee income: 3150 + 4219 + 1000 = 8369 fen.
    # Remuneration, 15% of collected fees, rounded once on the period total: 8369 × 0.15 = 1255.35 → 1255.
    # Collection rate: 8369 / 9655 = 86.68% → 8668 bps.
    # Cash: 3150 + 5000 + 1000 + 20000 (parking) = 29150 fen.
    provisional = ledger.get(f"/statements/{PERIOD}").json()
    assert provisional["closed"] is False
    assert (provisional["fees_billed_fen"], provisional["fees_collected_fen"]) == (9655, 8369)
    assert provisional["collection_rate_bps"] == 8668
    assert provisional["remuneration_fen"] == 1255
    assert provisional["donation_fen"] == 0
    assert provisional["closing_balance_fen"] == 29150

    closed = post(ledger, f"/periods/{PERIOD}/close", {}, key())
    assert closed.status_code == 200, closed.text
    statement = closed.json()
    # Donation, 30% of the month's remuneration: 1255 × 0.3 = 376.5 → 377 fen, out of the firm's share.
    assert statement["donation_fen"] == 377
    assert statement["closed"] is True
    assert statement["opening_balance_fen"] == 0
    assert statement["closing_balance_fen"] == 29150
    assert statement["common_income_by_kind"] == {"parking": 20000, "advertising": 0, "venue_rent": 0, "other": 0}
    # Surplus of the year: income 9655 + 20000 less the remuneration 1255 = 28400 fen.
    assert statement["surplus_year_to_date_fen"] == 28400
    assert ledger.get(f"/statements/{PERIOD}").json() == statement, "the closed statement is kept as it was"

    balances = ledger.get("/balances").json()
    assert sum(balances.values()) == 0, "the books balance"
    assert balances["1000"] == 29150
    assert balances["1100"] == 1286  # household 3 still owes
    assert balances["2000"] == -781  # household 2's prepaid credit
    assert balances["2100"] == -(1255 - 377)  # remuneration payable to the firm after its donation
    assert balances["2200"] == -377  # payable to the community micro-fund

    assert ledger.get(f"/households/{h2}/account").json()["prepaid_fen"] == 781
    arrears = ledger.get("/arrears").json()
    assert arrears["households"] == [{"household_id": h3, "owed_fen": 1286}]
    assert arrears["ageing_fen"]["0-30"] == 1286

    closed_events = estate_events("xinyi.ledger.events.v1", code, "xinyi.ledger.v1.PeriodClosed")
    assert events_pb2.PeriodClosed.FromString(closed_events[0]).donation_fen == 377
    donation = events_pb2.DonationDeclared.FromString(
        estate_events("xinyi.ledger.events.v1", code, "xinyi.ledger.v1.DonationDeclared")[0]
    )
    assert (donation.amount_fen, donation.period, donation.community_code) == (377, PERIOD, "jinhe")

    late = pay(ledger, h3, 500)
    assert late.status_code == 409, "the month is closed and no later month is open yet"
    assert "closed" in late.json()["reason"]

    pdf = ledger.get(f"/statements/{PERIOD}/pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    for figure in ("96.55", "83.69", "86.68%", "200.00", "12.55", "3.77", "291.50", "284.00"):
        assert figure in text, f"{figure} missing from the PDF"
    # Every figure of the JSON statement is in the PDF, as a person reads it.
    for name in (
        "opening_balance_fen",
        "fees_billed_fen",
        "fees_collected_fen",
        "remuneration_fen",
        "donation_fen",
        "closing_balance_fen",
        "surplus_year_to_date_fen",
    ):
        fen = statement[name]
        assert f"{fen // 100:,}.{fen % 100:02d}" in text, name
    rate = statement["collection_rate_bps"]
    assert f"{rate // 100}.{rate % 100:02d}%" in text
    assert "测试小区" in text and "物业酬金" in text


def test_a_chunk_bills_households_with_prepaid_credit_beside_those_without(books) -> None:
    code, ledger, (h1, h2, h3) = books
    assert pay(ledger, h2, 5000).json()["to_prepaid_fen"] == 5000  # paid before any bill: all prepaid

    billed = bill(ledger)
    assert (billed["households_billed"], billed["billed_fen"]) == (3, 3150 + 4219 + 2286)

    # h2's bill (its own entry) is settled from its credit by a second entry; h1 and h3 owe theirs.
    owed = {h: ledger.get(f"/households/{h}/account").json() for h in (h1, h2, h3)}
    assert [(owed[h]["owed_fen"], owed[h]["prepaid_fen"]) for h in (h1, h2, h3)] == [(3150, 0), (0, 781), (2286, 0)]
    balances = ledger.get("/balances").json()
    assert sum(balances.values()) == 0, "the books balance"
    assert (balances["1100"], balances["2000"], balances["4000"]) == (3150 + 2286, -781, -9655)
    statement = ledger.get(f"/statements/{PERIOD}").json()
    assert (statement["fees_billed_fen"], statement["fees_collected_fen"]) == (9655, 4219)

    entries = ledger.get("/transactions", params={"limit": 100}).json()
    bills = [e for e in entries if e["kind"] == "fee_billed"]
    assert sorted(line["amount_fen"] for e in bills for line in e["lines"] if line["account"] == "1100") == [
        2286,
        3150,
        4219,
    ]
    assert {e["memo"] for e in bills} == {f"Property fee {PERIOD}"}
    moved = [
        events_pb2.BooksMoved.FromString(m)
        for m in estate_events("xinyi.ledger.events.v1", code, "xinyi.ledger.v1.BooksMoved")
    ]
    assert sum(m.fees_billed_fen for m in moved if m.period == PERIOD) == 9655
    assert sum(m.fees_collected_fen for m in moved if m.period == PERIOD) == 4219


def test_retries_are_idempotent_and_bad_input_posts_nothing(books, tenant_api, admin_token, make_member) -> None:
    code, ledger, (h1, _, _) = books
    bill(ledger)
    first_key = key()
    first = pay(ledger, h1, 1000, first_key)
    retried = pay(ledger, h1, 1000, first_key)
    assert retried.status_code == 201
    assert retried.json() == first.json()
    assert retried.headers["idempotent-replayed"] == "true"
    changed = pay(ledger, h1, 1200, first_key)
    assert changed.status_code == 409
    before = settled_balances(ledger)

    other = unique_code("stranger")
    assert onboard(tenant_api, admin_token, other).status_code == 201
    _, stranger = make_member(other, "firm_manager")
    body = {"household_id": h1, "amount_fen": 100, "method": "cash", "received_on": TODAY}
    cases = [
        ({**body, "amount_fen": 0}, key(), 422, "amount_fen"),
        ({**body, "amount_fen": -100}, key(), 422, "amount_fen"),
        ({**body, "household_id": str(uuid.uuid4())}, key(), 404, "household"),
        ({**body, "household_id": "not-a-uuid"}, key(), 422, "UUID"),
        ({**body, "method": "bitcoin"}, key(), 422, "method"),
        (body, "short", 422, "Idempotency-Key"),
        (body, None, 422, "Idempotency-Key"),
        ({**body, "received_on": "2099-01-01"}, key(), 422, "future"),
    ]
    for payload, idempotency_key, status, reason in cases:
        response = post(ledger, "/payments", payload, idempotency_key)
        assert response.status_code == status, (payload, response.text)
        assert reason in response.json()["reason"]
    foreign = httpx.post(
        f"{http_url('ledger')}/v1/estates/{code}/payments",
        json=body,
        headers={**bearer(stranger), "Idempotency-Key": key()},
    )
    assert foreign.status_code == 403
    assert ledger.get("/balances").json() == before, "nothing was posted"


def test_concurrent_payments_never_allocate_a_bill_twice(books) -> None:
    _, ledger, (h1, _, _) = books
    bill(ledger)  # household 1 owes 3150
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda _: pay(ledger, h1, 1000), range(8)))
    assert [r.status_code for r in responses] == [201] * 8
    allocated = sum(a["amount_fen"] for r in responses for a in r.json()["allocated"])
    prepaid = sum(r.json()["to_prepaid_fen"] for r in responses)
    assert allocated == 3150, "the bill is settled exactly once"
    assert prepaid == 8000 - 3150
    account = ledger.get(f"/households/{h1}/account").json()
    assert (account["owed_fen"], account["prepaid_fen"]) == (0, 4850)
    assert account["bills"][0]["due_fen"] == 0


def test_a_reversal_corrects_an_entry_without_editing_it(books) -> None:
    _, ledger, (h1, _, _) = books
    bill(ledger)
    payment = pay(ledger, h1, 3150).json()
    reversed_ = post(ledger, f"/transactions/{payment['transaction_id']}/reversal", {"reason": "重复录入"}, key())
    assert reversed_.status_code == 201, reversed_.text
    account = ledger.get(f"/households/{h1}/account").json()
    assert account["owed_fen"] == 3150, "the bill is open again"
    twice = post(ledger, f"/transactions/{payment['transaction_id']}/reversal", {"reason": "again"}, key())
    assert twice.status_code == 409
    statement = ledger.get(f"/statements/{PERIOD}").json()
    assert statement["fees_collected_fen"] == 0 and statement["remuneration_fen"] == 0
    entries = ledger.get("/transactions").json()
    assert any(e["reverses"] == payment["transaction_id"] for e in entries)
    assert sum(ledger.get("/balances").json().values()) == 0


def test_households_occupied_part_of_the_month_are_billed_by_days(tenant_api, admin_token, make_member) -> None:
    code = unique_code("prorate")
    assert onboard(tenant_api, admin_token, code).status_code == 201
    _, manager = make_member(code, "firm_manager")
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    days_in_month = (
        today.replace(month=today.month % 12 + 1, day=1, year=today.year + today.month // 12) - today.replace(day=1)
    ).days
    moved_in = today.replace(day=16)
    next_month = today.replace(month=today.month % 12 + 1, day=1, year=today.year + today.month // 12)
    content = (
        "楼栋,房号,面积,业主姓名,入住日期\n"
        f"1,101,90,业主甲,{moved_in.isoformat()}\n"
        f"1,102,90,业主乙,{next_month.isoformat()}\n"
        "1,103,90,业主丙,\n"
    ).encode()
    imported = tenant_api.post(
        f"/v1/estates/{code}/households/import",
        files={"file": ("list.csv", content, "text/csv")},
        headers=bearer(manager),
    )
    assert imported.status_code == 201, imported.text
    wait_for_books(code, manager)
    ledger = httpx.Client(base_url=f"{http_url('ledger')}/v1/estates/{code}", headers=bearer(manager), timeout=60)
    run = bill(ledger)
    # Occupied from the 16th: (days_in_month - 15) of days_in_month days of 9000 × 35 / 100 = 3150 fen, one rounding.
    occupied = days_in_month - 15
    prorated = (9000 * 35 * occupied * 2 + 100 * days_in_month) // (2 * 100 * days_in_month)
    assert run["households_billed"] == 2 and run["not_occupied"] == 1, (
        "a dwelling occupied only next month is not billed"
    )
    assert run["billed_fen"] == 3150 + prorated
    first = ledger.get(f"/households/{imported.json()['household_ids'][0]}/account").json()
    assert first["bills"][0]["amount_fen"] == prorated
    assert first["bills"][0]["occupied_days"] == occupied


def test_a_suspended_estates_books_are_read_only(books, tenant_api, admin_token) -> None:
    code, ledger, (h1, _, _) = books
    bill(ledger)
    tenant_api.post(f"/v1/estates/{code}/suspend", json={"reason": "整改"}, headers=bearer(admin_token))

    def refused() -> bool | None:
        return True if pay(ledger, h1, 100).status_code == 409 else None

    eventually(refused, timeout=60, what="the ledger to learn of the suspension")
    assert ledger.get(f"/statements/{PERIOD}").status_code == 200, "the books stay readable"
    tenant_api.post(f"/v1/estates/{code}/resume", headers=bearer(admin_token))
    eventually(lambda: True if pay(ledger, h1, 100).status_code == 201 else None, timeout=60, what="the resumption")


def test_a_resident_sees_only_its_own_households_account(books, tenant_api, make_member) -> None:
    code, _, (h1, h2, _) = books
    _, manager = make_member(code, "firm_manager")
    resident = claim_member(tenant_api, code, manager, h1, "13600000001")
    as_resident = httpx.Client(base_url=f"{http_url('ledger')}/v1/estates/{code}", headers=bearer(resident), timeout=30)
    assert as_resident.get(f"/households/{h1}/account").status_code == 200
    assert as_resident.get(f"/households/{h2}/account").status_code == 404
    assert as_resident.get("/arrears").status_code == 403
    assert as_resident.get(f"/statements/{PERIOD}").status_code == 200, "statements are public to the estate"
    refused = as_resident.post("/payments", json={}, headers={"Idempotency-Key": key()})
    assert refused.status_code in (403, 422)


def test_a_district_billing_run_bills_every_estate_of_the_district(tenant_api, admin_token, make_member) -> None:
    district = unique_code("district")
    sub, community = unique_code("street"), unique_code("community")
    for path, body in (
        ("/v1/districts", {"code": district, "name": "测试区"}),
        (f"/v1/districts/{district}/sub-districts", {"code": sub, "name": "测试街道"}),
        (f"/v1/sub-districts/{sub}/communities", {"code": community, "name": "测试社区"}),
    ):
        assert tenant_api.post(path, json=body, headers=bearer(admin_token)).status_code == 201
    codes = []
    for _ in range(2):
        code = unique_code("dist-estate")
        body = {
            "code": code,
            "name": "区内小区",
            "district_code": district,
            "sub_district_code": sub,
            "community_code": community,
        }
        assert tenant_api.post("/v1/estates", json=body, headers=bearer(admin_token)).status_code == 201
        _, manager = make_member(code, "firm_manager")
        tenant_api.post(
            f"/v1/estates/{code}/households/import",
            files={"file": ("list.csv", household_csv(4), "text/csv")},
            headers=bearer(manager),
        )
        wait_for_books(code, manager)
        codes.append(code)
    with httpx.Client(headers=bearer(admin_token), timeout=60) as admin:
        path = f"{http_url('ledger')}/v1/districts/{district}/billing-runs"
        run = run_billing(admin, path, PERIOD, key())
        assert run["status"] == "done" and run["failures"] == [], run
        assert (run["estates_total"], run["estates_done"]) == (2, 2)
        assert (run["households_total"], run["households_done"], run["households_billed"]) == (8, 8, 8)
        again = run_billing(admin, path, PERIOD, key())
        assert (again["households_billed"], again["already_billed"]) == (0, 8)


def test_an_idempotency_key_belongs_to_one_request(books) -> None:
    _, ledger, _ = books
    run_key = key()
    assert post(ledger, "/billing-runs", {"period": PERIOD}, run_key).status_code == 202
    other_month = post(ledger, "/billing-runs", {"period": "2020-01"}, run_key)
    assert other_month.status_code == 409
    assert "different request" in other_month.json()["reason"]


def test_other_services_post_balanced_transactions_over_grpc(books) -> None:
    code, ledger, _ = books
    ledger.post(
        "/common-income",
        json={"kind": "other", "amount_fen": 10000, "received_on": TODAY},
        headers={"Idempotency-Key": key()},
    )
    service = [("authorization", f"Bearer {service_token('microfund-service')}")]
    stub = ledger_pb2_grpc.LedgerServiceStub(grpc.insecure_channel(grpc_target("ledger")))

    def request(lines, idempotency_key="grpc-key-0001", kind="expense"):
        return ledger_pb2.PostTransactionRequest(
            estate_code=code,
            book="trust",
            idempotency_key=idempotency_key,
            kind=kind,
            memo="楼道灯更换",
            lines=[ledger_pb2.PostingLine(account=a, amount_fen=f) for a, f in lines],
        )

    def refused(call_request, status) -> str:
        try:
            stub.PostTransaction(call_request, metadata=service)
        except grpc.RpcError as error:
            assert error.code() == status, error.details()
            return error.details()
        raise AssertionError("the call was accepted")

    before = settled_balances(ledger)
    assert "balance" in refused(request([("4100", 3000), ("4190", -2000)]), grpc.StatusCode.INVALID_ARGUMENT)
    assert "not open" in refused(request([("5100", 3000), ("1000", -3000)]), grpc.StatusCode.INVALID_ARGUMENT)
    assert refused(request([("1100", 3000), ("1000", -3000)]), grpc.StatusCode.INVALID_ARGUMENT)
    assert refused(request([("5100", 3000), ("1000", -3000)], kind="fee_billed"), grpc.StatusCode.INVALID_ARGUMENT)
    assert refused(request([("5100", 3000), ("1000", -3000)], idempotency_key="bad"), grpc.StatusCode.INVALID_ARGUMENT)
    assert ledger.get("/balances").json() == before

    # Re-classify 30.00 of "other" common income as parking (budget lines come with the budget issue).
    reclassify = [("4190", 3000), ("4100", -3000)]
    posted = stub.PostTransaction(request(reclassify, kind="reclassification"), metadata=service)
    again = stub.PostTransaction(request(reclassify, kind="reclassification"), metadata=service)
    assert (again.transaction_id, again.replayed, posted.replayed) == (posted.transaction_id, True, False)
    refused(request([("4190", 3100), ("4100", -3100)], kind="reclassification"), grpc.StatusCode.ALREADY_EXISTS)
    statement = stub.GetStatement(ledger_pb2.GetStatementRequest(estate_code=code, period=PERIOD), metadata=service)
    assert dict(statement.common_income_by_kind) == {"parking": 3000, "advertising": 0, "venue_rent": 0, "other": 7000}
    assert statement.closing_balance_fen == 10000

    manager_token = ledger.headers["authorization"].removeprefix("Bearer ")
    try:
        stub.PostTransaction(
            request([("5100", 1), ("1000", -1)], "grpc-key-0002"),
            metadata=[("authorization", f"Bearer {manager_token}")],
        )
        raise AssertionError("a person cannot post through the service contract")
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.PERMISSION_DENIED


def test_the_ledger_learns_households_and_rule_changes_from_tenant_events(books, tenant_api, admin_token) -> None:
    code, _, households = books

    def known() -> set[str] | None:
        with connect("ledger", "system") as connection, connection.cursor() as cursor:
            cursor.execute("SELECT household_id::text FROM known_households WHERE estate_code = %s", (code,))
            found = {row[0] for row in cursor.fetchall()}
        return found if found == set(households) else None

    eventually(known, timeout=60, what="the ledger to learn the imported households")
    starts = next_month_start(estate_today())
    change = {
        "effective_from": starts.isoformat(),
        "fee_rate_fen_per_sqm_month": "38",
        "remuneration_share_bps": 1500,
        "donation_share_bps": 3000,
        "reason": "测试",
    }
    assert tenant_api.post(f"/v1/estates/{code}/rules", json=change, headers=bearer(admin_token)).status_code == 201

    def announced() -> str | None:
        with connect("ledger", "system") as connection, connection.cursor() as cursor:
            cursor.execute(
                "SELECT rules->>'fee_rate_fen_per_sqm_month' FROM announced_rules WHERE estate_code = %s AND effective_from = %s",
                (code, starts),
            )
            row = cursor.fetchone()
        return row[0] if row else None

    assert eventually(announced, timeout=60, what="the ledger to record the rule change") == "38"
    # The books opened with the rules the onboarding event carried (no call back to the tenant).
    with connect("ledger", "system") as connection, connection.cursor() as cursor:
        cursor.execute("SELECT event_id FROM announced_rules WHERE estate_code = %s ORDER BY effective_from", (code,))
        sources = [row[0] for row in cursor.fetchall()]
    assert sources[0].startswith("event:EstateOnboarded@"), sources
