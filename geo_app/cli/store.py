"""`flask --app app import boundaries|status`, `revisions`, `rollback N`, `audit`: the store from the shell."""
from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from geo_app.store.datastore import DataStore, DataUnavailable
from geo_app.sources.report import SHOWN_PROBLEMS
from geo_app.store.importing import ImportResult, import_boundaries, import_status
from geo_app.store.revisions import KINDS, StoreError

CLI_USER = "cli"
import_cli = AppGroup("import", help="Import a boundary layer or a status file as a new revision.")


def _store() -> DataStore:
    return current_app.extensions["ntm_store"]


def _ensure_seeded(store: DataStore) -> None:
    """The first run's revisions come first, so that an import never becomes revision 1 by accident."""
    try:
        store.seed()
    except DataUnavailable as exc:
        click.echo(f"note: the store has no first-run data yet ({exc})", err=True)


def _finish(result: ImportResult, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"ok": result.ok, "dry_run": result.dry_run, "rows": result.rows,
                               "matched": result.matched, "revision": result.revision,
                               "reports": [r.to_json() for r in result.reports]}, ensure_ascii=False, indent=2))
    else:
        if not result.ok or result.dry_run:
            for report in result.reports:
                click.echo(report.to_text())
                if result.dry_run and report.understanding:
                    click.echo(understanding_text(report.understanding))
        else:
            _echo_warnings(result)
        if result.revision:
            click.echo(change_text(result.revision))
        click.echo(result.summary_line())
    sys.exit(0 if result.ok else 1)


def _echo_warnings(result: ImportResult) -> None:
    """An accepted file's warnings (overlaps, gaps, names that differ), so they are not only in the audit log."""
    for report in result.reports:
        for warning in report.warnings[:SHOWN_PROBLEMS]:
            click.echo(f"warning: {warning}")
        if len(report.warnings) > SHOWN_PROBLEMS:
            click.echo(f"warning: ... and {len(report.warnings) - SHOWN_PROBLEMS} more (--dry-run lists them)")


@import_cli.command("boundaries")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--crs", default=None, help="CRS of a layer without .prj, e.g. EPSG:9210 (VN-2000 / TM-3 105°45').")
@click.option("--encoding", default=None, help="Text encoding of the attributes: utf-8, cp1258, tcvn3 or vni.")
@click.option("--note", default="", help="A short note kept with the revision (e.g. the decision's number).")
@click.option("--dry-run", is_flag=True, help="Read and report; store nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
def import_boundaries_command(path: Path, crs: str | None, encoding: str | None, note: str, dry_run: bool,
                              as_json: bool) -> None:
    """Import a boundary layer (shapefile folder/.shp/.zip, GeoPackage, GeoJSON) as a new revision."""
    from geo_app.render.webgeo import web_geometry_problems

    store = _store()
    _ensure_seeded(store)
    _finish(_refused_or(lambda: import_boundaries(store.revisions, path, CLI_USER, note, crs=crs, encoding=encoding,
                                                  dry_run=dry_run, checks=(web_geometry_problems,))), as_json)


@import_cli.command("status")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--year", type=click.IntRange(2015, 2030), default=None, help="The year, when the file does not say.")
@click.option("--note", default="", help="A short note kept with the revision (e.g. the report's number).")
@click.option("--dry-run", is_flag=True, help="Read and report; store nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
def import_status_command(path: Path, year: int | None, note: str, dry_run: bool, as_json: bool) -> None:
    """Import a status file (CSV or XLSX) as a new revision; rows for the same commune and year are replaced."""
    store = _store()
    _ensure_seeded(store)
    _finish(_refused_or(lambda: import_status(store.revisions, path, CLI_USER, note, year=year, dry_run=dry_run)),
            as_json)


def _refused_or(run):
    """The import's result; the store's refusal (e.g. nothing would change) as a message and exit status 1."""
    try:
        return run()
    except StoreError as exc:
        click.echo(f"Not imported: {exc}", err=True)
        sys.exit(1)


@click.command("revisions")
@with_appcontext
@click.option("--kind", type=click.Choice(KINDS), default=None)
@click.option("--json", "as_json", is_flag=True)
def revisions_command(kind: str | None, as_json: bool) -> None:
    """List the revisions, newest first; the first of each kind is the current one."""
    store = _store()
    _ensure_seeded(store)
    rows = store.revisions.list_revisions(kind)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    current = {r["id"] for r in store.revisions.heads().values()}
    for r in rows:
        mark = "*" if r["id"] in current else " "
        restored = f" (restores {r['rollback_of']})" if r["rollback_of"] else ""
        click.echo(f"{mark}{r['id']:>4}  {r['kind']:<10} {r['created_at']}  {r['user']:<10} "
                   f"{r['file_name']}{restored}  sha256 {r['sha256'][:12]}  {r['note']}")


@click.command("rollback")
@with_appcontext
@click.argument("number", type=int)
@click.option("--note", default="", help="Why (kept with the new revision).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def rollback_command(number: int, note: str, yes: bool) -> None:
    """Make revision NUMBER's data current again (as a new revision)."""
    store = _store()
    target = store.revisions.revision(number)
    if target is None:
        click.echo(f"there is no revision {number}; see `flask --app app revisions`", err=True)
        sys.exit(1)
    if not yes:
        click.confirm(f"Make revision {number} ({target['kind']}, {target['file_name']}) current again?", abort=True)
    try:
        revision = store.revisions.rollback(number, CLI_USER, note)
    except StoreError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    click.echo(change_text(revision))
    click.echo(f"revision {revision['id']} ({revision['kind']}) now serves the data of revision {number}")


@click.command("audit")
@with_appcontext
@click.option("--action", default=None, help="Only this action (commit, rollback, import_rejected, login, ...).")
@click.option("--user", default=None)
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV.")
def audit_command(action: str | None, user: str | None, as_csv: bool) -> None:
    """The append-only audit log, newest first."""
    entries = _store().revisions.audit_entries(action, user)
    if as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(["id", "at", "user", "address", "action", "target", "detail"])
        for e in entries:
            writer.writerow([e["id"], e["at"], e["user"], e["address"], e["action"], e["target"],
                             json.dumps(e["detail"], ensure_ascii=False)])
        return
    for e in entries:
        click.echo(f"{e['id']:>5}  {e['at']}  {e['user']:<10} {e['action']:<16} {e['target']}  "
                   f"{json.dumps(plain_detail(e['detail']), ensure_ascii=False)[:200]}")


def plain_detail(detail: object) -> object:
    """An audit entry's detail with each kept phrase written as its English text (the log printed
    {"parts": [{"message": "{file}, sheet '{sheet}'", ...}]}); the CSV keeps the data as stored."""
    from geo_app.domain.messages import phrase_data_text

    text = phrase_data_text(detail)
    if text is not detail:
        return text
    if isinstance(detail, dict):
        return {key: plain_detail(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [plain_detail(value) for value in detail]
    return detail


def understanding_text(u: dict, most_rows: int = 400) -> str:
    """How a file was read: sheets, columns as criteria, rows as communes, what was skipped and why."""
    lines = ["How the file was understood:"]
    for sheet in u.get("sheets", []):
        units = (f"{sheet['districts']} districts" if "districts" in sheet else f"{sheet.get('communes')} communes")
        extra = (f"year {sheet.get('year')} ({sheet.get('year_from')}), header rows {sheet.get('header_rows')}, "
                 f"{units}" if sheet.get("status") == "read" else sheet.get("why", ""))
        lines.append(f"  sheet '{sheet['name']}': {sheet['status']}; {extra}")
    for col in u.get("columns", []):
        lines.append(f"  column {col['sheet']}!{col['column']} '{col['header']}' -> {col['meaning']}")
    rows = u.get("rows", [])
    for row in rows[:most_rows]:
        code = row.get("ward_code") or row.get("district_code")
        met = (f"{row['criteria_met']}/{row.get('criteria_total') or 19}, " if row.get("criteria_met") is not None
               else "")
        lines.append(f"  row {row['sheet']}!{row['row']} '{row['text']}' -> {code} {row['name']} "
                     f"({row['matched_by']}), {met}{row['level']}")
    if len(rows) > most_rows:
        lines.append(f"  … and {len(rows) - most_rows} more rows (use --json for all)")
    for skip in u.get("skipped", []):
        lines.append(f"  skipped {skip['sheet']}!{skip['row']} '{skip['text']}': {skip['why']}")
    return "\n".join(lines)


def change_text(revision: dict) -> str:
    """One line on what a revision changed."""
    ch = revision["changes"]
    if revision["kind"] == "boundaries":
        return (f"changes: {len(ch.get('added', []))} unit(s) added, {len(ch.get('removed', []))} removed, "
                f"{len(ch.get('moved', []))} moved, {len(ch.get('renamed', []))} renamed")
    return (f"changes: {ch.get('changed', 0)} commune-year(s) changed ({ch.get('level_changed', 0)} changed level), "
            f"{ch.get('details_changed', 0)} with only their year recognised, note, provenance or source changed, "
            + (f"{ch['refiled']} with the same data now read from another file, " if ch.get("refiled") else "")
            + f"{ch.get('added', 0)} added, {ch.get('unchanged', 0)} unchanged; "
            f"{len(ch.get('districts', []))} district-year(s) changed")


def register(app: Flask) -> None:
    app.cli.add_command(import_cli)
    for command in (revisions_command, rollback_command, audit_command):
        app.cli.add_command(command)
