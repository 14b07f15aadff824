"""Paging helpers shared by every list endpoint."""
from __future__ import annotations

import pytest

from legwork_common.errors import ValidationFailed
from legwork_common.paging import pack, parse_limit, unpack


def test_limit_defaults_and_bounds() -> None:
    assert parse_limit(None, default=25, maximum=100) == 25
    assert parse_limit("100", default=25, maximum=100) == 100
    for bad in ("0", "101", "-1", "ten", "1.5", "", "٣"):
        with pytest.raises(ValidationFailed, match="'limit' must be a whole number from 1 to 100"):
            parse_limit(bad, default=25, maximum=100)


def test_cursor_round_trip_and_garbage() -> None:
    document = {"k": {"taskId": "t-1"}, "s": 2}
    cursor = pack(document)
    assert "=" not in cursor and unpack(cursor) == document
    assert unpack("%%%not-base64") is None
    assert unpack(pack("x")[:-1] + "!") is None
