"""What src/tracking/template.yaml and swagger.yaml promise: a buffered, redriven, alarmed
ingestion path, retained and encrypted data, least privilege, and strict request schemas."""
from __future__ import annotations

import importlib

import jsonschema
import pytest

from legwork import ROOT, yamlcfn
from tracking import dal

FOLDER = ROOT / "src" / "tracking"
TEMPLATE = yamlcfn.load(FOLDER / "template.yaml")
RESOURCES = TEMPLATE["Resources"]
SWAGGER = yamlcfn.load(FOLDER / "swagger.yaml")
SCHEMAS = SWAGGER["components"]["schemas"]
FUNCTIONS = {lid: r["Properties"] for lid, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function"}


def test_tracking_table_is_retained_recoverable_encrypted_and_on_demand():
    table = RESOURCES["TrackingTable"]
    props = table["Properties"]

    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True}


def test_the_live_index_is_the_one_the_code_queries():
    props = RESOURCES["TrackingTable"]["Properties"]
    [index] = props["GlobalSecondaryIndexes"]

    assert index["IndexName"] == dal.LIVE_INDEX
    assert [k["AttributeName"] for k in index["KeySchema"]] == ["livePk", "liveSk"]
    # Keys only: rewriting a listed live item with every batch must not write the index too.
    assert index["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert [k["AttributeName"] for k in props["KeySchema"]] == ["pk", "sk"]


def test_positions_queue_is_encrypted_and_redrives_to_an_alarmed_dlq():
    queue = RESOURCES["PositionsQueue"]["Properties"]
    dlq = RESOURCES["PositionsDLQ"]["Properties"]

    assert queue["SqsManagedSseEnabled"] is True and dlq["SqsManagedSseEnabled"] is True
    assert queue["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": ["PositionsDLQ", "Arn"]},
                                      "maxReceiveCount": 5}
    alarm = RESOURCES["PositionsDLQAlarm"]["Properties"]
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["PositionsDLQ", "QueueName"]}}]
    assert (alarm["MetricName"], alarm["ComparisonOperator"], alarm["Threshold"]) == (
        "ApproximateNumberOfMessagesVisible", "GreaterThanThreshold", 0)


def test_consumer_drains_in_throttled_batches_with_partial_failures():
    consumer = FUNCTIONS["PositionsConsumerFunction"]
    [event] = consumer["Events"].values()
    props = event["Properties"]

    assert event["Type"] == "SQS"
    assert props["Queue"] == {"Fn::GetAtt": ["PositionsQueue", "Arn"]}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # Lambda needs a batching window of at least 1 s for batches of more than 10 SQS messages.
    assert props["BatchSize"] > 10
    assert props["MaximumBatchingWindowInSeconds"] == {"Ref": "PositionsBatchWindowSeconds"}
    assert TEMPLATE["Parameters"]["PositionsBatchWindowSeconds"]["MinValue"] >= 1
    assert "MaximumConcurrency" in props["ScalingConfig"]
    # Lambda refuses a mapping whose queue hides messages for less than the function may run.
    assert RESOURCES["PositionsQueue"]["Properties"]["VisibilityTimeout"] >= 6 * consumer["Timeout"]


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_every_function_runs_a_handler_that_exists(logical_id):
    props = FUNCTIONS[logical_id]
    module, _, name = props["Handler"].rpartition(".")

    assert props["CodeUri"] == "."
    assert callable(getattr(importlib.import_module(module), name))


def test_the_api_only_queues_and_reads_tasks():
    policies = FUNCTIONS["PostPositionsFunction"]["Policies"]

    assert policies == [
        {"DynamoDBReadPolicy": {"TableName": {"Ref": "TasksTable"}}},
        {"SQSSendMessagePolicy": {"QueueName": {"Fn::GetAtt": ["PositionsQueue", "QueueName"]}}},
    ]


def test_only_the_consumer_writes_points():
    for logical_id, props in FUNCTIONS.items():
        crud = [p for p in props.get("Policies", []) if "DynamoDBCrudPolicy" in p]
        if logical_id == "PositionsConsumerFunction":
            assert crud == [{"DynamoDBCrudPolicy": {"TableName": {"Ref": "TrackingTable"}}}]
        else:
            assert crud == [], logical_id
        for policy in props.get("Policies", []):
            for statement in policy.get("Statement", []):
                # Only the live index's upkeep updates live items: GET /live takes a finished
                # task out, LiveIndexFunction lists a started one.
                assert statement["Action"] == ["dynamodb:UpdateItem"]
                assert logical_id in ("GetLiveFunction", "LiveIndexFunction")
                assert statement["Resource"] == {"Fn::GetAtt": ["TrackingTable", "Arn"]}


def test_the_live_index_follows_the_tasks_stream_with_a_dlq_and_an_alarm():
    props = FUNCTIONS["LiveIndexFunction"]
    [event] = props["Events"].values()
    source = event["Properties"]

    assert event["Type"] == "DynamoDB"
    assert source["Stream"] == {"Fn::GetAtt": ["TasksTable", "StreamArn"]}
    assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert len(source["FilterCriteria"]["Filters"]) <= 5  # Lambda's default limit
    destination = source["DestinationConfig"]["OnFailure"]["Destination"]
    assert destination == {"Fn::GetAtt": ["LiveIndexFailureQueue", "Arn"]}
    assert {"SQSSendMessagePolicy": {"QueueName": {"Fn::GetAtt": ["LiveIndexFailureQueue", "QueueName"]}}} \
        in props["Policies"]
    alarm = RESOURCES["LiveIndexFailureAlarm"]["Properties"]
    assert alarm["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["LiveIndexFailureQueue", "QueueName"]}


def test_no_literal_partition_or_host():
    text = (FOLDER / "template.yaml").read_text() + (FOLDER / "swagger.yaml").read_text()

    assert "arn:aws:" not in text and "amazonaws.com" not in text


def test_every_api_event_has_its_operation_and_every_schema_is_prefixed():
    for props in FUNCTIONS.values():
        for event in props["Events"].values():
            if event["Type"] == "Api":
                path, method = event["Properties"]["Path"], event["Properties"]["Method"]
                assert method in SWAGGER["paths"][path], (path, method)
                assert event["Properties"]["RestApiId"] == {"Ref": "Api"}
    assert all(name.startswith("Tracking") for name in SCHEMAS)


def _request_validator() -> jsonschema.Validator:
    # Resolve the fragment's $refs locally (the merged document adds Error and the rest).
    schema = {**SCHEMAS["TrackingPositionsRequest"], "components": {"schemas": SCHEMAS}}
    return jsonschema.Draft7Validator(schema)


@pytest.mark.parametrize("body, valid", [
    ({"points": [{"lat": 1, "lng": 2, "ts": "2026-11-23T08:00:00Z"}]}, True),
    ({"points": [{"lat": 1, "lng": 2, "ts": "2026-11-23T08:00:00Z", "accuracy": 3, "speed": 1.5}]}, True),
    ({"points": []}, False),
    ({"points": [{"lat": 1, "lng": 2, "ts": "2026-11-23T08:00:00Z"}] * 101}, False),
    ({"points": [{"lat": 90.5, "lng": 2, "ts": "2026-11-23T08:00:00Z"}]}, False),
    ({"points": [{"lat": 1, "lng": 180.5, "ts": "2026-11-23T08:00:00Z"}]}, False),
    ({"points": [{"lat": 1, "lng": 2, "ts": 1795334400}]}, False),
    ({"points": [{"lat": 1, "lng": 2, "ts": "2026-11-23T08:00:00Z", "extra": 1}]}, False),
    ({"points": [{"lat": 1, "lng": 2}]}, False),
    ({"points": [], "more": True}, False),
])
def test_the_request_schema_is_strict(body, valid):
    assert _request_validator().is_valid(body) is valid


def test_positions_bodies_are_checked_by_the_function_so_the_400_names_the_point():
    operation = SWAGGER["paths"]["/tasks/{taskId}/positions"]["post"]

    assert operation["x-amazon-apigateway-request-validator"] == "params-only"
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TrackingPositionsRequest"}
