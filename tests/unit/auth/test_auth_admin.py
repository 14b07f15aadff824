"""`python -m legwork admin`: the first admin of a deployed stage, found through CloudFormation."""
from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from legwork import ROOT, admin, yamlcfn
from auth.passwords import verify_password

REGION = "cn-north-1"
PASSWORD = "a long admin secret"


def deploy_users_table(stage: str, *, with_output: bool = True) -> None:
    """A `legwork-<stage>` stack in moto's CloudFormation holding the real UsersTable definition."""
    fragment = yamlcfn.load(ROOT / "src" / "auth" / "template.yaml")
    table = {k: v for k, v in fragment["Resources"]["UsersTable"].items() if k != "Metadata"}
    template = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"UsersTable": table}}
    if with_output:
        template["Outputs"] = {"UsersTableName": fragment["Outputs"]["UsersTableName"]}
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName=f"legwork-{stage}", TemplateBody=json.dumps(template)
    )


def users_table_name(stage: str) -> str:
    resources = boto3.client("cloudformation", region_name=REGION).describe_stack_resources(
        StackName=f"legwork-{stage}")["StackResources"]
    return next(r["PhysicalResourceId"] for r in resources if r["LogicalResourceId"] == "UsersTable")


def stored(stage: str, username: str) -> dict | None:
    table = boto3.resource("dynamodb", region_name=REGION).Table(users_table_name(stage))
    return table.get_item(Key={"username": username}).get("Item")


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("ADMIN_PASSWORD", PASSWORD)
    with mock_aws():
        yield


@pytest.mark.parametrize("with_output", [True, False])
def test_admin_is_created_in_the_stacks_users_table(aws, capsys, with_output):
    deploy_users_table("prod", with_output=with_output)

    code = admin.main(["--region", REGION, "--stage", "prod", "--username", "root"])

    assert code == 0
    item = stored("prod", "root")
    assert item["role"] == "admin"
    assert verify_password(PASSWORD, item["passwordHash"])
    out = capsys.readouterr().out
    assert "Created admin 'root'" in out and item["userId"] in out and "legwork-prod" in out
    assert PASSWORD not in out


def test_an_existing_user_is_never_overwritten(aws, capsys):
    deploy_users_table("prod")
    assert admin.main(["--region", REGION, "--stage", "prod", "--username", "root"]) == 0
    first = stored("prod", "root")

    code = admin.main(["--region", REGION, "--stage", "prod", "--username", "root"])

    assert code == 1
    assert "already exists" in capsys.readouterr().err
    assert stored("prod", "root") == first


def test_a_missing_stack_says_to_deploy_first(aws, capsys):
    code = admin.main(["--region", REGION, "--stage", "nowhere", "--username", "root"])

    assert code == 1
    err = capsys.readouterr().err
    assert "legwork-nowhere" in err and "deploy" in err


def test_a_short_password_is_refused_and_nothing_is_written(aws, capsys, monkeypatch):
    deploy_users_table("prod")
    monkeypatch.setenv("ADMIN_PASSWORD", "short")

    assert admin.main(["--region", REGION, "--stage", "prod", "--username", "root"]) == 1
    assert "10 to 256 characters" in capsys.readouterr().err
    assert stored("prod", "root") is None


def test_table_flag_skips_the_stack_lookup(aws, monkeypatch):
    deploy_users_table("prod")
    table = users_table_name("prod")

    assert admin.main(["--region", REGION, "--stage", "other", "--username", "ops.lead", "--table", table]) == 0
    assert stored("prod", "ops.lead")["role"] == "admin"


def test_the_password_is_asked_twice_when_not_in_the_environment():
    answers = iter(["first try here", "second try here"])
    with pytest.raises(admin.AdminError, match="differ"):
        admin.read_password({}, ask=lambda prompt: next(answers))

    same = iter([PASSWORD, PASSWORD])
    assert admin.read_password({}, ask=lambda prompt: next(same)) == PASSWORD
