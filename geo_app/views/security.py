"""Content-Security-Policy for every HTML page: own scripts/styles plus a per-request nonce, no other hosts.

Templates write `nonce="{{ csp_nonce() }}"` on their inline tags; server-generated map fragments get it
through `nonced`. Nothing is stamped after rendering, so an injected tag could never carry the nonce.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import replace
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g
from markupsafe import Markup

_SOURCE = re.compile(r"^[A-Za-z0-9*'.:/_\-]+$")
_TAG = re.compile(r"<(script|style)\b(?![^>]*\bnonce=)", re.IGNORECASE)


def init_app(app: Flask) -> None:
    """Check FRAME_ANCESTORS, offer `csp_nonce()` to templates and set the policy on every response."""
    check_frame_ancestors(app)
    app.context_processor(csp_helpers)
    app.after_request(content_security_policy)


def csp_nonce() -> str:
    """This request's CSP nonce (templates: `<script nonce="{{ csp_nonce() }}">`)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def with_nonce(fragment: str, nonce: str) -> Markup:
    """Add the nonce to every <script>/<style> tag of a trusted, server-generated fragment."""
    return Markup(_TAG.sub(lambda m: f'<{m.group(1)} nonce="{nonce}"', str(fragment)))


def csp_helpers() -> dict:
    return {"csp_nonce": csp_nonce}


def check_frame_ancestors(app: Flask) -> None:
    """Fail at start-up, with the setting's name, if FRAME_ANCESTORS is not a list of CSP sources."""
    value = str(app.config.get("FRAME_ANCESTORS", "*"))
    if not value.split() or not all(_SOURCE.match(part) for part in value.split()):
        raise ValueError(f"FRAME_ANCESTORS={value!r} is not a list of CSP sources; use e.g. \"*\", \"'self'\" or "
                         "\"'self' https://portal.example.gov.vn\" (space-separated, no ';').")


def content_security_policy(response: Response) -> Response:
    """A strict CSP on every HTML page: own scripts/styles plus this request's nonce, no other hosts."""
    if response.mimetype != "text/html" or response.status_code == 304:
        return response  # a 304 keeps the policy stored with the page (its nonce), see views/caching.py
    if response.headers.get("Content-Disposition", "").startswith("attachment"):
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response
    nonce = csp_nonce()
    ancestors = g.get("csp_frame_ancestors", "'self'")
    response.headers["Content-Security-Policy"] = policy(nonce, ancestors, img_hosts())
    if ancestors == "'self'":
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


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
    basemap = current_app.config["SETTINGS"].basemap_url
    if not basemap:
        return ""
    parts = urlsplit(basemap.replace("{s}", "a"))
    return f" {parts.scheme}://{parts.netloc}" if parts.netloc else ""


def nonced(parts):
    """A rendered map's parts (MapParts) with this request's nonce on their <script>/<style> tags."""
    nonce = csp_nonce()
    return replace(parts, head=with_nonce(parts.head, nonce), script=with_nonce(parts.script, nonce))
