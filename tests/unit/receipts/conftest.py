"""The receipts resource's tests: the whole stack in moto, handlers called with real events."""
from tests.unit.tasks.helpers import publish, route_id, stack, task_id  # noqa: F401 - fixtures
from tests.unit.receipts.helpers import running_task  # noqa: F401 - fixture


import os  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def pip_download_cache():
    """pip (run by the builder) keeps the OCR wheels in one download cache, as the build tests do."""
    previous = os.environ.get("PIP_CACHE_DIR")
    os.environ["PIP_CACHE_DIR"] = "/tmp/legwork-tests-pip-cache"
    yield
    if previous is None:
        os.environ.pop("PIP_CACHE_DIR", None)
    else:
        os.environ["PIP_CACHE_DIR"] = previous
