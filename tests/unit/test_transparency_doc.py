"""docs/transparency.md's worked example is what the library produces: every value it shows (keys, leaf,
hashes, proofs, notes, cosignature, bundle) is rebuilt here from the same fixed seeds and looked up in it."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tests.harness import REPO_DIR
from xinyi_shared.transparency.bundles import consistency_bundle, inclusion_bundle
from xinyi_shared.transparency.checkpoint import Checkpoint, cosign, estate_log_origin, sign_checkpoint
from xinyi_shared.transparency.entries import (
    EntryLine,
    LedgerEntry,
    encode_opening,
    entry_leaf_bytes,
    entry_leaf_hash,
    household_commitment,
)
from xinyi_shared.transparency.merkle import MerkleTree
from xinyi_shared.transparency.note import (
    COSIGNATURE_V1,
    ED25519,
    Signer,
    add_signature_line,
    cosignature_message,
    split_note,
)

DOC = REPO_DIR / "docs" / "transparency.md"
COSIGNED_AT = int(datetime(2026, 12, 1, 1, 0, tzinfo=UTC).timestamp())


def seed(label: str) -> bytes:
    return hashlib.sha256(f"xinyi worked example: {label}".encode()).digest()


@dataclass(frozen=True)
class WorkedExample:
    log: Signer
    witness: Signer
    household_secret: bytes
    entries: list[LedgerEntry]
    tree: MerkleTree
    old_note: str
    note: str
    cosignature_line: str
    bundle: dict[str, Any]
    consistency: dict[str, Any]


def worked_example() -> WorkedExample:
    origin = estate_log_origin("ledger.xinyi.example", "jinhe-lvzhou")
    log = Signer.from_seed(origin, seed("log"), ED25519)
    witness = Signer.from_seed("supervisor.jinhe-lvzhou/zhang", seed("witness"), COSIGNATURE_V1)
    household = seed("household 3-2-1502")
    ids = [str(uuid.UUID(bytes=seed(f"transaction {n}")[:16], version=4)) for n in (1, 2, 3)]
    entries = [
        LedgerEntry(
            "jinhe-lvzhou", 1, ids[0], "2026-11", "fee", datetime(2026, 11, 1, 0, 0, 5, 120000, tzinfo=UTC),
            (EntryLine(1, "1100", 31500, household_commitment(household, ids[0], 1)), EntryLine(2, "4000", -31500)),
        ),
        LedgerEntry(
            "jinhe-lvzhou", 2, ids[1], "2026-11", "payment", datetime(2026, 11, 29, 22, 55, 50, 123456, tzinfo=UTC),
            (EntryLine(1, "1000", 31500), EntryLine(2, "1100", -31500, household_commitment(household, ids[1], 2))),
        ),
        LedgerEntry(
            "jinhe-lvzhou", 3, ids[2], "2026-11", "expense", datetime(2026, 11, 30, 9, 0, 0, 0, tzinfo=UTC),
            (EntryLine(1, "5100", 80000), EntryLine(2, "2300", -80000)),
        ),
    ]  # fmt: skip
    tree = MerkleTree([entry_leaf_hash(entry) for entry in entries])
    old_note = sign_checkpoint(Checkpoint(origin, 2, tree.root(2)), log)
    signed = sign_checkpoint(Checkpoint(origin, 3, tree.root(3)), log)
    line = cosign(signed, witness, COSIGNED_AT)
    note = add_signature_line(signed, line)
    bundle = inclusion_bundle(
        checkpoint_note=note, entry=entries[1], leaf_index=1, tree=tree, from_checkpoint_note=old_note
    )
    consistency = consistency_bundle(old_note=old_note, new_note=note, tree=tree)
    return WorkedExample(log, witness, household, entries, tree, old_note, note, line, bundle, consistency)


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def test_every_value_of_the_worked_example_is_in_the_doc() -> None:
    text = DOC.read_text(encoding="utf-8")
    example = worked_example()
    entry = example.entries[1]
    values = {
        "log signer key": example.log.skey,
        "log verifier key": example.log.vkey,
        "witness signer key": example.witness.skey,
        "witness verifier key": example.witness.vkey,
        "opening": encode_opening(example.household_secret),
        "household commitment": entry.lines[1].household,
        "leaf bytes": entry_leaf_bytes(entry).decode(),
        "leaf hash": entry_leaf_hash(entry).hex(),
        "root": b64(example.tree.root()),
        "older root": b64(example.tree.root(2)),
        "checkpoint note": example.note,
        "older checkpoint note": example.old_note,
        "cosignature line": example.cosignature_line,
        "cosigned message": cosignature_message(split_note(example.note)[0], COSIGNED_AT).decode(),
        "bundle": json.dumps(example.bundle, ensure_ascii=False, indent=2),
        "consistency bundle": json.dumps(example.consistency, ensure_ascii=False, indent=2),
    }  # fmt: skip
    missing = [name for name, value in values.items() if value is None or value not in text]
    assert not missing, f"docs/transparency.md does not show the current {missing}; regenerate the worked example"
