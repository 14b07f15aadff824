"""`make destroy STAGE=… [REGION=…] [CONFIRM=…]`: delete a stage's stack, on purpose only.

It shows what will go and what stays, then asks the operator to type the stack's name
(`legwork-<stage>`); without a terminal, `CONFIRM=<stack name>` stands for the typing.
The prod stage is never deleted without `CONFIRM=legwork-prod`, whatever is typed.
Tables, buckets and log groups marked `DeletionPolicy: Retain` survive the stack: they are
listed at the end with their physical names, for a later restore or a manual clean-up.

    $ make destroy STAGE=dev REGION=cn-north-1
    destroy: stack legwork-dev (cn-north-1): 214 resources will be deleted, 9 retained:
      AWS::DynamoDB::Table  UsersTable  legwork-dev-UsersTable-1A2B3C
      ...
    Type the stack name (legwork-dev) to delete it:
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import Any, Callable

from legwork.deploy import stack_name

PROTECTED = {"prod": "legwork-prod"}


class DestroyRefused(Exception):
    """The stack was not deleted; the message says why and what to do."""


@dataclass
class Retained:
    resource_type: str
    logical_id: str
    physical_id: str


def retained_resources(cloudformation: Any, stack: str) -> tuple[list[Retained], int]:
    """The stack's resources whose DeletionPolicy is Retain (from the processed template, so
    SAM-generated ones count too), and how many resources the stack has in all."""
    template = cloudformation.get_template(StackName=stack, TemplateStage="Processed")["TemplateBody"]
    if isinstance(template, str):
        from legwork.yamlcfn import loads

        template = json.loads(template) if template.lstrip().startswith("{") else loads(template)
    declared = template.get("Resources") or {}
    summaries = []
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack):
        summaries += page["StackResourceSummaries"]
    retained = [
        Retained(s["ResourceType"], s["LogicalResourceId"], s.get("PhysicalResourceId", ""))
        for s in summaries
        if (declared.get(s["LogicalResourceId"]) or {}).get("DeletionPolicy") == "Retain"
    ]
    return retained, len(summaries)


def check_confirmation(stage: str, stack: str, confirm: str, ask: Callable[[str], str] | None) -> None:
    """Raise DestroyRefused unless the operator confirmed deleting `stack`."""
    required = PROTECTED.get(stage)
    if required and confirm != required:
        raise DestroyRefused(
            f"{stack} is the {stage} stage: it is deleted only with CONFIRM={required} "
            f"(make destroy STAGE={stage} CONFIRM={required})"
        )
    if confirm == stack:
        return
    if confirm:
        raise DestroyRefused(f"CONFIRM={confirm} does not name the stack {stack}; nothing was deleted")
    if ask is None:
        raise DestroyRefused(f"no terminal to confirm on: pass CONFIRM={stack} to delete {stack}")
    typed = ask(f"Type the stack name ({stack}) to delete it: ").strip()
    if typed != stack:
        raise DestroyRefused(f"typed {typed!r}, not {stack!r}: nothing was deleted")


def destroy(cloudformation: Any, *, stage: str, region: str, confirm: str = "",
            ask: Callable[[str], str] | None = None, out=None) -> list[Retained]:
    """Show, confirm, delete and wait; return what was retained."""
    out = out or sys.stdout
    stack = stack_name(stage)
    from botocore.exceptions import ClientError

    try:
        retained, total = retained_resources(cloudformation, stack)
    except ClientError as exc:
        raise DestroyRefused(f"no stack {stack} in {region} ({exc.response['Error'].get('Message', exc)})") from None
    print(f"destroy: stack {stack} ({region}): {total - len(retained)} resources will be deleted, "
          f"{len(retained)} retained (DeletionPolicy: Retain):", file=out)
    for item in retained:
        print(f"  {item.resource_type:<28} {item.logical_id:<28} {item.physical_id}", file=out)
    check_confirmation(stage, stack, confirm, ask)
    cloudformation.delete_stack(StackName=stack)
    print(f"destroy: deleting {stack} ...", file=out, flush=True)
    cloudformation.get_waiter("stack_delete_complete").wait(
        StackName=stack, WaiterConfig={"Delay": 5, "MaxAttempts": 360})
    print(f"destroy: {stack} deleted. These remain, delete them by hand if they are not needed:", file=out)
    for item in retained:
        print(f"  {item.resource_type:<28} {item.physical_id}", file=out)
    return retained


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="legwork destroy", description=__doc__.split("\n")[0])
    parser.add_argument("--region", required=True)
    parser.add_argument("--stage", required=True)
    parser.add_argument("--confirm", default="", help="the stack name, instead of typing it (CONFIRM=)")
    args = parser.parse_args(argv)
    import boto3

    ask = input if sys.stdin.isatty() else None
    try:
        destroy(boto3.client("cloudformation", region_name=args.region), stage=args.stage, region=args.region,
                confirm=args.confirm, ask=ask)
    except DestroyRefused as exc:
        print(f"destroy refused: {exc}", file=sys.stderr)
        return 1
    return 0
