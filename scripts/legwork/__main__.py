"""`python -m legwork <command> [args]`: dispatch to the command's module."""
from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "merge": "legwork.merge_gate",
    "lint": "legwork.lint",
    "build": "legwork.build",
    "watch": "legwork.watch",
    "dev": "legwork.local",
    "wait-ready": "legwork.local.wait",
    "invoke": "legwork.local.invoke",
    "bench": "legwork.bench",
    "deploy": "legwork.deploy",
    "site": "legwork.site",
    "demo": "legwork.demo",
    "admin": "legwork.admin",
    "pipeline": "legwork.pipeline",
    "versions": "legwork.versions",
    "logs": "legwork.logs",
    "destroy": "legwork.destroy",
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: python -m legwork {{{'|'.join(COMMANDS)}}} [args]", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[argv[0]])
    return module.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
