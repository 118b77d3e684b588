"""`xinyi fund …` against a fake micro-fund service: each command's request (method, path, body, headers),
yuan entered as exact fen, the uploads before a disbursement or a closing, and what is printed."""

import hashlib
import json
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
from typer.testing import CliRunner, Result

from xinyi_cli import client
from xinyi_cli.main import app, yuan_to_fen

MICROFUND = "http://127.0.0.1:8104"
TOKEN = "test-token"
PLAIN_OUTPUT = {"COLUMNS": "250", "FORCE_COLOR": None, "TTY_COMPATIBLE": None, "TTY_INTERACTIVE": None}
FUND = "/v1/communities/jinhe/fund"
GRANT_ID = "5b0c9a1e-8f2d-4c3b-a6e7-1d2f3a4b5c6d"
GRANT_PATH = f"{FUND}/grants/{GRANT_ID}"
PDF = b"%PDF-1.7\n receipt of the playground's benches \n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0 a photo of the benches \xff\xd9"

Answer = httpx.Response | Callable[[httpx.Request], httpx.Response]


class FakeMicrofund:
    """Answers (method, path) with canned responses, in turn when given several; records every request."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[Answer]] = {}
        self.requests: list[httpx.Request] = []

    def on(self, method: str, path: str, *answers: Answer) -> None:
        self.routes[(method, path)] = list(answers)

    def handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        answers = self.routes.get((request.method, request.url.raw_path.decode()))
        if not answers:
            return httpx.Response(404, json={"error": "not_found", "reason": "no such route in the fake"})
        answer = answers.pop(0) if len(answers) > 1 else answers[0]  # the last answer repeats
        return answer(request) if callable(answer) else answer

    @property
    def only(self) -> httpx.Request:
        assert len(self.requests) == 1, self.requests
        return self.requests[0]


@pytest.fixture
def fund(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeMicrofund:
    fake = FakeMicrofund()
    monkeypatch.setattr(client, "make_http_client", lambda: httpx.Client(transport=httpx.MockTransport(fake.handle)))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XINYI_TOKEN", TOKEN)
    monkeypatch.delenv("XINYI_MICROFUND_URL", raising=False)
    monkeypatch.delenv("XINYI_KEYCLOAK_URL", raising=False)
    return fake


def invoke(*args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(app, list(args), env={**PLAIN_OUTPUT, **(env or {})})


def assert_sent(request: httpx.Request, method: str, path: str, body: Any = None) -> None:
    assert request.method == method
    assert str(request.url) == f"{MICROFUND}{path}"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert re.fullmatch(r"[0-9a-f]{32}", request.headers["x-request-id"])
    if body is None:
        assert request.content == b""
    else:
        assert request.headers["content-type"] == "application/json"
        assert json.loads(request.content) == body


def table_rows(output: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.strip("│ ").split("│")] for line in output.splitlines() if line.startswith("│")
    ]


def multipart_parts(request: httpx.Request) -> list[tuple[dict[str, str], bytes]]:
    match = re.fullmatch(r"multipart/form-data; boundary=(\S+)", request.headers["content-type"])
    assert match, request.headers["content-type"]
    delimiter = b"--" + match.group(1).encode()
    body = request.content
    assert body.startswith(delimiter + b"\r\n") and body.endswith(delimiter + b"--\r\n")
    parts = []
    for raw in body[len(delimiter) + 2 : -len(delimiter) - 4].split(b"\r\n" + delimiter + b"\r\n"):
        head, _, content = raw.partition(b"\r\n\r\n")
        headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n"))
        parts.append((headers, content.removesuffix(b"\r\n")))
    return parts


def json_error(status: int, error: str, reason: str) -> httpx.Response:
    return httpx.Response(status, json={"error": error, "reason": reason})


def stored_file(request: httpx.Request) -> httpx.Response:
    """The fake's /files: stores what came and answers its SHA-256, as the service does."""
    [(headers, content)] = multipart_parts(request)
    name = re.search(r'filename="([^"]*)"', headers["Content-Disposition"])
    return httpx.Response(
        201,
        json={
            "sha256": hashlib.sha256(content).hexdigest(),
            "size": len(content),
            "media_type": headers["Content-Type"],
            "file_name": name.group(1) if name else "",
        },
    )


def grant(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": GRANT_ID,
        "number": 3,
        "title": "儿童乐园长椅",
        "purpose": "Benches for the playground",
        "budget": [{"item": "长椅 ×4", "amount_fen": 320_000}, {"item": "安装", "amount_fen": 80_000}],
        "amount_fen": 400_000,
        "benefiting_estates": ["jinhe-lvzhou"],
        "applicant_kind": "resident",
        "group_name": None,
        "applicant": "resident-17",
        "status": "applied",
        "approved_fen": 0,
        "disbursed_fen": 0,
        "decided_by": None,
        "decision_note": "",
        "ballot_subject": f"grant:{GRANT_ID}",
        "ballots": {},
        "instalments": [],
        "attachments": [],
        "report": "",
        "report_photos": [],
    }
    base.update(fields)
    return base


STATEMENT = {
    "community_code": "jinhe",
    "name": "金河社区微基金",
    "estates": ["jinhe-lvzhou", "jinhe-xiyuan"],
    "threshold_fen": 500_000,
    "balance_fen": 1_234_567,
    "pledges_receivable_fen": 45_000,
    "grants_payable_fen": 100_000,
    "donations_from_firms_fen": 1_045_000,
    "other_donations_fen": 334_567,
    "grants_fen": 300_000,
    "firms": [
        {"estate_code": "jinhe-lvzhou", "pledged_fen": 800_000, "received_fen": 755_000, "outstanding_fen": 45_000},
        {"estate_code": "jinhe-xiyuan", "pledged_fen": 245_000, "received_fen": 245_000, "outstanding_fen": 0},
    ],
    "donations": [
        {
            "id": "d-1",
            "source": "firm",
            "estate_code": "jinhe-lvzhou",
            "amount_fen": 755_000,
            "received_on": "2026-05-03",
            "donor": None,
            "note": "",
        },
        {
            "id": "d-2",
            "source": "resident",
            "estate_code": None,
            "amount_fen": 5_000,
            "received_on": "2026-05-09",
            "donor": "王 芳",
            "note": "为孩子们",
        },
    ],
    "grants": [grant(status="approved", approved_fen=400_000, disbursed_fen=300_000, decided_by="officer")],
}


# ---------------------------------------------------------------- yuan → fen


@pytest.mark.parametrize(
    ("yuan", "fen"),
    [
        ("1", 100),
        ("0.01", 1),
        ("1234.5", 123_450),
        ("1.50", 150),
        ("1.500", 150),
        (" 42.07 ", 4207),
        ("1E+2", 10_000),
        ("100000000", 10**10),
        ("0.29", 29),  # 0.29 * 100 is 28.999999999999996 as a float
    ],
)
def test_yuan_become_exact_fen(yuan: str, fen: int) -> None:
    assert yuan_to_fen(yuan) == fen


@pytest.mark.parametrize(
    ("yuan", "message"),
    [
        ("0", "more than 0"),
        ("-0.00", "more than 0"),
        ("-5", "more than 0"),
        ("0.001", "at most two decimals"),
        ("1.005", "at most two decimals"),
        ("12345678901234567890123456.789", "at most two decimals"),
        ("1E+30", "too large"),
        ("1E-9", "at most two decimals"),
        ("12,00", "not a decimal number"),
        ("¥5", "not a decimal number"),
        ("NaN", "not a finite number"),
        ("Infinity", "not a finite number"),
    ],
)
def test_yuan_that_are_no_amount_of_fen_are_refused(yuan: str, message: str) -> None:
    with pytest.raises(typer.BadParameter, match=message):
        yuan_to_fen(yuan)


def test_zero_yuan_only_where_allowed() -> None:
    assert yuan_to_fen("0", allow_zero=True) == 0
    with pytest.raises(typer.BadParameter, match="0 or more"):
        yuan_to_fen("-0.01", allow_zero=True)


# ---------------------------------------------------------------- statement


def test_statement_shows_the_balances_the_firms_the_money_received_and_the_grants(fund: FakeMicrofund) -> None:
    fund.on("GET", FUND, httpx.Response(200, json=STATEMENT))

    result = invoke("fund", "statement", "--community", "jinhe")

    assert result.exit_code == 0, result.output
    assert_sent(fund.only, "GET", FUND)
    lines = result.stdout.splitlines()
    assert lines[:9] == [
        "金河社区微基金 — community jinhe",
        "estates: jinhe-lvzhou, jinhe-xiyuan",
        "balance: ¥12,345.67",
        "pledges receivable: ¥450.00",
        "grants payable: ¥1,000.00",
        "donations from firms: ¥10,450.00",
        "other donations: ¥3,345.67",
        "grants: ¥3,000.00",
        "threshold: ¥5,000.00 (above it, the households decide by ballot)",
    ]
    header = next(line for line in lines if "pledged ¥" in line)
    assert header.index("estate") < header.index("pledged") < header.index("received") < header.index("outstanding")
    rows = table_rows(result.stdout)
    assert rows[:2] == [
        ["jinhe-lvzhou", "8,000.00", "7,550.00", "450.00"],
        ["jinhe-xiyuan", "2,450.00", "2,450.00", "0.00"],
    ]
    assert rows[2:4] == [
        ["2026-05-03", "firm", "jinhe-lvzhou", "—", "7,550.00", "—"],
        ["2026-05-09", "resident", "—", "王 芳", "50.00", "为孩子们"],
    ]
    assert rows[4:] == [
        ["3", GRANT_ID, "儿童乐园长椅", "approved", "4,000.00", "4,000.00", "3,000.00", "officer", "jinhe-lvzhou"]
    ]


def test_an_empty_statement_says_so(fund: FakeMicrofund) -> None:
    empty = {**STATEMENT, "firms": [], "donations": [], "grants": [], "balance_fen": 0}
    fund.on("GET", FUND, httpx.Response(200, json=empty))

    result = invoke("fund", "statement", "--community", "jinhe")

    assert result.exit_code == 0, result.output
    assert "balance: ¥0.00" in result.stdout
    for line in ("no pledges from firms yet", "no money received yet", "no grants yet"):
        assert line in result.stdout.splitlines()


def test_statement_json_prints_the_body_as_it_came(fund: FakeMicrofund) -> None:
    body = json.dumps(STATEMENT, ensure_ascii=False)
    fund.on("GET", FUND, httpx.Response(200, text=body, headers={"content-type": "application/json"}))

    result = invoke("fund", "statement", "--community", "jinhe", "--json")

    assert result.exit_code == 0
    assert result.stdout == body + "\n"


def test_the_microfund_url_comes_from_the_option_or_the_environment(fund: FakeMicrofund) -> None:
    invoke("--microfund-url", "http://fund.test:9000/", "fund", "grants", "--community", "jinhe")
    invoke("fund", "grants", "--community", "jinhe", env={"XINYI_MICROFUND_URL": "http://env.test:7000"})

    assert [str(r.url) for r in fund.requests] == [
        f"http://fund.test:9000{FUND}/grants",
        f"http://env.test:7000{FUND}/grants",
    ]


def test_a_community_code_cannot_escape_its_path_segment(fund: FakeMicrofund) -> None:
    invoke("fund", "grant", "../x", "--community", "../estates")

    assert fund.only.url.raw_path == b"/v1/communities/..%2Festates/fund/grants/..%2Fx"


# ---------------------------------------------------------------- rule


@pytest.mark.parametrize(("yuan", "fen"), [("5000", 500_000), ("1234.56", 123_456), ("0", 0)])
def test_rule_puts_the_threshold_in_fen(fund: FakeMicrofund, yuan: str, fen: int) -> None:
    fund.on("PUT", f"{FUND}/rule", httpx.Response(200, json={"threshold_fen": fen}))

    result = invoke("fund", "rule", "--community", "jinhe", "--threshold", yuan)

    assert result.exit_code == 0, result.output
    assert_sent(fund.only, "PUT", f"{FUND}/rule", {"threshold_fen": fen})
    assert f"the officer decides grants up to ¥{yuan_display(fen)}" in result.stdout


def yuan_display(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d}"


@pytest.mark.parametrize("yuan", ["-1", "5000.001", "five"])
def test_rule_refuses_a_threshold_that_is_no_amount(fund: FakeMicrofund, yuan: str) -> None:
    result = invoke("fund", "rule", "--community", "jinhe", "--threshold", yuan)

    assert result.exit_code == 2
    assert "--threshold" in result.stderr
    assert fund.requests == []


# ---------------------------------------------------------------- donations


def donation_answer(request: httpx.Request, *, replayed: bool = False) -> httpx.Response:
    body = json.loads(request.content)
    answer = {
        "id": "d-42",
        "source": body["source"],
        "estate_code": body.get("estate_code"),
        "amount_fen": body["amount_fen"],
        "received_on": body["received_on"],
        "donor": None if body["anonymous"] else body["donor_name"],
        "note": body["note"],
    }
    return httpx.Response(201, json=answer, headers={"Idempotent-Replayed": "true"} if replayed else {})


def test_a_firms_transfer_is_recorded_with_a_new_key_printed_to_retry_with(fund: FakeMicrofund) -> None:
    fund.on("POST", f"{FUND}/donations", donation_answer)

    result = invoke(
        "fund",
        "donation",
        "--community",
        "jinhe",
        "--source",
        "firm",
        "--estate",
        "jinhe-lvzhou",
        "--amount",
        "7550.3",
        "--received-on",
        "2026-05-03",
    )

    assert result.exit_code == 0, result.output
    request = fund.only
    assert_sent(
        request,
        "POST",
        f"{FUND}/donations",
        {
            "source": "firm",
            "estate_code": "jinhe-lvzhou",
            "amount_fen": 755_030,
            "received_on": "2026-05-03",
            "anonymous": True,
            "note": "",
        },
    )
    key = request.headers["idempotency-key"]
    assert uuid.UUID(key).version == 4
    assert f"idempotency key: {key} (to retry this donation: --key {key})" in result.stderr
    assert result.stdout == (
        "recorded donation d-42: ¥7,550.30 from firm of estate jinhe-lvzhou, received on 2026-05-03\n"
    )


def test_a_named_donation_retried_with_its_key_is_not_recorded_twice(fund: FakeMicrofund) -> None:
    fund.on(
        "POST",
        f"{FUND}/donations",
        donation_answer,
        lambda request: donation_answer(request, replayed=True),
    )
    args = [
        "fund",
        "donation",
        "--community",
        "jinhe",
        "--source",
        "resident",
        "--amount",
        "50",
        "--received-on",
        "2026-05-09",
        "--donor",
        "王 芳",
        "--named",
        "--note",
        "为孩子们",
        "--key",
        "donation-2026-05-09:wang",
    ]

    first = invoke(*args)
    again = invoke(*args)

    assert first.exit_code == 0 and again.exit_code == 0, first.output + again.output
    bodies = [json.loads(r.content) for r in fund.requests]
    assert (
        bodies
        == [
            {
                "source": "resident",
                "amount_fen": 5000,
                "received_on": "2026-05-09",
                "donor_name": "王 芳",
                "anonymous": False,
                "note": "为孩子们",
            }
        ]
        * 2
    )
    assert [r.headers["idempotency-key"] for r in fund.requests] == ["donation-2026-05-09:wang"] * 2
    assert "idempotency key:" not in first.stderr  # the user gave it
    assert "replayed" not in first.stderr and "before" not in first.stderr
    assert "this key recorded donation d-42 before; nothing was recorded again" in again.stderr


@pytest.mark.parametrize(
    ("extra", "hint"),
    [
        (["--source", "firm"], "--estate"),  # a firm's transfer names its estate
        (["--source", "resident", "--estate", "jinhe-lvzhou"], "--estate"),
        (["--source", "resident", "--donor", "王 芳"], "--named"),  # named only with consent
        (["--source", "resident", "--named"], "--named"),
        (["--source", "resident", "--amount", "0"], "--amount"),
        (["--source", "resident", "--amount", "-3"], "--amount"),
        (["--source", "resident", "--amount", "10.001"], "--amount"),
        (["--source", "resident", "--received-on", "2026-13-01"], "--received-on"),
        (["--source", "resident", "--key", "short"], "--key"),
        (["--source", "resident", "--key", "has a space in it"], "--key"),
        (["--source", "lottery"], "--source"),
    ],
)
def test_donation_usage_errors_send_nothing(fund: FakeMicrofund, extra: list[str], hint: str) -> None:
    defaults = {"--amount": "10", "--received-on": "2026-05-09"}
    for option, value in defaults.items():
        if option not in extra:
            extra = [*extra, option, value]

    result = invoke("fund", "donation", "--community", "jinhe", *extra)

    assert result.exit_code == 2, result.output
    assert hint in result.stderr
    assert fund.requests == []
    assert "idempotency key" not in result.stderr


def test_an_api_error_is_shown_with_the_request_id_and_exits_1(fund: FakeMicrofund) -> None:
    fund.on(
        "POST",
        f"{FUND}/donations",
        json_error(409, "conflict", "the firm owes the fund 45000 fen for estate jinhe-lvzhou"),
    )

    result = invoke(
        "fund",
        "donation",
        "--community",
        "jinhe",
        "--source",
        "firm",
        "--estate",
        "jinhe-lvzhou",
        "--amount",
        "500",
        "--received-on",
        "2026-05-03",
        "--key",
        "transfer-0001",
    )

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "error: the firm owes the fund 45000 fen for estate jinhe-lvzhou\n"
        f"request id: {fund.only.headers['x-request-id']}\n"
    )


# ---------------------------------------------------------------- grants


def test_grants_prints_a_table(fund: FakeMicrofund) -> None:
    other = grant(
        id="g-4", number=4, title="路灯", status="awaiting_ballot", amount_fen=900_000, benefiting_estates=["a", "b"]
    )
    fund.on("GET", f"{FUND}/grants", httpx.Response(200, json=[grant(), other]))

    result = invoke("fund", "grants", "--community", "jinhe")

    assert result.exit_code == 0, result.output
    assert_sent(fund.only, "GET", f"{FUND}/grants")
    assert table_rows(result.stdout) == [
        ["3", GRANT_ID, "儿童乐园长椅", "applied", "4,000.00", "0.00", "0.00", "—", "jinhe-lvzhou"],
        ["4", "g-4", "路灯", "awaiting_ballot", "9,000.00", "0.00", "0.00", "—", "a, b"],
    ]


def test_no_grants_says_so(fund: FakeMicrofund) -> None:
    fund.on("GET", f"{FUND}/grants", httpx.Response(200, json=[]))

    result = invoke("fund", "grants", "--community", "jinhe")

    assert result.exit_code == 0
    assert result.stdout == "no grants yet\n"


def test_grant_shows_the_grant_its_budget_instalments_and_history(fund: FakeMicrofund) -> None:
    paid = grant(
        status="approved",
        approved_fen=400_000,
        disbursed_fen=150_000,
        decided_by="officer",
        decision_note="ok",
        instalments=[{"number": 1, "amount_fen": 150_000, "receipt": "ab" * 32, "paid_on": "2026-06-02"}],
    )
    history = [
        {"action": "applied", "at": "2026-05-20T09:00:00+08:00", "detail": {"amount_fen": 400_000}},
        {"action": "reviewed:approved", "at": "2026-05-21T10:00:00+08:00", "detail": {"note": "ok"}},
        {"action": "disbursed", "at": "2026-06-02T15:00:00+08:00", "detail": {"instalment": 1, "amount_fen": 150_000}},
    ]
    fund.on("GET", GRANT_PATH, httpx.Response(200, json={"grant": paid, "history": history}))

    result = invoke("fund", "grant", GRANT_ID, "--community", "jinhe")

    assert result.exit_code == 0, result.output
    assert_sent(fund.only, "GET", GRANT_PATH)
    rows = table_rows(result.stdout)
    fields = {row[0]: row[1] for row in rows if len(row) == 2}
    assert fields["id"] == GRANT_ID
    assert fields["status"] == "approved"
    assert fields["amount ¥"] == "4,000.00"
    assert fields["approved ¥"] == "4,000.00"
    assert fields["disbursed ¥"] == "1,500.00"
    assert fields["benefiting_estates"] == "jinhe-lvzhou"
    assert fields["ballot_subject"] == f"grant:{GRANT_ID}"
    assert fields["report"] == "—"
    assert fields["长椅 ×4"] == "3,200.00"  # the budget
    assert ["1", "2026-06-02", "1,500.00", "ab" * 32] in rows
    assert [row for row in rows if len(row) == 3 and row[0].startswith("2026-")] == [
        ["2026-05-20T09:00:00+08:00", "applied", "amount: ¥4,000.00"],
        ["2026-05-21T10:00:00+08:00", "reviewed:approved", "note: ok"],
        ["2026-06-02T15:00:00+08:00", "disbursed", "instalment: 1; amount: ¥1,500.00"],
    ]


def test_an_unknown_grant_exits_1(fund: FakeMicrofund) -> None:
    fund.on("GET", GRANT_PATH, json_error(404, "not_found", "no such grant"))

    result = invoke("fund", "grant", GRANT_ID, "--community", "jinhe")

    assert result.exit_code == 1
    assert result.stderr.startswith("error: no such grant\nrequest id: ")


# ---------------------------------------------------------------- review


def test_review_approves_under_the_threshold(fund: FakeMicrofund) -> None:
    approved = grant(status="approved", approved_fen=400_000, decided_by="officer")
    fund.on("POST", f"{GRANT_PATH}/review", httpx.Response(200, json=approved))

    result = invoke("fund", "review", GRANT_ID, "--community", "jinhe", "--approve")

    assert result.exit_code == 0, result.output
    assert_sent(fund.only, "POST", f"{GRANT_PATH}/review", {"approve": True, "note": ""})
    assert result.stdout == "grant #3 (儿童乐园长椅) approved: ¥4,000.00\n"


def test_review_above_the_threshold_names_the_ballots_subject(fund: FakeMicrofund) -> None:
    fund.on("POST", f"{GRANT_PATH}/review", httpx.Response(200, json=grant(status="awaiting_ballot")))

    result = invoke("fund", "review", GRANT_ID, "--community", "jinhe", "--approve", "--note", "值得做")

    assert result.exit_code == 0, result.output
    assert json.loads(fund.only.content) == {"approve": True, "note": "值得做"}
    assert f"decides it by a ballot with subject grant:{GRANT_ID}" in result.stdout
    assert "(jinhe-lvzhou)" in result.stdout


def test_review_rejects_with_a_reason(fund: FakeMicrofund) -> None:
    fund.on("POST", f"{GRANT_PATH}/review", httpx.Response(200, json=grant(status="rejected", decided_by="officer")))

    result = invoke("fund", "review", GRANT_ID, "--community", "jinhe", "--reject", "--note", "预算不清")

    assert result.exit_code == 0, result.output
    assert_sent(fund.only, "POST", f"{GRANT_PATH}/review", {"approve": False, "note": "预算不清"})
    assert result.stdout == "grant #3 (儿童乐园长椅) is now rejected\n"


@pytest.mark.parametrize("extra", [[], ["--reject"], ["--reject", "--note", "  "]])
def test_review_needs_a_decision_and_a_rejection_its_reason(fund: FakeMicrofund, extra: list[str]) -> None:
    result = invoke("fund", "review", GRANT_ID, "--community", "jinhe", *extra)

    assert result.exit_code == 2
    assert fund.requests == []


def test_review_conflict_exits_1(fund: FakeMicrofund) -> None:
    fund.on("POST", f"{GRANT_PATH}/review", json_error(409, "conflict", "a closed grant is not waiting for review"))

    result = invoke("fund", "review", GRANT_ID, "--community", "jinhe", "--approve")

    assert result.exit_code == 1
    assert "error: a closed grant is not waiting for review" in result.stderr


# ---------------------------------------------------------------- disburse


def disbursed(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content)
    instalment = {"number": 1, "amount_fen": body["amount_fen"], "receipt": body["receipt"], "paid_on": body["paid_on"]}
    answer = grant(status="approved", approved_fen=400_000, disbursed_fen=body["amount_fen"], instalments=[instalment])
    return httpx.Response(201, json=answer)


def test_disburse_uploads_the_receipt_then_pays_with_its_sha256(fund: FakeMicrofund, tmp_path: Path) -> None:
    receipt = tmp_path / "发票-长椅.pdf"
    receipt.write_bytes(PDF)
    fund.on("POST", f"{FUND}/files", stored_file)
    fund.on("POST", f"{GRANT_PATH}/disbursements", disbursed)

    result = invoke(
        "fund",
        "disburse",
        GRANT_ID,
        "--community",
        "jinhe",
        "--amount",
        "1500.25",
        "--receipt",
        str(receipt),
        "--paid-on",
        "2026-06-02",
    )

    assert result.exit_code == 0, result.output
    upload, payment = fund.requests
    assert upload.method == "POST" and str(upload.url) == f"{MICROFUND}{FUND}/files"
    assert upload.headers["authorization"] == f"Bearer {TOKEN}"
    assert "idempotency-key" not in upload.headers
    assert int(upload.headers["content-length"]) == len(upload.content)
    [(headers, content)] = multipart_parts(upload)
    assert headers == {
        "Content-Disposition": 'form-data; name="file"; filename="发票-长椅.pdf"',
        "Content-Type": "application/pdf",
    }
    assert content == PDF
    sha256 = hashlib.sha256(PDF).hexdigest()
    assert_sent(
        payment,
        "POST",
        f"{GRANT_PATH}/disbursements",
        {"amount_fen": 150_025, "receipt": sha256, "paid_on": "2026-06-02"},
    )
    key = payment.headers["idempotency-key"]
    assert uuid.UUID(key).version == 4
    assert f"idempotency key: {key} (to retry this disbursement: --key {key})" in result.stderr
    assert f"uploaded 发票-长椅.pdf ({len(PDF)} bytes): sha256 {sha256}" in result.stderr
    assert result.stdout == (
        "grant #3 (儿童乐园长椅): instalment 1 of ¥1,500.25 paid on 2026-06-02; "
        "¥1,500.25 of ¥4,000.00 approved paid so far\n"
    )


def test_disburse_retried_with_its_key_pays_once(fund: FakeMicrofund, tmp_path: Path) -> None:
    receipt = tmp_path / "receipt.png"
    receipt.write_bytes(b"\x89PNG\r\n\x1a\n a receipt")
    fund.on("POST", f"{FUND}/files", stored_file)
    fund.on(
        "POST",
        f"{GRANT_PATH}/disbursements",
        disbursed,
        lambda request: httpx.Response(
            201, json=json.loads(disbursed(request).content), headers={"Idempotent-Replayed": "true"}
        ),
    )
    args = ["fund", "disburse", GRANT_ID, "--community", "jinhe", "--amount", "100", "--paid-on", "2026-06-02"]

    first = invoke(*args, "--receipt", str(receipt), "--key", "pay-grant-3-1")
    again = invoke(*args, "--receipt", str(receipt), "--key", "pay-grant-3-1")

    assert first.exit_code == 0 and again.exit_code == 0, first.output + again.output
    payments = [r for r in fund.requests if r.url.path.endswith("/disbursements")]
    assert [r.headers["idempotency-key"] for r in payments] == ["pay-grant-3-1"] * 2
    assert json.loads(payments[0].content) == json.loads(payments[1].content)
    assert "nothing was paid again" in again.stderr
    assert "nothing was paid again" not in first.stderr


def test_a_refused_upload_pays_nothing(fund: FakeMicrofund, tmp_path: Path) -> None:
    receipt = tmp_path / "receipt.pdf"
    receipt.write_bytes(b"not a pdf at all")
    fund.on("POST", f"{FUND}/files", json_error(422, "invalid_input", "the file is not a PDF, PNG, JPEG or WebP"))
    fund.on("POST", f"{GRANT_PATH}/disbursements", disbursed)

    result = invoke(
        "fund",
        "disburse",
        GRANT_ID,
        "--community",
        "jinhe",
        "--amount",
        "100",
        "--receipt",
        str(receipt),
        "--paid-on",
        "2026-06-02",
    )

    assert result.exit_code == 1
    assert "error: the file is not a PDF, PNG, JPEG or WebP" in result.stderr
    assert [r.url.path for r in fund.requests] == [f"{FUND}/files"]


def test_a_receipt_stored_under_another_hash_pays_nothing(fund: FakeMicrofund, tmp_path: Path) -> None:
    receipt = tmp_path / "receipt.pdf"
    receipt.write_bytes(PDF)
    wrong = {"sha256": "0" * 64, "size": len(PDF), "media_type": "application/pdf", "file_name": "receipt.pdf"}
    fund.on("POST", f"{FUND}/files", httpx.Response(201, json=wrong))

    result = invoke(
        "fund",
        "disburse",
        GRANT_ID,
        "--community",
        "jinhe",
        "--amount",
        "100",
        "--receipt",
        str(receipt),
        "--paid-on",
        "2026-06-02",
    )

    assert result.exit_code == 1
    assert f"but the file's SHA-256 is {hashlib.sha256(PDF).hexdigest()}" in result.stderr
    assert len(fund.requests) == 1


@pytest.mark.parametrize(
    ("name", "size", "extra", "hint"),
    [
        ("receipt.txt", 10, [], "--receipt"),
        ("receipt.heic", 10, [], "--receipt"),
        ("receipt.pdf", 10 * 1024 * 1024 + 1, [], "--receipt"),
        ("missing.pdf", None, [], "--receipt"),
        ("receipt.pdf", 10, ["--amount", "0"], "--amount"),
        ("receipt.pdf", 10, ["--amount", "99.999"], "--amount"),
        ("receipt.pdf", 10, ["--paid-on", "yesterday"], "--paid-on"),
    ],
)
def test_disburse_usage_errors_send_nothing(
    fund: FakeMicrofund, tmp_path: Path, name: str, size: int | None, extra: list[str], hint: str
) -> None:
    path = tmp_path / name
    if size is not None:
        with path.open("wb") as file:
            file.truncate(size)  # sparse: a large file costs nothing
    defaults = {"--amount": "100", "--paid-on": "2026-06-02"}
    args = [*extra]
    for option, value in defaults.items():
        if option not in extra:
            args += [option, value]

    result = invoke("fund", "disburse", GRANT_ID, "--community", "jinhe", "--receipt", str(path), *args)

    assert result.exit_code == 2, result.output
    assert hint in result.stderr
    assert fund.requests == []


# ---------------------------------------------------------------- close


def test_close_uploads_every_photo_then_closes_with_their_hashes(fund: FakeMicrofund, tmp_path: Path) -> None:
    photos = [tmp_path / "before.jpg", tmp_path / "after.webp"]
    photos[0].write_bytes(JPEG)
    photos[1].write_bytes(b"RIFF\x10\x00\x00\x00WEBPVP8 after")
    closed = grant(status="closed", approved_fen=400_000, disbursed_fen=380_000, report="装好了")
    fund.on("POST", f"{FUND}/files", stored_file)
    fund.on("POST", f"{GRANT_PATH}/close", httpx.Response(200, json=closed))

    result = invoke(
        "fund",
        "close",
        GRANT_ID,
        "--community",
        "jinhe",
        "--report",
        "装好了",
        "--photo",
        str(photos[0]),
        "--photo",
        str(photos[1]),
    )

    assert result.exit_code == 0, result.output
    first, second, closing = fund.requests
    assert [multipart_parts(r)[0][0]["Content-Type"] for r in (first, second)] == ["image/jpeg", "image/webp"]
    assert [multipart_parts(r)[0][1] for r in (first, second)] == [p.read_bytes() for p in photos]
    shas = [hashlib.sha256(p.read_bytes()).hexdigest() for p in photos]
    assert_sent(closing, "POST", f"{GRANT_PATH}/close", {"report": "装好了", "photos": shas})
    assert (
        result.stdout
        == "grant #3 (儿童乐园长椅) is now closed: ¥3,800.00 paid; ¥200.00 not needed returns to the fund\n"
    )


def test_close_without_photos_uploads_nothing(fund: FakeMicrofund) -> None:
    closed = grant(status="closed", approved_fen=400_000, disbursed_fen=400_000)
    fund.on("POST", f"{GRANT_PATH}/close", httpx.Response(200, json=closed))

    result = invoke("fund", "close", GRANT_ID, "--community", "jinhe", "--report", "done")

    assert result.exit_code == 0, result.output
    assert_sent(fund.only, "POST", f"{GRANT_PATH}/close", {"report": "done", "photos": []})
    assert result.stdout == "grant #3 (儿童乐园长椅) is now closed: ¥4,000.00 paid\n"


def test_close_checks_every_photo_before_uploading_any(fund: FakeMicrofund, tmp_path: Path) -> None:
    good, bad = tmp_path / "a.jpg", tmp_path / "b.gif"
    good.write_bytes(JPEG)
    bad.write_bytes(b"GIF89a")

    result = invoke(
        "fund", "close", GRANT_ID, "--community", "jinhe", "--report", "x", "--photo", str(good), "--photo", str(bad)
    )

    assert result.exit_code == 2
    assert "b.gif" in result.stderr
    assert fund.requests == []


def test_a_refused_closing_exits_1_after_the_uploads(fund: FakeMicrofund, tmp_path: Path) -> None:
    photo = tmp_path / "a.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n")
    fund.on("POST", f"{FUND}/files", stored_file)
    fund.on("POST", f"{GRANT_PATH}/close", json_error(409, "conflict", "a grant is closed after it was paid"))

    result = invoke("fund", "close", GRANT_ID, "--community", "jinhe", "--report", "x", "--photo", str(photo))

    assert result.exit_code == 1
    assert "error: a grant is closed after it was paid" in result.stderr
    assert [r.url.path for r in fund.requests] == [f"{FUND}/files", f"{GRANT_PATH}/close"]


def test_fund_help_lists_the_commands() -> None:
    result = CliRunner().invoke(app, ["fund"], env=PLAIN_OUTPUT)

    assert result.exit_code == 2
    for command in ("statement", "rule", "donation", "grants", "grant", "review", "disburse", "close"):
        assert command in result.output
