"""The transparency log checked by Go's reference implementation: a log of synthetic ledger entries, three
checkpoints and a witness cosignature made by xinyi_shared.transparency are written to a fixture, and
tests/conformance/tlog_go opens them with golang.org/x/mod/sumdb/note and checks every proof with
golang.org/x/mod/sumdb/tlog (CheckRecord, CheckTree). Skipped only when `go` is not installed."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from xinyi_shared.transparency.bundles import encode_proof
from xinyi_shared.transparency.checkpoint import (
    Checkpoint,
    cosign,
    estate_log_origin,
    generate_witness_key,
    sign_checkpoint,
)
from xinyi_shared.transparency.entries import (
    EntryLine,
    LedgerEntry,
    entry_leaf_bytes,
    household_commitment,
)
from xinyi_shared.transparency.merkle import MerkleTree, leaf_hash
from xinyi_shared.transparency.note import add_signature_line, generate_signer_key, parse_signer_key

GO_MODULE = Path(__file__).resolve().parents[1] / "conformance" / "tlog_go"
ESTATE = "jinhe-lvzhou"
CHECKPOINT_SIZES = (13, 32, 50)  # 32: an old size that is a power of two takes RFC 9162's other branch
COSIGNED = (1, 2)


def synthetic_entries(count: int) -> list[LedgerEntry]:
    households = [bytes([n]) * 32 for n in range(1, 8)]
    started = datetime(2026, 1, 1, 8, tzinfo=UTC)
    entries = []
    for seq in range(1, count + 1):
        transaction = str(uuid.UUID(int=0x5EED0000 + seq))
        amount = 3500 + 17 * seq
        lines = [
            EntryLine(1, "1100", amount, household_commitment(households[seq % 7], transaction, 1)),
            EntryLine(2, "4000", -amount),
        ]
        if seq % 5 == 0:  # a three-line entry with a second household
            lines.append(EntryLine(3, "2000", -1, household_commitment(households[(seq + 1) % 7], transaction, 3)))
            lines.append(EntryLine(4, "1000", 1))
        entries.append(
            LedgerEntry(
                estate=ESTATE,
                seq=seq,
                transaction_id=transaction,
                period=f"2026-{(seq - 1) // 5 + 1:02d}",
                kind="捐赠" if seq % 11 == 0 else "fee",  # non-ASCII text hashed as UTF-8
                posted_at=started + timedelta(days=seq, microseconds=seq * 1001),
                lines=tuple(lines),
            )
        )
    return entries


def build_fixture() -> dict[str, object]:
    entries = synthetic_entries(50)
    leaves = [entry_leaf_bytes(entry) for entry in entries]
    tree = MerkleTree([leaf_hash(data) for data in leaves])
    origin = estate_log_origin("ledger.xinyi.example", ESTATE)
    log = parse_signer_key(generate_signer_key(origin))
    witness = parse_signer_key(generate_witness_key("supervisor.jinhe-lvzhou/witness"))
    notes = []
    for position, size in enumerate(CHECKPOINT_SIZES):
        note = sign_checkpoint(Checkpoint(origin, size, tree.root(size)), log)
        if position in COSIGNED:
            note = add_signature_line(note, cosign(note, witness, 1_767_225_600 + size))
        notes.append(note)
    inclusion = [
        {
            "checkpoint_index": position,
            "leaf_data_b64": base64.b64encode(leaves[index]).decode(),
            "leaf_index": index,
            "proof": encode_proof(tree.inclusion_proof(index, size)),
        }
        for position, size in enumerate(CHECKPOINT_SIZES)
        for index in range(size)
    ]
    consistency = [
        {"old": old, "new": new, "proof": encode_proof(tree.consistency_proof(CHECKPOINT_SIZES[old], size))}
        for new, size in enumerate(CHECKPOINT_SIZES)
        for old in range(new + 1)
    ]
    return {
        "log_key": log.vkey,
        "checkpoints": notes,
        "inclusion": inclusion,
        "consistency": consistency,
        "witness_key": witness.vkey,
    }


def test_go_verifies_our_checkpoints_proofs_and_cosignatures(tmp_path: Path) -> None:
    go = shutil.which("go")
    if go is None:
        pytest.skip("go is not on PATH")
    fixture = tmp_path / "tlog-fixture.json"
    fixture.write_text(json.dumps(build_fixture(), ensure_ascii=False), encoding="utf-8")
    result = subprocess.run(
        [go, "test", "-count=1", "-v", "./..."],
        cwd=GO_MODULE,
        env={**os.environ, "XINYI_TLOG_FIXTURE": str(fixture)},
        capture_output=True,
        text=True,
        timeout=600,  # the first run may download golang.org/x/mod and compile
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "--- SKIP" not in output, output  # every check ran against the fixture
    assert output.count("--- PASS") == 4, output
