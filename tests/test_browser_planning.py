"""The lagging page in a real browser (Debian Chromium): offline, map highlights exactly the listed communes,
and hostile commune names stay text."""
from __future__ import annotations

import pytest
from browser_support import browser, live_server, page, serve  # noqa: F401  (pytest fixtures)
from planning_fixtures import make_dataset
from test_planning_views import FixedStore

from geo_app import create_app
from geo_app.settings import Settings

XSS_NAME = "Xã <img src=x onerror=\"document.title='XSS'\"> ${document.title='XSS'} `tick`"
XSS_NOTE = "</script><script>document.title='XSS'</script>"

HIGHLIGHTED = """() => {
  const m = NTM.maps[0];
  const entries = Object.entries(m.byCode).map(([code, layer]) => [code, layer.options.fillOpacity]);
  const top = Math.max(...entries.map(e => e[1]));
  return {listed: entries.filter(e => e[1] === top).map(e => e[0]).sort(),
          faded: entries.filter(e => e[1] < top).length};
}"""


def table_codes(page) -> list[str]:
    return page.eval_on_selector_all("#lagging-table tbody tr", "rows => rows.map(r => r.dataset.wardCode)")


def wait_for_map(page) -> None:
    page.wait_for_function("() => window.NTM && NTM.maps && NTM.maps.length > 0", timeout=15000)  # a function: the CSP forbids eval
    page.wait_for_timeout(400)  # let the initial fit-to-bounds settle before measuring positions


def commune_center(page, code: str) -> tuple[float, float]:
    """Screen position inside a commune's polygon (its label point, projected by Leaflet)."""
    point = page.evaluate("""code => {
      const m = NTM.maps[0], layer = m.byCode[code];
      const p = m.map.latLngToContainerPoint(layer.getBounds().getCenter());
      const r = m.map.getContainer().getBoundingClientRect();
      return [r.left + p.x, r.top + p.y];
    }""", code)
    return point[0], point[1]


def test_lagging_page_offline_and_map_highlights_exactly_the_list(live_server, page):  # noqa: F811
    page.goto(live_server + "/lagging?year=2022&band=15_18")
    wait_for_map(page)
    codes = table_codes(page)
    assert len(codes) == 24  # ntm-facts.md: 24 xã at 15-18 criteria in 2022
    assert page.locator(".leaflet-ntmCommunes-pane path").count() == 157
    highlighted = page.evaluate(HIGHLIGHTED)
    assert highlighted["listed"] == sorted(codes)
    assert highlighted["faded"] == 157 - 24
    assert page.external == [] and page.errors == []


def test_lagging_page_show_on_map_focuses_the_commune(live_server, page):  # noqa: F811
    page.goto(live_server + "/lagging?year=2022&district=836")
    wait_for_map(page)
    first = page.locator("#lagging-table tbody tr").first
    name = first.locator(".pl-name").inner_text()
    first.locator("button.pl-focus").click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5000)
    assert name in popup.inner_text()
    assert page.external == [] and page.errors == []


def test_show_on_map_by_keyboard_goes_into_the_communes_facts_and_back(live_server, page):  # noqa: F811
    """Enter on "Show on map" opened the commune, but focus stayed on the button, at the bottom of the screen: the
    criteria it misses could not be read from the keyboard, and Tab went on to the next button. Focus goes into
    the facts, Escape brings it back; each button is named with its commune (96 buttons all read "Show on map")."""
    page.goto(live_server + "/lagging?year=2022&district=836&lang=en")
    wait_for_map(page)
    row = page.locator("#lagging-table tbody tr").nth(2)
    name = row.locator(".pl-name").inner_text()
    button = row.locator("button.pl-focus")
    assert page.get_by_role("button", name=f"Show on map ({name})").count() == 1
    button.focus()
    page.keyboard.press("Enter")
    page.locator(".leaflet-popup .ntm-popup-name").wait_for()
    page.wait_for_timeout(400)  # the page scrolls to the map; a popup just closed would fade out meanwhile
    assert page.evaluate("document.activeElement.closest('.leaflet-popup') !== null")
    assert page.evaluate("document.activeElement.textContent").startswith(name)
    page.keyboard.press("Escape")
    page.wait_for_function("() => !document.querySelector('.leaflet-popup')")
    page.wait_for_function(f"() => document.activeElement.classList.contains('pl-focus') "
                           f"&& document.activeElement.dataset.wardCode === {row.get_attribute('data-ward-code')!r}")
    assert page.external == [] and page.errors == []


@pytest.fixture(scope="module")
def hostile_url(tmp_path_factory):
    settings = Settings.from_env({"NTM_DATA_DIR": str(tmp_path_factory.mktemp("no-data"))})
    app = create_app({"TESTING": True, "SETTINGS": settings})
    ds = make_dataset(names={"90001": XSS_NAME}, notes={"90001": XSS_NOTE})
    app.extensions["ntm_store"] = FixedStore(ds, settings)
    with serve(app) as url:
        yield url


def test_hostile_name_renders_as_text_and_runs_nothing(hostile_url, page):  # noqa: F811
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(hostile_url + "/lagging?year=2022")
    wait_for_map(page)
    title = page.title()
    assert "XSS" not in title
    row = page.locator('#lagging-table tr[data-ward-code="90001"]')
    assert row.locator(".pl-name").inner_text() == XSS_NAME
    assert row.locator(".pl-note").inner_text() == XSS_NOTE
    # Hover (tooltip) and click (popup) the commune on the map, then use the table's button.
    x, y = commune_center(page, "90001")
    page.mouse.move(x, y)
    tooltip = page.locator(".ntm-tooltip")
    tooltip.wait_for(timeout=5000)
    assert XSS_NAME in tooltip.inner_text()
    page.mouse.click(*commune_center(page, "90001"))
    page.locator(".leaflet-popup-content").wait_for(timeout=5000)
    assert XSS_NAME in page.locator(".leaflet-popup-content").inner_text()
    row.locator("button.pl-focus").click()
    page.wait_for_timeout(300)
    assert page.title() == title
    assert page.locator('img[src="x"]').count() == 0
    assert dialogs == []
    assert page.external == [] and page.errors == []


CHART_TEXT = """() => [...document.querySelectorAll('#progress figure.pl-chart')].map(fig => {
  const svg = fig.querySelector('svg');
  const scale = svg.getScreenCTM().a;
  const sizes = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim())
    .map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
  const box = svg.getBoundingClientRect(), frame = fig.getBoundingClientRect();
  return {district: fig.dataset.district, smallest: Math.min(...sizes), texts: sizes.length,
          width: box.width, height: box.height, inside: box.left >= frame.left - 0.5 && box.right <= frame.right + 0.5,
          title: (svg.querySelector('title') || {}).textContent || '',
          desc: (svg.querySelector('desc') || {}).textContent || '',
          role: svg.getAttribute('role'), labelledby: svg.getAttribute('aria-labelledby') || ''};
})"""


@pytest.mark.parametrize("width", [390, 1366])
def test_targets_charts_are_readable_titled_and_csp_clean(browser, live_server, width):  # noqa: F811
    from browser_support import RecordingPage

    context = browser.new_context(viewport={"width": width, "height": 900}, locale="vi-VN", service_workers="block")
    try:
        page = RecordingPage(context.new_page())
        page.goto(live_server + "/targets?year=2022")
        page.wait_for_load_state("load")
        charts = page.evaluate(CHART_TEXT)
        assert len(charts) == 10  # the province and 9 districts
        for chart in charts:
            assert chart["texts"] >= 10 and chart["smallest"] >= 12, chart
            assert chart["inside"] and chart["width"] >= 300, chart
            assert chart["role"] == "img" and chart["title"] and "2022: " in chart["desc"], chart
            for ref in chart["labelledby"].split():
                assert page.locator(f"#{ref}").count() == 1
        assert page.errors == [], page.errors  # no CSP report for a chart's own <style>
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        context.close()


CHART_OVERLAPS = """() => [...document.querySelectorAll('#progress figure.pl-chart')].flatMap(fig => {
  const boxes = [...fig.querySelectorAll('svg text')].filter(t => t.textContent.trim())
    .map(t => ({text: t.textContent.trim(), r: t.getBoundingClientRect()}));
  const out = [];
  boxes.forEach((a, i) => boxes.slice(i + 1).forEach(b => {
    const w = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
    const h = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
    if (w > 1 && h > 1) out.push([fig.dataset.district || 'province', a.text, b.text]);
  }));
  return out;
})"""


@pytest.mark.parametrize("year", [2022, 2024])
def test_targets_chart_texts_do_not_overlap(browser, live_server, year):  # noqa: F811
    """A value of 100 % was written over the chart's title (TP Bến Tre, Chợ Lách, Mỏ Cày Nam), and the two
    series' values over each other where they were close."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    try:
        page = context.new_page()
        page.goto(live_server + f"/targets?year={year}")
        page.wait_for_load_state("load")
        assert page.evaluate(CHART_OVERLAPS) == []
    finally:
        context.close()


VALUES_ON_WHITE = """() => [...document.querySelectorAll('#progress figure.pl-chart svg text')]
  .filter(t => /^\\d+[.,]\\d$/.test(t.textContent.trim())).map(t => {
    const patch = t.parentNode.querySelector('path'), r = t.getBoundingClientRect();
    const b = patch ? patch.getBoundingClientRect() : null, fill = patch ? getComputedStyle(patch).fill : '';
    const cx = (r.left + r.right) / 2, cy = (r.top + r.bottom) / 2, w = r.right - r.left;
    // (the browser's text box has the font's full height and side bearings: the ground covers the figures)
    return {text: t.textContent.trim(), white: fill === 'rgb(255, 255, 255)',
            covers: !!b && b.left <= cx - 0.35 * w && b.right >= cx + 0.35 * w && b.top <= cy && b.bottom >= cy};
  })"""


def test_targets_chart_values_sit_on_a_white_ground(browser, live_server):  # noqa: F811
    """The dotted target lines ran through values (68.3, 28.1, 66.7 …) as if they were struck through: each value
    sits on a white ground, drawn over the lines."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    try:
        page = context.new_page()
        page.goto(live_server + "/targets?year=2024")
        page.wait_for_load_state("load")
        values = page.evaluate(VALUES_ON_WHITE)
        assert len(values) >= 60  # ten charts, two series of four years
        assert all(v["white"] and v["covers"] for v in values), [v for v in values if not (v["white"] and v["covers"])][:5]
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/lagging?year=2022", "/gaps?year=2022", "/targets?year=2022"])
def test_the_planners_filters_look_like_the_maps_options(live_server, page, path):  # noqa: F811
    """The filters of /lagging, /gaps and /targets were the browser's default 13 px selects (19 px tall), those of
    the map and /compare 30 px."""
    size = "el => { const s = getComputedStyle(el); return [s.fontSize, el.getBoundingClientRect().height]; }"
    page.goto(live_server + "/?year=2022")
    map_font, map_height = page.locator("#map-controls select").first.evaluate(size)
    page.goto(live_server + path)
    font, height = page.locator(".pl-filters select").first.evaluate(size)
    assert font == map_font and abs(height - map_height) <= 2, (font, height, map_font, map_height)
