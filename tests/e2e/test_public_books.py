"""Books any resident can verify offline, end to end with the real services: a checkpoint signed at the
close, a household's inclusion proof accepted by `xinyi verify` (offline) and by Go's sumdb/tlog
packages, the supervisor's cosignature through `xinyi witness`, a rogue administrator's edit in
PostgreSQL named when the next checkpoint is asked for, and `cosign` refusing a rewritten log."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from tests.harness import (
    bearer,
    claim_member,
    connect,
    estate_now,
    estate_today,
    http_url,
    run_billing,
    settled_balances,
)
from xinyi_shared.transparency.checkpoint import Checkpoint, checkpoint_of, sign_checkpoint
from xinyi_shared.transparency.entries import canonical_json, decode_opening, entry_from_json, lines_of_household
from xinyi_shared.transparency.note import parse_signer_key
from xinyi_shared.transparency.verify import verify_bundle

XINYI = str(Path(sys.executable).parent / "xinyi")
GO_MODULE = Path(__file__).resolve().parents[1] / "conformance" / "tlog_go"
PERIOD = estate_now().strftime("%Y-%m")


def xinyi(tmp_path: Path, token: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "XINYI_LEDGER_URL": http_url("ledger"),
        "XINYI_TENANT_URL": http_url("tenant"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "NO_COLOR": "1",
    }
    env.pop("XINYI_TOKEN", None)
    if token is not None:
        env["XINYI_TOKEN"] = token
    return subprocess.run([XINYI, *args], env=env, capture_output=True, text=True, timeout=120)


def rogue_sql(code: str, table: str, statement: str, params: tuple[object, ...] = ()) -> None:
    """As a rogue database administrator would: as the tables' owner, the append-only triggers off."""
    with connect("ledger", "owner") as connection:
        connection.execute("SELECT set_config('xinyi.estate', %s, true)", (code,))
        connection.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        connection.execute(statement, params)
        connection.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        connection.commit()


@pytest.fixture
def published(books, tenant_api, make_member):
    code, ledger, households = books
    _, supervisor = make_member(code, "supervisor")
    resident = claim_member(tenant_api, code, ledger.headers["Authorization"].split()[1], households[0], "13500000001")
    run_billing(ledger, "/billing-runs", PERIOD, f"bill-{uuid.uuid4()}")
    paid = ledger.post(
        "/payments",
        json={
            "household_id": households[0],
            "amount_fen": 3150,
            "method": "wechat_pay",
            "reference": "pub-1",
            "received_on": estate_today().isoformat(),
        },
        headers={"Idempotency-Key": f"pay-{uuid.uuid4()}"},
    )
    assert paid.status_code == 201, paid.text
    settled_balances(ledger)  # the payment's remuneration accrual has posted: the books are still
    return code, ledger, households, supervisor, resident, paid.json()["transaction_id"]


def test_a_household_verifies_its_payment_offline_and_go_agrees(published, tmp_path) -> None:
    code, ledger, households, _, resident, payment = published
    as_resident = httpx.Client(base_url=ledger.base_url, headers=bearer(resident), timeout=30)
    assert as_resident.get("/log/checkpoints/latest").status_code == 404, "nothing signed before the first close"
    assert as_resident.get(f"/log/entries/{payment}/proof").status_code == 404

    early = ledger.post("/log/checkpoints")  # between closes, on the firm manager's request
    assert early.status_code == 200, early.text
    income = ledger.post(
        "/common-income",
        json={"kind": "parking", "amount_fen": 12_000, "received_on": estate_today().isoformat()},
        headers={"Idempotency-Key": f"inc-{uuid.uuid4()}"},
    )
    assert income.status_code == 201, income.text
    closed = ledger.post(f"/periods/{PERIOD}/close", headers={"Idempotency-Key": f"close-{uuid.uuid4()}"})
    assert closed.status_code == 200, closed.text
    latest = as_resident.get("/log/checkpoints/latest").json()
    entries = ledger.get("/transactions", params={"limit": 500}).json()
    assert latest["tree_size"] == len(entries), "every entry of the closed month is a leaf"
    assert latest["cosigned"] is False and latest["period"] == PERIOD
    identity = as_resident.get("/log/key").json()
    assert (
        identity["origin"].endswith(f"/estates/{code}") and checkpoint_of(latest["note"]).origin == identity["origin"]
    )

    # The household's own proof, verified offline by the CLI with its opening.
    bundle = as_resident.get(f"/log/entries/{payment}/proof").json()
    opening = as_resident.get(f"/households/{households[0]}/opening").json()["opening"]
    assert as_resident.get(f"/households/{households[1]}/opening").status_code == 404, "another household's secret"
    assert ledger.get(f"/households/{households[0]}/opening").status_code == 404, "not even the firm reads it"
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False))
    verified = xinyi(tmp_path, None, "verify", str(path), "--log-key", identity["log_key"], "--opening", opening)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    wrong_opening = base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
    refused = xinyi(tmp_path, None, "verify", str(path), "--log-key", identity["log_key"], "--opening", wrong_opening)
    assert refused.returncode == 1, "another household's opening proves nothing"
    entry = entry_from_json(bundle["entry"])
    mine = lines_of_household(entry, decode_opening(opening))
    assert [(line.account, line.amount_fen) for line in mine] == [("1100", -3150)]
    assert verify_bundle(bundle, log_key=identity["log_key"]).ok
    # Other households' lines are commitments: nothing in the leaf names a household.
    assert not any(h in json.dumps(bundle) for h in households)

    # Go's golang.org/x/mod/sumdb/note and sumdb/tlog accept the same checkpoint and proof.
    if shutil.which("go") is None:
        pytest.skip("Go is not installed")
    fixture = {
        "log_key": identity["log_key"],
        "checkpoints": [early.json()["note"], latest["note"]],
        "inclusion": [
            {
                "checkpoint_index": 1,
                "leaf_data_b64": base64.b64encode(canonical_json(bundle["entry"])).decode(),
                "leaf_index": bundle["leaf_index"],
                "proof": bundle["inclusion_proof"],
            }
        ],
        "consistency": [
            {
                "old": 0,
                "new": 1,
                "proof": as_resident.get(
                    "/log/consistency", params={"from": early.json()["tree_size"], "to": latest["tree_size"]}
                ).json()["proof"],
            }
        ],
    }
    fixture_path = tmp_path / "fixture.json"
    fixture_path.write_text(json.dumps(fixture, ensure_ascii=False))
    go = subprocess.run(
        ["go", "test", "-count=1", "./..."],
        cwd=GO_MODULE,
        env={**os.environ, "XINYI_TLOG_FIXTURE": str(fixture_path)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert go.returncode == 0, go.stdout + go.stderr


def test_the_supervisor_cosigns_and_tampering_is_named(published, tmp_path) -> None:
    code, ledger, _, supervisor, _, payment = published
    as_supervisor = httpx.Client(base_url=ledger.base_url, headers=bearer(supervisor), timeout=30)
    first = as_supervisor.post("/log/checkpoints")
    assert first.status_code == 200, first.text
    assert as_supervisor.post("/log/checkpoints").json()["tree_size"] == first.json()["tree_size"], "nothing new"

    made = xinyi(tmp_path, supervisor, "witness", "keygen", "--name", f"supervisor-{code}")
    assert made.returncode == 0, made.stdout + made.stderr
    registered = xinyi(tmp_path, supervisor, "witness", "register", "--estate", code)
    assert registered.returncode == 0, registered.stdout + registered.stderr
    cosigned = xinyi(tmp_path, supervisor, "witness", "cosign", "--estate", code)
    assert cosigned.returncode == 0, cosigned.stdout + cosigned.stderr
    latest = as_supervisor.get("/log/checkpoints/latest").json()
    assert latest["cosigned"] is True and latest["note"].count("\n— ") == 2
    witness_key = as_supervisor.get("/log/key").json()["witness_keys"][0]["witness_key"]
    bundle = as_supervisor.get(f"/log/entries/{payment}/proof").json()
    log_key = as_supervisor.get("/log/key").json()["log_key"]
    assert verify_bundle(bundle, log_key=log_key, witness_keys=[witness_key], require_witness=True).ok

    # More entries and a second checkpoint: the witness checks it extends the first, and cosigns.
    income = ledger.post(
        "/common-income",
        json={"kind": "parking", "amount_fen": 12_000, "received_on": estate_today().isoformat()},
        headers={"Idempotency-Key": f"inc-{uuid.uuid4()}"},
    )
    assert income.status_code == 201, income.text
    settled_balances(ledger)
    second = as_supervisor.post("/log/checkpoints").json()
    assert second["tree_size"] > first.json()["tree_size"]
    again = xinyi(tmp_path, supervisor, "witness", "cosign", "--estate", code)
    assert again.returncode == 0, again.stdout + again.stderr

    # A rogue administrator edits a logged entry in PostgreSQL: the next checkpoint names it.
    rogue_sql(
        code,
        "postings",
        "UPDATE postings SET amount_fen = amount_fen * 10 WHERE estate_code = %s AND transaction_id = %s",
        (code, payment),
    )
    refused = as_supervisor.post("/log/checkpoints")
    assert refused.status_code == 409, refused.text
    assert "no longer matches" in refused.json()["reason"] and "#" in refused.json()["reason"]
    assert as_supervisor.get(f"/log/entries/{payment}/proof").status_code == 409

    # ... and rewrites the log to fit, re-signing with the key it can read: the witness refuses.
    with connect("ledger", "owner") as connection:
        connection.execute("SELECT set_config('xinyi.estate', %s, true)", (code,))
        signer_key, size = connection.execute(
            "SELECT k.signer_key, c.tree_size FROM log_keys k JOIN checkpoints c USING (estate_code) "
            "WHERE estate_code = %s ORDER BY c.tree_size DESC LIMIT 1",
            (code,),
        ).fetchone()
    forged_root = os.urandom(32)
    origin = checkpoint_of(second["note"]).origin
    forged = sign_checkpoint(Checkpoint(origin, size + 1, forged_root), parse_signer_key(signer_key))
    rogue_sql(
        code,
        "checkpoints",
        "INSERT INTO checkpoints (estate_code, tree_size, period, note, root_hash) VALUES (%s, %s, %s, %s, %s)",
        (code, size + 1, PERIOD, forged, forged_root),
    )
    refusal = xinyi(tmp_path, supervisor, "witness", "cosign", "--estate", code)
    assert refusal.returncode == 1, refusal.stdout + refusal.stderr
    assert "consisten" in (refusal.stdout + refusal.stderr).lower()
    assert as_supervisor.get("/log/checkpoints/latest").json()["cosigned"] is False
