"""Paging of the tenant's lists (the platform's contract): ``limit`` 1..500 (default 100) and ``offset``
0..1000000 (else 422), the body one page of the list in a stable order, ``X-Total-Count`` the items
across all pages. In-process: the routes against stand-in use cases, and the SQL the estates' and
ballots' repositories send (the count with the page's WHERE, the page by LIMIT/OFFSET) against a
session that records it. No PostgreSQL; tests/e2e/test_list_paging_tenant.py runs them for real."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tenant_service.adapters.ballots import BallotRepository
from tenant_service.adapters.estates import EstateFilter, EstateRepository, like_literal
from tenant_service.domain.estate import Estate, EstateProfile, EstateStatus
from tenant_service.domain.governance import EstateMonth, Thresholds, figures
from tenant_service.entrypoints import http_api, http_ballots, http_governance
from tenant_service.service_layer import ballots as ballot_cases
from tenant_service.service_layer import estates as estate_cases
from tenant_service.service_layer.governance import AreaFigures
from xinyi_shared.auth import Principal, TokenVerifier
from xinyi_shared.http import create_app, current_principal

ESTATE = "jinhe-lvzhou"
OUT_OF_RANGE = ["limit=0", "limit=501", "offset=-1", "offset=1000001", "limit=ten"]


def principal(role: str) -> Principal:
    cross = role in ("platform_admin", "governance_observer")
    return Principal(
        subject=f"{role}-subject",
        username=role.replace("_", "-"),
        roles=frozenset({role}),
        estates=frozenset() if cross else frozenset({ESTATE}),
    )


def estate(code: str) -> Estate:
    profile = EstateProfile(
        code=code, name=f"小区 {code}", district_code="shuangliu", sub_district_code="", community_code="jinhe"
    )
    return Estate(profile=profile, status=EstateStatus.ACTIVE, directory_id="org")


class FakeCommittee:
    thresholds = Thresholds(min_households=20, min_ratings=5)

    def __init__(self, rows: list[AreaFigures]) -> None:
        self.rows = rows

    def figures(self, first: str, last: str, level: str | None = None, area: str | None = None) -> list[AreaFigures]:
        return [row for row in self.rows if level is None or row.level == level]


def area(level: str, code: str) -> AreaFigures:
    month = EstateMonth("2026-03", frozenset({code}), households=40, billed_fen=10_000, collected_fen=9_000)
    return AreaFigures(level, code, None, "d1", "s1", None, figures(month, FakeCommittee.thresholds))


FIGURE_ROWS = [area("estate", f"e{i}") for i in range(5)] + [area("district", "d1")]


@pytest.fixture(scope="module")
def app() -> Iterator[FastAPI]:
    app = create_app(
        service="tenant",
        title="test",
        description="test",
        verifier=TokenVerifier("http://issuer.test", "xinyi-api", jwks_url="http://unused.test/certs"),
        readiness_checks={},
    )
    app.include_router(http_api.build_router(object(), object()))  # type: ignore[arg-type]
    app.include_router(http_ballots.build_router(object()))  # type: ignore[arg-type]
    app.include_router(http_governance.build_router(FakeCommittee(FIGURE_ROWS)))  # type: ignore[arg-type]
    yield app


def get(app: FastAPI, role: str, path: str) -> Any:
    app.dependency_overrides[current_principal] = lambda: principal(role)
    try:
        return TestClient(app).get(path)
    finally:
        app.dependency_overrides.clear()


# Estates ---------------------------------------------------------------------------------------------


@pytest.fixture
def estates(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int, EstateFilter]]:
    """The use case as a stand-in over five estates; records what the route asked for."""
    every = [estate(f"estate-{i}") for i in range(5)]
    calls: list[tuple[int, int, EstateFilter]] = []

    def list_estates(database: object, limit: int, offset: int, where: EstateFilter) -> tuple[int, list[Estate]]:
        calls.append((limit, offset, where))
        return len(every), every[offset : offset + limit]

    monkeypatch.setattr(estate_cases, "list_estates", list_estates)
    return calls


def test_estates_come_a_page_at_a_time_with_the_total(app: FastAPI, estates: list[Any]) -> None:
    first = get(app, "platform_admin", "/v1/estates?limit=2")
    second = get(app, "platform_admin", "/v1/estates?limit=2&offset=2")
    last = get(app, "platform_admin", "/v1/estates?limit=2&offset=4")

    for response in (first, second, last):
        assert response.status_code == 200, response.text
        assert response.headers["x-total-count"] == "5"
    pages = [[e["code"] for e in response.json()] for response in (first, second, last)]
    assert pages == [["estate-0", "estate-1"], ["estate-2", "estate-3"], ["estate-4"]]
    assert [(limit, offset) for limit, offset, _ in estates] == [(2, 0), (2, 2), (2, 4)]


def test_estates_default_to_a_page_of_100_unfiltered(app: FastAPI, estates: list[Any]) -> None:
    response = get(app, "platform_admin", "/v1/estates")

    assert response.status_code == 200, response.text
    assert len(response.json()) == 5
    assert estates == [(100, 0, EstateFilter())]


def test_estates_filters_reach_the_use_case(app: FastAPI, estates: list[Any]) -> None:
    response = get(
        app, "platform_admin", "/v1/estates?q=Jin%25&district=shuangliu&sub_district=dongsheng&community=jinhe"
    )

    assert response.status_code == 200, response.text
    assert estates == [(100, 0, EstateFilter("Jin%", "shuangliu", "dongsheng", "jinhe"))]


@pytest.mark.parametrize("query", [*OUT_OF_RANGE, "q=", f"q={'x' * 101}", "district=Not%20A%20Code"])
def test_estates_paging_or_filters_out_of_range_are_a_422(app: FastAPI, estates: list[Any], query: str) -> None:
    response = get(app, "platform_admin", f"/v1/estates?{query}")

    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_input"
    assert estates == []


def test_estates_stay_for_the_platform_team(app: FastAPI, estates: list[Any]) -> None:
    assert get(app, "firm_manager", "/v1/estates").status_code == 403
    assert estates == []


# Ballots ---------------------------------------------------------------------------------------------


@pytest.fixture
def ballots(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int, int]]:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    every = [
        {
            "id": uuid.UUID(int=i),
            "kind": "general",
            "subject": "",
            "question": f"q{i}",
            "opens_at": now - timedelta(days=i),
            "closes_at": now + timedelta(days=1),
            "closed_at": None,
        }
        for i in range(3)
    ]
    calls: list[tuple[str, int, int]] = []

    def list_ballots(database: object, code: str, limit: int, offset: int) -> tuple[int, list[dict[str, object]]]:
        calls.append((code, limit, offset))
        return len(every), every[offset : offset + limit]

    monkeypatch.setattr(ballot_cases, "list_ballots", list_ballots)
    return calls


def test_ballots_come_a_page_at_a_time_with_the_total(app: FastAPI, ballots: list[Any]) -> None:
    first = get(app, "resident", f"/v1/estates/{ESTATE}/ballots?limit=2")
    rest = get(app, "resident", f"/v1/estates/{ESTATE}/ballots?limit=2&offset=2")
    default = get(app, "resident", f"/v1/estates/{ESTATE}/ballots")

    assert [r.status_code for r in (first, rest, default)] == [200, 200, 200]
    assert {r.headers["x-total-count"] for r in (first, rest, default)} == {"3"}
    assert [b["question"] for b in first.json()] == ["q0", "q1"]
    assert [b["question"] for b in rest.json()] == ["q2"]
    assert len(default.json()) == 3
    assert ballots == [(ESTATE, 2, 0), (ESTATE, 2, 2), (ESTATE, 100, 0)]


@pytest.mark.parametrize("query", OUT_OF_RANGE)
def test_ballots_paging_out_of_range_is_a_422(app: FastAPI, ballots: list[Any], query: str) -> None:
    response = get(app, "resident", f"/v1/estates/{ESTATE}/ballots?{query}")

    assert response.status_code == 422, response.text
    assert ballots == []


# Governance figures ----------------------------------------------------------------------------------


def test_figures_as_json_come_a_page_at_a_time(app: FastAPI) -> None:
    first = get(app, "governance_observer", "/v1/governance/figures?period=2026-03&limit=4")
    rest = get(app, "governance_observer", "/v1/governance/figures?period=2026-03&limit=4&offset=4")

    assert first.status_code == 200, first.text
    assert rest.status_code == 200, rest.text
    assert first.headers["x-total-count"] == rest.headers["x-total-count"] == "6"
    body = first.json()
    assert (body["total"], body["limit"], body["offset"]) == (6, 4, 0)
    assert (body["min_households"], body["min_ratings"]) == (20, 5)
    assert (rest.json()["total"], rest.json()["limit"], rest.json()["offset"]) == (6, 4, 4)
    codes = [row["code"] for row in body["rows"]] + [row["code"] for row in rest.json()["rows"]]
    assert codes == [row.code for row in FIGURE_ROWS]


def test_figures_filters_count_in_the_total(app: FastAPI) -> None:
    response = get(app, "governance_observer", "/v1/governance/figures?period=2026-03&level=district")

    assert response.json()["total"] == 1
    assert response.headers["x-total-count"] == "1"
    assert response.json()["limit"] == 100


@pytest.mark.parametrize("download", ["csv", "xlsx"])
def test_figures_downloads_are_the_whole_table(app: FastAPI, download: str) -> None:
    response = get(app, "governance_observer", f"/v1/governance/figures?period=2026-03&format={download}&limit=1")

    assert response.status_code == 200, response.text
    assert response.headers["x-total-count"] == "6"
    if download == "csv":
        lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert [line[2] for line in lines[1:]] == [row.code for row in FIGURE_ROWS]


@pytest.mark.parametrize("query", OUT_OF_RANGE)
def test_figures_paging_out_of_range_is_a_422(app: FastAPI, query: str) -> None:
    response = get(app, "governance_observer", f"/v1/governance/figures?period=2026-03&{query}")

    assert response.status_code == 422, response.text


# The SQL ---------------------------------------------------------------------------------------------


@dataclass
class Result:
    rows: list[dict[str, Any]] = field(default_factory=list)
    scalar: int = 0

    def mappings(self) -> list[dict[str, Any]]:
        return self.rows

    def scalar_one(self) -> int:
        return self.scalar


@dataclass
class RecordingSession:
    """Records each statement and its parameters; answers counts with 7 and pages with no rows."""

    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def execute(self, statement: Any, params: dict[str, Any] | None = None) -> Result:
        self.sent.append((str(statement), dict(params or {})))
        return Result(scalar=7)


def where_of(sql: str) -> str:
    return sql.split(" WHERE ", 1)[1].split(" ORDER BY ")[0]


def test_the_estates_count_and_page_share_their_where() -> None:
    session = RecordingSession()
    repository = EstateRepository(session)  # type: ignore[arg-type]
    where = EstateFilter(search="Jin_", district="shuangliu", community="jinhe")

    assert repository.count(where) == 7
    assert repository.page(where, 2, 4) == []

    (count_sql, count_params), (page_sql, page_params) = session.sent
    assert count_sql.startswith("SELECT count(*) FROM estates WHERE ")
    assert where_of(count_sql) == where_of(page_sql)
    assert "ILIKE :search" in where_of(page_sql) and "sub_district_code" not in where_of(page_sql)
    assert page_sql.endswith("ORDER BY estate_code LIMIT :limit OFFSET :offset")
    assert count_params == {"search": "%Jin\\_%", "district_code": "shuangliu", "community_code": "jinhe"}
    assert page_params == {**count_params, "limit": 2, "offset": 4}


def test_no_filter_is_every_estate() -> None:
    assert EstateFilter().sql() == ("true", {})
    assert replace(EstateFilter(), search="").sql() == ("true", {})


def test_the_search_is_taken_literally() -> None:
    assert like_literal("a%b_c\\d") == "%a\\%b\\_c\\\\d%"


def test_the_ballots_count_and_page_are_of_the_estate_in_a_total_order() -> None:
    session = RecordingSession()
    repository = BallotRepository(session)  # type: ignore[arg-type]

    assert repository.count(ESTATE) == 7
    assert repository.list(ESTATE, 3, 6) == []

    (count_sql, count_params), (page_sql, page_params) = session.sent
    assert count_sql == "SELECT count(*) FROM ballots WHERE estate_code = :estate"
    assert "WHERE estate_code = :estate ORDER BY opens_at DESC, id LIMIT :limit OFFSET :offset" in page_sql
    assert count_params == {"estate": ESTATE}
    assert page_params == {"estate": ESTATE, "limit": 3, "offset": 6}
