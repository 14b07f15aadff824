"""The incremental builder: `.aws-sam/build` as `sam build` writes it, rewritten only where needed.

Real pip against the package index, with small requirement sets, in temporary trees.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from legwork.build import Builder, BuildError, DependencyError
from legwork.build.deps import DependencyCache, platform_tags, trim
from legwork.yamlcfn import load

TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    Architectures: [x86_64]
    Layers:
      - !Ref SharedLayer
Resources:
  SharedLayer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layer
      CompatibleRuntimes: [python3.12]
    Metadata:
      BuildMethod: python3.12
      BuildArchitecture: x86_64
  AlphaFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/alpha
      Handler: alpha.handlers.handle
  BetaFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/beta
      Handler: beta.handlers.handle
  GammaFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/gamma
      Handler: gamma.handlers.handle
      Architectures: [arm64]
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def make_app(root: Path) -> Path:
    write(root / "template.yaml", TEMPLATE)
    for name in ("alpha", "beta", "gamma"):
        write(root / f"src/{name}/{name}/__init__.py", "")
        write(root / f"src/{name}/{name}/handlers.py", f"import six\n\ndef handle(event, context):\n    return '{name}'\n")
        write(root / f"src/{name}/template.yaml", "Resources: {}\n")  # describes, never runs
        write(root / f"src/{name}/{name}/__pycache__/handlers.cpython-311.pyc", "junk")
    write(root / "src/alpha/requirements.txt", "six==1.16.0\n")
    write(root / "src/beta/requirements.txt", "# the same set as alpha\nsix==1.16.0\n")
    write(root / "src/gamma/requirements.txt", "six==1.16.0\nMarkupSafe==2.1.5\n")
    write(root / "layer/shared/__init__.py", "VALUE = 42\n")
    write(root / "layer/requirements.txt", "# nothing beyond the code\n")
    return root


@pytest.fixture(scope="module")
def deps_cache(tmp_path_factory) -> DependencyCache:
    """One dependency cache for the module: keys already installed are reused across tests."""
    return DependencyCache(tmp_path_factory.mktemp("deps"))


@pytest.fixture
def app(tmp_path: Path) -> Path:
    return make_app(tmp_path / "app")


def builder(root: Path, deps: DependencyCache, **kwargs) -> Builder:
    return Builder(root, root / "template.yaml", deps=deps, echo=lambda *_: None, **kwargs)


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.stat().st_ino)
        for p in folder.rglob("*") if p.is_file()
    }


def test_the_build_has_sam_builds_layout_and_handlers_import(app: Path, deps_cache: DependencyCache) -> None:
    builder(app, deps_cache).build()
    build = app / ".aws-sam" / "build"
    template = load(build / "template.yaml")
    resources = template["Resources"]
    assert resources["SharedLayer"]["Properties"]["ContentUri"] == "SharedLayer"
    assert resources["SharedLayer"]["Metadata"] == {"BuildMethod": "python3.12", "BuildArchitecture": "x86_64",
                                                    "SamResourceId": "SharedLayer"}
    assert resources["AlphaFunction"]["Metadata"] == {"SamResourceId": "AlphaFunction"}
    assert template["Globals"]["Function"]["Runtime"] == "python3.12"  # Globals stay for SAM to apply
    assert (build / "SharedLayer" / "python" / "shared" / "__init__.py").is_file()
    for name in ("Alpha", "Beta", "Gamma"):
        code_uri = resources[f"{name}Function"]["Properties"]["CodeUri"]
        assert (build / code_uri).is_dir()
    # Bytecode only for the target runtime (compiled when a python3.12 is on this machine).
    assert all(p.name.endswith(".cpython-312.pyc") for p in build.rglob("*.pyc"))
    assert not list(build.rglob("template.yaml"))[1:]
    assert not (build / "AlphaFunction" / "requirements.txt").exists()
    # The handler module imports from its artifact folder, with its layer on the path, as in Lambda.
    check = (
        "import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]; "
        "import importlib; m = importlib.import_module('alpha.handlers'); import shared; "
        "assert m.handle(None, None) == 'alpha' and shared.VALUE == 42"
    )
    subprocess.run([sys.executable, "-c", check, str(build / "AlphaFunction"), str(build / "SharedLayer" / "python")],
                   check=True, cwd="/")


def test_a_build_where_nothing_changed_rewrites_no_file(app: Path, deps_cache: DependencyCache) -> None:
    builder(app, deps_cache).build()
    before = snapshot(app / ".aws-sam")
    state_before = snapshot(app / ".legwork")
    report = builder(app, deps_cache).build()
    assert report.changed == [] and not report.template_written
    assert snapshot(app / ".aws-sam") == before
    assert snapshot(app / ".legwork") == state_before


def test_a_code_edit_rewrites_only_that_artifact_and_deleted_files_disappear(app: Path, deps_cache: DependencyCache) -> None:
    builder(app, deps_cache).build()
    build = app / ".aws-sam" / "build"
    write(app / "src/alpha/alpha/extra.py", "X = 1\n")
    builder(app, deps_cache).build()
    before = {name: snapshot(build / name) for name in ("BetaFunction", "GammaFunction", "SharedLayer")}
    handler = app / "src/alpha/alpha/handlers.py"
    handler.write_text(handler.read_text().replace("'alpha'", "'alpha v2'"))
    (app / "src/alpha/alpha/extra.py").unlink()
    report = builder(app, deps_cache).build()
    assert [r.logical_id for r in report.changed] == ["AlphaFunction"]
    assert "alpha v2" in (build / "AlphaFunction/alpha/handlers.py").read_text()
    assert not (build / "AlphaFunction/alpha/extra.py").exists()
    assert (build / "AlphaFunction/six.py").exists()  # its dependencies stay
    assert {name: snapshot(build / name) for name in before} == before


def test_a_requirements_edit_reinstalls_only_that_key(app: Path, deps_cache: DependencyCache) -> None:
    builder(app, deps_cache).build()
    write(app / "src/gamma/requirements.txt", "six==1.16.0\nMarkupSafe==2.1.4\n")
    report = builder(app, deps_cache).build()
    by_id = {r.logical_id: r for r in report.results}
    assert by_id["GammaFunction"].deps == "installed" and report.installed_keys == 1
    assert {by_id[n].deps for n in ("AlphaFunction", "BetaFunction")} == {"cached"}
    assert [r.logical_id for r in report.changed] == ["GammaFunction"]
    assert list((app / ".aws-sam/build/GammaFunction").glob("MarkupSafe-2.1.4.dist-info"))
    assert not list((app / ".aws-sam/build/GammaFunction").glob("MarkupSafe-2.1.5.dist-info"))


def test_functions_with_the_same_requirements_share_one_install(app: Path, tmp_path: Path) -> None:
    fresh = DependencyCache(tmp_path / "fresh-deps")
    report = builder(app, fresh).build()
    entries = [p for p in (tmp_path / "fresh-deps").iterdir() if p.is_dir()]
    assert len(entries) == 2  # {six} for alpha and beta (comments aside), {six, MarkupSafe} for gamma
    assert report.installed_keys == 2
    alpha = app / ".aws-sam/build/AlphaFunction/six.py"
    beta = app / ".aws-sam/build/BetaFunction/six.py"
    assert alpha.stat().st_ino == beta.stat().st_ino  # hard links to the one cached install


def test_an_arm64_function_gets_aarch64_shared_objects(app: Path, deps_cache: DependencyCache) -> None:
    builder(app, deps_cache).build()
    objects = list((app / ".aws-sam/build/GammaFunction/markupsafe").glob("*.so"))
    assert objects, "MarkupSafe's compiled speedups should be there"
    for shared_object in objects:
        assert "aarch64" in shared_object.name
        header = shared_object.read_bytes()[:20]
        assert header[:4] == b"\x7fELF" and int.from_bytes(header[18:20], "little") == 183  # EM_AARCH64


def test_a_package_without_a_wheel_for_the_target_fails_naming_it(app: Path, deps_cache: DependencyCache) -> None:
    write(app / "src/beta/requirements.txt", "pycrypto==2.6.1\n")  # an sdist only: never built for Lambda here
    with pytest.raises(DependencyError) as info:
        builder(app, deps_cache).build()
    message = str(info.value)
    assert "pycrypto" in message and "no wheel for python3.12 on x86_64" in message
    assert "Nothing was installed for another platform" in message


def test_a_function_over_the_unzipped_limit_fails_naming_the_largest_packages(app: Path, deps_cache: DependencyCache) -> None:
    with pytest.raises(BuildError) as info:
        builder(app, deps_cache, size_limit=20_000).build()
    message = str(info.value)
    assert message.startswith("AlphaFunction: ") and "over Lambda's 20,000" in message
    assert "Largest: AlphaFunction/" in message and "AlphaFunction/six.py 34.5 kB" in message


def test_platform_tags_cover_amazon_linux_2023() -> None:
    tags = platform_tags("python3.12", "arm64")
    assert "manylinux_2_34_aarch64" in tags and "manylinux_2_28_aarch64" in tags and "manylinux2014_aarch64" in tags
    assert not any("x86_64" in t for t in tags) and "manylinux_2_35_aarch64" not in tags


def test_trim_removes_what_lambda_does_not_run_and_keeps_pinned_sdks(tmp_path: Path) -> None:
    for relative in ("boto3/__init__.py", "botocore/__init__.py", "boto3-1.0.dist-info/METADATA",
                     "pkg/__init__.py", "pkg/__pycache__/x.cpython-312.pyc", "pkg/tests/test_x.py",
                     "pkg-1.0.dist-info/METADATA", "pkg-1.0.dist-info/RECORD", "pkg-1.0.dist-info/licenses/LICENSE",
                     "bin/tool"):
        write(tmp_path / "a" / relative, "x")
    trim(tmp_path / "a")
    left = sorted(str(p.relative_to(tmp_path / "a")) for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert left == ["pkg-1.0.dist-info/METADATA", "pkg/__init__.py"]
    write(tmp_path / "b" / "boto3/__init__.py", "x")
    trim(tmp_path / "b", keep={"boto3"})
    assert (tmp_path / "b" / "boto3/__init__.py").exists()


def test_sam_package_accepts_the_built_output(app: Path, deps_cache: DependencyCache, tmp_path: Path) -> None:
    import boto3
    from moto.server import ThreadedMotoServer

    from legwork.local.runtime import free_port

    builder(app, deps_cache).build()
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://localhost:{port}"
        env = {**os.environ, "AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": "us-east-1",
               "SAM_CLI_TELEMETRY": "0"}
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        s3.create_bucket(Bucket="artifacts")
        out = tmp_path / "packaged.yaml"
        sam = Path(sys.executable).parent / "sam"
        proc = subprocess.run([str(sam), "package", "--s3-bucket", "artifacts", "--output-template-file", str(out)],
                              cwd=app, env=env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        packaged = load(out)["Resources"]
        uris = [packaged[f"{n}Function"]["Properties"]["CodeUri"] for n in ("Alpha", "Beta", "Gamma")]
        uris.append(packaged["SharedLayer"]["Properties"]["ContentUri"])
        assert all(str(u).startswith("s3://artifacts/") for u in uris)
        keys = {o["Key"] for o in s3.list_objects_v2(Bucket="artifacts")["Contents"]}
        assert {u.removeprefix("s3://artifacts/") for u in uris} <= keys
    finally:
        server.stop()


def test_each_artifact_reports_one_progress_line_and_a_no_op_says_so(app: Path, deps_cache: DependencyCache) -> None:
    lines: list[str] = []
    Builder(app, app / "template.yaml", deps=deps_cache, echo=lines.append).build()
    progress = [line for line in lines if " code: " in line]
    assert sorted(line.split()[0] for line in progress) == ["AlphaFunction", "BetaFunction", "GammaFunction", "SharedLayer"]
    assert all("deps: " in line and line.rstrip().endswith(" s") for line in progress)
    assert "SharedLayer" in next(line for line in progress if "deps: none" in line)  # comments only: no pip
    lines.clear()
    Builder(app, app / "template.yaml", deps=deps_cache, echo=lines.append).build()
    assert all("code: reused" in line for line in lines if " code: " in line)
    assert lines[-1].startswith("build: nothing changed, nothing written (4 artifacts")


def test_exclude_globs_drop_files_from_code_and_dependencies(app: Path, deps_cache: DependencyCache) -> None:
    template = (app / "template.yaml").read_text()
    template = template.replace(
        "      Handler: beta.handlers.handle\n",
        "      Handler: beta.handlers.handle\n    Metadata:\n      Legwork:\n        Exclude: [six.py, 'beta/fixtures/*']\n",
    )
    (app / "template.yaml").write_text(template)
    write(app / "src/beta/beta/fixtures/big.json", "{}")
    builder(app, deps_cache).build()
    beta = app / ".aws-sam/build/BetaFunction"
    assert (beta / "beta/handlers.py").exists() and list(beta.glob("six-*.dist-info"))
    assert not (beta / "six.py").exists() and not (beta / "beta/fixtures").exists()
    assert (app / ".aws-sam/build/AlphaFunction/six.py").exists()  # the shared install is untouched


def test_resources_left_unbuilt_keep_pointing_at_their_files(app: Path, deps_cache: DependencyCache) -> None:
    template = (app / "template.yaml").read_text() + textwrap.indent(textwrap.dedent("""
        PlainLayer:
          Type: AWS::Serverless::LayerVersion
          Properties:
            ContentUri: vendor/plain
        Docs:
          Type: AWS::Serverless::Api
          Properties:
            StageName: dev
            DefinitionUri: openapi.yaml
        """), "  ")
    (app / "template.yaml").write_text(template)
    write(app / "vendor/plain/data.txt", "x")
    builder(app, deps_cache).build()
    build = app / ".aws-sam/build"
    resources = load(build / "template.yaml")["Resources"]
    assert resources["PlainLayer"]["Properties"]["ContentUri"] == "../../vendor/plain"
    assert resources["Docs"]["Properties"]["DefinitionUri"] == "../../openapi.yaml"
    assert (build / "../../vendor/plain/data.txt").resolve().is_file()
    assert not (build / "PlainLayer").exists()


IMPORT_EVERY_HANDLER = """
import importlib, json, sys
for folder, layers, handler in json.loads(sys.argv[1]):
    module, function = handler.rsplit(".", 1)
    for name in [m for m in sys.modules if m.split(".")[0] == module.split(".")[0]]:
        del sys.modules[name]  # resources share no package: each function imports its own copy
    sys.path[:0] = [folder, *layers]
    assert callable(getattr(importlib.import_module(module), function)), handler
    del sys.path[:1 + len(layers)]
"""


def test_every_function_of_the_project_builds_and_its_handler_imports(tmp_path: Path) -> None:
    """The application's own merged template, built from the real tree into a temporary folder.

    Its dependencies come from the project's own cache (`.legwork/deps`, as `make build`
    uses it): the OCR layer's 240 MB are installed once per clone, not once per test run.
    """
    from legwork import ROOT
    from legwork.merge import merge

    (tmp_path / "template.yaml").write_text(merge(ROOT).template_text(), encoding="utf-8")
    build = tmp_path / "build"
    report = Builder(ROOT, tmp_path / "template.yaml", build_dir=build, cache_dir=tmp_path / "cache",
                     deps=DependencyCache(ROOT / ".legwork" / "deps"), echo=lambda *_: None).build()
    resources = load(build / "template.yaml")["Resources"]
    functions = {k: v["Properties"] for k, v in resources.items() if v["Type"] == "AWS::Serverless::Function"}
    layers = {k: v["Properties"]["ContentUri"] for k, v in resources.items() if v["Type"] == "AWS::Serverless::LayerVersion"}
    assert functions and {r.logical_id for r in report.results} == set(functions) | set(layers)
    assert all(functions[name]["CodeUri"] == name and (build / name).is_dir() for name in functions)
    assert all(uri == name and (build / name / "python").is_dir() for name, uri in layers.items())
    layer_paths = [str(build / name / "python") for name in layers]
    jobs = [[str(build / name), layer_paths, props["Handler"]] for name, props in functions.items()]
    import json

    proc = subprocess.run([sys.executable, "-c", IMPORT_EVERY_HANDLER, json.dumps(jobs)], cwd="/",
                          capture_output=True, text=True, env={"PATH": os.environ["PATH"], "AWS_DEFAULT_REGION": "us-east-1"})
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_serial_and_parallel_strategies_build_the_same_tree(tmp_path: Path, deps_cache: DependencyCache) -> None:
    trees = []
    for jobs in (1, 4):
        root = make_app(tmp_path / f"jobs{jobs}")
        builder(root, deps_cache, jobs=jobs).build()
        build = root / ".aws-sam" / "build"
        # .pyc bytes may differ between two compilations (marshal's reference flags): their names may not.
        trees.append({str(p.relative_to(build)): b"" if p.suffix == ".pyc" else p.read_bytes()
                      for p in build.rglob("*") if p.is_file()})
    assert trees[0] == trees[1] and "GammaFunction/gamma/handlers.py" in trees[0]


def test_an_included_requirements_file_is_part_of_the_key(tmp_path: Path) -> None:
    from legwork.build.deps import dependency_key, requirement_lines

    write(tmp_path / "base.txt", "six==1.16.0  # pinned\n")
    requirements = write(tmp_path / "requirements.txt", "# the shared base\n-r base.txt\n")
    before = dependency_key(requirement_lines(requirements), "python3.12", "arm64")
    assert requirement_lines(requirements) == ["-r base.txt", "six==1.16.0"]
    write(tmp_path / "base.txt", "six==1.15.0\n")
    assert dependency_key(requirement_lines(requirements), "python3.12", "arm64") != before
    assert dependency_key(requirement_lines(requirements), "python3.12", "x86_64") != \
        dependency_key(requirement_lines(requirements), "python3.12", "arm64")


def host_runtime() -> str:
    return f"python{sys.version_info.major}.{sys.version_info.minor}"


def elf_machines(folder: Path) -> set[int]:
    machines = set()
    for shared_object in folder.rglob("*.so"):
        header = shared_object.read_bytes()[:20]
        if header[:4] == b"\x7fELF":
            machines.add(int.from_bytes(header[18:20], "little"))
    return machines


def test_a_failed_build_is_never_taken_for_current_nor_built_upon(app: Path, deps_cache: DependencyCache) -> None:
    """x86_64 built; then an arm64 build fails its size check; then x86_64 again: no aarch64 left."""
    template = app / "template.yaml"
    gamma_arch = "      Architectures: [{}]\n"  # GammaFunction's own (Globals' is indented less)
    template.write_text(template.read_text().replace(gamma_arch.format("arm64"), gamma_arch.format("x86_64")))
    builder(app, deps_cache).build()
    gamma = app / ".aws-sam/build/GammaFunction"
    assert elf_machines(gamma) == {62}  # EM_X86_64
    template.write_text(template.read_text().replace(gamma_arch.format("x86_64"), gamma_arch.format("arm64")))
    with pytest.raises(BuildError):
        builder(app, deps_cache, size_limit=20_000).build()
    assert elf_machines(gamma) == {183}  # the failed build's files are there ...
    assert not (app / ".aws-sam/build/template.yaml").exists()  # ... but nothing presents them as a build
    template.write_text(template.read_text().replace(gamma_arch.format("arm64"), gamma_arch.format("x86_64")))
    lines: list[str] = []
    Builder(app, template, deps=deps_cache, echo=lines.append).build()
    assert "did not finish" in lines[0]
    assert elf_machines(gamma) == {62}
    assert (app / ".aws-sam/build/template.yaml").exists()
    assert builder(app, deps_cache).build().changed == []  # and the one after that is a no-op again


def test_an_interrupted_build_is_rebuilt_from_empty_folders(app: Path, deps_cache: DependencyCache) -> None:
    builder(app, deps_cache).build()
    stray = app / ".aws-sam/build/AlphaFunction/left_by_a_killed_build.py"
    stray.write_text("x")
    (app / ".legwork/build-incomplete").write_text("pid 1\n")  # as a build killed mid-way leaves it
    report = builder(app, deps_cache).build()
    assert not stray.exists() and len(report.changed) == 4
    assert not (app / ".legwork/build-incomplete").exists()


def test_markers_are_decided_for_the_target_runtime_not_for_pips_python(app: Path, deps_cache: DependencyCache) -> None:
    write(app / "src/alpha/requirements.txt", """
        six==1.16.0; python_version >= "3.12"
        six==1.15.0; python_version < "3.12"
        MarkupSafe==2.1.5; platform_machine == "aarch64"
        """)
    builder(app, deps_cache).build()
    alpha = app / ".aws-sam/build/AlphaFunction"  # python3.12, x86_64, built by this 3.11
    assert [p.name for p in alpha.glob("six-*.dist-info")] == ["six-1.16.0.dist-info"]
    assert not (alpha / "markupsafe").exists()


def test_bytecode_for_the_target_runtime_ships_when_its_interpreter_is_on_the_path(
        app: Path, deps_cache: DependencyCache, monkeypatch: pytest.MonkeyPatch) -> None:
    from legwork.build.steps import interpreter_for

    runtime = host_runtime()  # an interpreter this machine surely has: the one running the tests
    template = app / "template.yaml"
    template.write_text(template.read_text().replace("python3.12", runtime))
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    interpreter_for.cache_clear()
    lines: list[str] = []
    Builder(app, template, deps=deps_cache, echo=lines.append).build()
    tag = f"cpython-{runtime.removeprefix('python').replace('.', '')}"
    alpha = app / ".aws-sam/build/AlphaFunction"
    handler_pyc = alpha / f"alpha/__pycache__/handlers.{tag}.pyc"
    assert handler_pyc.is_file() and (alpha / f"__pycache__/six.{tag}.pyc").is_file()
    assert int.from_bytes(handler_pyc.read_bytes()[4:8], "little") == 0b11  # checked hash: never stale
    assert any("modules compiled to .pyc by" in line for line in lines)
    assert builder(app, deps_cache).build().changed == []  # nothing recompiled when nothing changed
    before = handler_pyc.read_bytes()
    handler = app / "src/alpha/alpha/handlers.py"
    handler.write_text(handler.read_text().replace("'alpha'", "'alpha v2'"))
    (app / "src/alpha/alpha/gone.py").write_text("X = 1\n")
    builder(app, deps_cache).build()
    assert (alpha / f"alpha/__pycache__/gone.{tag}.pyc").is_file()
    (app / "src/alpha/alpha/gone.py").unlink()
    builder(app, deps_cache).build()
    assert handler_pyc.read_bytes() != before and not (alpha / f"alpha/__pycache__/gone.{tag}.pyc").exists()
    proc = subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); import alpha.handlers as h; "
                           "print(h.handle(None, None))", str(alpha)], capture_output=True, text=True, cwd="/")
    assert proc.stdout.strip() == "alpha v2"
    interpreter_for.cache_clear()


def test_without_the_runtimes_interpreter_the_summary_says_so(app: Path, deps_cache: DependencyCache,
                                                             monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from legwork.build.steps import interpreter_for

    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "no-pyenv"))
    interpreter_for.cache_clear()
    lines: list[str] = []
    try:
        Builder(app, app / "template.yaml", deps=deps_cache, echo=lines.append).build()
    finally:
        interpreter_for.cache_clear()
    assert any("no working python3.12 (on the PATH or from pyenv): shipped without .pyc" in line for line in lines)
    assert not list((app / ".aws-sam/build").rglob("*.pyc"))
