"""The Idempotency-Key header as every service's writes take it: required or optional, and refused
with 422 and a reason when malformed or (required) missing, before the route runs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from services.shared.tests.apps import bare_app
from xinyi_shared.api import IdempotencyKey, OptionalIdempotencyKey


@pytest.fixture(scope="module")
def api() -> Iterator[TestClient]:
    app = bare_app()
    ran: list[str | None] = []
    app.state.ran = ran

    @app.post("/required")
    async def required(key: IdempotencyKey) -> dict[str, str]:
        ran.append(key)
        return {"key": key}

    @app.post("/optional")
    async def optional(key: OptionalIdempotencyKey) -> dict[str, str | None]:
        ran.append(key)
        return {"key": key}

    with TestClient(app) as client:
        yield client


@pytest.mark.parametrize("route", ["/required", "/optional"])
@pytest.mark.parametrize("key", ["pay-2026-12:0001", "A" * 128, "a_b.c:d-e"])
def test_a_well_formed_key_reaches_the_route(api: TestClient, route: str, key: str) -> None:
    response = api.post(route, headers={"Idempotency-Key": key})
    assert response.status_code == 200, response.text
    assert response.json() == {"key": key}


@pytest.mark.parametrize("route", ["/required", "/optional"])
@pytest.mark.parametrize("key", ["short", "A" * 129, "has space in it", "semi;colon1", "引号键-12345678"])
def test_a_malformed_key_is_refused_before_the_route(api: TestClient, route: str, key: str) -> None:
    ran: list[str | None] = api.app.state.ran  # type: ignore[attr-defined]
    before = len(ran)
    response = api.post(route, headers={"Idempotency-Key": key.encode()})  # bytes: UTF-8 sent as is
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_input"
    assert "Idempotency-Key" in response.json()["reason"]
    assert len(ran) == before


def test_a_required_key_must_be_sent(api: TestClient) -> None:
    response = api.post("/required")
    assert response.status_code == 422, response.text
    assert "idempotency-key" in response.text.lower()


def test_an_optional_key_may_be_left_out(api: TestClient) -> None:
    response = api.post("/optional")
    assert response.status_code == 200, response.text
    assert response.json() == {"key": None}


def test_the_header_is_documented_on_both(api: TestClient) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    for route, required in (("/required", True), ("/optional", False)):
        (header,) = [p for p in paths[route]["post"]["parameters"] if p["name"] == "Idempotency-Key"]
        assert header["in"] == "header"
        assert header.get("required", False) is required
        assert header["description"].startswith("Required:" if required else "Optional:")
