"""Read NTM status files (CSV or XLSX) into validated frames.

Never raises for bad input: the CheckReport names file, row, column and what to do.
"""
from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import pandas as pd

from geo_app.domain.criteria import (
    COMMUNE_LEVEL_BY_KEY,
    CRITERION_COLUMNS,
    CRITERION_NUMBERS,
    DISTRICT_LEVEL_ALIASES,
    DISTRICT_LEVEL_BY_KEY,
    LEVEL_ALIASES,
    PROVENANCES,
)
from geo_app.settings import SettingsError, StatusLimits
from geo_app.domain.messages import both, joined_by, mark as _l, phrase as _p
from geo_app.sources.report import CheckReport, workbook_problem
from geo_app.domain.textnorm import fold, nfc
from geo_app.domain.units import DISTRICTS, REMOVED_2020, code_for_name, district_code_for_name, units

YEAR_RANGE = (2015, 2030)
RECOGNISED_RANGE = (2010, 2030)
COMMUNE_COLUMNS = ["ward_code", "year", *CRITERION_COLUMNS, "level", "year_recognised", "note", "provenance",
                   "source_url", "row"]
DISTRICT_COLUMNS = ["district_code", "year", "level", "decision", "note", "provenance", "source_url", "row"]
COMMUNE_DTYPES = {"ward_code": str, "year": "int64", **{c: bool for c in CRITERION_COLUMNS}, "level": str,
                  "year_recognised": "Int64", "note": str, "provenance": str, "source_url": str, "row": "int64"}
DISTRICT_DTYPES = {"district_code": str, "year": "int64", "level": str, "decision": str, "note": str,
                   "provenance": str, "source_url": str, "row": "int64"}

# Accepted header names per column (compared without case, diacritics, spaces or punctuation).
_COMMON_HEADERS = {
    "year": ("year", "nam"),
    "level": ("level", "muc_dat", "muc"),
    "note": ("note", "ghi_chu"),
    "provenance": ("provenance", "nguon_goc"),
    "source_url": ("source_url", "nguon", "url"),
}
COMMUNE_HEADERS: dict[str, tuple[str, ...]] = {
    "ward_code": ("ward_code", "ma_xa", "maxa", "code", "ma", "commune_code"),
    **{f"c{n}": (f"c{n}", f"tc{n}", str(n), f"tieu chi {n}") for n in CRITERION_NUMBERS},
    "year_recognised": ("year_recognised", "year_recognized", "nam_cong_nhan"),
    "name": ("name", "ten", "ten_xa", "commune"),
    "district": ("district", "huyen", "ten_huyen", "district_code", "ma_huyen"),
    **_COMMON_HEADERS,
}
DISTRICT_HEADERS: dict[str, tuple[str, ...]] = {
    "district_code": ("district_code", "ma_huyen", "code", "ma"),
    "decision": ("decision", "quyet_dinh"),
    "name": ("name", "ten", "district", "huyen", "ten_huyen"),
    **_COMMON_HEADERS,
}
_DISTRICT_ONLY_KEYS = {"districtcode", "mahuyen", "decision", "quyetdinh"}

_TRUE = {"1", "x", "dat", "true", "yes", "co"}
_FALSE = {"", "0", "chua dat", "false", "no", "khong"}
_PROVENANCE_ALIASES = {"chinh thuc": "official", "co nguon": "documented", "minh hoa": "illustrative"}
_NOT_UTF8 = _p("save the file as 'CSV UTF-8' (Excel: File > Save As > CSV UTF-8 (Comma delimited)) and check again")


def _key(text: object) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(text))


def _cell_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return nfc(value)


@dataclass
class _Row:
    """One data row: cell text by column key, the user's header names, and where to report problems."""

    number: int
    cells: dict[str, str]
    labels: dict[str, str]
    report: CheckReport
    width: int = 0  # cells in this row minus cells in the header (CSV rows can be short or long)

    def __getitem__(self, column: str) -> str:
        return self.cells.get(column, "")

    def error(self, column: str, message: str) -> None:
        self.report.error(message, self.number, self.labels.get(column, column))

    def warn(self, column: str, message: str) -> None:
        self.report.warn(message, self.number, self.labels.get(column, column))


# ---------------------------------------------------------------- reading tables

def _read_cells(path: Path, report: CheckReport, sheet: str,
                header_only: bool = False) -> list[tuple[int, list[str]]] | None:
    """Non-blank rows as (spreadsheet row number, cell texts); the first is the header. None if unreadable.

    Files over the size or row limit (StatusLimits: NTM_STATUS_MAX_MB, NTM_STATUS_MAX_ROWS) are refused before
    they are parsed, or as soon as the limit is passed, so no file can exhaust memory or time.
    """
    if not path.is_file():
        report.error(f"file not found: no such file ({path.name}); check the path or the NTM_COMMUNE_STATUS / NTM_DISTRICT_STATUS "
                     "setting")
        return None
    try:
        limits = StatusLimits.from_env()
    except SettingsError as exc:
        report.error(str(exc))
        return None
    if not _within_size(path, report, limits):
        return None
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        raw = _xlsx_rows(path, report, sheet)
    elif suffix in (".csv", ".txt"):
        raw = _csv_rows(path, report)
    else:
        report.error(_p("unsupported file type '{suffix}'; save the table as .csv (UTF-8) or .xlsx",
                        suffix=path.suffix))
        return None
    if raw is None:
        return None
    rows = _non_blank_rows(raw, report, 0 if header_only else limits.max_rows, stop=header_only)
    if not rows:
        if rows is not None:
            report.error(_p("the file is empty; it needs a header row and one row per commune (or district) and "
                            "year"))
        return None
    _warn_control_characters(rows, report)
    return rows


def _within_size(path: Path, report: CheckReport, limits: StatusLimits) -> bool:
    size = path.stat().st_size
    if size > limits.max_bytes:
        report.error(_p("the file is {size}, over the limit of {limit} for a status file (a province's file is well "
                        "under 1 MB); check that this is the right file, or raise NTM_STATUS_MAX_MB", size=_size(size),
                        limit=_size(limits.max_bytes)))
        return False
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        unpacked = _unpacked_size(path)
        if unpacked > limits.max_bytes * XLSX_EXPANSION:
            report.error(_p("the workbook unpacks to {size}, over the limit of {limit} ({factor} × "
                            "NTM_STATUS_MAX_MB); keep only the status table in it, or raise NTM_STATUS_MAX_MB",
                            size=_size(unpacked), limit=_size(limits.max_bytes * XLSX_EXPANSION),
                            factor=XLSX_EXPANSION))
            return False
    return True


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{n / 1024:.0f} KB"


def _unpacked_size(path: Path) -> int:
    """Total uncompressed size of a workbook's parts (0 if it is not a zip: openpyxl will say so)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            return sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return 0


def _non_blank_rows(raw, report: CheckReport, max_rows: int, stop: bool = False) -> list[tuple[int, list[str]]] | None:
    """(row number, cell texts) of the non-blank rows of a row stream; None (and an error) past the row limit.

    `stop`: only the first non-blank row (the header) is wanted."""
    rows = []
    try:
        for number, cells in enumerate(raw, start=1):
            if all(v is None or v == "" for v in cells):
                continue
            texts = [_cell_text(v) for v in cells]
            if not any(texts):
                continue
            if stop and rows:
                break
            if len(rows) > max_rows:  # the header plus max_rows data rows are allowed
                limit = f"{max_rows:,}"
                report.error(_p("the file has more than {limit} data rows (row {row} is one too many); a status file "
                                "holds one row per commune (or district) and year — check that this is the right "
                                "file, or raise NTM_STATUS_MAX_ROWS", limit=limit, row=number), number)
                return None
            rows.append((number, texts))
    except _StopReading:
        return None
    finally:
        close = getattr(raw, "close", None)
        if close:
            close()  # a workbook stream closes its file
    return rows


# Characters a workbook (XML) cannot store: C0 controls but tab/newline/return, surrogates, U+FFFE/U+FFFF.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _warn_control_characters(rows: list[tuple[int, list[str]]], report: CheckReport) -> None:
    header = rows[0][1]
    for number, cells in rows:
        for pos, text in enumerate(cells):
            found = _CONTROL.search(text)
            if found:
                column = header[pos] if pos < len(header) and header[pos] else None
                code = f"U+{ord(found.group()):04X}"
                report.warn(_p("holds the invisible control character {code}; downloads show it as \ufffd — delete it",
                               code=code), number, column)


def _csv_rows(path: Path, report: CheckReport) -> Iterator[list[str]] | None:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        byte = f"0x{exc.object[exc.start]:02x}"
        report.error(_p("not UTF-8 text (byte {byte} at offset {offset}); {hint}", byte=byte, offset=exc.start,
                        hint=_NOT_UTF8))
        return None
    except OSError as exc:
        report.error(f"cannot read the file ({exc.strerror}); check that it exists and is readable")
        return None
    header = text.split("\n", 1)[0][:CSV_FIELD_LIMIT]
    try:
        delimiter = csv.Sniffer().sniff(header, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    return _csv_stream(text, delimiter, report)


CSV_FIELD_LIMIT = csv.field_size_limit()  # 131,072 characters


def _csv_stream(text: str, delimiter: str, report: CheckReport) -> Iterator[list[str]]:
    """Rows of the CSV text, read lazily; a quote never closed or a giant cell stops it with an error."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    last_line = text.count("\n") + (0 if text.endswith("\n") else 1)
    start = 1  # physical line where the next row starts
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            report.error(_csv_problem(text, start, str(exc)), start)
            raise _StopReading from None
        if reader.line_num > start and reader.line_num >= last_line and _unclosed_quote(text, start):
            report.error(_unclosed(start), start)
            raise _StopReading
        start = reader.line_num + 1
        yield row


class _StopReading(Exception):
    """The CSV cannot be read further; the report already says why."""


def _csv_problem(text: str, start: int, error: str) -> str:
    if "field larger than field limit" in error:
        line = _line(text, start)
        if len(line) > CSV_FIELD_LIMIT:
            limit, length = f"{CSV_FIELD_LIMIT:,}", f"{len(line):,}"
            return _p("a cell holds more than {limit} characters (the line is {length} characters long); status cells "
                      "are short (codes, years, levels, notes): check that this is the right file", limit=limit,
                      length=length)
        return _unclosed(start)
    return _p("cannot parse the CSV ({error}); check the quotes in this line", error=error)


def _unclosed(line: int) -> str:
    return _p("a quote (\") opened on line {line} is never closed, so everything after it was read as one cell; "
              "close the quote or delete it, and check again", line=line)


def _line(text: str, number: int) -> str:
    """Physical line `number` (1-based) of `text`."""
    pos = 0
    for _ in range(number - 1):
        pos = text.find("\n", pos) + 1
        if pos == 0:
            return ""
    end = text.find("\n", pos)
    return text[pos:] if end < 0 else text[pos:end]


def _unclosed_quote(text: str, start: int) -> bool:
    """True when the row starting on line `start` runs to the end of the text inside an open quote."""
    pos = 0
    for _ in range(start - 1):
        pos = text.find("\n", pos) + 1
    try:
        list(csv.reader(io.StringIO(text[pos:], newline=""), strict=True))
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


def _xlsx_rows(path: Path, report: CheckReport, sheet: str) -> Iterator[tuple] | None:
    """The chosen sheet's rows, streamed (openpyxl read-only mode: memory stays flat whatever the size)."""
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken or foreign file
        report.error(workbook_problem(path, exc, csv_too=True))
        return None
    if not wb.worksheets:
        wb.close()
        report.error(_p("the workbook has no worksheet (only charts); put the table on a worksheet"))
        return None
    by_name = {fold(ws.title): ws for ws in wb.worksheets}
    ws = by_name.get(sheet, wb.worksheets[0])
    if len(wb.sheetnames) > 1:
        report.info.append(_p("read sheet '{sheet}' of {sheets}", sheet=ws.title, sheets=", ".join(wb.sheetnames)))
    ws.reset_dimensions()  # read every row, whatever the file declares as its used range
    formula_wb = formula_ws = None
    if _has_formulas(path, ws):
        formula_wb = openpyxl.load_workbook(path, read_only=True, data_only=False)  # readable: opened just above
        formula_ws = formula_wb[ws.title]
        formula_ws.reset_dimensions()
    return _xlsx_stream(wb, ws, formula_wb, formula_ws, report)


def _has_formulas(path: Path, ws) -> bool:
    """True when the sheet's XML holds a formula element (a fast byte scan, no XML parsing)."""
    import zipfile

    with zipfile.ZipFile(path) as zf, zf.open(ws._worksheet_path) as part:  # noqa: SLF001 - the sheet's zip member
        tail = b""
        while chunk := part.read(1 << 20):
            if b"<f>" in tail + chunk or b"<f " in tail + chunk or b":f>" in tail + chunk or b":f " in tail + chunk:
                return True
            tail = chunk[-8:]
    return False


def _xlsx_stream(wb, ws, formula_wb, formula_ws, report: CheckReport) -> Iterator[tuple]:
    """Saved values row by row; a formula cell without a saved value is an error, never a silent blank."""
    from itertools import repeat

    from openpyxl.utils import get_column_letter

    formula_rows = formula_ws.iter_rows(values_only=True) if formula_ws is not None else repeat(())
    try:
        for number, (values, formulas) in enumerate(zip(ws.iter_rows(values_only=True), formula_rows), start=1):
            for pos, (value, formula) in enumerate(zip(values, formulas), start=1):
                if value is None and isinstance(formula, str) and formula.startswith("="):
                    report.error(_p("the formula {formula} has no saved value (the file was written by a program "
                                    "that does not calculate formulas), so it would read as blank; open the file in "
                                    "Excel or LibreOffice and save it, or type the value", formula=formula[:80]),
                                 number, get_column_letter(pos))
            yield values
    except Exception as exc:  # noqa: BLE001 - a damaged sheet part fails while streaming
        report.error(_p("the sheet '{sheet}' is damaged ({error}); open the workbook in Excel or LibreOffice and save "
                        "it again", sheet=ws.title, error=type(exc).__name__))
        raise _StopReading from None
    finally:
        wb.close()
        if formula_wb is not None:
            formula_wb.close()


def _dimensions_without_full_parse(self) -> None:
    """openpyxl 3.1's read-only sheets look for <dimension> with end events, so a sheet without one is parsed to
    its end just to be opened (minutes for a hostile 300,000-row file). Same result, stopping at <sheetData>."""
    from openpyxl.worksheet._reader import DATA_TAG, DIMENSION_TAG
    from openpyxl.worksheet.dimensions import SheetDimension
    from openpyxl.xml.functions import iterparse

    src = self._get_source()
    try:
        for _event, element in iterparse(src, events=("start",)):
            if element.tag == DIMENSION_TAG:
                self._min_column, self._min_row, self._max_column, self._max_row = \
                    SheetDimension.from_tree(element).boundaries
                return
            if element.tag == DATA_TAG:
                return
    finally:
        src.close()


def _patch_openpyxl() -> None:
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    ReadOnlyWorksheet._get_size = _dimensions_without_full_parse  # noqa: SLF001


_patch_openpyxl()


def _map_header(header: list[str], aliases: dict[str, tuple[str, ...]], report: CheckReport,
                header_row: int) -> dict[str, int]:
    """Column key -> position in the row, from the header names the user wrote."""
    lookup = {_key(name): column for column, names in aliases.items() for name in names}
    found: dict[str, int] = {}
    ignored = []
    for pos, name in enumerate(header):
        column = lookup.get(_key(name))
        if column is None:
            ignored += [name] if name else []
            continue
        if column in found:
            report.warn(_p("columns '{first}' and '{second}' both mean {column}; the first is used, delete or "
                           "rename the other", first=header[found[column]], second=name, column=column),
                        header_row, name)
        else:
            found[column] = pos
    if ignored:
        report.info.append(_p("ignored column(s) {columns}", columns=", ".join(repr(n) for n in ignored)))
    return found


def _describe_missing(missing: list[str], aliases: dict[str, tuple[str, ...]]) -> str:
    criteria = [c for c in missing if c in CRITERION_COLUMNS]
    names: list = [_p("'{column}' (or {aliases})", column=c, aliases=", ".join(repr(a) for a in aliases[c][1:]))
                   for c in missing if c not in criteria]
    if criteria:
        listed = f"{criteria[0]}..{criteria[-1]}" if len(criteria) == 19 else ", ".join(criteria)
        names.append(_p("criteria {listed} (one column per criterion: c1..c19, tc1..tc19 or 1..19)", listed=listed))
    return joined_by("; ", names)


# Two columns of the map's "Download the data" files (views/maps.py MAP_COLUMNS), in either language.
DOWNLOAD_MARKS = (both(_l("Map class")), both(_l("Criteria met")))


def _is_data_download(header: list[str]) -> bool:
    """Whether a header is that of the map's data download (a table for reading, not a status file)."""
    cells = {_key(str(cell)) for cell in header}
    return all(any(_key(label) in cells for label in labels) for labels in DOWNLOAD_MARKS)


def data_download_report(path: Path) -> CheckReport | None:
    """A report refusing the map's data download (CSV, or XLSX below its title row), or None for other files:
    read as a status file, it gave missing columns, or districts named after its communes."""
    probe, suffix = CheckReport("commune_status", str(path)), path.suffix.lower()
    raw = _xlsx_rows(path, probe, "communes") if suffix in (".xlsx", ".xlsm") else \
        _csv_rows(path, probe) if suffix in (".csv", ".txt") else None
    filled = ((number, [_cell_text(v) for v in cells]) for number, cells in enumerate(raw or (), start=1))
    first = islice(((number, texts) for number, texts in filled if any(texts)), 3)
    try:
        header = next(((number, texts) for number, texts in first if _is_data_download(texts)), None)
    except _StopReading:  # a cell too large, a quote never closed: the reader says so
        return None
    if header is None:
        return None
    report = CheckReport("commune_status", str(path))
    report.error(_p("this is the map's data download, for reading: it gives how many criteria each commune meets, "
                    "not which, so it cannot be imported; fill in the blank workbook (template.xlsx, linked on the "
                    "upload page) or use the office's report workbook"), header[0])
    return report


def _table(path: Path, report: CheckReport, sheet: str, aliases: dict[str, tuple[str, ...]],
           required: list[str], fallback: tuple[str, ...]) -> list[_Row] | None:
    """The file's data rows with their column keys, or None (and errors) when it cannot be used.

    The first required column (the code) may be replaced by the `fallback` name columns.
    """
    cells = _read_cells(path, report, sheet)
    if cells is None:
        return None
    (header_row, header), data = cells[0], cells[1:]
    columns = _map_header(header, aliases, report, header_row)
    if all(c in columns for c in fallback):
        required = required[1:]
    missing = [c for c in required if c not in columns]
    if missing:
        report.error(_p("missing column(s) {columns}; add them to the header row",
                        columns=_describe_missing(missing, aliases)), header_row)
        return None
    if not data:
        report.error(_p("no status row below the header; add one row per commune (or district) and year, or "
                        "choose the right file"), header_row)
        return None
    labels = {c: header[pos] for c, pos in columns.items()}
    report.features = len(data)
    width = len(header)
    return [_Row(n, {c: row[pos] if pos < len(row) else "" for c, pos in columns.items()}, labels, report,
                 _filled_width(row) - width if _filled_width(row) > width else len(row) - width)
            for n, row in data]


def _filled_width(row: list[str]) -> int:
    """Cells up to the last non-empty one (trailing empty cells, e.g. trailing commas, do not count)."""
    return max((i + 1 for i, v in enumerate(row) if v != ""), default=0)


# ---------------------------------------------------------------- values

def _year(row: _Row, column: str, bounds: tuple[int, int] = YEAR_RANGE, required: bool = True) -> int | None:
    text = row[column]
    if not text:
        if required:
            row.error(column, _p("{column} is blank; write the year, e.g. 2022", column=column))
        return None
    lo, hi = bounds
    if re.fullmatch(r"\d{4}", text) and lo <= int(text) <= hi:
        return int(text)
    row.error(column, _p("'{text}' is not a whole year between {first} and {last}; write e.g. 2022", text=text,
                         first=lo, last=hi))
    return None


def _flag(row: _Row, column: str) -> bool | None:
    value = fold(row[column])
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    row.error(column, _p("criterion value '{value}' not understood; write 1 if met, 0 or blank if not (also "
                         "accepted: x, Đạt/Chưa đạt, true/false, yes/no)", value=row[column]))
    return None


def _level(row: _Row, aliases: dict[str, tuple[str, ...]]) -> str | None:
    value = fold(row["level"]).replace("_", " ").replace("-", " ")
    for key, names in aliases.items():
        if value == key.replace("_", " ") or value in names:
            return key
    what = _p("level '{level}' not understood", level=row["level"]) if value else _p("level is blank")
    row.error("level", _p("{what}; write one of {levels}", what=what, levels=", ".join(aliases)))
    return None


def _provenance(row: _Row) -> str | None:
    value = fold(row["provenance"])
    value = _PROVENANCE_ALIASES.get(value, value)
    url = row["source_url"]
    if not value:
        row.error("provenance", _p("provenance is blank; fill it with official, documented or illustrative"))
        return None
    if value not in PROVENANCES:
        row.error("provenance", _p("provenance '{value}' is not one of official, documented, illustrative; use "
                                   "'illustrative' for values not taken from a source", value=row["provenance"]))
        return None
    if url and not re.match(r"https?://", url, re.IGNORECASE):
        row.error("source_url", _p("source_url '{url}' is not a web address; write the full http(s):// address",
                                   url=url))
    elif value == "documented" and not url:
        row.error("source_url", _p("provenance is 'documented' but source_url is blank; add the address of the "
                                   "public source, or mark the row illustrative"))
    return value


def _check_duplicate(row: _Row, column: str, key: tuple[str, int], seen: dict[tuple[str, int], int]) -> None:
    if key in seen:
        row.error(column, _p("duplicate of row {first} ({column} {code}, year {year}); keep one row per unit and "
                             "year: delete or correct row {first} or row {row}", first=seen[key], column=column,
                             code=key[0], year=key[1], row=row.number))
    else:
        seen[key] = row.number


# ---------------------------------------------------------------- communes

def _ward_code(row: _Row) -> str | None:
    code = row["ward_code"]
    if code:
        if code in units():
            return code
        if code in REMOVED_2020:
            name, new = REMOVED_2020[code]
            row.error("ward_code", _p("code {code} ({name}) no longer exists since 2020-02-01: it became part of "
                                      "{new}; use the 2020 code", code=code, name=name, new=new))
        else:
            row.error("ward_code", _p("unknown ward_code '{code}': not one of Bến Tre's 157 GSO codes (2020-2024); "
                                      "check the code", code=code))
        row.report.unmatched.append(code)
        return None
    name, district = row["name"], row["district"]
    if not (name and district):
        row.error("ward_code", _p("ward_code is blank; fill in the 5-digit GSO code of the commune"))
        return None
    district_code = district_code_for_name(district)
    found = code_for_name(district_code, name) if district_code else None
    if found is None:
        row.error("name", _p("ward_code is blank and no commune '{name}' was found in '{district}'; fill in "
                             "ward_code", name=name, district=district))
        row.report.unmatched.append(f"{name} ({district})")
        return None
    row.warn("ward_code", _p("ward_code is blank; matched by name '{name}' in '{district}' to {code}; add the "
                             "code to be sure", name=name, district=district, code=found))
    return found


def _commune_row(row: _Row, seen: dict[tuple[str, int], int]) -> dict | None:
    """A validated commune record, or None when the row has errors or does not apply."""
    before = len(row.report.errors)
    code, year = _ward_code(row), _year(row, "year")
    if code and year is not None:
        unit = units()[code]
        if not unit.ntm_applicable(year):
            row.warn("ward_code", _p("{code} is {name} in {year}: NTM criteria apply to xã only; row ignored",
                                     code=code, name=unit.name_in(year), year=year))
            return None
        _check_duplicate(row, "ward_code", (code, year), seen)
    met = {c: _flag(row, c) for c in CRITERION_COLUMNS}
    level = _level(row, LEVEL_ALIASES)
    if level and COMMUNE_LEVEL_BY_KEY[level].rank >= 1 and None not in met.values() and not all(met.values()):
        missing = [str(n) for n, c in zip(CRITERION_NUMBERS, CRITERION_COLUMNS) if not met[c]]
        row.error("level", _p("level '{level}' needs all 19 criteria met but only {met} are (missing {missing}); "
                              "fix the level or the criteria", level=level, met=19 - len(missing),
                              missing=", ".join(missing)))
    recognised = _year(row, "year_recognised", RECOGNISED_RANGE, required=False)
    if recognised and year and recognised > year:
        row.warn("year_recognised", _p("year_recognised {recognised} is after the row's year {year}; check both",
                                       recognised=recognised, year=year))
    provenance = _provenance(row)
    if len(row.report.errors) > before:
        return None
    return {"ward_code": code, "year": year, **met, "level": level, "year_recognised": recognised,
            "note": row["note"], "provenance": provenance, "source_url": row["source_url"], "row": row.number}


def _frame(records: list[dict], dtypes: dict) -> pd.DataFrame:
    return pd.DataFrame.from_records(records, columns=list(dtypes)).astype(dtypes)


def _read(path: str | Path, kind: str, sheet: str, aliases: dict, required: list[str], fallback: tuple[str, ...],
          dtypes: dict, parse: Callable[[_Row, dict], dict | None]) -> tuple[pd.DataFrame, CheckReport]:
    path = Path(path)
    report = CheckReport(kind, str(path))
    rows = _table(path, report, sheet, aliases, required, fallback)
    seen: dict[tuple[str, int], int] = {}
    records = [r for r in (_parse_aligned(parse, row, seen) for row in rows or []) if r is not None]
    code_column = next(iter(dtypes))
    report.matched = sorted({r[code_column] for r in records})
    return _frame(records if report.usable else [], dtypes), report


def _parse_aligned(parse: Callable[[_Row, dict], dict | None], row: _Row, seen: dict) -> dict | None:
    """Parse a row; a row with cells missing or extra whose values then fail gets one message saying so."""
    before = len(row.report.errors)
    record = parse(row, seen)
    if row.width == 0 or len(row.report.errors) == before:
        return record
    del row.report.errors[before:]
    row.report.error(_misaligned(row), row.number)
    return None


def _misaligned(row: _Row) -> str:
    width = row.width
    if width > 0:
        return _p("the row has {extra} cell(s) more than the header, so its values sit under the wrong columns; a "
                  "name or note that contains the separator (, or ;) must be in double quotes", extra=width)
    criteria = [c for c in CRITERION_COLUMNS if c in row.labels]
    understood = 0
    for column in criteria:  # criterion cells in a run from the first: where the shift begins
        if fold(row[column]) not in _TRUE | _FALSE:
            break
        understood += 1
    held = (_p(" (it holds {understood} of the {count} criterion cells before the values shift)",
               understood=understood, count=len(criteria)) if criteria and understood < len(criteria) else "")
    return _p("the row has {missing} cell(s) fewer than the header{held}, so the values after the gap sit under the "
              "wrong columns; add the missing cell (an empty cell is two separators in a row, e.g. 1,,1) and check "
              "again", missing=-width, held=held)


def read_commune_status(path: str | Path, year: int | None = None) -> tuple[pd.DataFrame, CheckReport]:
    """Commune status rows (one per xã and year); an empty frame when the report holds errors.

    A workbook not in the project's schema is read as an office layout (title, merged header, marks, headings):
    see office_workbook; `year` then overrides the year in its titles. In the project's schema, `year` (when
    given) keeps that year's rows only.
    """
    path = Path(path)
    if is_office_workbook(path):
        from geo_app.sources.office_workbook import read_office_workbook

        report = CheckReport("commune_status", str(path))
        if not _within_status_size(path, report):
            return _frame([], COMMUNE_DTYPES), report
        records, report = read_office_workbook(path, year, report)
        return _frame(records, COMMUNE_DTYPES), report
    if not _within_status_size(path, early := CheckReport("commune_status", str(path))):
        return _frame([], COMMUNE_DTYPES), early
    frame, report = _read(path, "commune_status", "communes", COMMUNE_HEADERS,
                          ["ward_code", "year", *CRITERION_COLUMNS, "level", "provenance"], ("name", "district"),
                          COMMUNE_DTYPES, _commune_row)
    if year is not None and report.usable:
        held = sorted(set(frame["year"]))
        frame = frame[frame["year"] == year].reset_index(drop=True)
        if frame.empty and held:
            report.error(_p("no row for year {year}; the file holds {years} — pass one of them as the year, or "
                            "none to read every year", year=year, years=", ".join(map(str, held))))
        elif len(held) > 1:
            report.info.append(_p("only the rows of {year} were kept (the file also holds {others})", year=year,
                                  others=", ".join(str(y) for y in held if y != year)))
    return frame, report


XLSX_EXPANSION = 20  # a workbook may unpack to this many times the limit


def _within_status_size(path: Path, report: CheckReport) -> bool:
    """Refuse a status file over the size limit, or a workbook that unpacks far beyond it, before parsing."""
    if not path.is_file():
        return True  # the reader reports a missing file
    try:
        limits = StatusLimits.from_env()
    except SettingsError as exc:
        report.error(str(exc))
        return False
    return _within_size(path, report, limits)


def _aliases(column: str) -> set[str]:
    return {_key(a) for a in COMMUNE_HEADERS.get(column, DISTRICT_HEADERS.get(column, ()))}


def is_office_workbook(path: Path) -> bool:
    """True for a readable .xlsx whose first row is not the project's header (which has a provenance column): the
    first row of its 'communes' (or 'districts') sheet, else of its first sheet that is not empty (an office's
    workbook may start with an empty 'Sheet1')."""
    if path.suffix.lower() not in (".xlsx", ".xlsm") or not path.is_file():
        return False
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - the schema reader reports an unreadable workbook
        return False
    try:
        by_name = {fold(ws.title): ws for ws in wb.worksheets}
        named = by_name.get("communes") or by_name.get("districts")
        for ws in [named] if named is not None else wb.worksheets:
            for cells in ws.iter_rows(values_only=True):
                texts = [_cell_text(v) for v in cells]
                if any(texts):
                    keys = {_key(t) for t in texts}
                    return not keys & _aliases("provenance")  # the project's schema always has a provenance column
        return False
    finally:
        wb.close()


# ---------------------------------------------------------------- districts

def _district_code(row: _Row) -> str | None:
    code = row["district_code"]
    if code in DISTRICTS:
        return code
    if code:
        row.error("district_code", _p("unknown district_code '{code}'; use one of {codes}", code=code,
                                      codes=", ".join(DISTRICTS)))
        row.report.unmatched.append(code)
        return None
    found = district_code_for_name(row["name"]) if row["name"] else None
    if found is None:
        row.error("district_code", _p("district_code is blank; fill in one of {codes}", codes=", ".join(DISTRICTS)))
        return None
    row.warn("district_code", _p("district_code is blank; matched by name '{name}' to {code}; add the code",
                                 name=row["name"], code=found))
    return found


def _district_row(row: _Row, seen: dict[tuple[str, int], int]) -> dict | None:
    before = len(row.report.errors)
    code, year = _district_code(row), _year(row, "year")
    if code and year is not None:
        _check_duplicate(row, "district_code", (code, year), seen)
    level = _level(row, DISTRICT_LEVEL_ALIASES)
    provenance = _provenance(row)
    if len(row.report.errors) > before:
        return None
    return {"district_code": code, "year": year, "level": level, "decision": row["decision"], "note": row["note"],
            "provenance": provenance, "source_url": row["source_url"], "row": row.number}


def read_district_status(path: str | Path, year: int | None = None) -> tuple[pd.DataFrame, CheckReport]:
    """District status rows (one per district and year); an empty frame when the report holds errors.

    A workbook not in the project's schema is read as an office layout (office_districts); `year` then
    overrides the year in its titles."""
    path = Path(path)
    if is_office_workbook(path):
        from geo_app.sources.office_districts import read_office_districts
        from geo_app.sources.office_workbook import load_sheets

        report = CheckReport("district_status", str(path))
        if not _within_status_size(path, report):
            return _frame([], DISTRICT_DTYPES), report
        sheets = load_sheets(path, report)
        records = read_office_districts(path, year, report, sheets) if sheets is not None else []
        return _frame(records, DISTRICT_DTYPES), report
    return _read(path, "district_status", "districts", DISTRICT_HEADERS,
                 ["district_code", "year", "level", "provenance"], ("name",), DISTRICT_DTYPES, _district_row)


def office_tables(path: Path) -> set[str]:
    """Which tables an office-layout workbook holds: "communes" (19 criteria), "districts", both or none."""
    from geo_app.sources.office_districts import holds_commune_table, holds_district_table
    from geo_app.sources.office_workbook import load_sheets

    sheets = load_sheets(path, CheckReport("status", str(path)))
    if not sheets:
        return set()
    return {kind for kind, holds in (("communes", holds_commune_table), ("districts", holds_district_table))
            if holds(sheets)}


def status_tables(path: Path) -> set[str]:
    """Which tables a status file holds ("communes", "districts" or both), from its header or, for an office
    workbook, from the tables found, without reading its rows; a file nothing is found in is read as communes
    (that reader says what is wrong)."""
    if is_office_workbook(path):
        within = _within_status_size(path, CheckReport("status", str(path)))
        return (office_tables(path) if within else set()) or {"communes"}
    cells = _read_cells(path, CheckReport("status", str(path)), "communes", header_only=True) if path.is_file() else None
    header = {_key(h) for h in cells[0][1]} if cells else set()
    criteria = {_key(a) for c in CRITERION_COLUMNS for a in COMMUNE_HEADERS[c]}
    if header & _DISTRICT_ONLY_KEYS and not header & criteria:
        return {"districts"}
    return {"communes", "districts"} if _has_sheet(path, "districts") else {"communes"}


def check_status_file(path: str | Path, year: int | None = None) -> CheckReport:
    """Validate a commune or district status file (or both sheets of one workbook); `year` applies to office
    workbooks, whose titles otherwise give it."""
    path = Path(path)
    year = year if is_office_workbook(path) else None
    tables = status_tables(path)
    if tables == {"districts"}:
        return read_district_status(path, year)[1]
    communes, report = read_commune_status(path, year)
    if "districts" in tables:
        districts, district_report = read_district_status(path, year)
        warn_districts_ahead_of_their_communes(district_report, communes, districts)
        _merge(report, district_report)
    return report


NEEDS_EVERY_XA_NTM = ("huyen_ntm", "hoan_thanh", "huyen_nang_cao")  # QĐ 320/QĐ-TTg (2022): 100 % of its xã NTM


def warn_districts_ahead_of_their_communes(report: CheckReport, communes: pd.DataFrame | None,
                                           districts: pd.DataFrame | None) -> None:
    """A warning for each district and year that `districts` records as huyện NTM (hoàn thành nhiệm vụ, huyện NTM
    nâng cao) while `communes` (the file's rows, over the stored ones where there are) has xã of it not NTM: a
    huyện NTM needs every xã NTM. A warning, not an error: the Prime Minister's decision stands even where the
    commune rows lag behind it. Years with no commune rows for the district are not judged."""
    if communes is None or communes.empty or districts is None or districts.empty:
        return
    known = units()
    xa = communes[~communes["level"].isin(("not_applicable", "no_data"))]
    counts = pd.DataFrame({
        "district_code": [known[c].district_code if c in known else None for c in xa["ward_code"]],
        "year": xa["year"].astype(int).to_numpy(),
        "reached": xa["level"].isin(("ntm", "nang_cao", "kieu_mau")).to_numpy(),
    }).groupby(["district_code", "year"])["reached"].agg(["sum", "size"])
    for row in districts.itertuples():
        key = (row.district_code, int(row.year))
        if row.level not in NEEDS_EVERY_XA_NTM or key not in counts.index:
            continue
        met, total = (int(v) for v in counts.loc[key])
        if met < total:
            report.warn(_p("{district} is recorded as {level} in {year}, but {met} of its {total} xã are NTM in "
                           "the data (a huyện NTM needs every xã NTM, QĐ 320/QĐ-TTg); check the district's result "
                           "or its communes' rows", district=DISTRICTS.get(row.district_code, row.district_code),
                           level=DISTRICT_LEVEL_BY_KEY[row.level].name_vi, year=key[1], met=met, total=total))


def _has_sheet(path: Path, name: str) -> bool:
    """True for a readable workbook that holds a sheet called `name`."""
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return False
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True)
    except Exception:  # noqa: BLE001 - the main reader already reported an unreadable workbook
        return False
    try:
        return name in wb.sheetnames
    finally:
        wb.close()


def _merge(report: CheckReport, other: CheckReport) -> None:
    """Fold a second sheet's report into the first (one file, two sheets)."""
    report.kind = f"{report.kind}+{other.kind}"
    report.features += other.features
    report.matched += other.matched
    report.unmatched += other.unmatched
    report.errors += other.errors
    report.warnings += other.warnings
    report.info += other.info
