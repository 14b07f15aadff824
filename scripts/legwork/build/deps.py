"""Dependencies for the Lambda platform, installed once per key and shared.

The key is the md5 of (requirements.txt contents, runtime, architecture, pip options):
pip runs only for a key not yet in the cache, with the target's platform tags, so a
Python 3.11 laptop builds python3.12 / arm64 packages without Docker. Environment
markers (`numpy==2.5.5; python_version >= "3.12"`) are decided for the target, not for
the Python that runs pip (pip itself would use its own version). One install per key,
also across processes (`make build` beside `make test`): a file lock guards each key.

    >>> cache = DependencyCache(Path(".legwork/deps"))
    >>> entry = cache.ensure(Path("src/tasks/requirements.txt"), runtime="python3.12", architecture="arm64")
    >>> entry.installed, entry.path
    (True, PosixPath('.legwork/deps/5f1c…'))
"""
from __future__ import annotations

import fcntl
import fnmatch
import hashlib
import os
import re
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

# python3.12 runs on Amazon Linux 2023 (glibc 2.34): every manylinux tag up to 2_34 runs
# there (onnxruntime, for one, publishes only manylinux_2_28 wheels for cp312).
GLIBC_MINORS = {"python3.12": 34, "python3.13": 34, "python3.11": 26, "python3.10": 26, "python3.9": 26}
ARCH = {"arm64": "aarch64", "x86_64": "x86_64"}
PIP_OPTIONS = ("--only-binary=:all:", "--implementation", "cp", "--no-compile", "--disable-pip-version-check")

# What the Lambda runtime already has: left out unless a requirements file names it.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")
# Clutter Lambda never reads.
TRIM_DIRS = ("__pycache__", "tests", "test")
TRIM_FILES = ("*.pyc", "*.pyo")
DIST_INFO_KEEP = ("METADATA", "entry_points.txt", "top_level.txt")

_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


class DependencyError(Exception):
    """pip could not install for the Lambda platform; the message says what to do."""


def platform_tags(runtime: str, architecture: str) -> list[str]:
    """Every platform tag the runtime's OS accepts, newest glibc first."""
    arch = ARCH.get(architecture)
    if arch is None:
        raise DependencyError(f"unknown architecture {architecture!r} (use arm64 or x86_64)")
    newest = GLIBC_MINORS.get(runtime, 26)
    tags = [f"manylinux_2_{minor}_{arch}" for minor in range(newest, 16, -1)]
    return tags + [f"manylinux2014_{arch}"]


_INCLUDE = re.compile(r"^(?:-r|--requirement|-c|--constraint)[\s=]+(\S+)")
_REQUIRE = re.compile(r"^(?:-r|--requirement)[\s=]+(\S+)")
_CONSTRAIN = re.compile(r"^(?:-c|--constraint)[\s=]+(\S+)")


def target_environment(runtime: str, architecture: str) -> dict[str, str]:
    """The values of PEP 508 markers on the Lambda runtime (Amazon Linux, CPython)."""
    version = runtime.removeprefix("python")
    return {
        "python_version": version, "python_full_version": f"{version}.0", "implementation_name": "cpython",
        "implementation_version": f"{version}.0", "platform_python_implementation": "CPython",
        "platform_machine": ARCH.get(architecture, architecture), "platform_system": "Linux",
        "sys_platform": "linux", "os_name": "posix", "platform_release": "", "platform_version": "",
    }


def target_lines(requirements: Path, runtime: str, architecture: str, _seen: frozenset[Path] = frozenset()) -> list[str]:
    """The requirements as pip must see them for the target: included files inlined, each
    marker decided for the target runtime (a line whose marker is false is left out, a
    true marker is dropped so that pip, running on another Python, keeps the line)."""
    from packaging.markers import Marker

    if not requirements.is_file() or requirements.resolve() in _seen:
        return []
    environment = target_environment(runtime, architecture)
    lines: list[str] = []
    for raw in requirements.read_text(encoding="utf-8").splitlines():
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        include, constrain = _REQUIRE.match(line), _CONSTRAIN.match(line)
        if include:
            lines += target_lines(requirements.parent / include.group(1), runtime, architecture,
                                  _seen | {requirements.resolve()})
        elif constrain:
            lines.append(f"-c {(requirements.parent / constrain.group(1)).resolve()}")
        elif not line.startswith("-") and ";" in line:
            requirement, marker = line.split(";", 1)
            if Marker(marker.strip()).evaluate(environment):
                lines.append(requirement.strip())
        else:
            lines.append(line)
    return lines


def requirement_lines(requirements: Path, _seen: frozenset[Path] = frozenset()) -> list[str]:
    """The meaningful lines of a requirements file (no blanks, no comments).

    An included file (`-r base.txt`, `-c constraints.txt`) contributes its own lines, so an
    edit there changes the key too.
    """
    if not requirements.is_file() or requirements.resolve() in _seen:
        return []
    lines = []
    for raw in requirements.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("-") else raw.strip()
        if line:
            lines.append(line)
            include = _INCLUDE.match(line)
            if include:
                nested = requirements.parent / include.group(1)
                lines += requirement_lines(nested, _seen | {requirements.resolve()})
    return lines


def pinned_names(lines: list[str]) -> set[str]:
    names = set()
    for line in lines:
        match = _REQUIREMENT_NAME.match(line)
        if match:
            names.add(match.group(1).lower().replace("_", "-"))
    return names


def dependency_key(lines: list[str], runtime: str, architecture: str) -> str:
    digest = hashlib.md5()
    for part in ("\n".join(lines), runtime, architecture, " ".join(PIP_OPTIONS), "trim-v1", "target-markers"):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class CacheEntry:
    key: str
    path: Path | None  # None: no requirements at all
    installed: bool  # pip ran for this call


class DependencyCache:
    """`.legwork/deps/<key>/`: one pip install per distinct key, shared by every artifact."""

    def __init__(self, root: Path, pip: list[str] | None = None) -> None:
        self.root = root
        self.pip = pip or [sys.executable, "-m", "pip"]
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def key_for(self, requirements: Path, runtime: str, architecture: str) -> str | None:
        lines = requirement_lines(requirements)
        return dependency_key(lines, runtime, architecture) if lines else None

    def ensure(self, requirements: Path, *, runtime: str, architecture: str) -> CacheEntry:
        """The cache entry for this requirements file, installing it if it is new."""
        lines = requirement_lines(requirements)
        if not lines:
            return CacheEntry(key="", path=None, installed=False)
        key = dependency_key(lines, runtime, architecture)
        path = self.root / key
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:  # two artifacts with one key: the second waits and reuses
            if (path / ".complete").exists():
                return CacheEntry(key=key, path=path, installed=False)
            self.root.mkdir(parents=True, exist_ok=True)
            with open(self.root / f"{key}.lock", "w") as guard:  # another process may be installing it
                fcntl.flock(guard, fcntl.LOCK_EX)
                try:
                    if (path / ".complete").exists():
                        return CacheEntry(key=key, path=path, installed=False)
                    self._install(requirements, lines, path, runtime, architecture)
                finally:
                    fcntl.flock(guard, fcntl.LOCK_UN)
            return CacheEntry(key=key, path=path, installed=True)

    def _install(self, requirements: Path, lines: list[str], path: Path, runtime: str, architecture: str) -> None:
        staging = path.with_name(path.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        command = [*self.pip, "install", "--quiet", "--target", str(staging), "--python-version",
                   runtime.removeprefix("python"), *PIP_OPTIONS]
        for tag in platform_tags(runtime, architecture):
            command += ["--platform", tag]
        resolved = path.with_name(path.name + ".requirements.txt")
        resolved.write_text("\n".join(target_lines(requirements, runtime, architecture)) + "\n", encoding="utf-8")
        command += ["-r", str(resolved)]
        try:
            proc = subprocess.run(command, capture_output=True, text=True, cwd=requirements.parent)
        finally:
            resolved.unlink(missing_ok=True)
        if proc.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            raise DependencyError(_explain(proc.stderr + proc.stdout, requirements, runtime, architecture))
        trim(staging, keep=pinned_names(lines))
        shutil.rmtree(path, ignore_errors=True)
        staging.rename(path)
        (path / ".complete").write_text(requirements.read_text(encoding="utf-8"), encoding="utf-8")


def _explain(output: str, requirements: Path, runtime: str, architecture: str) -> str:
    match = re.search(r"(?:No matching distribution found for|satisfies the requirement) ([^\s(]+)", output)
    if match:
        package = match.group(1)
        return (
            f"{requirements}: {package} has no wheel for {runtime} on {architecture} "
            f"(Amazon Linux, manylinux up to glibc 2.{GLIBC_MINORS.get(runtime, 26)}). Pin a version that "
            "publishes such a wheel, choose another package, or build it on Amazon Linux and vendor it. "
            "Nothing was installed for another platform."
        )
    tail = "\n".join(output.strip().splitlines()[-8:])
    return f"{requirements}: pip failed for {runtime}/{architecture}:\n{tail}"


def trim(folder: Path, *, keep: set[str] = frozenset()) -> None:
    """Remove what Lambda does not run: caches, tests, dist-info clutter, runtime-provided SDKs."""
    for name in RUNTIME_PROVIDED:
        if name in keep:
            continue
        shutil.rmtree(folder / name, ignore_errors=True)
        for info in folder.glob(f"{name}-*.dist-info"):
            shutil.rmtree(info, ignore_errors=True)
    for dirpath, dirnames, filenames in os.walk(folder, topdown=True):
        here = Path(dirpath)
        if here.name.endswith(".dist-info"):
            for filename in filenames:
                if filename not in DIST_INFO_KEEP:
                    (here / filename).unlink()
            for dirname in dirnames:
                shutil.rmtree(here / dirname)
            dirnames[:] = []
            continue
        for dirname in list(dirnames):
            if dirname in TRIM_DIRS:
                shutil.rmtree(here / dirname)
                dirnames.remove(dirname)
        for filename in filenames:
            if any(fnmatch.fnmatch(filename, pattern) for pattern in TRIM_FILES):
                (here / filename).unlink()
    shutil.rmtree(folder / "bin", ignore_errors=True)  # console scripts: never run in Lambda
