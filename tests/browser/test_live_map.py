"""The manager's live map, in Chromium: sign-in, couriers on the map, refresh, tiles."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from site_setup import ROUTE, backdate_start, eventually, last_seen, live_item, post_position, running_task, screenshot

pytestmark = pytest.mark.xdist_group("browser")  # one worker runs the browser tests (`--dist loadgroup`)

# Known WGS-84 -> GCJ-02 pairs (wgsLat, wgsLng, gcjLat, gcjLng): the test vectors of
# googollee/eviltransform (Shanghai, Shenzhen, Beijing) and wandergis/coordtransform (Beijing).
GCJ_PAIRS = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
    (39.915, 116.404, 39.91640428150164, 116.41024449916938),
]
# A 1x1 PNG served in place of map tiles where a test checks which tiles are asked for.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360f8cfc0f01f0005fe02fea73581e40000000049454e44ae426082")


def test_the_site_is_served_beside_the_api_under_a_prefix_no_api_path_uses(runtime, pages):
    from legwork import yamlcfn
    from legwork.merge import merge

    from legwork import ROOT

    api_paths = list(yamlcfn.loads(merge(ROOT).openapi_text())["paths"])
    assert not [p for p in api_paths if p == "/app" or p.startswith("/app/") or p in ("/index.html", "/config.json")]
    page, _ = pages.open()
    response = page.goto("/app/main.js")
    assert response.status == 200 and "javascript" in response.headers["content-type"]
    assert response.headers["cache-control"] == "no-cache"  # an edit shows on the next reload
    page.goto("/")
    page.get_by_label("Username").wait_for()
    assert page.title() == "Sign in · Legwork"


def test_wrong_password_is_said_next_to_the_sign_in_button(pages):
    page, watch = pages.open()
    watch.allow(401, r"/auth/login$")
    page.goto("/")
    page.get_by_label("Username").fill("manager")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    error = page.locator("form.signin .error")
    error.wait_for()
    assert "password" in error.inner_text().lower() or "username" in error.inner_text().lower()
    screenshot(page, "signin-error")


def test_manager_sees_each_running_courier_with_track_route_progress_and_last_seen(runtime, api, tokens, pages):
    courier = tokens("courier2")
    route, task = running_task(api, tokens("admin"), courier, title="Live map check")
    backdate_start(runtime, task["taskId"], minutes=5)
    t0 = datetime.now(timezone.utc) - timedelta(seconds=40)
    post_position(api, courier, task["taskId"], 52.5190, 13.4000, t0 - timedelta(seconds=5))
    post_position(api, courier, task["taskId"], 52.5175, 13.3880, t0)
    eventually(lambda: last_seen(live_item(api, tokens("manager"), task["taskId"])) == t0.replace(microsecond=t0.microsecond // 1000 * 1000))

    page, _ = pages.open()
    pages.sign_in(page, "manager")
    assert page.url.endswith("#/live")
    row = page.locator(f'.courier[data-task-id="{task["taskId"]}"]')
    row.wait_for()
    assert row.locator(".name").inner_text() == "courier2"
    # "last seen 40 s ago", as old as the point is (give or take the refresh).
    seen = re.fullmatch(r"last seen (\d+) s ago", row.locator(".seen").inner_text())
    assert seen and abs(int(seen.group(1)) - (datetime.now(timezone.utc) - t0).total_seconds()) <= 7
    assert row.locator(".progress").inner_text().endswith("%")
    eventually(lambda: route["name"] == row.locator(".task").inner_text())
    # Drawn without tiles: the route (with its waypoints), the track, the marker.
    assert page.locator(".leaflet-tile").count() == 0
    assert page.locator("#live-map.map-plain").count() == 1
    assert page.locator("path.route").count() >= 1
    assert page.locator("path.waypoint").count() >= len(ROUTE)
    eventually(lambda: page.locator("path.track").count() >= 1 and page.evaluate(
        "id => window.legwork.liveMap.entries.get(id).track.getLatLngs().length", task["taskId"]) == 2)
    marker = page.locator(f'.courier-pin span[data-task-id="{task["taskId"]}"]')
    assert marker.is_visible()
    screenshot(page, "live-map")

    # Click the courier: task, bonus and receipts.
    marker.click()
    details = page.locator(".details")
    eventually(lambda: "Live map check" in details.inner_text())
    assert "7.50 EUR" in details.locator(".task-bonus").inner_text()
    details.locator(".receipts").get_by_text("receipt", exact=False).first.wait_for()
    screenshot(page, "live-map-details")


def test_refresh_moves_the_marker_without_losing_the_users_pan_and_zoom(runtime, api, tokens, pages):
    courier = tokens("courier3")
    _, task = running_task(api, tokens("admin"), courier)
    post_position(api, courier, task["taskId"], 52.5195, 13.4030)
    eventually(lambda: live_item(api, tokens("manager"), task["taskId"]))
    page, _ = pages.open()
    pages.sign_in(page, "manager")
    pin = page.locator(f'.courier-pin span[data-task-id="{task["taskId"]}"]')
    pin.wait_for()
    # The user drags the map and zooms in.
    box = page.locator("#live-map").bounding_box()
    page.mouse.move(box["x"] + 200, box["y"] + 300)
    page.mouse.down()
    page.mouse.move(box["x"] + 260, box["y"] + 340, steps=5)
    page.mouse.up()
    page.mouse.wheel(0, -300)
    page.wait_for_timeout(600)
    view = page.evaluate("() => { const m = window.legwork.liveMap.map; const c = m.getCenter(); return [c.lat, c.lng, m.getZoom()]; }")
    element = pin.element_handle()

    post_position(api, courier, task["taskId"], 52.5150, 13.3790)
    eventually(lambda: page.evaluate("id => window.legwork.liveMap.markerPosition(id)", task["taskId"])["lat"] == 52.515,
               timeout=12)
    after = page.evaluate("() => { const m = window.legwork.liveMap.map; const c = m.getCenter(); return [c.lat, c.lng, m.getZoom()]; }")
    assert after == view
    assert element.evaluate("node => node.isConnected")  # the same marker, moved, not redrawn


def test_a_courier_silent_for_over_two_minutes_is_flagged(runtime, api, tokens, pages):
    courier = tokens("courier4")
    _, task = running_task(api, tokens("admin"), courier)
    backdate_start(runtime, task["taskId"], minutes=10)  # the phone last reported three minutes ago
    post_position(api, courier, task["taskId"], 52.5180, 13.3950, datetime.now(timezone.utc) - timedelta(minutes=3))
    eventually(lambda: live_item(api, tokens("manager"), task["taskId"]))
    page, _ = pages.open()
    pages.sign_in(page, "manager")
    row = page.locator(f'.courier[data-task-id="{task["taskId"]}"]')
    row.wait_for()
    eventually(lambda: row.locator(".flag").is_visible())
    assert "min ago" in row.locator(".seen").inner_text()
    assert page.locator(f'.courier-pin.silent span[data-task-id="{task["taskId"]}"]').count() == 1


def test_openstreetmap_tiles_by_default_and_china_tiles_shift_positions_to_gcj02(runtime, api, tokens, pages):
    page, _ = pages.open(tiles=None)  # the deployment's setting: OpenStreetMap
    asked: list[str] = []

    def fake_tile(route):
        asked.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=PNG)

    page.route("https://tile.openstreetmap.org/**", fake_tile)
    page.route("https://*.is.autonavi.com/**", fake_tile)
    pages.sign_in(page, "manager")
    page.locator(".leaflet-tile").first.wait_for(state="attached")
    assert asked and all(u.startswith("https://tile.openstreetmap.org/") for u in asked)

    # A courier in Beijing: on AutoNavi's tiles the marker sits at the GCJ-02 position.
    courier = tokens("courier5")
    _, task = running_task(api, tokens("admin"), courier, points=[(39.9100, 116.3700), (39.9150, 116.3800)])
    post_position(api, courier, task["taskId"], 39.911954, 116.377817)
    eventually(lambda: live_item(api, tokens("manager"), task["taskId"]))
    page.locator(".tile-picker").select_option("amap")
    pin = page.locator(f'.courier-pin span[data-task-id="{task["taskId"]}"]')
    pin.wait_for()
    assert page.locator("#live-map").get_attribute("data-tiles") == "amap"
    page.locator('.leaflet-tile[src*=".is.autonavi.com/"]').first.wait_for(state="attached")
    sources = page.locator(".leaflet-tile").evaluate_all("tiles => tiles.map(t => t.src)")
    assert sources and all(".is.autonavi.com/appmaptile" in u for u in sources)
    drawn = page.evaluate("id => window.legwork.liveMap.entries.get(id).marker.getLatLng()", task["taskId"])
    assert abs(drawn["lat"] - 39.91334545536069) < 1e-6 and abs(drawn["lng"] - 116.38404722455657) < 1e-6
    shown = page.evaluate("id => window.legwork.liveMap.markerPosition(id)", task["taskId"])
    assert abs(shown["lat"] - 39.911954) < 1e-6 and abs(shown["lng"] - 116.377817) < 1e-6
    page.locator(".tile-picker").select_option("none")  # leave the next tests' pages as they were


def test_wgs84_to_gcj02_matches_known_pairs_and_inverts(pages):
    page, _ = pages.open()
    page.goto("/")
    results = page.evaluate("""async (pairs) => {
        const m = await import('/app/map/gcj02.js');
        return pairs.map(([lat, lng]) => {
            const g = m.wgs84ToGcj02(lat, lng);
            const back = m.gcj02ToWgs84(g.lat, g.lng);
            return [g.lat, g.lng, back.lat, back.lng];
        });
    }""", GCJ_PAIRS)
    for (wlat, wlng, glat, glng), (lat, lng, blat, blng) in zip(GCJ_PAIRS, results):
        assert abs(lat - glat) < 1e-6 and abs(lng - glng) < 1e-6  # about 0.1 m
        assert abs(blat - wlat) < 1e-7 and abs(blng - wlng) < 1e-7
    outside = page.evaluate("async () => (await import('/app/map/gcj02.js')).wgs84ToGcj02(52.52, 13.405)")
    assert outside == {"lat": 52.52, "lng": 13.405}  # outside mainland China nothing moves


def test_an_expired_session_returns_to_sign_in_with_a_message(pages):
    page, watch = pages.open()
    watch.allow(401, r"/live$")
    pages.sign_in(page, "manager")
    page.locator("#live-map").wait_for()
    # The token stops being valid (as when it expires): the next request is refused.
    page.evaluate("""() => { const s = JSON.parse(sessionStorage.getItem('legwork.session'));
        s.token = s.token.slice(0, -4) + 'AAAA'; sessionStorage.setItem('legwork.session', JSON.stringify(s)); }""")
    page.reload()
    page.get_by_label("Username").wait_for()
    assert "expired" in page.locator(".notice-inline").inner_text()
    assert page.url.endswith("#/signin")
