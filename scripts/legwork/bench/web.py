"""`make bench-web`: the web app's live map in Chromium with 200 running tasks.

Starts `python -m legwork dev` with the site on a free port (its own process), creates N
couriers (default 200) with a started task each and a few positions each, through the
API, then opens the live map as the manager in Debian's Chromium (Playwright) and prints:

1. time to interactive: from navigation to every courier's marker and list row drawn
   (and, separately, to every track read);
2. JavaScript and CSS transferred, vendored Leaflet included: raw bytes as `make dev`
   serves them, and gzip, as CloudFront (Compress: true) would send them;
3. what one open dashboard costs the API per minute while nothing changes but positions:
   requests and bytes, by endpoint, side by side with the naive refresh that re-reads
   every track every 5 s (what the incremental tracks replace).

Figures only; nothing is asserted.
"""
from __future__ import annotations

import argparse
import gzip
import os
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

from legwork import ROOT
from legwork.bench import dev_server
from legwork.bench.ingest import DEMO_ADMIN, Api, live_items, login, post_batches, prepare_couriers, wait_until

SITE = ROOT / "src" / "dashboard" / "site"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def endpoint(url: str) -> str:
    path = urlsplit(url).path
    if path.startswith("/tasks/") and path.endswith("/track"):
        return "GET /tasks/{id}/track"
    if path.startswith("/routes/"):
        return "GET /routes/{id}"
    if path.startswith("/tasks/"):
        return "GET /tasks/{id}…"
    return f"GET {path}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m legwork bench web", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--template", type=Path, default=ROOT / "template.yaml")
    parser.add_argument("--tasks", type=int, default=200, help="running tasks (one courier each)")
    parser.add_argument("--points", type=int, default=3, help="positions posted per courier before the map opens")
    parser.add_argument("--minute", type=float, default=60.0, help="seconds the dashboard stays open for the cost figures")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    if not args.template.is_file():
        print(f"{args.template} does not exist: run `make merge` first", file=sys.stderr)
        return 2
    if not os.path.isfile(args.chromium):
        print("bench-web needs Chromium: sudo apt-get install -y chromium", file=sys.stderr)
        return 2

    from playwright.sync_api import sync_playwright

    from legwork.bench.local import wait_for_first_answer

    with dev_server(args.template, "--quiet", "--no-timers", "--poll-interval", "0.1", "--static", str(SITE),
                    log_prefix="legwork-bench-web-") as dev:
        port, base = dev.port, dev.base_url
        wait_for_first_answer(port, dev.started)
        api = Api(base)
        admin = login(api, *DEMO_ADMIN)["token"]
        t0 = time.monotonic()
        _, couriers = prepare_couriers(api, args.tasks, admin_token=admin, threads=8)
        post_batches(api, couriers, batches=args.points, size=1, threads=8)
        manager = login(api, "manager", "legwork-demo")
        wait_until(lambda: len([i for i in live_items(api, manager["token"]) or []
                                if i.get("position")]) >= args.tasks, timeout=180, interval=1.0)
        setup_s = time.monotonic() - t0

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium, headless=True, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=base)
            # Signed in already (the token of the API's login), tiles off: this machine has no tile server.
            context.add_init_script(
                "sessionStorage.setItem('legwork.session', JSON.stringify(%s)); localStorage.setItem('legwork.tiles', 'none');"
                % __import__("json").dumps({"token": manager["token"], "expiresAt": manager["expiresAt"], "user": manager["user"]}))
            page = context.new_page()
            assets: dict[str, int] = {}
            api_calls: list[tuple[float, str, int]] = []

            def on_response(response) -> None:
                url = response.url
                path = urlsplit(url).path
                try:
                    body = response.body()
                except Exception:
                    return
                if path.endswith((".js", ".css")):
                    assets[path] = len(body)
                elif not path.startswith("/app/") and path not in ("/", "/config.json"):
                    api_calls.append((time.monotonic(), endpoint(url), len(body)))

            page.on("response", on_response)
            nav = time.monotonic()
            page.goto("/#/live")
            page.wait_for_function("n => document.querySelectorAll('.courier-pin').length >= n && "
                                   "document.querySelectorAll('.courier').length >= n", arg=args.tasks, timeout=120000)
            tti = time.monotonic() - nav
            page.wait_for_function(
                "() => { const m = window.legwork.liveMap; return m && m.trackQueue.length === 0 && m.trackBusy === 0 && "
                "[...m.entries.values()].every(e => e.syncedAt > 0); }", timeout=180000)
            tracks_s = time.monotonic() - nav
            window_start = time.monotonic()
            # Couriers keep moving while the dashboard is open: one position each, every 10 s.
            post_batches(api, couriers, batches=max(1, int(args.minute // 10)), size=1, threads=8, interval=10.0,
                         seconds=args.minute)
            remaining = args.minute - (time.monotonic() - window_start)
            if remaining > 0:
                page.wait_for_timeout(remaining * 1000)
            window_s = time.monotonic() - window_start
            one_track = [b for t, e, b in api_calls if e == "GET /tasks/{id}/track"]
            browser.close()
    dev.log.close()
    os.unlink(dev.log.name)

    raw = sum(assets.values())
    zipped = sum(len(gzip.compress((ROOT / "src/dashboard/site" / p.lstrip("/")).read_bytes(), 6)) for p in assets
                 if (ROOT / "src/dashboard/site" / p.lstrip("/")).is_file())
    vendor = sum(n for p, n in assets.items() if "/vendor/" in p)
    in_window = [(e, b) for t, e, b in api_calls if t >= window_start]
    per_min = 60.0 / window_s
    by_endpoint: dict[str, list[int]] = defaultdict(list)
    for e, b in in_window:
        by_endpoint[e].append(b)
    live = by_endpoint.get("GET /live", [])
    mean_track = (sum(one_track) / len(one_track)) if one_track else 0
    naive_requests = len(live) * (1 + args.tasks)
    naive_bytes = sum(live) + len(live) * args.tasks * mean_track

    print(f"legwork web app — live map with {args.tasks} running tasks, Chromium {playwright_version()}, "
          f"{os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f}); set-up through the API {setup_s:.0f} s")
    print(f"  time to interactive (navigation → {args.tasks} markers and list rows drawn): {tti:.2f} s")
    print(f"  every track read as well (GET /tasks/{{id}}/track, 3 at a time): {tracks_s:.2f} s")
    print(f"  JavaScript and CSS: {len(assets)} files, {raw / 1024:.1f} KiB as served by make dev, "
          f"{zipped / 1024:.1f} KiB gzip (CloudFront Compress); vendored Leaflet {vendor / 1024:.1f} KiB of it")
    print(f"  one open dashboard for {window_s:.0f} s while every courier posts every 10 s, per minute:")
    for name, sizes in sorted(by_endpoint.items()):
        print(f"    {name:<24} {len(sizes) * per_min:6.1f} requests {sum(sizes) * per_min / 1024:9.1f} KiB")
    total_req = sum(len(s) for s in by_endpoint.values()) * per_min
    total_kib = sum(sum(s) for s in by_endpoint.values()) * per_min / 1024
    print(f"    {'total':<24} {total_req:6.1f} requests {total_kib:9.1f} KiB")
    print(f"  the same minute re-reading every track on each refresh (naive): {naive_requests * per_min:6.0f} requests "
          f"{naive_bytes * per_min / 1024:9.1f} KiB (mean track page {mean_track / 1024:.1f} KiB)")
    return 0


def playwright_version() -> str:
    try:
        out = subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True, timeout=10).stdout
        return out.split()[1] if out else "?"
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "?"
