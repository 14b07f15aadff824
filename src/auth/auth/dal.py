"""The users table behind a small interface; DynamoDB's shapes stay in here.

    >>> users = UsersTable(os.environ["USERS_TABLE"])
    >>> users.get("ana")["role"]
    'courier'

Every write that decides something is a conditional write: creating a user that exists,
counting a failure on an account that is locked, or unlocking one that was just locked
all fail in DynamoDB, not in a read-then-write race.
"""
from __future__ import annotations

from typing import Any

from legwork_common.aws import dynamodb

# Projecting `role` needs a placeholder: ROLE is a DynamoDB reserved word.
_PUBLIC = {"#u": "username", "#i": "userId", "#r": "role", "#c": "createdAt"}


class UserExists(Exception):
    """A user with that username is already in the table."""


class UsersTable:
    """The UsersTable: one item per user, keyed by `username`."""

    def __init__(self, table_name: str, resource: Any = None) -> None:
        self.table = (resource or dynamodb()).Table(table_name)

    def get(self, username: str) -> dict | None:
        """The user's item (strongly consistent: the lockout depends on it), or None."""
        return self.table.get_item(Key={"username": username}, ConsistentRead=True).get("Item")

    def put_new(self, item: dict) -> None:
        """Store a new user; `UserExists` if the username is taken (never overwrites)."""
        client = self.table.meta.client
        try:
            self.table.put_item(Item=item, ConditionExpression="attribute_not_exists(username)")
        except client.exceptions.ConditionalCheckFailedException:
            raise UserExists(item["username"]) from None

    def record_failure(self, username: str, *, now: int, max_failures: int, lockout_seconds: int) -> bool:
        """Count a failed login; lock the account when it reaches `max_failures`. True if it locked.

        Failures are counted only while the account is unlocked; locking restarts the
        count, so after the lock expires the user has `max_failures` tries again.
        """
        client = self.table.meta.client
        not_locked = "attribute_exists(username) AND (attribute_not_exists(lockedUntil) OR lockedUntil <= :now)"
        try:
            updated = self.table.update_item(
                Key={"username": username},
                UpdateExpression="SET failedAttempts = if_not_exists(failedAttempts, :zero) + :one",
                ConditionExpression=not_locked,
                ExpressionAttributeValues={":zero": 0, ":one": 1, ":now": now},
                ReturnValues="UPDATED_NEW",
            )
        except client.exceptions.ConditionalCheckFailedException:
            return False  # locked meanwhile, or deleted: nothing to count
        if int(updated["Attributes"]["failedAttempts"]) < max_failures:
            return False
        try:
            # Of concurrent failures that all reached the limit, only the first locks.
            self.table.update_item(
                Key={"username": username},
                UpdateExpression="SET lockedUntil = :until, failedAttempts = :zero",
                ConditionExpression="failedAttempts >= :max",
                ExpressionAttributeValues={":until": now + lockout_seconds, ":zero": 0, ":max": max_failures},
            )
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def record_success(self, username: str, *, now: int, password_hash: str | None = None) -> bool:
        """Reset the failure count (and store a re-hashed password); False if the account is locked."""
        client = self.table.meta.client
        update = "SET failedAttempts = :zero REMOVE lockedUntil"
        values: dict[str, Any] = {":zero": 0, ":now": now}
        if password_hash:
            update = "SET failedAttempts = :zero, passwordHash = :hash REMOVE lockedUntil"
            values[":hash"] = password_hash
        try:
            self.table.update_item(
                Key={"username": username},
                UpdateExpression=update,
                ConditionExpression="attribute_exists(username) AND (attribute_not_exists(lockedUntil) OR lockedUntil <= :now)",
                ExpressionAttributeValues=values,
            )
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def page(self, *, limit: int, start_key: dict | None = None) -> tuple[list[dict], dict | None]:
        """Up to `limit` users (public fields only) and the key to continue from, or None."""
        args: dict[str, Any] = {
            "Limit": limit,
            "ProjectionExpression": ", ".join(_PUBLIC),
            "ExpressionAttributeNames": _PUBLIC,
        }
        if start_key:
            args["ExclusiveStartKey"] = start_key
        response = self.table.scan(**args)
        return response.get("Items", []), response.get("LastEvaluatedKey")
