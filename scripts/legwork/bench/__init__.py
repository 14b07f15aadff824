"""`python -m legwork bench {build|local|ingest|web|ocr}`: benchmarks that print figures.

Benchmarks measure; they never assert. Each prints its figures side by side with the
tool Legwork replaces where there is one.
"""
from __future__ import annotations

import importlib
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterator

BENCHES = {"build": "legwork.bench.build", "local": "legwork.bench.local", "ingest": "legwork.bench.ingest",
           "web": "legwork.bench.web", "ocr": "legwork.bench.ocr"}


@dataclass
class DevServer:
    """A running `python -m legwork dev`: its port, when it was started, and its log (if kept)."""

    port: int
    started: float
    log: IO[str] | None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def dev_server(template: Path, *options: str, log_prefix: str | None = None) -> Iterator[DevServer]:
    """`python -m legwork dev --template T --port P OPTIONS` in its own process (so a
    benchmark's client threads do not share its interpreter), without PERSIST; its output
    goes to a temporary file named `log_prefix…` (kept, the caller removes it) or nowhere.
    Stopped on leaving the block."""
    from legwork import ROOT
    from legwork.local.runtime import free_port

    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "scripts")}
    env.pop("PERSIST", None)
    log = (tempfile.NamedTemporaryFile("w+", prefix=log_prefix, suffix=".log", delete=False)
           if log_prefix else None)
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "legwork", "dev", "--template", str(template), "--port", str(port), *options],
        env=env, stdout=log or subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    try:
        yield DevServer(port, started, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in BENCHES:
        print(f"usage: python -m legwork bench {{{'|'.join(BENCHES)}}}", file=sys.stderr)
        return 2
    return importlib.import_module(BENCHES[argv[0]]).main(argv[1:])
