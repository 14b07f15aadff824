"""The runtime's rule engines on their own: event filter patterns and schedule expressions."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from legwork.local.patterns import PatternError, matches, parse
from legwork.local.schedules import Cron, ScheduleError, next_fire, rate_seconds

RECORD = {
    "eventName": "INSERT",
    "dynamodb": {"NewImage": {"status": {"S": "open"}, "title": {"S": "Deliver parcel"}}},
    "body": {"amount": 12.5, "tags": ["urgent", "fragile"], "ip": "10.0.3.7", "empty": None},
}


@pytest.mark.parametrize("pattern, expected", [
    ({"eventName": ["INSERT"]}, True),
    ({"eventName": ["MODIFY", "REMOVE"]}, False),
    ({"dynamodb": {"NewImage": {"status": {"S": ["open"]}}}}, True),
    ({"dynamodb": {"NewImage": {"title": {"S": [{"prefix": "Deliver"}]}}}}, True),
    ({"dynamodb": {"NewImage": {"title": {"S": [{"suffix": "parcel"}]}}}}, True),
    ({"dynamodb": {"NewImage": {"title": {"S": [{"equals-ignore-case": "deliver PARCEL"}]}}}}, True),
    ({"dynamodb": {"NewImage": {"status": {"S": [{"anything-but": ["open", "claimed"]}]}}}}, False),
    ({"dynamodb": {"NewImage": {"status": {"S": [{"anything-but": "closed"}]}}}}, True),
    ({"dynamodb": {"NewImage": {"status": {"S": [{"anything-but": {"prefix": "op"}}]}}}}, False),
    ({"dynamodb": {"NewImage": {"assignee": [{"exists": False}]}}}, True),
    ({"dynamodb": {"NewImage": {"status": [{"exists": True}]}}}, True),
    ({"dynamodb": {"OldImage": {"status": [{"exists": True}]}}}, False),
    ({"body": {"amount": [{"numeric": [">", 10, "<=", 12.5]}]}}, True),
    ({"body": {"amount": [{"numeric": ["<", 10]}]}}, False),
    ({"body": {"amount": [12.5]}}, True),
    ({"body": {"tags": ["fragile"]}}, True),  # any element of an array
    ({"body": {"ip": [{"cidr": "10.0.0.0/16"}]}}, True),
    ({"body": {"title": [{"wildcard": "Del*cel"}]}}, False),
    ({"body": {"empty": [None]}}, True),
    ({"$or": [{"eventName": ["REMOVE"]}, {"body": {"tags": ["urgent"]}}]}, True),
    ({"dynamodb": {"NewImage": {"missing": {"S": ["x"]}}}}, False),
])
def test_filter_patterns_follow_lambda_event_filtering(pattern, expected):
    assert matches(pattern, RECORD) is expected


def test_wildcard_matches_across_the_value():
    assert matches({"key": [{"wildcard": "incoming/*.jpg"}]}, {"key": "incoming/a/b.jpg"})
    assert not matches({"key": [{"wildcard": "incoming/*.jpg"}]}, {"key": "incoming/a.png"})


def test_pattern_from_the_template_is_json_text():
    assert parse('{"eventName": ["INSERT"]}') == {"eventName": ["INSERT"]}
    with pytest.raises(PatternError):
        parse("[1, 2]")


def test_rate_expressions():
    assert rate_seconds("rate(1 minute)") == 60
    assert rate_seconds("rate(5 minutes)") == 300
    assert rate_seconds("rate(2 hours)") == 7200
    assert rate_seconds("rate(1 day)") == 86400
    assert rate_seconds("cron(0 3 * * ? *)") is None
    moment = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert next_fire("rate(15 minutes)", moment) == datetime(2026, 1, 1, 12, 15, tzinfo=UTC)


@pytest.mark.parametrize("expression, after, expected", [
    ("cron(0 3 * * ? *)", datetime(2026, 1, 1, 4, 0), datetime(2026, 1, 2, 3, 0)),
    ("cron(0 3 * * ? *)", datetime(2026, 1, 1, 2, 59), datetime(2026, 1, 1, 3, 0)),
    ("cron(*/15 9-17 ? * MON-FRI *)", datetime(2026, 11, 21, 10, 0), datetime(2026, 11, 23, 9, 0)),  # Sat → Mon
    ("cron(30 8 1 * ? *)", datetime(2026, 2, 15), datetime(2026, 3, 1, 8, 30)),
    ("cron(0 12 ? * 1 *)", datetime(2026, 11, 23), datetime(2026, 11, 29, 12, 0)),  # 1 = Sunday
    ("cron(0 0 1 JAN ? 2027)", datetime(2026, 6, 1), datetime(2027, 1, 1, 0, 0)),
])
def test_cron_next_fire_time(expression, after, expected):
    assert next_fire(expression, after.replace(tzinfo=UTC)) == expected.replace(tzinfo=UTC)


def test_cron_needs_one_question_mark_and_six_fields():
    with pytest.raises(ScheduleError):
        Cron("cron(0 3 * * * *)")
    with pytest.raises(ScheduleError):
        Cron("cron(0 3 * *)")
    with pytest.raises(ScheduleError, match="not supported locally"):
        Cron("cron(0 3 L * ? *)")
