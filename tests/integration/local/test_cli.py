"""`python -m legwork dev` as a developer runs it: start, answer, Ctrl-C stops everything; and the real app."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from legwork.local.runtime import LocalRuntime, Options, free_port
from localrt import Client, eventually

ROOT = Path(__file__).resolve().parents[3]
FIXTURE = ROOT / "tests" / "fixtures" / "local_app"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _health(port: int):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as response:
            return json.loads(response.read())
    except OSError:
        return None


def test_ctrl_c_stops_the_runtime_and_its_workers(tmp_path):
    app = tmp_path / "app"
    shutil.copytree(FIXTURE, app, ignore=shutil.ignore_patterns("__pycache__"))
    port = free_port()
    ready_file = tmp_path / "run" / "ready"
    proc = subprocess.Popen(
        [sys.executable, "-m", "legwork", "dev", "--template", str(app / "template.yaml"), "--port", str(port),
         "--no-seed", "--no-timers", "--quiet", "--ready-file", str(ready_file)],
        env={**os.environ, "PYTHONPATH": str(ROOT / "scripts")},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        health = eventually(lambda: _health(port), timeout=30)
        assert eventually(ready_file.is_file) and ready_file.read_text() == f"http://127.0.0.1:{port}\n"
        worker = health["pid"]
        assert _alive(worker)
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert b"stopped" in output
    assert not ready_file.exists()  # removed on stop: a stale file never says ready
    eventually(lambda: not _alive(worker), timeout=5)


@pytest.fixture
def merged_app(tmp_path):
    """The application's own merged template, run from the repository root."""
    from legwork.merge import merge

    template = tmp_path / "template.yaml"
    template.write_text(merge(ROOT).template_text())
    runtime = LocalRuntime(Options(template=template, root=ROOT, port=free_port(), timers=False, access_log=False,
                                   poll_interval=0.2))
    runtime.start()
    yield runtime
    runtime.stop()


def test_the_merged_application_answers_health_and_demo_login(merged_app):
    api = Client(merged_app.url)
    status, _, body = api.request("GET", "/health")
    assert status == 200, body
    eventually(merged_app.seeded.is_set, timeout=30)
    status, _, login = api.request("POST", "/auth/login", {"username": "admin", "password": "legwork-demo"},
                                   {"Content-Type": "application/json"})
    assert status == 200, login
    status, _, me = api.request("GET", "/me", headers={"Authorization": f"Bearer {login['token']}"})
    assert status == 200, me
    status, _, _ = api.request("GET", "/me")
    assert status == 401
