"""APIs SAM documents itself (no DefinitionBody): routes from Api events, the authorizer from `Auth`."""
from __future__ import annotations

import pytest

from legwork.local.runtime import LocalRuntime, Options, free_port
from localrt import Client, bearer


@pytest.fixture(scope="module")
def sam_api(app_dir):
    runtime = LocalRuntime(Options(template=app_dir / "sam-auth.yaml", port=free_port(), seed=False, timers=False,
                                   access_log=False, poll_interval=0.1))
    runtime.start()
    yield Client(runtime.url)
    runtime.stop()


def test_default_authorizer_protects_events_of_the_api(sam_api):
    assert sam_api.request("GET", "/me")[0] == 401
    status, _, body = sam_api.request("GET", "/me", headers=bearer("admin", "sam"))
    assert status == 200
    assert body["caller"]["username"] == "sam"
    assert sam_api.request("GET", "/items/x", headers=bearer("courier"))[0] == 404  # GET allowed, no item


def test_auth_none_and_the_implicit_api_are_public(sam_api):
    status, _, body = sam_api.request("GET", "/health")
    assert status == 200 and body["stage"] == "v1"
    status, _, body = sam_api.request("GET", "/files/a/b")
    assert status == 200 and body == {"proxy": "a/b"}
