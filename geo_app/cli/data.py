"""`flask --app app data build|check|summary`: build, validate and summarise the data."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from geo_app.domain.legacy_text import ENCODINGS
from geo_app.store.datastore import DataUnavailable
from geo_app.sources.report import SHOWN_PROBLEMS, CheckReport

data_cli = AppGroup("data", help="Build, check and summarise boundary and status data.")


def _settings():
    return current_app.config["SETTINGS"]


@data_cli.command("build")
@click.option("--force", is_flag=True, help="Rebuild even if the layer exists.")
def build_command(force: bool) -> None:
    """Build the default commune layer (157 units, 2020-2024) into data/boundaries/ (idempotent)."""
    from geo_app.sources.boundary_build import build_default

    out_dir = _settings().boundaries_dir
    path, report = build_default(Path(out_dir), force=force)
    click.echo(report.to_text())
    if not report.usable:
        sys.exit(1)
    click.echo(f"Boundary layer ready: {path}")
    try:
        seeded = current_app.extensions["ntm_store"].seed()
    except DataUnavailable as exc:
        click.echo(f"The store was not seeded: {exc}", err=True)
        sys.exit(1)
    for result in seeded:
        click.echo(f"Store, first run: {result.summary_line()}")


@data_cli.command("check")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--crs", default=None, help="CRS of a layer without .prj, e.g. EPSG:9210 (VN-2000 / TM-3 105°45').")
@click.option("--encoding", default=None, type=click.Choice(ENCODINGS, case_sensitive=False),
              help="Text encoding of a shapefile's attributes (overrides the .cpg and the detection): utf-8, "
                   "cp1258 (Windows-1258), tcvn3 (ABC, .VnTime fonts) or vni (VNI-Windows).")
@click.option("--year", type=int, default=None,
              help="Year of an office-layout status workbook whose title does not say it (… NĂM 2023).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--all", "show_all", is_flag=True, help=f"List every problem (default: the first {SHOWN_PROBLEMS} of each kind).")
def check_command(path: Path, crs: str | None, encoding: str | None, year: int | None, as_json: bool,
                  show_all: bool) -> None:
    """Validate a boundary layer or status file; exit 0 when usable, 1 when not."""
    report = check_file(path, crs=crs, encoding=encoding, year=year)
    limit = None if show_all else SHOWN_PROBLEMS
    click.echo(report.dumps(limit) if as_json else report.to_text(limit))
    sys.exit(0 if report.usable else 1)


def check_file(path: Path, crs: str | None = None, encoding: str | None = None,
               year: int | None = None) -> CheckReport:
    """Run the right reader for `path` by its kind."""
    from geo_app.sources.boundaries import read_boundaries
    from geo_app.sources.status_io import check_status_file

    suffix = path.suffix.lower()
    if suffix in (".csv", ".xlsx", ".xlsm") or (suffix == ".xls" and not path.exists()):  # (missing: says so)
        return check_status_file(path, year)
    if suffix == ".xls":
        report = CheckReport(kind="status", path=str(path))
        report.error("old .xls workbooks are not supported; save it as .xlsx (Excel Workbook) and check again")
        return report
    return read_boundaries(path, crs=crs, encoding=encoding)[1]


@data_cli.command("summary")
@click.option("--year", type=int, default=None, help="Year (default: the latest with data).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def summary_command(year: int | None, as_json: bool) -> None:
    """Province and district attainment in a year, against plan 4798's targets."""
    try:
        ds = current_app.extensions["ntm_store"].dataset()
    except DataUnavailable as exc:
        from geo_app import user_message

        raise click.ClickException(user_message(current_app, str(exc))) from exc
    year = year or ds.latest_year
    if year not in ds.years:
        raise click.UsageError(f"--year {year} has no data; choose one of {', '.join(map(str, ds.years))}")
    result = ds.summary(year)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        click.echo(summary_text(result))


def summary_text(result: dict) -> str:
    from geo_app.domain.criteria import DISTRICT_LEVEL_BY_KEY
    from geo_app.render.mapspec import summary_sentence

    def level(key: str) -> str:
        return DISTRICT_LEVEL_BY_KEY[key].name_vi if key in DISTRICT_LEVEL_BY_KEY else key

    lines = [summary_sentence(result["province"], result["year"])]
    if result.get("illustrative"):
        lines.append("(Có số liệu minh họa — illustrative values included, not official.)")
    lines.append(f"{'Mã':<5} {'Huyện':<22} {'Xã':>3} {'NTM':>4} {'NC':>3}  Cấp huyện")
    for d in result["districts"]:
        lines.append(f"{d['code']:<5} {d['name']:<22} {d['xa_total']:>3} {d['xa_ntm']:>4} {d['xa_nang_cao']:>3}  {level(d['level'])}")
    lines.append("Mục tiêu 2025 (KH 4798):")
    for t in result["targets"]:
        mark = "đạt" if t["met"] else f"thiếu {t['gap']}"
        actual, target = (level(t["actual"]), level(t["target"])) if t["unit"] == "district" and \
            isinstance(t["actual"], str) else (t["actual"], t["target"])
        lines.append(f"  - {t['label_vi']}: {actual} / {target} ({mark})")
    return "\n".join(lines)
