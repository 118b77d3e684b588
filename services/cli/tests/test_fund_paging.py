"""`xinyi fund grants` follows the platform's paging contract: the micro-fund answers a page of the grants
and counts them all in ``X-Total-Count``; the CLI fetches the following pages (``offset`` the grants
received) until it has them all, against a fake micro-fund that pages."""

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
GRANTS_PATH = "/v1/communities/jinhe/fund/grants"


def grant(number: int) -> dict[str, Any]:
    return {
        "id": f"g-{number}",
        "number": number,
        "title": f"项目{number}",
        "purpose": "x",
        "budget": [{"item": "x", "amount_fen": 100}],
        "amount_fen": 100,
        "benefiting_estates": ["jinhe-lvzhou"],
        "applicant_kind": "resident_group",
        "group_name": None,
        "applicant": None,
        "applicant_estate": None,
        "attachments": [],
        "status": "applied",
        "approved_fen": 0,
        "disbursed_fen": 0,
        "instalments": [],
        "ballot_id": None,
    }


GRANTS = [grant(n) for n in range(1, 8)]


class PagingFund:
    """Pages the fund's grants as the micro-fund does, with a default page of ``default_limit``;
    records each request's query."""

    def __init__(self, default_limit: int) -> None:
        self.default_limit = default_limit
        self.queries: list[dict[str, list[str]]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path != GRANTS_PATH:
            return httpx.Response(404, json={"error": "not_found", "reason": "no"})
        query = parse_qs(urlsplit(str(request.url)).query)
        self.queries.append(query)
        limit = int(query.get("limit", [self.default_limit])[0])
        offset = int(query.get("offset", ["0"])[0])
        return httpx.Response(200, json=GRANTS[offset : offset + limit], headers={"X-Total-Count": str(len(GRANTS))})


@pytest.fixture
def fund(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> PagingFund:
    fake = PagingFund(default_limit=3)
    monkeypatch.setattr(client, "make_http_client", lambda: httpx.Client(transport=httpx.MockTransport(fake.handle)))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XINYI_TOKEN", TOKEN)
    monkeypatch.delenv("XINYI_MICROFUND_URL", raising=False)
    return fake


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env=PLAIN_OUTPUT)


def test_fund_grants_fetches_every_page(fund: PagingFund) -> None:
    result = invoke("fund", "grants", "--community", "jinhe", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == GRANTS
    assert fund.queries == [{}, {"limit": ["500"], "offset": ["3"]}]


def test_fund_grants_follows_the_total_over_small_pages(fund: PagingFund, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client, "PAGE_SIZE", 2)

    result = invoke("fund", "grants", "--community", "jinhe")

    assert result.exit_code == 0, result.output
    assert [q.get("offset") for q in fund.queries] == [None, ["3"], ["5"]]
    for number in range(1, 8):
        assert f"项目{number}" in result.stdout


def test_one_page_is_printed_as_it_came(fund: PagingFund) -> None:
    fund.default_limit = 100

    result = invoke("fund", "grants", "--community", "jinhe", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == GRANTS
    assert fund.queries == [{}]
