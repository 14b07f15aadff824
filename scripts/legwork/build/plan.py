"""What to build: the functions and layers of a merged template, with their settings.

    >>> plan = read_plan(Path("template.yaml"))
    >>> [(a.logical_id, a.kind, a.runtime, a.architecture) for a in plan.artifacts][:1]
    [('CommonLayer', 'layer', 'python3.12', 'arm64')]
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path


LAYER_BUILD_METHOD = re.compile(r"^python3\.\d+$")


@dataclass(frozen=True)
class Artifact:
    """One folder of `.aws-sam/build`: a function's code and deps, or a layer's `python/`."""

    logical_id: str
    kind: str  # "function" | "layer"
    source: Path
    runtime: str  # python3.12
    architecture: str  # arm64 | x86_64
    handler: str = ""
    layers: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @property
    def requirements(self) -> Path:
        return self.source / "requirements.txt"

    @property
    def python_version(self) -> str:
        return self.runtime.removeprefix("python")

    @property
    def prefix(self) -> str:
        """Where the code goes inside the artifact folder: layers put it under python/."""
        return "python" if self.kind == "layer" else ""


@dataclass
class Plan:
    template_path: Path
    artifacts: list[Artifact] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (logical id, why)


def read_plan(template_path: Path, root: Path | None = None) -> Plan:
    """Read the artifacts to build from a merged SAM template (Globals applied).

    Code paths are relative to `root`, the template's own folder unless given.
    """
    from legwork.yamlcfn import load  # ruamel.yaml: imported only when a template must be parsed

    template = load(template_path)
    root = (root or template_path.resolve().parent).resolve()
    plan = Plan(template_path=template_path)
    globals_fn = (template.get("Globals") or {}).get("Function") or {}
    for logical_id, resource in (template.get("Resources") or {}).items():
        rtype = resource.get("Type")
        props = resource.get("Properties") or {}
        metadata = resource.get("Metadata") or {}
        exclude = tuple(((metadata.get("Legwork") or {}).get("Exclude")) or ())
        if rtype == "AWS::Serverless::Function":
            runtime = props.get("Runtime", globals_fn.get("Runtime", ""))
            code_uri = props.get("CodeUri", globals_fn.get("CodeUri"))
            if props.get("PackageType") == "Image" or "InlineCode" in props:
                plan.skipped.append((logical_id, "image or inline code: nothing to build"))
                continue
            if not isinstance(runtime, str) or not runtime.startswith("python"):
                plan.skipped.append((logical_id, f"runtime {runtime!r}: this builder builds Python only"))
                continue
            if not isinstance(code_uri, str) or code_uri.startswith("s3://"):
                plan.skipped.append((logical_id, "CodeUri is not a local folder"))
                continue
            architectures = props.get("Architectures", globals_fn.get("Architectures")) or ["x86_64"]
            layers = [*(globals_fn.get("Layers") or []), *(props.get("Layers") or [])]
            plan.artifacts.append(
                Artifact(
                    logical_id=logical_id,
                    kind="function",
                    source=(root / code_uri).resolve(),
                    runtime=runtime,
                    architecture=str(architectures[0]),
                    handler=str(props.get("Handler", globals_fn.get("Handler", ""))),
                    layers=tuple(ref["Ref"] for ref in layers if isinstance(ref, dict) and "Ref" in ref),
                    exclude=exclude,
                )
            )
        elif rtype == "AWS::Serverless::LayerVersion":
            method = str(metadata.get("BuildMethod", ""))
            content_uri = props.get("ContentUri")
            if not LAYER_BUILD_METHOD.match(method) or not isinstance(content_uri, str):
                plan.skipped.append((logical_id, f"BuildMethod {method!r}: copied by sam as is, not built here"))
                continue
            plan.artifacts.append(
                Artifact(
                    logical_id=logical_id,
                    kind="layer",
                    source=(root / content_uri).resolve(),
                    runtime=method,
                    architecture=str(metadata.get("BuildArchitecture", "x86_64")),
                    exclude=exclude,
                )
            )
    return plan
