"""Query parameters out of range get a 422 JSON answer, never PostgreSQL's refusal as a plain-text 500,
and every other error of the tenant service is JSON {"error", "reason"} too."""

from __future__ import annotations

import httpx
import pytest

from tests.harness import bearer

OUT_OF_RANGE = [
    ("offset=9223372036854775808", "offset"),  # one past PostgreSQL's bigint: was a plain-text 500
    ("offset=1000001", "offset"),
    ("offset=-1", "offset"),
    ("limit=0", "limit"),
    ("limit=100000", "limit"),
    ("limit=ten", "limit"),
]


@pytest.fixture(scope="module")
def estate(make_estate):
    return make_estate("bounds")


@pytest.fixture(scope="module")
def supervisor_token(estate, make_member) -> str:
    return make_member(estate.code, "supervisor")[1]


def assert_json_error(response: httpx.Response, status: int, error: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["error"] == error
    assert isinstance(body["reason"], str) and body["reason"]
    return body


@pytest.mark.parametrize(("query", "field"), OUT_OF_RANGE)
@pytest.mark.parametrize("caller", ["firm manager", "supervisor"])
def test_paging_the_household_register_out_of_range_is_a_422(
    tenant_api, estate, supervisor_token, caller, query, field
) -> None:
    token = estate.manager_token if caller == "firm manager" else supervisor_token

    response = tenant_api.get(f"/v1/estates/{estate.code}/households?{query}", headers=bearer(token))

    body = assert_json_error(response, 422, "invalid_input")
    assert f"query.{field}" in str(body["reason"])


def test_the_last_page_allowed_is_an_empty_page(tenant_api, estate) -> None:
    response = tenant_api.get(
        f"/v1/estates/{estate.code}/households?limit=1000&offset=1000000", headers=bearer(estate.manager_token)
    )

    assert response.status_code == 200, response.text
    assert response.json() == {"total": 0, "limit": 1000, "offset": 1000000, "households": []}


@pytest.mark.parametrize("path", ["/v1/estates", "/v1/estates/{code}/ballots", "/v1/estates/{code}/grids"])
def test_unpaged_lists_never_fail_on_paging_parameters(tenant_api, admin_token, estate, path) -> None:
    token = admin_token if path == "/v1/estates" else estate.manager_token

    response = tenant_api.get(
        path.format(code=estate.code) + "?offset=9223372036854775808&limit=100000", headers=bearer(token)
    )

    assert response.status_code in (200, 422), response.text  # these lists are not paged; if ever, bounded
    assert response.headers["content-type"] == "application/json"


def test_framework_errors_are_json_too(tenant_api, estate) -> None:
    token = bearer(estate.manager_token)

    broken_upload = tenant_api.post(
        f"/v1/estates/{estate.code}/households/import",
        content=b"this is not multipart",
        headers={**token, "Content-Type": "multipart/form-data; boundary=b0undary"},
    )
    undecodable = tenant_api.post(
        f"/v1/estates/{estate.code}/grids",
        content=b'{"code": "g1", "name": "\xff\xfe"}',
        headers={**token, "Content-Type": "application/json"},
    )
    unknown = tenant_api.get("/v1/no-such-route", headers=token)
    wrong_method = tenant_api.delete(f"/v1/estates/{estate.code}/grids", headers=token)

    assert broken_upload.status_code in (400, 422), broken_upload.text
    assert_json_error(broken_upload, broken_upload.status_code, "invalid_input")
    assert undecodable.status_code in (400, 422), undecodable.text
    assert_json_error(undecodable, undecodable.status_code, "invalid_input")
    assert_json_error(unknown, 404, "not_found")
    assert_json_error(wrong_method, 405, "method_not_allowed")
    assert wrong_method.headers["allow"]  # Starlette names the methods of the first route of the path only
