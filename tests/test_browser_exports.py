"""Exports in Debian's Chromium: the offline HTML from file:// with no network, the embed at 320 and 1920 px,
and no Content-Security-Policy violations on the pages that carry the policy."""
from __future__ import annotations

import re

import pytest
from browser_support import browser, live_server, page  # noqa: F401  (pytest fixtures)

COMMUNE_PATHS = ".leaflet-ntmCommunes-pane path"
CSP_RECORDER = ("window.__csp = []; document.addEventListener('securitypolicyviolation', "
                "e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")
BOXES = """() => Array.from(document.querySelectorAll(arguments_selector)).map(p => {
  const b = p.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; })""".replace(
    "arguments_selector", repr(COMMUNE_PATHS))


@pytest.fixture(scope="module")
def exported_html(app, tmp_path_factory):
    """The standalone export of 2022 written to disk, as a user saves it."""
    r = app.test_client().get("/export/map.html?year=2022")
    assert r.status_code == 200
    path = tmp_path_factory.mktemp("export") / "ntm-ben-tre-2022-level.html"
    path.write_bytes(r.data)
    return path


def test_exported_html_draws_everything_from_file_with_no_network(browser, exported_html, dataset):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, offline=True, service_workers="block")
    requested, errors = [], []

    def only_local_files(route) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            requested.append(url)
            route.abort()

    context.route("**/*", only_local_files)
    try:
        tab = context.new_page()
        tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        tab.on("pageerror", lambda e: errors.append(str(e)))
        tab.goto(exported_html.as_uri())
        tab.wait_for_selector(COMMUNE_PATHS)
        assert tab.locator(COMMUNE_PATHS).count() == 157
        legend = tab.locator(".ntm-legend")
        assert legend.is_visible()
        counts = [int(c) for c in tab.locator(".ntm-legend-communes .ntm-legend-count").all_inner_texts()]
        assert sum(counts) == 157
        assert "2022" in tab.locator("#ntm-title").inner_text()
        assert tab.locator("#ntm-summary").inner_text().startswith("2022: 80/142 xã")
        assert "Nguồn:" in tab.locator("#ntm-source").inner_text()
        assert "Nguồn gốc số liệu" in tab.locator("#ntm-provenance").inner_text()
        assert re.match(r"Ngày xuất: \d{1,2} tháng \d{1,2} năm 20\d\d$", tab.locator("#ntm-date").inner_text())
        if dataset.has_illustrative(2022):
            assert "MINH HỌA" in tab.locator("#ntm-warning").inner_text()
        assert requested == []
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize("width, height", [(320, 480), (1920, 1080)])
def test_embed_shows_the_whole_province(browser, live_server, width, height):
    context = browser.new_context(viewport={"width": width, "height": height}, service_workers="block")
    try:
        tab = context.new_page()
        tab.add_init_script(CSP_RECORDER)
        tab.goto(live_server + "/embed?year=2023")
        tab.wait_for_selector(COMMUNE_PATHS)
        tab.wait_for_load_state("networkidle")
        boxes = tab.evaluate(BOXES)
        assert len(boxes) == 157
        for left, top, right, bottom in boxes:
            assert 0 <= left and right <= width and 0 <= top and bottom <= height
            assert right - left > 0 and bottom - top > 0
        province_w = max(b[2] for b in boxes) - min(b[0] for b in boxes)
        assert province_w > 0.6 * width  # fitted, not a speck
        assert tab.evaluate("window.__csp") == []
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/", "/embed?district=832&controls=0&legend=0&title=B%E1%BA%A3n%20%C4%91%E1%BB%93",
                                  "/print?paper=a3"])
def test_no_csp_violations_or_errors(page, live_server, path):
    page.add_init_script(CSP_RECORDER)
    page.goto(live_server + path)
    page.wait_for_load_state("networkidle")
    if path != "/print?paper=a3":
        assert page.locator(COMMUNE_PATHS).count() == 157
    else:
        assert page.locator("#sheet img").evaluate("img => img.complete && img.naturalWidth > 0")
    assert page.evaluate("window.__csp") == []
    assert page.errors == [] and page.external == []
