"""The leaf encoding of a ledger entry (exact bytes, strict parsing) and household commitments."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from xinyi_shared.transparency.entries import (
    EntryLine,
    LedgerEntry,
    MalformedEntryError,
    decode_opening,
    encode_opening,
    entry_from_json,
    entry_from_leaf_bytes,
    entry_leaf_bytes,
    entry_leaf_hash,
    household_commitment,
    lines_of_household,
    new_household_secret,
)
from xinyi_shared.transparency.merkle import leaf_hash

TRANSACTION = "0b5c8f7e-2d3a-4e1f-9a6b-7c8d9e0f1a2b"
SECRET = bytes(range(32))
OTHER_SECRET = bytes(range(1, 33))


def an_entry(**changes: Any) -> LedgerEntry:
    fields: dict[str, Any] = {
        "estate": "jinhe-lvzhou",
        "seq": 42,
        "transaction_id": TRANSACTION,
        "period": "2026-11",
        "kind": "fee",
        "posted_at": datetime(2026, 11, 29, 22, 55, 50, 123456, tzinfo=UTC),
        "lines": (
            EntryLine(2, "4000", -12345),
            EntryLine(1, "1100", 12345, household_commitment(SECRET, TRANSACTION, 1)),
        ),
    }
    fields.update(changes)
    return LedgerEntry(**fields)


def test_the_leaf_is_canonical_json_with_sorted_keys_and_no_spaces() -> None:
    commitment = household_commitment(SECRET, TRANSACTION, 1)
    expected = (
        '{"estate":"jinhe-lvzhou","id":"0b5c8f7e-2d3a-4e1f-9a6b-7c8d9e0f1a2b","kind":"fee","lines":['
        f'{{"account":"1100","amount_fen":12345,"household":"{commitment}","line":1}},'
        '{"account":"4000","amount_fen":-12345,"household":null,"line":2}],'
        '"period":"2026-11","posted_at":"2026-11-29T22:55:50.123456Z","seq":42,"v":1}'
    ).encode()
    assert entry_leaf_bytes(an_entry()) == expected
    assert entry_leaf_hash(an_entry()) == hashlib.sha256(b"\x00" + expected).digest() == leaf_hash(expected)


def test_non_ascii_text_is_utf8_not_escaped() -> None:
    leaf = entry_leaf_bytes(an_entry(kind="捐赠"))
    assert '"kind":"捐赠"'.encode() in leaf


def test_posted_at_is_written_in_utc_with_microseconds() -> None:
    in_beijing = datetime(2026, 11, 30, 6, 55, 50, tzinfo=timezone(timedelta(hours=8)))
    assert an_entry(posted_at=in_beijing).to_json()["posted_at"] == "2026-11-29T22:55:50.000000Z"
    with pytest.raises(MalformedEntryError, match="time zone"):
        an_entry(posted_at=datetime(2026, 11, 29, 22, 55, 50))


def test_json_round_trips_exactly() -> None:
    entry = an_entry()
    assert entry_from_json(json.loads(entry_leaf_bytes(entry))) == entry
    assert entry_from_leaf_bytes(entry_leaf_bytes(entry)) == entry


def _json(**changes: Any) -> dict[str, Any]:
    value = an_entry().to_json()
    value.update(changes)
    return value


@pytest.mark.parametrize(
    "value",
    [
        _json(v=2),
        _json(v=True),
        _json(seq="42"),
        _json(seq=True),
        _json(seq=-1),
        _json(id=TRANSACTION.upper()),
        _json(id="not-a-uuid"),
        _json(period="2026-13"),
        _json(posted_at="2026-11-29T22:55:50Z"),
        _json(posted_at="2026-11-29T22:55:50.123456+00:00"),
        _json(posted_at="2026-02-30T22:55:50.123456Z"),
        _json(kind=""),
        _json(kind="fee\n"),
        _json(estate=None),
        _json(lines=[]),
        _json(extra="field"),
        {k: v for k, v in _json().items() if k != "kind"},
        _json(lines=[{"line": 1, "account": "1100", "amount_fen": 1.5, "household": None}]),
        _json(lines=[{"line": 1, "account": "1100", "amount_fen": 1, "household": "ABC"}]),
        _json(lines=[{"line": 1, "account": "1100", "amount_fen": 1}]),
        _json(lines=[{"line": 0, "account": "1100", "amount_fen": 1, "household": None}]),
        _json(lines=list(reversed(_json()["lines"]))),  # out of order
        _json(lines=[_json()["lines"][0], _json()["lines"][0]]),  # a line twice
    ],
)
def test_anything_but_the_canonical_fields_is_malformed(value: dict[str, Any]) -> None:
    with pytest.raises(MalformedEntryError):
        entry_from_json(value)


def test_non_canonical_leaf_bytes_are_refused() -> None:
    spaced = json.dumps(an_entry().to_json(), sort_keys=True).encode()
    with pytest.raises(MalformedEntryError, match="canonical"):
        entry_from_leaf_bytes(spaced)


def test_the_commitment_is_hmac_sha256_of_label_transaction_and_line() -> None:
    expected = hmac.new(SECRET, b"xinyi-household/v1\n" + TRANSACTION.encode() + b"\n1", hashlib.sha256).hexdigest()
    assert household_commitment(SECRET, TRANSACTION, 1) == expected
    # Unlinkable: another line, transaction or household gives an unrelated value.
    assert household_commitment(SECRET, TRANSACTION, 2) != expected
    assert household_commitment(OTHER_SECRET, TRANSACTION, 1) != expected


def test_a_household_finds_its_own_lines_and_only_them() -> None:
    entry = an_entry()
    assert [line.line for line in lines_of_household(entry, SECRET)] == [1]
    assert lines_of_household(entry, OTHER_SECRET) == ()


def test_openings_are_base64url_of_32_bytes() -> None:
    secret = new_household_secret()
    assert len(secret) == 32
    text = encode_opening(SECRET)
    assert text == base64.urlsafe_b64encode(SECRET).decode().rstrip("=")
    assert len(text) == 43
    assert decode_opening(text) == SECRET
    assert decode_opening(text + "=\n") == SECRET
    assert decode_opening(encode_opening(secret)) == secret
    for bad in ("", "not base64!", encode_opening(SECRET)[:-2], base64.b64encode(b"\xfb" * 32).decode()):
        with pytest.raises(ValueError):
            decode_opening(bad)
