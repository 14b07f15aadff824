"""`make versions FN=… [KEEP=N] [STAGE=…] [REGION=…]`: list a function's published versions
and prune the old ones.

Every deploy that changes a function publishes a version behind its `live` alias
(AutoPublishAlias), and Lambda keeps them all: the code storage quota (75 GB per region)
fills up silently. Listing pages with `NextMarker` — a list call returns at most 50
versions, the trap the seed articles fell into when their clean-up only ever saw the
first page. Pruning keeps the newest N versions and never deletes a version an alias
points to (directly or through its routing weights), nor `$LATEST`.

    >>> versions = list_versions(client, "legwork-prod-LoginFunction-1A2B")
    >>> plan = prune_plan(versions, aliased_versions(client, "legwork-prod-LoginFunction-1A2B"), keep=3)
    >>> [v["Version"] for v in plan.delete][:2]
    ['1', '2']

`FN` is the function's logical ID in the template (LoginFunction) or its physical name.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from typing import Any

from legwork.deploy import stack_name

PAGE_SIZE = 50  # what Lambda's list calls return at most, whatever MaxItems asks


class VersionsError(Exception):
    """Something the operator must fix; the message says what."""


def list_versions(client: Any, function: str) -> list[dict]:
    """Every published version of `function` (not `$LATEST`), oldest first, all pages."""
    versions: list[dict] = []
    kwargs: dict[str, Any] = {"FunctionName": function, "MaxItems": PAGE_SIZE}
    while True:
        page = client.list_versions_by_function(**kwargs)
        versions += [v for v in page.get("Versions", []) if v["Version"] != "$LATEST"]
        if not page.get("NextMarker"):
            break
        kwargs["Marker"] = page["NextMarker"]
    return sorted(versions, key=lambda v: int(v["Version"]))


def list_aliases(client: Any, function: str) -> list[dict]:
    """Every alias of `function`, all pages."""
    aliases: list[dict] = []
    kwargs: dict[str, Any] = {"FunctionName": function, "MaxItems": PAGE_SIZE}
    while True:
        page = client.list_aliases(**kwargs)
        aliases += page.get("Aliases", [])
        if not page.get("NextMarker"):
            break
        kwargs["Marker"] = page["NextMarker"]
    return aliases


def aliased_versions(client: Any, function: str) -> dict[str, list[str]]:
    """Version -> the aliases that route to it (their main version or a weighted one)."""
    found: dict[str, list[str]] = {}
    for alias in list_aliases(client, function):
        weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
        for version in {alias["FunctionVersion"], *weights}:
            found.setdefault(str(version), []).append(alias["Name"])
    return found


@dataclass
class PrunePlan:
    keep: list[dict] = field(default_factory=list)
    delete: list[dict] = field(default_factory=list)


def prune_plan(versions: list[dict], aliased: dict[str, list[str]], keep: int) -> PrunePlan:
    """Keep the newest `keep` versions and every aliased one; delete the rest."""
    if keep < 0:
        raise VersionsError("KEEP must be 0 or more")
    ordered = sorted(versions, key=lambda v: int(v["Version"]))
    newest = {v["Version"] for v in ordered[len(ordered) - keep:]} if keep else set()
    plan = PrunePlan()
    for version in ordered:
        (plan.keep if version["Version"] in newest or version["Version"] in aliased else plan.delete).append(version)
    return plan


def resolve_function(cloudformation: Any, lambda_client: Any, name: str, stack: str) -> str:
    """The physical function name for a logical ID of `stack`, or `name` itself if it is one."""
    from botocore.exceptions import ClientError

    try:
        detail = cloudformation.describe_stack_resource(StackName=stack, LogicalResourceId=name)
        return detail["StackResourceDetail"]["PhysicalResourceId"]
    except ClientError:
        pass
    try:
        lambda_client.get_function_configuration(FunctionName=name)
        return name
    except ClientError:
        raise VersionsError(
            f"No function {name!r}: neither a logical ID of stack {stack!r} nor a function name here "
            "(check FN=, STAGE= and REGION=)"
        ) from None


def _row(version: dict, aliased: dict[str, list[str]], action: str) -> str:
    aliases = ",".join(sorted(aliased.get(version["Version"], []))) or "-"
    return (f"  {version['Version']:>6}  {version.get('LastModified', '')[:19]:<19}  "
            f"{version.get('CodeSize', 0):>10}  {aliases:<12}  {action}")


def run(lambda_client: Any, function: str, keep: int | None, out=None) -> int:
    """List (and with `keep`, prune) the versions of `function`; print what happens."""
    out = out or sys.stdout
    versions = list_versions(lambda_client, function)
    aliased = aliased_versions(lambda_client, function)
    print(f"versions of {function}: {len(versions)} published", file=out)
    print(f"  {'version':>6}  {'last modified':<19}  {'code bytes':>10}  {'aliases':<12}", file=out)
    if keep is None:
        for version in versions:
            print(_row(version, aliased, ""), file=out)
        return 0
    plan = prune_plan(versions, aliased, keep)
    for version in versions:
        action = "delete" if version in plan.delete else "keep"
        print(_row(version, aliased, action), file=out)
    for version in plan.delete:
        lambda_client.delete_function(FunctionName=function, Qualifier=version["Version"])
    print(f"pruned {len(plan.delete)} version(s), kept {len(plan.keep)} "
          f"(the newest {keep} and every aliased one)", file=out)
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="legwork versions", description=__doc__.split("\n")[0])
    parser.add_argument("function", help="logical ID (LoginFunction) or function name")
    parser.add_argument("--region", required=True)
    parser.add_argument("--stage", required=True)
    parser.add_argument("--keep", type=int, default=None, help="prune: keep the newest N (and aliased) versions")
    args = parser.parse_args(argv)
    import boto3

    session = boto3.Session(region_name=args.region)
    lambda_client = session.client("lambda")
    try:
        function = resolve_function(session.client("cloudformation"), lambda_client, args.function,
                                    stack_name(args.stage))
        return run(lambda_client, function, args.keep)
    except VersionsError as exc:
        print(f"versions: {exc}", file=sys.stderr)
        return 1
