"""Helpers for the local runtime's integration tests: an HTTP client, tokens, waiting."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.support.waiting import eventually  # noqa: F401  (the tests here import it from localrt)

ROOT = Path(__file__).resolve().parents[3]


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


def bearer(role: str, user: str = "someone") -> dict:
    return {"Authorization": f"Bearer {role}:{user}"}


def burst(port: int, requests: list[dict]) -> dict:
    """`python -m legwork.bench.burst` in another process: one thread and one new connection
    per request ({method, path, headers, body}), all at once; its summary
    ({"answered", "statuses": {"200": n}, "errors": {"ConnectionResetError": n}, …})."""
    done = subprocess.run(
        [sys.executable, "-m", "legwork.bench.burst", "--port", str(port), "--requests", "-", "--timeout", "60"],
        input=json.dumps(requests), capture_output=True, text=True, timeout=180,
        env={**os.environ, "PYTHONPATH": str(ROOT / "scripts")},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
