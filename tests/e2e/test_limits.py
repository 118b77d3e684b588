"""Limits at the door, against the running platform: oversized bodies are refused (413) before
authentication and parsing without the tenant's memory growing, and the log-in-free invitation claim is
rate-limited per client address (429 with Retry-After) with one answer for an unknown estate and a wrong
code.

Every test here shares 127.0.0.1 with the other tests' claims: the rate-limit test clears that address's
counters before and after itself, so claims made elsewhere are neither counted against it nor refused
because of it."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.harness import STATE_DIR, connect, http_url, unique_code

pytestmark = pytest.mark.e2e

MIB = 1024 * 1024
CLAIM = "/v1/invitations/claim"
# The tenant's setting (XINYI_CLAIM_RATE_PER_ADDRESS), if the platform was started with another.
CLAIMS_PER_ADDRESS = int(os.environ.get("XINYI_CLAIM_RATE_PER_ADDRESS", "20"))
# How much the tenant's memory may grow while refusing a 100 MB body (it grew by 200 MB before the limits).
RSS_GROWTH_ALLOWED_KIB = 8 * 1024
BOUNDARY = "xinyi-limits-test"


def tenant_rss_kib() -> int:
    """The resident memory of the tenant's worker processes: the master serves alone with one worker;
    with several, the workers are its children (uvicorn spawns them)."""
    master = int((STATE_DIR / "services" / "tenant.pid").read_text())
    listed = subprocess.run(["ps", "--ppid", str(master), "-o", "pid="], capture_output=True, text=True, check=False)
    pids = [int(pid) for pid in listed.stdout.split()] or [master]
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def json_stream(size: int, chunk: int = MIB) -> Iterator[bytes]:
    """A JSON claim whose claim code is ``size`` bytes long, made as it is sent (never held whole)."""
    yield b'{"estate_code": "jinhe-lvzhou", "claim_code": "'
    sent = 0
    while sent < size:
        piece = min(chunk, size - sent)
        sent += piece
        yield b"a" * piece
    yield b'", "username": "nobody", "password": "a-long-password-1"}'


def json_stream_length(size: int) -> int:
    return sum(len(part) for part in json_stream(0)) + size


MULTIPART_HEAD = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="list.csv"\r\n'
    "Content-Type: text/csv\r\n\r\n"
).encode()
MULTIPART_TAIL = f"\r\n--{BOUNDARY}--\r\n".encode()


def multipart_stream(size: int, chunk: int = MIB) -> Iterator[bytes]:
    yield MULTIPART_HEAD
    line = "1,1,1,101,88.5,某人,13800000000\n".encode()
    block = line * (chunk // len(line))
    sent = 0
    while sent < size:
        piece = block[: min(len(block), size - sent)]
        sent += len(piece)
        yield piece
    yield MULTIPART_TAIL


def assert_payload_too_large(response: httpx.Response) -> None:
    assert response.status_code == 413, response.text
    body = response.json()
    assert set(body) == {"error", "reason"}
    assert body["error"] == "payload_too_large"
    assert "exceeds" in body["reason"]


def test_an_unauthenticated_100_mb_claim_is_refused_without_the_tenant_reading_it() -> None:
    size = 100 * MIB
    with httpx.Client(base_url=http_url("tenant"), timeout=120) as client:
        # Warm up: the first refusals of a fresh process import and allocate what any later one reuses.
        for _ in range(3):
            assert_payload_too_large(
                client.post(CLAIM, content=json_stream(2 * MIB), headers={"content-type": "application/json"})
            )
        before = tenant_rss_kib()

        streamed = client.post(CLAIM, content=json_stream(size), headers={"content-type": "application/json"})
        with_length = client.post(
            CLAIM,
            content=json_stream(size),
            headers={"content-type": "application/json", "content-length": str(json_stream_length(size))},
        )
        after = tenant_rss_kib()

        assert streamed.request.headers["transfer-encoding"] == "chunked"
        assert with_length.request.headers["content-length"] == str(json_stream_length(size))
        assert_payload_too_large(streamed)
        assert_payload_too_large(with_length)
        assert after - before <= RSS_GROWTH_ALLOWED_KIB, f"the tenant grew from {before} KiB to {after} KiB"
        # The connection and the service are fine afterwards.
        assert client.get("/health/live").status_code == 200


def test_an_unauthenticated_200_mb_upload_is_a_413_not_a_401() -> None:
    size = 200 * MIB
    url = f"/v1/estates/{unique_code('nowhere')}/households/import"
    content_type = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    length = len(MULTIPART_HEAD) + size + len(MULTIPART_TAIL)
    with httpx.Client(base_url=http_url("tenant"), timeout=120) as client:
        before = tenant_rss_kib()
        with_length = client.post(
            url, content=multipart_stream(size), headers={**content_type, "content-length": str(length)}
        )
        streamed = client.post(url, content=multipart_stream(size), headers=content_type)
        after = tenant_rss_kib()
        small = client.post(url, content=multipart_stream(1024), headers=content_type)

    assert_payload_too_large(with_length)
    assert_payload_too_large(streamed)
    assert "20.06 MiB" in with_length.json()["reason"]  # the route's own limit: the file and its envelope
    assert small.status_code == 401, small.text  # within the limit, the token is what is missing
    assert after - before <= RSS_GROWTH_ALLOWED_KIB, f"the tenant grew from {before} KiB to {after} KiB"


def test_header_fields_over_16_kib_are_refused_with_431_on_every_service() -> None:
    for service in ("tenant", "ledger", "ticketing", "microfund"):
        response = httpx.get(f"{http_url(service)}/health/live", headers={"x-padding": "p" * 20_000}, timeout=10)

        assert response.status_code == 431, (service, response.text)
        assert response.json()["error"] == "headers_too_large"


def clear_claim_counters(*keys: str) -> None:
    with connect("tenant", "system") as connection:
        connection.execute(
            "DELETE FROM rate_limit_counters WHERE scope LIKE 'claim:%%' AND key = ANY(%s)", [list(keys)]
        )
        connection.commit()


def wait_for_room_in_the_window(needed_seconds: float) -> None:
    """Fixed one-minute windows on the database's clock: start early enough in one to finish in it."""
    with connect("tenant", "system") as connection:
        row = connection.execute("SELECT (extract(epoch FROM clock_timestamp()) % 60)::float8").fetchone()
    assert row is not None
    into_window = float(row[0])
    if into_window > 60 - needed_seconds:
        time.sleep(60 - into_window + 0.5)


def wrong_claim(estate_code: str) -> dict[str, str]:
    username = unique_code("claimant")
    return {
        "estate_code": estate_code,
        "claim_code": f"wrong-{unique_code('code')}",
        "username": username,
        "password": "a-long-password-1",
        "email": f"{username}@xinyi.test",
        "first_name": "试",
        "last_name": "猜",
    }


def test_the_21st_wrong_claim_from_one_address_is_a_429_and_unknown_estates_look_like_wrong_codes(
    make_estate,
) -> None:
    known = make_estate("limits").code
    unknown = unique_code("no-such-estate")
    address = "127.0.0.1"
    clear_claim_counters(address, known, unknown)
    wait_for_room_in_the_window(needed_seconds=20)
    try:
        with httpx.Client(base_url=http_url("tenant"), timeout=30) as client:
            for_unknown = client.post(CLAIM, json=wrong_claim(unknown))
            for_known = client.post(CLAIM, json=wrong_claim(known))
            rest = [client.post(CLAIM, json=wrong_claim(known)) for _ in range(CLAIMS_PER_ADDRESS - 2)]
            over = client.post(CLAIM, json=wrong_claim(known))
            also_over = client.post(CLAIM, json=wrong_claim(unknown))

        # One answer, whether the estate exists or not.
        assert for_unknown.status_code == for_known.status_code == 404, for_known.text
        assert for_unknown.content == for_known.content
        assert sorted(for_unknown.headers.keys()) == sorted(for_known.headers.keys())
        assert [r.status_code for r in rest] == [404] * (CLAIMS_PER_ADDRESS - 2)
        # The next one in the same minute is refused, whatever the estate.
        for refused in (over, also_over):
            assert refused.status_code == 429, refused.text
            assert refused.json()["error"] == "rate_limited"
            assert 1 <= int(refused.headers["retry-after"]) <= 60
    finally:
        clear_claim_counters(address, known, unknown)
