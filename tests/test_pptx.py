"""PowerPoint deck: opens with python-pptx, one slide per district, editable Vietnamese text, static maps."""
from __future__ import annotations

import datetime as dt
import io
import unicodedata

import pytest
from PIL import Image
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE

from geo_app.model import planning
from geo_app.render.slides import build_deck, missing_text
from geo_app.domain.textnorm import strip_type
from geo_app.domain.units import DISTRICTS
from geo_app.model.viewstate import ViewState, map_view

YEAR = 2022


@pytest.fixture(scope="module")
def deck(dataset):
    data = build_deck(dataset, YEAR, "vi", dt.date(2025, 3, 1))
    return Presentation(io.BytesIO(data))


def title_of(slide) -> str:
    return slide.shapes.title.text_frame.text


def all_text(slide) -> str:
    parts = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            parts.append(shape.text_frame.text)
        if shape.has_table:
            parts.extend(cell.text for row in shape.table.rows for cell in row.cells)
    return "\n".join(parts)


def test_slide_count_is_title_province_districts_targets(deck, dataset):
    districts = dataset.district_frame(YEAR)
    assert len(districts) == len(DISTRICTS) == 9
    assert len(deck.slides) == 2 + len(districts) + 1


def test_titles(deck, dataset):
    slides = list(deck.slides)
    assert title_of(slides[0]) == f"Nông thôn mới tỉnh Bến Tre — {YEAR}"
    province = map_view(dataset, ViewState(year=YEAR), dt.date(2025, 3, 1))
    assert title_of(slides[1]) == province.spec.title
    names = list(dataset.district_frame(YEAR)["district_name"])
    assert [title_of(s) for s in slides[2:-1]] == [f"{name} — {YEAR}" for name in names]
    assert "Huyện Chợ Lách — 2022" in [title_of(s) for s in slides]
    assert title_of(slides[-1]).startswith("Mục tiêu 2025 (4798/KH-UBND)")


def test_vietnamese_text_is_intact_nfc(deck):
    text = "\n".join(all_text(s) for s in deck.slides)
    assert unicodedata.is_normalized("NFC", text)
    for word in ("Chợ Lách", "Bến Tre", "Mỏ Cày Bắc", "Giồng Trôm", "đạt chuẩn"):
        assert word in text


def test_province_slide_has_summary_sentence_and_map(deck, dataset):
    slide = list(deck.slides)[1]
    province = map_view(dataset, ViewState(year=YEAR), dt.date(2025, 3, 1))
    boxes = [s.text_frame.text for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.TEXT_BOX]
    assert province.summary in boxes
    assert "80/142" in province.summary  # 2022: 80 of 142 xã NTM (plan 4798 baseline figures)
    pictures = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
    assert len(pictures) == 1
    image = Image.open(io.BytesIO(pictures[0].image.blob))
    assert image.size == (1920, 1080)


def test_district_slides_list_their_lagging_communes(deck, dataset):
    slides = list(deck.slides)[2:-1]
    for slide, code in zip(slides, dataset.district_frame(YEAR)["district_code"]):
        expected = planning.lagging(dataset, planning.LaggingFilters(year=YEAR, district=code))
        tables = [s.table for s in slide.shapes if s.has_table]
        assert sum(s.shape_type == MSO_SHAPE_TYPE.PICTURE for s in slide.shapes) == 1
        if not expected:
            assert not tables
            continue
        listed = [row.cells[0].text for row in list(tables[0].rows)[1:]]
        assert listed == [strip_type(r.commune) for r in expected[:len(listed)]] and listed
        first = list(tables[0].rows)[1]
        assert first.cells[1].text == str(expected[0].criteria_met)


def test_missing_criteria_are_listed_compactly():
    assert missing_text([]) == "—"
    assert missing_text([2, 5, 17]) == "2, 5, 17"
    assert missing_text(list(range(1, 13))) == "1, 2, 3, 4, 5, 6, 7, 8 … (+4)"


def test_targets_slide_is_an_editable_table_of_the_summary(deck, dataset):
    slide = list(deck.slides)[-1]
    tables = [s.table for s in slide.shapes if s.has_table]
    assert len(tables) == 1
    targets = dataset.summary(YEAR)["targets"]
    rows = list(tables[0].rows)
    assert len(rows) == len(targets) + 1
    assert [r.cells[0].text for r in rows[1:]] == [t["label_vi"] for t in targets]
    ntm = next(r for r in rows[1:] if r.cells[0].text == "≥ 80 % xã đạt chuẩn NTM")
    assert ntm.cells[1].text.startswith("80 ") and ntm.cells[2].text == "114"


def test_english_deck(dataset):
    deck = Presentation(io.BytesIO(build_deck(dataset, YEAR, "en", dt.date(2025, 3, 1))))
    titles = [title_of(s) for s in deck.slides]
    assert titles[0] == f"New Rural Development in Bến Tre — {YEAR}"
    assert titles[-1].startswith("2025 targets")


def test_every_shape_fits_on_its_16_9_slide(deck):
    assert (deck.slide_width, deck.slide_height) == (12192000, 6858000)  # 13.333 x 7.5 in
    for number, slide in enumerate(deck.slides, start=1):
        for shape in slide.shapes:
            assert shape.left >= 0 and shape.top >= 0, (number, shape.name)
            assert shape.left + shape.width <= deck.slide_width, (number, shape.name)
            assert shape.top + shape.height <= deck.slide_height, (number, shape.name)
