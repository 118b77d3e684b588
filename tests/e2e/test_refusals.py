"""Malformed or unauthenticated requests get a clear 4xx (HTTP) or status (gRPC) and change nothing."""

from __future__ import annotations

import grpc
import httpx
import pytest

from tests.e2e.conftest import estate_body, wait_for_books
from tests.harness import bearer, grpc_target, http_url, service_token, unique_code, user_token
from xinyi.ledger.v1 import ledger_pb2, ledger_pb2_grpc
from xinyi.tenant.v1 import tenant_pb2, tenant_pb2_grpc


def listed_codes(tenant_api: httpx.Client, admin_token: str, code: str) -> set[str]:
    """The codes of the listed estates whose code or name contains ``code`` (the list is paged: filtered,
    the one page holds them all)."""
    listed = tenant_api.get("/v1/estates", params={"q": code, "limit": 500}, headers=bearer(admin_token))
    assert listed.status_code == 200, listed.text
    assert int(listed.headers["x-total-count"]) == len(listed.json())
    return {estate["code"] for estate in listed.json()}


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing bearer token"),
        ({"Authorization": "Basic YWRtaW46YWRtaW4="}, "malformed Authorization header"),
        ({"Authorization": "Bearer not.a.token"}, "token not accepted"),
    ],
)
def test_unauthenticated_http_requests_get_401_with_a_reason(tenant_api, admin_token, headers, reason) -> None:
    code = unique_code("unauth")
    response = tenant_api.post("/v1/estates", json=estate_body(code), headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthenticated"
    assert reason in response.json()["reason"]
    assert response.headers["www-authenticate"] == "Bearer"
    assert code not in listed_codes(tenant_api, admin_token, code)


def test_a_caller_without_the_role_gets_403_and_creates_nothing(tenant_api, admin_token) -> None:
    code = unique_code("norole")
    response = tenant_api.post("/v1/estates", json=estate_body(code), headers=bearer(user_token("resident")))
    assert response.status_code == 403
    assert "platform_admin" in response.json()["reason"]
    assert code not in listed_codes(tenant_api, admin_token, code)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"code": "Not A Code"}, "estate code"),
        ({"fee_rate_fen_per_sqm_month": "-1"}, "fee rate"),
        ({"fee_rate_fen_per_sqm_month": "35.123456"}, "fee rate"),
        ({"remuneration_share_bps": 20000}, "remuneration_share_bps"),
        ({"name": ""}, "name"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_malformed_estates_get_422_naming_the_problem(tenant_api, admin_token, overrides, field) -> None:
    body = {**estate_body(unique_code("bad")), **overrides}
    response = tenant_api.post("/v1/estates", json=body, headers=bearer(admin_token))
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_input"
    assert field in response.json()["reason"]
    assert body["code"] not in listed_codes(tenant_api, admin_token, body["code"])


def test_a_malformed_json_body_gets_422(tenant_api, admin_token) -> None:
    response = tenant_api.post(
        "/v1/estates", content=b"{not json", headers={**bearer(admin_token), "Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_input"


def test_malformed_estate_codes_in_paths_get_422(make_estate) -> None:
    estate = make_estate("path")
    response = httpx.get(f"{http_url('ledger')}/v1/estates/NOT_VALID/accounts", headers=bearer(estate.manager_token))
    assert response.status_code == 422
    assert "code" in response.json()["reason"]


@pytest.fixture(scope="module")
def tenant_stub():
    with grpc.insecure_channel(grpc_target("tenant")) as channel:
        yield tenant_pb2_grpc.TenantServiceStub(channel)


@pytest.fixture(scope="module")
def ledger_stub():
    with grpc.insecure_channel(grpc_target("ledger")) as channel:
        yield ledger_pb2_grpc.LedgerServiceStub(channel)


def rpc_error(call) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        call()
    return raised.value


def test_grpc_without_a_token_is_unauthenticated(tenant_stub, ledger_stub) -> None:
    error = rpc_error(lambda: tenant_stub.GetEstate(tenant_pb2.GetEstateRequest(estate_code="jinhe-lvzhou")))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "missing bearer token" in error.details()
    error = rpc_error(
        lambda: ledger_stub.GetChartOfAccounts(
            ledger_pb2.GetChartOfAccountsRequest(estate_code="jinhe-lvzhou"),
            metadata=[("authorization", "Bearer garbage")],
        )
    )
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED


def test_grpc_refuses_bad_input_other_estates_and_unknown_estates(tenant_stub, ledger_stub, make_estate) -> None:
    estate, other = make_estate("grpc-a"), make_estate("grpc-b")
    as_other = [("authorization", f"Bearer {other.manager_token}")]
    as_service = [("authorization", f"Bearer {service_token('ledger-service')}")]

    error = rpc_error(
        lambda: tenant_stub.GetEstate(tenant_pb2.GetEstateRequest(estate_code="NOT VALID"), metadata=as_service)
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "estate code" in error.details()

    error = rpc_error(
        lambda: tenant_stub.GetEstate(tenant_pb2.GetEstateRequest(estate_code=estate.code), metadata=as_other)
    )
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    assert error.details() == "the token is not scoped to this estate"

    error = rpc_error(
        lambda: tenant_stub.GetEstate(
            tenant_pb2.GetEstateRequest(estate_code=unique_code("nowhere")), metadata=as_service
        )
    )
    assert error.code() == grpc.StatusCode.NOT_FOUND

    wait_for_books(estate.code, estate.manager_token)
    error = rpc_error(
        lambda: ledger_stub.GetChartOfAccounts(
            ledger_pb2.GetChartOfAccountsRequest(estate_code=estate.code), metadata=as_other
        )
    )
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED

    own = tenant_stub.GetEstate(
        tenant_pb2.GetEstateRequest(estate_code=estate.code),
        metadata=[("authorization", f"Bearer {estate.manager_token}")],
    )
    assert own.code == estate.code
    assert own.status == tenant_pb2.ESTATE_STATUS_ACTIVE
