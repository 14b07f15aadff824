"""The back office and the courier page, in Chromium, end to end through the API.

An admin draws a route and publishes a task on it; a courier on a phone-sized screen with
emulated geolocation claims it (the admin's board shows the claim within one refresh),
starts it and sends positions, also after a spell offline; the manager's map shows the
courier at the new position with progress. A courier cannot open the back office.
"""
from __future__ import annotations

import json

import pytest

from site_setup import PHONE, eventually, live_item, screenshot

pytestmark = pytest.mark.xdist_group("browser")  # one worker runs the browser tests (`--dist loadgroup`)

TITLE = "Browser test delivery"
START = {"latitude": 52.5190, "longitude": 13.4000}
MOVED = {"latitude": 52.5120, "longitude": 13.3800}


def fast_gps(page, runtime, seconds: int = 2) -> None:
    """The deployment setting `gpsIntervalSeconds`, shortened so the test need not wait 10 s a fix."""
    config = json.loads((runtime.options.static_dir / "config.json").read_text())
    config["gpsIntervalSeconds"] = seconds
    page.route("**/config.json", lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(config)))


def test_route_task_claim_start_positions_and_the_live_map(runtime, api, tokens, pages):
    # -- the admin draws a route by clicking its stops ------------------------------------
    admin, _ = pages.open()
    pages.sign_in(admin, "admin")
    admin.get_by_role("link", name="Routes").click()
    admin.locator(".route-item").first.wait_for()
    admin.locator(".route-item").first.click()  # a demo route in Berlin: draw near it
    admin.locator("path.route").first.wait_for()
    admin.get_by_role("button", name="Draw a new route").click()
    admin.get_by_label("Name").fill("Browser test route")
    box = admin.locator("#routes-map").bounding_box()
    for dx, dy in ((0.3, 0.3), (0.5, 0.45), (0.65, 0.7)):
        admin.mouse.click(box["x"] + box["width"] * dx, box["y"] + box["height"] * dy)
    length = admin.locator(".draw .length")
    assert length.inner_text().startswith("3 stops · ")
    screenshot(admin, "routes-drawing")
    admin.get_by_role("button", name="Save route").click()
    saved = admin.locator(".saved")
    eventually(lambda: "Saved “Browser test route”" in saved.inner_text())
    assert " m along 3 stops" in saved.inner_text() or " km along 3 stops" in saved.inner_text()
    screenshot(admin, "routes")

    # -- and publishes a task on it ---------------------------------------------------------
    admin.get_by_role("link", name="Tasks").click()
    admin.locator("#task-route option", has_text="Browser test route").wait_for(state="attached")
    admin.locator("#task-route").select_option(label=admin.locator("#task-route option", has_text="Browser test route").inner_text())
    admin.get_by_label("Title").fill(TITLE)
    admin.get_by_label("Bonus").fill("11.25")
    admin.get_by_role("button", name="Publish task").click()
    eventually(lambda: "Published" in admin.locator(".publish .ok").inner_text())
    card = admin.locator(".column-open .task-card", has_text=TITLE)
    card.wait_for()
    assert "11.25 EUR" in card.inner_text()

    # -- a courier on a phone claims it, starts it; the phone sends its position -------------
    courier, _ = pages.open(viewport=PHONE, geolocation=START, is_mobile=True, has_touch=True)
    fast_gps(courier, runtime)
    pages.sign_in(courier, "courier2")
    assert courier.url.endswith("#/courier")
    offer = courier.locator(".open-tasks .task-card", has_text=TITLE)
    offer.get_by_role("button", name="Claim").click()
    mine = courier.locator(".my-tasks .task-card", has_text=TITLE)
    mine.get_by_role("button", name="Start").wait_for()
    # The admin's board shows the claim within one refresh (5 s).
    admin.locator(".column-claimed .task-card", has_text=TITLE).wait_for(timeout=7000)
    assert "courier2" in admin.locator(".column-claimed .task-card", has_text=TITLE).inner_text()
    screenshot(admin, "tasks")
    mine.get_by_role("button", name="Start").click()
    mine.get_by_role("button", name="Complete").wait_for()
    eventually(lambda: "last sent" in courier.locator(".gps").inner_text())
    assert courier.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling
    screenshot(courier, "courier")
    task_id = mine.get_attribute("data-task-id")

    # -- the manager sees the courier on the map, with progress ------------------------------
    manager, _ = pages.open()
    pages.sign_in(manager, "manager")
    row = manager.locator(f'.courier[data-task-id="{task_id}"]')
    row.wait_for(timeout=10000)
    position = eventually(lambda: manager.evaluate("id => window.legwork.liveMap.markerPosition(id)", task_id), timeout=10)
    assert abs(position["lat"] - START["latitude"]) < 1e-6 and abs(position["lng"] - START["longitude"]) < 1e-6
    assert row.locator(".progress").inner_text().endswith("%")

    # The courier moves: the marker follows within 10 s.
    courier.context.set_geolocation(MOVED)
    eventually(lambda: (manager.evaluate("id => window.legwork.liveMap.markerPosition(id)", task_id) or {}).get("lat")
               == MOVED["latitude"], timeout=10)
    assert row.locator(".progress").inner_text().endswith("%")
    screenshot(manager, "live-map-courier")

    # -- offline: fixes wait on the phone and go in one batch once it is back online ------------
    courier.context.set_offline(True)
    eventually(lambda: "waiting (offline" in courier.locator(".gps").inner_text(), timeout=10)
    courier.context.set_geolocation({"latitude": 52.5100, "longitude": 13.3770})
    courier.wait_for_timeout(2500)
    waiting = courier.evaluate("id => JSON.parse(localStorage.getItem('legwork.gps.' + id) || '[]').length", task_id)
    assert waiting >= 2
    screenshot(courier, "courier-offline")
    courier.context.set_offline(False)
    eventually(lambda: courier.evaluate("id => localStorage.getItem('legwork.gps.' + id)", task_id) is None, timeout=10)
    eventually(lambda: (live_item(api, tokens("manager"), task_id) or {}).get("position", {}).get("lat") == 52.51, timeout=15)
    track = api.expect(200, "GET", f"/tasks/{task_id}/track", token=tokens("manager"), query={"limit": 1000})["items"]
    assert len(track) >= 3 + waiting - 1  # everything sent, the offline spell included

    # -- the courier completes the task ---------------------------------------------------------
    courier.once("dialog", lambda dialog: dialog.accept())
    mine.get_by_role("button", name="Complete").click()
    eventually(lambda: "Completed" in courier.locator(".my-tasks .task-card", has_text=TITLE).inner_text())


def test_errors_appear_next_to_the_action_that_caused_them(runtime, api, tokens, pages):
    page, watch = pages.open()
    watch.allow(409, r"/users$")
    pages.sign_in(page, "admin")
    page.get_by_role("link", name="Users").click()
    page.locator('tr[data-username="courier1"]').wait_for()
    page.get_by_label("Username").fill("courier1")
    page.get_by_label("Password (10 characters or more)").fill("long-enough-password")
    page.get_by_role("button", name="Create user").click()
    error = page.locator("form .error")
    error.wait_for()
    assert "courier1" in error.inner_text() or "taken" in error.inner_text().lower()
    # A new user appears in the list.
    page.get_by_label("Username").fill("dispatcher7")
    page.get_by_label("Role").select_option("manager")
    page.get_by_role("button", name="Create user").click()
    page.locator('tr[data-username="dispatcher7"]').wait_for()
    assert error.is_hidden()
    screenshot(page, "users")


def test_admin_cancels_an_open_task_from_the_board(runtime, api, tokens, pages):
    from site_setup import make_route, make_task

    route = make_route(api, tokens("admin"))
    task = make_task(api, tokens("admin"), route["routeId"], title="To be cancelled")
    page, _ = pages.open()
    pages.sign_in(page, "admin")
    page.get_by_role("link", name="Tasks").click()
    card = page.locator(f'.column-open .task-card[data-task-id="{task["taskId"]}"]')
    page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="Cancel").click()
    page.locator(f'.column-cancelled .task-card[data-task-id="{task["taskId"]}"]').wait_for()
    assert api.expect(200, "GET", f"/tasks/{task['taskId']}", token=tokens("admin"))["status"] == "cancelled"


def test_a_courier_cannot_open_the_back_office(pages):
    page, _ = pages.open(viewport=PHONE)
    pages.sign_in(page, "courier3")
    assert page.url.endswith("#/courier")
    assert [a.inner_text() for a in page.locator(".nav a").all()] == ["My work"]
    for screen in ("live", "tasks", "routes", "receipts", "reports", "users"):
        page.goto(f"/#/{screen}")
        notice = page.locator(".forbidden")
        notice.wait_for()
        assert "back office is for admins and managers" in notice.inner_text()
        assert page.locator("#live-map, .board, form").count() == 0
    screenshot(page, "courier-forbidden")


def test_make_demo_drives_a_courier_along_the_route_to_the_end(runtime, api, tokens):
    """`make demo`, bounded: courier1 drives the demo's running task fast, and completes it."""
    import threading

    from legwork import demo

    lines: list[str] = []
    stop = threading.Event()
    team = demo.run(runtime.url, minutes=1.5, interval=0.3, speed=1500.0, couriers=1, stop=stop,
                    log=lambda who, text: lines.append(f"{who}: {text}"))
    courier = team[0]
    assert courier.done, "\n".join(lines)
    assert courier.sent >= 3
    assert not courier.is_alive()
    finished = api.expect(200, "GET", f"/tasks/{courier.done[0]}", token=tokens("admin"))
    assert finished["status"] == "completed" and finished["assigneeName"] == "courier1"
    track = api.expect(200, "GET", f"/tasks/{courier.done[0]}/track", token=tokens("admin"))["items"]
    assert len(track) >= 3  # positions through the real API, with jitter: no two alike
    assert len({(p["lat"], p["lng"]) for p in track}) == len(track)
    # On the way, a receipt photo through the presigned POST (read by OCR in the runtime).
    import re

    sent = [m.group(1) for m in (re.search(r"receipt (\S+) uploaded", line) for line in lines) if m]
    assert len(sent) >= len(courier.done), "\n".join(lines)  # one a run; the first run's is sent[0]
    listed = api.expect(200, "GET", f"/tasks/{courier.done[0]}/receipts", token=tokens("admin"))["items"]
    assert sent[0] in [r["receiptId"] for r in listed]


def test_a_report_is_generated_and_downloaded_through_a_share_link(runtime, api, tokens, pages):
    import urllib.request

    page, _ = pages.open()
    pages.sign_in(page, "manager")
    page.get_by_role("link", name="Reports").click()
    page.get_by_label("Period").select_option("week")
    start = page.get_by_label("Starting (a Monday, or the 1st)").input_value()
    page.get_by_role("button", name="Generate report").click()
    report = page.locator(f'.report[data-report-id="week-{start}"]')
    report.wait_for()
    eventually(lambda: "ready" in report.locator(".badge").inner_text(), timeout=60) if "failed" not in report.inner_text() else None
    assert "ready" in report.inner_text(), report.inner_text()
    csv = report.locator("li", has_text="csv").first
    assert csv.locator("a.download").get_attribute("href")
    csv.get_by_role("button", name="Create share link").click()
    link = csv.locator("a.share-link")
    link.wait_for()
    screenshot(page, "reports")
    # Anyone holding the link downloads the file: a redirect to a short-lived URL.
    with urllib.request.urlopen(link.get_attribute("href"), timeout=30) as response:
        body = response.read()
    assert response.status == 200 and body.startswith("\ufeff".encode())  # the CSV, with its BOM


def test_a_courier_photographs_a_receipt_and_the_manager_reviews_and_corrects_it(runtime, api, tokens, pages, tmp_path):
    """The phone's file input, the presigned POST straight to the bucket, OCR by the real
    function, then the manager's review: the photo, the amount read and its confidence,
    and a correction with a reason that keeps the OCR result beside it."""
    from legwork.samples import render_receipt
    from site_setup import running_task

    _, task = running_task(api, tokens("admin"), tokens("courier4"), title="Receipt run")
    photo = tmp_path / "receipt.jpg"
    photo.write_bytes(render_receipt(["CORNER SHOP", "Milk 2L  3.49", "Bread  2.80", "TOTAL  EUR 6.29"]))

    courier, _ = pages.open(viewport=PHONE, geolocation=START, is_mobile=True, has_touch=True)
    pages.sign_in(courier, "courier4")
    card = courier.locator(f'.my-tasks .task-card[data-task-id="{task["taskId"]}"]')
    upload = card.get_by_label("Photograph a receipt")
    assert upload.get_attribute("capture") == "environment" and "image/jpeg" in upload.get_attribute("accept")
    upload.set_input_files(str(photo))
    line = card.locator(".receipt-list .receipt").first
    eventually(lambda: "processed" in line.get_attribute("class"), timeout=90)  # OCR in the local runtime
    assert "read 6.29 EUR" in line.inner_text()
    assert card.locator(".receipt-list .receipt").count() == 1  # once, though the list read may also bring it
    screenshot(courier, "courier-receipt")
    receipt_id = line.get_attribute("data-receipt-id")

    manager, watch = pages.open()
    watch.allow(400, rf"/receipts/{receipt_id}$")  # the amount typed wrong, on purpose
    pages.sign_in(manager, "manager")
    manager.get_by_role("link", name="Receipts").click()
    review = manager.locator(f'.receipt-card[data-receipt-id="{receipt_id}"]')
    review.wait_for()
    image = review.locator("img.receipt-photo")
    eventually(lambda: image.evaluate("img => img.complete && img.naturalWidth > 0"))  # the photo, from its link
    assert review.locator(".ocr-amount").inner_text() == "6.29 EUR"
    confidence = review.locator(".confidence").inner_text()
    assert confidence.endswith(" %") and 0 < int(confidence.split()[0]) <= 100
    screenshot(manager, "receipts")

    # A wrong amount: the API's message appears next to the button, nothing is changed.
    review.get_by_label("Correct amount").fill("6,90")
    review.get_by_label("Reason").fill("the bread was 3.41, the photo is blurred there")
    review.get_by_role("button", name="Correct amount").click()
    refusal = review.locator("form.correct .error")
    refusal.wait_for()
    assert "amount" in refusal.inner_text().lower() and "{" not in refusal.inner_text()
    review.get_by_label("Correct amount").fill("6.90")
    review.get_by_role("button", name="Correct amount").click()
    review.locator(".correction").wait_for()
    assert review.locator(".payable").inner_text() == "6.90 EUR"
    assert review.locator(".ocr-amount").inner_text() == "6.29 EUR"  # the OCR result stays beside it
    assert "by manager" in review.locator(".correction").inner_text() and "blurred" in review.locator(".correction").inner_text()
    stored = api.expect(200, "GET", f"/receipts/{receipt_id}", token=tokens("admin"))
    assert stored["payable"] == {"amount": "6.90", "currency": "EUR"} and stored["amount"] == "6.29"
    assert stored["correction"]["reason"] == "the bread was 3.41, the photo is blurred there"
    screenshot(manager, "receipts-corrected")
    # On the live map, the courier's panel lists the receipt at what is paid.
    manager.get_by_role("link", name="Live map").click()
    manager.locator(f'.courier-pin span[data-task-id="{task["taskId"]}"]').click()
    listed = manager.locator(".details .receipt-list .receipt")
    listed.wait_for()
    assert "6.90 EUR (corrected; read 6.29 EUR)" in listed.inner_text()
