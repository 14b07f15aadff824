"""Lambda entry points of the auth resource: parse, call `logic`, shape the response.

One function per operation (see template.yaml); `authorize` is the API's TOKEN authorizer.
"""
from __future__ import annotations

import functools
import os
from typing import Any

from aws_lambda_powertools import Logger

from auth import tokens
from auth.dal import UsersTable
from auth.logic import AuthService, BadMethodArn, authorizer_policy
from auth.models import Credentials, NewUser, Page
from legwork_common.api import Request, Response, endpoint

logger = Logger()


@functools.cache
def _service_for(table_name: str) -> AuthService:
    return AuthService(UsersTable(table_name))


def _service() -> AuthService:
    # Keyed by the table name so a warm worker follows a changed environment.
    return _service_for(os.environ["USERS_TABLE"])


@endpoint
def health(request: Request) -> dict:
    """GET /health: the function runs."""
    return {"status": "ok"}


@endpoint
def login(request: Request) -> dict:
    """POST /auth/login: `{username, password}` → `{token, expiresAt, user}`."""
    return _service().login(Credentials.parse(request.body))


@endpoint
def get_me(request: Request) -> dict:
    """GET /me: the signed-in user."""
    return _service().me(request.require_caller())


@endpoint
def create_user(request: Request) -> Response:
    """POST /users (admin): `{username, password, role}` → 201 with the user."""
    request.require_role("admin")
    return Response(201, _service().create_user(NewUser.parse(request.body)))


@endpoint
def list_users(request: Request) -> dict:
    """GET /users (admin, manager): `{items, nextCursor}`; `?limit=&cursor=`."""
    request.require_role("admin", "manager")
    return _service().list_users(Page.parse(request.query))


@logger.inject_lambda_context(clear_state=True)
def authorize(event: dict, context: Any) -> dict:
    """TOKEN authorizer: an Allow policy for a valid Bearer JWT; `Exception("Unauthorized")` otherwise.

    API Gateway answers 401 for exactly that exception message. Only the JWT is checked
    (no table read), so the answer can be cached for the whole stage.
    """
    try:
        token = tokens.bearer_token(event.get("authorizationToken"))
        claims = tokens.verify(
            token,
            key=tokens.signing_key(),
            issuer=os.environ["TOKEN_ISSUER"],
            audience=os.environ["TOKEN_AUDIENCE"],
        )
        policy = authorizer_policy(str(event.get("methodArn", "")), claims)
    except (tokens.InvalidToken, BadMethodArn) as exc:
        logger.info("token refused", extra={"reason": str(exc)})
        raise Exception("Unauthorized") from None  # noqa: TRY002 - the message API Gateway expects
    logger.info("token accepted", extra={"userId": claims["sub"], "role": claims["role"]})
    return policy
