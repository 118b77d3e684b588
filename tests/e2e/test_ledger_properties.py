"""Property-based test of the trust books through their real API and database: random sequences
of billing, payments, common income, corrections, retries and the close; after every step the
books balance, no account drifts from the sum of its entries, and a retry changes nothing."""

from __future__ import annotations

import uuid
from collections import Counter

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.conftest import onboard, wait_for_books
from tests.e2e.test_ledger import PERIOD, TODAY
from tests.harness import bearer, finished_job, household_csv, http_url, settled_balances, unique_code

HOUSEHOLDS = 3
operation = st.one_of(
    st.tuples(st.just("bill")),
    st.tuples(st.just("pay"), st.integers(0, HOUSEHOLDS - 1), st.integers(1, 6000)),
    st.tuples(
        st.just("income"), st.sampled_from(["parking", "advertising", "venue_rent", "other"]), st.integers(1, 50000)
    ),
    st.tuples(st.just("reverse"), st.integers(0, 20)),
    st.tuples(st.just("retry"), st.integers(0, 20)),
    st.tuples(st.just("close")),
)


def check_books(ledger: httpx.Client, households: list[str]) -> dict[str, int]:
    # The balances and the entries are two reads: the background remuneration accrual may post
    # between them, so they are compared only when the balances did not move around the entries' read.
    for _ in range(20):
        balances = settled_balances(ledger)
        entries = ledger.get("/transactions", params={"limit": 500}).json()
        if ledger.get("/balances").json() == balances:
            break
    assert sum(balances.values()) == 0, "the books balance"
    sums: Counter[str] = Counter()
    for entry in entries:
        assert sum(line["amount_fen"] for line in entry["lines"]) == 0, "every transaction balances"
        for line in entry["lines"]:
            sums[line["account"]] += line["amount_fen"]
    assert {a: f for a, f in sums.items() if f} == {a: f for a, f in balances.items() if f}, "no account drifts"
    owed = 0
    for household in households:
        account = ledger.get(f"/households/{household}/account").json()
        assert account["owed_fen"] >= 0 and account["prepaid_fen"] >= 0
        assert account["owed_fen"] == sum(bill["due_fen"] for bill in account["bills"])
        owed += account["owed_fen"]
    assert owed == balances.get("1100", 0)
    return balances


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(operations=st.lists(operation, min_size=4, max_size=14))
def test_random_sequences_keep_the_books_exact(tenant_api, admin_token, make_member, operations) -> None:
    code = unique_code("prop")
    assert onboard(tenant_api, admin_token, code).status_code == 201
    _, manager = make_member(code, "firm_manager")
    households = tenant_api.post(
        f"/v1/estates/{code}/households/import",
        files={"file": ("list.csv", household_csv(HOUSEHOLDS), "text/csv")},
        headers=bearer(manager),
    ).json()["household_ids"]
    wait_for_books(code, manager)
    ledger = httpx.Client(base_url=f"{http_url('ledger')}/v1/estates/{code}", headers=bearer(manager), timeout=60)
    done: list[tuple[str, dict, str, httpx.Response]] = []  # (path, body, key, first response)
    reversible: list[str] = []
    try:
        for op in operations:
            before = check_books(ledger, households)
            if op[0] == "retry":
                if not done:
                    continue
                path, body, key, first = done[op[1] % len(done)]
                again = ledger.post(path, json=body, headers={"Idempotency-Key": key})
                assert again.status_code == first.status_code
                assert again.json() == first.json(), "a retry returns the first answer"
                assert check_books(ledger, households) == before, "a retry changes nothing"
                continue
            if op[0] == "bill":
                # A background job (202, then followed to its end), or refused at once (a closed month).
                started = ledger.post(
                    "/billing-runs", json={"period": PERIOD}, headers={"Idempotency-Key": f"prop-{uuid.uuid4().hex}"}
                )
                assert started.status_code in (202, 409), started.text
                if started.status_code == 202:
                    job = finished_job(ledger, started.json()["job_id"])
                    assert job["status"] == "done", job
                else:
                    assert check_books(ledger, households) == before, "a refused run changes nothing"
                continue
            elif op[0] == "pay":
                path = "/payments"
                body = {"household_id": households[op[1]], "amount_fen": op[2], "method": "cash", "received_on": TODAY}
            elif op[0] == "income":
                path, body = "/common-income", {"kind": op[1], "amount_fen": op[2], "received_on": TODAY}
            elif op[0] == "reverse":
                if not reversible:
                    continue
                path, body = f"/transactions/{reversible.pop(op[1] % len(reversible))}/reversal", {"reason": "更正"}
            else:
                path, body = f"/periods/{PERIOD}/close", {}
            key = f"prop-{uuid.uuid4().hex}"
            response = ledger.post(path, json=body, headers={"Idempotency-Key": key})
            assert response.status_code < 500, response.text
            if response.status_code >= 400:
                # Refused (e.g. a closed month): nothing changed.
                assert check_books(ledger, households) == before
                continue
            done.append((path, body, key, response))
            if op[0] in ("pay", "income"):
                reversible.append(response.json()["transaction_id"])
        check_books(ledger, households)
    finally:
        ledger.close()
