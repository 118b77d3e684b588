"""RFC 6962 / RFC 9162 Merkle trees: the Certificate Transparency reference vectors, every proof of small
trees against a naive recursive implementation of the RFC's definitions, tampering, and speed."""

from __future__ import annotations

import hashlib
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xinyi_shared.transparency.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    ProofError,
    RootMismatchError,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)

# The test vectors of the Certificate Transparency reference implementation (merkle_tree_test), as
# published with RFC 6962 implementations: eight leaves, the root of every prefix, some proofs.
CT_LEAVES = [
    bytes.fromhex(data)
    for data in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION = [  # (leaf index, tree size, audit path)
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
CT_CONSISTENCY = [  # (old size, new size, proof)
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip


# ---------------------------------------------------------------- the RFC 6962 definitions, literally


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def naive_root(leaves: list[bytes]) -> bytes:
    """MTH(D[n]) over leaf hashes, by the recursive definition of RFC 6962 §2.1."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = _k(len(leaves))
    return node_hash(naive_root(leaves[:k]), naive_root(leaves[k:]))


def naive_path(m: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 6962 §2.1.1."""
    if len(leaves) == 1:
        return []
    k = _k(len(leaves))
    if m < k:
        return [*naive_path(m, leaves[:k]), naive_root(leaves[k:])]
    return [*naive_path(m - k, leaves[k:]), naive_root(leaves[:k])]


def naive_subproof(m: int, leaves: list[bytes], complete: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) of RFC 6962 §2.1.2."""
    n = len(leaves)
    if m == n:
        return [] if complete else [naive_root(leaves)]
    k = _k(n)
    if m <= k:
        return [*naive_subproof(m, leaves[:k], complete), naive_root(leaves[k:])]
    return [*naive_subproof(m - k, leaves[k:], False), naive_root(leaves[:k])]


def leaves_of(count: int, salt: int = 0) -> list[bytes]:
    return [leaf_hash(f"{salt}:{index}".encode()) for index in range(count)]


def flip(value: bytes, position: int = 0) -> bytes:
    return value[:position] + bytes([value[position] ^ 0x01]) + value[position + 1 :]


# ---------------------------------------------------------------- known answers


def test_the_empty_tree_hashes_to_sha256_of_nothing() -> None:
    assert MerkleTree().root() == EMPTY_ROOT
    assert EMPTY_ROOT.hex() == CT_ROOTS[0]


def test_leaf_and_node_hashes_are_domain_separated() -> None:
    assert leaf_hash(b"").hex() == CT_ROOTS[1]  # SHA-256(0x00)
    assert node_hash(b"a" * 32, b"b" * 32) == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()


def test_roots_match_the_certificate_transparency_vectors() -> None:
    tree = MerkleTree([leaf_hash(data) for data in CT_LEAVES])
    assert [tree.root(size).hex() for size in range(9)] == CT_ROOTS


@pytest.mark.parametrize(("index", "size", "path"), CT_INCLUSION)
def test_inclusion_proofs_match_the_vectors(index: int, size: int, path: list[str]) -> None:
    tree = MerkleTree([leaf_hash(data) for data in CT_LEAVES])
    proof = tree.inclusion_proof(index, size)
    assert [element.hex() for element in proof] == path
    verify_inclusion(tree.leaf(index), index, size, proof, bytes.fromhex(CT_ROOTS[size]))


@pytest.mark.parametrize(("old", "new", "path"), CT_CONSISTENCY)
def test_consistency_proofs_match_the_vectors(old: int, new: int, path: list[str]) -> None:
    tree = MerkleTree([leaf_hash(data) for data in CT_LEAVES])
    proof = tree.consistency_proof(old, new)
    assert [element.hex() for element in proof] == path
    verify_consistency(old, new, bytes.fromhex(CT_ROOTS[old]), bytes.fromhex(CT_ROOTS[new]), proof)


# ---------------------------------------------------------------- every proof of small trees


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 31, 33])
def test_every_root_and_inclusion_proof_of_every_prefix_is_the_rfcs(count: int) -> None:
    leaves = leaves_of(count)
    tree = MerkleTree(leaves)
    for size in range(count + 1):
        root = naive_root(leaves[:size])
        assert tree.root(size) == root
        for index in range(size):
            proof = tree.inclusion_proof(index, size)
            assert proof == naive_path(index, leaves[:size])
            verify_inclusion(leaves[index], index, size, proof, root)


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 31, 33])
def test_every_consistency_proof_of_every_size_pair_is_the_rfcs(count: int) -> None:
    leaves = leaves_of(count)
    tree = MerkleTree(leaves)
    for new in range(count + 1):
        for old in range(new + 1):
            proof = tree.consistency_proof(old, new)
            expected = [] if old in (0, new) else naive_subproof(old, leaves[:new], True)
            assert proof == expected, (old, new)
            verify_consistency(old, new, tree.root(old), tree.root(new), proof)


@settings(max_examples=200, deadline=None)
@given(data=st.lists(st.binary(max_size=40), min_size=1, max_size=40), choice=st.data())
def test_any_leaves_give_the_rfcs_root_and_proofs(data: list[bytes], choice: st.DataObject) -> None:
    leaves = [leaf_hash(item) for item in data]
    tree = MerkleTree(leaves)
    size = choice.draw(st.integers(1, len(leaves)), label="size")
    index = choice.draw(st.integers(0, size - 1), label="index")
    old = choice.draw(st.integers(1, size), label="old size")
    assert tree.root(size) == naive_root(leaves[:size])
    assert tree.inclusion_proof(index, size) == naive_path(index, leaves[:size])
    assert tree.consistency_proof(old, size) == ([] if old == size else naive_subproof(old, leaves[:size], True))


def test_appending_gives_the_same_tree_as_building() -> None:
    leaves = leaves_of(77)
    grown = MerkleTree()
    for index, leaf in enumerate(leaves):
        assert grown.append(leaf) == index
        assert grown.root() == naive_root(leaves[: index + 1])
    built = MerkleTree(leaves)
    assert grown.inclusion_proof(40, 70) == built.inclusion_proof(40, 70)
    assert grown.consistency_proof(21, 77) == built.consistency_proof(21, 77)


# ---------------------------------------------------------------- tampering


@settings(max_examples=300, deadline=None)
@given(count=st.integers(1, 70), data=st.data())
def test_any_change_to_an_inclusion_proof_fails(count: int, data: st.DataObject) -> None:
    leaves = leaves_of(count, salt=count)
    tree = MerkleTree(leaves)
    size = data.draw(st.integers(1, count), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    root = tree.root(size)
    proof = tree.inclusion_proof(index, size)
    verify_inclusion(leaves[index], index, size, proof, root)

    with pytest.raises(RootMismatchError):
        verify_inclusion(flip(leaves[index], data.draw(st.integers(0, 31))), index, size, proof, root)
    with pytest.raises(RootMismatchError):
        verify_inclusion(leaves[index], index, size, proof, flip(root))
    if proof:
        position = data.draw(st.integers(0, len(proof) - 1), label="position")
        altered = [*proof[:position], flip(proof[position], data.draw(st.integers(0, 31))), *proof[position + 1 :]]
        with pytest.raises(RootMismatchError):
            verify_inclusion(leaves[index], index, size, altered, root)
        with pytest.raises(ProofError):
            verify_inclusion(leaves[index], index, size, proof[:-1], root)
    with pytest.raises(ProofError):
        verify_inclusion(leaves[index], index, size, [*proof, root], root)
    other = data.draw(st.integers(0, size - 1), label="other index")
    if leaves[other] != leaves[index] and other != index:
        with pytest.raises(ProofError):
            verify_inclusion(leaves[index], other, size, proof, root)
    with pytest.raises(ProofError):
        verify_inclusion(leaves[index], index + size, size, proof, root)


@settings(max_examples=300, deadline=None)
@given(count=st.integers(2, 70), data=st.data())
def test_any_change_to_a_consistency_proof_fails(count: int, data: st.DataObject) -> None:
    leaves = leaves_of(count, salt=-count)
    tree = MerkleTree(leaves)
    new = data.draw(st.integers(2, count), label="new")
    old = data.draw(st.integers(1, new - 1), label="old")
    proof = tree.consistency_proof(old, new)
    old_root, new_root = tree.root(old), tree.root(new)
    verify_consistency(old, new, old_root, new_root, proof)

    with pytest.raises(ProofError):
        verify_consistency(old, new, flip(old_root), new_root, proof)
    with pytest.raises(ProofError):
        verify_consistency(old, new, old_root, flip(new_root), proof)
    position = data.draw(st.integers(0, len(proof) - 1), label="position")
    altered = [*proof[:position], flip(proof[position], data.draw(st.integers(0, 31))), *proof[position + 1 :]]
    with pytest.raises(ProofError):
        verify_consistency(old, new, old_root, new_root, altered)
    with pytest.raises(ProofError):
        verify_consistency(old, new, old_root, new_root, proof[:-1])
    with pytest.raises(ProofError):
        verify_consistency(old, new, old_root, new_root, [*proof, new_root])
    # A history rewritten before the old size: the new tree's proof cannot reach the old root.
    rewritten = MerkleTree([*leaves[: old - 1], flip(leaves[old - 1]), *leaves[old:]])
    with pytest.raises(ProofError):
        verify_consistency(old, new, old_root, rewritten.root(new), rewritten.consistency_proof(old, new))


def test_edge_cases_of_consistency() -> None:
    tree = MerkleTree(leaves_of(5))
    verify_consistency(0, 5, EMPTY_ROOT, tree.root(), [])
    verify_consistency(5, 5, tree.root(), tree.root(), [])
    with pytest.raises(RootMismatchError):
        verify_consistency(5, 5, tree.root(4), tree.root(), [])
    with pytest.raises(ProofError, match="must be empty"):
        verify_consistency(5, 5, tree.root(), tree.root(), [tree.root()])
    with pytest.raises(ProofError, match="empty tree"):
        verify_consistency(0, 5, tree.root(1), tree.root(), [])
    with pytest.raises(ProofError, match="is empty"):
        verify_consistency(3, 5, tree.root(3), tree.root(), [])
    with pytest.raises(ProofError):
        verify_consistency(5, 3, tree.root(), tree.root(3), tree.consistency_proof(3, 5))


def test_impossible_requests_are_refused() -> None:
    tree = MerkleTree(leaves_of(4))
    for call in (
        lambda: tree.root(5),
        lambda: tree.inclusion_proof(4, 4),
        lambda: tree.inclusion_proof(0, 0),
        lambda: tree.consistency_proof(3, 2),
        lambda: tree.consistency_proof(1, 5),
    ):
        with pytest.raises(ProofError):
            call()
    with pytest.raises(ValueError, match="32-byte"):
        MerkleTree([b"short"])
    with pytest.raises(ProofError, match="32-byte"):
        verify_inclusion(b"short", 0, 1, [], EMPTY_ROOT)


def test_two_hundred_thousand_leaves_are_quick() -> None:
    leaves = [hashlib.sha256(index.to_bytes(4, "big")).digest() for index in range(200_000)]
    started = time.perf_counter()
    tree = MerkleTree(leaves)
    root = tree.root()
    proof = tree.inclusion_proof(123_456)
    consistency = tree.consistency_proof(150_001)
    elapsed = time.perf_counter() - started
    verify_inclusion(leaves[123_456], 123_456, 200_000, proof, root)
    verify_consistency(150_001, 200_000, tree.root(150_001), root, consistency)
    assert elapsed < 3.0, f"building and proving took {elapsed:.2f} s"  # about 0.3 s; loose for slow CI machines
