"""The end-to-end suites' local runtime: the merged application, demo data, free ports.

One runtime per test module (the tests in tests/integration/local/ use their own
fixture app instead), an API client for it and the demo admin's token.
"""
from __future__ import annotations

import pytest

from legwork import ROOT
from legwork.bench.ingest import DEMO_ADMIN, Api, login
from legwork.local.runtime import LocalRuntime, Options, free_port


@pytest.fixture(scope="module")
def runtime(tmp_path_factory):
    """The whole application in the local runtime, timers off (schedules are fired on demand)."""
    from legwork.merge import merge

    template = tmp_path_factory.mktemp("app") / "template.yaml"
    template.write_text(merge(ROOT).template_text(), encoding="utf-8")
    runtime = LocalRuntime(Options(template=template, root=ROOT, port=free_port(), poll_interval=0.05,
                                   pool_size=2, timers=False, access_log=False))
    runtime.start()
    assert runtime.seeded.wait(60), "demo users were not written"
    yield runtime
    runtime.stop()


@pytest.fixture(scope="module")
def api(runtime) -> Api:
    return Api(runtime.url)


@pytest.fixture(scope="module")
def admin(api) -> str:
    """The demo admin's token."""
    return login(api, *DEMO_ADMIN)["token"]
