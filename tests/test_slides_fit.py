"""Slides that fit: the deck rendered by LibreOffice (headless) to PDF, measured; shapes laid out inside.

LibreOffice Impress (Debian `libreoffice-impress`) and poppler-utils (`pdftotext`, `pdftoppm`) are installed
by scripts/test.sh. The PDF is measured two ways: every word's box lies inside its page, and the outermost
pixels of every page image are white (nothing drawn runs to or past the slide's edge).
"""
from __future__ import annotations

import datetime as dt
import io
import itertools
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.util import Inches

from geo_app.model import planning
from geo_app.domain.textnorm import strip_type
from geo_app.render import slides

DAY = dt.date(2025, 3, 1)
DECKS = [(2022, "vi"), (2021, "en")]  # 2022 Thạnh Phú was cut at the edge; 2021 has the most lagging xã


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is not installed: run scripts/test.sh (it installs libreoffice-impress, poppler-utils)"
    return path


@pytest.fixture(scope="module", params=DECKS, ids=[f"{y}-{lang}" for y, lang in DECKS])
def rendered(request, dataset, tmp_path_factory):
    """(Presentation, PDF path, page images) of one deck."""
    year, lang = request.param
    folder = tmp_path_factory.mktemp(f"deck-{year}-{lang}")
    pptx = folder / "deck.pptx"
    pptx.write_bytes(slides.build_deck(dataset, year, lang, DAY))
    profile = (folder / "lo-profile").as_uri()  # a private profile: parallel runs do not share a lock
    subprocess.run([_tool("soffice"), f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(folder), str(pptx)], check=True, capture_output=True, timeout=300)
    pdf = folder / "deck.pdf"
    assert pdf.is_file(), "LibreOffice did not write the PDF"
    subprocess.run([_tool("pdftoppm"), "-r", "40", "-png", str(pdf), str(folder / "page")], check=True,
                   timeout=300)
    images = sorted(folder.glob("page-*.png"))
    return Presentation(io.BytesIO(pptx.read_bytes())), pdf, images, year, lang


def pdf_words(pdf: Path) -> list[tuple[float, float, list[tuple[float, float, float, float, str]]]]:
    """[(page width, page height, [(x0, y0, x1, y1, word)])] from `pdftotext -bbox` (points, y down)."""
    out = subprocess.run([_tool("pdftotext"), "-bbox", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    pages = []
    for w, h, body in re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', out, re.S):
        words = [(float(a), float(b), float(c), float(d), t) for a, b, c, d, t in re.findall(
            r'xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)">([^<]*)<', body)]
        pages.append((float(w), float(h), words))
    return pages


def test_libreoffice_renders_one_page_per_slide(rendered):
    deck, pdf, images, _, _ = rendered
    assert len(pdf_words(pdf)) == len(deck.slides) == len(images)


def test_every_word_is_inside_its_page(rendered):
    deck, pdf, _, _, _ = rendered
    for number, (width, height, words) in enumerate(pdf_words(pdf), start=1):
        assert words, f"slide {number} has no text"
        outside = [w[4] for w in words if w[0] < 2 or w[1] < 2 or w[2] > width - 2 or w[3] > height - 2]
        assert not outside, f"slide {number}: {outside[:5]} run off the slide"


def test_no_two_words_are_drawn_over_each_other(rendered):
    """Text boxes, tables and chart labels do not collide (the middle band of each word's line box)."""
    _, pdf, _, _, _ = rendered
    for number, (_, _, words) in enumerate(pdf_words(pdf), start=1):
        core = [(x0, y0 + 0.3 * (y1 - y0), x1, y1 - 0.3 * (y1 - y0), t) for x0, y0, x1, y1, t in words]
        hits = [(a[4], b[4]) for a, b in itertools.combinations(core, 2)
                if min(a[2], b[2]) - max(a[0], b[0]) > 1 and min(a[3], b[3]) - max(a[1], b[1]) > 0.5]
        assert not hits, f"slide {number}: {hits[:5]} overlap"


def test_nothing_reaches_the_slide_edge(rendered):
    """The outer 2 px (≈ 0.05 in) of every page image are white: no table, picture or text is cut."""
    _, _, images, _, _ = rendered
    for number, path in enumerate(images, start=1):
        image = Image.open(path).convert("L")
        w, h = image.size
        edge = [image.getpixel((x, y)) for x in range(w) for y in (0, 1, h - 2, h - 1)]
        edge += [image.getpixel((x, y)) for y in range(h) for x in (0, 1, w - 2, w - 1)]
        assert min(edge) >= 245, f"slide {number}: something is drawn at the slide's edge"


def test_every_listed_commune_is_printed_on_its_slide(rendered, dataset):
    """The lagging table's rows (python-pptx) are all on the rendered page, and the heading counts the rest."""
    deck, pdf, _, year, lang = rendered
    pages = pdf_words(pdf)
    codes = list(dataset.district_frame(year)["district_code"])
    for index, code in enumerate(codes, start=2):
        slide = list(deck.slides)[index]
        rows = planning.lagging(dataset, planning.LaggingFilters(year=year, district=code))
        tables = [s.table for s in slide.shapes if s.has_table]
        if not rows:
            assert not tables
            continue
        listed = [row.cells[0].text for row in list(tables[0].rows)[1:]]
        assert listed == [strip_type(r.commune) for r in rows[:len(listed)]]
        assert len(listed) >= min(len(rows), 5), f"district {code}: only {len(listed)} of {len(rows)} rows shown"
        more = len(rows) - len(listed)
        text = "\n".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)
        if more:
            assert (f"(và {more} xã khác)" if lang == "vi" else f"(and {more} more)") in text
        page_text = " ".join(w[4] for w in pages[index][2])
        for name in listed:
            assert all(part in page_text for part in name.split()), (code, name)


def boxes(slide):
    return [(s.name, s.left, s.top, s.left + s.width, s.top + s.height) for s in slide.shapes]


def test_shapes_are_inside_the_slide_and_do_not_overlap(rendered):
    deck, _, _, _, _ = rendered
    for number, slide in enumerate(deck.slides, start=1):
        for name, x0, y0, x1, y1 in boxes(slide):
            assert x0 >= 0 and y0 >= 0 and x1 <= deck.slide_width and y1 <= deck.slide_height, (number, name)
        for a, b in itertools.combinations(boxes(slide), 2):
            assert min(a[3], b[3]) <= max(a[1], b[1]) or min(a[4], b[4]) <= max(a[2], b[2]), (number, a[0], b[0])
        for shape in slide.shapes:
            if shape.has_table:
                rows = sum(row.height for row in shape.table.rows)
                assert rows == shape.height and shape.top + rows <= deck.slide_height, (number, shape.name)


def test_district_maps_use_the_space(rendered):
    """The map picture takes most of the space left of the table: at least 40 % of the slide."""
    deck, _, _, _, _ = rendered
    area = deck.slide_width * deck.slide_height
    for number, slide in enumerate(list(deck.slides)[2:-2], start=3):
        pictures = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
        assert len(pictures) == 1
        pic = pictures[0]
        assert pic.width * pic.height >= 0.40 * area, number
        image = Image.open(io.BytesIO(pic.image.blob))
        assert abs(image.width / image.height - pic.width / pic.height) < 0.01  # drawn for its box, not stretched
        assert image.width / (pic.width / Inches(1)) >= 150  # ≥ 150 dpi at its size on the slide


def test_a_long_table_is_shortened_and_says_how_many_more(dataset):
    """Forty lagging communes on one slide: the table stops above the footer and counts the rest."""
    from pptx import Presentation as New

    rows = planning.lagging(dataset, planning.LaggingFilters(year=2021))[:40]
    assert len(rows) == 40
    prs = New()
    prs.slide_width, prs.slide_height = slides.SLIDE_W, slides.SLIDE_H
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    shown = slides._lagging_table(slide, rows, "vi", 9.0, 3.0, slides.SIDE_W, 6.8)
    table = next(s for s in slide.shapes if s.has_table)
    assert 3 <= shown < 40 and len(table.table.rows) == shown + 1
    assert table.top + table.height <= Inches(6.8)
    heading = next(s for s in slide.shapes if s.has_text_frame).text_frame.text
    assert heading == f"Xã cần tập trung (và {40 - shown} xã khác)"
