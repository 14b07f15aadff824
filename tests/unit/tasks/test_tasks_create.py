"""Publishing a task: POST /tasks through its real handler; bad money and windows are 400s."""
from __future__ import annotations

import os
from decimal import Decimal

import boto3
import pytest

from tests.unit.tasks.helpers import ADMIN, MANAGER, WINDOW, call, courier


def create(body, caller=ADMIN, raw_body=None):
    return call("tasks.handlers", "create_task", "POST", "/tasks", body=body, caller=caller, raw_body=raw_body)


def body_with(route_id, **changes):
    body = {"routeId": route_id, "title": "Harbour run", "bonus": {"amount": "12.50", "currency": "EUR"},
            "window": dict(WINDOW)}
    body.update(changes)
    return body


def test_admin_publishes_an_open_task_with_money_as_a_string(route_id):
    status, task = create(body_with(route_id, bonus={"amount": "7.5", "currency": "EUR"}))
    assert status == 201, task
    assert task["bonus"] == {"amount": "7.50", "currency": "EUR"}
    assert task["window"] == WINDOW and task["status"] == "open" and task["routeId"] == route_id
    stored = boto3.resource("dynamodb").Table(os.environ["TASKS_TABLE"]).get_item(Key={"taskId": task["taskId"]})["Item"]
    assert stored["bonus"]["amount"] == "7.50"  # a string in the table too: never a float
    assert stored["version"] == Decimal(1)


@pytest.mark.parametrize("bonus, expected", [
    ({"amount": "1200", "currency": "JPY"}, "1200"),
    ({"amount": "0.01", "currency": "USD"}, "0.01"),
    ({"amount": "9999999999.99", "currency": "CNY"}, "9999999999.99"),
    ({"amount": "3.25", "currency": "KWD"}, "3.25"),
])
def test_amounts_keep_the_currency_decimals(route_id, bonus, expected):
    status, task = create(body_with(route_id, bonus=bonus))
    assert status == 201, task
    assert task["bonus"]["amount"] == expected


@pytest.mark.parametrize("bonus, fragment", [
    ({"amount": 12.5, "currency": "EUR"}, "must be a string"),
    ({"amount": "12.505", "currency": "EUR"}, "'bonus.amount'"),
    ({"amount": "-1", "currency": "EUR"}, "'bonus.amount'"),
    ({"amount": "0", "currency": "EUR"}, "more than zero"),
    ({"amount": "0.00", "currency": "EUR"}, "more than zero"),
    ({"amount": "012", "currency": "EUR"}, "leading zeros"),
    ({"amount": "1e3", "currency": "EUR"}, "'bonus.amount'"),
    ({"amount": "NaN", "currency": "EUR"}, "'bonus.amount'"),
    ({"amount": "12345678901", "currency": "EUR"}, "at most 10 digits"),
    ({"amount": "12.50", "currency": "JPY"}, "0 after it for JPY"),
    ({"amount": "12.50", "currency": "eur"}, "'bonus.currency'"),
    ({"amount": "12.50", "currency": "ABC"}, "an active ISO 4217 code such as EUR; got \"ABC\""),
    ({"amount": "12.50", "currency": "XAU"}, "an active ISO 4217 code"),
    ({"amount": "12.50"}, "'bonus.currency'"),
    ({"currency": "EUR"}, "'bonus.amount' is required"),
    ({"amount": "12.50", "currency": "EUR", "tip": "1"}, "unknown field(s) tip"),
    ("12.50 EUR", "'bonus' must be an object"),
])
def test_bad_money_is_a_400_naming_the_field(route_id, bonus, fragment):
    status, body = create(body_with(route_id, bonus=bonus))
    assert status == 400, body
    assert fragment in body["error"]["message"]


@pytest.mark.parametrize("window, fragment", [
    ({"start": "2026-11-24T12:00:00Z", "end": "2026-11-24T08:00:00Z"}, "'window.end' must be after 'window.start'"),
    ({"start": "2026-11-24T12:00:00Z", "end": "2026-11-24T12:00:00Z"}, "'window.end' must be after"),
    ({"start": "2026-11-24T08:00:00+02:00", "end": "2026-11-24T12:00:00Z"}, "'window.start'"),
    ({"start": "2026-11-24 08:00:00Z", "end": "2026-11-24T12:00:00Z"}, "'window.start'"),
    ({"start": "2026-11-24T08:00:00Z", "end": "2026-02-30T12:00:00Z"}, "'window.end' is not a real date"),
    ({"start": "2026-11-24T08:00:00Z"}, "'window.end'"),
    ({"start": 1795334400, "end": "2026-11-24T12:00:00Z"}, "'window.start'"),
])
def test_bad_windows_are_a_400_naming_the_field(route_id, window, fragment):
    status, body = create(body_with(route_id, window=window))
    assert status == 400, body
    assert fragment in body["error"]["message"]


def test_a_window_with_fractions_and_offset_zero_is_stored_to_the_second(route_id):
    window = {"start": "2026-11-24T08:00:00.250+00:00", "end": "2026-11-24T12:00:00.999Z"}
    status, task = create(body_with(route_id, window=window))
    assert status == 201, task
    assert task["window"] == {"start": "2026-11-24T08:00:00Z", "end": "2026-11-24T12:00:00Z"}


def test_an_unknown_route_is_a_404_in_the_words_of_every_missing_thing(stack):
    status, body = create(body_with("no-such-route"))
    assert status == 404
    assert body["error"] == {"code": "NotFound", "message": "There is no route no-such-route."}


@pytest.mark.parametrize("change, fragment", [
    ({"title": ""}, "'title'"),
    ({"title": "x" * 201}, "'title' must have at most 200"),
    ({"routeId": 42}, "'routeId'"),
    ({"priority": "high"}, "Unknown field(s) priority"),
])
def test_other_bad_fields_are_a_400_naming_them(route_id, change, fragment):
    status, body = create(body_with(route_id, **change))
    assert status == 400, body
    assert fragment in body["error"]["message"]


@pytest.mark.parametrize("missing", ["routeId", "title", "bonus", "window"])
def test_missing_fields_are_named(route_id, missing):
    body = body_with(route_id)
    del body[missing]
    status, answer = create(body)
    assert status == 400 and f"'{missing}'" in answer["error"]["message"]


def test_a_body_that_is_not_json_is_a_400(stack):
    status, body = create(None, raw_body='{"routeId": ')
    assert status == 400 and "not valid JSON" in body["error"]["message"]


@pytest.mark.parametrize("caller", [MANAGER, courier(1)], ids=["manager", "courier"])
def test_only_admins_publish(route_id, caller):
    status, body = create(body_with(route_id), caller=caller)
    assert status == 403
    assert "Only admin" in body["error"]["message"]


def test_without_a_caller_it_is_401(route_id):
    status, _ = create(body_with(route_id), caller=None)
    assert status == 401
