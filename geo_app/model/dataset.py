"""The joined model: boundaries + status per year -> commune, district and province attainment.

Plain Python (no Flask). Load a `Dataset` once per data revision and ask it per year.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING


from geo_app.domain import plan
from geo_app.domain.criteria import (
    COMMUNE_LEVEL_BY_KEY,
    COMMUNE_LEVELS,
    CRITERION_COLUMNS,
    DISTRICT_LEVEL_BY_KEY,
    band_for,
)
from geo_app.sources.report import CheckReport, DataFileError
from geo_app.settings import Settings
from geo_app.domain.units import DISTRICTS, PILOT_COMMUNES, units

if TYPE_CHECKING:  # imported where used: loading them is most of a command's start
    import geopandas as gpd
    import pandas as pd

RANK = {lv.key: lv.rank for lv in COMMUNE_LEVELS}


@dataclass
class Dataset:
    """Validated boundaries and status, ready to be asked for any year."""

    boundaries: gpd.GeoDataFrame  # ward_code, name, type, district_code, district_name, vintage, geometry
    commune_status: pd.DataFrame  # ward_code, year, c1..c19, level, year_recognised, note, provenance, source_url
    district_status: pd.DataFrame  # district_code, year, level, decision, note, provenance, source_url
    sources: dict[str, str] = field(default_factory=dict)  # role -> path
    reports: list[CheckReport] = field(default_factory=list)
    revision_key: str = ""  # the store's data revisions ("b1s2"); empty when read straight from files
    revisions: dict[str, dict] = field(default_factory=dict)  # kind -> the store's current revision record
    _frames: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @cached_property
    def revision(self) -> str:
        """Changes whenever the data changes: the key for caches built from this data."""
        if self.revision_key:
            return self.revision_key
        h = hashlib.sha1()
        for role, path in sorted(self.sources.items()):
            p = Path(path)
            stat = p.stat() if p.exists() else None
            h.update(f"{role}={p.resolve()}:{stat.st_mtime_ns if stat else 0}:{stat.st_size if stat else 0}".encode())
        return h.hexdigest()[:12]

    @cached_property
    def districts(self) -> gpd.GeoDataFrame:
        """District polygons dissolved from the communes, so the two layers nest exactly."""
        d = self.boundaries.dissolve(by="district_code", as_index=False)[["district_code", "geometry"]]
        d["district_name"] = d["district_code"].map(DISTRICTS)
        return d[["district_code", "district_name", "geometry"]]

    @property
    def years(self) -> list[int]:
        return sorted(int(y) for y in self.commune_status["year"].unique())

    @property
    def latest_year(self) -> int:
        return self.years[-1]

    def has_illustrative(self, year: int) -> bool:
        rows = self.commune_status[self.commune_status["year"] == year]
        return bool((rows["provenance"] == "illustrative").any())

    def communes(self, year: int) -> gpd.GeoDataFrame:
        """`commune_frame` for `year`, computed once per dataset (callers get their own copy)."""
        return self._memo(("communes", year), lambda: commune_frame(self, year))

    def district_frame(self, year: int) -> gpd.GeoDataFrame:
        """`district_frame` for `year`, computed once per dataset (callers get their own copy)."""
        return self._memo(("districts", year), lambda: districts_from_communes(self, self.communes(year), year))

    def shared(self, key: tuple, build):
        """`build()` computed once per dataset and the same object returned to every caller (who must not
        modify it): e.g. the lagging ranking of a year."""
        if key not in self._frames:
            self._frames[key] = build()
        return self._frames[key]

    def _memo(self, key: tuple, build) -> gpd.GeoDataFrame:
        if key not in self._frames:
            self._frames[key] = build()
        return self._frames[key].copy()

    def summary(self, year: int) -> dict:
        return summary(self, year)


def load_dataset(settings: Settings | None = None) -> Dataset:
    """Read and validate the configured boundary layer and status files; raise DataFileError if unusable."""
    from geo_app.sources.boundaries import read_boundaries
    from geo_app.sources.status_io import read_commune_status, read_district_status

    settings = settings or Settings.from_env()
    bpath = settings.boundaries_path()
    boundaries, breport = read_boundaries(bpath, crs=settings.boundaries_crs)
    cstatus, creport = read_commune_status(settings.commune_status_path())
    dstatus, dreport = read_district_status(settings.district_status_path())
    for report in (breport, creport, dreport):
        if not report.usable:
            raise DataFileError(report)
    return Dataset(
        boundaries=boundaries,
        commune_status=cstatus,
        district_status=dstatus,
        sources={
            "boundaries": str(bpath),
            "commune_status": str(settings.commune_status_path()),
            "district_status": str(settings.district_status_path()),
        },
        reports=[breport, creport, dreport],
    )


def dataset_from_frames(boundaries: gpd.GeoDataFrame, commune_status: pd.DataFrame, district_status: pd.DataFrame,
                        revision: str, sources: dict[str, str], revisions: dict[str, dict]) -> Dataset:
    """A Dataset from frames the store hands over (already validated when they were imported)."""
    commune_status = commune_status.copy()
    for col in CRITERION_COLUMNS:
        if col not in commune_status.columns:
            commune_status[col] = None
    return Dataset(boundaries=boundaries, commune_status=commune_status, district_status=district_status,
                   sources=sources, revision_key=revision, revisions=revisions)


def commune_frame(ds: Dataset, year: int) -> gpd.GeoDataFrame:
    """Every commune of the boundary layer with its status in `year`.

    Columns: ward_code, name, type, district_code, district_name, ntm_applicable, level, level_rank,
    criteria_met, band, missing (list of criterion numbers), c1..c19 (True/False/None),
    year_recognised, note, provenance, source_url, is_pilot, geometry.
    """
    import geopandas as gpd
    import pandas as pd

    unit_by_code = units()
    rows = ds.commune_status[ds.commune_status["year"] == year].set_index("ward_code")
    out = ds.boundaries.copy()
    unit_info = [unit_by_code.get(code) for code in out["ward_code"]]
    out["type"] = [u.type_in(year) if u else t for u, t in zip(unit_info, out["type"])]
    out["name"] = [u.name_in(year) if u else n for u, n in zip(unit_info, out["name"])]
    out["ntm_applicable"] = out["type"] == "Xã"
    records = [_commune_record(code, applicable, rows) for code, applicable in zip(out["ward_code"], out["ntm_applicable"])]
    extra = pd.DataFrame.from_records(records, index=out.index)
    out = pd.concat([out, extra], axis=1)
    out["is_pilot"] = out["ward_code"].isin(PILOT_COMMUNES)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=ds.boundaries.crs)


def _commune_record(code: str, applicable: bool, rows: pd.DataFrame) -> dict:
    import pandas as pd

    rec: dict = {c: None for c in CRITERION_COLUMNS}
    rec.update(level="no_data", criteria_met=None, band="no_data", missing=[], year_recognised=None,
               note="", provenance="", source_url="")
    if not applicable:
        rec.update(level="not_applicable", band="not_applicable")
    if code not in rows.index:
        rec["level_rank"] = COMMUNE_LEVEL_BY_KEY[rec["level"]].rank
        return rec
    row = rows.loc[code]
    rec.update(note=row["note"], provenance=row["provenance"], source_url=row["source_url"])
    if applicable:
        met = [bool(row[c]) for c in CRITERION_COLUMNS]
        rec.update({c: m for c, m in zip(CRITERION_COLUMNS, met)})
        rec.update(level=row["level"], criteria_met=sum(met), band=band_for(sum(met)),
                   missing=[i + 1 for i, m in enumerate(met) if not m],
                   year_recognised=None if pd.isna(row["year_recognised"]) else int(row["year_recognised"]))
    rec["level_rank"] = COMMUNE_LEVEL_BY_KEY[rec["level"]].rank
    return rec


def district_frame(ds: Dataset, year: int) -> gpd.GeoDataFrame:
    """Each district with its level and counts of its xã by level in `year`.

    Columns: district_code, district_name, level, decision, provenance, source_url, note, xa_total, xa_ntm,
    xa_nang_cao, xa_kieu_mau, xa_no_data, pct_ntm, pct_nang_cao, has_model, geometry.
    """
    return districts_from_communes(ds, commune_frame(ds, year), year)


def districts_from_communes(ds: Dataset, communes: pd.DataFrame, year: int) -> gpd.GeoDataFrame:
    """District roll-up of a commune frame (the model's own, or a modified one for a what-if)."""
    import pandas as pd

    xa = communes[communes["ntm_applicable"]]
    counts = xa.groupby("district_code").agg(
        xa_total=("ward_code", "size"),
        xa_ntm=("level_rank", lambda r: int((r >= 1).sum())),
        xa_nang_cao=("level_rank", lambda r: int((r >= 2).sum())),
        xa_kieu_mau=("level_rank", lambda r: int((r >= 3).sum())),
        xa_no_data=("level", lambda r: int((r == "no_data").sum())),
    )
    out = ds.districts.merge(counts, left_on="district_code", right_index=True, how="left")
    for col in ("xa_total", "xa_ntm", "xa_nang_cao", "xa_kieu_mau", "xa_no_data"):
        out[col] = pd.to_numeric(out[col], errors="coerce").fillna(0).astype(int)  # no xã at all: empty counts
    out["pct_ntm"] = _pct(out["xa_ntm"], out["xa_total"])
    out["pct_nang_cao"] = _pct(out["xa_nang_cao"], out["xa_total"])
    out["has_model"] = out["xa_kieu_mau"] > 0
    status = ds.district_status[ds.district_status["year"] == year].set_index("district_code")
    for col, default in (("level", "chua_dat"), ("decision", ""), ("provenance", ""), ("source_url", ""), ("note", "")):
        out[col] = [status.at[c, col] if c in status.index else default for c in out["district_code"]]
    return out


def _pct(part: pd.Series, whole: pd.Series) -> pd.Series:
    return (100.0 * part / whole.where(whole > 0)).round(1)


def province_counts(communes: pd.DataFrame) -> dict:
    xa = communes[communes["ntm_applicable"]]
    not_ntm = xa[(xa["level_rank"] == 0)]
    return {
        "xa_total": int(len(xa)),
        "xa_ntm": int((xa["level_rank"] >= 1).sum()),
        "xa_nang_cao": int((xa["level_rank"] >= 2).sum()),
        "xa_kieu_mau": int((xa["level_rank"] >= 3).sum()),
        "band_15_18": int((not_ntm["band"] == "15_18").sum()),
        "band_10_14": int((not_ntm["band"] == "10_14").sum()),
        "band_lt10": int((not_ntm["band"] == "lt10").sum()),
        "xa_no_data": int((xa["level"] == "no_data").sum()),
    }


def summary(ds: Dataset, year: int) -> dict:
    """The province, its districts and the plan's targets in `year` (the `data summary --json` shape)."""
    communes = ds.communes(year)
    districts = ds.district_frame(year)
    province = province_counts(communes)
    return {
        "year": year,
        "province": province,
        "districts": [
            {
                "code": r.district_code,
                "name": r.district_name,
                "xa_total": int(r.xa_total),
                "xa_ntm": int(r.xa_ntm),
                "xa_nang_cao": int(r.xa_nang_cao),
                "level": r.level,
            }
            for r in districts.itertuples()
        ],
        "targets": plan.evaluate(province, districts),
        "illustrative": ds.has_illustrative(year),
    }


def district_level_name(key: str, lang: str = "vi") -> str:
    lv = DISTRICT_LEVEL_BY_KEY[key]
    return lv.name_en if lang == "en" else lv.name_vi
