"""`flask --app app export`: write any map view as HTML, PNG, SVG, PDF or PPTX, or one file per district.

    flask --app app export --format png --year 2024 --layer band -o ben-tre-2024.png
    flask --app app export --format pdf --all-districts -o exports/

With --all-districts, files already made for the same data revision, options and day are copied from the
instance's export cache; the others are drawn by one process per CPU (--jobs N to choose; --jobs 1 on a busy machine).

Options are validated with the web's rules (geo_app.model.viewstate); a bad one exits with code 2 and says
which option is wrong and what to use instead.
"""
from __future__ import annotations

import os
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from geo_app.store.datastore import DataUnavailable
from geo_app.render.exporting import FORMATS, export, export_many, filename
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
@click.option("--jobs", type=click.IntRange(1, 64), default=None,
              help="With --all-districts: processes drawing PNG/SVG/PDF files at once (default: one per CPU).")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="Output file (or folder with --all-districts).")
@with_appcontext
def export_command(fmt: str, year, layer, criterion, district, lang, scale: int, all_districts: bool,
                   jobs: int | None, output: Path) -> None:
    """Export a map view (the same views as the web map) to a file."""
    _quick_exit()
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
        _write_batch(store, states, fmt, scale, output, jobs or _cpus())
    else:
        _check_file(fmt, output)
        _write(store, state, fmt, scale, output)
        click.echo(f"Wrote {output}")


def _quick_exit() -> None:
    """When the command's process exits, the collector's last passes skip what the command loaded (gc.freeze):
    they walked every object of pandas, geopandas and matplotlib, ≈ 0.3 s after the files were written. Objects
    are still freed and exit handlers still run (atexit runs before those passes)."""
    import atexit
    import gc

    atexit.register(gc.freeze)


def _cpus() -> int:
    """The CPUs this process may run on. (A default from the load average was tried: the 1-minute average still
    counts a run that just ended, so on an idle 2-core machine it chose one process, 5.1 s for 9 PNGs, where two
    take 3.6-3.9 s.)"""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _check_file(fmt: str, output: Path) -> None:
    if output.is_dir():
        raise click.BadParameter(f"{output} is a folder; give a file name such as {output / ('map.' + fmt)}"
                                 " (or use --all-districts for one file per district).", param_hint="-o")
    if output.suffix.lower() != f".{fmt}":
        raise click.BadParameter(f"{output.name} does not end in .{fmt}; name the file like map.{fmt}.",
                                 param_hint="-o")
    folder = output.parent
    try:  # made when missing, as --all-districts makes its folder
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise click.BadParameter(f"folder {folder} cannot be made ({exc.strerror or exc}); choose another -o.",
                                 param_hint="-o") from None


def _check_batch(fmt: str, state: ViewState, output: Path) -> None:
    if state.district:
        raise click.UsageError("--all-districts and --district exclude each other; use one of them.")
    if fmt == "pptx":
        raise click.UsageError("--format pptx already has one slide per district; drop --all-districts.")
    if output.exists() and not output.is_dir():
        raise click.BadParameter(f"{output} is a file; with --all-districts give a folder.", param_hint="-o")


def _write(store, state: ViewState, fmt: str, scale: int, output: Path) -> None:
    """Write the export, made once per data revision, parameters and day (kept in the app's export cache,
    so running the same export again only copies the file)."""
    from geo_app.views.caching import kept_bytes

    def build() -> bytes:
        return export(store, state, fmt, scale=scale, attribution=_html_attribution(store, fmt, state.lang)).data

    output.write_bytes(kept_bytes(_cache_key(fmt, scale, state), build))


def _cache_key(fmt: str, scale: int, state: ViewState) -> tuple:
    return ("flask-export", fmt, scale, state)


def _html_attribution(store, fmt: str, lang: str) -> str | None:
    return _attribution(store, lang) if fmt == "html" else None


def _attribution(store, lang: str) -> str | None:
    """The boundary attribution the web map shows (None: the renderer's default)."""
    return boundary_attribution(store.dataset().sources.get("boundaries", ""), lang)


def _write_batch(store, states: list[ViewState], fmt: str, scale: int, folder: Path, jobs: int) -> None:
    """One file per view into `folder`: files kept from an earlier run (same data revision, parameters and day)
    are copied; the others are made, images by up to `jobs` processes, and kept."""
    from geo_app.views.caching import export_cache, kept_key

    folder.mkdir(parents=True, exist_ok=True)
    keys = [kept_key(_cache_key(fmt, scale, state)) for state in states]
    missing = []
    with click.progressbar(length=len(states), label=f"Exporting {len(states)} districts ({fmt})") as bar:
        for i, (state, key) in enumerate(zip(states, keys)):
            data = export_cache.get(key)
            if isinstance(data, bytes):
                (folder / filename(state, fmt, scale)).write_bytes(data)
                bar.update(1)
            else:
                missing.append(i)
        made = export_many(store, [states[i] for i in missing], fmt, scale, jobs,
                           attribution=_html_attribution(store, fmt, states[0].lang) if missing else None)
        for j, exported in made:
            i = missing[j]
            export_cache.set(keys[i], exported.data)
            (folder / exported.filename).write_bytes(exported.data)
            bar.update(1)
    click.echo(f"Wrote {len(states)} files to {folder}")
