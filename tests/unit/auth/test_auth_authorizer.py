"""The Lambda TOKEN authorizer: Allow with the user in the context, or `Unauthorized`."""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import boto3
import jwt
import pytest

from auth import handlers, tokens
from tests.support.events import lambda_context, method_arn, token_event

USER = {"userId": "3f0c2a4e-0000-4000-8000-000000000001", "username": "ana", "role": "courier"}


@pytest.fixture
def key(auth_stack) -> str:
    """The signing key, read the way an operator would: from the stack's secret."""
    secret = boto3.client("secretsmanager").get_secret_value(SecretId=os.environ["TOKEN_SECRET_ARN"])
    return secret["SecretString"]


def make_token(key: str, *, now: datetime | None = None, lifetime: timedelta = timedelta(hours=12),
               issuer: str | None = None, audience: str | None = None) -> str:
    token, _ = tokens.issue(
        USER,
        key=key,
        issuer=issuer or os.environ["TOKEN_ISSUER"],
        audience=audience or os.environ["TOKEN_AUDIENCE"],
        lifetime=lifetime,
        now=now or datetime.now(timezone.utc),
    )
    return token


def authorize(header: str | None, arn: str | None = None) -> dict:
    return handlers.authorize(token_event(header, arn=arn), lambda_context("legwork-dev-AuthorizerFunction"))


def assert_refused(header: str | None, arn: str | None = None) -> None:
    with pytest.raises(Exception) as raised:
        authorize(header, arn)
    # API Gateway turns exactly this message into a 401.
    assert type(raised.value) is Exception
    assert str(raised.value) == "Unauthorized"


def test_valid_token_allows_every_route_of_the_stage_with_the_user_in_context(key):
    result = authorize(f"Bearer {make_token(key)}", method_arn("POST", "/tasks/t-1/claim"))

    assert result["principalId"] == USER["userId"]
    assert result["context"] == USER
    statement = result["policyDocument"]["Statement"]
    assert statement == [{
        "Action": "execute-api:Invoke",
        "Effect": "Allow",
        "Resource": "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/dev/*/*",
    }]


def test_policy_keeps_the_china_partition_of_the_method_arn(key):
    result = authorize(f"Bearer {make_token(key)}", method_arn("GET", "/me", partition="aws-cn"))

    resource = result["policyDocument"]["Statement"][0]["Resource"]
    assert resource.startswith("arn:aws-cn:execute-api:")
    assert resource.endswith("/dev/*/*")


def test_bearer_scheme_is_case_insensitive(key):
    assert authorize(f"bearer {make_token(key)}")["principalId"] == USER["userId"]


def test_expired_token_is_refused(key):
    issued = datetime.now(timezone.utc) - timedelta(hours=13)
    assert_refused(f"Bearer {make_token(key, now=issued)}")


def test_tampered_payload_is_refused(key):
    header, payload, signature = make_token(key).split(".")
    forged = jwt.utils.base64url_encode(
        jwt.utils.base64url_decode(payload).replace(b'"courier"', b'"admin"')
    ).decode()
    assert_refused(f"Bearer {header}.{forged}.{signature}")


def test_tampered_signature_is_refused(key):
    header, payload, signature = make_token(key).split(".")
    middle = len(signature) // 2
    flipped = signature[:middle] + ("A" if signature[middle] != "A" else "B") + signature[middle + 1:]
    assert_refused(f"Bearer {header}.{payload}.{flipped}")


def test_token_signed_with_another_key_is_refused(key):
    assert_refused(f"Bearer {make_token('x' * 64)}")


def claims(**overrides) -> dict:
    now = int(datetime.now(timezone.utc).timestamp())
    return {
        "sub": USER["userId"], "username": USER["username"], "role": USER["role"],
        "iss": os.environ["TOKEN_ISSUER"], "aud": os.environ["TOKEN_AUDIENCE"],
        "iat": now, "exp": now + 3600, **overrides,
    }


def test_hs512_token_with_the_right_key_is_refused(key):
    assert_refused(f"Bearer {jwt.encode(claims(), key, algorithm='HS512')}")


def test_unsigned_alg_none_token_is_refused(key):
    unsigned = jwt.encode(claims(), None, algorithm="none")
    assert jwt.get_unverified_header(unsigned)["alg"] == "none"
    assert_refused(f"Bearer {unsigned}")


def test_wrong_audience_is_refused(key):
    assert_refused(f"Bearer {make_token(key, audience='someone-else')}")


def test_wrong_issuer_is_refused(key):
    assert_refused(f"Bearer {make_token(key, issuer='legwork-prod')}")


def test_token_without_expiry_is_refused(key):
    without_exp = {k: v for k, v in claims().items() if k != "exp"}
    assert_refused(f"Bearer {jwt.encode(without_exp, key, algorithm='HS256')}")


def test_token_with_an_unknown_role_is_refused(key):
    assert_refused(f"Bearer {jwt.encode(claims(role='root'), key, algorithm='HS256')}")


def test_missing_token_is_refused(auth_stack):
    assert_refused(None)
    assert_refused("")


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearer a.b", "Bearer not-a-jwt",
                                    "Token abc.def.ghi", "Bearer abc.def.ghi extra"])
def test_malformed_header_is_refused(auth_stack, header):
    assert_refused(header)


def test_bad_method_arn_is_refused(key):
    assert_refused(f"Bearer {make_token(key)}", arn="not-an-arn")
