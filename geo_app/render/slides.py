"""PowerPoint deck (python-pptx) for one year: title, province map, one slide per district, targets.

Text stays editable (titles, text boxes, tables); the maps are the static renders (render_static).
Slide count = 2 + number of districts + 1. No Flask, no Folium.
"""
from __future__ import annotations

import datetime as dt
import io

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.util import Emu, Inches, Pt

from geo_app.model import planning
from geo_app.render import static as render_static
from geo_app.model.dataset import Dataset, district_level_name, province_counts
from geo_app.domain.plan import PLAN_DATE, PLAN_ID
from geo_app.domain.textnorm import strip_type
from geo_app.model.viewstate import MapView, ViewState, illustrative_warning, map_view, source_text

SLIDE_W, SLIDE_H = Emu(12192000), Inches(7.5)  # 13.333 x 7.5 in: exactly 16:9
LAYOUT_TITLE, LAYOUT_TITLE_ONLY = 0, 5
LAGGING_ROWS = 8  # lagging communes listed per district slide
WARN = RGBColor(0xB3, 0x58, 0x06)
GREY = RGBColor(0x44, 0x44, 0x44)


def _t(lang: str, vi: str, en: str) -> str:
    return en if lang == "en" else vi


def build_deck(ds: Dataset, year: int, lang: str = "vi", generated: dt.date | None = None) -> bytes:
    """The whole deck for `year` as .pptx bytes."""
    generated = generated or dt.date.today()
    prs = Presentation()
    prs.slide_width, prs.slide_height = SLIDE_W, SLIDE_H
    _properties(prs, year, lang, generated)
    province = map_view(ds, ViewState(year=year, lang=lang), generated)
    title_slide(prs, province)
    map_slide(prs, province)
    for code in province.districts["district_code"]:
        district_slide(prs, ds, map_view(ds, ViewState(year=year, district=str(code), lang=lang), generated))
    targets_slide(prs, ds, province)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def deck_title(year: int, lang: str) -> str:
    return _t(lang, f"Nông thôn mới tỉnh Bến Tre — {year}", f"New Rural Development in Bến Tre — {year}")


def _properties(prs: Presentation, year: int, lang: str, generated: dt.date) -> None:
    """Fixed document properties (no wall-clock time), so the same data gives the same deck."""
    props = prs.core_properties
    props.title = deck_title(year, lang)
    props.author = props.last_modified_by = "NTM Bến Tre"
    props.subject = PLAN_ID
    stamp = dt.datetime(generated.year, generated.month, generated.day)
    props.created = props.modified = stamp
    props.revision = 1


def title_slide(prs: Presentation, view: MapView) -> None:
    lang, year = view.lang, view.state.year
    slide = prs.slides.add_slide(prs.slide_layouts[LAYOUT_TITLE])
    slide.shapes.title.text = deck_title(year, lang)
    _place(slide.shapes.title, 0.8, 2.0, 11.7, 1.5)
    sub = slide.placeholders[1]
    _place(sub, 0.8, 3.7, 11.7, 2.4)
    frame = sub.text_frame
    frame.text = _t(lang, f"Tiến độ thực hiện Kế hoạch {PLAN_ID} ngày {_vn_date(PLAN_DATE)}",
                    f"Progress on plan {PLAN_ID} of {PLAN_DATE}")
    _para(frame, view.date_text(), 18, GREY)
    if view.warning:
        _para(frame, view.warning, 16, WARN, bold=True)


def map_slide(prs: Presentation, view: MapView) -> None:
    """The province map with its summary sentence."""
    slide = _titled(prs, view.spec.title)
    _text_box(slide, view.summary, 0.4, 1.0, 12.5, 0.5, 16)
    _picture(slide, view, left=1.47, top=1.55, width=10.4)


def district_slide(prs: Presentation, ds: Dataset, view: MapView) -> None:
    """A district: its zoomed map, key numbers and its lagging communes."""
    lang, code = view.lang, view.state.district
    name = view.districts.loc[view.districts["district_code"] == code, "district_name"].iloc[0]
    slide = _titled(prs, f"{name} — {view.state.year}")
    _text_box(slide, view.summary, 0.4, 1.0, 12.5, 0.5, 14)
    _picture(slide, view, left=0.3, top=1.55, width=8.6)
    _bullets(slide, key_numbers(view), 9.1, 1.55, 4.0, 2.0, 13)
    rows = planning.lagging(ds, planning.LaggingFilters(year=view.state.year, district=code))
    _lagging_table(slide, rows, lang, 9.1, 3.7, 4.0)


def key_numbers(view: MapView) -> list[str]:
    """The district's xã counts and level, one line each."""
    lang = view.lang
    c = province_counts(view.in_view())
    row = view.districts[view.districts["district_code"] == view.state.district].iloc[0]
    pct = f"{round(100 * c['xa_ntm'] / c['xa_total'])} %" if c["xa_total"] else "—"
    lines = [
        _t(lang, f"Số xã áp dụng NTM: {c['xa_total']}", f"Xã assessed for NTM: {c['xa_total']}"),
        _t(lang, f"Đạt chuẩn NTM: {c['xa_ntm']} ({pct})", f"NTM: {c['xa_ntm']} ({pct})"),
        _t(lang, f"NTM nâng cao: {c['xa_nang_cao']}", f"Advanced NTM: {c['xa_nang_cao']}"),
        _t(lang, f"NTM kiểu mẫu: {c['xa_kieu_mau']}", f"Model NTM: {c['xa_kieu_mau']}"),
        _t(lang, f"Cấp huyện: {district_level_name(row['level'], lang)}",
           f"District level: {district_level_name(row['level'], lang)}"),
    ]
    if c["xa_no_data"]:
        lines.append(_t(lang, f"Chưa có dữ liệu: {c['xa_no_data']} xã", f"No data: {c['xa_no_data']} xã"))
    return lines


def _lagging_table(slide, rows: list, lang: str, left: float, top: float, width: float) -> None:
    """The district's most lagging communes (planning.lagging order): name, criteria met, not met."""
    heading = _t(lang, "Xã cần tập trung", "Communes to focus on")
    if not rows:
        _text_box(slide, f"{heading}: {_t(lang, 'không có', 'none')}", left, top, width, 0.4, 13)
        return
    shown = rows[:LAGGING_ROWS]
    more = len(rows) - len(shown)
    title = heading + (_t(lang, f" (và {more} xã khác)", f" (and {more} more)") if more else "")
    _text_box(slide, title, left, top, width, 0.35, 13, bold=True)
    headers = [_t(lang, "Xã", "Commune"), _t(lang, "TC đạt", "Met"), _t(lang, "TC chưa đạt", "Not met")]
    body = [[strip_type(r.commune), str(r.criteria_met), missing_text(r.missing)] for r in shown]
    _table(slide, [headers, *body], left, top + 0.4, width, [0.42, 0.16, 0.42], 10)


def missing_text(missing: list[int], limit: int = 8) -> str:
    """'2, 5, 17', or the first `limit` numbers and how many more (keeps table rows one or two lines)."""
    if not missing:
        return "—"
    head = ", ".join(map(str, missing[:limit]))
    return head if len(missing) <= limit else f"{head} … (+{len(missing) - limit})"


def targets_slide(prs: Presentation, ds: Dataset, view: MapView) -> None:
    """Plan 4798's 2025 targets against the year's actual values (from Dataset.summary)."""
    lang, year = view.lang, view.state.year
    slide = _titled(prs, _t(lang, f"Mục tiêu 2025 ({PLAN_ID}) và thực tế {year}",
                            f"2025 targets ({PLAN_ID}) against {year}"))
    headers = [_t(lang, "Mục tiêu 2025", "2025 target"), _t(lang, f"Thực tế {year}", f"Actual {year}"),
               _t(lang, "Chỉ tiêu", "Target"), _t(lang, "Đánh giá", "Assessment")]
    rows = [headers] + [target_row(t, lang) for t in ds.summary(year)["targets"]]
    _table(slide, rows, 0.4, 1.2, 12.5, [0.40, 0.18, 0.18, 0.24], 12)
    foot = [source_text(ds, lang), view.provenance + " · " + view.date_text()]
    _text_box(slide, "\n".join(foot), 0.4, 6.55, 12.5, 0.6, 10, color=GREY)
    if view.warning:
        _text_box(slide, illustrative_warning(lang), 0.4, 7.05, 12.5, 0.35, 11, color=WARN, bold=True)


def target_row(t: dict, lang: str) -> list[str]:
    """[label, actual, target, assessment] for one target of plan.evaluate."""
    label = t["label_en"] if lang == "en" else t["label_vi"]
    if t.get("unit") == "district" and isinstance(t["actual"], str):
        actual, target = district_level_name(t["actual"], lang), district_level_name(t["target"], lang)
    else:
        share = t["key"].endswith("_share") and t.get("actual_pct") is not None  # a % target: show the %
        pct = f" ({t['actual_pct']:g} %)" if share else ""
        actual, target = f"{t['actual']}{pct}", str(t["target"])
    return [label, actual, target, planning.gap_text(t, lang)]


# ------------------------------------------------------------------ shapes


def _titled(prs: Presentation, title: str):
    slide = prs.slides.add_slide(prs.slide_layouts[LAYOUT_TITLE_ONLY])
    slide.shapes.title.text = title
    _place(slide.shapes.title, 0.4, 0.2, 12.5, 0.8)
    for para in slide.shapes.title.text_frame.paragraphs:
        for run in para.runs:
            run.font.size = Pt(28)
            run.font.bold = True
    return slide


def _place(shape, left: float, top: float, width: float, height: float) -> None:
    shape.left, shape.top, shape.width, shape.height = Inches(left), Inches(top), Inches(width), Inches(height)


def _picture(slide, view: MapView, left: float, top: float, width: float) -> None:
    png = render_static.render(view, "png", scale=1, header=False)
    slide.shapes.add_picture(io.BytesIO(png), Inches(left), Inches(top), width=Inches(width))


def _text_box(slide, text: str, left: float, top: float, width: float, height: float, size: float,
              color: RGBColor | None = None, bold: bool = False):
    box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
    frame = box.text_frame
    frame.word_wrap = True
    for i, line in enumerate(text.split("\n")):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        run = para.add_run()
        run.text = line
        run.font.size = Pt(size)
        run.font.bold = bold
        if color is not None:
            run.font.color.rgb = color
    return box


def _bullets(slide, lines: list[str], left: float, top: float, width: float, height: float, size: float) -> None:
    _text_box(slide, "\n".join(f"• {line}" for line in lines), left, top, width, height, size)


def _para(frame, text: str, size: float, color: RGBColor, bold: bool = False) -> None:
    run = frame.add_paragraph().add_run()
    run.text = text
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.color.rgb = color


def _table(slide, rows: list[list[str]], left: float, top: float, width: float, shares: list[float],
           size: float) -> None:
    """A real (editable) table; `shares` are the column widths as fractions of `width`."""
    height = Inches(0.3 * len(rows))
    shape = slide.shapes.add_table(len(rows), len(rows[0]), Inches(left), Inches(top), Inches(width), height)
    table = shape.table
    for j, share in enumerate(shares):
        table.columns[j].width = Emu(int(Inches(width) * share))
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            cell = table.cell(i, j)
            cell.text = value
            for para in cell.text_frame.paragraphs:
                for run in para.runs:
                    run.font.size = Pt(size)
                    run.font.bold = i == 0


def _vn_date(iso: str) -> str:
    """'2022-08-01' -> '01/8/2022' (the way Vietnamese documents write dates)."""
    y, m, d = iso.split("-")
    return f"{d}/{int(m)}/{y}"
