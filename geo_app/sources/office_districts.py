"""District results in the layouts NTM offices keep: one row per huyện, read by finding the table.

A sheet holds title rows ("KẾT QUẢ XÂY DỰNG HUYỆN NÔNG THÔN MỚI NĂM 2023"), a one- or two-row header
("Huyện, thành phố" | "Kết quả thực hiện 9 tiêu chí huyện" merged over 1..9 | "Kết quả" | "Quyết định công nhận"),
then one row per district, a "Toàn tỉnh"/"Tổng cộng" row and a signature block. The result column in words
("Huyện NTM", "Hoàn thành nhiệm vụ XD NTM", "Huyện NTM nâng cao", "Chưa đạt") is the level; when the nine
district criteria (QĐ 320/QĐ-TTg) are marked, a level they contradict is an error, not a silent choice.

read_office_districts(path, year, report, sheets) -> records in read_district_status's schema, provenance
"official", source = the file name; report.understanding says which rows and columns were read as what.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from geo_app.domain.criteria import DISTRICT_CRITERIA, DISTRICT_LEVEL_BY_KEY
from geo_app.domain.textnorm import fold
from geo_app.domain.units import DISTRICTS
from geo_app.sources.office_workbook import (HEADER_SEARCH_ROWS, MAX_SHEET_ROWS, MET, NOT_MET, NOTE_WORDS, YEAR_RANGE,
                                             Sheet, SheetReader, _cell, _district_named,
                                             _is_column_numbers, _is_signature, _is_subtotal, _title_year, find_layout,
                                             level_from_words, not_a_year, NOT_REACHED,
                                             only_proposed, speaks_of_unreached)
from geo_app.domain.messages import phrase as _p
from geo_app.sources.report import CheckReport

CITY = "829"  # TP Bến Tre: a city "completes the task" (hoàn thành nhiệm vụ) rather than being "huyện NTM"
DISTRICT_CRITERION_COUNT = len(DISTRICT_CRITERIA)
_LABEL = re.compile(r"^(?:tc|tieu chi|tieu chi so|tc so|chi tieu)?\s*(\d)$")


@dataclass
class DistrictLayout:
    header_rows: list[int]
    criteria: dict[int, int]  # district criterion number -> column
    roles: dict[str, int]  # name, level, decision, note, year, stt -> column
    headers: dict[int, str]
    first_data_row: int


# ---------------------------------------------------------------- finding the table

def _criterion_number(text: str) -> int | None:
    key = fold(text).strip(" .:")
    found = _LABEL.match(key)
    if found:
        n = int(found.group(1))
        return n if 1 <= n <= DISTRICT_CRITERION_COUNT else None
    for number, name_vi, _ in DISTRICT_CRITERIA:
        name = fold(name_vi)
        if len(key) >= 4 and (key == name or name.startswith(key) or key.startswith(name)):
            return number
    return None


def _role(key: str) -> str | None:
    words = set(re.findall(r"[a-z0-9]+", key))
    if key in ("stt", "tt", "so tt", "so thu tu") or key.startswith("stt"):
        return "stt"
    if "quyet dinh" in key or "so qd" in key or words & {"qd", "qđ"}:
        return "decision"
    if "ghi chu" in key:
        return "note"
    if key in ("nam", "year"):
        return "year"
    if words & {"so", "ty", "tyle"} or "%" in key:
        return None  # "Số xã đạt chuẩn", "Tỷ lệ": recomputed from the communes, not read
    if any(w in key for w in ("ket qua", "muc dat", "xep loai", "danh gia", "cong nhan", "dat chuan", "muc do")):
        return "level"
    if words & {"huyen", "don", "dia", "thanh", "ten", "district"}:
        return "name"
    return None


def _header_texts(sheet: Sheet, rows: list[int]) -> dict[int, str]:
    width = max(sheet.width(r) for r in rows)
    carried = {r: "" for r in rows}
    out = {}
    for c in range(width):
        parts = []
        for r in rows:
            text = _cell(sheet.row_texts(r), c)
            if r != rows[-1]:
                below = _cell(sheet.row_texts(rows[-1]), c)
                if not text and below and _criterion_number(below):
                    text = carried[r]  # a merged group title holds its text in its first column only
                carried[r] = text or carried[r]
            parts.append(text)
        text = " / ".join(p for p in parts if p)
        if text:
            out[c] = text
    return out


def find_district_layout(sheet: Sheet) -> DistrictLayout | str | None:
    """The district table's header and columns; a message when it is incomplete; None when there is none."""
    if find_layout(sheet) is not None:
        return None  # a commune table (19 criteria) is read by the commune reader
    for r in range(min(HEADER_SEARCH_ROWS, len(sheet.values))):
        texts = sheet.row_texts(r)
        if not any(_role(fold(t)) == "name" for t in texts if t):
            continue
        rows = [r]
        below = sheet.row_texts(r + 1) if r + 1 < len(sheet.values) else []
        if sum(1 for t in below if t and _criterion_number(t)) >= 5:
            rows.append(r + 1)
        headers = _header_texts(sheet, rows)
        last = sheet.row_texts(rows[-1])
        criteria: dict[int, int] = {}
        for c, text in enumerate(last):
            n = _criterion_number(text) if text else None
            if n is not None and n not in criteria:
                criteria[n] = c
        roles: dict[str, int] = {}
        for c, text in headers.items():
            role = None if c in criteria.values() else _role(fold(text))
            if role and role not in roles:
                roles[role] = c
        first = rows[-1] + 1
        if first < len(sheet.values) and _is_column_numbers(sheet.row_texts(first)):
            first += 1
        if not _names_districts(sheet, roles.get("name"), first):
            continue
        if criteria and len(criteria) < DISTRICT_CRITERION_COUNT:
            missing = ", ".join(str(n) for n, *_ in DISTRICT_CRITERIA if n not in criteria)
            return _p("row {row}: the header has {found} of the {count} district criterion columns (missing "
                      "{missing}); add a column for each, 1..{count}", row=rows[-1] + 1, found=len(criteria),
                      count=DISTRICT_CRITERION_COUNT, missing=missing)
        if "level" not in roles and not criteria:
            return _p("row {row}: a table of districts with no result column ('Kết quả', 'Mức đạt') and no "
                      "criterion columns 1..{count}; add the result of each district", row=r + 1,
                      count=DISTRICT_CRITERION_COUNT)
        return DistrictLayout(rows, criteria, roles, headers, first)
    return None


def _names_districts(sheet: Sheet, name_col: int | None, first: int) -> bool:
    """True when at least two rows below the header name districts of the province."""
    if name_col is None:
        return False
    found = {_district_named(_cell(sheet.row_texts(r), name_col))
             for r in range(first, min(len(sheet.values), first + 60))}
    return len(found - {None}) >= 2


# ---------------------------------------------------------------- reading

_DISTRICT_LEVEL_OF = {"chua_dat": "chua_dat", "ntm": "huyen_ntm", "nang_cao": "huyen_nang_cao"}  # no district kiểu mẫu


def district_level_from_words(text: str) -> str | None:
    """A district level key from a result in words (the communes' words, read the same way, plus "hoàn thành nhiệm
    vụ": "Chưa hoàn thành nhiệm vụ XD NTM" is Chưa đạt)."""
    key = fold(text)
    if "hoan thanh" in key:
        if NOT_REACHED.search(key):
            return "chua_dat"
        return None if only_proposed(key) else "hoan_thanh"
    return _DISTRICT_LEVEL_OF.get(level_from_words(text) or "")


class DistrictReader(SheetReader):
    """Reads the district tables of one workbook; collects records, report entries and the understanding."""

    def read(self, sheets: list[Sheet]) -> None:
        for sheet in sheets:
            layout = find_district_layout(sheet)
            if layout is None:
                self.understanding.sheets.append({"name": sheet.title, "status": "skipped",
                                                  "why": _p("no table of districts")})
            elif isinstance(layout, str):
                self.error(layout, sheet)
                self.understanding.sheets.append({"name": sheet.title, "status": "error", "why": layout})
            else:
                self.read_sheet(sheet, layout)
        if not any(s["status"] == "read" for s in self.understanding.sheets) and not self.report.errors:
            self.report.error(_p("no sheet holds a table of districts (a 'Huyện, thành phố' column and a result "
                                 "column 'Kết quả'); use the project's CSV schema or this layout"))
        self.report.features = len(self.understanding.rows)

    def read_sheet(self, sheet: Sheet, layout: DistrictLayout) -> None:
        year, year_from = _title_year(sheet, layout)
        if self.year is not None:
            year, year_from = self.year, _p("given (--year)")
        elif year is None and "year" not in layout.roles:
            self.error(_p("no year found: not in the title rows above the header (e.g. '... NĂM 2023'), not in "
                          "the sheet name and no 'Năm' column; write the year in the title or pass --year"), sheet)
        self.describe_columns(sheet, layout)
        before = len(self.understanding.rows)
        for r in range(layout.first_data_row, min(len(sheet.values), layout.first_data_row + MAX_SHEET_ROWS)):
            texts = sheet.row_texts(r)
            if not any(texts):
                continue
            lead = _lead_text(texts, layout)
            key = fold(_cell(texts, layout.roles.get("name")) or lead)
            if _is_signature(fold(lead)):
                self.skip(sheet, r, _p("signature block"), lead)
                break
            if _is_subtotal(key) or key.startswith(("toan tinh", "tinh ben tre")):
                self.skip(sheet, r, _p("province total (recomputed, not read)"), lead)
                continue
            if any(fold(lead).startswith(w) for w in NOTE_WORDS):
                self.skip(sheet, r, _p("note below the table"), lead)
                continue
            self.read_row(sheet, layout, r, texts, year)
        self.warn_if_hidden(sheet, len(self.understanding.rows) - before)
        self.understanding.sheets.append({
            "name": sheet.title, "status": "read", "year": year, "year_from": year_from,
            "header_rows": [r + 1 for r in layout.header_rows], "first_data_row": layout.first_data_row + 1,
            "districts": len(self.understanding.rows) - before})

    def describe_columns(self, sheet: Sheet, layout: DistrictLayout) -> None:
        meanings = {"name": _p("district name"), "level": _p("level (result)"),
                    "decision": _p("decision recognising it"), "note": _p("note"), "year": _p("year"),
                    "stt": _p("row number (ignored)")}
        self.describe(sheet, layout, lambda n: _p("district criterion {number} ({name})", number=n,
                                                  name=DISTRICT_CRITERIA[n - 1][1]),
                      meanings, _p("ignored (recomputed from communes)"))

    def read_row(self, sheet: Sheet, layout: DistrictLayout, r: int, texts: list[str], year: int | None) -> None:
        name_col = layout.roles["name"]
        name = _cell(texts, name_col)
        code = _district_named(name)
        if code is None:
            self.error(_p("no district '{name}' in Bến Tre; write e.g. 'Huyện Chợ Lách' or 'TP Bến Tre'",
                          name=name[:60]), sheet, r, name_col, layout)
            self.report.unmatched.append(name)
            return
        if "year" in layout.roles:
            text = _cell(texts, layout.roles["year"])
            if re.fullmatch(r"\d{4}", text) and YEAR_RANGE[0] <= int(text) <= YEAR_RANGE[1]:
                year = int(text)
            elif text or year is None:
                self.error(not_a_year(text), sheet, r, layout.roles["year"], layout)
                return
        errors_before = len(self.report.errors)
        marks = self.read_marks(sheet, layout, r, texts)
        level = self.read_level(sheet, layout, r, texts, code, marks)
        if len(self.report.errors) > errors_before or level is None or year is None:
            return
        if (code, year) in self.seen:
            self.error(_p("{district} appears twice for {year} ({first} and row {row}); keep one row",
                          district=DISTRICTS[code], year=year, first=self.seen[(code, year)], row=r + 1),
                       sheet, r, name_col, layout)
            return
        self.seen[(code, year)] = _p("sheet '{sheet}' row {row}", sheet=sheet.title, row=r + 1)
        self.records.append({"district_code": code, "year": year, "level": level,
                             "decision": _cell(texts, layout.roles.get("decision")),
                             "note": _cell(texts, layout.roles.get("note")), "provenance": "official",
                             "source_url": self.path.name, "row": r + 1})
        met = sum(marks.values()) if marks else None
        self.understanding.rows.append({"sheet": sheet.title, "row": r + 1, "text": name, "district_code": code,
                                        "name": DISTRICTS[code], "matched_by": _p("district name"), "year": year,
                                        "criteria_met": met, "criteria_total": DISTRICT_CRITERION_COUNT if marks else None,
                                        "level": level})

    def read_marks(self, sheet: Sheet, layout: DistrictLayout, r: int, texts: list[str]) -> dict[int, bool] | None:
        if not layout.criteria:
            return None
        marks = {}
        for number, c in sorted(layout.criteria.items()):
            text = _cell(texts, c)
            value = fold(text).strip(" .")
            if value in MET:
                marks[number] = True
            elif value in NOT_MET:
                marks[number] = False
            else:
                self.error(_p("district criterion {number} mark '{text}' not understood; write x (or ✓, Đạt, 1) "
                              "if met, leave blank (or -, 0, Chưa đạt) if not", number=number, text=text[:40]),
                           sheet, r, c, layout)
        return marks

    def read_level(self, sheet: Sheet, layout: DistrictLayout, r: int, texts: list[str], code: str,
                   marks: dict[int, bool] | None) -> str | None:
        c = layout.roles.get("level")
        text = _cell(texts, c)
        if not text:
            if marks and all(marks.values()):
                self.error(_p("all {count} district criteria are marked met but the result is blank; write the "
                              "result (Huyện NTM, Hoàn thành nhiệm vụ, or Chưa đạt while awaiting the decision)",
                              count=DISTRICT_CRITERION_COUNT), sheet, r, c, layout)
                return None
            return "chua_dat"
        level = district_level_from_words(text)
        if level is None and speaks_of_unreached(text):
            self.error(_p("result '{text}' does not say which level the district has reached (it names one not "
                          "reached or only proposed); write Chưa đạt, Huyện NTM, Hoàn thành nhiệm vụ XD NTM or "
                          "Huyện NTM nâng cao", text=text[:60]), sheet, r, c, layout)
            return None
        if level is None:
            self.error(_p("result '{text}' not understood for a district; write Chưa đạt, Huyện NTM, Hoàn thành "
                          "nhiệm vụ XD NTM or Huyện NTM nâng cao", text=text[:60]), sheet, r, c, layout)
            return None
        if code == CITY and level == "huyen_ntm":
            level = "hoan_thanh"  # TP Bến Tre is a city: its "đạt chuẩn" is "hoàn thành nhiệm vụ"
        if DISTRICT_LEVEL_BY_KEY[level].rank >= 1 and marks and not all(marks.values()):
            missing = ", ".join(str(n) for n, met in sorted(marks.items()) if not met)
            self.error(_p("'{text}' (read as {level}) needs all {count} district criteria met but the marks show "
                          "{met} (missing {missing}); fix the result or the marks", text=text[:60],
                          level=DISTRICT_LEVEL_BY_KEY[level].name_vi,
                          count=DISTRICT_CRITERION_COUNT, met=sum(marks.values()), missing=missing),
                       sheet, r, c, layout)
            return None
        return level


def read_office_districts(path: Path, year: int | None, report: CheckReport,
                          sheets: list[Sheet]) -> list[dict]:
    """District records from a workbook's district tables; report.understanding says how it was read."""
    reader = DistrictReader(path, year, report)
    reader.read(sheets)
    report.understanding = {"layout": "office workbook (districts)", **reader.understanding.as_dict()}
    report.matched = sorted({r["district_code"] for r in reader.records})
    read = [s for s in reader.understanding.sheets if s["status"] == "read"]
    if read:
        report.info.append(_p("read as an office workbook: {rows} district rows from {count} sheet(s) ({sheets}); "
                              "{skipped} rows skipped (totals, notes, signatures)",
                              rows=len(reader.understanding.rows), count=len(read),
                              sheets=", ".join(s["name"] for s in read), skipped=len(reader.understanding.skipped)))
    return reader.records if report.usable else []


def _lead_text(texts: list[str], layout: DistrictLayout) -> str:
    """The row's words left of its marks and result (STT, name), or all its words when those are empty."""
    first = min([*layout.criteria.values(), layout.roles.get("level", len(texts)), len(texts)])
    return " ".join(t for t in texts[:first] if t) or " ".join(t for t in texts if t)


def holds_district_table(sheets: list[Sheet]) -> bool:
    return any(find_district_layout(s) is not None for s in sheets)


def holds_commune_table(sheets: list[Sheet]) -> bool:
    return any(find_layout(s) is not None for s in sheets)
