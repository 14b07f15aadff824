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


def stack_name(stage: str) -> str:
    return f"legwork-{stage}"


def deploy_command(
    *, region: str, stage: str, bucket: str, template: Path, commit: str | None = None, role_arn: str | None = None
) -> list[str]:
    """The `sam deploy` call: no prompts, the stage's overrides, our bucket; the commit as a
    stack tag, and CloudFormation's own role when one is given (the pipeline's DeployRole)."""
    command = [
        str(Path(sys.executable).parent / "sam"), "deploy",
        "--template-file", str(template),
        "--stack-name", stack_name(stage),
        "--region", region,
        "--s3-bucket", bucket, "--s3-prefix", stack_name(stage),
        "--capabilities", *CAPABILITIES,
        "--parameter-overrides", *stage_overrides(stage),
        "--tags", "legwork:stage=" + stage, *([f"legwork:commit={commit}"] if commit else []),
        "--no-confirm-changeset", "--no-fail-on-empty-changeset",
    ]
    if role_arn:
        command += ["--role-arn", role_arn]
    return command


def stack_outputs(cloudformation, stack: str) -> dict[str, str]:
    """The stack's outputs by key (the API URL, the dashboard URL ...)."""
    described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs") or []}


def print_outputs(outputs: dict[str, str], out=None) -> None:
    out = out or sys.stdout
    width = max((len(k) for k in outputs), default=0)
    print("deploy: stack outputs", file=out)
    for key in sorted(outputs):
        print(f"  {key:<{width}}  {outputs[key]}", file=out)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="legwork deploy", description=__doc__.split("\n")[0])
    parser.add_argument("--region", required=True)
    parser.add_argument("--stage", help="required unless --bootstrap")
    parser.add_argument("--commit", default="", help="recorded as the stack tag legwork:commit")
    parser.add_argument("--role-arn", default="", help="CloudFormation's role (the pipeline stack's DeployRole)")
    parser.add_argument("--bootstrap", action="store_true", help="only create the artifact bucket of the region")
    args = parser.parse_args(argv)
    if not args.bootstrap and not args.stage:
        parser.error("--stage is required")
    import boto3

    session = boto3.Session(region_name=args.region)
    account = session.client("sts").get_caller_identity()["Account"]
    bucket = ensure_artifact_bucket(session.client("s3"), args.region, account)
    if args.bootstrap:
        print(f"bootstrap: artifact bucket {bucket} is ready (account {account}, {args.region})")
        return 0
    template = ROOT / ".aws-sam" / "build" / "template.yaml"
    if not template.exists():
        print("deploy: no .aws-sam/build/template.yaml; run `make build` first", file=sys.stderr)
        return 1
    command = deploy_command(region=args.region, stage=args.stage, bucket=bucket, template=template,
                             commit=args.commit or None, role_arn=args.role_arn or None)
    print("deploy:", " ".join(command), flush=True)
    code = subprocess.call(command, cwd=ROOT)
    if code == 0:  # the web app goes up after the stack that holds its bucket and CDN
        from legwork import site

        site.publish(session, stack=stack_name(args.stage), stage=args.stage)
        print_outputs(stack_outputs(session.client("cloudformation"), stack_name(args.stage)))
    return code
