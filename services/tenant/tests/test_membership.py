"""CheckMembership (gRPC, the platform's services only): the households a user belongs to and, when
the request names the user's username, the codes of the estate's grids whose leaders include it —
compared ignoring case, as the register's grid-leader scope compares them (RegisterScope.grids_led_by).

In process, no database: the servicer with the caller set as the gRPC interceptor sets it, the use
case's repository a fake that matches leaders as the SQL does, and the SQL checked on a recording
session."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

import pytest

from tenant_service.adapters.households import HouseholdRepository
from tenant_service.domain.households import Household, RegisterScope
from tenant_service.entrypoints.grpc_api import TenantServicer
from tenant_service.service_layer import households as cases
from tenant_service.service_layer.estates import Directory
from xinyi.tenant.v1 import tenant_pb2
from xinyi_shared.auth import Principal, Role
from xinyi_shared.db import Database
from xinyi_shared.errors import InvalidInput, PermissionDenied
from xinyi_shared.grpc_server import principal_var

ESTATE = "jinhe-lvzhou"
# Leaders as the firm named them (PUT …/grids/{grid}/leaders keeps them as given).
LEADERS = {"G1": ["Grid-Leader"], "G2": ["grid-leader", "other-leader"], "G3": ["other-leader"], "G4": []}
HOME = Household(
    id=uuid.uuid4(), estate_code=ESTATE, building="1", unit="1", floor="1", room="101", area_centi_sqm=9050
)
OWN = {"resident-subject": [HOME.id], "grid-leader-subject": [HOME.id]}
SERVICE = Principal("ticketing-sa", "service-account-ticketing-service", frozenset({Role.SERVICE}), frozenset())


class FakeHouseholds:
    """The repository's reads CheckMembership makes, answered as the SQL answers them."""

    def __init__(self, session: object) -> None: ...

    def households_of_user(self, estate_code: str, user_id: str) -> list[uuid.UUID]:
        return list(OWN.get(user_id, []))

    def get(self, household_id: uuid.UUID, scope: RegisterScope | None = None) -> Household | None:
        return HOME if household_id == HOME.id else None

    def grids_led_by(self, estate_code: str, scope: RegisterScope) -> list[str]:
        return sorted(code for code, names in LEADERS.items() if scope.leader in {n.lower() for n in names})


class FakeDatabase:
    @contextmanager
    def estate_session(self, code: str) -> Iterator[object]:
        yield object()


@pytest.fixture
def servicer(monkeypatch: pytest.MonkeyPatch) -> Iterator[TenantServicer]:
    monkeypatch.setattr(cases, "HouseholdRepository", FakeHouseholds)
    token = principal_var.set(SERVICE)
    yield TenantServicer(cast(Database, FakeDatabase()), cast(Directory, object()))
    principal_var.reset(token)


def check(servicer: TenantServicer, user_id: str, username: str = "") -> tenant_pb2.Membership:
    request = tenant_pb2.CheckMembershipRequest(estate_code=ESTATE, user_id=user_id, username=username)
    return servicer.CheckMembership(request, cast(Any, None))


@pytest.mark.parametrize("username", ["grid-leader", "Grid-Leader", "GRID-LEADER", " grid-leader "])
def test_the_grids_a_username_leads_are_named_ignoring_case(servicer: TenantServicer, username: str) -> None:
    membership = check(servicer, "grid-leader-subject", username)
    assert (membership.member, list(membership.household_ids)) == (True, [str(HOME.id)])
    assert list(membership.led_grid_codes) == ["G1", "G2"]


def test_a_leader_need_not_live_in_the_estate(servicer: TenantServicer) -> None:
    membership = check(servicer, "other-leader-subject", "other-leader")
    assert (membership.member, list(membership.household_ids)) == (False, [])
    assert list(membership.led_grid_codes) == ["G2", "G3"]


@pytest.mark.parametrize("username", ["", "   ", "resident", "grid"], ids=["none", "blank", "leads none", "a prefix"])
def test_without_a_username_or_leading_nothing_no_grid_is_named(servicer: TenantServicer, username: str) -> None:
    membership = check(servicer, "resident-subject", username)
    assert (membership.member, list(membership.led_grid_codes)) == (True, [])


def test_the_user_id_is_still_required(servicer: TenantServicer) -> None:
    with pytest.raises(InvalidInput, match="user_id"):
        check(servicer, "", "grid-leader")


@pytest.mark.parametrize("role", [Role.FIRM_MANAGER, Role.GRID_LEADER, Role.PLATFORM_ADMIN])
def test_only_the_platforms_services_ask(servicer: TenantServicer, role: str) -> None:
    principal_var.set(Principal("someone", "grid-leader", frozenset({role}), frozenset({ESTATE})))
    with pytest.raises(PermissionDenied):
        check(servicer, "grid-leader-subject", "grid-leader")


class RecordingSession:
    """A session that records each statement and its parameters and answers nothing."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, dict[str, Any]]] = []

    def execute(self, statement: Any, params: dict[str, Any]) -> Any:
        self.statements.append((str(statement), params))
        return self

    def scalars(self) -> list[str]:
        return []


def test_the_sql_compares_the_leaders_usernames_lower_case() -> None:
    session = RecordingSession()
    repository = HouseholdRepository(session)  # type: ignore[arg-type]
    assert repository.grids_led_by(ESTATE, RegisterScope.grids_led_by(" Grid-Leader ")) == []
    ((sql, params),) = session.statements
    assert "FROM grid_leaders WHERE estate_code = :estate AND lower(username) = :leader" in sql
    assert params == {"estate": ESTATE, "leader": "grid-leader"}
    assert repository.grids_led_by(ESTATE, RegisterScope.grids_led_by("")) == []
    assert len(session.statements) == 1, "no username: no query"
