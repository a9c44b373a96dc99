"""Status workbooks in the layouts provincial and district NTM offices keep, read by finding the table.

A sheet holds title rows ("BẢNG TỔNG HỢP ... NĂM 2023"), a one- or two-row header (merged cells: "Kết quả thực
hiện các tiêu chí" over 19 sub-columns labelled 1..19, TC1..TC19 or the criteria names), then commune rows with
marks (x, ✓, Đạt, 1 / blank, -, 0, Chưa đạt), district heading rows ("I. HUYỆN CHÂU THÀNH"), subtotal rows
("Cộng", "Tổng cộng") and a signature block. Communes are matched by a code column when there is one, else by
name within the district of the nearest heading above. Totals are recomputed from the marks, never trusted.

read_office_workbook(path, year) -> (records, report): records in read_commune_status's schema, provenance
"official", source = the file name; report.understanding says which rows and columns were read as what.
"""
from __future__ import annotations

import hashlib
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from geo_app.domain.criteria import COMMUNE_LEVEL_BY_KEY, COMMUNE_LEVELS, CRITERIA, CRITERION_NUMBERS
from geo_app.domain.textnorm import fold, name_key, nfc, strip_type
from geo_app.domain.units import (BECAME_TOWNSHIP_2023, DISTRICTS, REMOVED_2020, code_for_name,
                                  district_code_for_name, merged_into, units)
from geo_app.domain.messages import joined, joined_by, phrase as _p
from geo_app.sources.report import CheckReport, workbook_problem

YEAR_RANGE = (2015, 2030)
HEADER_SEARCH_ROWS = 40  # the header must start within this many rows of the top of a sheet
MAX_SHEET_ROWS = 20_000  # rows read per sheet at most (a province has 157 units)
EXAMPLES = 5

MET = {"x", "1", "dat", "v", "✓", "✔", "☑", "co", "yes", "true", "d"}
NOT_MET = {"", "-", "–", "—", "0", "chua dat", "chua", "khong dat", "no", "false"}
NOT_APPLICABLE = {"khong ap dung", "kad", "k/ad", "n/a", "na", "kap dung", "khong xet"}
SUBTOTAL_WORDS = ("cong", "tong cong", "tong so", "tong", "toan tinh", "toan huyen", "luy ke", "cong huyen",
                  "cong toan")
SIGNATURE_WORDS = ("nguoi lap", "thu truong", "chu tich", "giam doc", "truong phong", "truong ban", "noi nhan",
                   "xac nhan", "ky ten", "ky, ghi ro", "ky ghi ro", "tm.", "kt.", "tm ", "kt ", "ngay thang nam",
                   "pho chu tich", "van phong dieu phoi", "ban chi dao")
NOTE_WORDS = ("ghi chu:", "chu thich", "chu y:", "nguon:", "luu y")
_ROMAN_PREFIX = re.compile(r"^\s*(?:[ivxlc]+|[a-z]|\d+)\s*[.):/-]\s*", re.IGNORECASE)
_CRITERION_LABEL = re.compile(r"^(?:tc|tieu chi|tieu chi so|tc so|c|chi tieu)?\s*(\d{1,2})$")
_STATED_TOTAL = re.compile(r"^(\d{1,2})(?:[.,]0+)?\s*(?:/\s*19|tc|tieu chi)?$")  # folded: "17", "17/19", "17 TC"
_YEAR_IN_TITLE = re.compile(r"\bnam\s+(\d{4})\b")
_DATE_BEFORE = re.compile(r"\bthang\s*\d{1,2}\s*$")  # "... tháng 01 " just before "năm 2024": a date
_ANY_YEAR = re.compile(r"\b(20[1-3]\d)\b")


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return nfc(value)


# ---------------------------------------------------------------- where problems are

@dataclass
class Sheet:
    """One worksheet: cached values and formulas, row by row (index 0 = spreadsheet row 1)."""

    title: str
    values: list[tuple]
    formulas: list[tuple]
    hidden: bool = False  # hidden (or very hidden) in the workbook: its rows are read, and the report says so
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # merged cells: (row, col, last row,
    # last col), 0-based and inclusive; only the first cell of each holds the value

    def fill_merged_rows(self, from_row: int) -> list[str]:
        """Cells merged across rows at or below `from_row` take their first cell's value in every row (as Excel
        shows an "x" merged over three communes' rows: for each of them); returns the ranges filled ("E18:E20")."""
        filled = []
        for r0, c0, r1, c1 in sorted(self.merged):
            if r1 == r0 or r0 < from_row or r0 >= len(self.values):
                continue
            value = self.value(r0, c0)
            for r in range(r0, min(r1, len(self.values) - 1) + 1):
                row = list(self.values[r]) + [None] * max(0, c1 + 1 - len(self.values[r]))
                for c in range(c0, c1 + 1):
                    if row[c] is None:
                        row[c] = value
                self.values[r] = tuple(row)
            filled.append(f"{_column_letter(c0)}{r0 + 1}:{_column_letter(c1)}{r1 + 1}")
        return filled

    def value(self, r: int, c: int) -> object:
        row = self.values[r] if r < len(self.values) else ()
        return row[c] if c < len(row) else None

    def formula(self, r: int, c: int) -> str | None:
        row = self.formulas[r] if r < len(self.formulas) else ()
        raw = row[c] if c < len(row) else None
        return raw if isinstance(raw, str) and raw.startswith("=") else None

    def width(self, r: int) -> int:
        return len(self.values[r]) if r < len(self.values) else 0

    def row_texts(self, r: int) -> list[str]:
        return [_text(self.value(r, c)) for c in range(self.width(r))]


@dataclass
class Layout:
    """How one sheet's table was understood."""

    header_rows: list[int]  # 0-based
    criteria: dict[int, int]  # criterion number -> column
    roles: dict[str, int]  # code, name, district, total, level, recognised, note, year, stt -> column
    headers: dict[int, str]  # column -> header text as written
    first_data_row: int


@dataclass
class Context:
    """What a sheet's rows are read against: its year and the district of the nearest heading."""

    year: int | None
    district: str | None
    district_from: str = ""


@dataclass
class Understanding:
    sheets: list[dict] = field(default_factory=list)
    columns: list[dict] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"sheets": self.sheets, "columns": self.columns, "rows": self.rows, "skipped": self.skipped}


class SheetReader:
    """What every office-table reader shares: where a problem is (file, sheet, row, column) and what was read."""

    def __init__(self, path: Path, year: int | None, report: CheckReport):
        self.path = path
        self.year = year
        self.report = report
        self.understanding = Understanding()
        self.records: list[dict] = []
        self.seen: dict[tuple[str, int], str] = {}

    def warn_if_hidden(self, sheet: Sheet, rows: int) -> None:
        """A hidden sheet is easily an old copy nobody sees in Excel: it is read like the others (`rows` kept; a
        copy of another sheet's year keeps none, each row an error "appears twice"), and the report says so."""
        if sheet.hidden:
            self.warn(_p("this sheet is hidden in the workbook, and it was read as a table ({rows} rows kept); if "
                         "it is an old copy, delete it from the workbook before importing", rows=rows), sheet)

    def where(self, sheet: Sheet, r: int | None = None, c: int | None = None, layout=None) -> str:
        """`layout`: any layout with `headers` (column -> header text)."""
        parts: list = [_p("{file}, sheet '{sheet}'", file=self.report.name, sheet=sheet.title)]
        if r is not None:
            parts.append(_p(", row {row}", row=r + 1))
        if c is not None:
            header = layout.headers.get(c, "") if layout else ""
            parts += [_p(", column {column}", column=_column_letter(c)), f" ({header})" if header else ""]
        return joined(*parts)

    def error(self, message: str, sheet: Sheet, r: int | None = None, c: int | None = None, layout=None) -> None:
        self.report.errors.append(joined(self.where(sheet, r, c, layout), ": ", message))

    def warn(self, message: str, sheet: Sheet, r: int | None = None, c: int | None = None, layout=None) -> None:
        self.report.warnings.append(joined(self.where(sheet, r, c, layout), ": ", message))

    def skip(self, sheet: Sheet, r: int, why: str, text: str = "") -> None:
        self.understanding.skipped.append({"sheet": sheet.title, "row": r + 1, "text": text[:80], "why": why})

    def describe(self, sheet: Sheet, layout, criterion: Callable[[int], str], meanings: dict[str, str],
                 unused: str) -> None:
        """Say which column was read as what: criteria, then the other roles, then the columns left unread."""
        described = [(c, criterion(n)) for n, c in sorted(layout.criteria.items())]
        described += [(c, meanings[role]) for role, c in sorted(layout.roles.items(), key=lambda kv: kv[1])]
        used = set(layout.criteria.values()) | set(layout.roles.values())
        described += [(c, unused) for c, header in sorted(layout.headers.items()) if c not in used and header]
        for c, meaning in described:
            self.understanding.columns.append({"sheet": sheet.title, "column": _column_letter(c),
                                               "header": layout.headers.get(c, ""), "meaning": meaning})


class Reader(SheetReader):
    """Reads one workbook's commune tables; collects records, report entries and the understanding."""

    def __init__(self, path: Path, year: int | None, report: CheckReport):
        super().__init__(path, year, report)
        self.formula_totals = 0  # total cells that are formulas without a saved result (recomputed)

    # ---- the workbook
    def read(self, sheets: list[Sheet]) -> None:
        for sheet in sheets:
            self.read_sheet(sheet)
        if not self.understanding.sheets or all(s["status"] != "read" for s in self.understanding.sheets):
            if not self.report.errors:
                self.report.error(_p("no sheet holds a table with the 19 criteria as columns (labelled 1..19, "
                                     "TC1..TC19 or the criteria names, under a header such as 'Kết quả thực hiện các "
                                     "tiêu chí'); use the layout of /template.xlsx or the project's CSV schema"))
        self.report.features = len(self.understanding.rows)

    def read_sheet(self, sheet: Sheet) -> None:
        layout = find_layout(sheet)
        if layout is None:
            self.understanding.sheets.append({"name": sheet.title, "status": "skipped",
                                              "why": _p("no header with the 19 criteria columns")})
            return
        if isinstance(layout, str):  # a header was found but it is incomplete
            self.error(layout, sheet)
            self.understanding.sheets.append({"name": sheet.title, "status": "error", "why": layout})
            return
        year, year_from = self.sheet_year(sheet, layout)
        context = Context(year=year, district=None)
        context.district, context.district_from = _district_from_titles(sheet, layout)
        district_from = context.district_from
        self.describe_columns(sheet, layout)
        filled = sheet.fill_merged_rows(layout.first_data_row)
        if filled:
            self.warn(_p("cells merged across rows ({ranges}) were read as their value in each of those rows, as "
                         "Excel shows them; check those rows in the preview, or unmerge the cells and fill each row",
                         ranges=", ".join(filled[:10]) + (" …" if len(filled) > 10 else "")), sheet)
        before = len(self.understanding.rows)
        self.formula_totals = 0
        self.read_rows(sheet, layout, context)
        self.warn_if_hidden(sheet, len(self.understanding.rows) - before)
        self.understanding.sheets.append({
            "name": sheet.title, "status": "read", "year": context.year, "year_from": year_from,
            "header_rows": [r + 1 for r in layout.header_rows], "first_data_row": layout.first_data_row + 1,
            "district": district_from or _p("from the heading rows"), "communes": len(self.understanding.rows) - before,
            "totals_recomputed": self.formula_totals})

    def sheet_year(self, sheet: Sheet, layout: Layout) -> tuple[int | None, str]:
        found, source = _title_year(sheet, layout)
        named = _sheet_name_year(sheet)
        if found is not None and named is not None and named != found:
            self.warn(_p("the title says {found} ({source}) but the sheet's name '{sheet}' says {named}; check "
                         "which year the table is", found=found, source=source, sheet=sheet.title, named=named),
                      sheet)
        if self.year is not None:
            if found is not None and found != self.year:
                self.warn(_p("the title says {found} ({source}) but year {year} was given; {year} is used",
                             found=found, source=source, year=self.year), sheet)
            return self.year, _p("given (--year)")
        if found is None and "year" not in layout.roles:
            self.error(_p("no year found: not in the title rows above the header (e.g. '... NĂM 2023'), not in "
                          "the sheet name and no 'Năm' column; write the year in the title or pass --year"), sheet)
        return found, source or (_p("the 'Năm' column") if "year" in layout.roles else "")

    def describe_columns(self, sheet: Sheet, layout: Layout) -> None:
        meanings = {"code": _p("ward_code (GSO code)"), "name": _p("commune name"), "district": _p("district name"),
                    "total": _p("criteria met (recomputed from the marks, not trusted)"),
                    "level": _p("level (result)"), "recognised": _p("year recognised"), "note": _p("note"),
                    "year": _p("year"), "stt": _p("row number (ignored)")}
        self.describe(sheet, layout, lambda n: f"c{n} ({CRITERIA[n - 1].name_vi})", meanings, _p("ignored"))

    # ---- rows
    def read_rows(self, sheet: Sheet, layout: Layout, context: Context) -> None:
        signed = False
        last = min(len(sheet.values), layout.first_data_row + MAX_SHEET_ROWS)
        if len(sheet.values) > last:
            self.error(_p("more than {limit} rows; a province has 157 units — remove the extra rows",
                          limit=MAX_SHEET_ROWS), sheet)
        for r in range(layout.first_data_row, last):
            texts = sheet.row_texts(r)
            if not any(texts):
                continue
            lead = _lead_text(texts, layout)
            key = fold(lead)
            marks = [texts[c] if c < len(texts) else "" for c in layout.criteria.values()]
            code_text = texts[layout.roles["code"]] if "code" in layout.roles and layout.roles["code"] < len(texts) else ""
            if signed or _is_signature(key):
                signed = True
                self.skip(sheet, r, _p("signature block"), lead)
                continue
            if _is_subtotal(key):
                self.skip(sheet, r, _p("subtotal row (recomputed, not read)"), lead)
                continue
            if any(key.startswith(w) for w in NOTE_WORDS):
                self.skip(sheet, r, _p("note below the table"), lead)
                continue
            heading = _district_heading(texts, layout) if not code_text and not any(m for m in marks) else None
            if heading:
                context.district, context.district_from = heading, _p("heading row {row}: {text}", row=r + 1, text=lead)
                self.skip(sheet, r, _p("district heading: {district}", district=DISTRICTS[heading]), lead)
                continue
            self.read_commune_row(sheet, layout, context, r, texts)

    def read_commune_row(self, sheet: Sheet, layout: Layout, context: Context, r: int, texts: list[str]) -> None:
        errors_before = len(self.report.errors)
        year = context.year
        if "year" in layout.roles:
            year = self.row_year(sheet, layout, r, texts) or year
        matched = self.match_commune(sheet, layout, context, r, texts, year)
        if matched is None:
            return
        code, how = matched
        unit = units()[code]
        label = _cell(texts, layout.roles.get("name")) or unit.name
        if year is not None and not unit.ntm_applicable(year):
            became = _p(" (became thị trấn in 2023, NQ 724/NQ-UBTVQH15)") if code in BECAME_TOWNSHIP_2023 else ""
            self.skip(sheet, r, _p("{code} {name} is a {type} in {year}{became}: NTM criteria apply to xã only",
                                   code=code, name=unit.name_in(year), type=unit.type_in(year).lower(), year=year,
                                   became=became), label)
            marked = any(fold(_cell(texts, c)).strip(" .") in MET for c in layout.criteria.values()) or \
                level_from_words(_cell(texts, layout.roles.get("level"))) in ("ntm", "nang_cao", "kieu_mau")
            if code in BECAME_TOWNSHIP_2023 and marked:  # filled in as a xã: the office may expect it counted
                self.warn(_p("{code} {name} became a thị trấn in 2023 (NQ 724/NQ-UBTVQH15): NTM criteria no longer "
                             "apply to it, so this row's marks and result for {year} were not read",
                             code=code, name=unit.name, year=year), sheet, r)
            return
        marks = self.read_marks(sheet, layout, r, texts, unit.name)
        level = self.read_level(sheet, layout, r, texts, marks)
        recognised = self.row_recognised(sheet, layout, r, texts)
        if len(self.report.errors) > errors_before or year is None or marks is None or level is None:
            return
        met = sum(marks.values())
        self.check_total(sheet, layout, r, met)
        if COMMUNE_LEVEL_BY_KEY[level].rank >= 1 and met < 19:
            missing = ", ".join(str(n) for n in CRITERION_NUMBERS if not marks[f"c{n}"])
            self.error(_p("'{result}' (read as {level}) needs all 19 criteria met but the marks show {met} "
                          "(missing {missing}); fix the result or the marks",
                          result=_cell(texts, layout.roles.get("level")), level=COMMUNE_LEVEL_BY_KEY[level].name_vi,
                          met=met, missing=missing), sheet, r, layout.roles.get("level"), layout)
            return
        key = (code, year)
        where = _p("sheet '{sheet}' row {row} '{text}'", sheet=sheet.title, row=r + 1, text=label)
        if key in self.seen:
            self.error(_p("{code} {name} appears twice for {year} ({first} and {second}); keep one row", code=code,
                          name=unit.name, year=year, first=self.seen[key], second=where), sheet, r)
            return
        self.seen[key] = where
        note = _cell(texts, layout.roles.get("note"))
        self.records.append({"ward_code": code, "year": year, **marks, "level": level, "year_recognised": recognised,
                             "note": note, "provenance": "official", "source_url": self.path.name, "row": r + 1})
        self.understanding.rows.append({"sheet": sheet.title, "row": r + 1, "text": label, "ward_code": code,
                                        "name": unit.name_in(year), "matched_by": how, "year": year,
                                        "criteria_met": met, "level": level})

    def row_year(self, sheet: Sheet, layout: Layout, r: int, texts: list[str]) -> int | None:
        text = _cell(texts, layout.roles["year"])
        if re.fullmatch(r"\d{4}", text) and YEAR_RANGE[0] <= int(text) <= YEAR_RANGE[1]:
            return int(text)
        if text or self.year is None:
            self.error(not_a_year(text), sheet, r, layout.roles["year"], layout)
        return None

    def match_commune(self, sheet: Sheet, layout: Layout, context: Context, r: int, texts: list[str],
                      year: int | None) -> tuple[str, str] | None:
        code_col, name_col = layout.roles.get("code"), layout.roles.get("name")
        for c in (code_col, name_col):
            formula = sheet.formula(r, c) if c is not None else None
            if formula:
                self.error(_p("the cell is a formula ({formula}), not a name or code; type the commune's name "
                              "and GSO code as plain text", formula=formula[:40]), sheet, r, c, layout)
                return None
        raw_code, name = _cell(texts, code_col), _cell(texts, name_col)
        district = context.district
        if "district" in layout.roles:
            written = _cell(texts, layout.roles["district"])
            named = _district_named(written) if written else None
            if named:  # a district column merged down its communes holds the name in its first row only
                context.district, context.district_from = named, _p("district column, row {row}: {text}", row=r + 1,
                                                                       text=written)
            district = context.district
        if raw_code:
            return self.match_code(sheet, layout, r, raw_code, name, year)
        if not name:
            self.error(_p("neither a code nor a name; fill in the commune's GSO code (Mã xã) or delete the row"),
                       sheet, r, code_col if code_col is not None else name_col, layout)
            return None
        code = _code_for(district, name) if district else None
        how = _p("name within {district}", district=DISTRICTS[district]) if district else _p("name")
        if code is None and district is None:
            hits = sorted({h for d in DISTRICTS if (h := _code_for(d, name))})
            if len(hits) == 1:
                code, how = hits[0], _p("name (only unit of this name in the province)")
            elif hits:
                self.error(_p("'{name}' is the name of several units ({codes}); add a district heading row "
                              "above (e.g. 'Huyện Châu Thành') or a Mã xã column", name=name, codes=", ".join(hits)),
                           sheet, r, name_col, layout)
                return None
        if code is not None and self.warn_if_merged_name(sheet, layout, r, code, name):
            how = _p("'{old}', merged into it on 2020-02-01 (NQ 855/NQ-UBTVQH14)", old=name)
        if code is None:
            where = _p(" in {district} ({found})", district=DISTRICTS[district],
                       found=context.district_from) if district else ""
            self.error(_p("no commune '{name}'{where}; check the spelling, the district heading above it, or add "
                          "the GSO code in a Mã xã column", name=name, where=where), sheet, r, name_col, layout)
            self.report.unmatched.append(joined(name, " (", DISTRICTS[district] if district else _p("no district"),
                                                ")"))
            return None
        return code, how

    def match_code(self, sheet: Sheet, layout: Layout, r: int, raw_code: str, name: str,
                   year: int | None) -> tuple[str, str] | None:
        code_col = layout.roles.get("code")
        code = raw_code.zfill(5) if raw_code.isdigit() and len(raw_code) <= 5 else None
        if code in REMOVED_2020:
            old, into = REMOVED_2020[code]
            self.error(_p("code {code} ({old}) no longer exists since 2020-02-01: it became part of {into} {name}; "
                          "use the 2020 code", code=code, old=old, into=into, name=units()[into].name),
                       sheet, r, code_col, layout)
            return None
        if code not in units():
            self.error(_p("'{code}' is not one of Bến Tre's 157 GSO codes (2020-2024); check the code",
                          code=raw_code), sheet, r, code_col, layout)
            self.report.unmatched.append(raw_code)
            return None
        unit = units()[code]
        if name and not _same_unit(code, name):
            self.error(_p("code {code} is {unit} but the row names '{name}'; fix the code or the name", code=code,
                          unit=unit.name, name=name), sheet, r, code_col, layout)
            return None
        self.warn_if_merged_name(sheet, layout, r, code, name)
        return code, _p("code")

    def warn_if_merged_name(self, sheet: Sheet, layout: Layout, r: int, code: str, name: str) -> bool:
        """A row under the name of a unit merged into `code` in 2020 ("Xã Giao Hòa" for Giao Long) is read as
        `code`, with a warning saying so; True if it was such a name."""
        district = units()[code].district_code
        if not name or code_for_name(district, name) or merged_into(district, name) != code:
            return False
        self.warn(_p("'{old}' was merged into {code} {name} on 2020-02-01 (NQ 855/NQ-UBTVQH14); this row is read as "
                     "{name}", old=name, code=code, name=units()[code].name), sheet, r, layout.roles.get("name"),
                  layout)
        return True

    def read_marks(self, sheet: Sheet, layout: Layout, r: int, texts: list[str],
                   unit_name: str) -> dict[str, bool] | None:
        marks: dict[str, bool] = {}
        ok = True
        for number, c in sorted(layout.criteria.items()):
            text = _cell(texts, c)
            value = fold(text).strip(" .")
            if value in MET:
                marks[f"c{number}"] = True
            elif value in NOT_MET:
                formula = sheet.formula(r, c)
                if formula and not text:
                    self.error(_p("the mark is a formula ({formula}) with no saved result; open the file in "
                                  "Excel or LibreOffice and save it, or type x / blank", formula=formula[:40]),
                               sheet, r, c, layout)
                    ok = False
                marks[f"c{number}"] = False
            elif value in NOT_APPLICABLE:
                self.error(_p("'{text}' (not applicable) for {name}, a xã: NTM criteria apply to every xã; mark "
                              "x if met, leave blank if not", text=text, name=unit_name), sheet, r, c, layout)
                ok = False
            else:
                self.error(_p("criterion {number} mark '{text}' not understood; write x (or ✓, Đạt, 1) if met, "
                              "leave blank (or -, 0, Chưa đạt) if not", number=number, text=text[:40]),
                           sheet, r, c, layout)
                ok = False
        return marks if ok else None

    def read_level(self, sheet: Sheet, layout: Layout, r: int, texts: list[str],
                   marks: dict[str, bool] | None) -> str | None:
        c = layout.roles.get("level")
        text = _cell(texts, c)
        met = sum(marks.values()) if marks else 0
        if not text:
            return "ntm" if met == 19 else "chua_dat"
        level = level_from_words(text)
        if level is None and speaks_of_unreached(text):
            self.error(_p("result '{text}' does not say which level the xã has reached (it names one not reached "
                          "or only proposed); write Chưa đạt, Đạt chuẩn NTM, NTM nâng cao or NTM kiểu mẫu",
                          text=text[:60]), sheet, r, c, layout)
        elif level is None:
            self.error(_p("result '{text}' not understood; write Chưa đạt, Đạt chuẩn NTM, NTM nâng cao or NTM "
                          "kiểu mẫu", text=text[:60]), sheet, r, c, layout)
        elif level == "not_applicable":
            self.error(_p("'{text}' (not applicable) for a xã: NTM criteria apply to every xã", text=text),
                       sheet, r, c, layout)
            return None
        return level

    def row_recognised(self, sheet: Sheet, layout: Layout, r: int, texts: list[str]) -> int | None:
        text = _cell(texts, layout.roles.get("recognised"))
        if not text:
            return None
        found = re.search(r"(19|20)\d\d", text)
        if found and 2010 <= int(found.group()) <= YEAR_RANGE[1]:
            return int(found.group())
        self.error(_p("'{text}' is not a year of recognition; write e.g. 2020", text=text), sheet, r,
                   layout.roles["recognised"], layout)
        return None

    def check_total(self, sheet: Sheet, layout: Layout, r: int, met: int) -> None:
        c = layout.roles.get("total")
        if c is None:
            return
        value = sheet.value(r, c)
        if value is None or value == "":
            if sheet.formula(r, c):
                self.formula_totals += 1
            return
        found = _STATED_TOTAL.match(fold(str(value)).strip())
        if found is None:
            return
        stated = int(found.group(1))
        if stated != met:
            self.warn(_p("says {stated} criteria met but the marks show {met}; the marks are used — check the row",
                         stated=stated, met=met), sheet, r, c, layout)


# ---------------------------------------------------------------- finding the table

def _criterion_number(text: str) -> int | None:
    """1..19 for a criterion column label ("7", "TC7", "Tiêu chí 7", "Trường học"); None otherwise."""
    key = fold(text).strip(" .:")
    if not key:
        return None
    found = _CRITERION_LABEL.match(key)
    if found:
        n = int(found.group(1))
        return n if 1 <= n <= 19 else None
    key = re.sub(r"^(?:tc|tieu chi)\s*\d{1,2}\s*[.:-]?\s*", "", key)  # "TC5. Trường học"
    for criterion in CRITERIA:
        name = fold(criterion.name_vi)
        if key == name or (len(key) >= 4 and name.startswith(key)) or key.startswith(name):
            return criterion.number
    return None


def _criteria_in_row(texts: list[str]) -> dict[int, int]:
    """Criterion number -> column for a row of labels; {} for a row of column numbers ((1), (2), ... (25))."""
    found: dict[int, int] = {}
    numbers = [t for t in texts if re.fullmatch(r"\(?\d{1,3}\)?", t)]
    if any(t.startswith("(") for t in numbers) or any(int(t.strip("()")) > 19 for t in numbers):
        return {}
    for c, text in enumerate(texts):
        n = _criterion_number(text)
        if n is not None and n not in found:
            found[n] = c
    return found if len(found) >= 10 else {}


def find_layout(sheet: Sheet) -> Layout | str | None:
    """The table's header and columns; a message when the header lacks criteria; None when there is no table."""
    for r in range(min(HEADER_SEARCH_ROWS, len(sheet.values))):
        criteria = _criteria_in_row(sheet.row_texts(r))
        if not criteria:
            continue
        missing = [n for n in CRITERION_NUMBERS if n not in criteria]
        if missing:
            return _p("row {row}: the header has {found} of the 19 criterion columns (missing {missing}); add a "
                      "column for each criterion, 1..19", row=r + 1, found=len(criteria),
                      missing=", ".join(map(str, missing)))
        top = r
        while top > 0 and r - top < 2 and sum(bool(t) for t in sheet.row_texts(top - 1)) >= 2:
            top -= 1
        header_rows = list(range(top, r + 1))
        headers = _header_texts(sheet, header_rows, set(criteria.values()))
        roles = _roles(headers, set(criteria.values()))
        first = r + 1
        if first < len(sheet.values) and _is_column_numbers(sheet.row_texts(first)):
            first += 1
        return Layout(header_rows, criteria, roles, headers, first)
    return None


def _header_texts(sheet: Sheet, header_rows: list[int], criteria_columns: set[int]) -> dict[int, str]:
    """Header text per column, rows joined with " / "; a merged group title carries over its criteria columns."""
    width = max(sheet.width(r) for r in header_rows)
    out = {}
    carried = {r: "" for r in header_rows}
    for c in range(width):
        parts = []
        for r in header_rows:
            text = _text(sheet.value(r, c))
            if c in criteria_columns and r != header_rows[-1]:
                text = carried[r] = text or carried[r]  # merged cells hold their text in the first column only
            parts.append(text)
        text = " / ".join(p for p in parts if p)
        if text:
            out[c] = text
    return out


def _roles(headers: dict[int, str], criteria_columns: set[int]) -> dict[str, int]:
    roles: dict[str, int] = {}
    for c, text in headers.items():
        if c in criteria_columns:
            continue
        role = _role(fold(text))
        if role and role not in roles:
            roles[role] = c
    return roles


def _role(key: str) -> str | None:
    words = set(re.findall(r"[a-z0-9]+", key))
    if key in ("stt", "tt", "so tt", "so thu tu") or key.startswith("stt"):
        return "stt"
    if "ma" in words or key in ("code", "ward code", "ward_code"):
        return "code"
    if "nam cong nhan" in key or "nam dat chuan" in key or "nam duoc cong nhan" in key:
        return "recognised"
    if key in ("nam", "year"):
        return "year"
    if "ghi chu" in key:
        return "note"
    if "tong" in words or "so tieu chi dat" in key or "so tc dat" in key or "tieu chi dat" in key:
        return "total"
    if any(w in key for w in ("xep loai", "muc dat", "ket qua", "danh gia", "cong nhan", "dat chuan", "muc do")):
        return "level"
    if "huyen" in words and "xa" not in words:
        return "district"
    if words & {"ten", "xa", "phuong", "don", "commune", "name"}:
        return "name"
    return None


def _is_column_numbers(texts: list[str]) -> bool:
    filled = [t for t in texts if t]
    return len(filled) >= 5 and all(re.fullmatch(r"\(?\d{1,3}\)?|[A-Z]", t) for t in filled)


def _title_year(sheet: Sheet, layout: Layout) -> tuple[int | None, str]:
    """The year in the title rows above the header ("NĂM 2023"), else in the sheet's name. A date ("Bến Tre, ngày
    10 tháng 01 năm 2024", the day the table was signed, often above the title) is not the table's year."""
    for r in range(layout.header_rows[0]):
        line = " ".join(t for t in sheet.row_texts(r) if t)
        for found in _YEAR_IN_TITLE.finditer(fold(line)):
            if _DATE_BEFORE.search(fold(line)[:found.start()]):
                continue
            if YEAR_RANGE[0] <= int(found.group(1)) <= YEAR_RANGE[1]:
                return int(found.group(1)), _p("title row {row}: '{text}'", row=r + 1, text=line[:80])
    found = _sheet_name_year(sheet)
    if found:
        return found, _p("sheet name '{sheet}'", sheet=sheet.title)
    return None, ""


def _sheet_name_year(sheet: Sheet) -> int | None:
    found = _ANY_YEAR.search(fold(sheet.title))
    return int(found.group(1)) if found else None


def _district_from_titles(sheet: Sheet, layout: Layout) -> tuple[str | None, str]:
    """A district named by the sheet's name or its title rows (one sheet per district)."""
    code = _district_named(sheet.title)
    if code:
        return code, _p("sheet name '{sheet}'", sheet=sheet.title)
    for r in range(layout.header_rows[0]):
        line = " ".join(t for t in sheet.row_texts(r) if t)
        code = _district_in_line(line)
        if code:
            return code, _p("title row {row}: '{text}'", row=r + 1, text=line[:80])
    return None, ""


def _district_in_line(line: str) -> str | None:
    """The one district a title line names ("... HUYỆN CHỢ LÁCH ...", "TP Bến Tre"), or None."""
    key = fold(line)
    hits = {code for code, name in DISTRICTS.items()
            if re.search(rf"\b(?:huyen|tp\.?|thanh pho)\s+{re.escape(fold(strip_type(name)))}\b", key)}
    return hits.pop() if len(hits) == 1 else None


def _strip_prefix(text: str) -> str:
    return _ROMAN_PREFIX.sub("", nfc(text)).strip(" :.-")


def _district_named(text: str) -> str | None:
    """District code for "I. HUYỆN CHÂU THÀNH", "Huyện Chợ Lách", "TP Bến Tre", "Chợ Lách"."""
    stripped = _strip_prefix(text)
    if not stripped:
        return None
    code = district_code_for_name(stripped)
    if code:
        return code
    key = fold(stripped)
    if key in ("tp ben tre", "tp. ben tre", "thanh pho ben tre", "ben tre"):
        return "829"
    return None


def _district_heading(texts: list[str], layout: Layout) -> str | None:
    """The district a heading row names ("I. HUYỆN CHÂU THÀNH", or "I" | "Huyện Châu Thành"): the row's only
    text left of the criteria, apart from its numbering."""
    first = min(layout.criteria.values())
    words = [t for t in texts[:first] if t and not re.fullmatch(r"[IVXLC]+\.?|\d+\.?|[A-Z]\.?", t.strip())]
    return _district_named(words[0]) if len(words) == 1 else None


def _lead_text(texts: list[str], layout: Layout) -> str:
    """The row's first words: its text cells left of the criteria (STT, name...)."""
    first = min(layout.criteria.values())
    return " ".join(t for t in texts[:first] if t) or " ".join(t for t in texts if t)


def _is_subtotal(key: str) -> bool:
    stripped = fold(_strip_prefix(key))
    return any(stripped == w or stripped.startswith(w + " ") or stripped.startswith(w + ":") for w in SUBTOTAL_WORDS)


def _is_signature(key: str) -> bool:
    return any(w in key for w in SIGNATURE_WORDS) or bool(re.search(r"ngay\s*[.…\d]*\s*thang", key))


def not_a_year(text: str) -> str:
    """The problem of a year cell that holds no year of the range."""
    return _p("'{text}' is not a year between {first} and {last}; write e.g. 2023", text=text, first=YEAR_RANGE[0],
              last=YEAR_RANGE[1])


def _cell(texts: list[str], c: int | None) -> str:
    return texts[c] if c is not None and c < len(texts) else ""


def _code_for(district: str, name: str) -> str | None:
    """A 2020-2024 unit by name within a district, also by its 2023 thị trấn name or a 2019 name merged into it."""
    code = code_for_name(district, name) or merged_into(district, name)
    if code:
        return code
    key = name_key(name)
    return next((c for c, new in BECAME_TOWNSHIP_2023.items()
                 if units()[c].district_code == district and name_key(new) == key), None)


def _same_unit(code: str, name: str) -> bool:
    unit = units()[code]
    key = name_key(name)
    return key in {name_key(unit.name), name_key(unit.name_in(2024))} or merged_into(unit.district_code, name) == code


def level_from_words(text: str) -> str | None:
    """A level key from a result written in words ("Đạt chuẩn NTM nâng cao", "NTM kiểu mẫu", "Chưa đạt"); None
    where the words do not say which level the commune has reached.

    Read clause by clause (split at commas, semicolons and brackets): a clause with "chưa" or "không" says a level
    was not reached, one with "đề nghị", "dự kiến", "phấn đấu"… that it is only proposed. So "Đạt chuẩn NTM, chưa đạt
    chuẩn NTM kiểu mẫu" is NTM and "Chưa đạt chuẩn NTM" is Chưa đạt, but "Chưa đạt NTM nâng cao" (NTM or not?) and
    "Đề nghị xét công nhận NTM nâng cao" (not yet recognised) say no level: None, which the readers report."""
    key = fold(text).strip(" .")
    if key in NOT_APPLICABLE or "khong ap dung" in key:
        return "not_applicable"
    if key in ("0", "-"):
        return "chua_dat"
    reached, not_reached, proposed = [], [], False
    for clause in filter(None, (part.strip() for part in re.split(r"[,;()\[\]]|\bnhung\b", key))):
        named = _level_named(clause)
        if only_proposed(clause):
            proposed = True
        elif NOT_REACHED.search(clause) and (named or re.search(r"\bdat\b", clause)
                                                              or clause in ("chua", "khong")):
            not_reached.append(named or "ntm")  # "chưa đạt" alone: not NTM (a remark "(không …)" says nothing)
        elif named:
            reached.append(named)
    rank = {level.key: level.rank for level in COMMUNE_LEVELS}
    if reached:
        best = max(reached, key=rank.__getitem__)
        return best if all(rank[level] > rank[best] for level in not_reached) else None  # "đạt NTM, chưa đạt NTM"
    if proposed or any(level != "ntm" for level in not_reached):
        return None  # proposed only, or not (yet) a level above NTM: NTM or not is not said
    return "chua_dat" if not_reached else None


NOT_REACHED = re.compile(r"\b(chua|khong)\b")  # folded "chưa", "không": a level not (yet) reached
PROPOSED_WORDS = ("de nghi", "du kien", "phan dau", "dang xet", "cho cong nhan", "ke hoach", "dang ky")


def only_proposed(key: str) -> bool:
    """Whether folded words speak of a level only proposed ("đề nghị", "dự kiến", "phấn đấu"…)."""
    return any(word in key for word in PROPOSED_WORDS)


def speaks_of_unreached(text: str) -> bool:
    """Whether a result's words speak of a level not reached or only proposed ("chưa", "không", "đề nghị"…)."""
    key = fold(text)
    return bool(NOT_REACHED.search(key)) or only_proposed(key)


def _level_named(clause: str) -> str | None:
    """The (highest) level a clause names: kiểu mẫu, nâng cao, NTM, or "đạt" / "x" / "1" (NTM)."""
    if "kieu mau" in clause:
        return "kieu_mau"
    if "nang cao" in clause:
        return "nang_cao"
    if "ntm" in clause or "nong thon moi" in clause or "dat chuan" in clause or clause in ("dat", "x", "1"):
        return "ntm"
    return None


# ---------------------------------------------------------------- the workbook

_LAST_READ: dict[tuple, list[Sheet]] = {}  # the last workbook read, by path and content: one import reads it once


def load_sheets(path: Path, report: CheckReport) -> list[Sheet] | None:
    """Every worksheet's values and formulas (read-only, streamed); None (and an error) if not a workbook.

    Finding which tables a file holds and reading each of them share one read of the same file version."""
    try:
        key = (str(path.resolve()), hashlib.sha256(path.read_bytes()).hexdigest())  # size-limited by the callers
    except OSError:
        key = None
    if key in _LAST_READ:
        return _LAST_READ[key]
    sheets = _read_sheets(path, report)
    if sheets is not None and key is not None:
        _LAST_READ.clear()
        _LAST_READ[key] = sheets
    return sheets


def _read_sheets(path: Path, report: CheckReport) -> list[Sheet] | None:
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values_book = openpyxl.load_workbook(path, read_only=True, data_only=True)
            formula_book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a broken or foreign file
        report.error(workbook_problem(path, exc))
        return None
    try:
        sheets = []
        for ws in values_book.worksheets:
            if not hasattr(ws, "iter_rows"):
                continue
            formulas = formula_book[ws.title]
            sheets.append(Sheet(ws.title, _rows(ws), _rows(formulas),
                                hidden=getattr(ws, "sheet_state", "visible") != "visible", merged=_merged_ranges(ws)))
        return sheets
    except Exception as exc:  # noqa: BLE001 - a damaged sheet inside a readable zip
        report.error(_p("a sheet of the workbook cannot be read ({error}); open it in Excel or LibreOffice and "
                        "save it again", error=type(exc).__name__))
        return None
    finally:
        values_book.close()
        formula_book.close()


MERGE_CELL_TAG = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}mergeCell"
MAX_MERGED = 5000  # ranges read per sheet (a table of 157 rows has a few dozen)


def _merged_ranges(ws) -> list[tuple[int, int, int, int]]:
    """The sheet's merged cells, read from its XML (openpyxl's read-only sheets do not expose them)."""
    import xml.etree.ElementTree as ET

    from openpyxl.utils.cell import range_boundaries

    ranges = []
    with ws._get_source() as source:  # openpyxl 3.1 (pinned): the worksheet part inside the workbook's zip
        for _event, element in ET.iterparse(source):
            if element.tag == MERGE_CELL_TAG and len(ranges) < MAX_MERGED:
                try:
                    c0, r0, c1, r1 = range_boundaries(element.get("ref", ""))
                except (TypeError, ValueError):
                    continue
                ranges.append((r0 - 1, c0 - 1, r1 - 1, c1 - 1))
            element.clear()
    return ranges


def _rows(ws) -> list[tuple]:
    out = []
    for i, row in enumerate(ws.iter_rows(values_only=True)):
        if i > MAX_SHEET_ROWS + HEADER_SEARCH_ROWS:
            break
        out.append(tuple(row))
    return out


def read_office_workbook(path: str | Path, year: int | None = None,
                         report: CheckReport | None = None) -> tuple[list[dict], CheckReport]:
    """Commune records from an office-layout workbook, and the report (with .understanding)."""
    path = Path(path)
    report = report or CheckReport("commune_status", str(path))
    sheets = load_sheets(path, report)
    reader = Reader(path, year, report)
    if sheets is not None:
        reader.read(sheets)
    report.understanding = {"layout": "office workbook", **reader.understanding.as_dict()}
    _summarise(report, reader)
    report.matched = sorted({r["ward_code"] for r in reader.records})
    return (reader.records if report.usable else []), report


def _summarise(report: CheckReport, reader: Reader) -> None:
    u = reader.understanding
    read = [s for s in u.sheets if s["status"] == "read"]
    if read:
        report.info.append(_p("read as an office workbook: {rows} commune rows from {count} sheet(s) ({sheets}); "
                              "{skipped} rows skipped (headings, subtotals, phường/thị trấn, signatures)",
                              rows=len(u.rows), count=len(read), sheets=", ".join(s["name"] for s in read),
                              skipped=len(u.skipped)))
    by_name = [r for r in u.rows if r["matched_by"] != "code"]
    if by_name:
        shown = joined_by("; ", [_p("row {row} '{text}' → {code}", row=r["row"], text=r["text"], code=r["ward_code"])
                                 for r in by_name[:EXAMPLES]])
        more = _p("; and {count} more", count=len(by_name) - EXAMPLES) if len(by_name) > EXAMPLES else ""
        report.warnings.append(_p("{file}: {count} communes matched by name (no Mã xã column), e.g. {shown}{more}; "
                                  "add the GSO codes to be sure", file=report.name, count=len(by_name), shown=shown,
                                  more=more))
