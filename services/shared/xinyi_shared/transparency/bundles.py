"""The proof bundles the ledger serves and `xinyi verify` checks offline (JSON objects).

`xinyi-inclusion/v1` — one entry, the checkpoint it is proven in, and optionally the proof that an
older checkpoint is a prefix of that one::

    {"format": "xinyi-inclusion/v1", "checkpoint": "<signed note>", "entry": {<leaf JSON object>},
     "leaf_index": 41, "tree_size": 50, "leaf_hash": "<base64>", "inclusion_proof": ["<base64>", ...],
     "consistency": {"from_checkpoint": "<older signed note>", "proof": ["<base64>", ...]}}

`leaf_hash` is optional (it lets the verifier tell an altered entry from a wrong proof);
`consistency` is optional.

`xinyi-consistency/v1` — two checkpoints of one log and the proof the older is a prefix of the newer::

    {"format": "xinyi-consistency/v1", "old": "<signed note>", "new": "<signed note>", "proof": [...]}
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from xinyi_shared.transparency.checkpoint import checkpoint_of, decode_hash
from xinyi_shared.transparency.entries import LedgerEntry, entry_leaf_hash
from xinyi_shared.transparency.merkle import MerkleTree

INCLUSION_FORMAT = "xinyi-inclusion/v1"
CONSISTENCY_FORMAT = "xinyi-consistency/v1"


def encode_proof(proof: Sequence[bytes]) -> list[str]:
    """A proof as JSON: its hashes in standard base64, from the leaf up."""
    return [base64.b64encode(element).decode("ascii") for element in proof]


def decode_proof(value: object, what: str = "proof") -> list[bytes]:
    """A JSON proof back to hashes; ValueError when it is not a list of base64 32-byte hashes."""
    if not isinstance(value, list):
        raise ValueError(f"the {what} is not a list")
    hashes: list[bytes] = []
    for position, element in enumerate(value):
        if not isinstance(element, str):
            raise ValueError(f"element {position} of the {what} is not text")
        hashes.append(decode_hash(element, f"element {position} of the {what}"))
    return hashes


def inclusion_bundle(
    *,
    checkpoint_note: str,
    entry: LedgerEntry,
    leaf_index: int,
    tree: MerkleTree,
    from_checkpoint_note: str | None = None,
) -> dict[str, Any]:
    """The `xinyi-inclusion/v1` bundle for `entry`, leaf `leaf_index` of `tree`, in the checkpoint note.

    `tree` holds at least the checkpoint's leaves. With `from_checkpoint_note` (an older checkpoint the
    reader holds) the bundle proves that one a prefix of this one. Refuses (ValueError) to build a bundle
    that would not verify: the tree's root at the checkpoint's size or its leaf differs.
    """
    checkpoint = checkpoint_of(checkpoint_note)
    if tree.size < checkpoint.size or tree.root(checkpoint.size) != checkpoint.root_hash:
        raise ValueError(f"the tree does not have the checkpoint's root at size {checkpoint.size}")
    leaf = entry_leaf_hash(entry)
    if not 0 <= leaf_index < checkpoint.size or tree.leaf(leaf_index) != leaf:
        raise ValueError(f"leaf {leaf_index} of the tree is not this entry's leaf")
    bundle: dict[str, Any] = {
        "format": INCLUSION_FORMAT,
        "checkpoint": checkpoint_note,
        "entry": entry.to_json(),
        "leaf_index": leaf_index,
        "tree_size": checkpoint.size,
        "leaf_hash": base64.b64encode(leaf).decode("ascii"),
        "inclusion_proof": encode_proof(tree.inclusion_proof(leaf_index, checkpoint.size)),
    }
    if from_checkpoint_note is not None:
        older = checkpoint_of(from_checkpoint_note)
        if older.size > checkpoint.size or tree.root(older.size) != older.root_hash:
            raise ValueError(f"the older checkpoint (size {older.size}) is not a prefix of this tree")
        bundle["consistency"] = {
            "from_checkpoint": from_checkpoint_note,
            "proof": encode_proof(tree.consistency_proof(older.size, checkpoint.size)),
        }
    return bundle


def consistency_bundle(*, old_note: str, new_note: str, tree: MerkleTree) -> dict[str, Any]:
    """The `xinyi-consistency/v1` bundle proving the checkpoint `old_note` a prefix of `new_note`."""
    old, new = checkpoint_of(old_note), checkpoint_of(new_note)
    if not old.size <= new.size <= tree.size:
        raise ValueError(f"sizes {old.size} ≤ {new.size} ≤ {tree.size} do not hold")
    for checkpoint in (old, new):
        if tree.root(checkpoint.size) != checkpoint.root_hash:
            raise ValueError(f"the tree does not have the checkpoint's root at size {checkpoint.size}")
    return {
        "format": CONSISTENCY_FORMAT,
        "old": old_note,
        "new": new_note,
        "proof": encode_proof(tree.consistency_proof(old.size, new.size)),
    }
