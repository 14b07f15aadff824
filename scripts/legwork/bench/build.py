"""`make bench-build`: Legwork's builder vs `sam build --cached --parallel`, side by side.

Both build copies of this repository (the real tree is never touched) from the merged
template; for `sam build` the copy's runtime is set to the local Python so it can run at
all without Docker. Scenarios, each the median of `--runs` runs:

  (a) clean build        — no build folder, no caches
  (b) no change          — the same build again
  (c) one handler edited — a line appended to one handler
  (d) one requirements.txt edited — a new requirement set for one resource

Figures only: nothing here asserts a time.
"""
from __future__ import annotations

import argparse
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
REQUIREMENT_VARIANTS = ("six==1.16.0", "six==1.15.0", "six==1.14.0", "six==1.13.0", "six==1.12.0",
                        "six==1.11.0", "six==1.10.0")


def _copy_tree(destination: Path) -> None:
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    shutil.copy2(ROOT / "template.yaml", destination / "template.yaml")


def _local_python_template(path: Path) -> None:
    """sam build needs a Python of the runtime's version on the PATH: use the local one."""
    local = f"python{sys.version_info.major}.{sys.version_info.minor}"
    template = load_roundtrip(path)
    template["Globals"]["Function"]["Runtime"] = local
    for resource in template["Resources"].values():
        if resource.get("Type") == "AWS::Serverless::LayerVersion":
            resource["Metadata"]["BuildMethod"] = local
            resource["Properties"]["CompatibleRuntimes"] = [local]
    path.write_text(dump_roundtrip(template), encoding="utf-8")


class Tool:
    def __init__(self, name: str, tree: Path, command: list[str], clean_paths: tuple[str, ...]) -> None:
        self.name, self.tree, self.command, self.clean_paths = name, tree, command, clean_paths

    def clean(self) -> None:
        for relative in self.clean_paths:
            shutil.rmtree(self.tree / relative, ignore_errors=True)

    def run(self) -> tuple[float, str]:
        started = time.perf_counter()
        proc = subprocess.run(self.command, cwd=self.tree, capture_output=True, text=True,
                              env={**_env(), "SAM_CLI_TELEMETRY": "0"})
        elapsed = time.perf_counter() - started
        if proc.returncode != 0:
            raise RuntimeError(f"{self.name} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
        return elapsed, proc.stdout + proc.stderr


def _env() -> dict[str, str]:
    import os

    return {**os.environ, "PYTHONPATH": str(ROOT / "scripts")}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="legwork bench build", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    if not (ROOT / "template.yaml").exists():
        print("bench build: run `make merge` first", file=sys.stderr)
        return 1
    bindir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory(prefix="legwork-bench-build-") as tmp:
        ours_tree, sam_tree = Path(tmp) / "legwork", Path(tmp) / "sam"
        for tree in (ours_tree, sam_tree):
            _copy_tree(tree)
        _local_python_template(sam_tree / "template.yaml")
        tools = [
            Tool("legwork build", ours_tree, [sys.executable, "-m", "legwork", "build", "--template", str(ours_tree / "template.yaml")],
                 (".aws-sam", ".legwork")),
            Tool("sam build --cached --parallel", sam_tree,
                 [str(bindir / "sam"), "build", "--cached", "--parallel"], (".aws-sam",)),
        ]
        functions = sum(1 for line in (ROOT / "template.yaml").read_text().splitlines()
                        if line.strip() == "Type: AWS::Serverless::Function")
        print(f"bench build: {functions} functions and 1 layer, median of {args.runs} runs, "
              f"{sys.platform}, Python {sys.version.split()[0]}")
        rows = []
        pip_runs = {}
        variants = iter(REQUIREMENT_VARIANTS * 4)
        scenarios = ("(a) clean build", "(b) no change", "(c) one handler edited", "(d) one requirements.txt edited")
        timings: dict[str, dict[str, list[float]]] = {s: {t.name: [] for t in tools} for s in scenarios}
        for run in range(args.runs):
            for tool in tools:
                tool.clean()
                timings[scenarios[0]][tool.name].append(tool.run()[0])
                timings[scenarios[1]][tool.name].append(tool.run()[0])
                with open(tool.tree / HANDLER, "a", encoding="utf-8") as handler:
                    handler.write(f"# bench edit {run}\n")
                timings[scenarios[2]][tool.name].append(tool.run()[0])
            requirement = next(variants)
            for tool in tools:
                (tool.tree / REQUIREMENTS).write_text(f"{requirement}\n", encoding="utf-8")
                elapsed, output = tool.run()
                timings[scenarios[3]][tool.name].append(elapsed)
                if tool.name == "legwork build":
                    pip_runs[run] = output.count("deps: installed")
        ours, sam = tools[0].name, tools[1].name
        print(f"\n{'scenario':<34}{ours:>16}{sam:>32}{'speed-up':>11}")
        for scenario in scenarios:
            a = statistics.median(timings[scenario][ours])
            b = statistics.median(timings[scenario][sam])
            rows.append((scenario, a, b))
            print(f"{scenario:<34}{a:>14.2f} s{b:>30.2f} s{b / a:>10.1f}×")
        print(f"\n(d) pip installs per run: {list(pip_runs.values())} "
              f"(one requirement set changed; the artifacts sharing it are installed once, linked into each)")
    return 0
