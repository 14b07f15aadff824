"""One local runtime per test module, on a copy of tests/fixtures/local_app and free ports."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Callable

import boto3
import pytest

from legwork.local.runtime import LocalRuntime, Options, free_port
from localrt import Client

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "local_app"


@pytest.fixture(scope="module")
def app_dir(tmp_path_factory) -> Path:
    """A private copy of the fixture app (tests edit its code)."""
    target = tmp_path_factory.mktemp("local_app") / "app"
    shutil.copytree(FIXTURE, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


@pytest.fixture(scope="module")
def runtime(app_dir):
    runtime = LocalRuntime(Options(
        template=app_dir / "template.yaml",
        port=free_port(),
        poll_interval=0.1,
        pool_size=2,
        timers=False,
        access_log=False,
    ))
    runtime.start()
    yield runtime
    runtime.stop()


@pytest.fixture(scope="module")
def api(runtime) -> Client:
    return Client(runtime.url)


@pytest.fixture(scope="module")
def aws(runtime) -> Callable[[str], Any]:
    """boto3 clients on the runtime's moto server."""
    def client(service: str):
        return boto3.client(service, endpoint_url=runtime.endpoint_url, region_name="us-east-1")
    return client
