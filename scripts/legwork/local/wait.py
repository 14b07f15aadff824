"""`python -m legwork wait-ready`: wait until a running `make dev` is ready; exit 0, or 1 on timeout.

Ready means the API answers and the demo data is written (`GET /__legwork/ready`
answers 200; 503 while demo data is being written, no answer while starting):

    make dev &
    make dev-wait && curl -s localhost:3000/auth/login -d '{"username": "admin", …}'
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request


def wait_ready(url: str, timeout: float = 120.0, interval: float = 0.2) -> tuple[bool, str]:
    """Poll `url`/__legwork/ready until it answers 200 or `timeout` passes: (ready, last state seen)."""
    deadline = time.monotonic() + timeout
    state = "no answer"
    while True:
        try:
            with urllib.request.urlopen(url.rstrip("/") + "/__legwork/ready", timeout=5) as response:
                if response.status == 200:
                    return True, "ready"
        except urllib.error.HTTPError as error:
            try:
                state = json.loads(error.read()).get("message") or f"HTTP {error.code}"
            except ValueError:
                state = f"HTTP {error.code}"
        except OSError as exc:
            state = f"no answer ({exc.__class__.__name__})"
        if time.monotonic() >= deadline:
            return False, state
        time.sleep(interval)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m legwork wait-ready", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 3000)))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait (default 120)")
    args = parser.parse_args(argv)
    url = f"http://{args.host}:{args.port}"
    ready, state = wait_ready(url, args.timeout)
    if ready:
        print(f"ready: {url}")
        return 0
    print(f"not ready after {args.timeout:.0f} s: {url} ({state}); is `make dev` running with PORT={args.port}?",
          file=sys.stderr)
    return 1
