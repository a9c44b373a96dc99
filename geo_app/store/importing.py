"""Imports: read a file with the sources' readers, validate it whole, then commit it as one new revision.

Nothing reaches the store unless the whole file is usable; a rejected file is recorded in the audit log and
changes nothing else. Used by the CLI and the web admin alike. No Flask here.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING


from geo_app.domain.messages import phrase as _p, phrase_data
from geo_app.sources.report import CheckReport
from geo_app.store.revisions import FileMeta, RevisionStore

if TYPE_CHECKING:  # imported where used: loading them is most of a command's start
    import pandas as pd

DEFAULT_MAX_STATUS_BYTES = 20 * 1024 * 1024


def max_file_bytes(kind: str) -> int:
    """The largest file of `kind` read ("status": NTM_STATUS_MAX_MB, "boundaries": NTM_BOUNDARY_MAX_MB), for the
    command line and the web alike (the importers refused at the defaults whatever the settings said)."""
    from geo_app.settings import SettingsError, StatusLimits, boundary_max_bytes

    if kind == "boundaries":
        return boundary_max_bytes()
    try:
        return StatusLimits.from_env().max_bytes
    except SettingsError:  # reported where the file is read
        return DEFAULT_MAX_STATUS_BYTES


LayerCheck = Callable[["pd.DataFrame"], list[str]]  # a usable layer -> errors that keep it out of the store


@dataclass
class ImportResult:
    """What an import (or a dry run) did: the readers' reports, and the revision made, if any."""

    kind: str
    file_name: str
    reports: list[CheckReport] = field(default_factory=list)
    revision: dict | None = None
    rows: int = 0
    matched: int = 0
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return all(r.usable for r in self.reports) and bool(self.reports)

    def summary_line(self) -> str:
        what = "features" if self.kind == "boundaries" else "rows"
        if not self.ok:
            return f"{self.file_name}: NOT imported ({sum(len(r.errors) for r in self.reports)} error(s)); " \
                   "the store is unchanged"
        read = f"{self.file_name}: {self.rows} {what} read, {self.matched} GSO units matched" + (
            "" if self.kind == "boundaries" else " (a row is a unit in a year)")
        if self.dry_run:
            return f"{read}; dry run, nothing stored"
        return f"{read}; revision {self.revision['id']} ({self.kind}) is now current"


def file_meta(path: Path) -> FileMeta:
    digest = hashlib.sha256()
    size = 0
    if path.is_dir():
        for part in sorted(p for p in path.rglob("*") if p.is_file()):
            data = part.read_bytes()
            size += len(data)
            digest.update(part.name.encode() + b"\0" + data)
    else:
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                size += len(chunk)
                digest.update(chunk)
    return FileMeta(path.name, size, digest.hexdigest())


def _too_big(path: Path, limit: int, kind: str) -> CheckReport | None:
    size = path.stat().st_size if path.is_file() else 0
    if size <= limit:
        return None
    report = CheckReport(kind, str(path))
    report.error(f"the file is {size / 1e6:.1f} MB, over the limit of {limit / 1e6:.0f} MB for {kind} files; "
                 "split it or raise the limit in the settings")
    return report


def _missing(path: Path, kind: str) -> CheckReport | None:
    if path.exists():
        return None
    report = CheckReport(kind, str(path))
    report.error("no such file or folder; check the path")
    return report


def read_boundary_file(path: Path, crs: str | None = None, encoding: str | None = None,
                       max_bytes: int | None = None):
    """(frame or None, report) for a boundary layer, refusing missing and oversized files before reading."""
    from geo_app.sources.boundaries import read_boundaries

    early = _missing(path, "boundaries") or _too_big(path, max_bytes or max_file_bytes("boundaries"), "boundaries")
    if early:
        return None, early
    frame, report = read_boundaries(path, crs=crs, encoding=encoding)
    if report.usable and frame is not None and frame.empty:
        report.error("the layer holds no commune of the province; check that it is the right file")
    return (frame if report.usable else None), report


def read_status_file(path: Path, year: int | None = None, max_bytes: int | None = None):
    """(communes or None, districts or None, reports) for a status CSV/XLSX of either kind (or both sheets)."""
    from geo_app.sources.status_io import data_download_report, read_commune_status, read_district_status, status_tables

    early = (_missing(path, "status") or _too_big(path, max_bytes or max_file_bytes("status"), "status")
             or data_download_report(path))
    if early:
        return None, None, [early]
    tables = status_tables(path)
    communes = districts = None
    reports: list[CheckReport] = []
    if "communes" in tables:
        communes, report = read_commune_status(path, year)
        reports.append(report)
    if "districts" in tables:
        districts, report = read_district_status(path, year)
        reports.append(report)
    if year is not None:
        communes = None if communes is None else communes[communes["year"] == year]
        districts = None if districts is None else districts[districts["year"] == year]
    _require_rows(reports, communes, districts)
    _require_plan_set(reports, communes)
    if not all(r.usable for r in reports):
        return None, None, reports
    return communes, districts, reports


def _require_rows(reports: list[CheckReport], communes, districts) -> None:
    rows = sum(0 if f is None else len(f) for f in (communes, districts))
    if rows == 0 and reports and all(r.usable for r in reports):
        reports[0].error(_p("the file holds no status row (only a header?); fill in one row per commune and year"))


def _require_plan_set(reports: list[CheckReport], communes) -> None:
    """This file layout holds plan 4798's 19 criteria: years of another criteria set are refused, not mixed."""
    from geo_app.domain.criteria import PLAN_SET, criteria_set_for_year, criteria_sets

    if communes is None or communes.empty or not reports:
        return
    plan = criteria_sets()[PLAN_SET]
    for year in sorted({int(y) for y in communes["year"]}):
        key = criteria_set_for_year(year)
        if key != PLAN_SET:
            other = criteria_sets()[key]
            reports[0].error(_p("year {year} falls under the {first}-{last} criteria set ({basis}, {count} criteria), "
                                "but this file holds the {held} criteria of {plan_first}-{plan_last}; import years up "
                                "to {plan_last} only", year=year, first=other["first_year"], last=other["last_year"],
                                basis=other["legal_basis"].split(";")[0], count=len(other["criteria"]),
                                held=len(plan["criteria"]), plan_first=plan["first_year"],
                                plan_last=plan["last_year"]))


def import_boundaries(store: RevisionStore, path: str | Path, user: str, note: str = "", crs: str | None = None,
                      encoding: str | None = None, dry_run: bool = False, only_if_empty: bool = False,
                      max_bytes: int | None = None, display_name: str | None = None,
                      expected_head: int | None = None, checks: tuple[LayerCheck, ...] = (),
                      address: str = "") -> ImportResult:
    """Import a boundary layer as one revision; `checks` (e.g. that the web map can draw it) run before."""
    path = Path(path)
    frame, report = read_boundary_file(path, crs, encoding, max_bytes)
    for check in checks if frame is not None else ():
        for problem in check(frame):
            report.error(problem)
    result = ImportResult("boundaries", display_name or path.name, [report], dry_run=dry_run)
    result.rows, result.matched = report.features, len(report.matched)
    if not result.ok:
        store.audit("import_rejected", user, result.file_name, {
            "kind": "boundaries", "errors": [phrase_data(e) for e in report.errors[:20]],
            "error_count": len(report.errors)}, address)
    elif not dry_run:
        meta = file_meta(path)
        meta = FileMeta(result.file_name, meta.file_size, meta.sha256)
        result.revision = store.commit_boundaries(frame, meta, user, note, only_if_empty=only_if_empty,
                                                  expected_head=expected_head, address=address)
    return result


def rows_read(communes, districts, reports: list[CheckReport]) -> int:
    """The rows a status file gave: its frames' where the file is usable, else the rows its reports read (a file
    with a bad row has no frames, yet its other rows were read and matched)."""
    kept = sum(0 if f is None else len(f) for f in (communes, districts))
    return kept or sum(r.features for r in reports)


def import_status(store: RevisionStore, path: str | Path, user: str, note: str = "", year: int | None = None,
                  dry_run: bool = False, only_if_empty: bool = False, max_bytes: int | None = None,
                  display_name: str | None = None, districts_path: str | Path | None = None,
                  expected_head: int | None = None, address: str = "") -> ImportResult:
    """Import a status file (and, for the first run's seed, a separate district file) as one revision."""
    import pandas as pd

    path = Path(path)
    communes, districts, reports = read_status_file(path, year, max_bytes)
    if districts_path is not None:
        _, more, more_reports = read_status_file(Path(districts_path), year, max_bytes)
        reports += more_reports
        more = None if more is None else more.assign(source_file=Path(districts_path).name)
        districts = more if districts is None else pd.concat([districts, more], ignore_index=True)
    if districts is not None and all(r.usable for r in reports):
        from geo_app.sources.status_io import warn_districts_ahead_of_their_communes

        warn_districts_ahead_of_their_communes(reports[-1], _over_stored(store, communes), districts)
    result = ImportResult("status", display_name or path.name, reports, dry_run=dry_run)
    result.rows = rows_read(communes, districts, reports)
    result.matched = sum(len(r.matched) for r in reports)
    if not result.ok:
        store.audit("import_rejected", user, result.file_name, {
            "kind": "status", "errors": [phrase_data(e) for r in reports for e in r.errors][:20],
            "error_count": sum(len(r.errors) for r in reports)}, address)
    elif not dry_run:
        if communes is not None:
            communes = communes.assign(source_file=result.file_name)
        if districts is not None and "source_file" not in districts.columns:
            districts = districts.assign(source_file=result.file_name)
        meta = file_meta(path)
        meta = FileMeta(result.file_name, meta.file_size, meta.sha256)
        result.revision = store.commit_status(communes, districts, meta, user, note, only_if_empty=only_if_empty,
                                              expected_head=expected_head, address=address)
    return result


def _over_stored(store: RevisionStore, communes):
    """The current revision's commune rows with the file's (commune, year) rows in their place."""
    from geo_app.store.revisions import _replace_rows

    head = store.heads().get("status")
    return _replace_rows(store.status(head["data_revision"])[0] if head else None, communes, ["ward_code", "year"])
