"""`make logs FN=… [STAGE=…] [REGION=…] [SINCE=10min]`: tail a deployed function's logs.

`sam logs --tail` on the stage's stack (`legwork-<stage>`), which finds the function's log
group from its logical ID (LoginFunction) and follows it until Ctrl-C; the same command
works in AWS China. A name that is not a logical ID of the stack is taken as a
function's physical name.

    $ make logs FN=LoginFunction STAGE=prod REGION=cn-north-1
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from legwork import ROOT
from legwork.deploy import stack_name


def logs_command(*, function: str, stage: str, region: str, since: str = "10min ago", follow: bool = True) -> list[str]:
    """The `sam logs` call for a function of the stage's stack."""
    command = [
        str(Path(sys.executable).parent / "sam"), "logs",
        "--stack-name", stack_name(stage), "--name", function,
        "--region", region, "--start-time", since,
    ]
    return command + (["--tail"] if follow else [])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="legwork logs", description=__doc__.split("\n")[0])
    parser.add_argument("function", nargs="?", default="", help="logical ID (LoginFunction) or function name")
    parser.add_argument("--region", required=True)
    parser.add_argument("--stage", required=True)
    parser.add_argument("--since", default="10min ago", help="how far back to start (sam's --start-time)")
    parser.add_argument("--no-follow", action="store_true", help="print and stop instead of tailing")
    args = parser.parse_args(argv)
    if not args.function:
        print("logs: name the function: make logs FN=LoginFunction [STAGE=...] [REGION=...]", file=sys.stderr)
        return 2
    command = logs_command(function=args.function, stage=args.stage, region=args.region, since=args.since,
                           follow=not args.no_follow)
    print("logs:", " ".join(command), flush=True)
    try:
        return subprocess.call(command, cwd=ROOT, env={**os.environ, "SAM_CLI_TELEMETRY": "0"})
    except KeyboardInterrupt:
        return 0
