"""PowerPoint deck (python-pptx) for one year: title, province map, one slide per district, targets.

Text stays editable (titles, text boxes, tables, a native chart); the maps are static renders sized for
their box. Every shape is laid out from measured text (textfit), so nothing runs off the slide whatever a
district's row count: long tables are shortened and say how many more. Every picture has alt text and
every slide speaker notes with its numbers.
Slide count = 2 + number of districts + 2 (province targets with a chart, district targets). No Flask.
"""
from __future__ import annotations

import datetime as dt
import io

from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.enum.text import MSO_AUTO_SIZE
from pptx.util import Emu, Inches, Pt

from geo_app.domain.messages import long_date, number, office_today, percent, translator
from geo_app.model import planning
from geo_app.render import static as render_static
from geo_app.render import textfit
from geo_app.model.dataset import Dataset, district_level_name, province_counts
from geo_app.domain.plan import PLAN_DATE, PLAN_ID
from geo_app.domain.textnorm import strip_type
from geo_app.model.viewstate import MapView, ViewState, illustrative_warning, map_view, source_text

SLIDE_W, SLIDE_H = Emu(12192000), Inches(7.5)  # 13.333 x 7.5 in: exactly 16:9
LAYOUT_TITLE, LAYOUT_TITLE_ONLY = 0, 5
WARN = RGBColor(0xB3, 0x58, 0x06)
GREY = RGBColor(0x44, 0x44, 0x44)
ACTUAL_COLOR = RGBColor(0x2C, 0x7F, 0xB8)
TARGET_COLOR = RGBColor(0xBD, 0xBD, 0xBD)
# Layout in inches (slide 13.333 x 7.5). Text boxes and cells have python-pptx's default insets.
MARGIN = 0.3
CONTENT_W = 13.333 - 2 * MARGIN
BOTTOM = 7.5 - 0.12  # nothing below this line
GAP = 0.08
BOX_INSET_X, BOX_INSET_Y = 0.1, 0.05
CELL_INSET_X, CELL_INSET_Y = 0.1, 0.05
SIDE_W = 4.3  # right-hand column of a district slide (numbers and the lagging table)
TABLE_PT, SIDE_PT, SUMMARY_PT, FOOTER_PT = 10.5, 12.5, 14, 8.5
MISSING_SHOWN = 5  # criteria numbers listed per commune before "… (+n)"


def _t(lang: str, message: str, **values: object) -> str:
    """A catalog message in `lang` with its values filled in ('{year}' -> 2024)."""
    return translator(lang)(message).format(**values)


def build_deck(ds: Dataset, year: int, lang: str = "vi", generated: dt.date | None = None) -> bytes:
    """The whole deck for `year` as .pptx bytes."""
    generated = generated or office_today()
    prs = Presentation()
    prs.slide_width, prs.slide_height = SLIDE_W, SLIDE_H
    _properties(prs, year, lang, generated)
    province = map_view(ds, ViewState(year=year, lang=lang), generated)
    title_slide(prs, province)
    map_slide(prs, province)
    for code in province.districts["district_code"]:
        district_slide(prs, ds, map_view(ds, ViewState(year=year, district=str(code), lang=lang), generated))
    targets_slides(prs, ds, province)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def deck_title(year: int, lang: str) -> str:
    return _t(lang, "New Rural Development in Bến Tre — {year}", year=year)


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
    frame.text = _t(lang, "Progress on plan {plan} of {date}", plan=PLAN_ID,
                    date=long_date(dt.date.fromisoformat(PLAN_DATE), lang))
    _para(frame, view.date_text(), 18, GREY)
    if view.warning:
        _para(frame, view.warning, 16, WARN, bold=True)
    _notes(slide, [view.summary, view.source, view.provenance, view.warning])


def map_slide(prs: Presentation, view: MapView) -> None:
    """The province map (and legend) filling the space between the summary sentence and the sources."""
    slide = _titled(prs, view.spec.title)
    top = _fitted_text(slide, view.summary, MARGIN, 1.0, CONTENT_W, SUMMARY_PT) + GAP
    bottom = _footer(slide, view.footer_lines(), bool(view.warning)) - GAP
    _picture(slide, view, MARGIN, top, CONTENT_W, bottom - top)
    _notes(slide, [view.summary, *legend_lines(view), view.provenance, view.warning])


def district_slide(prs: Presentation, ds: Dataset, view: MapView) -> None:
    """A district: its map filling the left, key numbers and its lagging communes on the right."""
    lang, code = view.lang, view.state.district
    name = district_name(view)
    slide = _titled(prs, f"{name} — {view.state.year}")
    top = _fitted_text(slide, view.summary, MARGIN, 1.0, CONTENT_W, SUMMARY_PT) + GAP
    bottom = _footer(slide, view.footer_lines(), bool(view.warning)) - GAP
    side_left = 13.333 - MARGIN - SIDE_W
    _picture(slide, view, MARGIN, top, side_left - MARGIN - 0.15, bottom - top)
    numbers = key_numbers(view)
    y = _fitted_text(slide, "\n".join(f"• {line}" for line in numbers), side_left, top, SIDE_W, SIDE_PT) + GAP
    rows = planning.lagging(ds, planning.LaggingFilters(year=view.state.year, district=code))
    shown = _lagging_table(slide, rows, lang, side_left, y, SIDE_W, bottom)
    _notes(slide, [view.summary, *numbers, *lagging_notes(rows, shown, lang), view.warning])


def district_name(view: MapView) -> str:
    frame = view.districts
    return frame.loc[frame["district_code"] == view.state.district, "district_name"].iloc[0]


def key_numbers(view: MapView) -> list[str]:
    """The district's xã counts and level, one line each."""
    lang = view.lang
    c = province_counts(view.in_view())
    row = view.districts[view.districts["district_code"] == view.state.district].iloc[0]
    pct = percent(round(100 * c["xa_ntm"] / c["xa_total"]) / 100, lang) if c["xa_total"] else "—"
    n = {key: number(c[key], lang) for key in ("xa_total", "xa_ntm", "xa_nang_cao", "xa_kieu_mau", "xa_no_data")}
    lines = [
        _t(lang, "Xã assessed for NTM: {n}", n=n["xa_total"]),
        _t(lang, "NTM: {n} ({share})", n=n["xa_ntm"], share=pct),
        _t(lang, "Advanced NTM: {n}", n=n["xa_nang_cao"]),
        _t(lang, "Model NTM: {n}", n=n["xa_kieu_mau"]),
        _t(lang, "District level: {level}", level=district_level_name(row["level"], lang)),
    ]
    if c["xa_no_data"]:
        lines.append(_t(lang, "No data: {n} xã", n=n["xa_no_data"]))
    return lines


def legend_lines(view: MapView) -> list[str]:
    """'Đạt chuẩn NTM: 12' for each legend class (speaker notes)."""
    return [f"{cls.label(view.lang)}: {count}" for cls, count in view.spec.legend()]


def _lagging_table(slide, rows: list, lang: str, left: float, top: float, width: float, bottom: float) -> int:
    """As many of the district's most lagging communes as fit above `bottom`; the heading says how many more.

    Returns the number of communes shown.
    """
    heading = _t(lang, "Communes to focus on")
    if not rows:
        _fitted_text(slide, f"{heading}: {_t(lang, 'none')}", left, top, width, SIDE_PT)
        return 0
    headers = [_t(lang, "Commune"), _t(lang, "Criteria met (short)"), _t(lang, "Criteria not met (short)")]
    body = [[strip_type(r.commune), str(r.criteria_met), missing_text(r.missing, MISSING_SHOWN)] for r in rows]
    shares = [0.34, 0.16, 0.50]
    title_h = _box_height(heading + " " + _t(lang, "(and {n} more)", n=99), width, SIDE_PT, bold=True)
    room = bottom - top - title_h
    heights = [_row_height(r, width, shares, TABLE_PT, bold=i == 0) for i, r in enumerate([headers, *body])]
    fit = 0
    used = heights[0]
    while fit < len(body) and used + heights[fit + 1] <= room:
        used += heights[fit + 1]
        fit += 1
    more = len(rows) - fit
    title = heading + (" " + _t(lang, "(and {n} more)", n=number(more, lang)) if more else "")
    _text_box(slide, title, left, top, width, title_h, SIDE_PT, bold=True)
    if fit:
        _table(slide, [headers, *body[:fit]], left, top + title_h, width, shares, TABLE_PT)
    return fit


def lagging_notes(rows: list, shown: int, lang: str) -> list[str]:
    """Every lagging commune with its missing criteria (the notes hold the ones the table leaves out)."""
    if not rows:
        return []
    head = _t(lang, "Communes to focus on ({n}; the slide's table shows {shown}):", n=number(len(rows), lang),
              shown=number(shown, lang))
    met = _t(lang, "met")
    missing = _t(lang, "not met")
    return [head] + [f"- {strip_type(r.commune)}: {met} {r.criteria_met}/19; {missing}: "
                     f"{', '.join(map(str, r.missing)) or '—'}" for r in rows]


def missing_text(missing: list[int], limit: int = 8) -> str:
    """'2, 5, 17', or the first `limit` numbers and how many more (keeps table rows one or two lines)."""
    if not missing:
        return "—"
    head = ", ".join(map(str, missing[:limit]))
    return head if len(missing) <= limit else f"{head} … (+{len(missing) - limit})"


def targets_slides(prs: Presentation, ds: Dataset, view: MapView) -> None:
    """Plan 4798's 2025 targets against the year: province targets with a chart, then the districts and city."""
    lang, year = view.lang, view.state.year
    rows = planning.targets(ds, year).province
    province = [t for t in rows if not t.get("district_code")]
    districts = [t for t in rows if t.get("district_code")]
    headers = [_t(lang, "2025 target"), _t(lang, "Actual {year}", year=year), _t(lang, "Target (figure)"),
               _t(lang, "Assessment")]
    footer = [source_text(ds, lang, year), view.provenance + " · " + view.date_text()]
    if view.warning:
        footer.append(illustrative_warning(lang))

    slide = _titled(prs, _t(lang, "2025 targets ({plan}) against {year}", plan=PLAN_ID, year=year))
    bottom = _footer(slide, footer, bool(view.warning)) - GAP
    table_w = 7.2
    _table(slide, [headers, *[target_row(t, lang) for t in province]], MARGIN, 1.1, table_w,
           [0.38, 0.22, 0.16, 0.24], 12, bottom=bottom)
    chart_left = MARGIN + table_w + 0.2
    targets_chart(slide, province, lang, year, chart_left, 1.1, 13.333 - MARGIN - chart_left, bottom - 1.1,
                  illustrative=bool(view.warning))
    _notes(slide, [*(" | ".join(target_row(t, lang)) for t in province), view.warning])

    slide = _titled(prs, _t(lang, "2025 targets of the districts and the city — {year}", year=year))
    bottom = _footer(slide, footer, bool(view.warning)) - GAP
    _table(slide, [headers, *[target_row(t, lang) for t in districts]], MARGIN, 1.1, CONTENT_W,
           [0.40, 0.18, 0.18, 0.24], 12, bottom=bottom)
    _notes(slide, [*(" | ".join(target_row(t, lang)) for t in districts), view.warning])


def target_row(t: dict, lang: str) -> list[str]:
    """[label, actual, target, assessment] for one target row (the same texts as /targets)."""
    cells = planning.target_cells(t, lang)
    return [cells["label"], cells["actual"], cells["goal"], cells["gap"] if t["met"] is not None else cells["status"]]


def chart_categories(lang: str) -> dict[str, str]:
    return {
        "xa_ntm_share": _t(lang, "Xã NTM"),
        "rest_ge_15": _t(lang, "Other xã ≥ 15 criteria (chart)"),
        "xa_nang_cao_share": _t(lang, "Advanced NTM xã"),
        "model_per_district": _t(lang, "Districts with a model xã"),
    }


def targets_chart(slide, targets: list[dict], lang: str, year: int, left: float, top: float, width: float,
                  height: float, illustrative: bool = False) -> None:
    """A native (editable) bar chart: each numeric province target, actual against the 2025 goal; its title says
    when the values are illustrative (a chart copied into another deck leaves the slide's footer behind)."""
    names = chart_categories(lang)
    shown = [t for t in targets if t["key"] in names and isinstance(t["target"], int)]
    data = CategoryChartData()
    data.categories = [names[t["key"]] for t in shown]
    data.add_series(_t(lang, "Actual {year}", year=year), [t["actual"] for t in shown])
    data.add_series(_t(lang, "2025 target"), [t["target"] for t in shown])
    frame = slide.shapes.add_chart(XL_CHART_TYPE.BAR_CLUSTERED, Inches(left), Inches(top), Inches(width),
                                   Inches(height), data)
    chart = frame.chart
    chart.has_title = True
    chart.chart_title.text_frame.text = _t(lang, "{year} against the 2025 targets (xã / districts)", year=year) + (
        " — " + _t(lang, "Illustrative data") if illustrative else "")
    chart.chart_title.text_frame.paragraphs[0].runs[0].font.size = Pt(13)
    chart.font.size = Pt(12)
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    plot = chart.plots[0]
    plot.has_data_labels = True
    plot.data_labels.font.size = Pt(11)
    plot.gap_width = 60
    for series, color in zip(plot.series, (ACTUAL_COLOR, TARGET_COLOR)):
        series.format.fill.solid()
        series.format.fill.fore_color.rgb = color
    chart.category_axis.reverse_order = True  # first target on top, as in the table
    chart.value_axis.has_major_gridlines = True
    alt = "; ".join(f"{names[t['key']]}: {t['actual']}/{t['target']}" for t in shown)
    _alt_text(frame, _t(lang, "Bar chart") + ": " + chart.chart_title.text_frame.text + ". " + alt)


# ------------------------------------------------------------------ shapes


def _titled(prs: Presentation, title: str):
    slide = prs.slides.add_slide(prs.slide_layouts[LAYOUT_TITLE_ONLY])
    slide.shapes.title.text = title
    _place(slide.shapes.title, MARGIN, 0.2, CONTENT_W, 0.8)
    for para in slide.shapes.title.text_frame.paragraphs:
        for run in para.runs:
            run.font.size = Pt(28 if textfit.text_width(title, 28, True) < (CONTENT_W - 0.2) * 72 else 22)
            run.font.bold = True
    return slide


def _place(shape, left: float, top: float, width: float, height: float) -> None:
    shape.left, shape.top, shape.width, shape.height = Inches(left), Inches(top), Inches(width), Inches(height)


def _picture(slide, view: MapView, left: float, top: float, width: float, height: float) -> None:
    """The map rendered for exactly this box (so it fills it), with alt text saying what it shows."""
    png = render_static.render_slide_picture(view, width, height)
    pic = slide.shapes.add_picture(io.BytesIO(png), Inches(left), Inches(top), Inches(width), Inches(height))
    _alt_text(pic, picture_alt(view))


def picture_alt(view: MapView) -> str:
    """The map's alt text: its title, the summary and each legend class with its count."""
    classes = "; ".join(legend_lines(view))
    kind = _t(view.lang, "Map")
    return f"{kind}: {view.spec.title}. {view.summary} {classes}."


def _alt_text(shape, text: str) -> None:
    """Alt text (cNvPr descr), what PowerPoint's 'Alt Text' pane and screen readers show."""
    shape._element.xpath("./*[1]/p:cNvPr")[0].set("descr", text)


def _notes(slide, lines: list[str]) -> None:
    slide.notes_slide.notes_text_frame.text = "\n".join(line for line in lines if line)


def _box_height(text: str, width: float, size: float, bold: bool = False) -> float:
    """Inches a text box of `width` inches needs for `text` (measured, with insets and a little slack)."""
    lines = textfit.line_count(text, (width - 2 * BOX_INSET_X) * 72 - 2, size, bold)
    return textfit.text_height(lines, size) / 72 + 2 * BOX_INSET_Y + 0.04


def _fitted_text(slide, text: str, left: float, top: float, width: float, size: float,
                 color: RGBColor | None = None, bold: bool = False) -> float:
    """A text box exactly as tall as its text; returns its bottom (inches)."""
    height = _box_height(text, width, size, bold)
    _text_box(slide, text, left, top, width, height, size, color, bold)
    return top + height


def _footer(slide, lines: list[str], warning: bool) -> float:
    """Sources, provenance and date (and the warning, bold orange) at the foot; returns the footer's top."""
    text = "\n".join(lines)
    height = _box_height(text, CONTENT_W, FOOTER_PT)
    top = BOTTOM - height
    box = _text_box(slide, text, MARGIN, top, CONTENT_W, height, FOOTER_PT, color=GREY)
    if warning:
        for run in box.text_frame.paragraphs[-1].runs:
            run.font.color.rgb = WARN
            run.font.bold = True
    return top


def _text_box(slide, text: str, left: float, top: float, width: float, height: float, size: float,
              color: RGBColor | None = None, bold: bool = False):
    box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
    frame = box.text_frame
    frame.word_wrap = True
    frame.auto_size = MSO_AUTO_SIZE.NONE
    for i, line in enumerate(text.split("\n")):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        run = para.add_run()
        run.text = line
        run.font.size = Pt(size)
        run.font.bold = bold
        if color is not None:
            run.font.color.rgb = color
    return box


def _para(frame, text: str, size: float, color: RGBColor, bold: bool = False) -> None:
    run = frame.add_paragraph().add_run()
    run.text = text
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.color.rgb = color


def _row_height(row: list[str], width: float, shares: list[float], size: float, bold: bool = False) -> float:
    """Inches a table row needs: its tallest cell's wrapped lines plus the cell insets."""
    lines = max(textfit.line_count(value, (width * share - 2 * CELL_INSET_X) * 72 - 2, size, bold)
                for value, share in zip(row, shares))
    return textfit.text_height(lines, size) / 72 + 2 * CELL_INSET_Y + 0.03


def _table(slide, rows: list[list[str]], left: float, top: float, width: float, shares: list[float],
           size: float, bottom: float = BOTTOM):
    """A real (editable) table whose rows are as tall as their wrapped text; `shares` are column fractions.

    Raises if it would reach below `bottom` (callers shorten their rows first).
    """
    heights = [_row_height(r, width, shares, size, bold=i == 0) for i, r in enumerate(rows)]
    if top + sum(heights) > bottom + 1e-6:
        raise ValueError(f"table of {len(rows)} rows needs {sum(heights):.2f} in; only {bottom - top:.2f} in left")
    shape = slide.shapes.add_table(len(rows), len(rows[0]), Inches(left), Inches(top), Inches(width),
                                   Inches(sum(heights)))
    table = shape.table
    for j, share in enumerate(shares):
        table.columns[j].width = Emu(int(Inches(width) * share))
    for i, row in enumerate(rows):
        table.rows[i].height = Emu(int(Inches(heights[i])))
        for j, value in enumerate(row):
            cell = table.cell(i, j)
            cell.text = value
            for para in cell.text_frame.paragraphs:
                for run in para.runs:
                    run.font.size = Pt(size)
                    run.font.bold = i == 0
    shape.height = Emu(sum(int(Inches(h)) for h in heights))
    return shape
