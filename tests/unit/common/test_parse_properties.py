"""Property-based tests of every model's parse function (Hypothesis).

1. Any JSON value, decoded as the API decodes it (`parse_float=Decimal`, NaN and
   Infinity allowed by Python's json), either parses or raises the typed 400
   (`ValidationFailed`, an `ApiError`): never anything else, so never a 500.
2. Values biased toward the schema's shape (the right fields, each either a valid value
   or any JSON) reach the deep fields (`bonus.amount`, `points[3].speed`), and there the
   merged OpenAPI document is the oracle: the model accepts a body exactly when the
   request schema does, save the rules a schema cannot say (a window's start before its
   end), which are listed here.
3. The queue's and the stream's parsers refuse with their own typed error (`PoisonMessage`)
   or return None: never anything else.

Deterministic (`derandomize`), so CI sees the same cases every run; about 10 s.
"""
from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auth.models import Credentials, NewUser
from files.models import LinkRequest, NewDocument
from files.models import page as files_page
from auth.models import Page as UsersPage
from legwork_common.currencies import MINOR_UNITS
from legwork_common.errors import ApiError, ValidationFailed
from notifications.models import StatusChange
from receipts.models import Correction, NewReceipt
from routes.models import NewRoute
from routes.models import Page as RoutesPage
from reports.models import ReportRequest
from reports.models import page as reports_page
from tasks.models import NewTask, TaskQuery
from tracking.models import Point, PoisonMessage, QueuedBatch, TrackPage, parse_positions

ROOT = Path(__file__).resolve().parents[3]
PROPERTY = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                           HealthCheck.data_too_large])

# -- any JSON, decoded as the API decodes it -------------------------------------------
SCALARS = (st.none() | st.booleans() | st.integers() | st.integers(min_value=-(10 ** 400), max_value=10 ** 400)
           | st.floats() | st.text(max_size=30) | st.sampled_from(["", " ", "12.50", "EUR", "2026-11-23T08:00:00Z"]))
ANY_JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)


def decoded(value: Any) -> Any:
    """`value` after a trip through JSON text, as `legwork_common.api.parse_event` reads bodies."""
    return json.loads(json.dumps(value), parse_float=Decimal)


def refuses_only_with_a_400(parse, value) -> Any:
    try:
        return parse(value)
    except ValidationFailed as refusal:
        assert refusal.status == 400 and refusal.message, refusal
        return None


# -- the schema as the oracle ---------------------------------------------------------
RFC3339 = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|([+-])(\d{2}):(\d{2}))$")
FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("date-time")
def _date_time(value: object) -> bool:
    """RFC 3339 date-time, the OpenAPI `format`: the pattern of the grammar and a real day."""
    if not isinstance(value, str):
        return True
    match = RFC3339.match(value)
    if not match:
        return False
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    try:
        datetime(year, month, day, hour, minute, min(second, 59))
    except ValueError:
        return False
    return second <= 60 and (match.group(10) is None or (int(match.group(10)) <= 23 and int(match.group(11)) <= 59))


@pytest.fixture(scope="module")
def openapi() -> dict:
    from legwork.merge import merge
    from legwork.yamlcfn import loads

    return loads(merge(ROOT).openapi_text())


def validator(openapi: dict, name: str) -> jsonschema.Draft4Validator:
    """The request schema `name` as API Gateway applies it (draft 4), with `format` checked."""
    return jsonschema.Draft4Validator({"components": openapi["components"], "$ref": f"#/components/schemas/{name}"},
                                      format_checker=FORMATS)


def finite(value: Any) -> bool:
    """No NaN or Infinity anywhere: those are not JSON, whatever Python's json accepts."""
    if isinstance(value, (float, Decimal)):
        return value == value and value not in (float("inf"), float("-inf"))
    if isinstance(value, dict):
        return all(finite(v) for v in value.values())
    if isinstance(value, list):
        return all(finite(v) for v in value)
    return True


def agrees(schema: jsonschema.Draft4Validator, parse, body: Any, *, unsaid=lambda body: None) -> None:
    """The model accepts `body` exactly when the schema does; `unsaid(body)` names a rule the
    schema cannot say that `body` breaks (the model refuses it, rightly, with that rule)."""
    valid = finite(body) and schema.is_valid(body)
    try:
        parse(body)
    except ValidationFailed as refusal:
        rule = unsaid(body) if valid else None
        assert not valid or (rule and rule in refusal.message), (
            f"the schema accepts what the model refuses: {refusal.message}")
    else:
        assert valid, f"the model accepts what the schema refuses: {[e.message for e in schema.iter_errors(body)]}"


# -- strategies biased toward each schema's shape --------------------------------------
def fields(required: dict[str, st.SearchStrategy], optional: dict[str, st.SearchStrategy] | None = None):
    """Objects with these fields (each may be missing), each a good value or any JSON, and
    now and then a field no schema knows."""
    maybe = {name: strategy | ANY_JSON for name, strategy in {**required, **(optional or {})}.items()}
    base = st.fixed_dictionaries({}, optional=maybe)
    return st.one_of(base, base, base, st.tuples(base, st.text(max_size=6), ANY_JSON).map(lambda t: {**t[0], t[1]: t[2]}))


def regex(pattern: str) -> st.SearchStrategy:
    return st.from_regex(pattern, fullmatch=True)


TEXT = st.text(max_size=220) | st.sampled_from(["", " ", "\t\n", " x ", "\x1c", "é" * 201])
USERNAME = regex(r"[a-z0-9][a-z0-9_.-]{2,31}") | st.text(max_size=40)
LAT = st.floats(-90, 90) | st.integers(-91, 91) | st.floats() | st.sampled_from([90, -90, 90.0000001, 7.06e307])
LNG = st.floats(-180, 180) | st.integers(-181, 181) | st.floats()
METRIC = st.floats(0, 300) | st.floats(0, 100_000) | st.sampled_from([7.06e307, -0.0, 300.001, 1e-300]) | st.floats()
UTC = (regex(r"20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
             r"(\.[0-9]{1,9})?(Z|[+-]00:00)")
       | regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,3})?([Zz]|[+-][0-9]{2}:?[0-9]{2})?")
       | st.datetimes().map(lambda d: d.isoformat() + "Z"))
AMOUNT = regex(r"(0|[1-9][0-9]{0,11})(\.[0-9]{1,3})?") | st.sampled_from(["0", "0.00", "0.01", "12.50", "-1", "1e3"])
CURRENCY = st.sampled_from(sorted(MINOR_UNITS)) | st.sampled_from(["AAA", "XAU", "eur", "JPY", "EUR"]) | regex("[A-Z]{3}")
POINT = fields({"lat": LAT, "lng": LNG, "ts": UTC}, {"accuracy": METRIC, "speed": METRIC})
BONUS = fields({"amount": AMOUNT, "currency": CURRENCY})
WINDOW = fields({"start": UTC, "end": UTC})
WAYPOINT = fields({"lat": LAT, "lng": LNG})

LOGIN = fields({"username": USERNAME, "password": st.text(max_size=300)})
NEW_USER = fields({"username": USERNAME, "password": st.text(min_size=5, max_size=300),
                   "role": st.sampled_from(["admin", "manager", "courier", "root"])})
NEW_ROUTE = fields({"name": TEXT, "waypoints": st.lists(WAYPOINT, max_size=6)})
NEW_TASK = fields({"routeId": st.text(max_size=70), "title": TEXT, "bonus": BONUS, "window": WINDOW})
POSITIONS = fields({"points": st.lists(POINT, max_size=6)})
NEW_FILE = fields({"name": TEXT | st.sampled_from(["a/b.pdf", 'x".pdf', "a\\b", "\x7f", "note.pdf"]),
                   "contentType": st.sampled_from(["application/pdf", "image/png", "text/plain"]),
                   "size": st.integers(-1, 20971521) | st.floats(0, 3e7)})
NEW_LINK = fields({"expiresIn": st.integers(0, 2_600_000) | st.floats(0, 3e6) | st.sampled_from([60, 2592000, 59.5])})
NEW_RECEIPT = fields({"contentType": st.sampled_from(["image/jpeg", "image/png", "image/webp", "IMAGE/JPEG", "image/gif"]),
                     "size": st.integers(1000, 10485800) | st.sampled_from([1023, 1024, 10485760, 10485761]) | st.floats(0, 2e7)})
CORRECTION = fields({"amount": AMOUNT, "currency": CURRENCY,
                     "reason": TEXT | st.sampled_from(["ok", "   ", "  a ", "the photo cut off the total", "x" * 501])})
NEW_REPORT = fields({"period": st.sampled_from(["week", "month", "year"]),
                     "start": regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}") | st.dates().map(str), "force": st.booleans()})


def window_rule(body: Any) -> str | None:
    """POST /tasks: a window must end after it starts (the schema cannot compare fields)."""
    return "'window.end' must be after 'window.start'"


CASES = [
    ("LoginRequest", Credentials.parse, LOGIN, None),
    ("CreateUserRequest", NewUser.parse, NEW_USER, None),
    ("RouteCreateRequest", NewRoute.parse, NEW_ROUTE, None),
    ("TaskCreateRequest", NewTask.parse, NEW_TASK, window_rule),
    # The time rules (not in the future, not before the task started) need the clock and the
    # task; `now=None` checks what the schema says, and nothing else.
    ("TrackingPositionsRequest", lambda body: parse_positions(body, now=None), POSITIONS, None),
    ("FileCreateRequest", NewDocument.parse, NEW_FILE, None),
    ("LinkCreateRequest", LinkRequest.parse, NEW_LINK, None),
    ("ReceiptCreateRequest", NewReceipt.parse, NEW_RECEIPT, None),
    ("ReceiptCorrectionRequest", Correction.parse, CORRECTION, None),
]
# Any JSON only (no oracle): a report's `start` must be a Monday or the 1st, a rule of the
# period the schema leaves to the description.
ANY_ONLY = [("ReportCreateRequest", ReportRequest.parse, NEW_REPORT, None)]


@pytest.mark.parametrize("schema_name, parse, shaped, unsaid", CASES + ANY_ONLY, ids=[c[0] for c in CASES + ANY_ONLY])
def test_any_json_body_parses_or_is_a_typed_400(schema_name, parse, shaped, unsaid):
    @PROPERTY
    @given(ANY_JSON | shaped)
    def check(value):
        refuses_only_with_a_400(parse, decoded(value))

    check()


@pytest.mark.parametrize("schema_name, parse, shaped, unsaid", CASES, ids=[c[0] for c in CASES])
def test_the_model_accepts_a_body_exactly_when_the_schema_does(openapi, schema_name, parse, shaped, unsaid):
    schema = validator(openapi, schema_name)

    @PROPERTY
    @given(shaped)
    def check(value):
        agrees(schema, parse, decoded(value), unsaid=unsaid or (lambda body: None))

    check()


def test_a_schema_valid_task_is_accepted_whatever_its_currency():
    """Every currency of the enum with the amounts its schema branch allows."""
    for currency, digits in MINOR_UNITS.items():
        amount = "12" if digits == 0 else "12.5"
        task = NewTask.parse({"routeId": "r", "title": "t", "bonus": {"amount": amount, "currency": currency},
                              "window": {"start": "2026-11-23T09:00:00Z", "end": "2099-12-31T23:59:59Z"}})
        assert task.bonus.currency == currency


# -- query strings ----------------------------------------------------------------------
QUERY_VALUE = (st.text(max_size=140) | regex(r"[0-9]{1,7}") | regex(r"[0-9A-Za-z:._-]{1,64}(~[0-9A-Za-z:._-]{1,64}){0,3}")
               | st.sampled_from(["open", "claimed", "in_progress", "0", "-1", "1e3"]))
QUERY = st.dictionaries(st.sampled_from(["limit", "cursor", "status", "other"]), QUERY_VALUE, max_size=4)
QUERIES = [
    ("/users", UsersPage.parse),
    ("/routes", RoutesPage.parse),
    ("/tasks", TaskQuery.parse),
    ("/tasks/{taskId}/track", lambda query: TrackPage.parse(query, "t-1")),
    ("/files", files_page),
    ("/files/{fileId}/links", files_page),
    ("/reports", reports_page),
]


@pytest.mark.parametrize("path, parse", QUERIES, ids=[q[0] for q in QUERIES])
def test_any_query_parses_or_is_a_typed_400_and_every_documented_cursor_parses(openapi, path, parse):
    parameters = {p["name"]: p["schema"] for p in openapi["paths"][path]["get"]["parameters"] if p["in"] == "query"}
    cursor = re.compile(parameters["cursor"]["pattern"])
    if "$ref" in parameters.get("status", {}):
        parameters["status"] = openapi["components"]["schemas"][parameters["status"]["$ref"].rsplit("/", 1)[1]]

    @PROPERTY
    @given(QUERY)
    def check(query):
        parsed = refuses_only_with_a_400(parse, query)
        status_ok = "status" not in query or "status" not in parameters or query["status"] in parameters["status"]["enum"]
        limit = query.get("limit")
        limit_ok = limit is None or (re.fullmatch(r"[0-9]+", limit) is not None
                                     and parameters["limit"]["minimum"] <= int(limit) <= parameters["limit"]["maximum"])
        cursor_ok = "cursor" not in query or (cursor.fullmatch(query["cursor"]) is not None
                                              and len(query["cursor"]) <= parameters["cursor"]["maxLength"])
        # Unknown parameters are ignored, as API Gateway passes them on.
        assert (parsed is not None) == (status_ok and limit_ok and cursor_ok), query

    check()


# -- what the queue and the stream carry -----------------------------------------------
MESSAGE = fields({"v": st.just(1), "batchId": st.text(max_size=5), "taskId": st.text(max_size=5),
                  "courierId": st.text(max_size=5), "acceptedAt": st.text(max_size=5),
                  "points": st.lists(fields({"lat": LAT | st.text(max_size=6), "lng": LNG, "ts": UTC},
                                            {"accuracy": METRIC, "speed": METRIC}), max_size=3)})


@PROPERTY
@given(ANY_JSON | MESSAGE | st.text(max_size=50))
def test_a_queued_message_parses_or_is_poison(value):
    text = value if isinstance(value, str) else json.dumps(value)
    try:
        batch = QueuedBatch.from_message(text)
    except PoisonMessage:
        return
    assert all(isinstance(p, Point) for p in batch.points)


IMAGE = st.dictionaries(st.sampled_from(["status", "taskId", "title", "bonus", "assigneeName", "x"]),
                        ANY_JSON | st.sampled_from(["open", "claimed"]) | BONUS, max_size=6)


@PROPERTY
@given(st.sampled_from(["INSERT", "MODIFY", "REMOVE", ""]), ANY_JSON | IMAGE, ANY_JSON | IMAGE)
def test_a_stream_record_is_a_status_change_or_none(event_name, old, new):
    change = StatusChange.from_images(event_name, old, new)
    assert change is None or isinstance(change, StatusChange) and change.verb


def test_the_reproduced_500_is_a_400_naming_the_point():
    """The case of issue 9: `"speed": 7.06e307` was decimal.InvalidOperation, a 500."""
    body = decoded({"points": [{"lat": 52.5, "lng": 13.4, "ts": "2026-11-23T08:00:00Z", "speed": 7.06e307}]})
    with pytest.raises(ValidationFailed, match=r"Point 0 \(points\[0\]\) is refused: 'speed' must be from 0 to 300"):
        parse_positions(body, now=None)
    assert isinstance(ValidationFailed("x"), ApiError)


# -- what the schema says, the model says ----------------------------------------------
def test_the_currency_enum_is_the_table_of_minor_units(openapi):
    bonus = openapi["components"]["schemas"]["Money"]
    assert set(bonus["properties"]["currency"]["enum"]) == set(MINOR_UNITS)
    whole, decimal = bonus["anyOf"]
    assert set(whole["properties"]["currency"]["enum"]) == {c for c, d in MINOR_UNITS.items() if d == 0}
    assert set(decimal["properties"]["currency"]["enum"]) == {c for c, d in MINOR_UNITS.items() if d > 0}


def _request_schemas(openapi: dict):
    """Every schema a client sends: request bodies (with what they reference) and parameters."""
    schemas = openapi["components"]["schemas"]
    seen: set[str] = set()

    def walk(node: Any, where: str):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if ref:
                name = ref.rsplit("/", 1)[1]
                if name not in seen:
                    seen.add(name)
                    yield from walk(schemas[name], name)
                return
            if node.get("type") in ("number", "integer"):
                yield where, node
            for key, value in node.items():
                yield from walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                yield from walk(value, f"{where}[{i}]")

    for path, item in openapi["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                yield from walk(parameter.get("schema", {}), f"{method} {path} {parameter['name']}")
            yield from walk(operation.get("requestBody", {}), f"{method} {path} body")


def test_every_number_a_client_sends_has_a_range(openapi):
    numbers = list(_request_schemas(openapi))
    assert len(numbers) >= 8  # limits, coordinates, accuracy, speed: the walk reaches them
    unbounded = [where for where, node in numbers if "minimum" not in node or "maximum" not in node]
    assert unbounded == []
