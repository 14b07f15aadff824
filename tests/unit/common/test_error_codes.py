"""One voice for errors: every code that can reach a client is documented, and one condition
reads the same in every resource.

The Error schema of swagger/openapi.yaml lists its `code`s as an enum. That list must be
exactly what can happen: the codes of legwork_common.errors (which functions raise) and
the codes API Gateway answers through the gateway responses of the same document.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from legwork.yamlcfn import load
from legwork_common import errors

ROOT = Path(__file__).resolve().parents[3]
SOURCES = sorted([*ROOT.glob("src/*/*/*.py"), *ROOT.glob("src/*/*.py"), *ROOT.glob("layers/common/legwork_common/*.py")])
ERRORS_MODULE = ROOT / "layers/common/legwork_common/errors.py"

# API Gateway's gateway response types (AWS: "Gateway response types for API Gateway").
# A response whose template says "$context.error.responseType" answers one of these.
AWS_RESPONSE_TYPES = {
    "ACCESS_DENIED", "API_CONFIGURATION_ERROR", "AUTHORIZER_CONFIGURATION_ERROR", "AUTHORIZER_FAILURE",
    "BAD_REQUEST_PARAMETERS", "BAD_REQUEST_BODY", "DEFAULT_4XX", "DEFAULT_5XX", "EXPIRED_TOKEN",
    "INTEGRATION_FAILURE", "INTEGRATION_TIMEOUT", "INVALID_API_KEY", "INVALID_SIGNATURE",
    "MISSING_AUTHENTICATION_TOKEN", "QUOTA_EXCEEDED", "REQUEST_TOO_LARGE", "RESOURCE_NOT_FOUND", "THROTTLED",
    "UNAUTHORIZED", "UNSUPPORTED_MEDIA_TYPE", "WAF_FILTERED",
}


@pytest.fixture(scope="module")
def common() -> dict:
    return load(ROOT / "swagger" / "openapi.yaml")


def gateway_codes(document: dict) -> set[str]:
    """The codes the gateway responses of `document` can answer."""
    responses = document["x-amazon-apigateway-gateway-responses"]
    found: set[str] = set()
    for name, response in responses.items():
        for template in (response.get("responseTemplates") or {}).values():
            match = re.search(r'"code":"([^"]+)"', template)
            assert match, f"gateway response {name} has no code in its template"
            if match.group(1) == "$context.error.responseType":
                # The types that have a response of their own never reach a default one.
                found |= AWS_RESPONSE_TYPES - (set(responses) - {"DEFAULT_4XX", "DEFAULT_5XX"})
            else:
                found.add(match.group(1))
    return found


def test_the_error_schema_lists_exactly_the_codes_that_can_happen(common):
    documented = common["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"]
    assert len(documented) == len(set(documented)), "a code is listed twice"
    expected = errors.codes() | gateway_codes(common)
    assert set(documented) - expected == set(), "documented codes nothing answers"
    assert expected - set(documented) == set(), "codes a client can get that the document does not list"


def _calls(tree: ast.AST):
    return (node for node in ast.walk(tree) if isinstance(node, ast.Call))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_code_is_made_up_outside_the_errors_module(path):
    """A code exists only as a class of legwork_common.errors: no `code=` argument, no error
    class elsewhere, no hand-written error body (the one 500 is in api.py, by the constant)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    error_names = {cls.__name__ for cls in _all_error_classes()}
    for call in _calls(tree):
        assert not any(k.arg == "code" for k in call.keywords), f"{path}:{call.lineno}: a code passed as an argument"
    if path == ERRORS_MODULE:
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
            assert not bases & error_names, f"{path}:{node.lineno}: an API error class outside legwork_common.errors"
        if isinstance(node, ast.Dict):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            assert "code" not in keys or "message" not in keys, f"{path}:{node.lineno}: a hand-written error body"


def _all_error_classes() -> list[type]:
    pending, found = [errors.ApiError], []
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_missing_thing_is_named_the_same_way_everywhere(path):
    """`NotFound(kind, id)`: "There is no task X." in every resource, never a message of its own."""
    for call in _calls(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(call.func, ast.Name) and call.func.id == "NotFound":
            assert len(call.args) in (2, 3) and isinstance(call.args[0], ast.Constant), f"{path}:{call.lineno}"
            assert re.fullmatch(r"[a-z]+( [a-z]+)*", call.args[0].value), f"{path}:{call.lineno}: kind in lower case"


def test_conditions_read_the_same_across_resources():
    assert errors.NotFound("task", "t-1").message == "There is no task t-1."
    assert errors.NotFound("route", "r-9").body() == {"error": {"code": "NotFound", "message": "There is no route r-9."}}
    assert errors.NotAssignee("t-1", "start it").message == "Only the courier who holds task t-1 may start it."
    assert errors.WrongState("task", "t-1", "claimed", "complete it", ("in_progress",)).message == (
        "Task t-1 is claimed: you can complete it only while it is in_progress.")
    assert errors.TaskNotInProgress("task", "t-1", "open", "post positions for it", ("in_progress",)).code == (
        "TaskNotInProgress")
    assert errors.InvalidCursor().status == 400
    assert errors.ValidationFailed.out_of_range("lat", -90, 90, 91).message == "'lat' must be from -90 to 90; got 91."
    assert errors.ValidationFailed.wrong_type("title", "a string", 12).message == "'title' must be a string; got 12."
    long = errors.ValidationFailed.wrong_type("x", "a string", ["é"] * 100).message
    assert long.startswith("'x' must be a string; got [\"é\"") and long.endswith("....") and len(long) < 120
