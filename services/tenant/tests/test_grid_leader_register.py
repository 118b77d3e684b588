"""Grid leaders see their grid: the household register (its page and its total) and a single household,
for a caller whose only register-reading role is ``grid_leader``, hold only the households of the grids
whose leaders name the caller's username; another household is 404, as an unknown one. The firm and the
supervisor still see the whole estate.

In process, no database: the HTTP routes on a ``TestClient`` with the caller replaced through
``dependency_overrides``, the use cases' repository a fake that applies the scope it is asked with (as the
SQL does), and the SQL's filter checked on a recording session."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tenant_service.adapters.households import HouseholdRepository
from tenant_service.domain.households import Household, RegisterScope
from tenant_service.entrypoints import http_households
from tenant_service.service_layer import households as cases
from xinyi_shared.auth import Principal, Role, TokenVerifier
from xinyi_shared.http import create_app, current_principal
from xinyi_shared.rate_limits import Quota, RateLimiter

ESTATE = "jinhe-lvzhou"
LEADERS = {"G1": ["grid-leader"], "G2": ["other-leader"], "G3": []}


def household(room: str, grid: str | None) -> Household:
    return Household(
        id=uuid.uuid4(),
        estate_code=ESTATE,
        building="1",
        unit="1",
        floor=room[0],
        room=room,
        area_centi_sqm=9050,
        grid_code=grid,
    )


# Two households in G1 (led by grid-leader), one in G2 (led by other-leader), one in no grid.
G1_A, G1_B, G2_A, NO_GRID = (
    household("101", "G1"),
    household("102", "G1"),
    household("201", "G2"),
    household("301", None),
)
HOUSEHOLDS = [G1_A, G1_B, G2_A, NO_GRID]
OWN = {"grid-leader-subject": [NO_GRID.id]}  # the grid leader lives in a household of no grid


class FakeHouseholds:
    """The repository's reads of the register, scoped as the SQL scopes them."""

    scopes: ClassVar[list[RegisterScope]] = []

    def __init__(self, session: object) -> None: ...

    def _in(self, h: Household, scope: RegisterScope) -> bool:
        self.scopes.append(scope)
        if scope.everything:
            return True
        return h.grid_code is not None and scope.leader in {u.lower() for u in LEADERS.get(h.grid_code, [])}

    def count(
        self, estate_code: str, scope: RegisterScope | None = None, search: str | None = None, grid: str | None = None
    ) -> int:
        return len(self.list_with_owners(estate_code, len(HOUSEHOLDS), 0, scope, search, grid))

    def list_with_owners(
        self,
        estate_code: str,
        limit: int,
        offset: int,
        scope: RegisterScope | None = None,
        search: str | None = None,
        grid: str | None = None,
    ) -> list[dict[str, Any]]:
        # The address search is PostgreSQL's (tests/e2e/test_households.py); the grid filter is kept here.
        scope = scope or RegisterScope.whole_estate()
        rows = [
            h
            for h in HOUSEHOLDS
            if h.estate_code == estate_code and self._in(h, scope) and (grid is None or h.grid_code == grid)
        ]
        return [
            {
                "id": h.id,
                "building": h.building,
                "unit": h.unit,
                "floor": h.floor,
                "room": h.room,
                "area_centi_sqm": h.area_centi_sqm,
                "grid_code": h.grid_code,
                "occupied_from": h.occupied_from,
                "member_count": 1,
                "owner_names": ["张三"],
                "owner_phones": ["13800001234"],
            }
            for h in rows[offset : offset + limit]
        ]

    def get(self, household_id: uuid.UUID, scope: RegisterScope | None = None) -> Household | None:
        scope = scope or RegisterScope.whole_estate()
        return next((h for h in HOUSEHOLDS if h.id == household_id and self._in(h, scope)), None)

    def households_of_user(self, estate_code: str, user_id: str) -> list[uuid.UUID]:
        return list(OWN.get(user_id, []))


class FakeDatabase:
    @contextmanager
    def estate_session(self, code: str) -> Iterator[object]:
        yield object()


class NoLimits(RateLimiter):
    def __init__(self) -> None:
        pass

    def hit(self, quota: Quota, key: str) -> int:
        return 1

    def check(self, quota: Quota, key: str) -> None:
        return None


def caller(*roles: str, username: str) -> Principal:
    return Principal(
        subject=f"{username}-subject", username=username, roles=frozenset(roles), estates=frozenset({ESTATE})
    )


GRID_LEADER = caller(Role.GRID_LEADER, username="grid-leader")


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    monkeypatch.setattr(cases, "HouseholdRepository", FakeHouseholds)
    monkeypatch.setattr(FakeHouseholds, "scopes", [])
    app = create_app(
        service="tenant",
        title="test",
        description="test",
        verifier=TokenVerifier("http://issuer.test", "xinyi-api", jwks_url="http://unused.test/certs"),
        readiness_checks={},
    )
    limits = http_households.ClaimLimits(NoLimits(), 1000, 1000)
    app.include_router(http_households.build_router(FakeDatabase(), None, limits))  # type: ignore[arg-type]
    return app


def get(app: FastAPI, who: Principal, path: str, **params: Any) -> Any:
    app.dependency_overrides[current_principal] = lambda: who
    try:
        return TestClient(app, raise_server_exceptions=False).get(f"/v1/estates/{ESTATE}{path}", params=params)
    finally:
        app.dependency_overrides.clear()


def listed(app: FastAPI, who: Principal, **params: Any) -> tuple[int, set[uuid.UUID]]:
    response = get(app, who, "/households", **params)
    assert response.status_code == 200, response.text
    page = response.json()
    return page["total"], {uuid.UUID(h["id"]) for h in page["households"]}


# The register -------------------------------------------------------------------------------------


def test_a_grid_leader_sees_only_its_grids_households_and_their_total(app: FastAPI) -> None:
    assert listed(app, GRID_LEADER) == (2, {G1_A.id, G1_B.id})
    total, page = listed(app, GRID_LEADER, limit=1, offset=1)
    assert total == 2, "the total counts the leader's households, not the estate's"
    assert page <= {G1_A.id, G1_B.id} and len(page) == 1
    assert FakeHouseholds.scopes and all(s == RegisterScope.grids_led_by("grid-leader") for s in FakeHouseholds.scopes)


def test_the_scope_follows_the_callers_username(app: FastAPI) -> None:
    assert listed(app, caller(Role.GRID_LEADER, username="other-leader")) == (1, {G2_A.id})


@pytest.mark.parametrize("username", ["lonely-leader", ""], ids=["leads no grid", "no username"])
def test_a_grid_leader_who_leads_no_grid_sees_an_empty_register(app: FastAPI, username: str) -> None:
    assert listed(app, caller(Role.GRID_LEADER, username=username)) == (0, set())


@pytest.mark.parametrize("role", [Role.FIRM_MANAGER, Role.FIRM_STAFF, Role.SUPERVISOR])
def test_the_firm_and_the_supervisor_still_see_the_whole_register(app: FastAPI, role: str) -> None:
    assert listed(app, caller(role, username="firm")) == (4, {h.id for h in HOUSEHOLDS})


def test_a_grid_leader_who_is_also_of_the_firm_sees_the_whole_register(app: FastAPI) -> None:
    both = caller(Role.GRID_LEADER, Role.FIRM_STAFF, username="grid-leader")
    assert listed(app, both) == (4, {h.id for h in HOUSEHOLDS})


# A single household ---------------------------------------------------------------------------------


def test_a_household_of_another_grid_is_not_found_for_a_grid_leader(app: FastAPI) -> None:
    assert get(app, GRID_LEADER, f"/households/{G1_A.id}").json()["id"] == str(G1_A.id)
    other = get(app, GRID_LEADER, f"/households/{G2_A.id}")
    unknown = get(app, GRID_LEADER, f"/households/{uuid.uuid4()}")
    assert other.status_code == unknown.status_code == 404
    assert other.json() == unknown.json(), "another grid's household answers as an unknown one"


def test_a_grid_leader_still_sees_its_own_household(app: FastAPI) -> None:
    assert get(app, GRID_LEADER, f"/households/{NO_GRID.id}").status_code == 200
    lonely = caller(Role.GRID_LEADER, username="lonely-leader")
    assert get(app, lonely, f"/households/{NO_GRID.id}").status_code == 404


def test_the_firm_reads_any_household(app: FastAPI) -> None:
    for h in HOUSEHOLDS:
        assert get(app, caller(Role.FIRM_MANAGER, username="firm"), f"/households/{h.id}").status_code == 200


# The rule and the SQL -------------------------------------------------------------------------------


def test_who_reads_which_part_of_the_register() -> None:
    assert cases.register_scope(caller(Role.SUPERVISOR, username="s")) == RegisterScope.whole_estate()
    assert cases.register_scope(caller(Role.PLATFORM_ADMIN, username="a")) == RegisterScope.whole_estate()
    assert cases.register_scope(caller(Role.GRID_LEADER, username=" Grid-Leader ")) == RegisterScope(
        leader="grid-leader"
    )
    assert cases.register_scope(caller(Role.GRID_LEADER, username="")).sees_nothing
    assert cases.register_scope(caller(Role.RESIDENT, username="grid-leader")).sees_nothing, "a role, not a name"


class RecordingSession:
    """A session that records each statement and its parameters and answers nothing."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, dict[str, Any]]] = []

    def execute(self, statement: Any, params: dict[str, Any]) -> Any:
        self.statements.append((str(statement), params))
        return self

    def scalar_one(self) -> int:
        return 0

    def mappings(self) -> list[Any]:
        return []

    def first(self) -> None:
        return None


@pytest.mark.parametrize(
    "read",
    [
        lambda r, s: r.count(ESTATE, s),
        lambda r, s: r.list_with_owners(ESTATE, 10, 0, s),
        lambda r, s: r.get(G1_A.id, s),
    ],
    ids=["count", "page", "household"],
)
def test_the_sql_keeps_only_the_leaders_grids(read: Any) -> None:
    session = RecordingSession()
    read(HouseholdRepository(session), RegisterScope.grids_led_by("Grid-Leader"))  # type: ignore[arg-type]
    ((sql, params),) = session.statements
    assert "grid_code IN (SELECT l.grid_code FROM grid_leaders l" in sql
    assert "lower(l.username) = :leader" in sql
    assert params["leader"] == "grid-leader"

    session = RecordingSession()
    read(HouseholdRepository(session), RegisterScope.whole_estate())  # type: ignore[arg-type]
    ((sql, params),) = session.statements
    assert "grid_leaders" not in sql and "leader" not in params
