"""The checks every ticketing value goes through on its way in: texts, moments, whole numbers, file
references and identifiers. Plain Python; each refusal is ``InvalidInput`` (422 over HTTP) and its
reason never repeats the refused value, since a reason may reach logs and other people's screens."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime

from xinyi_shared.errors import InvalidInput

MAX_IDENTIFIER_LENGTH = 128
"""A subject id (Keycloak ``sub``), household id, ticket id or grid code: at most this many characters."""

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
# Bidirectional overrides and isolates make a text read differently from what it holds (spoofing).
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clean_text(name: str, value: object, max_length: int, *, multiline: bool = False, required: bool = True) -> str:
    """``value`` stripped, refused when empty (if ``required``), longer than ``max_length`` characters
    or holding a control character. A ``multiline`` text may hold line breaks (``\\r\\n`` and ``\\r``
    become ``\\n``); no text may hold any other control character (tab and NUL included), a lone
    surrogate or a bidirectional override."""
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be a text")
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = value.strip()
    if not value:
        if required:
            raise InvalidInput(f"{name} must not be empty")
        return ""
    if len(value) > max_length:
        raise InvalidInput(f"{name} must be at most {max_length} characters")
    for character in value:
        if character == "\n" and multiline:
            continue
        if unicodedata.category(character) in ("Cc", "Cs") or character in _BIDI_CONTROLS:
            raise InvalidInput(
                f"{name} must not hold control characters" + (" other than line breaks" if multiline else "")
            )
    return value


def identifier(name: str, value: object) -> str:
    """A non-empty opaque identifier (subject, household, ticket, grid) of printable characters."""
    return clean_text(name, value, MAX_IDENTIFIER_LENGTH)


def optional_identifier(name: str, value: object) -> str | None:
    return None if value is None else identifier(name, value)


def aware(name: str, moment: object) -> datetime:
    """``moment`` in UTC; refused unless it is a ``datetime`` with a time zone (a naive one is ambiguous)."""
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(f"{name} must be a datetime with a time zone")
    return moment.astimezone(UTC)


def optional_aware(name: str, moment: object) -> datetime | None:
    return None if moment is None else aware(name, moment)


def whole(name: str, value: object, low: int, high: int) -> int:
    """An ``int`` from ``low`` to ``high`` inclusive; ``bool``, ``float`` and ``str`` are refused."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{name} must be a whole number, not {type(value).__name__}")
    if not low <= value <= high:
        raise InvalidInput(f"{name} must be between {low} and {high}")
    return value


def file_references(name: str, values: object, low: int, high: int) -> tuple[str, ...]:
    """SHA-256 names of files already in the blob store (64 lowercase hex digits), distinct, in order."""
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise InvalidInput(f"{name} must be a list of SHA-256 references")
    references = tuple(values)
    if not low <= len(references) <= high:
        raise InvalidInput(f"{name}: {low} to {high} files")
    for reference in references:
        if not isinstance(reference, str) or not _SHA256_HEX.fullmatch(reference):
            raise InvalidInput(f"{name} are named by 64 lowercase hexadecimal digits (their SHA-256)")
    if len(set(references)) != len(references):
        raise InvalidInput(f"{name}: a file is attached twice")
    return references
