"""Whom a ticket may be assigned to, against the real tenant, ticketing and Keycloak: the firm's
accounts of the estate (``GET /api/tenant/v1/estates/{code}/staff``, members of the estate's Keycloak
organisation holding firm_manager or firm_staff), and nobody else — a resident of the estate, another
estate's staff or a made-up id is refused with 422 and the ticket stays unassigned."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from tests.harness import bearer, eventually, household_csv, http_url

pytestmark = pytest.mark.e2e


def subject_of(token: str) -> str:
    payload = token.split(".")[1]
    return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"])


@pytest.fixture(scope="module")
def site(tenant_api, make_estate, make_member) -> dict[str, object]:
    estate = make_estate("assign")
    other = make_estate("assign-x")
    staff_username, staff_token = make_member(estate.code, "firm_staff")
    _, supervisor_token = make_member(estate.code, "supervisor")
    resident_username, resident_token = make_member(estate.code, "resident")
    other_staff_username, other_staff_token = make_member(other.code, "firm_staff")
    manager = bearer(estate.manager_token)
    imported = tenant_api.post(
        f"/v1/estates/{estate.code}/households/import",
        files={"file": ("list.csv", household_csv(1), "text/csv")},
        headers=manager,
    )
    assert imported.status_code == 201, imported.text
    eventually(
        lambda: (
            httpx.get(
                f"{http_url('ticketing')}/v1/estates/{estate.code}/service-targets", headers=manager, timeout=10
            ).status_code
            == 200
            or None
        ),
        what="the estate known to ticketing",
    )
    return {
        "code": estate.code,
        "manager": estate,
        "staff": (staff_username, staff_token),
        "supervisor": supervisor_token,
        "resident": (resident_username, resident_token),
        "other_staff": (other_staff_username, other_staff_token),
        "household": imported.json()["household_ids"][0],
    }


def staff_of(code: str, token: str, **params: int) -> httpx.Response:
    return httpx.get(f"{http_url('tenant')}/v1/estates/{code}/staff", params=params, headers=bearer(token), timeout=30)


def test_the_staff_list_names_the_firms_accounts_of_the_estate_and_nobody_else(site) -> None:
    code, manager = site["code"], site["manager"]
    response = staff_of(code, manager.manager_token)
    assert response.status_code == 200, response.text
    listed = {row["username"]: row for row in response.json()}
    staff_username, staff_token = site["staff"]
    assert set(listed) == {manager.manager_username, staff_username}
    assert response.headers["X-Total-Count"] == "2"
    assert listed[staff_username]["account_id"] == subject_of(staff_token)
    assert listed[staff_username]["roles"] == ["firm_staff"]
    assert listed[manager.manager_username]["account_id"] == subject_of(manager.manager_token)
    # The supervisor sees the same list; a page of one at a time gives both, once each.
    assert staff_of(code, site["supervisor"]).json() == response.json()
    pages = [staff_of(code, staff_token, limit=1, offset=offset).json() for offset in (0, 1, 2)]
    assert [len(page) for page in pages] == [1, 1, 0]
    assert {pages[0][0]["username"], pages[1][0]["username"]} == set(listed)
    # A resident of the estate may not list them.
    assert staff_of(code, site["resident"][1]).status_code == 403


def test_a_ticket_is_assigned_to_the_firms_staff_only(site) -> None:
    code, manager = site["code"], site["manager"]
    tickets = f"{http_url('ticketing')}/v1/estates/{code}/tickets"
    headers = bearer(manager.manager_token)
    created = httpx.post(
        tickets,
        json={"category": "lighting", "description": "厨房灯不亮", "household_id": site["household"]},
        headers=headers,
        timeout=60,
    )
    assert created.status_code == 201, created.text
    ticket = created.json()["id"]
    for outsider, who in (
        (subject_of(site["resident"][1]), "a resident of the estate"),
        (subject_of(site["other_staff"][1]), "another estate's staff"),
        ("not-an-account", "a made-up id"),
    ):
        refused = httpx.post(f"{tickets}/{ticket}/assign", json={"assignee": outsider}, headers=headers, timeout=60)
        assert refused.status_code == 422, (who, refused.text)
        assert "not an account of this estate's firm" in refused.json()["reason"], who
    assert httpx.get(f"{tickets}/{ticket}", headers=headers, timeout=30).json()["ticket"]["assignee"] is None
    staff_id = subject_of(site["staff"][1])
    assigned = httpx.post(f"{tickets}/{ticket}/assign", json={"assignee": staff_id}, headers=headers, timeout=60)
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["assignee"] == staff_id
