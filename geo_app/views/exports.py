"""Exports and embedding: /embed, /export/map.html|png|svg|pdf, /export/slides.pptx, /print.

Also the app-wide Content-Security-Policy (every HTML response) with a per-request nonce.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import replace

from flask import Blueprint, Response, current_app, g, render_template, request, url_for
from markupsafe import Markup

from ..exporting import Export, export, map_document_parts
from ..mapspec import boundary_attribution
from ..viewstate import ViewState, map_view
from .common import bad_request, dataset, parse_view_args, store

bp = Blueprint("exports", __name__)

PAPERS = {"a4": ("A4", "297mm", "210mm"), "a3": ("A3", "420mm", "297mm")}
SCALES = (1, 2)
MAX_TITLE = 200
FLAGS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}
_SOURCE = re.compile(r"^[A-Za-z0-9*'.:/_\-]+$")
_TAG = re.compile(r"<(script|style)\b(?![^>]*\bnonce=)", re.IGNORECASE)


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
        bad_request(f"{name}={raw!r} must be 1 or 0.")
    return value


def choice(name: str, allowed: dict | tuple, default):
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    key = raw.strip().lower()
    options = [str(a) for a in allowed]
    if key not in options:
        bad_request(f"{name}={raw!r} is not supported; use one of {', '.join(options)}.")
    return key


def caption() -> str:
    title = request.args.get("title", "").strip()
    if len(title) > MAX_TITLE:
        bad_request(f"title is {len(title)} characters long; use at most {MAX_TITLE}.")
    return title


def attribution(lang: str) -> str | None:
    """Boundary attribution as the main map shows it (None: the renderer's default)."""
    return boundary_attribution(dataset().sources.get("boundaries", ""), lang)


def download(result: Export) -> Response:
    response = Response(result.data, mimetype=result.mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    return response


# ------------------------------------------------------------------ routes


@bp.get("/embed")
def embed():
    """The map alone, filling its iframe; `controls=0`, `legend=0`, `title=<caption>`."""
    state = view_state()
    controls, legend, title = flag("controls"), flag("legend"), caption()
    view = map_view(dataset(), state)
    settings = current_app.config["SETTINGS"]
    parts = map_document_parts(store(), view, controls=controls, legend=legend, attribution=attribution(state.lang),
                               static_url=url_for("static", filename="").rstrip("/"),
                               basemap_url=settings.basemap_url)
    nonce = csp_nonce()
    parts = replace(parts, head=with_nonce(parts.head, nonce), script=with_nonce(parts.script, nonce))
    g.csp_frame_ancestors = current_app.config.get("FRAME_ANCESTORS", "*")
    return render_template("embed.html", view=view, map=parts, lang=state.lang, title=title, standalone=False,
                           nonce=nonce)


@bp.get("/export/map.html")
def export_html():
    """One offline HTML file: every script, style and image inlined."""
    state = view_state()
    return download(export(store(), state, "html", attribution=attribution(state.lang)))


@bp.get("/export/map.<fmt>")
def export_image(fmt: str):
    """PNG (1920x1080, `scale=2` for 3840x2160), SVG or PDF from the static renderer.

    `header=0` leaves the title and summary out of the image (the print page sets them as text).
    """
    if fmt not in ("png", "svg", "pdf"):
        bad_request(f"map.{fmt} is not an export format; use map.html, map.png, map.svg or map.pdf.")
    state = view_state()
    scale = int(choice("scale", SCALES, "1"))
    return download(export(store(), state, fmt, scale=scale, header=flag("header")))


@bp.get("/export/slides.pptx")
def export_slides():
    """The PowerPoint deck of a year (`year`, `lang`)."""
    state = view_state()
    return download(export(store(), state, "pptx"))


@bp.get("/print")
def print_page():
    """A landscape print layout (A4 or A3, CSS @page) around the static map."""
    state = view_state()
    paper = choice("paper", PAPERS, "a4")
    view = map_view(dataset(), state)
    image = url_for("exports.export_image", fmt="svg", header="0", **state.query())
    return render_template("print.html", view=view, lang=state.lang, paper=PAPERS[paper], paper_key=paper,
                           papers=PAPERS, image=image, state=state)


# ------------------------------------------------------------------ Content-Security-Policy


def csp_nonce() -> str:
    """This request's CSP nonce (templates: `<script nonce="{{ csp_nonce() }}">`)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def with_nonce(fragment: str, nonce: str) -> Markup:
    """Add the nonce to every <script>/<style> tag of a trusted, server-generated fragment."""
    return Markup(_TAG.sub(lambda m: f'<{m.group(1)} nonce="{nonce}"', str(fragment)))


@bp.app_context_processor
def csp_helpers() -> dict:
    return {"csp_nonce": csp_nonce}


@bp.record_once
def check_frame_ancestors(state) -> None:
    """Fail at start-up, with the setting's name, if FRAME_ANCESTORS is not a list of CSP sources."""
    value = str(state.app.config.get("FRAME_ANCESTORS", "*"))
    if not value.split() or not all(_SOURCE.match(part) for part in value.split()):
        raise ValueError(f"FRAME_ANCESTORS={value!r} is not a list of CSP sources; use e.g. \"*\", \"'self'\" or "
                         "\"'self' https://portal.example.gov.vn\" (space-separated, no ';').")


@bp.after_app_request
def content_security_policy(response: Response) -> Response:
    """A strict CSP on every HTML page: own scripts/styles plus this request's nonce, no other hosts."""
    if response.mimetype != "text/html":
        return response
    if response.headers.get("Content-Disposition", "").startswith("attachment"):
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response
    nonce = csp_nonce()
    auto_nonce(response)
    ancestors = g.get("csp_frame_ancestors", "'self'")
    response.headers["Content-Security-Policy"] = policy(nonce, ancestors, img_hosts())
    if ancestors == "'self'":
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def auto_nonce(response: Response) -> bool:
    """Stamp the nonce on inline <script>/<style> tags of pages whose templates do not (CSP_AUTO_NONCE).

    Only server-rendered markup reaches here and data text is autoescaped (`<` becomes `&lt;`), so every
    literal tag is ours. Inline event handlers (onerror=...), javascript: URLs and other hosts stay blocked.
    Set CSP_AUTO_NONCE = False once every template writes nonce="{{ csp_nonce() }}" itself.
    """
    if response.direct_passthrough or response.is_streamed or not current_app.config.get("CSP_AUTO_NONCE", True):
        return False
    response.set_data(with_nonce(response.get_data(as_text=True), csp_nonce()))
    return True


def policy(nonce: str, ancestors: str, img_hosts: str = "") -> str:
    """The CSP text. Style attributes stay allowed (`style-src-attr`): they cannot run script."""
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        f"style-src 'self' 'nonce-{nonce}'",
        "style-src-attr 'unsafe-inline'",
        f"img-src 'self' data:{img_hosts}",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        f"frame-ancestors {ancestors}",
    ])


def img_hosts() -> str:
    """The configured basemap's host (a local tile server), if any."""
    from urllib.parse import urlsplit

    basemap = current_app.config["SETTINGS"].basemap_url
    if not basemap:
        return ""
    parts = urlsplit(basemap.replace("{s}", "a"))
    return f" {parts.scheme}://{parts.netloc}" if parts.netloc else ""
