"""The log leaf of a ledger entry and the household commitments in it.

A leaf is the UTF-8 of the entry's canonical JSON (keys sorted, no spaces, non-ASCII as is)::

    {"estate":"jinhe-lvzhou","id":"<transaction uuid>","kind":"fee","lines":[{"account":"1100",
     "amount_fen":12345,"household":"<commitment>","line":1},...],"period":"2026-11",
     "posted_at":"2026-11-29T22:55:50.123456Z","seq":42,"v":1}

A household never appears in clear. Its lines carry hex(HMAC-SHA256(secret, "xinyi-household/v1\\n" ||
transaction id || "\\n" || line number)) under the household's own 32-byte secret (its "opening"), so the
household can find and prove its lines and nobody without the secret can link two lines to each other.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from xinyi_shared.transparency.merkle import leaf_hash

ENTRY_VERSION = 1
HOUSEHOLD_COMMITMENT_LABEL = "xinyi-household/v1\n"
OPENING_SIZE = 32
POSTED_AT_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

_ENTRY_KEYS = frozenset({"v", "estate", "seq", "id", "period", "kind", "posted_at", "lines"})
_LINE_KEYS = frozenset({"line", "account", "amount_fen", "household"})
_PERIOD = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
_POSTED_AT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")
_COMMITMENT = re.compile(r"[0-9a-f]{64}")
_BASE64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


class MalformedEntryError(ValueError):
    """An entry that has no canonical leaf encoding: a missing or extra field, a wrong type or format."""


def _text(value: object, what: str) -> str:
    """Non-empty text without control characters, so its JSON needs no escapes but \\" and \\\\."""
    if not isinstance(value, str) or not value:
        raise MalformedEntryError(f"{what} must be non-empty text")
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in value):
        raise MalformedEntryError(f"{what} must not contain control characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedEntryError(f"{what} must be valid Unicode") from None
    return value


def _integer(value: object, what: str, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedEntryError(f"{what} must be an integer")
    if minimum is not None and value < minimum:
        raise MalformedEntryError(f"{what} must be at least {minimum}")
    return value


def format_posted_at(moment: datetime) -> str:
    """ISO 8601 in UTC with microseconds and a Z: `2026-11-29T22:55:50.123456Z`."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise MalformedEntryError("posted_at must carry a time zone")
    return moment.astimezone(UTC).strftime(POSTED_AT_FORMAT)


def parse_posted_at(text: str) -> datetime:
    """The instant of a canonical `posted_at`; any other spelling is refused."""
    if not isinstance(text, str) or _POSTED_AT.fullmatch(text) is None:
        raise MalformedEntryError(f"posted_at must be written like 2026-11-29T22:55:50.123456Z, not {text!r}")
    try:
        return datetime.strptime(text, POSTED_AT_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise MalformedEntryError(f"posted_at {text!r} is not a valid date and time") from None


@dataclass(frozen=True)
class EntryLine:
    """One line of an entry: its number, account, amount (debit > 0, credit < 0) and household commitment."""

    line: int
    account: str
    amount_fen: int
    household: str | None = None

    def __post_init__(self) -> None:
        _integer(self.line, "a line number", minimum=1)
        _text(self.account, "an account")
        _integer(self.amount_fen, "amount_fen")
        if self.household is not None and (
            not isinstance(self.household, str) or _COMMITMENT.fullmatch(self.household) is None
        ):
            raise MalformedEntryError("a household commitment is 64 lowercase hexadecimal digits")

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "account": self.account, "amount_fen": self.amount_fen, "household": self.household}


@dataclass(frozen=True)
class LedgerEntry:
    """A posted transaction as the log records it (`transaction_id` is the leaf's `id`)."""

    estate: str
    seq: int
    transaction_id: str
    period: str
    kind: str
    posted_at: datetime
    lines: tuple[EntryLine, ...]

    def __post_init__(self) -> None:
        _text(self.estate, "the estate")
        _integer(self.seq, "seq", minimum=0)
        if not isinstance(self.transaction_id, str) or not _is_canonical_uuid(self.transaction_id):
            raise MalformedEntryError("the transaction id is a UUID written in lowercase with hyphens")
        if not isinstance(self.period, str) or _PERIOD.fullmatch(self.period) is None:
            raise MalformedEntryError(f"the period is a month written YYYY-MM, not {self.period!r}")
        _text(self.kind, "the kind")
        if not isinstance(self.posted_at, datetime):
            raise MalformedEntryError("posted_at must be a datetime")
        format_posted_at(self.posted_at)
        lines = tuple(self.lines)
        if not lines or not all(isinstance(line, EntryLine) for line in lines):
            raise MalformedEntryError("an entry has at least one line")
        lines = tuple(sorted(lines, key=lambda line: line.line))
        if len({line.line for line in lines}) != len(lines):
            raise MalformedEntryError("two lines of an entry have the same number")
        object.__setattr__(self, "lines", lines)

    def to_json(self) -> dict[str, Any]:
        """The leaf JSON object."""
        return {
            "v": ENTRY_VERSION,
            "estate": self.estate,
            "seq": self.seq,
            "id": self.transaction_id,
            "period": self.period,
            "kind": self.kind,
            "posted_at": format_posted_at(self.posted_at),
            "lines": [line.to_json() for line in self.lines],
        }


def _is_canonical_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False


def canonical_json(value: Any) -> bytes:
    """Keys sorted, separators without spaces, non-ASCII characters as UTF-8 (not \\u escapes)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def entry_leaf_bytes(entry: LedgerEntry) -> bytes:
    """The bytes the log hashes for an entry (its leaf data)."""
    return canonical_json(entry.to_json())


def entry_leaf_hash(entry: LedgerEntry) -> bytes:
    """SHA-256(0x00 || leaf bytes): the entry's leaf hash in the log."""
    return leaf_hash(entry_leaf_bytes(entry))


def entry_from_json(value: object) -> LedgerEntry:
    """An entry from its leaf JSON object, refusing anything but exactly the canonical fields and formats."""
    if not isinstance(value, Mapping):
        raise MalformedEntryError("an entry is a JSON object")
    keys = set(value)
    if keys != _ENTRY_KEYS:
        missing, extra = sorted(_ENTRY_KEYS - keys), sorted(keys - _ENTRY_KEYS)
        raise MalformedEntryError(f"entry fields differ: missing {missing}, unexpected {extra}")
    if value["v"] != ENTRY_VERSION or isinstance(value["v"], bool):
        raise MalformedEntryError(f"unknown entry version {value['v']!r}")
    raw_lines = value["lines"]
    if not isinstance(raw_lines, list) or not raw_lines:
        raise MalformedEntryError("lines is a non-empty list")
    lines = tuple(_line_from_json(raw) for raw in raw_lines)
    if [line.line for line in lines] != sorted({line.line for line in lines}):
        raise MalformedEntryError("lines are listed once each, by ascending line number")
    return LedgerEntry(
        estate=value["estate"],
        seq=value["seq"],
        transaction_id=value["id"],
        period=value["period"],
        kind=value["kind"],
        posted_at=parse_posted_at(value["posted_at"]),
        lines=lines,
    )


def _line_from_json(value: object) -> EntryLine:
    if not isinstance(value, Mapping) or set(value) != _LINE_KEYS:
        raise MalformedEntryError(f"a line is an object with exactly {sorted(_LINE_KEYS)}")
    return EntryLine(
        line=value["line"], account=value["account"], amount_fen=value["amount_fen"], household=value["household"]
    )


def entry_from_leaf_bytes(data: bytes) -> LedgerEntry:
    """The entry a leaf encodes; refuses bytes that are not exactly its canonical encoding."""
    try:
        parsed = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MalformedEntryError(f"a leaf is UTF-8 JSON: {error}") from None
    entry = entry_from_json(parsed)
    if entry_leaf_bytes(entry) != data:
        raise MalformedEntryError("the leaf is not in canonical form")
    return entry


# ---------------------------------------------------------------- households


def new_household_secret() -> bytes:
    """A fresh random 32-byte household secret (its opening)."""
    return secrets.token_bytes(OPENING_SIZE)


def household_commitment(secret: bytes, transaction_id: str, line: int) -> str:
    """hex(HMAC-SHA256(secret, "xinyi-household/v1\\n" || transaction id || "\\n" || line number))."""
    if len(secret) != OPENING_SIZE:
        raise ValueError(f"a household secret is {OPENING_SIZE} bytes")
    message = f"{HOUSEHOLD_COMMITMENT_LABEL}{transaction_id}\n{line}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def encode_opening(secret: bytes) -> str:
    """The household secret as shown to the household: base64url without padding (43 characters)."""
    if len(secret) != OPENING_SIZE:
        raise ValueError(f"a household secret is {OPENING_SIZE} bytes")
    return base64.urlsafe_b64encode(secret).decode("ascii").rstrip("=")


def decode_opening(text: str) -> bytes:
    """A household secret from its base64url text (padding optional); ValueError when it is not one."""
    unpadded = text.strip().rstrip("=")
    if not unpadded or any(char not in _BASE64URL for char in unpadded):
        raise ValueError("an opening is base64url text (A-Z, a-z, 0-9, - and _)")
    try:
        secret = base64.urlsafe_b64decode(unpadded + "=" * (-len(unpadded) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("an opening is base64url text") from None
    if len(secret) != OPENING_SIZE:
        raise ValueError(f"an opening decodes to {OPENING_SIZE} bytes, this one to {len(secret)}")
    return secret


def lines_of_household(entry: LedgerEntry, secret: bytes) -> tuple[EntryLine, ...]:
    """The lines of `entry` whose commitment this household secret opens."""
    return tuple(
        line
        for line in entry.lines
        if line.household is not None
        and hmac.compare_digest(line.household, household_commitment(secret, entry.transaction_id, line.line))
    )
