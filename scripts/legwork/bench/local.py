"""`python -m legwork bench local`: how fast the local runtime starts and answers.

Starts `python -m legwork dev` on a free port (a separate process, so the client's
threads do not share its interpreter), and measures on loopback:

- time from launch to the first answered `GET /health`;
- requests/s, p50 and p99 of `GET /health` (no auth) and `GET /me` (through the Lambda
  authorizer, warm cache) with a bounded number of client threads for a bounded time;
- the first request after a code change (the function's workers are replaced);
- time from launch to ready (the API answers and the demo data is written);
- a burst of 200 simultaneous new connections (GET /health) and 30 simultaneous claims of
  one task (the five demo couriers, six connections each): how many clients got an HTTP
  answer, and which statuses (`legwork.bench.burst`).

Figures only; nothing is asserted.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

from legwork import ROOT
from legwork.bench import dev_server
from legwork.bench.burst import Request, burst, summary
from legwork.local.wait import wait_ready

# Measured elsewhere on a machine like this one (FIELD-NOTES.md), for comparison.
BURST_BEFORE = ("http.server's default backlog of 5 (the runtime before 2026-12-01): 102-158 of 200 "
                "simultaneous connections answered, the rest reset or timed out")
REFERENCE = {
    "chalice local (in-process, no isolation)": "≈0.6 ms per authorized request",
    "serverless-offline (warm Python workers, stale code after edits)": "≈1.5 ms per request",
    "serverless-offline --reloadHandler": "≈180 ms per request",
}


def _request(conn: http.client.HTTPConnection, path: str, headers: dict, method: str = "GET",
             body: bytes | None = None) -> tuple[int, bytes]:
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def wait_for_first_answer(port: int, started: float, deadline_s: float = 60.0) -> float:
    """Seconds from `started` until GET /health answers 200."""
    while time.monotonic() - started < deadline_s:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            status, _ = _request(conn, "/health", {})
            conn.close()
            if status == 200:
                return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.01)
    raise RuntimeError(f"no answer on port {port} within {deadline_s} s")


def login(port: int, username: str, password: str, timeout_s: float = 30.0) -> str:
    """A bearer token from POST /auth/login (retried while demo users are being written)."""
    deadline = time.monotonic() + timeout_s
    body = json.dumps({"username": username, "password": password}).encode()
    while True:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        status, payload = _request(conn, "/auth/login", {"Content-Type": "application/json"}, "POST", body)
        conn.close()
        if status == 200:
            return json.loads(payload)["token"]
        if time.monotonic() > deadline:
            raise RuntimeError(f"login failed: {status} {payload[:200]!r}")
        time.sleep(0.2)


def load(port: int, path: str, headers: dict, *, threads: int, seconds: float, max_requests: int) -> dict:
    """Hit `path` from `threads` keep-alive connections for `seconds` (or `max_requests`)."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    budget = [max_requests]

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        while time.monotonic() < stop_at:
            with lock:
                if budget[0] <= 0:
                    break
                budget[0] -= 1
            t0 = time.perf_counter()
            try:
                status, _ = _request(conn, path, headers)
            except OSError:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status = 0
            mine.append((time.perf_counter() - t0) * 1000)
            if status != 200:
                with lock:
                    errors[0] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    started = time.monotonic()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return {
        "requests": len(latencies),
        "errors": errors[0],
        "rps": len(latencies) / elapsed if elapsed else 0.0,
        "p50": statistics.median(latencies) if latencies else 0.0,
        "p99": q[98] if latencies else 0.0,
    }


def _sequential_p50(port: int, path: str, headers: dict, count: int = 200) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    samples = []
    for _ in range(count):
        t0 = time.perf_counter()
        _request(conn, path, headers)
        samples.append((time.perf_counter() - t0) * 1000)
    conn.close()
    return statistics.median(samples)


def _handler_file(template: Path, function_path: str) -> Path | None:
    """The source file of the function answering `function_path` in the merged template."""
    from legwork import yamlcfn
    from legwork.local.provision import expand_function

    doc = yamlcfn.load(template)
    for lid, resource in doc.get("Resources", {}).items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = expand_function(doc, lid)
        for event in (props.get("Events") or {}).values():
            if event.get("Type") == "Api" and (event.get("Properties") or {}).get("Path") == function_path:
                module = props["Handler"].rsplit(".", 1)[0].replace(".", "/") + ".py"
                candidate = template.parent / props["CodeUri"] / module
                return candidate if candidate.is_file() else None
    return None


def _bursts(port: int, admin_token: str) -> dict[str, dict]:
    """200 simultaneous new connections, then 30 simultaneous claims of one open task."""
    started = time.monotonic()
    results = {"200 simultaneous connections, GET /health": summary(
        burst(port, [Request("GET", "/health")] * 200), time.monotonic() - started)}
    tokens = [login(port, f"courier{i}", "legwork-demo") for i in range(1, 6)]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    status, body = _request(conn, "/tasks?status=open", {"Authorization": f"Bearer {admin_token}"})
    conn.close()
    open_tasks = json.loads(body).get("items", []) if status == 200 else []
    if open_tasks:
        path = f"/tasks/{open_tasks[0]['taskId']}/claim"
        claims = [Request("POST", path, {"Authorization": f"Bearer {tokens[i % 5]}"}) for i in range(30)]
        started = time.monotonic()
        results["30 simultaneous claims of one task"] = summary(burst(port, claims), time.monotonic() - started)
    return results


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m legwork bench local", description=__doc__)
    parser.add_argument("--template", type=Path, default=ROOT / "template.yaml")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0, help="per endpoint")
    parser.add_argument("--max-requests", type=int, default=20000, help="per endpoint")
    parser.add_argument("--username", default="admin")
    parser.add_argument("--password", default="legwork-demo")
    parser.add_argument("--moto-process", action="store_true", help="pass --moto-process to `dev`")
    args = parser.parse_args(argv)
    extra = ["--moto-process"] if args.moto_process else []
    if not args.template.is_file():
        print(f"{args.template} does not exist: run `make merge` first", file=sys.stderr)
        return 2
    with dev_server(args.template, "--quiet", "--no-timers", *extra) as dev:
        port, started = dev.port, dev.started
        first = wait_for_first_answer(port, started)
        ready, _ = wait_ready(f"http://127.0.0.1:{port}", timeout=120)
        ready_s = time.monotonic() - started if ready else None
        token = login(port, args.username, args.password)
        auth = {"Authorization": f"Bearer {token}"}
        # Warm every worker of the pool, and the authorizer's cache.
        for path, headers in (("/health", {}), ("/me", auth)):
            load(port, path, headers, threads=args.threads, seconds=1.0, max_requests=200)
        results = {
            "GET /health (no auth)": load(port, "/health", {}, threads=args.threads, seconds=args.seconds,
                                          max_requests=args.max_requests),
            "GET /me (authorizer, cached)": load(port, "/me", auth, threads=args.threads, seconds=args.seconds,
                                                 max_requests=args.max_requests),
        }
        single = _sequential_p50(port, "/me", auth)
        reload_ms = None
        handler = _handler_file(args.template, "/health")
        if handler is not None:
            os.utime(handler)  # as if edited: the next request starts a fresh worker
            t0 = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            _request(conn, "/health", {})
            conn.close()
            reload_ms = (time.perf_counter() - t0) * 1000
        bursts = _bursts(port, token)
    print(f"legwork local runtime — {args.template.name}, {args.threads} client threads, "
          f"{args.seconds:.0f} s per endpoint, loopback, {os.cpu_count()} CPUs")
    print(f"  start → first answered GET /health: {first:.2f} s (target < 5 s)")
    if ready_s is not None:
        print(f"  start → ready (API answers, demo data written): {ready_s:.2f} s")
    print(f"  {'endpoint':<30} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9} {'errors':>7}")
    for name, r in results.items():
        print(f"  {name:<30} {r['rps']:>8.0f} {r['p50']:>8.2f} {r['p99']:>8.2f} {r['requests']:>9} {r['errors']:>7}")
    print(f"  GET /me one client at a time: p50 {single:.2f} ms (target < 10 ms)")
    if reload_ms is not None:
        print(f"  first GET /health after a code change (worker restarted): {reload_ms:.0f} ms")
    for name, r in bursts.items():
        statuses = ", ".join(f"{status}×{n}" for status, n in r["statuses"].items())
        errors = ", ".join(f"{error}×{n}" for error, n in r["errors"].items()) or "none"
        print(f"  {name}: {r['answered']}/{r['count']} answered ({statuses}; no answer: {errors}) in {r['seconds']:.2f} s")
    print("  for comparison (FIELD-NOTES):")
    print(f"    {BURST_BEFORE}")
    for tool, figure in REFERENCE.items():
        print(f"    {tool}: {figure}")
    return 0
