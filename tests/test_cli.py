"""`flask --app app data build|check|summary` through Flask's CLI runner."""
from __future__ import annotations

import json

from geo_app.cli.data import data_cli


def run(app, *args):
    return app.test_cli_runner().invoke(data_cli, list(args))


def test_summary_json_2022(app):
    result = run(app, "summary", "--year", "2022", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    p = data["province"]
    assert data["year"] == 2022
    assert [p[k] for k in ("xa_total", "xa_ntm", "xa_nang_cao", "band_15_18", "band_10_14", "band_lt10")] == \
        [142, 80, 20, 24, 38, 0]
    assert "xa_kieu_mau" in p
    assert len(data["districts"]) == 9
    assert {"code", "name", "xa_total", "xa_ntm", "xa_nang_cao", "level"} <= set(data["districts"][0])
    assert sum(d["xa_total"] for d in data["districts"]) == 142
    assert any(t["key"] == "xa_ntm_share" for t in data["targets"])


def test_summary_text_and_bad_year(app):
    result = run(app, "summary", "--year", "2022")
    assert result.exit_code == 0 and "80/142" in result.output
    bad = run(app, "summary", "--year", "1999")
    assert bad.exit_code == 2 and "1999" in bad.output and "Traceback" not in bad.output


def test_build_is_idempotent(app, default_boundaries):
    result = run(app, "build")
    assert result.exit_code == 0, result.output
    assert str(default_boundaries) in result.output


def test_check_coarse_2019_layer(app, shared_data):
    result = run(app, "check", str(shared_data / "communes-2019-coarse.geojson"), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report) == {"kind", "features", "matched", "unmatched", "errors", "warnings", "unmatched_count",
                           "error_count", "warning_count"}
    assert (report["kind"], report["features"], report["matched"]) == ("boundaries", 164, 157)
    text = run(app, "check", str(shared_data / "communes-2019-coarse.geojson")).output
    for removed, target in (("28816", "28813"), ("28771", "28777"), ("29140", "29137")):
        assert removed in text and target in text
    assert "overlap" in text.lower() or "gap" in text.lower()


def test_check_status_files(app):
    from geo_app.settings import DEFAULT_DATA_DIR

    for name in ("demo-communes.csv", "demo-districts.csv", "demo-status.xlsx"):
        result = run(app, "check", str(DEFAULT_DATA_DIR / "status" / name), "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["errors"] == []
    workbook = json.loads(run(app, "check", str(DEFAULT_DATA_DIR / "status" / "demo-status.xlsx"), "--json").output)
    assert workbook["kind"] == "commune_status+district_status"  # both sheets are checked


def test_check_bad_files_exit_1_without_traceback(app, tmp_path):
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text("ward_code,year,level\n99999,2022,ntm\n", encoding="utf-8")
    missing = tmp_path / "nothing.geojson"
    old_xls = tmp_path / "old.xls"
    old_xls.write_bytes(b"\xd0\xcf\x11\xe0")
    for path in (bad_csv, missing, old_xls):
        result = run(app, "check", str(path))
        assert result.exit_code == 1, (path, result.output)
        assert "Traceback" not in result.output and path.name in result.output
    as_json = json.loads(run(app, "check", str(missing), "--json").output)
    assert as_json["errors"]
    assert "save it as .xlsx" in run(app, "check", str(old_xls)).output
    gone = run(app, "check", str(tmp_path / "bao-cao.xls")).output  # a typo in the name is not an old workbook
    assert "not supported" not in gone and "not found" in gone and "status" in gone, gone
