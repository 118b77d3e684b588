"""The tenant's HTTP routes against the role table of docs/access.md, in-process, and the contract its
OpenAPI document declares.

Every row of the tenant's table, for every role: a FastAPI ``TestClient`` on the tenant's routers (with
the shared app factory's error handlers), the caller replaced through ``dependency_overrides`` by a fake
:class:`Principal` of that role. The database and the identity provider are stand-ins that answer any
use of them with a sentinel status (418): a request that gets that far passed the route's access check.
No PostgreSQL, Kafka or Keycloak.

What a cell means here: ``no`` is 403; ``yes`` and ``own`` reach the use case (``own`` is decided
there, from the caller's households); ``public`` needs no token."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from tenant_service import bootstrap
from tenant_service.entrypoints import http_api, http_ballots, http_governance, http_households
from tenant_service.settings import TenantSettings
from tests.access_doc import ROLES, Row, table
from xinyi_shared.auth import Principal, TokenVerifier
from xinyi_shared.errors import XinyiError
from xinyi_shared.http import create_app, current_principal
from xinyi_shared.rate_limits import Quota, RateLimiter

ESTATE = "jinhe-lvzhou"
FOREIGN = "binhe-huayuan"
CROSS_ESTATE = {"platform_admin", "service", "governance_observer"}  # not members of estates
ROWS = [row for row in table("tenant") if row.path.startswith("/v1/")]
HOUSEHOLD_CSV = "楼栋,单元,房号,面积,业主姓名\n1,1,101,90.5,张三\n".encode()

# A valid body per route, so that a caller who passes the access check reaches the use case.
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/v1/districts"): {"code": "shuangliu", "name": "双流区"},
    ("POST", "/v1/districts/{district}/sub-districts"): {"code": "dongsheng", "name": "东升街道"},
    ("POST", "/v1/sub-districts/{sub_district}/communities"): {"code": "jinhe", "name": "金河社区"},
    ("POST", "/v1/estates"): {
        "code": ESTATE,
        "name": "金河绿洲",
        "district_code": "shuangliu",
        "community_code": "jinhe",
    },
    ("POST", "/v1/estates/{code}/members"): {"username": "someone"},
    ("POST", "/v1/estates/{code}/rules"): {
        "effective_from": "2099-01-01",
        "fee_rate_fen_per_sqm_month": "36",
        "remuneration_share_bps": 1500,
        "donation_share_bps": 3000,
        "reason": "t",
    },
    ("POST", "/v1/estates/{code}/suspend"): {"reason": "t"},
    ("POST", "/v1/estates/{code}/offboard"): {"archive_sha256": "0" * 64},
    ("PUT", "/v1/estates/{code}/households/{household_id}/occupancy"): {"occupied_from": None},
    ("POST", "/v1/estates/{code}/grids"): {"code": "G1", "name": "一号网格"},
    ("PUT", "/v1/estates/{code}/grids/{grid}/leaders"): {"usernames": []},
    ("POST", "/v1/estates/{code}/grids/{grid}/households"): {"household_ids": [str(uuid.uuid4())]},
    ("POST", "/v1/estates/{code}/households/{household_id}/invitations"): {"contact": "13700000009"},
    ("POST", "/v1/estates/{code}/my-households"): {"claim_code": "a-claim-code"},
    ("POST", "/v1/invitations/claim"): {
        "estate_code": ESTATE,
        "claim_code": "a-claim-code",
        "username": "resident-1",
        "password": "a-long-password-1",
        "email": "resident-1@xinyi.test",
        "first_name": "民",
        "last_name": "居",
    },
    ("POST", "/v1/estates/{code}/ballots"): {
        "kind": "service_plan",
        "question": "q",
        "options": ["A", "B"],
        "quorum_bps": 0,
        "threshold": "plurality",
        "threshold_base": "votes_cast",
        "opens_at": "2020-01-01T00:00:00Z",
        "closes_at": "2020-01-02T00:00:00Z",
    },
    ("POST", "/v1/estates/{code}/ballots/{ballot_id}/votes"): {"option": "A"},
}
# Query strings of the routes that need one.
QUERIES: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/v1/governance/figures"): {"period": "2026-03"},
    ("GET", "/v1/governance/ranking"): {"period": "2026-03", "metric": "collection_rate_bps"},
    ("GET", "/v1/governance/estates/{code}/comparison"): {"period": "2026-03"},
}
PATH_VALUES = {
    "code": ESTATE,
    "district": "shuangliu",
    "sub_district": "dongsheng",
    "household_id": str(uuid.uuid4()),
    "archive_id": str(uuid.uuid4()),
    "ballot_id": str(uuid.uuid4()),
    "grid": "G1",
    "receipt_code": "abcdefgh",
    "period": "2026-03",
}


class Reached(XinyiError):
    """What the stand-ins answer: the request passed its route's checks and reached the use case."""

    http_status = 418
    code = "reached"


class Unreachable:
    """The database and the identity provider: any use of them answers 418."""

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def use(*args: object, **kwargs: object) -> Any:
            raise Reached(f"reached {name}")

        return use


class NoLimits(RateLimiter):
    def __init__(self) -> None:
        pass

    def hit(self, quota: Quota, key: str) -> int:
        return 1

    def check(self, quota: Quota, key: str) -> None:
        return None


def principal(role: str, estate: str = ESTATE) -> Principal:
    return Principal(
        subject=f"{role}-subject",
        username=role.replace("_", "-"),
        roles=frozenset({role}),
        estates=frozenset() if role in CROSS_ESTATE else frozenset({estate}),
    )


@pytest.fixture(scope="module")
def app() -> Iterator[FastAPI]:
    app = create_app(
        service="tenant",
        title="test",
        description="test",
        verifier=TokenVerifier("http://issuer.test", "xinyi-api", jwks_url="http://unused.test/certs"),
        readiness_checks={},
    )
    database, directory = Unreachable(), Unreachable()
    limits = http_households.ClaimLimits(NoLimits(), 1000, 1000)
    for router in (
        http_api.build_router(database, directory),  # type: ignore[arg-type]
        http_households.build_router(database, directory, limits),  # type: ignore[arg-type]
        http_ballots.build_router(database),  # type: ignore[arg-type]
        http_governance.build_router(Unreachable()),  # type: ignore[arg-type]
    ):
        app.include_router(router)
    yield app


def call(app: FastAPI, row: Row, caller: Principal | None) -> Response:
    if caller is None:
        app.dependency_overrides.pop(current_principal, None)
    else:
        app.dependency_overrides[current_principal] = lambda: caller
    path = row.path.format(**PATH_VALUES)
    client = TestClient(app, raise_server_exceptions=False)
    try:
        if row.path.endswith("/households/import"):
            return client.post(path, files={"file": ("list.csv", HOUSEHOLD_CSV, "text/csv")})
        return client.request(
            row.method, path, json=BODIES.get((row.method, row.path)), params=QUERIES.get((row.method, row.path))
        )
    finally:
        app.dependency_overrides.clear()


def test_the_table_covers_every_route(app: FastAPI) -> None:
    declared = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
        if path.startswith("/v1/")
    }
    assert declared == {row.key for row in ROWS}


@pytest.mark.parametrize("row", ROWS, ids=[f"{row.method} {row.path}" for row in ROWS])
@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_the_table_says(app: FastAPI, row: Row, role: str) -> None:
    cell = row.cells[role]
    response = call(app, row, principal(role))
    if cell == "no":
        assert response.status_code == 403, response.text
        assert response.json()["error"] == "permission_denied"
    else:
        assert response.status_code == 418, f"{role} ({cell}) on {row.method} {row.path}: {response.text}"


@pytest.mark.parametrize("row", ROWS, ids=[f"{row.method} {row.path}" for row in ROWS])
def test_another_estates_people_are_refused(app: FastAPI, row: Row) -> None:
    members = row.roles("yes", "own") - CROSS_ESTATE
    if "{code}" not in row.path or not members:
        pytest.skip("no estate role may call this route")
    for role in sorted(members):
        response = call(app, row, principal(role, estate=FOREIGN))
        assert response.status_code == 403, f"{role} of another estate on {row.method} {row.path}"


@pytest.mark.parametrize("row", ROWS, ids=[f"{row.method} {row.path}" for row in ROWS])
def test_without_a_token_only_public_routes_answer(app: FastAPI, row: Row) -> None:
    response = call(app, row, None)
    if "public" in row.cells.values():
        assert response.status_code == 418, response.text
    else:
        assert response.status_code == 401, response.text
        assert response.headers["www-authenticate"] == "Bearer"


def test_a_malformed_estate_code_is_refused_before_access_is_checked(app: FastAPI) -> None:
    for role in ("firm_manager", "platform_admin", "governance_observer"):
        app.dependency_overrides[current_principal] = lambda role=role: principal(role)
        try:
            response = TestClient(app).get("/v1/estates/trailing-/rules")
        finally:
            app.dependency_overrides.clear()
        assert response.status_code == 422, response.text
        assert response.json()["reason"].count("path.code") == 1, "checked by the route and its dependency, told once"


# The declared contract -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    return bootstrap.build_app(TenantSettings()).openapi()


def operations(openapi: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, by_method in openapi["paths"].items()
        if path.startswith("/v1/")
        for method, operation in by_method.items()
    ]


def test_every_route_declares_its_answer_and_its_errors(openapi: dict[str, Any]) -> None:
    for method, path, operation in operations(openapi):
        where = f"{method} {path}"
        responses = operation["responses"]
        public = path == "/v1/invitations/claim"
        ok = [status for status in responses if status.startswith("2")]
        assert ok, where
        for status in ok:
            if status == "204":
                assert "content" not in responses[status], where
                continue
            content = responses[status].get("content", {})
            assert content, f"{where}: {status} without a declared body"
            schema = next(iter(content.values())).get("schema", {})
            assert schema, f"{where}: {status} without a schema"
        expected = {"422"} if operation.get("parameters") or "requestBody" in operation else set()
        if not public:
            expected |= {"401", "403"}
        if "requestBody" in operation:
            expected.add("413")
        if any(part.startswith("{") and part != "{code}" for part in path.split("/")):
            expected.add("404")  # an id in the path: an unknown one is 404
        if public:
            expected.add("429")
        missing = expected - set(responses)
        assert not missing, f"{where} does not declare {sorted(missing)}"
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, f"{where} {status}"


def test_the_token_is_a_declared_requirement(openapi: dict[str, Any]) -> None:
    schemes = openapi["components"]["securitySchemes"]
    assert [scheme["scheme"] for scheme in schemes.values()] == ["bearer"]
    for method, path, operation in operations(openapi):
        if path == "/v1/invitations/claim":
            assert "security" not in operation
        else:
            assert operation.get("security"), f"{method} {path} does not declare its token"


def test_codes_in_paths_have_one_pattern_each(openapi: dict[str, Any]) -> None:
    patterns: dict[str, set[str]] = {}
    for _, _, operation in operations(openapi):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path" and "pattern" in parameter["schema"]:
                patterns.setdefault(parameter["name"], set()).add(parameter["schema"]["pattern"])
    assert all(len(found) == 1 for found in patterns.values()), patterns
    assert patterns["district"] == patterns["sub_district"]
