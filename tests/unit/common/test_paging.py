"""Paging helpers shared by every list endpoint."""
from __future__ import annotations

import re

import pytest

from legwork_common.errors import InvalidCursor, ValidationFailed
from legwork_common.paging import cursor_parts, cursor_pattern, keyset_cursor, parse_limit


def test_limit_defaults_and_bounds() -> None:
    assert parse_limit(None, default=25, maximum=100) == 25
    assert parse_limit("100", default=25, maximum=100) == 100
    for bad in ("0", "101", "-1", "ten", "1.5", "", "٣"):
        with pytest.raises(ValidationFailed, match="'limit' must be a whole number from 1 to 100"):
            parse_limit(bad, default=25, maximum=100)


def test_cursor_round_trip() -> None:
    cursor = keyset_cursor("2026-11-23T08:00:00.000Z", "in_progress", "0b6f-4c")
    assert cursor == "2026-11-23T08:00:00.000Z~in_progress~0b6f-4c"
    assert cursor_parts(cursor, 3) == ["2026-11-23T08:00:00.000Z", "in_progress", "0b6f-4c"]
    assert re.fullmatch(cursor_pattern(3), cursor)


@pytest.mark.parametrize("cursor", ["", "a~", "~a", "a~b", "a b", "a/b", "a\n", "x" * 65, "ä"])
def test_a_cursor_not_of_the_shape_is_refused_with_one_message(cursor) -> None:
    with pytest.raises(InvalidCursor, match="'cursor' is not valid: pass the nextCursor of the previous page"):
        cursor_parts(cursor, 1 if cursor != "a~b" else 3)
    assert not re.fullmatch(cursor_pattern(1 if cursor != "a~b" else 3), cursor)


def test_a_key_value_no_cursor_can_carry_is_a_defect_not_a_silent_cursor() -> None:
    with pytest.raises(ValueError):
        keyset_cursor("has space")
