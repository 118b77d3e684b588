"""Array literals: the shape PostgreSQL parses, and no value that could add or shift an element
(the parse itself is checked against PostgreSQL in tests/integration/test_pg_arrays.py)."""

from __future__ import annotations

import uuid

import pytest

from xinyi_shared.errors import InvalidInput
from xinyi_shared.pg_arrays import int_array, text_array, uuid_array


def test_empty_arrays() -> None:
    assert int_array([]) == uuid_array([]) == text_array([]) == "{}"


def test_integers_with_nulls_and_signs() -> None:
    assert int_array([1, -2, 0]) == "{1,-2,0}"
    assert int_array([None, 7]) == "{NULL,7}"
    assert int_array([2**63 - 1]) == "{9223372036854775807}"


@pytest.mark.parametrize("values", [[True, 1], [1, None, False]])
def test_a_flag_is_not_an_integer(values: list[int | None]) -> None:
    with pytest.raises(TypeError):
        int_array(values)


@pytest.mark.parametrize("value", ["1,2", "1", 1.5])
def test_only_integers_go_into_an_integer_array(value: object) -> None:
    with pytest.raises(TypeError):
        int_array([1, value])  # type: ignore[list-item]


def test_ids_as_objects_or_text() -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    assert uuid_array([first, str(second)]) == f'{{"{first}","{second}"}}'
    assert uuid_array([None, first]) == f'{{NULL,"{first}"}}'


@pytest.mark.parametrize("bad", ['a","b', "a\\", 'x"'])
def test_an_id_cannot_hold_a_quote_or_backslash(bad: str) -> None:
    with pytest.raises(InvalidInput):
        uuid_array([str(uuid.uuid4()), bad])
    with pytest.raises(InvalidInput):
        uuid_array([None, bad])


def test_text_is_quoted_and_escaped() -> None:
    assert text_array(["a", 'say "hi"', "back\\slash", "", "NULL", "a,b{}"]) == (
        '{"a","say \\"hi\\"","back\\\\slash","","NULL","a,b{}"}'
    )
    assert text_array([None, "x"]) == '{NULL,"x"}'


@pytest.mark.parametrize("values", [["a\x00b"], ["a", None, "\x00"]])
def test_text_cannot_hold_nul(values: list[str | None]) -> None:
    with pytest.raises(InvalidInput):
        text_array(values)
