"""Paging for list endpoints: the `limit` query parameter and opaque cursors.

A cursor is base64url JSON without padding; what it holds (an index key, a position) is
the resource's business, and the resource checks its shape after `unpack`.

    >>> limit = parse_limit(query.get("limit"), default=25, maximum=100)
    >>> cursor = pack({"taskId": "t-1"})
    >>> unpack(cursor)
    {'taskId': 't-1'}
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from legwork_common.errors import ValidationFailed


def parse_limit(raw: str | None, *, default: int, maximum: int) -> int:
    """The page size from the query string: `default` when absent, a 400 when not 1..maximum."""
    if raw is None:
        return default
    if not re.fullmatch(r"[0-9]{1,6}", raw) or not 1 <= int(raw) <= maximum:
        raise ValidationFailed(f"'limit' must be a whole number from 1 to {maximum}; got {raw!r}.")
    return int(raw)


def pack(document: Any) -> str:
    """An opaque cursor for `document` (JSON-serialisable; Decimals become strings)."""
    raw = json.dumps(document, separators=(",", ":"), sort_keys=True, default=str).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def unpack(cursor: str) -> Any:
    """What `pack` packed, or None when `cursor` is not base64url JSON at all."""
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        return None
