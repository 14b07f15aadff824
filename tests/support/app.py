"""The whole application in the local runtime, as the end-to-end and browser suites run it.

    with merged_app(tmp_path) as runtime:
        Api(runtime.url).expect(200, "GET", "/health")

The template is merged from the repository into `directory`; the runtime listens on a
free port, writes its demo data (waited for), and runs with timers off, so a test fires
schedules itself. `static_dir` serves the web app beside the API, as `make dev` does.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from legwork import ROOT
from legwork.local.runtime import LocalRuntime, Options, free_port


@contextmanager
def merged_app(directory: Path, *, static_dir: Path | None = None, seed_timeout: float = 60.0) -> Iterator[LocalRuntime]:
    from legwork.merge import merge

    template = directory / "template.yaml"
    template.write_text(merge(ROOT).template_text(), encoding="utf-8")
    runtime = LocalRuntime(Options(template=template, root=ROOT, port=free_port(), poll_interval=0.05,
                                   pool_size=2, timers=False, access_log=False, static_dir=static_dir))
    runtime.start()
    try:
        assert runtime.seeded.wait(seed_timeout), f"demo data was not written within {seed_timeout:g} s"
        yield runtime
    finally:
        runtime.stop()
