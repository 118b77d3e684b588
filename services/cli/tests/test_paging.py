"""The CLI follows the platform's paging contract: a list answers one page and counts every item in
``X-Total-Count``; `xinyi estates list` and `xinyi governance figures` fetch the following pages
(``offset`` the items received) until they have them all, against a fake tenant that pages."""

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from typer.testing import CliRunner, Result

from xinyi_cli import client
from xinyi_cli.main import app

TOKEN = "test-token"
PLAIN_OUTPUT = {"COLUMNS": "250", "FORCE_COLOR": None, "TTY_COMPATIBLE": None, "TTY_INTERACTIVE": None}


def estate(code: str) -> dict[str, object]:
    return {
        "code": code,
        "name": f"小区 {code}",
        "community_code": "jinhe",
        "status": "active",
        "fee_rate_fen_per_sqm_month": "35",
        "remuneration_share_bps": 1500,
        "donation_share_bps": 3000,
    }


ESTATES = [estate(f"estate-{i:03d}") for i in range(7)]
ROWS = [{"level": "estate", "code": f"area-{i}", "name": None, "figures": {}} for i in range(5)]


class PagingTenant:
    """Pages ``/v1/estates`` (a list) and ``/v1/governance/figures`` (rows) as the tenant does, with a
    default page of ``default_limit``; records each request's query."""

    def __init__(self, default_limit: int) -> None:
        self.default_limit = default_limit
        self.queries: list[tuple[str, dict[str, list[str]]]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        query = parse_qs(urlsplit(str(request.url)).query)
        self.queries.append((request.url.path, query))
        limit = int(query.get("limit", [self.default_limit])[0])
        offset = int(query.get("offset", ["0"])[0])
        if request.url.path == "/v1/estates":
            page: Any = ESTATES[offset : offset + limit]
            total = len(ESTATES)
        elif request.url.path == "/v1/governance/figures":
            page = {
                "min_households": 20,
                "min_ratings": 5,
                "total": len(ROWS),
                "limit": limit,
                "offset": offset,
                "rows": ROWS[offset : offset + limit],
            }
            total = len(ROWS)
        else:
            return httpx.Response(404, json={"error": "not_found", "reason": "no"})
        return httpx.Response(200, json=page, headers={"X-Total-Count": str(total)})


@pytest.fixture
def tenant(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> PagingTenant:
    fake = PagingTenant(default_limit=3)
    monkeypatch.setattr(client, "make_http_client", lambda: httpx.Client(transport=httpx.MockTransport(fake.handle)))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XINYI_TOKEN", TOKEN)
    monkeypatch.delenv("XINYI_TENANT_URL", raising=False)
    return fake


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env=PLAIN_OUTPUT)


def test_estates_list_fetches_every_page(tenant: PagingTenant) -> None:
    result = invoke("estates", "list")

    assert result.exit_code == 0, result.output
    assert [query for _, query in tenant.queries] == [
        {},
        {"limit": ["500"], "offset": ["3"]},
    ]
    for code in (e["code"] for e in ESTATES):
        assert str(code) in result.stdout


def test_estates_list_follows_the_total_over_small_pages(tenant: PagingTenant, monkeypatch) -> None:
    monkeypatch.setattr(client, "PAGE_SIZE", 2)

    result = invoke("estates", "list", "--json")

    assert result.exit_code == 0, result.output
    assert [query.get("offset") for _, query in tenant.queries] == [None, ["3"], ["5"]]
    assert json.loads(result.stdout) == ESTATES


def test_governance_figures_fetch_every_page(tenant: PagingTenant) -> None:
    result = invoke("governance", "figures", "--period", "2026-11", "--json")

    assert result.exit_code == 0, result.output
    assert [query for _, query in tenant.queries] == [
        {"period": ["2026-11"]},
        {"period": ["2026-11"], "limit": ["500"], "offset": ["3"]},
    ]
    body = json.loads(result.stdout)
    assert body["rows"] == ROWS
    assert (body["total"], body["offset"], body["limit"]) == (5, 0, 5)


def test_one_page_is_printed_as_it_came(tenant: PagingTenant) -> None:
    tenant.default_limit = 100

    result = invoke("estates", "list", "--json")

    assert result.exit_code == 0, result.output
    assert len(tenant.queries) == 1
    assert json.loads(result.stdout) == ESTATES
