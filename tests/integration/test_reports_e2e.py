"""Reports end to end through the local runtime and the merged application.

`make invoke` of the weekly schedule (the CLI `make invoke FN=ScheduleReportsFunction`
runs) queues the previous week's report; the worker, fed by the runtime's SQS event
source, writes its three files; each downloads through a share link with no sign-in.
The CSV has a row per demo courier; the HTML references nothing outside itself.
"""
from __future__ import annotations

import csv
import io
import json
import re
import time
import urllib.error
import urllib.request

import pytest

from legwork.local import invoke as invoke_cli

DEMO_COURIERS = {f"courier{i}" for i in range(1, 6)}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def request(url: str, method: str = "GET", body: dict | None = None, token: str | None = None,
            follow: bool = True) -> tuple[int, dict, bytes]:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode(), method=method,
                                 headers=headers)
    opener = urllib.request.build_opener() if follow else urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


@pytest.fixture(scope="module")
def admin(runtime) -> str:
    status, _, body = request(f"{runtime.url}/auth/login", "POST", {"username": "admin", "password": "legwork-demo"})
    assert status == 200
    return json.loads(body)["token"]


@pytest.fixture(scope="module")
def report(runtime, admin) -> dict:
    assert invoke_cli.main(["ScheduleReportsFunction", "--port", str(runtime.options.port)]) == 0
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        _, _, body = request(f"{runtime.url}/reports", token=admin)
        items = json.loads(body)["items"]
        if items and items[0]["status"] != "pending":
            break
        time.sleep(0.3)
    assert items and items[0]["status"] == "ready", items
    report_id = items[0]["reportId"]
    assert re.fullmatch(r"week-\d{4}-\d{2}-\d{2}", report_id)
    status, _, body = request(f"{runtime.url}/reports/{report_id}", token=admin)
    assert status == 200
    return json.loads(body)


@pytest.fixture(scope="module")
def downloads(runtime, admin, report) -> dict[str, bytes]:
    """Each file of the report fetched through a share link, without signing in."""
    out = {}
    for file in report["files"]:
        status, _, body = request(f"{runtime.url}/files/{file['fileId']}/links", "POST", {"expiresIn": 600},
                                  token=admin)
        assert status == 201, body
        link = json.loads(body)
        status, headers, _ = request(link["url"], follow=False)
        assert status == 302, (status, link["url"])
        assert "attachment" in urllib.request.unquote(headers["Location"])
        status, _, content = request(headers["Location"])
        assert status == 200
        out[file["format"]] = content
    return out


def test_the_weekly_schedule_produces_three_files(report):
    assert sorted(f["format"] for f in report["files"]) == ["csv", "html", "xlsx"]


def test_the_csv_parses_and_has_a_row_per_demo_courier(downloads):
    rows = list(csv.DictReader(io.StringIO(downloads["csv"].decode("utf-8-sig"))))
    couriers = {r["name"]: r for r in rows if r["table"] == "courier"}
    assert DEMO_COURIERS <= set(couriers)
    # src/reports/demo.py: each demo courier finished work last week, on the demo routes.
    assert all(int(couriers[name]["completed"]) >= 1 for name in DEMO_COURIERS)
    assert all(float(couriers[name]["distance_km"]) > 0 for name in DEMO_COURIERS)
    assert {r["name"] for r in rows if r["table"] == "route"} >= {"Mitte loop", "Spree run"}
    assert [r["table"] for r in rows][-1] == "total"


def test_the_xlsx_opens(downloads):
    import openpyxl

    assert openpyxl.load_workbook(io.BytesIO(downloads["xlsx"])).sheetnames == ["Couriers", "Routes", "Totals"]


def test_the_html_opens_offline(downloads):
    page = downloads["html"].decode("utf-8")
    assert "<svg" in page
    assert not re.search(r"(?i)(https?:|//[a-z0-9]|<script|<link|@import|url\()", page)


def test_a_revoked_link_answers_410(runtime, admin, report):
    file_id = report["files"][0]["fileId"]
    _, _, body = request(f"{runtime.url}/files/{file_id}/links", "POST", {"expiresIn": 60}, token=admin)
    token = json.loads(body)["token"]
    assert request(f"{runtime.url}/links/{token}", "DELETE", token=admin)[0] == 204
    status, _, body = request(f"{runtime.url}/s/{token}", follow=False)
    assert status == 410 and json.loads(body)["error"]["code"] == "LinkRevoked"
    assert request(f"{runtime.url}/s/{'A' * 43}", follow=False)[0] == 404


def _upload(runtime, token: str, name: str, content_type: str, content: bytes) -> str:
    """POST /files, then the browser's multipart POST to the bucket; the file's id."""
    import requests

    status, _, body = request(f"{runtime.url}/files", "POST", {"name": name, "contentType": content_type},
                              token=token)
    assert status == 201, body
    created = json.loads(body)
    response = requests.post(created["upload"]["url"], data=created["upload"]["fields"],
                             files={"file": (name, content, content_type)}, timeout=30)
    assert response.status_code in (200, 201, 204), response.text
    return created["fileId"]


def _settled(runtime, token: str, file_id: str) -> dict:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        _, _, body = request(f"{runtime.url}/files", token=token)
        record = next(f for f in json.loads(body)["items"] if f["fileId"] == file_id)
        if record["status"] != "pending":
            return record
        time.sleep(0.2)
    raise AssertionError(f"{file_id} still pending after 30 s")


def test_an_uploaded_document_is_checked_on_arrival_and_shared(runtime):
    _, _, body = request(f"{runtime.url}/auth/login", "POST", {"username": "courier2", "password": "legwork-demo"})
    courier = json.loads(body)["token"]
    pdf = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
    good = _upload(runtime, courier, "delivery note.pdf", "application/pdf", pdf)
    bad = _upload(runtime, courier, "fake.pdf", "application/pdf", b"just some text pretending to be a pdf")
    assert _settled(runtime, courier, good)["status"] == "ready"
    rejected = _settled(runtime, courier, bad)
    assert rejected["status"] == "rejected" and "not application/pdf" in rejected["reason"]
    status, _, body = request(f"{runtime.url}/files/{good}/links", "POST", {"expiresIn": 60}, token=courier)
    assert status == 201
    status, _, content = request(json.loads(body)["url"])
    assert status == 200 and content == pdf
