"""Issue 12 in Chromium: district labels never overlap at any width (boxes measured), and axe-core (vendored
in tests/vendor/axe-core-4.14.1/, MPL-2.0) finds no serious or critical WCAG 2.1 A/AA violation on any page."""
from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import LABEL_BOXES, browser, live_server, open_page, settle_labels  # noqa: F401  (pytest fixtures)

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core-4.14.1" / "axe-core-4.14.1.min.js"
READY = "() => window.NTM && NTM.maps.length === 1"
MAP_PAGES = ["/", "/compare", "/lagging", "/embed"]


@pytest.fixture()
def sized(open_page):
    def make(width: int, height: int | None = None, lang: str = "vi-VN"):
        phone = width < 600
        return open_page(width, height or (800 if phone else 900), locale=lang, has_touch=phone, is_mobile=phone)

    return make


RECT = "e => { const r = e.getBoundingClientRect(); return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; }"


def intersect(a: dict, b: dict) -> bool:
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


@pytest.mark.parametrize("width", [360, 390, 1366, 1600, 1920])
@pytest.mark.parametrize("path", MAP_PAGES)
def test_no_two_visible_labels_intersect(live_server, sized, width, path):
    page = sized(width, 768 if width == 1366 else None)
    for query in ("year=2024", "year=2022&layer=band&lang=en", "year=2023&district=831"):
        page.goto(f"{live_server}{path}?{query}")
        settle_labels(page)
        boxes = page.evaluate(LABEL_BOXES)
        assert boxes, f"no label shown on {path}?{query} at {width}px"
        frame = page.locator(".folium-map").evaluate(RECT)
        controls = page.eval_on_selector_all(".leaflet-control", f"els => els.map({RECT})")
        for i, a in enumerate(boxes):
            assert frame["left"] <= a["left"] and a["right"] <= frame["right"]
            assert frame["top"] <= a["top"] and a["bottom"] <= frame["bottom"]
            assert not [b["code"] for b in boxes[i + 1:] if intersect(a, b)], (path, query, width, a["code"])
            assert not [c for c in controls if intersect(a, c)], (path, query, width, a["code"], "control")
        if width >= 1366 and "district" not in query:
            assert len(boxes) >= 7, f"only {len(boxes)} labels at {width}px"
    assert page.errors == [] and page.external == []


def test_dropped_labels_come_back_on_zoom(live_server, sized):
    page = sized(640, 480)  # a small laptop window: the labels with their share line do not all fit (on a phone
    # the names alone, with leader lines, fit above and beside the province, fitted below the map's controls)
    page.goto(live_server + "/")
    settle_labels(page)
    shown = {b["code"] for b in page.evaluate(LABEL_BOXES)}
    dropped = sorted(set(page.eval_on_selector_all(".ntm-district-text", "els => els.map(e => e.dataset.districtCode)"))
                     - shown)
    assert dropped, "at 640×480 not every label fits the whole province"
    for code in dropped:
        page.evaluate("code => { const m = NTM.maps[0], legend = document.querySelector('.ntm-legend');"  # beside it
                      " m.map.fitBounds(m.byDistrict[code].getBounds(), {animate: false,"
                      " paddingBottomRight: [legend.getBoundingClientRect().width + 10, 0]}); }", code)
        settle_labels(page)
        assert code in {b["code"] for b in page.evaluate(LABEL_BOXES)}


# ------------------------------------------------------------------ axe-core


def axe_violations(page) -> list[dict]:
    """Serious and critical WCAG 2.0/2.1 A/AA violations axe-core finds on the page as it is now."""
    page.evaluate(AXE.read_text("utf-8"))  # evaluated by the debugger protocol: not subject to the page's CSP
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
                                           resultTypes: ['violations']});
        return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
          .map(v => ({id: v.id, impact: v.impact, help: v.help,
                      nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
    }""")
    return result


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("path", ["/", "/compare", "/lagging", "/gaps", "/targets", "/embed", "/print"])
def test_axe_finds_no_serious_violation(live_server, sized, path, lang):
    page = sized(1366, 900)
    page.goto(f"{live_server}{path}?year=2022" + ("&lang=en" if lang == "en" else ""))
    if path in MAP_PAGES:
        settle_labels(page)
    assert axe_violations(page) == []


@pytest.mark.parametrize("query", ["layer=criterion&criterion=13", "layer=district", "district=836"])
def test_axe_on_map_views_and_phone(live_server, sized, query):
    for width in (390, 1366):
        page = sized(width)
        page.goto(f"{live_server}/?{query}")
        settle_labels(page)
        page.evaluate("NTM.maps[0].focus('28813')")
        page.wait_for_timeout(300)
        assert axe_violations(page) == []


LANDMARK_RULES = ["landmark-one-main", "region", "page-has-heading-one", "heading-order", "landmark-unique"]


def axe_rules(page, rules: list[str]) -> list[dict]:
    """What the named axe-core rules find on the page as it is now, whatever their impact (these are axe's
    best-practice rules: how a screen reader's user finds their way by landmarks and headings)."""
    page.evaluate(AXE.read_text("utf-8"))
    return page.evaluate("""async rules => {
        const r = await axe.run(document, {runOnly: {type: 'rule', values: rules}, resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
    }""", rules)


@pytest.mark.parametrize("path", ["/?year=1999", "/no-such-page", "/embed?year=2022", "/embed?title=B%E1%BA%BFn%20Tre",
                                  "/print?year=2022"])
def test_pages_have_one_main_landmark_and_a_heading(live_server, sized, path):
    """Error pages had no <main> (their text was outside every landmark), the embed had neither <main> nor an
    h1, and the print page's buttons were outside every landmark."""
    page = sized(1366, 900)
    page.goto(live_server + path)
    if path.startswith("/embed"):
        settle_labels(page)
    assert axe_rules(page, LANDMARK_RULES) == []


def test_a_phones_open_legend_and_sheet_keep_landmarks_and_headings_in_order(live_server, sized):
    """At 390 px the opened legend was two regions named "Chú giải" (the folded box holding its button, and the
    legend below the map), and a commune's name was an h3 straight under the page's h1."""
    page = sized(390)
    page.goto(f"{live_server}/?year=2024")
    settle_labels(page)
    page.click(".ntm-legend-toggle")
    page.evaluate("NTM.maps[0].focus('28813')")
    page.wait_for_timeout(300)
    assert page.locator(".ntm-legend-sheet").is_visible()
    assert axe_rules(page, LANDMARK_RULES) == []


@pytest.mark.parametrize("path", ["/?year=2024", "/compare"])
def test_sort_buttons_and_the_options_button_are_named_without_their_arrows(live_server, sized, path):
    """The sort buttons were read "Huyện ▲", "Mã ↕": the arrows drawn by the style sheet were part of their names
    (the order is already said by aria-sort)."""
    page = sized(390)
    page.goto(live_server + path)
    settle_labels(page)
    names = page.evaluate("""() => Array.from(document.querySelectorAll('.sort-button, #map-options-toggle'))
        .map(b => b.textContent.trim())""")
    assert names
    for name in names:
        button = page.get_by_role("button", name=name, exact=True)
        assert button.count() >= 1, name
    page.locator(".sort-button").first.click()
    first = page.locator(".sort-button").first.text_content().strip()
    assert page.get_by_role("button", name=first, exact=True).count() >= 1


def test_leaflets_link_has_no_english_tooltip_on_a_vietnamese_map(live_server, sized):
    page = sized(1366, 900)
    page.goto(f"{live_server}/?year=2024")
    settle_labels(page)
    link = page.locator(".leaflet-control-attribution a", has_text="Leaflet")
    assert link.count() == 1 and link.get_attribute("title") is None  # "A JavaScript library for interactive maps"


def test_a_skip_link_before_the_map_leads_to_its_table(live_server, sized):
    """From the page's top the table's first sort button was the 36th tab stop, 19 of them in the map."""
    page = sized(1366, 900)
    page.goto(f"{live_server}/?year=2024")
    settle_labels(page)
    page.locator("#compare-link").focus()
    page.keyboard.press("Tab")
    skip = page.evaluate("() => [document.activeElement.className, document.activeElement.textContent]")
    assert skip == ["skip-map", "Bỏ qua bản đồ, đến bảng số liệu"]
    assert page.locator(".skip-map").is_visible()  # seen while it has the focus
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "table-heading"
    for _ in range(3):  # the table's downloads (CSV, XLSX, GeoJSON), then its first sort button
        page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('sort-button')")


@pytest.mark.parametrize("path", ["/lagging?year=2024", "/targets?year=2024", "/gaps?year=2024",
                                  "/targets?year=2024&whatif=all18"])
def test_a_table_scrolling_in_its_box_can_be_scrolled_from_the_keyboard(live_server, sized, path):
    """On a phone the planning tables scroll sideways inside their box, which no key could reach (axe:
    scrollable-region-focusable, serious). Such a box is a named tab stop; a box that fits is not."""
    for width in (390, 1366):
        page = sized(width)
        page.goto(live_server + path)
        page.wait_for_load_state("load")
        page.wait_for_timeout(200)
        boxes = page.evaluate("""() => Array.from(document.querySelectorAll('.pl-table-wrap')).map(w => ({
            scrolls: w.scrollWidth > w.clientWidth + 1, tab: w.getAttribute('tabindex'), role: w.getAttribute('role'),
            name: w.getAttribute('aria-label')}))""")
        assert boxes
        for b in boxes:
            assert (b["tab"] == "0") == b["scrolls"] and (b["role"] == "region") == b["scrolls"], (width, b)
            assert not b["scrolls"] or b["name"], b
        if width == 390 and path != "/targets?year=2024":  # the targets' own tables fit a phone
            assert any(b["scrolls"] for b in boxes)
        assert axe_rules(page, ["scrollable-region-focusable"]) == []


def test_export_and_chart_links_say_what_they_download(live_server, sized):
    page = sized(1366, 900)
    page.goto(f"{live_server}/targets?year=2024")
    page.wait_for_load_state("load")
    names = page.evaluate("""() => Array.from(document.querySelectorAll('.pl-chart figcaption a'))
        .map(a => a.getAttribute('aria-label') || a.textContent)""")
    assert len(names) > 1 and len(set(names)) == len(names) and all(n.startswith("SVG: ") for n in names)
    page.goto(f"{live_server}/?year=2024")
    settle_labels(page)
    double = page.get_by_role("link", name="PNG ×2 (kích thước gấp đôi)", include_hidden=True)
    assert double.count() == 1 and double.text_content() == "×2"


def test_a_phones_folded_filters_say_which_any_is_which(live_server, sized):
    """The folded filters' button read "Bộ lọc: 2024 · Toàn tỉnh · Tất cả · Tất cả"."""
    page = sized(390)
    page.goto(f"{live_server}/lagging?year=2024")
    page.wait_for_load_state("load")
    now = page.text_content(".pl-filters-now")
    assert "Tất cả · Tất cả" not in now and now.count(": Tất cả") == 2, now
    assert now.startswith("2024 · Toàn tỉnh · ")
