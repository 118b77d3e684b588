"""A community micro-fund's book in the ledger, end to end with the real services: the micro-fund's
service account opens the book of a community of its own over gRPC, posts the fund's life (a firm's
pledge, its receipt, a grant decided and paid) with idempotency keys, is refused what the book
refuses (an unbalanced entry, a trust book's account, a household), has the fund's log signed; a
resident of an estate of that community reads the book over HTTP and verifies an entry offline, and a
person of another community's estate is refused (403)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import grpc
import httpx
import psycopg
import pytest

from tests.e2e.conftest import onboard, wait_for_books
from tests.harness import SUB_DISTRICT, bearer, connect, grpc_target, http_url, service_token, unique_code
from xinyi.ledger.v1 import ledger_pb2, ledger_pb2_grpc
from xinyi_shared.transparency.checkpoint import checkpoint_of
from xinyi_shared.transparency.verify import verify_bundle

pytestmark = pytest.mark.e2e

FUND_NAME = "测试社区微基金"
Lines = list[tuple[str, int]]
PLEDGE: Lines = [("1200", 450_000), ("4000", -450_000)]  # a firm pledges its donation
RECEIPT: Lines = [("1000", 450_000), ("1200", -450_000)]  # the transfer arrives
GRANT: Lines = [("5000", 300_000), ("2100", -300_000)]  # a grant is decided
DISBURSEMENT: Lines = [("2100", 300_000), ("1000", -300_000)]  # and paid


@pytest.fixture(scope="module")
def ledger() -> Iterator[Any]:
    with grpc.insecure_channel(grpc_target("ledger")) as channel:
        yield ledger_pb2_grpc.LedgerServiceStub(channel)


@pytest.fixture(scope="module")
def service() -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {service_token('microfund-service')}")]


def lines(items: Lines, household: str = "") -> list[ledger_pb2.PostingLine]:
    return [ledger_pb2.PostingLine(account=a, amount_fen=f, household_id=household) for a, f in items]


def refused_with(code: grpc.StatusCode, call: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(grpc.RpcError) as refused:
        call(*args, **kwargs)
    assert refused.value.code() == code, refused.value.details()
    return str(refused.value.details())


@pytest.fixture(scope="module")
def community(tenant_api, admin_token, make_member, ledger, service) -> dict[str, Any]:
    """A community of its own whose fund's book is opened before its first estate (so the micro-fund
    service, which opens it when an estate joins, finds it open); a resident of that estate; a
    resident of an estate of another community."""
    code = unique_code("fundc")
    registered = tenant_api.post(
        f"/v1/sub-districts/{SUB_DISTRICT}/communities",
        json={"code": code, "name": "测试社区"},
        headers=bearer(admin_token),
    )
    assert registered.status_code == 201, registered.text
    opened = ledger.OpenFundBook(
        ledger_pb2.OpenFundBookRequest(community_code=code, name=FUND_NAME), metadata=service, timeout=30
    )
    estate = unique_code("fe")
    assert onboard(tenant_api, admin_token, estate, community_code=code).status_code == 201
    _, resident = make_member(estate, "resident")
    wait_for_books(estate, resident)  # the ledger knows the estate, and its community
    elsewhere = unique_code("fo")  # of the tests' usual community
    assert onboard(tenant_api, admin_token, elsewhere).status_code == 201
    _, outsider = make_member(elsewhere, "resident")
    wait_for_books(elsewhere, outsider)
    return {"code": code, "opened": opened, "resident": resident, "outsider": outsider}


def post(ledger: Any, service: Any, community: str, key: str, kind: str, items: Lines) -> Any:
    request = ledger_pb2.PostTransactionRequest(
        book="fund", community_code=community, idempotency_key=key, kind=kind, memo=kind, lines=lines(items)
    )
    return ledger.PostTransaction(request, metadata=service, timeout=30)


def test_a_community_funds_book_end_to_end(community, ledger, service) -> None:
    code = community["code"]
    opened = community["opened"]
    assert (opened.community_code, opened.name, opened.opened_now) == (code, FUND_NAME, True)
    assert [a.code for a in opened.accounts] == ["1000", "1200", "2100", "3000", "4000", "4100", "5000"]
    again = ledger.OpenFundBook(
        ledger_pb2.OpenFundBookRequest(community_code=code, name="another name"), metadata=service, timeout=30
    )
    assert (again.name, again.opened_now) == (FUND_NAME, False), "opening is idempotent; the first name stands"

    # The fund's life, each entry under its own idempotency key.
    run = uuid.uuid4().hex[:12]
    posted = {
        kind: post(ledger, service, code, f"e2e-{kind}-{run}", kind, items)
        for kind, items in (
            ("pledge", PLEDGE),
            ("donation_received", RECEIPT),
            ("grant_approved", GRANT),
            ("grant_disbursed", DISBURSEMENT),
        )
    }
    assert all(not p.replayed and p.transaction_id for p in posted.values())
    balances = ledger.GetBalances(
        ledger_pb2.GetBalancesRequest(book="fund", community_code=code), metadata=service, timeout=30
    )
    moved = {b.account: b.balance_fen for b in balances.balances if b.balance_fen}
    assert moved == {"1000": 150_000, "4000": -450_000, "5000": 300_000}

    # A retry answers the first posting; the same key with another body is refused.
    replay = post(ledger, service, code, f"e2e-pledge-{run}", "pledge", PLEDGE)
    assert (replay.transaction_id, replay.replayed) == (posted["pledge"].transaction_id, True)
    refused_with(
        grpc.StatusCode.ALREADY_EXISTS,
        post,
        ledger,
        service,
        code,
        f"e2e-pledge-{run}",
        "pledge",
        [("1200", 1), ("4000", -1)],
    )
    # What the book refuses: unbalanced, a trust book's account, a household's sub-ledger.
    refused_with(
        grpc.StatusCode.INVALID_ARGUMENT,
        post,
        ledger,
        service,
        code,
        f"e2e-bad-1-{run}",
        "pledge",
        [("1200", 100), ("4000", -99)],
    )
    refused_with(
        grpc.StatusCode.INVALID_ARGUMENT,
        post,
        ledger,
        service,
        code,
        f"e2e-bad-2-{run}",
        "income",
        [("1000", 100), ("4190", -100)],
    )
    with_household = ledger_pb2.PostTransactionRequest(
        book="fund",
        community_code=code,
        idempotency_key=f"e2e-bad-3-{run}",
        kind="donation",
        lines=[*lines([("1000", 100)], household=str(uuid.uuid4())), *lines([("4100", -100)])],
    )
    refused_with(grpc.StatusCode.INVALID_ARGUMENT, ledger.PostTransaction, with_household, metadata=service, timeout=30)
    # The trust books' path never reaches a fund's book, nor a fund's an unopened community's.
    trust = ledger_pb2.PostTransactionRequest(
        book="trust",
        estate_code=f"fund:{code}",
        idempotency_key=f"e2e-trust-{run}",
        kind="donation",
        lines=lines(RECEIPT),
    )
    refused_with(grpc.StatusCode.NOT_FOUND, ledger.PostTransaction, trust, metadata=service, timeout=30)
    refused_with(
        grpc.StatusCode.NOT_FOUND,
        ledger.GetBalances,
        ledger_pb2.GetBalancesRequest(book="fund", community_code=unique_code("nofund")),
        metadata=service,
        timeout=30,
    )
    # Only the platform's services write a fund's book or read it over gRPC.
    person = [("authorization", f"Bearer {community['resident']}")]
    refused_with(
        grpc.StatusCode.PERMISSION_DENIED,
        ledger.GetBalances,
        ledger_pb2.GetBalancesRequest(book="fund", community_code=code),
        metadata=person,
        timeout=30,
    )
    refused_with(grpc.StatusCode.PERMISSION_DENIED, post, ledger, person, code, f"e2e-person-{run}", "pledge", PLEDGE)
    after = ledger.GetBalances(
        ledger_pb2.GetBalancesRequest(book="fund", community_code=code), metadata=service, timeout=30
    )
    assert {b.account: b.balance_fen for b in after.balances if b.balance_fen} == moved, "nothing refused was posted"

    # The fund's log, signed on the micro-fund's request.
    checkpoint = ledger.PublishFundCheckpoint(
        ledger_pb2.PublishFundCheckpointRequest(community_code=code), metadata=service, timeout=60
    )
    assert (checkpoint.community_code, checkpoint.tree_size) == (code, 4)
    assert checkpoint_of(checkpoint.note).origin.endswith(f"/funds/{code}")

    # A resident of an estate of the community reads the book and verifies an entry offline.
    fund = httpx.Client(
        base_url=f"{http_url('ledger')}/v1/funds/{code}", headers=bearer(community["resident"]), timeout=30
    )
    accounts = fund.get("/accounts")
    assert accounts.status_code == 200, accounts.text
    assert accounts.json()["name"] == FUND_NAME
    assert {a["code"]: a["balance_fen"] for a in accounts.json()["accounts"] if a["balance_fen"]} == moved
    entries = fund.get("/transactions").json()
    assert [e["kind"] for e in entries] == ["grant_disbursed", "grant_approved", "donation_received", "pledge"]
    assert [e["number"] for e in entries] == [4, 3, 2, 1]
    assert all(line["household_id"] is None for e in entries for line in e["lines"])
    latest = fund.get("/log/checkpoints/latest").json()
    assert (latest["tree_size"], latest["note"]) == (4, checkpoint.note)
    key = fund.get("/log/key").json()
    assert key["origin"] == checkpoint_of(checkpoint.note).origin
    disbursement = posted["grant_disbursed"].transaction_id
    bundle = fund.get(f"/log/entries/{disbursement}/proof")
    assert bundle.status_code == 200, bundle.text
    assert bundle.json()["entry"]["estate"] == code
    assert [(line["account"], line["amount_fen"]) for line in bundle.json()["entry"]["lines"]] == DISBURSEMENT
    verdict = verify_bundle(bundle.json(), log_key=key["log_key"])
    assert verdict.ok, verdict.reasons
    assert fund.get(f"/log/entries/{uuid.uuid4()}/proof").status_code == 404

    # A person of another community's estate may not read it.
    outsider = bearer(community["outsider"])
    for path in ("/accounts", "/transactions", "/log/checkpoints/latest", f"/log/entries/{disbursement}/proof"):
        response = fund.get(path, headers=outsider)
        assert response.status_code == 403, (path, response.text)
        assert response.json()["error"] == "permission_denied"
    fund.close()


def test_the_database_refuses_an_unbalanced_entry_in_a_funds_book(community, ledger, service) -> None:
    """As it does for an estate's books: checked once per INSERT of postings, whoever writes."""
    code = community["code"]
    book = f"fund:{code}"
    period = post(ledger, service, code, f"e2e-db-{uuid.uuid4().hex[:12]}", "pledge", PLEDGE).period
    transaction_id = uuid.uuid4()
    with connect("ledger", "app") as connection:
        connection.execute("SELECT set_config('xinyi.estate', %s, true)", (book,))
        connection.execute(
            "INSERT INTO transactions (id, estate_code, period, kind, posted_by, estate_seq) "
            "VALUES (%s, %s, %s, 'pledge', 'e2e', nextval(estate_sequence(%s)))",
            (transaction_id, book, period, book),
        )
        with pytest.raises(psycopg.errors.CheckViolation):
            connection.execute(
                "INSERT INTO postings (transaction_id, line, estate_code, account, amount_fen) "
                "VALUES (%s, 1, %s, '1200', 100), (%s, 2, %s, '4000', -99)",
                (transaction_id, book, transaction_id, book),
            )
        connection.rollback()
