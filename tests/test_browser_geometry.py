"""In Chromium: the map pages draw from the geometry URL, fetch it once for every view, and say so when it
cannot be loaded."""
from __future__ import annotations

import re

import pytest
from browser_support import browser, is_local, live_server, page, serve, watch  # noqa: F401  (pytest fixtures)

READY = "() => window.NTM && NTM.maps.length === 1"  # a function: the page's CSP forbids eval
DRAWN = """() => ({
  communes: document.querySelectorAll('.leaflet-ntmCommunes-pane path.ntm-commune[data-ward-code]').length,
  districts: document.querySelectorAll('.leaflet-ntmDistricts-pane path.ntm-district[data-district-code]').length,
  labels: document.querySelectorAll('.ntm-district-label').length,
  pilots: Array.from(document.querySelectorAll('.ntm-pilot-marker[data-ward-code]')).map(m => m.dataset.wardCode).sort(),
  legend: document.querySelectorAll('.ntm-legend').length,
})"""


@pytest.mark.parametrize("path", ["/?year=2022&lang=en", "/embed?year=2023", "/?layer=district",
                                  "/?layer=criterion&criterion=5&district=831"])
def test_map_draws_every_commune_from_the_geometry_url(live_server, page, path):
    geometry = []
    page.on("response", lambda r: geometry.append(r.status) if "/geo/" in r.url else None)
    page.goto(live_server + path)
    page.wait_for_function(READY)
    drawn = page.evaluate(DRAWN)
    assert drawn == {"communes": 157, "districts": 9, "labels": 9, "pilots": ["28813", "29146"], "legend": 1}
    assert geometry == [200]  # one request: the geometry's script (the map did not need its fetch)
    assert page.external == [] and page.errors == []


def test_views_share_one_geometry_download(browser, default_settings, tmp_path):
    """No request routing here (Playwright's routing turns Chromium's HTTP cache off)."""
    from geo_app import create_app

    app = create_app({"TESTING": True, "SETTINGS": default_settings, "PAGE_CACHE_DIR": str(tmp_path / "cache")})
    served: list[tuple[str, int]] = []

    @app.after_request
    def record(response):
        from flask import request

        served.append((request.path, response.status_code))
        return response

    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    page = context.new_page()
    requested, errors = watch(page)
    with serve(app) as base:
        for path in ("/?year=2022", "/?year=2024&layer=band", "/embed?lang=en", "/lagging?year=2023"):
            page.goto(base + path)
            page.wait_for_function(READY)
            assert page.evaluate("() => NTM.maps[0].communes.getLayers().length") == 157, path
    context.close()
    fetched = [(path, status) for path, status in served if path.startswith("/geo/")]
    assert len(fetched) == 1 and re.fullmatch(r"/geo/[0-9a-f]{20}\.js", fetched[0][0]) and fetched[0][1] == 200
    assert sum("/geo/" in url for url in requested) == 4  # every view used it: from the browser's cache
    assert errors == [] and all(is_local(url) for url in requested)


def test_a_map_whose_geometry_is_gone_says_so(live_server, page):
    """A page of an older boundary revision (its geometry URL is 404 now): a message in the map, not a blank map."""
    page.route(re.compile(r".*/geo/[0-9a-f]+\.js(on)?$"), lambda route: route.fulfill(status=404, body="gone"))
    page.goto(live_server + "/?lang=en")
    alert = page.locator(".ntm-map [role=alert]")
    alert.wait_for()
    assert "reload" in alert.inner_text()
    assert page.locator("path.ntm-commune").count() == 0
    assert page.evaluate("() => NTM.maps.length") == 0
    assert page.locator(".ntm-legend").count() == 1  # what does not need the geometry is there


DECODED = """async (url) => {
  const doc = await (await fetch(url)).json();
  const layers = NTM.geometryLayers(doc);
  const pick = (features) => features.map(f => [f.id, f.properties.label, f.geometry]);
  return {communes: pick(layers.communes), districts: pick(layers.districts)};
}"""


def test_the_map_decodes_the_geometry_document_exactly(live_server, page):
    """ntm-map.js reads the TopoJSON document (shared arcs, walked both ways) into the same rings, vertex for
    vertex, as the Python reader and the web geometry it was made from."""
    import json
    import urllib.request

    import numpy as np
    from test_map_views import map_document

    from geo_app.render.webgeo import geometry_features

    page.goto(live_server + "/?year=2022")
    page.wait_for_function(READY)
    url = map_document(page.content())["geometry"]["url"]
    decoded = page.evaluate(DECODED, url)
    with urllib.request.urlopen(live_server + url) as response:
        doc = json.loads(response.read())
    for layer, count in (("communes", 157), ("districts", 9)):
        python = geometry_features(doc, layer)
        assert len(decoded[layer]) == len(python) == count
        for (code, label, geometry), feature in zip(decoded[layer], python):
            assert code == feature["id"] and label == feature["properties"]["label"]
            assert geometry["type"] == feature["geometry"]["type"]
            js, py = json.dumps(geometry["coordinates"]), feature["geometry"]["coordinates"]
            assert np.allclose(np.array(_flat(json.loads(js))), np.array(_flat(py)), rtol=0, atol=1e-9)
            assert _shape(geometry["coordinates"]) == _shape(py)
    assert page.errors == []


def _flat(coordinates) -> list[float]:
    return [c for item in coordinates for c in (_flat(item) if isinstance(item[0], list) else item)]


def _shape(coordinates):
    return [_shape(item) for item in coordinates] if isinstance(coordinates[0][0], list) else len(coordinates)
