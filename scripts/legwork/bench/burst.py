"""A burst of simultaneous fresh connections: does every client get an HTTP answer?

Each request gets its own thread and its own new TCP connection; all threads wait at a
barrier, then connect and send at the same moment (the way 30 couriers claim one task).
The answer per request is its HTTP status, or the name of the error the client saw
(`ConnectionResetError`, `TimeoutError` …) when no HTTP answer came.

    from legwork.bench.burst import Request, burst
    statuses = burst(3000, [Request("GET", "/health")] * 200)   # [200, 200, …]

Run it from another process than the server, so the two do not share an interpreter:

    python -m legwork.bench.burst --port 3000 --count 200 --path /health
    echo '[{"method": "POST", "path": "/tasks/t1/claim", "headers": {…}}, …]' \\
        | python -m legwork.bench.burst --port 3000 --requests -

It prints one JSON object: {"answered": n, "count": n, "statuses": {"200": n, …},
"errors": {"ConnectionResetError": n, …}, "seconds": s}.
"""
from __future__ import annotations

import argparse
import http.client
import json
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict = field(default_factory=dict)
    body: bytes | None = None


def burst(port: int, requests: list[Request], *, host: str = "127.0.0.1", timeout: float = 120.0) -> list[int | str]:
    """Send every request on its own new connection, all at once; a status or an error name each."""
    barrier = threading.Barrier(len(requests))
    results: list[int | str] = ["NotRun"] * len(requests)

    def one(index: int, request: Request) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            barrier.wait(timeout=60)
            conn.request(request.method, request.path, body=request.body, headers=request.headers)
            response = conn.getresponse()
            response.read()
            results[index] = response.status
        except Exception as exc:  # what the client saw instead of an answer
            results[index] = type(exc).__name__
        finally:
            conn.close()

    threads = [threading.Thread(target=one, args=(i, r), daemon=True) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout + 60)
    return results


def summary(results: list[int | str], seconds: float) -> dict:
    """Counts of statuses and of errors (no HTTP answer)."""
    statuses = Counter(str(r) for r in results if isinstance(r, int))
    errors = Counter(r for r in results if not isinstance(r, int))
    return {
        "count": len(results),
        "answered": sum(statuses.values()),
        "statuses": dict(sorted(statuses.items())),
        "errors": dict(sorted(errors.items())),
        "seconds": round(seconds, 3),
    }


def _read_requests(source: str) -> list[Request]:
    text = sys.stdin.read() if source == "-" else open(source, encoding="utf-8").read()
    requests = []
    for item in json.loads(text):
        body = item.get("body")
        if body is not None and not isinstance(body, str):
            body = json.dumps(body)
        requests.append(Request(item.get("method", "GET"), item["path"], item.get("headers") or {},
                                body.encode() if body is not None else None))
    return requests


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m legwork.bench.burst", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--count", type=int, default=100, help="connections (with --path)")
    parser.add_argument("--method", default="GET")
    parser.add_argument("--path", default="/health")
    parser.add_argument("--requests", help="a JSON list of {method, path, headers, body} ('-': stdin)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds a client waits for its answer")
    args = parser.parse_args(argv)
    requests = _read_requests(args.requests) if args.requests else [Request(args.method, args.path)] * args.count
    started = time.monotonic()
    results = burst(args.port, requests, host=args.host, timeout=args.timeout)
    print(json.dumps(summary(results, time.monotonic() - started)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
