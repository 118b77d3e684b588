"""Limits at the door: every app made by ``create_app`` refuses oversized bodies (413) and header blocks
(431) before routing, authentication and parsing, and a body without a length is cut off as soon as it
passes the limit; rate-limit refusals are 429 with Retry-After; the client address is the socket's peer
unless the peer is a trusted proxy."""

from __future__ import annotations

import asyncio
import ipaddress
import json
from collections.abc import Iterator
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI, File, Request, UploadFile
from fastapi.testclient import TestClient
from pydantic import BaseModel

from services.shared.tests.apps import bare_app
from xinyi_shared.errors import Unauthenticated
from xinyi_shared.http import DEFAULT_BODY_LIMIT, MAX_HEADER_BYTES, MIB, CurrentPrincipal, client_address
from xinyi_shared.logs import REQUEST_ID_HEADER
from xinyi_shared.rate_limits import Quota, RateLimited

UPLOAD_LIMIT = 3 * MIB


class Body(BaseModel):
    text: str


class Calls:
    def __init__(self) -> None:
        self.authenticated = 0
        self.handled = 0


def authenticate(request: Request) -> str:
    """A stand-in for the token check that records that it ran."""
    request.app.state.calls.authenticated += 1
    if request.headers.get("authorization") != "Bearer good":
        raise Unauthenticated("a bearer token is required")
    return "someone"


Caller = Annotated[str, Depends(authenticate)]


def build_app(calls: Calls, body_limits: dict[str, int] | None = None) -> FastAPI:
    app = bare_app(body_limits={"/estates/{code}/upload": UPLOAD_LIMIT} if body_limits is None else body_limits)

    app.state.calls = calls

    @app.post("/claims")
    def claim(body: Body) -> dict[str, int]:  # no log-in, like the invitation claim
        calls.handled += 1
        return {"length": len(body.text)}

    @app.post("/private")
    def private(body: Body, caller: Caller) -> dict[str, int]:
        calls.handled += 1
        return {"length": len(body.text)}

    @app.post("/estates/{code}/upload")
    async def upload(code: str, file: Annotated[UploadFile, File()], caller: Caller) -> dict[str, int]:
        calls.handled += 1
        return {"size": len(await file.read())}

    @app.post("/estates/{code}/other-upload")
    async def other_upload(code: str, file: Annotated[UploadFile, File()], caller: Caller) -> dict[str, int]:
        calls.handled += 1
        return {"size": len(await file.read())}

    @app.post("/principal")
    def with_principal(body: Body, principal: CurrentPrincipal) -> dict[str, str]:
        return {"subject": principal.subject}

    @app.get("/limited")
    def limited() -> None:
        raise RateLimited("too many claims from this address; try again later", 42)

    return app


@pytest.fixture
def calls() -> Calls:
    return Calls()


@pytest.fixture
def api(calls: Calls) -> Iterator[TestClient]:
    with TestClient(build_app(calls)) as client:
        yield client


def json_body(size: int) -> bytes:
    """A JSON document of exactly ``size`` bytes."""
    envelope = len(json.dumps({"text": ""}))
    return json.dumps({"text": "x" * (size - envelope)}).encode()


def chunks(total: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    """A body streamed without a length (Transfer-Encoding: chunked)."""
    sent = 0
    while sent < total:
        piece = min(chunk, total - sent)
        sent += piece
        yield b"x" * piece


def assert_refused(response: httpx.Response, status: int, error: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error", "reason"}
    assert body["error"] == error
    assert response.headers[REQUEST_ID_HEADER]
    return str(body["reason"])


def test_a_content_length_over_the_limit_is_refused_before_authentication(api: TestClient, calls: Calls) -> None:
    response = api.post(
        "/private", content=json_body(DEFAULT_BODY_LIMIT + 1), headers={"content-type": "application/json"}
    )

    reason = assert_refused(response, 413, "payload_too_large")
    assert "1 MiB" in reason
    assert calls.authenticated == 0 and calls.handled == 0


def test_an_unauthenticated_oversized_body_is_a_413_not_a_401(api: TestClient) -> None:
    # The shared token check (CurrentPrincipal) would answer 401: the size is refused first.
    big = api.post("/principal", content=json_body(2 * MIB), headers={"content-type": "application/json"})
    small = api.post("/principal", json={"text": "hello"})

    assert_refused(big, 413, "payload_too_large")
    assert small.status_code == 401


def test_a_body_at_the_limit_is_accepted(api: TestClient, calls: Calls) -> None:
    response = api.post("/claims", content=json_body(DEFAULT_BODY_LIMIT), headers={"content-type": "application/json"})

    assert response.status_code == 200, response.text
    assert calls.handled == 1


def test_a_streamed_body_over_the_limit_is_refused(api: TestClient, calls: Calls) -> None:
    response = api.post(
        "/private", content=chunks(DEFAULT_BODY_LIMIT + 1), headers={"content-type": "application/json"}
    )

    assert "content-length" not in response.request.headers
    assert_refused(response, 413, "payload_too_large")
    assert calls.authenticated == 0 and calls.handled == 0


def test_a_streamed_body_within_the_limit_is_read_whole(api: TestClient) -> None:
    body = json_body(100_000)
    response = api.post(
        "/claims", content=iter([body[:50_000], body[50_000:]]), headers={"content-type": "application/json"}
    )

    assert response.status_code == 200, response.text
    assert response.json() == {"length": len(json.loads(body)["text"])}


def test_a_route_with_a_declared_limit_takes_what_the_default_refuses(api: TestClient, calls: Calls) -> None:
    file = {"file": ("list.csv", b"x" * (2 * MIB), "text/csv")}
    headers = {"authorization": "Bearer good"}

    accepted = api.post("/estates/jinhe/upload", files=file, headers=headers)
    refused_elsewhere = api.post("/estates/jinhe/other-upload", files=file, headers=headers)
    too_large = api.post(
        "/estates/jinhe/upload", files={"file": ("list.csv", b"x" * UPLOAD_LIMIT, "text/csv")}, headers=headers
    )

    assert accepted.status_code == 200, accepted.text
    assert accepted.json() == {"size": 2 * MIB}
    assert_refused(refused_elsewhere, 413, "payload_too_large")
    assert "3 MiB" in assert_refused(too_large, 413, "payload_too_large")
    assert calls.handled == 1


def test_an_oversized_upload_without_a_token_is_a_413(api: TestClient, calls: Calls) -> None:
    too_large = {"file": ("list.csv", b"x" * (UPLOAD_LIMIT + 1), "text/csv")}

    with_length = api.post("/estates/jinhe/upload", files=too_large)
    streamed = api.post(
        "/estates/jinhe/upload",
        content=chunks(UPLOAD_LIMIT + MIB),
        headers={"content-type": "multipart/form-data; boundary=xyz"},
    )

    assert_refused(with_length, 413, "payload_too_large")
    assert_refused(streamed, 413, "payload_too_large")
    assert calls.authenticated == 0 and calls.handled == 0


def test_header_fields_over_the_limit_are_refused_with_431(api: TestClient, calls: Calls) -> None:
    response = api.post("/claims", json={"text": "hi"}, headers={"x-padding": "p" * MAX_HEADER_BYTES})

    assert_refused(response, 431, "headers_too_large")
    assert calls.handled == 0
    assert api.post("/claims", json={"text": "hi"}, headers={"x-padding": "p" * 8000}).status_code == 200


def run_asgi(
    app: FastAPI, path: str, headers: list[tuple[bytes, bytes]], chunk: int, chunks: int
) -> tuple[int, list[int], dict[str, object]]:
    """Sends a body of ``chunks`` chunks straight to the ASGI app; returns how many chunks the app took,
    the statuses it answered and the answer's JSON."""
    consumed = 0
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        nonlocal consumed
        consumed += 1
        return {"type": "http.request", "body": b"x" * chunk, "more_body": consumed < chunks}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"test"), *headers],
        "client": ("203.0.113.7", 50000),
        "server": ("test", 80),
        "state": {},
    }
    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    statuses = [int(str(m["status"])) for m in sent if m["type"] == "http.response.start"]
    body = b"".join(bytes(m.get("body", b"")) for m in sent if m["type"] == "http.response.body")  # type: ignore[call-overload]
    return consumed, statuses, json.loads(body)


def test_the_rest_of_a_streamed_body_is_never_read(calls: Calls) -> None:
    """The app is handed chunks until the limit is passed, then nothing more; one 413 is sent, whatever
    the inner layers made of the cut-off body."""
    chunk = 64 * 1024
    consumed, statuses, answer = run_asgi(
        build_app(calls),
        "/claims",
        [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")],
        chunk,
        1000,  # 62.5 MiB offered
    )

    assert consumed == DEFAULT_BODY_LIMIT // chunk + 1  # the chunk that passed the limit, and no more
    assert statuses == [413]
    assert answer["error"] == "payload_too_large"
    assert calls.handled == 0


def test_a_declared_length_over_the_limit_is_refused_without_reading_anything(calls: Calls) -> None:
    length = str(100 * MIB).encode()
    consumed, statuses, answer = run_asgi(
        build_app(calls),
        "/estates/jinhe/upload",
        [(b"content-type", b"multipart/form-data; boundary=xyz"), (b"content-length", length)],
        MIB,
        100,
    )

    assert consumed == 0
    assert statuses == [413]
    assert answer["error"] == "payload_too_large"
    assert calls.authenticated == 0


def test_a_rate_limit_is_a_429_with_retry_after(api: TestClient) -> None:
    response = api.get("/limited")

    assert response.status_code == 429
    assert response.headers["retry-after"] == "42"
    assert response.json() == {
        "error": "rate_limited",
        "reason": "too many claims from this address; try again later",
        "retry_after": 42,
    }


def test_a_quota_needs_a_positive_limit() -> None:
    with pytest.raises(ValueError):
        Quota("claim:address", 0)


def request_from(peer: str, forwarded: str | None = None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded is not None else []
    return Request({"type": "http", "headers": headers, "client": (peer, 50000)})


PROXIES = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8"))


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("203.0.113.7", None, (), "203.0.113.7"),
        ("203.0.113.7", "198.51.100.1", (), "203.0.113.7"),  # no trusted proxies: the header is ignored
        ("203.0.113.7", "198.51.100.1", PROXIES, "203.0.113.7"),  # the peer is no trusted proxy
        ("10.0.0.5", "198.51.100.1", PROXIES, "198.51.100.1"),
        ("10.0.0.5", "6.6.6.6, 198.51.100.1, 10.0.0.9", PROXIES, "198.51.100.1"),  # the left part is forgeable
        ("10.0.0.5", "10.0.0.8, 10.0.0.9", PROXIES, "10.0.0.8"),
        ("10.0.0.5", "not-an-address", PROXIES, "10.0.0.5"),
        ("10.0.0.5", None, PROXIES, "10.0.0.5"),
        ("fd00::1", "2001:db8::1", PROXIES, "2001:db8::1"),
    ],
)
def test_the_client_address_is_the_peer_unless_a_trusted_proxy_forwards(
    peer: str, forwarded: str | None, trusted: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...], expected: str
) -> None:
    assert client_address(request_from(peer, forwarded), trusted) == expected
