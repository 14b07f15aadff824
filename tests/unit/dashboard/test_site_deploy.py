"""The web app's deploy step against moto: upload, config.json, and only the changed paths."""
from __future__ import annotations

import io
import json
import shutil

import boto3
import pytest
from moto import mock_aws

from legwork import site as site_deploy

API_URL = "https://abc123.execute-api.cn-north-1.amazonaws.com.cn/prod"
STACK_TEMPLATE = {
    "Parameters": {"Distribution": {"Type": "String"}},
    "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
    "Outputs": {
        "ApiUrl": {"Value": API_URL},
        "DashboardBucketName": {"Value": "legwork-prod-site"},
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
        session.client("s3").create_bucket(Bucket="legwork-prod-site",
                                           CreateBucketConfiguration={"LocationConstraint": "cn-north-1"})
        cloudfront = session.client("cloudfront", region_name="cn-north-1")
        distribution = cloudfront.create_distribution(DistributionConfig={
            "CallerReference": "t", "Comment": "", "Enabled": True, "DefaultRootObject": "index.html",
            "Origins": {"Quantity": 1, "Items": [{"Id": "site", "DomainName": "legwork-prod-site.s3.amazonaws.com",
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

    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="legwork-prod-site")["Contents"]}
    assert {"index.html", "config.json", "app/main.js", "app/vendor/leaflet-1.9.4/leaflet.js",
            "app/vendor/leaflet-1.9.4/LICENSE"} <= keys
    main = s3.head_object(Bucket="legwork-prod-site", Key="app/main.js")
    assert main["ContentType"] == "text/javascript; charset=utf-8"
    assert main["CacheControl"] == site_deploy.REVALIDATE
    vendored = s3.head_object(Bucket="legwork-prod-site", Key="app/vendor/leaflet-1.9.4/leaflet.js")
    assert vendored["CacheControl"] == site_deploy.IMMUTABLE
    config = json.loads(s3.get_object(Bucket="legwork-prod-site", Key="config.json")["Body"].read())
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
    body = session.client("s3").get_object(Bucket="legwork-prod-site", Key="app/styles/app.css")["Body"].read()
    assert body == b"body { color: red; }\n"


def test_the_local_config_is_never_uploaded_and_global_stages_default_to_openstreetmap():
    assert "config.json" not in {f.key for f in site_deploy.site_files()}
    config = json.loads(site_deploy.site_config(api_url="https://x/dev/", stage="dev", partition="aws"))
    assert config == {"apiUrl": "https://x/dev", "stage": "dev", "tiles": {"provider": "osm"}}
