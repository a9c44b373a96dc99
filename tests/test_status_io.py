"""Status file readers: every accepted spelling works, every bad input gives a located, actionable message."""
from __future__ import annotations

import os
from pathlib import Path

import openpyxl
import pytest

from geo_app.sources.status_io import (
    COMMUNE_COLUMNS,
    DISTRICT_COLUMNS,
    check_status_file,
    read_commune_status,
    read_district_status,
)

CRITERIA = [f"c{n}" for n in range(1, 20)]
HEADER = ["ward_code", "year", *CRITERIA, "level", "year_recognised", "note", "provenance", "source_url"]
DISTRICT_HEADER = ["district_code", "year", "level", "decision", "note", "provenance", "source_url"]
URL = "https://example.org/source"
PHU_NHUAN, DAI_DIEN, TIEN_THUY, PHUONG_AN_HOI = "28798", "29188", "28861", "28777"


def row(code: str = PHU_NHUAN, year: object = 2022, met: int = 19, level: str = "ntm", recognised: object = 2020,
        provenance: str = "illustrative", url: str = "", note: str = "") -> list:
    return [code, year, *([1] * met + [0] * (19 - met)), level, recognised, note, provenance, url]


def write_csv(path: Path, rows: list[list], header: list[str] = HEADER, sep: str = ",",
              encoding: str = "utf-8") -> Path:
    lines = [sep.join(header)] + [sep.join("" if v is None else str(v) for v in r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


def only_error(report) -> str:
    assert len(report.errors) == 1, report.errors
    return report.errors[0]


# ---------------------------------------------------------------- good input

def test_good_csv_gives_typed_frame(tmp_path):
    path = write_csv(tmp_path / "good.csv", [row(), row(DAI_DIEN, 2022, 18, "chua_dat", "")])
    frame, report = read_commune_status(path)
    assert report.usable and report.errors == [] and report.warnings == []
    assert list(frame.columns) == COMMUNE_COLUMNS
    assert report.features == 2 and report.matched == [PHU_NHUAN, DAI_DIEN]
    first, second = frame.iloc[0], frame.iloc[1]
    assert first["ward_code"] == PHU_NHUAN and first["year"] == 2022 and first["level"] == "ntm"
    assert first["year_recognised"] == 2020 and frame["year_recognised"].dtype == "Int64"
    assert second["year_recognised"] is not None and str(second["year_recognised"]) == "<NA>"
    assert frame[CRITERIA].dtypes.eq(bool).all()
    assert int(second[CRITERIA].astype(int).sum()) == 18 and not second["c19"]
    assert list(frame["row"]) == [2, 3]


def test_reading_does_not_modify_the_file(tmp_path):
    path = write_csv(tmp_path / "keep.csv", [row(), row(code="99999")])
    before = (path.read_bytes(), os.stat(path).st_mtime_ns)
    read_commune_status(path)
    check_status_file(path)
    assert (path.read_bytes(), os.stat(path).st_mtime_ns) == before


@pytest.mark.parametrize("text", ["1", "x", "X", "Đạt", "ĐẠT", "dat", "true", "TRUE", "yes", "Yes"])
def test_met_spellings(tmp_path, text):
    r = row(met=18, level="chua_dat", recognised="")
    r[2 + 18] = text  # c19
    frame, report = read_commune_status(write_csv(tmp_path / "s.csv", [r]))
    assert report.usable, report.errors
    assert bool(frame.iloc[0]["c19"]) is True


@pytest.mark.parametrize("text", ["0", "", "Chưa đạt", "chưa đạt", "CHUA DAT", "false", "False", "no", "NO"])
def test_not_met_spellings(tmp_path, text):
    r = row(level="chua_dat", recognised="")
    r[2 + 4] = text  # c5
    frame, report = read_commune_status(write_csv(tmp_path / "s.csv", [r]))
    assert report.usable, report.errors
    assert bool(frame.iloc[0]["c5"]) is False and int(frame.iloc[0][CRITERIA].astype(int).sum()) == 18


@pytest.mark.parametrize("text,key", [
    ("ntm", "ntm"), ("Đạt chuẩn NTM", "ntm"), ("NTM nâng cao", "nang_cao"), ("nang_cao", "nang_cao"),
    ("Nâng cao", "nang_cao"), ("NTM kiểu mẫu", "kieu_mau"), ("kieu_mau", "kieu_mau"), ("model", "kieu_mau"),
    ("Chưa đạt", "chua_dat"), ("chua_dat", "chua_dat"), ("2", "nang_cao"),
])
def test_level_spellings(tmp_path, text, key):
    frame, report = read_commune_status(write_csv(tmp_path / "l.csv", [row(level=text)]))
    assert report.usable, report.errors
    assert frame.iloc[0]["level"] == key


def test_vietnamese_headers_and_aliases(tmp_path):
    header = ["Mã xã", "Năm", *[f"TC{n}" for n in range(1, 11)], *[str(n) for n in range(11, 20)],
              "Mức đạt", "Năm công nhận", "Ghi chú", "Nguồn gốc", "Nguồn"]
    r = row(provenance="Documented", url=URL, note="Cafe\u0301")  # decomposed é becomes NFC
    frame, report = read_commune_status(write_csv(tmp_path / "vi.csv", [r], header=header))
    assert report.usable, report.errors
    rec = frame.iloc[0]
    assert rec["ward_code"] == PHU_NHUAN and rec["provenance"] == "documented" and rec["source_url"] == URL
    assert rec["note"] == "Café" and bool(rec[CRITERIA].all())


def test_semicolon_csv_with_bom(tmp_path):
    path = write_csv(tmp_path / "semi.csv", [row(note="a, b"), row(DAI_DIEN)], sep=";", encoding="utf-8-sig")
    frame, report = read_commune_status(path)
    assert report.usable, report.errors
    assert list(frame["ward_code"]) == [PHU_NHUAN, DAI_DIEN] and frame.iloc[0]["note"] == "a, b"


def test_name_fallback_matches_within_district(tmp_path):
    header = ["name", "district", *HEADER[1:]]
    rows = [["Xã Phú Nhuận", "TP Bến Tre", *row()[1:]], ["phú an hoà", "Châu Thành", *row()[1:]]]
    frame, report = read_commune_status(write_csv(tmp_path / "names.csv", rows, header=header))
    assert report.usable, report.errors
    assert list(frame["ward_code"]) == [PHU_NHUAN, "28825"]  # Phú An Hòa, spelt "Hoà"
    assert len(report.warnings) == 2
    assert "names.csv, row 2, column 'ward_code'" in report.warnings[0] and "matched by name" in report.warnings[0]


def test_name_fallback_unknown_name_is_an_error(tmp_path):
    header = ["ward_code", "name", "district", *HEADER[1:]]
    rows = [["", "Xã Không Có", "Huyện Ba Tri", *row()[1:]]]
    frame, report = read_commune_status(write_csv(tmp_path / "names.csv", rows, header=header))
    message = only_error(report)
    assert message.startswith("names.csv, row 2, column 'name': ") and "fill in ward_code" in message
    assert frame.empty and list(frame.columns) == COMMUNE_COLUMNS


def test_phuong_and_new_township_rows_are_ignored(tmp_path):
    rows = [row(PHUONG_AN_HOI), row(TIEN_THUY, 2023), row(TIEN_THUY, 2022), row()]
    frame, report = read_commune_status(write_csv(tmp_path / "urban.csv", rows))
    assert report.usable, report.errors
    assert sorted(zip(frame["ward_code"], frame["year"])) == [(PHU_NHUAN, 2022), (TIEN_THUY, 2022)]
    assert len(report.warnings) == 2
    assert report.warnings[0].startswith("urban.csv, row 2, column 'ward_code': ")
    assert "Phường An Hội" in report.warnings[0]
    assert "Thị trấn Tiên Thủy in 2023" in report.warnings[1] and report.warnings[1].startswith("urban.csv, row 3")
    assert all("NTM criteria apply to xã only; row ignored" in w for w in report.warnings)


# ---------------------------------------------------------------- bad rows

def _dup(rows):
    rows.append(row())


def _set(index, value):
    def change(rows):
        rows[0][index] = value
    return change


BAD_ROWS = {
    "unknown code": (_set(0, "99999"), "ward_code", "unknown ward_code '99999'"),
    "2019 code": (_set(0, "28816"), "ward_code", "became part of 28813"),
    "duplicate": (_dup, "ward_code", "duplicate of row 2"),
    "criterion value": (_set(2 + 6, "maybe"), "c7", "criterion value 'maybe' not understood"),
    "year text": (_set(1, "năm 2022"), "year", "not a whole year"),
    "year range": (_set(1, 2031), "year", "between 2015 and 2030"),
    "level word": (_set(21, "good"), "level", "level 'good' not understood"),
    "blank level": (_set(21, ""), "level", "level is blank"),
    "provenance word": (_set(24, "guess"), "provenance", "not one of official, documented, illustrative"),
    "blank provenance": (_set(24, ""), "provenance", "provenance is blank; fill it"),
    "documented no url": (_set(24, "documented"), "source_url", "source_url is blank"),
    "url not web": (_set(25, "javascript:alert(1)"), "source_url", "not a web address"),
    "recognised text": (_set(22, "soon"), "year_recognised", "not a whole year"),
}


@pytest.mark.parametrize("case", BAD_ROWS, ids=list(BAD_ROWS))
def test_bad_row_is_located(tmp_path, case):
    change, column, phrase = BAD_ROWS[case]
    rows = [row()]
    change(rows)
    frame, report = read_commune_status(write_csv(tmp_path / "bad.csv", rows))
    message = only_error(report)
    row_number = len(rows) + 1
    assert message.startswith(f"bad.csv, row {row_number}, column '{column}': "), message
    assert phrase in message
    assert not report.usable and frame.empty and list(frame.columns) == COMMUNE_COLUMNS


def test_ntm_with_missing_criteria_names_them(tmp_path):
    rows = [row(code=DAI_DIEN, recognised=2015) for _ in range(5)]
    for i, r in enumerate(rows):
        r[1] = 2020 + i
    rows[4][2 + 4] = 0  # c5
    rows[4][2 + 11] = "Chưa đạt"  # c12
    frame, report = read_commune_status(write_csv(tmp_path / "demo.csv", rows))
    assert only_error(report) == ("demo.csv, row 6, column 'level': level 'ntm' needs all 19 criteria met but only "
                                  "17 are (missing 5, 12); fix the level or the criteria")


def test_missing_column(tmp_path):
    header = [h for h in HEADER if h not in ("c7", "provenance")]
    rows = [[v for h, v in zip(HEADER, row()) if h in header]]
    frame, report = read_commune_status(write_csv(tmp_path / "cols.csv", rows, header=header))
    message = only_error(report)
    assert message.startswith("cols.csv, row 1: missing column(s) 'provenance' (or 'nguon_goc'); criteria c7 ")
    assert "add them to the header row" in message
    assert frame.empty and list(frame.columns) == COMMUNE_COLUMNS


def test_wrong_encoding_suggests_utf8(tmp_path):
    path = write_csv(tmp_path / "latin.csv", [row(note="Ghi chú")], encoding="cp1258")
    frame, report = read_commune_status(path)
    message = only_error(report)
    assert message.startswith("latin.csv: not UTF-8 text") and "CSV UTF-8" in message
    assert frame.empty


@pytest.mark.parametrize("content, says", [
    (b"", "this is not an Excel workbook"), (b"\n\n", "this is not an Excel workbook"),
    (b"PK\x03\x04 truncated", "not a valid Excel workbook"), (b"\x00" + os.urandom(64), "this is not an Excel workbook"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(504), "old Excel 97-2003 workbook (.xls) named .xlsx"),
], ids=["empty", "blank-lines", "truncated-zip", "random", "renamed-xls"])
def test_not_a_workbook(tmp_path, content, says):
    """A renamed .xls read "not a valid Excel workbook (BadZipFile: File is not a zip file)"."""
    path = tmp_path / "broken.xlsx"
    path.write_bytes(content)
    frame, report = read_commune_status(path)
    message = only_error(report)
    assert message.startswith("broken.xlsx: ") and says in message, message
    assert "BadZipFile" not in message or says == "not a valid Excel workbook"  # the library's word only there
    assert "save it as .xlsx" in message or "Excel Workbook (.xlsx)" in message
    assert frame.empty and list(frame.columns) == COMMUNE_COLUMNS


@pytest.mark.parametrize("name,content,phrase", [
    ("empty.csv", "", "the file is empty"),
    ("blank.csv", "\n ,,\n", "the file is empty"),
    ("table.ods", "x", "unsupported file type '.ods'"),
])
def test_unusable_files(tmp_path, name, content, phrase):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    frame, report = read_commune_status(path)
    assert phrase in only_error(report) and frame.empty


def test_missing_file_is_reported(tmp_path):
    frame, report = read_commune_status(tmp_path / "nowhere.csv")
    assert "file not found" in only_error(report) and frame.empty
    assert "file not found" in only_error(check_status_file(tmp_path / "nowhere.xlsx"))


def test_ragged_and_junk_rows_never_raise(tmp_path):
    path = tmp_path / "junk.csv"
    path.write_text(",".join(HEADER) + "\n28798,2022\n\"unclosed,\x00\n;;;;\n", encoding="utf-8")
    frame, report = read_commune_status(path)
    assert not report.usable and frame.empty
    assert all(e.startswith("junk.csv") for e in report.errors)


# ---------------------------------------------------------------- xlsx

def test_xlsx_reads_communes_sheet_with_native_cell_types(tmp_path):
    bad_first = [["anything"], ["junk"]]
    good = [HEADER, row(year=2022.0, recognised=2020), row(DAI_DIEN, 2022, met=19, level="ntm", recognised=None)]
    good[2][2:21] = [True] * 19  # Excel booleans
    path = write_xlsx(tmp_path / "book.xlsx", {"notes": bad_first, "communes": good})
    frame, report = read_commune_status(path)
    assert report.usable, report.errors
    assert list(frame["ward_code"]) == [PHU_NHUAN, DAI_DIEN] and list(frame["year"]) == [2022, 2022]
    assert bool(frame[CRITERIA].all().all()) and list(frame["row"]) == [2, 3]


def test_xlsx_first_sheet_when_no_communes_sheet_and_errors_are_located(tmp_path):
    rows = [HEADER, row(), row(), row(level="NTM nâng cao", met=18)]
    rows[2][0] = 28798.0  # a number cell, same code as row 2, same year
    rows[2][1] = 2023
    rows[3][0] = DAI_DIEN
    path = write_xlsx(tmp_path / "Sheet.xlsx", {"Trang 1": rows})
    frame, report = read_commune_status(path)
    message = only_error(report)
    assert message.startswith("Sheet.xlsx, row 4, column 'level': level 'nang_cao' needs all 19 criteria met")
    assert frame.empty


def test_xlsx_duplicate_names_both_rows(tmp_path):
    path = write_xlsx(tmp_path / "dup.xlsx", {"communes": [HEADER, row(), row(DAI_DIEN), row()]})
    message = only_error(read_commune_status(path)[1])
    assert message.startswith("dup.xlsx, row 4, column 'ward_code': duplicate of row 2")
    assert "row 2 or row 4" in message


# ---------------------------------------------------------------- districts

def drow(code="832", year=2022, level="huyen_ntm", provenance="documented", url=URL) -> list:
    return [code, year, level, "QĐ 1503/QĐ-TTg", "", provenance, url]


def test_district_reader_good(tmp_path):
    rows = [drow(), drow("829", level="Hoàn thành nhiệm vụ"), drow("833", level="chưa đạt", provenance="illustrative",
                                                                   url=""), drow("838", level="Huyện NTM nâng cao")]
    frame, report = read_district_status(write_csv(tmp_path / "d.csv", rows, header=DISTRICT_HEADER))
    assert report.usable, report.errors
    assert list(frame.columns) == DISTRICT_COLUMNS
    assert list(frame["level"]) == ["huyen_ntm", "hoan_thanh", "chua_dat", "huyen_nang_cao"]
    assert report.matched == ["829", "832", "833", "838"]


@pytest.mark.parametrize("change,column,phrase", [
    (lambda r: r.__setitem__(0, "999"), "district_code", "unknown district_code '999'"),
    (lambda r: r.__setitem__(2, "famous"), "level", "level 'famous' not understood"),
    (lambda r: r.__setitem__(6, ""), "source_url", "source_url is blank"),
    (lambda r: r.__setitem__(5, "rumour"), "provenance", "not one of official"),
    (lambda r: r.__setitem__(1, "20x2"), "year", "not a whole year"),
])
def test_district_bad_rows(tmp_path, change, column, phrase):
    rows = [drow()]
    change(rows[0])
    frame, report = read_district_status(write_csv(tmp_path / "d.csv", rows, header=DISTRICT_HEADER))
    message = only_error(report)
    assert message.startswith(f"d.csv, row 2, column '{column}': ") and phrase in message
    assert frame.empty and list(frame.columns) == DISTRICT_COLUMNS


def test_district_duplicate_in_xlsx_districts_sheet(tmp_path):
    path = write_xlsx(tmp_path / "both.xlsx", {"communes": [HEADER, row()],
                                              "districts": [DISTRICT_HEADER, drow(), drow("829"), drow()]})
    frame, report = read_district_status(path)
    assert only_error(report).startswith("both.xlsx, row 4, column 'district_code': duplicate of row 2")


def test_check_status_file_tells_communes_from_districts(tmp_path):
    communes = write_csv(tmp_path / "c.csv", [row()])
    districts = write_csv(tmp_path / "d.csv", [drow()], header=DISTRICT_HEADER)
    only_districts = write_xlsx(tmp_path / "d.xlsx", {"districts": [DISTRICT_HEADER, drow("999")]})
    assert check_status_file(communes).kind == "commune_status" and check_status_file(communes).usable
    assert check_status_file(districts).kind == "district_status" and check_status_file(districts).usable
    report = check_status_file(only_districts)
    assert report.kind == "district_status" and "unknown district_code '999'" in only_error(report)


# ---------------------------------------------------------------- rows with cells missing or extra (CSV)

def test_a_row_missing_one_criterion_cell_gets_one_message_saying_so(tmp_path):
    short = row(DAI_DIEN, met=19)
    del short[2 + 6]  # c7's cell is gone, not emptied
    path = write_csv(tmp_path / "short.csv", [row(), short])
    _, report = read_commune_status(path)
    message = only_error(report)
    assert "row 3" in message and "1 cell(s) fewer than the header" in message
    assert "18 of the 19 criterion cells" in message and "1,,1" in message


def test_an_unquoted_separator_in_a_note_gets_one_message_saying_so(tmp_path):
    long = row(DAI_DIEN, note="QĐ 12")
    long[2 + 19] = "ntm,Ghi chú"  # the level cell split in two by a stray comma
    path = write_csv(tmp_path / "long.csv", [row(), long])
    message = only_error(read_commune_status(path)[1])
    assert "row 3" in message and "1 cell(s) more than the header" in message and "double quotes" in message


def test_trailing_separators_and_rows_without_their_optional_last_cells_are_fine(tmp_path):
    trailing = tmp_path / "trailing.csv"
    rows = [",".join(HEADER) + ",,"] + [",".join(str(v) for v in row()) + ",,"]
    trailing.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert read_commune_status(trailing)[1].errors == []
    without_url = tmp_path / "without-url.csv"
    without_url.write_text(",".join(HEADER) + "\n" + ",".join(str(v) for v in row()[:-1]) + "\n", encoding="utf-8")
    frame, report = read_commune_status(without_url)
    assert report.errors == [] and len(frame) == 1
