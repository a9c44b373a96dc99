"""A corpus of hostile and boundary-case data files, made here (no committed binaries), through `data check` and
through the web pages with each file selected: always a clean answer (exit 0/1 with a message; HTTP 200 or 503),
never a traceback or a 500, in bounded time (issue 10)."""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from geo_app import create_app
from geo_app.domain.criteria import CRITERION_COLUMNS
from geo_app.settings import DEFAULT_DATA_DIR, ROOT, Settings

HEADER = ["ward_code", "year", *CRITERION_COLUMNS, "level", "year_recognised", "note", "provenance", "source_url"]
ROW = ["28756", "2022", *["1"] * 19, "dat_chuan", "2019", "", "illustrative", ""]
SECONDS = 60  # a hang guard per file, not a benchmark


def demo_lines() -> list[str]:
    return (DEFAULT_DATA_DIR / "status" / "demo-communes.csv").read_text("utf-8-sig").splitlines()


def csv_text(rows: list[list[str]], delimiter: str = ",") -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def workbook(rows: list[list], edit=None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "communes"
    for row in rows:
        ws.append(row)
    if edit:
        edit(wb, ws)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def zip_bytes(members: dict[str, bytes | str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def feature(geometry, **props) -> dict:
    return {"type": "Feature", "properties": {"ma_xa": "28756", "name": "Phú Lễ", **props}, "geometry": geometry}


def collection(*features) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


SQUARE = {"type": "Polygon", "coordinates": [[[106.0, 10.0], [106.1, 10.0], [106.1, 10.1], [106.0, 10.1], [106.0, 10.0]]]}
BOWTIE = {"type": "Polygon", "coordinates": [[[106.0, 10.0], [106.1, 10.1], [106.1, 10.0], [106.0, 10.1], [106.0, 10.0]]]}


def status_corpus() -> dict[str, bytes | str]:
    """Commune status files: file name -> content."""
    demo = demo_lines()
    wide = [[f"c{i}" for i in range(10_000)], ["1"] * 10_000]
    return {
        "empty.csv": b"",
        "bom-only.csv": "\ufeff".encode(),
        "header-only.csv": csv_text([HEADER]),
        "header-and-blank-lines.csv": csv_text([HEADER]) + "\n\n,,,\n\n",
        "random-bytes.csv": bytes(range(256)) * 40,
        "utf16.csv": "\n".join(demo).encode("utf-16"),
        "cp1258.csv": "\n".join(demo).encode("cp1258", errors="replace"),
        "nul-bytes.csv": csv_text([HEADER, [c + "\x00" for c in ROW]]),
        "control-chars-in-note.csv": "\n".join(demo[:1] + [line.replace(",illustrative,", ",illustrative,", 1)
                                                           for line in demo[1:]]).replace(",,illustrative", ",\x01\x0b\x1f\ufffe,illustrative"),
        "unclosed-quote.csv": "\n".join(demo[:10]).replace(",illustrative,", ',"illustrative,', 1) + "\n" + "\n".join(demo[10:]),
        "giant-cell.csv": ",".join(HEADER) + "\n" + "A" * 300_000 + "\n",
        "ten-thousand-columns.csv": csv_text(wide),
        "duplicate-headers.csv": csv_text([HEADER + HEADER, ROW + ROW]),
        "semicolons.csv": csv_text([HEADER, ROW], delimiter=";"),
        "tabs.csv": csv_text([HEADER, ROW], delimiter="\t"),
        "negative-year.csv": csv_text([HEADER, [ROW[0], "-2022", *ROW[2:]]]),
        "huge-year.csv": csv_text([HEADER, [ROW[0], "9" * 400, *ROW[2:]]]),
        "formula-injection.csv": csv_text([HEADER, [*ROW[:-3], "=cmd|' /C calc'!A0", "illustrative", "@SUM(1)"]]),
        "fullwidth-digits.csv": csv_text([HEADER, ["２８７５６", "２０２２", *ROW[2:]]]),
        "bidi-and-zero-width.csv": csv_text([HEADER, ["\u202e28756\u200b", "2022\u2066", *ROW[2:]]]),
        "emoji-and-nfd.csv": csv_text([HEADER, [*ROW[:-3], "Phu\u0301 Lê\u0302 🌾" * 50, *ROW[-2:]]]),
        "old-mac-line-ends.csv": "\r".join(demo),
        "ragged-rows.csv": csv_text([HEADER, ROW[:5], ROW + ["extra"] * 50]),
        "only-commas.csv": ",,,,\n,,,\n" * 100,
        "over-the-row-limit.csv": csv_text([HEADER] + [ROW] * 20_001),
        "over-the-size-limit.csv": csv_text([HEADER]) + ("x" * 1023 + "\n") * (21 * 1024),
        "status.txt": "\n".join(demo),
        "not-a-zip.xlsx": "\n".join(demo),
        "zip-without-workbook.xlsx": zip_bytes({"hello.txt": "hi"}),
        "truncated.xlsx": workbook([HEADER, ROW])[:1500],
        "empty-sheet.xlsx": workbook([]),
        "formula-without-value.xlsx": workbook([HEADER, [*ROW[:2], "=1/0", *ROW[3:]]]),
        "typed-cells.xlsx": workbook([HEADER, [28756, 2022.0, *[True] * 19, "dat_chuan", None, 3.5e300, "illustrative",
                                               None]]),
        "merged-cells.xlsx": workbook([HEADER, ROW, ROW], edit=lambda wb, ws: ws.merge_cells("A2:Z3")),
        "zip-bomb.xlsx": zip_bytes({"[Content_Types].xml": "<x/>", "xl/worksheets/sheet1.xml": "<a>" + " " * 205 * 2**20 + "</a>"}),
        "old-excel.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2000,
        "unknown.ods": b"PK\x03\x04 not really",
    }


def boundary_corpus() -> dict[str, bytes | str]:
    """Boundary layers: file name -> content."""
    return {
        "empty.geojson": b"",
        "not-json.geojson": "{ this is not json",
        "no-features.geojson": collection(),
        "null-geometry.geojson": collection(feature(None), feature(SQUARE, ma_xa="28759")),
        "points.geojson": collection(feature({"type": "Point", "coordinates": [106.0, 10.0]})),
        "bowtie.geojson": collection(feature(BOWTIE)),
        "huge-coordinates.geojson": collection(feature({"type": "Polygon", "coordinates": [
            [[1e300, 1e300], [-1e300, 1e300], [-1e300, -1e300], [1e300, 1e300]]]})),
        "nan-coordinates.geojson": collection(feature(SQUARE)).replace("106.1", "NaN"),
        "array.json": "[1, 2, 3]",
        "deep-nesting.geojson": "[" * 100_000 + "]" * 100_000,
        "no-codes.geojson": collection({"type": "Feature", "properties": {"x": "\x00"}, "geometry": SQUARE}),
        "shp-only.shp": b"\x00\x00\x27\x0a" + b"\x00" * 96,
        "garbage.shp": os.urandom(4096),
        "garbage.gpkg": b"SQLite format 3\x00" + b"\xff" * 4096,
        "empty.zip": zip_bytes({}),
        "zip-slip.zip": zip_bytes({"../../evil.shp": b"x", "/etc/evil.dbf": b"y", "a/../../b.shx": b"z"}),
        "zip-of-text.zip": zip_bytes({"readme.txt": "no layer here"}),
        "zip-two-layers.zip": zip_bytes({"a.geojson": collection(feature(SQUARE)), "b.geojson": collection()}),
    }


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    for kind, files in (("status", status_corpus()), ("boundaries", boundary_corpus())):
        (root / kind).mkdir()
        for name, content in files.items():
            data = content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content
            (root / kind / name).write_bytes(data)
    (root / "status" / "a-folder.csv").mkdir()
    for name in ("demo-communes.csv", "demo-districts.csv"):
        shutil.copy(DEFAULT_DATA_DIR / "status" / name, root / "status" / name)
    return root


STATUS_FILES = sorted([*status_corpus(), "a-folder.csv"])
BOUNDARY_FILES = sorted(boundary_corpus())


def test_the_corpus_holds_at_least_40_files():
    assert len(STATUS_FILES) + len(BOUNDARY_FILES) >= 40


def check(app, path: Path):
    started = time.perf_counter()
    result = app.test_cli_runner().invoke(args=["data", "check", str(path)])
    assert time.perf_counter() - started < SECONDS
    assert result.exit_code in (0, 1), (path.name, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), (path.name, result.exception)
    assert "Traceback" not in result.output
    assert ("=> usable" if result.exit_code == 0 else "NOT usable") in result.output, result.output
    return result


def pages(env: dict) -> None:
    client = create_app({"TESTING": True, "SETTINGS": Settings.from_env(env)}).test_client()
    for url in ("/", "/api/summary.json", "/lagging.xlsx"):
        started = time.perf_counter()
        r = client.get(url)
        body = r.get_data()
        assert r.status_code in (200, 503), (url, r.status_code, body[:800])
        assert b"Traceback" not in body and time.perf_counter() - started < SECONDS
        for folder in (env["NTM_STATUS_DIR"], env["NTM_BOUNDARIES_DIR"]):
            assert folder.encode() not in body  # no server path


@pytest.mark.parametrize("name", STATUS_FILES)
def test_status_file_is_checked_and_served_cleanly(app, corpus, name):
    path = corpus / "status" / name
    result = check(app, path)
    if name in ("header-only.csv", "over-the-row-limit.csv", "over-the-size-limit.csv", "unclosed-quote.csv",
                "giant-cell.csv", "formula-without-value.xlsx", "zip-bomb.xlsx", "empty.csv", "random-bytes.csv"):
        assert result.exit_code == 1
    pages({"NTM_BOUNDARIES_DIR": str(DEFAULT_DATA_DIR / "boundaries"), "NTM_STATUS_DIR": str(corpus / "status"),
           "NTM_COMMUNE_STATUS": name})


@pytest.mark.parametrize("name", BOUNDARY_FILES)
def test_boundary_layer_is_checked_and_served_cleanly(app, corpus, name):
    path = corpus / "boundaries" / name
    check(app, path)  # a layer of one polygon, even a repaired bow-tie, may be usable: exit 0 or 1, with a message
    pages({"NTM_BOUNDARIES_DIR": str(corpus / "boundaries"), "NTM_BOUNDARIES": name,
           "NTM_STATUS_DIR": str(DEFAULT_DATA_DIR / "status")})
    assert not (corpus.parent / "evil.shp").exists() and not Path("/etc/evil.dbf").exists()


def test_the_real_command_line_answers_a_hostile_file_cleanly(corpus):
    """`flask --app app data check` as a user types it (a process of its own, not the test runner)."""
    for name in ("zip-bomb.xlsx",):
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "data", "check",
                               str(corpus / "status" / name)], cwd=ROOT, capture_output=True, text=True,
                              timeout=SECONDS)
        assert done.returncode == 1 and "NOT usable" in done.stdout and "Traceback" not in done.stderr
