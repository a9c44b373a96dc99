"""Real-browser test support: serve a Flask app on 127.0.0.1 and drive Debian's Chromium with Playwright.

Use from a test module::

    from browser_support import browser, live_server, page  # noqa: F401  (pytest fixtures)

    def test_something(live_server, page):
        page.goto(live_server + "/")
        ...
        assert page.external == [] and page.errors == []

`live_server` serves the session `app` fixture (tests/conftest.py); `serve(app)` serves any other app
instance (a context manager yielding its base URL). `page` aborts and records every request to a host
other than 127.0.0.1/localhost (`page.external`) and records console errors and uncaught page errors
(`page.errors`).
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
LOCAL_SCHEMES = {"data", "blob", "about"}


@contextmanager
def serve(app) -> Iterator[str]:
    """Serve `app` on a free port of 127.0.0.1 in a background thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or parts.hostname in LOCAL_HOSTS


class RecordingPage:
    """A Playwright page that blocks off-host requests; `external` and `errors` say what happened."""

    def __init__(self, page: Page):
        self.page = page
        self.external: list[str] = []
        self.errors: list[str] = []
        page.route("**/*", self._route)
        page.on("console", lambda msg: self.errors.append(f"console: {msg.text}") if msg.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))

    def _route(self, route) -> None:
        url = route.request.url
        if is_local(url):
            route.continue_()
        else:
            self.external.append(url)
            route.abort()

    def __getattr__(self, name):
        return getattr(self.page, name)


def watch(page: Page) -> tuple[list[str], list[str]]:
    """(every URL the page requests, its errors), for a page left without request routing: Playwright's routing
    turns Chromium's HTTP cache off, and the tests that use this measure that cache."""
    requested: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return requested, errors


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[str]:
    with serve(app) as url:
        yield url


class _Chromium:
    """One Playwright + Chromium per test process, shared by every module that imports `browser`.

    Each importing module gets its own session-scoped fixture definition, and Playwright's sync API
    cannot run twice at once, so the fixtures share this instance and the last one to finish closes it.
    """

    users = 0
    playwright = None
    browser: Browser | None = None

    @classmethod
    def acquire(cls) -> Browser:
        if cls.browser is None:
            cls.playwright = sync_playwright().start()
            cls.browser = cls.playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        cls.users += 1
        return cls.browser

    @classmethod
    def release(cls) -> None:
        cls.users -= 1
        if cls.users == 0 and cls.browser is not None:
            cls.browser.close()
            cls.playwright.stop()
            cls.browser = cls.playwright = None


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    chromium = _Chromium.acquire()
    try:
        yield chromium
    finally:
        _Chromium.release()


@pytest.fixture()
def page(browser) -> Iterator[RecordingPage]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN",
                                  service_workers="block")
    try:
        yield RecordingPage(context.new_page())
    finally:
        context.close()


@pytest.fixture()
def open_page(browser):
    """`open_page(width, height, **context_options)`: a RecordingPage in a new context of that viewport
    (Vietnamese locale unless `locale` is given, no service workers); the contexts are closed after the test."""
    contexts = []

    def make(width: int, height: int, **options) -> RecordingPage:
        context = browser.new_context(viewport={"width": width, "height": height},
                                      **{"locale": "vi-VN", "service_workers": "block", **options})
        contexts.append(context)
        return RecordingPage(context.new_page())

    yield make
    for context in contexts:
        context.close()


# ------------------------------------------------------------------ map labels

MAP_READY = "() => window.NTM && NTM.maps.length === 1"
LABEL_BOXES = """() => {
  const visible = Array.from(document.querySelectorAll('.ntm-district-label'))
    .filter(t => !t.classList.contains('ntm-label-dropped') && getComputedStyle(t).visibility !== 'hidden');
  return visible.map(t => { const r = t.querySelector('.ntm-district-text').getBoundingClientRect();
    return {code: t.querySelector('.ntm-district-text').dataset.districtCode,
            left: r.left, top: r.top, right: r.right, bottom: r.bottom}; });
}"""


def settle_labels(page, tries: int = 40) -> None:
    """The map is ready and its labels have stopped moving (placement runs again on the frame after any
    resize or move, which can come late on a loaded machine): two readings 150 ms apart agree."""
    page.wait_for_function(MAP_READY)
    page.wait_for_timeout(250)
    before = page.evaluate(LABEL_BOXES)
    for _ in range(tries):
        page.wait_for_timeout(150)
        now = page.evaluate(LABEL_BOXES)
        if now == before:
            return
        before = now
