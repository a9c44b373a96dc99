"""Static exports draw geometry simplified to the output's resolution: an official-grade (dense) layer gives a
small PDF that looks the same at 1920 px as the full-detail drawing, and shared edges still meet."""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import shutil
import subprocess

import numpy as np
import pytest
import shapely
from PIL import Image, ImageFilter

from geo_app.model.viewstate import ViewState, map_view
from geo_app.render import static

DAY = dt.date(2026, 1, 1)


def dense(ds):
    """The default layer segmentized every 6 m and moved by a smooth field of position (vertices two communes
    share move alike): ≈ 500,000 vertices of real, non-collinear detail, like an office's official layer."""
    layer = ds.boundaries.to_crs("EPSG:32648")

    def field(xy):
        x, y = xy[:, 0], xy[:, 1]
        return np.column_stack([x + 35 * np.sin(x / 900) * np.cos(y / 1300) + 12 * np.sin(y / 170),
                                y + 35 * np.cos(x / 1100) * np.sin(y / 800) + 12 * np.cos(x / 190)])

    layer["geometry"] = shapely.make_valid(shapely.transform(shapely.segmentize(layer.geometry.values, 6.0), field))
    return dataclasses.replace(ds, boundaries=layer.to_crs("EPSG:4326"), revision_key="dense-test")


@pytest.fixture(scope="module")
def dense_ds(dataset):
    out = dense(dataset)
    assert shapely.get_num_coordinates(out.boundaries.geometry.values).sum() > 400_000
    return out


def raster(pdf: bytes, tmp_path, name: str) -> Image.Image:
    """The PDF's page as a 1920 px wide image (poppler's pdftoppm)."""
    tool = shutil.which("pdftoppm")
    assert tool, "pdftoppm is not installed: run scripts/test.sh (it installs poppler-utils)"
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    subprocess.run([tool, "-png", "-singlefile", "-scale-to-x", "1920", "-scale-to-y", "-1", str(path),
                    str(tmp_path / name)], check=True, timeout=120)
    return Image.open(tmp_path / f"{name}.png").convert("RGB")


def visible_difference(a: Image.Image, b: Image.Image) -> float:
    """Share of pixels whose colour differs by more than 32/255 once both are blurred by one pixel (what an eye
    resolves at that size); anti-aliasing shifts of a fraction of a pixel along an edge do not count."""
    assert a.size == b.size
    x = np.asarray(a.filter(ImageFilter.GaussianBlur(1)), dtype=int)
    y = np.asarray(b.filter(ImageFilter.GaussianBlur(1)), dtype=int)
    return float((np.abs(x - y).max(axis=2) > 32).mean())


@pytest.mark.parametrize("state", [ViewState(2024), ViewState(2024, layer="band", district="831")],
                         ids=["province", "district"])
def test_dense_layer_pdf_is_small_and_looks_the_same_at_1920_px(dense_ds, state, tmp_path, monkeypatch):
    view = map_view(dense_ds, state, DAY)
    simplified = static.render(view, "pdf")
    monkeypatch.setattr(static, "SIMPLIFY_PX", 0)  # the full-detail drawing, for comparison
    full = static.render(view, "pdf")
    assert len(simplified) <= 500_000, len(simplified)
    assert len(full) > 4 * len(simplified)  # the detail really was there, and was left out
    difference = visible_difference(raster(simplified, tmp_path, "simplified"), raster(full, tmp_path, "full"))
    assert difference < 0.0005, f"{difference:.4%} of the pixels look different"


@pytest.mark.parametrize("which", ["default", "dense"])
def test_simplified_drawing_keeps_neighbours_together(dataset, dense_ds, which):
    """Simplified together as a coverage: a layer whose neighbours share their edges exactly (the default layer)
    still does, with no gaps or overlaps; any layer keeps every unit, valid, and its outline."""
    ds = dataset if which == "default" else dense_ds
    communes = static._projected(ds.communes(2024))
    full = np.asarray(communes.geometry.values)
    geoms = np.asarray(static._simplified(communes, 32.0).geometry.values)
    assert len(geoms) == len(full) and shapely.is_valid(geoms).all() and not shapely.is_empty(geoms).any()
    if which == "default":
        assert shapely.coverage_is_valid(full) and shapely.coverage_is_valid(geoms)
    else:
        assert shapely.get_num_coordinates(geoms).sum() < 0.1 * shapely.get_num_coordinates(full).sum()
    union_full, union_simple = shapely.union_all(full), shapely.union_all(geoms)
    assert abs(union_simple.area - union_full.area) < 0.002 * union_full.area
    assert union_simple.symmetric_difference(union_full).area < 0.01 * union_full.area
