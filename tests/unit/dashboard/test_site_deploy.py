"""The web app's deploy step against moto: upload, config.json, and only the changed paths."""
from __future__ import annotations

import io
import json
import shutil

import boto3
import pytest
from moto import mock_aws

from legwork import site as site_deploy

# As CloudFormation names the stack's DashboardBucket (stack name, logical id, suffix).
BUCKET = "legwork-prod-dashboardbucket-1q2w3e4r5t6y"
API_URL = "https://abc123.execute-api.cn-north-1.amazonaws.com.cn/prod"
STACK_TEMPLATE = {
    "Parameters": {"Distribution": {"Type": "String"}},
    "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
    "Outputs": {
        "ApiUrl": {"Value": API_URL},
        "DashboardBucketName": {"Value": BUCKET},
        "DashboardDistributionId": {"Value": {"Ref": "Distribution"}},
        "WebAppUrl": {"Value": "https://legwork.example.cn/"},
    },
}


@pytest.fixture
def deployed(tmp_path):
    """A deployed stack's outputs in moto (cn-north-1), and a copy of the site to edit."""
    copy = tmp_path / "site"
    shutil.copytree(site_deploy.SITE, copy)
    with mock_aws():
        session = boto3.Session(region_name="cn-north-1")
        session.client("s3").create_bucket(Bucket=BUCKET,
                                           CreateBucketConfiguration={"LocationConstraint": "cn-north-1"})
        cloudfront = session.client("cloudfront", region_name="cn-north-1")
        distribution = cloudfront.create_distribution(DistributionConfig={
            "CallerReference": "t", "Comment": "", "Enabled": True, "DefaultRootObject": "index.html",
            "Origins": {"Quantity": 1, "Items": [{"Id": "site", "DomainName": f"{BUCKET}.s3.amazonaws.com",
                                                  "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
            "DefaultCacheBehavior": {"TargetOriginId": "site", "ViewerProtocolPolicy": "redirect-to-https",
                                     "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}}, "MinTTL": 0},
        })["Distribution"]["Id"]
        session.client("cloudformation").create_stack(
            StackName="legwork-prod", TemplateBody=json.dumps(STACK_TEMPLATE),
            Parameters=[{"ParameterKey": "Distribution", "ParameterValue": distribution}])
        yield session, copy, cloudfront, distribution


def publish(session, copy, tiles=None):
    return site_deploy.publish(session, stack="legwork-prod", stage="prod", tiles=tiles, site=copy, out=io.StringIO())


def invalidated(cloudfront, distribution) -> list[list[str]]:
    listed = cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"].get("Items", [])
    return [cloudfront.get_invalidation(DistributionId=distribution, Id=i["Id"])["Invalidation"]["InvalidationBatch"]["Paths"]["Items"]
            for i in listed]


def test_first_deploy_uploads_every_file_with_its_type_and_cache_policy_and_the_stages_config(deployed):
    session, copy, cloudfront, distribution = deployed
    s3 = session.client("s3")

    plan = publish(session, copy)

    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert {"index.html", "config.json", "app/main.js", "app/vendor/leaflet-1.9.4/leaflet.js",
            "app/vendor/leaflet-1.9.4/LICENSE"} <= keys
    main = s3.head_object(Bucket=BUCKET, Key="app/main.js")
    assert main["ContentType"] == "text/javascript; charset=utf-8"
    assert main["CacheControl"] == site_deploy.REVALIDATE
    vendored = s3.head_object(Bucket=BUCKET, Key="app/vendor/leaflet-1.9.4/leaflet.js")
    assert vendored["CacheControl"] == site_deploy.IMMUTABLE
    config = json.loads(s3.get_object(Bucket=BUCKET, Key="config.json")["Body"].read())
    # The stage's API and, in AWS China, tiles that work there (GCJ-02, converted by the app).
    assert config == {"apiUrl": API_URL, "stage": "prod", "tiles": {"provider": "amap"}}
    assert len(plan.upload) == len(keys)
    assert invalidated(cloudfront, distribution) == [plan.invalidation_paths()]
    assert "/" in plan.invalidation_paths()


def test_a_deploy_without_changes_uploads_and_invalidates_nothing(deployed):
    session, copy, cloudfront, distribution = deployed
    publish(session, copy)

    again = publish(session, copy)

    assert again.upload == [] and again.delete == []
    assert len(invalidated(cloudfront, distribution)) == 1


def test_only_the_changed_files_are_uploaded_and_invalidated(deployed):
    session, copy, cloudfront, distribution = deployed
    publish(session, copy)
    (copy / "app" / "styles" / "app.css").write_text("body { color: red; }\n")
    (copy / "app" / "icon.svg").unlink()

    plan = publish(session, copy, tiles="none")

    assert [f.key for f in plan.upload] == ["app/styles/app.css", "config.json"]  # tiles changed too
    assert plan.delete == ["app/icon.svg"]
    assert invalidated(cloudfront, distribution)[-1] == plan.invalidation_paths() == [
        "/app/styles/app.css", "/config.json", "/app/icon.svg"]
    body = session.client("s3").get_object(Bucket=BUCKET, Key="app/styles/app.css")["Body"].read()
    assert body == b"body { color: red; }\n"


def test_the_local_config_is_never_uploaded_and_global_stages_default_to_openstreetmap():
    assert "config.json" not in {f.key for f in site_deploy.site_files()}
    config = json.loads(site_deploy.site_config(api_url="https://x/dev/", stage="dev", partition="aws"))
    assert config == {"apiUrl": "https://x/dev", "stage": "dev", "tiles": {"provider": "osm"}}


# -- the pipeline's BuildRole may do what the publish step does --------------------------
# CodeBuild runs `make deploy`, so the site is published with the BuildRole's rights. Every
# call the publish makes (recorded from boto3) is checked against that role's statements,
# as IAM would resolve them in the account and partition of the test (moto's, cn-north-1).

ACCOUNT, REGION, PARTITION = "123456789012", "cn-north-1", "aws-cn"


def _required(service: str, operation: str, params: dict) -> list[tuple[str, str]]:
    """The IAM actions and resource ARNs one API call needs."""
    s3 = f"arn:{PARTITION}:s3:::"
    if (service, operation) == ("cloudformation", "DescribeStacks"):
        return [("cloudformation:DescribeStacks",
                 f"arn:{PARTITION}:cloudformation:{REGION}:{ACCOUNT}:stack/{params['StackName']}/0a1b2c3d")]
    if (service, operation) == ("s3", "ListObjectsV2"):
        return [("s3:ListBucket", s3 + params["Bucket"])]
    if (service, operation) == ("s3", "PutObject"):
        return [("s3:PutObject", f"{s3}{params['Bucket']}/{params['Key']}")]
    if (service, operation) == ("s3", "DeleteObjects"):
        return [("s3:DeleteObject", f"{s3}{params['Bucket']}/{o['Key']}") for o in params["Delete"]["Objects"]]
    if (service, operation) == ("cloudfront", "CreateInvalidation"):
        return [("cloudfront:CreateInvalidation",
                 f"arn:{PARTITION}:cloudfront::{ACCOUNT}:distribution/{params['DistributionId']}")]
    raise AssertionError(f"the publish step now calls {service} {operation}: say here which IAM action it needs")


def _resources(statement: dict) -> list[str]:
    """A statement's resources as ARNs of the test's account (Fn::GetAtt ones cannot match: None)."""
    found = []
    for resource in statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]:
        if isinstance(resource, str):
            found.append(resource)
        elif "Fn::Sub" in resource:
            found.append(resource["Fn::Sub"].replace("${AWS::Partition}", PARTITION)
                         .replace("${AWS::Region}", REGION).replace("${AWS::AccountId}", ACCOUNT))
    return found


def _denied(statements: list[dict], needed: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The (action, resource) pairs IAM would refuse: no unconditional Allow, or any Deny."""
    from fnmatch import fnmatchcase

    def matches(statement, action, resource):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        return (any(fnmatchcase(action.lower(), a.lower()) for a in actions)
                and any(fnmatchcase(resource, r) for r in _resources(statement)))

    return [(action, resource) for action, resource in needed
            if not any(s["Effect"] == "Allow" and "Condition" not in s and matches(s, action, resource) for s in statements)
            or any(s["Effect"] == "Deny" and matches(s, action, resource) for s in statements)]


def _build_role_statements() -> list[dict]:
    from legwork.yamlcfn import load

    role = load(site_deploy.ROOT / "pipeline" / "template.yaml")["Resources"]["BuildRole"]
    return [s for p in role["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]]


def test_the_pipelines_build_role_may_make_every_call_of_the_publish_step(deployed):
    session, copy, cloudfront, distribution = deployed
    calls: list[tuple[str, str, dict]] = []

    def record(params, model, **_):
        calls.append((model.service_model.service_name, model.name, dict(params)))

    session.events.register("before-parameter-build", record)
    publish(session, copy)
    (copy / "app" / "icon.svg").unlink()  # a removed file: DeleteObjects too
    (copy / "app" / "styles" / "app.css").write_text("body { color: red; }\n")
    publish(session, copy)

    needed = [pair for service, operation, params in calls for pair in _required(service, operation, params)]
    assert {action for action, _ in needed} == {"cloudformation:DescribeStacks", "s3:ListBucket", "s3:PutObject",
                                                "s3:DeleteObject", "cloudfront:CreateInvalidation"}
    statements = _build_role_statements()
    assert _denied(statements, needed) == []
    # The check can fail: without the web app's statements the role could not publish, and
    # another stack's bucket or another account's distribution stays out of reach.
    without = [s for s in statements if not s.get("Sid", "").startswith(("PublishWebApp", "InvalidateWebApp"))]
    assert {a for a, _ in _denied(without, needed)} == {"s3:ListBucket", "s3:PutObject", "s3:DeleteObject",
                                                        "cloudfront:CreateInvalidation"}
    for outside in [("s3:PutObject", f"arn:{PARTITION}:s3:::other-prod-dashboardbucket-1/x"),
                    ("s3:PutObject", f"arn:{PARTITION}:s3:::legwork-prod-uploadsbucket-1/x"),
                    ("s3:DeleteObject", "arn:aws:s3:::legwork-prod-dashboardbucket-1/x"),
                    ("cloudfront:CreateInvalidation", f"arn:{PARTITION}:cloudfront::999999999999:distribution/E1"),
                    ("cloudfront:DeleteDistribution", f"arn:{PARTITION}:cloudfront::{ACCOUNT}:distribution/E1")]:
        assert _denied(statements, [outside]) == [outside]
