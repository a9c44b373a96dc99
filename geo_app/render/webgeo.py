"""Web geometry: the commune layer simplified once per boundary revision, and GeoJSON for the web map.

The communes are simplified together as a coverage (shapely.coverage_simplify), so neighbours keep sharing
their edges (no gaps, no overlaps), then moved onto the 10^-5 degree grid (~1 m) as a coverage too
(`round_coverage`: shared vertices move alike; where two edges are closer than the grid, that patch is
snap-rounded as one), so the result is still a valid coverage with short coordinates. Districts are the union
of the simplified communes, so the two layers nest exactly. The geometry document the browser gets is TopoJSON
(`geometry_document`, geo_app.render.topology): each shared edge once. No Flask here.
"""
from __future__ import annotations

import json
import math
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geo_app.domain.criteria import CRITERION_COLUMNS
from geo_app.render.mapspec import classify
from geo_app.render.topology import decode, ragged_polygons, shapes, shapes_json, topology, topology_json
from geo_app.model.dataset import districts_from_communes
from geo_app.domain.textnorm import fold, short_district
from geo_app.domain.units import PILOT_COMMUNES

if TYPE_CHECKING:
    from geo_app.store.datastore import DataStore
    from geo_app.model.dataset import Dataset

TOLERANCE_M = 40.0  # Visvalingam-Whyatt tolerance in metres (sqrt of the removed triangle area)
DECIMALS = 5  # ~1.1 m at Bến Tre's latitude
METRIC_CRS = "EPSG:32648"  # UTM 48N, metres
WEB_CRS = "EPSG:4326"
WEBGEO_VERSION = 3  # bump when the simplification changes: persisted geometry of older code is not reused
PILOT_LABEL_MARGIN = 0.02  # degrees kept clear around pilot communes when placing district labels
LABEL_TOLERANCE = 0.0005  # degrees (~55 m): how close a label point is to the best (pole of inaccessibility)


def simplify_coverage(boundaries: gpd.GeoDataFrame, tolerance_m: float = TOLERANCE_M,
                      decimals: int = DECIMALS) -> gpd.GeoDataFrame:
    """[ward_code, district_code, geometry, label_lon, label_lat] in EPSG:4326, simplified as one coverage."""
    unrounded, rounded = rounded_units(boundaries, tolerance_m)
    with ThreadPoolExecutor(max_workers=2) as pool:  # GEOS lets go of the GIL: the label points are found
        started = start_label_points(pool, rounded)  # while the coverage is checked (and mended)
        simplified = mend_rounding(unrounded, rounded, decimals)
        points = finish_label_points(pool, started, rounded, simplified)()
    return _communes_frame(boundaries, simplified, points, decimals)


def rounded_units(boundaries: gpd.GeoDataFrame, tolerance_m: float = TOLERANCE_M,
                  decimals: int = DECIMALS) -> tuple[np.ndarray, np.ndarray]:
    """(the units in EPSG:4326 simplified as one coverage, the same on the grid: `snap_to_grid`)."""
    unrounded = simplify_in_metres(_lonlat(boundaries), tolerance_m)
    return unrounded, snap_to_grid(unrounded, decimals)


def _lonlat(boundaries: gpd.GeoDataFrame) -> np.ndarray:
    """The units' polygons in WEB_CRS."""
    source = boundaries.geometry.to_crs(WEB_CRS) if boundaries.crs is not None else boundaries.geometry
    return np.asarray(source.values)


def start_label_points(pool: ThreadPoolExecutor, rounded: np.ndarray) -> Future:
    """The label points of the rounded units, being found in another thread (one: the calling thread checks
    the coverage meanwhile, and two cores are what a small server has)."""
    return pool.submit(label_points, rounded)


def finish_label_points(pool: ThreadPoolExecutor, started: Future, rounded: np.ndarray,
                        simplified: np.ndarray) -> Callable[[], np.ndarray]:
    """A function returning the label points of the simplified units, given those started for the rounded
    ones: the units that `mend_rounding` replaced get their own, found in `pool` from now on."""
    mended = np.array([a is not b for a, b in zip(simplified, rounded)], dtype=bool)
    again = pool.submit(label_points, simplified[mended])

    def points() -> np.ndarray:
        found = started.result()
        found[mended] = again.result()
        return found

    return points


def _communes_frame(boundaries: gpd.GeoDataFrame, geoms: np.ndarray, points: np.ndarray,
                    decimals: int) -> gpd.GeoDataFrame:
    out = gpd.GeoDataFrame({"ward_code": boundaries["ward_code"].to_numpy(),
                            "district_code": boundaries["district_code"].to_numpy()},
                           geometry=geoms, crs=WEB_CRS)
    out["label_lon"] = np.round(shapely.get_x(points), decimals)
    out["label_lat"] = np.round(shapely.get_y(points), decimals)
    return out


def snap_to_grid(geoms: np.ndarray, decimals: int = DECIMALS) -> np.ndarray:
    """Polygons with every vertex on the 10^-decimals degree grid. Each vertex moves to its nearest grid point,
    so vertices that neighbours share stay shared; repeated vertices merge and rings that collapse (less than
    ~1 m across) are dropped, with their polygon when it is the shell. Polygons stay Polygons."""
    coords, (ring_off, poly_off, multi_off) = ragged_polygons(geoms)
    grid = np.round(coords, decimals)
    n_rings, n_polys = len(ring_off) - 1, len(poly_off) - 1
    starts = np.zeros(len(grid), bool)
    starts[ring_off[:-1][np.diff(ring_off) > 0]] = True
    keep = starts.copy()
    keep[1:] |= (grid[1:] != grid[:-1]).any(axis=1)
    ring_of = np.repeat(np.arange(n_rings), np.diff(ring_off))
    ring_len = np.bincount(ring_of[keep], minlength=n_rings)
    poly_of_ring = np.repeat(np.arange(n_polys), np.diff(poly_off))
    shell = np.zeros(n_rings, bool)
    shell[poly_off[:-1][np.diff(poly_off) > 0]] = True
    poly_ok = np.zeros(n_polys, bool)
    poly_ok[poly_of_ring[shell]] = ring_len[shell] >= 4
    ring_ok = (ring_len >= 4) & poly_ok[poly_of_ring]
    multi_of_poly = np.repeat(np.arange(len(multi_off) - 1), np.diff(multi_off))
    offsets = (np.concatenate([[0], np.cumsum(ring_len[ring_ok])]),
               np.concatenate([[0], np.cumsum(np.bincount(poly_of_ring[ring_ok], minlength=n_polys)[poly_ok])]),
               np.concatenate([[0], np.cumsum(np.bincount(multi_of_poly[poly_ok], minlength=len(multi_off) - 1))]))
    multi = shapely.from_ragged_array(shapely.GeometryType.MULTIPOLYGON, grid[keep & ring_ok[ring_of]], offsets)
    single = (shapely.get_type_id(geoms) == shapely.GeometryType.POLYGON) & (shapely.get_num_geometries(multi) == 1)
    out = np.asarray(multi, dtype=object)
    out[single] = shapely.get_geometry(multi[single], 0)
    return out


def simplify_in_metres(geoms: np.ndarray, tolerance_m: float = TOLERANCE_M) -> np.ndarray:
    """shapely.coverage_simplify of lon/lat polygons with the tolerance in metres (computed in METRIC_CRS)."""
    to_metric = _metric_transformer()
    return _from_metres(_simplified_in_metres(geoms, tolerance_m, to_metric), to_metric)


def _metric_transformer() -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(WEB_CRS, METRIC_CRS, always_xy=True)


def _simplified_in_metres(geoms: np.ndarray, tolerance_m: float, to_metric: pyproj.Transformer) -> np.ndarray:
    """The lon/lat polygons in METRIC_CRS, simplified as one coverage."""
    metric = shapely.transform(geoms, lambda xy: np.column_stack(to_metric.transform(xy[:, 0], xy[:, 1])))
    return shapely.coverage_simplify(metric, tolerance_m, simplify_boundary=True)


def _from_metres(geoms: np.ndarray, to_metric: pyproj.Transformer) -> np.ndarray:
    """Polygons in METRIC_CRS back in lon/lat (each point on its own: any part of a layer gives the same)."""
    inverse = pyproj.enums.TransformDirection.INVERSE
    return shapely.transform(geoms, lambda xy: np.column_stack(
        to_metric.transform(xy[:, 0], xy[:, 1], direction=inverse)))


def round_coverage(geoms: np.ndarray, decimals: int = DECIMALS, attempts: int = 4) -> np.ndarray:
    """A coverage moved onto the 10^-decimals grid and still a valid coverage (neighbours share their edges,
    no overlaps, every polygon valid).

    Each vertex moves to its nearest grid point (`snap_to_grid`): shared vertices move alike, so almost every
    commune stays as it was. Where two edges come closer than the grid (a narrow neck, two parts that nearly
    touch), that alone can make a polygon cross itself or its neighbour; there the units involved and their
    neighbours are rebuilt from their linework snap-rounded as one (noded on the grid: nothing crosses), and the
    rebuilt patch is checked against its surroundings, growing it while they do not fit."""
    return mend_rounding(geoms, snap_to_grid(geoms, decimals), decimals, attempts)


def mend_rounding(geoms: np.ndarray, rounded: np.ndarray, decimals: int = DECIMALS, attempts: int = 4,
                  broken: np.ndarray | None = None) -> np.ndarray:
    """`round_coverage` given `snap_to_grid(geoms)` (and `_coverage_problems(rounded)` if known): the units it
    leaves alone are the same objects."""
    broken = _coverage_problems(rounded) if broken is None else broken
    if not broken.any():
        return rounded
    tree = shapely.STRtree(geoms)
    patch = broken & ~_problems_among(geoms, _with_neighbours(tree, geoms, broken))  # only what rounding broke
    candidate = rounded
    for _ in range(attempts):
        if not patch.any():
            break
        patch = _with_neighbours(tree, geoms, patch)
        try:
            rebuilt = snap_to_grid(_snap_rounded(geoms[patch], decimals), decimals)
        except shapely.errors.GEOSException:  # a layer GEOS cannot node: keep the plain rounding
            break
        candidate = rounded.copy()
        candidate[patch] = rebuilt
        around = _with_neighbours(tree, geoms, patch)
        new = _problems_among(candidate, around) & ~_problems_among(geoms, around)
        if not new.any():
            break
        patch = patch | new
    return candidate  # if still not clean, web_geometry_problems reports the units that broke


def _coverage_problems(geoms: np.ndarray) -> np.ndarray:
    """Which polygons are invalid, or do not fit their neighbours (overlaps, edges that do not match)."""
    return ~shapely.is_valid(geoms) | ~shapely.is_empty(shapely.coverage_invalid_edges(geoms))


SPLIT_CHECK = 2000  # units: from this many on, `start_coverage_problems` checks the two halves of a layer at once


def start_coverage_problems(pool: ThreadPoolExecutor, geoms: np.ndarray) -> Callable[[], np.ndarray]:
    """A function returning `_coverage_problems(geoms)`: the southern half of the layer is checked in `pool`
    from now on, the northern one in the thread that calls it (GEOS lets go of the GIL).

    GEOS checks each unit against the units whose envelopes meet its own (CoverageValidator), so a half checked
    together with those units gives each of its units the answer the whole layer gives."""
    if len(geoms) < SPLIT_CHECK:
        return lambda: _coverage_problems(geoms)
    xmin, ymin, xmax, ymax = shapely.bounds(geoms).T
    middle = np.nan_to_num((ymin + ymax) / 2, nan=-np.inf)  # an empty unit has no envelope and no neighbour
    south = middle <= np.median(middle)
    tree = shapely.STRtree(geoms)
    other = pool.submit(_problems_of, geoms, south, tree)
    return lambda: _problems_of(geoms, ~south, tree) | other.result()


def _problems_of(geoms: np.ndarray, chosen: np.ndarray, tree: shapely.STRtree) -> np.ndarray:
    """`_coverage_problems(geoms)` of the chosen units (a mask; False elsewhere), checked among themselves and
    every unit whose envelope meets one of theirs."""
    around = chosen.copy()
    around[tree.query(geoms[chosen])[1]] = True
    out = np.zeros(len(geoms), bool)
    out[around] = _coverage_problems(geoms[around])
    return out & chosen


def _problems_among(geoms: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """`_coverage_problems` of the chosen units (a mask) among themselves, as a mask of all units."""
    out = np.zeros(len(geoms), bool)
    out[chosen] = _coverage_problems(geoms[chosen])
    return out


def _with_neighbours(tree: shapely.STRtree, geoms: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """`chosen` (a mask) and every unit that touches one of them."""
    out = chosen.copy()
    out[tree.query(geoms[chosen], predicate="intersects")[1]] = True
    return out


def _snap_rounded(geoms: np.ndarray, decimals: int) -> np.ndarray:
    """These polygons rebuilt on the grid together: their boundaries snap-rounded and noded as one (GEOS
    OverlayNG with a grid), polygonized, each face given to the polygon that holds most of it."""
    lines = shapely.union_all(shapely.boundary(geoms), grid_size=10.0 ** -decimals)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    owner = _face_owners(faces, geoms)
    out = np.empty(len(geoms), dtype=object)
    order = np.argsort(owner, kind="stable")  # each unit's faces, in the order polygonize gave them
    bounds = np.searchsorted(owner[order], np.arange(len(geoms) + 1))
    for k in range(len(geoms)):
        mine = faces[order[bounds[k]:bounds[k + 1]]]
        out[k] = shapely.coverage_union_all(mine) if len(mine) else shapely.Polygon()
    return out


def _face_owners(faces: np.ndarray, geoms: np.ndarray) -> np.ndarray:
    """Per face, the unit (position in `geoms`) that holds most of it, or -1 when none holds half of it.

    Where the units do not overlap, a unit that holds more than 0.6 of a face holds more of it than all the others
    together: so each face is first weighed against the unit around a point inside it, and only the faces it
    does not clearly hold (slivers that rounding moved across an edge, closed-off notches) against every unit
    they touch (an overlay each, most of the time this took when every face was weighed against every unit)."""
    tree = shapely.STRtree(geoms)
    owner = np.full(len(faces), -1)
    weigh = np.ones(len(faces), bool)
    if len(faces) and shapely.coverage_is_valid(geoms):
        at, by = tree.query(shapely.point_on_surface(faces), predicate="within")
        share = shapely.area(shapely.intersection(faces[at], geoms[by]))
        clear = (share > 0.6 * shapely.area(faces[at])) & (np.bincount(at, minlength=len(faces))[at] == 1)
        owner[at[clear]] = by[clear]
        weigh[at[clear]] = False
    face, unit = tree.query(faces, predicate="intersects")
    pair = weigh[face]
    face, unit = face[pair], unit[pair]
    shared = shapely.area(shapely.intersection(faces[face], geoms[unit]))
    best = np.lexsort((-shared, face))  # per face, the unit that holds most of it
    best = best[np.r_[True, face[best][1:] != face[best][:-1]]] if len(best) else best
    held = shared[best] >= 0.5 * shapely.area(faces[face[best]])  # else: outside them all (a closed-off notch)
    owner[face[best][held]] = unit[best][held]
    return owner


def label_points(geoms: np.ndarray) -> np.ndarray:
    """Where each unit's label goes: the pole of inaccessibility of its largest part (well inside the shape)."""
    geoms = np.asarray(geoms, dtype=object)
    parts, index = shapely.get_parts(geoms, return_index=True)
    order = np.lexsort((-shapely.area(parts), index))
    first = order[np.r_[True, index[order][1:] != index[order][:-1]]] if len(order) else order
    largest = np.full(len(geoms), None, dtype=object)
    largest[index[first]] = parts[first]
    try:
        return shapely.get_point(shapely.maximum_inscribed_circle(largest, LABEL_TOLERANCE), 0)
    except shapely.errors.GEOSException:  # a degenerate shape somewhere: one at a time
        return np.array([label_point(g) if g is not None else None for g in largest], dtype=object)


def label_point(geom: Any) -> shapely.Point:
    """Where a label goes: the pole of inaccessibility of the largest part (well inside the shape)."""
    parts = getattr(geom, "geoms", [geom])
    largest = max(parts, key=lambda g: g.area)
    try:
        return shapely.get_point(shapely.maximum_inscribed_circle(largest, LABEL_TOLERANCE), 0)
    except Exception:  # noqa: BLE001 - degenerate shapes: any interior point will do
        return largest.representative_point()


def round_coordinates(geoms: Any, decimals: int = DECIMALS) -> Any:
    """Snap to a 10^-decimals grid (keeping polygons valid), with short decimal representations."""
    snapped = shapely.set_precision(geoms, 10.0 ** -decimals)
    return shapely.transform(snapped, lambda xy: np.round(xy, decimals))


def dissolve_districts(communes: gpd.GeoDataFrame, decimals: int = DECIMALS) -> gpd.GeoDataFrame:
    """District polygons as the union of their (simplified) communes, with a label point each."""
    groups = district_groups(communes["district_code"])
    geoms = np.asarray(communes.geometry.values)
    pilot = communes["ward_code"].isin(PILOT_COMMUNES).to_numpy()
    districts, label_areas = _columns([district_shape(geoms, members, pilot, decimals) for _, members in groups])
    return _districts_frame([code for code, _ in groups], districts, label_points(label_areas), decimals,
                            communes.crs)


def district_groups(district_codes: pd.Series) -> list[tuple[Any, np.ndarray]]:
    """(district code, positions of its communes), in the order of the codes."""
    codes = np.asarray(district_codes)
    return sorted(pd.Series(codes).groupby(codes, sort=True).indices.items())


def district_shape(geoms: np.ndarray, members: np.ndarray, pilot: np.ndarray,
                   decimals: int = DECIMALS) -> tuple[Any, Any]:
    """(the union of these communes, where its label may go: the union without its pilot communes)."""
    geom, exact = union_of(geoms[members])
    geom = geom if exact else round_coordinates(geom, decimals)  # a coverage union adds no vertex
    return geom, _without_pilots(geom, geoms[members[pilot[members]]])


def _shape_or_none(geoms: np.ndarray, members: np.ndarray, pilot: np.ndarray) -> tuple[Any, Any] | None:
    """`district_shape`, or None where GEOS fails on it (then it is made again from the mended units)."""
    try:
        return district_shape(geoms, members, pilot)
    except (shapely.errors.GEOSException, ValueError):
        return None


def _columns(pairs: list[tuple[Any, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """Two object arrays from a list of pairs."""
    first, second = np.empty(len(pairs), dtype=object), np.empty(len(pairs), dtype=object)
    first[:], second[:] = [a for a, _ in pairs], [b for _, b in pairs]
    return first, second


def _districts_frame(codes: list[str], districts: np.ndarray, points: np.ndarray, decimals: int,
                     crs: Any) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"district_code": codes, "geometry": list(districts),
                             "label_lon": np.round(shapely.get_x(points), decimals),
                             "label_lat": np.round(shapely.get_y(points), decimals)},
                            geometry="geometry", crs=crs)


def union_of(geoms: Any) -> tuple[Any, bool]:
    """(union of neighbouring polygons, whether it is the coverage union): the fast coverage union, whose
    vertices are the communes', or a full union when the layer is not a clean coverage (an office's shapefile
    with tiny overlaps or gaps between neighbours), which adds vertices where edges cross."""
    try:
        merged = shapely.coverage_union_all(geoms)
        if merged.is_valid:
            return merged, True
    except shapely.errors.GEOSException:
        pass
    return shapely.union_all(shapely.make_valid(geoms)), False  # overlapping neighbours: invalid coverage union


def _without_pilots(district: Any, pilots: np.ndarray) -> Any:
    """The district minus its pilot communes (and a margin), so its label never hides a pilot's marker."""
    if not len(pilots):
        return district
    rest = district.difference(shapely.union_all(pilots).buffer(PILOT_LABEL_MARGIN))
    return rest if not rest.is_empty else district


@dataclass
class WebGeometry:
    """The web geometry of a boundary layer: (communes, districts) as simplify_coverage and dissolve_districts
    make them, and the geometry document of both (`geometry_document_bytes`)."""

    frames: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]
    document: bytes


LABEL_CHUNKS = 6  # the units' label points are found in this many tasks, so each core takes its share
POOL_THREADS = 2  # pool threads beside the calling one (1 or 3 were slower on two cores)


def build_web_geometry(boundaries: gpd.GeoDataFrame) -> WebGeometry:
    """`WebGeometry` of a boundary layer: the same frames and bytes as simplify_coverage -> dissolve_districts
    -> geometry_document_bytes, made sooner by overlapping them on two cores (GEOS and numpy let go of the GIL).

    Once the units are simplified, they are put back in lon/lat and on the grid in two halves, the first half's
    label points being found meanwhile. Then the calling thread checks the rounded coverage's northern half
    while a pool thread checks the southern one, and mends it; the pool makes the districts and their label
    points from the rounded units and finds the other units' label points, in parts; the districts (and label
    points) of mended units are made again, and the document's arcs are made while the last label points are
    found. Whatever the pool has not started when the calling thread would wait for it, the calling thread does
    itself (`_Task`)."""
    to_metric = _metric_transformer()
    simplified = _simplified_in_metres(_lonlat(boundaries), TOLERANCE_M, to_metric)
    groups = district_groups(boundaries["district_code"])
    pilot = boundaries["ward_code"].isin(PILOT_COMMUNES).to_numpy()
    with ThreadPoolExecutor(max_workers=POOL_THREADS) as pool:
        halves = np.array_split(simplified, 2)
        unrounded = [_from_metres(halves[0], to_metric)]
        rounded = [snap_to_grid(unrounded[0], DECIMALS)]
        chunks = np.array_split(np.arange(len(simplified)), LABEL_CHUNKS)
        first = [c for c in chunks if len(c) and c[-1] < len(halves[0])][:1]  # found while the second half is made
        labels = [_Task(pool, label_points, rounded[0][c]) for c in first]
        unrounded.append(_from_metres(halves[1], to_metric))
        rounded.append(snap_to_grid(unrounded[1], DECIMALS))
        unrounded, rounded = np.concatenate(unrounded), np.concatenate(rounded)
        problems = start_coverage_problems(pool, rounded)  # ahead of the rest in the pool's queue
        early = _Task(pool, _early_districts, rounded, groups, pilot)
        labels += [_Task(pool, label_points, rounded[c]) for c in chunks[len(first):]]
        geoms = mend_rounding(unrounded, rounded, DECIMALS, broken=problems())
        mended = np.array([a is not b for a, b in zip(geoms, rounded)], dtype=bool)
        again = _Task(pool, label_points, geoms[mended])
        redo = {k: district_shape(geoms, members, pilot) for k, (_, members) in enumerate(groups)
                if mended[members].any()}
        shaped_early, early_points = early.result(labels)
        redo.update({k: district_shape(geoms, members, pilot) for k, (_, members) in enumerate(groups)
                     if shaped_early[k] is None and k not in redo})  # where GEOS failed on the rounded units
        pairs = [redo[k] if k in redo else shaped_early[k] for k in range(len(groups))]
        districts, label_areas = _columns(pairs)
        again_districts = _Task(pool, label_points, label_areas[sorted(redo)])
        shaped = shapes([geoms, districts], DECIMALS)
        found = [task.result() for task in labels]
        commune_points = np.concatenate(found) if found else np.array([], dtype=object)
        commune_points[mended] = again.result()
        district_points = early_points
        district_points[sorted(redo)] = again_districts.result()
        communes = _communes_frame(boundaries, geoms, commune_points, DECIMALS)
        districts_frame = _districts_frame([code for code, _ in groups], districts, district_points, DECIMALS,
                                           communes.crs)
    names = {name: (ids, labels) for name, (ids, _, labels) in _layers(communes, districts_frame).items()}
    return WebGeometry((communes, districts_frame), shapes_json(shaped, names).encode("utf-8"))


class _Task:
    """Work handed to a pool that the calling thread does itself if the pool has not started it by the time the
    calling thread needs it (rather than wait while a core may be idle)."""

    def __init__(self, pool: ThreadPoolExecutor, fn: Callable[..., Any], *args: Any):
        self.future, self.call, self.taken, self.value = pool.submit(fn, *args), lambda: fn(*args), False, None

    def take(self) -> bool:
        """Do it here if the pool has not started it; whether it was done here."""
        if not self.taken and self.future.cancel():
            self.value, self.taken = self.call(), True
        return self.taken

    def result(self, meanwhile: Sequence["_Task"] = ()) -> Any:
        """Its result; while it runs in the pool, the tasks of `meanwhile` the pool has not started are done here."""
        if self.take():
            return self.value
        for other in meanwhile:
            if self.future.done():
                break
            other.take()
        return self.future.result()


def _early_districts(rounded: np.ndarray, groups: list[tuple[Any, np.ndarray]],
                     pilot: np.ndarray) -> tuple[list[tuple[Any, Any] | None], np.ndarray]:
    """(`district_shape` of each district from the rounded units, or None where GEOS fails on it; the label
    points of their label areas, None for those)."""
    shaped = [_shape_or_none(rounded, members, pilot) for _, members in groups]
    made = np.array([pair is not None for pair in shaped], dtype=bool)
    points = np.full(len(shaped), None, dtype=object)
    points[made] = label_points(_columns([pair for pair in shaped if pair is not None])[1])
    return shaped, points


def web_geometry(ds: "Dataset") -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """(communes, districts) web geometry of a dataset (not cached: use `cached_web_geometry`)."""
    communes = simplify_coverage(ds.boundaries)
    return communes, dissolve_districts(communes)


def persisted_web_geometry(store: "DataStore") -> WebGeometry:
    """`build_web_geometry` of the current boundaries, once per data revision, kept in the store for every worker."""
    return store.persisted(("webgeo", WEBGEO_VERSION, TOLERANCE_M, DECIMALS),
                           lambda ds: build_web_geometry(ds.boundaries))


def cached_web_geometry(store: "DataStore") -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """(communes, districts) web geometry computed once per data revision and kept in the store for every worker."""
    return persisted_web_geometry(store).frames


def cached_geometry_document(store: "DataStore") -> bytes:
    """`geometry_document_bytes` of the current web geometry (made with it, kept with it)."""
    return persisted_web_geometry(store).document


GEOMETRY_DOCUMENT_VERSION = 2  # bump when the geometry document's layout changes (2: TopoJSON, shared arcs)


def geometry_document(communes: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> dict:
    """The web geometry of a boundary revision as the browser draws it: every commune and district with its
    label point, no attributes (those come with each view). Served once per revision under its content hash.

    A TopoJSON Topology (objects "communes" and "districts"; each geometry's `id` is the unit's code and
    `properties.label` its label point [lon, lat]): each edge that neighbours share is sent once, as integer
    steps on the 10^-5 degree grid; `geometry_features` (and ntm-map.js) read it back exactly."""
    return document_of(_layers(communes, districts))


def document_of(layers: dict[str, tuple[list[str], Any, list]]) -> dict:
    """The geometry document of named layers of (codes, geometries on the grid, label points or None)."""
    return topology(layers, DECIMALS)


def _layers(communes: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> dict[str, tuple[list[str], np.ndarray, list]]:
    return {"communes": _units(communes, "ward_code"), "districts": _units(districts, "district_code")}


def _units(frame: gpd.GeoDataFrame, code: str) -> tuple[list[str], np.ndarray, list]:
    lon, lat = (np.asarray(frame[c], dtype=np.float64) for c in ("label_lon", "label_lat"))
    labels = [None if missing else point for point, missing
              in zip(zip(lon.tolist(), lat.tolist()), (np.isnan(lon) | np.isnan(lat)).tolist())]
    return [str(c) for c in frame[code]], np.asarray(frame.geometry.values), labels


def geometry_features(document: dict, layer: str) -> list[dict]:
    """The GeoJSON Features (id, properties.label, geometry) of one layer of a geometry document."""
    return decode(document, layer)


def geometry_document_bytes(communes: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> bytes:
    """`geometry_document` as compact UTF-8 JSON (the same bytes for the same geometry)."""
    return topology_json(_layers(communes, districts), DECIMALS).encode("utf-8")


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
            "district_name": str(row.district_name), "short_name": short_district(str(row.district_name)),
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
