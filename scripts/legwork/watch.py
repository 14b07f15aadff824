"""`make watch`: merge and build again whenever a fragment, handler or requirements file changes.

A change to `templates/`, `swagger/` or a resource's `template.yaml`/`swagger.yaml` runs the
merge, then the build; a change to code or `requirements.txt` runs the build only (which
itself rewrites only the artifacts concerned).

    >>> watcher = Watcher(Path("."), rebuild=lambda kind: print(kind))
    >>> watcher.start(); ...; watcher.poll()   # 'build' once the tree has been quiet a moment
"""
from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Callable
from pathlib import Path

from legwork import ROOT

WATCHED = ("templates", "swagger", "src", "layers")
IGNORED_PARTS = {"__pycache__", ".aws-sam", ".legwork", ".pytest_cache"}
FRAGMENT_NAMES = {"template.yaml", "swagger.yaml"}


def classify(path: Path, root: Path = ROOT) -> str | None:
    """'merge', 'build' or None (not ours) for a changed path."""
    try:
        relative = path.resolve().relative_to(root.resolve())
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
    """Merge (for a fragment change) then build; a failure is reported and the watch goes on."""
    from legwork import merge
    from legwork.build import Builder

    if kind == "merge" and merge.main(["--root", str(root)]) != 0:
        return  # the merge said why; the previous build stays as it was
    template = root / "template.yaml"
    if not template.exists():
        print("watch: no template.yaml yet; fix the merge and save again")
        return
    try:
        Builder(root, template).build()
    except Exception as err:  # noqa: BLE001 - a watcher outlives a bad edit; the next save retries
        print(f"build failed: {err}")


class Watcher:
    """Collects file events under the watched folders; `poll()` rebuilds once they go quiet."""

    def __init__(self, root: Path = ROOT, *, rebuild: Callable[[str], None] | None = None,
                 debounce: float = 0.3) -> None:
        self.root = root.resolve()
        self.rebuild = rebuild or (lambda kind: globals()["rebuild"](kind, self.root))
        self.debounce = debounce
        self._pending: set[str] = set()
        self._last_event = 0.0
        self._lock = threading.Lock()
        self._observer = None

    def notice(self, path: str) -> None:
        kind = classify(Path(path), self.root) if path else None
        if kind:
            with self._lock:
                self._pending.add(kind)
                self._last_event = time.monotonic()

    def start(self) -> None:
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event) -> None:  # type: ignore[no-untyped-def]
                if event.event_type in ("opened", "closed_no_write"):
                    return  # reads (the build's own) change nothing
                if event.is_directory and event.event_type == "modified":
                    return  # a folder's listing changed: its files' own events say whether it matters
                watcher.notice(event.src_path)
                watcher.notice(getattr(event, "dest_path", ""))

        self._observer = Observer()
        for name in WATCHED:
            if (self.root / name).is_dir():
                self._observer.schedule(Handler(), str(self.root / name), recursive=True)
        self._observer.start()

    def poll(self) -> str | None:
        """Run the pending rebuild if the tree has been quiet for `debounce` seconds; its kind."""
        with self._lock:
            if not self._pending or time.monotonic() - self._last_event < self.debounce:
                return None
            kind = "merge" if "merge" in self._pending else "build"
            self._pending.clear()
        self.rebuild(kind)
        return kind

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="legwork watch", description=__doc__.split("\n")[0])
    parser.add_argument("--debounce", type=float, default=0.3, help="seconds of quiet before rebuilding")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root (default: this checkout)")
    args = parser.parse_args(argv)
    rebuild("merge", args.root)
    watcher = Watcher(args.root, debounce=args.debounce)
    watcher.start()
    print(f"watch: watching {', '.join(WATCHED)}; Ctrl-C stops")
    try:
        while True:
            time.sleep(0.1)
            watcher.poll()
    except KeyboardInterrupt:
        pass
    finally:
        watcher.stop()
    return 0
