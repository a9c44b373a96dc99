"""The server-drawn map (render/preview.py): every commune and district of the view, in its class colour, in
the right place, inside the map's <div> and before the page's scripts."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import shapely

from geo_app.domain.plan import PILOTS
from geo_app.render import webgeo
from geo_app.render.interactive import PILOT_OUTLINE, GeometrySource, map_document
from geo_app.render.mapspec import build_spec
from geo_app.render.preview import EARTH_RADIUS, Grid, preview_svg

SVG = "{http://www.w3.org/2000/svg}"
YEAR = 2024


def view(dataset, district: str | None = None):
    communes, districts = webgeo.web_geometry(dataset)
    cfc = webgeo.communes_fc(dataset, YEAR, geometry=communes)
    dfc = webgeo.districts_fc(dataset, YEAR, geometry=districts)
    spec = build_spec(dataset.communes(YEAR), dataset.district_frame(YEAR), YEAR, "level", district=district)
    document = map_document(spec, cfc, dfc, geometry=GeometrySource(url="/geo/test.json"))
    return spec, cfc, dfc, document


def parsed(svg: str) -> ET.Element:
    return ET.fromstring(svg.replace("<svg ", f'<svg xmlns="{SVG[1:-1]}" ', 1))


def paths(root: ET.Element, cls: str) -> dict[str, tuple[ET.Element, ET.Element]]:
    """{code: (path, its style group)} of the paths of class `cls`."""
    out = {}
    for group in root.iter(f"{SVG}g"):
        for path in group.findall(f"{SVG}path"):
            if path.get("class") == cls:
                out[path.get("data-ward-code") or path.get("data-district-code")] = (path, group)
    return out


def polygon_of(d: str, grid: Grid):
    """A path written as "M x y l dx dy ... z" rings, back in longitude/latitude."""
    rings = []
    for ring in re.findall(r"M([^l]+)l([^z]*)z", d):
        numbers = [int(n) for n in re.findall(r"-?\d+", " ".join(ring))]
        steps = np.array(numbers, dtype=float).reshape(-1, 2)
        points = np.cumsum(steps, axis=0)
        x = points[:, 0] * grid.step + grid.origin[0]
        y = grid.origin[1] - points[:, 1] * grid.step
        lon = np.degrees(x / EARTH_RADIUS)
        lat = np.degrees(2 * np.arctan(np.exp(y / EARTH_RADIUS)) - np.pi / 2)
        rings.append(shapely.Polygon(np.column_stack([lon, lat])))
    # Exterior rings and holes alike: the symmetric difference of the rings is the (even-odd) shape.
    shape = rings[0]
    for ring in rings[1:]:
        shape = shape.symmetric_difference(ring)
    return shape


def test_every_commune_and_district_is_drawn_in_its_class_colour(dataset):
    spec, cfc, dfc, document = view(dataset)
    root = parsed(preview_svg(document, cfc, dfc))
    communes, districts = paths(root, "ntm-preview-commune"), paths(root, "ntm-preview-district")
    assert sorted(communes) == sorted(f["properties"]["ward_code"] for f in cfc["features"])
    assert len(communes) == 157 and len(districts) == len(dfc["features"]) == 9
    colours = {c.key: c for c in spec.classes}
    patterns = {p.get("id"): p for p in root.iter(f"{SVG}pattern")}
    for f in cfc["features"]:
        p = f["properties"]
        cls = colours[p["class"]]
        fill = communes[p["ward_code"]][1].get("fill")
        if cls.hatched:  # the hatch of the map, under the preview's own id (the map's patterns outlive it)
            pattern = patterns[fill.removeprefix("url(#").removesuffix(")")]
            assert pattern.find(f"{SVG}rect").get("fill") == cls.color
        else:
            assert fill == cls.color, p["name"]
    for pilot in PILOTS:  # the pilots keep their dashed orange outline
        group = communes[pilot.code][1]
        assert group.get("stroke") == PILOT_OUTLINE and group.get("stroke-dasharray")
    assert all(group.get("fill") == "none" for _, group in districts.values())  # outlines over the communes


def test_paths_are_the_communes_shapes_in_place(dataset):
    """Read back and un-projected, each path covers its commune (the y axis, the projection and the origin
    right), to within the preview's grid."""
    _, cfc, dfc, document = view(dataset)
    svg = preview_svg(document, cfc, dfc)
    grid = Grid(document["config"]["bounds"])
    communes = paths(parsed(svg), "ntm-preview-commune")
    overlaps = []
    for f in cfc["features"]:
        shape = shapely.geometry.shape(f["geometry"])
        drawn = polygon_of(communes[f["properties"]["ward_code"]][0].get("d"), grid)
        overlaps.append(shape.intersection(drawn).area / shape.union(drawn).area)
    assert min(overlaps) > 0.85 and np.median(overlaps) > 0.97


def test_view_box_is_the_views_bounds(dataset):
    """The province view spans its communes; a district's view spans that district (the rest of the province is
    kept around it, clipped)."""
    _, cfc, dfc, document = view(dataset)
    root = parsed(preview_svg(document, cfc, dfc))
    width, height = (float(v) for v in root.get("viewBox").split()[2:])
    assert max(width, height) == 2000 and 1.2 < width / height < 1.5  # Bến Tre is wider than tall
    assert root.get("preserveAspectRatio") == "xMidYMid meet"

    code = dfc["features"][0]["properties"]["district_code"]
    _, cfc, dfc, document = view(dataset, district=code)
    grid = Grid(document["config"]["bounds"])
    communes = paths(parsed(preview_svg(document, cfc, dfc)), "ntm-preview-commune")
    inside = [f for f in cfc["features"] if f["properties"]["district_code"] == code]
    for f in inside:
        drawn = polygon_of(communes[f["properties"]["ward_code"]][0].get("d"), grid)
        assert drawn.intersection(shapely.geometry.shape(f["geometry"])).area > 0.8 * drawn.area
    assert len(inside) < len(communes) <= 157


def test_page_has_the_preview_in_the_map_and_its_scripts_after_it(client):
    html = client.get("/?year=2024").get_data(as_text=True)
    head, body = html.split("</head>", 1)
    assert "<script src" not in head and 'rel="stylesheet"' in head
    map_div = body.index('class="folium-map ntm-map')
    preview = body.index('<svg class="ntm-preview"')
    assert map_div < preview < body.index("</svg>") < body.index("<script src")
    assert body.count('class="ntm-preview-commune"') == 157


@pytest.mark.parametrize("query", ["layer=district", "layer=criterion&criterion=17", "layer=band"])
def test_every_layer_has_its_preview(client, query):
    html = client.get(f"/?year=2024&{query}").get_data(as_text=True)
    assert html.count('class="ntm-preview-commune"') == 157 and html.count('class="ntm-preview-district"') == 9


def test_a_commune_without_data_is_hatched_as_on_the_map(dataset):
    """"No data" is hatched: the preview has its own copy of the map's pattern (the map's outlives it)."""
    communes, districts = webgeo.web_geometry(dataset)
    cfc = webgeo.communes_fc(dataset, YEAR, geometry=communes)
    dfc = webgeo.districts_fc(dataset, YEAR, geometry=districts)
    unknown = cfc["features"][5]["properties"]
    unknown["class"] = "no_data"
    spec = build_spec(dataset.communes(YEAR), dataset.district_frame(YEAR), YEAR, "level")
    document = map_document(spec, cfc, dfc, geometry=GeometrySource(url="/geo/test.json"))
    root = parsed(preview_svg(document, cfc, dfc))
    fill = paths(root, "ntm-preview-commune")[unknown["ward_code"]][1].get("fill")
    no_data = next(c for c in spec.classes if c.key == "no_data")
    assert no_data.hatched and fill.startswith("url(#ntm-preview-")
    pattern = next(p for p in root.iter(f"{SVG}pattern") if p.get("id") == fill[5:-1])
    assert [r.get("fill") for r in pattern.findall(f"{SVG}rect")][0] == no_data.color
    assert f'"id": "{fill[5:-1].removeprefix("ntm-preview-")}"' in json.dumps(document["config"]["hatches"])
