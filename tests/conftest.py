"""Test set-up shared by every suite: import paths as Lambda and the tooling see them.

A function's code sees its own resource folder and the Common layer at the top of
`sys.path`; resource packages are named after their folder (`src/tasks/tasks/…`), so all
of them can be imported side by side in one test process.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

for path in [ROOT, ROOT / "scripts", ROOT / "layers" / "common", *sorted((ROOT / "src").glob("*/"))]:
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

# No test may reach a real AWS account, whatever the machine's environment says.
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_REGION="us-east-1",
    POWERTOOLS_SERVICE_NAME="legwork-tests",
    POWERTOOLS_TRACE_DISABLED="true",
    POWERTOOLS_METRICS_NAMESPACE="LegworkTests",
)
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("AWS_ENDPOINT_URL", None)


import pytest  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def pip_download_cache():
    """pip, run by the builder in a subprocess, keeps its wheels in one download cache for
    every test run on this machine (the OCR layer's alone are 100 MB of downloads)."""
    previous = os.environ.get("PIP_CACHE_DIR")
    os.environ["PIP_CACHE_DIR"] = "/tmp/legwork-tests-pip-cache"
    yield
    if previous is None:
        os.environ.pop("PIP_CACHE_DIR", None)
    else:
        os.environ["PIP_CACHE_DIR"] = previous


@pytest.fixture(scope="session")
def merged_template() -> dict:
    """The application's merged SAM template (in-process merge, plain dicts)."""
    from legwork.merge import merge
    from legwork.yamlcfn import loads

    return loads(merge(ROOT).template_text())


@pytest.fixture
def aws_stack(merged_template: dict, monkeypatch: pytest.MonkeyPatch):
    """Every table, bucket, queue, secret and parameter of the template, in moto.

    The environment holds the union of all functions' variables, resolved as the stack
    would resolve them, so handlers called in-process find their resources by the same
    names they read in Lambda. Yields the provisioned `legwork.local.provision.Stack`.
    """
    from aws_lambda_powertools.utilities import parameters
    from moto import mock_aws

    from legwork.local.provision import provision

    with mock_aws():
        parameters.clear_caches()
        stack = provision(merged_template)
        for function in stack.functions():
            for key, value in stack.env(function).items():
                monkeypatch.setenv(key, str(value))
        yield stack
        parameters.clear_caches()


@pytest.fixture
def no_scans(aws_stack):
    """Fail the test if anything scans a table: listings and reports must query an index."""
    from legwork_common.aws import dynamodb

    def refuse(**_):
        raise AssertionError("a table scan: listings and reports must query an index")

    events = dynamodb().meta.client.meta.events
    events.register("before-call.dynamodb.Scan", refuse, unique_id="no-scans")
    yield
    events.unregister("before-call.dynamodb.Scan", unique_id="no-scans")
