"""The local API Gateway: routing, validation, the authorizer, CORS, errors, hot reload."""
from __future__ import annotations

import re

from localrt import bearer, eventually


def test_path_parameters_reach_the_function(api):
    status, _, _ = api.request("POST", "/items", {"itemId": "route-1", "kind": "plain"}, bearer("admin", "ann"))
    assert status == 201
    status, _, body = api.request("GET", "/items/route-1", headers=bearer("courier"))
    assert status == 200
    assert body["itemId"] == "route-1" and body["createdBy"] == "ann"


def test_greedy_path_parameter_takes_the_rest_of_the_path(api):
    status, _, body = api.request("GET", "/files/a/b%20c/d.txt")
    assert status == 200
    assert body == {"proxy": "a/b c/d.txt"}


def test_stage_prefix_of_the_deployed_url_is_accepted(api):
    status, _, body = api.request("GET", "/dev/health")
    assert status == 200 and body["status"] == "ok"


def test_unknown_route_is_403_missing_authentication_token(api):
    status, _, body = api.request("GET", "/nowhere")
    assert status == 403
    assert body["error"]["message"] == "Missing Authentication Token"
    status, _, _ = api.request("PUT", "/health")
    assert status == 403


def test_schema_violation_is_400_before_the_function_runs(api):
    status, headers, body = api.request(
        "POST", "/items", {"itemId": "never-written", "kind": "plain", "extra": 1}, bearer("admin")
    )
    assert status == 400
    assert headers["Access-Control-Allow-Origin"] == "*"  # from the BAD_REQUEST_BODY gateway response
    # The template substitutes validationErrorString raw, as API Gateway does: not JSON any more.
    assert body == (
        b'{"error": {"code": "BAD_REQUEST_BODY", "message": "Invalid request body", "details": '
        b'"[object instance has properties which are not allowed by the schema: ["extra"]]"}}'
    )
    status, _, _ = api.request("GET", "/items/never-written", headers=bearer("admin"))
    assert status == 404


def test_missing_and_invalid_fields_are_reported_like_api_gateway(api):
    status, _, body = api.request("POST", "/items", {"note": 5}, bearer("admin"))
    assert status == 400
    assert b'object has missing required properties (["itemId","kind"])' in body
    assert b'instance type (integer) does not match any allowed primitive type (allowed: ["string"])' in body


def test_chunked_request_body_is_read_whole(runtime):
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", runtime.options.port, timeout=10)
    body = (b'{"itemId": "chunked-1", ', b'"kind": "plain"}')
    conn.request("POST", "/items", body=iter(body), headers={**bearer("admin"), "Transfer-Encoding": "chunked"},
                 encode_chunked=True)
    response = conn.getresponse()
    assert response.status == 201
    conn.close()


def test_referenced_schemas_are_validated_too(api):
    status, _, body = api.request("POST", "/items", {"itemId": "x", "kind": "plain", "note": "n" * 101}, bearer("admin"))
    assert status == 400
    assert b"is too long (length: 101, maximum allowed: 100)" in body


def test_body_that_is_not_json_is_400(api):
    status, _, body = api.request("POST", "/items", raw=b"{not json", headers=bearer("admin"))
    assert status == 400
    assert body["error"]["message"] == "Invalid request body"
    assert "Invalid JSON" in body["error"]["details"]


def test_missing_token_is_401_and_rejected_token_is_401(api):
    status, _, body = api.request("GET", "/me")
    assert status == 401
    assert body["error"]["message"] == "Unauthorized"
    status, _, _ = api.request("GET", "/me", headers={"Authorization": "Basic nope"})
    assert status == 401


def test_route_the_policy_does_not_cover_is_403(api):
    status, _, _ = api.request("GET", "/items/anything", headers=bearer("courier"))
    assert status == 404  # allowed: the function answered
    status, _, body = api.request("DELETE", "/items/anything", headers=bearer("courier"))
    assert status == 403
    assert body["error"]["code"] == "ACCESS_DENIED"
    status, _, _ = api.request("DELETE", "/items/anything", headers=bearer("admin"))
    assert status == 204


def test_explicit_deny_is_403(api):
    status, _, body = api.request("GET", "/me", headers=bearer("blocked"))
    assert status == 403
    assert "explicit deny" in body["error"]["message"]


def test_authorizer_context_reaches_the_function_and_is_cached_per_token(api):
    _, _, first = api.request("GET", "/me", headers=bearer("admin", "cache-user"))
    _, _, second = api.request("GET", "/me", headers=bearer("admin", "cache-user"))
    caller = first["caller"]
    assert caller["username"] == "cache-user" and caller["role"] == "admin" and caller["userId"] == "id-cache-user"
    assert caller["principalId"] == "cache-user"
    assert caller["authorizerCalls"] == second["caller"]["authorizerCalls"]  # second answer came from the cache
    assert isinstance(caller["authorizerCalls"], str)  # API Gateway passes context values as strings
    _, _, other = api.request("GET", "/me", headers=bearer("admin", "another-user"))
    assert other["caller"]["username"] == "another-user"


def test_request_authorizer_sees_the_request_and_decides(api):
    assert api.request("GET", "/keyed")[0] == 401
    assert api.request("GET", "/keyed", headers={"X-Api-Key": "wrong"})[0] == 401
    status, _, body = api.request("GET", "/keyed", headers={"X-Api-Key": "let-me-in"})
    assert status == 200
    assert body["caller"]["via"] == "REQUEST"
    assert body["caller"]["path"] == "/keyed" and body["caller"]["method"] == "GET"
    assert body["caller"]["principalId"] == "key-holder"


def test_function_gets_its_environment_and_a_lambda_context(api, runtime):
    _, _, body = api.request("GET", "/me", headers=bearer("admin"))
    assert body["env"] == {"STAGE": "dev", "JOINED": "us-east-1/b", "ITEMS_TABLE": runtime.stack.name("ItemsTable")}
    _, _, health = api.request("GET", "/health?a=1&a=2")
    assert health["function"] == runtime.stack.name("HealthFunction")
    assert health["memory"] == 256
    assert 0 < health["remainingMs"] <= 5000
    assert re.fullmatch(r"[0-9a-f-]{36}", health["requestId"])
    assert health["multi"] == {"a": ["1", "2"]}
    assert health["stage"] == "dev"


def test_cors_preflight_is_answered(api):
    status, headers, _ = api.request("OPTIONS", "/items/abc", headers={
        "Origin": "http://localhost:5173", "Access-Control-Request-Method": "DELETE",
    })
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert set(headers["Access-Control-Allow-Methods"].split(",")) == {"GET", "DELETE", "OPTIONS"}
    assert "Authorization" in headers["Access-Control-Allow-Headers"]


def test_options_with_a_mock_integration_answers_from_it(api):
    status, headers, _ = api.request("OPTIONS", "/health", headers={"Origin": "http://localhost:5173"})
    assert status == 204
    assert headers["Access-Control-Allow-Origin"] == "http://localhost:5173"
    assert headers["Access-Control-Allow-Methods"] == "OPTIONS,GET"


def test_binary_response_is_decoded_from_base64(api):
    status, headers, body = api.request("GET", "/files/x.bin?binary=1")
    assert status == 200
    assert headers["Content-Type"] == "application/octet-stream"
    assert body == b"\x00\x01binary\xff"


def test_malformed_proxy_response_is_502(api):
    status, _, body = api.request("GET", "/health?malformed=1")
    assert status == 502
    assert body["error"]["message"] == "Internal server error"


def test_crash_is_502_and_the_worker_is_replaced(api):
    status, _, _ = api.request("GET", "/health?crash=1")
    assert status == 502
    status, _, body = api.request("GET", "/health")
    assert status == 200 and body["status"] == "ok"


def test_timeout_is_504(api):
    status, _, body = api.request("GET", "/slow")
    assert status == 504
    assert body["error"]["message"] == "Endpoint request timed out"


def test_edited_handler_answers_with_new_code_without_restart(api, app_dir):
    assert api.request("GET", "/health")[2]["version"] == "v1"
    handlers = app_dir / "src" / "api" / "api" / "handlers.py"
    handlers.write_text(handlers.read_text().replace('VERSION = "v1"', 'VERSION = "v2-edited"'))
    assert api.request("GET", "/health")[2]["version"] == "v2-edited"


def test_edited_layer_is_picked_up_too(api, app_dir):
    layer = app_dir / "layers" / "common" / "appcommon" / "__init__.py"
    layer.write_text(layer.read_text().replace('"Content-Type": "application/json", **', '"X-Layer": "edited", **'))
    _, headers, _ = api.request("GET", "/health")
    assert headers.get("X-Layer") == "edited"


def test_edited_authorizer_decides_again_despite_its_cache(api, app_dir):
    token = bearer("admin", "edit-user")
    assert api.request("GET", "/me", headers=token)[2]["caller"]["role"] == "admin"
    authorizer = app_dir / "src" / "auth" / "auth" / "handlers.py"
    authorizer.write_text(authorizer.read_text().replace('"role": role,', '"role": role + "-edited",'))
    assert api.request("GET", "/me", headers=token)[2]["caller"]["role"] == "admin-edited"


def test_concurrent_requests_are_all_answered(api):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: api.request("GET", f"/items/c{i}", headers=bearer("admin"))[0], range(24)))
    assert results == [404] * 24


def test_demo_data_is_seeded_through_the_template_functions(runtime, aws):
    eventually(runtime.seeded.is_set)
    users = aws("dynamodb").scan(TableName=runtime.stack.name("UsersTable"))["Items"]
    by_name = {u["username"]["S"]: u for u in users}
    assert set(by_name) == {"admin", "manager", "courier1", "courier2", "courier3", "courier4", "courier5"}
    assert by_name["courier3"]["role"]["S"] == "courier"
    assert by_name["admin"]["passwordHash"]["S"].startswith("sha256$")  # the app's own hash_password
    item = aws("dynamodb").get_item(TableName=runtime.stack.name("ItemsTable"), Key={"itemId": {"S": "demo:welcome"}})
    assert "Item" in item  # src/events/demo.py seed(stack) ran


def test_function_log_records_read_as_sentences_or_stay_json(api):
    """`make dev` renders a function's Powertools records for a person; LOG_FORMAT=json keeps them as written."""
    import io
    import json
    import sys

    from legwork.local import logs

    stream = io.StringIO()
    logs.set_stream(stream)
    try:
        logs.set_format("human")
        assert api.request("GET", "/health?log=human")[0] == 200
        eventually(lambda: "KeyError: 'missing'" in stream.getvalue())
        logs.set_format("json")
        assert api.request("GET", "/health?log=json")[0] == 200
        eventually(lambda: stream.getvalue().count('"message":"lookup failed"') == 1)
    finally:
        logs.set_stream(sys.stderr)
        logs.set_format("human")
    lines = [line for line in stream.getvalue().splitlines() if line.split()[1] == "HealthFunction"]
    text = [line.split(" | ", 1)[1] for line in lines]
    info = next(t for t in text if t.startswith("INFO"))
    assert info == 'INFO  health looked at  itemId=item-7 note="two words"  [GET /health]'
    error = text.index(next(t for t in text if t.startswith("ERROR")))
    assert re.fullmatch(r"ERROR lookup failed  \[GET /health\]  \(run:\d+\)", text[error])
    assert text[error + 1] == "    Traceback (most recent call last):"
    assert "    KeyError: 'missing'" in text[error + 2:error + 12]
    records = [json.loads(t) for t in text if t.startswith("{")]
    assert [r["message"] for r in records] == ["health looked at", "lookup failed"]
    assert records[1]["exception_name"] == "KeyError" and records[0]["function_name"].endswith("HealthFunction")
