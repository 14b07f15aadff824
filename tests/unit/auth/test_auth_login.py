"""POST /auth/login: a token for the right password, one indistinguishable 401 otherwise."""
from __future__ import annotations

import os

import boto3
import jwt
import pytest

from auth import handlers
from auth.models import Credentials
from legwork_common.errors import Unauthorized
from tests.support.events import api_event, lambda_context, response_json, token_event

PASSWORD = "correct horse battery"


def login(body) -> dict:
    return handlers.login(api_event("POST", "/auth/login", body=body), lambda_context("legwork-dev-LoginFunction"))


def table_item(username: str) -> dict:
    return boto3.resource("dynamodb").Table(os.environ["USERS_TABLE"]).get_item(Key={"username": username})["Item"]


def test_right_password_gives_a_token_the_authorizer_accepts(make_user):
    ana = make_user("ana", role="manager")

    response = login({"username": "ana", "password": PASSWORD})

    assert response["statusCode"] == 200
    body = response_json(response)
    assert body["user"] == ana
    assert "passwordHash" not in body["user"]
    assert body["expiresAt"].endswith("Z")
    claims = jwt.decode(body["token"], options={"verify_signature": False})
    assert (claims["sub"], claims["username"], claims["role"]) == (ana["userId"], "ana", "manager")
    assert claims["iss"] == os.environ["TOKEN_ISSUER"] == "legwork-dev"
    assert claims["aud"] == os.environ["TOKEN_AUDIENCE"]
    assert claims["exp"] - claims["iat"] == int(os.environ["TOKEN_LIFETIME_SECONDS"])
    policy = handlers.authorize(token_event(f"Bearer {body['token']}"), lambda_context())
    assert policy["context"] == {"userId": ana["userId"], "username": "ana", "role": "manager"}


def test_wrong_password_and_unknown_user_get_the_same_401(make_user):
    make_user("ana")

    wrong_password = login({"username": "ana", "password": "not the password"})
    unknown_user = login({"username": "nobody", "password": PASSWORD})

    assert wrong_password["statusCode"] == unknown_user["statusCode"] == 401
    assert response_json(wrong_password) == response_json(unknown_user)
    assert response_json(wrong_password)["error"]["code"] == "InvalidCredentials"


def test_wrong_password_is_counted_and_a_success_resets_the_count(make_user):
    make_user("ana")
    login({"username": "ana", "password": "not the password"})
    login({"username": "ana", "password": "still not it"})
    assert table_item("ana")["failedAttempts"] == 2

    assert login({"username": "ana", "password": PASSWORD})["statusCode"] == 200
    assert table_item("ana")["failedAttempts"] == 0


@pytest.mark.parametrize(
    "body, fragment",
    [
        (None, "JSON object"),
        ({"username": "ana"}, "'password' is required"),
        ({"username": "ana", "password": 12345678901}, "'password' must be a non-empty string"),
        ({"username": "ana", "password": PASSWORD, "remember": True}, "Unknown field(s) remember"),
    ],
)
def test_a_malformed_body_is_a_400_that_says_what_to_fix(auth_stack, body, fragment):
    response = login(body)

    assert response["statusCode"] == 400
    assert fragment in response_json(response)["error"]["message"]


def test_a_body_that_is_not_json_is_a_400(auth_stack):
    event = api_event("POST", "/auth/login", raw_body="{username: ana")
    response = handlers.login(event, lambda_context())

    assert response["statusCode"] == 400
    assert "not valid JSON" in response_json(response)["error"]["message"]


# -- lockout (through the logic, with a clock the test moves) --------------------------
def attempt(service, password: str) -> bool:
    try:
        service.login(Credentials("ana", password))
    except Unauthorized as refused:
        assert refused.code == "InvalidCredentials"
        return False
    return True


def test_five_failures_lock_the_account_even_against_the_right_password(service, make_user, clock):
    make_user("ana")
    for _ in range(5):
        assert not attempt(service, "not the password")

    clock.advance(minutes=14, seconds=59)
    assert not attempt(service, PASSWORD)
    assert int(table_item("ana")["lockedUntil"]) == int(clock.now.timestamp()) + 1


def test_a_locked_account_opens_again_after_fifteen_minutes(service, make_user, clock):
    make_user("ana")
    for _ in range(5):
        attempt(service, "not the password")
    clock.advance(minutes=15)

    assert attempt(service, PASSWORD)
    item = table_item("ana")
    assert item["failedAttempts"] == 0
    assert "lockedUntil" not in item


def test_the_locked_answer_is_the_same_401_as_a_wrong_password(make_user, service):
    make_user("ana")
    wrong = login({"username": "ana", "password": "not the password"})
    for _ in range(4):
        attempt(service, "not the password")

    locked = login({"username": "ana", "password": PASSWORD})

    assert locked["statusCode"] == 401
    assert response_json(locked) == response_json(wrong)


def test_four_failures_do_not_lock(service, make_user):
    make_user("ana")
    for _ in range(4):
        attempt(service, "not the password")

    assert attempt(service, PASSWORD)


def test_after_a_lock_expires_the_count_starts_again(service, make_user, clock):
    make_user("ana")
    for _ in range(5):
        attempt(service, "not the password")
    clock.advance(minutes=16)
    for _ in range(4):
        attempt(service, "not the password")

    assert attempt(service, PASSWORD)
