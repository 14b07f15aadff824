"""scrypt password hashes: self-describing, salted, verified in constant time."""
from __future__ import annotations

import base64
import hashlib
import os

import pytest

from auth.passwords import hash_password, needs_rehash, verify_password


def test_a_hash_verifies_its_password_and_no_other():
    encoded = hash_password("correct horse battery")

    assert verify_password("correct horse battery", encoded)
    assert not verify_password("correct horse batterY", encoded)
    assert not verify_password("", encoded)


def test_a_hash_names_its_algorithm_and_parameters_and_never_holds_the_password():
    encoded = hash_password("correct horse battery")

    empty, scheme, params, salt, key = encoded.split("$")
    assert (empty, scheme, params) == ("", "scrypt", "ln=14,r=8,p=1")
    assert len(base64.b64decode(salt + "==")) == 16
    assert "correct" not in encoded


def test_the_same_password_hashes_differently_each_time():
    assert hash_password("correct horse battery") != hash_password("correct horse battery")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def test_a_hash_made_with_older_parameters_still_verifies_and_asks_for_a_rehash():
    salt = os.urandom(16)
    key = hashlib.scrypt(b"correct horse battery", salt=salt, n=2**12, r=8, p=1, dklen=32)
    old = f"$scrypt$ln=12,r=8,p=1${b64(salt)}${b64(key)}"

    assert verify_password("correct horse battery", old)
    assert needs_rehash(old)
    assert not needs_rehash(hash_password("correct horse battery"))


@pytest.mark.parametrize("encoded", [
    "", "plain-text-password", "$bcrypt$ln=14,r=8,p=1$c2FsdHNhbHQ$a2V5", "$scrypt$ln=14$c2FsdA$a2V5",
    "$scrypt$ln=40,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + "A" * 43,  # would need terabytes
    "$scrypt$ln=14,r=8,p=1$!!!$???",
])
def test_an_unreadable_hash_verifies_nothing(encoded):
    assert not verify_password("anything at all", encoded)
    assert needs_rehash(encoded)
