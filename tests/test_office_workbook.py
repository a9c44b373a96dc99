"""Status workbooks in office layouts: every commune's criteria and level, and the province totals, come back."""
from __future__ import annotations

import json

import openpyxl
import pytest

from geo_app.domain.criteria import CRITERION_COLUMNS
from geo_app.domain.units import BECAME_TOWNSHIP_2023, units, xa_count
from geo_app.sources.status_io import check_status_file, read_commune_status
from office_fixtures import Style, Truth, make_truth, office_workbook


def criteria_of(row) -> list[bool]:
    return [bool(getattr(row, c)) for c in CRITERION_COLUMNS]


def expected_level(truth: Truth, key: tuple[str, int], style: Style) -> str:
    if style.result_column:
        return truth.levels[key]
    return "ntm" if all(truth.criteria[key]) else "chua_dat"  # no result column: level from the marks


def assert_matches_truth(frame, report, truth: Truth, style: Style, years=(2023,)) -> None:
    assert report.usable, report.errors[:5]
    assert set(zip(frame["ward_code"], frame["year"])) == set(truth.levels)
    for row in frame.itertuples():
        key = (row.ward_code, row.year)
        assert criteria_of(row) == truth.criteria[key], key
        assert row.level == expected_level(truth, key, style), key
    assert set(frame["provenance"]) == {"official"}
    assert set(frame["source_url"]) == {report.name}
    for year in years:
        rows = frame[frame["year"] == year]
        totals = truth.totals(year)
        assert len(rows) == totals["xa"] == xa_count(year)
        assert int(rows[list(CRITERION_COLUMNS)].to_numpy().sum()) == totals["criteria_met"]
        if style.result_column:
            assert int(rows["level"].isin(["ntm", "nang_cao", "kieu_mau"]).sum()) == totals["ntm_or_better"]
            assert int(rows["level"].isin(["nang_cao", "kieu_mau"]).sum()) == totals["nang_cao_or_better"]
            assert int((rows["level"] == "kieu_mau").sum()) == totals["kieu_mau"]


STYLES = {
    "codes-2row-digits": Style(),
    "names-2row-digits": Style(codes=False),
    "codes-1row-tc": Style(header_rows=1, labels="tc"),
    "names-2row-criteria-names": Style(codes=False, labels="names"),
    "codes-no-result-column": Style(result_column=False),
    "names-1row-column-numbers": Style(codes=False, header_rows=1, column_numbers_row=True),
}


@pytest.mark.parametrize("name", STYLES)
def test_every_commune_and_the_province_totals(tmp_path, name):
    style = STYLES[name]
    path, truth = office_workbook(tmp_path / f"{name}.xlsx", 2023, style)
    frame, report = read_commune_status(path)
    assert_matches_truth(frame, report, truth, style)
    sheet = report.understanding["sheets"][0]
    assert sheet["year"] == 2023 and "NĂM 2023" in sheet["year_from"]
    assert sheet["totals_recomputed"] == xa_count(2023)  # COUNTIF totals with no saved results
    if not style.codes:
        assert any("matched by name" in w and "and 134 more" in w for w in report.warnings)


def test_one_sheet_per_district(tmp_path):
    style = Style(codes=False, header_rows=1, labels="tc")
    path, truth = office_workbook(tmp_path / "districts.xlsx", 2023, style, per_district=True)
    frame, report = read_commune_status(path)
    assert_matches_truth(frame, report, truth, style)
    sheets = report.understanding["sheets"]
    assert len(sheets) == 9 and sum(s["communes"] for s in sheets) == xa_count(2023)
    assert {s["district"].split(":")[0] for s in sheets} == {"sheet name 'TP Bến Tre'"} | {
        f"sheet name '{s['name']}'" for s in sheets}


def test_one_sheet_per_year_and_the_2023_townships(tmp_path):
    style = Style(codes=False)
    path, truth = office_workbook(tmp_path / "years.xlsx", style=style, years=(2022, 2023))
    frame, report = read_commune_status(path)
    assert_matches_truth(frame, report, truth, style, years=(2022, 2023))
    for code in BECAME_TOWNSHIP_2023:  # a xã in 2022, the same unit as a thị trấn in 2023
        assert ((frame["ward_code"] == code) & (frame["year"] == 2022)).sum() == 1
        assert ((frame["ward_code"] == code) & (frame["year"] == 2023)).sum() == 0
    skipped = [s for s in report.understanding["skipped"] if "became thị trấn in 2023" in s["why"]]
    assert len(skipped) == 3 and {s["sheet"] for s in skipped} == {"Năm 2023"}


def test_understanding_says_what_was_read_as_what(tmp_path):
    path, _ = office_workbook(tmp_path / "u.xlsx", 2023, Style())
    report = check_status_file(path)
    assert report.usable
    u = json.loads(report.dumps())["understanding"]
    columns = {c["column"]: c["meaning"] for c in u["columns"]}
    assert columns["B"].startswith("ward_code") and columns["C"] == "commune name"
    assert columns["D"].startswith("c1 (Quy hoạch)") and columns["V"].startswith("c19")
    assert columns["W"].startswith("criteria met (recomputed") and columns["X"] == "level (result)"
    rows = {r["row"]: r for r in u["rows"]}
    giao_long = next(r for r in u["rows"] if r["ward_code"] == "28813")
    assert giao_long["matched_by"] == "code" and giao_long["name"] == "Xã Giao Long"
    assert all(r["sheet"] == "TH" for r in rows.values())
    whys = " | ".join(s["why"] for s in u["skipped"])
    for reason in ("district heading: Huyện Châu Thành", "subtotal row", "signature block", "is a phường in 2023"):
        assert reason in whys, reason


def test_year_from_argument_overrides_the_title_and_missing_year_is_an_error(tmp_path):
    path, _ = office_workbook(tmp_path / "y.xlsx", 2023, Style())
    frame, report = read_commune_status(path, year=2024)
    assert report.usable and set(frame["year"]) == {2024}
    assert any("the title says 2023" in w for w in report.warnings)
    path, _ = office_workbook(tmp_path / "noyear.xlsx", 2023, Style(title_year=False))
    frame, report = read_commune_status(path)
    assert not report.usable and frame.empty
    assert "no year found" in report.errors[0] and "--year" in report.errors[0] and "sheet 'TH'" in report.errors[0]
    frame, report = read_commune_status(path, year=2023)
    assert report.usable and len(frame) == xa_count(2023)


def _edit(path, cell: str, value) -> None:
    wb = openpyxl.load_workbook(path)
    wb.worksheets[0][cell] = value
    wb.save(path)


def _row_of(path, code: str) -> int:
    ws = openpyxl.load_workbook(path).worksheets[0]
    return next(r for r in range(1, ws.max_row + 1) if str(ws.cell(r, 2).value) == code)


def test_level_contradicting_the_marks_is_an_error_naming_sheet_row_column(tmp_path):
    truth = make_truth(2023)
    code = next(k[0] for k, met in truth.criteria.items() if sum(met) == 17)
    path, _ = office_workbook(tmp_path / "bad.xlsx", 2023, Style(), truth=truth)
    r = _row_of(path, code)
    _edit(path, f"X{r}", "Đạt chuẩn NTM")
    frame, report = read_commune_status(path)
    assert frame.empty and len(report.errors) == 1
    assert report.errors[0].startswith(f"bad.xlsx, sheet 'TH', row {r}, column X (Kết quả): 'Đạt chuẩn NTM' (read as Đạt chuẩn NTM) "
                                       "needs all 19 criteria met but the marks show 17")


def test_text_in_a_criterion_cell_and_unknown_code(tmp_path):
    path, _ = office_workbook(tmp_path / "text.xlsx", 2023, Style())
    r = _row_of(path, "28813")
    _edit(path, f"F{r}", "đạt 80%")
    _edit(path, f"B{r + 1}", 99999)
    _, report = read_commune_status(path)
    assert any(e.startswith(f"text.xlsx, sheet 'TH', row {r}, column F (Kết quả thực hiện các tiêu chí / 3): "
                            "criterion 3 mark 'đạt 80%' not understood") for e in report.errors), report.errors
    assert any(f"row {r + 1}, column B (Mã xã): '99999' is not one of" in e for e in report.errors)


def test_a_stated_total_that_disagrees_is_a_warning_and_the_marks_win(tmp_path):
    path, truth = office_workbook(tmp_path / "total.xlsx", 2023, Style())
    r = _row_of(path, "28813")
    _edit(path, f"W{r}", 3)
    frame, report = read_commune_status(path)
    assert report.usable
    met = sum(truth.criteria[("28813", 2023)])
    assert any(f"row {r}, column W" in w and f"says 3 criteria met but the marks show {met}" in w
               for w in report.warnings)


@pytest.mark.parametrize("stated", ["3/19", "3 TC", "3 tiêu chí", "3.0"])
def test_a_stated_total_written_with_its_unit_is_compared_too(tmp_path, stated):
    """"17/19" in the count column was never compared with the marks, so it could not be found wrong."""
    path, truth = office_workbook(tmp_path / "total.xlsx", 2023, Style())
    r = _row_of(path, "28813")
    _edit(path, f"W{r}", stated)
    frame, report = read_commune_status(path)
    met = sum(truth.criteria[("28813", 2023)])
    assert report.usable and [w for w in report.warnings if f"row {r}, column W" in w
                              and f"says 3 criteria met but the marks show {met}" in w]


def test_code_and_name_that_disagree_is_an_error(tmp_path):
    path, _ = office_workbook(tmp_path / "swap.xlsx", 2023, Style())
    r = _row_of(path, "28813")
    _edit(path, f"C{r}", "Xã Phú Lễ")
    _, report = read_commune_status(path)
    assert any(f"row {r}, column B (Mã xã): code 28813 is Xã Giao Long but the row names 'Xã Phú Lễ'" in e
               for e in report.errors)


def test_name_in_the_wrong_district_heading_is_an_error(tmp_path):
    path, _ = office_workbook(tmp_path / "moved.xlsx", 2023, Style(codes=False))
    ws_book = openpyxl.load_workbook(path)
    ws = ws_book.worksheets[0]
    r = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 2).value == "Xã Giao Long")
    ws.cell(r, 2).value = "Xã Phú Lễ"  # Ba Tri's, written under Châu Thành
    ws_book.save(path)
    _, report = read_commune_status(path)
    assert any(f"row {r}, column B (Tên xã, phường, thị trấn): no commune 'Xã Phú Lễ' in Huyện Châu Thành" in e
               for e in report.errors), report.errors


def test_project_schema_workbooks_still_use_the_schema_reader(tmp_path):
    from geo_app.settings import DEFAULT_DATA_DIR

    demo = DEFAULT_DATA_DIR / "status" / "demo-status.xlsx"
    if not demo.exists():
        pytest.skip("demo workbook not built")
    frame, report = read_commune_status(demo)
    assert report.usable and not report.understanding and set(frame["provenance"]) != {"official"}


def test_data_check_cli_reads_office_workbooks_and_takes_a_year(app, tmp_path):
    from geo_app.cli.data import data_cli

    path, _ = office_workbook(tmp_path / "noyear.xlsx", 2023, Style(title_year=False))
    runner = app.test_cli_runner()
    result = runner.invoke(data_cli, ["check", str(path)])
    assert result.exit_code == 1 and "no year found" in result.output and "--year" in result.output
    result = runner.invoke(data_cli, ["check", str(path), "--year", "2023", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["matched"] == xa_count(2023) and report["understanding"]["sheets"][0]["year"] == 2023


def test_one_row_header_with_a_year_column_and_no_title(tmp_path):
    path = tmp_path / "list.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["STT", "Mã xã", "Tên xã", "Năm"] + [f"TC{n}" for n in range(1, 20)] + ["Mức đạt"])
    ws.append([1, "28813", "Giao Long", 2022] + ["x"] * 19 + ["NTM nâng cao"])
    ws.append([2, "28813", "Giao Long", 2023] + ["x"] * 19 + ["NTM kiểu mẫu"])
    ws.append([3, "29146", "Phú Lễ", 2023] + ["x"] * 18 + [None, None])
    wb.save(path)
    frame, report = read_commune_status(path)
    assert report.usable, report.errors
    got = {(r.ward_code, r.year): (r.level, int(sum(criteria_of(r)))) for r in frame.itertuples()}
    assert got == {("28813", 2022): ("nang_cao", 19), ("28813", 2023): ("kieu_mau", 19),
                   ("29146", 2023): ("chua_dat", 18)}


def test_district_column_merged_down_its_communes(tmp_path):
    """Names only, with a 'Huyện' column whose merged cells hold the district in the first row of each block."""
    path = tmp_path / "merged-district.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["KẾT QUẢ THỰC HIỆN TIÊU CHÍ NTM NĂM 2022"])
    ws.append(["Huyện", "Tên xã"] + [str(n) for n in range(1, 20)])
    ws.append(["Châu Thành", "An Hiệp"] + ["x"] * 19)
    ws.append([None, "Giao Long"] + ["x"] * 18 + [None])
    ws.merge_cells("A3:A4")
    ws.append(["Ba Tri", "An Hiệp"] + [None] * 19)
    ws.append([None, "Phú Lễ"] + ["x"] * 19)
    ws.merge_cells("A5:A6")
    wb.save(path)
    frame, report = read_commune_status(path)
    assert report.usable, report.errors
    got = {r.ward_code: int(sum(criteria_of(r))) for r in frame.itertuples()}
    assert got == {"28855": 19, "28813": 18, "29161": 0, "29146": 19}


def test_year_argument_on_the_project_schema_keeps_that_year(tmp_path):
    from geo_app.settings import DEFAULT_DATA_DIR

    demo = DEFAULT_DATA_DIR / "status" / "demo-communes.csv"
    if not demo.exists():
        pytest.skip("demo status not built")
    everything, _ = read_commune_status(demo)
    frame, report = read_commune_status(demo, year=2022)
    assert report.usable and set(frame["year"]) == {2022}
    assert len(frame) == int((everything["year"] == 2022).sum())
    frame, report = read_commune_status(demo, year=2015)
    assert not report.usable and frame.empty and "no row for year 2015" in report.errors[0]


@pytest.mark.parametrize("words,level", [
    ("Đạt chuẩn NTM nâng cao", "nang_cao"), ("NTM kiểu mẫu", "kieu_mau"), ("Chưa đạt chuẩn NTM", "chua_dat"),
    ("Không đạt", "chua_dat"), ("Đạt chuẩn NTM, chưa đạt chuẩn NTM kiểu mẫu", "ntm"),
    ("Xã NTM nâng cao (QĐ 123/QĐ-UBND)", "nang_cao"), ("Đạt chuẩn NTM (không có ghi chú)", "ntm"),
    ("Chưa đạt NTM nâng cao", None), ("Đề nghị xét công nhận NTM nâng cao năm 2024", None),
    ("Đạt NTM nâng cao; chưa đạt NTM", None), ("Dự kiến đạt NTM kiểu mẫu", None),
])
def test_result_words_are_read_as_the_level_reached(words, level):
    """"Chưa đạt NTM nâng cao" was read as NTM nâng cao and "Đạt chuẩn NTM, chưa đạt chuẩn NTM kiểu mẫu" as kiểu
    mẫu: a level named after "chưa" (not yet) or "đề nghị" (proposed) was taken as reached, and the map showed it.
    A level named as not reached or proposed is not reached; where the words then say no level, none is guessed."""
    from geo_app.sources.office_districts import district_level_from_words
    from geo_app.sources.office_workbook import level_from_words

    assert level_from_words(words) == level
    assert district_level_from_words(words.replace("Xã", "Huyện")) == (
        {"ntm": "huyen_ntm", "nang_cao": "huyen_nang_cao", "chua_dat": "chua_dat"}.get(level) if level != "kieu_mau"
        else None)


@pytest.mark.parametrize("words", ["Chưa đạt NTM nâng cao", "Đề nghị xét công nhận NTM nâng cao năm 2024"])
def test_a_result_that_names_no_level_reached_is_an_error_saying_so(tmp_path, words):
    truth = make_truth(2023)
    code = next(k[0] for k, met in truth.criteria.items() if all(met))
    path, _ = office_workbook(tmp_path / "words.xlsx", 2023, Style(), truth=truth)
    r = _row_of(path, code)
    _edit(path, f"X{r}", words)
    frame, report = read_commune_status(path)
    assert frame.empty and len(report.errors) == 1, report.errors
    assert report.errors[0] == (f"words.xlsx, sheet 'TH', row {r}, column X (Kết quả): result '{words}' does not say "
                                "which level the xã has reached (it names one not reached or only proposed); write "
                                "Chưa đạt, Đạt chuẩn NTM, NTM nâng cao or NTM kiểu mẫu")


def test_a_city_that_has_not_completed_its_task_is_not_read_as_completed():
    from geo_app.sources.office_districts import district_level_from_words

    assert district_level_from_words("Hoàn thành nhiệm vụ XD NTM") == "hoan_thanh"
    assert district_level_from_words("Chưa hoàn thành nhiệm vụ XD NTM") == "chua_dat"
    assert district_level_from_words("Đề nghị công nhận hoàn thành nhiệm vụ XD NTM") is None


def test_the_date_the_table_was_signed_is_not_its_year(tmp_path):
    """A line "Bến Tre, ngày 10 tháng 01 năm 2024" above the title "… NĂM 2023" made the 2023 table a 2024 one, with
    no warning: committing it would have replaced 2024's rows with 2023's figures."""
    path, truth = office_workbook(tmp_path / "dated.xlsx", 2023, Style())
    _edit(path, "M2", "Bến Tre, ngày 10 tháng 01 năm 2024")
    frame, report = read_commune_status(path)
    assert report.usable and not report.warnings, report.warnings
    assert set(frame["year"]) == {2023}
    assert report.understanding["sheets"][0]["year_from"].startswith("title row 3: 'BẢNG TỔNG HỢP")


def test_a_sheet_named_for_another_year_than_its_title_is_a_warning(tmp_path):
    path, truth = office_workbook(tmp_path / "named.xlsx", 2023, Style())
    wb = openpyxl.load_workbook(path)
    wb.worksheets[0].title = "TH 2022"
    wb.save(path)
    frame, report = read_commune_status(path)
    assert set(frame["year"]) == {2023}
    assert [w for w in report.warnings if "the title says 2023 (title row 3:" in w
            and "but the sheet's name 'TH 2022' says 2022; check which year the table is" in w], report.warnings


def test_an_empty_first_sheet_does_not_hide_the_table_after_it(tmp_path):
    """A workbook starting with an empty 'Sheet1' was refused as "the file is empty": only its first sheet was
    looked at to tell an office's layout from the project's schema."""
    path, truth = office_workbook(tmp_path / "sheet1.xlsx", 2023, Style())
    wb = openpyxl.load_workbook(path)
    wb.create_sheet("Sheet1", 0)
    wb.create_sheet("Ghi chu").append(["Số liệu do phòng NN&PTNT tổng hợp"])
    wb.save(path)
    frame, report = read_commune_status(path)
    assert_matches_truth(frame, report, truth, Style())


def test_a_hidden_sheet_is_read_and_the_report_says_it_is_hidden(tmp_path):
    """A hidden old copy "TH 2022 (cu)" was read as 139 rows of 2022 that would replace the stored ones, and the only
    sign was its name among the sheets read."""
    from office_fixtures import write_sheet

    path, truth = office_workbook(tmp_path / "hidden.xlsx", 2023, Style())
    wb = openpyxl.load_workbook(path)
    old = wb.create_sheet("TH 2022 (cu)")
    write_sheet(old, 2022, make_truth(2022), Style(), sorted({u.district_code for u in units().values()}))
    old.sheet_state = "hidden"
    wb.save(path)
    frame, report = read_commune_status(path)
    assert report.usable and set(frame["year"]) == {2022, 2023}
    hidden = [w for w in report.warnings if "hidden" in w]
    rows = int((frame["year"] == 2022).sum())
    assert hidden == [f"hidden.xlsx, sheet 'TH 2022 (cu)': this sheet is hidden in the workbook, and it was read as a "
                      f"table ({rows} rows kept); if it is an old copy, delete it from the workbook before importing"]


def test_a_hidden_copy_of_the_same_year_says_it_is_hidden_beside_its_duplicates(tmp_path):
    """A hidden copy of the 2023 sheet gave 139 errors "appears twice" and never said the sheet was hidden."""
    path, truth = office_workbook(tmp_path / "copy.xlsx", 2023, Style())
    wb = openpyxl.load_workbook(path)
    wb.copy_worksheet(wb.worksheets[0]).sheet_state = "hidden"
    wb.save(path)
    _, report = read_commune_status(path)
    assert not report.usable and any("appears twice" in e for e in report.errors)
    assert [w for w in report.warnings if "this sheet is hidden in the workbook, and it was read as a table (0 rows "
            "kept)" in w], report.warnings


def test_a_code_beside_a_name_merged_away_in_2020_is_read_with_a_warning(tmp_path):
    path, truth = office_workbook(tmp_path / "ma.xlsx", 2023, Style())
    r = _row_of(path, "28813")
    _edit(path, f"C{r}", "Xã Giao Hòa")
    frame, report = read_commune_status(path)
    assert report.usable and "28813" in set(frame["ward_code"])
    assert [w for w in report.warnings if f"row {r}, column C" in w and "'Xã Giao Hòa' was merged into 28813 Xã Giao "
            "Long on 2020-02-01" in w], report.warnings


def test_a_2023_township_row_filled_in_as_a_xa_is_a_warning(tmp_path):
    """Tiên Thủy (a thị trấn since 2023) with all 19 marks in a 2023 table was only listed among the skipped rows:
    the office may expect it counted. Filled in as a xã, it is a warning; marked "Không áp dụng", a skipped row."""
    path, truth = office_workbook(tmp_path / "tt.xlsx", 2023, Style())
    r = _row_of(path, "28861")
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    for c in range(4, 23):
        ws.cell(r, c).value = "x"
    ws.cell(r, 24).value = "Đạt chuẩn NTM"
    wb.save(path)
    frame, report = read_commune_status(path)
    assert report.usable and "28861" not in set(frame["ward_code"])
    assert [w for w in report.warnings if w.startswith(f"tt.xlsx, sheet 'TH', row {r}: 28861 Xã Tiên Thủy became a "
                                                       "thị trấn in 2023 (NQ 724/NQ-UBTVQH15)")], report.warnings
    others = [w for w in report.warnings if "became a thị trấn" in w]
    assert len(others) == 1  # An Thủy and Phước Mỹ Trung, marked "Không áp dụng", are skipped rows only


def _row_named(path, name: str) -> int:
    ws = openpyxl.load_workbook(path).worksheets[0]
    return next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 2).value == name)


def test_a_row_under_a_name_merged_away_in_2020_says_what_it_was_read_as(tmp_path):
    """"Xã Giao Hòa" (merged into Giao Long in 2020) was read as Giao Long with no word but a generic "matched by
    name"; with a Giao Long row too, the error "appears twice" did not say one row read "Giao Hòa"."""
    path, truth = office_workbook(tmp_path / "cu.xlsx", 2023, Style(codes=False))
    r = _row_named(path, "Xã Giao Long")
    _edit(path, f"B{r}", "Xã Giao Hòa")
    frame, report = read_commune_status(path)
    assert report.usable and "28813" in set(frame["ward_code"])
    assert [w for w in report.warnings if w.startswith(f"cu.xlsx, sheet 'TH', row {r}, column B")
            and "'Xã Giao Hòa' was merged into 28813 Xã Giao Long on 2020-02-01 (NQ 855/NQ-UBTVQH14); this row is "
                "read as Xã Giao Long" in w], report.warnings
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    ws.insert_rows(r + 1)
    for c in range(1, ws.max_column + 1):
        ws.cell(r + 1, c).value = ws.cell(r, c).value
    ws.cell(r + 1, 2).value = "Xã Giao Long"
    wb.save(path)
    _, report = read_commune_status(path)
    assert [e for e in report.errors if "28813 Xã Giao Long appears twice for 2023 (sheet 'TH' row "
            f"{r} 'Xã Giao Hòa' and sheet 'TH' row {r + 1} 'Xã Giao Long')" in e], report.errors


def test_cells_merged_down_rows_are_read_in_each_row(tmp_path):
    """An "x" in criterion 5 merged over three communes' rows was read for the first only (the next two "have 18,
    missing 5"), and a "Kết quả" merged over two rows left the second blank, with no word of the merge."""
    truth = make_truth(2023)
    path, _ = office_workbook(tmp_path / "o-gop.xlsx", truth=truth)
    wb = openpyxl.load_workbook(path)
    ws = wb["TH"]
    rows = {r for r in range(1, ws.max_row + 1) if isinstance(ws.cell(r, 1).value, int)}  # commune rows (STT)

    def code(r: int) -> str:
        return str(ws.cell(r, 2).value)

    mark, result = 8, 24  # columns H (criterion 5) and X (Kết quả)
    r0 = min(r for r in rows if all(r + i in rows and truth.criteria[(code(r + i), 2023)][4] for i in range(3)))
    ws.cell(r0, mark).value = "x"
    ws.merge_cells(start_row=r0, start_column=mark, end_row=r0 + 2, end_column=mark)
    r1 = min(r for r in rows if r > r0 + 2 and r + 1 in rows and ws.cell(r, result).value
             and ws.cell(r, result).value == ws.cell(r + 1, result).value)
    ws.merge_cells(start_row=r1, start_column=result, end_row=r1 + 1, end_column=result)
    wb.save(path)
    assert openpyxl.load_workbook(path)["TH"].cell(r0 + 1, mark).value is None  # Excel keeps the first cell only
    frame, report = read_commune_status(path)
    assert_matches_truth(frame, report, truth, Style())
    merged = [w for w in report.warnings if "merged across rows" in w]
    assert len(merged) == 1 and f"H{r0}:H{r0 + 2}, X{r1}:X{r1 + 1}" in merged[0], report.warnings
    assert not [w for w in report.warnings if "merged across rows" in w and "C" + str(r0) in w]
