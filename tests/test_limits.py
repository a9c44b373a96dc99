"""Status files too big to be real are refused before or while parsing, in bounded memory and time, and the
messages say what is really wrong (issue 10, items 3 and 11)."""
from __future__ import annotations

import csv
import io
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from geo_app.domain.criteria import CRITERION_COLUMNS
from geo_app.settings import ROOT, SettingsError, StatusLimits
from geo_app.sources.status_io import check_status_file, read_commune_status

HEADER = ["ward_code", "year", *CRITERION_COLUMNS, "level", "year_recognised", "note", "provenance", "source_url"]
GOOD_ROW = ["28756", "2022", *["1"] * 19, "dat_chuan", "2019", "", "illustrative", ""]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def test_limits_default_and_from_environment():
    assert StatusLimits.from_env({}) == StatusLimits(20 * 2**20, 20_000)
    assert StatusLimits.from_env({"NTM_STATUS_MAX_MB": "0.5", "NTM_STATUS_MAX_ROWS": "300"}) == \
        StatusLimits(2**19, 300)
    with pytest.raises(SettingsError, match="NTM_STATUS_MAX_ROWS"):
        StatusLimits.from_env({"NTM_STATUS_MAX_ROWS": "-3"})


def test_file_over_the_size_limit_is_refused_before_parsing(tmp_path, monkeypatch):
    monkeypatch.setenv("NTM_STATUS_MAX_MB", "0.01")  # 10 KiB
    path = write_csv(tmp_path / "big.csv", [HEADER] + [GOOD_ROW] * 200)
    report = check_status_file(path)
    assert not report.usable
    assert len(report.errors) == 1 and "over the limit of 10 KB" in report.errors[0]
    assert "NTM_STATUS_MAX_MB" in report.errors[0] and report.features == 0


def test_a_raised_size_limit_is_the_importers_too(tmp_path, monkeypatch):
    """NTM_STATUS_MAX_MB=50 let `data check` read a 21 MB file, but `import status` (and the web upload) still
    refused it at 20 MB: the importers kept their own fixed limit."""
    from geo_app.store.importing import read_status_file

    note = "x" * 10_000
    path = write_csv(tmp_path / "lon.csv", [HEADER] + [[*GOOD_ROW[:-3], note, *GOOD_ROW[-2:]]] * 2200)
    assert path.stat().st_size > 21 * 2**20
    _, _, reports = read_status_file(path)
    assert "over the limit of" in str(reports[0].errors[0])  # the default, 20 MB
    monkeypatch.setenv("NTM_STATUS_MAX_MB", "50")
    _, _, reports = read_status_file(path)
    assert not any("over the limit" in str(e) for r in reports for e in r.errors), reports[0].errors[:2]


def test_file_over_the_row_limit_is_refused_naming_the_row(tmp_path, monkeypatch):
    monkeypatch.setenv("NTM_STATUS_MAX_ROWS", "50")
    rows = [HEADER] + [[f"{i}", *GOOD_ROW[1:]] for i in range(51)]
    report = check_status_file(write_csv(tmp_path / "long.csv", rows))
    assert ["long.csv, row 52: the file has more than 50 data rows" in e for e in report.errors] == [True]
    assert "NTM_STATUS_MAX_ROWS" in report.errors[0]
    assert check_status_file(write_csv(tmp_path / "ok.csv", rows[:51])).errors[0].startswith("ok.csv, row 2")  # codes


def big_workbook(path: Path, rows: int, columns: int = 28) -> Path:
    """A minimal .xlsx (numbers only) of `rows` rows, written as XML directly: fast to make."""
    header = "".join(f'<c t="inlineStr"><is><t>{h}</t></is></c>' for h in (HEADER + ["x"] * columns)[:columns])
    row = "<c><v>1</v></c>" * columns
    body = "".join(f'<row r="{n}">{row}</row>' for n in range(2, rows + 2))
    sheet = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats'
             f'.org/spreadsheetml/2006/main"><sheetData><row r="1">{header}</row>{body}</sheetData></worksheet>')
    ns = "http://schemas.openxmlformats.org"
    parts = {
        "[Content_Types].xml": f'<?xml version="1.0"?><Types xmlns="{ns}/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": f'<?xml version="1.0"?><Relationships xmlns="{ns}/package/2006/relationships"><Relationship '
        f'Id="rId1" Type="{ns}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        '</Relationships>',
        "xl/workbook.xml": f'<?xml version="1.0"?><workbook xmlns="{ns}/spreadsheetml/2006/main" xmlns:r="{ns}/'
        'officeDocument/2006/relationships"><sheets><sheet name="communes" sheetId="1" r:id="rId1"/></sheets>'
        '</workbook>',
        "xl/_rels/workbook.xml.rels": f'<?xml version="1.0"?><Relationships xmlns="{ns}/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": sheet,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, text in parts.items():
            zf.writestr(name, text)
    return path


def test_workbook_that_unpacks_to_too_much_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("NTM_STATUS_MAX_MB", "0.2")  # unpacked limit: 2 MB
    path = big_workbook(tmp_path / "bomb.xlsx", 20_000)
    assert path.stat().st_size < 0.2 * 2**20
    report = check_status_file(path)
    assert not report.usable and "the workbook unpacks to 8" in report.errors[0]


def test_300k_row_workbook_is_refused_quickly_in_bounded_memory(tmp_path):
    """The issue's 22 MB, 300,000-row workbook grew `data check` to 22.7 GB; now it stops at the row limit."""
    path = big_workbook(tmp_path / "huge.xlsx", 300_000)
    probe = textwrap.dedent(f"""
        import re, time
        t = time.perf_counter()
        from geo_app.cli.data import check_file
        from pathlib import Path
        report = check_file(Path({str(path)!r}))
        print(time.perf_counter() - t)
        status = open("/proc/self/status").read()  # VmHWM: this process image's peak RSS (ru_maxrss survives exec)
        print(int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) // 1024)
        print(report.to_text())
    """)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    seconds, peak_mb, text = done.stdout.split("\n", 2)
    assert "more than 20,000 data rows" in text and "NOT usable" in text
    assert int(peak_mb) < 500, f"peak RSS {peak_mb} MB"
    assert time.perf_counter() - started < 120  # a hang guard; it takes a few seconds


def test_giant_single_cell_is_named_as_such(tmp_path):
    path = tmp_path / "cell.csv"
    path.write_text(",".join(HEADER) + "\n" + "A" * 300_000 + "\n", encoding="utf-8")
    report = check_status_file(path)
    assert report.errors == ["cell.csv, row 2: a cell holds more than 131,072 characters (the line is 300,000 "
                             "characters long); status cells are short (codes, years, levels, notes): check that "
                             "this is the right file"]


@pytest.mark.parametrize("after", [3, 3000])
def test_unclosed_quote_is_named_not_reported_as_blank_cells(tmp_path, after):
    rows = [",".join(HEADER)] + [",".join(GOOD_ROW).replace("28756", str(28700 + i)) for i in range(3)]
    rows[2] = rows[2].replace(",illustrative,", ',"illustrative,')  # the quote opened on line 3 is never closed
    rows += [",".join(GOOD_ROW)] * after
    path = tmp_path / "quote.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    report = read_commune_status(path)[1]
    assert not report.usable
    assert report.errors[-1].startswith("quote.csv, row 3: a quote (\") opened on line 3 is never closed")
    assert not [e for e in report.errors if "blank" in e]


def test_formula_without_saved_value_is_an_error_not_a_blank(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "communes"
    ws.append(HEADER)
    row = [28756, 2022, *[1] * 19, "dat_chuan", 2019, "", "illustrative", ""]
    row[2] = "=IF(B2>2020,1,0)"  # openpyxl writes formulas without a saved value
    ws.append(row)
    path = tmp_path / "formula.xlsx"
    wb.save(path)
    report = check_status_file(path)
    assert not report.usable
    assert report.errors[0].startswith("formula.xlsx, row 2, column 'C': the formula =IF(B2>2020,1,0) has no saved "
                                       "value")
