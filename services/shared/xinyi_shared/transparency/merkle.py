"""RFC 6962 / RFC 9162 Merkle trees: hashing, a tree of leaf hashes with its proofs, and the proof checks.

A leaf hash is SHA-256(0x00 || data), an interior node SHA-256(0x01 || left || right), the root of the
empty tree SHA-256 of nothing. Proofs are lists of 32-byte hashes ordered from the leaf up, as in
RFC 9162 (and Go's `golang.org/x/mod/sumdb/tlog`), so they verify with any conforming implementation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


class ProofError(ValueError):
    """A proof that does not verify, or that cannot be made for the sizes asked; the message says why."""


class RootMismatchError(ProofError):
    """A well-formed proof that leads to another root hash than the one it is checked against."""


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data): the hash of one log entry."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the hash of an interior node."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _largest_power_of_two_below(n: int) -> int:
    """The largest power of two strictly smaller than n (n > 1): RFC 6962's split point k."""
    return 1 << ((n - 1).bit_length() - 1)


def _check_hash(value: bytes, what: str) -> None:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        raise ProofError(f"{what} is not a {HASH_SIZE}-byte hash")


class MerkleTree:
    """The Merkle tree over a sequence of leaf hashes, answering for every prefix of it.

    Level h keeps the hash of every complete subtree of 2**h leaves, so a root or a proof for any
    prefix size is a handful of lookups (a few dozen hashes at most) and building the tree hashes
    each interior node once.
    """

    def __init__(self, leaf_hashes: Sequence[bytes] = ()) -> None:
        leaves = list(leaf_hashes)
        for index, value in enumerate(leaves):
            if not isinstance(value, bytes) or len(value) != HASH_SIZE:
                raise ValueError(f"leaf {index} is not a {HASH_SIZE}-byte hash")
        self._levels: list[list[bytes]] = [leaves]
        below = leaves
        while len(below) > 1:
            level = [node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
            self._levels.append(level)
            below = level

    @property
    def size(self) -> int:
        return len(self._levels[0])

    def __len__(self) -> int:
        return self.size

    def leaf(self, index: int) -> bytes:
        return self._levels[0][index]

    def append(self, leaf: bytes) -> int:
        """Add one leaf hash at the end; returns its index. Only the complete subtrees it closes are hashed."""
        if not isinstance(leaf, bytes) or len(leaf) != HASH_SIZE:
            raise ValueError(f"a leaf is a {HASH_SIZE}-byte hash")
        index = self.size
        self._levels[0].append(leaf)
        level, position = 0, index
        while position & 1:  # this node completes a pair: its parent now exists
            parent = node_hash(self._levels[level][position - 1], self._levels[level][position])
            level, position = level + 1, position >> 1
            if level == len(self._levels):
                self._levels.append([])
            self._levels[level].append(parent)
        return index

    def _check_size(self, size: int) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= self.size:
            raise ProofError(f"tree size {size!r} is not between 0 and {self.size}")

    def _subtree(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for a range the RFC 6962 recursion produces (start a multiple of the left split)."""
        width = end - start
        if width & (width - 1) == 0 and start % width == 0:  # a complete subtree: stored
            return self._levels[width.bit_length() - 1][start // width]
        split = _largest_power_of_two_below(width)
        return node_hash(self._subtree(start, start + split), self._subtree(start + split, end))

    def root(self, size: int | None = None) -> bytes:
        """The root hash of the first `size` leaves (all of them by default)."""
        size = self.size if size is None else size
        self._check_size(size)
        return EMPTY_ROOT if size == 0 else self._subtree(0, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """RFC 6962 PATH(index, D[0:size]): the audit path of leaf `index` in the tree of `size` leaves."""
        size = self.size if size is None else size
        self._check_size(size)
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < size:
            raise ProofError(f"leaf index {index!r} is not below tree size {size}")
        path: list[bytes] = []  # collected from the root down, returned from the leaf up
        start, end = 0, size
        while end - start > 1:
            split = start + _largest_power_of_two_below(end - start)
            if index < split:
                path.append(self._subtree(split, end))
                end = split
            else:
                path.append(self._subtree(start, split))
                start = split
        path.reverse()
        return path

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """RFC 6962 PROOF(old_size, D[0:new_size]); empty when old_size is 0 or equals new_size."""
        new_size = self.size if new_size is None else new_size
        self._check_size(new_size)
        if isinstance(old_size, bool) or not isinstance(old_size, int) or not 0 <= old_size <= new_size:
            raise ProofError(f"old tree size {old_size!r} is not between 0 and {new_size}")
        if old_size in (0, new_size):
            return []
        proof: list[bytes] = []  # SUBPROOF appends on the way back up: collect top-down, reverse
        start, end, whole_old_tree_known = 0, new_size, True
        while True:
            if old_size == end:
                if not whole_old_tree_known:
                    proof.append(self._subtree(start, end))
                break
            split = start + _largest_power_of_two_below(end - start)
            if old_size <= split:
                proof.append(self._subtree(split, end))
                end = split
            else:
                proof.append(self._subtree(start, split))
                start, whole_old_tree_known = split, False
        proof.reverse()
        return proof


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """RFC 9162 §2.1.3.2: raise ProofError unless `proof` shows `leaf` at `index` in the tree `root` of `size`."""
    _check_hash(leaf, "the leaf hash")
    _check_hash(root, "the root hash")
    for position, sibling in enumerate(proof):
        _check_hash(sibling, f"inclusion proof element {position}")
    if isinstance(index, bool) or isinstance(size, bool) or not isinstance(index, int) or not isinstance(size, int):
        raise ProofError("the leaf index and the tree size must be integers")
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not below tree size {size}")
    fn, sn = index, size - 1
    computed = leaf
    for sibling in proof:
        if sn == 0:
            raise ProofError(f"the inclusion proof has {len(proof)} hashes, more than the tree of size {size} needs")
        if fn & 1 or fn == sn:
            computed = node_hash(sibling, computed)
            if not fn & 1:  # the rightmost node of a ragged level: climb to where it is a right child
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            computed = node_hash(computed, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"the inclusion proof has {len(proof)} hashes, fewer than the tree of size {size} needs")
    if computed != root:
        raise RootMismatchError("the inclusion proof does not lead to the root hash")


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> None:
    """RFC 9162 §2.1.4.2: raise ProofError unless `proof` shows the tree (`old_size`, `old_root`) is a prefix
    of (`new_size`, `new_root`).

    Equal sizes need an empty proof and equal roots; the empty tree (size 0, root SHA-256 of nothing) is a
    prefix of every tree, with an empty proof.
    """
    _check_hash(old_root, "the old root hash")
    _check_hash(new_root, "the new root hash")
    for position, element in enumerate(proof):
        _check_hash(element, f"consistency proof element {position}")
    if isinstance(old_size, bool) or isinstance(new_size, bool):
        raise ProofError("the tree sizes must be integers")
    if not isinstance(old_size, int) or not isinstance(new_size, int) or not 0 <= old_size <= new_size:
        raise ProofError(f"old tree size {old_size} is not between 0 and the new tree size {new_size}")
    if old_size == new_size or old_size == 0:
        if proof:
            raise ProofError(f"a consistency proof from size {old_size} to {new_size} must be empty")
        if old_size == 0 and old_root != EMPTY_ROOT:
            raise ProofError("the root hash of the empty tree is not SHA-256 of nothing")
        if old_size == new_size and old_root != new_root:
            raise RootMismatchError(f"two trees of size {old_size} have different root hashes")
        return
    if not proof:  # step 1
        raise ProofError("the consistency proof is empty")
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # step 2: the old tree is a complete subtree of the new one
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1  # step 3
    while fn & 1:  # step 4
        fn >>= 1
        sn >>= 1
    first = second = path[0]  # step 5
    for element in path[1:]:  # step 6
        if sn == 0:
            raise ProofError(f"the consistency proof has {len(proof)} hashes, more than it needs")
        if fn & 1 or fn == sn:
            first = node_hash(element, first)
            second = node_hash(element, second)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            second = node_hash(second, element)
        fn >>= 1
        sn >>= 1
    if sn != 0:  # step 7
        raise ProofError(f"the consistency proof has {len(proof)} hashes, fewer than it needs")
    if first != old_root:
        raise RootMismatchError(f"the consistency proof does not lead to the old root hash (size {old_size})")
    if second != new_root:
        raise RootMismatchError(f"the consistency proof does not lead to the new root hash (size {new_size})")
