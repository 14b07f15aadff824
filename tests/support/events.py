"""Realistic Lambda events and context for calling handlers directly in tests.

    >>> event = api_event("POST", "/users", body={"username": "ana"}, caller=ADMIN)
    >>> handler(event, lambda_context())

`api_event` builds the API Gateway REST (v1) proxy event with the fields our code and
Powertools read; `caller` becomes `requestContext.authorizer` as the Lambda authorizer's
context puts it there. `token_event` is the TOKEN authorizer's input.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

ACCOUNT_ID = "123456789012"
API_ID = "a1b2c3d4e5"
REGION = "us-east-1"
STAGE = "dev"


def api_event(
    method: str,
    path: str,
    body: Any = None,
    caller: dict | None = None,
    path_params: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    *,
    headers: dict[str, str] | None = None,
    resource: str | None = None,
    raw_body: str | None = None,
    stage: str = STAGE,
) -> dict:
    """An API Gateway REST proxy event for `method path`.

    `body` is JSON-encoded (pass `raw_body` for bytes as sent); `caller` is the
    authorizer context ({userId, username, role}); `resource` is the route template
    (`/tasks/{taskId}`), by default `path` with `path_params` values put back as names.
    """
    method = method.upper()
    request_id = str(uuid.uuid4())
    text = raw_body if raw_body is not None else (None if body is None else json.dumps(body))
    all_headers = {
        "Accept": "application/json",
        "Host": f"{API_ID}.execute-api.{REGION}.amazonaws.com",
        "User-Agent": "legwork-tests",
        "X-Forwarded-For": "203.0.113.10",
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
        **({"Content-Type": "application/json"} if text is not None else {}),
        **(headers or {}),
    }
    if resource is None:
        resource = path
        for name, value in (path_params or {}).items():
            resource = resource.replace(value, "{" + name + "}", 1)
    authorizer = None
    if caller is not None:
        authorizer = {**{k: str(v) for k, v in caller.items()}, "principalId": str(caller.get("userId", "")),
                      "integrationLatency": 3}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": dict(query) if query else None,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": dict(path_params) if path_params else None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "abc123",
            "resourcePath": resource,
            "httpMethod": method,
            "extendedRequestId": request_id[:16],
            "requestTime": "23/Nov/2026:08:00:00 +0000",
            "path": f"/{stage}{path}",
            "accountId": ACCOUNT_ID,
            "protocol": "HTTP/1.1",
            "stage": stage,
            "domainPrefix": API_ID,
            "requestTimeEpoch": 1795334400000,
            "requestId": request_id,
            "identity": {"sourceIp": "203.0.113.10", "userAgent": "legwork-tests", "accountId": None, "caller": None},
            "domainName": f"{API_ID}.execute-api.{REGION}.amazonaws.com",
            "apiId": API_ID,
            "authorizer": authorizer,
        },
        "body": text,
        "isBase64Encoded": False,
    }


def method_arn(method: str = "GET", path: str = "/me", *, stage: str = STAGE, partition: str = "aws") -> str:
    """`arn:<partition>:execute-api:<region>:<account>:<apiId>/<stage>/<METHOD><path>`."""
    return f"arn:{partition}:execute-api:{REGION}:{ACCOUNT_ID}:{API_ID}/{stage}/{method.upper()}{path}"


def token_event(authorization: str | None, *, arn: str | None = None) -> dict:
    """The input of a Lambda TOKEN authorizer for the header value `authorization`."""
    event = {"type": "TOKEN", "methodArn": arn or method_arn()}
    if authorization is not None:
        event["authorizationToken"] = authorization
    return event


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object that Powertools and our code read."""

    function_name: str = "legwork-dev-TestFunction"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:legwork-dev-TestFunction"
    aws_request_id: str = ""
    log_group_name: str = "/aws/lambda/legwork-dev-TestFunction"
    log_stream_name: str = "2026/11/23/[$LATEST]tests"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def lambda_context(function_name: str = "legwork-dev-TestFunction") -> LambdaContext:
    """A fresh Lambda context (new request id) for one invocation."""
    return LambdaContext(
        function_name=function_name,
        invoked_function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{function_name}",
        aws_request_id=str(uuid.uuid4()),
    )


def response_json(response: dict) -> Any:
    """The decoded body of a proxy response."""
    return json.loads(response["body"]) if response.get("body") else None
