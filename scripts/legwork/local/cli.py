"""`python -m legwork dev`: run the merged template's application locally, without Docker.

It logs `ready: API on URL …` once the API answers and the demo data is written; a
script can wait for that line, for `GET /__legwork/ready` to answer 200 (503 before),
for `--ready-file` to appear, or run `python -m legwork wait-ready` (exit 0 when ready).
"""
from __future__ import annotations

import argparse
import os
import signal
import threading
from pathlib import Path

from legwork import ROOT
from legwork.local import logs
from legwork.local.logs import log
from legwork.local.runtime import LocalRuntime, Options


def parse(argv: list[str]) -> Options:
    parser = argparse.ArgumentParser(prog="python -m legwork dev", description=__doc__)
    parser.add_argument("--template", type=Path, default=ROOT / "template.yaml",
                        help="SAM template to run (default: the merged template.yaml)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 3000)))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--stage", default=os.environ.get("STAGE", "dev"))
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--moto-port", type=int, default=0, help="moto server port (default: a free one)")
    parser.add_argument("--poll-interval", type=float, default=0.5, help="seconds between empty queue/stream polls")
    parser.add_argument("--workers", type=int, default=4, help="warm workers per function at most")
    parser.add_argument("--moto-process", action="store_true",
                        help="run moto in its own process (more throughput under concurrent load)")
    parser.add_argument("--static", type=Path, help="serve this folder's files for GET paths no route claims")
    parser.add_argument("--no-seed", action="store_true", help="do not create demo data")
    parser.add_argument("--no-timers", action="store_true", help="fire schedules only on demand")
    parser.add_argument("--quiet", action="store_true", help="no access log line per request")
    parser.add_argument("--verbose", action="store_true", help="a REPORT line per invocation")
    parser.add_argument("--log-format", choices=logs.FORMATS,
                        default=os.environ.get("LOG_FORMAT", "").strip().lower() or "human",
                        help="functions' JSON log records rendered for a person (human, the default) or as "
                             "written (json; or set LOG_FORMAT=json)")
    parser.add_argument("--ready-file", type=Path,
                        help="write the API's URL to this file once ready (API answering, demo data written); "
                             "removed on stop")
    args = parser.parse_args(argv)
    if args.log_format not in logs.FORMATS:
        parser.error(f"LOG_FORMAT={args.log_format}: use one of {', '.join(logs.FORMATS)}")
    logs.set_format(args.log_format)
    persist = os.environ.get("PERSIST", "") not in ("", "0", "false")
    if not args.template.is_file():
        parser.error(f"{args.template} does not exist: run `make merge` first (or pass --template)")
    return Options(
        template=args.template,
        port=args.port,
        host=args.host,
        stage=args.stage,
        region=args.region,
        moto_port=args.moto_port,
        poll_interval=args.poll_interval,
        pool_size=args.workers,
        seed=not args.no_seed,
        timers=not args.no_timers,
        access_log=not args.quiet,
        verbose=args.verbose,
        moto_process=args.moto_process,
        static_dir=args.static,
        ready_file=args.ready_file,
        persist_dir=(args.template.resolve().parent / ".legwork" / "local-state") if persist else None,
    )


def main(argv: list[str]) -> int:
    options = parse(argv)
    runtime = LocalRuntime(options)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        runtime.start()
    except OSError as exc:
        log("legwork", f"cannot start: {exc} (is port {options.port} in use? pass --port)")
        runtime.stop()
        return 1
    except Exception as exc:  # a template the runtime cannot read: say what, stop what started
        log("legwork", f"cannot start: {type(exc).__name__}: {exc}")
        runtime.stop()
        return 1
    if options.persist_dir is None:
        log("legwork", "data lives until Ctrl-C; PERSIST=1 keeps tables, objects and secrets across restarts")
    # A timed wait, so the main thread gets back to Python (where signal handlers run)
    # twice a second whatever happens to the lock it waits on.
    while not stop.wait(0.5):
        pass
    log("legwork", "stopping …")
    runtime.stop()
    return 0
