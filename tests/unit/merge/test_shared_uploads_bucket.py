"""The shared uploads bucket with one `S3` subscriber per prefix, each in its own fragment.

Two stand-in resources subscribe to `UploadsBucket` (receipts/ and files/), as
src/receipts and src/files do: after the merge SAM writes both into the bucket's
notification configuration, the template has no dependency cycle (cfn-lint, both
partitions), and the pattern CONTRIBUTING.md prescribes (bucket from the event record,
S3 rights in a separate policy on `<Function>Role`) is what keeps it so.
"""
from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from legwork.lint import translate
from legwork.merge import merge
from legwork.yamlcfn import loads

ROOT = Path(__file__).resolve().parents[3]


def subscriber(name: str, prefix: str, *, ref_in_env: bool = False) -> str:
    env = "\n          Environment: {Variables: {BUCKET: !Ref UploadsBucket}}" if ref_in_env else ""
    return textwrap.dedent(f"""
    Resources:
      {name}Function:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: .
          Handler: {name.lower()}.handlers.uploaded{env}
          Events:
            Uploaded:
              Type: S3
              Properties:
                Bucket: !Ref UploadsBucket
                Events: s3:ObjectCreated:*
                Filter: {{S3Key: {{Rules: [{{Name: prefix, Value: {prefix}}}]}}}}
      {name}UploadsPolicy:
        Type: AWS::IAM::Policy
        Properties:
          PolicyName: uploads
          Roles: [!Ref {name}FunctionRole]
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: [s3:GetObject, s3:DeleteObject]
                Resource: !Sub "${{UploadsBucket.Arn}}/{prefix}*"
    """)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for folder in ("templates", "swagger", "layers", "src/auth"):  # auth: the API's authorizer
        shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__", "python"))
    for name, prefix in (("Receiptsx", "receipts/"), ("Filesx", "files/")):
        (root / "src" / name.lower()).mkdir(parents=True)
        (root / "src" / name.lower() / "template.yaml").write_text(subscriber(name, prefix), encoding="utf-8")
    return root


def lint_matches(template: dict, region: str) -> list[str]:
    from cfnlint.api import ManualArgs, lint

    matches = lint(json.dumps(template), config=ManualArgs(regions=[region]))
    return [f"{m.rule.id} {m.message}" for m in matches]


@pytest.mark.parametrize("region", ["cn-north-1"])  # `make lint` checks the real template in both partitions
def test_two_fragments_subscribe_to_their_own_prefix_of_the_one_bucket(project: Path, region: str) -> None:
    translated = translate(loads(merge(project).template_text()), region=region)
    bucket = translated["Resources"]["UploadsBucket"]
    configs = bucket["Properties"]["NotificationConfiguration"]["LambdaConfigurations"]
    by_prefix = {c["Filter"]["S3Key"]["Rules"][0]["Value"]: c["Function"] for c in configs}
    # Each function's live alias (AutoPublishAlias in Globals) receives its prefix's events.
    assert by_prefix == {"receipts/": {"Ref": "ReceiptsxFunctionAliaslive"},
                         "files/": {"Ref": "FilesxFunctionAliaslive"}}
    assert {c["Event"] for c in configs} == {"s3:ObjectCreated:*"}
    # S3 checks the destination's permission when it writes the configuration.
    assert set(bucket["DependsOn"]) == {"ReceiptsxFunctionUploadedPermission", "FilesxFunctionUploadedPermission"}
    assert lint_matches(translated, region) == []


def test_a_subscriber_that_refs_the_bucket_itself_makes_a_cycle(project: Path) -> None:
    """Why the contract says: read the bucket from the event record, not from `!Ref`."""
    (project / "src" / "filesx" / "template.yaml").write_text(subscriber("Filesx", "files/", ref_in_env=True))
    translated = translate(loads(merge(project).template_text()), region="us-east-1")
    assert any(m.startswith("E3004") for m in lint_matches(translated, "us-east-1"))
