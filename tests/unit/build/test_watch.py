"""`make watch`: a fragment change merges then builds; a code or requirements change only builds."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from legwork.watch import Watcher, classify


def test_watch_merges_for_fragments_and_builds_for_code(tmp_path: Path) -> None:
    root = tmp_path
    assert classify(root / "templates/globals.yaml", root) == "merge"
    assert classify(root / "swagger/openapi.yaml", root) == "merge"
    assert classify(root / "src/tasks/template.yaml", root) == "merge"
    assert classify(root / "src/tasks/swagger.yaml", root) == "merge"
    assert classify(root / "src/tasks/tasks/logic.py", root) == "build"
    assert classify(root / "src/tasks/requirements.txt", root) == "build"
    assert classify(root / "layers/common/legwork_common/api.py", root) == "build"
    assert classify(root / "src/tasks/tasks/__pycache__/logic.cpython-311.pyc", root) is None
    assert classify(root / ".aws-sam/build/template.yaml", root) is None
    assert classify(root / "README.md", root) is None


def wait_for_rebuild(watcher: Watcher, timeout: float = 10.0) -> str | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kind = watcher.poll()
        if kind:
            return kind
        time.sleep(0.05)
    return None


@pytest.fixture
def watched(tmp_path: Path):
    for relative in ("templates/template.yaml", "swagger/openapi.yaml", "src/tasks/template.yaml",
                     "src/tasks/tasks/logic.py", "src/tasks/requirements.txt"):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("# v1\n")
    rebuilds: list[str] = []
    watcher = Watcher(tmp_path, rebuild=rebuilds.append, debounce=0.1)
    watcher.start()
    time.sleep(0.2)  # the observer's inotify watches are in place
    yield tmp_path, watcher, rebuilds
    watcher.stop()


def test_saving_a_handler_builds_and_saving_a_fragment_merges(watched) -> None:
    root, watcher, rebuilds = watched
    (root / "src/tasks/tasks/logic.py").write_text("# v2\n")
    (root / "src/tasks/requirements.txt").write_text("six==1.16.0\n")
    assert wait_for_rebuild(watcher) == "build"
    (root / "src/tasks/template.yaml").write_text("# v2\n")
    (root / "src/tasks/tasks/logic.py").write_text("# v3\n")
    assert wait_for_rebuild(watcher) == "merge"  # a merge is followed by the build anyway
    assert rebuilds == ["build", "merge"]
    assert watcher.poll() is None  # a burst of saves is one rebuild


def test_edits_outside_the_sources_trigger_nothing(watched) -> None:
    root, watcher, rebuilds = watched
    cache = root / "src/tasks/tasks/__pycache__"
    cache.mkdir()
    (cache / "logic.cpython-311.pyc").write_bytes(b"junk")
    (root / "README.md").write_text("x")
    assert wait_for_rebuild(watcher, timeout=1.0) is None and rebuilds == []
