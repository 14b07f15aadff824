"""`make destroy`: typed confirmation, prod only with CONFIRM=legwork-prod, and the
retained tables and buckets named before and after (moto's CloudFormation)."""
from __future__ import annotations

import io
import json

import boto3
import pytest
from moto import mock_aws

from legwork.destroy import DestroyRefused, check_confirmation, destroy

TEMPLATE = {
    "Resources": {
        "UsersTable": {
            "Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": {"BillingMode": "PAY_PER_REQUEST",
                           "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                           "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]},
        },
        "UploadsBucket": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain"},
        "WorkQueue": {"Type": "AWS::SQS::Queue"},
    }
}


@pytest.fixture
def cloudformation():
    with mock_aws():
        client = boto3.client("cloudformation", region_name="cn-north-1")
        for stage in ("dev", "prod"):
            client.create_stack(StackName=f"legwork-{stage}", TemplateBody=json.dumps(TEMPLATE))
        yield client


def _stacks(client) -> set[str]:
    return {s["StackName"] for s in client.describe_stacks()["Stacks"] if s["StackStatus"] != "DELETE_COMPLETE"}


def test_typing_the_stack_name_deletes_it_and_the_retained_resources_are_named(cloudformation) -> None:
    out = io.StringIO()
    prompts = []
    retained = destroy(cloudformation, stage="dev", region="cn-north-1",
                       ask=lambda prompt: prompts.append(prompt) or "legwork-dev", out=out)
    assert prompts == ["Type the stack name (legwork-dev) to delete it: "]
    assert "legwork-dev" not in _stacks(cloudformation)
    assert sorted(r.logical_id for r in retained) == ["UploadsBucket", "UsersTable"]
    text = out.getvalue()
    assert "1 resources will be deleted, 2 retained" in text
    table = [r for r in retained if r.logical_id == "UsersTable"][0].physical_id
    assert text.rstrip().splitlines()[-2:] and table in text.split("deleted.")[-1]
    # The retained table really is still there.
    assert boto3.client("dynamodb", region_name="cn-north-1").describe_table(TableName=table)["Table"]


def test_a_wrong_answer_deletes_nothing(cloudformation) -> None:
    with pytest.raises(DestroyRefused, match="typed 'yes'"):
        destroy(cloudformation, stage="dev", region="cn-north-1", ask=lambda prompt: "yes", out=io.StringIO())
    assert "legwork-dev" in _stacks(cloudformation)


def test_without_a_terminal_confirm_must_name_the_stack(cloudformation) -> None:
    with pytest.raises(DestroyRefused, match="pass CONFIRM=legwork-dev"):
        destroy(cloudformation, stage="dev", region="cn-north-1", ask=None, out=io.StringIO())
    with pytest.raises(DestroyRefused, match="does not name the stack"):
        destroy(cloudformation, stage="dev", region="cn-north-1", confirm="legwork-prod", out=io.StringIO())
    destroy(cloudformation, stage="dev", region="cn-north-1", confirm="legwork-dev", out=io.StringIO())
    assert "legwork-dev" not in _stacks(cloudformation)


def test_prod_is_never_deleted_without_confirm_legwork_prod(cloudformation) -> None:
    with pytest.raises(DestroyRefused, match="only with CONFIRM=legwork-prod"):
        destroy(cloudformation, stage="prod", region="cn-north-1", ask=lambda prompt: "legwork-prod", out=io.StringIO())
    assert "legwork-prod" in _stacks(cloudformation)
    destroy(cloudformation, stage="prod", region="cn-north-1", confirm="legwork-prod", out=io.StringIO())
    assert "legwork-prod" not in _stacks(cloudformation)


def test_a_stage_with_no_stack_is_refused_with_the_reason(cloudformation) -> None:
    with pytest.raises(DestroyRefused, match="no stack legwork-nope in cn-north-1"):
        destroy(cloudformation, stage="nope", region="cn-north-1", confirm="legwork-nope", out=io.StringIO())


def test_confirmation_rules_alone() -> None:
    check_confirmation("staging", "legwork-staging", "legwork-staging", None)
    with pytest.raises(DestroyRefused):
        check_confirmation("prod", "legwork-prod", "legwork-staging", lambda p: "legwork-prod")
