"""Checks every request model makes, with messages that name the field.

    >>> body = json_object(request.body, ("username", "password"))
    >>> bonus = json_object(body.get("bonus"), ("amount", "currency"), field="bonus")
"""
from __future__ import annotations

from typing import Any

from legwork_common.errors import ValidationFailed


def json_object(raw: Any, allowed: tuple[str, ...], field: str | None = None) -> dict:
    """`raw` if it is a JSON object with no key outside `allowed`; a 400 otherwise.

    `field` names a nested object in the messages; None means the request body.
    """
    listed = ", ".join(allowed)
    if not isinstance(raw, dict):
        what = "The request body must be a JSON object" if field is None else f"'{field}' must be an object"
        raise ValidationFailed(f"{what} with {listed}.")
    unknown = sorted(set(raw) - set(allowed))
    if unknown:
        prefix = "Unknown field(s)" if field is None else f"'{field}' has unknown field(s)"
        raise ValidationFailed(f"{prefix} {', '.join(unknown)}; only {listed} are accepted.")
    return raw
