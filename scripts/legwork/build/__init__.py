"""`make build`: the incremental builder (`python -m legwork build`).

Reads the merged `template.yaml` and writes `.aws-sam/build/` in the layout `sam build`
produces, so `sam package`, `sam deploy` and `sam local` use it unchanged. The library:

- `legwork.build.plan`: the functions and layers of the template, Globals applied;
- `legwork.build.deps`: the Lambda-platform dependency cache (pip once per md5 key);
- `legwork.build.steps`: per artifact, the incremental dependency and code steps;
- `legwork.build.strategy`: serial or parallel scheduling behind one interface;
- `legwork.build.builder`: the whole build, the built template, size checks, the report.

    $ python -m legwork build [--template template.yaml] [--build-dir .aws-sam/build] [--jobs N]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from legwork import ROOT
from legwork.build.builder import Builder, BuildError, BuildReport
from legwork.build.deps import DependencyError

__all__ = ["Builder", "BuildError", "BuildReport", "DependencyError", "main"]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="legwork build", description=__doc__.split("\n")[0])
    parser.add_argument("--template", type=Path, default=ROOT / "template.yaml")
    parser.add_argument("--build-dir", type=Path, default=None, help="default: .aws-sam/build beside the template")
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args(argv)
    root = args.template.resolve().parent
    if not args.template.exists():
        print(f"build: {args.template} does not exist; run `make merge` first", file=sys.stderr)
        return 1
    try:
        Builder(root, args.template, build_dir=args.build_dir, jobs=args.jobs).build()
    except (BuildError, DependencyError) as err:
        print(f"build failed: {err}", file=sys.stderr)
        return 1
    return 0
