"""Checkpoints (C2SP `tlog-checkpoint`) and witness cosignatures (C2SP `tlog-cosignature`, cosignature/v1).

A checkpoint is a signed note whose text is the log's origin, its size and its root hash::

    <origin>
    <tree size, decimal>
    <root hash, base64>

signed by the log's Ed25519 key, named like the origin. A witness adds a cosignature line: its Ed25519
key (signature type 0x04) signs "cosignature/v1\\ntime <POSIX seconds>\\n" followed by the same text,
and the line carries base64(key id || timestamp (8 bytes, big-endian) || signature).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from xinyi_shared.transparency.merkle import HASH_SIZE
from xinyi_shared.transparency.note import (
    COSIGNATURE_V1,
    ED25519,
    InvalidSignatureError,
    MalformedKeyError,
    MalformedNoteError,
    Signer,
    UnverifiedNoteError,
    Verifier,
    check_key_name,
    generate_signer_key,
    open_note,
    parse_verifier_key,
    sign_note,
    signature_line,
    split_note,
)

ESTATE_PATH = "/estates/"
FUND_PATH = "/funds/"


class MalformedCheckpointError(MalformedNoteError):
    """A note text that is not a checkpoint (origin, size, root hash, optional extension lines)."""


def estate_log_origin(authority: str, estate_code: str) -> str:
    """The origin (and log key name) of an estate's log: `<authority>/estates/<estate code>`.

    `authority` is a schema-less URL naming the deployment, e.g. `ledger.xinyi.example`; the verifier
    checks that an entry's estate is the last segment of the origin of the checkpoint it is proven in.
    """
    return check_key_name(f"{authority.rstrip('/')}{ESTATE_PATH}{estate_code}")


def fund_log_origin(authority: str, community_code: str) -> str:
    """The origin (and log key name) of a community micro-fund's log: `<authority>/funds/<community code>`.

    Its entries name the community as their `estate` (the origin's last segment, as for an estate)."""
    return check_key_name(f"{authority.rstrip('/')}{FUND_PATH}{community_code}")


def estate_of_origin(origin: str) -> str:
    """The estate code an origin made by `estate_log_origin` names (its last path segment)."""
    return origin.rsplit("/", 1)[-1]


def _encode_hash(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def decode_hash(text: str, what: str = "hash") -> bytes:
    """A 32-byte hash from standard base64, strictly (canonical padding, nothing else)."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError, AttributeError):
        raise ValueError(f"the {what} is not base64") from None
    if len(raw) != HASH_SIZE or _encode_hash(raw) != text:
        raise ValueError(f"the {what} is not a canonical base64 {HASH_SIZE}-byte hash")
    return raw


@dataclass(frozen=True)
class Checkpoint:
    """A log's size and root hash, named by its origin: the text a checkpoint note signs."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        try:
            check_key_name(self.origin)  # the origin doubles as the log's key name
        except MalformedKeyError as error:
            raise MalformedCheckpointError(f"invalid origin: {error}") from None
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 0:
            raise MalformedCheckpointError("the tree size is a non-negative integer")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != HASH_SIZE:
            raise MalformedCheckpointError(f"the root hash is {HASH_SIZE} bytes")
        object.__setattr__(self, "extensions", tuple(self.extensions))
        for line in self.extensions:
            if not isinstance(line, str) or not line or "\n" in line:
                raise MalformedCheckpointError("an extension line is non-empty text without a newline")

    def body(self) -> str:
        """The note text: origin, size, base64 root hash and any extension lines, each ending in a newline."""
        lines = (self.origin, str(self.size), _encode_hash(self.root_hash), *self.extensions)
        return "".join(line + "\n" for line in lines)

    @property
    def root_base64(self) -> str:
        return _encode_hash(self.root_hash)

    @classmethod
    def parse(cls, body: str) -> Checkpoint:
        """The checkpoint in a note text; MalformedCheckpointError when the text is not one."""
        if not isinstance(body, str) or not body.endswith("\n"):
            raise MalformedCheckpointError("a checkpoint text ends with a newline")
        lines = body[:-1].split("\n")
        if len(lines) < 3:
            raise MalformedCheckpointError("a checkpoint has an origin, a size and a root hash line")
        origin, size_text, root_text, *extensions = lines
        if not size_text.isascii() or not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
            raise MalformedCheckpointError(f"the tree size {size_text!r} is not a decimal without leading zeros")
        try:
            root = decode_hash(root_text, "root hash")
        except ValueError as error:
            raise MalformedCheckpointError(str(error)) from None
        return cls(origin, int(size_text), root, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, log_signer: Signer) -> str:
    """The checkpoint note signed by the log's key, which must be an Ed25519 key named like the origin."""
    if log_signer.signature_type != ED25519:
        raise ValueError("a log signs its checkpoints with an Ed25519 note key (type 0x01)")
    if log_signer.name != checkpoint.origin:
        raise ValueError(f"the log key is named {log_signer.name!r}, the checkpoint's origin is {checkpoint.origin!r}")
    return sign_note(checkpoint.body(), log_signer)


def _as_verifier(key: Verifier | str) -> Verifier:
    return parse_verifier_key(key) if isinstance(key, str) else key


def open_checkpoint(note: str, log_key: Verifier | str) -> Checkpoint:
    """The checkpoint of a note the log's key signed; raises NoteError (a subclass says why) otherwise.

    The origin must be the log key's name, so one estate's checkpoint cannot pass as another's.
    """
    verifier = _as_verifier(log_key)
    if verifier.signature_type != ED25519:
        raise MalformedKeyError("a log key is an Ed25519 note key (type 0x01)")
    opened = open_note(note, [verifier])
    checkpoint = Checkpoint.parse(opened.text)
    if checkpoint.origin != verifier.name:
        raise MalformedCheckpointError(
            f"the checkpoint's origin {checkpoint.origin!r} is not the log key's name {verifier.name!r}"
        )
    return checkpoint


def checkpoint_of(note: str) -> Checkpoint:
    """The checkpoint a note carries, WITHOUT checking any signature (for display and for proofs
    that are checked against a verified checkpoint elsewhere)."""
    text, _ = split_note(note)
    return Checkpoint.parse(text)


def generate_witness_key(name: str) -> str:
    """A new witness signer key (Ed25519, signature type 0x04 so its key id is the cosignature/v1 one)."""
    return generate_signer_key(name, COSIGNATURE_V1)


def cosign(checkpoint_note: str, witness: Signer, now: int) -> str:
    """The cosignature/v1 line (without newline) the witness adds to a checkpoint note at time `now`.

    Signs only: the witness must have checked the log's signature and the consistency with the last
    checkpoint it cosigned before calling this.
    """
    if witness.signature_type != COSIGNATURE_V1:
        raise ValueError("a witness cosigns with a cosignature/v1 key (type 0x04)")
    text, _ = split_note(checkpoint_note)
    Checkpoint.parse(text)
    return signature_line(text, witness, timestamp=now)


@dataclass(frozen=True)
class Cosignature:
    """A witness cosignature that verified: the witness key and when it cosigned (POSIX seconds)."""

    witness: Verifier
    timestamp: int


def verify_cosignature(checkpoint_note: str, witness_key: Verifier | str) -> Cosignature:
    """The witness's verified cosignature on a checkpoint note.

    Raises UnverifiedNoteError when the note carries no cosignature by this key, InvalidSignatureError
    when it carries one that does not verify, MalformedNoteError when the note is ill-formed.
    """
    witness = _as_verifier(witness_key)
    if witness.signature_type != COSIGNATURE_V1:
        raise MalformedKeyError("a witness key is a cosignature/v1 key (type 0x04)")
    text, signatures = split_note(checkpoint_note)
    Checkpoint.parse(text)
    mine = [s for s in signatures if s.name == witness.name and s.key_id == witness.key_id]
    if not mine:
        raise UnverifiedNoteError(f"not co-signed by the witness {witness.label}")
    timestamps: list[int] = []
    for signature in mine:
        timestamp = witness.verify_note_signature(text, signature.signature)
        if timestamp is None:
            raise InvalidSignatureError(f"the cosignature by the witness {witness.label} does not verify")
        timestamps.append(timestamp)
    return Cosignature(witness, max(timestamps))
