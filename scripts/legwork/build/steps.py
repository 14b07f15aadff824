"""The two incremental steps of one artifact: its dependencies, then its code.

Each step compares what it placed last time (the artifact's previous state) with what it
would place now, and touches the artifact folder only for the difference:

- `DependencyStep`: the shared install for the artifact's dependency key, hard-linked in
  (pip runs in `DependencyCache` only for a key it has not seen);
- `CodeStep`: source files copied only when their md5 changed (recomputed only when size
  or mtime moved); files deleted from the source are deleted from the build.

    >>> outcome = CodeStep().sync(artifact, Path(".aws-sam/build/TasksFunction"), previous, fresh=False)
    >>> outcome.status, outcome.why
    ('reused', None)
"""
from __future__ import annotations

import fnmatch
import hashlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from legwork.build.deps import DependencyCache
from legwork.build.plan import Artifact

# Files of a resource folder that describe it but never run in Lambda.
SOURCE_ONLY_FILES = ("template.yaml", "swagger.yaml", "requirements.txt", "demo.py", "*.pyc", "*.pyo")
SOURCE_ONLY_DIRS = ("__pycache__", "tests", ".pytest_cache", ".mypy_cache")


@dataclass
class StepOutcome:
    status: str  # code: copied | reused; deps: installed | linked | cached | none
    why: str | None = None  # why the artifact changed, None when this step wrote nothing
    state: dict = field(default_factory=dict)  # remembered for the next build


def md5_file(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def excluded(relative: str, patterns: tuple[str, ...]) -> bool:
    """True when a glob matches the artifact-relative path or its file name."""
    name = relative.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatch(relative, p) or fnmatch.fnmatch(name, p) for p in patterns)


def prune_empty_dirs(folder: Path, stop: Path) -> None:
    while folder != stop and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


class DependencyStep:
    """Places the artifact's dependencies from the shared cache; relinks only on a new key."""

    def __init__(self, cache: DependencyCache) -> None:
        self.cache = cache

    def sync(self, artifact: Artifact, target: Path, previous: dict, *, fresh: bool) -> StepOutcome:
        entry = self.cache.ensure(artifact.requirements, runtime=artifact.runtime, architecture=artifact.architecture)
        files: list[str] = previous.get("deps_files", [])
        status = "installed" if entry.installed else "cached" if entry.path else "none"
        exclude_changed = list(artifact.exclude) != previous.get("exclude", [])
        why = None
        if fresh or entry.key != previous.get("deps_key", "") or exclude_changed:
            why = "new" if fresh else "excludes changed" if exclude_changed else "requirements changed"
            for relative in files:
                (target / relative).unlink(missing_ok=True)
            for folder in sorted({(target / r).parent for r in files}, key=lambda p: -len(p.parts)):
                prune_empty_dirs(folder, target)
            files = link_tree(entry.path, target, artifact.prefix, artifact.exclude) if entry.path else []
            if entry.path and status == "cached":
                status = "linked"
        return StepOutcome(status, why, {"deps_key": entry.key, "deps_files": files,
                                         "exclude": list(artifact.exclude)})


class CodeStep:
    """Copies the artifact's source files whose digest changed; deletes the ones gone."""

    def sync(self, artifact: Artifact, target: Path, previous: dict, *, fresh: bool) -> StepOutcome:
        code, stats = scan_code(artifact, previous.get("stats", {}))
        old_code: dict[str, str] = {} if fresh else previous.get("code", {})
        copied = 0
        for relative, digest in code.items():
            destination = target / relative
            if old_code.get(relative) != digest or not destination.exists():
                destination.parent.mkdir(parents=True, exist_ok=True)
                if destination.exists():
                    destination.unlink()  # never write through a hard link into the cache
                shutil.copy2(artifact.source / relative.removeprefix(f"{artifact.prefix}/"), destination)
                copied += 1
        removed = [relative for relative in old_code if relative not in code]
        for relative in removed:
            (target / relative).unlink(missing_ok=True)
            prune_empty_dirs((target / relative).parent, target)
        changed = bool(copied or removed)
        why = f"code changed ({copied} written, {len(removed)} removed)" if changed and not fresh else None
        return StepOutcome("copied" if changed else "reused", why, {"code": code, "stats": stats})


def scan_code(artifact: Artifact, old_stats: dict) -> tuple[dict[str, str], dict]:
    """{artifact-relative path: md5} of the code; md5 recomputed only when size or mtime moved."""
    code: dict[str, str] = {}
    stats: dict[str, list] = {}
    source = artifact.source
    patterns = SOURCE_ONLY_FILES + artifact.exclude
    for dirpath, dirnames, filenames in os.walk(source):
        dirnames[:] = sorted(d for d in dirnames if d not in SOURCE_ONLY_DIRS and not d.startswith("."))
        for filename in sorted(filenames):
            path = Path(dirpath) / filename
            relative = path.relative_to(source).as_posix()
            if excluded(relative, patterns):
                continue
            stat = path.stat()
            key = [stat.st_size, stat.st_mtime_ns]
            old = old_stats.get(relative)
            digest = old[2] if old and old[:2] == key else md5_file(path)
            stats[relative] = [*key, digest]
            code[f"{artifact.prefix}/{relative}" if artifact.prefix else relative] = digest
    return code, stats


def link_tree(cache: Path, target: Path, prefix: str, exclude: tuple[str, ...] = ()) -> list[str]:
    """Hard-link (or copy, across filesystems) a cached install into the artifact, minus its excludes."""
    files = []
    base = target / prefix if prefix else target
    for dirpath, _, filenames in os.walk(cache):
        for filename in filenames:
            if filename == ".complete":
                continue
            source = Path(dirpath) / filename
            relative = source.relative_to(cache)
            if exclude and excluded(relative.as_posix(), exclude):
                continue
            destination = base / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            if destination.exists():
                destination.unlink()
            try:
                os.link(source, destination)
            except OSError:
                shutil.copy2(source, destination)
            files.append(f"{prefix}/{relative.as_posix()}" if prefix else relative.as_posix())
    return files
