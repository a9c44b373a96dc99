"""Issue 12 (the map as people use it), checked through Flask's test client: counts follow the scope,
navigation keeps the view, one criterion's map says one criterion, colours mean one thing per map."""
from __future__ import annotations

import html
import re

import pytest
from test_map_views import mount_config, page

from geo_app.domain.units import units
from geo_app.render.interactive import HIGHLIGHT_OUTLINE, commune_style
from geo_app.render.mapspec import PILOT_OUTLINE, commune_classes

BA_TRI = "836"


def nav_links(text: str) -> dict[str, str]:
    nav = text.split('class="site-nav"')[1].split("</nav>")[0]
    return {href.split("?")[0]: html.unescape(href) for href in re.findall(r'href="([^"]+)"', nav)}


@pytest.mark.parametrize("lang,pattern", [("vi", r"\((\d+)/(\d+) đơn vị có giá trị minh họa"),
                                          ("en", r"\((\d+) of (\d+) units carry illustrative values")])
def test_illustrative_count_covers_the_units_in_view(client, dataset, lang, pattern):
    text = page(client, f"year=2022&district={BA_TRI}&lang={lang}")
    shown, total = map(int, re.search(pattern, text).groups())
    frame = dataset.communes(2022)
    in_district = frame[frame["district_code"] == BA_TRI]
    assert total == sum(1 for u in units().values() if u.district_code == BA_TRI)
    assert shown == int((in_district["provenance"] == "illustrative").sum())
    assert shown <= total


def test_map_aria_label_is_readable_vietnamese(client):
    text = page(client, "year=2023")
    label = re.search(r'class="folium-map ntm-map[^"]*"[^>]*aria-label="([^"]*)"', text, re.S).group(1)
    assert "\\u" not in label
    assert html.unescape(label).startswith("Mức đạt chuẩn nông thôn mới — Tỉnh Bến Tre, 2023")


@pytest.mark.parametrize("path", ["/", "/lagging", "/gaps", "/targets"])
def test_navigation_keeps_year_district_and_language(client, path):
    response = client.get(f"{path}?year=2022&district={BA_TRI}&lang=en")
    assert response.status_code == 200
    links = nav_links(response.get_data(as_text=True))
    for target in ("/", "/lagging", "/gaps", "/targets"):
        assert f"year=2022" in links[target] and f"district={BA_TRI}" in links[target] and "lang=en" in links[target]


@pytest.mark.parametrize("path", ["/", "/lagging", "/gaps", "/targets", "/compare"])
def test_the_menu_leads_to_the_comparison_of_years(client, dataset, path):
    """/compare was reached only from a link beside the map's year slider. The menu's link keeps the district and
    the language, not the year: it compares the first year with the latest (a year compared with itself is no
    comparison), and the page it leads to answers."""
    response = client.get(f"{path}?year={dataset.years[1]}&district={BA_TRI}&lang=en")
    links = nav_links(response.get_data(as_text=True))
    assert links["/compare"] == f"/compare?district={BA_TRI}&lang=en"
    answer = client.get(links["/compare"])
    assert answer.status_code == 200
    text = answer.get_data(as_text=True)
    assert f"{dataset.years[0]} → {dataset.years[-1]}" in html.unescape(text)
    current = re.findall(r'<a href="([^"]+)" aria-current="page">', text.split('class="site-nav"')[1].split("</nav>")[0])
    assert [href.split("?")[0] for href in current] == ["/compare"]


def test_navigation_drops_malformed_values(client):
    links = nav_links(page(client, "year=2022"))
    assert links["/lagging"] == "/lagging?year=2022"
    assert "district" not in links["/gaps"]


def test_criterion_view_speaks_of_the_criterion(client, dataset):
    text = page(client, "year=2023&layer=criterion&criterion=13")
    summary = html.unescape(re.search(r'<p class="summary" id="summary">(.*?)</p>', text, re.S).group(1))
    frame = dataset.communes(2023)
    xa = frame[frame["ntm_applicable"] & (frame["level"] != "no_data")]
    met = int(xa["c13"].fillna(False).astype(bool).sum())
    assert summary.startswith(f"2023: {met}/{len(xa)} xã đạt tiêu chí 13")
    assert "đạt chuẩn NTM" not in summary
    config = mount_config(text)
    assert config["labelMode"] == "criterion" and config["districtLegendRows"] == []


def legend_colours(config: dict) -> dict[str, set[str]]:
    """Colour -> the labels it stands for, over every legend list of one map."""
    meanings: dict[str, set[str]] = {}
    for row in (*config["legendRows"], *config["districtLegendRows"]):
        meanings.setdefault(row["color"].lower(), set()).add(row["label"])
    return meanings


@pytest.mark.parametrize("query", ["layer=level", "layer=band", "layer=criterion&criterion=2",
                                   "layer=criterion&criterion=13", "layer=district", "layer=level&lang=en"])
def test_no_colour_means_two_things_on_the_map_page(client, query):
    reused = {c: m for c, m in legend_colours(mount_config(page(client, query))).items() if len(m) > 1}
    assert reused == {}


@pytest.mark.parametrize("query", ["year=2022", "year=2024&district=836", "year=2023&band=15_18"])
def test_no_colour_means_two_things_on_the_lagging_map(client, query):
    text = client.get(f"/lagging?{query}").get_data(as_text=True)
    config = mount_config(text)
    assert legend_colours(config) and {c: m for c, m in legend_colours(config).items() if len(m) > 1} == {}
    assert config["labelMode"] == "plain" and config["highlightLegend"]


def test_district_legend_counts_the_district_in_scope(client, dataset):
    config = mount_config(page(client, f"year=2022&district={BA_TRI}"))
    counts = {r["key"]: r["count"] for r in config["districtLegendRows"]}
    level = dataset.district_frame(2022).set_index("district_code").at[BA_TRI, "level"]
    assert sum(counts.values()) == 1 and counts[level] == 1
    assert sum(r["count"] for r in config["legendRows"]) == sum(
        1 for u in units().values() if u.district_code == BA_TRI)


def test_listed_pilot_keeps_the_listed_outline():
    props = {"ward_code": "29146", "district_code": "836", "class": "ntm", "is_pilot": True}
    classes = {c.key: c for c in commune_classes("level")}
    assert commune_style(props, classes, False, {"29146"})["color"] == HIGHLIGHT_OUTLINE
    assert commune_style(props, classes, False, {"1"})["color"] == PILOT_OUTLINE
    assert commune_style(props, classes, False, None)["color"] == PILOT_OUTLINE


def pane_pointer(text: str, name: str) -> bool:
    """Whether the page's Leaflet pane `name` takes pointer events."""
    var = re.search(r"var (pane_\w+) = \w+\.createPane\(\s*" + re.escape(f'"{name}"'), text).group(1)
    return f"{var}.style.pointerEvents = 'none'" not in text


@pytest.mark.parametrize("layer,communes,districts", [("district", False, True), ("level", True, False)])
def test_the_layer_in_view_takes_the_pointer(client, layer, communes, districts):
    text = page(client, f"layer={layer}")
    assert pane_pointer(text, "ntmCommunes") is communes and pane_pointer(text, "ntmDistricts") is districts


def test_district_features_carry_what_the_district_popup_shows(client, dataset):
    from geo_app.render.webgeo import web_view
    with client.application.app_context():
        from geo_app.views.common import store
        fc = web_view(store(), 2024, "district").districts_fc
    props = {f["properties"]["district_code"]: f["properties"] for f in fc["features"]}
    frame = dataset.district_frame(2024).set_index("district_code")
    for code, p in props.items():
        assert p["decision"] == (frame.at[code, "decision"] or "")
        assert p["xa_kieu_mau"] == int(frame.at[code, "xa_kieu_mau"])
        assert p["xa_nang_cao"] == int(frame.at[code, "xa_nang_cao"])


@pytest.mark.parametrize("path", ["/lagging", "/gaps"])
def test_the_menu_names_a_page_as_its_heading_does(client, path):
    """The menu said "Xã còn chậm" and "Tiêu chí còn thiếu" for pages headed "Xã cần ưu tiên" and "Tiêu chí chưa
    đạt theo huyện": a reader could not tell they were the same pages."""
    text = client.get(path + "?year=2024").get_data(as_text=True)
    nav = text.split('class="site-nav"')[1].split("</nav>")[0]
    label = html.unescape(re.search(rf'<a href="{path}[^"]*"[^>]*>([^<]+)</a>', nav).group(1))
    heading = html.unescape(re.search(r"<h1[^>]*>(.*?)</h1>", text, re.S).group(1))
    assert label in heading, (label, heading)


@pytest.mark.parametrize("lang,expected", [("vi", "TCTK 01/02/2020 – 30/11/2024, 157 đơn vị"),
                                           ("en", "GSO Feb 1, 2020 – Nov 30, 2024, 157 units")])
def test_the_unit_lists_dates_are_written_as_the_pages_other_dates(client, lang, expected):
    """The source line under the map (and on every export) gave the unit list's dates as ISO dates,
    "TCTK 2020-02-01 → 2024-11-30", where the page's footer writes 01/02/2020."""
    text = html.unescape(page(client, f"year=2024&lang={lang}"))
    assert expected in text and "2020-02-01" not in text
