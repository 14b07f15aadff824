"""`make lint`: the SAM translation it lints, for both partitions, and where skips land."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from legwork.lint import translate
from legwork.merge import merge
from legwork.yamlcfn import loads

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "merge" / "basic"


@pytest.fixture(scope="module")
def template() -> dict:
    template = loads(merge(FIXTURE).template_text())
    template["Metadata"] = {
        "checkov": {"skip-by-type": {"AWS::Serverless::Function": [{"id": "CKV_AWS_117", "comment": "no VPC"}]}}
    }
    template["Resources"]["Api"]["Metadata"] = {"checkov": {"skip": [{"id": "CKV_AWS_120", "comment": "no cache"}]}}
    return template


@pytest.mark.parametrize("region, partition", [("us-east-1", "aws"), ("cn-north-1", "aws-cn")])
def test_translation_builds_arns_for_the_region_partition(template: dict, region: str, partition: str) -> None:
    translated = translate(template, region=region)
    text = json.dumps(translated["Resources"])
    assert f"arn:{partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole" in text
    assert not [r for r in translated["Resources"].values() if r["Type"].startswith("AWS::Serverless::")]
    assert "s3://legwork-lint-placeholder" not in text  # split into S3Bucket/S3Key


def test_type_skips_and_resource_skips_reach_the_generated_resources(template: dict) -> None:
    resources = translate(template, region="us-east-1")["Resources"]
    function_skips = resources["HelloFunction"]["Metadata"]["checkov"]["skip"]
    assert [s["id"] for s in function_skips] == ["CKV_AWS_117"]
    stage_skips = resources["ApiStage"]["Metadata"]["checkov"]["skip"]
    assert stage_skips == [{"id": "CKV_AWS_120", "comment": "no cache"}]
    assert "Metadata" not in resources["HelloTable"]
