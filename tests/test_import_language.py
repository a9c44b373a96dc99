"""An office workbook's problems, and how it was read, in the admin page's language: a provincial office reads
"dòng 28, cột F: không hiểu ô đánh dấu tiêu chí 3", while the CLI, the stored reports and the audit log keep
the English text."""
from __future__ import annotations

import io
import json
import pickle
import re

import openpyxl
import pytest

from editor_support import app, editor, page_token  # noqa: F401  (pytest fixtures)
from geo_app.domain.messages import (from_phrase_data, in_language, joined, joined_by, phrase, phrase_data,
                                     phrase_data_text)
from geo_app.sources.office_districts import read_office_districts
from geo_app.sources.office_workbook import load_sheets
from geo_app.sources.report import CheckReport
from geo_app.sources.status_io import read_commune_status
from office_fixtures import Style, office_workbook
from test_office_districts import district_workbook


def _row_of(path, code: str) -> int:
    ws = openpyxl.load_workbook(path).worksheets[0]
    return next(r for r in range(1, ws.max_row + 1) if str(ws.cell(r, 2).value) == code)


def _edit(path, edits: dict) -> None:
    wb = openpyxl.load_workbook(path)
    for cell, value in edits.items():
        wb.worksheets[0][cell] = value
    wb.save(path)


@pytest.fixture()
def flawed_workbook(tmp_path):
    """The office layout with a criterion mark nobody can read and a code that is not Bến Tre's."""
    path, _ = office_workbook(tmp_path / "bao-cao-2023.xlsx", 2023, Style())
    r = _row_of(path, "28813")
    _edit(path, {f"F{r}": "đạt 80%", f"B{r + 1}": 99999})
    return path, r


def _preview(client, path, lang: str = "vi", kind: str = "status") -> str:
    sent = client.post(f"/admin/upload/{kind}", data={"csrf_token": page_token(client),
                                                     "file": (io.BytesIO(path.read_bytes()), path.name)},
                       content_type="multipart/form-data")
    assert sent.status_code == 302, sent.get_data(as_text=True)[:1500]
    uid = re.search(r"/admin/preview/([A-Za-z0-9_-]+)", sent.headers["Location"]).group(1)
    page = client.get(f"/admin/preview/{uid}" + ("?lang=en" if lang == "en" else ""))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    return html[html.index("<main"):html.index("</main>")]


def _errors(html: str) -> list[str]:
    listed = re.search(r'<ul class="report-list errors" id="report-errors">(.*?)</ul>', html, re.S).group(1)
    return [re.sub(r"&#39;", "'", item) for item in re.findall(r"<li>(.*?)</li>", listed, re.S)]


def test_a_workbooks_problems_are_written_in_the_pages_language(editor, flawed_workbook):
    path, r = flawed_workbook
    vi = _errors(_preview(editor, path))
    assert vi == [
        f"bao-cao-2023.xlsx, trang tính 'TH', dòng {r}, cột F (Kết quả thực hiện các tiêu chí / 3): không hiểu ô "
        "đánh dấu tiêu chí 3 'đạt 80%'; ghi x (hoặc ✓, Đạt, 1) nếu đạt, để trống (hoặc -, 0, Chưa đạt) nếu chưa đạt",
        f"bao-cao-2023.xlsx, trang tính 'TH', dòng {r + 1}, cột B (Mã xã): '99999' không thuộc 157 mã TCTK của "
        "Bến Tre (2020-2024); kiểm tra lại mã"]
    # The English page says what the command line and the stored report say, word for word.
    _, report = read_commune_status(path)
    assert _errors(_preview(editor, path, "en")) == [str(e) for e in report.errors]
    assert report.errors[0].startswith(f"bao-cao-2023.xlsx, sheet 'TH', row {r}, column F")


def test_what_to_fix_comes_before_how_the_file_was_read(editor, flawed_workbook):
    html = _preview(editor, flawed_workbook[0])
    assert html.index('id="report-errors"') < html.index("understanding-sheets")
    # Nothing of the importer's own vocabulary: no dumped keys, no English reasons.
    for raw in ("header_rows", "first_data_row", "matched_by", "year_from", "office workbook", "subtotal row",
                "ward_code (GSO code)", "not understood"):
        assert raw not in html, raw


def test_how_the_file_was_read_is_tables_in_the_pages_language(editor, flawed_workbook):
    html = _preview(editor, flawed_workbook[0])
    sheets = re.search(r'<table class="data-table stacked understanding-sheets">(.*?)</table>', html, re.S).group(1)
    assert "<th scope=\"col\">Năm lấy từ</th>" in sheets
    assert re.search(r"<th scope=\"row\">TH</th>\s*<td data-label=\"Đọc\">đã đọc</td>\s*<td data-label=\"Năm\">2023"
                     r"</td>\s*<td data-label=\"Năm lấy từ\">dòng tiêu đề 3: &#39;BẢNG TỔNG HỢP KẾT QUẢ", sheets)
    columns = re.search(r'<details class="understanding-columns">(.*?)</details>', html, re.S).group(1)
    assert "<td>B</td><td>Mã xã</td><td>ward_code (mã TCTK)</td>" in columns
    assert "<td>W</td><td>Tổng số tiêu chí đạt</td><td>số tiêu chí đạt (tính lại" in columns
    rows = re.search(r'<details class="understanding-rows"><summary>Các dòng đã đọc \((\d+)\)</summary>(.*?)</details>',
                     html, re.S)
    assert int(rows.group(1)) == rows.group(2).count("<tr><td>TH</td>") > 100
    assert re.search(r"<td>Xã Phú Hưng</td><td>28786</td><td>Xã Phú Hưng</td>\s*<td>mã</td><td>2023</td>\s*"
                     r"<td>19</td><td>Đạt chuẩn NTM</td>", rows.group(2))
    skipped = re.search(r'<details class="understanding-skipped">(.*?)</details>', html, re.S).group(1)
    assert "<td>dòng cộng (tính lại, không đọc)</td>" in skipped and "<td>phần ký tên</td>" in skipped
    assert "<td>dòng tên huyện: Huyện Châu Thành</td>" in skipped


def test_a_district_workbooks_problems_in_vietnamese(tmp_path):
    path = district_workbook(tmp_path / "huyen.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    cell = next(c for row in ws.iter_rows() for c in row if c.value == "Huyện NTM")
    cell.value = "gần đạt"
    wb.save(path)
    report = CheckReport("district_status", str(path))
    read_office_districts(path, None, report, load_sheets(path, report))
    assert len(report.errors) == 1
    assert in_language(report.errors[0], "vi").endswith(
        "không hiểu kết quả 'gần đạt' của huyện; ghi Chưa đạt, Huyện NTM, Hoàn thành nhiệm vụ XD NTM hoặc "
        "Huyện NTM nâng cao")
    assert ", dòng " in in_language(report.errors[0], "vi") and ", row " in report.errors[0]


def test_phrases_stay_english_where_kept_and_travel_whole():
    where = joined("a.xlsx", phrase(", row {row}", row=4), ": ",
                   phrase("'{text}' is not a year of recognition; write e.g. 2020", text="hai nghìn"))
    assert where == "a.xlsx, row 4: 'hai nghìn' is not a year of recognition; write e.g. 2020"
    assert json.loads(json.dumps({"errors": [where]})) == {"errors": [str(where)]}
    again = pickle.loads(pickle.dumps(where))  # cached previews keep their phrases
    assert again.in_language("vi") == "a.xlsx, dòng 4: 'hai nghìn' không phải năm công nhận; ghi ví dụ 2020"
    assert in_language("plain text", "vi") == "plain text"
    listed = joined_by("; ", [phrase("no code"), "28813", phrase(", row {row}", row=3)])
    assert listed == "no code; 28813; , row 3" and listed.in_language("vi") == "không có mã; 28813; , dòng 3"


def test_phrases_kept_as_data_are_written_again_in_any_language():
    """The audit log keeps phrases as JSON: read back, they are the same phrases; data that no longer fits its
    message (a value renamed since) is its English text, never an error on the log's page."""
    where = joined("a.xlsx", phrase(", row {row}", row=4), ": ",
                   phrase("'{text}' is not a year of recognition; write e.g. 2020", text="hai nghìn"))
    kept = json.loads(json.dumps(phrase_data(where)))
    again = from_phrase_data(kept)
    assert again == where and phrase_data_text(kept) == str(where)
    assert again.in_language("vi") == "a.xlsx, dòng 4: 'hai nghìn' không phải năm công nhận; ghi ví dụ 2020"
    assert phrase_data("plain") == "plain" and from_phrase_data("plain") == "plain" and phrase_data_text(3) == 3
    stale = {"text": "row 4: no year", "message": ", row {row}", "values": {"line": 4}}
    assert from_phrase_data(stale) == "row 4: no year" and in_language(from_phrase_data(stale), "vi") == "row 4: no year"


def test_a_csv_in_the_projects_schema_says_its_problem_in_vietnamese(editor, tmp_path):
    from admin_fixtures import promotable, promotion_csv

    bad = promotion_csv(promotable(1)).replace(b",ntm,", b",ntm nang cao sieu cap,", 1)
    path = tmp_path / "sai.csv"
    path.write_bytes(bad)
    [vi] = _errors(_preview(editor, path))
    assert vi.startswith("sai.csv, dòng 2, cột 'level': không hiểu mức đạt 'ntm nang cao sieu cap'; ghi một trong "
                         "các giá trị chua_dat, ntm"), vi
    [en] = _errors(_preview(editor, path, "en"))
    assert en.startswith("sai.csv, row 2, column 'level': level 'ntm nang cao sieu cap' not understood; write one of")


def test_a_boundary_layers_problem_in_vietnamese(app, editor, tmp_path):
    layer = app.extensions["ntm_store"].dataset().boundaries[["geometry"]].assign(ten_goi="x")
    path = tmp_path / "ranh-gioi.geojson"
    layer.to_file(path, driver="GeoJSON")
    [vi] = _errors(_preview(editor, path, kind="boundaries"))
    assert vi.startswith("ranh-gioi.geojson: không có cột mã TCTK (") and "các cột hiện có: ten_goi; thêm cột ma_xa " \
        "chứa mã TCTK" in vi, vi
    [en] = _errors(_preview(editor, path, "en", kind="boundaries"))
    assert en.startswith("ranh-gioi.geojson: no column with GSO codes (") and "add a ma_xa column" in en


def test_a_2026_file_is_refused_in_vietnamese_for_its_criteria_set(editor, tmp_path):
    """Plan 4798 ended with 2025: a 2026 row falls under the 2026-2030 set (10 criteria), not the 19 of the file."""
    from admin_fixtures import promotable, promotion_csv

    path = tmp_path / "bao-cao-2026.csv"
    path.write_bytes(promotion_csv(promotable(1)).replace(b",2024,1,", b",2026,1,", 1).replace(b",ntm,2024,", b",ntm,2025,"))
    [vi] = _errors(_preview(editor, path))
    assert vi.startswith("bao-cao-2026.csv: năm 2026 thuộc bộ tiêu chí 2026-2030 ("), vi
    assert vi.endswith("10 tiêu chí), nhưng tệp này có 19 tiêu chí của giai đoạn 2021-2025; chỉ nhập các năm đến 2025")
