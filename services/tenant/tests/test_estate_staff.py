"""The firm's accounts of an estate (``GET /v1/estates/{code}/staff``, gRPC ``ListEstateStaff``): the
members of the estate's Keycloak organisation that hold a firm role, crossed in the directory adapter
from Keycloak's two listings (neither filters by the other), sorted and paged by the service.

Keycloak's admin client is replaced by an in-memory one answering the two listings; no infrastructure."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from keycloak.exceptions import KeycloakGetError

from tenant_service.adapters.keycloak_directory import KeycloakDirectory
from tenant_service.domain.estate import StaffAccount
from tenant_service.entrypoints import http_api
from tenant_service.entrypoints.grpc_api import TenantServicer
from tenant_service.service_layer import estates as cases
from tenant_service.service_layer.estates import Directory
from xinyi.tenant.v1 import tenant_pb2
from xinyi_shared.auth import Principal, Role, TokenVerifier
from xinyi_shared.db import Database
from xinyi_shared.errors import PermissionDenied
from xinyi_shared.grpc_server import principal_var
from xinyi_shared.http import create_app, current_principal

ESTATE = "jinhe-lvzhou"
ORGANIZATION = "org-jinhe"


def user(user_id: str, username: str, first: str = "", last: str = "", enabled: bool = True) -> dict[str, Any]:
    return {"id": user_id, "username": username, "firstName": first, "lastName": last, "enabled": enabled}


class FakeAdmin:
    """Keycloak's realm-role members and organisation members, as the admin client lists them."""

    def __init__(self) -> None:
        manager = user("u-manager", "wang.manager", "经理", "王")
        staff = user("u-staff", "li.staff", "师傅", "李")
        nameless = user("u-nameless", "zhao.staff")
        gone = user("u-gone", "qian.staff", "离职", "钱", enabled=False)
        elsewhere = user("u-elsewhere", "sun.staff", "别处", "孙")  # staff of another estate
        resident = user("u-resident", "zhang.resident", "三", "张")
        self.role_members = {
            Role.FIRM_MANAGER: [manager],
            Role.FIRM_STAFF: [staff, nameless, gone, elsewhere, manager],
            Role.RESIDENT: [resident],
        }
        self.organizations = {ORGANIZATION: [manager, staff, nameless, gone, resident]}
        self.queries: list[dict[str, Any] | None] = []

    def get_realm_role_members(self, role_name: str, query: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        self.queries.append(query)
        return list(self.role_members.get(role_name, []))

    def get_organization_members(self, organization_id: str, query: dict[str, Any] | None = None) -> list[Any]:
        if organization_id not in self.organizations:
            raise KeycloakGetError(error_message="not found", response_code=404)
        return list(self.organizations[organization_id])


@pytest.fixture
def directory() -> KeycloakDirectory:
    found = KeycloakDirectory.__new__(KeycloakDirectory)
    found._admin = cast(Any, FakeAdmin())
    return found


def test_only_enabled_members_holding_a_firm_role_are_listed(directory: KeycloakDirectory) -> None:
    accounts = directory.organization_accounts_with_roles(ORGANIZATION, cases.FIRM_ROLES)
    assert {account.account_id: account.roles for account in accounts} == {
        "u-manager": (Role.FIRM_MANAGER, Role.FIRM_STAFF),
        "u-staff": (Role.FIRM_STAFF,),
        "u-nameless": (Role.FIRM_STAFF,),
    }
    names = {account.username: account.display_name for account in accounts}
    assert names == {"wang.manager": "王经理", "li.staff": "李师傅", "zhao.staff": "zhao.staff"}


def test_an_organisation_keycloak_no_longer_has_lists_nobody(directory: KeycloakDirectory) -> None:
    assert directory.organization_accounts_with_roles("org-removed", cases.FIRM_ROLES) == []


class OneEstate:
    """``estate_cases.get_estate`` as it answers for an active estate with its organisation."""

    directory_id = ORGANIZATION


class StaffDirectory:
    def __init__(self, accounts: list[StaffAccount]) -> None:
        self.accounts = accounts
        self.asked: list[tuple[str, tuple[str, ...]]] = []

    def organization_accounts_with_roles(self, organization_id: str, roles: tuple[str, ...]) -> list[StaffAccount]:
        self.asked.append((organization_id, roles))
        return list(self.accounts)


ACCOUNTS = [
    StaffAccount(f"u-{n}", f"staff-{n}", name, (Role.FIRM_STAFF,))
    for n, name in enumerate(["周师傅", "吴师傅", "郑师傅", "王经理", "冯师傅"])
]


@pytest.fixture
def staff_directory(monkeypatch: pytest.MonkeyPatch) -> StaffDirectory:
    monkeypatch.setattr(cases, "get_estate", lambda database, code: OneEstate())
    return StaffDirectory(ACCOUNTS)


def test_the_use_case_asks_for_the_firm_roles_and_sorts_by_name(staff_directory: StaffDirectory) -> None:
    staff = cases.estate_staff(cast(Database, None), cast(Directory, staff_directory), ESTATE)
    assert staff_directory.asked == [(ORGANIZATION, (Role.FIRM_MANAGER, Role.FIRM_STAFF))]
    assert [account.display_name for account in staff] == sorted(a.display_name for a in ACCOUNTS)


def principal(role: str) -> Principal:
    return Principal(subject=f"{role}-1", username=role, roles=frozenset({role}), estates=frozenset({ESTATE}))


@pytest.fixture
def client(staff_directory: StaffDirectory) -> Iterator[TestClient]:
    app: FastAPI = create_app(
        service="tenant",
        title="test",
        description="test",
        verifier=TokenVerifier("http://issuer.test", "xinyi-api", jwks_url="http://unused.test/certs"),
        readiness_checks={},
    )
    app.include_router(http_api.build_router(cast(Database, None), cast(Directory, staff_directory)))
    app.dependency_overrides[current_principal] = lambda: principal(Role.FIRM_MANAGER)
    with TestClient(app) as test_client:
        yield test_client


def test_the_route_pages_the_sorted_list_with_its_total(client: TestClient) -> None:
    ordered = sorted(ACCOUNTS, key=lambda a: a.display_name)
    seen: list[str] = []
    for offset in (0, 2, 4):
        response = client.get(f"/v1/estates/{ESTATE}/staff", params={"limit": 2, "offset": offset})
        assert response.status_code == 200, response.text
        assert response.headers["X-Total-Count"] == str(len(ACCOUNTS))
        seen += [row["account_id"] for row in response.json()]
    assert seen == [a.account_id for a in ordered]
    first = client.get(f"/v1/estates/{ESTATE}/staff").json()[0]
    assert first == {
        "account_id": ordered[0].account_id,
        "username": ordered[0].username,
        "display_name": ordered[0].display_name,
        "roles": [Role.FIRM_STAFF],
    }


@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": 501}, {"offset": -1}])
def test_a_page_outside_the_contract_is_refused(client: TestClient, query: dict[str, int]) -> None:
    assert client.get(f"/v1/estates/{ESTATE}/staff", params=query).status_code == 422


def test_the_grpc_method_is_for_the_services_only(staff_directory: StaffDirectory) -> None:
    servicer = TenantServicer(cast(Database, None), cast(Directory, staff_directory))
    request = tenant_pb2.ListEstateStaffRequest(estate_code=ESTATE)
    service = Principal(subject="svc", username="ticketing", roles=frozenset({Role.SERVICE}), estates=frozenset())
    token = principal_var.set(service)
    try:
        answer = servicer.ListEstateStaff(request, cast(Any, None))
    finally:
        principal_var.reset(token)
    assert [account.account_id for account in answer.accounts] == [
        a.account_id for a in sorted(ACCOUNTS, key=lambda a: a.display_name)
    ]
    token = principal_var.set(principal(Role.FIRM_MANAGER))
    try:
        with pytest.raises(PermissionDenied):
            servicer.ListEstateStaff(request, cast(Any, None))
    finally:
        principal_var.reset(token)
