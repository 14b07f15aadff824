"""The web app's deploy step: upload `src/dashboard/site/` to the stack's bucket, write its
`config.json`, and invalidate on CloudFront exactly the paths whose bytes changed.

Run by `make deploy` after `sam deploy` (see `legwork.deploy`), or on its own:

    python -m legwork site --region cn-north-1 --stage prod [--tiles amap]

    >>> plan = plan_upload(site_files(SITE), config_bytes, remote={"index.html": "9b2…"})
    >>> plan.invalidation_paths()
    ['/', '/index.html', '/app/main.js']

A file is uploaded when its MD5 differs from the object's ETag (single-part uploads:
the ETag is the MD5), so a deploy with no change to the site uploads and invalidates
nothing. Cache headers: the vendored libraries live in versioned folders
(`app/vendor/leaflet-1.9.4/`) and are cached for a year; every other file is revalidated
by browsers on each load (`max-age=0`) while CloudFront keeps it until a deploy
invalidates it (`s-maxage`), so an edge never serves a stale module after a deploy.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import mimetypes
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from legwork import ROOT

SITE = ROOT / "src" / "dashboard" / "site"
CONFIG_KEY = "config.json"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=0, s-maxage=31536000, must-revalidate"
VERSIONED = re.compile(r"^app/vendor/[^/]+-\d+(\.\d+)*[^/]*/")  # vendor/<name>-<version>/…
# The tiles each partition gets unless the operator says otherwise (`--tiles`).
DEFAULT_TILES = {"aws": "osm", "aws-cn": "amap"}
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".html": "text/html; charset=utf-8",
         ".json": "application/json", ".svg": "image/svg+xml", ".png": "image/png", ".map": "application/json",
         ".md": "text/markdown; charset=utf-8"}


@dataclass(frozen=True)
class SiteFile:
    key: str  # the object key and URL path, relative: "app/main.js"
    body: bytes

    @property
    def md5(self) -> str:
        return hashlib.md5(self.body, usedforsecurity=False).hexdigest()

    @property
    def content_type(self) -> str:
        suffix = Path(self.key).suffix
        return TYPES.get(suffix) or mimetypes.guess_type(self.key)[0] or "application/octet-stream"

    @property
    def cache_control(self) -> str:
        return IMMUTABLE if VERSIONED.match(self.key) else REVALIDATE


@dataclass
class Plan:
    upload: list[SiteFile] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)
    unchanged: int = 0

    def invalidation_paths(self) -> list[str]:
        """CloudFront paths to invalidate: each changed key, and `/` when index.html changed."""
        keys = [f.key for f in self.upload] + self.delete
        paths = [f"/{key}" for key in keys]
        if "index.html" in keys:
            paths.insert(0, "/")  # the default root object is cached under "/" too
        return paths


def site_files(site: Path = SITE) -> list[SiteFile]:
    """Every file of the site but the local config.json (the deploy writes the stage's)."""
    files = []
    for path in sorted(p for p in site.rglob("*") if p.is_file()):
        key = path.relative_to(site).as_posix()
        if key == CONFIG_KEY or "__pycache__" in key or path.name.startswith("."):
            continue
        files.append(SiteFile(key, path.read_bytes()))
    return files


def site_config(*, api_url: str, stage: str, partition: str, tiles: str | None = None) -> bytes:
    """The stage's config.json: where the API is and which map tiles to draw on."""
    config = {
        "apiUrl": api_url.rstrip("/"),
        "stage": stage,
        "tiles": {"provider": tiles or DEFAULT_TILES.get(partition, "osm")},
    }
    return (json.dumps(config, indent=2, sort_keys=True) + "\n").encode()


def plan_upload(files: list[SiteFile], config: bytes, remote: dict[str, str]) -> Plan:
    """What to upload and delete, given the bucket's `{key: md5}`."""
    wanted = [*files, SiteFile(CONFIG_KEY, config)]
    plan = Plan()
    for item in wanted:
        if remote.get(item.key) == item.md5:
            plan.unchanged += 1
        else:
            plan.upload.append(item)
    keys = {item.key for item in wanted}
    plan.delete = sorted(key for key in remote if key not in keys)
    return plan


def remote_md5s(s3, bucket: str) -> dict[str, str]:
    """The bucket's objects as `{key: md5}` (the ETag of a single-part upload)."""
    found: dict[str, str] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            found[item["Key"]] = item["ETag"].strip('"')
    return found


def apply(plan: Plan, s3, bucket: str) -> None:
    """Upload, then delete (new files first, so a page mid-load never misses one)."""
    for item in plan.upload:
        s3.put_object(Bucket=bucket, Key=item.key, Body=item.body, ContentType=item.content_type,
                      CacheControl=item.cache_control)
    for start in range(0, len(plan.delete), 1000):
        chunk = plan.delete[start:start + 1000]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": key} for key in chunk], "Quiet": True})


def invalidate(cloudfront, distribution_id: str, paths: list[str]) -> str | None:
    """One invalidation of exactly `paths` (none when nothing changed); its id."""
    if not paths:
        return None
    reference = hashlib.sha256("\n".join(paths).encode() + str(time.time_ns()).encode()).hexdigest()[:32]
    answer = cloudfront.create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={"Paths": {"Quantity": len(paths), "Items": paths}, "CallerReference": reference},
    )
    return answer["Invalidation"]["Id"]


def stack_outputs(cloudformation, stack: str) -> dict[str, str]:
    described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}


def publish(session, *, stack: str, stage: str, tiles: str | None = None, site: Path = SITE,
            out=sys.stdout) -> Plan:
    """Upload the site to the stack's DashboardBucket and invalidate what changed."""
    region = session.region_name
    partition = "aws-cn" if region.startswith("cn-") else "aws"
    outputs = stack_outputs(session.client("cloudformation"), stack)
    missing = [k for k in ("ApiUrl", "DashboardBucketName", "DashboardDistributionId") if k not in outputs]
    if missing:
        raise SystemExit(f"site: stack {stack} has no output {', '.join(missing)}; deploy the stack first")
    s3 = session.client("s3")
    bucket = outputs["DashboardBucketName"]
    config = site_config(api_url=outputs["ApiUrl"], stage=stage, partition=partition, tiles=tiles)
    plan = plan_upload(site_files(site), config, remote_md5s(s3, bucket))
    apply(plan, s3, bucket)
    # CloudFront is a global service; in AWS China its endpoint is the region's.
    cloudfront = session.client("cloudfront", region_name=region if partition == "aws-cn" else "us-east-1")
    invalidation = invalidate(cloudfront, outputs["DashboardDistributionId"], plan.invalidation_paths())
    print(f"site: {len(plan.upload)} uploaded, {len(plan.delete)} deleted, {plan.unchanged} unchanged in s3://{bucket}"
          + (f"; invalidation {invalidation} of {len(plan.invalidation_paths())} paths" if invalidation else "; nothing to invalidate"),
          file=out)
    if outputs.get("WebAppUrl"):
        print(f"site: {outputs['WebAppUrl']}", file=out)
    return plan


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="legwork site", description=__doc__.split("\n")[0])
    parser.add_argument("--region", required=True)
    parser.add_argument("--stage", required=True)
    parser.add_argument("--tiles", choices=["osm", "amap", "none"], help="map tiles (default: osm; amap in AWS China)")
    args = parser.parse_args(argv)
    import boto3

    publish(boto3.Session(region_name=args.region), stack=f"legwork-{args.stage}", stage=args.stage, tiles=args.tiles)
    return 0
