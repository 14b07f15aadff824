"""The two incremental steps of one artifact: its dependencies, then its code.

Each step compares what it placed last time (the artifact's previous state) with what it
would place now, and touches the artifact folder only for the difference:

- `DependencyStep`: the shared install for the artifact's dependency key, hard-linked in
  (pip runs in `DependencyCache` only for a key it has not seen);
- `CodeStep`: source files copied only when their md5 changed (recomputed only when size
  or mtime moved); files deleted from the source are deleted from the build;
- `BytecodeStep`: `.pyc` for the target runtime, compiled by a matching interpreter on
  the PATH for every module written this build (a cold start then imports without
  compiling: Lambda's code folder is read-only, so nothing compiled there is kept).

    >>> outcome = CodeStep().sync(artifact, Path(".aws-sam/build/TasksFunction"), previous, fresh=False)
    >>> outcome.status, outcome.why
    ('reused', None)
"""
from __future__ import annotations

import fnmatch
import functools
import hashlib
import os
import re
import shutil
import subprocess
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
    written: list[str] = field(default_factory=list)  # artifact-relative files written (or deleted) this build
    count: int = 0  # how many files the step compiled


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
            written = files
        else:
            written = []
        return StepOutcome(status, why, {"deps_key": entry.key, "deps_files": files,
                                         "exclude": list(artifact.exclude)}, written)


class CodeStep:
    """Copies the artifact's source files whose digest changed; deletes the ones gone."""

    def sync(self, artifact: Artifact, target: Path, previous: dict, *, fresh: bool) -> StepOutcome:
        code, stats = scan_code(artifact, previous.get("stats", {}))
        old_code: dict[str, str] = {} if fresh else previous.get("code", {})
        copied: list[str] = []
        for relative, digest in code.items():
            destination = target / relative
            if old_code.get(relative) != digest or not destination.exists():
                destination.parent.mkdir(parents=True, exist_ok=True)
                if destination.exists():
                    destination.unlink()  # never write through a hard link into the cache
                shutil.copy2(artifact.source / relative.removeprefix(f"{artifact.prefix}/"), destination)
                copied.append(relative)
        removed = [relative for relative in old_code if relative not in code]
        for relative in removed:
            (target / relative).unlink(missing_ok=True)
            prune_empty_dirs((target / relative).parent, target)
        changed = bool(copied or removed)
        why = f"code changed ({len(copied)} written, {len(removed)} removed)" if changed and not fresh else None
        return StepOutcome("copied" if changed else "reused", why, {"code": code, "stats": stats}, copied + removed)


_COMPILE = """
import py_compile, sys
failed = 0
for path in sys.stdin.read().splitlines():
    try:
        py_compile.compile(path, doraise=True, invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
    except (py_compile.PyCompileError, OSError, ValueError):
        failed += 1  # not valid for this runtime (a Python 2 leftover, a template): shipped as source
print(failed)
"""
_PYC = re.compile(r"^(?P<stem>[^.]+)\.(?P<tag>[a-z]+-\d+)(?:\.opt-\d)?\.pyc$")


@functools.cache
def interpreter_for(runtime: str) -> str | None:
    """A working `pythonX.Y` for `runtime`: on the PATH, else one pyenv installed (its shim
    on the PATH answers only for the versions pyenv has enabled); None when there is none."""
    version = runtime.removeprefix("python")
    candidates = [shutil.which(f"python{version}")]
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    candidates += [str(p) for p in sorted(pyenv_root.glob(f"versions/{version}.*/bin/python{version}"), reverse=True)]
    for executable in filter(None, candidates):
        try:
            proc = subprocess.run([executable, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                  capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if proc.returncode == 0 and proc.stdout.strip() == version:
            return executable
    return None


class BytecodeStep:
    """`.pyc` of the target runtime beside every module of the artifact (checked-hash
    pycs: the import checks them against the source, so a stale one is never used).

    Modules written this build lose their old pyc and get a new one; pycs of another
    interpreter, or whose source is gone, are removed. Without a matching interpreter
    the artifact ships as source only (Lambda compiles on every cold start then).
    """

    def __init__(self, interpreter=interpreter_for) -> None:
        self.interpreter = interpreter

    def sync(self, artifact: Artifact, target: Path, written: list[str], previous: dict | None = None) -> StepOutcome:
        tag = f"cpython-{artifact.python_version.replace('.', '')}"
        if not written and previous is not None and "pyc" in previous:
            # Nothing written and the last build settled the bytecode: a no-op build walks nothing.
            return StepOutcome("reused", None, {"pyc": previous["pyc"]})
        rewritten = {w for w in written if w.endswith(".py")}
        removed = 0
        to_compile: list[str] = []
        for dirpath, dirnames, filenames in os.walk(target):
            here = Path(dirpath)
            if here.name == "__pycache__":
                for filename in filenames:
                    match = _PYC.match(filename)
                    source = here.parent / f"{match.group('stem')}.py" if match else None
                    relative = source.relative_to(target).as_posix() if source else ""
                    if (match is None or match.group("tag") != tag or not source.exists()
                            or relative in rewritten):
                        (here / filename).unlink()
                        removed += 1
                continue
            for filename in filenames:
                if filename.endswith(".py"):
                    pyc = here / "__pycache__" / f"{filename[:-3]}.{tag}.pyc"
                    relative = (here / filename).relative_to(target).as_posix()
                    if relative in rewritten or not pyc.exists():
                        to_compile.append(str(here / filename))
        executable = self.interpreter(artifact.runtime) if to_compile else None
        if executable is None:
            to_compile = []
        for dirpath, dirnames, filenames in os.walk(target, topdown=False):
            if Path(dirpath).name == "__pycache__" and not filenames and not dirnames:
                os.rmdir(dirpath)
        failed = 0
        if to_compile:
            proc = subprocess.run([executable, "-c", _COMPILE], input="\n".join(to_compile), capture_output=True,
                                  text=True, env={"PATH": os.environ.get("PATH", ""), "PYTHONNOUSERSITE": "1"})
            if proc.returncode != 0:
                raise RuntimeError(f"{executable} could not compile {artifact.logical_id}: {proc.stderr[-500:]}")
            failed = int(proc.stdout.strip() or 0)
        status = "compiled" if to_compile else "reused"
        why = (f"bytecode ({len(to_compile) - failed} compiled, {removed} removed)"
               if (to_compile or removed) and not written else None)
        return StepOutcome(status, why, {"pyc": tag if executable else None}, count=len(to_compile) - failed)


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
