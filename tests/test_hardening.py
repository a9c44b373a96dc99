"""Hostile requests and careless files: no 500, no reflected Host, no server path, the right headers (issue 10)."""
from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from geo_app import create_app
from geo_app.settings import DEFAULT_DATA_DIR, ROOT, Settings

PAGES = ("/", "/lagging", "/gaps", "/targets", "/print", "/embed")
FLASK_SPECIAL = ("_method=x", "_external=1", "_scheme=https", "_anchor=zz", "_external=1&_scheme=javascript")


def make_app(env: dict, **config):
    return create_app({"TESTING": True, "SETTINGS": Settings.from_env(env), **config})


def data_copy(tmp_path: Path, default_boundaries: Path) -> Path:
    """A data folder like the default one (layer + demo status files) that a test may spoil."""
    shutil.copytree(default_boundaries.parent, tmp_path / "boundaries")
    shutil.copytree(DEFAULT_DATA_DIR / "status", tmp_path / "status")
    return tmp_path


def edit_csv(path: Path, edit) -> None:
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    edit(rows)
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)


# ---------------------------------------------------------------- 1. url_for gets only known parameters


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("special", FLASK_SPECIAL)
def test_flask_special_parameters_never_reach_url_for(client, page, special):
    r = client.get(f"{page}?year=2022&{special}", headers={"Host": "evil.example"})
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    text = r.get_data(as_text=True)
    links = re.findall(r'href="([^"]*)"', text)
    assert not [h for h in links if "_method" in h or "_external" in h or "#zz" in h or "javascript:" in h]
    assert "evil.example" not in text


def test_language_links_keep_the_documented_parameters(client):
    text = client.get("/lagging?year=2022&district=832&band=15_18&bogus=1&lang=en").get_data(as_text=True)
    vi = re.search(r'href="([^"]*)" lang="vi"', text).group(1)
    assert "district=832" in vi and "band=15_18" in vi and "year=2022" in vi
    assert "bogus" not in vi and "lang=" not in vi


def test_lagging_layer_redirect_drops_unknown_parameters(client):
    r = client.get("/?layer=lagging&year=2022&district=832&_anchor=x&_method=y")
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/lagging?") and "district=832" in r.headers["Location"]
    assert "_" not in r.headers["Location"].split("?")[1].replace("15_18", "")


# ---------------------------------------------------------------- 2. control characters in XLSX downloads


def test_lagging_xlsx_survives_control_characters_in_notes(tmp_path, default_boundaries):
    data = data_copy(tmp_path, default_boundaries)
    hostile = "a\x00b\x01c\x0bd\x1fe\ufffef"

    def spoil(rows):
        note, year = rows[0].index("note"), rows[0].index("year")
        for row in rows[1:]:
            if row[year] == "2022":
                row[note] = hostile
    edit_csv(data / "status" / "demo-communes.csv", spoil)
    client = make_app({"NTM_DATA_DIR": str(data)}).test_client()
    r = client.get("/lagging.xlsx?year=2022")
    assert r.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(r.data)).active
    notes = {c for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str) and c.startswith("a")}
    assert len(notes) == 1 and notes.pop().startswith("a\ufffdb\ufffdc")  # unstorable characters visibly replaced
    assert "a\x00b\x01c" in client.get("/lagging.csv?year=2022").data.decode("utf-8-sig")  # CSV keeps the text


def test_data_check_warns_about_control_characters(tmp_path, default_boundaries):
    from geo_app.sources.status_io import check_status_file

    data = data_copy(tmp_path, default_boundaries)
    path = data / "status" / "demo-communes.csv"
    edit_csv(path, lambda rows: rows[3].__setitem__(rows[0].index("note"), "x\x01y"))
    report = check_status_file(path)
    assert report.usable
    assert any("row 4" in w and "U+0001" in w for w in report.warnings), report.warnings


# ---------------------------------------------------------------- 5. header-only status file


@pytest.mark.parametrize("name", ["demo-communes.csv", "demo-districts.csv"])
def test_header_only_status_file_is_unusable_with_a_clear_503(tmp_path, default_boundaries, name):
    from geo_app.sources.status_io import check_status_file

    data = data_copy(tmp_path, default_boundaries)
    path = data / "status" / name
    edit_csv(path, lambda rows: rows.__delitem__(slice(1, None)))
    report = check_status_file(path)
    assert not report.usable and "no status row" in " ".join(report.errors)
    client = make_app({"NTM_DATA_DIR": str(data)}).test_client()
    for url in ("/", "/lagging", "/api/summary.json"):
        r = client.get(url)
        assert r.status_code == 503, url
        assert "no status row" in r.get_data(as_text=True) and name in r.get_data(as_text=True)


# ---------------------------------------------------------------- 7. Host header


def embed_code(text: str) -> str:
    return re.search(r"<textarea[^>]*>(.*?)</textarea>", text, re.S).group(1)


def test_host_header_is_never_written_into_the_embed_code(client):
    text = client.get("/?year=2022", headers={"Host": "evil.example"}).get_data(as_text=True)
    assert "evil.example" not in text
    assert embed_code(text).startswith("&lt;iframe src=&#34;/embed?year=2022")
    assert "NTM_PUBLIC_URL" in text  # says how to get a complete address
    local = client.get("/?year=2022", headers={"Host": "127.0.0.1:8000"}).get_data(as_text=True)
    assert embed_code(local).startswith("&lt;iframe src=&#34;http://127.0.0.1:8000/embed?year=2022")


def test_public_url_decides_absolute_urls(default_settings):
    app = create_app({"TESTING": True, "SETTINGS": default_settings, "PUBLIC_URL": "https://ntm.example.gov.vn/map/"})
    text = app.test_client().get("/?year=2022", headers={"Host": "evil.example"}).get_data(as_text=True)
    assert embed_code(text).startswith("&lt;iframe src=&#34;https://ntm.example.gov.vn/map/embed?year=2022")
    assert "evil.example" not in text


def test_trusted_hosts_refuse_other_hosts(default_settings):
    app = create_app({"TESTING": True, "SETTINGS": default_settings, "TRUSTED_HOSTS": ["ntm.example.gov.vn"]})
    client = app.test_client()
    assert client.get("/?year=2022", headers={"Host": "evil.example"}).status_code == 400
    text = client.get("/?year=2022", headers={"Host": "ntm.example.gov.vn"}).get_data(as_text=True)
    assert embed_code(text).startswith("&lt;iframe src=&#34;http://ntm.example.gov.vn/embed?year=2022")


def test_settings_come_from_the_environment(monkeypatch, default_settings):
    monkeypatch.setenv("NTM_PUBLIC_URL", "https://ntm.example.gov.vn")
    monkeypatch.setenv("NTM_TRUSTED_HOSTS", "ntm.example.gov.vn, .bentre.gov.vn")
    app = create_app({"SETTINGS": default_settings})
    assert app.config["PUBLIC_URL"] == "https://ntm.example.gov.vn"
    assert app.config["TRUSTED_HOSTS"] == ["ntm.example.gov.vn", ".bentre.gov.vn"]
    with pytest.raises(ValueError, match="PUBLIC_URL"):
        create_app({"SETTINGS": default_settings, "PUBLIC_URL": "ntm.example.gov.vn/?x=1"})


# ---------------------------------------------------------------- 8. server paths, first 20 problems


def assert_no_server_path(text: str, *paths: Path) -> None:
    for path in (*paths, ROOT):
        assert str(path) not in text, text
    assert not re.search(r"(?<![\w:/.])/(?:tmp|work|home|srv|usr|var|root)/", text), text


def test_missing_layer_503_and_api_error_name_no_server_path(tmp_path):
    (tmp_path / "status").mkdir()
    app = make_app({"NTM_DATA_DIR": str(tmp_path)})
    client = app.test_client()
    page = client.get("/")
    assert page.status_code == 503
    assert "ben-tre-communes-2020.shp" in page.get_data(as_text=True)
    assert_no_server_path(page.get_data(as_text=True), tmp_path)
    api = client.get("/api/summary.json")
    assert api.status_code == 503 and "ben-tre-communes-2020.shp" in api.get_json()["error"]
    assert_no_server_path(api.get_data(as_text=True), tmp_path)
    result = app.test_cli_runner().invoke(args=["data", "summary"])
    assert result.exit_code == 1 and "ben-tre-communes-2020.shp" in result.output
    assert_no_server_path(result.output, tmp_path)


def test_missing_status_setting_names_no_server_path(tmp_path, default_boundaries):
    data = data_copy(tmp_path, default_boundaries)
    client = make_app({"NTM_DATA_DIR": str(data), "NTM_COMMUNE_STATUS": "office-2024.csv"}).test_client()
    r = client.get("/gaps")
    assert r.status_code == 503 and "office-2024.csv" in r.get_data(as_text=True)
    assert_no_server_path(r.get_data(as_text=True), tmp_path)


def many_bad_rows(tmp_path: Path, default_boundaries: Path, n: int = 300) -> Path:
    data = data_copy(tmp_path, default_boundaries)

    def spoil(rows):
        col = rows[0].index("provenance")
        for row in rows[1:n + 1]:
            row[col] = "guesswork"
    edit_csv(data / "status" / "demo-communes.csv", spoil)
    return data


def test_error_page_lists_the_first_20_problems_and_a_count(tmp_path, default_boundaries):
    data = many_bad_rows(tmp_path, default_boundaries)
    r = make_app({"NTM_DATA_DIR": str(data)}).test_client().get("/")
    text = r.get_data(as_text=True)
    assert r.status_code == 503
    assert text.count("guesswork") == 20
    assert "280 more problem" in text
    assert_no_server_path(text, tmp_path)


def test_data_check_lists_the_first_20_problems_unless_asked_for_all(tmp_path, default_boundaries):
    import json

    data = many_bad_rows(tmp_path, default_boundaries)
    app = make_app({"NTM_DATA_DIR": str(data)})
    path = str(data / "status" / "demo-communes.csv")
    short = app.test_cli_runner().invoke(args=["data", "check", path])
    assert short.exit_code == 1 and short.output.count("guesswork") == 20
    assert "and 280 more (300 in all" in short.output
    full = app.test_cli_runner().invoke(args=["data", "check", path, "--all"])
    assert full.output.count("guesswork") == 300
    as_json = json.loads(app.test_cli_runner().invoke(args=["data", "check", path, "--json"]).output)
    assert len(as_json["errors"]) == 20 and as_json["error_count"] == 300


def test_public_text_keeps_urls_and_words():
    from geo_app.sources.report import public_text

    text = ("No layer at /srv/ntm/data/boundaries/x.shp (see https://gso.gov.vn/a/b, A4/A3, Đạt/Chưa đạt); "
            "GDAL: /usr/lib/python3/dist-packages/osgeo/gdal.py failed")
    assert public_text(text, [Path("/srv/ntm/data/boundaries")]) == (
        "No layer at boundaries/x.shp (see https://gso.gov.vn/a/b, A4/A3, Đạt/Chưa đạt); GDAL: gdal.py failed")


# ---------------------------------------------------------------- 9. data build: stale temp folders, sidecar


def test_build_removes_temporary_folders_of_killed_builds(tmp_path, default_boundaries):
    from geo_app.sources.boundary_build import build_default

    out = data_copy(tmp_path, default_boundaries) / "boundaries"
    for name in (".build-a1b2c3", ".build-zz"):
        (out / name).mkdir()
        (out / name / "ben-tre-communes-2020.shp").write_bytes(b"partial")
    result = make_app({"NTM_DATA_DIR": str(tmp_path)}).test_cli_runner().invoke(args=["data", "build"])
    assert result.exit_code == 0, result.output
    assert not list(out.glob(".build-*"))
    assert "removed 2 temporary folder(s)" in result.output
    path, report = build_default(out)
    assert report.usable and not list(out.glob(".build-*"))


def test_layer_without_provenance_sidecar_is_never_served(tmp_path, default_boundaries):
    data = data_copy(tmp_path, default_boundaries)
    (data / "boundaries" / "ben-tre-communes-2020.source.json").unlink()
    client = make_app({"NTM_DATA_DIR": str(data)}).test_client()
    r = client.get("/")
    text = r.get_data(as_text=True)
    assert r.status_code == 503
    assert "ben-tre-communes-2020.source.json" in text and "flask --app app data build" in text
    assert client.get("/api/communes.geojson").status_code == 503


# ---------------------------------------------------------------- 10. headers


HEADER_URLS = ("/", "/lagging?year=2022", "/lagging.csv?year=2022", "/lagging.xlsx?year=2022", "/gaps",
               "/targets", "/embed", "/print", "/export/map.html", "/export/map.png", "/export/map.svg",
               "/export/map.pdf", "/export/slides.pptx", "/api/summary.json", "/api/communes.geojson",
               "/charts/progress.svg", "/static/css/app.css", "/static/js/ntm-map.js",
               "/static/vendor/leaflet-1.9.4/images/layers.png", "/nowhere", "/?year=1900", "/api/nowhere")


@pytest.mark.parametrize("url", HEADER_URLS)
def test_every_response_has_one_charset_nosniff_and_referrer_policy(client, url):
    r = client.get(url)
    assert r.status_code in (200, 400, 404), url
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "same-origin"
    assert r.headers["Content-Type"].lower().count("charset") <= 1, r.headers["Content-Type"]
    if r.mimetype in ("text/html", "image/svg+xml"):
        csp = r.headers["Content-Security-Policy"]
        assert "script-src 'self' 'nonce-" in csp or "default-src 'none'" in csp
    r.close()


def test_svg_opened_alone_cannot_run_script(client):
    for url in ("/export/map.svg", "/charts/progress.svg"):
        csp = client.get(url).headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "sandbox" in csp and "script-src" not in csp
