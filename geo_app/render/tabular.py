"""Table downloads (CSV and XLSX) that are safe to open in a spreadsheet. No Flask.

Text a spreadsheet would execute (starting with = + - @, tab or carriage return) is prefixed with a
single quote so it shows as text. CSV is UTF-8 with a byte-order mark so Excel shows Vietnamese correctly.
"""
from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_MIME = "text/csv; charset=utf-8"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Columns = Sequence[tuple[str, str]]  # (key in each row dict, header shown)
# Characters XML 1.0 (so XLSX) cannot hold: C0 controls but tab/newline/return, surrogates, U+FFFE/U+FFFF.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
REPLACEMENT = "\ufffd"


def neutralise(value: object) -> object:
    """A cell value a spreadsheet will not execute: risky text gets a leading ' ; numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "x" if value else ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, (int, float, date, datetime)):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cells(columns: Columns, rows: Iterable[dict]) -> Iterable[list[object]]:
    yield [neutralise(header) for _key, header in columns]
    for row in rows:
        yield [neutralise(row.get(key)) for key, _header in columns]


def to_csv(columns: Columns, rows: Iterable[dict]) -> bytes:
    """CSV bytes (UTF-8 with BOM, CRLF line ends), header row first."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    for cells in _cells(columns, rows):
        writer.writerow(cells)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(columns: Columns, rows: Iterable[dict], sheet: str = "Data", title: str | None = None) -> bytes:
    """XLSX bytes: an optional title line, a bold header row, then the rows; text cells stored as text."""
    from openpyxl import Workbook  # imported when a workbook is made (not by every page that links one)
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = _sheet_name(sheet)
    if title:
        _write_row(ws, [neutralise(title)], row=1)
        ws.cell(row=1, column=1).font = Font(bold=True, size=12)
    header_row = 2 if title else 1
    for i, cells in enumerate(_cells(columns, rows)):
        _write_row(ws, cells, row=header_row + i)
    for cell in ws[header_row]:
        cell.font = Font(bold=True)
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    last_row = header_row + max(0, ws.max_row - header_row)
    ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(columns))}{last_row}"
    _fit_widths(ws, len(columns), header_row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def xml_safe(value: object) -> object:
    """Text a workbook can store: each character XML cannot hold (e.g. \\x00, \\x0b, U+FFFE) becomes U+FFFD."""
    return NOT_XML.sub(REPLACEMENT, value) if isinstance(value, str) else value


def _write_row(ws, cells: list[object], row: int) -> None:
    from openpyxl.cell.cell import TYPE_STRING

    for col, value in enumerate(cells, start=1):
        cell = ws.cell(row=row, column=col)
        cell.value = value = xml_safe(value)
        if isinstance(value, str):
            cell.data_type = TYPE_STRING  # never a formula, whatever the text looks like


MAX_WIDTH = 40  # characters; longer text wraps inside its cell


def _fit_widths(ws, n_columns: int, header_row: int = 1) -> None:
    """Each column as wide as its longest value (the title line does not count), at most MAX_WIDTH; longer
    text wraps. The header gets room for the autofilter button."""
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    for col in range(1, n_columns + 1):
        letter = get_column_letter(col)
        cells = [c for c in ws[letter][header_row - 1:] if c.value is not None]
        longest = max((len(str(c.value)) + (3 if c.row == header_row else 0) for c in cells), default=8)
        ws.column_dimensions[letter].width = min(MAX_WIDTH, max(8, longest + 2))
        if longest + 2 > MAX_WIDTH:
            for cell in cells:
                if cell.row > header_row:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")


def _sheet_name(name: str) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\ ."""
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in name).strip() or "Data"
    return cleaned[:31]
