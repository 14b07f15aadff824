"""Money as the API sends it: a decimal string and an ISO 4217 code, never a float.

Used by task bonuses and receipt corrections; the messages name the field.

    >>> Money.parse({"amount": "12.50", "currency": "EUR"}, field="bonus")
    Money(amount=Decimal('12.50'), currency='EUR')
    >>> Money.parse({"amount": "1.5", "currency": "JPY"}, field="correction")
    Traceback (most recent call last):
    ValidationFailed: 'correction.amount' has too many decimals for JPY: at most 0; got '1.5'.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from legwork_common.currencies import MINOR_UNITS
from legwork_common.errors import ValidationFailed
from legwork_common.validation import json_object

AMOUNT_PATTERN = re.compile(r"^(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?$")
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")


def currency_digits(currency: str) -> int:
    """Decimals an amount in `currency` is kept with (at most 2: cents, never mills)."""
    return min(2, MINOR_UNITS.get(currency, 2))


@dataclass(frozen=True)
class Money:
    """A positive amount in an active ISO 4217 currency, with no more decimals than it has."""

    amount: Decimal
    currency: str

    @classmethod
    def parse(cls, raw: Any, *, field: str | None, extra: tuple[str, ...] = ()) -> "Money":
        """`{amount, currency}` (plus the `extra` keys the caller reads) or a 400 naming `field`
        (None: the request body itself)."""
        json_object(raw, ("amount", "currency", *extra), field=field)
        field = f"{field}." if field else ""
        amount_text = raw.get("amount")
        if amount_text is None:
            raise ValidationFailed(f"'{field}amount' is required: a decimal string such as \"12.50\".")
        if not isinstance(amount_text, str):
            raise ValidationFailed(
                f"'{field}amount' must be a string such as \"12.50\" (money is never sent as a JSON number)."
            )
        if not AMOUNT_PATTERN.match(amount_text):
            raise ValidationFailed(
                f"'{field}amount' must be a decimal with at most 10 digits before the point and 2 after, "
                f"without sign or leading zeros, such as \"12.50\"; got {amount_text!r}."
            )
        amount = Decimal(amount_text)
        if amount <= 0:
            raise ValidationFailed(f"'{field}amount' must be more than zero; got {amount_text!r}.")
        currency = raw.get("currency")
        if not isinstance(currency, str) or not CURRENCY_PATTERN.match(currency):
            raise ValidationFailed(f"'{field}currency' must be an ISO 4217 code of 3 capital letters; got {currency!r}.")
        if currency not in MINOR_UNITS:
            raise ValidationFailed(f"'{field}currency' {currency!r} is not an active ISO 4217 currency.")
        digits = currency_digits(currency)
        if -amount.as_tuple().exponent > digits:
            raise ValidationFailed(
                f"'{field}amount' has too many decimals for {currency}: at most {digits}; got {amount_text!r}."
            )
        return cls(amount=amount.quantize(Decimal(1).scaleb(-digits)), currency=currency)

    def as_item(self) -> dict:
        """As stored and shown: the amount as a string with the currency's decimals ("12.50")."""
        return {"amount": str(self.amount), "currency": self.currency}
