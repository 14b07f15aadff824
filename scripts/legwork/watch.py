"""`make watch`: merge and build again whenever a fragment, handler or requirements file changes.

A change to `templates/`, `swagger/` or a resource's `template.yaml`/`swagger.yaml` runs the
merge, then the build; a change to code or `requirements.txt` runs the build only (which
itself rewrites only the artifacts concerned).
"""
from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path

from legwork import ROOT

WATCHED = ("templates", "swagger", "src", "layers")
IGNORED_PARTS = {"__pycache__", ".aws-sam", ".legwork", ".pytest_cache"}
FRAGMENT_NAMES = {"template.yaml", "swagger.yaml"}


def classify(path: Path, root: Path = ROOT) -> str | None:
    """'merge', 'build' or None (not ours) for a changed path."""
    try:
        relative = path.resolve().relative_to(root)
    except ValueError:
        return None
    if not relative.parts or relative.parts[0] not in WATCHED or IGNORED_PARTS & set(relative.parts):
        return None
    if relative.suffix in (".pyc", ".swp") or relative.name.endswith("~"):
        return None
    if relative.parts[0] in ("templates", "swagger") or relative.name in FRAGMENT_NAMES:
        return "merge"
    return "build"


def rebuild(kind: str, root: Path = ROOT) -> None:
    from legwork import merge
    from legwork.build import Builder, BuildError, DependencyError

    if kind == "merge" and merge.main(["--root", str(root)]) != 0:
        return  # the merge said why; the previous build stays as it was
    try:
        Builder(root, root / "template.yaml").build()
    except (BuildError, DependencyError) as err:
        print(f"build failed: {err}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="legwork watch", description=__doc__.split("\n")[0])
    parser.add_argument("--debounce", type=float, default=0.3, help="seconds of quiet before rebuilding")
    args = parser.parse_args(argv)
    from watchdog.events import FileSystemEventHandler
    from watchdog.observers import Observer

    pending: set[str] = set()
    lock = threading.Lock()
    last_event = [0.0]

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event) -> None:  # type: ignore[no-untyped-def]
            for raw in (event.src_path, getattr(event, "dest_path", "")):
                kind = classify(Path(raw)) if raw else None
                if kind:
                    with lock:
                        pending.add(kind)
                        last_event[0] = time.monotonic()

    rebuild("merge")
    observer = Observer()
    for name in WATCHED:
        if (ROOT / name).is_dir():
            observer.schedule(Handler(), str(ROOT / name), recursive=True)
    observer.start()
    print(f"watch: watching {', '.join(WATCHED)}; Ctrl-C stops")
    try:
        while True:
            time.sleep(0.1)
            with lock:
                ready = pending and time.monotonic() - last_event[0] >= args.debounce
                kinds = set(pending) if ready else set()
                if ready:
                    pending.clear()
            if kinds:
                rebuild("merge" if "merge" in kinds else "build")
    except KeyboardInterrupt:
        pass
    finally:
        observer.stop()
        observer.join()
    return 0
