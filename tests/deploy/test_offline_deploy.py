"""`make deploy`, the command an operator types, proven offline in both partitions.

A copy of the repository is deployed with the real `make deploy REGION=… STAGE=ci` (merge,
build, artifact bucket, `sam deploy`) against LocalStack running CloudFormation
(`legwork.emulator`), once for us-east-1 and once for cn-north-1: one test per region, each
with its own emulator, so that each region's steps run in order in one process and the two
xdist workers run the two regions side by side. After the first deploy, in order:

1. the stack is CREATE_COMPLETE with every resource of the SAM-translated template;
2. every ARN the deployed resources report is in the region's partition;
3. the deployed API answers GET /health and POST /auth/login (an admin made by the real
   `make admin`), and invoking the authorizer and GET /me's function directly answers as
   expected;
4. a second `make deploy` after a code change is UPDATE_COMPLETE, publishes a new
   version behind `live`, and replaces no table, bucket or secret;
5. `make destroy … CONFIRM=legwork-ci` deletes the stack, and the retained tables and
   buckets are still there.

Cost, measured on the 2-core machine shared with other work: both regions side by side
3 min 44 s at load average 6-11 (2 min 57 s of CPU); the first `make deploy` about 110 s
of it, the second about 50 s, `make destroy` 15 s. Each test prints its seconds per step
(`pytest -rP`).
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest

from legwork.emulator import LocalStack
from legwork.lint import translate
from legwork.local.intrinsics import Resolver
from legwork.yamlcfn import load

ROOT = Path(__file__).resolve().parents[2]
STAGE = "ci"
STACK = f"legwork-{STAGE}"
PARTITION = {"us-east-1": "aws", "cn-north-1": "aws-cn"}
KEPT_TYPES = ("AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::SecretsManager::Secret")
PASSWORD = "offline-check-password-1"



def _copy_repository(target: Path) -> Path:
    """The tracked files (the generated ones are made again), with the venvs shared so
    that `make` in the copy installs nothing, and the checkout's dependency cache shared
    too (`.legwork/deps`, keyed by requirements, runtime and architecture, locked per key
    across processes: the two regions install each set once); the rest of the build
    state is the copy's own."""
    listing = ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    files = subprocess.run(listing, cwd=ROOT, capture_output=True, check=True).stdout.split(b"\0")
    for name in filter(None, (f.decode() for f in files)):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)  # mtimes kept: the venv stamp stays newer than requirements
    for name in (".venv", ".venv-localstack"):
        (target / name).symlink_to(ROOT / name)
    (ROOT / ".legwork" / "deps").mkdir(parents=True, exist_ok=True)
    (target / ".legwork").mkdir(exist_ok=True)
    (target / ".legwork" / "deps").symlink_to(ROOT / ".legwork" / "deps")
    return target


def _make(repo: Path, env: dict, *args: str, stdin: str | None = None) -> str:
    proc = subprocess.run(["make", "--no-print-directory", *args], cwd=repo, env=env, input=stdin,
                          capture_output=True, text=True, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"make {' '.join(args)} failed ({proc.returncode}):\n{output[-6000:]}"
    return output


class Deployment:
    """One region's repository copy, emulator and clients."""

    def __init__(self, region: str, repo: Path, emulator: LocalStack) -> None:
        self.region = region
        self.repo = repo
        self.emulator = emulator
        self.env = emulator.client_env()
        session = boto3.Session(region_name=region, aws_access_key_id="test", aws_secret_access_key="test")
        self.client = lambda service: session.client(service, endpoint_url=emulator.url)
        self.cfn = self.client("cloudformation")
        self.outputs: dict[str, str] = {}

    def make(self, *args: str, stdin: str | None = None) -> str:
        return _make(self.repo, self.env, *args, f"REGION={self.region}", f"STAGE={STAGE}", stdin=stdin)

    def resources(self) -> dict[str, dict]:
        summaries = []
        for page in self.cfn.get_paginator("list_stack_resources").paginate(StackName=STACK):
            summaries += page["StackResourceSummaries"]
        return {s["LogicalResourceId"]: s for s in summaries}

    def physical(self, logical_id: str) -> str:
        return self.resources()[logical_id]["PhysicalResourceId"]

    def status(self) -> str:
        return self.cfn.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"]


def _unhashed(logical_id: str) -> str:
    """SAM names versions, layer versions and API deployments after a hash of what they hold
    (`LoginFunctionVersion3ee94cdd41`): compare them without it."""
    if re.search(r"(Version|Layer|Deployment)[0-9a-f]{10}$", logical_id):
        return logical_id[:-10] + "#"
    return logical_id


def _expected_resources(region: str) -> set[str]:
    """Logical IDs of the translated template whose Condition (if any) holds."""
    template = translate(load(ROOT / "template.yaml"), region=region)
    resolver = Resolver(template, ref=lambda name: name, get_att=lambda name, attr: name,
                        pseudo={"AWS::Partition": PARTITION[region], "AWS::Region": region},
                        parameters={"Stage": STAGE})
    return {name for name, resource in template["Resources"].items()
            if "Condition" not in resource or resolver.condition(resource["Condition"])}


def _arns(value) -> list[str]:
    if isinstance(value, str):
        return [value] if value.startswith("arn:") else []
    if isinstance(value, dict):
        return [a for v in value.values() for a in _arns(v)]
    if isinstance(value, list):
        return [a for v in value for a in _arns(v)]
    return []


def _reported_arns(d: Deployment) -> dict[str, list[str]]:
    """ARNs as the deployed services describe them, by where they came from."""
    found: dict[str, list[str]] = {"stack": _arns(d.cfn.describe_stacks(StackName=STACK)["Stacks"][0])}
    resources = d.resources()
    found["physical ids"] = _arns([r["PhysicalResourceId"] for r in resources.values()])
    lam = d.client("lambda")
    for name in [r["PhysicalResourceId"] for r in resources.values() if r["ResourceType"] == "AWS::Lambda::Function"]:
        found[f"function {name}"] = _arns(lam.get_function_configuration(FunctionName=name))
        found[f"aliases {name}"] = _arns(lam.list_aliases(FunctionName=name))
        found[f"mappings {name}"] = _arns(lam.list_event_source_mappings(FunctionName=name))
    iam = d.client("iam")
    for role in [r["PhysicalResourceId"] for r in resources.values() if r["ResourceType"] == "AWS::IAM::Role"]:
        found[f"role {role}"] = _arns(iam.get_role(RoleName=role)["Role"])
        found[f"role policies {role}"] = _arns(iam.list_attached_role_policies(RoleName=role))
    ddb = d.client("dynamodb")
    for table in [r["PhysicalResourceId"] for r in resources.values() if r["ResourceType"] == "AWS::DynamoDB::Table"]:
        found[f"table {table}"] = _arns(ddb.describe_table(TableName=table)["Table"])
    sqs = d.client("sqs")
    for url in [r["PhysicalResourceId"] for r in resources.values() if r["ResourceType"] == "AWS::SQS::Queue"]:
        found[f"queue {url}"] = _arns(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"])
    cloudfront = d.client("cloudfront")
    for ident in [r["PhysicalResourceId"] for r in resources.values() if r["ResourceType"] == "AWS::CloudFront::Distribution"]:
        found[f"distribution {ident}"] = _arns(cloudfront.get_distribution(Id=ident)["Distribution"])
    found["topics"] = _arns(d.client("sns").list_topics())
    found["alarms"] = _arns(d.client("cloudwatch").describe_alarms(AlarmNamePrefix=STACK))
    found["secrets"] = _arns(d.client("secretsmanager").list_secrets())
    found["log groups"] = _arns(d.client("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/legwork-ci"))
    return found


def _call(d: Deployment, method: str, path: str, body: dict | None = None, token: str = "") -> tuple[int, dict]:
    api = d.physical("Api")
    url = f"{d.emulator.url}/restapis/{api}/{STAGE}/_user_request_{path}"
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(url, method=method, headers=headers,
                                     data=json.dumps(body).encode() if body is not None else None)
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def _invoke(d: Deployment, logical_id: str, event: dict) -> tuple[str | None, dict]:
    answer = d.client("lambda").invoke(FunctionName=d.physical(logical_id), Qualifier="live",
                                       Payload=json.dumps(event).encode())
    return answer.get("FunctionError"), json.loads(answer["Payload"].read())


def _created_with_every_resource_of_the_translated_template(d: Deployment) -> None:
    assert "CREATE_COMPLETE" in d.first_deploy_output
    assert d.status() == "CREATE_COMPLETE"
    resources = d.resources()
    assert {r["ResourceStatus"] for r in resources.values()} == {"CREATE_COMPLETE"}
    expected = _expected_resources(d.region)
    assert len(resources) == len(expected) > 150
    assert sorted(map(_unhashed, resources)) == sorted(map(_unhashed, expected))
    # make deploy printed the outputs, the API URL among them.
    assert "deploy: stack outputs" in d.first_deploy_output and "ApiUrl" in d.first_deploy_output
    assert "DashboardUrl" in d.first_deploy_output and "WebAppUrl" in d.first_deploy_output
    dashboard = d.client("cloudwatch").get_dashboard(DashboardName=f"legwork-{STAGE}")
    assert "Errors" in dashboard["DashboardBody"]


def _the_web_app_is_published(d: Deployment) -> None:
    """make deploy uploaded the site and its config.json after the stack, and invalidated
    the uploaded paths on the stack's CloudFront distribution."""
    outputs = {o["OutputKey"]: o["OutputValue"] for o in d.cfn.describe_stacks(StackName=STACK)["Stacks"][0]["Outputs"]}
    s3 = d.client("s3")
    config = json.loads(s3.get_object(Bucket=outputs["DashboardBucketName"], Key="config.json")["Body"].read())
    assert config["apiUrl"] == outputs["ApiUrl"].rstrip("/") and config["stage"] == STAGE
    s3.head_object(Bucket=outputs["DashboardBucketName"], Key="index.html")
    assert re.search(r"site: \d+ uploaded, 0 deleted, 0 unchanged .*; invalidation \S+ of \d+ paths", d.first_deploy_output)
    cloudfront = d.client("cloudfront")
    assert cloudfront.get_distribution(Id=outputs["DashboardDistributionId"])["Distribution"]["DistributionConfig"]["Enabled"]
    invalidations = cloudfront.list_invalidations(DistributionId=outputs["DashboardDistributionId"])["InvalidationList"]
    assert invalidations["Quantity"] == 1


def _every_arn_is_in_the_regions_partition(d: Deployment) -> None:
    found = _reported_arns(d)
    arns = [a for values in found.values() for a in values]
    assert len(arns) > 150
    partition = PARTITION[d.region]
    wrong = {where: [a for a in values if not a.startswith(f"arn:{partition}:")] for where, values in found.items()}
    assert {k: v for k, v in wrong.items() if v} == {}


def _the_api_answers_health_and_login(d: Deployment) -> None:
    assert _call(d, "GET", "/health") == (200, {"status": "ok"})
    env = {**d.env, "ADMIN_PASSWORD": PASSWORD}
    _make(d.repo, env, "admin", f"REGION={d.region}", f"STAGE={STAGE}", "USERNAME=root")
    status, body = _call(d, "POST", "/auth/login", {"username": "root", "password": PASSWORD})
    assert status == 200 and body["user"]["role"] == "admin" and body["token"].count(".") == 2
    d.token = body["token"]
    status, body = _call(d, "POST", "/auth/login", {"username": "root", "password": "not-the-password"})
    assert status == 401 and body["error"]["code"]


def _the_authorizer_and_a_protected_function_answer_when_invoked(d: Deployment) -> None:
    status, body = _call(d, "POST", "/auth/login", {"username": "root", "password": PASSWORD})
    assert status == 200, body
    api = d.physical("Api")
    method_arn = f"arn:{PARTITION[d.region]}:execute-api:{d.region}:000000000000:{api}/{STAGE}/GET/me"
    error, policy = _invoke(d, "AuthorizerFunction",
                            {"type": "TOKEN", "authorizationToken": f"Bearer {body['token']}", "methodArn": method_arn})
    assert error is None, policy
    assert policy["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    assert policy["context"]["role"] == "admin" and policy["context"]["username"] == "root"
    error, refusal = _invoke(d, "AuthorizerFunction",
                             {"type": "TOKEN", "authorizationToken": "Bearer a.b.c", "methodArn": method_arn})
    assert error == "Unhandled" and refusal["errorMessage"] == "Unauthorized"  # API Gateway's 401
    event = {"resource": "/me", "path": "/me", "httpMethod": "GET", "headers": {}, "queryStringParameters": None,
             "pathParameters": None, "body": None, "isBase64Encoded": False,
             "requestContext": {"resourcePath": "/me", "httpMethod": "GET", "stage": STAGE, "requestId": "offline",
                                "authorizer": {**policy["context"], "principalId": policy["principalId"]}}}
    error, answer = _invoke(d, "GetMeFunction", event)
    assert error is None and answer["statusCode"] == 200
    assert json.loads(answer["body"])["username"] == "root"
    event["requestContext"]["authorizer"] = {}
    error, answer = _invoke(d, "GetMeFunction", event)
    assert error is None and answer["statusCode"] in (401, 403)


def _a_code_change_updates_the_stack_without_replacing_data(d: Deployment) -> None:
    before = {n: r["PhysicalResourceId"] for n, r in d.resources().items() if r["ResourceType"] in KEPT_TYPES}
    assert any(t == "AWS::DynamoDB::Table" for t in (d.resources()[n]["ResourceType"] for n in before))
    lam = d.client("lambda")
    health = d.physical("HealthFunction")
    live_before = lam.get_alias(FunctionName=health, Name="live")["FunctionVersion"]
    with open(d.repo / "src" / "auth" / "auth" / "handlers.py", "a", encoding="utf-8") as source:
        source.write("\n# offline deploy check: a code change\n")  # HealthFunction's (and auth's) code
    output = d.make("deploy")
    assert "UPDATE_COMPLETE" in output and d.status() == "UPDATE_COMPLETE"
    assert "nothing to invalidate" in output  # the site did not change
    after = {n: r["PhysicalResourceId"] for n, r in d.resources().items() if r["ResourceType"] in KEPT_TYPES}
    assert after == before
    events = d.cfn.describe_stack_events(StackName=STACK)["StackEvents"]
    touched = {e["LogicalResourceId"] for e in events if e["ResourceStatus"].startswith("DELETE")}
    assert not touched & set(before), f"replaced: {touched & set(before)}"
    live_after = lam.get_alias(FunctionName=health, Name="live")["FunctionVersion"]
    assert int(live_after) > int(live_before)  # a new version, published behind the alias
    assert _call(d, "GET", "/health") == (200, {"status": "ok"})


def _destroy_keeps_the_retained_tables_and_buckets(d: Deployment) -> None:
    resources = d.resources()
    retained = {r["PhysicalResourceId"]: r["ResourceType"] for r in resources.values()
                if r["ResourceType"] in ("AWS::DynamoDB::Table", "AWS::S3::Bucket")}
    assert retained
    output = d.make("destroy", f"CONFIRM={STACK}")
    assert "retained" in output
    stacks = d.cfn.list_stacks()["StackSummaries"]
    assert [s["StackStatus"] for s in stacks if s["StackName"] == STACK][0] == "DELETE_COMPLETE"
    ddb, s3 = d.client("dynamodb"), d.client("s3")
    for name, rtype in retained.items():
        assert name in output  # destroy named it
        if rtype == "AWS::DynamoDB::Table":
            assert ddb.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE"
        else:
            s3.head_bucket(Bucket=name)


STEPS = [_created_with_every_resource_of_the_translated_template, _the_web_app_is_published,
         _every_arn_is_in_the_regions_partition,
         _the_api_answers_health_and_login, _the_authorizer_and_a_protected_function_answer_when_invoked,
         _a_code_change_updates_the_stack_without_replacing_data, _destroy_keeps_the_retained_tables_and_buckets]


# One test per region, its steps in order in one process (each depends on the one before).
# The two regions go to the two xdist workers (`--dist loadgroup`), side by side.
@pytest.mark.parametrize("region", [
    pytest.param(region, marks=pytest.mark.xdist_group(f"offline-deploy-{region}")) for region in PARTITION
])
def test_make_deploy_offline(region: str) -> None:
    # A folder of its own, not pytest's tmp_path: pytest sessions running beside this one
    # (another checkout's) prune old basetemp folders, the emulator's state included.
    base = Path(tempfile.mkdtemp(prefix=f"legwork-offline-{region}-"))
    timings = []
    try:
        repo = _copy_repository(base / "repo")
        with LocalStack(base / "emulator") as emulator:
            d = Deployment(region, repo, emulator)
            try:
                started = time.monotonic()
                d.first_deploy_output = d.make("deploy")
                timings.append(("make deploy", time.monotonic() - started))
                for step in STEPS:
                    started = time.monotonic()
                    step(d)
                    timings.append((step.__name__.strip("_").replace("_", " "), time.monotonic() - started))
            finally:
                print(f"--- LocalStack log ({region}), last lines ---\n{emulator.tail(40)}")
    finally:
        print(f"--- offline deploy check ({region}), seconds per step ---")
        print("\n".join(f"{seconds:6.1f}  {name}" for name, seconds in timings))
        shutil.rmtree(base, ignore_errors=True)
