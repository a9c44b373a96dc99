"""Static renderer (matplotlib, no browser): sizes, colours where the communes are, text, formats, metadata."""
from __future__ import annotations

import datetime as dt
import io
import logging
import re
import warnings
import xml.etree.ElementTree as ET

import pytest
from matplotlib.collections import LineCollection
from PIL import Image
from pyproj import Geod
from shapely.geometry import Point

from geo_app.render import static as render_static
from geo_app.render.mapspec import NO_DATA_COLOR, classify
from geo_app.render.static import RENDER_CRS, draw_figure, figure_bytes, render
from geo_app.model.viewstate import ViewState, map_view

GIAO_LONG = "28813"
DAY = dt.date(2025, 3, 1)


@pytest.fixture(scope="module")
def province(dataset):
    return map_view(dataset, ViewState(year=dataset.latest_year), DAY)


@pytest.fixture(scope="module")
def rendered(province):
    """(figure, RGB image) of the province view at scale 1, drawn once."""
    fig = draw_figure(province)
    png = figure_bytes(fig, "png")
    return fig, Image.open(io.BytesIO(png)).convert("RGB")


def hex_rgb(color: str) -> tuple[int, int, int]:
    return tuple(int(color[i:i + 2], 16) for i in (1, 3, 5))


def pixel_of(fig, image: Image.Image, x: float, y: float) -> tuple[int, int]:
    """Image column/row of a map point (EPSG:32648 metres) through the map axes' transform."""
    dx, dy = fig.axes[0].transData.transform((x, y))
    return int(dx), int(image.height - dy)


def covered(fig, col: int, row: int, image: Image.Image) -> bool:
    """True if a label, marker or legend drawn over the map covers this pixel."""
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    y = image.height - row
    for artist in [*ax.texts, *ax.lines, *ax.patches]:
        bbox = artist.get_window_extent(renderer)  # (+3 px: a label's white halo reaches 1.5 pt = 2.5 px past it)
        if bbox.x0 - 3 <= col <= bbox.x1 + 3 and bbox.y0 - 3 <= y <= bbox.y1 + 3:
            return True
    return False


def free_pixel(fig, image, geometry) -> tuple[int, int] | None:
    """The pixel of the representative point, or one just above it (labels hang below), not under a label."""
    point = geometry.representative_point()
    col, row = pixel_of(fig, image, point.x, point.y)
    inverse = fig.axes[0].transData.inverted()
    for up in (0, 8, 14, 20):
        x, y = inverse.transform((col + 0.5, image.height - (row - up) - 0.5))
        # 250 m (≈ 5 px at 1920 px) inside: clear of the district outline drawn on the boundary (1.4 pt)
        if geometry.buffer(-250).contains(Point(x, y)) and not covered(fig, col, row - up, image):
            return col, row - up
    return None


def check_class_colours(fig, image, view) -> tuple[int, list[str]]:
    """Compare the pixel at each in-view commune's representative point with its class colour.

    Pilot communes carry a star marker there; test_pilot_giao_long... checks them.
    """
    communes = view.in_view()
    communes = communes[~communes["is_pilot"]]
    keys = classify(communes, view.spec.layer, view.spec.criterion)
    geometries = communes.to_crs(RENDER_CRS).geometry
    checked, wrong = 0, []
    for code, key, geometry in zip(communes["ward_code"], keys, geometries):
        spot = free_pixel(fig, image, geometry)
        if spot is None:
            continue
        cls = {c.key: c for c in view.spec.classes}[key]  # the legend's class (not a district class)
        allowed = {hex_rgb(cls.color)} | ({hex_rgb(render_static.HATCH_COLOR)} if cls.hatched else set())
        checked += 1
        if image.getpixel(spot) not in allowed:
            wrong.append(f"{code}: {image.getpixel(spot)} != {cls.color}")
    return checked, wrong


def test_png_is_16_9_at_least_1920_and_scale_2_doubles(province):
    one = Image.open(io.BytesIO(render(province, "png")))
    two = Image.open(io.BytesIO(render(province, "png", scale=2)))
    assert one.size == (1920, 1080)
    assert two.size == (3840, 2160)


def test_each_commune_is_drawn_in_its_class_colour(rendered, province):
    fig, image = rendered
    checked, wrong = check_class_colours(fig, image, province)
    assert checked >= 120, f"only {checked} of 157 representative points were free of labels"
    assert not wrong, wrong


def test_pilot_giao_long_has_its_class_colour_and_orange_outline(rendered, province, dataset):
    fig, image = rendered
    communes = province.communes.to_crs(RENDER_CRS)
    row = communes[communes["ward_code"] == GIAO_LONG].iloc[0]
    key = classify(province.communes, "level")[communes.index[communes["ward_code"] == GIAO_LONG][0]]
    star = row.geometry.representative_point()
    # a point inside the commune, away from the star marker and its label
    inside = row.geometry.buffer(-150).difference(star.buffer(1200)).representative_point()
    col, r = pixel_of(fig, image, inside.x, inside.y)
    assert not covered(fig, col, r, image)
    assert image.getpixel((col, r)) == hex_rgb(province.spec.color_of(key))
    # the outline: some pixel along the boundary is the pilot orange
    boundary = row.geometry.exterior
    orange = hex_rgb(render_static.PILOT_OUTLINE)
    hits = sum(image.getpixel(pixel_of(fig, image, *boundary.interpolate(f, normalized=True).coords[0])) == orange
               for f in [i / 40 for i in range(40)])
    assert hits >= 20


def test_png_is_not_blank(rendered):
    _, image = rendered
    small = image.resize((480, 270))
    colours = small.getcolors(maxcolors=100000)
    white = sum(n for n, c in colours if c == (255, 255, 255))
    assert len(colours) > 50
    assert white < 0.8 * 480 * 270


def test_title_legend_and_footer_texts(rendered, province):
    fig, _ = rendered
    texts = [t.get_text() for t in fig.texts]
    assert texts[0] == province.spec.title and str(province.state.year) in texts[0]
    assert province.summary in texts
    assert any(t.startswith("Nguồn:") for t in texts)
    assert any(province.date_text() in t and "Nguồn gốc số liệu" in t for t in texts)
    if province.warning:
        assert province.warning in texts
    legend = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    for cls, count in province.spec.legend():
        assert f"{cls.label('vi')} ({count})" in legend
    assert sum(count for _, count in province.spec.legend()) == 157


def test_scale_bar_length_is_true_distance(rendered):
    """The scale bar's two halves span the labelled length on the ground (geodesic, WGS84)."""
    fig, _ = rendered
    ax = fig.axes[0]
    bars = [p for p in ax.patches if p.get_height() > 0]
    x0 = min(p.get_x() for p in bars)
    x1 = max(p.get_x() + p.get_width() for p in bars)
    y = bars[0].get_y()
    label = next(t.get_text() for t in ax.texts if t.get_text().endswith(" km"))
    km = float(label.split()[0])
    from pyproj import Transformer

    to_lonlat = Transformer.from_crs(RENDER_CRS, "EPSG:4326", always_xy=True)
    (lon0, lat0), (lon1, lat1) = to_lonlat.transform(x0, y), to_lonlat.transform(x1, y)
    metres = Geod(ellps="WGS84").inv(lon0, lat0, lon1, lat1)[2]
    assert 9.5 <= lat0 <= 10.5
    assert metres == pytest.approx(km * 1000, rel=0.002)


def test_district_view_zooms_to_the_district(dataset):
    view = map_view(dataset, ViewState(year=dataset.latest_year, district="832"), DAY)
    fig = draw_figure(view)
    image = Image.open(io.BytesIO(figure_bytes(fig, "png"))).convert("RGB")
    ax = fig.axes[0]
    (xmin, xmax), (ymin, ymax) = ax.get_xlim(), ax.get_ylim()
    district = view.districts[view.districts["district_code"] == "832"].to_crs(RENDER_CRS)
    dminx, dminy, dmaxx, dmaxy = district.total_bounds
    assert xmin <= dminx and dmaxx <= xmax and ymin <= dminy and dmaxy <= ymax
    province_width = view.communes.to_crs(RENDER_CRS).total_bounds
    assert (xmax - xmin) < 0.7 * (province_width[2] - province_width[0])
    checked, wrong = check_class_colours(fig, image, view)
    assert checked >= len(view.in_view()) - 3 and not wrong, wrong
    assert sum(n for _, n in view.spec.legend()) == len(view.in_view())


@pytest.mark.parametrize("district, pilots", [(None, 2), ("836", 1), ("835", 2), ("833", 0), ("829", 0)])
def test_legend_shows_the_pilot_symbol_only_where_the_map_shows_a_pilot(dataset, district, pilots):
    """Mỏ Cày Nam's export listed "Xã thí điểm (KH 4798)" with its star though neither pilot is on that map (they
    lie in Ba Tri and Châu Thành)."""
    view = map_view(dataset, ViewState(year=dataset.latest_year, district=district), DAY)
    fig = draw_figure(view)
    legend = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert ("Xã thí điểm (KH 4798)" in legend) is (pilots > 0), legend
    assert "Ranh giới huyện" in legend
    ax = fig.axes[0]
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    stars = [line.get_xydata()[0] for line in ax.lines if line.get_marker() == "*"]  # Ba Tri's map shows Phú Lễ;
    assert sum(x0 <= x <= x1 and y0 <= y <= y1 for x, y in stars) == pilots  # Bình Đại's, Phú Lễ and Giao Long


def test_svg_parses_with_vietnamese_title_and_text(dataset):
    view = map_view(dataset, ViewState(year=dataset.latest_year, district="832"), DAY)
    svg = render(view, "svg")
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox") == "0 0 1152 648"  # 16:9
    title = root.find("{http://www.w3.org/2000/svg}title").text
    assert title == view.spec.title and "Chợ Lách" in title
    text = svg.decode("utf-8")
    texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert view.summary in texts  # real <text> elements: staff can edit the labels
    assert "Tân Thiềng" in texts or "Sơn Định" in texts
    assert all("<path" not in t for t in texts)
    assert "Date" not in text.split("</metadata>")[0].split("<metadata>")[1].replace("rdf:", "")


def test_pdf_has_one_page_and_no_dates(province):
    pdf = render(province, "pdf")
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == 1
    assert b"/CreationDate" not in pdf and b"/ModDate" not in pdf


def test_svg_and_pdf_are_deterministic(province):
    assert render(province, "svg") == render(province, "svg")
    assert render(province, "pdf") == render(province, "pdf")


def test_a_pdf_reuses_the_font_subsets_of_an_earlier_one_and_its_bytes_do_not_change(province, dataset,
                                                                                    monkeypatch):
    """Font subsets are made once per glyph set: a second PDF with the same texts makes none, and every PDF is
    byte for byte what a fresh subset gives (the kept subsets are the ones that would be made again)."""
    district = map_view(dataset, ViewState(year=dataset.latest_year, district="832"), DAY)

    def fresh(view) -> bytes:
        monkeypatch.setattr(render_static, "_FONT_SUBSETS", type(render_static._FONT_SUBSETS)())
        return render(view, "pdf")

    own = [fresh(view) for view in (province, district)]
    kept = type(render_static._FONT_SUBSETS)()
    monkeypatch.setattr(render_static, "_FONT_SUBSETS", kept)  # none kept yet

    assert render(province, "pdf") == own[0]
    made = len(kept)
    assert made >= 2  # (regular and bold)
    assert render(province, "pdf") == own[0] and len(kept) == made  # the same texts: no subset made again
    assert render(district, "pdf") == own[1] and len(kept) > made  # other names: their own subsets


def test_pdf_fonts_without_layout_tables_keep_the_text_and_the_look(province, tmp_path, monkeypatch):
    """The embedded subsets leave out the OpenType layout tables (the PDF positions every glyph itself): the text
    a reader copies out and the page poppler draws are those of matplotlib's own subsets."""
    from io import BytesIO

    from fontTools.ttLib import TTFont
    from matplotlib.backends import _backend_pdf_ps as pdf_ps

    render(province, "pdf")  # installs the reuse
    monkeypatch.setattr(render_static, "_FONT_SUBSETS", type(render_static._FONT_SUBSETS)())
    ours = render(province, "pdf")
    data, _ = next(iter(render_static._FONT_SUBSETS.values()))
    assert not {"GSUB", "GPOS"} & set(TTFont(BytesIO(data)).keys())
    def matplotlib_subset(fontfile, glyphs):
        with pdf_ps.get_glyphs_subset.__wrapped__(fontfile, set(glyphs)) as made:
            return pdf_ps.font_as_file(made.font).getvalue(), dict(made.glyph_index_map)

    monkeypatch.setattr(render_static, "layout_free_subset", matplotlib_subset)
    monkeypatch.setattr(render_static, "_FONT_SUBSETS", type(render_static._FONT_SUBSETS)())
    theirs = render(province, "pdf")  # matplotlib's own subsets
    assert ours != theirs and len(ours) < len(theirs)
    looks = {name: poppler_text_and_image(pdf, tmp_path / name, 50)
             for name, pdf in (("ours", ours), ("theirs", theirs))}
    looks = {name: (text, image.convert("RGB").tobytes()) for name, (text, image) in looks.items()}
    assert province.spec.title.encode() in looks["ours"][0]
    assert looks["ours"] == looks["theirs"]


def poppler_text_and_image(pdf: bytes, stem, dpi: int):
    """(the text pdftotext extracts, the page pdftoppm draws at `dpi`) of a PDF, written to `stem`.pdf."""
    import subprocess

    path = stem.with_suffix(".pdf")
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", path, "-"], capture_output=True, check=True).stdout
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-singlefile", path, stem], check=True)
    return text, Image.open(stem.with_suffix(".png"))


@pytest.mark.parametrize("weight", ["normal", "bold"])
def test_font_subsets_made_without_reading_the_dropped_tables_are_the_subsetters_own(weight):
    """The tables the subsetter would drop are deleted before it starts (so it never decompiles GSUB/GPOS): the
    subset and its glyph map are byte for byte those fontTools makes when it drops them itself."""
    from fontTools import subset
    from matplotlib.backends import _backend_pdf_ps as pdf_ps
    from matplotlib.font_manager import FontProperties, findfont, get_font

    path = findfont(FontProperties(family=render_static.FONT, weight=weight))
    font = get_font(path)
    glyphs = frozenset(font.get_char_index(ord(c)) for c in set("Huyện Chợ Lách — 2024: Mức đạt chuẩn ⚠ Tân Thiềng"))
    options = subset.Options(glyph_names=True, recommended_glyphs=True, layout_features=[])
    options.drop_tables += [*render_static.PDF_MPL_DROPPED_TABLES, *render_static.PDF_DROPPED_TABLES]
    with subset.load_font(path, options) as whole:
        assert {"GSUB", "GPOS", "kern"} <= set(whole.keys())  # (what the deletion is about)
        subsetter = subset.Subsetter(options=options)
        subsetter.populate(gids=set(glyphs))
        subsetter.subset(whole)
        theirs = pdf_ps.font_as_file(whole).getvalue(), dict(subsetter.glyph_index_map)
    assert render_static.layout_free_subset(path, glyphs) == theirs


def test_a_pdf_embeds_each_font_once_and_keeps_its_text_and_look(dataset, tmp_path, monkeypatch):
    """Vietnamese letters (past U+00FF) go into the same font subset as the others: one subset of each font (not
    two, as with matplotlib's default ps.fonttype); the text poppler extracts is the same and the page it draws
    looks the same (glyphs may land a fraction of a pixel apart: anti-aliasing only)."""
    import numpy as np

    view = map_view(dataset, ViewState(year=dataset.latest_year, district="832"), DAY)
    ours = render(view, "pdf")
    monkeypatch.setitem(render_static.RC, "ps.fonttype", 3)
    two_subsets = render(view, "pdf")
    assert len(re.findall(rb"/FontFile2", ours)) == 2  # DejaVu Sans and its bold
    assert len(re.findall(rb"/FontFile2", two_subsets)) == 4
    assert len(ours) < len(two_subsets)
    looks = {name: poppler_text_and_image(pdf, tmp_path / name, 100)
             for name, pdf in (("ours", ours), ("two", two_subsets))}
    looks = {name: (text, np.asarray(image.convert("L"), dtype=int)) for name, (text, image) in looks.items()}
    assert view.spec.title.encode() in looks["ours"][0] and "Chợ Lách".encode() in looks["ours"][0]
    assert looks["ours"][0] == looks["two"][0]
    difference = np.abs(looks["ours"][1] - looks["two"][1])
    assert (difference > 0).mean() < 0.01 and (difference > 96).sum() < 50  # a few anti-aliased glyph edges


def test_texts_kept_between_maps_draw_the_same_files(dataset, monkeypatch):
    """Text measures, shaping, glyph bitmaps and outlines are made once per process (textcache): maps drawn with
    what earlier maps kept are byte for byte the PNGs, PDFs and SVGs matplotlib makes on its own, and most PNG
    glyphs were not rendered again."""
    from geo_app.render import textcache

    views = [map_view(dataset, ViewState(year=dataset.latest_year, layer=layer, district=district, lang=lang), DAY)
             for layer, district, lang in (("level", None, "vi"), ("level", "832", "vi"), ("band", "829", "en"),
                                           ("level", "831", "vi"))]
    formats = ("png", "pdf", "svg")
    install = textcache.install
    try:
        textcache.uninstall()
        monkeypatch.setattr(textcache, "install", lambda vector=False: False)
        own = [render(view, fmt) for fmt in formats for view in views]  # matplotlib's own text drawing
        monkeypatch.setattr(textcache, "install", install)
        assert textcache._KEPT["glyphs"] == {} and textcache._KEPT["paths"] == {}
        before = dict(textcache._STATS)
        kept = [render(view, fmt) for fmt in formats for view in views]
        drawn = textcache._STATS["glyphs_drawn"] - before["glyphs_drawn"]
        rendered = textcache._STATS["glyphs_rendered"] - before["glyphs_rendered"]
        assert textcache._KEPT["paths"] and textcache._KEPT["vector_metrics"]
        again = [render(view, fmt) for fmt in formats for view in views]  # everything kept by now
    finally:
        install(vector=True)
    assert kept == own and again == own
    assert drawn > 1000 and rendered < drawn / 2


def missing_glyph_messages(draw, caplog) -> list[str]:
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING, logger="matplotlib"):
        warnings.simplefilter("always")
        draw()
    return [str(w.message) for w in caught if "missing from" in str(w.message)] + \
        [r.getMessage() for r in caplog.records if "missing from" in r.getMessage()]


def test_vietnamese_renders_without_missing_glyphs(dataset, caplog):
    english = map_view(dataset, ViewState(year=dataset.latest_year, lang="en"), DAY)
    views = [map_view(dataset, ViewState(year=y, district=d), DAY) for y, d in ((dataset.latest_year, "832"),
                                                                                 (dataset.years[0], None))]
    for view in (*views, english):
        for fmt in ("png", "svg", "pdf"):
            assert missing_glyph_messages(lambda: render(view, fmt), caplog) == []


def test_missing_glyph_detector_works(province, caplog):
    """Guard for the test above: a character DejaVu Sans lacks is reported."""
    def draw():
        fig = draw_figure(province)
        fig.text(0.5, 0.5, "中")
        figure_bytes(fig, "png")

    assert missing_glyph_messages(draw, caplog)


def test_unknown_format_and_scale_are_refused(province):
    with pytest.raises(ValueError, match="gif"):
        render(province, "gif")
    with pytest.raises(ValueError, match="scale"):
        render(province, "png", scale=9)


def test_no_data_is_grey_and_hatched_never_black(dataset):
    """Communes without a status row are drawn hatched grey (distinct from 'not met'), never black."""
    from geo_app.model.dataset import Dataset

    year = dataset.latest_year
    dropped = set(dataset.communes(year).query("ntm_applicable and district_code == '832'")["ward_code"][:3])
    status = dataset.commune_status[~((dataset.commune_status["year"] == year)
                                      & dataset.commune_status["ward_code"].isin(dropped))]
    gap = Dataset(boundaries=dataset.boundaries, commune_status=status, district_status=dataset.district_status,
                  sources=dataset.sources)
    view = map_view(gap, ViewState(year=year, layer="criterion", criterion=17, district="832"), DAY)
    assert view.spec.counts.get("no_data", 0) >= 3
    fig = draw_figure(view)
    image = Image.open(io.BytesIO(figure_bytes(fig, "png"))).convert("RGB")
    communes = view.in_view()
    geometries = communes.to_crs(RENDER_CRS).geometry
    grey = hex_rgb(NO_DATA_COLOR)
    for level, geometry in zip(communes["level"], geometries):
        if level != "no_data":
            continue
        inner = geometry.buffer(-120)
        minx, miny, maxx, maxy = inner.bounds
        seen = []
        for i in range(25):
            for j in range(25):
                x, y = minx + (maxx - minx) * i / 24, miny + (maxy - miny) * j / 24
                col, row = pixel_of(fig, image, x, y)
                if inner.contains(Point(x, y)) and not covered(fig, col, row, image):
                    seen.append(image.getpixel((col, row)))
        hatch = [p for p in seen if p[0] == p[1] == p[2] and p[0] < 140]  # antialiased dark-grey hatch lines
        assert seen.count(grey) > 0.4 * len(seen) and len(hatch) > 0.05 * len(seen)
        assert (0, 0, 0) not in seen


# ------------------------------------------------------------------ label placement


def label_boxes(fig):
    """(text, window extent) of every visible text on the map axes, measured by the renderer."""
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    return [(t.get_text(), t.get_window_extent(renderer)) for t in ax.texts if t.get_visible() and t.get_text()]


def assert_no_label_overlaps(fig, where: str) -> None:
    boxes = label_boxes(fig)
    frame = fig.axes[0].get_window_extent(fig.canvas.get_renderer())
    for text, box in boxes:
        assert frame.x0 - 0.5 <= box.x0 and box.x1 <= frame.x1 + 0.5 and frame.y0 - 0.5 <= box.y0 \
            and box.y1 <= frame.y1 + 0.5, f"{where}: {text!r} is cut at the map's edge"
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1:]:
            assert not box_a.overlaps(box_b), f"{where}: {a!r} overlaps {b!r}"


def test_province_labels_never_overlap(rendered, province):
    fig, _ = rendered
    assert_no_label_overlaps(fig, "province")
    texts = [t for t, _ in label_boxes(fig)]
    for name in ("Chợ Lách", "Mỏ Cày Bắc", "TP Bến Tre", "Ba Tri", "Phú Lễ (thí điểm)", "Giao Long (thí điểm)"):
        assert name in texts


def test_district_export_labels_never_overlap(dataset):
    """Every district export (and its slide picture): no two labels intersect, none is cut at the edge,
    the pilot label is kept, and most communes keep their name."""
    from geo_app.render.static import slide_figure

    year = 2022
    for code in dataset.district_frame(year)["district_code"]:
        view = map_view(dataset, ViewState(year=year, district=code), DAY)
        for fig, where in ((draw_figure(view), f"{code} export"), (slide_figure(view, 8.4, 5.3), f"{code} slide")):
            assert_no_label_overlaps(fig, where)
            texts = {t for t, _ in label_boxes(fig)}
            communes = view.in_view()
            names = {render_static.strip_type(n) for n in communes.loc[~communes["is_pilot"], "name"]}
            assert len(names & texts) >= 0.8 * len(names), f"{where}: only {len(names & texts)}/{len(names)} named"
            for name in communes.loc[communes["is_pilot"], "name"]:
                assert f"{render_static.strip_type(name)} (thí điểm)" in texts, where


def test_ba_tri_pilot_label_is_not_printed_over_phuoc_ngai(dataset):
    view = map_view(dataset, ViewState(year=2022, district="836"), DAY)
    fig = draw_figure(view)
    boxes = dict(label_boxes(fig))
    assert "Phú Lễ (thí điểm)" in boxes
    if "Phước Ngãi" in boxes:
        assert not boxes["Phú Lễ (thí điểm)"].overlaps(boxes["Phước Ngãi"])
    star = next(line for line in fig.axes[0].lines if line.get_marker() == "*")
    star_box = star.get_window_extent(fig.canvas.get_renderer())
    assert not boxes["Phú Lễ (thí điểm)"].overlaps(star_box)  # the label sits beside its star, never on it


@pytest.mark.parametrize("district", [None, "831", "836"])
def test_pilot_labels_keep_clear_of_the_pilot_outlines(dataset, district):
    """"Phú Lễ (thí điểm)" and "Giao Long (thí điểm)" were printed across their communes' orange outlines in the
    PNG, so label and outline read as one tangle: each label now sits clear of both outlines (in the province
    export beside its star; in a district export, where the commune is wider than its label, out of it)."""
    view = map_view(dataset, ViewState(year=2024, district=district), DAY)
    fig = draw_figure(view)
    ax = fig.axes[0]
    orange = tuple(int(render_static.PILOT_OUTLINE[i:i + 2], 16) / 255 for i in (1, 3, 5))
    outline = next(c for c in ax.collections if isinstance(c, LineCollection) and len(c.get_edgecolor())
                   and tuple(c.get_edgecolor()[0][:3]) == orange)
    lines = [outline.get_transform().transform_path(path) for path in outline.get_paths()]
    pilots = [(text, box) for text, box in label_boxes(fig) if text.endswith("(thí điểm)")]
    assert len(pilots) == (2 if district is None else 1)
    for text, box in pilots:
        assert not any(line.intersects_bbox(box, filled=False) for line in lines), (district, text)


def test_label_placer_moves_then_drops_the_least_important():
    from matplotlib.figure import Figure
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from geo_app.render.labels import Label, LabelPlacer

    fig = Figure(figsize=(4, 3), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    labels = [Label(50, 50, f"Label {i}", {"fontsize": 10}, priority=30 - i) for i in range(30)]
    result = LabelPlacer(ax).place(labels)
    assert result.placed[0].get_text() == "Label 0"  # the most important keeps the best (centred) spot
    assert 5 <= len(result.placed) < 30 and result.dropped[-1].text == "Label 29"
    assert result.leaders  # some moved further out, joined to the anchor by a leader line
    assert_no_label_overlaps(fig, "synthetic")


def test_district_names_are_drawn_over_the_pilot_outlines(rendered):
    """The "i" of "Ba Tri" was under Phú Lễ's orange outline in the PNG, PDF and print exports: a district name
    that meets a pilot's outline is drawn over it (its halo cuts the outline), the pilot's star over both."""
    fig, _ = rendered
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    orange = tuple(int(render_static.PILOT_OUTLINE[i:i + 2], 16) / 255 for i in (1, 3, 5))
    outlines = [c for c in ax.collections if isinstance(c, LineCollection) and len(c.get_edgecolor())
                and tuple(c.get_edgecolor()[0][:3]) == orange]
    assert len(outlines) == 1
    outline = outlines[0]
    ba_tri = next(t for t in ax.texts if t.get_text() == "Ba Tri")
    names = [t for t in ax.texts if t is ba_tri or t.get_text().endswith(")") and "xã NTM" in t.get_text()]
    paths = [p.get_extents().transformed(ax.transData) for p in outline.get_paths()]
    # the case in this data: Ba Tri's line "… xã NTM (…)" (before it had one, its name) meets Phú Lễ's outline
    assert any(t.get_window_extent(renderer).overlaps(box) for t in names for box in paths)
    assert all(t.get_zorder() > outline.get_zorder() for t in names)
    stars = [line for line in ax.lines if line.get_marker() == "*"]
    assert stars and all(s.get_zorder() > ba_tri.get_zorder() for s in stars)


def district_label_pairs(fig) -> dict[str, tuple[str, object, object]]:
    """District name -> (the line just under it, the name's box, the line's box), from the map's texts."""
    renderer = fig.canvas.get_renderer()
    texts = [t for t in fig.axes[0].texts if t.get_visible() and t.get_text()]
    names = {t: t for t in texts if t.get_fontweight() == "bold"}
    pairs = {}
    for name in names:
        box = name.get_window_extent(renderer)
        for line in texts:
            line_box = line.get_window_extent(renderer)
            aligned = min(abs(line_box.x0 + line_box.x1 - box.x0 - box.x1) / 2, abs(line_box.x0 - box.x0),
                          abs(line_box.x1 - box.x1))  # centred under the name, or ending or starting with it
            if line.get_fontweight() != "bold" and 0 <= box.y0 - line_box.y1 < 2.5 and aligned < 1.5:
                pairs[name.get_text()] = (line.get_text(), box, line_box)
    return pairs


@pytest.mark.parametrize("layer,lang", [("district", "vi"), ("level", "en"), ("criterion", "vi")])
def test_province_exports_write_each_districts_share_under_its_name(dataset, layer, lang):
    """The web map writes "76 % xã NTM (19/25)" under each district's name (or, on a criterion's layer, how many
    of its xã meet it); the PNG/PDF/slides printed names only, so a leader's slide of the district layer did not
    say how far each district was. Each line is the model's own count, under its name."""
    view = map_view(dataset, ViewState(year=2024, layer=layer, criterion=5 if layer == "criterion" else None,
                                       lang=lang), DAY)
    fig = draw_figure(view)
    assert_no_label_overlaps(fig, f"{layer} province")
    pairs = district_label_pairs(fig)
    assert len(pairs) == 9, sorted(pairs)
    for row in view.districts.itertuples():
        name = render_static.short_district(row.district_name)
        if layer == "criterion":
            xa = view.communes[(view.communes["district_code"] == row.district_code)
                               & ~view.communes["level"].isin(("not_applicable", "no_data"))]
            expected = f"{int(xa['c5'].astype(bool).sum())}/{len(xa)} xã đạt TC 5"
        else:
            share = int(100 * row.xa_ntm / row.xa_total + 0.5)
            expected = f"{share}{'%' if lang == 'en' else ' %'} xã NTM ({row.xa_ntm}/{row.xa_total})"
        assert pairs[name][0] == expected


def test_a_district_export_keeps_the_other_districts_as_names_only(dataset):
    view = map_view(dataset, ViewState(year=2024, layer="district", district="836"), DAY)
    fig = draw_figure(view)
    assert not district_label_pairs(fig)
    assert not [t.get_text() for t in fig.axes[0].texts if "xã NTM" in t.get_text()]


@pytest.mark.parametrize("size", [(8.4, 5.3), (16, 9)])
def test_a_map_has_every_districts_line_or_none(dataset, size):
    """Where a map is too small for some district's line (a slide's picture), none is written: a slide with the
    share under six names and not under three read as if those three had none."""
    from geo_app.render.static import slide_figure

    fig = slide_figure(map_view(dataset, ViewState(year=2024), DAY), *size)
    fig.canvas.draw()
    lines = [t.get_text() for t in fig.axes[0].texts if "xã NTM" in t.get_text()]
    assert len(lines) in (0, 9), lines
    assert len(district_label_pairs(fig)) == len(lines)
