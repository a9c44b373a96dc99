"""PowerPoint deck: opens with python-pptx, one slide per district, editable Vietnamese text, static maps."""
from __future__ import annotations

import datetime as dt
import io
import re
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
    assert len(deck.slides) == 2 + len(districts) + 2


def test_titles(deck, dataset):
    slides = list(deck.slides)
    assert title_of(slides[0]) == f"Nông thôn mới tỉnh Bến Tre — {YEAR}"
    province = map_view(dataset, ViewState(year=YEAR), dt.date(2025, 3, 1))
    assert title_of(slides[1]) == province.spec.title
    names = list(dataset.district_frame(YEAR)["district_name"])
    assert [title_of(s) for s in slides[2:-2]] == [f"{name} — {YEAR}" for name in names]
    assert "Huyện Chợ Lách — 2022" in [title_of(s) for s in slides]
    assert title_of(slides[-2]).startswith("Mục tiêu 2025 (4798/KH-UBND)")
    assert title_of(slides[-1]).startswith("Mục tiêu 2025 của các huyện, thành phố")


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
    assert image.width >= 1920 and abs(image.width / image.height - pictures[0].width / pictures[0].height) < 0.01


def test_district_slides_list_their_lagging_communes(deck, dataset):
    slides = list(deck.slides)[2:-2]
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


def test_targets_slides_are_editable_tables_of_every_target_including_tp_ben_tre(deck, dataset):
    rows = []
    for slide in list(deck.slides)[-2:]:
        tables = [s.table for s in slide.shapes if s.has_table]
        assert len(tables) == 1
        rows += list(tables[0].rows)[1:]
    targets = planning.targets(dataset, YEAR).province
    assert [r.cells[0].text for r in rows] == [t["label_vi"] for t in targets]
    assert "Thành phố Bến Tre nâng chất các tiêu chí NTM" in [r.cells[0].text for r in rows]
    ntm = next(r for r in rows if r.cells[0].text == "≥ 80 % xã đạt chuẩn NTM")
    assert ntm.cells[1].text.startswith("80/142 xã") and ntm.cells[2].text == "≥ 114 xã"


def test_targets_slide_has_a_native_chart_of_actual_against_goal(deck, dataset):
    slide = list(deck.slides)[-2]
    charts = [s for s in slide.shapes if s.has_chart]
    assert len(charts) == 1
    chart = charts[0].chart
    assert [s.name for s in chart.plots[0].series] == [f"Thực tế {YEAR}", "Mục tiêu 2025"]
    categories = list(chart.plots[0].categories)
    assert categories[0] == "Xã đạt chuẩn NTM"
    actual, goal = (list(s.values) for s in chart.plots[0].series)
    assert actual[0] == 80 and goal[0] == 114  # 2022: 80 of the 114 xã needed for 80 %
    assert chart.has_title and "2025" in chart.chart_title.text_frame.text
    assert chart.chart_title.text_frame.text.endswith(" — Dữ liệu minh họa")  # the flag travels with the chart
    assert "80/114" in charts[0]._element.xpath("./*[1]/p:cNvPr")[0].get("descr")


def test_pictures_have_real_alt_text(deck, dataset):
    for slide in list(deck.slides)[1:-2]:
        picture = next(s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE)
        descr = picture._element.xpath("./p:nvPicPr/p:cNvPr")[0].get("descr")
        assert descr and descr != "image.png" and descr.startswith("Bản đồ: ")
        assert title_of(slide).split(" — ")[0] in descr or "Tỉnh Bến Tre" in descr
    province = list(deck.slides)[1]
    descr = next(s for s in province.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE)._element.xpath(
        "./p:nvPicPr/p:cNvPr")[0].get("descr")
    assert "80/142" in descr and "Đạt chuẩn NTM: 60" in descr


def test_every_slide_of_an_illustrative_year_says_so_in_its_notes(deck, dataset):
    """Speaker notes of the map, district and target slides did not mention that their numbers are illustrative."""
    assert dataset.has_illustrative(YEAR)
    for slide in deck.slides:
        assert "MINH HỌA" in slide.notes_slide.notes_text_frame.text.upper(), slide.shapes.title.text_frame.text


def test_every_slide_has_speaker_notes_with_its_numbers(deck, dataset):
    for slide in deck.slides:
        assert slide.has_notes_slide and re.search(r"\d", slide.notes_slide.notes_text_frame.text)
    ba_tri = next(s for s in deck.slides if title_of(s) == f"Huyện Ba Tri — {YEAR}")
    notes = ba_tri.notes_slide.notes_text_frame.text
    rows = planning.lagging(dataset, planning.LaggingFilters(year=YEAR, district="836"))
    assert f"Xã cần tập trung ({len(rows)};" in notes
    for r in rows:  # every lagging xã, also those the table leaves out
        assert f"- {strip_type(r.commune)}: đạt {r.criteria_met}/19" in notes


def test_english_deck(dataset):
    deck = Presentation(io.BytesIO(build_deck(dataset, YEAR, "en", dt.date(2025, 3, 1))))
    titles = [title_of(s) for s in deck.slides]
    assert titles[0] == f"New Rural Development in Bến Tre — {YEAR}"
    assert titles[-2].startswith("2025 targets")


def test_every_shape_fits_on_its_16_9_slide(deck):
    assert (deck.slide_width, deck.slide_height) == (12192000, 6858000)  # 13.333 x 7.5 in
    for number, slide in enumerate(deck.slides, start=1):
        for shape in slide.shapes:
            assert shape.left >= 0 and shape.top >= 0, (number, shape.name)
            assert shape.left + shape.width <= deck.slide_width, (number, shape.name)
            assert shape.top + shape.height <= deck.slide_height, (number, shape.name)
