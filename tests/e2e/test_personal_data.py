"""Personal data stays in the estate's tables: no name, phone or e-mail in any Kafka event or log."""

from __future__ import annotations

import random
import uuid

from tests.e2e.conftest import onboard
from tests.harness import STATE_DIR, bearer, claim_member, eventually, household_csv, read_events, unique_code


def test_no_personal_data_reaches_events_or_logs(tenant_api, admin_token, make_member) -> None:
    code = unique_code("pii")
    assert onboard(tenant_api, admin_token, code).status_code == 201
    _, manager = make_member(code, "firm_manager")
    marker = f"隐私{uuid.uuid4().hex[:6]}"
    phones = [f"1{random.choice('3456789')}{random.randrange(10**9):09d}" for _ in range(5)]
    content = household_csv(5, prefix=marker, bad_lines={i: {"电话": phone} for i, phone in enumerate(phones)})
    imported = tenant_api.post(
        f"/v1/estates/{code}/households/import",
        files={"file": ("list.csv", content, "text/csv")},
        headers=bearer(manager),
    )
    assert imported.status_code == 201, imported.text
    household = imported.json()["household_ids"][0]
    invited_phone = f"136{random.randrange(10**8):08d}"
    claim_member(tenant_api, code, manager, household, invited_phone)
    # A grid change publishes HouseholdChanged too.
    tenant_api.post(f"/v1/estates/{code}/grids", json={"code": "G1", "name": "一网格"}, headers=bearer(manager))
    tenant_api.post(
        f"/v1/estates/{code}/grids/G1/households", json={"household_ids": [household]}, headers=bearer(manager)
    )

    secrets_ = [marker.encode(), invited_phone.encode(), *(p.encode() for p in phones)]
    expected = {"xinyi.tenant.v1.HouseholdsImported", "xinyi.tenant.v1.HouseholdChanged"}

    def all_relayed() -> list[tuple[dict[str, str], bytes]] | None:
        events = read_events("xinyi.tenant.events.v1") + read_events("xinyi.ledger.events.v1")
        types = {a.get("type") for a, _ in events if a.get("subject") == code}
        return events if expected <= types else None

    events = eventually(all_relayed, timeout=60, what="the estate's events to reach Kafka")
    for attributes, value in events:
        flat = value + repr(attributes).encode()
        for secret in secrets_:
            assert secret not in flat, f"personal data in a {attributes.get('type')} event"

    for log in (STATE_DIR / "services").glob("*.log"):
        text = log.read_bytes()
        for secret in secrets_:
            assert secret not in text, f"personal data in {log.name}"
