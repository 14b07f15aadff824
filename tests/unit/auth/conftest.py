"""The auth resource's stack in moto: its table and signing secret, made from its template.

Uses the suite-wide `aws_stack` fixture (the whole merged template) when tests/conftest.py
provides it; until then, provisions src/auth/template.yaml alone with the same local
provisioner, so the table's schema and the functions' environment are never restated here.
"""
from __future__ import annotations

import os
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:  # for `tests.support`
    sys.path.insert(0, str(ROOT))

AUTH_FUNCTIONS = ("HealthFunction", "LoginFunction", "GetMeFunction", "CreateUserFunction",
                  "ListUsersFunction", "AuthorizerFunction")


@pytest.fixture
def auth_stack(request, monkeypatch):
    """A provisioned stack (`.name(id)`, `.env(fn)`) with the auth functions' environment set."""
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()
    try:
        stack = request.getfixturevalue("aws_stack")
    except pytest.FixtureLookupError:
        stack = None
    if stack is not None:
        yield _with_env(stack, monkeypatch)
        parameters.clear_caches()
        return
    from moto import mock_aws

    from legwork import yamlcfn
    from legwork.local.provision import provision

    template = yamlcfn.load(ROOT / "src" / "auth" / "template.yaml")
    # The fragment refers to the root template's `Stage` parameter.
    template["Parameters"] = {"Stage": {"Type": "String", "Default": "dev"}, **(template.get("Parameters") or {})}
    with mock_aws():
        stack = provision(template, stage="dev")
        yield _with_env(stack, monkeypatch)
    parameters.clear_caches()


def _with_env(stack, monkeypatch):
    for function in AUTH_FUNCTIONS:
        for key, value in stack.env(function).items():
            monkeypatch.setenv(key, value)
    return stack


class FakeClock:
    """A clock the test moves by hand: `clock.advance(minutes=16)`.

    It starts at the real time, so what it writes agrees with handlers on the real clock.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(timezone.utc).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def service(auth_stack, clock):
    """The real AuthService on the stack's table and secret, with an injected clock."""
    from auth.dal import UsersTable
    from auth.logic import AuthService

    return AuthService(UsersTable(os.environ["USERS_TABLE"]), clock=clock)


@pytest.fixture
def make_user(auth_stack):
    """Create a user through the real logic: `make_user("ana", role="courier")` → its public record."""
    from auth.dal import UsersTable
    from auth.logic import AuthService
    from auth.models import NewUser

    creator = AuthService(UsersTable(os.environ["USERS_TABLE"]))

    def make(username: str, *, role: str = "courier", password: str = "correct horse battery") -> dict:
        return creator.create_user(NewUser(username=username, password=password, role=role))

    return make
