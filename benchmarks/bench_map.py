"""Map page cost: this app's renderer against a naive Folium notebook approach, in one run.

Baseline ("naive"): what a hand-made notebook does for every view — read the shapefile and the status
CSV, merge on the code, build a folium.GeoJson with a GeoJsonTooltip over full-resolution geometry and
render the page. Ours: the DataStore's per-revision caches (validated dataset, coverage-simplified web
geometry) and render_folium. Prints median seconds and HTML bytes, and the ratios naive/ours.

    .venv/bin/python benchmarks/bench_map.py [--repeat 5] [--densify 10]

`--densify M` first adds a vertex every M metres to the default layer (like an office's surveyed
shapefile, which has far more vertices than the default GADM-derived one) and benchmarks on that.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import folium  # noqa: E402
import geopandas as gpd  # noqa: E402
import pandas as pd  # noqa: E402

from geo_app.store.datastore import DataStore  # noqa: E402
from geo_app.render.mapspec import build_spec  # noqa: E402
from geo_app.render.interactive import render_map  # noqa: E402
from geo_app.settings import Settings  # noqa: E402
from geo_app.render.webgeo import web_view  # noqa: E402

YEAR = 2022
PALETTE = {"chua_dat": "#edf8b1", "ntm": "#7fcdbb", "nang_cao": "#2c7fb8", "kieu_mau": "#253494"}


def naive_page(settings: Settings) -> str:
    """One view the notebook way: read, merge, GeoJson + GeoJsonTooltip, render."""
    communes = gpd.read_file(settings.boundaries_path())
    status = pd.read_csv(settings.commune_status_path(), dtype={"ward_code": str})
    status = status[status["year"] == YEAR]
    crit = [f"c{i}" for i in range(1, 20)]
    status = status.assign(criteria_met=status[crit].sum(axis=1))
    merged = communes.merge(status[["ward_code", "level", "criteria_met"]], on="ward_code", how="left")
    merged["level"] = merged["level"].fillna("no_data")
    merged["criteria_met"] = merged["criteria_met"].fillna(-1)
    m = folium.Map(location=(10.13, 106.47), zoom_start=10, tiles=None)
    folium.GeoJson(
        merged,
        style_function=lambda f: {"fillColor": PALETTE.get(f["properties"]["level"], "#bdbdbd"),
                                  "color": "#555", "weight": 1, "fillOpacity": 0.8},
        tooltip=folium.GeoJsonTooltip(fields=["name", "level", "criteria_met"]),
    ).add_to(m)
    return m.get_root().render()


def our_page(store: DataStore) -> str:
    """One view through the app's caches and renderer."""
    view = web_view(store, YEAR, "level")
    spec = build_spec(view.communes, view.districts, YEAR, "level",
                      illustrative=store.dataset().has_illustrative(YEAR))
    return render_map(spec, view.communes_fc, view.districts_fc)


def densified_settings(metres: float, folder: Path) -> Settings:
    """Settings pointing at a copy of the default layer with a vertex every `metres` m."""
    base = Settings.from_env()
    layer = gpd.read_file(base.boundaries_path()).to_crs("EPSG:32648")
    layer["geometry"] = layer.geometry.segmentize(metres)
    (folder / "boundaries").mkdir()
    path = folder / "boundaries" / "dense.gpkg"
    layer.to_crs("EPSG:4326").to_file(path, driver="GPKG")
    vertices = int(layer.geometry.count_coordinates().sum())
    print(f"densified layer: a vertex every {metres:g} m, {vertices} vertices")
    return Settings.from_env({"NTM_BOUNDARIES_DIR": str(folder / "boundaries"), "NTM_BOUNDARIES": "dense.gpkg",
                              "NTM_STATUS_DIR": str(base.status_dir)})


def timed(fn, repeat: int) -> tuple[float, int]:
    """Median seconds over `repeat` runs, and the size of the last output."""
    times, out = [], ""
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), len(out.encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--densify", type=float, default=None, metavar="METRES")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = densified_settings(args.densify, Path(tmp)) if args.densify else Settings.from_env()
        run(settings, args.repeat)


def run(settings: Settings, repeat: int) -> None:
    store = DataStore(settings, tempfile.mkdtemp(prefix='ntm-bench-') + '/ntm.sqlite')
    t0 = time.perf_counter()
    our_page(store)
    cold = time.perf_counter() - t0
    naive_s, naive_bytes = timed(lambda: naive_page(settings), repeat)
    ours_s, ours_bytes = timed(lambda: our_page(store), repeat)
    print(f"views: year {YEAR}, layer level, 157 communes; median of {repeat} runs")
    print(f"naive folium per view : {naive_s:8.3f} s  {naive_bytes / 1e6:7.2f} MB HTML")
    print(f"ours, first view      : {cold:8.3f} s  (loads, validates, simplifies once per data revision)")
    print(f"ours, per view (warm) : {ours_s:8.3f} s  {ours_bytes / 1e6:7.2f} MB HTML")
    print(f"ratio time  naive/ours: {naive_s / ours_s:6.2f}x")
    print(f"ratio bytes naive/ours: {naive_bytes / ours_bytes:6.2f}x")


if __name__ == "__main__":
    main()
