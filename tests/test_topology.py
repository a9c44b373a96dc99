"""The geometry document is TopoJSON (geo_app.render.topology): each edge neighbours share is stored once, and it
reads back (here, in any TopoJSON reader such as GDAL's, and in ntm-map.js: tests/test_browser_geometry.py)
exactly as the web geometry it was made from."""
from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from geo_app.render import webgeo


def _shapes(features: list[dict]) -> np.ndarray:
    return np.array([shape(f["geometry"]) if f["geometry"] else shapely.Polygon() for f in features], dtype=object)


def _same(a: np.ndarray, b: np.ndarray, tolerance: float = 0.0) -> bool:
    """The same polygons, vertex for vertex (rings may start elsewhere: normalized)."""
    return bool(shapely.equals_exact(shapely.normalize(a), shapely.normalize(b), tolerance).all())


@pytest.fixture()
def small_coverage():
    """Three communes: two squares sharing an edge (one with a hole), an enclave filling the hole, and a
    two-part commune (an island); two districts made from them, as the web path makes them."""
    left = shapely.box(106.0, 10.0, 106.01, 10.01)
    enclave = shapely.box(106.003, 10.003, 106.005, 10.005)
    right = shapely.box(106.01, 10.0, 106.02, 10.01)
    island = shapely.MultiPolygon([shapely.box(106.02, 10.0, 106.03, 10.005), shapely.box(106.04, 10.0, 106.041, 10.001)])
    communes = gpd.GeoDataFrame({"ward_code": ["1", "2", "3", "4"], "district_code": ["a", "a", "b", "b"]},
                                geometry=[left.difference(enclave), enclave, right, island], crs="EPSG:4326")
    return webgeo.simplify_coverage(communes, tolerance_m=1.0)


def test_shared_edges_are_stored_once_and_read_back_exactly(small_coverage):
    districts = webgeo.dissolve_districts(small_coverage)
    doc = json.loads(webgeo.geometry_document_bytes(small_coverage, districts))
    assert doc["type"] == "Topology" and doc["transform"]["scale"] == [1e-5, 1e-5]
    communes = webgeo.geometry_features(doc, "communes")
    assert [f["id"] for f in communes] == ["1", "2", "3", "4"]
    assert _same(_shapes(communes), np.asarray(small_coverage.geometry.values))
    assert _same(_shapes(webgeo.geometry_features(doc, "districts")), np.asarray(districts.geometry.values))
    assert [f["properties"]["label"] for f in communes] == small_coverage[["label_lon", "label_lat"]].values.tolist()
    assert communes[3]["geometry"]["type"] == "MultiPolygon"
    # every arc once: the hole and the enclave share one ring, the squares one edge
    geometries = {g["id"]: g for g in doc["objects"]["communes"]["geometries"]}
    hole, enclave = geometries["1"]["arcs"][1], geometries["2"]["arcs"][0]
    assert len(hole) == len(enclave) == 1 and hole[0] in (enclave[0], ~enclave[0])
    left_arcs = {a if a >= 0 else ~a for a in geometries["1"]["arcs"][0]}
    right_arcs = {a if a >= 0 else ~a for a in geometries["3"]["arcs"][0]}
    assert len(left_arcs & right_arcs) == 1
    assert _arcs_of(geometries.values()) <= set(range(len(doc["arcs"])))
    # the districts' common edge is the communes' one (one arc, referenced by both districts, not a copy)
    a, b = ({g["id"]: g for g in doc["objects"]["districts"]["geometries"]}[code] for code in ("a", "b"))
    assert _arcs_of([a]) & _arcs_of([b]) == left_arcs & right_arcs


def _arcs_of(geometries) -> set[int]:
    return {a if a >= 0 else ~a for g in geometries
            for part in (g["arcs"] if g["type"] == "MultiPolygon" else [g["arcs"]]) for ring in part for a in ring}


def test_a_topojson_reader_gets_the_same_geometry(small_coverage, dataset, tmp_path):
    """GDAL's TopoJSON driver (another reader than ours) decodes the served document to the same polygons."""
    for communes in (small_coverage, webgeo.web_geometry(dataset)[0]):
        districts = webgeo.dissolve_districts(communes)
        path = tmp_path / "geo.topojson"
        path.write_bytes(webgeo.geometry_document_bytes(communes, districts))
        for layer, frame, code in (("communes", communes, "ward_code"), ("districts", districts, "district_code")):
            read = gpd.read_file(path, layer=layer)
            assert list(read["id"]) == [str(c) for c in frame[code]]
            assert _same(np.asarray(read.geometry.values), np.asarray(frame.geometry.values), 1e-9)  # its own float sums


def test_ben_tre_document_is_small_and_exact(dataset):
    communes, districts = webgeo.web_geometry(dataset)
    body = webgeo.geometry_document_bytes(communes, districts)
    doc = json.loads(body)
    assert _same(_shapes(webgeo.geometry_features(doc, "communes")), np.asarray(communes.geometry.values))
    # each shared edge once: fewer positions than the communes' own vertices, districts included
    positions = sum(len(arc) for arc in doc["arcs"])
    assert positions < 0.7 * shapely.get_num_coordinates(np.asarray(communes.geometry.values)).sum()
    assert len(body) < 80_000  # 157 communes and 9 districts (GeoJSON with 5 decimals: about 160 kB)


def test_empty_and_missing_geometries_keep_their_place():
    doc = webgeo.document_of({"communes": (["1", "2", "3"],
                                           np.array([shapely.box(0, 0, 1, 1), shapely.Polygon(), None], dtype=object),
                                           [(0.5, 0.5), None, None]),
                              "districts": ([], np.array([], dtype=object), [])})
    features = webgeo.geometry_features(doc, "communes")
    assert [f["id"] for f in features] == ["1", "2", "3"]
    assert _same(_shapes(features[:1]), np.array([shapely.box(0, 0, 1, 1)]))
    assert features[1]["geometry"] is None and features[2]["geometry"] is None
    assert webgeo.geometry_features(doc, "districts") == []


def test_document_bytes_are_the_document_as_json(small_coverage, dataset):
    """The served bytes (arcs written straight from their arrays) are exactly json.dumps of the document."""
    for communes in (small_coverage, webgeo.web_geometry(dataset)[0]):
        districts = webgeo.dissolve_districts(communes)
        expected = json.dumps(webgeo.geometry_document(communes, districts), separators=(",", ":")).encode()
        assert webgeo.geometry_document_bytes(communes, districts) == expected


def test_the_web_geometry_the_app_keeps_is_the_three_steps_made_at_once(dataset):
    """build_web_geometry (what the store keeps and /geo/ serves) overlaps the steps in threads; its communes,
    districts (with their label points) and document are exactly those of the steps one after another."""
    communes, districts = webgeo.web_geometry(dataset)
    built = webgeo.build_web_geometry(dataset.boundaries)
    assert built.frames[0].equals(communes) and built.frames[1].equals(districts)
    assert built.document == webgeo.geometry_document_bytes(communes, districts)


def test_arcs_are_written_as_json_writes_them():
    """The arcs' text is written by numpy, digit by digit: it is exactly json.dumps of the same lists, for
    negative, zero, one-digit and 13-digit steps, arcs of one position and many."""
    from geo_app.render import topology

    rng = np.random.default_rng(9)
    for n_arcs in (1, 2, 7, 300):
        sizes = rng.integers(1, 9, n_arcs)
        offsets = np.concatenate([[0], np.cumsum(sizes)])
        xy = rng.integers(0, 10 ** rng.integers(1, 8), (60, 2))
        xy[:3] = [[0, 0], [10 ** 12, 5], [9, 10 ** 12]]
        arcs = (rng.integers(0, 60, offsets[-1]), offsets)
        expected = json.dumps(topology._encode_arcs(arcs, xy), separators=(",", ":"))
        assert topology._arcs_json(arcs, xy) == expected
