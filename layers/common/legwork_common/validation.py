"""Checks every request model makes, with messages that name the field.

    >>> body = json_object(request.body, ("username", "password"))
    >>> bonus = json_object(body.get("bonus"), ("amount", "currency"), field="bonus")
    >>> number_in_range(Decimal("52.52"), "lat", -90, 90)
    Decimal('52.52')
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from legwork_common.errors import ValidationFailed

# A name or title must show something: a character other than these (swagger: "[^ \\t\\n\\r]").
BLANK = " \t\n\r"


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


def number_in_range(value: Any, field: str, low: int | Decimal, high: int | Decimal) -> Decimal:
    """`value` (a JSON number: int, float or the Decimal of `parse_float=Decimal`) as an exact
    Decimal from `low` to `high`; a 400 naming `field` otherwise (missing, not a number, NaN or
    infinite, out of range). Every numeric input has a range, so what is stored stays within
    DynamoDB's 38 digits and no arithmetic on it can overflow."""
    if value is None:
        raise ValidationFailed.required(field, f"a number from {low} to {high}")
    # bool is an int in Python, and JSON's `true` is no number.
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise ValidationFailed.wrong_type(field, f"a number from {low} to {high}", value)
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if not number.is_finite():
        raise ValidationFailed.wrong_type(field, "a finite number", value)
    if not low <= number <= high:
        raise ValidationFailed.out_of_range(field, low, high, value)
    return number
