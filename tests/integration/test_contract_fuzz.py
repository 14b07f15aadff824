"""The contract, fuzzed: schemathesis drives the generated openapi.yaml against the local
runtime (the merged application, its authorizer, validators and demo users), with every
check, in every phase (examples, coverage, fuzzing, stateful), as admin, manager and
courier (see contract_hooks.py).

It must end with no server error, no schema-valid request refused, and every response
conforming to what the document says of it (status code, content type, body schema).

Deterministic (a fixed seed, `--generation-deterministic`, no example database), so CI
sees the same requests every run. Budget: about 2 to 3 minutes on 2 cores.

Checks left out, each with its reason; none hides a defect:
- `unsupported_method`: it wants 405 for a method the document does not declare; API
  Gateway answers 403 `MISSING_AUTHENTICATION_TOKEN` (REST APIs have no 405), and so does
  the local gateway (tests/integration/local covers it). A 5xx or an HTML page for such a
  method is still caught, by `not_a_server_error` and `content_type_conformance`.
- `max_response_time`: a wall-clock limit (10 s) on a machine shared by a whole test
  suite; tests check behaviour, never time (speed has its `make bench-*` scripts).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from legwork import ROOT
from legwork.local.runtime import LocalRuntime, Options, free_port
from tests.integration.local.localrt import Client

SEED = 20261201
MAX_EXAMPLES = int(os.environ.get("LEGWORK_FUZZ_EXAMPLES", "20"))
DEMO_PASSWORD = "legwork-demo"
EXCLUDED_CHECKS = ["unsupported_method"]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from legwork.merge import merge

    folder = tmp_path_factory.mktemp("contract_fuzz")
    merged = merge(ROOT)
    (folder / "template.yaml").write_text(merged.template_text(), encoding="utf-8")
    (folder / "openapi.yaml").write_text(merged.openapi_text(), encoding="utf-8")
    # A courier may hold 50 tasks here (3 by default): the fuzzer's courier claims many, and
    # the flows after a claim (start, positions, track, complete) are what it must reach.
    runtime = LocalRuntime(Options(template=folder / "template.yaml", root=ROOT, port=free_port(), timers=False,
                                   access_log=False, poll_interval=0.2, pool_size=2,
                                   parameters={"MaxActiveTasksPerCourier": "50"}))
    runtime.start()
    try:
        assert runtime.seeded.wait(90), "demo users were not written"
        yield runtime, folder
    finally:
        runtime.stop()


def token(api: Client, username: str) -> str:
    status, _, body = api.request("POST", "/auth/login", {"username": username, "password": DEMO_PASSWORD},
                                  {"Content-Type": "application/json"})
    assert status == 200, body
    return body["token"]


def test_the_api_keeps_its_documented_contract_under_fuzzing(app):
    runtime, folder = app
    api = Client(runtime.url)
    tokens = {"admin": token(api, "admin"), "manager": token(api, "manager"), "courier": token(api, "courier1")}
    report = folder / "report.json"
    command = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(ROOT / "tests" / "integration" / "contract_fuzz.toml"),
        "run", str(folder / "openapi.yaml"),
        "--url", runtime.url,
        "--checks", "all", "--exclude-checks", ",".join(EXCLUDED_CHECKS),
        "--phases", "examples,coverage,fuzzing,stateful",
        "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED), "--generation-deterministic",
        "--workers", "1", "--request-timeout", "30",
        "--report", "json", "--report-json-path", str(report),
        "--no-color", "--output-truncate", "false", "--warnings", "off",
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.integration.contract_hooks",
           "LEGWORK_FUZZ_TOKENS": json.dumps(tokens), "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "scripts")])}
    started = time.monotonic()
    run = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=900)
    took = time.monotonic() - started
    output = run.stdout + run.stderr
    (Path(os.environ.get("LEGWORK_FUZZ_LOG", folder / "schemathesis.log"))).write_text(output, encoding="utf-8")
    summary = [line for line in output.splitlines() if "generated" in line or "passed" in line or "failed" in line]
    print(f"schemathesis: {took:.0f} s; " + " | ".join(s.strip() for s in summary[-4:]))
    assert run.returncode == 0, output[-20000:]
