"""`python -m legwork invoke FN [--port N] [--event FILE|-]`: invoke a function of the running `make dev`.

Without an event, a function with a schedule gets its scheduled event (EventBridge's
shape, or the schedule's `Input`), any other function `{}`. FN is a logical id
(`ReportsFunction`), a physical name or an ARN. Prints the result; exits 1 on a
function error.
"""
from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote


def invoke(function: str, event: object | None = None, *, port: int = 3000, host: str = "127.0.0.1",
           timeout: float = 120.0) -> tuple[bool, object]:
    """POST to the runtime's `/__legwork/invoke/{function}`; (ok, result or error document)."""
    data = b"" if event is None else json.dumps(event).encode()
    request = urllib.request.Request(f"http://{host}:{port}/__legwork/invoke/{quote(function, safe='')}",
                                     data=data, method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        body = json.loads(response.read() or b"null")
        return response.headers.get("X-Amz-Function-Error") is None, body


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m legwork invoke", description=__doc__)
    parser.add_argument("function")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--event", help="JSON file with the event ('-' reads stdin)")
    args = parser.parse_args(argv)
    event = None
    if args.event:
        text = sys.stdin.read() if args.event == "-" else Path(args.event).read_text()
        event = json.loads(text)
    try:
        ok, result = invoke(args.function, event, port=args.port, host=args.host)
    except urllib.error.HTTPError as exc:
        print(exc.read().decode(errors="replace"), file=sys.stderr)
        return 2
    except urllib.error.URLError as exc:
        print(f"no local runtime on {args.host}:{args.port} ({exc.reason}): start it with `make dev`", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
