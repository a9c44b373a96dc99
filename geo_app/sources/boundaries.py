"""Read anybody's commune layer into the canonical frame, with a report of everything found wrong.

read_boundaries(path) -> (GeoDataFrame, CheckReport): one row per 2020-2024 GSO code, EPSG:4326,
columns ward_code, name, type, district_code, district_name, vintage, geometry. Never raises for bad
input: every problem becomes a report entry naming the file, feature and column.
"""
from __future__ import annotations

import codecs
import math
import os
import re
import stat
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath

import geopandas as gpd
import pandas as pd
import pyogrio
from pyproj import CRS
from pyproj.exceptions import CRSError

from geo_app.settings import DEFAULT_BOUNDARY_NAME, boundary_max_bytes, limit_mb
from geo_app.settings import LAYER_SUFFIXES as SETTINGS_LAYER_SUFFIXES
from geo_app.sources.layer_geometry import (CANONICAL_COLUMNS, canonical_frame, check_coverage, empty_frame,
                                            repair_geometries)
from geo_app.domain.messages import joined_by, phrase as _p
from geo_app.sources.report import CheckReport
from geo_app.domain.legacy_text import ENCODING_NAMES, LEGACY_ENCODINGS, canonical_encoding, decode, detect
from geo_app.domain.textnorm import name_key, nfc
from geo_app.domain.units import (DISTRICTS, PROVINCE_CODE, PROVINCE_NAME, REMOVED_2020, code_for_name,
                                  district_code_for_name, merged_into, units)

CODE_COLUMNS = ("ma_xa", "maxa", "ma_px", "ma_phuong_xa", "ward_code", "wardcode", "code", "gso_code", "ma",
                "ma_dvhc", "madvhc", "commune_code", "xa_code", "gso_code_2019", "code_2019", "gso_code_2020",
                "code_2020", "code_2020_2024")
NAME_COLUMNS = ("ten_xa", "tenxa", "ten_px", "ten_phuong_xa", "ward_name", "ward", "commune_name", "commune",
                "name", "ten", "ten_dvhc", "name_vi", "name_3", "xa", "phuong_xa")
DISTRICT_COLUMNS = ("district_code", "ma_huyen", "mahuyen", "ma_qh", "ma_quan_huyen", "dist_code", "district",
                    "huyen", "ten_huyen", "tenhuyen", "district_name", "dist_name", "name_2", "quan_huyen")
LAYER_SUFFIXES = tuple(s for s in SETTINGS_LAYER_SUFFIXES if s != ".zip")  # layers inside a folder or zip
PROVINCE_COLUMNS = ("ma_tinh", "matinh", "province_code", "prov_code", "ma_tp", "tinh", "ten_tinh", "tentinh",
                    "province", "province_name", "prov_name", "name_1", "tinh_thanh")
VIETNAM_LONLAT = (102.0, 8.0, 110.5, 23.5)  # minx, miny, maxx, maxy
BEN_TRE_LONLAT = (105.6, 9.4, 107.2, 10.7)  # Bến Tre with a generous margin
CRS_HINT = _p("VN-2000 / TM-3 105°45' (EPSG:9210) is Bến Tre's provincial system; add the layer's .prj file beside "
              "its .shp (in the zip: GIS software writes it when it exports the layer), or import the layer on the "
              "command line with --crs EPSG:9210 (or the layer's own system if you know it)")
CODE_HINT = _p("add a ma_xa column with the GSO code")
EXAMPLES = 5  # examples a summary warning lists before "and N more"
MISSING_LISTED = 10  # missing units named one by one before "and N more"

__all__ = ["read_boundaries", "read_attribute_table", "CANONICAL_COLUMNS"]


@dataclass
class Source:
    """What to hand to the reader, and what kind of file it is."""

    target: str
    shapefile: bool = False
    cpg: str | None = None  # the shapefile's .cpg text (its code page), None when there is no .cpg
    layer: str | None = None


def read_boundaries(path: str | Path, crs: str | None = None,
                    encoding: str | None = None) -> tuple[gpd.GeoDataFrame, CheckReport]:
    """Read a commune layer (shapefile, folder, .zip, GeoPackage, GeoJSON); never raises for bad input."""
    path = Path(path)
    report = CheckReport(kind="boundaries", path=str(path))
    try:
        with tempfile.TemporaryDirectory(prefix="ntm-layer-") as scratch:
            frame = _read(path, crs, encoding, report, Path(scratch))
    except Exception as exc:  # noqa: BLE001 - a last guard: the user gets a report, not a traceback
        error = f"{type(exc).__name__}: {exc}"
        report.error(_p("could not read the layer ({error}); check that it is a valid shapefile, GeoPackage or "
                        "GeoJSON of polygons", error=error))
        frame = None
    if frame is None or not report.usable:
        return empty_frame(), report
    return frame, report


def read_attribute_table(path: str | Path, encoding: str | None = None) -> tuple[pd.DataFrame, CheckReport]:
    """The layer's attributes as text was decoded (legacy encodings converted), without geometry: for previews."""
    path = Path(path)
    report = CheckReport(kind="boundaries", path=str(path))
    with tempfile.TemporaryDirectory(prefix="ntm-layer-") as scratch:
        source = _locate(path, report, Path(scratch))
        gdf = _load(source, encoding, report) if source is not None else None
    if gdf is None:
        return pd.DataFrame(), report
    return pd.DataFrame(gdf.drop(columns=gdf.geometry.name)), report


def _read(path: Path, crs: str | None, encoding: str | None, report: CheckReport,
          scratch: Path) -> gpd.GeoDataFrame | None:
    source = _locate(path, report, scratch)
    if source is None:
        return None
    gdf = _load(source, encoding, report)
    if gdf is None:
        return None
    report.features = len(gdf)
    if gdf.empty:
        report.error(_p("the layer holds no features; export the commune polygons again"))
        return None
    if not _has_polygons(gdf, report):
        return None
    gdf = _to_wgs84(gdf, crs, source, report)
    if gdf is None:
        return None
    columns = _columns(gdf, report)
    gdf = _this_province(gdf, columns, report)
    if gdf is None:
        return None
    targets = _match(gdf, columns, report)
    targets = _inside_province(gdf, targets, columns, report)
    labels = _labels(gdf, columns)
    parts = repair_geometries(gdf.geometry, targets, labels, report)
    if not parts:
        if not report.errors:
            report.error(_p("no feature has both a matched GSO unit and a polygon geometry; nothing to map"))
        return None
    check_coverage(parts, labels, report)
    frame = canonical_frame(_by_code(parts, report))
    report.matched = list(frame["ward_code"])
    _report_missing(report)
    return frame


# ---------------------------------------------------------------- locating and loading

def _locate(path: Path, report: CheckReport, scratch: Path) -> Source | None:
    if not path.exists():
        hint = " — build it with `flask --app app data build`" if path.name == DEFAULT_BOUNDARY_NAME else \
            "; check the path (or the NTM_BOUNDARIES setting)"
        report.error(f"file not found: {path}{hint}")
        return None
    if path.is_dir():
        return _locate_in_folder(path, report)
    if not _within_size(path, report):
        return None
    if path.suffix.lower() == ".zip":
        return _locate_in_zip(path, report, scratch)
    if path.stat().st_size == 0:
        report.error(_p("the file is empty (0 bytes); export the layer again"))
        return None
    if path.suffix.lower() == ".shp":
        return _shapefile(path, report)
    return Source(target=str(path))


def max_layer_bytes() -> int:
    """Largest boundary file accepted (NTM_BOUNDARY_MAX_MB, default 200 MB)."""
    return boundary_max_bytes()


def max_unzipped_bytes() -> int:
    """Most bytes a zipped layer may unpack to (NTM_BOUNDARY_MAX_UNZIPPED_MB, default 1000 MB)."""
    return limit_mb("NTM_BOUNDARY_MAX_UNZIPPED_MB", 1000) * 1024 * 1024


MAX_ZIP_MEMBERS = 1000  # a layer is a handful of files; more is not a layer
MAX_ZIP_RATIO = 200  # uncompressed/compressed beyond this (for members over 1 MB) is a zip bomb


def _within_size(path: Path, report: CheckReport) -> bool:
    size, limit = path.stat().st_size, max_layer_bytes()
    if size > limit:
        megabytes = f"{size / 1024 / 1024:,.0f}"
        report.error(_p("the file is {size} MB, over the limit of {limit} MB for a boundary layer "
                        "(NTM_BOUNDARY_MAX_MB); simplify the layer or keep only the province's communes",
                        size=megabytes, limit=limit // 1024 // 1024))
        return False
    return True


def _unsafe_member(info: zipfile.ZipInfo) -> object | None:
    """Why a zip member may not be unpacked (absolute path, '..', a link), or None."""
    name = info.filename.replace("\\", "/")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return _p("has an absolute path")
    if ".." in PurePosixPath(name).parts:
        return _p("has '..' in its path (it would be written outside the folder)")
    if stat.S_ISLNK(info.external_attr >> 16):
        return _p("is a symbolic link")
    return None


def _zip_problem(infos: list[zipfile.ZipInfo]) -> object | None:
    """Why a zip is refused before anything is unpacked (a phrase, in the reader's language on pages), or None."""
    if len(infos) > MAX_ZIP_MEMBERS:
        return _p("it holds {n} files (at most {limit}); zip only the layer's files", n=len(infos),
                  limit=MAX_ZIP_MEMBERS)
    for info in infos:
        why = _unsafe_member(info)
        if why:
            return _p("its member '{member}' {why}; zip the layer's files again from their own folder",
                      member=info.filename[:100], why=why)
    total = sum(i.file_size for i in infos)
    if total > max_unzipped_bytes():
        return _p("it unpacks to {size} MB, over the {limit} MB limit (NTM_BOUNDARY_MAX_UNZIPPED_MB); zip only the "
                  "province's layer", size=round(total / 1024 / 1024), limit=max_unzipped_bytes() // 1024 // 1024)
    for info in infos:
        if info.file_size > 1024 * 1024 and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
            return _p("its member '{member}' unpacks {ratio} times larger than it is stored (a zip bomb?); zip the "
                      "layer's files again", member=info.filename[:100],
                      ratio=info.file_size // max(info.compress_size, 1))
    return None


def _extract(zf: zipfile.ZipFile, members: list[str], scratch: Path) -> Path:
    """Copy the members into scratch (flat), counting bytes so a lying header cannot unpack past the limit."""
    budget = max_unzipped_bytes()
    for name in members:
        target = scratch / PurePosixPath(name.replace("\\", "/")).name
        with zf.open(name) as src, open(target, "wb") as dst:
            while chunk := src.read(1024 * 1024):
                budget -= len(chunk)
                if budget < 0:
                    raise _ZipTooBig()
                dst.write(chunk)
    return scratch


class _ZipTooBig(Exception):
    """The zip unpacked past its limit although its headers said otherwise."""


def _shapefile(shp: Path, report: CheckReport) -> Source | None:
    missing = [shp.with_suffix(s).name for s in (".shx", ".dbf") if not _sibling(shp, s).exists()]
    if missing:
        report.error(_p("{missing} missing next to {file}; a shapefile needs its .shp, .shx and .dbf (and .prj) "
                        "files together — copy all of them, or send a .zip of the folder",
                        missing=", ".join(missing), file=shp.name))
        return None
    cpg = _sibling(shp, ".cpg")
    return Source(target=str(shp), shapefile=True, cpg=cpg.read_text("latin-1").strip() if cpg.exists() else None)


def _sibling(shp: Path, suffix: str) -> Path:
    """The shapefile part with this suffix, in lower or upper case."""
    lower = shp.with_suffix(suffix)
    return lower if lower.exists() else shp.with_suffix(suffix.upper())


def _locate_in_folder(folder: Path, report: CheckReport) -> Source | None:
    found = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".shp")
    if not found:
        found = sorted(p for p in folder.iterdir()
                       if p.suffix.lower() in LAYER_SUFFIXES and not p.name.endswith(".source.json"))
    if len(found) != 1:
        what = _p("several layers ({names})", names=", ".join(p.name for p in found)) if found else \
            _p("no shapefile (.shp)")
        report.error(_p("the folder holds {what}; point to one layer file", what=what))
        return None
    return _shapefile(found[0], report) if found[0].suffix.lower() == ".shp" else Source(target=str(found[0]))


def _locate_in_zip(path: Path, report: CheckReport, scratch: Path) -> Source | None:
    """The one layer in a .zip (also in a sub-folder), unpacked safely into scratch."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            problem = _zip_problem(infos)
            if problem:
                report.error(_p("the .zip cannot be used: {problem}", problem=problem))
                return None
            names = [i.filename for i in infos if not i.is_dir() and "__MACOSX" not in i.filename]
            member = _zip_layer(names, report)
            if member is None:
                return None
            stem = member.rsplit(".", 1)[0].lower()
            parts = [n for n in names if n.rsplit(".", 1)[0].lower() == stem] if member.lower().endswith(".shp") \
                else [member]
            _extract(zf, parts, scratch)
    except _ZipTooBig:
        report.error(_p("the .zip cannot be used: it unpacks to more than {limit} MB (NTM_BOUNDARY_MAX_UNZIPPED_MB) "
                        "although its headers say less (a zip bomb?)", limit=max_unzipped_bytes() // 1024 // 1024))
        return None
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError, zlib.error) as exc:
        report.error(_p("not a readable .zip file ({error}); zip the shapefile's parts (.shp, .shx, .dbf, .prj, "
                        ".cpg) again", error=_short(exc)))
        return None
    layer = scratch / PurePosixPath(member.replace("\\", "/")).name
    return _shapefile(layer, report) if layer.suffix.lower() == ".shp" else Source(target=str(layer))


def _zip_layer(names: list[str], report: CheckReport) -> str | None:
    found = [n for n in names if n.lower().endswith(".shp")] or \
        [n for n in names if n.lower().endswith(LAYER_SUFFIXES)]
    if len(found) != 1:
        what = _p("several layers ({names})", names=", ".join(found[:5])) if found else _p("no shapefile (.shp)")
        report.error(_p("the .zip holds {what}; zip exactly one layer", what=what))
        return None
    member = found[0]
    stem = member.rsplit(".", 1)[0].lower()
    lower = {n.lower() for n in names}
    if member.lower().endswith(".shp"):
        missing = [stem.rsplit("/", 1)[-1] + s for s in (".shx", ".dbf") if stem + s not in lower]
        if missing:
            report.error(_p("{missing} missing from the .zip next to {member}; zip all parts of the shapefile",
                            missing=", ".join(missing), member=member))
            return None
    return member


def _load(source: Source, encoding: str | None, report: CheckReport) -> gpd.GeoDataFrame | None:
    source.layer = _polygon_layer(source, report)
    kwargs = {"layer": source.layer} if source.layer else {}
    if source.shapefile:
        return _load_shapefile(source, encoding, kwargs, report)
    try:
        return gpd.read_file(source.target, engine="pyogrio", **kwargs)
    except Exception as exc:  # noqa: BLE001 - GDAL raises many types for unreadable files
        report.error(_p("cannot read this as a GIS layer ({error}); use a shapefile (.shp with .shx, .dbf, .prj), a "
                        ".zip of one, a GeoPackage (.gpkg) or GeoJSON of commune polygons", error=_short(exc)))
        return None


def _codec(label: str | None) -> str | None:
    """Codec for a .cpg text or an encoding argument ("UTF-8", "1258", "ANSI 1252", "cp1258", "TCVN3", "vni")."""
    if not label:
        return None
    text = canonical_encoding(label.replace("ANSI ", "").replace("ansi ", ""))
    if text in LEGACY_ENCODINGS:
        return text
    text = "utf-8" if text == "65001" else (f"cp{text}" if text.isdigit() else text)
    try:
        return codecs.lookup(text).name
    except LookupError:
        return None


def _load_shapefile(source: Source, encoding: str | None, kwargs: dict,
                    report: CheckReport) -> gpd.GeoDataFrame | None:
    """Shapefile attributes: `encoding` if given, else the .cpg's code page, else detected (UTF-8, Windows-1258,
    TCVN3 or VNI-Windows) from how Vietnamese the text reads."""
    label = encoding or source.cpg
    codec = _codec(label)
    if label and codec is None:
        where = _p("encoding '{name}'", name=encoding) if encoding else \
            _p("the .cpg file says '{name}'", name=source.cpg)
        report.error(_p("{where}, which is not a known text encoding; use utf-8, cp1258, tcvn3 or vni", where=where))
        return None
    try:
        if codec in (None, "utf-8"):
            try:
                gdf = gpd.read_file(source.target, engine="pyogrio", encoding="UTF-8", **kwargs)
                if codec is None:
                    report.info.append(_p("no .cpg file; attributes read as UTF-8 — if names look wrong, pass the "
                                          "encoding or add a .cpg file holding it"))
                return gdf
            except UnicodeDecodeError:
                if codec is not None:
                    report.error(_p("the attributes are not valid UTF-8 although {label} was given; pass the "
                                    "right encoding (--encoding cp1258, tcvn3 or vni) or fix the .cpg file",
                                    label=label))
                    return None
        raw = gpd.read_file(source.target, engine="pyogrio", encoding="ISO-8859-1", **kwargs)
    except Exception as exc:  # noqa: BLE001 - GDAL raises many types for unreadable files
        report.error(_p("cannot read this shapefile ({error}); check that its .shp, .shx and .dbf belong together",
                        error=_short(exc)))
        return None
    chosen = codec if encoding else _detect(raw, codec, report)
    gdf = _decoded(raw, chosen)
    if chosen in LEGACY_ENCODINGS:
        _report_conversion(raw, gdf, chosen, _p("as asked with --encoding") if encoding else _why(source), report)
    return gdf


def _detect(raw: gpd.GeoDataFrame, declared: str | None, report: CheckReport) -> str:
    """The encoding the attribute bytes read best in: the .cpg's code page, Windows-1258, TCVN3 or VNI."""
    candidates = (declared, *LEGACY_ENCODINGS) if declared else ("cp1258", *LEGACY_ENCODINGS)
    found = detect(_attribute_bytes(raw), candidates, known=_known_words())
    if found.encoding == "cp1258" and not declared:
        report.warn(_p("no .cpg file and the attributes are not UTF-8; read as Windows-1258 (cp1258) — if names "
                       "look wrong, pass the encoding (--encoding tcvn3, vni, ...) or add a .cpg file holding it"))
    return found.encoding


def _why(source: Source) -> str:
    return _p("although the .cpg file says '{cpg}'", cpg=source.cpg) if source.cpg else _p("there is no .cpg file")


@lru_cache(maxsize=1)
def _known_words() -> frozenset[str]:
    """Lower-case syllables of the GSO unit and district names: a legacy decoding that yields them is right."""
    names = [u.name for u in units().values()] + list(DISTRICTS.values())
    return frozenset(word for name in names for word in name.lower().split())


def _attribute_bytes(gdf: gpd.GeoDataFrame) -> list[bytes]:
    """Every text value (and column name) of a frame read as Latin-1, back as the file's bytes."""
    geometry = gdf.geometry.name
    values = [str(c) for c in gdf.columns if c != geometry]
    for col in gdf.columns:
        if col != geometry and (gdf[col].dtype == object or pd.api.types.is_string_dtype(gdf[col])):
            values += [v for v in gdf[col] if isinstance(v, str)]
    return [v.encode("latin-1") for v in values if not v.isascii()]


def _report_conversion(raw: gpd.GeoDataFrame, gdf: gpd.GeoDataFrame, encoding: str, why: str,
                       report: CheckReport) -> None:
    """One warning: which legacy encoding, how many values in which columns, and a few examples."""
    geometry = raw.geometry.name
    examples: list[str] = []
    columns: list[str] = []
    count = 0
    for old_col, new_col in zip(raw.columns, gdf.columns):
        if old_col == geometry:
            continue
        changed = [(o, n) for o, n in zip(raw[old_col], gdf[new_col]) if isinstance(o, str) and not o.isascii()]
        if changed:
            columns.append(str(new_col))
            count += len(changed)
            examples += [f"'{nfc(o.encode('latin-1').decode('cp1258', errors='replace'))}' → '{n}'"
                         for o, n in changed[:3 - len(examples)]] if len(examples) < 3 else []
    if count:
        report.warn(_p("attribute text is {encoding}, not Unicode ({why}): converted {count} values in column(s) "
                       "{columns} to Unicode (NFC), e.g. {examples} — if names look wrong, add a .cpg file holding "
                       "the encoding beside the .shp, or import on the command line with --encoding utf-8, cp1258, "
                       "tcvn3 or vni", encoding=ENCODING_NAMES[encoding], why=why, count=count,
                       columns=", ".join(columns), examples="; ".join(examples)))


def _decoded(gdf: gpd.GeoDataFrame, codec: str) -> gpd.GeoDataFrame:
    """Attributes read byte-for-byte (latin-1) re-decoded with `codec` in Python (GDAL's CP1258 drops characters)."""
    def fix(value: object) -> object:
        return decode(value.encode("latin-1"), codec) if isinstance(value, str) else value

    geometry = gdf.geometry.name
    out = gdf.rename(columns={c: fix(c) for c in gdf.columns if c != geometry})
    for col in out.columns:
        if col != geometry and (out[col].dtype == object or pd.api.types.is_string_dtype(out[col])):
            out[col] = out[col].map(fix)
    return out


def _polygon_layer(source: Source, report: CheckReport) -> str | None:
    """For a multi-layer file (GeoPackage), the polygon layer to read."""
    try:
        layers = pyogrio.list_layers(source.target)
    except Exception:  # noqa: BLE001 - unreadable files are reported by the reader itself
        return None
    if len(layers) <= 1:
        return None
    polygons = [str(name) for name, kind in layers if kind and "polygon" in str(kind).lower()]
    chosen = polygons[0] if polygons else str(layers[0][0])
    report.warn(_p("the file holds {count} layers; reading '{chosen}' — keep only the commune layer in the file",
                   count=len(layers), chosen=chosen))
    return chosen


QUOTED_PATH = re.compile(r"""(['"])(?:[A-Za-z]:)?[\\/][^'"]*[\\/]([^'"\\/]+)\1""")


def _short(exc: Exception) -> str:
    """A library's reason, short: its first line, without the server's folders (a quoted path is its file's name)
    and without GDAL's advice on driver prefixes, which means nothing to an editor."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    text = QUOTED_PATH.sub(lambda m: m.group(1) + m.group(2) + m.group(1), text)
    text = text.split("; It might help")[0].rstrip(" ;")
    return text if len(text) <= 200 else text[:199].rsplit(" ", 1)[0] + "…"


# ---------------------------------------------------------------- coordinate reference system

def _has_polygons(gdf: gpd.GeoDataFrame, report: CheckReport) -> bool:
    kinds = gdf.geometry.dropna().geom_type.value_counts()
    if any(k in kinds for k in ("Polygon", "MultiPolygon", "GeometryCollection")):
        return True
    found = ", ".join(f"{n} {k}" for k, n in kinds.items()) or "no geometries"
    report.error(_p("the layer holds no polygon geometry ({found}); a commune layer needs one polygon per commune",
                    found=found))
    return False


def _to_wgs84(gdf: gpd.GeoDataFrame, crs: str | None, source: Source,
              report: CheckReport) -> gpd.GeoDataFrame | None:
    bounds = _bounds(gdf)
    if bounds is None:
        report.error(_p("no feature has a geometry; export the commune polygons with their geometry"))
        return None
    if crs:
        try:
            given = CRS.from_user_input(crs)
        except CRSError:
            report.error(_p("the CRS '{crs}' is not understood; pass an EPSG code such as EPSG:9210", crs=crs))
            return None
        if gdf.crs is not None and CRS(gdf.crs) != given:
            report.warn(_p("the layer declares {declared}; using {given} as asked (--crs {crs})",
                           declared=CRS(gdf.crs).name, given=given.name, crs=crs))
        gdf = gdf.set_crs(given, allow_override=True)
    elif gdf.crs is None:
        gdf = _assume_crs(gdf, bounds, source, report)
        if gdf is None:
            return None
    else:
        gdf = gdf.set_crs(_recognised_crs(CRS(gdf.crs), report), allow_override=True)
    try:
        out = gdf.to_crs("EPSG:4326")
    except Exception as exc:  # noqa: BLE001
        report.error(_p("cannot reproject from {crs} to EPSG:4326 ({error}); pass the layer's CRS with --crs",
                        crs=gdf.crs, error=_short(exc)))
        return None
    return out if _in_ben_tre(out, report) else None


VN2000_ZONES = tuple(range(9205, 9219)) + (3405, 3406)  # VN-2000 / TM-3 zones, VN-2000 / UTM 48N and 49N


def _recognised_crs(crs: CRS, report: CheckReport) -> CRS:
    """The layer's CRS as an EPSG system when it is one (a Vietnamese .prj often names VN-2000 / TM-3 its own way,
    without the datum shift to WGS 84: matched by its projection parameters to EPSG:9205-9218, 3405 or 3406)."""
    epsg = crs.to_epsg(min_confidence=70)
    if epsg:
        report.info.append(_p("CRS from the layer: EPSG:{epsg} ({name})", epsg=epsg, name=CRS.from_epsg(epsg).name))
        return CRS.from_epsg(epsg)
    match = _vn2000_by_parameters(crs)
    if match:
        report.warn(_p("the .prj names '{declared}', read as EPSG:{epsg} ({name}) by its projection parameters and "
                       "datum; pass --crs if that is wrong", declared=crs.name, epsg=match,
                       name=CRS.from_epsg(match).name))
        return CRS.from_epsg(match)
    report.info.append(_p("CRS from the layer: {name} (no EPSG code)", name=crs.name))
    return crs


def _projection(crs: CRS) -> tuple | None:
    """(central meridian, scale factor, false easting, false northing) of a Transverse Mercator CRS."""
    try:
        conversion = crs.to_json_dict().get("conversion", {})
    except Exception:  # noqa: BLE001 - an exotic CRS has no conversion to compare
        return None
    if "transverse mercator" not in str(conversion.get("method", {}).get("name", "")).lower():
        return None
    values = {str(p.get("name", "")).lower(): p.get("value") for p in conversion.get("parameters", [])}

    def find(*words: str) -> float | None:
        return next((float(v) for k, v in values.items() if all(w in k for w in words)), None)

    return (find("longitude"), find("scale"), find("false easting") or find("easting"),
            find("false northing") or find("northing") or 0.0)


def _vn2000_by_parameters(crs: CRS) -> int | None:
    """EPSG code of the VN-2000 zone with the same Transverse Mercator parameters, for a VN-2000 datum."""
    datum = (crs.datum.name if crs.datum else "").lower().replace("_", " ")
    if crs.is_geographic or not ("2000" in datum and ("vn" in datum or "vietnam" in datum)):
        return None
    mine = _projection(crs)
    if mine is None or None in mine:
        return None
    for code in VN2000_ZONES:
        theirs = _projection(CRS.from_epsg(code))
        if theirs and all(abs(a - b) < 1e-6 for a, b in zip(mine, theirs)):
            return code
    return None


def _assume_crs(gdf: gpd.GeoDataFrame, bounds: tuple, source: Source, report: CheckReport) -> gpd.GeoDataFrame | None:
    what = _p("the .prj file is missing") if source.shapefile else _p("the layer declares no CRS")
    minx, miny, maxx, maxy = bounds
    if _inside(bounds, VIETNAM_LONLAT):
        report.warn(_p("{what}; the coordinates look like longitude/latitude in Vietnam, so EPSG:4326 is assumed",
                       what=what))
        return gdf.set_crs("EPSG:4326")
    if max(abs(minx), abs(maxx)) <= 180 and max(abs(miny), abs(maxy)) <= 90:
        report.error(_p("{what} and the coordinates ({bounds}) look like longitude/latitude outside Vietnam; pass "
                        "the layer's CRS with --crs", what=what, bounds=_fmt(bounds)))
    else:
        xs, ys = f"{minx:,.0f}..{maxx:,.0f}", f"{miny:,.0f}..{maxy:,.0f}"
        report.error(_p("{what} and the coordinates are projected (x {x}, y {y}); {hint}", what=what, x=xs, y=ys,
                        hint=CRS_HINT))
    return None


def _in_ben_tre(gdf: gpd.GeoDataFrame, report: CheckReport) -> bool:
    bounds = _bounds(gdf)
    bx0, by0, bx1, by1 = BEN_TRE_LONLAT
    if bounds and bounds[0] <= bx1 and bounds[2] >= bx0 and bounds[1] <= by1 and bounds[3] >= by0:
        return _near_vietnam(gdf, report)
    report.error(_p("after reprojection the layer lies at {bounds}, not in Bến Tre (about 106.0-106.8°E, "
                    "9.8-10.3°N); the CRS is probably wrong — {hint}", bounds=_fmt(bounds), hint=CRS_HINT))
    return False


SANE_LONLAT = (100.0, 5.0, 120.0, 25.0)  # Vietnam and its islands with a wide margin


def _near_vietnam(gdf: gpd.GeoDataFrame, report: CheckReport) -> bool:
    """False (and an error naming them) when some features reach far outside Vietnam: broken coordinates."""
    extent = gdf.geometry.bounds
    x0, y0, x1, y1 = SANE_LONLAT
    far = extent[~((extent.minx >= x0) & (extent.miny >= y0) & (extent.maxx <= x1) & (extent.maxy <= y1))
                 & gdf.geometry.notna() & ~gdf.geometry.is_empty]
    if far.empty:
        return True
    listed = joined_by(", ", [_p("feature {i} ({bounds})", i=i, bounds=_fmt(tuple(row)))
                              for i, row in list(far.iterrows())[:5]])
    more = _p(" and {count} more", count=len(far) - 5) if len(far) > 5 else ""
    report.error(_p("{count} feature(s) reach far outside Vietnam: {listed}{more}; their coordinates are broken — "
                    "export the layer again or fix those features", count=len(far), listed=listed, more=more))
    return False


def _bounds(gdf: gpd.GeoDataFrame) -> tuple[float, float, float, float] | None:
    geoms = gdf.geometry[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    if geoms.empty:
        return None
    b = tuple(float(v) for v in geoms.total_bounds)
    return b if all(math.isfinite(v) for v in b) else None


def _inside(b: tuple, box: tuple) -> bool:
    return b[0] >= box[0] and b[1] >= box[1] and b[2] <= box[2] and b[3] <= box[3]


def _fmt(b: tuple | None) -> str:
    return "no extent" if b is None else f"x {b[0]:.4g}..{b[2]:.4g}, y {b[1]:.4g}..{b[3]:.4g}"


# ---------------------------------------------------------------- only this province

def _province_of(value: object) -> str | None:
    """'83' for a province code (83, '83', 83.0) or the province's name ('Bến Tre', 'Tỉnh Bến Tre'); None if blank."""
    text = _text(value) if value is not None else ""
    if not text:
        return None
    if text.isdigit():
        return text.zfill(2)
    return PROVINCE_CODE if name_key(text) == name_key(PROVINCE_NAME) else f"name:{text}"


def _this_province(gdf: gpd.GeoDataFrame, cols: Columns, report: CheckReport) -> gpd.GeoDataFrame | None:
    """The features of Bến Tre only, when the layer says which province each feature is in (a province column,
    or GSO commune codes of other provinces); a layer of several provinces is clipped to this one."""
    keep = [True] * len(gdf)
    elsewhere: dict[str, int] = {}
    province_col = (_find(gdf, PROVINCE_COLUMNS) or [None])[0]
    if province_col is not None:
        for i in range(len(gdf)):
            prov = _province_of(_cell(gdf, province_col, i))
            if prov is not None and prov != PROVINCE_CODE:
                keep[i] = False
                label = prov[5:] if prov.startswith("name:") else f"code {prov}"
                elsewhere[label] = elsewhere.get(label, 0) + 1
    if cols.code is not None and _is_gso_code_column(gdf, cols.code):
        known = set(units()) | set(REMOVED_2020)
        for i in range(len(gdf)):
            code = norm_code(_cell(gdf, cols.code, i))
            if keep[i] and code is not None and code not in known:
                keep[i] = False  # a GSO commune code of another province: never matched by its name
                elsewhere["other GSO codes"] = elsewhere.get("other GSO codes", 0) + 1
    dropped = len(gdf) - sum(keep)
    if not dropped:
        return gdf
    if not any(keep):
        report.error(_p("none of the {count} features is in {province} ({elsewhere}); choose a layer that holds "
                        "Bến Tre's communes", count=len(gdf), province=PROVINCE_NAME, elsewhere=_summary(elsewhere)))
        return None
    report.warn(_p("the layer holds {dropped} features of other provinces ({elsewhere}); only the {kept} features "
                   "of {province} are used", dropped=dropped, elsewhere=_summary(elsewhere), kept=sum(keep),
                   province=PROVINCE_NAME))
    return gdf[keep].reset_index(drop=True)


def _is_gso_code_column(gdf: gpd.GeoDataFrame, col: str) -> bool:
    """A column of GSO commune codes: some of its values are Bến Tre's codes (not just row numbers)."""
    known = set(units()) | set(REMOVED_2020)
    return any(norm_code(v) in known for v in gdf[col])


def _summary(counts: dict[str, int], limit: int = 5) -> str:
    items = sorted(counts.items(), key=lambda kv: -kv[1])
    text = ", ".join(f"{name}: {n}" for name, n in items[:limit])
    return text + (f", and {len(items) - limit} more" if len(items) > limit else "")


MISPLACED_AT_LEAST = (5, 0.1)  # features with Bến Tre's codes outside it (count, share): the layer is misplaced


def _inside_province(gdf: gpd.GeoDataFrame, targets: list[str | None], cols: Columns,
                     report: CheckReport) -> list[str | None]:
    """Matched features that lie outside Bến Tre are left out, so the map is never Bến Tre glued to other
    provinces: same-named units elsewhere (a layer without province or code columns), or a feature whose code is
    wrong. When many features that carry Bến Tre's own GSO codes lie outside it, the layer itself is misplaced (read
    in the wrong coordinate system: VN-2000 in another zone shifts it by tens of km): an error."""
    x0, y0, x1, y1 = BEN_TRE_LONLAT
    known = set(units()) | set(REMOVED_2020)
    coded = [cols.code is not None and norm_code(_cell(gdf, cols.code, i)) in known for i in range(len(gdf))]
    out, by_name, by_code = [], [], []
    for i, (code, geom) in enumerate(zip(targets, gdf.geometry.values)):
        if code is not None and geom is not None and not geom.is_empty:
            point = geom.representative_point() if geom.is_valid else geom.centroid
            if not (x0 <= point.x <= x1 and y0 <= point.y <= y1):
                where = _p("feature {i} ({bounds})", i=i, bounds=f"{point.x:.2f}°E, {point.y:.2f}°N")
                (by_code if coded[i] else by_name).append(where)
                code = None
        out.append(code)
    coded_total = sum(coded)
    if by_code and (len(by_code) >= MISPLACED_AT_LEAST[0] or len(by_code) >= MISPLACED_AT_LEAST[1] * coded_total):
        report.error(_p("{count} of the {total} features that carry Bến Tre's GSO codes lie outside Bến Tre: "
                        "{listed}{more} — the layer is placed wrongly, most likely read in the wrong coordinate "
                        "system; give the layer's own (its .prj file; VN-2000 for Bến Tre is EPSG:9210)",
                        count=len(by_code), total=coded_total, listed=joined_by("; ", by_code[:5]),
                        more=_p("; … and {count} more", count=len(by_code) - 5) if len(by_code) > 5 else ""))
    elif by_code:
        report.warn(_p("{count} features carry Bến Tre's GSO codes but lie outside Bến Tre and were left out: "
                       "{listed} — check their codes", count=len(by_code), listed=joined_by("; ", by_code)))
    if by_name:
        report.warn(_p("{count} features matched by name lie outside Bến Tre and were left out: {listed}{more} — add "
                       "a province column (ma_tinh) or GSO codes (ma_xa) to the layer", count=len(by_name),
                       listed=joined_by("; ", by_name[:5]),
                       more=_p("; … and {count} more", count=len(by_name) - 5) if len(by_name) > 5 else ""))
    if (by_code or by_name) and not any(out) and not report.errors:
        report.error(_p("no matched feature lies in Bến Tre; choose a layer that holds Bến Tre's communes"))
    return out


# ---------------------------------------------------------------- matching features to GSO units

@dataclass
class Columns:
    code: str | None
    name: str | None
    district: str | None


def _find(gdf: gpd.GeoDataFrame, candidates: tuple[str, ...]) -> list[str]:
    """Columns of the frame named like the candidates (case-insensitive), in the candidates' order."""
    by_lower = {str(c).lower(): c for c in gdf.columns if c != gdf.geometry.name}
    return [by_lower[c] for c in candidates if c in by_lower]


def _columns(gdf: gpd.GeoDataFrame, report: CheckReport) -> Columns:
    codes = _find(gdf, CODE_COLUMNS)
    known = set(units()) | set(REMOVED_2020)
    useful = [c for c in codes if any(norm_code(v) in known for v in gdf[c])]
    cols = Columns(code=(useful or codes or [None])[0], name=(_find(gdf, NAME_COLUMNS) or [None])[0],
                   district=(_find(gdf, DISTRICT_COLUMNS) or [None])[0])
    roles = {"code": lambda col: _p("code '{column}'", column=col), "name": lambda col: _p("name '{column}'", column=col),
             "district": lambda col: _p("district '{column}'", column=col)}
    found = [roles[role](col) for role, col in vars(cols).items() if col]
    report.info.append(_p("columns used: {found}", found=joined_by(", ", found)) if found else _p("columns used: none"))
    if cols.code is None and cols.name is None:
        present = ", ".join(str(c) for c in gdf.columns if c != gdf.geometry.name)
        report.error(_p("no column with GSO codes ({codes}, ...) or names ({names}, ...); columns present: {present}; "
                        "{hint}", codes=", ".join(CODE_COLUMNS[:6]), names=", ".join(NAME_COLUMNS[:6]),
                        present=present or _p("none"), hint=CODE_HINT))
    elif cols.code is None:
        report.warn(_p("no GSO code column ({codes}, ...); features matched by name within district as a fallback "
                       "— {hint}", codes=", ".join(CODE_COLUMNS[:6]), hint=CODE_HINT))
    return cols


def _text(value: object) -> str:
    """Cell value as NFC text; whole floats lose their '.0' (28813.0 -> '28813')."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = nfc(value)
    return text[:-2] if text.endswith(".0") and text[:-2].isdigit() else text


def norm_code(value: object) -> str | None:
    """A GSO code as a 5-digit string (28813, 28813.0, ' 28813' -> '28813'); None if not a code."""
    text = _text(value) if value is not None else ""
    return text.zfill(5) if text.isdigit() and len(text) <= 5 else None


def _district(value: object) -> str | None:
    """District code from a code (831) or a name ("Châu Thành", "Huyện Châu Thành")."""
    text = _text(value) if value is not None else ""
    return district_code_for_name(text.zfill(3) if text.isdigit() else text) if text else None


def _cell(gdf: gpd.GeoDataFrame, col: str | None, i: int) -> object:
    if col is None:
        return None
    value = gdf[col].iloc[i]
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def _labels(gdf: gpd.GeoDataFrame, cols: Columns) -> list[str]:
    out = []
    for i in range(len(gdf)):
        name, code = _cell(gdf, cols.name, i), _cell(gdf, cols.code, i)
        bits = [f"'{nfc(name)}'" if name is not None else "", f"code {nfc(code)}" if code is not None else ""]
        out.append(f"feature {i}" + (f" ({', '.join(b for b in bits if b)})" if any(bits) else ""))
    return out


def _match(gdf: gpd.GeoDataFrame, cols: Columns, report: CheckReport) -> list[str | None]:
    """The 2020-2024 GSO code each feature belongs to (None when it matches nothing)."""
    if cols.code is None and cols.name is None:
        return [None] * len(gdf)
    targets, renamed, removed = [], [], 0
    for i in range(len(gdf)):
        raw = _cell(gdf, cols.code, i)
        code = norm_code(raw)
        name = nfc(_cell(gdf, cols.name, i)) if cols.name else ""
        if code in units():
            targets.append(code)
            _check_name(i, code, name, renamed, report)
        elif code in REMOVED_2020:
            old_name, into = REMOVED_2020[code]
            report.info.append(_p("feature {i}: {code} {old} was merged into {into} {name} (NQ 855/NQ-UBTVQH14, "
                                  "2020); its area is dissolved into {into}", i=i, code=code, old=old_name,
                                  into=into, name=units()[into].name))
            targets.append(into)
            removed += 1
        else:
            targets.append(_match_by_name(i, raw, name, _cell(gdf, cols.district, i), report))
    if removed:
        report.warn(_p("{count} features carry 2019 codes of units merged away on 2020-02-01; they were dissolved "
                       "into the units they joined (details in the info lines)", count=removed))
    if renamed:
        more = _p("; and {count} more", count=len(renamed) - EXAMPLES) if len(renamed) > EXAMPLES else ""
        report.warn(_p("{count} features are named differently from their code's GSO unit — check the code column "
                       "'{column}' (and the text encoding, --encoding), e.g. {examples}{more}", count=len(renamed),
                       column=cols.code, more=more,
                       examples=joined_by("; ", renamed[:EXAMPLES])))
    if not any(targets):
        report.error(_p("none of the {count} features matches a GSO unit of Bến Tre (2020-2024) by code or by name; "
                        "{hint} (5-digit codes, e.g. 28813 for Xã Giao Long)", count=len(gdf), hint=CODE_HINT))
    return targets


def _check_name(i: int, code: str, name: str, renamed: list[str], report: CheckReport) -> None:
    """Report a code whose name in the layer is not its GSO name (nor a 2019 name it absorbed)."""
    unit = units()[code]
    if not name or name_key(name) in {name_key(unit.name), name_key(unit.name_in(2024))}:
        return
    if merged_into(unit.district_code, name) == code:
        report.info.append(_p("feature {i}: {code} '{name}' (2019) is part of {code} {unit} since 2020 "
                              "(NQ 855/NQ-UBTVQH14)", i=i, code=code, name=name, unit=unit.name))
        return
    renamed.append(_p("feature {i}: {code} is {unit}, the layer says '{name}'", i=i, code=code, unit=unit.name,
                      name=name))


def _match_by_name(i: int, raw: object, name: str, district_raw: object, report: CheckReport) -> str | None:
    """Fallback: the unit with this name in this district (or the only one with this name in the province)."""
    district = _district(district_raw)
    where = _p("name '{name}'", name=name) if district_raw is None else \
        _p("name '{name}', district '{district}'", name=name, district=nfc(district_raw))
    why = _p("code '{code}' is not a GSO code of Bến Tre", code=nfc(raw)) if raw is not None else _p("no code")
    if not name:
        report.unmatched.append(_p("feature {i} ({why}): no GSO unit with this code and no name to fall back on; "
                                   "{hint}", i=i, why=why, hint=CODE_HINT))
        return None
    code = (merged_into(district, name) or code_for_name(district, name)) if district else None
    note = ""
    if code is None:
        hits = _anywhere(name)
        if len(hits) == 1:
            code = hits[0]
            if district_raw is not None:
                note = _p(" (found in {district}, not in the layer's district)", district=units()[code].district_name)
        elif len(hits) > 1:
            report.unmatched.append(_p("feature {i} ({where}): several units bear this name ({codes}); add a "
                                       "district column (ma_huyen) or {hint}", i=i, where=where,
                                       codes=", ".join(hits), hint=CODE_HINT))
            return None
    if code is None:
        report.unmatched.append(_p("feature {i} ({where}): no GSO unit with this code or name; {hint}", i=i,
                                   where=where, hint=CODE_HINT))
        return None
    unit = units()[code]
    report.info.append(_p("feature {i} ({where}): matched by name to {code} {unit}{note} — fallback, {why}", i=i,
                          where=where, code=code, unit=unit.name, note=note, why=why))
    if name_key(name) not in {name_key(unit.name), name_key(unit.name_in(2024))}:
        report.info.append(_p("feature {i}: {name} was merged into {code} {unit} (NQ 855/NQ-UBTVQH14, 2020)", i=i,
                              name=name, code=code, unit=unit.name))
    return code


def _anywhere(name: str) -> list[str]:
    """Codes of every 2020 unit (or 2019 unit merged into one) with this name, any district."""
    hits = {merged_into(d, name) or code_for_name(d, name) for d in DISTRICTS}
    return sorted(h for h in hits if h)


def _by_code(parts: list[tuple[int, str, object]], report: CheckReport) -> dict[str, list[object]]:
    """Geometries per 2020 code; a code reached by several features is reported and dissolved."""
    features: dict[str, list[int]] = {}
    out: dict[str, list[object]] = {}
    for i, code, geom in parts:
        features.setdefault(code, []).append(i)
        out.setdefault(code, []).append(geom)
    for code, index in features.items():
        if len(index) > 1:
            report.info.append(_p("features {features} all belong to {code} {unit}; dissolved into one unit",
                                  features=", ".join(map(str, index)), code=code, unit=units()[code].name))
    return out


def _report_missing(report: CheckReport) -> None:
    missing = sorted(set(units()) - set(report.matched))
    if missing:
        names = ", ".join(f"{c} {units()[c].name} ({units()[c].district_name})" for c in missing[:MISSING_LISTED])
        more = _p(", and {count} more", count=len(missing) - MISSING_LISTED) if len(missing) > MISSING_LISTED else ""
        report.warn(_p("the layer lacks {count} of the {total} units of the GSO 2020-2024 list: {names}{more}; they "
                       "will be missing from the map and from its counts and shares", count=len(missing),
                       total=len(units()), names=names, more=more))
