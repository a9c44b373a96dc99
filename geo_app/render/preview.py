"""The map drawn by the server: an inline SVG of the view's communes and districts, shown before any script runs.

The page's HTML carries it inside the map's <div>, so the communes are on screen as soon as the page is parsed
(before Leaflet and ntm-map.js have loaded), and a browser without JavaScript still shows the map. ntm-map.js
removes it once Leaflet has drawn the same paths in the same place: the SVG's viewBox is the view's bounds in
Web Mercator, fitted into the map with the padding of the map's first fit (ntm-map.js `fit`, which fits
without snapping the zoom so the two agree: 8 px, the attribution line at the foot, and on a narrow map the row of
controls at the top; ntm-map.css places the SVG so), and the paths have the Leaflet styles of the view.

Geometry: the view's web geometry projected to Web Mercator, simplified as a coverage to the preview's grid
(PREVIEW_UNITS across the view, about a pixel on a wide screen), written as relative integer steps.
"""
from __future__ import annotations

import html
import math
from typing import Iterable

import numpy as np
import shapely

EARTH_RADIUS = 6378137.0  # Leaflet's L.Projection.SphericalMercator
PREVIEW_UNITS = 2000  # grid steps across the longer side of the view's bounds
MARGIN = 1.0  # communes drawn this many view sizes around the view (the map is wider or taller than its bounds)


def mercator(lonlat: np.ndarray) -> np.ndarray:
    """Longitude/latitude to Web Mercator metres, y pointing up."""
    lon, lat = lonlat[:, 0], np.clip(lonlat[:, 1], -85.0511287798, 85.0511287798)
    return np.column_stack([np.radians(lon) * EARTH_RADIUS,
                            np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) * EARTH_RADIUS])


class Grid:
    """The preview's coordinates: integer steps from the view's north-west corner, y pointing down."""

    def __init__(self, bounds: list[list[float]]):
        (south, west), (north, east) = bounds
        (x0, y0), (x1, y1) = mercator(np.array([[west, south], [east, north]]))
        self.step = max(x1 - x0, y1 - y0, 1.0) / PREVIEW_UNITS
        self.origin = (x0, y1)
        self.size = (math.ceil((x1 - x0) / self.step), math.ceil((y1 - y0) / self.step))

    def project(self, geoms: np.ndarray) -> np.ndarray:
        """Shapes in grid units (floats), clipped to the view and its margin."""
        ox, oy = self.origin
        projected = shapely.transform(geoms, lambda xy: (mercator(xy) - (ox, oy)) / (self.step, -self.step))
        w, h = self.size
        return shapely.clip_by_rect(projected, -MARGIN * w, -MARGIN * h, (1 + MARGIN) * w, (1 + MARGIN) * h)

    def view_box(self) -> str:
        return f"0 0 {self.size[0]} {self.size[1]}"


def path_data(geom) -> str:
    """SVG path data of a (multi)polygon in grid units: each ring as integer steps; rings that round away are left out."""
    parts = []
    for polygon in getattr(geom, "geoms", [geom]):
        if polygon.is_empty or polygon.geom_type != "Polygon":
            continue
        for ring in (polygon.exterior, *polygon.interiors):
            points = np.rint(np.asarray(ring.coords)[:-1]).astype(np.int64)
            steps = np.diff(points, axis=0)
            steps = steps[np.any(steps != 0, axis=1)]
            if len(steps) < 2:
                continue
            moves = " ".join(f"{dx} {dy}" for dx, dy in steps).replace(" -", "-")
            parts.append(f"M{points[0][0]} {points[0][1]}l{moves}z")
    return "".join(parts)


def simplified(geoms: np.ndarray) -> np.ndarray:
    """A coverage simplified to the grid (neighbours still meet); shapes that are not a coverage kept as they are."""
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    out = geoms.copy()
    if present.any():
        try:
            out[present] = shapely.coverage_simplify(geoms[present], 1.0)
        except shapely.errors.GEOSException:
            pass
    return out


SVG_ATTRIBUTES = (  # Leaflet path option -> SVG presentation attribute (Leaflet's defaults where a style is silent)
    ("color", "stroke", "#3388ff"), ("weight", "stroke-width", 3), ("opacity", "stroke-opacity", 1),
    ("fillColor", "fill", None), ("fillOpacity", "fill-opacity", 0.2), ("dashArray", "stroke-dasharray", None),
)


def svg_style(style: dict, hatch_ids: dict[str, str]) -> str:
    """A Leaflet path style as SVG attributes (hatch patterns renamed to the preview's own)."""
    values = {}
    for option, attribute, default in SVG_ATTRIBUTES:
        value = style.get(option, default)
        if option == "fillColor" and value is None:
            value = style.get("color", "#3388ff")
        if value is not None and not (attribute.endswith("-opacity") and value == 1):  # SVG's default
            values[attribute] = value
    if style.get("fill") is False:
        values["fill"] = "none"
    fill = str(values.get("fill", ""))
    if fill.startswith("url(#") and fill[5:-1] in hatch_ids:
        values["fill"] = f"url(#{hatch_ids[fill[5:-1]]})"
    return " ".join(f'{name}="{html.escape(str(value))}"' for name, value in values.items())


def hatch_patterns(hatches: Iterable[dict]) -> tuple[str, dict[str, str]]:
    """<pattern>s like ntm-map.js's hatch patterns, under the preview's own ids (the map's outlive the preview)."""
    ids, out = {}, []
    for h in hatches:
        ids[h["id"]] = "ntm-preview-" + h["id"]
        out.append(f'<pattern id="{html.escape(ids[h["id"]])}" patternUnits="userSpaceOnUse" width="6" height="6" '
                   f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{html.escape(h["background"])}"/>'
                   f'<rect width="2.5" height="6" fill="{html.escape(h["color"])}"/></pattern>')
    return "".join(out), ids


def layer_group(geoms: np.ndarray, codes: list[str], styles: list[int], all_styles: list[dict], path_class: str,
                code_attribute: str, hatch_ids: dict[str, str]) -> str:
    """One layer's paths, grouped by style (heavier outlines last, so they are drawn on top as in the map)."""
    by_style: dict[int, list[str]] = {}
    for geom, code, style in zip(geoms, codes, styles):
        d = path_data(geom) if geom is not None else ""
        if d:
            by_style.setdefault(style, []).append(
                f'<path class="{path_class}" {code_attribute}="{html.escape(code)}" d="{d}"/>')
    order = sorted(by_style, key=lambda s: (float(all_styles[s].get("weight", 3)), s))
    return "".join(f'<g {svg_style(all_styles[s], hatch_ids)}>{"".join(by_style[s])}</g>' for s in order)


def preview_svg(document: dict, communes_fc: dict, districts_fc: dict) -> str:
    """The inline SVG of a map document's view (see the module's docstring); "" when the view has no bounds."""
    config = document["config"]
    if not config.get("bounds"):
        return ""
    grid = Grid(config["bounds"])
    patterns, hatch_ids = hatch_patterns(config.get("hatches", []))
    layers = []
    for fc, table, code, path_class, attribute in (
            (communes_fc, document["communes"], "ward_code", "ntm-preview-commune", "data-ward-code"),
            (districts_fc, document["districts"], "district_code", "ntm-preview-district", "data-district-code")):
        geoms = np.array([shapely.geometry.shape(f["geometry"]) if f.get("geometry") else None
                          for f in fc["features"]], dtype=object)
        style_at = table["fields"].index("style")
        code_at = table["fields"].index(code)
        layers.append(layer_group(simplified(grid.project(geoms)), [str(r[code_at]) for r in table["rows"]],
                                  [r[style_at] for r in table["rows"]], config["styles"], path_class, attribute,
                                  hatch_ids))
    defs = f"<defs>{patterns}</defs>" if patterns else ""
    return (f'<svg class="ntm-preview" viewBox="{grid.view_box()}" preserveAspectRatio="xMidYMid meet" '
            f'aria-hidden="true" stroke-linecap="round" stroke-linejoin="round" '
            f'fill-rule="evenodd">{defs}'
            f'{"".join(layers)}</svg>')
