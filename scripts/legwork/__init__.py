"""Legwork's tooling: merge, lint, build, the local runtime, deploy and benchmarks.

Each command is a module with a `main(argv) -> int`; `python -m legwork <command>` is the
thin CLI on top, and the Makefile only strings commands together.
"""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
