"""The incremental build: `.aws-sam/build/` as `sam build` lays it out, rewritten only where needed.

Per artifact (a function's folder, or a layer's `python/`):

- dependencies come from the shared `DependencyCache` (pip only for a new key) and are
  hard-linked in, only when the artifact's key changed;
- code files are copied only when their content changed (their md5, recomputed only when
  size or mtime moved); files deleted from the source disappear from the build;
- a build where nothing changed writes no file at all.

    >>> report = Builder(Path("."), Path("template.yaml")).build()
    >>> report.changed
    []
"""
from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from legwork.build.deps import DependencyCache
from legwork.build.plan import Artifact, Plan, read_plan
from legwork.yamlcfn import dump_roundtrip, load_roundtrip

LAMBDA_UNZIPPED_LIMIT = 262_144_000
# Files of a resource folder that describe it but never run in Lambda.
SOURCE_ONLY_FILES = ("template.yaml", "swagger.yaml", "requirements.txt", "demo.py", "*.pyc", "*.pyo")
SOURCE_ONLY_DIRS = ("__pycache__", "tests", ".pytest_cache", ".mypy_cache")
STATE_FILE = "build-state.json"
# Properties that name a local path (samcli's RESOURCES_WITH_LOCAL_PATHS, the SAM ones we meet).
LOCAL_PATH_PROPERTIES = {
    "AWS::Serverless::Function": ("CodeUri",),
    "AWS::Serverless::LayerVersion": ("ContentUri",),
    "AWS::Serverless::Api": ("DefinitionUri",),
    "AWS::Serverless::HttpApi": ("DefinitionUri",),
    "AWS::Serverless::StateMachine": ("DefinitionUri",),
    "AWS::Lambda::Function": ("Code",),
    "AWS::Lambda::LayerVersion": ("Content",),
}
TEMPLATE_KEY = "~template"
TEMPLATE_FORMAT = 2  # bump when the built template changes shape: rewritten once on the next build


class BuildError(Exception):
    """The build cannot produce a deployable artifact; the message says why and what to do."""


@dataclass
class ArtifactResult:
    logical_id: str
    code: str  # "copied" | "reused"
    deps: str  # "installed" | "cached" | "linked" | "none"
    seconds: float
    size: int
    why: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.why)


@dataclass
class BuildReport:
    results: list[ArtifactResult]
    template_written: bool
    seconds: float
    installed_keys: int

    @property
    def changed(self) -> list[ArtifactResult]:
        return [r for r in self.results if r.changed]


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _excluded(relative: str, patterns: tuple[str, ...]) -> bool:
    name = relative.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatch(relative, p) or fnmatch.fnmatch(name, p) for p in patterns)


class Builder:
    """Build every Python function and layer of a merged template into `build_dir`."""

    def __init__(
        self,
        root: Path,
        template: Path,
        *,
        build_dir: Path | None = None,
        cache_dir: Path | None = None,
        jobs: int | None = None,
        size_limit: int = LAMBDA_UNZIPPED_LIMIT,
        deps: DependencyCache | None = None,
        echo=print,
    ) -> None:
        self.root = root.resolve()
        self.template = template.resolve()
        self.build_dir = (build_dir or self.root / ".aws-sam" / "build").resolve()
        cache_root = (cache_dir or self.root / ".legwork").resolve()
        self.deps = deps or DependencyCache(cache_root / "deps")
        self.state_path = cache_root / STATE_FILE
        self.jobs = jobs or max(2, (os.cpu_count() or 2) * 2)
        self.size_limit = size_limit
        self._echo = echo
        self._echo_lock = threading.Lock()

    def echo(self, line: str) -> None:
        # Artifacts build in threads: one line at a time, never interleaved.
        with self._echo_lock:
            self._echo(line)

    # -- the whole build -----------------------------------------------------------------
    def build(self) -> BuildReport:
        started = time.monotonic()
        state = self._load_state()
        template_md5 = f"{_md5(self.template)}:{TEMPLATE_FORMAT}"
        remembered = state.pop(TEMPLATE_KEY, None) or {}
        built_template = self.build_dir / "template.yaml"
        if remembered.get("md5") == template_md5 and built_template.exists():
            # Parsing YAML is the slowest part of a no-op build: the plan of an unchanged
            # template is read back from the state instead.
            plan = Plan(self.template, [_artifact(a) for a in remembered["artifacts"]], [])
        else:
            plan = read_plan(self.template, self.root)
        for logical_id, why in plan.skipped:
            self.echo(f"  {logical_id:<28} skipped: {why}")
        known = {a.logical_id for a in plan.artifacts}
        self.build_dir.mkdir(parents=True, exist_ok=True)
        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            results = list(pool.map(lambda a: self._build_one(a, state.get(a.logical_id) or {}), plan.artifacts))
        for result, artifact in zip(results, plan.artifacts):
            state[artifact.logical_id] = result.state  # type: ignore[attr-defined]
        for stale in sorted(set(state) - known - {TEMPLATE_KEY}):  # an artifact gone from the template
            shutil.rmtree(self.build_dir / stale, ignore_errors=True)
            del state[stale]
        self._check_sizes(plan, results)
        template_written = (remembered.get("md5") != template_md5 or not built_template.exists()) and self._write_template(plan)
        state[TEMPLATE_KEY] = {"md5": template_md5, "artifacts": [_artifact_state(a) for a in plan.artifacts]}
        self._save_state(state)
        report = BuildReport(
            results=results,
            template_written=template_written,
            seconds=time.monotonic() - started,
            installed_keys=len({r.state["deps_key"] for r in results if r.deps == "installed"}),  # type: ignore[attr-defined]
        )
        self._summarise(report)
        return report

    # -- one artifact ----------------------------------------------------------------------
    def _build_one(self, artifact: Artifact, previous: dict) -> ArtifactResult:
        started = time.monotonic()
        target = self.build_dir / artifact.logical_id
        why: list[str] = []
        if not artifact.source.is_dir():
            raise BuildError(f"{artifact.logical_id}: source folder {artifact.source} does not exist")
        entry = self.deps.ensure(artifact.requirements, runtime=artifact.runtime, architecture=artifact.architecture)
        fresh = not target.is_dir()
        deps_files: list[str] = previous.get("deps_files", [])
        deps_status = "cached" if entry.path else "none"
        if entry.installed:
            deps_status = "installed"
        exclude_changed = list(artifact.exclude) != previous.get("exclude", [])
        if fresh or entry.key != previous.get("deps_key", "") or exclude_changed:
            why.append("new" if fresh else "requirements changed" if not exclude_changed else "excludes changed")
            for relative in deps_files:
                (target / relative).unlink(missing_ok=True)
            for folder in sorted({(target / r).parent for r in deps_files}, key=lambda p: -len(p.parts)):
                _prune_empty_dirs(folder, target)
            deps_files = (self._link_deps(entry.path, target / artifact.prefix, artifact.prefix, artifact.exclude)
                          if entry.path else [])
            if entry.path and deps_status == "cached":
                deps_status = "linked"

        code, stats = self._scan_code(artifact, previous.get("stats", {}))
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
            _prune_empty_dirs((target / relative).parent, target)
        if (copied or removed) and not fresh:
            why.append(f"code changed ({copied} written, {len(removed)} removed)")
        size = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
        result = ArtifactResult(
            logical_id=artifact.logical_id,
            code="copied" if copied or removed else "reused",
            deps=deps_status,
            seconds=time.monotonic() - started,
            size=size,
            why=why,
        )
        result.state = {  # type: ignore[attr-defined]
            "deps_key": entry.key, "deps_files": deps_files, "exclude": list(artifact.exclude), "code": code, "stats": stats, "size": size,
        }
        self.echo(
            f"  {artifact.logical_id:<28} code: {result.code:<6}  deps: {result.deps:<9} "
            f"{size / 1e6:7.2f} MB  {result.seconds:5.2f} s"
        )
        return result

    def _scan_code(self, artifact: Artifact, old_stats: dict) -> tuple[dict[str, str], dict]:
        """{artifact-relative path: md5} of the code; md5 recomputed only when stat changed."""
        code: dict[str, str] = {}
        stats: dict[str, list] = {}
        source = artifact.source
        patterns = SOURCE_ONLY_FILES + artifact.exclude
        for dirpath, dirnames, filenames in os.walk(source):
            dirnames[:] = sorted(d for d in dirnames if d not in SOURCE_ONLY_DIRS and not d.startswith("."))
            for filename in sorted(filenames):
                path = Path(dirpath) / filename
                relative = path.relative_to(source).as_posix()
                if _excluded(relative, patterns):
                    continue
                stat = path.stat()
                key = [stat.st_size, stat.st_mtime_ns]
                old = old_stats.get(relative)
                digest = old[2] if old and old[:2] == key else _md5(path)
                stats[relative] = [*key, digest]
                code[f"{artifact.prefix}/{relative}" if artifact.prefix else relative] = digest
        return code, stats

    @staticmethod
    def _link_deps(cache: Path, target: Path, prefix: str, exclude: tuple[str, ...] = ()) -> list[str]:
        """Hard-link (or copy, across filesystems) the cached install into the artifact, minus its excludes."""
        files = []
        for dirpath, _, filenames in os.walk(cache):
            for filename in filenames:
                if filename == ".complete":
                    continue
                source = Path(dirpath) / filename
                relative = source.relative_to(cache)
                if exclude and _excluded(relative.as_posix(), exclude):
                    continue
                destination = target / relative
                destination.parent.mkdir(parents=True, exist_ok=True)
                if destination.exists():
                    destination.unlink()
                try:
                    os.link(source, destination)
                except OSError:
                    shutil.copy2(source, destination)
                files.append(f"{prefix}/{relative.as_posix()}" if prefix else relative.as_posix())
        return files

    # -- checks and outputs ----------------------------------------------------------------
    def _check_sizes(self, plan: Plan, results: list[ArtifactResult]) -> None:
        sizes = {r.logical_id: r.size for r in results}
        for artifact in plan.artifacts:
            if artifact.kind != "function":
                continue
            total = sizes[artifact.logical_id] + sum(sizes.get(layer, 0) for layer in artifact.layers)
            if total > self.size_limit:
                largest = self._largest_packages([artifact.logical_id, *artifact.layers])
                listing = ", ".join(f"{name} {_human(size)}" for name, size in largest)
                raise BuildError(
                    f"{artifact.logical_id}: {total:,} bytes unzipped with its layers, over Lambda's "
                    f"{self.size_limit:,}. Largest: {listing}. Drop or exclude what it does not run "
                    "(Metadata.Legwork.Exclude globs), or move it to a container image."
                )

    def _largest_packages(self, artifact_ids: list[str], most: int = 5) -> list[tuple[str, int]]:
        sizes: dict[str, int] = {}
        for artifact_id in artifact_ids:
            folder = self.build_dir / artifact_id
            base = folder / "python" if (folder / "python").is_dir() else folder
            for child in base.iterdir():
                size = child.stat().st_size if child.is_file() else sum(
                    p.stat().st_size for p in child.rglob("*") if p.is_file())
                sizes[f"{artifact_id}/{child.name}"] = size
        return sorted(sizes.items(), key=lambda kv: -kv[1])[:most]

    def _write_template(self, plan: Plan) -> bool:
        """The built template: CodeUri/ContentUri point at the artifact folders."""
        template = load_roundtrip(self.template)
        built = {a.logical_id for a in plan.artifacts}
        for logical_id, resource in template.get("Resources", {}).items():
            if logical_id not in built:
                self._rebase_local_paths(resource)
                continue
            props = resource["Properties"]
            props["ContentUri" if resource["Type"] == "AWS::Serverless::LayerVersion" else "CodeUri"] = logical_id
            # sam build marks each built resource with its id (samcli's resource_metadata_normalizer);
            # sam local and sam sync read it back.
            if resource.get("Metadata") is None:
                resource["Metadata"] = {}
            resource["Metadata"]["SamResourceId"] = logical_id
        text = dump_roundtrip(template)
        path = self.build_dir / "template.yaml"
        if path.exists() and path.read_text(encoding="utf-8") == text:
            return False
        path.write_text(text, encoding="utf-8")
        return True

    def _rebase_local_paths(self, resource: dict) -> None:
        """A resource left as is keeps pointing at its files from the build folder, as sam build does."""
        props = resource.get("Properties") or {}
        for name in LOCAL_PATH_PROPERTIES.get(resource.get("Type", ""), ()):
            value = props.get(name)
            if isinstance(value, str) and value and "://" not in value and not os.path.isabs(value):
                props[name] = os.path.relpath(self.root / value, self.build_dir)

    def _load_state(self) -> dict:
        try:
            return json.loads(self.state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def _save_state(self, state: dict) -> None:
        text = json.dumps(state, sort_keys=True)
        if self.state_path.exists() and self.state_path.read_text(encoding="utf-8") == text:
            return
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(self.state_path)

    def _summarise(self, report: BuildReport) -> None:
        changed = report.changed
        if not changed and not report.template_written:
            self.echo(f"build: nothing changed, nothing written ({len(report.results)} artifacts, {report.seconds:.2f} s)")
            return
        reasons = "; ".join(f"{r.logical_id}: {', '.join(r.why)}" for r in changed)
        total = sum(r.size for r in report.results)
        self.echo(
            f"build: {len(changed)} of {len(report.results)} artifacts rebuilt, pip ran for "
            f"{report.installed_keys} requirement set(s), {total / 1e6:.1f} MB in all, {report.seconds:.2f} s"
            + (f"\n  why: {reasons}" if reasons else "")
            + ("\n  template.yaml rewritten" if report.template_written else "")
        )


def _artifact_state(artifact: Artifact) -> dict:
    data = asdict(artifact)
    data["source"] = str(artifact.source)
    return data


def _artifact(data: dict) -> Artifact:
    return Artifact(**{**data, "source": Path(data["source"]), "layers": tuple(data["layers"]),
                       "exclude": tuple(data["exclude"])})


def _human(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size / 1e3:.1f} kB"


def _prune_empty_dirs(folder: Path, stop: Path) -> None:
    while folder != stop and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
