"""`make bench-build`: `make build` (what a user types) vs `sam build --cached --parallel`.

Both run in copies of this repository (the real tree is never touched), on the same
merged template: python3.12, arm64, as deployed. `sam build` needs a Python 3.12 on the
PATH; the bench finds one (PATH, then pyenv) and only when there is none rewrites the sam
copy's runtime to the local Python, saying so. `make build` runs with this checkout's
`.venv` linked into its copy, so what is timed is exactly the Make target: the venv
check, the merge (skipped when its inputs are unchanged) and the incremental build.
Scenarios, each the median of `--runs` runs:

  (a) clean build                 — no build folder, no caches, no merged template
  (b) no change                   — the same build again
  (c) one handler edited          — a line appended to one handler
  (d) one requirements.txt edited — a new requirement set for one resource
  (e) one swagger.yaml edited     — the merge must run again (`make build` only)

Figures only: nothing here asserts a time.
"""
from __future__ import annotations

import argparse
import glob
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from legwork import ROOT
from legwork.yamlcfn import dump_roundtrip, load_roundtrip

HANDLER = Path("src/auth/auth/handlers.py")
REQUIREMENTS = Path("src/routes/requirements.txt")
SWAGGER = Path("src/routes/swagger.yaml")
REQUIREMENT_VARIANTS = ("six==1.16.0", "six==1.15.0", "six==1.14.0", "six==1.13.0", "six==1.12.0",
                        "six==1.11.0", "six==1.10.0")
SCENARIOS = ("(a) clean build", "(b) no change", "(c) one handler edited",
             "(d) one requirements.txt edited", "(e) one swagger.yaml edited")
MAKE_BUILD, SAM_BUILD = "make build", "sam build --cached --parallel"


def _copy_tree(destination: Path) -> None:
    """Every file git would commit (tracked, or new and not ignored): the working state."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def python312() -> Path | None:
    """A Python 3.12 that runs: on the PATH, else the newest pyenv 3.12, else None."""
    candidates = [shutil.which("python3.12")]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += sorted(glob.glob(str(pyenv / "versions" / "3.12*" / "bin" / "python3.12")), reverse=True)
    for candidate in filter(None, candidates):
        probe = subprocess.run([candidate, "-c", "import sys; print(sys.executable)"], capture_output=True, text=True)
        if probe.returncode == 0:
            return Path(probe.stdout.strip())
    return None


def _local_python_template(path: Path) -> str:
    """Without a Python 3.12, sam build can only run for the local Python's version."""
    local = f"python{sys.version_info.major}.{sys.version_info.minor}"
    template = load_roundtrip(path)
    template["Globals"]["Function"]["Runtime"] = local
    for resource in template["Resources"].values():
        if resource.get("Type") == "AWS::Serverless::LayerVersion":
            resource["Metadata"]["BuildMethod"] = local
            resource["Properties"]["CompatibleRuntimes"] = [local]
    path.write_text(dump_roundtrip(template), encoding="utf-8")
    return local


class Tool:
    def __init__(self, name: str, tree: Path, command: list[str], clean_paths: tuple[str, ...],
                 env: dict[str, str]) -> None:
        self.name, self.tree, self.command, self.clean_paths, self.env = name, tree, command, clean_paths, env

    def clean(self) -> None:
        for relative in self.clean_paths:
            target = self.tree / relative
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()

    def run(self) -> tuple[float, str]:
        started = time.perf_counter()
        proc = subprocess.run(self.command, cwd=self.tree, capture_output=True, text=True, env=self.env)
        elapsed = time.perf_counter() - started
        if proc.returncode != 0:
            raise RuntimeError(f"{self.name} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
        return elapsed, proc.stdout + proc.stderr


def _tools(tmp: Path, sam_python: Path | None) -> tuple[Tool, Tool, str]:
    ours_tree, sam_tree = tmp / "legwork", tmp / "sam"
    for tree in (ours_tree, sam_tree):
        _copy_tree(tree)
    venv = ROOT / ".venv"
    (ours_tree / ".venv").symlink_to(venv, target_is_directory=True)
    base = {key: value for key, value in os.environ.items() if not key.startswith(("MAKE", "MFLAGS"))}
    base["SAM_CLI_TELEMETRY"] = "0"
    base.pop("PYTHONPATH", None)  # the copy's Makefile sets its own
    ours = Tool(MAKE_BUILD, ours_tree, ["make", "--no-print-directory", "build"],
                (".aws-sam", ".legwork", "template.yaml", "openapi.yaml"), base)
    # The same merged template for sam: merge once in the copy, then hand it over.
    merged = subprocess.run(["make", "--no-print-directory", "merge"], cwd=ours_tree, env=base, capture_output=True, text=True)
    if merged.returncode != 0:
        raise RuntimeError(f"make merge failed in the copy:\n{merged.stdout[-2000:]}\n{merged.stderr[-2000:]}")
    shutil.copy2(ours_tree / "template.yaml", sam_tree / "template.yaml")
    sam_env = dict(base)
    if sam_python is not None:
        sam_env["PATH"] = f"{sam_python.parent}{os.pathsep}{base.get('PATH', '')}"
        runtime = f"python3.12 from {sam_python}"
    else:
        runtime = f"{_local_python_template(sam_tree / 'template.yaml')} (no Python 3.12 found: sam's copy rewritten)"
    sam = Tool(SAM_BUILD, sam_tree, [str(venv / "bin" / "sam"), "build", "--cached", "--parallel"],
               (".aws-sam",), sam_env)
    return ours, sam, runtime


def _append(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as stream:
        stream.write(text)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="legwork bench build", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    if not (ROOT / ".venv" / "bin" / "sam").exists():
        print("bench build: run `make venv` first (sam comes from .venv)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="legwork-bench-build-") as tmp:
        ours, sam, runtime = _tools(Path(tmp), python312())
        functions = sum(1 for line in (ours.tree / "template.yaml").read_text().splitlines()
                        if line.strip() == "Type: AWS::Serverless::Function")
        print(f"bench build: {functions} functions and 1 layer, median of {args.runs} runs, {sys.platform}; "
              f"sam builds for {runtime}")
        timings: dict[str, dict[str, list[float]]] = {s: {MAKE_BUILD: [], SAM_BUILD: []} for s in SCENARIOS}
        merge_ran: dict[str, list[bool]] = {s: [] for s in SCENARIOS}
        pip_runs = []
        variants = iter(REQUIREMENT_VARIANTS * 4)

        def timed(scenario: str, tool: Tool) -> str:
            elapsed, output = tool.run()
            timings[scenario][tool.name].append(elapsed)
            if tool is ours:
                merge_ran[scenario].append("inputs unchanged" not in output)
            return output

        for run in range(args.runs):
            for tool in (ours, sam):
                tool.clean()
                timed(SCENARIOS[0], tool)
                timed(SCENARIOS[1], tool)
                _append(tool.tree / HANDLER, f"# bench edit {run}\n")
                timed(SCENARIOS[2], tool)
            requirement = next(variants)
            for tool in (ours, sam):
                (tool.tree / REQUIREMENTS).write_text(f"{requirement}\n", encoding="utf-8")
                output = timed(SCENARIOS[3], tool)
                if tool is ours:
                    pip_runs.append(output.count("deps: installed"))
            _append(ours.tree / SWAGGER, f"# bench edit {run}\n")
            timed(SCENARIOS[4], ours)
        no_op = statistics.median(timings[SCENARIOS[1]][MAKE_BUILD])
        print(f"\n{'scenario':<34}{MAKE_BUILD:>14}{SAM_BUILD:>32}{'speed-up':>11}   merge ran")
        for scenario in SCENARIOS:
            a = statistics.median(timings[scenario][MAKE_BUILD])
            ran = "yes" if all(merge_ran[scenario]) else "no" if not any(merge_ran[scenario]) else "sometimes"
            if timings[scenario][SAM_BUILD]:
                b = statistics.median(timings[scenario][SAM_BUILD])
                print(f"{scenario:<34}{a:>12.2f} s{b:>30.2f} s{b / a:>10.1f}×   {ran}")
            else:
                print(f"{scenario:<34}{a:>12.2f} s{'(template unchanged for sam)':>32}{'':>11}   {ran}")
        gate = ours.env | {}
        parts = {}
        for label, command in (("merge (gated, no-op)", ["make", "--no-print-directory", "merge"]),
                               ("builder alone (no-op)", [str(ROOT / ".venv" / "bin" / "python"), "-m", "legwork", "build"])):
            samples = []
            for _ in range(max(3, args.runs)):
                started = time.perf_counter()
                subprocess.run(command, cwd=ours.tree, env=gate | {"PYTHONPATH": str(ours.tree / "scripts")},
                               capture_output=True, check=True)
                samples.append(time.perf_counter() - started)
            parts[label] = statistics.median(samples)
        print(f"\nno-op make build {no_op:.2f} s, of which: "
              + ", ".join(f"{label} {seconds:.3f} s" for label, seconds in parts.items()))
        print(f"(d) pip installs per run: {pip_runs} "
              f"(one requirement set changed; the artifacts sharing it are installed once, linked into each)")
    return 0
