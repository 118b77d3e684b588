"""账本透明 — each estate's books as an append-only log any resident can verify offline.

At each period close the entries of the closed months not yet logged are appended, in the books'
order, as leaves (RFC 6962 hashing of the canonical entry JSON, households by commitments only they
can open), and the ledger signs a checkpoint (C2SP tlog-checkpoint) with the estate's key. Before it
signs, it checks its own log: the tree must still have every earlier checkpoint's root, and every
logged entry must still hash to its leaf — a rewritten entry is named and the close refused. The
owners' supervisor co-signs checkpoints as witness (C2SP tlog-cosignature); residents fetch
inclusion proofs of any entry and consistency proofs between checkpoints. Formats:
docs/transparency.md."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ledger_service.adapters.transparency_log import Leaf, LogKey, StoredCheckpoint, StoredCosignature, WitnessKey
from ledger_service.domain.funds import community_of_book
from ledger_service.service_layer.common import books_of
from ledger_service.service_layer.unit_of_work import LedgerUnitOfWork
from xinyi.ledger.v1 import events_pb2
from xinyi_shared.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from xinyi_shared.transparency.bundles import consistency_bundle, inclusion_bundle
from xinyi_shared.transparency.checkpoint import (
    Checkpoint,
    estate_log_origin,
    fund_log_origin,
    open_checkpoint,
    sign_checkpoint,
    verify_cosignature,
)
from xinyi_shared.transparency.entries import encode_opening, entry_leaf_hash
from xinyi_shared.transparency.merkle import MerkleTree
from xinyi_shared.transparency.note import (
    COSIGNATURE_V1,
    add_signature_line,
    generate_signer_key,
    parse_signer_key,
    parse_verifier_key,
)


@dataclass(frozen=True)
class PublishedCheckpoint:
    tree_size: int
    period: str
    note: str  # the log's signature and every cosignature
    published_at: datetime
    cosignatures: list[StoredCosignature]


def log_origin(authority: str, book_code: str) -> str:
    """``<authority>/estates/<estate>`` for an estate's books, ``<authority>/funds/<community>`` for a
    community fund's: the last segment is what the log's entries name as their book."""
    community = community_of_book(book_code)
    return estate_log_origin(authority, book_code) if community is None else fund_log_origin(authority, community)


def log_key(uow: LedgerUnitOfWork, authority: str) -> LogKey:
    """The book's log key, made on first use."""
    key = uow.log.key()
    if key is not None:
        return key
    origin = log_origin(authority, uow.estate_code)
    signer = parse_signer_key(generate_signer_key(origin))
    return uow.log.add_key(LogKey(origin, signer.skey, signer.vkey))


def _tree(uow: LedgerUnitOfWork) -> MerkleTree:
    return MerkleTree([leaf.leaf_hash for leaf in uow.log.leaves()])


def audit(uow: LedgerUnitOfWork, leaves: Sequence[Leaf], tree: MerkleTree) -> None:
    """The log must still be what was signed: every checkpoint's root, every logged entry's leaf
    (``tree`` is built from ``leaves``, the log as stored)."""
    for checkpoint in uow.log.checkpoints():
        if checkpoint.tree_size > tree.size or tree.root(checkpoint.tree_size) != checkpoint.root_hash:
            raise Conflict(
                f"the log no longer matches the checkpoint of {checkpoint.period} (size {checkpoint.tree_size}): "
                "its leaves were rewritten; restore the books from a backup"
            )
    entries = uow.log.entries([leaf.transaction_id for leaf in leaves])
    for leaf in leaves:
        entry = entries.get(leaf.transaction_id)
        if entry is None:
            raise Conflict(f"entry {leaf.transaction_id} (leaf {leaf.index}) was deleted from the books")
        if entry_leaf_hash(entry) != leaf.leaf_hash:
            raise Conflict(
                f"entry #{entry.seq} ({leaf.transaction_id}, leaf {leaf.index}) no longer matches the leaf "
                "its checkpoint signed: the books were altered after they were published"
            )


def publish_checkpoint(uow: LedgerUnitOfWork, period: str, authority: str) -> StoredCheckpoint | None:
    """Inside a period close (or on demand): append the entries of months up to ``period`` not yet
    logged, and sign the checkpoint. With nothing new, the latest checkpoint stands (none is signed);
    books without any entry have none (None)."""
    key = log_key(uow, authority)
    uow.log.lock()  # a checkpoint asked for during a close waits for it, then finds nothing new
    logged = uow.log.leaves()
    tree = MerkleTree([leaf.leaf_hash for leaf in logged])
    audit(uow, logged, tree)
    new_ids = uow.log.unlogged_transaction_ids(period)
    latest = uow.log.checkpoint()
    if not new_ids and latest is not None and latest.tree_size == tree.size:
        return latest
    if not new_ids and tree.size == 0:
        return None
    entries = uow.log.entries(new_ids)
    first = tree.size
    leaves = [(transaction_id, entry_leaf_hash(entries[transaction_id])) for transaction_id in new_ids]
    for _, leaf in leaves:
        tree.append(leaf)
    uow.log.append(first, leaves)
    checkpoint = Checkpoint(key.origin, tree.size, tree.root())
    note = sign_checkpoint(checkpoint, parse_signer_key(key.signer_key))
    uow.log.add_checkpoint(tree.size, period, note, checkpoint.root_hash)
    if community_of_book(uow.estate_code) is None:  # a fund's checkpoint is answered to its caller only
        uow.publish(
            events_pb2.CheckpointPublished(
                estate_code=uow.estate_code,
                period=period,
                origin=key.origin,
                tree_size=tree.size,
                root_hash=checkpoint.root_hash,
            )
        )
    stored = uow.log.checkpoint(tree.size)
    assert stored is not None
    return stored


def publish_now(uow: LedgerUnitOfWork) -> PublishedCheckpoint:
    """A checkpoint of every entry posted so far, between closes (the estate's people ask for it)."""
    with uow:
        context = books_of(uow.journal.context(), uow.estate_code)
        stored = publish_checkpoint(uow, context.current_period, uow.log_authority)
        if stored is None:
            raise Conflict("the books have no entry yet: there is nothing to sign")
        published = with_cosignatures(uow, stored)
        uow.commit()
    return published


def with_cosignatures(uow: LedgerUnitOfWork, stored: StoredCheckpoint) -> PublishedCheckpoint:
    """A stored checkpoint with every cosignature line added to its note."""
    cosignatures = uow.log.cosignatures(stored.tree_size)
    note = stored.note
    for cosignature in cosignatures:
        note = add_signature_line(note, cosignature.signature_line)
    return PublishedCheckpoint(stored.tree_size, stored.period, note, stored.published_at, cosignatures)


def _logged_when(uow: LedgerUnitOfWork) -> str:
    if community_of_book(uow.estate_code) is not None:
        return "when the micro-fund publishes a checkpoint"
    return "when their month closes"


def stored_checkpoint(uow: LedgerUnitOfWork, tree_size: int | None) -> StoredCheckpoint:
    """The checkpoint of ``tree_size`` (the latest when None); NotFound when there is none."""
    stored = uow.log.checkpoint(tree_size)
    if stored is None:
        raise NotFound(
            (
                "no checkpoint yet: the first is signed when the first month closes"
                if community_of_book(uow.estate_code) is None
                else "no checkpoint yet: the first is signed when the micro-fund publishes one"
            )
            if tree_size is None
            else f"no checkpoint of size {tree_size}"
        )
    return stored


def checkpoint(uow: LedgerUnitOfWork, tree_size: int | None = None) -> PublishedCheckpoint:
    with uow:
        books_of(uow.journal.context(), uow.estate_code)
        return with_cosignatures(uow, stored_checkpoint(uow, tree_size))


def checkpoints(uow: LedgerUnitOfWork) -> list[PublishedCheckpoint]:
    """Every checkpoint, oldest first."""
    with uow:
        books_of(uow.journal.context(), uow.estate_code)
        return [with_cosignatures(uow, stored) for stored in uow.log.checkpoints()]


def page_of_checkpoints(uow: LedgerUnitOfWork, limit: int, offset: int = 0) -> tuple[int, list[PublishedCheckpoint]]:
    """How many checkpoints the estate's log has, and ``limit`` of them after ``offset``, oldest first
    (by tree size, the log's key: a total order); both read in one transaction."""
    with uow:
        books_of(uow.journal.context(), uow.estate_code)
        total = uow.log.count_checkpoints()
        return total, [with_cosignatures(uow, stored) for stored in uow.log.checkpoints(limit, offset)]


@dataclass(frozen=True)
class LogIdentity:
    origin: str
    log_key: str
    witness_keys: list[WitnessKey]


def identity(uow: LedgerUnitOfWork, authority: str) -> LogIdentity:
    with uow:
        books_of(uow.journal.context(), uow.estate_code)
        key = log_key(uow, authority)
        witnesses = uow.log.witness_keys()
        uow.commit()
    return LogIdentity(key.origin, key.verifier_key, witnesses)


def consistency(uow: LedgerUnitOfWork, old_size: int, new_size: int | None) -> dict[str, Any]:
    with uow:
        books_of(uow.journal.context(), uow.estate_code)
        return consistency_proof(uow, old_size, new_size)


def consistency_proof(uow: LedgerUnitOfWork, old_size: int, new_size: int | None) -> dict[str, Any]:
    """The consistency bundle between two checkpoints of the book's log (inside an open ``uow``)."""
    new = with_cosignatures(uow, stored_checkpoint(uow, new_size))
    old = with_cosignatures(uow, stored_checkpoint(uow, old_size))
    if old.tree_size > new.tree_size:
        raise InvalidInput("from must be a checkpoint no larger than to")
    try:
        return consistency_bundle(old_note=old.note, new_note=new.note, tree=_tree(uow))
    except ValueError as error:
        raise Conflict(f"no consistency proof from size {old.tree_size} to {new.tree_size}: {error}") from error


def inclusion(
    uow: LedgerUnitOfWork, transaction_id: str, tree_size: int | None, from_size: int | None
) -> dict[str, Any]:
    """The inclusion bundle of an entry in a checkpoint (the latest unless ``tree_size``)."""
    with uow:
        books_of(uow.journal.context(), uow.estate_code)
        return inclusion_proof(uow, transaction_id, tree_size, from_size)


def inclusion_proof(
    uow: LedgerUnitOfWork, transaction_id: str, tree_size: int | None, from_size: int | None
) -> dict[str, Any]:
    """The inclusion bundle of an entry of the book (inside an open ``uow``)."""
    leaf = uow.log.leaf_of(transaction_id)
    if leaf is None:
        raise NotFound(f"entry {transaction_id} is not in the log yet: entries are logged {_logged_when(uow)}")
    stored = stored_checkpoint(uow, tree_size)
    if stored.tree_size <= leaf.index:
        raise NotFound(f"entry {transaction_id} is not in the checkpoint of size {stored.tree_size}")
    entry = uow.log.entries([transaction_id]).get(transaction_id)
    if entry is None or entry_leaf_hash(entry) != leaf.leaf_hash:
        raise Conflict(
            f"entry {transaction_id} no longer matches the leaf its checkpoint signed: "
            "the books were altered after they were published"
        )
    older = with_cosignatures(uow, stored_checkpoint(uow, from_size)).note if from_size is not None else None
    note = with_cosignatures(uow, stored).note
    try:
        return inclusion_bundle(
            checkpoint_note=note, entry=entry, leaf_index=leaf.index, tree=_tree(uow), from_checkpoint_note=older
        )
    except ValueError as error:
        raise Conflict(f"the log does not prove this entry: {error}") from error


def register_witness(uow: LedgerUnitOfWork, witness_key: str, actor: str) -> WitnessKey:
    try:
        verifier = parse_verifier_key(witness_key)
    except ValueError as error:  # NoteError and the encodings' own errors
        raise InvalidInput(f"not a witness verifier key: {error}") from error
    if verifier.signature_type != COSIGNATURE_V1:
        raise InvalidInput(
            "a witness key is a cosignature/v1 Ed25519 key (type 0x04): make one with xinyi witness keygen"
        )
    with uow:
        books_of(uow.journal.context(), uow.estate_code)
        uow.log.register_witness(verifier.vkey, verifier.name, actor)
        (registered,) = [k for k in uow.log.witness_keys() if k.verifier_key == verifier.vkey]
        uow.commit()
    return registered


def add_cosignature(uow: LedgerUnitOfWork, tree_size: int, signature_line: str) -> PublishedCheckpoint:
    """Keep the supervisor's cosignature of a checkpoint, after checking it with their registered key."""
    with uow:
        books_of(uow.journal.context(), uow.estate_code)
        stored = stored_checkpoint(uow, tree_size)
        witnesses = uow.log.witness_keys(active_only=True)
        if not witnesses:
            raise Conflict("no witness key is registered: the supervisor registers one first (xinyi witness register)")
        key = uow.log.key()
        assert key is not None
        open_checkpoint(stored.note, key.verifier_key)
        try:
            candidate = add_signature_line(stored.note, signature_line.strip())
        except ValueError as error:
            raise InvalidInput(f"not a cosignature line: {error}") from error
        for witness in witnesses:
            try:
                cosigned = verify_cosignature(candidate, witness.verifier_key)
            except ValueError:
                continue
            try:
                at = datetime.fromtimestamp(cosigned.timestamp, UTC)
            except (ValueError, OverflowError, OSError) as error:
                raise InvalidInput("the cosignature's time is not a valid date") from error
            if uow.log.add_cosignature(stored.tree_size, witness.verifier_key, signature_line.strip(), at):
                uow.publish(
                    events_pb2.CheckpointCosigned(
                        estate_code=uow.estate_code,
                        origin=key.origin,
                        tree_size=stored.tree_size,
                        witness_key_name=witness.name,
                    )
                )
            published = with_cosignatures(uow, stored)
            uow.commit()
            return published
        raise PermissionDenied("the cosignature does not verify with the supervisor's registered witness key")


def household_opening(uow: LedgerUnitOfWork, household_id: str) -> str:
    """The household's opening (its secret, base64url): it proves its own lines and nobody else's."""
    with uow:
        books_of(uow.journal.context(), uow.estate_code)
        secrets = uow.log.household_secrets([household_id])
        uow.commit()
    return encode_opening(secrets[household_id])
