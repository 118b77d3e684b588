"""One household, one vote (一户一票) end to end: a ballot with a quorum and a two-thirds threshold,
a household's second vote replacing its first, the automatic close, receipts and BallotClosed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.conftest import onboard
from tests.harness import bearer, claim_member, estate_events, eventually, household_csv, unique_code
from xinyi.tenant.v1 import events_pb2


@pytest.fixture
def voting_estate(tenant_api, admin_token, make_member):
    code = unique_code("vote")
    assert onboard(tenant_api, admin_token, code).status_code == 201
    _, manager = make_member(code, "firm_manager")
    _, supervisor = make_member(code, "supervisor")
    ids = tenant_api.post(
        f"/v1/estates/{code}/households/import",
        files={"file": ("list.csv", household_csv(3), "text/csv")},
        headers=bearer(manager),
    ).json()["household_ids"]
    voters = {
        "first_member_of_1": claim_member(tenant_api, code, manager, ids[0], "13700000001"),
        "second_member_of_1": claim_member(tenant_api, code, manager, ids[0], "13700000002"),
        "member_of_2": claim_member(tenant_api, code, manager, ids[1], "13700000003"),
        "member_of_3": claim_member(tenant_api, code, manager, ids[2], "13700000004"),
    }
    return code, supervisor, manager, voters


def ballot_terms(**overrides: object) -> dict[str, object]:
    now = datetime.now(UTC)
    terms: dict[str, object] = {
        "subject": "service-plan-2027",
        "question": "2027年采用哪个物业服务方案？",
        "options": ["方案A", "方案B"],
        "quorum_bps": 5000,
        "threshold": "two_thirds",
        "threshold_base": "votes_cast",
        "opens_at": (now - timedelta(minutes=2)).isoformat(),
        "closes_at": (now + timedelta(seconds=15)).isoformat(),
    }
    terms.update(overrides)
    return terms


def test_a_two_thirds_ballot_counts_one_vote_per_household(tenant_api, voting_estate) -> None:
    code, supervisor, manager, voters = voting_estate
    base = f"/v1/estates/{code}/ballots"
    assert tenant_api.post(base, json=ballot_terms(), headers=bearer(manager)).status_code == 403, (
        "the firm opens only service-plan choices"
    )
    opened = tenant_api.post(base, json=ballot_terms(), headers=bearer(supervisor))
    assert opened.status_code == 201, opened.text
    ballot = opened.json()["id"]
    assert opened.json()["electorate_size"] == 3

    def vote(voter: str, option: str) -> str:
        response = tenant_api.post(f"{base}/{ballot}/votes", json={"option": option}, headers=bearer(voters[voter]))
        assert response.status_code == 201, response.text
        return response.json()["receipt_code"]

    replaced_receipt = vote("first_member_of_1", "方案A")
    final_receipt = vote("second_member_of_1", "方案B")  # the same household: replaces, does not add
    vote("member_of_2", "方案B")
    vote("member_of_3", "方案A")

    unknown = tenant_api.post(f"{base}/{ballot}/votes", json={"option": "方案C"}, headers=bearer(voters["member_of_2"]))
    assert unknown.status_code == 422
    view = tenant_api.get(f"{base}/{ballot}", headers=bearer(voters["first_member_of_1"])).json()
    assert view["votes_cast"] == 3
    assert list(view["own_votes"].values()) == ["方案B"], "a member sees its household's current choice"
    assert view["result"] is None

    def closed() -> dict[str, object] | None:
        result = tenant_api.get(f"{base}/{ballot}", headers=bearer(supervisor)).json()["result"]
        return result if result else None

    result = eventually(closed, timeout=60, what="the ballot to close at its closing time")
    # 3 households voted of 3 (quorum 50% met); 方案B has 2 of 3 votes cast: 3*2 >= 2*3, two-thirds met.
    assert result["tally"] == {"方案A": 1, "方案B": 2}
    assert result["votes_cast"] == 3
    assert result["quorum_met"] is True
    assert result["adopted_option"] == "方案B"
    assert sorted(len(fingerprints) for fingerprints in result["audit"].values()) == [1, 2]

    late = tenant_api.post(f"{base}/{ballot}/votes", json={"option": "方案A"}, headers=bearer(voters["member_of_3"]))
    assert late.status_code == 409

    receipt = tenant_api.get(f"{base}/{ballot}/receipts/{final_receipt}", headers=bearer(voters["second_member_of_1"]))
    assert receipt.json() == {"counted": True, "option": "方案B"}
    voided = tenant_api.get(f"{base}/{ballot}/receipts/{replaced_receipt}", headers=bearer(voters["first_member_of_1"]))
    assert voided.json() == {"counted": False, "option": None}

    events = [
        events_pb2.BallotClosed.FromString(value)
        for value in estate_events("xinyi.tenant.events.v1", code, "xinyi.tenant.v1.BallotClosed")
    ]
    assert len(events) == 1
    assert dict(events[0].tally) == {"方案A": 1, "方案B": 2}
    assert (events[0].adopted_option, events[0].quorum_met, events[0].subject) == ("方案B", True, "service-plan-2027")


def test_a_ballot_without_quorum_adopts_nothing(tenant_api, voting_estate) -> None:
    code, supervisor, _, voters = voting_estate
    base = f"/v1/estates/{code}/ballots"
    ballot = tenant_api.post(
        base,
        json=ballot_terms(
            quorum_bps=6700, threshold="simple_majority", closes_at=(datetime.now(UTC) + timedelta(hours=1)).isoformat()
        ),
        headers=bearer(supervisor),
    ).json()["id"]
    for voter in ("member_of_2", "member_of_3"):
        tenant_api.post(f"{base}/{ballot}/votes", json={"option": "方案A"}, headers=bearer(voters[voter]))
    not_yet = tenant_api.post(f"{base}/{ballot}/close", headers=bearer(supervisor))
    assert not_yet.status_code == 409, "closing before the announced time needs early=true"
    closed = tenant_api.post(f"{base}/{ballot}/close", json={"early": True}, headers=bearer(supervisor))
    assert closed.status_code == 200, closed.text
    # 2 of 3 households voted: 66.67% < the 67% quorum.
    assert closed.json()["quorum_met"] is False
    assert closed.json()["adopted_option"] is None
    assert closed.json()["tally"] == {"方案A": 2, "方案B": 0}
