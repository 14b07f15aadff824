"""The builder's tests share pip's download cache: each wheel comes off the index once per machine."""
from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def pip_download_cache():
    """pip (run by the builder in a subprocess) reads PIP_CACHE_DIR from the environment."""
    previous = os.environ.get("PIP_CACHE_DIR")
    os.environ["PIP_CACHE_DIR"] = "/tmp/legwork-tests-pip-cache"
    yield
    if previous is None:
        os.environ.pop("PIP_CACHE_DIR", None)
    else:
        os.environ["PIP_CACHE_DIR"] = previous
