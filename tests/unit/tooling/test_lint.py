"""`make lint`: the SAM translation it lints, for both partitions, and where skips land."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from legwork.lint import fragment_files, fragment_problems, openapi_problems, translate
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


# -- YAML fragments and the OpenAPI document --------------------------------------------
ROOT = Path(__file__).resolve().parents[3]


def _tree(tmp_path: Path) -> Path:
    import shutil

    root = tmp_path / "repo"
    shutil.copytree(FIXTURE, root)
    return root


def test_an_unquoted_comma_in_a_flow_mapping_is_caught_with_its_file_and_line(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    swagger = root / "src" / "hello" / "swagger.yaml"
    text = swagger.read_text(encoding="utf-8").replace(
        "        text: {type: string}",
        "        text: {type: string}\n        lengthM: {type: number, description: Length, in metres (0.1 m).}",
    )
    swagger.write_text(text, encoding="utf-8")
    line = text.splitlines().index("        lengthM: {type: number, description: Length, in metres (0.1 m).}") + 1

    assert swagger in fragment_files(root)
    problems = fragment_problems(swagger, root)
    assert len(problems) == 1
    assert problems[0].startswith(f"src/hello/swagger.yaml:{line}: key 'in metres (0.1 m).'")
    assert "quote" in problems[0]
    # The merged document carries the bogus key, and the OpenAPI validator refuses it too.
    document = loads(merge(root).openapi_text())
    assert document["components"]["schemas"]["Greeting"]["properties"]["lengthM"]["in metres (0.1 m)."] is None
    found = openapi_problems(document)
    assert found and found[0].startswith("$.components.schemas.Greeting.properties.lengthM:")


def test_quoting_the_description_clears_the_lint(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    swagger = root / "src" / "hello" / "swagger.yaml"
    swagger.write_text(swagger.read_text(encoding="utf-8").replace(
        "        text: {type: string}",
        '        text: {type: string}\n        lengthM: {type: number, description: "Length, in metres (0.1 m)."}',
    ), encoding="utf-8")
    assert fragment_problems(swagger, root) == []
    result = merge(root)
    assert openapi_problems(loads(result.openapi_text())) == []
    # The inline body too: the merge's CORS preflights declare their path parameters.
    assert openapi_problems(loads(result.template_text())["Resources"]["Api"]["Properties"]["DefinitionBody"]) == []


def test_a_duplicate_key_in_a_fragment_is_caught(tmp_path: Path) -> None:
    fragment = tmp_path / "template.yaml"
    fragment.write_text("Resources:\n  A:\n    Type: AWS::SNS::Topic\n    Type: AWS::SQS::Queue\n", encoding="utf-8")
    problems = fragment_problems(fragment, tmp_path)
    assert len(problems) == 1 and problems[0].startswith("template.yaml:4:") and "twice" in problems[0]


def test_an_empty_key_in_a_template_fragment_is_caught(tmp_path: Path) -> None:
    fragment = tmp_path / "template.yaml"
    fragment.write_text("Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n    Properties:\n", encoding="utf-8")
    assert fragment_problems(fragment, tmp_path) == [
        "template.yaml:4: key 'Properties' (at Resources.Topic.Properties) has no value: if it came from a flow "
        'mapping {a: b, c}, quote the text with the comma; where empty is meant, write {}, [] or ""'
    ]


def test_the_projects_own_fragments_and_documents_are_clean() -> None:
    assert [p for path in fragment_files(ROOT) for p in fragment_problems(path, ROOT)] == []
    result = merge(ROOT)
    assert openapi_problems(loads(result.openapi_text())) == []
    assert openapi_problems(loads(result.template_text())["Resources"]["Api"]["Properties"]["DefinitionBody"]) == []
