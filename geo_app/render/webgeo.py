"""Web geometry: the commune layer simplified once per boundary revision, and GeoJSON for the web map.

The communes are simplified together as a coverage (shapely.coverage_simplify), so neighbours keep
sharing their edges (no gaps, no overlaps), then rounded to 5 decimals (~1 m). Districts are the union
of the simplified communes, so the two layers nest exactly. No Flask here.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.ops import polylabel

from geo_app.domain.criteria import CRITERION_COLUMNS
from geo_app.render.mapspec import classify
from geo_app.model.dataset import districts_from_communes
from geo_app.domain.textnorm import fold, strip_type
from geo_app.domain.units import PILOT_COMMUNES

if TYPE_CHECKING:
    from geo_app.store.datastore import DataStore
    from geo_app.model.dataset import Dataset

TOLERANCE_M = 40.0  # Visvalingam-Whyatt tolerance in metres (sqrt of the removed triangle area)
DECIMALS = 5  # ~1.1 m at Bến Tre's latitude
METRIC_CRS = "EPSG:32648"  # UTM 48N, metres
WEB_CRS = "EPSG:4326"
WEBGEO_VERSION = 1  # bump when the simplification changes: persisted geometry of older code is not reused
PILOT_LABEL_MARGIN = 0.02  # degrees kept clear around pilot communes when placing district labels


def simplify_coverage(boundaries: gpd.GeoDataFrame, tolerance_m: float = TOLERANCE_M,
                      decimals: int = DECIMALS) -> gpd.GeoDataFrame:
    """[ward_code, district_code, geometry, label_lon, label_lat] in EPSG:4326, simplified as one coverage."""
    metric = boundaries.to_crs(METRIC_CRS)
    simplified = shapely.coverage_simplify(metric.geometry.values, tolerance_m, simplify_boundary=True)
    out = gpd.GeoDataFrame({"ward_code": boundaries["ward_code"].to_numpy(),
                            "district_code": boundaries["district_code"].to_numpy()},
                           geometry=gpd.GeoSeries(simplified, crs=METRIC_CRS).to_crs(WEB_CRS).values, crs=WEB_CRS)
    out["geometry"] = round_coordinates(out.geometry.values, decimals)
    points = [label_point(g) for g in out.geometry.values]
    out["label_lon"] = [round(p.x, decimals) for p in points]
    out["label_lat"] = [round(p.y, decimals) for p in points]
    return out


def label_point(geom: Any) -> shapely.Point:
    """Where a label goes: the pole of inaccessibility of the largest part (well inside the shape)."""
    parts = getattr(geom, "geoms", [geom])
    largest = max(parts, key=lambda g: g.area)
    try:
        return polylabel(largest, tolerance=0.0005)
    except Exception:  # noqa: BLE001 - degenerate shapes: any interior point will do
        return largest.representative_point()


def round_coordinates(geoms: Any, decimals: int = DECIMALS) -> Any:
    """Snap to a 10^-decimals grid (keeping polygons valid), with short decimal representations."""
    snapped = shapely.set_precision(geoms, 10.0 ** -decimals)
    return shapely.transform(snapped, lambda xy: np.round(xy, decimals))


def dissolve_districts(communes: gpd.GeoDataFrame, decimals: int = DECIMALS) -> gpd.GeoDataFrame:
    """District polygons as the union of their (simplified) communes, with a label point each."""
    rows = []
    for code, group in communes.groupby("district_code", sort=True):
        geom = round_coordinates(union_of(group.geometry.values), decimals)
        point = label_point(_without_pilots(geom, group))
        rows.append({"district_code": code, "geometry": geom,
                     "label_lon": round(point.x, decimals), "label_lat": round(point.y, decimals)})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=communes.crs)


def union_of(geoms: Any) -> Any:
    """Union of neighbouring polygons: the fast coverage union, or a full union when the layer is not a
    clean coverage (an office's shapefile with tiny overlaps or gaps between neighbours)."""
    try:
        merged = shapely.coverage_union_all(geoms)
        if merged.is_valid:
            return merged
    except shapely.errors.GEOSException:
        pass
    return shapely.union_all(shapely.make_valid(geoms))  # overlapping neighbours give an invalid coverage union


def _without_pilots(district: Any, communes: gpd.GeoDataFrame) -> Any:
    """The district minus its pilot communes (and a margin), so its label never hides a pilot's marker."""
    pilots = communes[communes["ward_code"].isin(PILOT_COMMUNES)].geometry
    if pilots.empty:
        return district
    rest = district.difference(shapely.union_all(pilots.values).buffer(PILOT_LABEL_MARGIN))
    return rest if not rest.is_empty else district


def web_geometry(ds: "Dataset") -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """(communes, districts) web geometry of a dataset (not cached: use `cached_web_geometry`)."""
    communes = simplify_coverage(ds.boundaries)
    return communes, dissolve_districts(communes)


def cached_web_geometry(store: "DataStore") -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Web geometry computed once per data revision and kept in the store for every worker."""
    return store.persisted(("webgeo", WEBGEO_VERSION, TOLERANCE_M, DECIMALS), web_geometry)


GEOMETRY_DOCUMENT_VERSION = 1  # bump when the geometry document's layout changes


def geometry_feature(code: str, geometry: dict, lon: float | None, lat: float | None) -> dict:
    """One unit of the geometry document: its code, label point and GeoJSON geometry (no attributes)."""
    label = None if lon is None or lat is None else [float(lon), float(lat)]
    return {"type": "Feature", "id": str(code), "properties": {"label": label}, "geometry": geometry}


def geometry_document(communes: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> dict:
    """The web geometry of a boundary revision as the browser draws it: every commune and district with its
    label point, no attributes (those come with each view). Served once per revision under its content hash."""
    def features(frame: gpd.GeoDataFrame, code: str) -> list[dict]:
        return [geometry_feature(c, shapely.geometry.mapping(g), lon, lat) for c, g, lon, lat
                in zip(frame[code], frame.geometry.values, frame["label_lon"], frame["label_lat"])]

    return {"type": "ntm-geometry", "communes": features(communes, "ward_code"),
            "districts": features(districts, "district_code")}


def geometry_document_bytes(communes: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> bytes:
    """`geometry_document` as compact UTF-8 JSON (the same bytes for the same geometry)."""
    return json.dumps(geometry_document(communes, districts), separators=(",", ":")).encode("utf-8")


def communes_fc(ds: "Dataset", year: int, layer: str = "level", number: int | None = None,
                geometry: gpd.GeoDataFrame | None = None, frame: pd.DataFrame | None = None) -> dict:
    """FeatureCollection of every commune in `year`, with its class key for the view in `class`."""
    geometry = geometry if geometry is not None else web_geometry(ds)[0]
    frame = frame if frame is not None else ds.communes(year)
    classes = classify(frame, "level" if layer == "district" else layer, number)
    geo = geometry.set_index("ward_code")
    features = []
    for (idx, row), cls in zip(frame.iterrows(), classes):
        code = row["ward_code"]
        props = commune_properties(row, cls)
        props["label_lon"], props["label_lat"] = float(geo.at[code, "label_lon"]), float(geo.at[code, "label_lat"])
        features.append({"type": "Feature", "id": code, "properties": props,
                         "geometry": shapely.geometry.mapping(geo.at[code, "geometry"])})
    return {"type": "FeatureCollection", "features": features}


def commune_properties(row: pd.Series, cls: str) -> dict:
    """JSON-safe properties of one commune row of `Dataset.communes(year)`."""
    props: dict[str, Any] = {
        "ward_code": str(row["ward_code"]),
        "name": str(row["name"]),
        "district_code": str(row["district_code"]),
        "district_name": str(row["district_name"]),
        "type": str(row["type"]),
        "level": str(row["level"]),
        "level_rank": int(row["level_rank"]),
        "criteria_met": _int_or_none(row["criteria_met"]),
        "band": str(row["band"]),
        "class": str(cls),
        "missing": [int(n) for n in (row["missing"] or [])],
        "year_recognised": _int_or_none(row["year_recognised"]),
        "note": _text(row["note"]),
        "provenance": _text(row["provenance"]),
        "source_url": _text(row["source_url"]),
        "is_pilot": bool(row["is_pilot"]),
        "search": fold(row["name"]),
    }
    for col in CRITERION_COLUMNS:
        value = row[col]
        props[col] = None if value is None or _isnan(value) else bool(value)
    return props


def districts_fc(ds: "Dataset", year: int, geometry: gpd.GeoDataFrame | None = None,
                 frame: pd.DataFrame | None = None) -> dict:
    """FeatureCollection of the districts in `year`: level, xã counts and share at NTM."""
    geometry = geometry if geometry is not None else web_geometry(ds)[1]
    frame = frame if frame is not None else ds.district_frame(year)
    geo = geometry.set_index("district_code")
    features = []
    for row in frame.itertuples():
        code = str(row.district_code)
        props = {
            "district_code": code, "code": code, "name": str(row.district_name),
            "district_name": str(row.district_name), "short_name": strip_type(str(row.district_name)),
            "level": str(row.level), "class": str(row.level), "xa_total": int(row.xa_total),
            "xa_ntm": int(row.xa_ntm), "xa_nang_cao": int(row.xa_nang_cao),
            "xa_kieu_mau": int(getattr(row, "xa_kieu_mau", 0) or 0),
            "xa_no_data": int(getattr(row, "xa_no_data", 0) or 0),
            "pct_ntm": None if _isnan(row.pct_ntm) else float(row.pct_ntm),
            "pct_nang_cao": None if _isnan(getattr(row, "pct_nang_cao", None)) else float(row.pct_nang_cao),
            "decision": _text(getattr(row, "decision", None)), "note": _text(getattr(row, "note", None)),
            "provenance": _text(row.provenance), "source_url": _text(row.source_url),
            "label_lon": float(geo.at[code, "label_lon"]), "label_lat": float(geo.at[code, "label_lat"]),
        }
        features.append({"type": "Feature", "id": code, "properties": props,
                         "geometry": shapely.geometry.mapping(geo.at[code, "geometry"])})
    return {"type": "FeatureCollection", "features": features}


@dataclass
class WebView:
    """The model frames of one year and their FeatureCollections for one view."""

    year: int
    communes: gpd.GeoDataFrame  # Dataset.communes(year)
    districts: gpd.GeoDataFrame  # Dataset.district_frame(year)
    communes_fc: dict
    districts_fc: dict


def web_view(store: "DataStore", year: int, layer: str = "level", number: int | None = None) -> WebView:
    """Frames and FeatureCollections for one view, built once per data revision (treat them as read-only)."""
    number = number if layer == "criterion" else None
    return store.cached(("webview", year, layer, number), lambda ds: _build_web_view(store, ds, year, layer, number))


def _build_web_view(store: "DataStore", ds: "Dataset", year: int, layer: str, number: int | None) -> WebView:
    communes_geo, districts_geo = cached_web_geometry(store)
    communes = ds.communes(year)
    districts = districts_from_communes(ds, communes, year)
    return WebView(year, communes, districts,
                   communes_fc(ds, year, layer, number, geometry=communes_geo, frame=communes),
                   districts_fc(ds, year, geometry=districts_geo, frame=districts))


def _isnan(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def _int_or_none(value: object) -> int | None:
    return None if _isnan(value) else int(value)


def _text(value: object) -> str:
    return "" if _isnan(value) else str(value)


def web_geometry_problems(boundaries: gpd.GeoDataFrame) -> list[str]:
    """Why the web map could not draw this layer (empty when it can): run at import, before anything is stored."""
    try:
        communes = simplify_coverage(boundaries)
        districts = dissolve_districts(communes)
    except (shapely.errors.GEOSException, ValueError) as exc:
        return [f"the web map cannot be drawn from this layer ({exc}); fix the overlaps and gaps reported above "
                "in a GIS, then import it again"]
    problems = []
    broken = communes[communes.geometry.is_empty | ~communes.geometry.is_valid]
    if not broken.empty:
        codes = ", ".join(broken["ward_code"].astype(str).head(5))
        more = f" and {len(broken) - 5} more" if len(broken) > 5 else ""
        problems.append(f"{len(broken)} commune(s) vanish or break when simplified for the web map (codes {codes}"
                        f"{more}); check those features' shapes in a GIS")
    if not districts.geometry.is_valid.all():
        problems.append("the district outlines made from this layer are invalid; fix the overlaps and gaps reported "
                        "above in a GIS")
    return problems
