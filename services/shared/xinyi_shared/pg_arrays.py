"""PostgreSQL array literals built with a few string operations per array, not a call per element.

Set-based writes pass whole columns as arrays (``unnest(CAST(:ids AS uuid[]), …)``). psycopg dumps a
Python list element by element in Python, which was a quarter of a billing chunk's CPU; a literal
built with ``str.join`` costs a small fraction of that. Pass the result as the parameter and cast
it in SQL (``CAST(:ids AS uuid[])``): PostgreSQL parses the literal and checks every element
against the cast's type.

Every element is either quoted or checked to need no quoting, so no value can add, drop or shift
an element: an array always has exactly as many elements as its input had values. A value that
cannot be written (text holding NUL, which PostgreSQL refuses; an "id" holding a quote) is
InvalidInput, as PostgreSQL's own refusal of a value would be.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import cast

from xinyi_shared.errors import InvalidInput

__all__ = ["int_array", "text_array", "uuid_array"]

_SEPARATOR = "\x00"  # PostgreSQL text cannot hold NUL, so no value can contain it


def int_array(values: Sequence[int | None]) -> str:
    """``{1,-2,NULL}``: integers (``bool``, ``float`` or text refused with ``TypeError``)."""
    if not values:
        return "{}"
    if None in values:
        return "{" + ",".join("NULL" if v is None else _int(v) for v in values) + "}"
    if any(type(v) is bool for v in values):
        raise TypeError("a bool is not an integer array element")
    return "{" + ",".join(map(int.__repr__, values)) + "}"  # TypeError for anything not an int


def _int(value: int) -> str:
    if type(value) is bool:
        raise TypeError("a bool is not an integer array element")
    return int.__repr__(value)


def uuid_array(values: Sequence[str | uuid.UUID | None]) -> str:
    """``{"…","…",NULL}``: ids, as ``uuid.UUID`` or their text; PostgreSQL's cast checks the text."""
    if not values:
        return "{}"
    if None in values:
        return "{" + ",".join("NULL" if v is None else '"' + _plain(str(v)) + '"' for v in values) + "}"
    texts = [v if type(v) is str else str(v) for v in values]
    joined = '","'.join(texts)
    # Only the separators may hold quotes; no value may hold a backslash (it would escape a quote).
    if joined.count('"') != 2 * (len(texts) - 1) or "\\" in joined:
        raise InvalidInput("an id holds a quote or a backslash: it is not a UUID")
    return '{"' + joined + '"}'


def _plain(text: str) -> str:
    if '"' in text or "\\" in text:
        raise InvalidInput("an id holds a quote or a backslash: it is not a UUID")
    return text


def text_array(values: Sequence[str | None]) -> str:
    """``{"a","b \\"c\\"",NULL}``: any text, quoted and escaped."""
    if not values:
        return "{}"
    if None in values:
        return "{" + ",".join("NULL" if v is None else _quoted(v) for v in values) + "}"
    texts = cast("Sequence[str]", values)  # no None, checked above
    joined = _SEPARATOR.join(texts)
    if joined.count(_SEPARATOR) != len(texts) - 1:
        raise InvalidInput("text cannot hold a NUL character")
    escaped = joined.replace("\\", "\\\\").replace('"', '\\"')
    return '{"' + escaped.replace(_SEPARATOR, '","') + '"}'


def _quoted(text: str) -> str:
    if _SEPARATOR in text:
        raise InvalidInput("text cannot hold a NUL character")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
