"""Password hashing with scrypt (stdlib), in a self-describing PHC-style string.

    >>> encoded = hash_password("correct horse battery")
    >>> encoded.split("$")[1:3]
    ['scrypt', 'ln=14,r=8,p=1']
    >>> verify_password("correct horse battery", encoded)
    True

The parameters travel with each hash, so they can be raised later: old hashes still
verify, and `needs_rehash` tells the caller to store a fresh one at the next login.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os

SCHEME = "scrypt"
# n = 2**14, r = 8, p = 1: 16 MiB and ~50 ms per hash here (OWASP's minimum for scrypt).
LOG2_N, R, P = 14, 8, 1
SALT_BYTES, KEY_BYTES = 16, 32
# A stored hash may not ask for more than this (a corrupt or hostile value must not
# make us allocate gigabytes).
_MAX_LOG2_N, _MAX_R, _MAX_P = 20, 16, 4


def hash_password(password: str) -> str:
    """`$scrypt$ln=14,r=8,p=1$<salt>$<key>` for `password`, with a random 16-byte salt."""
    salt = os.urandom(SALT_BYTES)
    key = _derive(password, salt, LOG2_N, R, P, KEY_BYTES)
    return f"${SCHEME}$ln={LOG2_N},r={R},p={P}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, encoded: str) -> bool:
    """True if `password` matches `encoded`; False for a wrong password or an unreadable hash.

    The comparison is constant-time (`hmac.compare_digest`).
    """
    parsed = _parse(encoded)
    if parsed is None:
        return False
    log2_n, r, p, salt, expected = parsed
    return hmac.compare_digest(_derive(password, salt, log2_n, r, p, len(expected)), expected)


def needs_rehash(encoded: str) -> bool:
    """True when `encoded` was made with other parameters than today's."""
    parsed = _parse(encoded)
    return parsed is None or parsed[:3] != (LOG2_N, R, P) or len(parsed[4]) != KEY_BYTES


def _derive(password: str, salt: bytes, log2_n: int, r: int, p: int, length: int) -> bytes:
    n = 1 << log2_n
    # OpenSSL refuses by default above 32 MiB; allow what the parameters need, plus slack.
    maxmem = 128 * r * (n + p + 2) + 1024 * 1024
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=length, maxmem=maxmem)


def _parse(encoded: str) -> tuple[int, int, int, bytes, bytes] | None:
    try:
        empty, scheme, params, salt, key = encoded.split("$")
        if empty or scheme != SCHEME:
            return None
        values = dict(item.split("=", 1) for item in params.split(","))
        log2_n, r, p = int(values["ln"]), int(values["r"]), int(values["p"])
        salt_bytes, key_bytes = _unb64(salt), _unb64(key)
    except (AttributeError, ValueError, KeyError):
        return None
    if not (1 <= log2_n <= _MAX_LOG2_N and 1 <= r <= _MAX_R and 1 <= p <= _MAX_P):
        return None
    if len(salt_bytes) < 8 or not 16 <= len(key_bytes) <= 64:
        return None
    return log2_n, r, p, salt_bytes, key_bytes


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
