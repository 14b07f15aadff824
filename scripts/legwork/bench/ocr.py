"""`python -m legwork bench ocr`: the receipt OCR, measured against the issue's targets.

1. **Accuracy and speed**: a set of receipts drawn here with known totals (English and
   Chinese, receipts and VAT invoices, tilted, sideways with EXIF, faded, large, low JPEG
   quality; `legwork.samples.receipt_set`), each read the way the OCR function reads it
   (photo checks, RapidOCR, the total rules) in one process: seconds per image (median,
   p95), the process's peak RSS, how many totals are exact (amount and currency).
2. **Package**: the OCR function with its layers, built by `legwork build` for the target
   (python3.12, arm64), against Lambda's unzipped limit.
3. **Cold start**: a fresh interpreter importing the engine from a build folder alone
   (python3.12 for this machine's architecture: the target's own cannot run here) and
   reading its first receipt, with the builder's .pyc and without them.

Figures only; nothing is asserted. Textract AnalyzeExpense, which this replaces, needs an
AWS account (and does not exist in AWS China): it is not measured here.

    $ python -m legwork bench ocr [--count 30]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from legwork import ROOT
from legwork.build import Builder
from legwork.build.builder import LAMBDA_UNZIPPED_LIMIT
from legwork.build.deps import DependencyCache
from legwork.build.steps import interpreter_for
from legwork.yamlcfn import dump_roundtrip, loads_roundtrip

OCR_PARTS = ("OcrFunction", "CommonLayer", "OcrLayer")
TARGETS = {"median": 2.5, "rss_mb": 1024, "spare_mb": 10, "cold": 3.0, "exact": 0.9}

READ_SET = r"""
import json, resource, sys, time
sys.path[:0] = json.loads(sys.argv[1])
from legwork.samples import receipt_set
from receipts import images, ocr, totals
rows = []
for sample in receipt_set(int(sys.argv[2])):
    data = sample.render()
    started, cpu = time.monotonic(), time.process_time()
    total = totals.extract_total(ocr.recognise(images.prepare(data).image), default_currency="EUR")
    seconds, cpu = time.monotonic() - started, time.process_time() - cpu
    got = (str(total.amount), total.currency) if total else (None, None)
    rows.append({"name": sample.name, "seconds": seconds, "cpu": cpu, "want": [sample.amount, sample.currency],
                 "got": got})
print(json.dumps({"rows": rows, "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""

COLD_START = r"""
import json, sys, time
started = time.monotonic()
sys.path[:0] = json.loads(sys.argv[1])
from receipts import images, ocr, totals
import rapidocr, onnxruntime, cv2, numpy, PIL.Image  # what the first photo needs, imported up front
ocr.engine()
imported = time.monotonic()
photo = images.prepare(open(sys.argv[2], "rb").read())
total = totals.extract_total(ocr.recognise(photo.image), default_currency="EUR")
done = time.monotonic()
print(json.dumps({"import": imported - started, "first": done - imported, "total": done - started,
                  "amount": str(total.amount) if total else None}))
"""


def ocr_template(merged_text: str, *, runtime: str, architecture: str):
    """The merged template cut down to the OCR function and its two layers, for `runtime`/`architecture`."""
    template = loads_roundtrip(merged_text)
    template["Resources"] = {lid: template["Resources"][lid] for lid in OCR_PARTS}
    template.pop("Outputs", None)
    function = template["Globals"]["Function"]
    function["Runtime"], function["Architectures"] = runtime, [architecture]
    for layer in ("CommonLayer", "OcrLayer"):
        template["Resources"][layer]["Metadata"]["BuildMethod"] = runtime
        template["Resources"][layer]["Metadata"]["BuildArchitecture"] = architecture
    return template


def build_ocr(folder: Path, merged_text: str, *, runtime: str, architecture: str,
              size_limit: int = LAMBDA_UNZIPPED_LIMIT) -> tuple[Path, dict[str, int]]:
    """Build the OCR function and its layers into `folder/build` (dependencies from `.legwork/deps`)."""
    path = folder / "template.yaml"
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_roundtrip(ocr_template(merged_text, runtime=runtime, architecture=architecture)),
                    encoding="utf-8")
    out = folder / "build"
    report = Builder(ROOT, path, build_dir=out, cache_dir=folder / "state", echo=lambda *_: None,
                     deps=DependencyCache(ROOT / ".legwork" / "deps"), size_limit=size_limit).build()
    return out, {r.logical_id: r.size for r in report.results}


def host_architecture() -> str:
    return {"x86_64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}[platform.machine()]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="legwork bench ocr", description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=30, help="receipts in the accuracy set")
    parser.add_argument("--cold-runs", type=int, default=3)
    args = parser.parse_args(argv)
    from legwork.merge import merge

    merged = merge(ROOT).template_text()
    load = os.getloadavg()[0]
    print(f"bench ocr: {args.count} receipts, {os.cpu_count()} cores (load {load:.1f}), "
          f"{platform.machine()}, Python {sys.version.split()[0]} (.venv)")

    # 1. accuracy and speed, one process as one warm Lambda instance
    paths = [str(ROOT / "scripts"), str(ROOT / "src" / "receipts"), str(ROOT / "layers" / "common")]
    proc = subprocess.run([sys.executable, "-c", READ_SET, json.dumps(paths), str(args.count)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        print(proc.stderr[-3000:], file=sys.stderr)
        return 1
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    rows = result["rows"]
    seconds = sorted(row["seconds"] for row in rows)
    exact = [row for row in rows if list(row["got"]) == row["want"]]
    median, p95 = statistics.median(seconds), seconds[min(len(seconds) - 1, round(0.95 * (len(seconds) - 1)))]
    rss_mb = result["rss_kb"] / 1024
    cpu_median = statistics.median(row["cpu"] for row in rows)
    for row in rows:
        if list(row["got"]) != row["want"]:
            print(f"  miss {row['name']:<28} want {' '.join(row['want'])}, got {row['got'][0]} {row['got'][1]}")

    with tempfile.TemporaryDirectory(prefix="legwork-bench-ocr-") as tmp:
        # 2. the package for the target
        _, sizes = build_ocr(Path(tmp) / "arm64", merged, runtime="python3.12", architecture="arm64",
                             size_limit=10**12)
        total = sum(sizes[part] for part in OCR_PARTS)
        spare_mb = (LAMBDA_UNZIPPED_LIMIT - total) / 1e6
        # 3. cold start from a build folder, natively
        python = interpreter_for("python3.12")
        cold = {}
        if python:
            out, _ = build_ocr(Path(tmp) / "host", merged, runtime="python3.12", architecture=host_architecture(),
                               size_limit=10**12)
            image = Path(tmp) / "receipt.jpg"
            from legwork.samples import render_receipt

            image.write_bytes(render_receipt(["FUEL STATION", "Diesel 40.2L  68.34", "TOTAL  68.34"]))
            folders = [str(out / "OcrFunction"), str(out / "CommonLayer/python"), str(out / "OcrLayer/python")]
            for label, extra in (("with .pyc", {}), ("without .pyc", {"PYTHONPYCACHEPREFIX": str(Path(tmp) / "nopyc")})):
                runs = []
                for _ in range(args.cold_runs):
                    env = {"PATH": os.environ["PATH"], **extra}
                    run = subprocess.run([python, "-I", "-S", "-B", "-c", COLD_START, json.dumps(folders), str(image)],
                                         capture_output=True, text=True, env=env)
                    if run.returncode == 0:
                        runs.append(json.loads(run.stdout.strip().splitlines()[-1]))
                if runs:
                    cold[label] = {k: statistics.median(r[k] for r in runs) for k in ("import", "first", "total")}

    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    print()
    print(f"  {'figure':<40} {'measured':>22} {'target':>14}")
    print(f"  {'seconds per image, median':<40} {median:>20.2f} s {'<= 2.5 s':>14}  {verdict(median <= TARGETS['median'])}")
    print(f"  {'seconds per image, p95':<40} {p95:>20.2f} s {'':>14}")
    print(f"  {'CPU seconds per image, median (all threads)':<40} {cpu_median:>20.2f} s {'':>14}")
    print(f"  {'peak RSS (reading the whole set)':<40} {rss_mb:>19.0f} MB {'< 1024 MB':>14}  {verdict(rss_mb < TARGETS['rss_mb'])}")
    print(f"  {'exact totals (amount and currency)':<40} {len(exact):>15} of {len(rows):<3} {'>= 9 in 10':>14}  "
          f"{verdict(len(exact) >= TARGETS['exact'] * len(rows))}")
    print(f"  {'arm64 package (function + 2 layers)':<40} {total / 1e6:>19.1f} MB {'':>14}")
    print(f"  {'  under the 262.1 MB unzipped limit by':<40} {spare_mb:>19.1f} MB {'>= 10 MB':>14}  "
          f"{verdict(spare_mb >= TARGETS['spare_mb'])}")
    for label, figures in cold.items():
        print(f"  {'cold start ' + label + ' (import + first)':<40} {figures['total']:>20.2f} s {'<= 3 s':>14}  "
              f"{verdict(figures['total'] <= TARGETS['cold'])}")
        print(f"  {'  of which import (and engine set-up)':<40} {figures['import']:>20.2f} s")
    if not cold:
        print("  cold start: no python3.12 on this machine (PATH or pyenv): not measured")
    print("  Textract AnalyzeExpense (what this replaces outside China): needs an AWS account; not measured")
    return 0
