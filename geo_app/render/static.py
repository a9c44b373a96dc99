"""Static map renderer (matplotlib/geopandas, Agg, no browser): one MapView -> PNG, SVG or PDF bytes.

Slide-ready 16:9 (PNG 1920x1080 at scale=1), drawn in UTM 48N (EPSG:32648) so the scale bar is in true
metres. Same classes and colours as the web map (the MapSpec). DejaVu Sans is selected explicitly so
Vietnamese diacritics never fall back to missing-glyph boxes. No Flask, no Folium.
"""
from __future__ import annotations

import hashlib
import io
import math
import textwrap
import threading
from collections import OrderedDict

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import shapely
from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.path import Path as MplPath
from matplotlib.text import Annotation

from geo_app.domain.messages import number, percent, translator
from geo_app.render import textcache, textfit
from geo_app.render.labels import Label, LabelPlacer
from geo_app.render.mapspec import DISTRICT_OUTLINE, PILOT_OUTLINE, MapClass, classify, district_label_lines
from geo_app.domain.textnorm import short_district, strip_type
from geo_app.model.viewstate import MapView
from geo_app.model.dataset import province_counts

RENDER_CRS = "EPSG:32648"  # WGS 84 / UTM zone 48N: metres, Bến Tre (105.9-106.9°E) lies inside it
FIG_INCHES = (16.0, 9.0)
BASE_DPI = 120  # 16 x 120 = 1920 px, 9 x 120 = 1080 px
FORMATS = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
MAP_RECT = (0.01, 0.085, 0.68, 0.79)  # left, bottom, width, height of the map axes (figure fraction)
PANEL_RECT = (0.705, 0.085, 0.285, 0.79)
BARE_MAP_RECT = (0.01, 0.085, 0.68, 0.895)  # without the title lines (slides carry them as text)
BARE_PANEL_RECT = (0.705, 0.085, 0.285, 0.895)
HATCH = "////"
HATCH_COLOR = "#636363"
WARNING_COLOR = "#b35806"
FONT = "DejaVu Sans"
RC = {
    "font.family": "sans-serif",
    "font.sans-serif": [FONT],
    "svg.fonttype": "none",  # text stays <text> (DejaVu Sans named): staff can edit labels in Inkscape/Illustrator
    "svg.hashsalt": "ntm-ben-tre",  # deterministic ids
    "pdf.fonttype": 42,  # embedded TrueType: text stays selectable
    # matplotlib (3.11) sizes a PDF's font subsets by ps.fonttype: with its default (3), every character past
    # U+00FF (most Vietnamese letters) goes into a second subset of each font, made and embedded apart. With 42,
    # one subset per font (half the subsets to make, ≈ 7 % smaller PDFs; the same text, tests/test_render_static.py).
    "ps.fonttype": 42,
    "hatch.linewidth": 0.6,
}
HALO = [patheffects.withStroke(linewidth=3, foreground="white")]
PNG_COMPRESS_LEVEL = 3  # zlib level: measured ≈ 40 % less encoding time than the default 6 for ≈ 5 % more bytes


def render(view: MapView, fmt: str = "png", scale: int = 1, header: bool = True) -> bytes:
    """The map of `view` as PNG/SVG/PDF bytes; `scale` multiplies the PNG pixel size (1 -> 1920x1080).

    `header=False` leaves out the title and summary lines (for slides, which carry them as editable text).
    """
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r} is not supported; use one of {', '.join(FORMATS)}")
    if scale not in (1, 2, 3, 4):
        raise ValueError(f"scale {scale!r} is not supported; use 1, 2, 3 or 4")
    textcache.install(vector=fmt != "png")  # texts measured, shaped, rendered once per process (the same bytes)
    with matplotlib.rc_context(RC):
        fig = draw_figure(view, scale, header)
        if fmt == "svg":
            editable_labels(fig)
        return figure_bytes(fig, fmt, title=view.spec.title)


def prepare(fmt: str) -> None:
    """Import what drawing `fmt` needs and install the kept text work, so processes forked afterwards (the drawing
    processes of `export_many`) share them instead of each importing them (PDF: matplotlib's PDF backend and
    fontTools' subsetter, ≈ 0.1 s; PNG: Pillow's PNG plugin)."""
    from importlib import import_module

    modules = {"pdf": ("matplotlib.backends.backend_pdf", "fontTools.subset", "fontTools.ttLib"),
               "svg": ("matplotlib.backends.backend_svg",),
               "png": ("PIL.PngImagePlugin",)}
    for name in modules.get(fmt, ()):
        import_module(name)
    textcache.install(vector=fmt != "png")
    if fmt == "pdf":
        reuse_font_subsets()


def editable_labels(fig: Figure) -> None:
    """Haloed labels as a plain text over a separate halo, so the SVG keeps every label as <text>.

    (matplotlib draws a text with path effects as glyph outlines; the halo alone may be outlines.)
    """
    for ax in fig.axes:
        for text in list(ax.texts):
            effects = text.get_path_effects()
            if not effects or not text.get_text() or isinstance(text, Annotation):
                continue  # the north arrow's "N" stays an outline
            halo = ax.text(*text.get_position(), text.get_text(), transform=text.get_transform(),
                           ha=text.get_ha(), va=text.get_va(), fontproperties=text.get_fontproperties(),
                           color="white", path_effects=effects, zorder=text.get_zorder() - 0.01,
                           clip_on=text.get_clip_on())
            halo.set_gid("label-halo")
            text.set_path_effects([])


def figure_bytes(fig: Figure, fmt: str, title: str = "") -> bytes:
    """Save a figure with fixed metadata (no dates), so equal input gives equal bytes."""
    if fmt == "pdf":
        reuse_font_subsets()
    if fmt == "png":
        return png_bytes(fig, title)
    buf = io.BytesIO()
    with matplotlib.rc_context(RC):
        fig.savefig(buf, format=fmt, dpi=fig.dpi, metadata=_metadata(fmt, title))
    return buf.getvalue()


def png_bytes(fig: Figure, title: str = "") -> bytes:
    """The figure as an RGB PNG: the figure is opaque, so the alpha channel matplotlib writes only costs encoding
    time and bytes (measured: ≈ 35 % less encoding time, ≈ 10 % fewer bytes, the same pixels)."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    textcache.install()
    raw = io.BytesIO()
    with matplotlib.rc_context(RC):
        fig.savefig(raw, format="rgba", dpi=fig.dpi)
    width, height = fig.canvas.get_width_height(physical=True)
    if raw.getbuffer().nbytes != width * height * 4:  # not the shape expected: matplotlib's own PNG
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=fig.dpi, metadata=_metadata("png", title),
                    pil_kwargs={"compress_level": PNG_COMPRESS_LEVEL})
        return out.getvalue()
    image = Image.frombuffer("RGBA", (width, height), raw.getbuffer(), "raw", "RGBA", 0, 1).convert("RGB")
    info = PngInfo()
    for key, value in _metadata("png", title).items():
        info.add_text(key, value)
    out = io.BytesIO()
    image.save(out, format="png", pnginfo=info, dpi=(fig.dpi, fig.dpi), compress_level=PNG_COMPRESS_LEVEL)
    return out.getvalue()


FONT_SUBSETS_KEPT = 64  # PDF font subsets kept per process (a few tens of kB each)
_FONT_SUBSETS: OrderedDict[tuple, tuple[bytes, dict]] = OrderedDict()
_FONT_SUBSETS_LOCK = threading.Lock()


def reuse_font_subsets() -> None:
    """Each font subset matplotlib embeds in a PDF is made once per font and glyph set in this process.

    matplotlib (3.11) parses the whole font file for every subset of every PDF, about 0.1 s each, four per map:
    half the time of a PDF export. Equal glyph sets give equal subsets, so the first one's bytes are kept and
    later PDFs embed the same bytes. The subsets are made without the OpenType layout tables (`layout_subset`).
    Wraps matplotlib's private `get_glyphs_subset` only if it still has the shape this was written for;
    otherwise nothing changes.
    """
    from matplotlib.backends import _backend_pdf_ps as pdf_ps

    with _FONT_SUBSETS_LOCK:
        original = pdf_ps.get_glyphs_subset
        if getattr(original, "ntm_reused", False) or not _subset_helper_as_expected(pdf_ps):
            return

        def get_glyphs_subset(fontfile, glyphs):
            from fontTools.ttLib import TTFont

            glyphs = frozenset(glyphs)
            key = (str(fontfile), getattr(fontfile, "face_index", 0), glyphs)
            with _FONT_SUBSETS_LOCK:
                kept = _FONT_SUBSETS.get(key)
                if kept is not None:
                    _FONT_SUBSETS.move_to_end(key)
            if kept is None:
                kept = layout_free_subset(fontfile, glyphs)
                with _FONT_SUBSETS_LOCK:
                    _FONT_SUBSETS[key] = kept
                    while len(_FONT_SUBSETS) > FONT_SUBSETS_KEPT:
                        _FONT_SUBSETS.popitem(last=False)
            data, index_map = kept
            font = TTFont(io.BytesIO(data), recalcBBoxes=False, recalcTimestamp=False)  # saved again unchanged
            return pdf_ps.SubsetResults(font, dict(index_map))._as_cm()

        get_glyphs_subset.ntm_reused = True
        get_glyphs_subset.__wrapped__ = original
        pdf_ps.get_glyphs_subset = get_glyphs_subset


PDF_DROPPED_TABLES = ("GSUB", "GPOS", "GDEF", "MATH")  # shaping/maths data: a PDF places every glyph itself


def layout_free_subset(fontfile, glyphs: frozenset[int]) -> tuple[bytes, dict[int, int]]:
    """The subset matplotlib makes (its options, fontTools), without the OpenType layout tables: the PDF's text
    is already shaped and positioned glyph by glyph, so no viewer reads them, and decompiling DejaVu's GSUB/GPOS
    was most of a subset's time (measured 71 -> 32 ms a subset, and a few kB less per font). (bytes, index map).

    The tables the subsetter would drop are taken out before it starts (`without_dropped_tables`): fontTools
    (4.68) reads GSUB, GPOS and GDEF to convert their formats before it drops them, which was still 2/3 of a
    subset's time (measured ≈ 90 -> 22 ms a subset; the same bytes)."""
    from fontTools import subset
    from matplotlib.backends import _backend_pdf_ps as pdf_ps

    options = subset.Options(glyph_names=True, recommended_glyphs=True, layout_features=[])
    options.drop_tables += [*PDF_MPL_DROPPED_TABLES, *PDF_DROPPED_TABLES]
    options.font_number = getattr(fontfile, "face_index", 0)
    with subset.load_font(fontfile, options) as font:
        without_dropped_tables(font, options)
        subsetter = subset.Subsetter(options=options)
        subsetter.populate(gids=set(glyphs))
        subsetter.subset(font)
        return pdf_ps.font_as_file(font).getvalue(), dict(subsetter.glyph_index_map)


def without_dropped_tables(font, options) -> None:
    """Delete from `font` (unread) the tables the fontTools subsetter drops first thing (its `_prune_pre_subset`
    rule: the tables in `options.drop_tables`, the hinting tables when hinting is off, and the legacy `kern`
    table when GPOS is there), so the subsetter never decompiles them: the subset is the same."""
    hinting = set(options.hinting_tables) if not options.hinting else set()
    drop = [tag for tag in font.keys()
            if tag.strip() in options.drop_tables or tag.strip() in hinting
            or (tag == "kern" and not options.legacy_kern and "GPOS" in font)]
    for tag in drop:
        del font[tag]


# The tables matplotlib (3.11) drops from every subset (FontForge, Apple and bitmap data).
PDF_MPL_DROPPED_TABLES = ("FFTM", "PfEd", "BDF", "meta", "MERG", "TSIV", "Zapf", "bdat", "bloc", "cidg", "fdsc",
                          "feat", "fmtx", "fond", "just", "kerx", "ltag", "morx", "trak", "xref")


def _subset_helper_as_expected(pdf_ps) -> bool:
    import inspect

    try:
        names = list(inspect.signature(pdf_ps.get_glyphs_subset).parameters)
    except (TypeError, ValueError):
        return False
    results = getattr(pdf_ps, "SubsetResults", None)
    return (names == ["fontfile", "glyphs"] and hasattr(pdf_ps, "font_as_file")
            and hasattr(results, "_as_cm") and getattr(results, "_fields", None) == ("font", "glyph_index_map"))


def _metadata(fmt: str, title: str) -> dict:
    creator = "NTM Bến Tre map (matplotlib)"
    if fmt == "pdf":
        return {"Title": title, "Creator": creator, "Producer": creator, "CreationDate": None, "ModDate": None}
    if fmt == "svg":
        return {"Title": title, "Creator": creator, "Date": None}
    return {"Title": title, "Software": creator}


def draw_figure(view: MapView, scale: int = 1, header: bool = True) -> Figure:
    """Lay out title, map, legend panel and footer on a 16:9 figure (axes[0] is the map)."""
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=FIG_INCHES, dpi=BASE_DPI * scale, facecolor="white")
        FigureCanvasAgg(fig)  # Agg, never a GUI backend (safe in the web server's threads)
        ax = fig.add_axes(MAP_RECT if header else BARE_MAP_RECT)
        pilots = draw_map(ax, view)
        panel = fig.add_axes(PANEL_RECT if header else BARE_PANEL_RECT)
        draw_legend(panel, view, pilots=pilots > 0)
        if header:
            draw_header(fig, view)
        draw_footer(fig, view)
        ax.apply_aspect()
    return fig


SLIDE_DPI = 200
SLIDE_LEGEND_PT = 11.0
SLIDE_PANEL_IN = 2.7  # legend column of a slide picture, inches


def slide_figure(view: MapView, width_in: float, height_in: float, dpi: int = SLIDE_DPI) -> Figure:
    """Map and legend sized for a slide's picture box (title, summary and sources are slide text).

    The map axes take everything but a legend column, so a district fills the box it is given.
    """
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(width_in, height_in), dpi=dpi, facecolor="white")
        FigureCanvasAgg(fig)
        panel_w = min(SLIDE_PANEL_IN, 0.34 * width_in) / width_in
        ax = fig.add_axes((0.003, 0.005, 1 - panel_w - 0.01, 0.99))
        pilots = draw_map(ax, view, commune_pt=8.5)
        panel = fig.add_axes((1 - panel_w, 0.005, panel_w - 0.003, 0.99))
        draw_legend(panel, view, fontsize=SLIDE_LEGEND_PT, width_pt=panel_w * width_in * 72 - 6, pilots=pilots > 0)
        ax.apply_aspect()
    return fig


def render_slide_picture(view: MapView, width_in: float, height_in: float) -> bytes:
    """PNG of `slide_figure` (exactly width_in x height_in at SLIDE_DPI)."""
    with matplotlib.rc_context(RC):
        return figure_bytes(slide_figure(view, width_in, height_in), "png", title=view.spec.title)


HEADER_X = 0.012  # figure fraction where the title and summary lines start
SUMMARY_PT = 13


def draw_header(fig: Figure, view: MapView) -> None:
    fig.text(HEADER_X, 0.955, view.spec.title, fontsize=22, fontweight="bold", va="center", color="#111111")
    fig.text(HEADER_X, 0.905, view.summary, fontsize=SUMMARY_PT, va="center", color="#333333",
             wrap=_needs_wrap(fig, view.summary, SUMMARY_PT))


def _needs_wrap(fig: Figure, text: str, size: float) -> bool:
    """Whether `text` is wider than the figure from HEADER_X (measured once with textfit: matplotlib's own wrapping
    measures every growing prefix of the line at every draw, ≈ 50 ms a map, even for a line that fits)."""
    width_pt = (1 - HEADER_X) * fig.get_size_inches()[0] * 72
    return textfit.text_width(text, size) > 0.98 * width_pt


FOOTER_CHARS = 200  # characters per footer line at 10 pt across the 16:9 figure
FOOTER_STEP = 0.02  # figure fraction between footer lines


def draw_footer(fig: Figure, view: MapView, lines: list[str] | None = None) -> None:
    """Source, provenance/date and the illustrative warning, wrapped to the figure's width."""
    lines = lines or view.footer_lines()
    wrapped = [(part, bool(view.warning) and i == len(lines) - 1)
               for i, line in enumerate(lines) for part in textwrap.wrap(line, FOOTER_CHARS)]
    y = 0.014 + FOOTER_STEP * (len(wrapped) - 1)
    for text, warn in wrapped:
        fig.text(0.012, y, text, fontsize=10, va="center", color=WARNING_COLOR if warn else "#444444",
                 fontweight="bold" if warn else "normal")
        y -= FOOTER_STEP


def _draw_classes(ax, view: MapView, district_width: float, commune_edges: bool):
    """The view's classes filled (communes, or districts on the district layer) under the district outlines;
    returns the drawn (communes, districts) frames."""
    spec = view.spec
    ax.set_axis_off()
    ax.set_aspect("equal", adjustable="box")
    communes, districts = drawn_frames(ax, view)
    if spec.layer == "district":
        _fill(ax, districts, districts["level"], spec, view)
        if commune_edges:
            _outlines(ax, communes.geometry.values, color="#ffffff", linewidth=0.35)
    else:
        _fill(ax, communes, classify(view.communes, spec.layer, spec.criterion), spec, view)
    _outlines(ax, districts.geometry.values, color=DISTRICT_OUTLINE, linewidth=district_width)
    return communes, districts


def draw_map(ax, view: MapView, commune_pt: float = 7.5) -> int:
    """Communes coloured by class, district outlines and names, pilots, north arrow and scale bar; returns how
    many pilot stars lie inside the map (a district's map shows none of another district's pilots)."""
    communes, districts = _draw_classes(ax, view, district_width=1.4, commune_edges=True)
    ax.apply_aspect()
    stars, pilot_outline = _pilot_markers(ax, communes)
    arrow = draw_north_arrow(ax)
    scale = draw_scale_bar(ax)
    placer = LabelPlacer(ax)
    placer.block(*stars, arrow, *scale)
    labels = _pilot_labels(communes, view, pilot_outline) + _district_labels(districts, view)
    if view.state.district:
        labels += _commune_labels(communes[communes["district_code"] == view.state.district], commune_pt)
    placement = placer.place(labels)
    if len(placement.details) < sum(1 for label in labels if label.detail):
        for detail in placement.details:  # every district's line or none (a map too small for some: a slide's)
            detail.remove()
    return sum(1 for star in stars if _inside(ax, star.get_xydata()[0]))


def _inside(ax, xy) -> bool:
    """Whether a point in data coordinates lies within the axes' limits (where it is drawn, not clipped)."""
    (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
    return x0 <= xy[0] <= x1 and y0 <= xy[1] <= y1


# ------------------------------------------------------------------ geometry at the output's resolution

SIMPLIFY_PX = 0.5  # simplification tolerance in output pixels (at 1920 px for scale 1 and for PDF/SVG)
_GEOMETRY: OrderedDict[tuple, np.ndarray] = OrderedDict()  # projected / simplified geometry, most recent last
_GEOMETRY_LOCK = threading.Lock()
GEOMETRY_MEMO = 24


def drawn_frames(ax, view: MapView) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The view's communes and districts in RENDER_CRS, framed on `ax` (`_zoom`), and simplified to what the
    output can show: SIMPLIFY_PX of a pixel at the figure's size (coverage-preserving, so neighbours still
    meet). Projection and simplification are computed once per geometry and tolerance, and reused."""
    communes = _projected(view.communes)
    districts = _projected(view.districts)
    _zoom(ax, communes, districts, view)
    tolerance = _tolerance(ax)
    return _simplified(communes, tolerance), _simplified(districts, tolerance)


def _tolerance(ax) -> float:
    """SIMPLIFY_PX pixels in map metres at scale 1 (a power of two, so nearby zooms share one result)."""
    xmin, xmax = ax.get_xlim()
    width_px = ax.get_position(original=True).width * ax.figure.get_size_inches()[0] * BASE_DPI
    metres = SIMPLIFY_PX * (xmax - xmin) / max(width_px, 1.0)
    return 2.0 ** math.floor(math.log2(metres)) if metres > 0 else 0.0


def _digest(geoms) -> str:
    return hashlib.sha1(b"\0".join(shapely.to_wkb(np.asarray(geoms), output_dimension=2))).hexdigest()


def _memo(key: tuple, build):
    with _GEOMETRY_LOCK:
        if key in _GEOMETRY:
            _GEOMETRY.move_to_end(key)
            return _GEOMETRY[key]
    value = build()
    with _GEOMETRY_LOCK:
        _GEOMETRY[key] = value
        while len(_GEOMETRY) > GEOMETRY_MEMO:
            _GEOMETRY.popitem(last=False)
    return value


def _projected(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """`frame` in RENDER_CRS, with each unit's label anchor and area from its full-detail outline (so labels
    stay where they were whatever the simplification)."""
    source = frame.geometry.values
    digest = _digest(source)

    def project():
        geoms = np.asarray(gpd.GeoSeries(source, crs=frame.crs).to_crs(RENDER_CRS).values)
        return geoms, shapely.point_on_surface(geoms), shapely.area(geoms)

    geoms, anchors, areas = _memo(("projected", digest, str(frame.crs)), project)
    out = gpd.GeoDataFrame(frame.drop(columns=frame.geometry.name), geometry=list(geoms), crs=RENDER_CRS)
    out["label_anchor"], out["full_area"] = list(anchors), areas
    out.attrs["digest"] = digest
    return out


def _anchors(frame: gpd.GeoDataFrame) -> list:
    """Label anchors (a point inside each unit) of a frame from `drawn_frames`."""
    return list(frame["label_anchor"])


def _simplified(frame: gpd.GeoDataFrame, tolerance: float) -> gpd.GeoDataFrame:
    if tolerance <= 0:
        return frame
    geoms = _memo(("simplified", frame.attrs.get("digest") or _digest(frame.geometry.values), tolerance),
                  lambda: simplify_coverage(np.asarray(frame.geometry.values), tolerance))
    out = frame.copy()
    out.geometry = gpd.GeoSeries(list(geoms), index=frame.index, crs=frame.crs)
    return out


def simplify_coverage(geoms: np.ndarray, tolerance: float) -> np.ndarray:
    """Shapely's coverage simplification (shared edges simplified once); a layer that is not a clean
    coverage falls back to simplifying each polygon on its own (topology of each kept)."""
    try:
        out = shapely.coverage_simplify(geoms, tolerance)
        if not shapely.is_empty(out).any() and shapely.is_valid(out).all():
            return out
    except shapely.errors.GEOSException:
        pass
    return shapely.simplify(geoms, tolerance, preserve_topology=True)


# ------------------------------------------------------------------ drawing polygons and lines (no redraws)


def polygon_path(geom) -> MplPath:
    """One compound path of a (Multi)Polygon's rings (as geopandas draws it)."""
    rings = []
    for part in shapely.get_parts(geom):
        rings.append(MplPath(shapely.get_coordinates(part.exterior), closed=True))
        rings.extend(MplPath(shapely.get_coordinates(r), closed=True) for r in part.interiors)
    return MplPath.make_compound_path(*rings)


def _polygons(ax, geoms, zorder: float = 1, **style) -> PathCollection:
    """Polygons as one collection added to `ax` (geopandas' plot() redraws the whole figure at every call); their
    paths go in as they are (a patch per polygon only to be turned back into its path cost ≈ 0.1 s a map)."""
    paths = [polygon_path(g) for g in geoms if g is not None and not g.is_empty]
    collection = PathCollection(paths, zorder=zorder, **style)
    ax.add_collection(collection, autolim=False)
    return collection


def _outlines(ax, geoms, zorder: float = 2, **style) -> LineCollection:
    """The boundaries of (Multi)Polygons as one line collection."""
    lines = shapely.get_parts(shapely.boundary(np.asarray([g for g in geoms if g is not None and not g.is_empty])))
    collection = LineCollection([shapely.get_coordinates(line) for line in lines], zorder=zorder, **style)
    ax.add_collection(collection, autolim=False)
    return collection


def _fill(ax, frame: gpd.GeoDataFrame, keys, spec, view: MapView) -> None:
    """Fill each class in its colour; hatched classes get a grey hatch; out-of-district units fade."""
    by_key = spec.class_by_key()
    geoms = np.asarray(frame.geometry.values)
    key_of = np.asarray(keys, dtype=object)
    focus = np.asarray(_in_focus(frame, view), dtype=bool)
    for key in keys.unique():
        cls = by_key.get(key)
        if cls is None:
            raise ValueError(f"class {key!r} is not in the map spec for layer {spec.layer!r}")
        for inside, alpha in ((True, 1.0), (False, 0.35)):
            part = geoms[(key_of == key) & (focus == inside)]
            if len(part):
                _fill_class(ax, part, cls, alpha)


def _fill_class(ax, part: np.ndarray, cls: MapClass, alpha: float) -> None:
    """One class's polygons (shapely geometries, in drawing order)."""
    _polygons(ax, part, facecolor=cls.color, edgecolor="white", linewidth=0.4, alpha=alpha)
    if cls.hatched:
        _polygons(ax, part, facecolor="none", edgecolor=HATCH_COLOR, hatch=HATCH, linewidth=0, alpha=alpha)


def _in_focus(frame: gpd.GeoDataFrame, view: MapView):
    if not view.state.district:
        return pd.Series(True, index=frame.index)
    return frame["district_code"] == view.state.district


def _zoom(ax, communes: gpd.GeoDataFrame, districts: gpd.GeoDataFrame, view: MapView) -> None:
    """Frame the province, or the chosen district, centred with a margin and the map box's aspect."""
    target = districts[districts["district_code"] == view.state.district] if view.state.district else communes
    minx, miny, maxx, maxy = target.total_bounds
    pad = 0.04 * max(maxx - minx, maxy - miny)
    width, height = maxx - minx + 2 * pad, maxy - miny + 2 * pad
    _, _, box_w, box_h = ax.get_position(original=True).bounds
    fig_w, fig_h = ax.figure.get_size_inches()
    box = (box_w * fig_w) / (box_h * fig_h)
    width, height = max(width, height * box), max(height, width / box)
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    ax.set_xlim(cx - width / 2, cx + width / 2)
    ax.set_ylim(cy - height / 2, cy + height / 2)
    ax.set_autoscale_on(False)


PILOT_PRIORITY, DISTRICT_PRIORITY, COMMUNE_PRIORITY, CONTEXT_PRIORITY = 3e12, 2e12, 1e12, 0.0


PILOT_OUTLINE_Z, PILOT_STAR_Z = 7, 8
DISTRICT_DETAIL_STYLE = {"fontsize": 9.5, "fontweight": "normal", "color": "#222222"}  # "76 % xã NTM (19/25)"
DISTRICT_LABEL_Z = 7.5  # above the pilot outlines (the "i" of "Ba Tri" was under Phú Lễ's), below their stars


def _district_labels(districts: gpd.GeoDataFrame, view: MapView) -> list[Label]:
    """District names (bold, haloed), on the province's map with the web map's line under each (share of xã NTM,
    or of xã meeting the criterion); in a district view the other districts are context, placed last."""
    context = bool(view.state.district)
    size = 9 if context else 12
    lines = {} if context else district_label_lines(view.communes, view.districts, view.state.layer,
                                                     view.state.criterion, view.state.lang)
    out = []
    for row, point in zip(districts.itertuples(), _anchors(districts)):
        if context and row.district_code == view.state.district:
            continue  # the title names it; its communes are labelled instead
        style = {"fontsize": size, "fontweight": "bold", "color": "#555555" if context else "#111111",
                 "path_effects": HALO, "zorder": DISTRICT_LABEL_Z}
        priority = (CONTEXT_PRIORITY if context else DISTRICT_PRIORITY) + row.full_area
        out.append(Label(point.x, point.y, short_district(row.district_name), style, priority, gap=5,
                         detail=lines.get(row.district_code, ""), detail_style=DISTRICT_DETAIL_STYLE))
    return out


def _commune_labels(communes: gpd.GeoDataFrame, size: float = 7.5) -> list[Label]:
    """Commune names (for a district view), larger communes first; pilots are labelled by `_pilot_labels`."""
    others = communes[~communes["is_pilot"]]
    style = {"fontsize": size, "color": "#222222", "zorder": 5,
             "path_effects": [patheffects.withStroke(linewidth=2, foreground="white")]}
    return [Label(point.x, point.y, strip_type(name), style, COMMUNE_PRIORITY + area, gap=3)
            for name, area, point in zip(others["name"], others["full_area"], _anchors(others))]


def _pilot_markers(ax, communes: gpd.GeoDataFrame) -> tuple[list, LineCollection | None]:
    """Pilot communes: orange outline and a star marker (the stars returned, so labels keep off them, and the
    outline, which the pilots' own labels do not cross)."""
    pilots = communes[communes["is_pilot"]]
    if not len(pilots):
        return [], None
    outline = _outlines(ax, pilots.geometry.values, color=PILOT_OUTLINE, linewidth=2.6, zorder=PILOT_OUTLINE_Z)
    stars = []
    for point in _anchors(pilots):
        stars += ax.plot([point.x], [point.y], marker="*", markersize=16, color=PILOT_OUTLINE,
                         markeredgecolor="white", markeredgewidth=1.0, zorder=PILOT_STAR_Z, clip_on=True)
    return stars, outline


def _pilot_labels(communes: gpd.GeoDataFrame, view: MapView, outline: LineCollection | None = None) -> list[Label]:
    """'Phú Lễ (thí điểm)' beside each pilot's star (never on it), clear of the pilots' orange outlines (the label
    printed across Phú Lễ's and Giao Long's outlines, which then read as one tangle)."""
    word = translator(view.lang)("pilot")
    pilots = communes[communes["is_pilot"]]
    style = {"fontsize": 11, "fontweight": "bold", "color": PILOT_OUTLINE, "path_effects": HALO, "zorder": 8}
    lines = () if outline is None else tuple(outline.get_transform().transform_path(path)
                                             for path in outline.get_paths())
    return [Label(point.x, point.y, f"{strip_type(name)} ({word})", style, PILOT_PRIORITY, gap=14, centred=False,
                  clear_of=lines) for name, point in zip(pilots["name"], _anchors(pilots))]


def draw_north_arrow(ax):
    """An arrow pointing up (grid north of UTM 48N is within 0.3° of true north in Bến Tre)."""
    return ax.annotate("N", xy=(0.955, 0.97), xytext=(0.955, 0.86), xycoords="axes fraction", textcoords="axes fraction",
                ha="center", va="top", fontsize=16, fontweight="bold", path_effects=HALO,
                arrowprops={"facecolor": "#111111", "edgecolor": "white", "width": 6, "headwidth": 16,
                            "headlength": 14}, zorder=9)


def nice_length(span_m: float) -> float:
    """A round scale-bar length (1, 2 or 5 x 10^n metres) close to a fifth of the visible width."""
    target = span_m / 5
    power = 10 ** math.floor(math.log10(target))
    return max(m * power for m in (1, 2, 5) if m * power <= target)


def draw_scale_bar(ax) -> list:
    """A two-segment scale bar in the lower-left corner, in kilometres (the axes are metres); its artists."""
    xmin, xmax = ax.get_xlim()
    ymin, ymax = ax.get_ylim()
    length = nice_length(xmax - xmin)
    x0 = xmin + 0.03 * (xmax - xmin)
    y0 = ymin + 0.04 * (ymax - ymin)
    h = 0.012 * (ymax - ymin)
    half = length / 2
    artists = []
    for i, colour in enumerate(("#111111", "#ffffff")):
        artists.append(ax.add_patch(matplotlib.patches.Rectangle((x0 + i * half, y0), half, h, facecolor=colour,
                                                                 edgecolor="#111111", linewidth=1, zorder=9)))
    label = f"{length / 1000:g} km"
    for x, text in ((x0, "0"), (x0 + length, label)):
        artists.append(ax.text(x, y0 + 1.8 * h, text, ha="center", va="bottom", fontsize=10, path_effects=HALO,
                               zorder=9))
    return artists


def draw_legend(panel, view: MapView, fontsize: float = 12, width_pt: float | None = None,
                pilots: bool = True) -> None:
    """Legend with the count in each class, plus the district-outline symbol and (when the map shows one, `pilots`)
    the pilot symbol.

    With `width_pt`, labels wrap so the legend stays inside its panel.
    """
    panel.set_axis_off()
    spec = view.spec
    _ = translator(view.lang)
    handles, labels = [], []
    for cls, count in spec.legend():
        handles.append(Patch(facecolor=cls.color, edgecolor=HATCH_COLOR if cls.hatched else "#888888",
                             hatch=HATCH if cls.hatched else None, linewidth=0.6))
        labels.append(f"{cls.label(view.lang)} ({number(count, view.lang)})")
    handles.append(Line2D([], [], color=DISTRICT_OUTLINE, linewidth=1.6))
    labels.append(_("District boundary"))
    if pilots:
        handles.append(Line2D([], [], marker="*", color=PILOT_OUTLINE, markersize=14, linewidth=2.2,
                              markeredgecolor="white"))
        labels.append(_("Pilot commune (plan 4798)"))
    title = _("Legend (districts)") if spec.layer == "district" else _("Legend (communes)")
    if width_pt is not None:
        text_width_pt = width_pt - 4.2 * fontsize  # handle (2.2 em), its gap (0.8 em) and the border pads
        labels = ["\n".join(textfit.wrap(label, text_width_pt, fontsize)) for label in labels]
    legend = panel.legend(handles, labels, loc="upper left", title=title, fontsize=fontsize,
                          title_fontsize=fontsize + 1,
                          frameon=False, handlelength=2.2, handleheight=1.4, labelspacing=0.9, alignment="left")
    legend.get_title().set_fontweight("bold")
    if width_pt is not None:
        _fit_legend(panel, legend)


def _fit_legend(panel, legend) -> None:
    """Shrink the legend's text until it lies inside its panel (measured with the renderer)."""
    renderer = panel.figure.canvas.get_renderer()
    frame = panel.get_window_extent(renderer)
    for _ in range(8):
        box = legend.get_window_extent(renderer)
        if box.x1 <= frame.x1 and box.y0 >= frame.y0:
            return
        for text in [*legend.get_texts(), legend.get_title()]:
            text.set_fontsize(text.get_fontsize() * 0.92)


# ------------------------------------------------------------------ small multiples (one panel per year)


def draw_years(views: list[MapView]) -> Figure:
    """One map panel per year (same layer, scope and colours), a shared legend and the sources: for slides.

    Each panel's title is that year's summary numbers; axes[:-1] are the panels, axes[-1] the legend.
    """
    if not views:
        raise ValueError("no years to draw")
    n = len(views)
    aspect = 1.35  # width / height of the province (and of most districts) in the panels
    cols = max(range(1, n + 1), key=lambda k: min(0.76 * 16 / k / aspect, 0.82 * 9 / math.ceil(n / k)))
    rows = math.ceil(n / cols)
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=FIG_INCHES, dpi=BASE_DPI, facecolor="white")
        FigureCanvasAgg(fig)
        last = views[-1]
        fig.text(0.012, 0.96, years_title(last), fontsize=20, fontweight="bold", va="center", color="#111111")
        left, bottom, width, height = 0.01, 0.09, 0.76, 0.82
        for i, view in enumerate(views):
            r, c = divmod(i, cols)
            ax = fig.add_axes((left + c * width / cols, bottom + (rows - 1 - r) * height / rows,
                               width / cols - 0.01, height / rows - 0.045))
            _year_panel(ax, view)
        panel = fig.add_axes((0.79, 0.09, 0.2, 0.82))
        _years_legend(panel, last)
        draw_footer(fig, next((v for v in views if v.warning), last), years_footer_lines(views))
    return fig


def years_footer_lines(views: list[MapView]) -> list[str]:
    """The footer of a figure of several years: each year's sources and provenance (it gave the last year's
    provenance, "123 minh họa" of 2024, for a figure of 2021-2024), the date, and the warning if any year has one."""
    sources = list(dict.fromkeys(v.source for v in views))
    label = views[-1].provenance.partition(": ")[0]
    provenance = "; ".join(f"{v.state.year}: {v.provenance.partition(': ')[2]}" for v in views)
    lines = [*sources, f"{label} — {provenance} · {views[-1].date_text()}"]
    warning = next((v.warning for v in views if v.warning), "")
    return [*lines, warning] if warning else lines


def years_title(view: MapView) -> str:
    base = view.spec.title.rsplit(",", 1)[0]  # "Mức đạt chuẩn nông thôn mới — Tỉnh Bến Tre"
    return base + " — " + translator(view.lang)("each year")


def panel_caption(view: MapView) -> str:
    """'2022: 80/142 xã NTM (56 %)' (or the criterion's count) for a panel's title."""
    c = province_counts(view.in_view())
    if view.spec.layer == "criterion":
        return view.summary.split(";")[0]
    share = round(100 * c["xa_ntm"] / c["xa_total"]) / 100 if c["xa_total"] else 0
    lang = view.lang
    ntm, total = number(c["xa_ntm"], lang), number(c["xa_total"], lang)
    return f"{view.state.year}: {ntm}/{total} xã NTM ({percent(share, lang)})"


def _year_panel(ax, view: MapView) -> None:
    _draw_classes(ax, view, district_width=0.8, commune_edges=False)
    ax.set_title(panel_caption(view), fontsize=13, fontweight="bold", loc="left", color="#111111")


def _years_legend(panel, view: MapView) -> None:
    """The classes (no counts: they differ per year; each panel's title gives the numbers)."""
    panel.set_axis_off()
    handles = [Patch(facecolor=cls.color, edgecolor=HATCH_COLOR if cls.hatched else "#888888",
                     hatch=HATCH if cls.hatched else None, linewidth=0.6) for cls in view.spec.classes]
    labels = ["\n".join(textfit.wrap(cls.label(view.lang), 150, 12)) for cls in view.spec.classes]
    title = translator(view.lang)("Legend")
    legend = panel.legend(handles, labels, loc="upper left", title=title, fontsize=12, title_fontsize=13,
                          frameon=False, handlelength=2.2, handleheight=1.4, labelspacing=0.9, alignment="left")
    legend.get_title().set_fontweight("bold")
    _fit_legend(panel, legend)


def render_years(views: list[MapView], fmt: str = "png") -> bytes:
    """The small multiples as PNG (1920x1080), SVG or PDF bytes."""
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r} is not supported; use one of {', '.join(FORMATS)}")
    with matplotlib.rc_context(RC):
        fig = draw_years(views)
        if fmt == "svg":
            editable_labels(fig)
        return figure_bytes(fig, fmt, title=years_title(views[-1]))
