"""Boundary import: CRS from the .prj (VN-2000 TM-3 zones, UTM 48N/49N), size limits, safe unzipping."""
from __future__ import annotations

import os
import zipfile

import geopandas as gpd
import pytest

from geo_app.sources.boundaries import read_boundaries
from geo_app.domain.units import units

# How a Vietnamese GIS package writes VN-2000 / TM-3 105°45' (Bến Tre): its own name, no EPSG authority.
VN2000_BEN_TRE_PRJ = (
    'PROJCS["VN_2000_Ben_Tre_KTT_105_45_mui_3",GEOGCS["GCS_VN_2000",DATUM["D_Vietnam_2000",'
    'SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],'
    'PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],'
    'PARAMETER["Central_Meridian",105.75],PARAMETER["Scale_Factor",0.9999],PARAMETER["Latitude_Of_Origin",0.0],'
    'UNIT["Meter",1.0]]'
)


@pytest.fixture(scope="module")
def gso_layer(default_boundaries):
    frame, report = read_boundaries(default_boundaries)
    assert report.usable
    return frame


def assert_same_places(frame, original) -> None:
    """Every unit back where it was: the outlines differ by less than a millionth of the unit's area."""
    assert sorted(frame["ward_code"]) == sorted(units())
    mine = frame.set_index("ward_code").geometry
    theirs = original.set_index("ward_code").geometry
    for code in units():
        assert mine[code].symmetric_difference(theirs[code]).area < 1e-6 * theirs[code].area, code


@pytest.mark.parametrize("epsg,name", [(9210, "VN-2000 / TM-3 105-45"), (32648, "WGS 84 / UTM zone 48N"),
                                       (3405, "VN-2000 / UTM zone 48N"), (9211, "VN-2000 / TM-3 106-00")])
def test_projected_layers_come_back_in_place(tmp_path, gso_layer, epsg, name):
    path = tmp_path / f"xa-{epsg}.shp"
    gso_layer[["ward_code", "name", "geometry"]].rename(columns={"ward_code": "ma_xa", "name": "ten_xa"}) \
        .to_crs(epsg).to_file(path, encoding="UTF-8")
    frame, report = read_boundaries(path)
    assert report.usable, report.to_text()
    assert any(f"EPSG:{epsg} ({name})" in line for line in report.info), report.info
    assert_same_places(frame, gso_layer)


def test_vn2000_prj_without_epsg_is_recognised_by_its_parameters(tmp_path, gso_layer):
    path = tmp_path / "bentre.shp"
    gso_layer[["ward_code", "geometry"]].rename(columns={"ward_code": "ma_xa"}).to_crs(9210).to_file(path)
    path.with_suffix(".prj").write_text(VN2000_BEN_TRE_PRJ, encoding="ascii")
    frame, report = read_boundaries(path)
    assert report.usable, report.to_text()
    said = " ".join(report.info + report.warnings)
    assert "EPSG:9210" in said
    assert_same_places(frame, gso_layer)


def test_size_limit_is_a_setting(tmp_path, monkeypatch, gso_layer):
    path = tmp_path / "xa.geojson"
    gso_layer.to_file(path, driver="GeoJSON")
    with open(path, "a", encoding="utf-8") as f:
        f.write(" " * 1024 * 1024)  # still valid JSON, now over 1 MB
    assert path.stat().st_size > 1024 * 1024
    monkeypatch.setenv("NTM_BOUNDARY_MAX_MB", "1")
    _, report = read_boundaries(path)
    assert not report.usable and "over the limit of 1 MB" in report.errors[0] and "NTM_BOUNDARY_MAX_MB" in report.errors[0]
    monkeypatch.setenv("NTM_BOUNDARY_MAX_MB", "50")
    _, report = read_boundaries(path)
    assert report.usable


def test_unzipped_size_limit_counts_real_bytes(tmp_path, monkeypatch, gso_layer):
    folder = tmp_path / "shp"
    folder.mkdir()
    gso_layer.to_file(folder / "xa.shp", encoding="UTF-8")
    archive = tmp_path / "xa.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for part in folder.iterdir():
            zf.write(part, f"ranh_gioi/{part.name}")
        zf.writestr("ranh_gioi/anh-ban-do.bin", os.urandom(1536 * 1024))  # 1.5 MB that does not compress
    frame, report = read_boundaries(archive)
    assert report.usable and len(frame) == len(units())
    monkeypatch.setenv("NTM_BOUNDARY_MAX_UNZIPPED_MB", "1")
    _, report = read_boundaries(archive)
    assert not report.usable and "unpacks to" in report.errors[0] and "1 MB" in report.errors[0]
    from geo_app.domain.messages import in_language

    # In Vietnamese the whole message is Vietnamese (it read "không dùng được tệp .zip: it unpacks to 2,048 MB, …")
    assert in_language(report.errors[0], "vi").endswith(
        "không dùng được tệp .zip: giải nén ra 2 MB, vượt giới hạn 1 MB (NTM_BOUNDARY_MAX_UNZIPPED_MB); chỉ nén lớp "
        "bản đồ của tỉnh")


def test_nothing_is_left_behind_after_reading_a_zip(tmp_path, gso_layer, monkeypatch):
    import tempfile
    from pathlib import Path

    scratch = tmp_path / "scratch"  # this test's own temporary folder: other processes' reads do not show up
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    before = set(Path(tempfile.gettempdir()).glob("ntm-layer-*"))
    assert before == set()
    folder = tmp_path / "shp"
    folder.mkdir()
    gso_layer.to_file(folder / "xa.shp", encoding="UTF-8")
    archive = tmp_path / "xa.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in folder.iterdir():
            zf.write(part, part.name)
    assert read_boundaries(archive)[1].usable
    assert set(Path(tempfile.gettempdir()).glob("ntm-layer-*")) == before


@pytest.mark.parametrize("name,content", [("broken.geojson", b'{"type": "FeatureCollection", "features": [{'),
                                          ("notes.gpkg", b"not a geopackage at all")])
def test_an_unreadable_layer_is_named_without_the_servers_folders(tmp_path, name, content):
    """A broken upload's reason showed where the server keeps uploads ('/…/instance/uploads/<id>/broken.geojson')
    and GDAL's advice on driver prefixes, cut off mid-sentence."""
    folder = tmp_path / "instance" / "uploads" / "x1"
    folder.mkdir(parents=True)
    (folder / name).write_bytes(content)
    _, report = read_boundaries(folder / name)
    assert not report.usable and len(report.errors) == 1
    error = report.errors[0]
    assert name in error and str(tmp_path) not in error and "uploads" not in error, error
    assert "It might help" not in error and "prefixing" not in error
    assert error.startswith(f"{name}: cannot read this as a GIS layer (")
