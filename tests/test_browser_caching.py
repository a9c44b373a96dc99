"""In Chromium: a repeat view is a 304 plus nothing else from the server, and the map still runs (CSP nonce)."""
from __future__ import annotations

from browser_support import browser, is_local, serve, watch  # noqa: F401  (pytest fixtures)


def test_repeat_view_is_a_304_and_the_map_still_runs(browser, default_settings, tmp_path):
    """Uses a page without request routing: Playwright's routing turns Chromium's HTTP cache off."""
    from geo_app import create_app

    app = create_app({"TESTING": True, "SETTINGS": default_settings, "PAGE_CACHE_DIR": str(tmp_path / "cache")})
    served: list[tuple[str, int, str]] = []

    @app.after_request
    def record(response):
        from flask import request

        served.append((request.path, response.status_code, response.headers.get("Content-Encoding", "")))
        return response

    ready = "() => window.NTM && NTM.maps.length === 1 && NTM.maps[0].communes.getLayers().length === 157"
    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    page = context.new_page()
    requested, errors = watch(page)
    with serve(app) as base:
        page.goto(base + "/?lang=en")
        page.wait_for_function(ready)
        first = list(served)
        assert ("/", 200, "gzip") in first  # Chromium accepts gzip and br: the page comes spliced from gzip
        assert any(path.startswith("/static/") and status == 200 for path, status, _ in first)
        page.goto(base + "/gaps?lang=en")
        served.clear()
        page.goto(base + "/?lang=en")
        page.wait_for_function(ready)
        assert served == [("/", 304, "")]  # the page revalidated; hashed static files came from the cache
    context.close()
    assert errors == [] and all(is_local(url) for url in requested)
