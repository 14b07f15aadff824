"""One local runtime per test module, on a copy of tests/fixtures/local_app and free ports."""
from __future__ import annotations

import json
import shutil
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable

import boto3
import pytest

from legwork.local.runtime import LocalRuntime, Options, free_port

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


class Client:
    """A tiny HTTP client for the runtime's API: (status, headers, body)."""

    def __init__(self, base: str) -> None:
        self.base = base

    def request(self, method: str, path: str, body: Any = None, headers: dict | None = None,
                raw: bytes | None = None) -> tuple[int, dict, Any]:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, head, payload = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            status, head, payload = error.code, dict(error.headers), error.read()
        try:
            return status, head, json.loads(payload) if payload else None
        except ValueError:
            return status, head, payload


@pytest.fixture(scope="module")
def api(runtime) -> Client:
    return Client(runtime.url)


@pytest.fixture(scope="module")
def aws(runtime) -> Callable[[str], Any]:
    """boto3 clients on the runtime's moto server."""
    def client(service: str):
        return boto3.client(service, endpoint_url=runtime.endpoint_url, region_name="us-east-1")
    return client


def bearer(role: str, user: str = "someone") -> dict:
    return {"Authorization": f"Bearer {role}:{user}"}


def eventually(check: Callable[[], Any], timeout: float = 15.0, interval: float = 0.1) -> Any:
    """The first truthy result of `check()`, retried until `timeout` (asynchronous effects)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)
