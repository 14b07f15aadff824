"""`make dev` as a developer (or a script) meets it: the application's merged template, run
by the CLI in its own process. Ready means ready; bursts of clients all get answers; the
function logs read like sentences.

One process for the module (about 10-20 s to start and write the demo data here).
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from legwork.local.runtime import free_port
from localrt import burst

ROOT = Path(__file__).resolve().parents[3]
READY = re.compile(r"\| ready: API on (http://\S+)")


class DevProcess:
    """`python -m legwork dev --port P` in the repository, its output collected line by line."""

    def __init__(self, port: int, env: dict) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.lines: list[str] = []
        self.ready_line: int | None = None
        self._ready = threading.Event()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "legwork", "dev", "--port", str(port)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            if self.ready_line is None and READY.search(line):
                self.ready_line = len(self.lines) - 1
                self._ready.set()
        self._ready.set()  # the process ended

    def wait_ready(self, timeout: float) -> None:
        assert self._ready.wait(timeout), "no ready line within %.0f s:\n%s" % (timeout, "\n".join(self.lines[-30:]))
        assert self.ready_line is not None, "the process ended before it was ready:\n" + "\n".join(self.lines[-30:])

    def output_after(self, marker: str, timeout: float = 15.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(marker in line for line in self.lines):
                return list(self.lines)
            time.sleep(0.05)
        raise AssertionError(f"{marker!r} never logged:\n" + "\n".join(self.lines[-30:]))

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def call(url: str, method: str, path: str, body=None, token: str | None = None) -> tuple[int, object]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


@pytest.fixture(scope="module")
def dev():
    env = {k: v for k, v in os.environ.items() if k not in ("LOG_FORMAT", "PERSIST", "PORT", "NO_COLOR")}
    env["PYTHONPATH"] = str(ROOT / "scripts")
    if not (ROOT / "template.yaml").is_file():  # `make dev` merges first; so does a bare pytest run
        subprocess.run([sys.executable, "-m", "legwork", "merge"], cwd=ROOT, env=env, check=True, capture_output=True)
    process = DevProcess(free_port(), env)
    try:
        process.wait_ready(timeout=150)
        yield process
    finally:
        code = process.stop()
    assert code == 0, "\n".join(process.lines[-30:])


def test_login_right_after_the_ready_line_succeeds_first_time(dev):
    status, body = call(dev.url, "POST", "/auth/login", {"username": "admin", "password": "legwork-demo"})
    assert status == 200, body  # one attempt, no retry: ready means the demo users are written
    assert body["user"]["role"] == "admin"
    ready_at = dev.ready_line
    assert any("demo users in" in line for line in dev.lines[:ready_at]), "ready was logged before the demo data"


def test_ready_is_scriptable_by_endpoint_and_by_command(dev):
    status, body = call(dev.url, "GET", "/__legwork/ready")
    assert (status, body) == (200, {"status": "ready"})
    waited = subprocess.run([sys.executable, "-m", "legwork", "wait-ready", "--port", str(dev.port), "--timeout", "10"],
                            env={**os.environ, "PYTHONPATH": str(ROOT / "scripts")}, capture_output=True, text=True)
    assert waited.returncode == 0, waited.stderr
    nobody = subprocess.run([sys.executable, "-m", "legwork", "wait-ready", "--port", str(free_port()), "--timeout", "0.5"],
                            env={**os.environ, "PYTHONPATH": str(ROOT / "scripts")}, capture_output=True, text=True)
    assert nobody.returncode == 1 and "not ready" in nobody.stderr


def test_200_simultaneous_new_connections_to_make_dev_all_get_an_answer(dev):
    result = burst(dev.port, [{"path": "/health"}] * 200)
    assert result["errors"] == {}, result
    assert result["statuses"] == {"200": 200}, result


def test_30_simultaneous_claims_get_one_200_and_29_409(dev):
    tokens = []
    for i in range(1, 6):  # the five demo couriers, six connections each
        status, body = call(dev.url, "POST", "/auth/login", {"username": f"courier{i}", "password": "legwork-demo"})
        assert status == 200, body
        tokens.append(body["token"])
    _, admin = call(dev.url, "POST", "/auth/login", {"username": "admin", "password": "legwork-demo"})
    status, listing = call(dev.url, "GET", "/tasks?status=open", token=admin["token"])
    assert status == 200 and listing["items"], listing
    task = listing["items"][0]["taskId"]
    claims = [{"method": "POST", "path": f"/tasks/{task}/claim", "headers": {"Authorization": f"Bearer {tokens[i % 5]}"}}
              for i in range(30)]
    result = burst(dev.port, claims)
    assert result["errors"] == {}, result
    assert result["statuses"] == {"200": 1, "409": 29}, result


def test_function_logs_read_as_sentences_by_default(dev):
    call(dev.url, "POST", "/auth/login", {"username": "manager", "password": "legwork-demo"})
    lines = dev.output_after("username=manager")
    login = next(line for line in lines if "username=manager" in line)
    assert re.search(r"LoginFunction\s+\| INFO  signed in  username=manager role=manager  \[POST /auth/login\]$", login), login
    assert not [line for line in lines if '{"level":' in line], "a function's JSON record was printed raw"
