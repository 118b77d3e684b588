"""The offline verifier: is this entry in the estate's log, as the log signed it and the witness cosigned it?

Needs nothing but the bundle and the keys the reader trusts (the estate's log key, the supervisors'
witness keys, the household's opening): no network, no account, no database. Every failure is named
in `Verdict.reasons`; the checks go on after a failure so that all of them are reported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from xinyi_shared.transparency.bundles import CONSISTENCY_FORMAT, INCLUSION_FORMAT, decode_proof
from xinyi_shared.transparency.checkpoint import (
    Checkpoint,
    Cosignature,
    checkpoint_of,
    decode_hash,
    estate_of_origin,
    open_checkpoint,
    verify_cosignature,
)
from xinyi_shared.transparency.entries import (
    EntryLine,
    LedgerEntry,
    MalformedEntryError,
    entry_from_json,
    entry_leaf_hash,
    lines_of_household,
)
from xinyi_shared.transparency.merkle import ProofError, RootMismatchError, verify_consistency, verify_inclusion
from xinyi_shared.transparency.note import (
    COSIGNATURE_V1,
    ED25519,
    InvalidSignatureError,
    MalformedKeyError,
    NoteError,
    UnverifiedNoteError,
    Verifier,
    parse_verifier_key,
)


@dataclass
class Verdict:
    """The outcome: `ok` only when `reasons` is empty. `checked` says what verified, `warnings` what
    was not required and is missing; the parsed pieces are kept for display."""

    ok: bool = False
    reasons: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    checkpoint: Checkpoint | None = None
    previous_checkpoint: Checkpoint | None = None
    entry: LedgerEntry | None = None
    leaf_index: int | None = None
    household_lines: tuple[EntryLine, ...] = ()
    cosignatures: list[Cosignature] = field(default_factory=list)

    def fail(self, reason: str) -> None:
        self.reasons.append(reason)

    def done(self) -> Verdict:
        self.ok = not self.reasons
        return self


def log_verifier(log_key: Verifier | str) -> Verifier:
    """The log's key from its verifier key text; MalformedKeyError when it is not an Ed25519 note key."""
    verifier = parse_verifier_key(log_key) if isinstance(log_key, str) else log_key
    if verifier.signature_type != ED25519:
        raise MalformedKeyError(f"{verifier.label} is not a log key (signature type 0x01)")
    return verifier


def witness_verifier(witness_key: Verifier | str) -> Verifier:
    """A witness's key from its verifier key text; MalformedKeyError when it is not a cosignature/v1 key."""
    verifier = parse_verifier_key(witness_key) if isinstance(witness_key, str) else witness_key
    if verifier.signature_type != COSIGNATURE_V1:
        raise MalformedKeyError(f"{verifier.label} is not a witness key (signature type 0x04)")
    return verifier


def format_timestamp(timestamp: int) -> str:
    """POSIX seconds as `2026-11-30 08:00:00 UTC` (the number itself when out of the calendar's range)."""
    try:
        return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return str(timestamp)


def _integer(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _checkpoint(verdict: Verdict, note: object, log: Verifier, what: str) -> tuple[Checkpoint | None, bool]:
    """The checkpoint in `note` and whether the log's signature on it verified. An unverified but readable
    checkpoint is still returned so that the proofs are checked (and their failures named) too."""
    if not isinstance(note, str):
        verdict.fail(f"the {what} is not a signed note")
        return None, False
    try:
        return open_checkpoint(note, log), True
    except InvalidSignatureError:
        verdict.fail(f"{what} signature does not verify with key {log.label}")
    except NoteError as error:
        verdict.fail(f"{what} signature does not verify with key {log.label}: {error}")
    try:
        return checkpoint_of(note), False
    except NoteError:
        return None, False


def verify_bundle(
    bundle: Mapping[str, Any],
    *,
    log_key: Verifier | str,
    witness_keys: Sequence[Verifier | str] = (),
    opening: bytes | None = None,
    require_witness: bool = False,
) -> Verdict:
    """Check a `xinyi-inclusion/v1` bundle against the trusted keys.

    Verified means: the checkpoint is signed by `log_key` and names that log; the entry is well formed,
    of the log's estate, and hashes to leaf `leaf_index` of the tree the checkpoint signs; with an
    `opening`, at least one line of the entry is the household's; with `consistency`, the older
    checkpoint (also signed by the log) is a prefix of this one; with `require_witness`, at least one
    of `witness_keys` cosigned the checkpoint. Malformed keys (the caller's input) raise MalformedKeyError.
    """
    log = log_verifier(log_key)
    witnesses = [witness_verifier(key) for key in witness_keys]
    if require_witness and not witnesses:
        raise ValueError("requiring a witness needs at least one witness key")
    verdict = Verdict()
    if not isinstance(bundle, Mapping) or bundle.get("format") != INCLUSION_FORMAT:
        found = bundle.get("format") if isinstance(bundle, Mapping) else type(bundle).__name__
        verdict.fail(f"the bundle's format is {found!r}, not {INCLUSION_FORMAT!r}")
        return verdict.done()

    checkpoint, signed = _checkpoint(verdict, bundle.get("checkpoint"), log, "checkpoint")
    verdict.checkpoint = checkpoint
    if checkpoint is not None and signed:
        verdict.checked.append(f"checkpoint of {checkpoint.origin} at size {checkpoint.size} signed by {log.label}")

    entry: LedgerEntry | None = None
    try:
        entry = entry_from_json(bundle.get("entry"))
    except MalformedEntryError as error:
        verdict.fail(f"the entry is malformed: {error}")
    verdict.entry = entry
    if entry is not None and checkpoint is not None and estate_of_origin(checkpoint.origin) != entry.estate:
        verdict.fail(f"the entry is of estate {entry.estate!r}, the checkpoint is of the log {checkpoint.origin!r}")

    leaf_index, tree_size = _integer(bundle.get("leaf_index")), _integer(bundle.get("tree_size"))
    if leaf_index is None or tree_size is None:
        verdict.fail("leaf_index and tree_size must be integers")
    elif checkpoint is not None and tree_size != checkpoint.size:
        verdict.fail(f"the bundle's tree size {tree_size} is not the checkpoint's size {checkpoint.size}")
    verdict.leaf_index = leaf_index

    proof: list[bytes] | None = None
    try:
        proof = decode_proof(bundle.get("inclusion_proof"), "inclusion proof")
    except ValueError as error:
        verdict.fail(str(error))

    if entry is not None and checkpoint is not None and leaf_index is not None and proof is not None:
        _check_inclusion(verdict, bundle, entry, leaf_index, checkpoint, proof)

    if opening is not None and entry is not None:
        verdict.household_lines = lines_of_household(entry, opening)
        if verdict.household_lines:
            numbers = ", ".join(str(line.line) for line in verdict.household_lines)
            verdict.checked.append(f"line {numbers} of the entry belongs to the household")
        else:
            verdict.fail("no line of this entry belongs to the household")

    if "consistency" in bundle and checkpoint is not None:
        _check_consistency(verdict, bundle["consistency"], checkpoint, log)

    if witnesses and checkpoint is not None:
        _check_witnesses(verdict, bundle["checkpoint"], witnesses, require_witness)
    return verdict.done()


def _check_inclusion(
    verdict: Verdict,
    bundle: Mapping[str, Any],
    entry: LedgerEntry,
    leaf_index: int,
    checkpoint: Checkpoint,
    proof: list[bytes],
) -> None:
    leaf = entry_leaf_hash(entry)
    claimed = bundle.get("leaf_hash")
    if claimed is not None:
        try:
            claimed_leaf = decode_hash(claimed if isinstance(claimed, str) else "", "leaf hash")
        except ValueError as error:
            verdict.fail(str(error))
            return
        if claimed_leaf != leaf:
            verdict.fail("entry does not hash to the leaf of the inclusion proof")
        leaf = claimed_leaf  # check the proof on its own: is that leaf in the log?
    try:
        verify_inclusion(leaf, leaf_index, checkpoint.size, proof, checkpoint.root_hash)
    except RootMismatchError:
        if claimed is None:
            verdict.fail("the entry and its inclusion proof do not lead to the checkpoint's root")
        else:
            verdict.fail("inclusion proof does not lead to the checkpoint's root")
    except ProofError as error:
        verdict.fail(f"inclusion proof is invalid: {error}")
    else:
        if claimed is None or leaf == entry_leaf_hash(entry):
            verdict.checked.append(f"the entry is leaf {leaf_index} of the log at size {checkpoint.size}")


def _check_consistency(verdict: Verdict, section: object, checkpoint: Checkpoint, log: Verifier) -> None:
    if not isinstance(section, Mapping):
        verdict.fail("the consistency section is not an object")
        return
    older, signed = _checkpoint(verdict, section.get("from_checkpoint"), log, "older checkpoint")
    verdict.previous_checkpoint = older
    try:
        proof = decode_proof(section.get("proof"), "consistency proof")
    except ValueError as error:
        verdict.fail(str(error))
        return
    if older is None:
        return
    if older.origin != checkpoint.origin:
        verdict.fail(f"the older checkpoint is of the log {older.origin!r}, not {checkpoint.origin!r}")
        return
    try:
        verify_consistency(older.size, checkpoint.size, older.root_hash, checkpoint.root_hash, proof)
    except ProofError as error:
        verdict.fail(f"consistency proof from checkpoint size {older.size} to {checkpoint.size} fails: {error}")
        return
    if signed:
        verdict.checked.append(
            f"the older checkpoint (size {older.size}, root {older.root_base64}) is a prefix of this one"
        )


def _check_witnesses(verdict: Verdict, note: str, witnesses: list[Verifier], require_witness: bool) -> None:
    missing: list[Verifier] = []
    for witness in witnesses:
        try:
            cosignature = verify_cosignature(note, witness)
        except UnverifiedNoteError:
            missing.append(witness)
            continue
        except NoteError as error:
            verdict.fail(str(error))
            continue
        verdict.cosignatures.append(cosignature)
        verdict.checked.append(f"co-signed by the witness {witness.label} at {format_timestamp(cosignature.timestamp)}")
    if verdict.cosignatures:
        return
    labels = ", ".join(witness.label for witness in missing)
    if require_witness:
        verdict.fail(f"not co-signed by the witness ({labels})")
    elif missing:
        verdict.warnings.append(f"not co-signed by the witness ({labels})")


def verify_consistency_bundle(bundle: Mapping[str, Any], *, log_key: Verifier | str) -> Verdict:
    """Check a `xinyi-consistency/v1` bundle: both checkpoints signed by the log, the old a prefix of the new."""
    log = log_verifier(log_key)
    verdict = Verdict()
    if not isinstance(bundle, Mapping) or bundle.get("format") != CONSISTENCY_FORMAT:
        found = bundle.get("format") if isinstance(bundle, Mapping) else type(bundle).__name__
        verdict.fail(f"the bundle's format is {found!r}, not {CONSISTENCY_FORMAT!r}")
        return verdict.done()
    old, old_signed = _checkpoint(verdict, bundle.get("old"), log, "old checkpoint")
    new, new_signed = _checkpoint(verdict, bundle.get("new"), log, "new checkpoint")
    verdict.previous_checkpoint, verdict.checkpoint = old, new
    try:
        proof = decode_proof(bundle.get("proof"), "consistency proof")
    except ValueError as error:
        verdict.fail(str(error))
        return verdict.done()
    if old is None or new is None:
        return verdict.done()
    if old.origin != new.origin:
        verdict.fail(f"the checkpoints are of two logs: {old.origin!r} and {new.origin!r}")
        return verdict.done()
    if old_signed and new_signed:
        verdict.checked.append(f"both checkpoints of {new.origin} signed by {log.label}")
    try:
        verify_consistency(old.size, new.size, old.root_hash, new.root_hash, proof)
    except ProofError as error:
        verdict.fail(f"consistency proof from checkpoint size {old.size} to {new.size} fails: {error}")
    else:
        verdict.checked.append(f"the checkpoint of size {old.size} is a prefix of the checkpoint of size {new.size}")
    return verdict.done()
