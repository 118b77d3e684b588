"""Households end to end: imports from CSV and XLSX, refusal of bad files, masking, grids,
invitations claimed by residents, and the gRPC look-ups other services use."""

from __future__ import annotations

import base64
import json
import re

import grpc
import pytest

from tests.e2e.conftest import onboard
from tests.harness import (
    bearer,
    estate_events,
    grpc_target,
    household_csv,
    household_xlsx,
    service_token,
    unique_code,
    user_token,
)
from xinyi.tenant.v1 import events_pb2, tenant_pb2, tenant_pb2_grpc

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def estate(tenant_api, admin_token, make_member):
    code = unique_code("hh")
    assert onboard(tenant_api, admin_token, code).status_code == 201
    _, manager = make_member(code, "firm_manager")
    return code, manager


def upload(tenant_api, code: str, token: str, name: str, content: bytes, kind: str = "text/csv"):
    return tenant_api.post(
        f"/v1/estates/{code}/households/import", files={"file": (name, content, kind)}, headers=bearer(token)
    )


def grpc_stub():
    return tenant_pb2_grpc.TenantServiceStub(grpc.insecure_channel(grpc_target("tenant")))


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_thousand_households_import_in_one_go(tenant_api, estate, kind: str) -> None:
    code, manager = estate
    content = household_csv(1000) if kind == "csv" else household_xlsx(1000)
    imported = upload(
        tenant_api, code, manager, f"住户清单.{kind}", content, "text/csv" if kind == "csv" else XLSX_TYPE
    )
    assert imported.status_code == 201, imported.text[:500]
    assert imported.json()["imported"] == 1000

    page = tenant_api.get(f"/v1/estates/{code}/households", params={"limit": 5}, headers=bearer(manager)).json()
    assert page["total"] == 1000
    owner = page["households"][0]["owners"][0]
    assert re.fullmatch(r"13[89]\*{4}\d{4}", owner["phone"]), "lists show phones masked"
    assert "*" in owner["name"]

    # The register is searched on the server by address, a page at a time.
    def found(**params: object) -> dict:
        answer = tenant_api.get(f"/v1/estates/{code}/households", params=params, headers=bearer(manager))
        assert answer.status_code == 200, answer.text
        return answer.json()

    building = found(q="2栋", limit=10)
    assert building["total"] == 200 and len(building["households"]) == 10
    assert {h["building"] for h in building["households"]} == {"2"}
    assert found(q="2栋1单元", limit=1)["total"] == 50, "building and unit typed together"
    assert found(q="2-1-")["total"] == 50
    assert [h["room"] for h in found(q="2栋1单元101")["households"]] == ["101"]
    assert found(q="%")["total"] == 0, "% is a character to find, not a wildcard"
    assert found(q="_")["total"] == 0
    assert (
        tenant_api.get(f"/v1/estates/{code}/households", params={"q": "x" * 41}, headers=bearer(manager)).status_code
        == 422
    )

    households = list(
        grpc_stub().ListHouseholds(
            tenant_pb2.ListHouseholdsRequest(estate_code=code),
            metadata=[("authorization", f"Bearer {service_token('ledger-service')}")],
        )
    )
    assert len(households) == 1000
    pages = list(
        grpc_stub().ListHouseholdPages(
            tenant_pb2.ListHouseholdsRequest(estate_code=code),
            metadata=[("authorization", f"Bearer {service_token('ledger-service')}")],
        )
    )
    assert [len(page.households) for page in pages] == [1000], "a thousand households a page"
    assert list(pages[0].households) == households, "the pages hold the stream's households, in its order"
    total_area = sum(h.area_centi_sqm for h in households)
    expected = sum((80 + i % 40) * 100 + i % 100 for i in range(1000))
    assert total_area == expected, "areas arrive to the hundredth of a m²"
    events = estate_events("xinyi.tenant.events.v1", code, "xinyi.tenant.v1.HouseholdsImported")
    assert len(events_pb2.HouseholdsImported.FromString(events[0]).household_ids) == 1000

    again = upload(tenant_api, code, manager, f"again.{kind}", content, "text/csv" if kind == "csv" else XLSX_TYPE)
    assert again.status_code == 422, "the same dwellings cannot be registered twice"
    assert tenant_api.get(f"/v1/estates/{code}/households", headers=bearer(manager)).json()["total"] == 1000


def test_a_file_with_bad_rows_imports_nothing_and_names_each(tenant_api, estate) -> None:
    code, manager = estate
    content = household_csv(
        20, bad_lines={2: {"面积": "-5"}, 7: {"房号": ""}, 11: {"电话": "12345"}, 15: {"面积": "90.123"}}
    )
    refused = upload(tenant_api, code, manager, "bad.csv", content)
    assert refused.status_code == 422
    body = refused.json()
    assert body["error"] == "invalid_input"
    problems = {(e["line"], e["column"]) for e in body["row_errors"]}
    # Data row i is line i + 2 (the header is line 1).
    assert problems == {(4, "面积"), (9, "房号"), (13, "电话"), (17, "面积")}
    assert all(e["reason"] for e in body["row_errors"])
    assert tenant_api.get(f"/v1/estates/{code}/households", headers=bearer(manager)).json()["total"] == 0


def test_unsupported_files_are_refused(tenant_api, estate) -> None:
    code, manager = estate
    refused = upload(tenant_api, code, manager, "list.pdf", b"%PDF-1.4", "application/pdf")
    assert refused.status_code == 422
    assert "unsupported file type" in refused.json()["reason"]


def test_a_resident_claims_a_household_and_sees_only_its_own(tenant_api, admin_token, estate, make_member) -> None:
    code, manager = estate
    ids = upload(tenant_api, code, manager, "list.csv", household_csv(3)).json()["household_ids"]
    invitation = tenant_api.post(
        f"/v1/estates/{code}/households/{ids[1]}/invitations",
        json={"contact": "+86 139-0000-0001", "relation": "owner"},
        headers=bearer(manager),
    )
    assert invitation.status_code == 201, invitation.text
    username = unique_code("owner")
    claim = {
        "estate_code": code,
        "claim_code": invitation.json()["claim_code"],
        "username": username,
        "password": "a-long-password-1",
        "email": f"{username}@xinyi.test",
        "first_name": "一",
        "last_name": "业主",
    }
    claimed = tenant_api.post("/v1/invitations/claim", json=claim)
    assert claimed.status_code == 201, claimed.text
    assert tenant_api.post("/v1/invitations/claim", json={**claim, "username": unique_code("again")}).status_code == 409

    resident = user_token(username, "a-long-password-1")
    mine = tenant_api.get(f"/v1/estates/{code}/my-households", headers=bearer(resident)).json()
    assert [h["id"] for h in mine] == [ids[1]]
    assert tenant_api.get(f"/v1/estates/{code}/households/{ids[1]}", headers=bearer(resident)).status_code == 200
    assert tenant_api.get(f"/v1/estates/{code}/households/{ids[0]}", headers=bearer(resident)).status_code == 404
    assert tenant_api.get(f"/v1/estates/{code}/households", headers=bearer(resident)).status_code == 403
    assert (
        tenant_api.get(f"/v1/estates/{code}/households/{ids[1]}/members", headers=bearer(resident)).status_code == 403
    )

    other = unique_code("elsewhere")
    assert onboard(tenant_api, admin_token, other).status_code == 201
    assert tenant_api.get(f"/v1/estates/{other}", headers=bearer(resident)).status_code == 403

    members = tenant_api.get(f"/v1/estates/{code}/households/{ids[1]}/members", headers=bearer(manager)).json()
    assert [(m["relation"], m["has_account"]) for m in members] == [("owner", True)], "the invited owner claimed"
    assert members[0]["phone"] == "139****0001"

    membership = grpc_stub().CheckMembership(
        tenant_pb2.CheckMembershipRequest(estate_code=code, user_id=_subject(resident)),
        metadata=[("authorization", f"Bearer {service_token('ticketing-service')}")],
    )
    assert membership.member and list(membership.household_ids) == [ids[1]]


def test_a_resident_with_an_account_of_the_estate_claims_a_household_with_it(tenant_api, estate, make_member) -> None:
    code, manager = estate
    ids = upload(tenant_api, code, manager, "list.csv", household_csv(3)).json()["household_ids"]
    _, resident = make_member(code, "resident")  # an account the platform team made a member of the estate
    assert tenant_api.get(f"/v1/estates/{code}/my-households", headers=bearer(resident)).json() == []

    def invite(household: str, contact: str) -> str:
        issued = tenant_api.post(
            f"/v1/estates/{code}/households/{household}/invitations",
            json={"contact": contact, "relation": "owner"},
            headers=bearer(manager),
        )
        assert issued.status_code == 201, issued.text
        return str(issued.json()["claim_code"])

    claim_code = invite(ids[2], "13900000002")  # the imported owner's phone
    wrong = tenant_api.post(
        f"/v1/estates/{code}/my-households", json={"claim_code": "not-the-code"}, headers=bearer(resident)
    )
    assert wrong.status_code == 404
    joined = tenant_api.post(
        f"/v1/estates/{code}/my-households", json={"claim_code": claim_code}, headers=bearer(resident)
    )
    assert joined.status_code == 201, joined.text
    assert joined.json()["id"] == ids[2]
    again = tenant_api.post(
        f"/v1/estates/{code}/my-households", json={"claim_code": claim_code}, headers=bearer(resident)
    )
    assert again.status_code == 409, "an invitation is claimed once"

    mine = tenant_api.get(f"/v1/estates/{code}/my-households", headers=bearer(resident)).json()
    assert [h["id"] for h in mine] == [ids[2]]
    members = tenant_api.get(f"/v1/estates/{code}/households/{ids[2]}/members", headers=bearer(manager)).json()
    assert [(m["relation"], m["has_account"]) for m in members] == [("owner", True)], "the imported owner, linked"
    membership = grpc_stub().CheckMembership(
        tenant_pb2.CheckMembershipRequest(estate_code=code, user_id=_subject(resident)),
        metadata=[("authorization", f"Bearer {service_token('ticketing-service')}")],
    )
    assert list(membership.household_ids) == [ids[2]]

    # A second household by another invitation (a contact the register does not know: a new member).
    second = invite(ids[0], "resident-two@xinyi.test")
    assert (
        tenant_api.post(f"/v1/estates/{code}/my-households", json={"claim_code": second}, headers=bearer(resident))
    ).status_code == 201
    assert {h["id"] for h in tenant_api.get(f"/v1/estates/{code}/my-households", headers=bearer(resident)).json()} == {
        ids[0],
        ids[2],
    }
    # Only a resident claims with its account: the firm's own accounts do not become household members.
    third = invite(ids[1], "13900000001")
    refused = tenant_api.post(f"/v1/estates/{code}/my-households", json={"claim_code": third}, headers=bearer(manager))
    assert refused.status_code == 403


def _subject(token: str) -> str:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"]


def test_grids_group_households_under_their_leaders(tenant_api, estate) -> None:
    code, manager = estate
    ids = upload(tenant_api, code, manager, "list.csv", household_csv(4)).json()["household_ids"]
    assert (
        tenant_api.post(
            f"/v1/estates/{code}/grids", json={"code": "G1", "name": "一网格"}, headers=bearer(manager)
        ).status_code
        == 201
    )
    leaders = tenant_api.put(
        f"/v1/estates/{code}/grids/G1/leaders", json={"usernames": ["grid-leader"]}, headers=bearer(manager)
    )
    assert leaders.status_code == 204
    assigned = tenant_api.post(
        f"/v1/estates/{code}/grids/G1/households", json={"household_ids": ids[:2]}, headers=bearer(manager)
    )
    assert assigned.json() == {"assigned": 2}
    grids = tenant_api.get(f"/v1/estates/{code}/grids", headers=bearer(manager)).json()
    assert grids == [{"code": "G1", "name": "一网格", "leaders": ["grid-leader"], "household_count": 2}]
    in_grid = tenant_api.get(f"/v1/estates/{code}/households", params={"grid": "G1"}, headers=bearer(manager)).json()
    assert in_grid["total"] == 2 and {h["id"] for h in in_grid["households"]} == set(ids[:2])

    stub = grpc_stub()
    metadata = [("authorization", f"Bearer {service_token('ticketing-service')}")]
    grid = stub.ResolveGrid(tenant_pb2.ResolveGridRequest(estate_code=code, household_id=ids[0]), metadata=metadata)
    assert (grid.code, list(grid.leader_usernames)) == ("G1", ["grid-leader"])
    with pytest.raises(grpc.RpcError) as none:
        stub.ResolveGrid(tenant_pb2.ResolveGridRequest(estate_code=code, household_id=ids[3]), metadata=metadata)
    assert none.value.code() == grpc.StatusCode.NOT_FOUND
    household = stub.GetHousehold(
        tenant_pb2.GetHouseholdRequest(estate_code=code, household_id=ids[0]), metadata=metadata
    )
    assert household.grid_code == "G1"

    # CheckMembership names the grids a username leads (ignoring case), not only its households.
    assert (
        tenant_api.post(
            f"/v1/estates/{code}/grids", json={"code": "G2", "name": "二网格"}, headers=bearer(manager)
        ).status_code
        == 201
    )
    assert (
        tenant_api.put(
            f"/v1/estates/{code}/grids/G2/leaders",
            json={"usernames": ["Grid-Leader", "other-leader"]},
            headers=bearer(manager),
        ).status_code
        == 204
    )

    def membership(username: str) -> tenant_pb2.Membership:
        request = tenant_pb2.CheckMembershipRequest(estate_code=code, user_id="no-household", username=username)
        answer: tenant_pb2.Membership = stub.CheckMembership(request, metadata=metadata)
        return answer

    leader = membership("GRID-LEADER")
    assert (leader.member, list(leader.household_ids), list(leader.led_grid_codes)) == (False, [], ["G1", "G2"])
    assert list(membership("other-leader").led_grid_codes) == ["G2"]
    assert list(membership("").led_grid_codes) == [], "without a username, no grid"
    assert list(membership("firm-staff").led_grid_codes) == []


def test_an_owner_of_several_dwellings_is_one_person_and_move_outs_are_recorded(tenant_api, estate) -> None:
    code, manager = estate
    content = (
        "楼栋,房号,面积,业主姓名,电话\n1,101,90,王五,13911112222\n1,102,60,王五,13911112222\n1,103,70,赵六,\n".encode()
    )
    ids = upload(tenant_api, code, manager, "list.csv", content).json()["household_ids"]
    owners = [
        tenant_api.get(f"/v1/estates/{code}/households/{h}/members", headers=bearer(manager)).json() for h in ids[:2]
    ]
    assert owners[0][0]["person_id"] == owners[1][0]["person_id"], "one person, owner of two households"

    moved = tenant_api.put(
        f"/v1/estates/{code}/households/{ids[0]}/occupancy",
        json={"occupied_from": "2020-01-01", "occupied_until": "2030-06-30"},
        headers=bearer(manager),
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["occupied_until"] == "2030-06-30"
    backwards = tenant_api.put(
        f"/v1/estates/{code}/households/{ids[0]}/occupancy",
        json={"occupied_from": "2030-01-01", "occupied_until": "2020-06-30"},
        headers=bearer(manager),
    )
    assert backwards.status_code == 422
    changed = [
        events_pb2.HouseholdChanged.FromString(value)
        for value in estate_events("xinyi.tenant.events.v1", code, "xinyi.tenant.v1.HouseholdChanged")
    ]
    assert changed[-1].household.occupied_until == "2030-06-30"
