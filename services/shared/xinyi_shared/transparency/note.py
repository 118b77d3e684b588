"""Signed notes (C2SP `signed-note`) with Ed25519 keys in the text formats of Go's `golang.org/x/mod/sumdb/note`.

A note is UTF-8 text ending in a newline, a blank line, then one signature line per key::

    — <key name> base64(key id (4 bytes, big-endian) || signature)

Keys travel as text: a verifier key is `<name>+<key id, 8 hex>+base64(type || public key)`, a signer key
`PRIVATE+KEY+<name>+<key id, 8 hex>+base64(type || 32-byte seed)`. The key id is the first four bytes of
SHA-256(name || "\\n" || type || public key). Type 0x01 is a plain Ed25519 note signature; type 0x04 an
Ed25519 witness cosignature (C2SP `tlog-cosignature`), which signs "cosignature/v1\\ntime <t>\\n" followed
by the note text and carries its timestamp before the signature.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519 = 0x01
"""Signature type of an Ed25519 note signature (the log's checkpoint signature)."""
COSIGNATURE_V1 = 0x04
"""Signature type of a timestamped Ed25519 witness cosignature (C2SP tlog-cosignature, cosignature/v1)."""
SIGNATURE_TYPES = (ED25519, COSIGNATURE_V1)

SIGNATURE_PREFIX = "\N{EM DASH} "
PRIVATE_KEY_PREFIX = "PRIVATE+KEY+"
MAX_SIGNATURES = 100  # as Go's note.Open; C2SP asks to accept at least 16
_PUBLIC_KEY_SIZE = 32
_ED25519_SIGNATURE_SIZE = 64
_TIMESTAMP_SIZE = 8
_MAX_TIMESTAMP = 2**63 - 1


class NoteError(ValueError):
    """A note or key that cannot be used; the subclasses say in what way."""


class MalformedKeyError(NoteError):
    """A key string that is not a well-formed signer or verifier key (or whose key id does not match)."""


class MalformedNoteError(NoteError):
    """Text that is not a well-formed signed note."""


class InvalidSignatureError(NoteError):
    """A signature by a known key that does not verify: the note was altered or forged."""


class UnverifiedNoteError(NoteError):
    """A well-formed note that none of the known keys signed."""


def check_key_name(name: str) -> str:
    """A key name (also a checkpoint origin): non-empty, no '+', no whitespace, no control characters."""
    if not isinstance(name, str) or not name:
        raise MalformedKeyError("a key name must not be empty")
    if "+" in name:
        raise MalformedKeyError(f"a key name must not contain '+': {name!r}")
    if any(char.isspace() or ord(char) < 0x20 or ord(char) == 0x7F for char in name):
        raise MalformedKeyError(f"a key name must not contain spaces or control characters: {name!r}")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedKeyError(f"a key name must be valid UTF-8: {name!r}") from None
    return name


def key_id(name: str, signature_type: int, public_key: bytes) -> int:
    """SHA-256(name || "\\n" || type || public key)[:4] as a big-endian uint32 (C2SP signed-note)."""
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([signature_type]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def cosignature_message(text: str, timestamp: int) -> bytes:
    """What a cosignature/v1 signs: the header line, the time line, then the whole note text."""
    return f"cosignature/v1\ntime {timestamp}\n".encode() + text.encode("utf-8")


def _decode_base64(value: str) -> bytes:
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise MalformedKeyError("not standard base64") from None


def _split_key(text: str) -> tuple[str, str, str]:
    """`<name>+<key id>+<base64>`: split at the first two '+' only, base64 has its own."""
    fields = text.split("+", 2)
    if len(fields) != 3:
        raise MalformedKeyError("a key is <name>+<key id>+<base64 key>")
    return fields[0], fields[1], fields[2]


def _parse_key_id(hex8: str) -> int:
    if len(hex8) != 8 or any(char not in "0123456789abcdefABCDEF" for char in hex8):
        raise MalformedKeyError("a key id is 8 hexadecimal digits")
    return int(hex8, 16)


@dataclass(frozen=True)
class Verifier:
    """A public key that checks note signatures: `name`, `key_id`, `signature_type` (0x01 or 0x04)."""

    name: str
    key_id: int
    signature_type: int
    public_key: bytes = field(repr=False)

    @classmethod
    def from_public_key(cls, name: str, public_key: bytes, signature_type: int = ED25519) -> Verifier:
        check_key_name(name)
        if signature_type not in SIGNATURE_TYPES:
            raise MalformedKeyError(f"unknown signature type 0x{signature_type:02x}")
        if len(public_key) != _PUBLIC_KEY_SIZE:
            raise MalformedKeyError("an Ed25519 public key is 32 bytes")
        return cls(name, key_id(name, signature_type, public_key), signature_type, bytes(public_key))

    @property
    def vkey(self) -> str:
        """The verifier key text: `<name>+<key id>+base64(type || public key)`."""
        encoded = base64.b64encode(bytes([self.signature_type]) + self.public_key).decode("ascii")
        return f"{self.name}+{self.key_id:08x}+{encoded}"

    @property
    def label(self) -> str:
        """`<name>+<key id>`: how messages name the key."""
        return f"{self.name}+{self.key_id:08x}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True

    def verify_note_signature(self, text: str, signature: bytes) -> int | None:
        """Check the signature bytes of a note line (after the key id) over the note text.

        Returns the cosignature timestamp (0 for a plain note signature), None when it does not verify.
        """
        if self.signature_type == ED25519:
            return 0 if self.verify(text.encode("utf-8"), signature) else None
        if len(signature) != _TIMESTAMP_SIZE + _ED25519_SIGNATURE_SIZE:
            return None
        (timestamp,) = struct.unpack(">Q", signature[:_TIMESTAMP_SIZE])
        if timestamp > _MAX_TIMESTAMP:
            return None
        if not self.verify(cosignature_message(text, timestamp), signature[_TIMESTAMP_SIZE:]):
            return None
        return int(timestamp)


@dataclass(frozen=True)
class Signer:
    """A private key that signs notes; `verifier` is its public half. Keep `skey` secret."""

    name: str
    key_id: int
    signature_type: int
    seed: bytes = field(repr=False)

    @classmethod
    def from_seed(cls, name: str, seed: bytes, signature_type: int = ED25519) -> Signer:
        if len(seed) != _PUBLIC_KEY_SIZE:
            raise MalformedKeyError("an Ed25519 private key seed is 32 bytes")
        public = _public_key_of(seed)
        verifier = Verifier.from_public_key(name, public, signature_type)
        return cls(name, verifier.key_id, signature_type, bytes(seed))

    @property
    def verifier(self) -> Verifier:
        return Verifier.from_public_key(self.name, _public_key_of(self.seed), self.signature_type)

    @property
    def vkey(self) -> str:
        return self.verifier.vkey

    @property
    def skey(self) -> str:
        """The signer key text: `PRIVATE+KEY+<name>+<key id>+base64(type || seed)`."""
        encoded = base64.b64encode(bytes([self.signature_type]) + self.seed).decode("ascii")
        return f"{PRIVATE_KEY_PREFIX}{self.name}+{self.key_id:08x}+{encoded}"

    def sign(self, message: bytes) -> bytes:
        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(message)


def _public_key_of(seed: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def parse_verifier_key(vkey: str) -> Verifier:
    """A verifier from `<name>+<key id>+base64(type || public key)`; MalformedKeyError when it is not one."""
    if not isinstance(vkey, str):
        raise MalformedKeyError("a verifier key is text")
    name, hex8, encoded = _split_key(vkey.strip())
    check_key_name(name)
    claimed = _parse_key_id(hex8)
    raw = _decode_base64(encoded)
    if len(raw) != 1 + _PUBLIC_KEY_SIZE or raw[0] not in SIGNATURE_TYPES:
        raise MalformedKeyError("a verifier key holds a type byte (0x01 or 0x04) and a 32-byte Ed25519 key")
    verifier = Verifier.from_public_key(name, raw[1:], raw[0])
    if verifier.key_id != claimed:
        raise MalformedKeyError(f"the key id {hex8} does not match the key (it is {verifier.key_id:08x})")
    return verifier


def parse_signer_key(skey: str) -> Signer:
    """A signer from `PRIVATE+KEY+<name>+<key id>+base64(type || seed)`; MalformedKeyError when it is not one."""
    if not isinstance(skey, str) or not skey.strip().startswith(PRIVATE_KEY_PREFIX):
        raise MalformedKeyError("a signer key starts with PRIVATE+KEY+")
    name, hex8, encoded = _split_key(skey.strip()[len(PRIVATE_KEY_PREFIX) :])
    check_key_name(name)
    claimed = _parse_key_id(hex8)
    raw = _decode_base64(encoded)
    if len(raw) != 1 + _PUBLIC_KEY_SIZE or raw[0] not in SIGNATURE_TYPES:
        raise MalformedKeyError("a signer key holds a type byte (0x01 or 0x04) and a 32-byte Ed25519 seed")
    signer = Signer.from_seed(name, raw[1:], raw[0])
    if signer.key_id != claimed:
        raise MalformedKeyError(f"the key id {hex8} does not match the key (it is {signer.key_id:08x})")
    return signer


def generate_signer_key(name: str, signature_type: int = ED25519) -> str:
    """A new random Ed25519 signer key for `name`, as text; its verifier key is `parse_signer_key(s).vkey`."""
    check_key_name(name)
    private = Ed25519PrivateKey.generate()
    seed = private.private_bytes_raw()
    return Signer.from_seed(name, seed, signature_type).skey


@dataclass(frozen=True)
class NoteSignature:
    """One signature line of a note, not yet checked."""

    name: str
    key_id: int
    signature: bytes = field(repr=False)  # after the 4-byte key id

    @property
    def line(self) -> str:
        """The line without its newline: `— <name> base64(key id || signature)`."""
        encoded = base64.b64encode(self.key_id.to_bytes(4, "big") + self.signature).decode("ascii")
        return f"{SIGNATURE_PREFIX}{self.name} {encoded}"


@dataclass(frozen=True)
class VerifiedSignature:
    """A signature that verified: the key that made it and, for a cosignature, its timestamp (else 0)."""

    verifier: Verifier
    timestamp: int


@dataclass(frozen=True)
class OpenedNote:
    """A note whose signatures were checked: its text, the known keys that signed it, the unknown ones."""

    text: str
    verified: tuple[VerifiedSignature, ...]
    unverified: tuple[NoteSignature, ...]

    def signed_by(self, verifier: Verifier) -> VerifiedSignature | None:
        return next((signed for signed in self.verified if signed.verifier == verifier), None)


def _check_note_characters(note: str) -> None:
    for char in note:
        if ord(char) < 0x20 and char != "\n":
            raise MalformedNoteError("a note must not contain control characters other than newline")
    try:
        note.encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedNoteError("a note must be valid UTF-8") from None


def _check_text(text: str) -> None:
    if not isinstance(text, str) or not text.endswith("\n"):
        raise MalformedNoteError("a note text ends with a newline")
    _check_note_characters(text)


def parse_signature_line(line: str) -> NoteSignature:
    """`— <name> base64(key id || signature)` (without the newline) → NoteSignature; MalformedNoteError if not."""
    if not line.startswith(SIGNATURE_PREFIX):
        raise MalformedNoteError(f"a signature line starts with an em dash and a space: {line[:40]!r}")
    name, space, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
    try:
        check_key_name(name)
        raw = _decode_base64(encoded) if space and encoded else b""
    except MalformedKeyError as error:
        raise MalformedNoteError(f"malformed signature line: {error}") from None
    if len(raw) < 5:
        raise MalformedNoteError("a signature line holds a key id and a signature in base64")
    return NoteSignature(name, int.from_bytes(raw[:4], "big"), raw[4:])


def split_note(note: str | bytes) -> tuple[str, tuple[NoteSignature, ...]]:
    """The text and the signature lines of a signed note, without checking any signature."""
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedNoteError("a note must be valid UTF-8") from None
    _check_note_characters(note)
    split = note.rfind("\n\n")  # the text is separated from the signatures by the last blank line
    if split < 0:
        raise MalformedNoteError("a signed note has a blank line between its text and its signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block or not block.endswith("\n"):
        raise MalformedNoteError("a signed note ends with signature lines, each ending in a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNoteError(f"a note may carry at most {MAX_SIGNATURES} signatures")
    return text, tuple(parse_signature_line(line) for line in lines)


def signature_line(text: str, signer: Signer, *, timestamp: int | None = None) -> str:
    """The signature line (without its newline) `signer` puts under `text`.

    A cosigner (type 0x04) signs cosignature/v1 over the text at `timestamp` (POSIX seconds, required).
    """
    _check_text(text)
    if signer.signature_type == COSIGNATURE_V1:
        if timestamp is None or isinstance(timestamp, bool) or not 0 <= timestamp <= _MAX_TIMESTAMP:
            raise ValueError("a cosignature needs a timestamp between 0 and 2**63 - 1")
        signature = struct.pack(">Q", timestamp) + signer.sign(cosignature_message(text, timestamp))
    else:
        signature = signer.sign(text.encode("utf-8"))
    return NoteSignature(signer.name, signer.key_id, signature).line


def sign_note(text: str, *signers: Signer, timestamp: int | None = None) -> str:
    """`text`, a blank line, then one signature line per signer (cosigners sign at `timestamp`)."""
    if not signers:
        raise ValueError("a note needs at least one signer")
    return text + "\n" + "".join(signature_line(text, signer, timestamp=timestamp) + "\n" for signer in signers)


def add_signature_line(note: str, line: str) -> str:
    """The signed note with one more signature line (e.g. a witness cosignature) at the end."""
    split_note(note)
    signature = parse_signature_line(line.rstrip("\n"))
    return note + signature.line + "\n"


def _index(verifiers: Iterable[Verifier]) -> Mapping[tuple[str, int], Verifier]:
    known: dict[tuple[str, int], Verifier] = {}
    for verifier in verifiers:
        key = (verifier.name, verifier.key_id)
        if key in known and known[key] != verifier:
            raise ValueError(f"two different keys are named {verifier.label}")
        known[key] = verifier
    return known


def open_note(note: str | bytes, verifiers: Iterable[Verifier | str]) -> OpenedNote:
    """Check a signed note against the known keys and return its text and who signed it.

    As C2SP signed-note and Go's note.Open: signatures by unknown keys are set aside (a key is known by
    its name and id together); a known key's signature that fails raises InvalidSignatureError; a note
    that no known key signed raises UnverifiedNoteError; anything ill-formed MalformedNoteError.
    """
    known = _index(parse_verifier_key(item) if isinstance(item, str) else item for item in verifiers)
    text, signatures = split_note(note)
    verified: list[VerifiedSignature] = []
    unverified: list[NoteSignature] = []
    seen: set[tuple[str, int]] = set()
    for signature in signatures:
        key = (signature.name, signature.key_id)
        verifier = known.get(key)
        if verifier is None:
            if signature not in unverified:
                unverified.append(signature)
            continue
        if key in seen:  # a repeated signature by one key counts once
            continue
        seen.add(key)
        timestamp = verifier.verify_note_signature(text, signature.signature)
        if timestamp is None:
            raise InvalidSignatureError(f"the signature by {verifier.label} does not verify")
        verified.append(VerifiedSignature(verifier, timestamp))
    if not verified:
        names = ", ".join(sorted({f"{s.name}+{s.key_id:08x}" for s in signatures}))
        raise UnverifiedNoteError(f"the note is signed by none of the known keys (it is signed by {names})")
    return OpenedNote(text, tuple(verified), tuple(unverified))
