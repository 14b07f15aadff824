"""The web app in real Chromium: Debian's `chromium`, driven by Playwright for Python.

One local runtime per test module (the merged application, its demo data, the dashboard's
static files), started on free ports by the fixture as `make dev` would run it. Each test
gets a fresh browser context; a `Watch` records console errors, page errors, failed
requests and HTTP errors, and the test fails on any it did not expect.

Screenshots go to `.legwork/screenshots/` (git-ignored), one per screen, for a person to
look at.
"""
from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest

from legwork import ROOT
from legwork.bench.ingest import Api, login
from tests.support.app import merged_app

CHROMIUM = os.environ.get("LEGWORK_CHROMIUM", "/usr/bin/chromium")
SITE = ROOT / "src" / "dashboard" / "site"
DEMO_PASSWORD = "legwork-demo"
# As the machine notes say: without the background-networking flags Chromium keeps
# calling out (and failing) on a closed network; --no-sandbox because CI runs as root.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions",
    "--disable-dev-shm-usage",
]


def _chromium_path() -> str:
    path = CHROMIUM if os.path.isfile(CHROMIUM) else shutil.which("chromium")
    if not path:
        pytest.fail("Chromium is not installed: run `sudo apt-get install -y chromium` "
                    "(make test installs it when run as root)", pytrace=False)
    return path


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = _chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def runtime(tmp_path_factory):
    """The merged application with its demo data, serving the dashboard beside the API."""
    with merged_app(tmp_path_factory.mktemp("webapp"), static_dir=SITE, seed_timeout=90) as runtime:
        yield runtime


@pytest.fixture(scope="module")
def api(runtime) -> Api:
    return Api(runtime.url)


@pytest.fixture(scope="module")
def tokens(api) -> Callable[[str], str]:
    """A bearer token of a demo user, by username (signed in once per module)."""
    cache: dict[str, str] = {}

    def token(username: str) -> str:
        if username not in cache:
            cache[username] = login(api, username, DEMO_PASSWORD)["token"]
        return cache[username]
    return token


@dataclass
class Watch:
    """What went wrong in a page: console errors, uncaught exceptions, failed requests."""

    problems: list[str] = field(default_factory=list)
    allowed: list[tuple[int | None, str]] = field(default_factory=list)

    def allow(self, status: int | None, url_pattern: str) -> None:
        """A failure the test causes on purpose (status None: a request that never got an answer)."""
        self.allowed.append((status, url_pattern))

    def _is_allowed(self, status: int | None, url: str) -> bool:
        return any(s == status and re.search(p, url) for s, p in self.allowed)

    def attach(self, page) -> None:
        def on_console(message) -> None:
            if message.type != "error":
                return
            text = message.text
            # Chromium logs every HTTP error of a fetch as "Failed to load resource";
            # those are judged by their response below, with the URL.
            if text.startswith("Failed to load resource"):
                return
            self.problems.append(f"console error: {text}")

        def on_response(response) -> None:
            if response.status >= 400 and not self._is_allowed(response.status, response.url):
                self.problems.append(f"HTTP {response.status}: {response.request.method} {response.url}")

        def on_failed(request) -> None:
            # A request the page itself dropped (a reload or a new page while it was in
            # flight) is ERR_ABORTED: that is the browser tidying up, not a failure.
            if request.failure == "net::ERR_ABORTED":
                return
            if not self._is_allowed(None, request.url):
                self.problems.append(f"request failed ({request.failure}): {request.method} {request.url}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("response", on_response)
        page.on("requestfailed", on_failed)


class Pages:
    """Opens pages on the runtime's site, each in its own browser context, and checks them."""

    def __init__(self, browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.contexts: list[Any] = []
        self.watches: list[Watch] = []

    def open(self, *, tiles: str | None = "none", viewport: dict | None = None, geolocation: dict | None = None,
             **context_options: Any):
        """A new page (and its `Watch`). `tiles` is the map setting a user can pick; the
        tests use "none" because this machine cannot reach a tile server."""
        options: dict[str, Any] = {"viewport": viewport or {"width": 1280, "height": 800}, "base_url": self.base_url,
                                   "locale": "en-GB", "timezone_id": "UTC", **context_options}
        if geolocation:
            options.update(geolocation=geolocation, permissions=["geolocation"])
        context = self.browser.new_context(**options)
        if tiles:
            context.add_init_script(f"window.localStorage.setItem('legwork.tiles', {tiles!r});")
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30000)  # generous: a loaded CI machine answers slowly
        watch = Watch()
        watch.attach(page)
        self.watches.append(watch)
        return page, watch

    def sign_in(self, page, username: str, password: str = DEMO_PASSWORD) -> None:
        page.goto("/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.locator(".topbar .user").filter(has_text=username).wait_for()

    def close(self) -> list[str]:
        problems = [p for w in self.watches for p in w.problems]
        for context in self.contexts:
            context.close()
        return problems


@pytest.fixture
def pages(browser, runtime):
    opened = Pages(browser, runtime.url)
    yield opened
    problems = opened.close()
    assert not problems, "the pages had problems:\n" + "\n".join(problems)
