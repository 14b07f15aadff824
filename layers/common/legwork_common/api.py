"""The HTTP side of a Lambda behind API Gateway (REST, proxy integration, v1 event).

A handler is a function of a `Request` that returns a body (200) or a `Response`;
`endpoint` does the rest: correlation-id logging, JSON parsing, the caller from the
authorizer's context, and the one mapping from `ApiError` to an error response.

    @endpoint
    def get_me(request: Request) -> dict:
        return {"user": request.caller.as_dict()}

An exception that is not an `ApiError` is a defect: it is logged with its traceback
and answered with a 500 whose body never leaks internals.
"""
from __future__ import annotations

import base64
import functools
import json
import os
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths

from legwork_common.errors import ApiError, BadRequest, Forbidden, Unauthorized, internal_error_body

logger = Logger()

ROLES = ("admin", "manager", "courier")


def to_json(value: Any) -> str:
    """JSON with DynamoDB's Decimals as numbers (integral ones as ints)."""
    return json.dumps(value, default=_json_default, separators=(",", ":"))


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


@dataclass(frozen=True)
class Caller:
    """Who is calling, as the Lambda authorizer established it."""

    user_id: str
    username: str
    role: str

    def as_dict(self) -> dict:
        return {"userId": self.user_id, "username": self.username, "role": self.role}


@dataclass
class Request:
    """The parts of an API Gateway proxy event a handler needs."""

    method: str
    path: str
    path_params: dict[str, str]
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    caller: Caller | None
    request_id: str
    event: dict = field(repr=False, default_factory=dict)

    def require_caller(self) -> Caller:
        if self.caller is None:
            raise Unauthorized("Sign in first: send 'Authorization: Bearer <token>'.")
        return self.caller

    def require_role(self, *roles: str) -> Caller:
        """The caller, if their role is one of `roles`; otherwise a 403 saying which roles may."""
        caller = self.require_caller()
        if caller.role not in roles:
            allowed = " or ".join(roles)
            raise Forbidden(f"Only {allowed} may do this; you are signed in as {caller.role}.")
        return caller

    def json_body(self) -> dict:
        """The body as a JSON object, or a 400 that says what is wrong with it."""
        if not isinstance(self.body, dict):
            raise BadRequest("The request body must be a JSON object.")
        return self.body


@dataclass
class Response:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def parse_event(event: dict) -> Request:
    """Build a `Request` from an API Gateway REST proxy event; a bad body is a 400."""
    raw = event.get("body")
    if raw and event.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode("utf-8", errors="replace")
    body: Any = None
    if raw:
        try:
            body = json.loads(raw, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            raise BadRequest(f"The request body is not valid JSON: {exc.msg} at position {exc.pos}.") from None
        except ValueError as exc:  # an integer of more than 4,300 digits
            raise BadRequest(f"The request body is not valid JSON: {exc}.") from None
        try:
            # JSON may spell a lone UTF-16 surrogate (\ud800); no store or response can hold one.
            json.dumps(body, default=str, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise BadRequest("The request body holds a lone UTF-16 surrogate (\\ud800-\\udfff): "
                             "send text as valid Unicode.") from None
    context = (event.get("requestContext") or {}).get("authorizer") or {}
    caller = None
    if context.get("userId"):
        caller = Caller(user_id=context["userId"], username=context.get("username", ""), role=context.get("role", ""))
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    return Request(
        method=event.get("httpMethod", ""),
        path=event.get("path", ""),
        path_params=event.get("pathParameters") or {},
        query=event.get("queryStringParameters") or {},
        headers=headers,
        body=body,
        caller=caller,
        request_id=(event.get("requestContext") or {}).get("requestId", ""),
        event=event,
    )


def _cors_headers() -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "Access-Control-Allow-Origin": os.environ.get("CORS_ALLOW_ORIGIN", "*"),
    }


def render(status: int, body: Any, headers: dict[str, str] | None = None) -> dict:
    """An API Gateway proxy response."""
    return {
        "statusCode": status,
        "headers": {**_cors_headers(), **(headers or {})},
        "body": "" if body is None else to_json(body),
    }


def endpoint(fn: Callable[[Request], Any]) -> Callable[[dict, Any], dict]:
    """Turn `fn(request) -> body | Response` into a Lambda proxy handler."""

    @functools.wraps(fn)
    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
    def handler(event: dict, context: Any) -> dict:
        try:
            request = parse_event(event)
            result = fn(request)
        except ApiError as err:
            logger.info("request refused", extra={"status": err.status, "code": err.code, "reason": err.message})
            return render(err.status, err.body())
        except Exception:
            logger.exception("unhandled error: this is a defect")
            return render(500, internal_error_body())
        if isinstance(result, Response):
            return render(result.status, result.body, result.headers)
        return render(200, result)

    return handler
