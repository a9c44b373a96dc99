"""Exports of one map view in every format, shared by the web routes and `flask --app app export`.

No Flask here: takes the DataStore (for the cached web geometry) and a validated ViewState.
"""
from __future__ import annotations

import datetime as dt
import gc
import multiprocessing
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import import_module

import jinja2

from geo_app.store.datastore import DataStore
from geo_app.settings import ROOT
from geo_app.model.viewstate import MapView, ViewState, map_view

MIMETYPES = {
    "html": "text/html; charset=utf-8",
    "png": "image/png",
    "svg": "image/svg+xml",
    "pdf": "application/pdf",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
FORMATS = tuple(MIMETYPES)


@dataclass(frozen=True)
class Export:
    """An exported file: its bytes, MIME type and a meaningful file name."""

    data: bytes
    mimetype: str
    filename: str


def filename(state: ViewState, fmt: str, scale: int = 1) -> str:
    """'ntm-ben-tre-2024-level-832.png' ('…@2x.png' at twice the pixels); the deck is per year:
    'ntm-ben-tre-2024-slides.pptx'."""
    if fmt == "pptx":
        return f"ntm-ben-tre-{state.year}-slides{'-en' if state.lang == 'en' else ''}.pptx"
    return f"{state.slug()}{f'@{scale}x' if fmt == 'png' and scale > 1 else ''}.{fmt}"


def export(store: DataStore, state: ViewState, fmt: str, scale: int = 1, generated: dt.date | None = None,
           attribution: str | None = None, header: bool = True) -> Export:
    """Render `state` as `fmt` (html|png|svg|pdf|pptx); `scale` and `header` apply to the images."""
    if fmt not in MIMETYPES:
        raise ValueError(f"format {fmt!r} is not supported; use one of {', '.join(FORMATS)}")
    ds = store.dataset()
    if fmt == "pptx":
        from geo_app.render.slides import build_deck

        data = build_deck(ds, state.year, state.lang, generated)
    elif fmt == "html":
        data = standalone_html(store, state, generated, attribution).encode("utf-8")
    else:
        from geo_app.render import static as render_static  # matplotlib: imported only when a file is drawn

        data = render_static.render(map_view(ds, state, generated), fmt, scale, header)
    return Export(data, MIMETYPES[fmt], filename(state, fmt, scale))


IMAGE_FORMATS = ("png", "svg", "pdf")  # drawn by the static renderer (in parallel by `export_many`)
_BATCH: list[tuple] = []  # what a forked drawing process draws, by index: (dataset, state, generated, fmt, scale)


def export_many(store: DataStore, states: list[ViewState], fmt: str, scale: int = 1, jobs: int = 1,
                generated: dt.date | None = None, attribution: str | None = None) -> Iterator[tuple[int, Export]]:
    """The exports of `states` as each is done: (its index in `states`, the export). Images are drawn by up to
    `jobs` processes, forked once the data is loaded, so they share it and never open the store; each process
    also makes the views it draws (one process where forking is not available, and for HTML and PPTX). Each file
    is what `export` makes."""
    workers = min(jobs, len(states))
    if fmt not in IMAGE_FORMATS or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        for i, state in enumerate(states):
            yield i, export(store, state, fmt, scale, generated, attribution)
        return
    import_module("geo_app.render.static").prepare(fmt)  # matplotlib (and what `fmt` needs) imported once, before
    # the processes fork

    ds = store.dataset()
    for year in sorted({state.year for state in states}):
        ds.district_frame(year)  # the year's communes and districts, which every view starts from: made once, shared
    _BATCH[:] = [(ds, state, generated, fmt, scale) for state in states]
    gc.freeze()  # what is loaded stays shared: the collector never writes to those pages in the forked processes
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for i, data in pool.imap_unordered(_draw_batch_item, range(len(states))):
                yield i, Export(data, MIMETYPES[fmt], filename(states[i], fmt, scale))
    finally:
        _BATCH.clear()
        gc.unfreeze()


def _draw_batch_item(i: int) -> tuple[int, bytes]:
    from geo_app.render import static as render_static

    ds, state, generated, fmt, scale = _BATCH[i]
    return i, render_static.render(map_view(ds, state, generated), fmt, scale, True)


def standalone_html(store: DataStore, state: ViewState, generated: dt.date | None = None,
                    attribution: str | None = None) -> str:
    """One self-contained HTML file (every script, style and image inlined) that works from file://."""
    view = map_view(store.dataset(), state, generated)
    parts = map_document_parts(store, view, assets="inline", attribution=attribution)
    return _templates().get_template("embed.html").render(
        view=view, map=parts, lang=state.lang, standalone=True, show_title=True, title=view.spec.title,
        nonce=None,
    )


def map_document_parts(store: DataStore, view: MapView, assets: str = "url", controls: bool = True,
                       legend: bool = True, static_url="/static", attribution: str | None = None,
                       basemap_url: str | None = None, geometry=None, zoom_buttons: bool = True):
    """The interactive map (head/body/script parts) for a view, on the cached web geometry (fetched from
    `geometry`, a GeometrySource, or inlined)."""
    from geo_app.render.interactive import map_parts
    from geo_app.render.webgeo import web_view

    state = view.state
    web = web_view(store, state.year, state.layer, state.criterion)
    return map_parts(view.spec, web.communes_fc, web.districts_fc, assets=assets, controls=controls, legend=legend,
                     lang=state.lang, height="100%", static_url=static_url, attribution=attribution,
                     basemap_url=basemap_url, geometry=geometry, zoom_buttons=zoom_buttons)


@lru_cache(maxsize=1)
def _templates() -> jinja2.Environment:
    """The app's templates folder, rendered without Flask (autoescaped like Flask's)."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(ROOT / "templates")),
                              autoescape=jinja2.select_autoescape(["html"]))
