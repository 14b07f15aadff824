"""GET /health, GET /me, POST /users and GET /users through the real handlers."""
from __future__ import annotations

import os

import boto3
import pytest

from auth import handlers
from auth.passwords import verify_password
from tests.support.events import api_event, lambda_context, response_json

ADMIN = {"userId": "00000000-0000-4000-8000-00000000000a", "username": "root", "role": "admin"}
MANAGER = {"userId": "00000000-0000-4000-8000-00000000000b", "username": "boss", "role": "manager"}
COURIER = {"userId": "00000000-0000-4000-8000-00000000000c", "username": "bike", "role": "courier"}
NEW_USER = {"username": "ana.k", "password": "a long enough secret", "role": "courier"}


def call(handler, method: str, path: str, **kwargs) -> tuple[int, dict]:
    response = handler(api_event(method, path, **kwargs), lambda_context())
    assert response["headers"]["Content-Type"] == "application/json"
    return response["statusCode"], response_json(response)


def test_health_is_ok_without_a_caller(auth_stack):
    assert call(handlers.health, "GET", "/health") == (200, {"status": "ok"})


# -- POST /users -------------------------------------------------------------------------
def test_admin_creates_a_user_and_gets_201_without_the_hash(auth_stack):
    status, body = call(handlers.create_user, "POST", "/users", body=NEW_USER, caller=ADMIN)

    assert status == 201
    assert set(body) == {"userId", "username", "role", "createdAt"}
    assert (body["username"], body["role"]) == ("ana.k", "courier")
    item = boto3.resource("dynamodb").Table(os.environ["USERS_TABLE"]).get_item(Key={"username": "ana.k"})["Item"]
    assert item["userId"] == body["userId"]
    assert item["passwordHash"].startswith("$scrypt$")
    assert verify_password(NEW_USER["password"], item["passwordHash"])


def test_creating_an_existing_username_is_a_409_and_keeps_the_first_user(auth_stack):
    _, first = call(handlers.create_user, "POST", "/users", body=NEW_USER, caller=ADMIN)

    status, body = call(handlers.create_user, "POST", "/users",
                        body={**NEW_USER, "password": "another long secret", "role": "admin"}, caller=ADMIN)

    assert status == 409
    assert body["error"]["code"] == "UserExists"
    assert "ana.k" in body["error"]["message"]
    item = boto3.resource("dynamodb").Table(os.environ["USERS_TABLE"]).get_item(Key={"username": "ana.k"})["Item"]
    assert (item["userId"], item["role"]) == (first["userId"], "courier")


@pytest.mark.parametrize("caller", [MANAGER, COURIER])
def test_only_an_admin_may_create_users(auth_stack, caller):
    status, body = call(handlers.create_user, "POST", "/users", body=NEW_USER, caller=caller)

    assert status == 403
    assert "Only admin" in body["error"]["message"]
    assert caller["role"] in body["error"]["message"]


def test_creating_a_user_without_a_token_is_a_401(auth_stack):
    status, body = call(handlers.create_user, "POST", "/users", body=NEW_USER)

    assert status == 401
    assert "Authorization: Bearer" in body["error"]["message"]


@pytest.mark.parametrize(
    "change, fragment",
    [
        ({"role": "superuser"}, "'role' must be one of admin, manager, courier"),
        ({"password": "short"}, "'password' must have 10 to 256 characters; it has 5"),
        ({"username": "Ana"}, "'username' must be 3 to 32 characters"),
        ({"username": "ab"}, "'username' must be 3 to 32 characters"),
        ({"username": "-ana"}, "'username' must be 3 to 32 characters"),
        ({"password": "x" * 257}, "'password' must have at most 256 characters"),
        ({"isAdmin": True}, "Unknown field(s) isAdmin"),
        ({"role": None}, "'role' is required"),
    ],
)
def test_a_bad_new_user_is_a_400_that_says_what_to_fix(auth_stack, change, fragment):
    body = {k: v for k, v in {**NEW_USER, **change}.items() if v is not None}

    status, answer = call(handlers.create_user, "POST", "/users", body=body, caller=ADMIN)

    assert status == 400
    assert answer["error"]["code"] == "ValidationError"
    assert fragment in answer["error"]["message"]
    table = boto3.resource("dynamodb").Table(os.environ["USERS_TABLE"])
    assert table.scan()["Count"] == 0


# -- GET /users -----------------------------------------------------------------------------
def test_list_users_pages_through_everyone_once(make_user):
    created = {make_user(f"user{i:02d}", role=("courier", "manager")[i % 2])["userId"] for i in range(7)}

    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        status, body = call(handlers.list_users, "GET", "/users", query=query, caller=MANAGER)
        assert status == 200
        assert len(body["items"]) <= 3
        assert all(set(user) == {"userId", "username", "role", "createdAt"} for user in body["items"])
        seen += [user["userId"] for user in body["items"]]
        pages += 1
        cursor = body["nextCursor"]
        if cursor is None:
            break
        assert pages < 10

    assert sorted(seen) == sorted(created)
    assert pages >= 3


def test_list_users_defaults_to_one_page_of_up_to_25(make_user):
    make_user("ana")

    status, body = call(handlers.list_users, "GET", "/users", caller=ADMIN)

    assert status == 200
    assert [user["username"] for user in body["items"]] == ["ana"]
    assert body["nextCursor"] is None


def test_couriers_may_not_list_users(auth_stack):
    status, body = call(handlers.list_users, "GET", "/users", caller=COURIER)

    assert status == 403
    assert "Only admin or manager" in body["error"]["message"]


@pytest.mark.parametrize("query, fragment", [
    ({"limit": "0"}, "'limit' must be a whole number from 1 to 100"),
    ({"limit": "101"}, "'limit' must be a whole number from 1 to 100"),
    ({"limit": "ten"}, "'limit' must be a whole number from 1 to 100"),
    ({"cursor": "not a cursor"}, "'cursor' is not valid"),
    ({"cursor": "a~b"}, "'cursor' is not valid"),  # two key values: not a username
])
def test_a_bad_limit_or_cursor_is_a_400(auth_stack, query, fragment):
    status, body = call(handlers.list_users, "GET", "/users", query=query, caller=ADMIN)

    assert status == 400
    assert fragment in body["error"]["message"]


# -- GET /me --------------------------------------------------------------------------------
def test_me_is_the_caller_from_the_table(make_user):
    ana = make_user("ana", role="manager")
    caller = {"userId": ana["userId"], "username": "ana", "role": "manager"}

    status, body = call(handlers.get_me, "GET", "/me", caller=caller)

    assert (status, body) == (200, ana)


def test_me_for_a_deleted_account_is_a_401(auth_stack):
    status, body = call(handlers.get_me, "GET", "/me", caller=COURIER)

    assert status == 401
    assert "sign in again" in body["error"]["message"]
