"""The micro-fund's HTTP routes against the role table of docs/access.md, in-process: a fake principal of
each role through ``dependency_overrides``, the fund memberships from memory. No infrastructure."""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from microfund_service.domain.membership import FundMembership
from microfund_service.entrypoints import http_api, http_funds
from tests.access_doc import ROLES, Row, table
from xinyi_shared.auth import Principal, TokenVerifier
from xinyi_shared.db import Database
from xinyi_shared.errors import NotFound
from xinyi_shared.http import create_app, current_principal

ESTATE = "jinhe-lvzhou"
UNKNOWN = "no-such-estate"
ROWS = table("microfund")
REQUESTS = {
    ("GET", "/health/live"): "/health/live",
    ("GET", "/health/ready"): "/health/ready",
    ("GET", "/v1/estates/{code}/fund"): f"/v1/estates/{ESTATE}/fund",
}
FUND = "/v1/communities/jinhe/fund"
SHA = "ab" * 32
# The fund's routes: the use cases are replaced by one that finds nothing (404), so a role the
# route lets in answers 404 and one it refuses 403.
BODIES: dict[tuple[str, str], object] = {
    ("PUT", "/v1/communities/{community}/fund/rule"): {"threshold_fen": 1},
    ("POST", "/v1/communities/{community}/fund/donations"): {
        "source": "resident",
        "amount_fen": 1,
        "received_on": "2031-04-01",
    },
    ("POST", "/v1/communities/{community}/fund/grants"): {
        "title": "x",
        "purpose": "x",
        "budget": [{"item": "x", "amount_fen": 1}],
        "benefiting_estates": [ESTATE],
    },
    ("POST", "/v1/communities/{community}/fund/grants/{grant_id}/review"): {"approve": True},
    ("POST", "/v1/communities/{community}/fund/grants/{grant_id}/disbursements"): {
        "amount_fen": 1,
        "receipt": SHA,
        "paid_on": "2031-04-01",
    },
    ("POST", "/v1/communities/{community}/fund/grants/{grant_id}/close"): {"report": "x"},
}
for _method, _suffix in [
    ("GET", ""),
    ("PUT", "/rule"),
    ("POST", "/donations"),
    ("GET", "/donations"),
    ("POST", "/files"),
    ("GET", "/files/{sha256}"),
    ("POST", "/grants"),
    ("GET", "/grants"),
    ("GET", "/grants/{grant_id}"),
    ("POST", "/grants/{grant_id}/review"),
    ("POST", "/grants/{grant_id}/disbursements"),
    ("POST", "/grants/{grant_id}/close"),
]:
    REQUESTS[(_method, f"/v1/communities/{{community}}/fund{_suffix}")] = FUND + _suffix.replace(
        "{sha256}", SHA
    ).replace("{grant_id}", "g-1")


def principal(role: str, estate: str = ESTATE) -> Principal:
    cross_estate = role in ("platform_admin", "service")
    return Principal(f"{role}-subject", role, frozenset({role}), frozenset() if cross_estate else frozenset({estate}))


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    def fund_membership(database: Database, code: str) -> FundMembership:
        if code != ESTATE:
            raise NotFound(f"estate {code!r} has not joined a community micro-fund")
        return FundMembership(ESTATE, "jinhe")

    monkeypatch.setattr(http_api, "fund_membership", fund_membership)

    def nothing(*args: object, **kwargs: object) -> None:
        raise NotFound("no such fund")

    for name in (
        "statement",
        "set_rule",
        "record_donation",
        "donations_of",
        "upload_file",
        "fund_file",
        "apply_for_grant",
        "grants_of",
        "grant_detail",
        "review_grant",
        "disburse_grant",
        "close_grant",
    ):
        monkeypatch.setattr(http_funds.cases, name, nothing)
    verifier = TokenVerifier("http://127.0.0.1:9/realms/xinyi", "xinyi-api")  # never asked: overridden
    app = create_app(service="microfund", title="microfund", description="", verifier=verifier, readiness_checks={})
    app.include_router(http_api.build_router(cast(Database, None)))  # its use case is replaced above
    app.include_router(http_funds.build_funds_router())
    app.state.microfund = None  # every use case is replaced above
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def act_as(client: TestClient, who: Principal) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    app.dependency_overrides[current_principal] = lambda: who


def test_every_row_has_a_request() -> None:
    assert {row.key for row in ROWS} == set(REQUESTS)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("row", ROWS, ids=[f"{row.method} {row.path}" for row in ROWS])
def test_each_role_gets_what_the_table_says(client: TestClient, row: Row, role: str) -> None:
    cell = row.cells[role]
    if cell != "public":
        act_as(client, principal(role))
    if row.key == ("POST", "/v1/communities/{community}/fund/files"):
        response = client.post(REQUESTS[row.key], files={"file": ("x.pdf", b"%PDF-1.7", "application/pdf")})
    else:
        response = client.request(
            row.method, REQUESTS[row.key], json=BODIES.get(row.key), headers={"Idempotency-Key": "roles-test-0001"}
        )
    if cell in ("yes", "public") and row.path.startswith("/v1/communities/"):
        assert response.status_code == 404, response.text  # let in; the stubbed use case finds nothing
    elif cell in ("yes", "public"):
        assert response.status_code == 200, response.text
    elif cell == "no":
        assert response.status_code == 403, response.text
        assert response.json()["error"] == "permission_denied"
    else:
        raise AssertionError(f"no check for the cell {cell!r} of docs/access.md:{row.line}")


def test_the_fund_answers_in_their_declared_shape(client: TestClient) -> None:
    act_as(client, principal("resident"))
    body = client.get(f"/v1/estates/{ESTATE}/fund").json()
    assert body == {"estate_code": ESTATE, "community_code": "jinhe"}


def test_refusals_are_the_one_error_schema(client: TestClient) -> None:
    assert client.get(f"/v1/estates/{ESTATE}/fund").json()["error"] == "unauthenticated"
    act_as(client, principal("resident", UNKNOWN))
    unknown = client.get(f"/v1/estates/{UNKNOWN}/fund")
    assert (unknown.status_code, unknown.json()["error"]) == (404, "not_found")
    foreign = client.get(f"/v1/estates/{ESTATE}/fund")
    assert (foreign.status_code, foreign.json()["error"]) == (403, "permission_denied")
    malformed = client.get("/v1/estates/NOT-A-CODE/fund")
    assert (malformed.status_code, malformed.json()["error"]) == (422, "invalid_input")
    for response in (unknown, foreign, malformed):
        assert set(response.json()) >= {"error", "reason"}


def test_the_route_declares_its_model_and_errors(client: TestClient) -> None:
    assert isinstance(client.app, FastAPI)
    operation = client.app.openapi()["paths"]["/v1/estates/{code}/fund"]["get"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/FundMembershipPublic"
    }
    for status in ("401", "403", "404", "422", "503"):
        schema = operation["responses"][status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorBody"}, status
