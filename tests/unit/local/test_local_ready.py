"""`GET /__legwork/ready`: 503 while the demo data is being written, 200 once ready."""
from __future__ import annotations

import json
import threading

from legwork.local.gateway import ApiModel, Gateway, HttpRequest


def test_ready_endpoint_answers_503_until_ready_then_200():
    ready = threading.Event()
    gateway = Gateway(ApiModel(), lam=None, ready=ready.is_set, access_log=False)
    request = HttpRequest("GET", "/__legwork/ready", [], b"")
    before = gateway.handle(request)
    assert before.status == 503
    assert json.loads(before.body)["status"] == "starting"
    ready.set()
    after = gateway.handle(request)
    assert (after.status, json.loads(after.body)) == (200, {"status": "ready"})


def test_the_ready_path_is_no_route_of_the_api():
    gateway = Gateway(ApiModel(), lam=None, access_log=False)
    assert gateway.handle(HttpRequest("POST", "/__legwork/ready", [], b"")).status == 404
    assert gateway.handle(HttpRequest("GET", "/ready", [], b"")).status == 403  # not under the prefix: the API's
