"""A layer holding units of other provinces is clipped to Bến Tre (by province column, then GSO code, then
location) or refused: never a Bến Tre map glued to same-named units elsewhere."""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely import affinity

from geo_app.sources.boundaries import BEN_TRE_LONLAT, read_boundaries

SHIFT_DEG = 1.6  # same-named copies moved east, well outside Bến Tre


@pytest.fixture(scope="module")
def ben_tre(default_boundaries) -> gpd.GeoDataFrame:
    layer = gpd.read_file(default_boundaries).to_crs("EPSG:4326")
    return layer.rename(columns={"name": "ten_xa", "dist_name": "ten_huyen"})


def elsewhere(ben_tre: gpd.GeoDataFrame, n: int = 90) -> gpd.GeoDataFrame:
    """Units named exactly like Bến Tre's (same district names too), lying in another province."""
    copies = ben_tre.head(n).copy()
    copies["geometry"] = [affinity.translate(g, xoff=SHIFT_DEG, yoff=0.4) for g in copies.geometry]
    return copies


def write(frame: gpd.GeoDataFrame, columns: list[str], path) -> str:
    gpd.GeoDataFrame(frame[columns + ["geometry"]], geometry="geometry", crs="EPSG:4326").to_file(path)
    return str(path)


def assert_only_ben_tre(frame: gpd.GeoDataFrame, ben_tre: gpd.GeoDataFrame) -> None:
    assert len(frame) == 157
    x0, y0, x1, y1 = frame.total_bounds
    bx0, by0, bx1, by1 = BEN_TRE_LONLAT
    assert bx0 <= x0 and x1 <= bx1 and by0 <= y0 and y1 <= by1, frame.total_bounds
    areas = frame.to_crs("EPSG:32648").set_index("ward_code").geometry.area
    original = ben_tre.to_crs("EPSG:32648").set_index("ward_code").geometry.area
    ratio = (areas / original.reindex(areas.index)).dropna()
    assert len(ratio) == 157 and ratio.between(0.98, 1.02).all()  # no unit grew by a far-away namesake


def test_province_column_clips_the_layer_to_ben_tre(ben_tre, tmp_path):
    ours = ben_tre.assign(ten_tinh="Tỉnh Bến Tre")
    other = elsewhere(ben_tre).assign(ten_tinh="Tiền Giang")
    layer = pd.concat([other, ours], ignore_index=True)
    frame, report = read_boundaries(write(layer, ["ten_tinh", "ten_huyen", "ten_xa"], tmp_path / "two.geojson"))
    assert report.usable, report.to_text()
    assert_only_ben_tre(frame, ben_tre)
    assert "90 features of other provinces (Tiền Giang: 90)" in report.to_text()


def test_gso_codes_of_other_provinces_are_never_matched_by_name(ben_tre, tmp_path):
    other = elsewhere(ben_tre)
    other["ward_code"] = [f"{30001 + i}" for i in range(len(other))]  # real GSO codes, of other provinces
    layer = pd.concat([ben_tre, other], ignore_index=True).rename(columns={"ward_code": "ma_xa"})
    frame, report = read_boundaries(write(layer, ["ma_xa", "ten_huyen", "ten_xa"], tmp_path / "codes.geojson"))
    assert report.usable, report.to_text()
    assert_only_ben_tre(frame, ben_tre)
    assert "other GSO codes: 90" in report.to_text()


def test_namesakes_outside_ben_tre_are_left_out_when_nothing_else_says_where_they_are(ben_tre, tmp_path):
    layer = pd.concat([elsewhere(ben_tre), ben_tre], ignore_index=True)
    frame, report = read_boundaries(write(layer, ["ten_huyen", "ten_xa"], tmp_path / "names.geojson"))
    assert report.usable, report.to_text()
    assert_only_ben_tre(frame, ben_tre)
    assert "90 features matched by name lie outside Bến Tre and were left out" in report.to_text()


def test_a_layer_of_another_province_only_is_refused_with_a_clear_message(ben_tre, tmp_path):
    other = elsewhere(ben_tre, 157).assign(ten_tinh="Tiền Giang")
    other["geometry"] = [affinity.translate(g, xoff=-SHIFT_DEG, yoff=-0.4) for g in other.geometry]  # in place
    frame, report = read_boundaries(write(other, ["ten_tinh", "ten_huyen", "ten_xa"], tmp_path / "tg.geojson"))
    assert not report.usable and frame.empty
    assert "none of the 157 features is in Tỉnh Bến Tre (Tiền Giang: 157)" in report.to_text()
