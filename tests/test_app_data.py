"""The app on other data: an office's own layer is used when selected; missing or broken data gives a
readable 503 page that says what to do, never a 500."""
from __future__ import annotations

import csv
import shutil

from geo_app import create_app
from geo_app.settings import Settings


def make_client(env: dict):
    return create_app({"TESTING": True, "SETTINGS": Settings.from_env(env)}).test_client()


def test_missing_boundary_layer_says_how_to_build_it(tmp_path):
    (tmp_path / "status").mkdir()
    client = make_client({"NTM_DATA_DIR": str(tmp_path)})
    for url in ("/", "/lagging", "/gaps", "/targets", "/embed", "/export/map.png", "/api/summary.json"):
        r = client.get(url)
        assert r.status_code == 503, url
        assert "flask --app app data build" in r.get_data(as_text=True)


def test_broken_status_file_is_named_with_row_and_column(tmp_path, default_boundaries):
    from geo_app.settings import DEFAULT_DATA_DIR

    shutil.copytree(default_boundaries.parent, tmp_path / "boundaries")
    status = tmp_path / "status"
    shutil.copytree(DEFAULT_DATA_DIR / "status", status)
    path = status / "demo-communes.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    rows[5][rows[0].index("provenance")] = "guesswork"  # spreadsheet row 6
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    r = make_client({"NTM_DATA_DIR": str(tmp_path)}).get("/")
    text = r.get_data(as_text=True)
    assert r.status_code == 503
    assert "demo-communes.csv, row 6" in text and "provenance" in text and "Traceback" not in text


def test_ambiguous_boundary_folder_asks_for_the_setting(tmp_path, default_boundaries):
    boundaries = tmp_path / "boundaries"
    boundaries.mkdir()
    for suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
        shutil.copy(default_boundaries.with_suffix(suffix), boundaries / f"office{suffix}")
    shutil.copy(default_boundaries.with_suffix(".shp"), boundaries / "other.shp")
    r = make_client({"NTM_DATA_DIR": str(tmp_path)}).get("/")
    assert r.status_code == 503 and "NTM_BOUNDARIES" in r.get_data(as_text=True)


def test_office_shapefile_dropped_in_is_used_when_selected(tmp_path, shared_data):
    """A zipped shapefile of another lineage (2019 units, codes in `ma_xa`) becomes the app's layer."""
    import zipfile

    import geopandas as gpd

    from geo_app.settings import DEFAULT_DATA_DIR

    layer = gpd.read_file(shared_data / "communes-2019-coarse.geojson")
    layer = layer.rename(columns={"gso_code_2019": "ma_xa"})[["ma_xa", "name", "geometry"]]
    folder = tmp_path / "shp" / "ranh_gioi_xa"
    folder.mkdir(parents=True)
    layer.to_file(folder / "ranh_gioi_xa.shp", encoding="utf-8")
    boundaries = tmp_path / "boundaries"
    boundaries.mkdir()
    with zipfile.ZipFile(boundaries / "ranh_gioi_xa.zip", "w") as zf:
        for f in folder.iterdir():
            zf.write(f, f"ranh_gioi_xa/{f.name}")
    client = make_client({"NTM_BOUNDARIES_DIR": str(boundaries), "NTM_BOUNDARIES": "ranh_gioi_xa.zip",
                          "NTM_STATUS_DIR": str(DEFAULT_DATA_DIR / "status")})
    geojson = client.get("/api/communes.geojson?year=2022").get_json()
    assert len(geojson["features"]) == 157  # the 2019 units merged into their 2020 units
    page = client.get("/?year=2022&lang=en").get_data(as_text=True)
    assert "ranh_gioi_xa.zip (layer supplied by the user)" in page
    assert client.get("/api/summary.json?year=2022").get_json()["province"]["xa_ntm"] == 80
