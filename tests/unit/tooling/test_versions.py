"""`make versions`: every published version seen past Lambda's 50-per-page limit, and
pruning that never deletes what an alias points to."""
from __future__ import annotations

import io
import json
import zipfile

import boto3
import pytest
from moto import mock_aws
from moto.awslambda.responses import LambdaResponse

from legwork.versions import PAGE_SIZE, aliased_versions, list_versions, prune_plan, run

VERSIONS = 120


def _paged(items: list, querystring: dict) -> tuple[list, str | None]:
    """Lambda's paging contract: at most 50 items a call, then a NextMarker."""
    start = int((querystring.get("Marker") or ["0"])[0])
    size = min(int((querystring.get("MaxItems") or [str(PAGE_SIZE)])[0]), PAGE_SIZE)
    end = start + size
    return items[start:end], (str(end) if end < len(items) else None)


@pytest.fixture
def aws_paging(monkeypatch):
    """moto 5.2 answers every list in one page; AWS answers 50 at most. Page like AWS."""
    original_versions = LambdaResponse.list_versions_by_function
    original_aliases = LambdaResponse.list_aliases
    calls = {"versions": 0, "aliases": 0}

    def versions(self):
        calls["versions"] += 1
        body = json.loads(original_versions(self))
        body["Versions"], marker = _paged(body["Versions"], self.querystring)
        if marker:
            body["NextMarker"] = marker
        return json.dumps(body)

    def aliases(self):
        calls["aliases"] += 1
        status, headers, text = original_aliases(self)
        body = json.loads(text)
        body["Aliases"], marker = _paged(body["Aliases"], self.querystring)
        if marker:
            body["NextMarker"] = marker
        return status, headers, json.dumps(body)

    monkeypatch.setattr(LambdaResponse, "list_versions_by_function", versions)
    monkeypatch.setattr(LambdaResponse, "list_aliases", aliases)
    return calls


def _zip(text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", text)
    return buffer.getvalue()


@pytest.fixture
def function(aws_paging):
    with mock_aws():
        iam = boto3.client("iam", region_name="cn-north-1")
        role = iam.create_role(RoleName="fn-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        client = boto3.client("lambda", region_name="cn-north-1")
        client.create_function(FunctionName="legwork-prod-LoginFunction-ABC", Runtime="python3.12",
                               Role=role, Handler="app.handler", Code={"ZipFile": _zip("v0")})
        for number in range(1, VERSIONS + 1):
            client.update_function_code(FunctionName="legwork-prod-LoginFunction-ABC", ZipFile=_zip(f"v{number}"))
            client.publish_version(FunctionName="legwork-prod-LoginFunction-ABC")
        # live points at an old version (a rollback); canary routes 10 % to another.
        client.create_alias(FunctionName="legwork-prod-LoginFunction-ABC", Name="live", FunctionVersion="40")
        client.create_alias(FunctionName="legwork-prod-LoginFunction-ABC", Name="canary", FunctionVersion="117",
                            RoutingConfig={"AdditionalVersionWeights": {"7": 0.1}})
        yield client, "legwork-prod-LoginFunction-ABC"


def test_listing_sees_every_version_past_the_first_page(function, aws_paging) -> None:
    client, name = function
    versions = list_versions(client, name)
    assert [v["Version"] for v in versions] == [str(n) for n in range(1, VERSIONS + 1)]
    assert aws_paging["versions"] == 3  # 50 + 50 + 21 ($LATEST included by Lambda)


def test_aliases_count_with_their_weighted_versions(function) -> None:
    client, name = function
    assert aliased_versions(client, name) == {"40": ["live"], "117": ["canary"], "7": ["canary"]}


def test_pruning_keeps_the_newest_and_every_aliased_version(function) -> None:
    client, name = function
    out = io.StringIO()
    assert run(client, name, keep=5, out=out) == 0
    left = [v["Version"] for v in list_versions(client, name)]
    assert left == ["7", "40", "116", "117", "118", "119", "120"]
    assert f"pruned {VERSIONS - 7} version(s), kept 7" in out.getvalue()
    # $LATEST still answers, and the live alias still resolves to its version.
    assert client.get_function(FunctionName=name)["Configuration"]["Version"] == "$LATEST"
    assert client.get_alias(FunctionName=name, Name="live")["FunctionVersion"] == "40"


def test_listing_alone_deletes_nothing(function) -> None:
    client, name = function
    out = io.StringIO()
    run(client, name, keep=None, out=out)
    assert len(list_versions(client, name)) == VERSIONS
    assert "live" in out.getvalue() and "delete" not in out.getvalue()


def test_keep_zero_still_spares_aliased_versions() -> None:
    versions = [{"Version": str(n)} for n in range(1, 4)]
    plan = prune_plan(versions, {"2": ["live"]}, keep=0)
    assert [v["Version"] for v in plan.delete] == ["1", "3"]
    assert [v["Version"] for v in plan.keep] == ["2"]
