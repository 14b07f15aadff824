"""What the tasks, routes and notifications fragments promise, read from the merged template."""
from __future__ import annotations

import importlib
import json

import pytest

OURS = {
    "routes": ("RoutesTable",),
    "tasks": ("TasksTable", "CourierLoadTable"),
    "notifications": (),
}


def functions_of(template: dict, folder: str) -> dict[str, dict]:
    return {lid: res for lid, res in template["Resources"].items()
            if res["Type"] == "AWS::Serverless::Function" and res["Properties"]["CodeUri"] == f"src/{folder}"}


@pytest.mark.parametrize("table", [t for tables in OURS.values() for t in tables])
def test_tables_are_retained_on_demand_recoverable_and_encrypted(merged_template, table):
    resource = merged_template["Resources"][table]
    assert resource["DeletionPolicy"] == resource["UpdateReplacePolicy"] == "Retain"
    props = resource["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True}


def test_the_tasks_table_streams_old_and_new_images_and_has_the_listing_indexes(merged_template):
    props = merged_template["Resources"]["TasksTable"]["Properties"]
    assert props["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    indexes = {gsi["IndexName"]: [k["AttributeName"] for k in gsi["KeySchema"]]
               for gsi in props["GlobalSecondaryIndexes"]}
    assert indexes == {"byStatus": ["status", "createdAt"], "byAssignee": ["assigneeId", "status"],
                       "byRoute": ["routeId"], "byClosedAt": ["status", "closedAt"]}


def test_the_active_task_limit_is_a_template_parameter(merged_template):
    parameter = merged_template["Parameters"]["MaxActiveTasksPerCourier"]
    assert parameter["Type"] == "Number" and parameter["Default"] == 3
    claim = merged_template["Resources"]["ClaimTaskFunction"]["Properties"]
    assert claim["Environment"]["Variables"]["MAX_ACTIVE_TASKS_PER_COURIER"] == {"Ref": "MaxActiveTasksPerCourier"}


@pytest.mark.parametrize("folder", ["routes", "tasks", "notifications"])
def test_each_function_names_a_real_handler_of_its_own_package(merged_template, folder):
    functions = functions_of(merged_template, folder)
    assert functions
    for lid, resource in functions.items():
        module, _, name = resource["Properties"]["Handler"].rpartition(".")
        assert module == f"{folder}.handlers", lid
        assert callable(getattr(importlib.import_module(module), name)), lid


@pytest.mark.parametrize("folder", ["routes", "tasks"])
def test_each_api_function_has_one_event_and_one_integrated_operation(merged_template, folder):
    paths = merged_template["Resources"]["Api"]["Properties"]["DefinitionBody"]["paths"]
    for lid, resource in functions_of(merged_template, folder).items():
        events = resource["Properties"]["Events"]
        assert list(events) == ["Api"], lid
        api = events["Api"]["Properties"]
        assert api["RestApiId"] == {"Ref": "Api"}
        operation = paths[api["Path"]][api["Method"]]
        text, variables = operation["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
        assert text.startswith("arn:${AWS::Partition}:") and text.endswith("/${Target}/invocations"), lid
        assert variables == {"Target": {"Ref": f"{lid}.Alias"}}, lid  # the function's live alias


@pytest.mark.parametrize("folder", ["routes", "tasks", "notifications"])
def test_policies_are_least_privilege(merged_template, folder):
    for lid, resource in functions_of(merged_template, folder).items():
        for policy in resource["Properties"].get("Policies", []):
            for statement in policy.get("Statement", []):
                actions = statement["Action"]
                assert all("*" not in a for a in actions), lid
                assert not {"dynamodb:Scan", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"} & set(actions), lid
                assert statement["Resource"] != "*", lid


def test_only_the_listing_queries_and_only_its_indexes(merged_template):
    for lid, resource in functions_of(merged_template, "tasks").items():
        actions = {a for p in resource["Properties"]["Policies"] for s in p["Statement"] for a in s["Action"]}
        assert ("dynamodb:Query" in actions) == (lid == "ListTasksFunction"), lid
    statement = merged_template["Resources"]["ListTasksFunction"]["Properties"]["Policies"][0]["Statement"][0]
    assert statement["Resource"] == [{"Fn::Sub": "${TasksTable.Arn}/index/byStatus"},
                                     {"Fn::Sub": "${TasksTable.Arn}/index/byAssignee"}]


def test_request_schemas_are_strict(merged_template):
    schemas = merged_template["Resources"]["Api"]["Properties"]["DefinitionBody"]["components"]["schemas"]
    for name in ("RouteCreateRequest", "RouteWaypoint", "TaskCreateRequest", "TaskBonus", "TaskWindow"):
        assert schemas[name]["additionalProperties"] is False, name
        assert set(schemas[name]["required"]) == set(schemas[name]["properties"]), name
    assert schemas["RouteCreateRequest"]["properties"]["waypoints"]["maxItems"] == 1000
    assert schemas["RouteCreateRequest"]["properties"]["waypoints"]["minItems"] == 2
    assert schemas["RouteWaypoint"]["properties"]["lat"] == {"type": "number", "minimum": -90, "maximum": 90}
    assert schemas["RouteWaypoint"]["properties"]["lng"] == {"type": "number", "minimum": -180, "maximum": 180}
    from legwork_common.money import AMOUNT_PATTERN, WHOLE_AMOUNT_PATTERN
    from tasks.models import UTC_PATTERN

    # The bonus is Money (swagger/openapi.yaml), whose rules legwork_common.money applies.
    assert schemas["TaskBonus"]["allOf"] == [{"$ref": "#/components/schemas/Money"}]
    amount = schemas["Money"]["properties"]["amount"]
    assert amount["type"] == "string" and amount["pattern"] == AMOUNT_PATTERN.pattern
    assert schemas["Money"]["anyOf"][0]["properties"]["amount"]["pattern"] == WHOLE_AMOUNT_PATTERN.pattern
    assert schemas["TaskWindow"]["properties"]["start"]["pattern"] == UTC_PATTERN.pattern
    assert schemas["TaskWindow"]["properties"]["end"]["pattern"] == UTC_PATTERN.pattern


def test_cursor_and_timestamp_patterns_are_the_models_own(merged_template):
    """What swagger.yaml states as a pattern is the regular expression the function applies."""
    from legwork_common.paging import cursor_pattern
    from tasks.models import CURSOR_PATTERN
    from tracking.models import TS_PATTERN

    body = merged_template["Resources"]["Api"]["Properties"]["DefinitionBody"]
    cursors = {path: next(p["schema"]["pattern"] for p in body["paths"][path]["get"]["parameters"]
                          if p["name"] == "cursor")
               for path in ("/users", "/routes", "/tasks", "/tasks/{taskId}/track")}
    assert cursors == {"/users": cursor_pattern(1), "/routes": cursor_pattern(2), "/tasks": CURSOR_PATTERN.pattern,
                       "/tasks/{taskId}/track": cursor_pattern(2)}
    point = body["components"]["schemas"]["TrackingPointInput"]["properties"]
    assert point["ts"]["pattern"] == TS_PATTERN.pattern


def test_the_notifier_gets_only_status_changes_and_never_loses_a_failure(merged_template):
    resources = merged_template["Resources"]
    props = resources["NotifyTaskChangeFunction"]["Properties"]["Events"]["TaskStatusChanged"]["Properties"]
    assert props["Stream"] == {"Fn::GetAtt": ["TasksTable", "StreamArn"]}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BisectBatchOnFunctionError"] is True and props["MaximumRetryAttempts"] >= 1
    assert props["DestinationConfig"]["OnFailure"] == {
        "Type": "SQS", "Destination": {"Fn::GetAtt": ["NotificationsFailureQueue", "Arn"]}}
    patterns = [json.loads(f["Pattern"]) for f in props["FilterCriteria"]["Filters"]]
    assert len(patterns) <= 5  # Lambda's default quota of filters per event source
    for pattern in patterns[1:]:  # every MODIFY filter: old and new status sets are disjoint
        old = set(pattern["dynamodb"]["OldImage"]["status"]["S"])
        new = set(pattern["dynamodb"]["NewImage"]["status"]["S"])
        assert old and new and not old & new
    queue = resources["NotificationsFailureQueue"]["Properties"]
    assert queue["SqsManagedSseEnabled"] is True
    alarm = resources["NotificationsFailureAlarm"]["Properties"]
    assert alarm["Dimensions"] == [{"Name": "QueueName",
                                    "Value": {"Fn::GetAtt": ["NotificationsFailureQueue", "QueueName"]}}]
    webhook = resources["NotificationsWebhookUrl"]["Properties"]
    assert webhook["Type"] == "String" and webhook["Value"] == "none"
