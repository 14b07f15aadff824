"""`make deploy REGION=… STAGE=…`: package and deploy the built application with `sam`.

No `--guided` (it breaks on `aws-cn`): the artifact bucket is created once here, and
`samconfig.toml` holds each stage's settings. Works the same for AWS global regions and
AWS China, because the template is partition-aware and the endpoints come from boto3.

    >>> ensure_artifact_bucket(boto3.client("s3", region_name="cn-north-1"), "cn-north-1", "123456789012")
    'legwork-artifacts-123456789012-cn-north-1'
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from legwork import ROOT

CAPABILITIES = ("CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND")


def artifact_bucket_name(account: str, region: str) -> str:
    return f"legwork-artifacts-{account}-{region}"


def ensure_artifact_bucket(s3, region: str, account: str) -> str:
    """Create the private, encrypted, TLS-only artifact bucket once; return its name."""
    name = artifact_bucket_name(account, region)
    try:
        s3.head_bucket(Bucket=name)
        return name
    except s3.exceptions.ClientError as err:
        if err.response["Error"]["Code"] not in ("404", "NoSuchBucket"):
            raise
    create = {"Bucket": name}
    if region != "us-east-1":  # us-east-1 is the one region that refuses a LocationConstraint
        create["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**create)
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
    )
    partition = "aws-cn" if region.startswith("cn-") else "aws"
    s3.put_bucket_policy(
        Bucket=name,
        Policy=(
            '{"Version":"2012-10-17","Statement":[{"Sid":"TlsOnly","Effect":"Deny","Principal":"*",'
            f'"Action":"s3:*","Resource":["arn:{partition}:s3:::{name}","arn:{partition}:s3:::{name}/*"],'
            '"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}'
        ),
    )
    return name


def stage_overrides(stage: str, config: Path = ROOT / "samconfig.toml") -> list[str]:
    """The stage's `parameter_overrides` from samconfig.toml, with `Stage=<stage>` first."""
    import tomllib

    settings = tomllib.loads(config.read_text(encoding="utf-8")) if config.exists() else {}
    configured = settings.get(stage, {}).get("deploy", {}).get("parameters", {}).get("parameter_overrides", "")
    extra = [item for item in str(configured).split() if not item.startswith("Stage=")]
    return [f"Stage={stage}", *extra]


def deploy_command(*, region: str, stage: str, bucket: str, template: Path) -> list[str]:
    """The `sam deploy` call: no prompts, the stage's overrides, our bucket."""
    return [
        str(Path(sys.executable).parent / "sam"), "deploy",
        "--template-file", str(template),
        "--stack-name", f"legwork-{stage}",
        "--region", region,
        "--s3-bucket", bucket, "--s3-prefix", f"legwork-{stage}",
        "--capabilities", *CAPABILITIES,
        "--parameter-overrides", *stage_overrides(stage),
        "--no-confirm-changeset", "--no-fail-on-empty-changeset",
    ]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="legwork deploy", description=__doc__.split("\n")[0])
    parser.add_argument("--region", required=True)
    parser.add_argument("--stage", required=True)
    args = parser.parse_args(argv)
    import boto3

    session = boto3.Session(region_name=args.region)
    account = session.client("sts").get_caller_identity()["Account"]
    bucket = ensure_artifact_bucket(session.client("s3"), args.region, account)
    template = ROOT / ".aws-sam" / "build" / "template.yaml"
    if not template.exists():
        print("deploy: no .aws-sam/build/template.yaml; run `make build` first", file=sys.stderr)
        return 1
    command = deploy_command(region=args.region, stage=args.stage, bucket=bucket, template=template)
    print("deploy:", " ".join(command))
    return subprocess.call(command, cwd=ROOT)
