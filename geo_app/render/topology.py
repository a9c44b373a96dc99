"""TopoJSON for a coverage on a grid: every shared edge stored once, as integer deltas (no Flask, no I/O).

The web geometry's communes share their edges and their vertices lie on the 10^-decimals degree grid
(`webgeo.simplify_coverage`), and the districts are unions of them. So the rings of both layers split, at the
vertices where more than two edges meet (junctions), into arcs that each neighbour walks in its own direction:
each arc is stored once (TopoJSON "arcs", quantized to the grid and delta-encoded, exactly the same
coordinates), and every ring is a list of arc indices (~i: arc i walked backwards). A district costs only
references. It is plain TopoJSON: any reader decodes it (GDAL's TopoJSON driver is tested against it, as are
`decode` below and `NTM.geometryLayers` in ntm-map.js), to exactly the grid coordinates it was made from.

Written here rather than taken from the `topojson` package (not a dependency): the national layer's graph
(840,000 vertices) is built in a few numpy passes; only the per-unit JSON objects are made in Python.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np
import shapely


Layers = dict[str, tuple[Sequence[str], Any, Sequence[Any]]]  # name: (ids, polygon geometries, label points)


@dataclass
class Shapes:
    """The arcs of layers of polygons and each geometry's polygons as arc references: a Topology without ids
    and labels (`shapes`), so it can be built while the label points are still being found."""

    transform: dict
    polygons: list[list[list[list[int]]]]  # per geometry of all layers in order: its polygons' rings of arc refs
    multi: list[bool]  # per geometry: a MultiPolygon
    arcs: tuple[np.ndarray, np.ndarray]  # all arcs' vertex numbers, and where each arc begins and ends
    xy: np.ndarray  # each vertex's grid position


def topology(layers: Layers, decimals: int) -> dict:
    """TopoJSON Topology of named layers of (ids, polygon geometries, label points [lon, lat] or None): one
    GeometryCollection object per layer, each geometry with its `id` and `properties.label`."""
    shaped = shapes([geoms for _, geoms, _ in layers.values()], decimals)
    doc = _head(shaped, {name: (ids, labels) for name, (ids, _, labels) in layers.items()})
    doc["arcs"] = _encode_arcs(shaped.arcs, shaped.xy)
    return doc


def topology_json(layers: Layers, decimals: int) -> str:
    """`topology` as compact JSON text, the same as json.dumps(topology(...), separators=(",", ":")) (the
    arcs, most of it, are written straight from their integer arrays)."""
    shaped = shapes([geoms for _, geoms, _ in layers.values()], decimals)
    return shapes_json(shaped, {name: (ids, labels) for name, (ids, _, labels) in layers.items()})


def shapes_json(shaped: Shapes, names: dict[str, tuple[Sequence[str], Sequence[Any]]]) -> str:
    """`topology_json` of the layers `shaped` was made of, given each layer's (ids, label points) in order."""
    head = json.dumps(_head(shaped, names), separators=(",", ":"))
    return head[:-1] + ',"arcs":' + _arcs_json(shaped.arcs, shaped.xy) + "}"


def shapes(layers: Sequence[Any], decimals: int) -> Shapes:
    """The `Shapes` of layers of polygon geometries on the 10^-decimals grid."""
    geoms = np.concatenate([np.asarray(g, dtype=object) for g in layers]) if len(layers) else np.array([], object)
    coords, (ring_off, poly_off, multi_off) = ragged_polygons(geoms)
    grid = np.round(np.asarray(coords) * 10.0 ** decimals).astype(np.int64)
    translate = grid.min(axis=0) if len(grid) else np.zeros(2, np.int64)
    vertex, ring_off, xy = _vertices(grid - translate, np.asarray(ring_off, np.int64))
    rings, arcs = _arcs(vertex, ring_off)
    scale = 10.0 ** -decimals
    transform = {"scale": [scale, scale], "translate": [round(float(translate[0]) * scale, decimals),
                                                        round(float(translate[1]) * scale, decimals)]}
    poly_off, multi_off = poly_off.tolist(), multi_off.tolist()
    polygons = [[ring for ring in rings[poly_off[p]:poly_off[p + 1]] if ring]
                if poly_off[p + 1] > poly_off[p] and rings[poly_off[p]] else None  # no shell: no polygon
                for p in range(len(poly_off) - 1)]
    per_geometry = [[polygon for polygon in polygons[multi_off[g]:multi_off[g + 1]] if polygon is not None]
                    for g in range(len(multi_off) - 1)]
    multi = (shapely.get_type_id(geoms) == shapely.GeometryType.MULTIPOLYGON).tolist()
    return Shapes(transform, per_geometry, multi, arcs, xy)


def _head(shaped: Shapes, names: dict[str, tuple[Sequence[str], Sequence[Any]]]) -> dict:
    """The Topology without its arcs: one GeometryCollection per layer, its geometries with ids and labels."""
    doc: dict[str, Any] = {"type": "Topology", "transform": shaped.transform, "objects": {}}
    first = 0
    for name, (ids, labels) in names.items():
        geometries = [_geometry(str(code), shaped.polygons[first + k], label, shaped.multi[first + k])
                      for k, (code, label) in enumerate(zip(ids, labels))]
        first += len(ids)
        doc["objects"][name] = {"type": "GeometryCollection", "geometries": geometries}
    return doc


def ragged_polygons(geoms: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(x, y coordinates, (ring offsets, polygon offsets, geometry offsets)) of polygons and multipolygons
    (shapely.to_ragged_array, with one polygon per Polygon when there are no MultiPolygons); empty: no polygon."""
    geoms = np.asarray(geoms, dtype=object)
    if not len(geoms):
        return np.zeros((0, 2)), (np.zeros(1, np.int64), np.zeros(1, np.int64), np.zeros(1, np.int64))
    kind, coords, offsets = shapely.to_ragged_array(geoms, include_z=False)
    if kind == shapely.GeometryType.POLYGON:
        (ring_off, poly_off), multi_off = offsets, np.arange(len(geoms) + 1)
    else:
        ring_off, poly_off, multi_off = offsets
    return coords, tuple(np.asarray(o, dtype=np.int64) for o in (ring_off, poly_off, multi_off))


def _geometry(code: str, polygons: list[list[list[int]]], label: Any, multi: bool) -> dict:
    """One TopoJSON geometry: a Polygon or a MultiPolygon, as the geometry was."""
    properties = {"label": None if label is None else [float(label[0]), float(label[1])]}
    if not polygons:
        return {"type": None, "id": code, "properties": properties}
    if len(polygons) == 1 and not multi:
        return {"type": "Polygon", "id": code, "properties": properties, "arcs": polygons[0]}
    return {"type": "MultiPolygon", "id": code, "properties": properties, "arcs": polygons}


def _vertices(grid: np.ndarray, ring_off: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(a vertex number per coordinate, ring offsets, each vertex's grid position), repeated points dropped."""
    starts = np.zeros(len(grid), bool)
    starts[ring_off[:-1][np.diff(ring_off) > 0]] = True
    keep = starts.copy()
    keep[1:] |= (grid[1:] != grid[:-1]).any(axis=1)
    ring_of = np.repeat(np.arange(len(ring_off) - 1), np.diff(ring_off))
    counts = np.bincount(ring_of[keep], minlength=len(ring_off) - 1)
    grid = grid[keep]
    unique, _, vertex = sorted_unique((grid[:, 0] << 32) | grid[:, 1])
    xy = np.column_stack([unique >> 32, unique & 0xFFFFFFFF])
    return vertex, np.concatenate([[0], np.cumsum(counts)]), xy


def sorted_unique(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """np.unique(values, return_index=True, return_inverse=True) of integers, from one stable sort (numpy's
    own takes twice as long on the national layer's million vertices)."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    new = np.ones(len(ordered), bool)
    new[1:] = ordered[1:] != ordered[:-1]
    inverse = np.empty(len(values), np.int64)
    inverse[order] = np.cumsum(new) - 1
    return ordered[new], order[new], inverse


def _arcs(vertex: np.ndarray, ring_off: np.ndarray) -> tuple[list[list[int]], tuple[np.ndarray, np.ndarray]]:
    """(each ring as arc references, the arcs as vertex numbers: all in one array, and where each begins and
    ends): rings cut at junctions, shared arcs once.

    All in numpy: each ring's open walk is rotated to start at its first junction (a ring without one, at its
    lowest vertex: the neighbour that shares it cuts there too), cut at every junction into segments, and the
    segments that are one arc walked either way are matched by the arc's canonical first edge."""
    if not len(vertex):
        return [[] for _ in range(len(ring_off) - 1)], (np.zeros(0, np.int64), np.zeros(1, np.int64))
    closing = np.zeros(len(vertex), bool)
    closing[ring_off[1:][np.diff(ring_off) > 0] - 1] = True
    a, b = vertex[:-1][~closing[:-1]], vertex[1:][~closing[:-1]]
    n = int(vertex.max()) + 1
    edges = np.sort(np.minimum(a, b) * n + np.maximum(a, b))
    edges = edges[np.r_[True, edges[1:] != edges[:-1]][:len(edges)]]  # each edge once
    junction = (np.bincount(edges // n, minlength=n) + np.bincount(edges % n, minlength=n)) != 2

    walk = vertex[~closing]  # the open rings, one after the other
    length = np.diff(ring_off) - 1  # open length of each ring (rings of < 3 vertices are left out below)
    length = np.where(length >= 3, length, 0)
    keep = np.repeat(length > 0, np.maximum(np.diff(ring_off) - 1, 0))
    walk = walk[keep]
    used = np.flatnonzero(length > 0)
    if not len(used):
        return [[] for _ in range(len(ring_off) - 1)], (np.zeros(0, np.int64), np.zeros(1, np.int64))
    size = length[used]
    start = np.concatenate([[0], np.cumsum(size)[:-1]])
    ring_of = np.repeat(np.arange(len(used)), size)
    local = np.arange(len(walk)) - start[ring_of]
    big = np.iinfo(np.int64).max
    first_junction = np.minimum.reduceat(np.where(junction[walk], local, big), start)
    lowest = np.minimum.reduceat(walk, start)
    first_lowest = np.minimum.reduceat(np.where(walk == lowest[ring_of], local, big), start)
    cut = np.where(first_junction < big, first_junction, first_lowest)
    rotated = walk[start[ring_of] + (local + cut[ring_of]) % size[ring_of]]
    is_cut = junction[rotated] | (local == 0)

    seg_start = np.flatnonzero(is_cut)  # positions in `rotated`
    seg_ring = ring_of[seg_start]
    ring_end = start + size
    nxt = np.append(seg_start[1:], len(rotated))
    seg_end = np.minimum(nxt, ring_end[seg_ring])  # exclusive; the segment's last vertex wraps to its ring's start
    last = np.where(seg_end == ring_end[seg_ring], start[seg_ring], seg_end)
    second = np.where(seg_end - seg_start >= 2, rotated[np.minimum(seg_start + 1, len(rotated) - 1)], rotated[last])
    before_last = rotated[seg_end - 1]
    forward = rotated[seg_start] * n + second
    backward = rotated[last] * n + before_last
    key = np.minimum(forward, backward)
    _, first, arc_of = sorted_unique(key)
    same_way = (forward <= backward) == (forward[first] <= backward[first])[arc_of]
    refs = np.where(same_way, arc_of, ~arc_of)

    counts = seg_end[first] - seg_start[first] + 1
    offsets = np.concatenate([[0], np.cumsum(counts)])
    inner = np.arange(offsets[-1]) - np.repeat(offsets[:-1], counts)
    position = np.repeat(seg_start[first], counts) + inner
    ends = offsets[1:] - 1
    position[ends] = last[first]
    arcs = (rotated[position], offsets)

    rings: list[list[int]] = [[] for _ in range(len(ring_off) - 1)]
    bounds = np.concatenate([[0], np.cumsum(np.bincount(seg_ring, minlength=len(used)))])
    ref_list = refs.tolist()
    for k, r in enumerate(used.tolist()):
        rings[r] = ref_list[bounds[k]:bounds[k + 1]]
    return rings, arcs


def _encode_arcs(arcs: tuple[np.ndarray, np.ndarray], xy: np.ndarray) -> list[list[list[int]]]:
    """TopoJSON quantized arcs: the first position of each arc, then the differences to the previous one."""
    delta, offsets = _deltas(arcs, xy)
    flat = delta.tolist()
    bounds = offsets.tolist()
    return [flat[bounds[k]:bounds[k + 1]] for k in range(len(bounds) - 1)]


def _arcs_json(arcs: tuple[np.ndarray, np.ndarray], xy: np.ndarray) -> str:
    """json.dumps(_encode_arcs(arcs, xy), separators=(",", ":")), written from the integer arrays: every number,
    then after it "," inside a position, "],[" between positions, "]],[[" between arcs."""
    delta, offsets = _deltas(arcs, xy)
    if not len(delta):
        return "[]"
    after = np.full(2 * len(delta), 1, dtype=np.int64)  # 0: ",", 1: "],[", 2: "]],[["
    after[0::2] = 0
    after[2 * offsets[1:-1] - 1] = 2
    return "[[[" + _integers_text(delta.ravel(), after[:-1]) + "]]]"


SEPARATORS = (b",", b"],[", b"]],[[")


def _integers_text(numbers: np.ndarray, after: np.ndarray) -> str:
    """The decimal numbers, each but the last followed by SEPARATORS[after[k]], as one ASCII string: all the
    digits of a million numbers placed in one byte array by numpy (str() of each in Python took 3x as long)."""
    negative = numbers < 0
    size = np.abs(numbers)
    digits = 1 + np.searchsorted(10 ** np.arange(1, 19, dtype=np.int64), size, side="right")
    gap = np.zeros(len(numbers), np.int64)
    gap[:-1] = np.array([len(sep) for sep in SEPARATORS])[after]
    width = negative + digits + gap
    start = np.cumsum(width) - width
    out = np.empty(int(width.sum()), np.uint8)
    out[start[negative]] = ord("-")
    last = start + negative + digits - 1  # each number's last digit
    for k in range(int(digits.max())):
        has = digits > k
        out[last[has] - k] = ord("0") + (size[has] // 10 ** k) % 10
    for kind, sep in enumerate(SEPARATORS):
        at = last[:-1][after == kind] + 1
        for i, byte in enumerate(sep):
            out[at + i] = byte
    return out.tobytes().decode("ascii")


def _deltas(arcs: tuple[np.ndarray, np.ndarray], xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(each arc's first position then its steps, as rows of one array; where each arc begins and ends)."""
    vertices, offsets = arcs
    points = xy[vertices]
    delta = np.diff(points, axis=0, prepend=np.zeros((1, 2), np.int64))
    delta[offsets[:-1]] = points[offsets[:-1]]
    return delta, offsets


# ------------------------------------------------------------------ reading


def decode(doc: dict, name: str) -> list[dict]:
    """The GeoJSON Features of object `name` of a Topology (id, properties, geometry), exactly as encoded."""
    arcs = decode_arcs(doc)

    def ring(refs: Iterable[int]) -> list[list[float]]:
        out: list[list[float]] = []
        for ref in refs:
            points = arcs[ref] if ref >= 0 else arcs[~ref][::-1]
            out.extend(points if not out else points[1:])
        return out

    features = []
    for g in doc["objects"][name]["geometries"]:
        if g.get("type") == "Polygon":
            geometry = {"type": "Polygon", "coordinates": [ring(r) for r in g["arcs"]]}
        elif g.get("type") == "MultiPolygon":
            geometry = {"type": "MultiPolygon", "coordinates": [[ring(r) for r in p] for p in g["arcs"]]}
        else:
            geometry = None
        features.append({"type": "Feature", "id": g.get("id"), "properties": g.get("properties", {}),
                         "geometry": geometry})
    return features


def decode_arcs(doc: dict) -> list[list[list[float]]]:
    """The Topology's arcs as lists of [lon, lat] (quantized arcs: running sums, scaled and translated)."""
    transform = doc.get("transform")
    out = []
    for arc in doc["arcs"]:
        points = np.asarray(arc, dtype=np.float64)
        if transform:
            points = np.cumsum(points, axis=0) * transform["scale"] + transform["translate"]
            points = np.round(points, _decimals(transform["scale"]))  # the grid's own values (no 0.1 + 0.2 noise)
        out.append(points.tolist())
    return out


def _decimals(scale: Sequence[float]) -> int:
    """Decimals of a 10^-k grid (a few more for other scales)."""
    k = -float(np.log10(min(scale)))
    return int(round(k)) if abs(k - round(k)) < 1e-9 else max(0, int(np.ceil(k))) + 3

