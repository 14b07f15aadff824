"""`make pipeline REGION=… REPO=…`: deploy the CI/CD stack (pipeline/template.yaml).

One stack per account and region, `legwork-pipeline`: the CodeBuild project that the
Jenkinsfile starts, its least-privilege roles, an artifacts bucket and a log group. Plain
CloudFormation (no transform, no local artifacts), deployed with the same `sam deploy`
as the application, so it works in AWS China as it does elsewhere.

    >>> pipeline_command(region="cn-north-1", repo="https://git.example.com/legwork.git")[:3]
    ['…/sam', 'deploy', '--template-file']
"""
from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

from legwork import ROOT
from legwork.deploy import print_outputs, stack_outputs

TEMPLATE = ROOT / "pipeline" / "template.yaml"
STACK = "legwork-pipeline"


def pipeline_command(*, region: str, repo: str, source_type: str = "", project: str = "") -> list[str]:
    """The `sam deploy` call for the pipeline stack."""
    overrides = [f"RepositoryUrl={repo}"]
    if source_type:
        overrides.append(f"SourceType={source_type}")
    if project:
        overrides.append(f"ProjectName={project}")
    return [
        str(Path(sys.executable).parent / "sam"), "deploy",
        "--template-file", str(TEMPLATE),
        "--stack-name", STACK,
        "--region", region,
        "--capabilities", "CAPABILITY_IAM",
        "--parameter-overrides", *overrides,
        "--no-confirm-changeset", "--no-fail-on-empty-changeset",
    ]


def make_targets(makefile: Path = ROOT / "Makefile") -> set[str]:
    """Every target the Makefile defines, as make itself reads it (`make -pRrq`)."""
    proc = subprocess.run(["make", "-pRrq", "-f", str(makefile), ":"], cwd=makefile.parent,
                          capture_output=True, text=True)
    return {m.group(1) for m in re.finditer(r"^([A-Za-z0-9][A-Za-z0-9_.-]*):(?!=)", proc.stdout, re.M)}


GUARD = re.compile(r"CODEBUILD_BUILD_SUCCEEDING\W+(?:=|==|-eq)\W*1")


def buildspec_problems(buildspec: dict[str, Any], targets: set[str]) -> list[str]:
    """What is wrong with a buildspec: a command that is not `make <existing target>`, and
    a deploy that can run after failed tests.

    CodeBuild runs `post_build` even when `build` failed (CODEBUILD_BUILD_SUCCEEDING=0),
    so a deploy there needs that guard; in `build` it must come after `make test`, with
    the phase aborting on the first failure (the default).
    """
    problems = []
    tested = False
    for phase_name, phase in (buildspec.get("phases") or {}).items():
        phase = phase or {}
        for command in phase.get("commands") or []:
            guarded = GUARD.search(command) is not None
            words = shlex.split(command.split("&&")[-1] if guarded else command)
            makes = [i for i, w in enumerate(words) if w == "make"]
            if not makes:
                problems.append(f"phases.{phase_name}: {command!r} is not a Make target (run the same target as a laptop)")
                continue
            for index in makes:
                goals = [w for w in words[index + 1:] if "=" not in w and not w.startswith("-")]
                for goal in goals or ["<none>"]:
                    if goal not in targets:
                        problems.append(f"phases.{phase_name}: {command!r}: the Makefile has no target {goal!r}")
                if "test" in goals and phase_name == "build":
                    tested = True
                if "deploy" in goals:
                    if phase_name == "build":
                        if not tested:
                            problems.append(f"phases.build: {command!r} deploys before `make test`")
                        if str(phase.get("on-failure", "ABORT")).upper() != "ABORT":
                            problems.append("phases.build: on-failure must be ABORT when the build phase deploys")
                    elif phase_name == "post_build":
                        if not guarded:
                            problems.append(
                                f"phases.post_build: {command!r} runs even when the tests failed: "
                                "check CODEBUILD_BUILD_SUCCEEDING = 1 or deploy in the build phase"
                            )
                    else:
                        problems.append(f"phases.{phase_name}: {command!r} deploys before the tests ran")
    return problems


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="legwork pipeline", description=__doc__.split("\n")[0])
    parser.add_argument("--region", required=True)
    parser.add_argument("--repo", default="", help="HTTPS clone URL of the repository CodeBuild builds")
    parser.add_argument("--source-type", default="", help="GITHUB (default), GITHUB_ENTERPRISE, BITBUCKET, GITLAB, CODECOMMIT")
    parser.add_argument("--project", default="", help="CodeBuild project name (default legwork-build)")
    args = parser.parse_args(argv)
    if not args.repo.startswith("https://"):
        print("pipeline: give the repository's HTTPS clone URL: make pipeline REGION=... REPO=https://...",
              file=sys.stderr)
        return 2
    command = pipeline_command(region=args.region, repo=args.repo, source_type=args.source_type, project=args.project)
    print("pipeline:", " ".join(command), flush=True)
    code = subprocess.call(command, cwd=ROOT)
    if code == 0:
        import boto3

        print_outputs(stack_outputs(boto3.client("cloudformation", region_name=args.region), STACK))
    return code
