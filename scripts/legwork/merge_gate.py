"""`make merge` without the merge when nothing it reads has changed.

Every Make target runs `python -m legwork merge` first. The merge itself (ruamel.yaml,
includes, checks) costs about 0.6 s; this gate, which imports only the standard
library, answers in a few milliseconds when the last merge is still good:

- the md5 of every file the last merge read (templates/, swagger/, each
  ``src/*/template.yaml`` and ``src/*/swagger.yaml`` and every file they ``$include``) is
  unchanged, and the same ``src/*/`` fragments exist (a new or deleted folder re-runs it);
- the merge code is unchanged (``merge.py``, ``alarms.py``, ``yamlcfn.py``, this file, and the pinned
  ``requirements.txt`` that fixes the ruamel.yaml version);
- ``template.yaml`` and ``openapi.yaml`` are the bytes that merge wrote (a missing,
  edited or truncated output re-runs it).

Otherwise it runs the real merge (`legwork.merge.main`), which records a new state in
``.legwork/merge-state.json`` once it has written its outputs. A refused merge records
nothing, so it is refused again on the next run.

    $ python -m legwork merge            # merges only if needed
    $ python -m legwork merge --force    # always merges
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

from legwork import ROOT

STATE = Path(".legwork") / "merge-state.json"
STATE_FORMAT = 1
OUTPUTS = ("template.yaml", "openapi.yaml")
FRAGMENT_NAMES = ("template.yaml", "swagger.yaml")
_TOOLING = Path(__file__).resolve().parent
CODE_FILES = (_TOOLING / "merge.py", _TOOLING / "alarms.py", _TOOLING / "yamlcfn.py", _TOOLING / "merge_gate.py",
              ROOT / "requirements.txt")


def md5_bytes(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _md5_file(path: Path) -> str | None:
    try:
        with open(path, "rb") as stream:
            return md5_bytes(stream.read())
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None


def code_version() -> str:
    """One digest of the merge code and the pinned toolchain it runs on."""
    digest = hashlib.md5(usedforsecurity=False)
    for path in CODE_FILES:
        digest.update(f"{path.name}\0{_md5_file(path)}\0".encode())
    return digest.hexdigest()


def fragments(root: Path) -> list[str]:
    """`src/*/template.yaml` and `src/*/swagger.yaml` as the merge globs them, relative."""
    found = []
    try:
        folders = sorted(entry.name for entry in os.scandir(root / "src") if entry.is_dir())
    except FileNotFoundError:
        return []
    for folder in folders:
        for name in FRAGMENT_NAMES:
            if os.path.isfile(root / "src" / folder / name):
                found.append(f"src/{folder}/{name}")
    return found


def record(root: Path, inputs: dict[str, str]) -> None:
    """Remember a merge that just wrote its outputs from `inputs` (relative path -> md5)."""
    state = {
        "format": STATE_FORMAT,
        "code": code_version(),
        "inputs": dict(sorted(inputs.items())),
        "outputs": {name: _md5_file(root / name) for name in OUTPUTS},
    }
    path = root / STATE
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(state, indent=1) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def stale(root: Path) -> str | None:
    """Why the last merge is no longer good for `root`, or None when it is."""
    try:
        state = json.loads((root / STATE).read_text(encoding="utf-8"))
        inputs, outputs, code = state["inputs"], state["outputs"], state["code"]
        if state["format"] != STATE_FORMAT or not isinstance(inputs, dict) or not isinstance(outputs, dict):
            return "no usable record of the last merge"
    except (OSError, ValueError, KeyError, TypeError):
        return "no record of the last merge"
    if code != code_version():
        return "the merge code or its pinned requirements changed"
    for name in OUTPUTS:
        if outputs.get(name) is None or _md5_file(root / name) != outputs[name]:
            return f"{name} is missing or not what the last merge wrote"
    for relative in fragments(root):
        if relative not in inputs:
            return f"{relative} is new"
    for relative, digest in inputs.items():
        now = _md5_file(root / relative)
        if now != digest:
            return f"{relative} {'was deleted' if now is None else 'changed'}"
    return None


def main(argv: list[str]) -> int:
    """The `merge` command: skip when nothing changed, else run `legwork.merge.main`."""
    parser = argparse.ArgumentParser(prog="legwork merge", description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root (default: this checkout)")
    parser.add_argument("--force", action="store_true", help="merge even if nothing changed")
    args = parser.parse_args(argv)
    if not args.force:
        why = stale(args.root)
        if why is None:
            print("merge: inputs unchanged since the last merge, nothing written")
            return 0
        print(f"merge: {why}")
    from legwork import merge  # the real merge (ruamel.yaml and friends), only when needed

    return merge.main(["--root", str(args.root)])
