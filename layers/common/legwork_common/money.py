"""Money as the API sends it: a decimal string and an active ISO 4217 code, never a float.

One rule for every amount a client sends (a task's bonus, a receipt's correction), the
same one the `Money` schema of swagger/openapi.yaml states: more than zero, at most 10
digits before the point, and no more decimals than the currency has (2 at most; none for
JPY and the other currencies without minor units). Messages name the field.

    >>> Money.parse({"amount": "12.50", "currency": "EUR"}, field="bonus")
    Money(amount=Decimal('12.50'), currency='EUR')
    >>> Money.parse({"amount": "1.5", "currency": "JPY"}, field="bonus")
    Traceback (most recent call last):
    ValidationFailed: 'bonus.amount' must be more than zero, with at most 10 digits before the point and 0 after it for JPY, without sign or leading zeros; got "1.5".
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from legwork_common.currencies import MINOR_UNITS
from legwork_common.errors import ValidationFailed
from legwork_common.validation import json_object

# The patterns of the `Money` schema (swagger/openapi.yaml); a test holds them equal.
# A positive amount, at most 10 digits before the point and 2 after, no sign, no leading zeros.
AMOUNT_PATTERN = re.compile(r"^([1-9][0-9]{0,9}(\.[0-9]{1,2})?|0\.([1-9][0-9]?|0[1-9]))$")
WHOLE_AMOUNT_PATTERN = re.compile(r"^[1-9][0-9]{0,9}$")  # currencies without minor units (JPY)


def currency_digits(currency: str) -> int:
    """Decimals an amount in `currency` is kept with (at most 2: cents, never mills)."""
    return min(2, MINOR_UNITS.get(currency, 2))


@dataclass(frozen=True)
class Money:
    """A positive amount in an active ISO 4217 currency, with no more decimals than it has (2 at most)."""

    amount: Decimal
    currency: str

    @classmethod
    def parse(cls, raw: Any, *, field: str | None, extra: tuple[str, ...] = ()) -> "Money":
        """`{amount, currency}` (plus the `extra` keys the caller reads itself) or a 400 naming
        `field` (None: the request body itself)."""
        json_object(raw, ("amount", "currency", *extra), field=field)
        prefix = f"{field}." if field else ""
        currency = raw.get("currency")
        if currency is None:
            raise ValidationFailed.required(f"{prefix}currency", "an active ISO 4217 code such as EUR")
        if not isinstance(currency, str) or currency not in MINOR_UNITS:
            raise ValidationFailed.wrong_type(f"{prefix}currency", "an active ISO 4217 code such as EUR", currency)
        amount_text = raw.get("amount")
        if amount_text is None:
            raise ValidationFailed.required(f"{prefix}amount", 'a decimal string such as "12.50"')
        if not isinstance(amount_text, str):
            raise ValidationFailed.wrong_type(
                f"{prefix}amount", 'a string such as "12.50" (money is never sent as a JSON number)', amount_text)
        digits = currency_digits(currency)
        if not (WHOLE_AMOUNT_PATTERN if digits == 0 else AMOUNT_PATTERN).fullmatch(amount_text):
            raise ValidationFailed.wrong_type(
                f"{prefix}amount", f"more than zero, with at most 10 digits before the point and {digits} after it "
                f"for {currency}, without sign or leading zeros", amount_text)
        return cls(amount=Decimal(amount_text).quantize(Decimal(1).scaleb(-digits)), currency=currency)

    def as_item(self) -> dict:
        """As stored and shown: the amount as a string with the currency's decimals ("12.50")."""
        return {"amount": str(self.amount), "currency": self.currency}
