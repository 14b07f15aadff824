"""The local runtime: `python -m legwork dev` runs a SAM template's application without Docker.

Storage and queues live in an embedded moto server (`provision`), each function in its
own warm worker process (`workers`), the REST API in a small HTTP server (`gateway`), and
the template's event sources are pumped by `events`.
"""
from __future__ import annotations


def main(argv: list[str]) -> int:
    """`python -m legwork dev [--port N]`."""
    from legwork.local.cli import main as run

    return run(argv)
