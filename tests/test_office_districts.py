"""District results in an office's layout (title rows, merged header over the 9 district criteria, a result
column in words, a province row, a signature block) read into the store, and every way such a sheet goes wrong."""
from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from geo_app import create_app
from geo_app.sources.status_io import check_status_file, read_district_status
from office_fixtures import office_workbook

# district code -> (name as offices write it, marks met of 9, result in words, decision)
RESULTS_2023 = {
    "829": ("Thành phố Bến Tre", 9, "Hoàn thành nhiệm vụ XD NTM", "QĐ 1502/QĐ-TTg"),
    "831": ("Huyện Châu Thành", 7, "Chưa đạt", ""),
    "832": ("Huyện Chợ Lách", 9, "Huyện NTM", "QĐ 1503/QĐ-TTg"),
    "833": ("Huyện Mỏ Cày Nam", 9, "Đạt chuẩn huyện NTM", "QĐ 1611/QĐ-TTg"),
    "834": ("Huyện Giồng Trôm", 8, "", ""),
    "835": ("Huyện Bình Đại", 6, "Chưa đạt chuẩn", ""),
    "836": ("Huyện Ba Tri", 5, None, ""),
    "837": ("Huyện Thạnh Phú", 4, "Chưa đạt", ""),
    "838": ("Huyện Mỏ Cày Bắc", 9, "Huyện nông thôn mới", "QĐ 1690/QĐ-TTg"),
}
EXPECTED_LEVELS = {"829": "hoan_thanh", "831": "chua_dat", "832": "huyen_ntm", "833": "huyen_ntm",
                   "834": "chua_dat", "835": "chua_dat", "836": "chua_dat", "837": "chua_dat", "838": "huyen_ntm"}


def district_sheet(ws, year: int = 2023, results: dict | None = None, criteria: bool = True,
                   title_year: bool = True) -> None:
    """The sheet as a provincial office lays it out."""
    results = RESULTS_2023 if results is None else results
    ws.append(["UBND TỈNH BẾN TRE", None, None, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"])
    ws.append(["BAN CHỈ ĐẠO CÁC CTMTQG", None, None, "Độc lập - Tự do - Hạnh phúc"])
    ws.append([f"KẾT QUẢ XÂY DỰNG HUYỆN NÔNG THÔN MỚI NĂM {year}" if title_year else
               "KẾT QUẢ XÂY DỰNG HUYỆN NÔNG THÔN MỚI"])
    ws.append([])
    marks = [f"{n}" for n in range(1, 10)] if criteria else []
    top = ["STT", "Huyện, thành phố"] + (["Kết quả thực hiện 9 tiêu chí huyện"] + [None] * 8 if criteria else []) \
        + ["Số xã đạt chuẩn NTM", "Kết quả", "Quyết định công nhận", "Ghi chú"]
    ws.append(top)
    if criteria:
        ws.append([None, None] + marks + [None] * 4)
        ws.merge_cells(start_row=5, start_column=3, end_row=5, end_column=11)
        for c in (1, 2, 12, 13, 14, 15):
            ws.merge_cells(start_row=5, start_column=c, end_row=6, end_column=c)
    for i, (code, (name, met, result, decision)) in enumerate(results.items(), start=1):
        row_marks = (["x"] * met + [None] * (9 - met)) if criteria else []
        ws.append([i, name] + row_marks + [f"{i}/{i + 5}", result, decision or None, None])
    ws.append([None, "Toàn tỉnh"] + ([None] * 9 if criteria else []) + ["88/147", None, None, None])
    ws.append([])
    ws.append([None, None, None, None, "KT. TRƯỞNG BAN"])
    ws.append([None, None, None, None, "PHÓ TRƯỞNG BAN"])


def district_workbook(path: Path, **kwargs) -> Path:
    wb = openpyxl.Workbook()
    district_sheet(wb.active, **kwargs)
    wb.active.title = "Huyện"
    wb.save(path)
    return path


def edited(path: Path, row_of_code: str, column: int, value) -> Path:
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    row = 7 + list(RESULTS_2023).index(row_of_code)
    ws.cell(row, column).value = value
    wb.save(path)
    return path


@pytest.fixture()
def fresh(tmp_path, default_settings):
    return create_app({"TESTING": True, "SETTINGS": default_settings, "DATABASE": str(tmp_path / "store.sqlite")})


def cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


# ---------------------------------------------------------------- reading

def test_every_district_level_and_decision_is_read_from_the_office_layout(tmp_path):
    frame, report = read_district_status(district_workbook(tmp_path / "huyen-2023.xlsx"))
    assert report.usable, report.errors
    assert dict(zip(frame["district_code"], frame["level"])) == EXPECTED_LEVELS
    assert set(frame["year"]) == {2023} and set(frame["provenance"]) == {"official"}
    decisions = dict(zip(frame["district_code"], frame["decision"]))
    assert decisions["833"] == "QĐ 1611/QĐ-TTg" and decisions["831"] == ""
    assert set(frame["source_url"]) == {"huyen-2023.xlsx"}
    skipped = {s["why"] for s in report.understanding["skipped"]}
    assert "province total (recomputed, not read)" in skipped and "signature block" in skipped
    meanings = {c["header"]: c["meaning"] for c in report.understanding["columns"]}
    assert meanings["Kết quả"] == "level (result)" and meanings["Quyết định công nhận"] == "decision recognising it"
    assert meanings["Kết quả thực hiện 9 tiêu chí huyện / 4"].startswith("district criterion 4 (Điện)")


def test_a_sheet_with_only_the_result_column_is_read_too(tmp_path):
    frame, report = read_district_status(district_workbook(tmp_path / "results.xlsx", criteria=False))
    assert report.usable, report.errors
    assert dict(zip(frame["district_code"], frame["level"])) == EXPECTED_LEVELS


def test_check_status_file_tells_a_district_workbook_from_a_commune_one(tmp_path):
    report = check_status_file(district_workbook(tmp_path / "huyen.xlsx"))
    assert report.kind == "district_status" and report.usable and len(report.matched) == 9


@pytest.mark.parametrize("code,column,value,fragment", [
    ("832", 10, None, "'Huyện NTM' (read as Huyện NTM) needs all 9 district criteria met but the marks show 8 (missing 8)"),
    ("834", 13, None, None),  # Giồng Trôm: 8 marks, blank result -> chua_dat (no error)
    ("836", 2, "Huyện Ba Tri Mới", "no district 'Huyện Ba Tri Mới' in Bến Tre"),
    ("837", 13, "Huyện NTM kiểu mẫu", "result 'Huyện NTM kiểu mẫu' not understood for a district"),
    ("835", 5, "đạt 80%", "district criterion 3 mark 'đạt 80%' not understood"),
])
def test_wrong_rows_name_sheet_row_column_and_the_fix(tmp_path, code, column, value, fragment):
    path = edited(district_workbook(tmp_path / "huyen.xlsx"), code, column, value)
    frame, report = read_district_status(path)
    if fragment is None:
        assert report.usable and dict(zip(frame["district_code"], frame["level"]))[code] == "chua_dat"
        return
    assert not report.usable and frame.empty
    row = 7 + list(RESULTS_2023).index(code)
    assert any(f"sheet 'Huyện', row {row}, column " in e and fragment in e for e in report.errors), report.errors


def test_all_nine_met_with_a_blank_result_asks_for_the_result(tmp_path):
    path = edited(district_workbook(tmp_path / "huyen.xlsx"), "838", 13, None)
    _, report = read_district_status(path)
    assert any("all 9 district criteria are marked met but the result is blank" in e for e in report.errors)


def test_the_year_comes_from_the_title_or_the_argument(tmp_path):
    path = district_workbook(tmp_path / "no-year.xlsx", title_year=False)
    _, report = read_district_status(path)
    assert any("no year found" in e for e in report.errors)
    frame, report = read_district_status(path, year=2024)
    assert report.usable and set(frame["year"]) == {2024}


# ---------------------------------------------------------------- into the store

def test_import_makes_a_revision_the_district_layer_shows_and_dry_run_says_how(fresh, tmp_path):
    fresh.test_client().get("/api/summary.json")
    path = district_workbook(tmp_path / "ket-qua-huyen-2023.xlsx")
    dry = cli(fresh, "import", "status", str(path), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "-> 833 Huyện Mỏ Cày Nam (district name), 9/9, huyen_ntm" in dry.output
    assert "skipped Huyện!16 'Toàn tỉnh': province total" in dry.output
    result = cli(fresh, "import", "status", str(path), "--note", "Báo cáo BCĐ tỉnh")
    assert result.exit_code == 0, result.output
    assert "district-year(s) changed" in result.output and "revision 3 (status) is now current" in result.output
    ds = fresh.extensions["ntm_store"].dataset()
    stored = ds.district_status[ds.district_status["year"] == 2023]
    assert dict(zip(stored["district_code"], stored["level"])) == EXPECTED_LEVELS
    assert set(stored["provenance"]) == {"official"}
    page = fresh.test_client().get("/?year=2023&layer=district&lang=en").get_data(as_text=True)
    assert "Source: NTM status demo-communes.csv, ket-qua-huyen-2023.xlsx." in page  # each kind of row's file
    summary = fresh.test_client().get("/api/summary.json?year=2023").get_json()["districts"]
    assert {d["code"]: d["level"] for d in summary} == EXPECTED_LEVELS


def test_a_contradicting_district_workbook_leaves_the_store_as_it_was(fresh, tmp_path):
    fresh.test_client().get("/api/summary.json")
    heads = fresh.extensions["ntm_store"].revisions.heads()
    path = edited(district_workbook(tmp_path / "huyen.xlsx"), "832", 10, None)
    result = cli(fresh, "import", "status", str(path))
    assert result.exit_code == 1 and "needs all 9 district criteria met" in result.output
    assert "the store is unchanged" in result.output
    assert fresh.extensions["ntm_store"].revisions.heads() == heads


def test_one_workbook_with_a_commune_sheet_and_a_district_sheet_is_one_revision(fresh, tmp_path):
    fresh.test_client().get("/api/summary.json")
    path, truth = office_workbook(tmp_path / "tong-hop-2023.xlsx", year=2023)
    wb = openpyxl.load_workbook(path)
    district_sheet(wb.create_sheet("Huyện"))
    wb.save(path)
    report = check_status_file(path)
    assert report.kind == "commune_status+district_status" and report.usable, report.errors
    before = fresh.extensions["ntm_store"].revisions.heads()["status"]["id"]
    result = cli(fresh, "import", "status", str(path))
    assert result.exit_code == 0, result.output
    head = fresh.extensions["ntm_store"].revisions.heads()["status"]
    assert head["id"] == before + 1
    ds = fresh.extensions["ntm_store"].dataset()
    stored = ds.district_status[ds.district_status["year"] == 2023]
    assert dict(zip(stored["district_code"], stored["level"])) == EXPECTED_LEVELS
    communes = ds.commune_status[(ds.commune_status["year"] == 2023)].set_index("ward_code")
    assert all(communes.at[code, "level"] == level for (code, _), level in truth.levels.items())


def test_an_editor_previews_and_commits_a_district_workbook_on_the_web(default_settings, tmp_path):
    import io
    import re

    from editor_support import add_user, csrf_token, make_app, page_token, sign_in

    app = make_app(default_settings, tmp_path, UPLOAD_FOLDER=str(tmp_path / "uploads"))
    add_user(app)
    editor = app.test_client()
    assert sign_in(editor).status_code == 302
    data = district_workbook(tmp_path / "ket-qua-huyen-2023.xlsx").read_bytes()
    sent = editor.post("/admin/upload/status", data={"csrf_token": page_token(editor),
                                                     "file": (io.BytesIO(data), "ket-qua-huyen-2023.xlsx")},
                       content_type="multipart/form-data")
    assert sent.status_code == 302, sent.get_data(as_text=True)[:1500]
    uid = re.search(r"/admin/preview/([A-Za-z0-9_-]+)", sent.headers["Location"]).group(1)
    page = editor.get(f"/admin/preview/{uid}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Huyện Mỏ Cày Nam" in html
    assert re.search(r"đọc như bảng tổng hợp của văn phòng: \d+ dòng huyện từ 1 trang tính", html)
    stored = app.extensions["ntm_store"].dataset().district_frame(2023).set_index("district_code")
    ahead = [code for code, level in EXPECTED_LEVELS.items() if level in ("huyen_ntm", "hoan_thanh")
             and stored.at[code, "xa_ntm"] < stored.at[code, "xa_total"]]
    assert ahead and all(f"{stored.at[code, 'district_name']} được ghi là" in html for code in ahead)
    assert html.count("cần 100 % xã đạt chuẩn NTM") == len(ahead)
    # the district-years it changes are counted and listed (the summary said "0 đổi mức đạt … 0 thêm": nothing)
    before = app.extensions["ntm_store"].dataset().district_status
    before = dict(zip(before.loc[before["year"] == 2023, "district_code"], before.loc[before["year"] == 2023, "level"]))
    changed = sorted(code for code, level in EXPECTED_LEVELS.items() if before.get(code) != level)
    assert changed and f"{len(changed)} huyện-năm thay đổi mức đạt" in html
    rows = re.findall(r'<tr data-district-code="(\d+)">', html)
    assert rows == changed
    base = re.search(r'name="base" type="hidden" value="(\d+)"', html).group(1)
    done = editor.post(f"/admin/preview/{uid}/commit", data={"csrf_token": csrf_token(html), "base": base,
                                                              "note": "Báo cáo BCĐ tỉnh 2023"})
    assert done.status_code == 302, done.get_data(as_text=True)[:1500]
    summary = app.test_client().get("/api/summary.json?year=2023").get_json()["districts"]
    assert {d["code"]: d["level"] for d in summary} == EXPECTED_LEVELS
    assert f"{len(changed)} huyện-năm thay đổi mức đạt" in editor.get("/admin/revisions").get_data(as_text=True)


AHEAD = {**RESULTS_2023, "831": ("Huyện Châu Thành", 9, "Huyện NTM", "QĐ 999/QĐ-TTg")}


def ahead_warnings(text: str) -> dict[str, tuple[int, int]]:
    """District name -> (xã NTM, xã) from each warning that a district is recorded ahead of its communes."""
    import re

    return {name: (int(met), int(total)) for name, met, total in re.findall(
        r"(Huyện [^\s].*?|Thành phố .*?) is recorded as [^,]* in 2023, but (\d+) of its (\d+) xã are NTM in the data "
        r"\(a huyện NTM needs every xã NTM, QĐ 320/QĐ-TTg\); check the district's result or its communes' rows", text)}


def test_a_district_recorded_ahead_of_its_communes_is_a_warning(fresh, tmp_path):
    """Mỏ Cày Bắc was stored as huyện NTM nâng cao with 9 of its 12 xã NTM, without a word: a huyện NTM needs
    every xã NTM. Checked against the stored communes (a district sheet alone), or the file's own."""
    from geo_app.domain.units import DISTRICTS

    fresh.test_client().get("/api/summary.json")
    stored = fresh.extensions["ntm_store"].dataset().district_frame(2023).set_index("district_code")
    expected = {DISTRICTS[code]: (int(stored.at[code, "xa_ntm"]), int(stored.at[code, "xa_total"]))
                for code, (_, _, words, _) in AHEAD.items()
                if words in ("Huyện NTM", "Đạt chuẩn huyện NTM", "Huyện nông thôn mới", "Hoàn thành nhiệm vụ XD NTM")
                and stored.at[code, "xa_ntm"] < stored.at[code, "xa_total"]}
    assert "Huyện Châu Thành" in expected  # the demo data: Châu Thành's xã not all NTM in 2023
    path = district_workbook(tmp_path / "huyen-2023.xlsx", results=AHEAD)
    dry = cli(fresh, "import", "status", str(path), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert ahead_warnings(dry.output) == expected

    both, truth = office_workbook(tmp_path / "tong-hop-2023.xlsx", year=2023)
    wb = openpyxl.load_workbook(both)
    district_sheet(wb.create_sheet("Huyện"), results=AHEAD)
    wb.save(both)
    report = check_status_file(both)  # no store: the file's own communes
    assert report.usable
    own = {}
    for (code, _), level in truth.levels.items():
        met, total = own.get(code_district(code), (0, 0))
        own[code_district(code)] = (met + (level != "chua_dat"), total + 1)
    expected_own = {DISTRICTS[code]: own[code] for code, (_, _, words, _) in AHEAD.items()
                    if words in ("Huyện NTM", "Đạt chuẩn huyện NTM", "Huyện nông thôn mới", "Hoàn thành nhiệm vụ XD NTM")
                    and own[code][0] < own[code][1]}
    assert "Huyện Châu Thành" in expected_own
    assert ahead_warnings("\n".join(str(w) for w in report.warnings)) == expected_own


def code_district(code: str) -> str:
    from geo_app.domain.units import units

    return units()[code].district_code
