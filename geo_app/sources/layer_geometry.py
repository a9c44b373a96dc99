"""Geometry of a boundary layer in the canonical shape: polygonal repair, the canonical frame, coverage checks.

Shared by the layer reader (`sources.boundaries`) and the default-layer build (`sources.boundary_build`).
"""

from __future__ import annotations

import geopandas as gpd
import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from geo_app.domain.units import BOUNDARY_VINTAGE, units
from geo_app.domain.messages import joined_by, phrase as _p
from geo_app.sources.report import CheckReport

CANONICAL_COLUMNS = ["ward_code", "name", "type", "district_code", "district_name", "vintage", "geometry"]
METRIC_CRS = "EPSG:32648"  # UTM 48N covers Bến Tre: areas and distances in metres
POLYGONAL = ("Polygon", "MultiPolygon")


def polygonal(geom: BaseGeometry | None) -> BaseGeometry | None:
    """The polygonal part of a geometry (None if it has none)."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in POLYGONAL:
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in POLYGONAL]
    parts = [q for p in parts for q in ([p] if p.geom_type == "Polygon" else shapely.get_parts(p)) if not q.is_empty]
    return shapely.union_all(parts) if parts else None


def repaired(geom: BaseGeometry) -> BaseGeometry | None:
    """A valid polygonal version of `geom` (shapely make_valid, polygonal parts kept)."""
    return polygonal(geom if geom.is_valid else shapely.make_valid(geom))


def empty_frame() -> gpd.GeoDataFrame:
    """The canonical boundary frame with no rows."""
    cols = {c: [] for c in CANONICAL_COLUMNS if c != "geometry"}
    return gpd.GeoDataFrame(cols, geometry=gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326")


def canonical_frame(parts: dict[str, list[BaseGeometry]]) -> gpd.GeoDataFrame:
    """One row per 2020-2024 GSO code (geometries of a code dissolved), attributes from the GSO list."""
    gso = units()
    rows, geoms = [], []
    for code in sorted(parts):
        unit = gso[code]
        geom = repaired(shapely.union_all(parts[code]))
        if geom is None:
            continue
        rows.append({"ward_code": code, "name": unit.name, "type": unit.type, "district_code": unit.district_code,
                     "district_name": unit.district_name, "vintage": BOUNDARY_VINTAGE})
        geoms.append(geom)
    if not rows:
        return empty_frame()
    return gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326")[CANONICAL_COLUMNS]


def repair_geometries(geoms: gpd.GeoSeries, targets: list[str | None], labels: list[str],
                      report: CheckReport) -> list[tuple[int, str, BaseGeometry]]:
    """(feature index, code, valid polygonal geometry) of every matched feature; repairs reported as warnings."""
    out = []
    for i, (geom, code) in enumerate(zip(geoms, targets)):
        if code is None:
            continue
        if geom is None or geom.is_empty:
            report.warn(_p("{unit}: no geometry; skipped — draw its polygon or the unit stays off the map",
                           unit=labels[i]))
            continue
        fixed = repaired(geom)
        if fixed is None:
            report.warn(_p("{unit}: a {kind} is not a polygon; skipped", unit=labels[i], kind=geom.geom_type))
            continue
        if not geom.is_valid:
            report.warn(_p("{unit}: invalid geometry ({reason}) repaired with make_valid", unit=labels[i],
                           reason=shapely.is_valid_reason(geom)))
        out.append((i, code, fixed))
    return out


MIN_AREA_M2 = 10.0  # overlaps and gaps smaller than this are numerical noise
LISTED = 20  # overlaps/gaps named one by one in a warning (largest first); the rest are counted


def check_coverage(parts: list[tuple[int, str, BaseGeometry]], labels: list[str], report: CheckReport) -> None:
    """Warn about overlaps and gaps between neighbouring features (areas computed in metres)."""
    if len(parts) < 2:
        return
    index = [i for i, _, _ in parts]
    geoms = gpd.GeoSeries([g for _, _, g in parts], crs="EPSG:4326").to_crs(METRIC_CRS).values
    tree = shapely.STRtree(geoms)
    if not shapely.coverage_is_valid(geoms):
        _overlaps(geoms, tree, [labels[i] for i in index], report)
    _gaps(geoms, tree, [labels[i] for i in index], report)


def _overlaps(geoms, tree: shapely.STRtree, labels: list[str], report: CheckReport) -> None:
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    areas = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    pairs = sorted(((a, i, j) for a, i, j in zip(areas, left, right) if a > MIN_AREA_M2), reverse=True)
    if pairs:
        listed = "; ".join(f"{labels[i]} × {labels[j]}: {_area(a)}" for a, i, j in pairs[:LISTED])
        more = _p("; and {count} more", count=len(pairs) - LISTED) if len(pairs) > LISTED else ""
        report.warn(_p("{count} pairs of neighbouring features overlap (total {area}): {listed}{more} — the map shows "
                       "those areas twice; fix the shared edges in a GIS", count=len(pairs),
                       area=_area(sum(a for a, _, _ in pairs)), listed=listed, more=more))


def _gaps(geoms, tree: shapely.STRtree, labels: list[str], report: CheckReport) -> None:
    union = shapely.union_all(geoms)
    holes = [Polygon(ring) for part in shapely.get_parts(union) if part.geom_type == "Polygon"
             for ring in part.interiors]
    holes = sorted((h for h in holes if h.area > MIN_AREA_M2), key=lambda h: -h.area)
    if not holes:
        return
    centres = gpd.GeoSeries([h.representative_point() for h in holes], crs=METRIC_CRS).to_crs("EPSG:4326")
    listed = []
    for hole, centre in list(zip(holes, centres))[:LISTED]:
        near = tree.query(hole.buffer(1.0), predicate="intersects")
        x, y = f"{centre.x:.5f}", f"{centre.y:.5f}"
        listed.append(_p("{area} at {x}, {y} between {units}", area=_area(hole.area), x=x, y=y,
                         units=", ".join(labels[k] for k in sorted(near))))
    more = _p("; and {count} more", count=len(holes) - LISTED) if len(holes) > LISTED else ""
    report.warn(_p("{count} gaps between neighbouring features (total {area}): {listed}{more} — those areas belong "
                   "to no unit; fix the shared edges in a GIS", count=len(holes), area=_area(sum(h.area for h in holes)),
                   listed=joined_by("; ", listed),
                   more=more))


def _area(m2: float) -> str:
    if m2 >= 1e6:
        return f"{m2 / 1e6:.2f} km²"
    return f"{m2 / 1e4:.2f} ha" if m2 >= 1e4 else f"{m2:.0f} m²"


__all__ = ["CANONICAL_COLUMNS", "METRIC_CRS", "canonical_frame", "check_coverage", "empty_frame", "polygonal",
           "repair_geometries", "repaired"]
