"""Every command's request (method, path, body, headers) and what it prints, against a fake tenant service."""

import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from xinyi_cli import client
from xinyi_cli.main import app, percent_to_bps, split_display_name
from xinyi_cli.upload import MultipartFile

TENANT = "http://127.0.0.1:8101"
TOKEN = "test-token"
PLAIN_OUTPUT = {"COLUMNS": "200", "FORCE_COLOR": None, "TTY_COMPATIBLE": None, "TTY_INTERACTIVE": None}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Answer = httpx.Response | Callable[[httpx.Request], httpx.Response]


class FakeTenant:
    """Answers (method, path) with canned responses and records every request, its body read in full."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Answer] = {}
        self.requests: list[httpx.Request] = []

    def on(self, method: str, path: str, answer: Answer) -> None:
        self.routes[(method, path)] = answer

    def handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        answer = self.routes.get((request.method, request.url.raw_path.decode()))
        if answer is None:
            return httpx.Response(404, json={"error": "not_found", "reason": "no such route in the fake"})
        return answer(request) if callable(answer) else answer

    @property
    def only(self) -> httpx.Request:
        assert len(self.requests) == 1, self.requests
        return self.requests[0]


@pytest.fixture
def tenant(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeTenant:
    fake = FakeTenant()
    monkeypatch.setattr(client, "make_http_client", lambda: httpx.Client(transport=httpx.MockTransport(fake.handle)))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XINYI_TOKEN", TOKEN)
    monkeypatch.delenv("XINYI_TENANT_URL", raising=False)
    monkeypatch.delenv("XINYI_KEYCLOAK_URL", raising=False)
    return fake


def invoke(*args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(app, list(args), env={**PLAIN_OUTPUT, **(env or {})})


def assert_sent(request: httpx.Request, method: str, path: str, body: Any = None) -> None:
    assert request.method == method
    assert str(request.url) == f"{TENANT}{path}"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    request_id = request.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert uuid.UUID(hex=request_id).version == 4
    if body is None:
        assert request.content == b""
    else:
        assert request.headers["content-type"] == "application/json"
        assert json.loads(request.content) == body


def table_rows(output: str) -> list[list[str]]:
    """The body rows of the rich tables in the output, as lists of stripped cells."""
    return [
        [cell.strip() for cell in line.strip("│ ").split("│")] for line in output.splitlines() if line.startswith("│")
    ]


def json_error(status: int, error: str, reason: str, **extra: Any) -> httpx.Response:
    return httpx.Response(status, json={"error": error, "reason": reason, **extra})


ESTATE = {
    "code": "jinhe-lvzhou",
    "name": "金河绿洲",
    "district_code": "shuangliu",
    "community_code": "jinhe",
    "fee_rate_fen_per_sqm_month": "35",
    "remuneration_share_bps": 1500,
    "donation_share_bps": 3000,
    "time_zone": "Asia/Shanghai",
    "status": "active",
}


# ---------------------------------------------------------------- estates


def test_estates_list_prints_a_table(tenant: FakeTenant) -> None:
    other = {
        **ESTATE,
        "code": "tianfu-yuan",
        "name": "天府苑",
        "status": "suspended",
        "fee_rate_fen_per_sqm_month": "42.5",
    }
    tenant.on("GET", "/v1/estates", httpx.Response(200, json=[ESTATE, other]))

    result = invoke("estates", "list")

    assert result.exit_code == 0, result.output
    assert_sent(tenant.only, "GET", "/v1/estates")
    lines = result.stdout.splitlines()
    header = next(line for line in lines if "code" in line and "community_code" in line)
    for column in ("name", "status", "fee_rate_fen_per_sqm_month", "remuneration_share_bps", "donation_share_bps"):
        assert column in header
    assert table_rows(result.stdout) == [
        ["jinhe-lvzhou", "金河绿洲", "jinhe", "active", "35", "1500", "3000"],
        ["tianfu-yuan", "天府苑", "jinhe", "suspended", "42.5", "1500", "3000"],
    ]


def test_estates_list_json_prints_the_body_as_it_came(tenant: FakeTenant) -> None:
    body = json.dumps([ESTATE], ensure_ascii=False)
    tenant.on("GET", "/v1/estates", httpx.Response(200, text=body, headers={"content-type": "application/json"}))

    result = invoke("estates", "list", "--json")

    assert result.exit_code == 0
    assert result.stdout == body + "\n"
    assert json.loads(result.stdout) == [ESTATE]


def test_the_tenant_url_comes_from_the_option_or_the_environment(tenant: FakeTenant) -> None:
    invoke("--tenant-url", "http://tenant.test:9000/", "estates", "list")
    invoke("estates", "list", env={"XINYI_TENANT_URL": "http://env.test:7000"})

    assert [str(r.url) for r in tenant.requests] == [
        "http://tenant.test:9000/v1/estates",
        "http://env.test:7000/v1/estates",
    ]


def test_onboard_sends_the_estate_and_its_people_and_shows_the_temporary_passwords(tenant: FakeTenant) -> None:
    tenant.on(
        "POST",
        "/v1/estates",
        httpx.Response(201, json={**ESTATE, "initial_passwords": {"zhang-san": "Tmp-8fk2-Qa", "li-si": "Tmp-77zx-Pw"}}),
    )

    result = invoke(
        "estates", "onboard", "jinhe-lvzhou",
        "--name", "金河绿洲", "--district", "shuangliu", "--sub-district", "dongsheng", "--community", "jinhe",
        "--fee-rate", "35.5", "--remuneration-bps", "1200", "--donation-bps", "2500",
        "--manager-username", "zhang-san", "--manager-email", "zhang@example.org", "--manager-name", "张 三",
        "--supervisor-username", "li-si", "--supervisor-email", "li@example.org", "--supervisor-name", "李四",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert_sent(
        tenant.only,
        "POST",
        "/v1/estates",
        {
            "code": "jinhe-lvzhou",
            "name": "金河绿洲",
            "district_code": "shuangliu",
            "sub_district_code": "dongsheng",
            "community_code": "jinhe",
            "fee_rate_fen_per_sqm_month": "35.5",
            "remuneration_share_bps": 1200,
            "donation_share_bps": 2500,
            "firm_manager": {
                "username": "zhang-san",
                "email": "zhang@example.org",
                "first_name": "张",
                "last_name": "三",
            },
            "supervisor": {"username": "li-si", "email": "li@example.org", "first_name": "李四", "last_name": "李四"},
        },
    )
    assert "onboarded estate jinhe-lvzhou (金河绿洲), status active" in result.stdout
    assert "Temporary passwords" in result.stdout
    assert "must be changed at first login" in result.stdout
    assert table_rows(result.stdout) == [["zhang-san", "Tmp-8fk2-Qa"], ["li-si", "Tmp-77zx-Pw"]]


def test_onboard_twice_says_already_onboarded_and_uses_the_defaults(tenant: FakeTenant) -> None:
    tenant.on("POST", "/v1/estates", httpx.Response(200, json=ESTATE))

    result = invoke(
        "estates", "onboard", "jinhe-lvzhou",
        "--name", "金河绿洲", "--district", "shuangliu", "--sub-district", "dongsheng", "--community", "jinhe",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    body = json.loads(tenant.only.content)
    assert body["fee_rate_fen_per_sqm_month"] == "35"
    assert (body["remuneration_share_bps"], body["donation_share_bps"]) == (1500, 3000)
    assert "firm_manager" not in body and "supervisor" not in body
    assert "already onboarded with the same details" in result.stdout
    assert "Temporary passwords" not in result.stdout


def test_onboard_with_earlier_books_sends_the_month_and_says_where_the_books_begin(tenant: FakeTenant) -> None:
    tenant.on("POST", "/v1/estates", httpx.Response(201, json={**ESTATE, "books_from": "2025-11"}))

    result = invoke(
        "estates", "onboard", "jinhe-lvzhou",
        "--name", "金河绿洲", "--district", "shuangliu", "--sub-district", "dongsheng", "--community", "jinhe",
        "--books-from", "2025-11",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert json.loads(tenant.only.content)["books_from"] == "2025-11"
    assert "its trust books begin in 2025-11" in result.stdout


def test_onboard_refused_books_from_prints_the_servers_reason(tenant: FakeTenant) -> None:
    reason = "books_from 2024-01 is 34 months back: at most 24 months (2024-11)"
    tenant.on("POST", "/v1/estates", json_error(422, "invalid_input", reason))

    result = invoke(
        "estates", "onboard", "jinhe-lvzhou",
        "--name", "n", "--district", "d", "--sub-district", "s", "--community", "c", "--books-from", "2024-01",
    )  # fmt: skip

    assert result.exit_code == 1, result.output
    assert "at most 24 months" in result.output


@pytest.mark.parametrize(
    "extra",
    [
        ["--manager-username", "zhang-san"],  # email and name missing
        ["--supervisor-email", "li@example.org", "--supervisor-name", "李四"],  # username missing
        ["--fee-rate", "abc"],
        ["--fee-rate", "-1"],
        ["--donation-bps", "10001"],
        ["--books-from", "2025-13"],
        ["--books-from", "2025-1"],
        ["--books-from", "11/2025"],
    ],
)
def test_onboard_usage_errors_send_nothing(tenant: FakeTenant, extra: list[str]) -> None:
    result = invoke(
        "estates", "onboard", "jinhe-lvzhou",
        "--name", "n", "--district", "d", "--sub-district", "s", "--community", "c", *extra,
    )  # fmt: skip

    assert result.exit_code == 2, result.output
    assert tenant.requests == []


def test_onboard_conflict_prints_the_reason_and_the_request_id(tenant: FakeTenant) -> None:
    tenant.on("POST", "/v1/estates", json_error(409, "conflict", "estate jinhe-lvzhou exists with other details"))

    result = invoke(
        "estates", "onboard", "jinhe-lvzhou",
        "--name", "n", "--district", "d", "--sub-district", "s", "--community", "c",
    )  # fmt: skip

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: estate jinhe-lvzhou exists with other details",
        f"request id: {tenant.only.headers['x-request-id']}",
    ]
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("张 三", ("张", "三")),
        ("Wang Xiao Ming", ("Wang", "Xiao Ming")),
        ("李四", ("李四", "李四")),
        (" 王五 ", ("王五", "王五")),
    ],
)
def test_display_names_split_at_the_first_space(name: str, expected: tuple[str, str]) -> None:
    assert split_display_name(name) == expected


def test_suspend_and_resume(tenant: FakeTenant) -> None:
    tenant.on("POST", "/v1/estates/jinhe-lvzhou/suspend", httpx.Response(200, json={**ESTATE, "status": "suspended"}))
    tenant.on("POST", "/v1/estates/jinhe-lvzhou/resume", httpx.Response(200, json=ESTATE))

    suspended = invoke("estates", "suspend", "jinhe-lvzhou", "--reason", "业委会改选期间暂停")
    resumed = invoke("estates", "resume", "jinhe-lvzhou")

    assert suspended.exit_code == 0 and resumed.exit_code == 0
    assert_sent(tenant.requests[0], "POST", "/v1/estates/jinhe-lvzhou/suspend", {"reason": "业委会改选期间暂停"})
    assert_sent(tenant.requests[1], "POST", "/v1/estates/jinhe-lvzhou/resume")
    assert suspended.stdout == "estate jinhe-lvzhou is now suspended\n"
    assert resumed.stdout == "estate jinhe-lvzhou is now active\n"
    assert tenant.requests[0].headers["x-request-id"] != tenant.requests[1].headers["x-request-id"]


def test_suspend_needs_a_reason(tenant: FakeTenant) -> None:
    assert invoke("estates", "suspend", "jinhe-lvzhou").exit_code == 2
    assert tenant.requests == []


def test_an_estate_code_cannot_escape_its_path_segment(tenant: FakeTenant) -> None:
    invoke("estates", "resume", "../estates")

    assert tenant.only.url.raw_path == b"/v1/estates/..%2Festates/resume"


# ---------------------------------------------------------------- households


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


def test_households_import_uploads_the_csv_as_multipart_with_progress(tenant: FakeTenant, tmp_path: Path) -> None:
    rows = "".join(f"{n // 100 + 1},{n % 100 + 1},{n:04d},89.5,住户{n}\n" for n in range(120_000))
    sheet = tmp_path / "households.csv"
    sheet.write_text("building,unit,room,area_sqm,owner\n" + rows, encoding="utf-8")
    size = sheet.stat().st_size
    assert size > 3_000_000  # several chunks
    tenant.on(
        "POST",
        "/v1/estates/jinhe-lvzhou/households/import",
        httpx.Response(201, json={"imported": 120_000, "household_ids": list(range(3))}),
    )

    result = invoke("households", "import", "jinhe-lvzhou", str(sheet))

    assert result.exit_code == 0, result.output
    request = tenant.only
    assert request.method == "POST"
    assert str(request.url) == f"{TENANT}/v1/estates/jinhe-lvzhou/households/import"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert re.fullmatch(r"[0-9a-f]{32}", request.headers["x-request-id"])
    assert int(request.headers["content-length"]) == len(request.content)
    assert "transfer-encoding" not in request.headers
    [(headers, content)] = multipart_parts(request)
    assert headers == {
        "Content-Disposition": 'form-data; name="file"; filename="households.csv"',
        "Content-Type": "text/csv",
    }
    assert content == sheet.read_bytes()
    assert result.stdout == "imported 120000 households\n"
    total_mb = f"{size / 1_000_000:.1f}"
    assert "uploading households.csv" in result.stderr
    assert f"{total_mb}/{total_mb} MB" in result.stderr  # the bar reached the whole file


def test_households_import_sends_xlsx_with_its_content_type_and_file_name(tenant: FakeTenant, tmp_path: Path) -> None:
    sheet = tmp_path / "金河绿洲住户.xlsx"
    sheet.write_bytes(b"PK\x03\x04 not really a workbook \x00\xff")
    tenant.on("POST", "/v1/estates/jinhe-lvzhou/households/import", httpx.Response(200, json={"imported": 2}))

    result = invoke("households", "import", "jinhe-lvzhou", str(sheet))

    assert result.exit_code == 0, result.output
    [(headers, content)] = multipart_parts(tenant.only)
    assert headers["Content-Type"] == XLSX
    assert headers["Content-Disposition"] == 'form-data; name="file"; filename="金河绿洲住户.xlsx"'
    assert content == sheet.read_bytes()
    assert result.stdout == "imported 2 households\n"


def test_households_import_shows_every_bad_row_and_imports_nothing(tenant: FakeTenant, tmp_path: Path) -> None:
    sheet = tmp_path / "households.csv"
    sheet.write_text("building,unit,room,area_sqm\n1,1,101,abc\n1,1,101,80\n")
    row_errors = [
        {"line": 2, "column": "area_sqm", "reason": "not a number: 'abc'"},
        {"line": 3, "column": "room", "reason": "duplicate of line 2"},
        {"line": 7, "column": "owner_phone", "reason": "手机号格式不正确"},
    ]
    tenant.on(
        "POST",
        "/v1/estates/jinhe-lvzhou/households/import",
        json_error(422, "invalid_input", "3 rows are invalid", row_errors=row_errors),
    )

    result = invoke("households", "import", "jinhe-lvzhou", str(sheet))

    assert result.exit_code == 1
    assert "imported" not in result.stdout
    lines = result.stderr.splitlines()
    header = next(line for line in lines if "line" in line and "column" in line and "reason" in line)
    assert header.index("line") < header.index("column") < header.index("reason")
    assert table_rows(result.stderr) == [[str(bad["line"]), bad["column"], bad["reason"]] for bad in row_errors]
    assert "error: 3 rows are invalid; nothing was imported" in result.stderr
    assert f"request id: {tenant.only.headers['x-request-id']}" in result.stderr


def test_households_import_other_errors_are_plain(tenant: FakeTenant, tmp_path: Path) -> None:
    sheet = tmp_path / "households.csv"
    sheet.write_text("x\n")
    tenant.on("POST", "/v1/estates/jinhe-lvzhou/households/import", json_error(403, "forbidden", "not your estate"))

    result = invoke("households", "import", "jinhe-lvzhou", str(sheet))

    assert result.exit_code == 1
    assert "error: not your estate" in result.stderr
    assert "nothing was imported" not in result.stderr


@pytest.mark.parametrize("name", ["households.txt", "missing.csv"])
def test_households_import_refuses_other_files_before_sending(tenant: FakeTenant, tmp_path: Path, name: str) -> None:
    if name != "missing.csv":
        (tmp_path / name).write_text("x")

    result = invoke("households", "import", "jinhe-lvzhou", str(tmp_path / name))

    assert result.exit_code == 2
    assert tenant.requests == []


def test_the_multipart_body_reports_each_chunk_and_has_the_announced_length(tmp_path: Path) -> None:
    data = bytes(range(256)) * 1000  # 256 000 bytes: several 64 KiB chunks
    path = tmp_path / "h.csv"
    path.write_bytes(data)
    sent: list[int] = []

    upload = MultipartFile.of(path, field="file", content_type="text/csv", boundary="b0undary")
    body = b"".join(upload.chunks(sent.append))

    assert len(body) == upload.length
    assert sum(sent) == len(data) and len(sent) == 4
    assert upload.content_type == "multipart/form-data; boundary=b0undary"
    assert body == (
        b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="h.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\n" + data + b"\r\n--b0undary--\r\n"
    )


# ---------------------------------------------------------------- ballots


def test_ballots_open_sends_the_ballot_and_prints_its_id(tenant: FakeTenant) -> None:
    tenant.on("POST", "/v1/estates/jinhe-lvzhou/ballots", httpx.Response(201, json={"id": "b-7f3a", "status": "open"}))

    result = invoke(
        "ballots", "open", "jinhe-lvzhou",
        "--question", "是否续聘物业公司？", "--option", "续聘", "--option", "不续聘", "--option", "弃权",
        "--opens-at", "2026-05-01T08:00:00+08:00", "--closes-at", "2026-05-15T20:00",
        "--quorum-percent", "66.67", "--threshold", "two_thirds", "--base", "all_households",
        "--subject", "firm_renewal",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert_sent(
        tenant.only,
        "POST",
        "/v1/estates/jinhe-lvzhou/ballots",
        {
            "question": "是否续聘物业公司？",
            "options": ["续聘", "不续聘", "弃权"],
            "opens_at": "2026-05-01T08:00:00+08:00",
            "closes_at": "2026-05-15T20:00:00+08:00",  # no offset given: China time
            "quorum_bps": 6667,
            "threshold": "two_thirds",
            "threshold_base": "all_households",
            "subject": "firm_renewal",
        },
    )
    assert result.stdout == "b-7f3a\n"


def test_ballots_open_defaults(tenant: FakeTenant) -> None:
    tenant.on("POST", "/v1/estates/jinhe-lvzhou/ballots", httpx.Response(201, json={"id": 42}))
    closes = (datetime.now(UTC) + timedelta(days=7)).replace(microsecond=0)
    before = datetime.now(UTC).replace(microsecond=0)

    result = invoke(
        "ballots", "open", "jinhe-lvzhou", "--question", "Q", "--option", "A", "--option", "B",
        "--closes-at", closes.isoformat().replace("+00:00", "Z"),
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    body = json.loads(tenant.only.content)
    assert body["quorum_bps"] == 5000
    assert (body["threshold"], body["threshold_base"], body["subject"]) == ("simple_majority", "votes_cast", None)
    assert datetime.fromisoformat(body["closes_at"]) == closes
    assert before <= datetime.fromisoformat(body["opens_at"]) <= datetime.now(UTC)
    assert result.stdout == "42\n"


@pytest.mark.parametrize(
    "extra",
    [
        ["--option", "A", "--closes-at", "2030-01-01T00:00Z"],  # one option
        ["--option", "A", "--option", "A", "--closes-at", "2030-01-01T00:00Z"],  # same option twice
        ["--option", "A", "--option", "B", "--closes-at", "next friday"],
        ["--option", "A", "--option", "B", "--opens-at", "2030-01-02T00:00Z", "--closes-at", "2030-01-01T00:00Z"],
        ["--option", "A", "--option", "B", "--closes-at", "2030-01-01T00:00Z", "--quorum-percent", "66.675"],
        ["--option", "A", "--option", "B", "--closes-at", "2030-01-01T00:00Z", "--quorum-percent", "101"],
        ["--option", "A", "--option", "B", "--closes-at", "2030-01-01T00:00Z", "--threshold", "most"],
        ["--option", "A", "--option", "B", "--closes-at", "2030-01-01T00:00Z", "--base", "owners"],
    ],
)
def test_ballots_open_usage_errors_send_nothing(tenant: FakeTenant, extra: list[str]) -> None:
    result = invoke("ballots", "open", "jinhe-lvzhou", "--question", "Q", *extra)

    assert result.exit_code == 2, result.output
    assert tenant.requests == []


@pytest.mark.parametrize(("percent", "bps"), [("50", 5000), ("66.67", 6667), ("0", 0), ("100", 10000), ("12.5", 1250)])
def test_quorum_percent_becomes_basis_points(percent: str, bps: int) -> None:
    assert percent_to_bps(Decimal(percent)) == bps


TALLY = {"续聘": 31, "不续聘": 9, "弃权": 2}
RESULT = {
    "tally": TALLY,
    "votes_cast": 42,
    "electorate_size": 60,
    "quorum_met": True,
    "adopted_option": "续聘",
}


def test_ballots_close_prints_the_tally_and_the_outcome(tenant: FakeTenant) -> None:
    tenant.on("POST", "/v1/estates/jinhe-lvzhou/ballots/b-7f3a/close", httpx.Response(200, json=RESULT))

    result = invoke("ballots", "close", "jinhe-lvzhou", "b-7f3a")

    assert result.exit_code == 0, result.output
    assert_sent(tenant.only, "POST", "/v1/estates/jinhe-lvzhou/ballots/b-7f3a/close")
    lines = result.stdout.splitlines()
    assert table_rows(result.stdout) == [[option, str(votes)] for option, votes in TALLY.items()]
    assert "votes cast: 42 / electorate: 60" in lines
    assert "quorum met: yes" in lines
    assert "adopted option: 续聘" in lines


def test_ballots_close_without_quorum_adopts_nothing(tenant: FakeTenant) -> None:
    answer = {**RESULT, "votes_cast": 10, "quorum_met": False, "adopted_option": None}
    tenant.on("POST", "/v1/estates/jinhe-lvzhou/ballots/7/close", httpx.Response(200, json=answer))

    result = invoke("ballots", "close", "jinhe-lvzhou", "7")

    assert "quorum met: no" in result.stdout.splitlines()
    assert "adopted option: none" in result.stdout.splitlines()


def test_ballots_show(tenant: FakeTenant) -> None:
    ballot = {
        "id": "b-7f3a",
        "question": "是否续聘物业公司？",
        "options": ["续聘", "不续聘"],
        "status": "closed",
        "closes_at": "2026-05-15T20:00:00+08:00",
        "own_votes": {"11111111-1111-4111-8111-111111111111": "续聘"},
        "result": {**RESULT, "audit": {"续聘": ["0123456789abcdef"]}},
    }
    tenant.on("GET", "/v1/estates/jinhe-lvzhou/ballots/b-7f3a", httpx.Response(200, json=ballot))

    shown = invoke("ballots", "show", "jinhe-lvzhou", "b-7f3a")
    raw = invoke("ballots", "show", "jinhe-lvzhou", "b-7f3a", "--json")

    assert shown.exit_code == 0, shown.output
    assert_sent(tenant.requests[0], "GET", "/v1/estates/jinhe-lvzhou/ballots/b-7f3a")
    question = next(line for line in shown.stdout.splitlines() if "question" in line)
    assert "是否续聘物业公司？" in question
    options = next(line for line in shown.stdout.splitlines() if "options" in line)
    assert "续聘, 不续聘" in options
    assert table_rows(shown.stdout)[-len(TALLY) :] == [[option, str(votes)] for option, votes in TALLY.items()]
    assert "votes cast: 42 / electorate: 60" in shown.stdout
    assert "adopted option: 续聘" in shown.stdout
    assert json.loads(raw.stdout) == ballot


def test_ballots_show_an_open_ballot_has_no_result(tenant: FakeTenant) -> None:
    ballot = {"id": "b-7f3a", "question": "Q", "options": ["A", "B"], "status": "open", "result": None}
    tenant.on("GET", "/v1/estates/jinhe-lvzhou/ballots/b-7f3a", httpx.Response(200, json=ballot))

    shown = invoke("ballots", "show", "jinhe-lvzhou", "b-7f3a")

    assert shown.exit_code == 0, shown.output
    assert "adopted option" not in shown.stdout


def test_ballots_show_unknown_ballot(tenant: FakeTenant) -> None:
    tenant.on("GET", "/v1/estates/jinhe-lvzhou/ballots/nope", json_error(404, "not_found", "no ballot nope"))

    result = invoke("ballots", "show", "jinhe-lvzhou", "nope")

    assert result.exit_code == 1
    assert result.stderr.startswith("error: no ballot nope\nrequest id: ")


# ---------------------------------------------------------------- failures


def test_connection_refused_is_a_clean_message(tenant: FakeTenant, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    monkeypatch.setattr(client, "make_http_client", lambda: httpx.Client(transport=httpx.MockTransport(refuse)))

    result = invoke("estates", "list")

    assert result.exit_code == 1
    assert result.stderr == (
        "error: cannot connect to the tenant service at http://127.0.0.1:8101: [Errno 111] Connection refused\n"
    )
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_a_timeout_is_a_clean_message_with_the_request_id(tenant: FakeTenant, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    def hang(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["x-request-id"])
        raise httpx.ReadTimeout("timed out", request=request)

    monkeypatch.setattr(client, "make_http_client", lambda: httpx.Client(transport=httpx.MockTransport(hang)))

    result = invoke("ballots", "close", "jinhe-lvzhou", "7")

    assert result.exit_code == 1
    assert "error: the tenant service at http://127.0.0.1:8101 did not answer in time" in result.stderr
    assert f"request id: {seen[0]}" in result.stderr


def test_an_error_that_is_not_json_still_reads_well(tenant: FakeTenant) -> None:
    tenant.on("GET", "/v1/estates", httpx.Response(502, text="<html>Bad Gateway</html>"))

    result = invoke("estates", "list")

    assert result.exit_code == 1
    assert "error: HTTP 502 Bad Gateway: <html>Bad Gateway</html>" in result.stderr


def test_a_refused_token_hints_where_it_came_from(tenant: FakeTenant) -> None:
    tenant.on("GET", "/v1/estates", json_error(401, "unauthorized", "token expired"))

    result = invoke("estates", "list")

    assert result.exit_code == 1
    assert "error: token expired" in result.stderr
    assert "hint: check XINYI_TOKEN" in result.stderr


def test_errors_are_red_on_a_colour_terminal(tenant: FakeTenant) -> None:
    tenant.on("GET", "/v1/estates", json_error(403, "forbidden", "platform_admin only"))

    result = invoke("estates", "list", env={"FORCE_COLOR": "1"})

    assert result.exit_code == 1
    first = result.stderr.splitlines()[0]
    assert re.match(r"\x1b\[(1;)?31m", first)
    assert "error: platform_admin only" in first


def test_no_arguments_show_help() -> None:
    result = CliRunner().invoke(app, [], env=PLAIN_OUTPUT)

    assert result.exit_code == 2
    for command in ("login", "logout", "estates", "households", "ballots"):
        assert command in result.output
