"""Write src/verify/fixture.json: bundles built by the Python transparency code, for the browser's verifier.

Run once from the repository root (`.venv/bin/python web/scripts/make-verify-fixture.py`) and commit the
output; the entries are those of services/shared/tests/test_transparency_verify.py, with fixed key seeds so
that the file is the same on every run (Ed25519 signatures are deterministic).
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from xinyi_shared.transparency.bundles import inclusion_bundle
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
from xinyi_shared.transparency.note import COSIGNATURE_V1, Signer, add_signature_line
from xinyi_shared.transparency.verify import verify_bundle

ESTATE = "jinhe-lvzhou"
ORIGIN = estate_log_origin("ledger.xinyi.example", ESTATE)
HOUSEHOLDS = [bytes([n]) * 32 for n in range(1, 6)]
START = datetime(2026, 1, 1, tzinfo=UTC)
OUT = Path(__file__).resolve().parent.parent / "src" / "verify" / "fixture.json"


def make_entry(seq: int) -> LedgerEntry:
    transaction = str(uuid.UUID(int=seq + 1))
    household = HOUSEHOLDS[seq % len(HOUSEHOLDS)]
    return LedgerEntry(
        estate=ESTATE,
        seq=seq,
        transaction_id=transaction,
        period=f"2026-{seq % 12 + 1:02d}",
        kind="fee" if seq != 7 else "物业费",  # one non-ASCII kind: canonical JSON keeps it as UTF-8
        posted_at=START + timedelta(hours=seq, microseconds=seq),
        lines=(
            EntryLine(1, "1100", 1000 + seq, household_commitment(household, transaction, 1)),
            EntryLine(2, "4000", -(1000 + seq)),
        ),
    )


def main() -> None:
    entries = [make_entry(seq) for seq in range(30)]
    tree = MerkleTree([entry_leaf_hash(entry) for entry in entries])
    log = Signer.from_seed(ORIGIN, bytes(range(32)))
    witness = Signer.from_seed("supervisor.jinhe-lvzhou/witness", bytes(range(32, 64)), COSIGNATURE_V1)

    def checkpoint(size: int, cosigned: bool) -> str:
        note = sign_checkpoint(Checkpoint(ORIGIN, size, tree.root(size)), log)
        return add_signature_line(note, cosign(note, witness, 1_767_225_600 + size)) if cosigned else note

    cases = []
    for index, size, older in ((7, 30, 12), (0, 1, None), (29, 30, None), (12, 13, 12)):
        bundle = inclusion_bundle(
            checkpoint_note=checkpoint(size, True),
            entry=entries[index],
            leaf_index=index,
            tree=tree,
            from_checkpoint_note=None if older is None else checkpoint(older, False),
        )
        opening = HOUSEHOLDS[index % len(HOUSEHOLDS)]
        verdict = verify_bundle(bundle, log_key=log.vkey, opening=opening)
        assert verdict.ok, verdict.reasons
        cases.append(
            {
                "bundle": bundle,
                "opening": encode_opening(opening),
                "other_opening": encode_opening(HOUSEHOLDS[(index + 1) % len(HOUSEHOLDS)]),
                "leaf_bytes": entry_leaf_bytes(entries[index]).decode("utf-8"),
                "leaf_hash": base64.b64encode(entry_leaf_hash(entries[index])).decode("ascii"),
                "household_lines": [line.line for line in verdict.household_lines],
            }
        )
    fixture = {
        "generated_by": "web/scripts/make-verify-fixture.py",
        "log_key": log.vkey,
        "witness_key": witness.verifier.vkey,
        "cases": cases,
    }
    OUT.write_text(json.dumps(fixture, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
