"""`make lint`: the real tools on the merged template, for both partitions.

0. every YAML fragment (templates/, swagger/, src/*/) parsed strictly: a duplicate key or
   a key with a null value is refused with its file and line (an unquoted comma in a
   flow mapping, `{description: in metres, rounded}`, makes such a key), and the
   generated `openapi.yaml` and the template's inline OpenAPI body checked with
   openapi-spec-validator (OpenAPI 3.0);
1. `cfn-lint` on `template.yaml` for us-east-1, cn-north-1 and cn-northwest-1;
2. the SAM translation (`samtranslator`, offline) for `aws` and `aws-cn`, and `cfn-lint`
   on each — cfn-lint no longer expands SAM itself, so this is where it sees the real
   IAM roles, permissions and event source mappings;
3. `sam validate --lint`;
4. `checkov --framework cloudformation` on the translated template (it does not read
   a SAM function's inline policies);
5. the pipeline stack (`pipeline/template.yaml`, plain CloudFormation): the merge's
   refusals (references, partition strings, China types), `cfn-lint` for the three
   regions, `checkov`.

Zero errors and zero warnings is the bar; a checkov skip needs a written reason in the
resource's `Metadata.checkov.skip`.

    >>> translated = translate(load(Path("template.yaml")), region="cn-north-1")
    >>> translated["Resources"]["LoginFunctionRole"]["Type"]
    'AWS::IAM::Role'
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from legwork import ROOT
from legwork.yamlcfn import load

FRAGMENT_GLOBS = ("templates/**/*.yaml", "swagger/**/*.yaml", "src/*/*.yaml", "pipeline/**/*.yaml")
REGIONS = {"aws": ("us-east-1",), "aws-cn": ("cn-north-1", "cn-northwest-1")}
PIPELINE_TEMPLATE = ROOT / "pipeline" / "template.yaml"
PLACEHOLDER_BUCKET = "s3://legwork-lint-placeholder"


def fragment_files(root: Path = ROOT) -> list[Path]:
    """Every hand-written YAML fragment the merge (or `make pipeline`) reads."""
    return sorted({path for pattern in FRAGMENT_GLOBS for path in root.glob(pattern) if path.is_file()})


def fragment_problems(path: Path, root: Path = ROOT) -> list[str]:
    """`file:line: problem` for each duplicate key and each key whose value is null.

    A null value is never meant in a template or an OpenAPI fragment: write `{}`, `[]`
    or `""` where empty is meant. It is almost always a flow mapping split by a comma:

        >>> fragment_problems(Path("src/x/swagger.yaml"))  # `{type: number, description: a, b}`
        ['src/x/swagger.yaml:12: key "b}" ... has no value ...']
    """
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.constructor import DuplicateKeyError
    from ruamel.yaml.error import MarkedYAMLError

    from legwork.yamlcfn import load_roundtrip

    try:
        name = str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        name = str(path)
    try:
        data = load_roundtrip(path)
    except DuplicateKeyError as exc:
        return [f"{name}:{exc.problem_mark.line + 1}: {exc.problem} (a key is written twice in one mapping)"]
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return [f"{name}:{mark.line + 1 if mark else '?'}: not valid YAML: {exc.problem or exc.context}"]
    problems = []

    def walk(node: Any, trail: str) -> None:
        if isinstance(node, CommentedMap):
            for key, value in node.items():
                here = f"{trail}.{key}" if trail else str(key)
                if value is None:
                    line = node.lc.key(key)[0] + 1
                    problems.append(
                        f"{name}:{line}: key {str(key)!r} (at {here}) has no value: if it came from a flow mapping "
                        "{a: b, c}, quote the text with the comma; where empty is meant, write {}, [] or \"\""
                    )
                walk(value, here)
        elif isinstance(node, CommentedSeq):
            for index, item in enumerate(node):
                walk(item, f"{trail}[{index}]")

    walk(data, "")
    return problems


def openapi_problems(document: dict) -> list[str]:
    """What openapi-spec-validator (OpenAPI 3.0) finds wrong, one line per error.

    Each error is reported at its deepest cause (a `oneOf` over "schema or $ref" would
    otherwise only say that the whole schema is wrong).
    """
    import os

    from openapi_spec_validator import OpenAPIV30SpecValidator

    # The Python backend: with jsonschema-rs installed (schemathesis brings it) the validator
    # would switch to it by itself, and its errors carry no causes to find the deepest of.
    os.environ["OPENAPI_SPEC_VALIDATOR_SCHEMA_VALIDATOR_BACKEND"] = "jsonschema"

    def deepest(error: Any) -> Any:
        causes = list(error.context or [])
        if not causes:
            return error
        return max((deepest(cause) for cause in causes), key=lambda e: len(e.absolute_path))

    problems = []
    for error in OpenAPIV30SpecValidator(document).iter_errors():
        cause = deepest(error)
        where = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in cause.absolute_path)
        problems.append(f"{where}: {cause.message[:300]}")
    return problems


def _check(label: str, problems: list[str]) -> bool:
    print(f"lint: {label:<44} {'ok' if not problems else 'FAILED'}")
    for problem in problems:
        print("    " + problem)
    return not problems


def translate(template: dict, *, region: str) -> dict:
    """Expand SAM into plain CloudFormation offline, as CloudFormation would in `region`.

    Local `CodeUri`/`ContentUri` paths become `s3://` placeholders (the translator accepts
    nothing else); everything else is what `sam deploy` would send.
    """
    import logging

    import boto3
    from samtranslator.parser import parser

    logging.getLogger("samtranslator").setLevel(logging.ERROR)  # feature-toggle and metrics chatter
    from samtranslator.translator.translator import Translator

    template = copy.deepcopy(template)
    for name, resource in template.get("Resources", {}).items():
        props = resource.get("Properties") or {}
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str) and not props[key].startswith("s3://"):
                props[key] = f"{PLACEHOLDER_BUCKET}/{name}.zip"
    session = boto3.Session(region_name=region, aws_access_key_id="lint", aws_secret_access_key="lint")
    translator = Translator(managed_policy_map=None, sam_parser=parser.Parser(), plugins=[], boto_session=session)
    translated = translator.translate(sam_template=template, parameter_values={}, get_managed_policy_map=lambda: {})
    apply_checkov_skips(template, translated)
    return translated


def apply_checkov_skips(template: dict, translated: dict) -> None:
    """Carry checkov skips onto the CloudFormation resources SAM generated.

    Two sources, both written in the template with a reason: the template's
    `Metadata.checkov.skip-by-type` (a skip for every resource of a type) and a SAM
    resource's own `Metadata.checkov.skip`, which SAM does not copy to what it generates
    (an API's Stage, a function's Role). Generated resources are found by SAM's naming:
    their logical IDs start with the SAM resource's.
    """
    by_type = ((template.get("Metadata") or {}).get("checkov") or {}).get("skip-by-type") or {}
    sources = template.get("Resources", {})
    out = translated.get("Resources", {})
    for name, resource in sources.items():
        skips = list(by_type.get(resource.get("Type"), []))
        skips += ((resource.get("Metadata") or {}).get("checkov") or {}).get("skip") or []
        if not skips:
            continue
        for generated_name, generated in out.items():
            if generated_name == name or (
                generated_name.startswith(name) and generated_name[len(name):][:1].isupper()
                and generated_name not in sources
            ):
                metadata = generated.setdefault("Metadata", {}).setdefault("checkov", {}).setdefault("skip", [])
                for skip in skips:
                    if skip["id"] not in {s["id"] for s in metadata}:
                        metadata.append(dict(skip))


def _run(label: str, command: list[str], env: dict[str, str] | None = None) -> bool:
    started = time.monotonic()
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env={**os.environ, **(env or {})})
    elapsed = time.monotonic() - started
    ok = proc.returncode == 0
    print(f"lint: {label:<44} {'ok' if ok else 'FAILED'} ({elapsed:.1f} s)")
    if not ok:
        output = (proc.stdout + proc.stderr).strip()
        print("\n".join("    " + line for line in output.splitlines()[-80:]))
    return ok


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="legwork lint", description="cfn-lint, sam validate and checkov")
    parser.add_argument("--template", type=Path, default=ROOT / "template.yaml")
    parser.add_argument("--checkov", default=None, help="path of the checkov executable (its own venv)")
    args = parser.parse_args(argv)

    bindir = Path(sys.executable).parent
    out = ROOT / ".legwork" / "lint"
    out.mkdir(parents=True, exist_ok=True)
    template = load(args.template)
    results = []

    fragments = fragment_files(ROOT)
    results.append(_check(f"YAML fragments ({len(fragments)} files)",
                          [p for path in fragments for p in fragment_problems(path, ROOT)]))
    openapi_path = args.template.parent / "openapi.yaml"
    if openapi_path.exists():
        results.append(_check("openapi.yaml (OpenAPI 3.0)", openapi_problems(load(openapi_path))))
    for name, resource in template.get("Resources", {}).items():
        body = (resource.get("Properties") or {}).get("DefinitionBody")
        if resource.get("Type") == "AWS::Serverless::Api" and isinstance(body, dict):
            results.append(_check(f"{name} DefinitionBody (OpenAPI 3.0)", openapi_problems(body)))

    all_regions = [r for regions in REGIONS.values() for r in regions]
    results.append(
        _run(f"cfn-lint template.yaml ({', '.join(all_regions)})",
             [str(bindir / "cfn-lint"), "--regions", *all_regions, "--", str(args.template)])
    )
    translated_files = {}
    for partition, regions in REGIONS.items():
        try:
            translated = translate(template, region=regions[0])
        except Exception as exc:  # the translator's own errors say what is wrong
            print(f"lint: SAM translation for {partition:<29} FAILED\n    {exc}")
            results.append(False)
            continue
        path = out / f"translated-{partition}.json"
        path.write_text(json.dumps(translated, indent=1, sort_keys=True), encoding="utf-8")
        translated_files[partition] = path
        results.append(
            _run(f"cfn-lint translated ({partition}: {', '.join(regions)})",
                 [str(bindir / "cfn-lint"), "--regions", *regions, "--", str(path)])
        )
    results.append(
        _run("sam validate --lint", [str(bindir / "sam"), "validate", "--lint", "--template", str(args.template),
                                     "--region", "us-east-1"], env={"SAM_CLI_TELEMETRY": "0"})
    )
    pipeline_files = {}
    if PIPELINE_TEMPLATE.exists():
        from legwork.merge import MergeError, check_template

        try:
            check_template(PIPELINE_TEMPLATE, ROOT)
            refusals = []
        except MergeError as exc:
            refusals = [str(exc)]
        results.append(_check("pipeline/template.yaml (merge's refusals)", refusals))
        results.append(
            _run(f"cfn-lint pipeline/template.yaml ({', '.join(all_regions)})",
                 [str(bindir / "cfn-lint"), "--regions", *all_regions, "--", str(PIPELINE_TEMPLATE)])
        )
        pipeline_files["pipeline"] = PIPELINE_TEMPLATE
    if args.checkov:
        for partition, path in {**translated_files, **pipeline_files}.items():
            results.append(
                _run(
                    f"checkov translated ({partition})" if partition != "pipeline" else "checkov pipeline/template.yaml",
                    [args.checkov, "--framework", "cloudformation", "--skip-download", "--quiet", "--compact",
                     "-f", str(path)],
                    env={"CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "BC_SKIP_MAPPING": "TRUE", "LOG_LEVEL": "ERROR"},
                )
            )
    else:
        print("lint: checkov                                       skipped (no --checkov given)")
    failed = results.count(False)
    print(f"lint: {len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0
