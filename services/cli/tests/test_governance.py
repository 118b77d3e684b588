"""`xinyi governance …` against a fake tenant service: the requests each command sends, figures shown
as the committee reads them (suppressed never as 0), and the monthly report checked before it is
saved — a report whose digest or signature does not hold is refused."""

import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from typer.testing import CliRunner, Result

from xinyi_cli import client
from xinyi_cli.main import app
from xinyi_shared.transparency.entries import canonical_json
from xinyi_shared.transparency.note import generate_signer_key, parse_signer_key, sign_note

TOKEN = "test-token"
PLAIN_OUTPUT = {"COLUMNS": "250", "FORCE_COLOR": None, "TTY_COMPATIBLE": None, "TTY_INTERACTIVE": None}
SIGNER = parse_signer_key(generate_signer_key("tenant.xinyi.test/governance"))


def figures(**overrides: Any) -> dict[str, Any]:
    shown = {
        "households": 24,
        "collection_rate_bps": 6810,
        "satisfaction_rate_bps": 6666,
        "ratings": 6,
        "first_response_median_seconds": 180,
        "resolution_median_seconds": 3725,
        "resolution_within_target_bps": 10000,
        "complaints": 1,
        "petitions": 1,
        "budget_total_execution_bps": 18,
        "surplus_fen": -80904,
    }
    return {**shown, **overrides}


class FakeTenant:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.answers: dict[str, httpx.Response] = {}

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answers.get(request.url.path, httpx.Response(404, json={"error": "not_found", "reason": "no"}))


@pytest.fixture
def tenant(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeTenant:
    fake = FakeTenant()
    monkeypatch.setattr(client, "make_http_client", lambda: httpx.Client(transport=httpx.MockTransport(fake.handle)))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XINYI_TOKEN", TOKEN)
    return fake


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env=PLAIN_OUTPUT)


def query(request: httpx.Request) -> dict[str, list[str]]:
    return parse_qs(urlsplit(str(request.url)).query)


def test_figures_are_shown_as_read_and_suppressed_is_never_zero(tenant: FakeTenant) -> None:
    rows = [
        {"level": "estate", "code": "jinhe-lvzhou", "name": "金河绿洲", "figures": figures()},
        {
            "level": "estate",
            "code": "small-one",
            "name": None,
            "figures": figures(satisfaction_rate_bps="suppressed", budget_total_execution_bps=None),
        },
    ]
    tenant.answers["/v1/governance/figures"] = httpx.Response(
        200, json={"min_households": 20, "min_ratings": 5, "rows": rows}
    )
    result = invoke("governance", "figures", "--period", "2026-11", "--level", "estate", "--area", "gov-d")
    assert result.exit_code == 0, result.output
    (request,) = tenant.requests
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert query(request) == {"period": ["2026-11"], "level": ["estate"], "area": ["gov-d"]}
    lines = [line for line in result.output.splitlines() if "jinhe-lvzhou" in line or "small-one" in line]
    assert "68.10%" in lines[0] and "66.66%" in lines[0] and "1h02m" in lines[0] and "-809.04" in lines[0]
    assert "suppressed" in lines[1] and "—" in lines[1]
    assert "fewer than 20 households" in result.output


def test_figures_as_csv_are_saved_as_the_service_wrote_them(tenant: FakeTenant, tmp_path: Path) -> None:
    tenant.answers["/v1/governance/figures"] = httpx.Response(
        200, text='\ufeff"period","level"\n"2026-11","district"\n', headers={"content-type": "text/csv"}
    )
    target = tmp_path / "figures.csv"
    result = invoke("governance", "figures", "--period", "2026-11", "--csv", str(target))
    assert result.exit_code == 0, result.output
    assert query(tenant.requests[0])["format"] == ["csv"]
    assert target.read_text(encoding="utf-8").startswith('\ufeff"period"')


def test_a_bad_period_is_refused_before_any_request(tenant: FakeTenant) -> None:
    result = invoke("governance", "figures", "--period", "2026-13")
    assert result.exit_code != 0 and tenant.requests == []


def signed_answer(report: dict[str, Any]) -> dict[str, Any]:
    digest = hashlib.sha256(canonical_json(report)).hexdigest()
    note = sign_note(f"xinyi-governance-report/v1\ngov-d\n2026-11\n{report['issued_at']}\nsha256 {digest}\n", SIGNER)
    return {"report": report, "report_sha256": digest, "signed_note": note, "verifier_key": SIGNER.vkey}


REPORT = {
    "district_code": "gov-d",
    "period": "2026-11",
    "issued_at": "2026-11-30T05:00:00Z",
    "estates": [{"code": "a", "books_closed": True}, {"code": "b", "books_closed": False}],
}


def test_the_report_is_verified_then_saved(tenant: FakeTenant, tmp_path: Path) -> None:
    tenant.answers["/v1/governance/reports/2026-11"] = httpx.Response(200, json=signed_answer(REPORT))
    tenant.answers["/v1/governance/report-key"] = httpx.Response(200, json={"verifier_key": SIGNER.vkey})
    target = tmp_path / "report.json"
    result = invoke("governance", "report", "2026-11", "--out", str(target))
    assert result.exit_code == 0, result.output
    assert "verified: district gov-d, 2026-11" in result.output
    assert "2 estates, 1 with the month's books closed" in result.output
    assert json.loads(target.read_text(encoding="utf-8"))["report"] == REPORT


@pytest.mark.parametrize("tamper", ["figures", "key"])
def test_a_report_that_does_not_verify_is_refused_and_not_saved(
    tenant: FakeTenant, tmp_path: Path, tamper: str
) -> None:
    answer = signed_answer(REPORT)
    other_key = parse_signer_key(generate_signer_key("tenant.xinyi.test/governance")).vkey
    if tamper == "figures":
        answer["report"] = {**REPORT, "estates": []}
    tenant.answers["/v1/governance/reports/2026-11"] = httpx.Response(200, json=answer)
    tenant.answers["/v1/governance/report-key"] = httpx.Response(
        200, json={"verifier_key": other_key if tamper == "key" else SIGNER.vkey}
    )
    target = tmp_path / "report.json"
    result = invoke("governance", "report", "2026-11", "--out", str(target))
    assert result.exit_code == 1
    assert "error:" in result.output and not target.exists()
