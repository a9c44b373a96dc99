"""Issue 12, phones in Chromium: the map starts on the first screen of `/` and `/compare` (the view's options fold
behind one "Tùy chọn bản đồ" button), nothing scrolls sideways, and the opened legend never covers more than
15 % of the map (it opens below the map)."""
from __future__ import annotations

import re

import pytest
from browser_support import RecordingPage, browser, live_server, open_page  # noqa: F401  (pytest fixtures)

READY = "() => window.NTM && NTM.maps.length === 1"
PHONES = [(360, 800), (390, 844)]


@pytest.fixture()
def phone(open_page):
    return lambda width, height: open_page(width, height, has_touch=True, is_mobile=True)


def box(page, selector: str) -> dict:
    return page.locator(selector).first.evaluate(
        "e => { const r = e.getBoundingClientRect(); return {left: r.left, right: r.right, top: r.top, bottom: r.bottom,"
        " width: r.width, height: r.height}; }")


def covered_share(page, selector: str) -> float:
    """Share of the map's area under the element `selector`."""
    a, b = box(page, selector), box(page, ".folium-map")
    w = max(0.0, min(a["right"], b["right"]) - max(a["left"], b["left"]))
    h = max(0.0, min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]))
    return w * h / (b["width"] * b["height"])


def no_sideways_scroll(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")


@pytest.mark.parametrize("width,height", PHONES)
@pytest.mark.parametrize("path", ["/?year=2024", "/compare?from=2021&year=2024", "/?layer=criterion&criterion=13",
                                  "/?district=836&lang=en"])
def test_map_starts_on_the_first_screen_of_a_phone(live_server, phone, width, height, path):
    page = phone(width, height)
    page.goto(live_server + path)
    page.wait_for_function(READY)
    toggle = page.locator("#map-options-toggle")
    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    assert box(page, "#map-options-toggle")["height"] >= 44
    assert not page.locator("#map-options-body select").first.is_visible()
    top = box(page, ".map-frame")["top"]
    assert top <= 0.55 * height, f"the map starts at {top}px of a {height}px screen"
    assert no_sideways_scroll(page)
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert page.locator("#map-options-body select").first.is_visible()
    assert no_sideways_scroll(page)
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not page.locator("#map-options-body select").first.is_visible()
    assert page.errors == [] and page.external == []


def test_folded_options_still_change_the_view(live_server, phone):
    page = phone(390, 844)
    page.goto(live_server + "/?year=2023")
    page.wait_for_function(READY)
    page.click("#map-options-toggle")
    with page.expect_navigation():
        page.select_option("#map-controls select[name=layer]", "band")
    page.wait_for_function(READY)
    assert "layer=band" in page.url and "year=2023" in page.url
    assert page.get_attribute("#map-options-toggle", "aria-expanded") == "false"


def test_options_are_open_and_the_button_hidden_on_wide_screens(live_server, browser):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, service_workers="block")
    try:
        page = RecordingPage(context.new_page())
        for path in ("/", "/compare"):
            page.goto(live_server + path)
            page.wait_for_function(READY)
            assert not page.locator("#map-options-toggle").is_visible()
            assert page.locator("#map-options-body select").first.is_visible()
        page.set_viewport_size({"width": 390, "height": 844})  # a window made narrow folds them
        page.wait_for_function("() => document.getElementById('map-options-body').hidden")
        assert page.locator("#map-options-toggle").is_visible()
    finally:
        context.close()


@pytest.mark.parametrize("width,height", PHONES)
@pytest.mark.parametrize("path", ["/", "/compare", "/lagging", "/embed"])
def test_opened_phone_legend_covers_at_most_15_percent_of_the_map(live_server, phone, width, height, path):
    page = phone(width, height)
    page.goto(live_server + path)
    page.wait_for_function(READY)
    toggle = page.locator(".ntm-legend-toggle")
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    body = page.locator(".ntm-legend-body")
    assert body.is_visible() and any(t in body.inner_text() for t in ("Chưa đạt chuẩn", "Giữ nguyên mức"))
    assert covered_share(page, ".ntm-legend-body") <= 0.15
    assert covered_share(page, ".ntm-legend") <= 0.15
    assert no_sideways_scroll(page)
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "false" and not body.is_visible()
    assert page.errors == [] and page.external == []


@pytest.mark.parametrize("path, content", [("/lagging?year=2024", ".pl-map"), ("/gaps?year=2024&lang=en", "#gap-matrix"),
                                           ("/targets?year=2024", ".pl-table")])
def test_planning_filters_fold_on_a_phone_and_say_what_is_chosen(live_server, phone, path, content):
    page = phone(390, 844)
    page.goto(live_server + path)
    toggle = page.locator(".pl-filters-toggle")
    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    assert box(page, ".pl-filters-toggle")["height"] >= 44
    assert "2024" in toggle.inner_text()  # the filters in force, read from the form
    assert not page.locator(".pl-filters select").first.is_visible()
    assert box(page, content)["top"] < 844, "the page's content starts on the first screen"
    assert no_sideways_scroll(page)
    toggle.click()
    assert page.locator(".pl-filters select").first.is_visible() and toggle.get_attribute("aria-expanded") == "true"
    assert page.errors == []


def test_lagging_filters_still_filter_when_folded(live_server, phone):
    page = phone(390, 844)
    page.goto(live_server + "/lagging?year=2024")
    page.locator(".pl-filters-toggle").click()
    page.locator(".pl-filters select[name=band]").select_option("15_18")
    page.locator(".pl-filters button[type=submit]").click()
    page.wait_for_url("**band=15_18**")
    assert "band=15_18" in page.url and page.locator(".pl-filters-toggle").get_attribute("aria-expanded") == "false"


def test_gap_matrix_district_names_stay_readable_on_a_phone(live_server, phone):
    """The district column keeps its width (it was squeezed to one letter a line) and stays in view."""
    page = phone(390, 844)
    page.goto(live_server + "/gaps?year=2024&lang=en")
    first = box(page, "#gap-matrix tbody th")
    assert first["width"] >= 120 and first["height"] < 120, first
    page.locator(".pl-table-wrap").evaluate("e => { e.scrollLeft = 400; }")
    assert box(page, "#gap-matrix tbody th")["left"] == pytest.approx(first["left"], abs=2)


WORDS_WHOLE = """table => Array.from(table.querySelectorAll('tbody tr')).slice(0, 12).flatMap(row =>
  Array.from(row.cells).map(cell => {
    const tops = new Set();  // the lines its text is set on (text only: a button's own box is not a line)
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) if (r.width > 0) tops.add(Math.round(r.top));
    }
    const lines = tops.size;
    const words = cell.textContent.trim().split(/\\s+/).filter(Boolean).length;
    return {text: cell.textContent.trim(), lines, words};
  })).filter(c => c.words && c.lines > c.words)"""


@pytest.mark.parametrize("path,table", [("/?year=2024", "#commune-table"), ("/lagging?year=2024", "#lagging-table"),
                                        ("/compare?from=2021&year=2024", "#compare-table"),
                                        ("/targets?year=2024", "#targets-province"),
                                        ("/targets?year=2024&lang=en", "#targets-833")])
def test_table_words_stay_whole_on_a_phone(live_server, phone, path, table):
    """A table wider than a phone scrolls sideways inside its own box and keeps its words whole (its columns were
    squeezed to one letter a line: "Huyện" read H-u-y-ệ-n down the cell); the page itself never scrolls sideways."""
    page = phone(390, 844)
    page.goto(live_server + path)
    if not path.startswith(("/lagging", "/targets")):
        page.wait_for_function(READY)
        page.wait_for_function("() => !document.documentElement.classList.contains('ntm-map-first')")
    page.locator(table).scroll_into_view_if_needed()
    assert page.locator(table).evaluate(WORDS_WHOLE) == []
    wrap = page.locator(table).evaluate("t => { const w = t.parentElement; return [w.scrollWidth, w.clientWidth]; }")
    assert wrap[0] > wrap[1] or path.startswith("/targets")  # it scrolls inside its box (a targets table may fit)
    assert no_sideways_scroll(page)
    assert page.external == [] and page.errors == []


def test_planning_filters_stay_open_on_wide_screens(live_server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = RecordingPage(context.new_page())
    page.goto(live_server + "/lagging?year=2024")
    assert page.locator(".pl-filters select").first.is_visible()
    assert not page.locator(".pl-filters-toggle").is_visible()
    context.close()


LABELS_UNDER_TAPS = """() => Array.from(document.querySelectorAll('.ntm-district-label'))
  .filter(t => !t.classList.contains('ntm-label-dropped'))
  .map(t => {
    const text = t.querySelector('.ntm-district-text'), r = text.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return {code: text.dataset.districtCode, compact: t.classList.contains('ntm-label-compact'),
            share: getComputedStyle(t.querySelector('.ntm-district-share') || text).display,
            onLabel: !!(hit && t.contains(hit)), commune: hit && hit.matches('path.ntm-commune') ? hit.dataset.wardCode : null};
  })"""


@pytest.mark.parametrize("path", ["/?year=2024", "/?layer=criterion&criterion=13&lang=en"])
def test_district_labels_on_a_phone_are_names_that_let_taps_through(live_server, phone, path):
    """On a phone the district labels covered up to half the province, and a tap on one opened that district's
    page instead of the commune under it: there they are names only, and a tap reaches the commune."""
    page = phone(390, 844)
    page.goto(live_server + path)
    page.wait_for_function(READY)
    page.locator(".folium-map").scroll_into_view_if_needed()
    labels = page.evaluate(LABELS_UNDER_TAPS)
    assert len(labels) >= 5
    assert all(label["compact"] and label["share"] == "none" and not label["onLabel"] for label in labels), labels
    over_land = [label for label in labels if label["commune"]]
    assert over_land
    label = page.locator(f'.ntm-district-text[data-district-code="{over_land[0]["code"]}"]').bounding_box()
    page.touchscreen.tap(label["x"] + label["width"] / 2, label["y"] + label["height"] / 2)
    page.locator(".leaflet-popup .ntm-popup-name").wait_for()  # the commune's facts, on the same page
    assert "district=" not in page.url and page.evaluate("NTM.maps.length") == 1
    assert page.external == [] and page.errors == []


def test_district_labels_stay_links_with_their_share_on_a_wide_map(live_server, open_page):
    page = open_page(1280, 900)
    page.goto(live_server + "/?year=2024")
    page.wait_for_function(READY)
    labels = page.evaluate(LABELS_UNDER_TAPS)
    assert any(not label["compact"] and label["share"] != "none" for label in labels)
    assert all(label["onLabel"] for label in labels)  # a click on a label is the label's (its district's page)


TAPPABLE = """(where) => {
  // The commune label points that are on screen and answer a tap there, lowest first ('west': in the left third).
  const m = NTM.maps[0], map = m.map, r = map.getContainer().getBoundingClientRect();
  const out = [];
  m.communes.eachLayer(layer => {
    const p = layer.feature.properties, pt = map.latLngToContainerPoint([p.label_lat, p.label_lon]);
    const x = r.left + pt.x, y = r.top + pt.y;
    if (y > window.innerHeight - 4 || (where === 'west' && pt.x > r.width / 3)) return;
    const hit = document.elementFromPoint(x, y);
    if (hit && hit.matches('path.ntm-commune') && hit.dataset.wardCode === p.ward_code) {
      out.push({code: p.ward_code, name: p.name, x, y, lat: p.label_lat, lng: p.label_lon});
    }
  });
  return out.sort((a, b) => b.y - a.y)[0];
}"""
WHERE_NOW = """(spot) => {
  const map = NTM.maps[0].map, container = map.getContainer(), r = container.getBoundingClientRect();
  const sheet = document.querySelector('.leaflet-ntmSheet-pane .leaflet-popup').getBoundingClientRect();
  const controls = Math.max(...Array.from(container.querySelectorAll('.leaflet-top .leaflet-control'))
    .map(c => c.getBoundingClientRect().bottom - r.top));
  const pt = map.latLngToContainerPoint([spot.lat, spot.lng]);
  const hit = document.elementFromPoint(r.left + pt.x, r.top + pt.y);
  return {y: pt.y, sheetTop: sheet.top - r.top, controls, under: hit && hit.dataset ? hit.dataset.wardCode : null,
          tooltips: document.querySelectorAll('.leaflet-tooltip.ntm-tooltip').length};
}"""


@pytest.mark.parametrize("where", ["south", "west"])
def test_a_tapped_commune_stays_in_view_above_its_sheet(live_server, phone, where):
    """On a phone a commune opens in a sheet over the lower part of the map: one tapped there was hidden under
    its own facts (and, once moved up, could land under the search box, its hover tooltip left behind). The map
    brings it into the clear part between the controls and the sheet."""
    page = phone(390, 844)
    page.goto(live_server + "/?year=2024")
    page.wait_for_function(READY)
    page.locator(".folium-map").scroll_into_view_if_needed()
    spot = page.evaluate(TAPPABLE, where)
    before = spot["y"] - page.locator(".folium-map").bounding_box()["y"]
    page.touchscreen.tap(spot["x"], spot["y"])
    page.locator(".leaflet-ntmSheet-pane .ntm-popup-name").wait_for()
    assert page.locator(".leaflet-ntmSheet-pane .ntm-popup-name").text_content() == spot["name"]
    now = page.evaluate(WHERE_NOW, spot)
    if where == "south":
        assert before > now["sheetTop"] - 20  # it was under (or at the edge of) the sheet: the map had to move
    assert now["controls"] + 20 < now["y"] < now["sheetTop"] - 20, now
    assert now["under"] == spot["code"]  # nothing covers it there
    assert page.get_attribute(f'path.ntm-commune[data-ward-code="{spot["code"]}"]', "stroke-width") == "3"  # outlined
    # the hover tooltip a tap opens on a touch screen does not stay over it (it fades out)
    page.wait_for_function("() => !document.querySelector('.leaflet-tooltip.ntm-tooltip')", timeout=3000)
    close = page.locator(".leaflet-ntmSheet-pane .leaflet-popup-close-button")
    assert close.get_attribute("aria-label") == "Đóng"
    close.tap()  # closed, the sheet gives the map back as it was before the tap
    page.locator(".leaflet-ntmSheet-pane .leaflet-popup").wait_for(state="detached")
    back = page.evaluate("s => NTM.maps[0].map.latLngToContainerPoint([s.lat, s.lng]).y", spot)
    assert abs(back - before) <= 1, (back, before)
    assert page.get_attribute(f'path.ntm-commune[data-ward-code="{spot["code"]}"]', "stroke-width") != "3"
    assert page.external == [] and page.errors == []


HEADERS_WHOLE = """table => Array.from(table.querySelectorAll('thead th')).map(cell => {
  const tops = new Set(), words = cell.textContent.trim().split(/\\s+/).length;
  const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) if (r.width > 0) tops.add(Math.round(r.top));
  }
  return {text: cell.textContent.trim(), lines: tops.size, words};
}).filter(c => c.lines > c.words)"""


@pytest.mark.parametrize("width", [1280, 1600])
@pytest.mark.parametrize("lang", ["", "&lang=en"])
def test_the_gap_matrix_shows_all_19_criteria_on_a_laptop(live_server, browser, width, lang):
    """At 1600 px the matrix hid criteria 16-19 behind a sideways scroll in its box, with 350 px of the window
    unused: from 1280 px on it fits, its headings' words whole."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = RecordingPage(context.new_page())
        page.goto(live_server + "/gaps?year=2024" + lang)
        matrix = page.locator("#gap-matrix")
        size = matrix.evaluate("t => [t.parentElement.scrollWidth, t.parentElement.clientWidth]")
        assert size[0] <= size[1], size
        assert matrix.evaluate(HEADERS_WHOLE) == []
        assert page.locator("#gap-matrix thead th.pl-crit").count() == 19
        assert page.locator("#gap-matrix thead th.pl-crit").last.is_visible()
        assert no_sideways_scroll(page) and page.errors == []
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/?year=abc", "/nowhere", "/lagging?band=zzz&lang=en"])
def test_error_pages_fit_a_phone(live_server, phone, path):
    """A 400 or 404 page was laid out at a desktop's width on a phone (no viewport tag: tiny text) and asked for
    /favicon.ico (a 404 in the console on every error page)."""
    page = phone(390, 844)
    requested = []
    page.page.on("request", lambda r: requested.append(r.url))
    response = page.goto(live_server + path)
    assert response.status in (400, 404)
    assert page.evaluate("window.innerWidth") == 390
    assert page.evaluate("parseFloat(getComputedStyle(document.querySelector('.msg')).fontSize)") >= 14
    assert no_sideways_scroll(page)
    assert not [url for url in requested if url.endswith("/favicon.ico")]


def test_while_the_year_player_runs_a_phone_shows_the_map_and_the_pause_button(live_server, phone):
    """The options stay open while the show runs (its pause button at hand), which pushed the map below the
    bottom of a phone's screen: the page now starts at the player, the map under it."""
    page = phone(390, 844)
    page.goto(live_server + "/?year=2021&play=1")
    page.wait_for_function(READY)
    pause = box(page, "#year-play")
    assert page.locator("#year-play").get_attribute("aria-pressed") == "true"
    assert 0 <= pause["top"] and pause["bottom"] <= 844
    map_box = box(page, ".folium-map")
    visible = min(map_box["bottom"], 844) - max(map_box["top"], 0)
    assert visible >= 0.8 * map_box["height"], map_box
    assert page.evaluate(PLAYER_SYMBOL) == {"text": "Dừng", "bars": ["3px", "3px"]}  # drawn, not a glyph
    page.locator("#year-play").click()  # pause: the show stops where it is
    assert page.locator("#year-play").get_attribute("aria-pressed") == "false"
    played = page.evaluate(PLAYER_SYMBOL)
    assert played["text"].startswith("Phát 2021 → ") and played["bars"] == ["10px", "0px"]  # a triangle
    assert "play=" not in page.url and no_sideways_scroll(page) and page.errors == []


# The player's play and pause symbols are drawn by CSS (the button's ::before: a triangle, or two bars), not
# characters: "⏸" is missing from many fonts (Debian's DejaVu too) and showed as an empty box.
PLAYER_SYMBOL = """() => {
  const button = document.getElementById('year-play'), symbol = getComputedStyle(button, '::before');
  return {text: button.textContent.trim(), bars: [symbol.borderLeftWidth, symbol.borderRightWidth]};
}"""


@pytest.mark.parametrize("width", [390, 1280])
def test_an_embeds_long_title_wraps_instead_of_widening_the_frame(live_server, open_page, width):
    """A caption given as one 200-letter word (a URL, a code) made the embedded page scroll sideways."""
    page = open_page(width, 700)
    page.goto(live_server + "/embed?year=2024&title=" + "A" * 200)
    page.wait_for_function(READY)
    assert page.locator("#ntm-title").text_content() == "A" * 200
    assert no_sideways_scroll(page) and page.errors == []


FOCUSED_BOX = """(code) => {
  const map = NTM.maps[0].map, container = map.getContainer(), r = container.getBoundingClientRect();
  const path = container.querySelector(`path.ntm-commune[data-ward-code="${code}"]`).getBoundingClientRect();
  const sheet = document.querySelector('.leaflet-ntmSheet-pane .leaflet-popup').getBoundingClientRect();
  const controls = Math.max(...Array.from(container.querySelectorAll('.leaflet-top .leaflet-control'))
    .map(c => c.getBoundingClientRect().bottom));
  return {top: path.top, bottom: path.bottom, controls, sheet: sheet.top};
}"""


@pytest.mark.parametrize("code", ["28813", "29146", "28999"])
def test_a_commune_found_on_a_phone_is_shown_clear_of_the_search_box(live_server, phone, code):
    """Search, the table and a shared `sel=` zoom to the commune: on a phone it was fitted from 24 px below the
    map's top, a fifth to a third of it under the zoom buttons and the search box."""
    page = phone(390, 844)
    page.goto(live_server + "/?year=2024")
    page.wait_for_function(READY)
    page.locator(".folium-map").scroll_into_view_if_needed()
    name = page.evaluate("code => NTM.maps[0].byCode[code].feature.properties.name", code)
    page.fill(".ntm-search-input", name)
    page.keyboard.press("Enter")
    page.locator(".leaflet-ntmSheet-pane .ntm-popup-name").wait_for()
    box = page.evaluate(FOCUSED_BOX, code)
    assert box["controls"] <= box["top"] and box["bottom"] <= box["sheet"], box
    assert page.errors == []


CLEAR_OF_CONTROLS = """() => {
  const m = NTM.maps[0], container = m.map.getContainer(), r = container.getBoundingClientRect();
  const controls = Math.max(0, ...Array.from(container.querySelectorAll('.leaflet-top .leaflet-control'))
    .map(c => c.getBoundingClientRect().bottom - r.top));
  const tops = Array.from(container.querySelectorAll('path.ntm-commune')).map(p => p.getBoundingClientRect().top - r.top);
  const stars = Array.from(container.querySelectorAll('.ntm-pilot-marker')).map(s => {
    const b = s.getBoundingClientRect(), hit = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);
    return {code: s.dataset.wardCode, answers: !!hit && s.contains(hit)};
  });
  const bottoms = Array.from(container.querySelectorAll('path.ntm-commune')).map(p => r.bottom - p.getBoundingClientRect().bottom);
  const foot = container.querySelector('.leaflet-control-attribution').getBoundingClientRect().height;
  return {controls, landTop: Math.min(...tops), landBelow: Math.min(...bottoms), communes: tops.length, stars, foot};
}"""


@pytest.mark.parametrize("width,height", PHONES)
@pytest.mark.parametrize("path", ["/lagging?year=2024", "/?year=2024", "/embed?year=2024"])
def test_a_phones_map_opens_with_the_province_clear_of_its_controls(live_server, phone, width, height, path):
    """On a phone the view was fitted from the map's top edge, under the zoom buttons and the search box: on
    `/lagging` they covered the north of Châu Thành and Bến Tre, the Giao Long star among it. The controls share
    one row and the province is fitted below it, both pilot stars answering a tap."""
    page = phone(width, height)
    page.goto(live_server + path)
    page.wait_for_function(READY)
    page.locator(".folium-map").scroll_into_view_if_needed()
    seen = page.evaluate(CLEAR_OF_CONTROLS)
    assert seen["communes"] == 157
    assert seen["controls"] <= 64, seen  # one row: the zoom buttons beside the search box
    assert seen["landTop"] >= seen["controls"], seen
    assert sorted(star["code"] for star in seen["stars"]) == ["28813", "29146"]  # Giao Long, Phú Lễ (GSO codes)
    assert all(star["answers"] for star in seen["stars"]), seen
    assert no_sideways_scroll(page)
    assert page.errors == [] and page.external == []


@pytest.mark.parametrize("width,height", [(390, 844), (1280, 800)])
def test_an_embed_without_controls_has_no_buttons_and_still_zooms(live_server, open_page, width, height):
    """`/embed?controls=0` took away the search box but kept the zoom buttons over the map: both go, and the map
    still zooms (wheel, pinch, keyboard); on a narrow frame the view is fitted from the top edge, as there is no
    row of controls to keep clear of (and above the attribution line at the foot)."""
    page = open_page(width, height)
    page.goto(live_server + "/embed?year=2024&controls=0")
    page.wait_for_function(READY)
    assert page.locator(".leaflet-control-zoom, .ntm-search").count() == 0
    seen = page.evaluate(CLEAR_OF_CONTROLS)
    # centred above the attribution line: nothing kept clear at the top
    assert abs(seen["landTop"] - (seen["landBelow"] - seen["foot"])) <= 3, seen
    zoom = page.evaluate("NTM.maps[0].map.getZoom()")
    page.locator(".folium-map").focus()
    page.keyboard.press("+")
    page.wait_for_function("z => NTM.maps[0].map.getZoom() > z", arg=zoom)
    assert page.errors == [] and page.external == []


@pytest.mark.parametrize("width,height", PHONES)
def test_a_commune_picked_in_the_search_on_a_phone_opens_in_view(live_server, phone, width, height):
    """With the controls in one row, typing widened the search box with its results until it jumped to a row of
    its own; and a commune picked there opened in a sheet below the bottom of the screen, the keyboard still up
    (focus in the search box). The box stays beside the zoom buttons, and the sheet opens on screen with focus
    in it, going back to the search box when it closes."""
    page = phone(width, height)
    page.goto(live_server + "/?year=2024")
    page.wait_for_function(READY)
    page.locator(".ntm-search-input").scroll_into_view_if_needed()  # the map's top on screen, as a user scrolls
    before = box(page, ".ntm-search")
    page.locator(".ntm-search-input").tap()
    page.keyboard.type("phu")
    page.locator(".ntm-search-hit").first.wait_for()
    typing = box(page, ".ntm-search")
    assert (typing["top"], typing["left"]) == (before["top"], before["left"])
    assert typing["right"] <= box(page, ".folium-map")["right"]
    name = page.locator(".ntm-search-hit .ntm-search-name").first.text_content()
    page.locator(".ntm-search-hit").first.tap()
    sheet = page.locator(".leaflet-ntmSheet-pane .leaflet-popup")
    sheet.wait_for()
    assert page.locator(".leaflet-ntmSheet-pane .ntm-popup-name").text_content() == name
    opened = box(page, ".leaflet-ntmSheet-pane .leaflet-popup")
    assert 0 <= opened["top"] and opened["bottom"] <= height + 1, opened
    assert page.evaluate("document.activeElement.closest('.leaflet-ntmSheet-pane') !== null")
    page.keyboard.press("Escape")
    sheet.wait_for(state="detached")
    page.wait_for_function("() => document.activeElement.classList.contains('ntm-search-input')")
    assert page.errors == [] and page.external == []


@pytest.mark.parametrize("width,height,search_px,label_px", [(390, 844, 16, 10), (300, 250, 16, 8)])
def test_an_embed_on_a_phone_keeps_readable_text(live_server, open_page, width, height, search_px, label_px):
    """An embed shown whole on a phone had an article frame's tiny text (an 11 px search box, which makes iOS
    zoom in when tapped, 8 px district names, a 9 px legend button): only a small frame is compact, and its
    search box stays at 16 px."""
    page = open_page(width, height, has_touch=True, is_mobile=True)
    page.goto(live_server + "/embed?year=2024")
    page.wait_for_function(READY)
    sizes = page.evaluate("""() => ({search: parseFloat(getComputedStyle(document.querySelector('.ntm-search-input')).fontSize),
      label: Math.min(...Array.from(document.querySelectorAll('.ntm-district-text')).map(e => parseFloat(getComputedStyle(e).fontSize)))})""")
    assert sizes == {"search": search_px, "label": label_px}
    assert page.errors == []


def test_search_results_come_over_the_commune_sheet_in_a_small_frame(live_server, open_page):
    """In a 300×250 frame, after a commune had been tapped, the search box's results were drawn under the commune
    sheet: "Xã Phú Lễ" could be neither seen nor tapped. While the reader types, the results are on top."""
    page = open_page(300, 250, has_touch=True, is_mobile=True)
    page.goto(live_server + "/embed?year=2024")
    page.wait_for_function(READY)
    page.evaluate("NTM.maps[0].focus('28813')")  # Giao Long's facts, in the sheet at the frame's foot
    page.locator(".leaflet-ntmSheet-pane .leaflet-popup").wait_for()
    page.locator(".ntm-search-input").tap()
    page.keyboard.type("phu le")
    hit = page.locator(".ntm-search-hit").first
    hit.wait_for()
    on_top = hit.evaluate("""h => { const r = h.getBoundingClientRect();
      const x = r.left + Math.min(r.width / 2, 40), y = r.top + r.height / 2, e = document.elementFromPoint(x, y);
      return y < innerHeight && !!e && h.contains(e); }""")
    assert on_top
    hit.tap()
    page.wait_for_function("() => (document.querySelector('.leaflet-popup .ntm-popup-name') || {}).textContent"
                           " === 'Xã Phú Lễ'")
    assert page.errors == []


def test_the_play_button_keeps_its_width_while_playing(live_server, open_page):
    page = open_page(1280, 900)
    page.goto(live_server + "/?year=2021")
    page.wait_for_function(READY)
    widths = [box(page, "#year-play")["width"]]
    page.locator("#year-play").click()  # Dừng: a much shorter label
    assert page.locator("#year-play").get_attribute("aria-pressed") == "true"
    widths.append(box(page, "#year-play")["width"])
    page.locator("#year-play").click()
    assert abs(widths[0] - widths[1]) <= 1, widths


@pytest.mark.parametrize("lang", ["", "&lang=en"])
def test_the_lagging_table_on_a_phone_keeps_its_rows_short(live_server, phone, lang):
    """Squeezed into 390 px, the criteria not met wrapped word by word: rows stood 750-900 px tall and the page was
    33,000 px long. The table keeps readable columns and scrolls sideways in its own box."""
    page = phone(390, 844)
    page.goto(live_server + "/lagging?year=2024" + lang)
    rows = page.eval_on_selector_all("#lagging-table tbody tr", "rs => rs.map(r => r.getBoundingClientRect().height)")
    assert len(rows) > 50 and max(rows) < 200, max(rows)
    wrap = page.locator(".pl-table-wrap").evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert wrap[0] > wrap[1]  # the table scrolls in its box
    assert no_sideways_scroll(page) and page.errors == []
    page.set_viewport_size({"width": 1600, "height": 900})  # a wide screen: the whole table, no sideways scroll
    wrap = page.locator(".pl-table-wrap").evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert wrap[0] <= wrap[1]


@pytest.mark.parametrize("width,height", [(390, 844), (360, 740)])
def test_a_tapped_pilot_star_shows_its_whole_sheet(live_server, phone, width, height):
    """Tapping the Phú Lễ star opened its sheet at the map's foot, below the screen: 152 px of it were seen (the
    name and the pilot box), its level and criteria were not, and the page did not scroll."""
    page = phone(width, height)
    page.goto(live_server + "/?year=2024")
    page.wait_for_function(READY)
    star = page.locator(".ntm-pilot-marker").nth(1).bounding_box()  # Phú Lễ, in the map's lower half
    assert star["y"] + star["height"] <= height  # seen on the first screen, where a user taps it
    page.touchscreen.tap(star["x"] + star["width"] / 2, star["y"] + star["height"] / 2)
    sheet = page.locator(".ntm-sheet")
    sheet.wait_for()
    page.wait_for_timeout(300)
    shown = box(page, ".ntm-sheet")
    assert shown["top"] >= 0 and shown["bottom"] <= height + 1, shown
    text = sheet.inner_text()
    assert "Phú Lễ" in text and "/19" in text
    assert page.errors == []


def test_png_and_its_double_size_stay_on_one_line(live_server, phone):
    """The export panel broke "PNG (×2)" between its two links at 390 px."""
    page = phone(390, 844)
    page.goto(live_server + "/?year=2024")
    page.wait_for_function(READY)
    page.locator("#ntm-embed summary").click()
    links = page.locator(".ntm-export-links .nowrap a")
    assert links.count() == 2
    tops = [round(links.nth(i).bounding_box()["y"]) for i in range(2)]
    assert tops[0] == tops[1], tops


def test_the_menu_strip_shows_that_it_goes_on(live_server, phone):
    """At 390 px the menu showed "Mục" of "Mục tiêu 2025" with no sign that the strip scrolls: the edge it goes on
    past now glows, and stops glowing once scrolled to its end."""
    import io

    from PIL import Image

    page = phone(390, 844)
    page.goto(live_server + "/?year=2024")
    page.wait_for_function(READY)
    strip = page.locator(".site-nav ul")
    assert strip.evaluate("ul => ul.scrollWidth > ul.clientWidth")  # the menu is wider than the screen

    def edges() -> tuple[float, float]:
        shot = Image.open(io.BytesIO(strip.screenshot())).convert("L")
        w, h = shot.size
        column = lambda x0, x1: sum(shot.getpixel((x, y)) for x in range(x0, x1) for y in range(h)) / ((x1 - x0) * h)  # noqa: E731
        return column(0, 4), column(w - 4, w)

    left, right = edges()
    assert right > left + 8, (left, right)  # more to the right: its edge glows
    strip.evaluate("ul => { ul.scrollLeft = ul.scrollWidth; }")
    page.wait_for_timeout(100)
    left, right = edges()
    assert left > right + 8, (left, right)  # scrolled to the end: now the left edge glows


@pytest.mark.parametrize("width,height", [(844, 390), (740, 360)])
@pytest.mark.parametrize("path", ["/?year=2024", "/compare?from=2022&year=2024"])
def test_a_phone_held_sideways_sees_the_whole_map_and_its_legend(live_server, phone, width, height, path):
    """Held sideways a phone is 360-430 px tall: the map was 438 px (the frame's minimum height), so its foot, the
    legend's button or the legend's last rows were below the screen, and a 311 px legend hung out of the map."""
    page = phone(width, height)
    page.goto(live_server + path)
    page.wait_for_function(READY)
    page.locator(".map-frame").first.evaluate("e => e.scrollIntoView()")
    frame, map_box = box(page, ".map-frame"), box(page, ".folium-map")
    assert frame["height"] <= height, f"the map's frame is {frame['height']}px on a {height}px screen"
    assert -1 <= frame["top"] and frame["bottom"] <= height + 1
    legend = page.locator(".ntm-legend").first
    toggle = page.locator(".ntm-legend-toggle").first
    if toggle.is_visible():  # a narrow map: the legend is a button inside the map, on the screen
        button = box(page, ".ntm-legend-toggle")
        assert map_box["top"] <= button["top"] and button["bottom"] <= min(map_box["bottom"], height)
    else:  # in the map's corner: within the map, under the search box, its rows reachable by scrolling it
        body = box(page, ".ntm-legend-body")
        search = box(page, ".ntm-search")
        assert map_box["top"] <= body["top"] and body["bottom"] <= map_box["bottom"]
        assert body["top"] >= search["bottom"]
        last = legend.locator(".ntm-legend-row").last
        last.scroll_into_view_if_needed()
        row = box(page, ".ntm-legend-body .ntm-legend-row:last-child")
        assert row["bottom"] <= map_box["bottom"] and row["top"] >= map_box["top"]
    assert no_sideways_scroll(page)
    assert page.errors == [] and page.external == []


@pytest.mark.parametrize("width,height", [(360, 740), (390, 844)])
def test_a_pilots_sheet_shows_its_level_and_criteria_first(live_server, phone, width, height):
    """At 360×740 Giao Long's sheet showed its name and the pilot's requirements; its level was at 750 px, below
    the sheet and the screen. The level and the criteria count now come right under the name."""
    page = phone(width, height)
    page.goto(live_server + "/?year=2024")
    page.wait_for_function(READY)
    star = page.locator('.ntm-pilot-marker[data-ward-code="28813"]').bounding_box()
    page.touchscreen.tap(star["x"] + star["width"] / 2, star["y"] + star["height"] / 2)
    page.locator(".ntm-sheet").wait_for()
    page.wait_for_timeout(300)
    sheet = box(page, ".ntm-sheet .leaflet-popup-content-wrapper")
    for dd in (0, 1):  # the level, the criteria met
        value = page.locator(".ntm-sheet .ntm-facts dd").nth(dd)
        assert value.is_visible()
        shown = value.evaluate("e => { const r = e.getBoundingClientRect(); return [r.top, r.bottom]; }")
        assert sheet["top"] <= shown[0] and shown[1] <= min(sheet["bottom"], height), (dd, shown, sheet)
    assert page.locator(".ntm-sheet .ntm-pilot-box").count() == 1  # still there, below them
    assert page.errors == []


def test_pilot_stars_are_named_for_their_commune(live_server, phone):
    """A screen reader named each star "★" (Leaflet's `alt` is for image icons): each is a button named for its
    commune and what it marks."""
    page = phone(390, 844)
    page.goto(live_server + "/?year=2024")
    page.wait_for_function(READY)
    for name in ("Giao Long", "Phú Lễ"):
        star = page.get_by_role("button", name=re.compile(name + " — "))
        assert star.count() == 1 and "ntm-pilot-marker" in star.get_attribute("class")
    assert page.get_by_role("button", name="★").count() == 0
