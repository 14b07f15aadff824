"""The provisioner creates a template's resources in moto and answers Ref/GetAtt/Sub like CloudFormation."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from moto import mock_aws

from legwork import yamlcfn
from legwork.local.intrinsics import TemplateError
from legwork.local.provision import expand_function, provision

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "local_app" / "template.yaml"


@pytest.fixture
def template() -> dict:
    return yamlcfn.load(FIXTURE)


@pytest.fixture
def stack(template):
    with mock_aws():
        yield provision(template, stage="dev")


def test_tables_are_created_with_keys_indexes_stream_and_ttl(stack):
    ddb = stack.client("dynamodb")
    table = ddb.describe_table(TableName=stack.name("ItemsTable"))["Table"]
    assert table["KeySchema"] == [{"AttributeName": "itemId", "KeyType": "HASH"}]
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["byKind"]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert stack.attr("ItemsTable", "StreamArn") == table["LatestStreamArn"]
    ttl = ddb.describe_time_to_live(TableName=stack.name("ItemsTable"))["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expiresAt"


def test_explicit_names_are_resolved_and_generated_names_are_stack_like(stack):
    assert stack.name("UsersTable") == "legwork-dev-users"
    assert stack.name("ItemsTable") == "legwork-dev-ItemsTable"
    bucket = stack.name("UploadsBucket")
    assert bucket == bucket.lower() and bucket.startswith("legwork-dev-uploadsbucket-") and len(bucket) <= 63
    stack.client("s3").head_bucket(Bucket=bucket)


def test_names_are_deterministic_across_runs(template):
    with mock_aws():
        first = provision(template).name("UploadsBucket")
    with mock_aws():
        assert provision(template).name("UploadsBucket") == first


def test_queue_ref_is_its_url_and_redrive_points_at_the_dlq(stack):
    sqs = stack.client("sqs")
    url = stack.name("JobsQueue")
    assert url == stack.attr("JobsQueue", "QueueUrl")
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "3"
    assert attributes["QueueArn"] == stack.attr("JobsQueue", "Arn")
    assert json.loads(attributes["RedrivePolicy"]) == {
        "deadLetterTargetArn": stack.attr("JobsDLQ", "Arn"),
        "maxReceiveCount": 2,
    }
    assert stack.attr("JobsQueue", "QueueName") == "legwork-dev-JobsQueue"


def test_resource_whose_condition_is_false_is_not_created(stack):
    queues = stack.client("sqs").list_queues().get("QueueUrls", [])
    assert not any("ProdOnlyQueue" in url for url in queues)
    with pytest.raises(TemplateError, match="Condition"):
        stack.name("ProdOnlyQueue")


def test_conditional_resource_exists_on_the_stage_that_enables_it(template):
    with mock_aws():
        stack = provision(template, stage="prod")
        assert stack.client("sqs").get_queue_url(QueueName="legwork-prod-ProdOnlyQueue")
        assert stack.env("ItemsFunction")["PROD_QUEUE"] == stack.name("ProdOnlyQueue")


def test_generated_secret_follows_its_spec_and_parameter_is_resolved(stack):
    secret = stack.client("secretsmanager").get_secret_value(SecretId=stack.name("TokenSecret"))["SecretString"]
    assert len(secret) == 40 and secret.isalnum()
    parameter = stack.client("ssm").get_parameter(Name=stack.name("GreetingParameter"))["Parameter"]
    assert parameter["Value"] == "hello from dev"
    assert stack.attr("GreetingParameter", "Value") == "hello from dev"


def test_topic_ref_is_its_arn(stack):
    arns = [t["TopicArn"] for t in stack.client("sns").list_topics()["Topics"]]
    assert stack.name("AlertsTopic") in arns


def test_function_env_merges_globals_and_resolves_intrinsics(stack):
    env = stack.env("ItemsFunction")
    assert env["STAGE"] == "dev"
    assert env["ITEMS_TABLE"] == "legwork-dev-ItemsTable"
    assert env["LOG_LEVEL"] == "INFO"  # the function's own value wins over Globals
    assert env["TRACING"] == "on"  # Fn::If on a Condition
    assert env["JOINED"] == "us-east-1/b"  # Join + Select + pseudo parameter
    assert env["ITEMS_STREAM_ARN"] == stack.attr("ItemsTable", "StreamArn")
    assert env["ALERTS_TOPIC_ARN"].startswith("arn:aws:sns:us-east-1:123456789012:")
    assert "PROD_QUEUE" not in env  # AWS::NoValue removes the variable
    assert stack.env("HealthFunction")["LOG_LEVEL"] == "DEBUG"  # FindInMap by stage


def test_sub_resolves_getatt_and_pseudo_parameters_and_keeps_escaped_literals(stack):
    uri = stack.resolve({"Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/${ItemsFunction.Arn}"})
    assert uri == (
        "arn:aws:apigateway:us-east-1:lambda:path/"
        "arn:aws:lambda:us-east-1:123456789012:function:legwork-dev-ItemsFunction"
    )
    assert stack.resolve({"Fn::Sub": ["${!Literal}-${X}", {"X": {"Ref": "AWS::URLSuffix"}}]}) == "${Literal}-amazonaws.com"


def test_china_partition_changes_arns_and_url_suffix(template):
    from legwork.local.provision import Stack

    stack = Stack(template, partition="aws-cn", region="cn-north-1")
    assert stack.condition("IsChina") is True
    assert stack.attr("JobsQueue", "Arn").startswith("arn:aws-cn:sqs:cn-north-1:")
    assert stack.resolve({"Ref": "AWS::URLSuffix"}) == "amazonaws.com.cn"


def test_ref_to_nothing_says_what_is_missing(stack):
    with pytest.raises(TemplateError, match="NoSuchThing"):
        stack.resolve({"Ref": "NoSuchThing"})


def test_function_expansion_applies_globals_as_sam_does(template):
    props = expand_function(template, "SlowFunction")
    assert props["Runtime"] == "python3.12"
    assert props["Timeout"] == 1  # own scalar wins
    assert props["MemorySize"] == 256  # from Globals
    assert props["Layers"] == [{"Ref": "CommonLayer"}]
    assert props["Environment"]["Variables"]["STAGE"] == {"Ref": "Stage"}
    assert props["Handler"] == "api.handlers.slow"
    assert "Events" in props and "Globals" not in props
