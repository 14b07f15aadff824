"""The incremental build: `.aws-sam/build/` as `sam build` lays it out, rewritten only where needed.

Per artifact (a function's folder, or a layer's `python/`):

- dependencies come from the shared `DependencyCache` (pip only for a new key) and are
  hard-linked in, only when the artifact's key changed;
- code files are copied only when their content changed (their md5, recomputed only when
  size or mtime moved); files deleted from the source disappear from the build;
- `.pyc` for the target runtime are compiled for what was written, when a matching
  interpreter (`python3.12`) is on the PATH; the summary says when none is;
- a build where nothing changed writes no file at all;
- a build that fails (a size check, pip, an interrupt) is never taken for current: the
  built template is removed, and the next build starts every artifact from an empty
  folder (new files are never laid over a failed build's).

    >>> report = Builder(Path("."), Path("template.yaml")).build()
    >>> report.changed
    []
"""
from __future__ import annotations

import json
import os
import shutil
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from legwork.build.deps import DependencyCache
from legwork.build.steps import BytecodeStep, CodeStep, DependencyStep, interpreter_for, md5_file
from legwork.build.strategy import strategy_for
from legwork.build.plan import Artifact, Plan, read_plan

LAMBDA_UNZIPPED_LIMIT = 262_144_000
STATE_FILE = "build-state.json"
INCOMPLETE_FILE = "build-incomplete"  # present while a build runs, and after one that failed
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
    pyc: int = 0  # modules compiled to bytecode this build
    runtime: str = ""
    state: dict = field(default_factory=dict, repr=False)  # what the next build compares against

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
        self.incomplete_path = cache_root / INCOMPLETE_FILE
        self.jobs = jobs or max(2, (os.cpu_count() or 2) * 2)
        self.strategy = strategy_for(self.jobs)
        self.dependency_step = DependencyStep(self.deps)
        self.code_step = CodeStep()
        self.bytecode_step = BytecodeStep()
        self.size_limit = size_limit
        self._echo = echo
        self._echo_lock = threading.Lock()

    def echo(self, line: str) -> None:
        # Artifacts build in threads: one line at a time, never interleaved.
        with self._echo_lock:
            self._echo(line)

    # -- the whole build -----------------------------------------------------------------
    def build(self) -> BuildReport:
        """Build every artifact; on any failure the build folder is marked as not current."""
        started = time.monotonic()
        state = self._load_state()
        if self.incomplete_path.exists():
            # The last build failed or was killed mid-way: its folders cannot be trusted.
            self.echo("build: the previous build did not finish; every artifact starts from an empty folder")
            state = {}
            (self.build_dir / "template.yaml").unlink(missing_ok=True)
        self.incomplete_path.parent.mkdir(parents=True, exist_ok=True)
        self.incomplete_path.write_text(f"pid {os.getpid()}\n", encoding="utf-8")
        try:
            report = self._build(state, started)
        except BaseException:
            # Never taken for current: sam package/deploy/local read the built template first.
            (self.build_dir / "template.yaml").unlink(missing_ok=True)
            raise
        self.incomplete_path.unlink()
        return report

    def _build(self, state: dict, started: float) -> BuildReport:
        template_md5 = f"{md5_file(self.template)}:{TEMPLATE_FORMAT}"
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
        results = self.strategy.run(plan.artifacts, lambda a: self._build_one(a, state.get(a.logical_id) or {}))
        for result, artifact in zip(results, plan.artifacts):
            state[artifact.logical_id] = result.state
        for stale in sorted(set(state) - known - {TEMPLATE_KEY}):  # an artifact gone from the template
            shutil.rmtree(self.build_dir / stale, ignore_errors=True)
            del state[stale]
        self._check_sizes(plan, results)
        stale_template = remembered.get("md5") != template_md5 or not built_template.exists()
        template_written = stale_template and self._write_template(plan)
        state[TEMPLATE_KEY] = {"md5": template_md5, "artifacts": [_artifact_state(a) for a in plan.artifacts]}
        self._save_state(state)
        report = BuildReport(
            results=results,
            template_written=template_written,
            seconds=time.monotonic() - started,
            installed_keys=len({r.state["deps_key"] for r in results if r.deps == "installed"}),
        )
        self._summarise(report)
        return report

    # -- one artifact ----------------------------------------------------------------------
    def _build_one(self, artifact: Artifact, previous: dict) -> ArtifactResult:
        started = time.monotonic()
        target = self.build_dir / artifact.logical_id
        if not artifact.source.is_dir():
            raise BuildError(f"{artifact.logical_id}: source folder {artifact.source} does not exist")
        fresh = not target.is_dir() or not previous
        if fresh and target.exists():
            shutil.rmtree(target)  # what a failed or unknown build left: never built upon
        deps = self.dependency_step.sync(artifact, target, previous, fresh=fresh)
        code = self.code_step.sync(artifact, target, previous, fresh=fresh)
        bytecode = self.bytecode_step.sync(artifact, target, deps.written + code.written, None if fresh else previous)
        size = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
        result = ArtifactResult(
            logical_id=artifact.logical_id,
            code=code.status,
            deps=deps.status,
            seconds=time.monotonic() - started,
            size=size,
            why=[why for why in (deps.why, code.why, bytecode.why) if why],
            state={**deps.state, **code.state, **bytecode.state, "size": size},
            pyc=bytecode.count,
            runtime=artifact.runtime,
        )
        self.echo(
            f"  {artifact.logical_id:<28} code: {result.code:<6}  deps: {result.deps:<9} "
            f"{size / 1e6:7.2f} MB  {result.seconds:5.2f} s"
        )
        return result

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
        from legwork.yamlcfn import dump_roundtrip, load_roundtrip  # not imported by a no-op build

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
        runtimes = sorted({r.runtime for r in changed if r.runtime})
        bytecode = []
        for runtime in runtimes:
            compiled = sum(r.pyc for r in changed if r.runtime == runtime)
            executable = interpreter_for(runtime)
            bytecode.append(f"{compiled} modules compiled to .pyc by {executable}" if executable else
                            f"no working {runtime} (on the PATH or from pyenv): shipped without .pyc "
                            "(each cold start compiles what it imports; install Python "
                            f"{runtime.removeprefix('python')} to ship them)")
        self.echo(
            f"build: {len(changed)} of {len(report.results)} artifacts rebuilt, pip ran for "
            f"{report.installed_keys} requirement set(s), {total / 1e6:.1f} MB in all, {report.seconds:.2f} s"
            + (f"\n  why: {reasons}" if reasons else "")
            + ("\n  template.yaml rewritten" if report.template_written else "")
            + "".join(f"\n  bytecode: {line}" for line in bytecode)
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
