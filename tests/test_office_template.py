"""/template.xlsx: a blank office-layout workbook for a year that reads back cleanly, blank or filled in."""
from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest

from geo_app.domain.criteria import CRITERION_COLUMNS
from geo_app.domain.units import BECAME_TOWNSHIP_2023, DISTRICTS, units, xa_count
from geo_app.sources.status_io import read_commune_status
from office_fixtures import LEVEL_WORDS, make_truth

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def fetch(client, year, tmp_path):
    response = client.get(f"/template.xlsx?year={year}")
    assert response.status_code == 200, response.data[:200]
    assert response.mimetype == XLSX
    assert f'filename="mau-ket-qua-ntm-{year}.xlsx"' in response.headers["Content-Disposition"]
    path = tmp_path / f"template-{year}.xlsx"
    path.write_bytes(response.data)
    return path


@pytest.mark.parametrize("year", [2022, 2023])
def test_blank_template_reimports_cleanly(client, tmp_path, year):
    path = fetch(client, year, tmp_path)
    frame, report = read_commune_status(path)
    assert report.usable and not report.errors and not report.warnings, report.to_text()
    assert len(frame) == xa_count(year) and set(frame["level"]) == {"chua_dat"}
    assert not frame[list(CRITERION_COLUMNS)].to_numpy().any()
    assert set(frame["ward_code"]) == {c for c, u in units().items() if u.ntm_applicable(year)}
    assert all(r["matched_by"] == "code" for r in report.understanding["rows"])
    headings = [s["why"] for s in report.understanding["skipped"] if s["why"].startswith("district heading")]
    assert headings == [f"district heading: {name}" for name in DISTRICTS.values()]
    township_rows = [s for s in report.understanding["skipped"] if "became thị trấn" in s["why"]]
    assert len(township_rows) == (3 if year >= 2023 else 0)
    ws = openpyxl.load_workbook(path).worksheets[0]
    assert f"NĂM {year}" in ws["A3"].value and ws["D5"].value == "Kết quả thực hiện các tiêu chí"
    assert [ws.cell(6, c).value for c in range(4, 23)] == list(range(1, 20))
    names = {ws.cell(r, 2).value: ws.cell(r, 3).value for r in range(7, ws.max_row + 1) if ws.cell(r, 2).value}
    for code in BECAME_TOWNSHIP_2023:
        assert names[code] == units()[code].name_in(year)


def test_filled_template_reads_back_every_commune(client, tmp_path):
    year = 2023
    path = fetch(client, year, tmp_path)
    truth = make_truth(year)
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    for r in range(7, ws.max_row + 1):
        key = (str(ws.cell(r, 2).value), year)
        if key not in truth.criteria:
            continue
        for i, met in enumerate(truth.criteria[key]):
            ws.cell(r, 4 + i).value = "x" if met else None
        ws.cell(r, 24).value = LEVEL_WORDS[truth.levels[key]]
        ws.cell(r, 25).value = 2020 if truth.levels[key] != "chua_dat" else None
    wb.save(path)
    frame, report = read_commune_status(path)
    assert report.usable, report.errors[:3]
    assert len(frame) == len(truth.levels)
    for row in frame.itertuples():
        key = (row.ward_code, row.year)
        assert [bool(getattr(row, c)) for c in CRITERION_COLUMNS] == truth.criteria[key]
        assert row.level == truth.levels[key]
        assert (not pd.isna(row.year_recognised)) == (truth.levels[key] != "chua_dat")
    totals = truth.totals(year)
    assert int(frame["level"].isin(["ntm", "nang_cao", "kieu_mau"]).sum()) == totals["ntm_or_better"]


@pytest.mark.parametrize("year", ["1999", "2031", "abc", "2023x"])
def test_bad_years_are_a_readable_400(client, year):
    response = client.get(f"/template.xlsx?year={year}")
    assert response.status_code == 400
    assert b"2020" in response.data and b"2025" in response.data


def test_default_year_is_served(client):
    response = client.get("/template.xlsx")
    assert response.status_code == 200 and response.mimetype == XLSX
    wb = openpyxl.load_workbook(io.BytesIO(response.data))
    assert "NĂM 20" in wb.worksheets[0]["A3"].value
