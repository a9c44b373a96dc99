"""Issue 12 in a real browser (Debian Chromium): the form follows Back/Forward, the view survives a year
change, districts answer on the district layer, the keyboard is not sent through 157 shapes, sorting keeps
units without a value last, and every listed commune on /lagging is marked."""
from __future__ import annotations

from browser_support import browser, live_server, page  # noqa: F401  (pytest fixtures)

from geo_app.render.interactive import HIGHLIGHT_OUTLINE

READY = "() => window.NTM && NTM.maps.length === 1"


def open_map(page, base: str, query: str = "", path: str = "/") -> None:
    page.goto(f"{base}{path}{'?' + query if query else ''}")
    page.wait_for_function(READY)


# A screen point where the district's own shape (not a label or marker) is on top.
OPEN_POINT = """code => { const m = NTM.maps[0], b = m.byDistrict[code].getBounds();
    const r = m.map.getContainer().getBoundingClientRect();
    for (let i = 1; i < 20; i++) for (let j = 1; j < 20; j++) {
      const p = m.map.latLngToContainerPoint([b.getSouth() + (b.getNorth() - b.getSouth()) * i / 20,
                                              b.getWest() + (b.getEast() - b.getWest()) * j / 20]);
      const x = r.left + p.x, y = r.top + p.y, e = document.elementFromPoint(x, y);
      if (e && e.dataset && e.dataset.districtCode === code && e.tagName === 'path') return [x, y];
    }
    return null; }"""


def form_state(page) -> dict:
    return page.evaluate("""() => Object.fromEntries(Array.from(document.querySelectorAll('#map-controls select'))
        .map(s => [s.name, s.disabled ? null : s.value]))""")


def test_back_button_brings_the_form_back_with_the_map(live_server, page):
    open_map(page, live_server, "year=2023&layer=criterion&criterion=13")
    with page.expect_navigation():
        page.select_option("select[name=layer]", "band")
    page.wait_for_function(READY)
    assert form_state(page)["layer"] == "band"
    page.go_back()
    page.wait_for_function(READY)
    page.wait_for_function("() => document.querySelector('select[name=layer]').value === 'criterion'")
    state = form_state(page)
    assert state == {"year": "2023", "layer": "criterion", "criterion": "13", "district": ""}
    assert "TC 13" in page.locator(".ntm-legend-communes").inner_text()
    page.go_forward()
    page.wait_for_function(READY)
    page.wait_for_function("() => document.querySelector('select[name=layer]').value === 'band'")
    assert page.errors == [] and page.external == []


def test_changing_the_year_keeps_the_zoom_and_centre(live_server, page):
    open_map(page, live_server, "year=2022")
    page.evaluate("NTM.maps[0].map.setView([10.05, 106.55], 12, {animate: false})")
    page.wait_for_function("() => new URLSearchParams(location.search).get('z') === '12'")
    with page.expect_navigation():
        page.select_option("select[name=year]", "2024")
    page.wait_for_function(READY)
    assert "year=2024" in page.url
    view = page.evaluate("() => { const m = NTM.maps[0].map, c = m.getCenter(); return [m.getZoom(), c.lat, c.lng]; }")
    assert view[0] == 12 and abs(view[1] - 10.05) < 1e-3 and abs(view[2] - 106.55) < 1e-3
    assert page.errors == []


def test_district_layer_has_district_tooltips_and_popups(live_server, page, dataset):
    open_map(page, live_server, "layer=district&year=2024")
    row = dataset.district_frame(2024).set_index("district_code").loc["832"]
    point = page.evaluate(OPEN_POINT, "832")
    page.mouse.move(*point)
    tip = page.locator(".leaflet-tooltip.ntm-district-tooltip")
    tip.wait_for()
    assert "Huyện Chợ Lách" in tip.inner_text()
    assert page.locator(".leaflet-tooltip.ntm-tooltip:not(.ntm-district-tooltip)").count() == 0
    page.mouse.click(*point)
    popup = page.locator(".leaflet-popup .ntm-district-popup")
    popup.wait_for()
    text = popup.inner_text()
    assert "Huyện Chợ Lách" in text and row["decision"] in text and f"({row['xa_ntm']}/{row['xa_total']})" in text
    link = popup.locator("a.ntm-open-district")
    with page.expect_navigation():
        link.click()
    page.wait_for_function(READY)
    assert "district=832" in page.url and "layer=level" in page.url
    assert page.evaluate("NTM.maps[0].cfg.district") == "832"
    assert page.errors == [] and page.external == []


def test_district_label_opens_the_district(live_server, page):
    open_map(page, live_server, "year=2022&lang=en")
    label = page.locator('.ntm-district-label a[data-district-code="836"]')
    with page.expect_navigation():
        label.click()
    page.wait_for_function(READY)
    assert "district=836" in page.url and "year=2022" in page.url and "lang=en" in page.url
    assert page.locator('.ntm-district-text.ntm-district-chosen').count() == 1
    widths = page.eval_on_selector_all("path.ntm-district", "els => els.map(e => [e.dataset.districtCode, "
                                       "Number(e.getAttribute('stroke-width'))])")
    chosen = [w for code, w in widths if code == "836"]
    assert chosen and chosen[0] > max(w for code, w in widths if code != "836")


def test_criterion_labels_count_the_criterion_not_the_ntm_share(live_server, page):
    open_map(page, live_server, "year=2023&layer=criterion&criterion=2")
    texts = page.locator(".ntm-district-text").all_inner_texts()
    assert len(texts) == 9 and all("TC 2" in t and "xã NTM" not in t for t in texts)
    backgrounds = set(page.eval_on_selector_all(".ntm-district-text", "els => els.map(e => e.style.backgroundColor)"))
    assert backgrounds == {"rgb(255, 255, 255)"}
    assert page.locator(".ntm-legend-districts").count() == 0


def test_keyboard_reaches_search_without_a_stop_per_commune(live_server, page):
    open_map(page, live_server)
    page.focus("#map-controls button[type=submit]")
    for presses in range(1, 40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('ntm-search-input')"):
            break
    assert presses < 20
    assert page.locator("path.ntm-commune[tabindex='-1']").count() == 157


def test_sorting_criteria_met_keeps_wards_last(live_server, page):
    open_map(page, live_server)
    button = page.locator("#commune-table th").nth(4).locator("button")
    for _ in range(2):  # ascending, then descending
        button.click()
        cells = page.eval_on_selector_all("#commune-table tbody tr td:nth-child(5)", "tds => tds.map(td => td.dataset.sort)")
        first_blank = cells.index("")
        assert all(c == "" for c in cells[first_blank:]) and first_blank >= 100


def test_every_listed_commune_is_marked_on_the_lagging_map(live_server, page):
    page.goto(f"{live_server}/lagging?year=2022")
    page.wait_for_function(READY)
    listed = page.eval_on_selector_all("#lagging-table tbody tr", "rows => rows.map(r => r.dataset.wardCode)")
    marked = page.eval_on_selector_all(f"path.ntm-commune[stroke='{HIGHLIGHT_OUTLINE}']",
                                       "els => els.map(e => e.dataset.wardCode)")
    assert len(listed) > 100 and sorted(marked) == sorted(listed)
    assert page.locator(".ntm-legend-listed").count() == 1
    assert page.errors == [] and page.external == []
