"""`xinyi billing run` and `xinyi billing status` against a fake ledger: the request, the polling with its
progress bar, the summary and the exit code."""

import json
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from xinyi_cli import client
from xinyi_cli import main as cli
from xinyi_cli.main import app, format_fen

LEDGER = "http://127.0.0.1:8102"
TOKEN = "test-token"
PLAIN_OUTPUT = {"COLUMNS": "200", "FORCE_COLOR": None, "TTY_COMPATIBLE": None, "TTY_INTERACTIVE": None}
JOB_ID = "7d0f3c1e-2b4a-4c8e-9f10-5a6b7c8d9e01"
ESTATE_RUNS = "/v1/estates/jinhe-lvzhou/billing-runs"
DISTRICT_RUNS = "/v1/districts/shuangliu/billing-runs"
JOB_PATH = f"/v1/billing-jobs/{JOB_ID}"

Answer = httpx.Response | Callable[[httpx.Request], httpx.Response]


def job(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "job_id": JOB_ID,
        "scope": "estate",
        "district_code": None,
        "estate_code": "jinhe-lvzhou",
        "period": "2026-05",
        "status": "queued",
        "households_total": None,
        "households_done": 0,
        "estates_total": 1,
        "estates_done": 0,
        "households_billed": 0,
        "billed_fen": 0,
        "failures": [],
        "created_at": "2026-06-01T08:00:00+08:00",
        "finished_at": None,
    }
    base.update(fields)
    return base


DISTRICT_JOB = {"scope": "district", "district_code": "shuangliu", "estate_code": None, "estates_total": 3}


class FakeLedger:
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

    def sent(self, method: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method]


@pytest.fixture
def ledger(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeLedger:
    fake = FakeLedger()
    monkeypatch.setattr(client, "make_http_client", lambda: httpx.Client(transport=httpx.MockTransport(fake.handle)))
    monkeypatch.setattr(cli, "POLL_INTERVAL_SECONDS", 0)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XINYI_TOKEN", TOKEN)
    monkeypatch.delenv("XINYI_LEDGER_URL", raising=False)
    monkeypatch.delenv("XINYI_KEYCLOAK_URL", raising=False)
    return fake


def invoke(*args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(app, list(args), env={**PLAIN_OUTPUT, **(env or {})})


def accepted(body: dict[str, Any], **headers: str) -> httpx.Response:
    return httpx.Response(202, json=body, headers={"Location": f"/v1/billing-jobs/{body['job_id']}", **headers})


def test_a_run_is_followed_with_a_progress_bar_to_its_summary(ledger: FakeLedger) -> None:
    ledger.on("POST", ESTATE_RUNS, accepted(job()))
    ledger.on(
        "GET",
        JOB_PATH,
        httpx.Response(200, json=job(status="running", households_total=120, households_done=50)),
        httpx.Response(
            200,
            json=job(
                status="done",
                households_total=120,
                households_done=120,
                estates_done=1,
                households_billed=118,
                billed_fen=1_234_567,
                finished_at="2026-06-01T08:00:05+08:00",
            ),
        ),
    )

    result = invoke("billing", "run", "--estate", "jinhe-lvzhou", "--period", "2026-05")

    assert result.exit_code == 0, result.output
    [post] = ledger.sent("POST")
    assert str(post.url) == f"{LEDGER}{ESTATE_RUNS}"
    assert post.headers["authorization"] == f"Bearer {TOKEN}"
    assert json.loads(post.content) == {"period": "2026-05"}
    key = post.headers["idempotency-key"]
    assert uuid.UUID(key).version == 4
    assert f"idempotency key: {key} (to retry this run: --key {key})" in result.stderr
    assert [str(r.url) for r in ledger.sent("GET")] == [f"{LEDGER}{JOB_PATH}"] * 2
    # The bar's last state: every household and the estate done.
    assert re.search(r"households\s.*120/120", result.stderr), result.stderr
    assert re.search(r"estates\s.*1/1", result.stderr), result.stderr
    assert result.stdout.splitlines() == [
        f"billing job {JOB_ID}: estate jinhe-lvzhou, period 2026-05, done",
        "estates: 1/1",
        "households: 120/120 processed, 118 billed",
        "amount billed: ¥12,345.67",
    ]
    assert "error" not in result.stderr


@pytest.mark.parametrize(
    ("final", "message"),
    [
        (
            job(**DISTRICT_JOB, status="failed", estates_done=1, households_billed=40, billed_fen=98_000),
            f"error: billing job {JOB_ID} failed",
        ),
        (
            job(**DISTRICT_JOB, status="done", estates_done=3, households_billed=40, billed_fen=98_000),
            f"error: billing job {JOB_ID} finished, but 2 estates were not billed",
        ),
    ],
)
def test_a_district_run_with_failures_shows_the_reasons_and_exits_non_zero(
    ledger: FakeLedger, final: dict[str, Any], message: str
) -> None:
    failures = [
        {"estate_code": "tianfu-yuan", "reason": "no rules in force on 2026-05-01"},
        {"estate_code": "jinhe-xiyuan", "reason": "the tenant service is unavailable"},
    ]
    ledger.on("POST", DISTRICT_RUNS, accepted(job(**DISTRICT_JOB)))
    ledger.on("GET", JOB_PATH, httpx.Response(200, json={**final, "failures": failures}))

    result = invoke("billing", "run", "--district", "shuangliu", "--period", "2026-05")

    assert result.exit_code == 1, result.output
    assert str(ledger.sent("POST")[0].url) == f"{LEDGER}{DISTRICT_RUNS}"
    assert f"billing job {JOB_ID}: district shuangliu, period 2026-05, {final['status']}" in result.stdout
    assert "amount billed: ¥980.00" in result.stdout
    assert "2 estates not billed" in result.stderr
    rows = [[c.strip() for c in line.strip("│ ").split("│")] for line in result.stderr.splitlines() if "│" in line]
    assert [row for row in rows if row[0] != "estate"] == [[f["estate_code"], f["reason"]] for f in failures]
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_a_retry_with_the_key_sends_the_same_idempotency_key(ledger: FakeLedger) -> None:
    done = job(status="done", households_total=3, households_done=3, estates_done=1, households_billed=3)
    ledger.on("POST", ESTATE_RUNS, accepted(job()), accepted(done, **{"Idempotent-Replayed": "true"}))
    ledger.on("GET", JOB_PATH, httpx.Response(200, json=done))
    key = "billing-2026-05-jinhe"

    first = invoke("billing", "run", "--estate", "jinhe-lvzhou", "--period", "2026-05", "--key", key)
    again = invoke("billing", "run", "--estate", "jinhe-lvzhou", "--period", "2026-05", "--key", key)

    assert first.exit_code == 0 and again.exit_code == 0, first.output + again.output
    posts = ledger.sent("POST")
    assert [p.headers["idempotency-key"] for p in posts] == [key, key]
    assert [json.loads(p.content) for p in posts] == [{"period": "2026-05"}] * 2
    assert "idempotency key:" not in first.stderr  # the user gave it
    assert f"this key started billing job {JOB_ID} before" in again.stderr
    assert len(ledger.sent("GET")) == 1  # the replayed job was already done: nothing to poll


def test_no_wait_prints_the_job_id_and_returns(ledger: FakeLedger) -> None:
    ledger.on("POST", ESTATE_RUNS, accepted(job()))

    result = invoke("billing", "run", "--estate", "jinhe-lvzhou", "--period", "2026-05", "--no-wait")

    assert result.exit_code == 0, result.output
    assert result.stdout == f"{JOB_ID}\n"
    assert f"xinyi billing status {JOB_ID}" in result.stderr
    assert len(ledger.requests) == 1


def test_a_poll_without_an_answer_is_tried_again(ledger: FakeLedger) -> None:
    done = job(status="done", households_total=2, households_done=2, estates_done=1, households_billed=2)
    ledger.on("POST", ESTATE_RUNS, accepted(job()))
    ledger.on(
        "GET",
        JOB_PATH,
        httpx.Response(503, json={"error": "unavailable", "reason": "database restarting"}),
        httpx.Response(200, json=done),
    )

    result = invoke("billing", "run", "--estate", "jinhe-lvzhou", "--period", "2026-05")

    assert result.exit_code == 0, result.output
    assert len(ledger.sent("GET")) == 2


def test_a_refused_poll_ends_the_command(ledger: FakeLedger) -> None:
    ledger.on("POST", ESTATE_RUNS, accepted(job()))
    ledger.on("GET", JOB_PATH, httpx.Response(403, json={"error": "permission_denied", "reason": "not your job"}))

    result = invoke("billing", "run", "--estate", "jinhe-lvzhou", "--period", "2026-05")

    assert result.exit_code == 1
    assert "error: not your job" in result.stderr
    assert len(ledger.sent("GET")) == 1


def test_waiting_is_bounded(ledger: FakeLedger, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [0.0]

    def sleep(seconds: float) -> None:
        clock[0] += 0.5

    monkeypatch.setattr(cli, "time", SimpleNamespace(monotonic=lambda: clock[0], sleep=sleep))
    ledger.on("POST", ESTATE_RUNS, accepted(job()))
    ledger.on("GET", JOB_PATH, httpx.Response(200, json=job(status="running", households_total=10)))

    result = invoke("billing", "run", "--estate", "jinhe-lvzhou", "--period", "2026-05", "--timeout", "5")

    assert result.exit_code == 1
    assert len(ledger.sent("GET")) == 10  # every 0.5 s for 5 s
    assert f"error: billing job {JOB_ID} is still running after 5 s" in result.stderr
    assert f"hint: follow it with `xinyi billing status {JOB_ID}`" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--period", "2026-05"],  # neither estate nor district
        ["--estate", "jinhe-lvzhou", "--district", "shuangliu", "--period", "2026-05"],
        ["--estate", "jinhe-lvzhou"],  # no period
        ["--estate", "jinhe-lvzhou", "--period", "2026-13"],
        ["--estate", "jinhe-lvzhou", "--period", "2026-5"],
        ["--estate", "jinhe-lvzhou", "--period", "2026-05", "--key", "short"],
        ["--estate", "jinhe-lvzhou", "--period", "2026-05", "--key", "账单-2026-05-金河"],
    ],
)
def test_usage_errors_send_nothing(ledger: FakeLedger, args: list[str]) -> None:
    result = invoke("billing", "run", *args)

    assert result.exit_code == 2, result.output
    assert ledger.requests == []


def test_status_shows_a_job(ledger: FakeLedger) -> None:
    running = job(status="running", households_total=120, households_done=60, households_billed=60, billed_fen=5)
    ledger.on("GET", JOB_PATH, httpx.Response(200, json=running))

    shown = invoke("billing", "status", JOB_ID)
    raw = invoke("billing", "status", JOB_ID, "--json")

    assert shown.exit_code == 0, shown.output
    assert str(ledger.requests[0].url) == f"{LEDGER}{JOB_PATH}"
    assert shown.stdout.splitlines() == [
        f"billing job {JOB_ID}: estate jinhe-lvzhou, period 2026-05, running",
        "estates: 0/1",
        "households: 60/120 processed, 60 billed",
        "amount billed: ¥0.05",
    ]
    assert json.loads(raw.stdout) == running


def test_status_of_a_failed_job_exits_non_zero(ledger: FakeLedger) -> None:
    failures = [{"estate_code": "jinhe-lvzhou", "reason": "estate suspended"}]
    ledger.on("GET", JOB_PATH, httpx.Response(200, json=job(status="failed", failures=failures)))

    result = invoke("billing", "status", JOB_ID)

    assert result.exit_code == 1
    assert "estate suspended" in result.stderr
    assert f"error: billing job {JOB_ID} failed" in result.stderr


def test_the_ledger_url_comes_from_the_option_or_the_environment(ledger: FakeLedger) -> None:
    ledger.on("GET", JOB_PATH, httpx.Response(200, json=job(status="queued")))

    invoke("--ledger-url", "http://ledger.test:9000/", "billing", "status", JOB_ID)
    invoke("billing", "status", JOB_ID, env={"XINYI_LEDGER_URL": "http://env.test:7000"})

    assert [str(r.url) for r in ledger.requests] == [
        f"http://ledger.test:9000{JOB_PATH}",
        f"http://env.test:7000{JOB_PATH}",
    ]


@pytest.mark.parametrize(
    ("fen", "shown"),
    [
        (0, "0.00"),
        (5, "0.05"),
        (100, "1.00"),
        (1_234_567, "12,345.67"),
        (-5, "-0.05"),
        (10**17 + 1, "1,000,000,000,000,000.01"),
    ],
)
def test_fen_are_shown_as_yuan_with_two_decimals(fen: int, shown: str) -> None:
    assert format_fen(fen) == shown
