"""Every ledger route refuses callers of another estate and callers without the role."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.e2e.conftest import onboard, wait_for_books
from tests.e2e.test_access import FAMILIES
from tests.e2e.test_ledger import PERIOD, TODAY
from tests.harness import bearer, household_csv, http_url, unique_code

EVERYONE = {"firm_manager", "firm_staff", "supervisor", "resident", "grid_leader", "community_officer"}
FIRM = {"firm_manager", "firm_staff"}
ROUTES = [
    ("GET", "/accounts", None, EVERYONE),
    ("GET", f"/statements/{PERIOD}", None, EVERYONE),
    ("GET", f"/statements/{PERIOD}/pdf", None, EVERYONE),
    ("GET", "/transactions", None, EVERYONE),
    ("GET", "/balances", None, EVERYONE),
    ("GET", "/arrears", None, FIRM | {"supervisor"}),
    ("POST", "/billing-runs", {"period": PERIOD}, FIRM),
    (
        "POST",
        "/payments",
        {"household_id": "{household}", "amount_fen": 1, "method": "cash", "received_on": TODAY},
        FIRM,
    ),
    ("POST", "/common-income", {"kind": "other", "amount_fen": 1, "received_on": TODAY}, FIRM),
    ("POST", f"/transactions/{uuid.uuid4()}/reversal", {"reason": "x"}, {"firm_manager"}),
    ("POST", f"/periods/{PERIOD}/close", {}, {"firm_manager"}),
]
# A household's account: the firm and the supervisor read any household's; the estate's other people
# only their own (another household is 404); anyone else is refused (403).
ACCOUNT = "/households/{household}/account"
ACCOUNT_READERS = FIRM | {"supervisor"}
ACCOUNT_OWN_ONLY = EVERYONE - ACCOUNT_READERS


@pytest.fixture(scope="module")
def estate(tenant_api, admin_token, make_member):
    own, other = unique_code("lacl-a"), unique_code("lacl-b")
    for code in (own, other):
        assert onboard(tenant_api, admin_token, code).status_code == 201
    tokens = {"platform_admin": admin_token}
    for family in FAMILIES[1:]:
        _, tokens[family] = make_member(own, family)
    _, foreign = make_member(other, "firm_manager")
    household = tenant_api.post(
        f"/v1/estates/{own}/households/import",
        files={"file": ("list.csv", household_csv(1), "text/csv")},
        headers=bearer(tokens["firm_manager"]),
    ).json()["household_ids"][0]
    wait_for_books(own, tokens["firm_manager"])
    return {"code": own, "tokens": tokens, "foreign": foreign, "household": household}


def call(estate, method: str, path: str, body, token: str) -> httpx.Response:
    if isinstance(body, dict):
        body = {k: (v.format(household=estate["household"]) if isinstance(v, str) else v) for k, v in body.items()}
    return httpx.request(
        method,
        f"{http_url('ledger')}/v1/estates/{estate['code']}{path}",
        json=body,
        headers={**bearer(token), "Idempotency-Key": f"acl-{uuid.uuid4().hex}"},
        timeout=30,
    )


@pytest.mark.parametrize(("method", "path", "body", "allowed"), ROUTES, ids=[f"{m} {p}" for m, p, _, _ in ROUTES])
def test_a_foreign_estates_firm_manager_is_refused(estate, method, path, body, allowed) -> None:
    response = call(estate, method, path, body, estate["foreign"])
    assert response.status_code == 403, response.text


@pytest.mark.parametrize("family", FAMILIES)
def test_each_role_family_reaches_only_its_ledger_routes(estate, family: str) -> None:
    for method, path, body, allowed in ROUTES:
        if method != "GET" and family in allowed:
            continue  # writes by allowed roles are exercised by the ledger's feature tests
        status = call(estate, method, path, body, estate["tokens"][family]).status_code
        if family in allowed:
            assert status != 403, f"{family} refused on {method} {path}"
        else:
            assert status == 403, f"{family} allowed on {method} {path} ({status})"
    account = call(estate, "GET", ACCOUNT.format(household=estate["household"]), None, estate["tokens"][family])
    if family in ACCOUNT_READERS:
        assert account.status_code == 200
    elif family in ACCOUNT_OWN_ONLY:
        assert account.status_code == 404, "not the caller's household: nothing to see, not even that it exists"
    else:
        assert account.status_code == 403
