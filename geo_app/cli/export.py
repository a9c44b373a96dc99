"""`flask --app app export`: write any map view as HTML, PNG, SVG, PDF or PPTX, or one file per district.

    flask --app app export --format png --year 2024 --layer band -o ben-tre-2024.png
    flask --app app export --format pdf --all-districts -o exports/

Options are validated with the web's rules (geo_app.model.viewstate); a bad one exits with code 2 and says
which option is wrong and what to use instead.
"""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from geo_app.store.datastore import DataUnavailable
from geo_app.render.exporting import FORMATS, export, filename
from geo_app.render.mapspec import boundary_attribution
from geo_app.domain.units import DISTRICTS
from geo_app.model.viewstate import ViewError, ViewState, validate_view


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(FORMATS, case_sensitive=False), required=True,
              help="Output format.")
@click.option("--year", default=None, help="Year (default: the latest with data).")
@click.option("--layer", default=None, help="level (default) | band | criterion | district.")
@click.option("--criterion", default=None, help="Criterion number 1-19 (with --layer criterion).")
@click.option("--district", default=None, help="District code to zoom to, e.g. 832 (Chợ Lách).")
@click.option("--lang", default=None, help="vi (default) | en.")
@click.option("--scale", type=click.IntRange(1, 4), default=1, show_default=True,
              help="PNG pixel multiplier (1 = 1920x1080).")
@click.option("--all-districts", is_flag=True, help="One file per district into the folder given by -o.")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="Output file (or folder with --all-districts).")
@with_appcontext
def export_command(fmt: str, year, layer, criterion, district, lang, scale: int, all_districts: bool,
                   output: Path) -> None:
    """Export a map view (the same views as the web map) to a file."""
    fmt = fmt.lower()
    store = current_app.extensions["ntm_store"]
    try:
        years = store.years()  # (the data itself is loaded only if a file has to be made)
    except DataUnavailable as exc:
        from geo_app import user_message

        raise click.ClickException(user_message(current_app, str(exc))) from exc
    try:
        state = validate_view(years, year, layer, criterion, district, lang)
    except ViewError as exc:
        raise click.BadParameter(str(exc), param_hint=f"--{exc.param}") from None
    if all_districts:
        _check_batch(fmt, state, output)
        states = [ViewState(state.year, state.layer, state.criterion, code, state.lang) for code in DISTRICTS]
        _write_batch(store, states, fmt, scale, output)
    else:
        _check_file(fmt, output)
        _write(store, state, fmt, scale, output)
        click.echo(f"Wrote {output}")


def _check_file(fmt: str, output: Path) -> None:
    if output.is_dir():
        raise click.BadParameter(f"{output} is a folder; give a file name such as {output / ('map.' + fmt)}"
                                 " (or use --all-districts for one file per district).", param_hint="-o")
    if output.suffix.lower() != f".{fmt}":
        raise click.BadParameter(f"{output.name} does not end in .{fmt}; name the file like map.{fmt}.",
                                 param_hint="-o")
    if not output.parent.resolve().is_dir():
        raise click.BadParameter(f"folder {output.parent} does not exist; create it first.", param_hint="-o")


def _check_batch(fmt: str, state: ViewState, output: Path) -> None:
    if state.district:
        raise click.UsageError("--all-districts and --district exclude each other; use one of them.")
    if fmt == "pptx":
        raise click.UsageError("--format pptx already has one slide per district; drop --all-districts.")
    if output.exists() and not output.is_dir():
        raise click.BadParameter(f"{output} is a file; with --all-districts give a folder.", param_hint="-o")


def _write(store, state: ViewState, fmt: str, scale: int, output: Path) -> None:
    """Write the export, made once per data revision, parameters and day (kept in the app's response cache,
    so running the same export again, e.g. --all-districts for every district, only copies the files)."""
    from geo_app.views.caching import kept_bytes

    def build() -> bytes:
        attribution = _attribution(store, state.lang) if fmt == "html" else None
        return export(store, state, fmt, scale=scale, attribution=attribution).data

    output.write_bytes(kept_bytes(("flask-export", fmt, scale, state), build))


def _attribution(store, lang: str) -> str | None:
    """The boundary attribution the web map shows (None: the renderer's default)."""
    return boundary_attribution(store.dataset().sources.get("boundaries", ""), lang)


def _write_batch(store, states: list[ViewState], fmt: str, scale: int, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with click.progressbar(states, label=f"Exporting {len(states)} districts ({fmt})",
                           item_show_func=lambda s: DISTRICTS[s.district] if s else "") as bar:
        for state in bar:
            _write(store, state, fmt, scale, folder / filename(state, fmt))
    click.echo(f"Wrote {len(states)} files to {folder}")
