"""Exports and embedding: /embed, /export/map.html|png|svg|pdf, /export/slides.pptx, /print."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, g, make_response, render_template, request, url_for
from flask_babel import gettext as _

from dataclasses import replace

from geo_app.domain.messages import office_today
from geo_app.render.exporting import MIMETYPES, Export, export, map_document_parts
from geo_app.render.mapspec import boundary_attribution
from geo_app.model.viewstate import ViewState, map_view
from .caching import cached, cached_response
from .common import FLAGS, PAPERS, SCALES, bad_request, dataset, parse_view_args, static_asset_url, store
from .geometry import geometry_source
from .security import csp_nonce, nonced

bp = Blueprint("exports", __name__)

MAX_TITLE = 200


# ------------------------------------------------------------------ request parsing


def view_state() -> ViewState:
    """The view of the query string, validated like every other page (400 with a readable message)."""
    return parse_view_args(dataset())


def flag(name: str, default: bool = True) -> bool:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    value = FLAGS.get(raw.strip().lower())
    if value is None:
        bad_request(_("{name}={value} must be 1 or 0.").format(name=name, value=repr(raw)))
    return value


def choice(name: str, allowed: dict | tuple, default):
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    key = raw.strip().lower()
    options = [str(a) for a in allowed]
    if key not in options:
        bad_request(_("{name}={value} is not supported; use one of {options}.").format(
            name=name, value=repr(raw), options=", ".join(options)))
    return key


def caption() -> str:
    title = request.args.get("title", "").strip()
    if len(title) > MAX_TITLE:
        bad_request(_("title is {length} characters long; use at most {limit}.").format(length=len(title),
                                                                                         limit=MAX_TITLE))
    return title


def attribution(lang: str) -> str | None:
    """Boundary attribution as the main map shows it (None: the renderer's default)."""
    return boundary_attribution(dataset().sources.get("boundaries", ""), lang)


def download(result: Export) -> Response:
    response = Response(result.data, content_type=result.mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    return response


# ------------------------------------------------------------------ routes


@bp.get("/embed")
def embed():
    """The map alone, filling its iframe; `controls=0`, `legend=0`, `title=<caption>`."""
    g.csp_frame_ancestors = current_app.config.get("FRAME_ANCESTORS", "*")
    return cached_response(_embed_page, nonce=True, params=("controls", "legend", "title"))


def _embed_page():
    state = view_state()
    controls, legend, title = flag("controls"), flag("legend"), caption()
    view = map_view(dataset(), state)
    settings = current_app.config["SETTINGS"]
    parts = map_document_parts(store(), view, controls=controls, legend=legend, attribution=attribution(state.lang),
                               static_url=static_asset_url, geometry=geometry_source(),
                               basemap_url=settings.basemap_url, zoom_buttons=controls)  # controls=0: a bare map
    parts = nonced(parts)
    return make_response(render_template("embed.html", view=view, map=parts, lang=state.lang, title=title,
                                         standalone=False, nonce=csp_nonce()))


@bp.get("/export/map.html")
@cached(params=())
def export_html():
    """One offline HTML file: every script, style and image inlined."""
    state = view_state()
    return download(export(store(), state, "html", attribution=attribution(state.lang)))


@bp.get("/export/map.<fmt>")
@cached(params=("scale", "header"))
def export_image(fmt: str):
    """PNG (1920x1080, `scale=2` for 3840x2160), SVG or PDF from the static renderer.

    `header=0` leaves the title and summary out of the image (the print page sets them as text).
    """
    if fmt not in ("png", "svg", "pdf"):
        bad_request(_("map.{fmt} is not an export format; use map.html, map.png, map.svg or map.pdf.").format(fmt=fmt))
    state = view_state()
    scale = int(choice("scale", SCALES, "1"))
    return download(export(store(), state, fmt, scale=scale, header=flag("header")))


@bp.get("/export/years.<fmt>")
def export_years(fmt: str):
    """Small multiples: the view's layer and scope, one panel per year with data (PNG, SVG or PDF)."""
    if fmt not in ("png", "svg", "pdf"):
        bad_request(_("years.{fmt} is not an export format; use years.png, years.svg or years.pdf.").format(fmt=fmt))
    state = view_state()
    ds = dataset()

    def build(ds) -> bytes:
        views = [map_view(ds, replace(state, year=year)) for year in ds.years]
        from geo_app.render import static as render_static  # matplotlib: imported on first use

        return render_static.render_years(views, fmt)

    key = ("years-export", fmt, state.layer, state.criterion, state.district, state.lang, office_today().isoformat())
    data = store().cached(key, build)
    name = state.slug().replace(f"-{state.year}-", "-years-", 1) + f".{fmt}"
    return download(Export(data, MIMETYPES[fmt], name))


@bp.get("/export/slides.pptx")
@cached(params=())
def export_slides():
    """The PowerPoint deck of a year (`year`, `lang`)."""
    state = view_state()
    return download(export(store(), state, "pptx"))


@bp.get("/print")
@cached(nonce=True, params=("paper",))
def print_page():
    """A landscape print layout (A4 or A3, CSS @page) around the static map."""
    state = view_state()
    paper = choice("paper", PAPERS, "a4")
    view = map_view(dataset(), state)
    image = url_for("exports.export_image", fmt="svg", header="0", **state.query())
    return render_template("print.html", view=view, lang=state.lang, paper=PAPERS[paper], paper_key=paper,
                           papers=PAPERS, image=image, state=state)
