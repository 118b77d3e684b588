"""Fixtures of the end-to-end tests: real Keycloak users and real estates onboarded through the API."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.harness import (
    COMMUNITY,
    DISTRICT,
    SUB_DISTRICT,
    KeycloakAdmin,
    bearer,
    eventually,
    household_csv,
    http_url,
    register_hierarchy,
    unique_code,
    user_token,
)

pytestmark = pytest.mark.e2e


# Module-scoped, not session-scoped: an access token lives 15 minutes (the realm's
# accessTokenLifespan) and the whole run takes longer, so each module signs in afresh.
@pytest.fixture(scope="module")
def admin_token() -> str:
    return user_token("platform-admin")


@pytest.fixture(scope="session")
def keycloak() -> Iterator[KeycloakAdmin]:
    admin = KeycloakAdmin.connect()
    yield admin
    admin.client.close()


@pytest.fixture(scope="session")
def tenant_api() -> Iterator[httpx.Client]:
    with httpx.Client(base_url=http_url("tenant"), timeout=60) as client:
        register_hierarchy(client, user_token("platform-admin"))
        yield client


@dataclass
class OnboardedEstate:
    code: str
    manager_username: str
    manager_token: str


def estate_body(code: str, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "code": code,
        "name": f"测试小区 {code}",
        "district_code": DISTRICT,
        "sub_district_code": SUB_DISTRICT,
        "community_code": COMMUNITY,
    }
    body.update(overrides)
    return body


def onboard(tenant_api: httpx.Client, admin_token: str, code: str, **overrides: object) -> httpx.Response:
    return tenant_api.post("/v1/estates", json=estate_body(code, **overrides), headers=bearer(admin_token))


@pytest.fixture(scope="module")
def make_estate(tenant_api: httpx.Client, admin_token: str, keycloak: KeycloakAdmin) -> Iterator[object]:
    """Onboards an estate and gives it a firm manager of its own (a fresh Keycloak user)."""
    created_users: list[str] = []

    def make(prefix: str = "e2e", **overrides: object) -> OnboardedEstate:
        code = unique_code(prefix)
        response = onboard(tenant_api, admin_token, code, **overrides)
        assert response.status_code == 201, response.text
        username = f"manager-{code}"
        created_users.append(keycloak.create_user(username, "firm_manager"))
        added = tenant_api.post(f"/v1/estates/{code}/members", json={"username": username}, headers=bearer(admin_token))
        assert added.status_code == 204, added.text
        return OnboardedEstate(code, username, user_token(username))

    yield make
    for user_id in created_users:
        keycloak.delete_user(user_id)


@pytest.fixture(scope="module")
def make_member(tenant_api: httpx.Client, admin_token: str, keycloak: KeycloakAdmin) -> Iterator[object]:
    """A fresh account with ``role``, member of ``estate_code``; returns (username, token)."""
    created_users: list[str] = []

    def make(estate_code: str, role: str) -> tuple[str, str]:
        username = f"{role.replace('_', '-')}-{unique_code('u')}"
        created_users.append(keycloak.create_user(username, role))
        added = tenant_api.post(
            f"/v1/estates/{estate_code}/members", json={"username": username}, headers=bearer(admin_token)
        )
        assert added.status_code == 204, added.text
        return username, user_token(username)

    yield make
    for user_id in created_users:
        keycloak.delete_user(user_id)


def wait_for_books(code: str, token: str, timeout: float = 90) -> dict[str, object]:
    def books() -> dict[str, object] | None:
        response = httpx.get(f"{http_url('ledger')}/v1/estates/{code}/accounts", headers=bearer(token), timeout=10)
        return response.json() if response.status_code == 200 else None

    return eventually(books, timeout=timeout, what=f"the trust books of {code}")


@pytest.fixture
def books(tenant_api, admin_token, make_member):
    """An estate at 0.35 CNY/m², 15% remuneration on collected fees, 30% donated, with three
    households of 90.00, 120.55 and 65.30 m²."""
    code = unique_code("books")
    assert onboard(tenant_api, admin_token, code).status_code == 201
    _, manager = make_member(code, "firm_manager")
    content = household_csv(3, bad_lines={0: {"面积": "90"}, 1: {"面积": "120.55"}, 2: {"面积": "65.3"}})
    imported = tenant_api.post(
        f"/v1/estates/{code}/households/import",
        files={"file": ("list.csv", content, "text/csv")},
        headers=bearer(manager),
    )
    households = imported.json()["household_ids"]
    wait_for_books(code, manager)
    ledger = httpx.Client(base_url=f"{http_url('ledger')}/v1/estates/{code}", headers=bearer(manager), timeout=60)
    yield code, ledger, households
    ledger.close()
