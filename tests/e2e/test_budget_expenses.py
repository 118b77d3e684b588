"""The money-out half end to end, with the real services: the owners adopt one of the firm's service
plans by ballot (once, also when BallotClosed is delivered twice); the firm proposes expenses with
vouchers; the supervisor — never the proposer — approves; an over-budget expense waits for the
households' ballot; residents question an expense and the firm answers; the books, budget vs actual
and the PDF statement show it all; bad input changes nothing."""

from __future__ import annotations

import io
import os
import uuid
from datetime import UTC, datetime, timedelta

import boto3
import botocore.exceptions
import httpx
import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from pypdf import PdfReader

from tests.e2e.conftest import onboard, wait_for_books
from tests.harness import (
    PORTS,
    bearer,
    claim_member,
    estate_events,
    estate_now,
    eventually,
    household_csv,
    http_url,
    unique_code,
)
from xinyi.ledger.v1 import events_pb2 as ledger_events
from xinyi_shared.settings import default_state_dir

TENANT_TOPIC = "xinyi.tenant.events.v1"
LEDGER_TOPIC = "xinyi.ledger.events.v1"
YEAR = estate_now().year  # the estate's books begin this month, so this year's budget


def plans() -> list[dict[str, object]]:
    return [
        {
            "name": "基础方案",
            "fee_income_fen": 100_000_000,
            "lines": [
                {"account": "5100", "name": "保洁", "amount_fen": 30_000_000},
                {"account": "5200", "name": "秩序维护", "amount_fen": 30_000_000},
                {"account": "5600", "name": "维修", "amount_fen": 1_000_000},
            ],
        },
        {
            "name": "提升方案",
            "fee_income_fen": 100_000_000,
            "lines": [
                {"account": "5100", "name": "保洁", "amount_fen": 40_000_000},
                {"account": "5200", "name": "秩序维护", "amount_fen": 40_000_000},
                {"account": "5600", "name": "维修", "amount_fen": 2_000_000},
            ],
        },
    ]


@pytest.fixture
def estate(tenant_api, admin_token, make_member, keycloak):
    code = unique_code("budget")
    assert onboard(tenant_api, admin_token, code).status_code == 201
    manager_name, manager = make_member(code, "firm_manager")
    _, supervisor = make_member(code, "supervisor")
    ids = tenant_api.post(
        f"/v1/estates/{code}/households/import",
        files={"file": ("list.csv", household_csv(3), "text/csv")},
        headers=bearer(manager),
    ).json()["household_ids"]
    residents = [claim_member(tenant_api, code, manager, ids[i], f"1370000{i:04d}") for i in range(3)]
    wait_for_books(code, manager)
    # A firm manager who also holds the supervisor role: still never approves its own proposal.
    keycloak.grant_role(manager_name, "supervisor")
    from tests.harness import user_token

    manager = user_token(manager_name)
    ledger = httpx.Client(base_url=f"{http_url('ledger')}/v1/estates/{code}", timeout=60)
    yield code, ledger, manager, supervisor, residents
    ledger.close()


def decide_by_ballot(tenant_api, code: str, supervisor: str, residents: list[str], subject: str, options, votes):
    base = f"/v1/estates/{code}/ballots"
    now = datetime.now(UTC)
    opened = tenant_api.post(
        base,
        json={
            "subject": subject,
            "question": f"表决 {subject}",
            "options": options,
            "quorum_bps": 5000,
            "threshold": "simple_majority",
            "threshold_base": "votes_cast",
            "opens_at": (now - timedelta(minutes=2)).isoformat(),
            "closes_at": (now + timedelta(hours=1)).isoformat(),
        },
        headers=bearer(supervisor),
    )
    assert opened.status_code == 201, opened.text
    ballot = opened.json()["id"]
    for resident, option in zip(residents, votes, strict=True):
        voted = tenant_api.post(f"{base}/{ballot}/votes", json={"option": option}, headers=bearer(resident))
        assert voted.status_code == 201, voted.text
    closed = tenant_api.post(f"{base}/{ballot}/close", json={"early": True}, headers=bearer(supervisor))
    assert closed.status_code == 200, closed.text
    return ballot


def raw_records(topic: str, estate_code: str, event_type: str) -> list[tuple[bytes | None, list, bytes]]:
    consumer = KafkaConsumer(bootstrap_servers=f"127.0.0.1:{PORTS['KAFKA_PORT']}", enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        end = consumer.end_offsets(partitions)
        found = []
        while any(consumer.position(p) < end[p] for p in partitions):
            for batch in consumer.poll(timeout_ms=500).values():
                for record in batch:
                    headers = dict(record.headers)
                    if (
                        headers.get("ce_subject") == estate_code.encode()
                        and headers.get("ce_type") == event_type.encode()
                    ):
                        found.append((record.key, record.headers, record.value))
        return found
    finally:
        consumer.close()


def redeliver(topic: str, record: tuple[bytes | None, list, bytes], *, new_id: bool) -> None:
    key, headers, value = record
    if new_id:
        headers = [(k, str(uuid.uuid4()).encode() if k == "ce_id" else v) for k, v in headers]
    producer = KafkaProducer(bootstrap_servers=f"127.0.0.1:{PORTS['KAFKA_PORT']}")
    try:
        producer.send(topic, key=key, value=value, headers=headers).get(timeout=30)
    finally:
        producer.close()


def a_pdf(ledger: httpx.Client, token: str) -> bytes:
    """A real PDF to use as a voucher: the estate's own statement."""
    period = estate_now().strftime("%Y-%m")
    response = ledger.get(f"/statements/{period}/pdf", headers=bearer(token))
    assert response.status_code == 200
    return response.content


def s3_client():
    return boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{PORTS['SEAWEEDFS_S3_PORT']}",
        aws_access_key_id="xinyi-dev",
        aws_secret_access_key="xinyi-dev-secret",
        region_name="us-east-1",
    )


def stored_voucher(sha: str) -> tuple[str, object]:
    """Where the ledger keeps a voucher's bytes: SeaweedFS through the S3 store (the tests' platform,
    XINYI_BLOB_BACKEND=s3) or a folder (`make up`'s default), and a handle to overwrite them."""
    s3 = s3_client()
    try:
        s3.head_object(Bucket="xinyi-ledger", Key=f"blobs/{sha}")
        return "s3", s3
    except (botocore.exceptions.ClientError, botocore.exceptions.EndpointConnectionError):
        path = default_state_dir() / "blobs" / "ledger" / sha[:2] / sha[2:4] / sha
        assert path.is_file(), f"voucher {sha} is neither in SeaweedFS nor in {path}"
        return "filesystem", path


def upload(ledger: httpx.Client, token: str, name: str, content: bytes, media_type: str) -> httpx.Response:
    return ledger.post("/vouchers", files={"file": (name, content, media_type)}, headers=bearer(token))


def test_the_owners_adopt_a_plan_once_and_expenses_pass_dual_approval(tenant_api, estate) -> None:
    code, ledger, manager, supervisor, residents = estate

    # --- the budget ---------------------------------------------------------------------------------
    drafted = ledger.post(
        "/budget-drafts",
        json={"year": YEAR, "plans": plans(), "large_expense_threshold_fen": 5_000_000},
        headers=bearer(manager),
    )
    assert drafted.status_code == 201, drafted.text
    draft = drafted.json()
    assert draft["status"] == "draft" and [p["name"] for p in draft["plans"]] == ["基础方案", "提升方案"]
    overspending = plans()[:1]
    overspending[0]["lines"][0]["amount_fen"] = 90_000_000  # + 15% remuneration: more than the income
    refused = ledger.post("/budget-drafts", json={"year": YEAR, "plans": overspending}, headers=bearer(manager))
    assert refused.status_code == 422 and "within income" in refused.json()["reason"]
    assert (
        ledger.post("/budget-drafts", json={"year": YEAR, "plans": plans()}, headers=bearer(supervisor)).status_code
        == 403
    )
    assert ledger.get(f"/budgets/{YEAR}", headers=bearer(residents[0])).status_code == 404

    ballot = decide_by_ballot(
        tenant_api,
        code,
        supervisor,
        residents,
        draft["ballot_subject"],
        ["基础方案", "提升方案"],
        ["提升方案", "提升方案", "基础方案"],
    )

    def adopted() -> dict[str, object] | None:
        response = ledger.get(f"/budgets/{YEAR}", headers=bearer(residents[2]))
        return response.json() if response.status_code == 200 else None

    budget = eventually(adopted, timeout=60, what="the ledger to adopt the winning plan")
    assert budget["plan"]["name"] == "提升方案" and budget["ballot_id"] == ballot
    assert {line["account"]: line["amount_fen"] for line in budget["plan"]["lines"]} == {
        "5100": 40_000_000,
        "5200": 40_000_000,
        "5600": 2_000_000,
    }
    assert ledger.get(f"/budget-drafts/{draft['id']}", headers=bearer(manager)).json()["status"] == "adopted"
    frozen = ledger.put(f"/budget-drafts/{draft['id']}", json={"year": YEAR, "plans": plans()}, headers=bearer(manager))
    assert frozen.status_code == 409, "a budget changes only by a new ballot"
    accounts = {a["code"] for a in ledger.get("/accounts", headers=bearer(manager)).json()["accounts"]}
    assert {"5100", "5200", "5600", "2300"} <= accounts

    # BallotClosed delivered twice — the same event again, and a copy under a new id: adopted once.
    (closed_record,) = [r for r in raw_records(TENANT_TOPIC, code, "xinyi.tenant.v1.BallotClosed")]
    redeliver(TENANT_TOPIC, closed_record, new_id=False)
    redeliver(TENANT_TOPIC, closed_record, new_id=True)
    marker = ledger.post("/budget-drafts", json={"year": YEAR, "plans": plans()}, headers=bearer(manager))
    assert marker.status_code == 201  # a later write: once its state is read, the redeliveries were consumed
    adopted_events = estate_events(LEDGER_TOPIC, code, "xinyi.ledger.v1.BudgetAdopted")
    assert len(adopted_events) == 1
    event = ledger_events.BudgetAdopted.FromString(adopted_events[0])
    assert (event.plan_name, event.year, event.ballot_id) == ("提升方案", YEAR, ballot)

    # --- an expense within its line -----------------------------------------------------------------
    pdf = a_pdf(ledger, manager)
    voucher = upload(ledger, manager, "发票.pdf", pdf, "application/pdf")
    assert voucher.status_code == 201, voucher.text
    assert voucher.json()["media_type"] == "application/pdf"
    sha = voucher.json()["sha256"]
    proposal = {
        "payee": "某某维修公司",
        "amount_fen": 150_000,
        "account": "5600",
        "description": "楼道灯更换",
        "vouchers": [sha],
    }
    proposed = ledger.post("/expenses", json=proposal, headers=bearer(manager))
    assert proposed.status_code == 201, proposed.text
    expense = proposed.json()
    assert (expense["status"], expense["needs"]) == ("proposed", "none")

    own = ledger.post(f"/expenses/{expense['id']}/approve", headers=bearer(manager))
    assert own.status_code == 403, "the proposer never approves, whatever roles it holds"
    approved = ledger.post(f"/expenses/{expense['id']}/approve", headers=bearer(supervisor))
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved" and approved.json()["booking_transaction_id"]
    again = ledger.post(f"/expenses/{expense['id']}/approve", headers=bearer(supervisor))
    assert again.status_code == 409

    entries = ledger.get("/transactions", headers=bearer(residents[0])).json()
    booked = [e for e in entries if e["id"] == approved.json()["booking_transaction_id"]]
    assert [(line["account"], line["amount_fen"]) for line in booked[0]["lines"]] == [
        ("5600", 150_000),
        ("2300", -150_000),
    ]

    period = estate_now().strftime("%Y-%m")
    statement = ledger.get(f"/statements/{period}", headers=bearer(residents[1])).json()
    lines = {line["account"]: line for line in statement["budget"]["lines"]}
    assert statement["budget"]["plan_name"] == "提升方案"
    assert lines["5600"]["booked_in_period_fen"] == 150_000
    assert lines["5600"]["committed_fen"] == 150_000, "approved, not yet paid"
    assert lines["5600"]["remaining_fen"] == 2_000_000 - 150_000
    assert statement["expenses_by_budget_line"]["5600"] == 150_000

    paid = ledger.post(f"/expenses/{expense['id']}/payment", headers=bearer(manager))
    assert paid.status_code == 200 and paid.json()["status"] == "paid"
    assert ledger.post(f"/expenses/{expense['id']}/payment", headers=bearer(manager)).status_code == 409
    execution = ledger.get(f"/budgets/{YEAR}/execution", headers=bearer(residents[1])).json()
    month = {line["account"]: line for line in execution[-1]["lines"]}
    assert (month["5600"]["spent_fen"], month["5600"]["committed_fen"]) == (150_000, 0)

    # --- a resident questions it; the firm answers ----------------------------------------------------
    asked = ledger.post(
        f"/expenses/{expense['id']}/questions", json={"question": "为什么换灯要1500元？"}, headers=bearer(residents[2])
    )
    assert asked.status_code == 201, asked.text
    open_questions = ledger.get(f"/statements/{period}", headers=bearer(residents[0])).json()["budget"][
        "open_questions"
    ]
    assert [q["question"] for q in open_questions] == ["为什么换灯要1500元？"]
    assert (
        ledger.post(
            f"/expenses/{expense['id']}/questions/{asked.json()['id']}/answer",
            json={"answer": "x"},
            headers=bearer(residents[0]),
        ).status_code
        == 403
    )
    answered = ledger.post(
        f"/expenses/{expense['id']}/questions/{asked.json()['id']}/answer",
        json={"answer": "共更换12盏LED灯，发票见附件。"},
        headers=bearer(manager),
    )
    assert answered.status_code == 200, answered.text
    detail = ledger.get(f"/expenses/{expense['id']}", headers=bearer(residents[2])).json()
    assert detail["questions"][0]["answer"] == "共更换12盏LED灯，发票见附件。"
    assert [h["action"] for h in detail["history"]] == ["proposed", "approved", "paid"]
    assert detail["vouchers"][0]["sha256"] == sha
    assert ledger.get(f"/statements/{period}", headers=bearer(residents[0])).json()["budget"]["open_questions"] == []
    downloaded = ledger.get(f"/vouchers/{sha}", headers=bearer(residents[2]))
    assert downloaded.status_code == 200 and downloaded.content == pdf
    where, _ = stored_voucher(sha)
    # deploy/with-platform.sh says which store the services it started use (`make test`: S3).
    if "XINYI_SERVICES_BLOB_BACKEND" in os.environ:
        assert where == os.environ["XINYI_SERVICES_BLOB_BACKEND"]

    # --- an expense over its line waits for the households' ballot ------------------------------------
    over = ledger.post("/expenses", json={**proposal, "amount_fen": 1_900_000}, headers=bearer(manager)).json()
    assert over["needs"] == "ballot"
    waiting = ledger.post(f"/expenses/{over['id']}/approve", headers=bearer(supervisor)).json()
    assert waiting["status"] == "awaiting_ballot" and waiting["ballot_subject"] == f"expense:{over['id']}"
    assert ledger.post(f"/expenses/{over['id']}/approve", headers=bearer(supervisor)).status_code == 409
    decide_by_ballot(
        tenant_api, code, supervisor, residents, f"expense:{over['id']}", ["同意", "不同意"], ["同意", "同意", "不同意"]
    )

    def decided() -> dict[str, object] | None:
        state = ledger.get(f"/expenses/{over['id']}", headers=bearer(manager)).json()
        return state if state["status"] != "awaiting_ballot" else None

    assert eventually(decided, timeout=60, what="the ballot to approve the expense")["status"] == "approved"
    lines = {
        line["account"]: line
        for line in ledger.get(f"/statements/{period}", headers=bearer(manager)).json()["budget"]["lines"]
    }
    assert lines["5600"]["booked_year_to_date_fen"] == 2_050_000 and lines["5600"]["remaining_fen"] == -50_000

    # --- the PDF statement shows budget vs actual -----------------------------------------------------
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(a_pdf(ledger, residents[0]))).pages)
    assert "Budget vs actual" in text and "5600" in text


def test_bad_expenses_and_vouchers_are_refused_and_change_nothing(estate) -> None:
    _, ledger, manager, supervisor, residents = estate
    pdf = a_pdf(ledger, manager)
    sha = upload(ledger, manager, "invoice.pdf", pdf, "application/pdf").json()["sha256"]
    good = {
        "payee": "保洁公司",
        "amount_fen": 10_000,
        "account": "5100",
        "description": "十一月保洁",
        "vouchers": [sha],
    }
    before = ledger.get("/expenses", headers=bearer(manager)).json()

    for changes, reason in (
        ({"amount_fen": -5}, "negative"),
        ({"amount_fen": 0}, "zero"),
        ({"amount_fen": 10**10 + 1}, "over the maximum"),
        ({"amount_fen": 2**63 - 1}, "int64 max"),
        ({"amount_fen": "100"}, "a string"),
        ({"amount_fen": True}, "a boolean"),
        ({"account": "4000"}, "not a budget line"),
        ({"vouchers": []}, "no voucher"),
        ({"vouchers": ["0" * 64]}, "a voucher never uploaded"),
    ):
        response = ledger.post("/expenses", json={**good, **changes}, headers=bearer(manager))
        assert response.status_code == 422, (reason, response.text)
        assert response.json()["reason"], reason
    assert ledger.post("/expenses", json=good, headers=bearer(residents[0])).status_code == 403

    elf = b"\x7fELF\x02\x01\x01" + b"\x00" * 200
    renamed = upload(ledger, manager, "invoice.pdf", elf, "application/pdf")
    assert renamed.status_code == 422 and "executable" in renamed.json()["reason"]
    text = upload(ledger, manager, "invoice.pdf", "就是一段文字".encode() * 10, "application/pdf")
    assert text.status_code == 422 and "type" in text.json()["reason"]
    huge = upload(ledger, manager, "scan.pdf", b"%PDF-1.7\n" + b"0" * (11 * 1024 * 1024), "application/pdf")
    assert huge.status_code in (413, 422), huge.text

    assert ledger.get("/expenses", headers=bearer(manager)).json() == before

    # A voucher whose bytes were changed where they are kept is reported as tampered.
    other = upload(ledger, manager, "receipt.pdf", pdf + b"\n% another copy\n", "application/pdf").json()["sha256"]
    where, handle = stored_voucher(other)
    if where == "s3":
        handle.put_object(Bucket="xinyi-ledger", Key=f"blobs/{other}", Body=pdf)
    else:
        handle.write_bytes(pdf)
    tampered = ledger.get(f"/vouchers/{other}", headers=bearer(residents[0]))
    assert tampered.status_code == 409 and "tampered" in tampered.json()["reason"]

    proposed = ledger.post("/expenses", json=good, headers=bearer(manager)).json()
    assert proposed["needs"] == "ballot", "no budget adopted for the year: the households decide"
    rejected = ledger.post(
        f"/expenses/{proposed['id']}/reject", json={"reason": "发票抬头不对"}, headers=bearer(supervisor)
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert ledger.post(f"/expenses/{proposed['id']}/approve", headers=bearer(supervisor)).status_code == 409
    assert (
        ledger.post(
            f"/expenses/{proposed['id']}/reject", json={"reason": "again"}, headers=bearer(supervisor)
        ).status_code
        == 409
    )
    other = f"{http_url('ledger')}/v1/estates/{unique_code('none')}/expenses/{proposed['id']}"
    assert httpx.get(other, headers=bearer(supervisor)).status_code in (403, 404)
    assert not any(e["kind"] == "expense" for e in ledger.get("/transactions", headers=bearer(manager)).json()), (
        "a refused or rejected expense books nothing"
    )
