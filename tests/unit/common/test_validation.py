"""The JSON-object check every request model starts with."""
from __future__ import annotations

import pytest

from legwork_common.errors import ValidationFailed
from legwork_common.validation import json_object


def test_a_body_with_only_allowed_keys_passes_through() -> None:
    body = {"a": 1}
    assert json_object(body, ("a", "b")) is body


@pytest.mark.parametrize(
    "raw, field, message",
    [
        ([1], None, "The request body must be a JSON object with a, b."),
        ({"a": 1, "z": 2, "y": 3}, None, "Unknown field(s) y, z; only a, b are accepted."),
        ("x", "bonus", "'bonus' must be an object with a, b."),
        ({"c": 1}, "bonus", "'bonus' has unknown field(s) c; only a, b are accepted."),
    ],
)
def test_refusals_name_the_field_and_what_is_allowed(raw, field, message) -> None:
    with pytest.raises(ValidationFailed) as info:
        json_object(raw, ("a", "b"), field=field)
    assert info.value.message == message
