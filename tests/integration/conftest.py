"""The end-to-end suites' local runtime: the merged application, demo data, free ports.

One runtime per test module (the tests in tests/integration/local/ use their own
fixture app instead), an API client for it and the demo admin's token.
"""
from __future__ import annotations

import pytest

from legwork.bench.ingest import DEMO_ADMIN, Api, login
from tests.support.app import merged_app


@pytest.fixture(scope="module")
def runtime(tmp_path_factory):
    """The whole application in the local runtime, timers off (schedules are fired on demand)."""
    with merged_app(tmp_path_factory.mktemp("app")) as runtime:
        yield runtime


@pytest.fixture(scope="module")
def api(runtime) -> Api:
    return Api(runtime.url)


@pytest.fixture(scope="module")
def admin(api) -> str:
    """The demo admin's token."""
    return login(api, *DEMO_ADMIN)["token"]
