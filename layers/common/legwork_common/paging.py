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
from dataclasses import dataclass

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


@dataclass(frozen=True)
class NewestFirst:
    """The query of a listing newest first on an index whose range key is `createdAt`:
    `limit`, and `after` = (createdAt, id) of the previous page's last item (cursor
    `<createdAt>~<id>`, the swagger pattern `cursor_pattern(2)`).

        >>> page = NewestFirst.parse(query, default=25, maximum=100)
        >>> items, last = table.page(limit=page.limit, start_key=page.start_key("fileId", {"ownerId": me}))
        >>> NewestFirst.cursor(last, "fileId")
    """

    limit: int
    after: tuple[str, str] | None

    @classmethod
    def parse(cls, query: dict, *, default: int, maximum: int) -> "NewestFirst":
        limit = parse_limit(query.get("limit"), default=default, maximum=maximum)
        raw = query.get("cursor")
        return cls(limit, None if raw is None else tuple(cursor_parts(raw, 2)))  # type: ignore[arg-type]

    def start_key(self, id_name: str, partition: dict[str, str]) -> dict | None:
        """The ExclusiveStartKey: the listing's own partition (never the caller's say), the cursor's position."""
        if self.after is None:
            return None
        created_at, ident = self.after
        return {**partition, "createdAt": created_at, id_name: ident}

    @staticmethod
    def cursor(last_key: dict | None, id_name: str) -> str | None:
        """The cursor of the page after `last_key` (None: no next page)."""
        return keyset_cursor(last_key["createdAt"], last_key[id_name]) if last_key else None
