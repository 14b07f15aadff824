"""Paging for list endpoints: the `limit` query parameter and keyset cursors.

A cursor is the key values of the last item of a page, joined by `~`: every value is 1
to 64 of ``0-9 A-Z a-z : . _ -`` (ids, ISO timestamps, statuses), so a cursor needs no
escaping in a URL and its whole language is one regular expression, which the
resource's swagger.yaml states as the parameter's `pattern`. Any cursor of that shape is
a position in the listing (DynamoDB continues after a key whether or not an item has
it); the resource rebuilds the index key from it and from the listing's own partition,
so a cursor can move a caller within what they may list, never outside it.

    >>> limit = parse_limit(query.get("limit"), default=25, maximum=100)
    >>> keyset_cursor("2026-11-23T08:00:00.000Z", "r-1")
    '2026-11-23T08:00:00.000Z~r-1'
    >>> cursor_parts("2026-11-23T08:00:00.000Z~r-1", 2)
    ['2026-11-23T08:00:00.000Z', 'r-1']
"""
from __future__ import annotations

import re

from legwork_common.errors import InvalidCursor, ValidationFailed

CURSOR_PART = "[0-9A-Za-z:._-]{1,64}"
CURSOR_SEPARATOR = "~"
_PART = re.compile(CURSOR_PART)


def parse_limit(raw: str | None, *, default: int, maximum: int) -> int:
    """The page size from the query string: `default` when absent, a 400 when not 1..maximum."""
    if raw is None:
        return default
    digits = raw.lstrip("0") if re.fullmatch(r"[0-9]+", raw) else ""  # "007" is 7, as an integer is
    if not digits or len(digits) > 6 or not 1 <= int(digits) <= maximum:
        raise ValidationFailed(f"'limit' must be a whole number from 1 to {maximum}; got {raw!r}.")
    return int(digits)


def cursor_pattern(parts: int) -> str:
    """The regular expression of a cursor of `parts` key values (the swagger `pattern`)."""
    return f"^{CURSOR_PART}({CURSOR_SEPARATOR}{CURSOR_PART}){{{parts - 1}}}$" if parts > 1 else f"^{CURSOR_PART}$"


def keyset_cursor(*values: str) -> str:
    """The cursor of a page that ended at an item with these key values."""
    for value in values:
        if not isinstance(value, str) or not _PART.fullmatch(value):
            raise ValueError(f"a key value a cursor cannot carry: {value!r}")
    return CURSOR_SEPARATOR.join(values)


def cursor_parts(cursor: str, parts: int) -> list[str]:
    """The `parts` key values of a cursor; `InvalidCursor` (a 400) when it is not of that shape."""
    values = cursor.split(CURSOR_SEPARATOR)
    if len(values) != parts or not all(_PART.fullmatch(value) for value in values):
        raise InvalidCursor()
    return values
