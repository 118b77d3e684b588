"""The first slice across every boundary: HTTP → PostgreSQL + Keycloak → outbox → Kafka → ledger
consumer → trust books → HTTP (→ gRPC to the tenant service), refused to other estates."""

from __future__ import annotations

import uuid

import httpx

from tests.e2e.conftest import estate_body, onboard, wait_for_books
from tests.harness import STATE_DIR, KeycloakAdmin, bearer, eventually, http_url, unique_code

STANDARD_ACCOUNT_CODES = [
    "1000",
    "1100",
    "2000",
    "2100",
    "2200",
    "2300",
    "3000",
    "4000",
    "4100",
    "4110",
    "4120",
    "4190",
    "5000",
]


def test_an_onboarded_estate_gets_trust_books_that_only_its_own_people_see(
    make_estate, keycloak: KeycloakAdmin
) -> None:
    estate = make_estate("slice", fee_rate_fen_per_sqm_month="35.5", remuneration_share_bps=1200)
    other = make_estate("other")

    assert len(keycloak.organizations(estate.code)) == 1, "the estate's Keycloak organisation exists once"

    chart = wait_for_books(estate.code, estate.manager_token)
    assert chart["estate_code"] == estate.code
    assert [account["code"] for account in chart["accounts"]] == STANDARD_ACCOUNT_CODES
    # The ledger read these terms from the tenant service over gRPC, not from defaults.
    assert chart["fee_rate_fen_per_sqm_month"] == "35.5"
    assert chart["remuneration_share_bps"] == 1200
    assert chart["donation_share_bps"] == 3000

    refused = httpx.get(
        f"{http_url('ledger')}/v1/estates/{estate.code}/accounts", headers=bearer(other.manager_token), timeout=10
    )
    assert refused.status_code == 403
    assert refused.json() == {"error": "permission_denied", "reason": "the token is not scoped to this estate"}
    assert wait_for_books(other.code, other.manager_token)["estate_code"] == other.code


def test_every_service_learns_of_the_estate(make_estate) -> None:
    estate = make_estate("fanout")

    def registered(service: str, path: str) -> dict[str, object] | None:
        response = httpx.get(f"{http_url(service)}{path}", headers=bearer(estate.manager_token), timeout=10)
        return response.json() if response.status_code == 200 else None

    targets = eventually(lambda: registered("ticketing", f"/v1/estates/{estate.code}/service-targets"), what="targets")
    assert targets["resolution_minutes"] == 60
    fund = eventually(lambda: registered("microfund", f"/v1/estates/{estate.code}/fund"), what="fund membership")
    assert fund == {"estate_code": estate.code, "community_code": "jinhe"}


def test_retrying_an_onboarding_creates_nothing_twice(tenant_api: httpx.Client, admin_token: str, keycloak) -> None:
    code = unique_code("retry")
    first = onboard(tenant_api, admin_token, code)
    again = onboard(tenant_api, admin_token, code)
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    assert len(keycloak.organizations(code)) == 1

    different = tenant_api.post("/v1/estates", json=estate_body(code, name="另一个名字"), headers=bearer(admin_token))
    assert different.status_code == 409
    assert "different details" in different.json()["reason"]
    # Filtered by its code (the list is paged, and the run onboards many estates).
    listed = tenant_api.get("/v1/estates", params={"q": code}, headers=bearer(admin_token)).json()
    assert [estate["name"] for estate in listed if estate["code"] == code] == [first.json()["name"]]


def test_the_request_id_follows_the_estate_through_kafka_and_grpc(
    tenant_api, admin_token, make_estate, make_member
) -> None:
    # A caller's request id of a trace id's shape (32 hex digits, as the CLI sends) becomes the trace id
    # of the request, which travels in the W3C trace context (see xinyi_shared.tracing): through Kafka
    # from the onboarding to the ledger that opens the books, and through gRPC from a resident's read
    # of the books to the tenant service that says which households are the resident's.
    request_id = uuid.uuid4().hex
    code = unique_code("trace")
    created = tenant_api.post(
        "/v1/estates", json=estate_body(code), headers={**bearer(admin_token), "X-Request-Id": request_id}
    )
    assert created.status_code == 201
    assert created.headers["x-request-id"] == request_id

    def logged(service: str, wanted: str) -> str | None:
        log = (STATE_DIR / "services" / f"{service}.log").read_text(errors="replace")
        lines = [line for line in log.splitlines() if wanted in line]
        return "\n".join(lines) if lines else None

    ledger_lines = eventually(lambda: logged("ledger", request_id), what="the ledger to log the request id")
    assert "event applied" in ledger_lines

    _, resident = make_member(code, "resident")
    wait_for_books(code, resident)
    read_id = uuid.uuid4().hex
    read = httpx.get(
        f"{http_url('ledger')}/v1/estates/{code}/transactions",
        headers={**bearer(resident), "X-Request-Id": read_id},
        timeout=30,
    )
    assert read.status_code == 200, read.text
    assert read.headers["x-request-id"] == read_id
    tenant_lines = eventually(lambda: logged("tenant", read_id), what="the tenant service to log the gRPC call")
    assert "CheckMembership" in tenant_lines
