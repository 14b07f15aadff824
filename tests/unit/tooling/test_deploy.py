"""`make deploy`: the artifact bucket and the sam call, for global regions and China."""
from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from legwork.deploy import deploy_command, ensure_artifact_bucket, stage_overrides


@pytest.mark.parametrize("region, partition", [("us-east-1", "aws"), ("eu-west-1", "aws"), ("cn-north-1", "aws-cn")])
def test_artifact_bucket_is_created_once_private_encrypted_and_tls_only(region: str, partition: str) -> None:
    with mock_aws():
        s3 = boto3.client("s3", region_name=region)
        name = ensure_artifact_bucket(s3, region, "123456789012")
        assert ensure_artifact_bucket(s3, region, "123456789012") == name  # second call: no error, same bucket
        assert s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]["BlockPublicPolicy"]
        rules = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
        assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
        policy = json.loads(s3.get_bucket_policy(Bucket=name)["Policy"])
        statement = policy["Statement"][0]
        assert statement["Effect"] == "Deny"
        assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert all(arn.startswith(f"arn:{partition}:s3:::") for arn in statement["Resource"])


def test_deploy_never_prompts_and_uses_the_stage_settings(tmp_path) -> None:
    command = deploy_command(region="cn-north-1", stage="prod", bucket="b", template=tmp_path / "t.yaml")
    assert "--guided" not in command
    assert "--no-confirm-changeset" in command
    assert command[command.index("--stack-name") + 1] == "legwork-prod"
    overrides = command[command.index("--parameter-overrides") + 1:command.index("--no-confirm-changeset")]
    assert overrides[0] == "Stage=prod" and "LogRetentionInDays=365" in overrides


def test_a_stage_without_samconfig_section_still_gets_its_stage_parameter() -> None:
    assert stage_overrides("feature-x") == ["Stage=feature-x"]


def test_deploy_tags_the_commit_and_uses_the_pipelines_role_when_given(tmp_path) -> None:
    command = deploy_command(region="cn-north-1", stage="prod", bucket="b", template=tmp_path / "t.yaml",
                             commit="0123abc", role_arn="arn:aws-cn:iam::123456789012:role/legwork-pipeline-DeployRole-X")
    tags = command[command.index("--tags") + 1:command.index("--no-confirm-changeset")]
    assert tags == ["legwork:stage=prod", "legwork:commit=0123abc"]
    assert command[command.index("--role-arn") + 1].endswith(":role/legwork-pipeline-DeployRole-X")
    laptop = deploy_command(region="us-east-1", stage="dev", bucket="b", template=tmp_path / "t.yaml")
    assert "--role-arn" not in laptop and "legwork:commit" not in " ".join(laptop)


def test_deploy_prints_the_stack_outputs_at_the_end() -> None:
    import io

    from legwork.deploy import print_outputs, stack_outputs

    template = {"Resources": {"Q": {"Type": "AWS::SQS::Queue"}},
                "Outputs": {"ApiUrl": {"Value": "https://abc.execute-api.cn-north-1.amazonaws.com.cn/prod"},
                            "DashboardUrl": {"Value": "https://console.amazonaws.cn/cloudwatch/home"}}}
    with mock_aws():
        cloudformation = boto3.client("cloudformation", region_name="cn-north-1")
        cloudformation.create_stack(StackName="legwork-prod", TemplateBody=json.dumps(template))
        outputs = stack_outputs(cloudformation, "legwork-prod")
    out = io.StringIO()
    print_outputs(outputs, out)
    assert out.getvalue().splitlines() == [
        "deploy: stack outputs",
        "  ApiUrl        https://abc.execute-api.cn-north-1.amazonaws.com.cn/prod",
        "  DashboardUrl  https://console.amazonaws.cn/cloudwatch/home",
    ]


def test_logs_tails_the_function_of_the_stages_stack() -> None:
    from legwork.logs import logs_command

    command = logs_command(function="LoginFunction", stage="prod", region="cn-north-1")
    assert command[1:] == ["logs", "--stack-name", "legwork-prod", "--name", "LoginFunction",
                           "--region", "cn-north-1", "--start-time", "10min ago", "--tail"]
