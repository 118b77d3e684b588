"""The ledger's engine end to end: reads never write, money is bounded and strict, entries are
numbered per estate and paged by number, batched posting over gRPC, and payments retried while
the ledger is killed and restarted are recorded exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor

import grpc
import httpx
import pytest

from tests.e2e.test_ledger import PERIOD, TODAY, key, pay
from tests.harness import (
    REPO_DIR,
    STATE_DIR,
    bearer,
    claim_member,
    connect,
    eventually,
    grpc_target,
    service_token,
)
from xinyi.ledger.v1 import ledger_pb2, ledger_pb2_grpc


def ledger_rows(code: str, table: str) -> int:
    with connect("ledger", "system") as connection, connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table} WHERE estate_code = %s", (code,))
        return int(cursor.fetchone()[0])


def month_before(period: str, months: int) -> str:
    year, month = int(period[:4]), int(period[5:]) - months
    while month < 1:
        year, month = year - 1, month + 12
    return f"{year:04d}-{month:02d}"


def test_reading_any_period_creates_nothing_and_the_month_still_closes(books, tenant_api, make_member) -> None:
    code, ledger, (h1, _, _) = books
    resident = claim_member(tenant_api, code, make_member(code, "firm_manager")[1], h1, "13600000077")
    as_resident = httpx.Client(base_url=ledger.base_url, headers=bearer(resident), timeout=30)
    periods_before = ledger_rows(code, "periods")
    for period, status in (
        ("2020-01", 404),  # before the books began
        (month_before(PERIOD, 1), 404),  # the books were opened this month
        ("2999-12", 404),  # not yet begun
        ("0000-01", 404),
        ("2026-13", 422),
        (PERIOD, 200),
    ):
        for client in (ledger, as_resident):
            answer = client.get(f"/statements/{period}")
            assert answer.status_code == status, (period, answer.text)
            assert set(answer.json()) >= ({"error", "reason"} if status != 200 else {"closed"})
    assert as_resident.get(f"/statements/{month_before(PERIOD, 3)}/pdf").status_code == 404
    assert ledger_rows(code, "periods") == periods_before, "a read created a period"

    closed = ledger.post(f"/periods/{PERIOD}/close", headers={"Idempotency-Key": key()})
    assert closed.status_code == 200, closed.text
    assert closed.json()["closed"] is True
    assert ledger.get(f"/statements/{PERIOD}").json()["closed"] is True


@pytest.mark.parametrize("amount", [2**63 - 1, 10**10 + 1, True, "100", 1.0, 0, -5, None])
def test_amounts_are_strict_bounded_integers(books, amount) -> None:
    code, ledger, (h1, _, _) = books
    body = {"household_id": h1, "amount_fen": amount, "method": "cash", "received_on": TODAY}
    answer = ledger.post("/payments", json=body, headers={"Idempotency-Key": key()})
    assert answer.status_code == 422, answer.text
    assert {"error", "reason"} <= set(answer.json())
    income = {"kind": "parking", "amount_fen": amount, "received_on": TODAY}
    assert ledger.post("/common-income", json=income, headers={"Idempotency-Key": key()}).status_code == 422
    assert ledger_rows(code, "transactions") == 0


@pytest.mark.parametrize(
    "query", ["before=9223372036854775808", "before=0", "before=-1", "limit=0", "limit=100000", "limit=true"]
)
def test_paging_parameters_are_bounded(books, query) -> None:
    _, ledger, _ = books
    answer = ledger.get(f"/transactions?{query}")
    assert answer.status_code == 422, answer.text
    assert {"error", "reason"} <= set(answer.json())


def entry_sequence(code: str) -> str | None:
    with connect("ledger", "system") as connection:
        row = connection.execute("SELECT to_regclass('estate_seq_' || md5(%s))::text", (code,)).fetchone()
        return row[0] if row else None


def test_the_books_sequence_of_entry_numbers_is_ready_once_the_books_open(books) -> None:
    # Created just after the books' own commit (a DDL statement kept off the way to open books), so
    # the estate's first entry does not wait on it.
    code = books[0]
    assert eventually(lambda: entry_sequence(code), timeout=10, what=f"the entry sequence of {code}")


def test_entries_are_numbered_per_estate_and_paged_by_number(books) -> None:
    _, ledger, (h1, h2, h3) = books
    for household in (h1, h2, h3, h1):
        assert pay(ledger, household, 100).status_code == 201
    first_page = ledger.get("/transactions?limit=2").json()
    numbers = [entry["number"] for entry in first_page]
    assert numbers == sorted(numbers, reverse=True) and len(numbers) == 2
    rest = ledger.get(f"/transactions?limit=500&before={numbers[-1]}").json()
    every = numbers + [entry["number"] for entry in rest]
    # Numbered from 1 in this estate alone (the other estates' entries do not show in them).
    assert sorted(every) == list(range(1, len(every) + 1))


@pytest.fixture
def funded_batch_books(books):
    """The estate's books with 1,000 CNY of common income in cash, a ledger stub, and a posting
    service's metadata."""
    code, ledger, _ = books
    ledger.post(
        "/common-income",
        json={"kind": "other", "amount_fen": 100000, "received_on": TODAY},
        headers={"Idempotency-Key": key()},
    )
    stub = ledger_pb2_grpc.LedgerServiceStub(grpc.insecure_channel(grpc_target("ledger")))
    metadata = [("authorization", f"Bearer {service_token('microfund-service')}")]
    return code, ledger, stub, metadata


def test_batched_posting_over_grpc_is_all_or_nothing_per_transaction(funded_batch_books) -> None:
    code, ledger, stub, metadata = funded_batch_books

    def item(idempotency_key: str, *lines: tuple[str, int]) -> ledger_pb2.PostTransactionItem:
        return ledger_pb2.PostTransactionItem(
            idempotency_key=idempotency_key,
            kind="bench_transfer",
            memo="batch",
            lines=[ledger_pb2.PostingLine(account=a, amount_fen=f) for a, f in lines],
        )

    keys = [f"batch-{uuid.uuid4().hex}" for _ in range(4)]
    request = ledger_pb2.PostTransactionsRequest(
        estate_code=code,
        book="trust",
        transactions=[
            item(keys[0], ("4190", 500), ("1000", -500)),
            item(keys[1], ("4190", 500), ("1000", -400)),  # unbalanced
            item(keys[2], ("1100", 500), ("1000", -500)),  # an account only the ledger posts to
            item(keys[3], ("4190", 700), ("1000", -700)),
        ],
    )
    answer = stub.PostTransactions(request, metadata=metadata, timeout=30)
    assert (answer.posted, answer.refused, answer.replayed) == (2, 2, 0)
    assert [bool(result.transaction_id) for result in answer.results] == [True, False, False, True]
    assert answer.results[1].error_code == "INVALID_ARGUMENT" and answer.results[1].error_reason
    again = stub.PostTransactions(request, metadata=metadata, timeout=30)
    assert (again.posted, again.refused, again.replayed) == (0, 2, 2)
    for first, replayed in zip(answer.results, again.results, strict=True):
        assert (replayed.transaction_id, replayed.period) == (first.transaction_id, first.period)
        assert replayed.replayed == bool(first.transaction_id)
    assert ledger.get("/balances").json()["1000"] == 100000 - 500 - 700
    with pytest.raises(grpc.RpcError) as refused:
        stub.PostTransactions(
            ledger_pb2.PostTransactionsRequest(estate_code=code, book="trust"), metadata=metadata, timeout=30
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_a_batch_item_whose_memo_cannot_be_stored_is_refused_alone(funded_batch_books) -> None:
    code, ledger, stub, metadata = funded_batch_books
    before = ledger.get("/balances").json()["1000"]
    lines = [
        ledger_pb2.PostingLine(account="4190", amount_fen=300),
        ledger_pb2.PostingLine(account="1000", amount_fen=-300),
    ]
    answer = stub.PostTransactions(
        ledger_pb2.PostTransactionsRequest(
            estate_code=code,
            book="trust",
            transactions=[
                ledger_pb2.PostTransactionItem(idempotency_key=key(), kind="bench_transfer", memo=memo, lines=lines)
                for memo in ("receipt\x00 7", 'a "quoted" \\ memo, {braced}')
            ],
        ),
        metadata=metadata,
        timeout=30,
    )
    assert (answer.posted, answer.refused) == (1, 1)
    assert answer.results[0].error_code == "INVALID_ARGUMENT" and "NUL" in answer.results[0].error_reason
    assert ledger.get("/balances").json()["1000"] == before - 300
    (posted,) = [e for e in ledger.get("/transactions?limit=5").json() if e["id"] == answer.results[1].transaction_id]
    assert posted["memo"] == 'a "quoted" \\ memo, {braced}'  # stored as written, quotes and all


def kill_ledger() -> None:
    """kill -9 the ledger's whole process group (its master and every worker)."""
    pid = int((STATE_DIR / "services" / "ledger.pid").read_text())
    os.killpg(os.getpgid(pid), signal.SIGKILL)


def start_services() -> None:
    subprocess.run([str(REPO_DIR / "deploy" / "services.sh"), "up"], check=True, timeout=180)


def test_payments_retried_across_a_killed_ledger_are_recorded_exactly_once(books) -> None:
    code, ledger, households = books
    payments = [(households[i % 3], 100 + i, f"crash-{uuid.uuid4().hex}") for i in range(60)]

    def pay_until_accepted(payment: tuple[str, int, str]) -> int:
        household, fen, idempotency_key = payment

        def attempt() -> int | None:
            try:
                answer = pay(ledger, household, fen, idempotency_key)
            except httpx.HTTPError:
                return None  # the ledger is down: retry with the same key
            return answer.status_code if answer.status_code in (200, 201) else None

        return eventually(attempt, timeout=120, what="the payment to be accepted")

    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(pay_until_accepted, payment) for payment in payments]
        kill_ledger()
        start_services()
        assert all(future.result() in (200, 201) for future in futures)

    with connect("ledger", "system") as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*), coalesce(sum(amount_fen), 0) FROM payments WHERE estate_code = %s", (code,))
        count, total = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM (SELECT transaction_id FROM postings WHERE estate_code = %s "
            "GROUP BY transaction_id HAVING sum(amount_fen) <> 0) unbalanced",
            (code,),
        )
        unbalanced = cursor.fetchone()[0]
    assert count == len(payments), "every payment exactly once"
    assert total == sum(fen for _, fen, _ in payments)
    assert unbalanced == 0
    balances = ledger.get("/balances").json()
    assert sum(balances.values()) == 0
    assert balances["1000"] == total
    # Every retry after the restart answered from its key: no new entry.
    for household, fen, idempotency_key in payments[:5]:
        replay = pay(ledger, household, fen, idempotency_key)
        assert replay.status_code == 201 and replay.headers.get("Idempotent-Replayed") == "true"


def test_a_resident_sees_other_households_lines_blinded(books, tenant_api, make_member) -> None:
    code, ledger, (h1, h2, _) = books
    assert pay(ledger, h1, 1000).status_code == 201
    assert pay(ledger, h2, 2000).status_code == 201
    resident = claim_member(tenant_api, code, make_member(code, "firm_manager")[1], h1, "13600000078")
    as_resident = httpx.Client(base_url=ledger.base_url, headers=bearer(resident), timeout=30)
    seen = [line for entry in as_resident.get("/transactions").json() for line in entry["lines"]]
    households = {line["household_id"] for line in seen if line["household_id"]}
    assert households == {h1}, "a resident sees only its own household's id"
    blinded = [line for line in seen if line["blinded"]]
    assert [line["amount_fen"] for line in blinded] == [-2000], "the other household's amount, without its id"
    firm_lines = [line for entry in ledger.get("/transactions").json() for line in entry["lines"]]
    assert {line["household_id"] for line in firm_lines if line["household_id"]} == {h1, h2}
    assert not any(line["blinded"] for line in firm_lines)
