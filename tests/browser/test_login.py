"""Logging in through Keycloak's real log-in page, from the front door's origin.

The first test needs no app: a probe page, answered by the front door with its real headers (its
Content-Security-Policy among them) and only its body replaced, runs the authorisation-code flow
with PKCE by hand — the redirect URI and the web origin registered for ``xinyi-web`` in the realm,
the CSP letting the page reach Keycloak, the issuer of a browser's token accepted by a service
through ``/api/``. The second is the residents' app itself (web/dist): its log-in button
(``[data-testid="login"]``) if it shows one, Keycloak's page, and back in the app, which marks
``[data-testid="app-ready"]`` once logged in.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, Route, expect

from tests.harness import DEMO_PASSWORD, KEYCLOAK_URL, REALM, WEB_URL

pytestmark = pytest.mark.browser

DEMO_ESTATE = "jinhe-lvzhou"
AUTH_URL = re.compile(re.escape(f"{KEYCLOAK_URL}/realms/{REALM}/protocol/openid-connect/auth") + r"\?")

PROBE_PATH = "/h5/__oidc-probe__"
PROBE_HTML = """<!doctype html><html><head><meta charset="utf-8"><title>oidc probe</title>
<script type="module" src="/h5/assets/__oidc-probe__.js"></script></head>
<body><output data-testid="probe-result"></output></body></html>"""
# Plain browser APIs, nothing of the app's: read /config.json, send the browser to Keycloak with an
# S256 challenge, and on its way back trade the code for tokens and call a service with them.
PROBE_JS = """
const out = document.querySelector('[data-testid="probe-result"]');
const show = (result) => { out.textContent = JSON.stringify(result); };
const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)))
  .replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
try {
  const config = await (await fetch('/config.json')).json();
  const realm = `${config.keycloakUrl}/realms/${config.realm}/protocol/openid-connect`;
  const here = location.origin + location.pathname;
  const params = new URLSearchParams(location.search);
  if (!params.has('code')) {
    const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
    const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
    sessionStorage.setItem('verifier', verifier);
    location.assign(`${realm}/auth?` + new URLSearchParams({client_id: config.clientId, redirect_uri: here,
      response_type: 'code', scope: 'openid organization:*', state: 'probe', code_challenge: challenge,
      code_challenge_method: 'S256'}));
  } else {
    const tokens = await (await fetch(`${realm}/token`, {method: 'POST', body: new URLSearchParams({
      grant_type: 'authorization_code', client_id: config.clientId, code: params.get('code'),
      redirect_uri: here, code_verifier: sessionStorage.getItem('verifier')})})).json();
    const claims = JSON.parse(atob(tokens.access_token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    const api = await fetch('/api/tenant/v1/estates/DEMO_ESTATE/my-households',
      {headers: {Authorization: `Bearer ${tokens.access_token}`}});
    show({username: claims.preferred_username, api: api.status, requestId: api.headers.get('x-request-id')});
  }
} catch (error) {
  show({error: String(error)});
}
""".replace("DEMO_ESTATE", DEMO_ESTATE)


def log_in(page: Page, username: str, password: str = DEMO_PASSWORD) -> None:
    """Keycloak's own form: the username first, then the password on the next page (the realm's
    organisations make the log-in identity-first); both on one page works too."""
    page.locator("#username").fill(username)
    if not page.locator("#password").is_visible():
        page.locator("#kc-login").click()
    page.locator("#password").fill(password)
    page.locator("#kc-login").click()


BODY_HEADERS = {"content-length", "content-encoding", "etag", "last-modified", "accept-ranges"}


def serve_probe(page: Page) -> None:
    def document(route: Route) -> None:
        real = route.fetch()  # the front door's own answer (its SPA fallback) and headers
        assert real.status == 200, real.status
        headers = {k: v for k, v in real.headers.items() if k.lower() not in BODY_HEADERS}
        route.fulfill(status=200, headers=headers, body=PROBE_HTML)

    def asset(route: Route) -> None:
        # Only the probe's script: the app's own (on the page Keycloak redirects back to, which the
        # route cannot catch) must not start and take the code.
        if route.request.url == f"{WEB_URL}/h5/assets/__oidc-probe__.js":
            route.fulfill(status=200, content_type="text/javascript", body=PROBE_JS)
        else:
            route.abort()

    page.route(re.compile(re.escape(f"{WEB_URL}{PROBE_PATH}") + r"(\?.*)?$"), document)
    page.route(re.compile(re.escape(WEB_URL) + r"/h5/assets/"), asset)


def test_the_front_doors_origin_logs_in_with_pkce_and_calls_a_service(page: Page, shot, front_door: str) -> None:
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    serve_probe(page)
    # A document Playwright fulfils has no address, so Chromium counts it as public and asks before
    # it reaches loopback (Local Network Access). The front door's own pages are loopback already and
    # need no such grant (the app's test below has none).
    page.context.grant_permissions(["local-network-access"], origin=WEB_URL)

    page.goto(f"{WEB_URL}{PROBE_PATH}")
    page.wait_for_url(AUTH_URL)
    shot("keycloak-log-in")
    log_in(page, "resident")
    page.wait_for_url(re.compile(re.escape(f"{WEB_URL}{PROBE_PATH}") + r"\?.*code="))
    # Playwright does not route a request that a redirect made (Keycloak's 302 back here): the front
    # door answered it with its fallback page; load the same address again, now through the route.
    page.goto(page.url)
    result = page.get_by_test_id("probe-result")
    expect(result).not_to_be_empty()
    shot("back-with-tokens")

    outcome = json.loads(result.text_content() or "{}")
    assert "error" not in outcome, outcome
    assert outcome["username"] == "resident", outcome
    assert outcome["api"] == 200, outcome  # the browser's token (issuer 127.0.0.1) is good for the services
    assert re.fullmatch(r"[0-9a-f]{32}", outcome["requestId"]), outcome
    assert blocked == []


def test_a_resident_logs_in_to_the_app_through_keycloak(page: Page, shot, front_door: str, app_built: None) -> None:
    page.goto(f"{WEB_URL}/h5/")
    # Straight to Keycloak, or first the app's own log-in page and its button.
    expect(page.locator("#kc-login").or_(page.get_by_test_id("login")).first).to_be_visible()
    if not AUTH_URL.match(page.url):
        shot("app-log-in")
        page.get_by_test_id("login").click()
    page.wait_for_url(AUTH_URL)
    query = parse_qs(urlparse(page.url).query)
    assert query["client_id"] == ["xinyi-web"]
    assert query["code_challenge_method"] == ["S256"], "the app must use PKCE (S256)"
    assert query["redirect_uri"][0].startswith(f"{WEB_URL}/h5/"), query["redirect_uri"]
    expect(page.locator("#username")).to_be_visible()
    shot("keycloak-log-in")

    log_in(page, "resident")
    page.wait_for_url(re.compile(re.escape(f"{WEB_URL}/h5/")))
    expect(page.get_by_test_id("app-ready")).to_be_visible()
    shot("app-ready")
