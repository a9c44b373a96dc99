"""The server-drawn map in Chromium: shown without any script, and replaced by the Leaflet map in the same
place (no jump), on a wide screen and on a phone."""
from __future__ import annotations

import pytest
from geo_app.render.mapspec import build_spec

from browser_support import MAP_READY, browser, live_server, open_page, watch  # noqa: F401  (pytest fixtures)

BOXES = """(selector) => {
  const map = document.querySelector('.folium-map').getBoundingClientRect();
  return Array.from(document.querySelectorAll(selector)).map(p => {
    const r = p.getBoundingClientRect();
    return {code: p.dataset.wardCode, left: r.left - map.left, top: r.top - map.top, right: r.right - map.left,
            bottom: r.bottom - map.top, fill: getComputedStyle(p).fill, mapWidth: map.width, mapHeight: map.height};
  });
}"""


def rgb(hex_colour: str) -> str:
    return "rgb({}, {}, {})".format(*(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)))


def test_without_javascript_the_map_still_shows_every_commune(live_server, open_page, dataset):
    page = open_page(1280, 900, java_script_enabled=False)
    page.goto(live_server + "/?year=2024", wait_until="load")
    boxes = page.evaluate(BOXES, ".ntm-preview path.ntm-preview-commune")
    assert len(boxes) == 157
    width, height = boxes[0]["mapWidth"], boxes[0]["mapHeight"]
    assert width > 1000 and height > 400
    # The province fills the map: its communes reach from one padded side to the other.
    assert min(b["left"] for b in boxes) < 20 or min(b["top"] for b in boxes) < 20
    assert all(-1 <= b["left"] and b["right"] <= width + 1 and -1 <= b["top"] and b["bottom"] <= height + 1
               for b in boxes)
    # Each commune in its level's colour, as in the map's legend (fill-opacity apart).
    spec = build_spec(dataset.communes(2024), dataset.district_frame(2024), 2024, "level")
    colour = {c.key: rgb(c.color) for c in spec.classes}
    level = dict(zip(dataset.communes(2024)["ward_code"], dataset.communes(2024)["level"]))
    fills = {b["code"]: b["fill"] for b in boxes}
    assert {fills[code] == colour[level[code]] for code in fills} == {True}
    assert {level[code] for code in fills} >= {"chua_dat", "ntm", "nang_cao", "kieu_mau"}
    # The table below the map is rendered: without JavaScript nothing holds it back (FRAME_WATCH never runs).
    assert page.locator("#commune-table tbody tr").first.is_visible()
    assert page.evaluate("getComputedStyle(document.querySelector('.table-section')).contentVisibility") == "auto"
    assert page.external == [] and page.errors == []


@pytest.mark.parametrize("width,height,path", [(1280, 900, "/?year=2024"), (1024, 768, "/lagging?year=2024"),
                                               (920, 700, "/embed?year=2024"), (768, 1024, "/?year=2024"),
                                               (390, 844, "/?year=2024"),
                                               (390, 844, "/lagging?year=2024"), (360, 800, "/embed?year=2024"),
                                               (360, 800, "/embed?year=2024&controls=0")])
def test_the_map_takes_the_previews_place_without_a_jump(live_server, open_page, width, height, path):
    """Also on a phone, where both are fitted below the map's row of controls (ntm-map.css, NARROW_TOP_PX), and on a
    wider map, where both are fitted between the zoom buttons and the column of the legend (LEGEND_RESERVE_PX)."""
    url = live_server + path
    still = open_page(width, height, java_script_enabled=False)
    still.goto(url, wait_until="load")
    preview = {b["code"]: b for b in still.evaluate(BOXES, ".ntm-preview path.ntm-preview-commune")}

    page = open_page(width, height)
    page.goto(url)
    page.wait_for_function(MAP_READY)
    drawn = {b["code"]: b for b in page.evaluate(BOXES, "path.ntm-commune")}
    assert page.evaluate("document.querySelectorAll('.ntm-preview').length") == 0  # gone once the map is drawn
    assert sorted(drawn) == sorted(preview)
    shifts = [max(abs(preview[code][side] - drawn[code][side]) for side in ("left", "top", "right", "bottom"))
              for code in preview]
    assert max(shifts) <= 2.5, sorted(shifts)[-5:]
    assert page.external == [] and page.errors == []


def test_a_view_saved_in_the_url_opens_without_the_preview(live_server, open_page):
    page = open_page(1280, 900)
    page.goto(live_server + "/?year=2024&z=12&lat=10.24&lng=106.37")
    page.wait_for_function(MAP_READY)
    assert page.evaluate("document.querySelectorAll('.ntm-preview').length") == 0
    assert page.evaluate("NTM.maps[0].map.getZoom()") == 12



FRAMES = """(() => {
  window.__frames = [];
  const look = () => {
    const state = {preview: document.querySelectorAll('.ntm-preview path.ntm-preview-commune').length,
                   leaflet: document.querySelectorAll('path.ntm-commune').length};
    window.__frames.push(state);
    if (!state.leaflet && window.__frames.length < 600) requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
})();"""



def test_on_a_repeat_view_the_server_drawn_map_is_on_screen_before_leaflet_draws(browser, live_server):
    """On a repeat view the scripts come from the browser's cache: without waiting for a frame, Leaflet would
    draw before the browser's first frame and the page would be painted only after it."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    try:
        page = context.new_page()  # not routed: Playwright's routing turns the browser's cache off
        requested, errors = watch(page)
        url = live_server + "/?year=2024"
        page.goto(url)
        page.wait_for_function(MAP_READY)
        page.goto("about:blank")
        page.add_init_script(FRAMES)
        page.goto(url)
        page.wait_for_function(MAP_READY)
        frames = page.evaluate("window.__frames")
        assert {"preview": 157, "leaflet": 0} in frames, frames  # a frame showed the server-drawn map alone
        assert frames[-1] == {"preview": 0, "leaflet": 157}
        assert all(r.startswith((live_server, "about:", "data:")) for r in requested) and errors == []
    finally:
        context.close()


TABLE_FRAMES = """(() => {
  window.__tableFrames = [];
  const look = () => {
    const section = document.querySelector('.table-section');
    window.__tableFrames.push({
      ready: !!(window.NTM && NTM.maps && NTM.maps.length),
      leaflet: document.querySelectorAll('path.ntm-commune').length,
      table: section ? getComputedStyle(section).contentVisibility : null});
    if (window.__tableFrames.length < 900) requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
  // Whether the page holds the table back by the time Leaflet's script is in the page (before any map script
  // runs), and when it stops holding it back, how long after the map said it was ready.
  new MutationObserver(() => {
    const root = document.documentElement;
    if (window.__mapFirstBeforeLeaflet === undefined && document.querySelector('script[src*="/leaflet."]')) {
      window.__mapFirstBeforeLeaflet = root.classList.contains('ntm-map-first');
    }
    if (window.__tableShownAfterReady === undefined && window.__mapFirstBeforeLeaflet
        && !root.classList.contains('ntm-map-first')) {
      const ready = performance.getEntriesByName('ntm-map-ready')[0];
      if (ready) window.__tableShownAfterReady = performance.now() - ready.startTime;
    }
  }).observe(document, {attributes: true, childList: true, subtree: true, attributeFilter: ['class']});
})();"""


@pytest.mark.parametrize("view", ["first", "repeat"])
def test_the_table_below_the_map_is_rendered_once_the_map_is_ready(browser, live_server, view):
    """The 157-row table is laid out after the map, not in the frames that bring the map: the page holds it back
    before the map's scripts run, no frame before the map is ready renders it, and it is rendered (and reachable)
    as the map becomes ready."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    try:
        page = context.new_page()  # not routed: the repeat view is the browser's cache at work
        requested, errors = watch(page)
        url = live_server + "/?year=2024"
        if view == "repeat":
            page.goto(url)
            page.wait_for_function(MAP_READY)
            page.goto("about:blank")
        page.add_init_script(TABLE_FRAMES)
        page.goto(url)
        page.wait_for_function(MAP_READY)
        page.wait_for_function("() => !document.documentElement.classList.contains('ntm-map-first')")
        page.wait_for_function("() => window.__tableFrames.some(f => f.table === 'auto')")
        frames = [f for f in page.evaluate("window.__tableFrames") if f["table"] is not None]
        # No frame before the map is ready renders the table (whether the parser had reached it by then depends
        # on the browser's scheduling: a repeat view usually has; a loaded machine may not).
        assert {f["table"] for f in frames if not f["ready"]} <= {"hidden"}, frames[:12]
        assert frames[-1]["table"] == "auto" and frames[-1]["ready"]
        assert page.evaluate("window.__mapFirstBeforeLeaflet") is True  # held back before any map script runs
        # Shown by the map as it becomes ready (in the same task), not by the page's fallback a second after `load`.
        assert page.evaluate("window.__tableShownAfterReady") < 100
        # While the page holds it back the table is not rendered; once it lets go, it is (as without the class).
        visibility = "() => getComputedStyle(document.querySelector('.table-section')).contentVisibility"
        page.evaluate("document.documentElement.classList.add('ntm-map-first')")
        assert page.evaluate(visibility) == "hidden"
        page.evaluate("document.documentElement.classList.remove('ntm-map-first')")
        assert page.evaluate(visibility) == "auto"
        row = page.locator('#commune-table tbody tr[data-ward-code="28765"] button.focus-commune')
        assert row.is_visible()
        row.click()  # the table's buttons still work: they bring the commune up on the map
        page.wait_for_function("() => document.querySelector('.leaflet-popup-content') !== null")
        assert all(r.startswith((live_server, "about:", "data:")) for r in requested) and errors == []
    finally:
        context.close()


def test_the_table_is_rendered_even_when_the_maps_scripts_never_run(open_page, live_server):
    """The page marks the map as coming first before its scripts load; should they fail, the table below it is
    rendered all the same, a second after the page has loaded."""
    page = open_page(1280, 900)
    page.route("**/static/js/ntm-map.*.js", lambda route: route.abort())
    page.goto(live_server + "/?year=2024", wait_until="load")
    assert page.evaluate("getComputedStyle(document.querySelector('.table-section')).contentVisibility") == "hidden"
    page.wait_for_function("() => !document.documentElement.classList.contains('ntm-map-first')", timeout=5000)
    assert page.locator("#commune-table tbody tr").first.is_visible()
    assert page.evaluate("document.querySelectorAll('.ntm-preview path.ntm-preview-commune').length") == 157
