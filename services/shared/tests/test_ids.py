"""Journal ids are UUIDv7: valid UUIDs of version 7 and the RFC variant, unique, ascending in the
order they were made, and carrying the time they were made."""

from __future__ import annotations

import time
import uuid

from xinyi_shared.ids import new_id, new_ids


def test_ids_are_canonical_uuids_of_version_7() -> None:
    for text in [new_id(), *new_ids(50)]:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 7
        assert parsed.variant == uuid.RFC_4122


def test_ids_are_unique_and_ascending() -> None:
    ids = new_ids(5000) + new_ids(5000)
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    assert [uuid.UUID(i) for i in ids] == sorted(uuid.UUID(i) for i in ids)


def test_an_id_carries_the_millisecond_it_was_made() -> None:
    before = int(time.time() * 1000)
    made = uuid.UUID(new_id())
    after = int(time.time() * 1000)
    assert before <= made.int >> 80 <= after


def test_no_ids_for_none() -> None:
    assert new_ids(0) == []
