"""The tenant service's registry end to end: onboarding with first accounts (also after Keycloak was
down), audited rules from a future date, suspension, export and offboarding."""

from __future__ import annotations

import io
import json
import subprocess
import zipfile
from datetime import date

import grpc

from tests.e2e.conftest import estate_body, onboard
from tests.harness import (
    REPO_DIR,
    KeycloakAdmin,
    bearer,
    connect,
    estate_events,
    estate_today,
    grpc_target,
    household_csv,
    service_token,
    unique_code,
    user_token,
)
from xinyi.tenant.v1 import events_pb2, tenant_pb2, tenant_pb2_grpc


def account(code: str, role: str) -> dict[str, str]:
    return {"username": f"{role}-{code}", "email": f"{role}-{code}@xinyi.test", "first_name": "三", "last_name": "张"}


def set_password(keycloak: KeycloakAdmin, username: str) -> str:
    """Accounts made at onboarding have a temporary password; the person would change it at first login."""
    user_id = keycloak.client.get("/users", params={"username": username, "exact": "true"}).json()[0]["id"]
    keycloak.client.put(
        f"/users/{user_id}/reset-password", json={"type": "password", "value": "xinyi-dev-password", "temporary": False}
    ).raise_for_status()
    return user_id


def test_onboarding_creates_the_first_accounts_once(tenant_api, admin_token, keycloak: KeycloakAdmin) -> None:
    code = unique_code("firsts")
    body = {
        **estate_body(code),
        "firm_name": "成都信义物业服务有限公司",
        "firm_manager": account(code, "mgr"),
        "supervisor": account(code, "sup"),
    }
    created = tenant_api.post("/v1/estates", json=body, headers=bearer(admin_token))
    assert created.status_code == 201, created.text
    assert set(created.json()["initial_passwords"]) == {f"mgr-{code}", f"sup-{code}"}

    again = tenant_api.post("/v1/estates", json=body, headers=bearer(admin_token))
    assert again.status_code == 200
    assert again.json()["initial_passwords"] == {}
    other_accounts = tenant_api.post(
        "/v1/estates", json={**body, "supervisor": account(code, "other")}, headers=bearer(admin_token)
    )
    assert other_accounts.status_code == 409

    user_ids = [set_password(keycloak, f"mgr-{code}"), set_password(keycloak, f"sup-{code}")]
    try:
        manager = user_token(f"mgr-{code}")
        estate = tenant_api.get(f"/v1/estates/{code}", headers=bearer(manager))
        assert estate.status_code == 200
        assert estate.json()["remuneration_share_bps"] == 1500
        assert estate.json()["firm_name"] == "成都信义物业服务有限公司"
        assert len(keycloak.client.get("/users", params={"username": f"mgr-{code}", "exact": "true"}).json()) == 1
    finally:
        for user_id in user_ids:
            keycloak.delete_user(user_id)


def keycloak_script(command: str) -> None:
    subprocess.run([str(REPO_DIR / "deploy" / "keycloak.sh"), command], check=True, timeout=400)


def test_an_onboarding_retried_after_keycloak_was_down_completes_exactly_once(
    tenant_api, admin_token, keycloak
) -> None:
    code = unique_code("kcdown")
    keycloak_script("down")
    try:
        # The admin's token stays valid and the services keep the realm's keys: only onboarding needs Keycloak.
        failed = onboard(tenant_api, admin_token, code)
        assert failed.status_code == 503
        assert "identity provider" in failed.json()["reason"]
        hidden = tenant_api.get(f"/v1/estates/{code}", headers=bearer(admin_token))
        assert hidden.status_code == 404, "a half-made estate is not visible"
        with connect("tenant", "system") as connection, connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM outbox WHERE estate_code = %s", (code,))
            assert cursor.fetchone()[0] == 0, "no event leaves for a half-made estate"
    finally:
        keycloak_script("up")

    completed = onboard(tenant_api, admin_token, code)
    assert completed.status_code == 201
    assert onboard(tenant_api, admin_token, code).status_code == 200
    assert len(KeycloakAdmin.connect().organizations(code)) == 1
    onboarded = [
        events_pb2.EstateOnboarded.FromString(value)
        for value in estate_events("xinyi.tenant.events.v1", code, "xinyi.tenant.v1.EstateOnboarded")
    ]
    assert [event.estate.code for event in onboarded] == [code]


def next_month_start(today: date) -> date:
    return date(today.year + today.month // 12, today.month % 12 + 1, 1)


def test_rules_change_from_a_stated_month_and_are_audited(tenant_api, admin_token) -> None:
    code = unique_code("rules")
    assert onboard(tenant_api, admin_token, code).status_code == 201
    starts = next_month_start(estate_today())
    change = {
        "effective_from": starts.isoformat(),
        "fee_rate_fen_per_sqm_month": "40",
        "remuneration_share_bps": 1200,
        "donation_share_bps": 3000,
        "remuneration_basis": "billed",
        "billing_day": 5,
        "reason": "业主大会决议 2026-11",
    }
    for bad, reason in (
        ({"effective_from": "2020-01-01"}, "retroactively"),
        ({"effective_from": starts.replace(day=2).isoformat()}, "first day of a month"),
        ({"fee_rate_fen_per_sqm_month": "0"}, "fee rate"),
    ):
        refused = tenant_api.post(f"/v1/estates/{code}/rules", json={**change, **bad}, headers=bearer(admin_token))
        assert refused.status_code == 422, refused.text
        assert reason in refused.json()["reason"]

    changed = tenant_api.post(f"/v1/estates/{code}/rules", json=change, headers=bearer(admin_token))
    assert changed.status_code == 201, changed.text
    view = changed.json()
    assert view["in_force"]["fee_rate_fen_per_sqm_month"] == "35", "today's rules are unchanged"
    latest = view["history"][-1]
    assert latest["effective_from"] == starts.isoformat()
    assert latest["changed_by"] == "platform-admin"
    assert latest["previous"]["fee_rate_fen_per_sqm_month"] == "35"
    assert latest["rules"]["fee_rate_fen_per_sqm_month"] == "40"
    assert latest["reason"] == "业主大会决议 2026-11"

    with grpc.insecure_channel(grpc_target("tenant")) as channel:
        stub = tenant_pb2_grpc.TenantServiceStub(channel)
        metadata = [("authorization", f"Bearer {service_token('ledger-service')}")]
        today = stub.GetEstate(tenant_pb2.GetEstateRequest(estate_code=code), metadata=metadata)
        later = stub.GetEstateRules(
            tenant_pb2.GetEstateRequest(estate_code=code, rules_on=starts.isoformat()), metadata=metadata
        )
    assert today.fee_rate_fen_per_sqm_month == "35"
    assert later.fee_rate_fen_per_sqm_month == "40"
    assert later.remuneration_basis == tenant_pb2.REMUNERATION_BASIS_BILLED
    assert later.effective_from == starts.isoformat()
    assert estate_events("xinyi.tenant.events.v1", code, "xinyi.tenant.v1.EstateRulesChanged")


def test_suspend_export_and_offboard(tenant_api, admin_token, make_member, keycloak) -> None:
    code = unique_code("offb")
    assert onboard(tenant_api, admin_token, code).status_code == 201
    _, manager = make_member(code, "firm_manager")
    imported = tenant_api.post(
        f"/v1/estates/{code}/households/import",
        files={"file": ("list.csv", household_csv(5), "text/csv")},
        headers=bearer(manager),
    )
    assert imported.status_code == 201, imported.text

    offboard_early = tenant_api.post(
        f"/v1/estates/{code}/offboard", json={"archive_sha256": "0" * 64}, headers=bearer(admin_token)
    )
    assert offboard_early.status_code == 409

    suspended = tenant_api.post(f"/v1/estates/{code}/suspend", json={"reason": "合同到期"}, headers=bearer(admin_token))
    assert suspended.json()["status"] == "suspended"
    read_only = tenant_api.post(
        f"/v1/estates/{code}/households/import",
        files={"file": ("more.csv", household_csv(1, prefix="x"), "text/csv")},
        headers=bearer(manager),
    )
    assert read_only.status_code == 409
    assert "read-only" in read_only.json()["reason"]
    still_visible = tenant_api.get(f"/v1/estates/{code}/households", headers=bearer(manager))
    assert still_visible.json()["total"] == 5, "a suspended estate's people still see their data"

    exported = tenant_api.post(f"/v1/estates/{code}/export", headers=bearer(admin_token))
    assert exported.status_code == 201
    archive = tenant_api.get(exported.json()["download"], headers=bearer(admin_token))
    assert archive.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.content)) as bundle:
        manifest = json.loads(bundle.read("manifest.json"))
        households = bundle.read("households.jsonl").decode().splitlines()
        people = bundle.read("people.jsonl").decode()
    assert manifest["format"] == "xinyi-estate-archive"
    assert manifest["files"]["households.jsonl"]["records"] == 5
    assert len(households) == 5
    assert "业主0" in people, "the archive is the estate's complete data, personal data included"

    offboarded = tenant_api.post(
        f"/v1/estates/{code}/offboard", json={"archive_sha256": exported.json()["sha256"]}, headers=bearer(admin_token)
    )
    assert offboarded.status_code == 200, offboarded.text
    assert offboarded.json()["status"] == "offboarded"
    assert tenant_api.get(f"/v1/estates/{code}", headers=bearer(admin_token)).status_code == 404
    assert keycloak.organizations(code) == []
    with connect("tenant", "system") as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM households WHERE estate_code = %s", (code,))
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT count(*) FROM estate_archives WHERE estate_code = %s", (code,))
        assert cursor.fetchone()[0] == 1, "the archive is kept"
    assert estate_events("xinyi.tenant.events.v1", code, "xinyi.tenant.v1.EstateOffboarded")


def test_the_hierarchy_lists_districts_down_to_estates(tenant_api, admin_token) -> None:
    code = unique_code("tree")
    assert onboard(tenant_api, admin_token, code).status_code == 201
    tree = tenant_api.get("/v1/hierarchy", headers=bearer(admin_token)).json()
    district = next(d for d in tree if d["code"] == "shuangliu")
    sub_district = next(s for s in district["sub_districts"] if s["code"] == "dongsheng")
    # Other tests register communities of their own beside it: find it by its code.
    community = next(c for c in sub_district["communities"] if c["code"] == "jinhe")
    assert code in {estate["code"] for estate in community["estates"]}
    unknown = tenant_api.post(
        "/v1/estates", json=estate_body(unique_code("orphan"), community_code="nowhere"), headers=bearer(admin_token)
    )
    assert unknown.status_code == 422
    assert "unknown community" in unknown.json()["reason"]


def test_the_registry_answers_a_resident_only_about_its_own_estate(tenant_api, admin_token, make_member) -> None:
    first, second = unique_code("own-a"), unique_code("own-b")
    for code in (first, second):
        assert onboard(tenant_api, admin_token, code).status_code == 201
    _, resident = make_member(first, "resident")
    assert tenant_api.get(f"/v1/estates/{first}", headers=bearer(resident)).status_code == 200
    assert tenant_api.get(f"/v1/estates/{second}", headers=bearer(resident)).status_code == 403
    assert tenant_api.get("/v1/estates", headers=bearer(resident)).status_code == 403
