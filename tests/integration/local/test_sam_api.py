"""APIs SAM documents itself (no DefinitionBody): routes from Api events, the authorizer from `Auth`."""
from __future__ import annotations

import pytest

from legwork.local.runtime import LocalRuntime, Options, free_port
from localrt import Client, bearer


@pytest.fixture(scope="module")
def sam_api(app_dir):
    runtime = LocalRuntime(Options(template=app_dir / "sam-auth.yaml", port=free_port(), seed=False, timers=False,
                                   access_log=False, poll_interval=0.1, static_dir=app_dir / "web"))
    runtime.start()
    yield Client(runtime.url)
    runtime.stop()


def test_default_authorizer_protects_events_of_the_api(sam_api):
    assert sam_api.request("GET", "/me")[0] == 401
    status, _, body = sam_api.request("GET", "/me", headers=bearer("admin", "sam"))
    assert status == 200
    assert body["caller"]["username"] == "sam"
    assert sam_api.request("GET", "/items/x", headers=bearer("courier"))[0] == 404  # GET allowed, no item


def test_auth_none_and_the_implicit_api_are_public(sam_api):
    status, _, body = sam_api.request("GET", "/health")
    assert status == 200 and body["stage"] == "v1"
    status, _, body = sam_api.request("GET", "/files/a/b")
    assert status == 200 and body == {"proxy": "a/b"}


def test_static_files_are_served_where_no_route_claims_the_path(sam_api):
    status, headers, body = sam_api.request("GET", "/")
    assert status == 200 and headers["Content-Type"] == "text/html"
    assert b"served by the local runtime" in body
    assert sam_api.request("GET", "/%2e%2e/sam-auth.yaml")[0] == 403  # nothing outside the folder
    assert sam_api.request("GET", "/health")[0] == 200  # routes first


def test_enabled_schedule_fires_on_its_timer(app_dir, tmp_path):
    from datetime import UTC, datetime, timedelta

    import boto3

    from localrt import eventually

    # Far enough ahead that a slow start (a loaded CI machine) cannot put it in the past:
    # an at() schedule whose moment has passed never fires, in AWS as here.
    when = (datetime.now(UTC) + timedelta(seconds=8)).strftime("%Y-%m-%dT%H:%M:%S")
    template = tmp_path / "timer.yaml"
    template.write_text(f"""
Transform: AWS::Serverless-2016-10-31
Resources:
  CommonLayer:
    Type: AWS::Serverless::LayerVersion
    Properties: {{ContentUri: layers/common}}
  ItemsTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{{AttributeName: itemId, AttributeType: S}}]
      KeySchema: [{{AttributeName: itemId, KeyType: HASH}}]
  TickFunction:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: src/events
      Handler: events.handlers.tick
      Layers: [!Ref CommonLayer]
      Environment: {{Variables: {{ITEMS_TABLE: !Ref ItemsTable}}}}
      Events:
        Once:
          Type: ScheduleV2
          Properties: {{ScheduleExpression: "at({when})", Input: '{{"source": "timer"}}'}}
""")
    runtime = LocalRuntime(Options(template=template, root=app_dir, port=free_port(), seed=False, access_log=False,
                                   poll_interval=0.1))
    runtime.start()
    try:
        ddb = boto3.client("dynamodb", endpoint_url=runtime.endpoint_url, region_name="us-east-1")
        item = eventually(lambda: ddb.get_item(TableName=runtime.stack.name("ItemsTable"),
                                               Key={"itemId": {"S": "tick:timer"}}).get("Item"), timeout=30)
        assert item["kind"]["S"] == "tick"
    finally:
        runtime.stop()
