"""The front door (deploy/nginx.sh): one origin for the pages, their configuration and the four APIs.

Against the running nginx on WEB_PORT: /config.json, the SPA fallback and its caching, each
service's readiness through /api/<service>/, the security headers on every answer, the request id
and trace context carried through, headers and bodies as large as the services take passed on to
them (a 10 MiB photo stored through the proxy), and nginx's own refusals in the services' shape.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import struct
import zlib
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.conftest import OnboardedEstate
from tests.harness import KEYCLOAK_URL, REPO_DIR, SERVICES, WEB_URL, bearer, eventually

pytestmark = pytest.mark.e2e

MIB = 1024 * 1024
WEB_DIST = REPO_DIR / "web" / "dist"


@pytest.fixture(scope="module")
def door() -> Iterator[httpx.Client]:
    with httpx.Client(base_url=WEB_URL, timeout=120, follow_redirects=False) as client:
        yield client


def png(padding: int) -> bytes:
    """A valid PNG of ``57 + padding`` bytes (signature, IHDR, a private chunk of padding, IEND)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + header + chunk(b"prVt", secrets.token_bytes(padding)) + chunk(b"IEND", b"")


def test_config_json_tells_the_pages_where_keycloak_is(door: httpx.Client) -> None:
    response = door.get("/config.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"keycloakUrl": KEYCLOAK_URL, "realm": "xinyi", "clientId": "xinyi-web"}
    assert response.headers["cache-control"] == "no-cache"


def test_the_root_leads_to_the_residents_app(door: httpx.Client) -> None:
    response = door.get("/")
    assert response.status_code == 302
    assert response.headers["location"] == "/h5/"
    assert door.get("/h5").headers["location"] == "/h5/"


@pytest.mark.parametrize("app", ["h5", "console"])
def test_an_apps_own_routes_fall_back_to_its_index_which_is_never_cached(door: httpx.Client, app: str) -> None:
    index = door.get(f"/{app}/")
    if app == "console" and index.status_code == 404:
        assert not (WEB_DIST / "console" / "index.html").exists()
        pytest.skip("web/dist has no console/ yet (the staff console comes with its own issue)")
    assert index.status_code == 200, index.text
    assert index.headers["content-type"].startswith("text/html")
    assert index.headers["cache-control"] == "no-cache"
    for route in (f"/{app}/bills", f"/{app}/estates/jinhe-lvzhou/statements/2026-11", f"/{app}/index.html"):
        deep = door.get(route)
        assert deep.status_code == 200, route
        assert deep.text == index.text, route
        assert deep.headers["cache-control"] == "no-cache"


def test_a_missing_asset_is_a_404_not_the_apps_page(door: httpx.Client) -> None:
    for path in ("/h5/assets/index-00000000.js", "/console/assets/missing.css", "/nothing-here", "/api/unknown/x"):
        assert door.get(path).status_code == 404, path


def test_built_assets_are_cached_for_good(door: httpx.Client) -> None:
    assets = sorted((WEB_DIST / "h5" / "assets").glob("*")) if WEB_DIST.exists() else []
    if not assets:
        pytest.skip("web/dist/h5/assets is not built yet (deploy/web.sh build)")
    response = door.get(f"/h5/assets/{assets[0].name}")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_is_ready_through_the_front_door(door: httpx.Client, service: str) -> None:
    response = door.get(f"/api/{service}/health/ready")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ready"
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


@pytest.mark.parametrize("path", ["/config.json", "/h5/", "/api/tenant/health/live", "/nothing-here"])
def test_every_answer_carries_the_security_headers_once(door: httpx.Client, path: str) -> None:
    response = door.get(path)
    csp = response.headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert KEYCLOAK_URL in directives["connect-src"].split()  # the token endpoint, silent renew
    assert KEYCLOAK_URL in directives["frame-src"].split()
    assert directives["frame-ancestors"] == "'self'"
    assert directives["object-src"] == "'none'"
    for name, value in (("x-content-type-options", "nosniff"), ("referrer-policy", "no-referrer")):
        assert response.headers.get_list(name) == [value], (path, name)
    assert response.headers.get_list("content-security-policy") == [csp]
    assert "server" not in response.headers or response.headers["server"] == "nginx"  # no version


def test_the_request_id_and_trace_context_go_through(door: httpx.Client) -> None:
    mine = secrets.token_hex(16)
    assert door.get("/api/ledger/health/live", headers={"x-request-id": mine}).headers["x-request-id"] == mine
    trace_id = secrets.token_hex(16)
    traceparent = f"00-{trace_id}-{secrets.token_hex(8)}-01"
    # (Not on a health probe, which the services keep out of traces.)
    answer = door.get("/api/ticketing/v1/estates/jinhe-lvzhou/tickets", headers={"traceparent": traceparent})
    assert answer.status_code == 401
    assert answer.headers["x-request-id"] == trace_id  # the caller's trace, continued by the service
    # Without either, nginx's own request id (32 hex digits) becomes the trace's id.
    first, second = (door.get("/api/microfund/health/live").headers["x-request-id"] for _ in range(2))
    assert first != second and re.fullmatch(r"[0-9a-f]{32}", first)


def test_headers_as_large_as_the_services_take_reach_them(door: httpx.Client) -> None:
    # nginx's default buffers refuse a 12 KiB header with a bare 400; the services take up to 16 KiB
    # and answer more with their own JSON 431.
    fine = door.get("/api/tenant/health/live", headers={"x-padding": "a" * 12 * 1024})
    assert fine.status_code == 200, fine.text
    too_large = door.get("/api/tenant/health/live", headers={"x-padding": "a" * 20 * 1024})
    assert too_large.status_code == 431, too_large.text
    assert too_large.json()["error"] == "headers_too_large"
    assert "x-request-id" in too_large.headers  # the service's answer, not nginx's


def test_nginx_refuses_a_body_over_its_limit_in_the_services_shape(door: httpx.Client) -> None:
    response = door.post(
        "/api/ticketing/v1/estates/jinhe-lvzhou/ticket-files",
        files={"file": ("big.png", png(11 * MIB), "image/png")},
    )
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"
    assert re.fullmatch(r"[0-9a-f]{32}", response.json()["request_id"])


@pytest.fixture(scope="module")
def estate(make_estate) -> OnboardedEstate:
    """A fresh estate, known to ticketing (its onboarding event consumed)."""
    site: OnboardedEstate = make_estate("door")
    eventually(
        lambda: (
            httpx.get(
                f"{WEB_URL}/api/ticketing/v1/estates/{site.code}/service-targets",
                headers=bearer(site.manager_token),
                timeout=10,
            ).status_code
            == 200
            or None
        ),
        what="the estate known to ticketing",
    )
    return site


def test_a_10_mib_photo_goes_through_the_front_door(door: httpx.Client, estate: OnboardedEstate) -> None:
    photo = png(10 * MIB - 57)
    assert len(photo) == 10 * MIB
    response = door.post(
        f"/api/ticketing/v1/estates/{estate.code}/ticket-files",
        files={"file": ("light.png", photo, "application/octet-stream")},
        headers=bearer(estate.manager_token),
    )
    assert response.status_code == 201, response.text
    assert response.json()["sha256"] == hashlib.sha256(photo).hexdigest()


def test_a_body_just_over_the_services_limit_is_refused_by_the_service(
    door: httpx.Client, estate: OnboardedEstate
) -> None:
    """Between the service's limit (10 MiB and the multipart envelope) and nginx's (11 MiB), the
    body reaches the service, which answers with its own 413 naming the route's limit."""
    response = door.post(
        f"/api/ticketing/v1/estates/{estate.code}/ticket-files",
        files={"file": ("big.png", png(10 * MIB + 256 * 1024), "application/octet-stream")},
        headers=bearer(estate.manager_token),
    )
    assert response.status_code == 413, response.text
    assert response.json()["error"] == "payload_too_large"
    assert "front door" not in response.json()["reason"]
    assert "x-request-id" in response.headers
