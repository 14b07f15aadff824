"""Users as the API sees them and as the table stores them; the domain rules of input.

The gateway validates bodies against swagger.yaml first; these checks run again in the
function (never trust only the gateway) and answer a 400 that says what to fix.

    >>> NewUser.parse({"username": "ana", "password": "a long secret", "role": "courier"}).role
    'courier'
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from legwork_common.api import ROLES
from legwork_common.clock import utc_seconds as iso
from legwork_common.errors import ValidationFailed
from legwork_common.paging import cursor_parts, keyset_cursor, parse_limit
from legwork_common.validation import json_object

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,31}$")
PASSWORD_MIN, PASSWORD_MAX = 10, 256
LIMIT_DEFAULT, LIMIT_MAX = 25, 100
PUBLIC_FIELDS = ("userId", "username", "role", "createdAt")


@dataclass(frozen=True)
class Credentials:
    """The body of POST /auth/login."""

    username: str
    password: str

    @classmethod
    def parse(cls, body: Any) -> "Credentials":
        body = json_object(body, ("username", "password"))
        username = _string(body, "username", max_length=64)
        password = _string(body, "password", max_length=PASSWORD_MAX)
        return cls(username=username, password=password)


@dataclass(frozen=True)
class NewUser:
    """The body of POST /users."""

    username: str
    password: str
    role: str

    @classmethod
    def parse(cls, body: Any) -> "NewUser":
        body = json_object(body, ("username", "password", "role"))
        username = _string(body, "username", max_length=32)
        check_username(username)
        password = _string(body, "password", max_length=PASSWORD_MAX)
        check_password(password)
        role = _string(body, "role", max_length=16)
        if role not in ROLES:
            raise ValidationFailed.one_of("role", ROLES, role)
        return cls(username=username, password=password, role=role)


@dataclass(frozen=True)
class Page:
    """The query of GET /users: `limit` (1-100) and a `cursor` (the last username of the previous page)."""

    limit: int
    start_key: dict | None

    @classmethod
    def parse(cls, query: dict[str, str]) -> "Page":
        limit = parse_limit(query.get("limit"), default=LIMIT_DEFAULT, maximum=LIMIT_MAX)
        cursor = query.get("cursor")
        return cls(limit=limit, start_key=decode_cursor(cursor) if cursor is not None else None)


def check_username(username: str) -> None:
    """A 400 unless `username` is 3-32 of a-z 0-9 _ . - starting with a letter or digit."""
    if not USERNAME_PATTERN.fullmatch(username):
        raise ValidationFailed(
            "'username' must be 3 to 32 characters: lower-case letters, digits, '_', '.' or '-',"
            f" starting with a letter or digit; got {username!r}."
        )


def check_password(password: str) -> None:
    """A 400 unless `password` has 10 to 256 characters."""
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise ValidationFailed(
            f"'password' must have {PASSWORD_MIN} to {PASSWORD_MAX} characters; it has {len(password)}."
        )


def new_user_item(username: str, password_hash: str, role: str, now: datetime) -> dict:
    """The UsersTable item of a user who was just created."""
    return {
        "username": username,
        "userId": str(uuid.uuid4()),
        "role": role,
        "passwordHash": password_hash,
        "createdAt": iso(now),
        "failedAttempts": 0,
    }


def public_user(item: dict) -> dict:
    """What the API shows of a user: never the hash or the lockout state."""
    return {key: item[key] for key in PUBLIC_FIELDS if key in item}


def encode_cursor(last_key: dict | None) -> str | None:
    """The cursor of the page after `last_key`: its username (None when there is no next page)."""
    return keyset_cursor(last_key["username"]) if last_key else None


def decode_cursor(cursor: str) -> dict:
    """The table key a cursor stands for (any username-shaped cursor is a position); else a 400."""
    (username,) = cursor_parts(cursor, 1)
    return {"username": username}


def _string(body: dict, name: str, *, max_length: int) -> str:
    value = body.get(name)
    if value is None:
        raise ValidationFailed.required(name, "a non-empty string")
    if not isinstance(value, str) or not value:
        raise ValidationFailed.wrong_type(name, "a non-empty string", value)
    if len(value) > max_length:
        raise ValidationFailed.too_long(name, max_length, len(value))
    return value
