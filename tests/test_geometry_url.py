"""Geometry sent once: the map pages carry their view's attribute table; the geometry comes from a
content-hashed, immutable URL that changes with the boundary revision."""
from __future__ import annotations

import gzip
import hashlib
import json
import re

import brotli
import pandas as pd
import pytest

from geo_app.domain.criteria import CRITERIA
from geo_app.domain.units import PILOT_COMMUNES
from geo_app.render.interactive import COMMUNE_FIELDS, DISTRICT_FIELDS, commune_style, district_style
from geo_app.render.mapspec import classify, district_classes
from geo_app.render.webgeo import geometry_features
from test_map_views import map_document

GEO_URL = re.compile(r"^/geo/([0-9a-f]{20})\.json$")
MAP_PAGES = ["/?year=2022", "/?layer=district&lang=en", "/embed?year=2023", "/lagging?year=2022"]


def text_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def rows_of(table: dict) -> list[dict]:
    return [dict(zip(table["fields"], row)) for row in table["rows"]]


def decoded(response) -> bytes:
    encoding = response.headers.get("Content-Encoding")
    body = response.get_data()
    return {"gzip": gzip.decompress, "br": brotli.decompress}.get(encoding, lambda b: b)(body)


@pytest.fixture()
def own_data_app(tmp_path, default_settings):
    """An app with a store and a response cache of its own, so a test can import a boundary revision."""
    from geo_app import create_app

    return create_app({"TESTING": True, "SETTINGS": default_settings, "DATABASE": str(tmp_path / "ntm.sqlite"),
                       "PAGE_CACHE_DIR": str(tmp_path / "cache")})


# ------------------------------------------------------------------ the pages


@pytest.mark.parametrize("url", MAP_PAGES)
def test_map_pages_fetch_the_geometry_instead_of_inlining_it(client, url):
    text = text_of(client, url)
    doc = map_document(text)
    source = doc["geometry"]
    assert set(source) == {"url", "script", "key"} and GEO_URL.match(source["url"])
    assert source["script"] == source["url"].replace(".json", ".js") and source["key"] in source["url"]
    assert '"coordinates"' not in text and "MultiPolygon" not in text  # no geometry in the page
    # a plain script tag, just before the map's own script: fetched early, the map draws when the parser gets there
    tags = re.findall(r"<script\b[^>]*>", text)
    geometry_tag = next(i for i, tag in enumerate(tags) if f'src="{source["script"]}"' in tag)
    assert 'type="application/json"' in tags[geometry_tag + 1] and "src=" not in tags[geometry_tag + 2]
    assert len(doc["communes"]["rows"]) == 157 and len(doc["districts"]["rows"]) == 9


def test_every_map_page_names_the_same_geometry(client):
    urls = {map_document(text_of(client, url))["geometry"]["url"] for url in MAP_PAGES}
    assert len(urls) == 1  # one file for every view, year and language: the browser fetches it once


def test_the_page_carries_no_unit_twice_and_is_small(client):
    text = text_of(client, "/?year=2024&lang=en")
    doc = map_document(text)
    compact = json.dumps(doc, separators=(",", ":")).encode()
    assert len(compact) < 64_000 and len(gzip.compress(compact)) < 10_000  # 157 communes' attributes, no geometry
    codes = [r["ward_code"] for r in rows_of(doc["communes"])]
    assert len(codes) == len(set(codes)) == 157


def test_standalone_export_still_works_alone(client):
    """The offline HTML file cannot fetch: its geometry is inline, in the same document layout."""
    response = client.get("/export/map.html?year=2022")
    text = response.get_data(as_text=True)
    doc = map_document(text)
    assert set(doc["geometry"]) == {"inline"} and "/geo/" not in text
    served = json.loads(decoded(client.get(map_document(text_of(client, "/?year=2022"))["geometry"]["url"])))
    assert by_code(doc["geometry"]["inline"]) == by_code(served)


def by_code(geometry: dict) -> dict:
    return {kind: {f["id"]: (f["geometry"], f["properties"]["label"]) for f in geometry_features(geometry, kind)}
            for kind in ("communes", "districts")}


# ------------------------------------------------------------------ the attribute table


@pytest.mark.parametrize("query,year,layer,number,district", [
    ("year=2022", 2022, "level", None, None),
    ("year=2021&layer=band&district=831", 2021, "band", None, "831"),
    ("year=2024&layer=criterion&criterion=17&lang=en", 2024, "criterion", 17, None),
    ("year=2023&layer=district", 2023, "district", None, None),
])
def test_attribute_table_matches_the_view(client, dataset, query, year, layer, number, district):
    doc = map_document(text_of(client, "/?" + query))
    config = doc["config"]
    frame = dataset.communes(year)
    classes = dict(zip(frame["ward_code"], classify(frame, "level" if layer == "district" else layer, number)))
    frame = frame.set_index("ward_code")
    rows = rows_of(doc["communes"])
    assert doc["communes"]["fields"] == list(COMMUNE_FIELDS)
    assert {r["ward_code"] for r in rows} == set(frame.index)
    spec_classes = {c["key"] for c in config["legendRows"]}
    for r in rows:
        expected = frame.loc[r["ward_code"]]
        assert (r["name"], r["level"], r["district_code"]) == (expected["name"], expected["level"],
                                                               expected["district_code"])
        assert r["class"] == classes[r["ward_code"]]
        assert r["class"] in spec_classes or layer == "district"  # the legend shows the class (communes' layers)
        assert r["criteria_met"] == (None if pd.isna(expected["criteria_met"]) else int(expected["criteria_met"]))
        marks = [expected[f"c{c.number}"] for c in CRITERIA]
        assert r["criteria"] == "".join("-" if m is None or pd.isna(m) else "1" if m else "0" for m in marks)
        assert bool(r["is_pilot"]) == (r["ward_code"] in PILOT_COMMUNES)
        if r["is_pilot"]:  # pilots keep their dashed outline in every view
            assert config["styles"][r["style"]]["dashArray"] == "6 3"
    if district:
        faded = {r["ward_code"] for r in rows if config["styles"][r["style"]]["fillOpacity"] < 0.5}
        assert faded == set(frame.index[frame["district_code"] != district])
    districts = rows_of(doc["districts"])
    assert doc["districts"]["fields"] == list(DISTRICT_FIELDS)
    dframe = dataset.district_frame(year).set_index("district_code")
    assert {d["district_code"] for d in districts} == set(dframe.index)
    for d in districts:
        assert (d["level"], d["xa_total"], d["xa_ntm"]) == (dframe.at[d["district_code"], "level"],
                                                             int(dframe.at[d["district_code"], "xa_total"]),
                                                             int(dframe.at[d["district_code"], "xa_ntm"]))
        assert config["styles"][d["style"]]["fill"] is (layer == "district")


def test_styles_in_the_table_are_the_renderers_styles(client, dataset):
    """Each commune's style index points at exactly `commune_style` of that commune (level view, 2022)."""
    from geo_app.model.viewstate import ViewState, map_view

    doc = map_document(text_of(client, "/?year=2022"))
    spec = map_view(dataset, ViewState(year=2022, layer="level", criterion=None, district=None, lang="vi")).spec
    colors = {c.key: c for c in spec.classes}
    for r in rows_of(doc["communes"]):
        assert doc["config"]["styles"][r["style"]] == commune_style(r, colors, False, None, None)
    dcolors = {c.key: c for c in district_classes()}
    for d in rows_of(doc["districts"]):
        assert doc["config"]["styles"][d["style"]] == district_style(d, dcolors, False, None)


# ------------------------------------------------------------------ the geometry URL


def test_geometry_url_is_content_hashed_immutable_and_revalidates(client):
    source = map_document(text_of(client, "/"))["geometry"]
    url = source["url"]
    digest = GEO_URL.match(url).group(1)
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and plain.mimetype == "application/json"
    assert hashlib.sha256(plain.get_data()).hexdigest()[:20] == digest  # the name is the content
    assert plain.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Accept-Encoding" in plain.headers["Vary"]
    etag = plain.headers["ETag"]
    assert digest in etag
    for accept in ("br", "gzip"):
        response = client.get(url, headers={"Accept-Encoding": accept})
        assert response.headers["Content-Encoding"] == accept and decoded(response) == plain.get_data()
        assert len(response.get_data()) < len(plain.get_data()) / 2  # already compact (TopoJSON): still halved
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.get_data()
    assert again.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    doc = json.loads(plain.get_data())
    assert doc["type"] == "Topology" and set(doc["objects"]) == {"communes", "districts"}
    communes, districts = geometry_features(doc, "communes"), geometry_features(doc, "districts")
    assert len(communes) == 157 and len(districts) == 9 and all(f["geometry"] for f in communes + districts)
    assert all(set(f["properties"]) == {"label"} for f in communes)  # geometry only: no view attributes
    # the script form: the same document, registered under its digest; immutable and 304 like the JSON
    script = client.get(source["script"], headers={"Accept-Encoding": "identity"})
    assert script.mimetype == "text/javascript" and script.headers["Cache-Control"] == plain.headers["Cache-Control"]
    match = re.fullmatch(r'\(window\.NTM_GEOMETRY=window\.NTM_GEOMETRY\|\|\{\}\)\["([0-9a-f]{20})"\]=JSON\.parse\((".*")\);\n',
                         script.get_data(as_text=True), re.S)
    assert match and match.group(1) == digest and json.loads(json.loads(match.group(2))) == doc
    assert "</" not in script.get_data(as_text=True)
    assert client.get(source["script"], headers={"If-None-Match": script.headers["ETag"]}).status_code == 304


def test_unknown_geometry_digest_is_404(client):
    response = client.get("/geo/" + "0" * 20 + ".json")
    assert response.status_code == 404 and response.headers["Cache-Control"] == "no-store"
    assert client.get("/geo/not-a-digest.json").status_code == 404
    digest = GEO_URL.match(map_document(text_of(client, "/"))["geometry"]["url"]).group(1)
    assert client.get(f"/geo/{digest}.txt").status_code == 404


def test_geometry_file_is_built_once_per_revision_for_every_worker(own_data_app, monkeypatch):
    """A second app on the same store (another worker) reads the stored file: it never simplifies or compresses."""
    from geo_app import create_app
    import geo_app.render.webgeo as webgeo
    import geo_app.views.geometry as geometry

    client = own_data_app.test_client()
    url = map_document(text_of(client, "/"))["geometry"]["url"]
    body = decoded(client.get(url))
    monkeypatch.setattr(webgeo, "cached_geometry_document", lambda *a: pytest.fail("built again"))
    monkeypatch.setattr(geometry, "geometry_script", lambda *a: pytest.fail("built again"))
    other = create_app({"TESTING": True, "SETTINGS": own_data_app.config["SETTINGS"],
                        "DATABASE": own_data_app.config["DATABASE"],
                        "PAGE_CACHE_DIR": own_data_app.config["PAGE_CACHE_DIR"] + "-other"})
    other_client = other.test_client()
    assert map_document(text_of(other_client, "/"))["geometry"]["url"] == url
    assert decoded(other_client.get(url)) == body


def test_a_new_boundary_revision_gets_a_new_geometry_url(own_data_app, tmp_path):
    from geo_app.store.importing import import_boundaries

    client = own_data_app.test_client()
    old_url = map_document(text_of(client, "/?year=2022"))["geometry"]["url"]
    old = json.loads(decoded(client.get(old_url)))
    store = own_data_app.extensions["ntm_store"]
    layer = store.dataset().boundaries.copy()
    moved = layer.loc[40, "ward_code"]
    layer.loc[40, "geometry"] = layer.loc[40, "geometry"].buffer(-0.0005)  # shrinks: no overlap
    path = tmp_path / "ranh-gioi-moi.geojson"
    layer.to_file(path, driver="GeoJSON")
    result = import_boundaries(store.revisions, path, "test", "a commune's boundary moved")
    assert result.ok, result
    new_url = map_document(text_of(client, "/?year=2022"))["geometry"]["url"]
    assert new_url != old_url and GEO_URL.match(new_url)
    assert map_document(text_of(client, "/embed?year=2022"))["geometry"]["url"] == new_url
    assert client.get(old_url).status_code == 404  # the old revision's file is gone; its name stays unique
    assert client.get(old_url.replace(".json", ".js")).status_code == 404
    new = json.loads(decoded(client.get(new_url)))
    old_communes, new_communes = geometry_features(old, "communes"), geometry_features(new, "communes")
    changed = {f["id"] for f, g in zip(old_communes, new_communes) if f != g}
    assert moved in changed and {f["id"] for f in new_communes} == {f["id"] for f in old_communes}
