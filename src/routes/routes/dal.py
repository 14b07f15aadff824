"""The routes table, and the one question routes ask of the tasks table, behind small interfaces.

    >>> routes = RoutesTable(os.environ["ROUTES_TABLE"])
    >>> routes.get(route_id)["lengthM"]
    Decimal('111195.1')
"""
from __future__ import annotations

from typing import Any

from legwork_common.aws import dynamodb
from routes.models import LIST_KEY

_SUMMARY = {"#id": "routeId", "#n": "name", "#l": "lengthM", "#w": "waypointCount",
            "#b": "createdBy", "#c": "createdAt", "#k": "listKey"}


class RoutesTable:
    """The RoutesTable: one item per route, keyed by `routeId`; index `byCreatedAt` for lists."""

    def __init__(self, table_name: str, resource: Any = None) -> None:
        self.table = (resource or dynamodb()).Table(table_name)

    def put_new(self, item: dict) -> None:
        """Store a new route (a fresh uuid: the condition only guards against a collision)."""
        self.table.put_item(Item=item, ConditionExpression="attribute_not_exists(routeId)")

    def get(self, route_id: str) -> dict | None:
        return self.table.get_item(Key={"routeId": route_id}).get("Item")

    def page(self, *, limit: int, start_key: dict | None = None) -> tuple[list[dict], dict | None]:
        """Up to `limit` route summaries, newest first, and the key to continue from (or None)."""
        args: dict[str, Any] = {
            "IndexName": "byCreatedAt",
            "KeyConditionExpression": "#k = :k",
            "ExpressionAttributeValues": {":k": LIST_KEY},
            "ExpressionAttributeNames": _SUMMARY,
            "ProjectionExpression": ", ".join(_SUMMARY),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if start_key:
            args["ExclusiveStartKey"] = start_key
        response = self.table.query(**args)
        return response.get("Items", []), response.get("LastEvaluatedKey")


class TaskLinks:
    """Which tasks use a route, through the tasks table's `byRoute` index (keys, status, assignee)."""

    def __init__(self, table_name: str, resource: Any = None) -> None:
        self.table = (resource or dynamodb()).Table(table_name)

    def visible_to_courier(self, route_id: str, courier_id: str) -> bool:
        """True when an open task, or a task assigned to `courier_id`, uses the route."""
        args: dict[str, Any] = {
            "IndexName": "byRoute",
            "KeyConditionExpression": "routeId = :r",
            "FilterExpression": "#s = :open OR assigneeId = :me",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {":r": route_id, ":open": "open", ":me": courier_id},
            "ProjectionExpression": "taskId",
        }
        while True:
            response = self.table.query(**args)
            if response.get("Items"):
                return True
            if "LastEvaluatedKey" not in response:
                return False
            args["ExclusiveStartKey"] = response["LastEvaluatedKey"]
