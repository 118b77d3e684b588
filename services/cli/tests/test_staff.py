"""`xinyi estates staff CODE`: the firm's accounts of an estate, every page of the tenant's paged
``GET /v1/estates/{code}/staff``, as a table or as JSON; the service's refusal shown with its reason."""

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from typer.testing import CliRunner, Result

from xinyi_cli import client
from xinyi_cli.main import app

PLAIN_OUTPUT = {"COLUMNS": "250", "FORCE_COLOR": None, "TTY_COMPATIBLE": None, "TTY_INTERACTIVE": None}
STAFF = [
    {"account_id": f"u-{n}", "username": f"staff-{n}", "display_name": f"师傅{n}", "roles": ["firm_staff"]}
    for n in range(5)
]


class Tenant:
    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, list[str]]]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        query = parse_qs(urlsplit(str(request.url)).query)
        self.requests.append((request.url.path, query))
        if request.url.path != "/v1/estates/jinhe-lvzhou/staff":
            return httpx.Response(403, json={"error": "permission_denied", "reason": "not a member of that estate"})
        limit = int(query.get("limit", ["2"])[0])
        offset = int(query.get("offset", ["0"])[0])
        return httpx.Response(200, json=STAFF[offset : offset + limit], headers={"X-Total-Count": str(len(STAFF))})


@pytest.fixture
def tenant(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Tenant:
    fake = Tenant()
    monkeypatch.setattr(client, "make_http_client", lambda: httpx.Client(transport=httpx.MockTransport(fake.handle)))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XINYI_TOKEN", "test-token")
    monkeypatch.delenv("XINYI_TENANT_URL", raising=False)
    return fake


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env=PLAIN_OUTPUT)


def test_every_page_of_the_staff_is_listed(tenant: Tenant) -> None:
    result = invoke("estates", "staff", "jinhe-lvzhou")
    assert result.exit_code == 0, result.output
    assert [query.get("offset") for _, query in tenant.requests] == [None, ["2"]]
    for account in STAFF:
        assert account["account_id"] in result.stdout and account["display_name"] in result.stdout


def test_as_json_the_pages_are_one_list(tenant: Tenant) -> None:
    result = invoke("estates", "staff", "jinhe-lvzhou", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == STAFF


def test_a_refusal_is_shown_with_its_reason(tenant: Tenant) -> None:
    result = invoke("estates", "staff", "binhe-huayuan")
    assert result.exit_code != 0
    assert "not a member of that estate" in result.output
