"""CI/CD as the seeds run it: Jenkins starts CodeBuild (pipeline stack), which runs buildspec.yml.

The buildspec deploys only after the tests passed and runs nothing but Make targets that
exist; the pipeline stack holds what the Jenkinsfile starts, with roles scoped to the
application stacks of its own partition.
"""
from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest


from legwork.lint import translate
from legwork.merge import MergeError, check_template, merge
from legwork.pipeline import buildspec_problems, make_targets, pipeline_command
from legwork.yamlcfn import load, loads

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def buildspec() -> dict:
    return load(ROOT / "buildspec.yml")


@pytest.fixture(scope="module")
def targets() -> set[str]:
    return make_targets(ROOT / "Makefile")


@pytest.fixture(scope="module")
def pipeline() -> dict:
    return load(ROOT / "pipeline" / "template.yaml")


def test_make_targets_are_read_from_the_makefile(targets: set[str]) -> None:
    assert {"test", "deploy", "pipeline", "lint"} <= targets
    assert "deplyo" not in targets


def test_the_buildspec_runs_only_existing_make_targets_and_deploys_after_the_tests(buildspec, targets) -> None:
    assert buildspec_problems(buildspec, targets) == []
    commands = buildspec["phases"]["build"]["commands"]
    assert commands[0] == "make test"
    assert any(c.startswith("make deploy ") for c in commands)
    assert "make deploy" not in str(buildspec["phases"].get("post_build"))


def test_a_deploy_in_post_build_without_the_guard_is_caught(buildspec, targets) -> None:
    spec = copy.deepcopy(buildspec)
    spec["phases"]["build"]["commands"] = ["make test"]
    spec["phases"]["post_build"] = {"commands": ["make deploy REGION=$AWS_REGION STAGE=$STAGE"]}
    problems = buildspec_problems(spec, targets)
    assert len(problems) == 1 and "CODEBUILD_BUILD_SUCCEEDING" in problems[0]
    spec["phases"]["post_build"]["commands"] = [
        '[ "$CODEBUILD_BUILD_SUCCEEDING" = "1" ] && make deploy REGION=$AWS_REGION STAGE=$STAGE'
    ]
    assert buildspec_problems(spec, targets) == []


def test_a_deploy_before_the_tests_or_in_a_phase_that_continues_is_caught(buildspec, targets) -> None:
    spec = copy.deepcopy(buildspec)
    spec["phases"]["build"]["commands"] = list(reversed(spec["phases"]["build"]["commands"]))
    assert any("before `make test`" in p for p in buildspec_problems(spec, targets))
    spec = copy.deepcopy(buildspec)
    spec["phases"]["build"]["on-failure"] = "CONTINUE"
    assert any("on-failure" in p for p in buildspec_problems(spec, targets))


def test_a_command_that_is_not_an_existing_make_target_is_caught(buildspec, targets) -> None:
    spec = copy.deepcopy(buildspec)
    spec["phases"]["build"]["commands"] = ["make test", "pip install -r requirements.txt", "make deplyo STAGE=dev"]
    problems = buildspec_problems(spec, targets)
    assert len(problems) == 2
    assert "not a Make target" in problems[0] and "no target 'deplyo'" in problems[1]


def test_the_jenkinsfile_starts_the_pipeline_project_with_region_stage_and_commit(pipeline: dict) -> None:
    text = (ROOT / "Jenkinsfile").read_text(encoding="utf-8")
    project_default = re.search(r"name: 'PROJECT', defaultValue: '([^']+)'", text).group(1)
    assert project_default == pipeline["Parameters"]["ProjectName"]["Default"]
    assert "region: params.REGION" in text
    assert "sourceVersion: commit" in text
    assert "{ STAGE, ${params.STAGE} }" in text


def test_the_pipeline_stack_holds_the_project_its_logs_bucket_and_roles(pipeline: dict) -> None:
    resources = pipeline["Resources"]
    project = resources["BuildProject"]["Properties"]
    assert project["Source"]["BuildSpec"] == "buildspec.yml"
    assert project["Source"]["Location"] == {"Ref": "RepositoryUrl"}
    assert project["ServiceRole"] == {"Fn::GetAtt": ["BuildRole", "Arn"]}
    assert project["LogsConfig"]["CloudWatchLogs"]["GroupName"] == {"Ref": "BuildLogGroup"}
    assert "ArtifactsBucket" in project["Cache"]["Location"]["Fn::Sub"]  # pip and build caches
    deploy_role = {"Name": "DEPLOY_ROLE_ARN", "Value": {"Fn::GetAtt": ["DeployRole", "Arn"]}}
    assert deploy_role in project["Environment"]["EnvironmentVariables"]
    assert resources["ArtifactsBucket"]["DeletionPolicy"] == "Retain"
    assert resources["BuildLogGroup"]["Type"] == "AWS::Logs::LogGroup"


def _statements(role: dict) -> list[dict]:
    return [s for p in role["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]]


def test_the_build_role_changes_stacks_only_through_the_deploy_role(pipeline: dict) -> None:
    statements = _statements(pipeline["Resources"]["BuildRole"])
    creating = [s for s in statements if s["Effect"] == "Allow" and "cloudformation:CreateChangeSet" in s["Action"]]
    assert len(creating) == 1
    assert creating[0]["Condition"] == {"StringEquals": {"cloudformation:RoleArn": {"Fn::GetAtt": ["DeployRole", "Arn"]}}}
    stacks = [r["Fn::Sub"] for r in creating[0]["Resource"]]
    assert "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/legwork-*/*" in stacks
    assert not [s for s in statements if s["Effect"] == "Allow" and any(a.endswith(":*") for a in _list(s["Action"]))]
    passes = [s for s in statements if "iam:PassRole" in _list(s["Action"])]
    assert passes == [{
        "Sid": "PassDeployRoleToCloudFormation", "Effect": "Allow", "Action": ["iam:PassRole"],
        "Resource": {"Fn::GetAtt": ["DeployRole", "Arn"]},
        "Condition": {"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}},
    }]


def _list(value) -> list:
    return value if isinstance(value, list) else [value]


# What each CloudFormation type needs, as an IAM service prefix.
SERVICE_OF_TYPE = {"ApiGateway": "apigateway", "CloudWatch": "cloudwatch", "Logs": "logs", "Events": "events",
                   "Scheduler": "scheduler", "SecretsManager": "secretsmanager", "SSM": "ssm", "SQS": "sqs",
                   "SNS": "sns", "S3": "s3", "DynamoDB": "dynamodb", "IAM": "iam", "Lambda": "lambda",
                   "CloudFront": "cloudfront"}


@pytest.mark.parametrize("region", ["us-east-1", "cn-north-1"])
def test_the_deploy_role_can_create_every_resource_type_of_the_application(pipeline: dict, region: str) -> None:
    translated = translate(loads(merge(ROOT).template_text()), region=region)
    actions = {a for s in _statements(pipeline["Resources"]["DeployRole"]) if s["Effect"] == "Allow"
               for a in _list(s["Action"])}
    prefixes = {a.split(":")[0] for a in actions}
    for name, resource in translated["Resources"].items():
        service = resource["Type"].split("::")[1]
        assert SERVICE_OF_TYPE.get(service) in prefixes, (
            f"{name} is a {resource['Type']}: give pipeline/template.yaml's DeployRole the rights to manage it"
        )


def test_the_pipeline_template_passes_the_merges_partition_checks(tmp_path: Path) -> None:
    check_template(ROOT / "pipeline" / "template.yaml", ROOT)
    broken = tmp_path / "pipeline.yaml"
    text = (ROOT / "pipeline" / "template.yaml").read_text(encoding="utf-8")
    broken.write_text(text.replace("arn:${AWS::Partition}:s3:::legwork-*", "arn:aws:s3:::legwork-*"), encoding="utf-8")
    with pytest.raises(MergeError, match=r"pipeline.yaml:\d+: literal 'arn:aws:'"):
        check_template(broken, tmp_path)


def test_make_pipeline_deploys_the_stack_with_the_repository() -> None:
    command = pipeline_command(region="cn-north-1", repo="https://git.example.com/legwork.git")
    assert command[command.index("--stack-name") + 1] == "legwork-pipeline"
    assert command[command.index("--region") + 1] == "cn-north-1"
    assert "RepositoryUrl=https://git.example.com/legwork.git" in command
    assert "--guided" not in command
