"""`python -m legwork bench {build|local|ingest|web|ocr}`: benchmarks that print figures.

Benchmarks measure; they never assert. Each prints its figures side by side with the
tool Legwork replaces where there is one.
"""
from __future__ import annotations

import importlib
import sys

BENCHES = {"build": "legwork.bench.build", "local": "legwork.bench.local", "ingest": "legwork.bench.ingest",
           "web": "legwork.bench.web", "ocr": "legwork.bench.ocr"}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in BENCHES:
        print(f"usage: python -m legwork bench {{{'|'.join(BENCHES)}}}", file=sys.stderr)
        return 2
    return importlib.import_module(BENCHES[argv[0]]).main(argv[1:])
