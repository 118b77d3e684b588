"""Every route and gRPC method of the tenant service refuses callers of another estate and callers
without the role: one table, one row per route, tested for each role family."""

from __future__ import annotations

import uuid

import grpc
import pytest

from tests.e2e.conftest import onboard
from tests.harness import bearer, grpc_target, household_csv, unique_code
from xinyi.tenant.v1 import tenant_pb2, tenant_pb2_grpc

FAMILIES = (
    "platform_admin",
    "firm_manager",
    "firm_staff",
    "supervisor",
    "resident",
    "grid_leader",
    "community_officer",
    "governance_observer",
)

# (method, path template, body, roles allowed inside the estate); {code}, {household}, {ballot} are filled in.
ROUTES = [
    (
        "GET",
        "/v1/estates/{code}",
        None,
        {"platform_admin", "firm_manager", "firm_staff", "supervisor", "resident", "grid_leader", "community_officer"},
    ),
    (
        "GET",
        "/v1/estates/{code}/rules",
        None,
        {"platform_admin", "firm_manager", "firm_staff", "supervisor", "resident", "grid_leader", "community_officer"},
    ),
    (
        "POST",
        "/v1/estates/{code}/rules",
        {
            "effective_from": "2099-01-01",
            "fee_rate_fen_per_sqm_month": "36",
            "remuneration_share_bps": 1500,
            "donation_share_bps": 3000,
            "reason": "t",
        },
        {"platform_admin"},
    ),
    ("POST", "/v1/estates/{code}/members", {"username": "nobody-at-all"}, {"platform_admin"}),
    ("GET", "/v1/estates/{code}/staff", None, {"platform_admin", "firm_manager", "firm_staff", "supervisor"}),
    ("POST", "/v1/estates/{code}/suspend", {"reason": "t"}, {"platform_admin"}),
    ("POST", "/v1/estates/{code}/resume", None, {"platform_admin"}),
    ("POST", "/v1/estates/{code}/export", None, {"platform_admin"}),
    ("POST", "/v1/estates/{code}/offboard", {"archive_sha256": "0" * 64}, {"platform_admin"}),
    ("GET", "/v1/estates/{code}/households", None, {"firm_manager", "firm_staff", "supervisor", "grid_leader"}),
    (
        "GET",
        "/v1/estates/{code}/households/{household}",
        None,
        {"firm_manager", "firm_staff", "supervisor", "grid_leader"},
    ),
    ("GET", "/v1/estates/{code}/households/{household}/members", None, {"firm_manager", "firm_staff", "supervisor"}),
    (
        "POST",
        "/v1/estates/{code}/households/{household}/invitations",
        {"contact": "13700000009"},
        {"firm_manager", "firm_staff"},
    ),
    (
        "GET",
        "/v1/estates/{code}/my-households",
        None,
        {"firm_manager", "firm_staff", "supervisor", "resident", "grid_leader", "community_officer"},
    ),
    ("POST", "/v1/estates/{code}/my-households", {"claim_code": "not-a-claim-code"}, {"resident"}),
    ("POST", "/v1/estates/{code}/grids", {"code": "GX", "name": "x"}, {"firm_manager"}),
    (
        "GET",
        "/v1/estates/{code}/grids",
        None,
        {"firm_manager", "firm_staff", "supervisor", "resident", "grid_leader", "community_officer"},
    ),
    ("PUT", "/v1/estates/{code}/grids/GX/leaders", {"usernames": []}, {"firm_manager"}),
    (
        "GET",
        "/v1/estates/{code}/ballots",
        None,
        {"firm_manager", "firm_staff", "supervisor", "resident", "grid_leader", "community_officer"},
    ),
    (
        "GET",
        "/v1/estates/{code}/ballots/{ballot}",
        None,
        {"firm_manager", "firm_staff", "supervisor", "resident", "grid_leader", "community_officer"},
    ),
    ("POST", "/v1/estates/{code}/ballots/{ballot}/close", None, {"supervisor"}),
    (
        "PUT",
        "/v1/estates/{code}/households/{household}/occupancy",
        {"occupied_from": None},
        {"firm_manager", "firm_staff"},
    ),
    (
        "POST",
        "/v1/estates/{code}/grids/GX/households",
        {"household_ids": [str(uuid.uuid4())]},
        {"firm_manager", "firm_staff"},
    ),
    (
        "POST",
        "/v1/estates/{code}/ballots",
        {
            "kind": "service_plan",
            "question": "q",
            "options": ["A", "B"],
            "quorum_bps": 0,
            "threshold": "plurality",
            "threshold_base": "votes_cast",
            "opens_at": "2020-01-01T00:00:00Z",
            "closes_at": "2020-01-02T00:00:00Z",
        },
        {"supervisor", "firm_manager"},
    ),
    (
        "POST",
        "/v1/estates/{code}/ballots/{ballot}/votes",
        {"option": "A"},
        {"firm_manager", "firm_staff", "supervisor", "resident", "grid_leader", "community_officer"},
    ),
    (
        "GET",
        "/v1/estates/{code}/ballots/{ballot}/receipts/abcdefgh",
        None,
        {"firm_manager", "firm_staff", "supervisor", "resident", "grid_leader", "community_officer"},
    ),
]
UPLOAD = ("POST", "/v1/estates/{code}/households/import", {"firm_manager", "firm_staff"})


@pytest.fixture(scope="module")
def estates(tenant_api, admin_token, make_member):
    """Two estates; in the first, one account per role family; in the second, a firm manager."""
    own, other = unique_code("acl-a"), unique_code("acl-b")
    for code in (own, other):
        assert onboard(tenant_api, admin_token, code).status_code == 201
    tokens = {"platform_admin": admin_token}
    for family in FAMILIES[1:]:
        _, tokens[family] = make_member(own, family)
    _, foreign_manager = make_member(other, "firm_manager")
    household = tenant_api.post(
        f"/v1/estates/{own}/households/import",
        files={"file": ("list.csv", household_csv(2), "text/csv")},
        headers=bearer(tokens["firm_manager"]),
    ).json()["household_ids"][0]
    return {"own": own, "tokens": tokens, "foreign": foreign_manager, "household": household}


def call(tenant_api, method: str, path: str, body, token: str):
    return tenant_api.request(method, path, json=body, headers=bearer(token))


@pytest.mark.parametrize(("method", "template", "body", "allowed"), ROUTES, ids=[f"{m} {p}" for m, p, _, _ in ROUTES])
def test_a_foreign_estates_firm_manager_is_refused(tenant_api, estates, method, template, body, allowed) -> None:
    path = template.format(code=estates["own"], household=estates["household"], ballot=uuid.uuid4())
    response = call(tenant_api, method, path, body, estates["foreign"])
    assert response.status_code == 403, response.text
    assert response.json()["error"] == "permission_denied"


@pytest.mark.parametrize("family", FAMILIES)
def test_each_role_family_reaches_only_its_routes(tenant_api, estates, family: str) -> None:
    token = estates["tokens"][family]
    for method, template, body, allowed in ROUTES:
        if method != "GET" and family in allowed:
            continue  # writes by allowed roles are exercised by the feature tests
        path = template.format(code=estates["own"], household=estates["household"], ballot=uuid.uuid4())
        status = call(tenant_api, method, path, body, token).status_code
        if family in allowed:
            assert status != 403, f"{family} refused on {method} {path}"
        elif template.endswith("{household}"):
            # A resident of the estate asking for another household learns nothing, not even that it exists.
            assert status in (403, 404), f"{family} allowed on {method} {path} ({status})"
        else:
            assert status == 403, f"{family} allowed on {method} {path} ({status})"
    upload = tenant_api.post(
        f"/v1/estates/{estates['own']}/households/import",
        files={"file": ("x.csv", household_csv(1, prefix="acl"), "text/csv")},
        headers=bearer(token),
    )
    if family in UPLOAD[2]:
        assert upload.status_code != 403
    else:
        assert upload.status_code == 403


GRPC_METHODS = [
    ("GetEstate", lambda code, hh: tenant_pb2.GetEstateRequest(estate_code=code)),
    ("GetEstateRules", lambda code, hh: tenant_pb2.GetEstateRequest(estate_code=code)),
    ("ListHouseholds", lambda code, hh: tenant_pb2.ListHouseholdsRequest(estate_code=code)),
    ("ListHouseholdPages", lambda code, hh: tenant_pb2.ListHouseholdsRequest(estate_code=code)),
    ("GetHousehold", lambda code, hh: tenant_pb2.GetHouseholdRequest(estate_code=code, household_id=hh)),
    ("ResolveGrid", lambda code, hh: tenant_pb2.ResolveGridRequest(estate_code=code, household_id=hh)),
    ("CheckMembership", lambda code, hh: tenant_pb2.CheckMembershipRequest(estate_code=code, user_id="x")),
    ("ListEstateStaff", lambda code, hh: tenant_pb2.ListEstateStaffRequest(estate_code=code)),
]


@pytest.mark.parametrize(("name", "request_for"), GRPC_METHODS, ids=[name for name, _ in GRPC_METHODS])
def test_grpc_methods_refuse_other_estates_and_missing_roles(estates, name, request_for) -> None:
    with grpc.insecure_channel(grpc_target("tenant")) as channel:
        method = getattr(tenant_pb2_grpc.TenantServiceStub(channel), name)
        request = request_for(estates["own"], estates["household"])
        for token, reason in (
            (estates["foreign"], "another estate"),
            (estates["tokens"]["governance_observer"], "no role"),
        ):
            with pytest.raises(grpc.RpcError) as refused:
                result = method(request, metadata=[("authorization", f"Bearer {token}")])
                list(result) if name in ("ListHouseholds", "ListHouseholdPages") else result
            assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED, reason
