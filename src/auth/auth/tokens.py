"""JWTs for the API: HS256, signed with the stack's key from Secrets Manager.

    >>> token, expires_at = issue(user, key=key, issuer="legwork-dev", audience="legwork-api",
    ...                           lifetime=timedelta(hours=12), now=now)
    >>> verify(token, key=key, issuer="legwork-dev", audience="legwork-api")["role"]
    'courier'

`verify` accepts HS256 only (a token saying `alg: none` or any other algorithm is
refused) and requires `exp`, `iat`, `iss`, `aud`, `sub`, `username` and `role`.
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

import jwt
from legwork_common.api import ROLES

ALGORITHM = "HS256"
_REQUIRED = ["exp", "iat", "iss", "aud", "sub"]
# Clocks of Lambda hosts agree closely; a few seconds absorb the rest.
LEEWAY_SECONDS = 5
DEFAULT_SECRET_MAX_AGE = 300


class InvalidToken(Exception):
    """The token must not be honoured; the message says why (for logs, never for clients)."""


def issue(
    user: dict, *, key: str, issuer: str, audience: str, lifetime: timedelta, now: datetime
) -> tuple[str, datetime]:
    """A signed token for `user` ({userId, username, role}) and the moment it expires."""
    expires_at = now + lifetime
    claims = {
        "sub": user["userId"],
        "username": user["username"],
        "role": user["role"],
        "iss": issuer,
        "aud": audience,
        "iat": int(now.timestamp()),
        "exp": int(expires_at.timestamp()),
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM), expires_at


def verify(token: str, *, key: str, issuer: str, audience: str) -> dict[str, Any]:
    """The claims of a valid token, or `InvalidToken` saying what is wrong with it."""
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": _REQUIRED},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"{type(exc).__name__}: {exc}") from None
    for claim in ("sub", "username", "role"):
        if not isinstance(claims.get(claim), str) or not claims[claim]:
            raise InvalidToken(f"claim {claim!r} missing or not a string")
    if claims["role"] not in ROLES:
        raise InvalidToken(f"unknown role {claims['role']!r}")
    return claims


def bearer_token(header: str | None) -> str:
    """The token from an `Authorization: Bearer <token>` value, or `InvalidToken`."""
    if not header or not isinstance(header, str):
        raise InvalidToken("no Authorization header")
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise InvalidToken("Authorization is not 'Bearer <token>'")
    return token


def signing_key() -> str:
    """The HS256 key: the secret named by TOKEN_SECRET_ARN, cached for TOKEN_SECRET_MAX_AGE s."""
    # Imported here: Powertools' parameters module pulls in boto3, which only this path needs.
    from aws_lambda_powertools.utilities import parameters

    max_age = int(os.environ.get("TOKEN_SECRET_MAX_AGE", DEFAULT_SECRET_MAX_AGE))
    key = parameters.get_secret(os.environ["TOKEN_SECRET_ARN"], max_age=max_age)
    if not isinstance(key, str) or len(key) < 32:
        raise RuntimeError("TOKEN_SECRET_ARN must name a secret string of at least 32 characters.")
    return key
