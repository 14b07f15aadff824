"""Lambda event filtering: EventBridge-style patterns matched against an event record.

`matches(pattern, record)` follows the rules Lambda uses for `FilterCriteria`: every
key of the pattern must match; a leaf is a list of alternatives; an array in the record
matches when any element does. Supported: literal equality (numbers compared as
numbers), `prefix`, `suffix`, `equals-ignore-case`, `anything-but` (values, `prefix`,
`suffix`), `exists`, `numeric` ranges, `wildcard`, `cidr` and `$or`.

    >>> matches({"eventName": ["INSERT"]}, {"eventName": "INSERT"})
    True
"""
from __future__ import annotations

import ipaddress
import json
import re
from typing import Any

_MISSING = object()


class PatternError(ValueError):
    """The filter pattern is not one Lambda would accept."""


def parse(pattern: str | dict) -> dict:
    """A filter's `Pattern` (a JSON string in the template) as a dict."""
    if isinstance(pattern, dict):
        return pattern
    try:
        value = json.loads(pattern)
    except ValueError as exc:
        raise PatternError(f"Filter pattern is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise PatternError("A filter pattern must be a JSON object.")
    return value


def matches(pattern: dict, record: Any) -> bool:
    """True when `record` satisfies `pattern`."""
    for key, expected in pattern.items():
        if key == "$or":
            if not any(matches(sub, record) for sub in expected):
                return False
            continue
        value = record.get(key, _MISSING) if isinstance(record, dict) else _MISSING
        if isinstance(expected, dict):
            if value is _MISSING:
                return False
            candidates = value if isinstance(value, list) else [value]
            if not any(isinstance(v, dict) and matches(expected, v) for v in candidates):
                return False
        elif isinstance(expected, list):
            if not _leaf(expected, value):
                return False
        else:
            raise PatternError(f"Pattern value for {key!r} must be an object or an array of matchers.")
    return True


def _leaf(alternatives: list, value: Any) -> bool:
    for matcher in alternatives:
        if isinstance(matcher, dict) and "exists" in matcher:
            if bool(matcher["exists"]) == (value is not _MISSING):
                return True
            continue
        if value is _MISSING:
            continue
        values = value if isinstance(value, list) else [value]
        if any(_match_one(matcher, v) for v in values):
            return True
    return False


def _equal(expected: Any, value: Any) -> bool:
    if isinstance(expected, bool) or isinstance(value, bool):
        return expected is value
    if isinstance(expected, (int, float)) and isinstance(value, (int, float)):
        return float(expected) == float(value)
    return expected == value


def _match_one(matcher: Any, value: Any) -> bool:
    if not isinstance(matcher, dict):
        return _equal(matcher, value)
    (kind, arg), = matcher.items()
    if kind == "prefix":
        if isinstance(arg, dict) and "equals-ignore-case" in arg:
            return isinstance(value, str) and value.lower().startswith(str(arg["equals-ignore-case"]).lower())
        return isinstance(value, str) and value.startswith(arg)
    if kind == "suffix":
        if isinstance(arg, dict) and "equals-ignore-case" in arg:
            return isinstance(value, str) and value.lower().endswith(str(arg["equals-ignore-case"]).lower())
        return isinstance(value, str) and value.endswith(arg)
    if kind == "equals-ignore-case":
        return isinstance(value, str) and value.lower() == str(arg).lower()
    if kind == "anything-but":
        if isinstance(arg, dict):
            return not _match_one(arg, value)
        excluded = arg if isinstance(arg, list) else [arg]
        return not any(_equal(e, value) for e in excluded)
    if kind == "numeric":
        return _numeric(arg, value)
    if kind == "wildcard":
        regex = ".*".join(re.escape(part) for part in str(arg).split("*"))
        return isinstance(value, str) and re.fullmatch(regex, value, re.DOTALL) is not None
    if kind == "cidr":
        try:
            return ipaddress.ip_address(value) in ipaddress.ip_network(arg, strict=False)
        except ValueError:
            return False
    raise PatternError(f"Unsupported filter matcher {kind!r}.")


_OPS = {
    "=": lambda a, b: a == b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _numeric(conditions: list, value: Any) -> bool:
    if isinstance(value, bool):
        return False
    try:
        number = float(value) if isinstance(value, (int, float)) else None
    except (TypeError, ValueError):
        number = None
    if number is None:
        return False
    for i in range(0, len(conditions), 2):
        op, bound = conditions[i], conditions[i + 1]
        if op not in _OPS:
            raise PatternError(f"Unsupported numeric operator {op!r}.")
        if not _OPS[op](number, float(bound)):
            return False
    return True
