"""The offline verifier against bundles built the way the ledger builds them: a good bundle verifies, and
each kind of tampering is refused with its own reason."""

from __future__ import annotations

import base64
import copy
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from xinyi_shared.transparency.bundles import (
    CONSISTENCY_FORMAT,
    INCLUSION_FORMAT,
    consistency_bundle,
    decode_proof,
    encode_proof,
    inclusion_bundle,
)
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
    entry_leaf_hash,
    household_commitment,
)
from xinyi_shared.transparency.merkle import MerkleTree
from xinyi_shared.transparency.note import (
    MalformedKeyError,
    Signer,
    add_signature_line,
    generate_signer_key,
    parse_signer_key,
)
from xinyi_shared.transparency.verify import Verdict, verify_bundle, verify_consistency_bundle

ESTATE = "jinhe-lvzhou"
ORIGIN = estate_log_origin("ledger.xinyi.example", ESTATE)
HOUSEHOLDS = [bytes([n]) * 32 for n in range(1, 6)]
START = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class Log:
    entries: list[LedgerEntry]
    tree: MerkleTree
    log: Signer
    witness: Signer

    def checkpoint(self, size: int, *, cosigned: bool = True) -> str:
        note = sign_checkpoint(Checkpoint(ORIGIN, size, self.tree.root(size)), self.log)
        if cosigned:
            note = add_signature_line(note, cosign(note, self.witness, 1_767_225_600 + size))
        return note


def make_entry(seq: int, estate: str = ESTATE) -> LedgerEntry:
    transaction = str(uuid.UUID(int=seq + 1))
    household = HOUSEHOLDS[seq % len(HOUSEHOLDS)]
    return LedgerEntry(
        estate=estate,
        seq=seq,
        transaction_id=transaction,
        period=f"2026-{seq % 12 + 1:02d}",
        kind="fee",
        posted_at=START + timedelta(hours=seq, microseconds=seq),
        lines=(
            EntryLine(1, "1100", 1000 + seq, household_commitment(household, transaction, 1)),
            EntryLine(2, "4000", -(1000 + seq)),
        ),
    )


@pytest.fixture(scope="module")
def log() -> Log:
    entries = [make_entry(seq) for seq in range(30)]
    return Log(
        entries=entries,
        tree=MerkleTree([entry_leaf_hash(entry) for entry in entries]),
        log=parse_signer_key(generate_signer_key(ORIGIN)),
        witness=parse_signer_key(generate_witness_key("supervisor.jinhe-lvzhou/witness")),
    )


def bundle_for(log: Log, index: int = 7, size: int = 30, older: int | None = None) -> dict[str, Any]:
    return inclusion_bundle(
        checkpoint_note=log.checkpoint(size),
        entry=log.entries[index],
        leaf_index=index,
        tree=log.tree,
        from_checkpoint_note=None if older is None else log.checkpoint(older, cosigned=False),
    )


def test_the_bundle_format(log: Log) -> None:
    bundle = bundle_for(log, older=12)
    assert set(bundle) == {
        "format",
        "checkpoint",
        "entry",
        "leaf_index",
        "tree_size",
        "leaf_hash",
        "inclusion_proof",
        "consistency",
    }
    assert bundle["format"] == INCLUSION_FORMAT
    assert (bundle["leaf_index"], bundle["tree_size"]) == (7, 30)
    assert decode_proof(bundle["inclusion_proof"]) == log.tree.inclusion_proof(7, 30)
    assert set(bundle["consistency"]) == {"from_checkpoint", "proof"}


def test_a_good_bundle_verifies(log: Log) -> None:
    verdict = verify(log, bundle_for(log, older=12), opening=HOUSEHOLDS[7 % 5], require_witness=True)
    assert verdict.ok, verdict.reasons
    assert verdict.reasons == []
    assert [line.line for line in verdict.household_lines] == [1]
    assert verdict.cosignatures[0].timestamp == 1_767_225_630
    assert verdict.previous_checkpoint is not None and verdict.previous_checkpoint.size == 12
    assert any("prefix" in check for check in verdict.checked)


def test_every_leaf_of_every_size_verifies(log: Log) -> None:
    for size in (1, 2, 16, 17, 30):
        for index in range(size):
            assert verify(log, bundle_for(log, index, size)).ok


def test_without_leaf_hash_the_bundle_still_verifies(log: Log) -> None:
    bundle = bundle_for(log)
    del bundle["leaf_hash"]
    assert verify(log, bundle).ok


def verify(log: Log, bundle: dict[str, Any], **options: Any) -> Verdict:
    options.setdefault("witness_keys", [log.witness.vkey])
    return verify_bundle(bundle, log_key=log.log.vkey, **options)


def test_a_changed_amount_is_an_entry_that_does_not_hash_to_its_leaf(log: Log) -> None:
    bundle = bundle_for(log)
    bundle["entry"]["lines"][0]["amount_fen"] += 100
    bundle["entry"]["lines"][1]["amount_fen"] -= 100
    verdict = verify(log, bundle)
    assert not verdict.ok
    assert verdict.reasons == ["entry does not hash to the leaf of the inclusion proof"]
    del bundle["leaf_hash"]
    assert verify(log, bundle).reasons == ["the entry and its inclusion proof do not lead to the checkpoint's root"]


def test_a_changed_proof_does_not_lead_to_the_root(log: Log) -> None:
    bundle = bundle_for(log)
    first = bytearray(base64.b64decode(bundle["inclusion_proof"][0]))
    first[0] ^= 1
    bundle["inclusion_proof"][0] = base64.b64encode(bytes(first)).decode()
    assert verify(log, bundle).reasons == ["inclusion proof does not lead to the checkpoint's root"]
    bundle["inclusion_proof"] = bundle["inclusion_proof"][:-1]
    assert verify(log, bundle).reasons[0].startswith("inclusion proof is invalid:")


def test_another_entry_at_the_index_is_refused(log: Log) -> None:
    bundle = bundle_for(log)
    bundle["entry"] = log.entries[8].to_json()
    verdict = verify(log, bundle)
    assert "entry does not hash to the leaf of the inclusion proof" in verdict.reasons


def test_the_wrong_log_key_is_named(log: Log) -> None:
    other = parse_signer_key(generate_signer_key(ORIGIN))
    verdict = verify_bundle(bundle_for(log), log_key=other.vkey)
    assert not verdict.ok
    assert len(verdict.reasons) == 1
    assert verdict.reasons[0].startswith(f"checkpoint signature does not verify with key {other.verifier.label}")


def test_a_forged_checkpoint_is_refused_and_its_proof_checked_too(log: Log) -> None:
    bundle = bundle_for(log)
    bundle["checkpoint"] = bundle["checkpoint"].replace("\n30\n", "\n31\n", 1)
    reasons = verify(log, bundle).reasons
    assert reasons[0].startswith("checkpoint signature does not verify")
    assert "the bundle's tree size 30 is not the checkpoint's size 31" in reasons


def test_a_wrong_opening_owns_no_line(log: Log) -> None:
    verdict = verify(log, bundle_for(log), opening=HOUSEHOLDS[0])  # entry 7 is household 7 % 5 = 2
    assert verdict.reasons == ["no line of this entry belongs to the household"]


def test_the_witness_is_required_only_when_asked(log: Log) -> None:
    bundle = bundle_for(log)
    bundle["checkpoint"] = log.checkpoint(30, cosigned=False)
    relaxed = verify(log, bundle)
    assert relaxed.ok and relaxed.warnings and "not co-signed by the witness" in relaxed.warnings[0]
    strict = verify(log, bundle, require_witness=True)
    assert not strict.ok
    assert strict.reasons[0].startswith("not co-signed by the witness")
    with pytest.raises(ValueError, match="witness key"):
        verify(log, bundle, witness_keys=[], require_witness=True)


def test_another_witness_does_not_count(log: Log) -> None:
    stranger = parse_signer_key(generate_witness_key("someone.else/witness"))
    verdict = verify(log, bundle_for(log), witness_keys=[stranger.vkey], require_witness=True)
    assert verdict.reasons == [f"not co-signed by the witness ({stranger.verifier.label})"]


def test_an_entry_of_another_estate_is_refused(log: Log) -> None:
    foreign = make_entry(7, estate="tianfu-yuan")
    entries = [*log.entries[:7], foreign, *log.entries[8:]]
    tree = MerkleTree([entry_leaf_hash(entry) for entry in entries])
    note = sign_checkpoint(Checkpoint(ORIGIN, 30, tree.root()), log.log)
    bundle = inclusion_bundle(checkpoint_note=note, entry=foreign, leaf_index=7, tree=tree)
    reasons = verify(log, bundle, witness_keys=[]).reasons
    assert reasons == [f"the entry is of estate 'tianfu-yuan', the checkpoint is of the log '{ORIGIN}'"]


def test_a_rewritten_history_fails_the_consistency_proof(log: Log) -> None:
    # The log signed size 12; later it rewrote entry 3 and signed size 30 over the new history.
    rewritten = [*log.entries[:3], make_entry(103), *log.entries[4:]]
    tree = MerkleTree([entry_leaf_hash(entry) for entry in rewritten])
    new_note = sign_checkpoint(Checkpoint(ORIGIN, 30, tree.root()), log.log)
    bundle = inclusion_bundle(checkpoint_note=new_note, entry=rewritten[20], leaf_index=20, tree=tree)
    bundle["consistency"] = {
        "from_checkpoint": log.checkpoint(12, cosigned=False),
        "proof": encode_proof(tree.consistency_proof(12, 30)),
    }
    verdict = verify(log, bundle, witness_keys=[])
    assert len(verdict.reasons) == 1
    assert verdict.reasons[0].startswith("consistency proof from checkpoint size 12 to 30 fails")


def test_malformed_bundles_are_named(log: Log) -> None:
    assert verify(log, {"format": "other"}).reasons == ["the bundle's format is 'other', not 'xinyi-inclusion/v1'"]
    bundle = bundle_for(log)
    broken = copy.deepcopy(bundle)
    broken["entry"]["surprise"] = 1
    assert verify(log, broken).reasons[0].startswith("the entry is malformed")
    broken = copy.deepcopy(bundle)
    broken["leaf_index"] = "7"
    assert "leaf_index and tree_size must be integers" in verify(log, broken).reasons
    broken = copy.deepcopy(bundle)
    broken["inclusion_proof"] = ["not base64!"]
    assert verify(log, broken).reasons[0].startswith("the element 0 of the inclusion proof is not")


def test_bad_keys_are_the_callers_error(log: Log) -> None:
    with pytest.raises(MalformedKeyError):
        verify_bundle(bundle_for(log), log_key="nonsense")
    with pytest.raises(MalformedKeyError, match="not a log key"):
        verify_bundle(bundle_for(log), log_key=log.witness.vkey)
    with pytest.raises(MalformedKeyError, match="not a witness key"):
        verify_bundle(bundle_for(log), log_key=log.log.vkey, witness_keys=[log.log.vkey])


def test_the_ledger_cannot_build_a_bundle_that_would_not_verify(log: Log) -> None:
    with pytest.raises(ValueError, match="not this entry's leaf"):
        inclusion_bundle(checkpoint_note=log.checkpoint(30), entry=log.entries[8], leaf_index=7, tree=log.tree)
    stale = sign_checkpoint(Checkpoint(ORIGIN, 30, log.tree.root(29)), log.log)
    with pytest.raises(ValueError, match="root"):
        inclusion_bundle(checkpoint_note=stale, entry=log.entries[7], leaf_index=7, tree=log.tree)


# ---------------------------------------------------------------- consistency bundles


def test_a_consistency_bundle_verifies(log: Log) -> None:
    bundle = consistency_bundle(old_note=log.checkpoint(12), new_note=log.checkpoint(30), tree=log.tree)
    assert bundle["format"] == CONSISTENCY_FORMAT
    verdict = verify_consistency_bundle(bundle, log_key=log.log.vkey)
    assert verdict.ok, verdict.reasons
    same = consistency_bundle(old_note=log.checkpoint(30), new_note=log.checkpoint(30), tree=log.tree)
    assert verify_consistency_bundle(same, log_key=log.log.vkey).ok


def test_a_consistency_bundle_with_a_wrong_proof_fails(log: Log) -> None:
    bundle = consistency_bundle(old_note=log.checkpoint(12), new_note=log.checkpoint(30), tree=log.tree)
    bundle["proof"] = encode_proof(log.tree.consistency_proof(13, 30))
    verdict = verify_consistency_bundle(bundle, log_key=log.log.vkey)
    assert not verdict.ok
    assert verdict.reasons[0].startswith("consistency proof from checkpoint size 12 to 30 fails")
    other = parse_signer_key(generate_signer_key(ORIGIN))
    refused = verify_consistency_bundle(bundle, log_key=other.vkey)
    assert refused.reasons[0].startswith("old checkpoint signature does not verify with key")
