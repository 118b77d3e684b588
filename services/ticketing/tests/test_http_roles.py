"""Ticketing's HTTP routes against the role table of docs/access.md, in-process: a fake principal of
each role through ``dependency_overrides``, tickets in memory (tests/fakes.py). No infrastructure.

As in the end-to-end table, ``yes`` is "let in" (not 401/403: a ticket that does not exist answers
404), ``no`` is 403; the shapes and rules of the answers are tested below and in test_ticket_cases."""

from __future__ import annotations

import struct
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.ticketing.tests.fakes import FakeClock, FakeDirectory, FakeLedger, World, ticketing_for
from tests.access_doc import ROLES, Row, table
from ticketing_service.domain.targets import ServiceTargets
from ticketing_service.entrypoints import http_api
from xinyi_shared.auth import Principal, TokenVerifier
from xinyi_shared.http import create_app, current_principal

ESTATE = "jinhe-lvzhou"
UNKNOWN = "no-such-estate"
HOUSEHOLD = "h-1"
ROWS = table("ticketing")
NOWHERE = str(uuid.uuid4())
SHA = "ab" * 32
BASE = f"/v1/estates/{ESTATE}"
TICKET = f"{BASE}/tickets/{NOWHERE}"
Request = tuple[str, dict[str, Any] | None]
REQUESTS: dict[tuple[str, str], Request] = {
    ("GET", "/health/live"): ("/health/live", None),
    ("GET", "/health/ready"): ("/health/ready", None),
    ("GET", "/v1/estates/{code}/service-targets"): (f"{BASE}/service-targets", None),
    ("PUT", "/v1/estates/{code}/service-targets"): (
        f"{BASE}/service-targets",
        {"first_response_minutes": 20, "resolution_minutes": 60},
    ),
    ("POST", "/v1/estates/{code}/ticket-files"): (f"{BASE}/ticket-files", None),  # multipart, see below
    ("POST", "/v1/estates/{code}/tickets"): (
        f"{BASE}/tickets",
        {"category": "nonexistent", "description": "x", "household_id": HOUSEHOLD},
    ),
    ("GET", "/v1/estates/{code}/tickets"): (f"{BASE}/tickets", None),
    ("GET", "/v1/estates/{code}/tickets/{ticket_id}"): (TICKET, None),
    ("GET", "/v1/estates/{code}/ticket-figures/{month}"): (f"{BASE}/ticket-figures/2031-03", None),
    ("POST", "/v1/estates/{code}/tickets/{ticket_id}/acknowledge"): (f"{TICKET}/acknowledge", {}),
    ("POST", "/v1/estates/{code}/tickets/{ticket_id}/start"): (f"{TICKET}/start", {}),
    ("POST", "/v1/estates/{code}/tickets/{ticket_id}/resolve"): (f"{TICKET}/resolve", {"note": "fixed"}),
    ("POST", "/v1/estates/{code}/tickets/{ticket_id}/confirm"): (f"{TICKET}/confirm", {"score": 5}),
    ("POST", "/v1/estates/{code}/tickets/{ticket_id}/reopen"): (f"{TICKET}/reopen", {"reason": "still dark"}),
    ("POST", "/v1/estates/{code}/tickets/{ticket_id}/withdraw"): (f"{TICKET}/withdraw", {}),
    ("POST", "/v1/estates/{code}/tickets/{ticket_id}/assign"): (f"{TICKET}/assign", {"assignee": "someone"}),
    ("POST", "/v1/estates/{code}/tickets/{ticket_id}/notes"): (f"{TICKET}/notes", {"text": "hello"}),
    ("POST", "/v1/estates/{code}/tickets/{ticket_id}/reclassify"): (f"{TICKET}/reclassify", {"urgency": "low"}),
    ("POST", "/v1/estates/{code}/tickets/{ticket_id}/complaint"): (f"{TICKET}/complaint", {"reason": "slow"}),
    ("POST", "/v1/estates/{code}/tickets/{ticket_id}/complaint/escalate"): (f"{TICKET}/complaint/escalate", {}),
    ("POST", "/v1/estates/{code}/tickets/{ticket_id}/materials"): (
        f"{TICKET}/materials",
        {
            "supplier": "五金店",
            "lines": [{"item": "灯泡", "quantity": "2", "unit_price_fen": 1250}],
            "budget_line": "5600",
            "receipts": [SHA],
        },
    ),
    ("GET", "/v1/estates/{code}/tickets/{ticket_id}/files/{sha256}"): (f"{TICKET}/files/{SHA}", None),
    ("GET", "/v1/estates/{code}/tickets/{ticket_id}/notifications"): (f"{TICKET}/notifications", None),
}


def png(seed: int = 1) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", seed, 1, 8, 0, 0, 0, 0)) + chunk(b"IEND", b"")


def principal(role: str, estate: str = ESTATE) -> Principal:
    cross_estate = role in ("platform_admin", "service")
    subject = f"{role}-subject"
    return Principal(subject, subject, frozenset({role}), frozenset() if cross_estate else frozenset({estate}))


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    world = World()
    world.targets[ESTATE] = ServiceTargets(ESTATE, "Asia/Shanghai")
    directory = FakeDirectory()
    directory.households[(ESTATE, HOUSEHOLD)] = "g-1"
    directory.members[(ESTATE, "resident-subject")] = {HOUSEHOLD}
    directory.leaders[(ESTATE, "grid_leader-subject")] = {"g-1"}
    verifier = TokenVerifier("http://127.0.0.1:9/realms/xinyi", "xinyi-api")  # never asked: overridden
    app = create_app(service="ticketing", title="ticketing", description="", verifier=verifier, readiness_checks={})
    app.include_router(http_api.build_router())
    app.state.ticketing = ticketing_for(world, directory, FakeClock(), tmp_path / "blobs", FakeLedger())
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def act_as(client: TestClient, who: Principal) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    app.dependency_overrides[current_principal] = lambda: who


def send(client: TestClient, row: Row) -> Any:
    path, body = REQUESTS[row.key]
    if row.key == ("POST", "/v1/estates/{code}/ticket-files"):
        return client.post(path, files={"file": ("light.png", png(), "image/png")})
    return client.request(row.method, path, json=body)


def test_every_row_has_a_request() -> None:
    assert {row.key for row in ROWS} == set(REQUESTS)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("row", ROWS, ids=[f"{row.method} {row.path}" for row in ROWS])
def test_each_role_gets_what_the_table_says(client: TestClient, row: Row, role: str) -> None:
    cell = row.cells[role]
    if cell != "public":
        act_as(client, principal(role))
    response = send(client, row)
    assert response.status_code < 500, response.text
    if cell in ("yes", "public"):
        assert response.status_code not in (401, 403), response.text
    elif cell == "no":
        assert response.status_code == 403, response.text
        assert response.json()["error"] == "permission_denied"
    else:
        raise AssertionError(f"no check for the cell {cell!r} of docs/access.md:{row.line}")


def test_targets_answer_in_their_declared_shape(client: TestClient) -> None:
    act_as(client, principal("resident"))
    body = client.get(f"{BASE}/service-targets").json()
    assert body["estate_code"] == ESTATE and body["first_response_minutes"] == 30
    assert body["categories"][0] == "lighting" and body["overrides"] == []
    act_as(client, principal("supervisor"))
    changed = client.put(
        f"{BASE}/service-targets",
        json={
            "first_response_minutes": 15,
            "resolution_minutes": 45,
            "overrides": [
                {"category": "elevator", "urgency": "emergency", "first_response_minutes": 5, "resolution_minutes": 30}
            ],
        },
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["overrides"][0]["first_response_minutes"] == 5
    refused = client.put(f"{BASE}/service-targets", json={"first_response_minutes": 90, "resolution_minutes": 45})
    assert (refused.status_code, refused.json()["error"]) == (422, "invalid_input")


def test_a_report_answers_in_the_requesters_and_the_public_forms(client: TestClient) -> None:
    act_as(client, principal("resident"))
    photo = client.post(f"{BASE}/ticket-files", files={"file": ("light.png", png(), "image/png")}).json()["sha256"]
    created = client.post(
        f"{BASE}/tickets",
        json={
            "category": "lighting",
            "urgency": "urgent",
            "description": "楼道灯不亮",
            "household_id": HOUSEHOLD,
            "area": "3栋楼道",
            "photos": [photo],
            "visibility": "public",
        },
        headers={"Idempotency-Key": "report-0001"},
    )
    assert created.status_code == 201, created.text
    ticket = created.json()
    assert ticket["view"] == "requester" and ticket["household_id"] == HOUSEHOLD and ticket["grid_code"] == "g-1"
    again = client.post(
        f"{BASE}/tickets",
        json={
            "category": "lighting",
            "urgency": "urgent",
            "description": "楼道灯不亮",
            "household_id": HOUSEHOLD,
            "area": "3栋楼道",
            "photos": [photo],
            "visibility": "public",
        },
        headers={"Idempotency-Key": "report-0001"},
    )
    assert again.json()["id"] == ticket["id"] and again.headers["Idempotent-Replayed"] == "true"
    act_as(client, principal("supervisor"))  # no household: the public form
    seen = client.get(f"{BASE}/tickets/{ticket['id']}").json()
    assert seen["ticket"]["view"] == "public"
    assert seen["ticket"]["household_id"] is None and seen["ticket"]["reporter_subject"] is None
    assert [step["actor_subject"] for step in seen["history"]] == [None]
    assert client.get(f"{BASE}/tickets/{ticket['id']}/files/{photo}").content == png()


def test_refusals_are_the_one_error_schema(client: TestClient) -> None:
    assert client.get(f"{BASE}/service-targets").json()["error"] == "unauthenticated"
    act_as(client, principal("resident", UNKNOWN))
    unknown = client.get(f"/v1/estates/{UNKNOWN}/service-targets")
    assert (unknown.status_code, unknown.json()["error"]) == (404, "not_found")
    foreign = client.get(f"{BASE}/service-targets")
    assert (foreign.status_code, foreign.json()["error"]) == (403, "permission_denied")
    malformed = client.get("/v1/estates/NOT-A-CODE/service-targets")
    assert (malformed.status_code, malformed.json()["error"]) == (422, "invalid_input")
    for response in (unknown, foreign, malformed):
        assert set(response.json()) >= {"error", "reason"}


def test_every_route_declares_its_model_and_errors(client: TestClient) -> None:
    assert isinstance(client.app, FastAPI)
    for path, operations in client.app.openapi()["paths"].items():
        for method, operation in operations.items():
            if not path.startswith("/v1/"):
                continue
            assert "200" in operation["responses"] or "201" in operation["responses"], (method, path)
            for status in ("401", "403", "422"):
                schema = operation["responses"][status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path, status)
