"""The map page, the JSON API, the web geometry and the Folium renderer, through Flask's test client."""
from __future__ import annotations

import html
import itertools
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import pytest
import shapely
from shapely.geometry import shape

from geo_app import create_app
from geo_app.render.mapspec import NO_DATA_COLOR, NOT_APPLICABLE_COLOR, PILOT_OUTLINE, build_spec, summary_sentence
from geo_app.model.dataset import province_counts
from geo_app.render.interactive import FRAME_WATCH, JS_FILES, commune_style, map_parts, render_map
from geo_app.settings import Settings
from geo_app.domain.units import DISTRICTS, units
from geo_app.render import webgeo

PILOTS = {"29146", "28813"}
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
BAD_PARAMS = [
    ("year=1999", "year"), ("year=abc", "year"), ("layer=colour", "layer"), ("layer=criterion&criterion=0", "criterion"),
    ("layer=criterion&criterion=20", "criterion"), ("layer=criterion&criterion=x", "criterion"),
    ("district=999", "district"), ("district=%3Cscript%3E", "district"), ("lang=fr", "lang"),
]


def map_document(text: str) -> dict:
    """The JSON document the page hands to ntm-map.js (config, attribute tables, geometry source)."""
    data_id = re.search(r"NTM\.mount\(\w+, \"([\w-]+)\"\);", text).group(1)
    match = re.search(r'<script\b[^>]*\bid="' + re.escape(data_id) + r'"[^>]*>(.*?)</script>', text, re.S)
    return json.loads(match.group(1))


def mount_config(text: str) -> dict:
    """The display config the page hands to ntm-map.js."""
    return map_document(text)["config"]


def page(client, query: str = "") -> str:
    response = client.get("/" + (f"?{query}" if query else ""))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


# ------------------------------------------------------------------ GET /


def test_default_page_is_vietnamese_latest_year_with_summary_and_table(client, dataset):
    text = page(client)
    year = dataset.latest_year
    assert '<html lang="vi">' in text
    assert "Bản đồ Nông thôn mới — Bến Tre" in text
    assert html.escape(summary_sentence(province_counts(dataset.communes(year)), year, "vi")) in text
    assert f'<option value="{year}" selected>' in text
    tbody = text.split('id="commune-table"')[1].split("</tbody>")[0]
    assert tbody.count("<tr data-ward-code=") == 157
    assert 'aria-sort="ascending"' in text and text.count('class="sort-button"') == 8


@pytest.mark.parametrize("year_index,layer,lang,district", list(itertools.product(
    range(4), ["level", "band", "district", "criterion:1", "criterion:19"], ["vi", "en"], [None, "836"])))
def test_every_view_renders(client, dataset, year_index, layer, lang, district):
    year = dataset.years[year_index % len(dataset.years)]
    layer, _, number = layer.partition(":")
    query = f"year={year}&layer={layer}&lang={lang}" + (f"&criterion={number}" if number else "")
    query += f"&district={district}" if district else ""
    text = page(client, query)
    assert f'<html lang="{lang}">' in text
    assert "NTM.mount(" in text
    config = mount_config(text)
    assert config["layer"] == layer and config["district"] == district and config["lang"] == lang
    rows = text.split('id="commune-table"')[1].split("</tbody>")[0].count("<tr data-ward-code=")
    expected = sum(1 for u in units().values() if district is None or u.district_code == district)
    assert rows == expected


@pytest.mark.parametrize("number", range(1, 20))
def test_each_criterion_layer(client, number):
    text = page(client, f"layer=criterion&criterion={number}")
    assert f'<option value="{number}" selected>' in text
    assert f"Tiêu chí {number}:" in text


@pytest.mark.parametrize("code", sorted(DISTRICTS))
def test_each_district_zoom(client, code):
    text = page(client, f"district={code}")
    assert mount_config(text)["district"] == code
    assert f'<option value="{code}" selected>' in text


@pytest.mark.parametrize("query,param", BAD_PARAMS)
def test_bad_parameters_are_400_with_a_message(client, query, param):
    response = client.get(f"/?{query}")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert f"{param}=" in html.unescape(body)
    assert "Traceback" not in body


def test_english_page(client, dataset):
    text = page(client, "lang=en")
    year = dataset.latest_year
    assert '<html lang="en">' in text
    assert html.escape(summary_sentence(province_counts(dataset.communes(year)), year, "en")) in text
    assert "Data table" in text and "NTM attainment level" in text
    config = mount_config(text)
    assert config["strings"]["level"] == "Level" and config["criteria"][0]["name"] == "Planning"  # popups
    assert 'href="/?lang=en"' in text or 'href="/lagging?lang=en"' in text


def test_popup_notes_speak_the_pages_language(client, dataset):
    """The demo file's note "Giá trị minh họa (illustrative), không phải số liệu chính thức" was shown as it is in
    the English map's popups; the fixed phrases are translated there, as on /lagging, and kept in Vietnamese."""
    year = next(y for y in dataset.years if dataset.has_illustrative(y))

    def notes(lang: str) -> list[str]:
        doc = map_document(page(client, f"year={year}&lang={lang}"))
        return [row[table["fields"].index("note")] or "" for key in ("communes", "districts")
                for table in [doc[key]] for row in table["rows"]]

    english, vietnamese = notes("en"), notes("vi")
    assert not [n for n in english if "minh họa" in n or "không phải số liệu" in n]
    assert sum("Illustrative value, not an official figure" in n for n in english) >= 10
    assert sum("Giá trị minh họa, không phải số liệu chính thức" in n for n in vietnamese) >= 10
    assert not [n for n in vietnamese if "illustrative" in n]  # no English word left in the Vietnamese note
    assert len(english) == len(vietnamese)


def test_banner_for_illustrative_years(client, dataset):
    for year in dataset.years:
        text = page(client, f"year={year}")
        assert ('id="illustrative-banner"' in text) == dataset.has_illustrative(year)


def test_no_banner_without_illustrative_values(tmp_path, default_settings):
    status = pd.read_csv(default_settings.commune_status_path(), dtype=str, keep_default_na=False)
    illustrative = status["provenance"] == "illustrative"
    status.loc[illustrative, "provenance"] = "documented"
    status.loc[illustrative, "source_url"] = "https://example.org/bao-cao"
    status.to_csv(tmp_path / "communes.csv", index=False)
    settings = Settings(boundaries_dir=default_settings.boundaries_dir, status_dir=tmp_path,
                        commune_status_file="communes.csv",
                        district_status_file=str(default_settings.district_status_path()))
    client = create_app({"TESTING": True, "SETTINGS": settings}).test_client()
    text = page(client)
    assert 'id="illustrative-banner"' not in text
    assert "ILLUSTRATIVE" not in text.split("<main")[1].split("NTM.mount")[0]


def test_pilot_communes_flagged_with_requirements(client):
    text = page(client)
    assert text.count('class="pilot-row"') == 2
    pilots = mount_config(text)["pilots"]
    assert set(pilots) == PILOTS
    assert pilots["28813"] == ["Khu dân cư tập trung", "Vùng sản xuất tập trung", "Nghĩa trang nhân dân"]


def test_basemap_only_when_configured(client, default_settings):
    assert "tileLayer" not in page(client)
    settings = Settings(**{**default_settings.__dict__, "basemap_url": "http://127.0.0.1:9/tiles/{z}/{x}/{y}.png"})
    text = page(create_app({"TESTING": True, "SETTINGS": settings}).test_client())
    assert "L.tileLayer" in text and "127.0.0.1:9/tiles" in text


# ------------------------------------------------------------------ offline: nothing from other hosts


def off_host(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.netloc) and parts.hostname not in LOCAL_HOSTS


def asset_refs(text: str) -> list[str]:
    """Every URL the browser would fetch by itself: script/img/iframe src, link href, CSS url()/@import."""
    refs = re.findall(r"<(?:script|img|iframe|source|embed|audio|video)\b[^>]*\bsrc=[\"']?([^\"' >]+)", text, re.I)
    refs += re.findall(r"<link\b[^>]*\bhref=[\"']?([^\"' >]+)", text, re.I)
    refs += re.findall(r"url\(\s*[\"']?([^\"')]+)", text)
    refs += re.findall(r"@import\s+[\"']([^\"']+)", text)
    return refs


@pytest.mark.parametrize("query", ["", "lang=en", "layer=district", "layer=criterion&criterion=5&district=831"])
def test_page_and_assets_load_nothing_from_other_hosts(client, query):
    text = page(client, query)
    refs = asset_refs(text)
    assert refs and not [r for r in refs if off_host(r) or r.startswith("//")]
    static = [r for r in refs if r.startswith("/static/")]
    assert any(re.search(r"vendor/leaflet-1\.9\.4/leaflet(\.[0-9a-f]{10})?\.js$", r) for r in static)
    for ref in static:
        response = client.get(ref)
        assert response.status_code == 200, ref
        body = response.get_data(as_text=True) if ref.endswith((".css", ".js")) else ""
        assert not [r for r in asset_refs(body) if off_host(r) or r.startswith("//")], ref
        if ref.endswith(".js"):
            # Only XML namespaces and Leaflet's attribution link may appear as absolute URLs in scripts.
            urls = set(re.findall(r"https?://[^\s\"'<>)]+", body))
            assert {u for u in urls if not u.startswith(("http://www.w3.org/", "https://leafletjs.com"))} == set()


def test_vendored_leaflet_has_licence_and_version():
    vendor = Path(__file__).resolve().parents[1] / "geo_app" / "static" / "vendor" / "leaflet-1.9.4"
    assert (vendor / "LICENSE-leaflet-1.9.4.txt").read_text().startswith("BSD 2-Clause License")
    assert 't.version="1.9.4"' in (vendor / "leaflet.js").read_text()
    assert (vendor / "images" / "layers.png").exists()


# ------------------------------------------------------------------ API


def test_summary_json_equals_dataset_summary(client, dataset):
    for year in dataset.years:
        response = client.get(f"/api/summary.json?year={year}")
        assert response.status_code == 200 and response.mimetype == "application/json"
        assert response.get_json() == json.loads(json.dumps(dataset.summary(year)))
    assert client.get("/api/summary.json").get_json()["year"] == dataset.latest_year


def test_summary_json_matches_cli(app, dataset):
    result = app.test_cli_runner().invoke(args=["data", "summary", "--json", "--year", "2022"])
    assert result.exit_code == 0, result.output
    assert app.test_client().get("/api/summary.json?year=2022").get_data(as_text=True) == result.output


def test_communes_geojson(client, dataset):
    response = client.get("/api/communes.geojson?year=2022")
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    fc = response.get_json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 157
    props = {f["properties"]["ward_code"]: f["properties"] for f in fc["features"]}
    assert set(props) == set(units())
    assert {c for c, p in props.items() if p["is_pilot"]} == PILOTS
    frame = dataset.communes(2022).set_index("ward_code")
    for code, p in props.items():
        assert p["level"] == frame.at[code, "level"] and p["name"] == frame.at[code, "name"]
    giao_long = props["28813"]
    assert giao_long["district_name"] == "Huyện Châu Thành" and giao_long["search"] == "xa giao long"
    assert len([k for k in giao_long if re.fullmatch(r"c\d+", k)]) == 19
    assert giao_long["criteria_met"] == 19 - len(giao_long["missing"])
    assert set(giao_long) >= {"band", "class", "year_recognised", "note", "provenance", "source_url", "type"}


@pytest.mark.parametrize("url", ["/api/communes.geojson?year=2019", "/api/communes.geojson?year=x",
                                 "/api/summary.json?year=1", "/api/summary.json?lang=de",
                                 "/api/communes.geojson?layer=criterion&criterion=99"])
def test_api_bad_parameters_are_json_400(client, url):
    response = client.get(url)
    assert response.status_code == 400 and response.mimetype == "application/json"
    assert response.get_json()["error"]


# ------------------------------------------------------------------ web geometry


def test_web_geometry_is_a_valid_rounded_coverage(dataset):
    communes, districts = webgeo.web_geometry(dataset)
    assert len(communes) == 157 and len(districts) == 9
    geoms = communes.geometry.values
    assert shapely.is_valid(geoms).all() and not shapely.is_empty(geoms).any()
    assert shapely.coverage_is_valid(geoms)  # no overlaps, neighbours share their edges
    coords = shapely.get_coordinates(geoms)
    assert (abs(coords * 1e5 - (coords * 1e5).round()) < 1e-6).all()  # ~5 decimals
    # simplified, but still the same province: area within 1 % and every label inside its commune
    original = dataset.boundaries.to_crs(webgeo.METRIC_CRS).area.sum()
    assert abs(communes.to_crs(webgeo.METRIC_CRS).area.sum() / original - 1) < 0.01
    points = shapely.points(communes["label_lon"], communes["label_lat"])
    assert shapely.contains(geoms, points).all()


def test_web_geometry_of_an_imperfect_office_layer(dataset):
    """A densified layer (vertices on shared edges that do not quite match, as in surveyed shapefiles)
    is not a clean coverage; the web geometry still builds and its districts cover their communes."""
    cho_lach = dataset.boundaries[dataset.boundaries["district_code"] == "832"]
    dense = cho_lach.to_crs(webgeo.METRIC_CRS)
    dense["geometry"] = dense.geometry.segmentize(10.0)
    dense = dense.to_crs(webgeo.WEB_CRS)
    communes = webgeo.simplify_coverage(dense)
    districts = webgeo.dissolve_districts(communes)
    assert len(districts) == 1 and districts.geometry.iloc[0].is_valid
    assert communes.geometry.union_all().symmetric_difference(districts.geometry.iloc[0]).area < 1e-7
    assert shapely.get_coordinates(communes.geometry.values).shape[0] < shapely.get_coordinates(dense.geometry.values).shape[0] / 5


def test_web_geometry_is_cached_per_revision(app):
    store = app.extensions["ntm_store"]
    first = webgeo.cached_web_geometry(store)
    assert webgeo.cached_web_geometry(store) is first


def test_feature_collections_nest_districts(dataset):
    communes, districts = webgeo.web_geometry(dataset)
    dfc = webgeo.districts_fc(dataset, 2022, geometry=districts)
    by_code = {f["properties"]["district_code"]: f for f in dfc["features"]}
    assert set(by_code) == set(DISTRICTS)
    cl = by_code["832"]["properties"]
    assert (cl["xa_total"], cl["xa_ntm"], cl["pct_ntm"], cl["short_name"]) == (10, 10, 100.0, "Chợ Lách")
    # the city is labelled as in the exports ("Bến Tre" alone read as the province, and differed from them)
    assert by_code["829"]["properties"]["short_name"] == "TP Bến Tre"
    union = shape(by_code["836"]["geometry"])
    ba_tri = communes[communes["district_code"] == "836"].geometry.union_all()
    assert union.symmetric_difference(ba_tri).area < 1e-8


# ------------------------------------------------------------------ renderer


def test_styles_follow_the_spec_and_never_black(dataset):
    frame = dataset.communes(2022)
    spec = build_spec(frame, dataset.district_frame(2022), 2022, "level")
    classes = {c.key: c for c in spec.classes}
    base = {"ward_code": "1", "is_pilot": False}
    no_data = commune_style({**base, "class": "no_data"}, classes, False)
    assert no_data["fillColor"].startswith("url(#ntm-hatch-") and NO_DATA_COLOR[1:] in no_data["fillColor"]
    assert commune_style({**base, "class": "not_applicable"}, classes, False)["fillColor"] == NOT_APPLICABLE_COLOR
    pilot = commune_style({**base, "class": "ntm", "is_pilot": True}, classes, False)
    assert pilot["color"] == PILOT_OUTLINE and pilot["weight"] > 1
    for cls in spec.classes:
        assert cls.color.lower() not in ("#000", "#000000")
    faded = commune_style({**base, "class": "ntm"}, classes, False, emphasis={"2"})
    strong = commune_style({**base, "class": "ntm"}, classes, False, emphasis={"1"})
    assert faded["fillOpacity"] < strong["fillOpacity"] and strong["weight"] > faded["weight"]


PAYLOAD = "<img src=x onerror=\"document.title='XSS'\">${document.title='XSS'}`</script>"


def _spec_and_fcs(dataset, year=2022):
    communes, districts = webgeo.web_geometry(dataset)
    cfc = webgeo.communes_fc(dataset, year, geometry=communes)
    dfc = webgeo.districts_fc(dataset, year, geometry=districts)
    spec = build_spec(dataset.communes(year), dataset.district_frame(year), year, "level")
    return spec, cfc, dfc


def test_renderer_never_puts_data_text_into_markup(dataset):
    spec, cfc, dfc = _spec_and_fcs(dataset)
    cfc["features"][0]["properties"]["name"] = PAYLOAD
    cfc["features"][0]["properties"]["note"] = PAYLOAD
    out = render_map(spec, cfc, dfc)
    assert "<img src=x" not in out and "</script>`" not in out
    assert "\\u003cimg src=x onerror" in out  # present only as JSON data
    assert "bindTooltip" not in out and "bindPopup" not in out  # no folium Tooltip/Popup


def test_render_inline_is_self_contained(dataset):
    spec, cfc, dfc = _spec_and_fcs(dataset)
    out = render_map(spec, cfc, dfc, assets="inline")
    assert out.startswith("<!doctype html>")
    refs = asset_refs(out)
    assert refs and all(r.startswith(("data:", "#")) for r in refs), [r[:60] for r in refs if not r.startswith("data:")]
    assert out.count("data:text/javascript;base64,") == len(JS_FILES) and "/static/" not in out


def test_map_parts_for_embedding(dataset):
    spec, cfc, dfc = _spec_and_fcs(dataset)
    parts = map_parts(spec, cfc, dfc, highlight={"28813"}, controls=False, legend=False, height="400px",
                      static_url="/s")
    # Style sheets in the head; the scripts come after the map's <div> (which holds the server-drawn preview).
    assert '<link rel="stylesheet" href="/s/vendor/leaflet-1.9.4/leaflet.css">' in parts.head
    assert "<script src" not in parts.head
    # First the watch for the browser's first frame (a map mounted before it draws after it), then Leaflet.
    assert parts.script.startswith(FRAME_WATCH + '\n<script src="/s/vendor/leaflet-1.9.4/leaflet.js"></script>')
    assert "height: 400px" in parts.head and "html, body" not in parts.head
    assert parts.body.count("folium-map") == 1 and parts.body.count('class="ntm-preview"') == 1
    assert '<script type="application/json"' in parts.script
    config = mount_config(parts.script)
    assert config["showControls"] is False and config["showLegend"] is False
    with pytest.raises(ValueError):
        map_parts(spec, cfc, dfc, assets="cdn")


def test_400_pages_speak_the_pages_language(client):
    vi = client.get("/?criterion=abc")
    en = client.get("/?criterion=abc&lang=en")
    assert vi.status_code == en.status_code == 400
    vi_text, en_text = vi.get_data(as_text=True), en.get_data(as_text=True)
    assert '<html lang="vi">' in vi_text and "Yêu cầu không hợp lệ" in vi_text and "phải là một số nguyên" in vi_text
    assert "Bad request" not in vi_text and "whole number" not in vi_text
    assert '<html lang="en">' in en_text and "Bad request" in en_text and "must be a whole number" in en_text
    assert "Yêu cầu không hợp lệ" not in en_text
    assert "Trang này không tồn tại" in client.get("/no-such-page").get_data(as_text=True)
    assert "This page does not exist" in client.get("/no-such-page?lang=en").get_data(as_text=True)


def test_the_summary_reads_right_in_english_for_one_commune():
    """'of the rest, 1 meet 15-18 criteria, 18 10-14': the counts now follow their labels."""
    province = {"xa_ntm": 106, "xa_total": 139, "xa_nang_cao": 39, "xa_kieu_mau": 3, "band_15_18": 1,
                "band_10_14": 18, "band_lt10": 0}
    assert summary_sentence(province, 2024, "en").endswith(
        "of the rest, 15-18 criteria met: 1, 10-14: 18, fewer than 10: 0.")
    assert summary_sentence(province, 2024, "vi").endswith("còn lại 1 xã đạt 15-18 tiêu chí, 18 xã 10-14, 0 xã dưới 10.")
    # "39 nâng cao, 3 kiểu mẫu" beside a legend of 36 nâng cao and 3 kiểu mẫu: the 39 hold the 3, and now say so
    assert "106/139 xã đạt chuẩn NTM (76 %), trong đó 39 nâng cao (gồm 3 kiểu mẫu);" in summary_sentence(
        province, 2024, "vi")
    assert "39 of them advanced (including 3 model)" in summary_sentence(province, 2024, "en")


@pytest.mark.parametrize("query", ["year=" + "9" * 3000, "district=" + "x" * 3000, "layer=" + "é" * 1500])
def test_a_very_long_value_is_not_written_back_whole(client, query):
    """A 3 KB value in the address came back whole in the 400 page's message."""
    response = client.get(f"/?{query}")
    text = response.get_data(as_text=True)
    message = re.search(r'<p class="msg">(.*?)</p>', text, re.S).group(1)
    assert response.status_code == 400 and len(message) < 400 and "…" in message, message[:500]
