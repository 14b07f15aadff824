"""`make merge` skips the merge when nothing it reads changed, and runs it whenever anything did.

Each case runs the `merge` command (`legwork.merge_gate.main`) on a copy of the small
fixture tree, with the real merge behind it, and counts how often the real merge ran.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from legwork import merge, merge_gate
from test_merge import FIXTURE, add_resource, put


class Runs:
    """Counts the real merges behind the `merge` command."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = merge.merge

        def counting(root: Path) -> merge.MergeResult:
            self.count += 1
            return real(root)

        monkeypatch.setattr(merge, "merge", counting)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURE, root)
    return root


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> Runs:
    return Runs(monkeypatch)


def command(root: Path) -> int:
    return merge_gate.main(["--root", str(root)])


def snapshot(root: Path) -> dict[str, int]:
    """mtime of every output and of the state: a merge that writes nothing leaves them as they were."""
    names = [*merge_gate.OUTPUTS, str(merge_gate.STATE)]
    return {name: (root / name).stat().st_mtime_ns for name in names}


def test_a_no_op_merge_does_not_run_and_writes_nothing(tree: Path, runs: Runs, capsys) -> None:
    assert command(tree) == 0
    assert runs.count == 1
    before = snapshot(tree)
    capsys.readouterr()

    assert command(tree) == 0
    assert command(tree) == 0

    assert runs.count == 1
    assert snapshot(tree) == before
    assert "inputs unchanged" in capsys.readouterr().out


def test_force_merges_even_when_nothing_changed(tree: Path, runs: Runs) -> None:
    command(tree)
    assert merge_gate.main(["--root", str(tree), "--force"]) == 0
    assert runs.count == 2


@pytest.mark.parametrize(
    ("edit", "why"),
    [
        pytest.param(lambda root: _append(root / "src/hello/template.yaml", "# edited\n"),
                     "src/hello/template.yaml changed", id="a resource's template fragment"),
        pytest.param(lambda root: _append(root / "src/hello/swagger.yaml", "# edited\n"),
                     "src/hello/swagger.yaml changed", id="a resource's swagger fragment"),
        pytest.param(lambda root: _append(root / "templates/parameters.yaml", "# edited\n"),
                     "templates/parameters.yaml changed", id="a file the root template includes"),
        pytest.param(lambda root: _append(root / "swagger/openapi.yaml", "# edited\n"),
                     "swagger/openapi.yaml changed", id="a file included two levels down"),
        pytest.param(lambda root: add_resource(root, "extra"),
                     "src/extra/template.yaml is new", id="a new resource folder"),
        pytest.param(lambda root: os.remove(root / "src/hello/swagger.yaml"),
                     "src/hello/swagger.yaml was deleted", id="a deleted fragment"),
    ],
)
def test_changing_any_input_runs_the_merge_again(tree: Path, runs: Runs, capsys, edit, why: str) -> None:
    command(tree)
    capsys.readouterr()
    edit(tree)

    command(tree)

    out = capsys.readouterr()
    assert runs.count == 2
    assert why in out.out


def test_a_deleted_resource_folder_runs_the_merge_and_drops_its_paths(tree: Path, runs: Runs) -> None:
    add_resource(tree, "extra")
    command(tree)
    assert "/extra:" in (tree / "openapi.yaml").read_text()

    shutil.rmtree(tree / "src" / "extra")
    command(tree)

    assert runs.count == 2
    assert "/extra:" not in (tree / "openapi.yaml").read_text()
    command(tree)
    assert runs.count == 2


def test_a_newly_included_file_is_an_input_from_then_on(tree: Path, runs: Runs) -> None:
    put(tree, "src/hello/more.yaml", "HelloParam:\n  Type: String\n  Default: x\n")
    put(tree, "src/hello/template.yaml",
        (tree / "src/hello/template.yaml").read_text() + "Parameters:\n  $include: more.yaml\n")
    command(tree)
    assert "HelloParam" in (tree / "template.yaml").read_text()

    put(tree, "src/hello/more.yaml", "HelloParam:\n  Type: String\n  Default: y\n")
    command(tree)

    assert runs.count == 2
    assert "Default: y" in (tree / "template.yaml").read_text()


def test_a_change_of_the_merge_code_runs_the_merge_again(tree: Path, runs: Runs, monkeypatch) -> None:
    command(tree)
    monkeypatch.setattr(merge_gate, "code_version", lambda: "another version of merge.py")
    command(tree)
    assert runs.count == 2


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda root: os.remove(root / "openapi.yaml"), id="missing openapi.yaml"),
        pytest.param(lambda root: os.remove(root / "template.yaml"), id="missing template.yaml"),
        pytest.param(lambda root: (root / "template.yaml").write_text(
            (root / "template.yaml").read_text()[:100]), id="truncated template.yaml"),
        pytest.param(lambda root: _append(root / "openapi.yaml", "hand: edit\n"), id="hand-edited openapi.yaml"),
        pytest.param(lambda root: (root / merge_gate.STATE).write_text("{not json"), id="corrupted state"),
        pytest.param(lambda root: os.remove(root / merge_gate.STATE), id="missing state"),
    ],
)
def test_a_damaged_or_missing_output_runs_the_merge_again(tree: Path, runs: Runs, damage) -> None:
    command(tree)
    good = {name: (tree / name).read_text() for name in merge_gate.OUTPUTS}
    damage(tree)

    assert command(tree) == 0

    assert runs.count == 2
    assert {name: (tree / name).read_text() for name in merge_gate.OUTPUTS} == good


def test_a_refused_merge_is_refused_again_rather_than_skipped(tree: Path, runs: Runs, capsys) -> None:
    command(tree)
    _append(tree / "src/hello/template.yaml", "  Oops:\n    Type: AWS::Textract::Thing\n")
    assert command(tree) == 1
    assert command(tree) == 1
    assert runs.count == 3
    assert "AWS China does not offer" in capsys.readouterr().err


def _append(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as stream:
        stream.write(text)
