"""The OCR function as Lambda gets it: built by our builder, with its layers, in SAM's layout.

- The real target (python3.12, arm64) fits Lambda's unzipped limit with room to spare,
  and carries aarch64 binaries only.
- The engine imports and runs from a build with the build folder alone on the path. That
  can only run natively: this machine builds the same function (python3.12, the same
  pins), with the same builder and the same package layout, for its own architecture,
  and runs it with a python3.12 and `-I -S` (no site-packages, no environment).

Both builds take their dependencies from the project's own cache (`.legwork/deps`, as
`make build` does): pip runs once per clone and requirement set, later runs relink.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from legwork.bench.ocr import OCR_PARTS, build_ocr, host_architecture
from legwork.build.builder import LAMBDA_UNZIPPED_LIMIT
from legwork.build.steps import interpreter_for
from legwork.samples import render_receipt

ROOT = Path(__file__).resolve().parents[3]
SPARE = 10 * 1024 * 1024  # the target: at least 10 MB below the limit


@pytest.fixture(scope="module")
def merged_text() -> str:
    from legwork.merge import merge

    return merge(ROOT).template_text()


def test_the_arm64_ocr_function_with_its_layers_fits_lambda_with_room_to_spare(merged_text: str, tmp_path: Path) -> None:
    out, sizes = build_ocr(tmp_path, merged_text, runtime="python3.12", architecture="arm64")
    total = sum(sizes[part] for part in OCR_PARTS)
    assert total <= LAMBDA_UNZIPPED_LIMIT - SPARE, f"{total:,} bytes: less than 10 MB under {LAMBDA_UNZIPPED_LIMIT:,}"
    layer = out / "OcrLayer" / "python"
    assert (layer / "rapidocr" / "models").is_dir() and list((layer / "rapidocr" / "models").glob("*.onnx"))
    assert not list((layer / "onnxruntime" / "capi").glob("libonnxruntime.so*"))
    assert [p.name for p in layer.glob("numpy-*.dist-info")] == ["numpy-2.5.5.dist-info"]  # the cp312 pin
    machines = set()
    for shared_object in layer.rglob("*.so*"):
        header = shared_object.read_bytes()[:20]
        if header[:4] == b"\x7fELF":
            machines.add(int.from_bytes(header[18:20], "little"))
    assert machines == {183}  # EM_AARCH64 only


ENGINE_CHECK = r"""
import json, sys, time
started = time.monotonic()
folders, image = json.loads(sys.argv[1]), sys.argv[2]
assert not [p for p in sys.path if "site-packages" in p], sys.path
sys.path[:0] = folders
import rapidocr, numpy, PIL
from receipts import images, ocr, totals
loaded = {m.__name__: m.__file__ for m in (rapidocr, numpy, PIL, images)}
photo = images.prepare(open(image, "rb").read())
total = totals.extract_total(ocr.recognise(photo.image), default_currency="EUR")
print(json.dumps({"amount": str(total.amount), "currency": total.currency, "files": loaded,
                  "seconds": time.monotonic() - started}))
"""


def test_the_engine_imports_and_runs_from_a_host_build_with_the_build_folder_alone_on_the_path(
        merged_text: str, tmp_path: Path) -> None:
    runtime = "python3.12"
    python = interpreter_for(runtime)
    if python is None:
        pytest.skip("needs a python3.12 (on the PATH or from pyenv) to run the Lambda runtime's build natively")
    # x86_64 is over Lambda's limit (314 MB): fine here, this build only proves the layout runs.
    out, _ = build_ocr(tmp_path, merged_text, runtime=runtime, architecture=host_architecture(), size_limit=10**12)
    image = tmp_path / "receipt.jpg"
    image.write_bytes(render_receipt(["FUEL STATION", "Diesel 40.2L  68.34", "TOTAL  68.34"]))
    folders = [str(out / "OcrFunction"), str(out / "CommonLayer" / "python"), str(out / "OcrLayer" / "python")]
    proc = subprocess.run([python, "-I", "-S", "-c", ENGINE_CHECK, json.dumps(folders), str(image)],
                          capture_output=True, text=True, cwd=str(tmp_path), env={"PATH": os.environ["PATH"]})
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert (result["amount"], result["currency"]) == ("68.34", "EUR")
    assert all(path.startswith(str(out)) for path in result["files"].values()), result["files"]
    # Compiled for the runtime by the builder: imports read .pyc, they compile nothing.
    assert (out / "OcrLayer/python/rapidocr/__pycache__/main.cpython-312.pyc").is_file()
