"""The rules of signing in and of managing users, free of any AWS event shape.

    >>> service = AuthService(UsersTable(table), signing_key=lambda: key, settings=Settings.from_env())
    >>> service.login(Credentials("ana", "a long secret"))["user"]["role"]
    'courier'

Every refused login is the same `Unauthorized` (unknown user, wrong password, locked
account), and each costs one scrypt, so neither the answer nor its timing tells which.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from aws_lambda_powertools import Logger

from auth import passwords, tokens
from auth.dal import UserExists, UsersTable
from auth.models import Credentials, NewUser, Page, encode_cursor, iso, new_user_item, public_user
from legwork_common.api import Caller
from legwork_common.errors import InvalidCredentials, Unauthorized, UsernameTaken

logger = Logger(child=True)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@functools.cache
def _dummy_hash() -> str:
    # An unknown user still costs one scrypt, against a hash that matches nothing.
    return passwords.hash_password(os.urandom(16).hex())


@dataclass(frozen=True)
class Settings:
    """What the template sets in the environment (see src/auth/template.yaml)."""

    issuer: str
    audience: str
    token_lifetime: timedelta = timedelta(hours=12)
    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=15)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        return cls(
            issuer=env["TOKEN_ISSUER"],
            audience=env["TOKEN_AUDIENCE"],
            token_lifetime=timedelta(seconds=int(env.get("TOKEN_LIFETIME_SECONDS", 43200))),
            max_failures=int(env.get("LOGIN_MAX_FAILURES", 5)),
            lockout=timedelta(seconds=int(env.get("LOGIN_LOCKOUT_SECONDS", 900))),
        )


class AuthService:
    """Login, the current user, creating and listing users."""

    def __init__(
        self,
        users: UsersTable,
        *,
        signing_key: Callable[[], str] = tokens.signing_key,
        settings: Settings | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.users = users
        self.signing_key = signing_key
        self._settings = settings
        self.clock = clock

    @property
    def settings(self) -> Settings:
        # Read lazily: functions that never sign a token need no TOKEN_* variables.
        if self._settings is None:
            self._settings = Settings.from_env()
        return self._settings

    def login(self, credentials: Credentials) -> dict:
        """`{token, expiresAt, user}` for the right password of an unlocked account; else 401."""
        now = self.clock()
        epoch = int(now.timestamp())
        item = self.users.get(credentials.username)
        if item is None:
            passwords.verify_password(credentials.password, _dummy_hash())
            return self._refuse("unknown user", credentials.username)
        stored = str(item.get("passwordHash", ""))
        matches = passwords.verify_password(credentials.password, stored)
        if int(item.get("lockedUntil", 0)) > epoch:
            return self._refuse("account locked", credentials.username)
        if not matches:
            settings = self.settings
            locked = self.users.record_failure(
                credentials.username,
                now=epoch,
                max_failures=settings.max_failures,
                lockout_seconds=int(settings.lockout.total_seconds()),
            )
            return self._refuse("locked after repeated failures" if locked else "wrong password", credentials.username)
        rehash = passwords.hash_password(credentials.password) if passwords.needs_rehash(stored) else None
        if (int(item.get("failedAttempts", 0)) or "lockedUntil" in item or rehash) and not self.users.record_success(
            credentials.username, now=epoch, password_hash=rehash
        ):
            return self._refuse("account locked meanwhile", credentials.username)
        user = public_user(item)
        token, expires_at = tokens.issue(
            user,
            key=self.signing_key(),
            issuer=self.settings.issuer,
            audience=self.settings.audience,
            lifetime=self.settings.token_lifetime,
            now=now,
        )
        logger.info("signed in", extra={"username": user["username"], "role": user["role"]})
        return {"token": token, "expiresAt": iso(expires_at), "user": user}

    def me(self, caller: Caller) -> dict:
        """The caller's user record (public fields); 401 if the account no longer exists."""
        item = self.users.get(caller.username)
        if item is None or item.get("userId") != caller.user_id:
            raise Unauthorized("Your account no longer exists; sign in again.")
        return public_user(item)

    def create_user(self, new: NewUser) -> dict:
        """Store a user with a hashed password; 409 if the username is taken."""
        item = new_user_item(new.username, passwords.hash_password(new.password), new.role, self.clock())
        try:
            self.users.put_new(item)
        except UserExists:
            raise UsernameTaken(new.username) from None
        logger.info("user created", extra={"username": new.username, "role": new.role})
        return public_user(item)

    def list_users(self, page: Page) -> dict:
        """`{items, nextCursor}`: one page of users, and the cursor of the next (or null)."""
        items, last_key = self.users.page(limit=page.limit, start_key=page.start_key)
        return {"items": [public_user(item) for item in items], "nextCursor": encode_cursor(last_key)}

    def _refuse(self, reason: str, username: str) -> Any:
        # The reason goes to the log only; the caller always gets the same answer.
        logger.info("login refused", extra={"reason": reason, "username": username})
        raise InvalidCredentials()


class BadMethodArn(ValueError):
    """The authorizer event's methodArn is not an execute-api method ARN."""


def authorizer_policy(method_arn: str, claims: dict) -> dict:
    """An IAM policy allowing every route of the caller's API stage, with the user in its context.

    `method_arn` is `arn:<partition>:execute-api:<region>:<account>:<apiId>/<stage>/<VERB>/<path>`;
    allowing `<apiId>/<stage>/*/*` lets API Gateway reuse the cached answer on every route
    (roles are checked by each function).
    """
    parts = method_arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "execute-api":
        raise BadMethodArn(f"not an execute-api method ARN: {method_arn!r}")
    api_id, _, rest = parts[5].partition("/")
    stage = rest.split("/", 1)[0]
    if not api_id or not stage:
        raise BadMethodArn(f"no API id or stage in {method_arn!r}")
    resource = ":".join(parts[:5]) + f":{api_id}/{stage}/*/*"
    return {
        "principalId": claims["sub"],
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": resource}],
        },
        "context": {"userId": claims["sub"], "username": claims["username"], "role": claims["role"]},
    }
