"""Content-Security-Policy for every HTML page: own scripts/styles plus a per-request nonce, no other hosts.

Templates write `nonce="{{ csp_nonce() }}"` on their inline tags; server-generated map fragments get it
through `nonced`. Nothing is stamped after rendering, so an injected tag could never carry the nonce.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import replace
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request, url_for
from markupsafe import Markup

_SOURCE = re.compile(r"^[A-Za-z0-9*'.:/_\-]+$")
_TAG = re.compile(r"<(script|style)\b(?![^>]*\bnonce=)", re.IGNORECASE)


LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def init_app(app: Flask) -> None:
    """Check the settings, offer `csp_nonce()`/`public_url_for()` to templates, set the headers on every response."""
    check_frame_ancestors(app)
    check_public_url(app)
    app.context_processor(csp_helpers)
    app.add_template_global(public_url_for)  # also inside imported macros (no context there)
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


def check_public_url(app: Flask) -> None:
    """Fail at start-up, with the setting's name, if PUBLIC_URL is not an http(s) base address."""
    value = app.config.get("PUBLIC_URL")
    if not value:
        return
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"PUBLIC_URL={value!r} is not the site's base address; use e.g. "
                         "\"https://ntm.bentre.gov.vn\" or \"https://portal.example.gov.vn/ntm\" (no query, no #).")


def public_url_for(endpoint: str, **values) -> str:
    """An absolute URL for links meant to leave the site (the embed code), never built from a raw Host header.

    PUBLIC_URL decides it when set; else the request's host if Flask checked it against TRUSTED_HOSTS, or if it is
    this machine (loopback). Otherwise the address stays relative: the site's address is unknown.
    """
    path = url_for(endpoint, **values)
    base = current_app.config.get("PUBLIC_URL")
    if base:
        return base.rstrip("/") + path[len(request.script_root):]
    if current_app.config.get("TRUSTED_HOSTS") or _is_loopback(request.host):
        return url_for(endpoint, _external=True, **values)
    return path


def address_key() -> tuple[str, bool]:
    """What of the request's own address a page may show (`public_url_for`), for cache keys, and whether it is
    a trusted address, so that a response for it may be kept: one of TRUSTED_HOSTS exactly (not a subdomain
    of a '.suffix' entry), or this machine, on the port the server listens on. A Host header that the page
    does not show (PUBLIC_URL set, or an unknown host: relative links) is not part of the key."""
    if current_app.config.get("PUBLIC_URL"):
        return "", True
    trusted = current_app.config.get("TRUSTED_HOSTS")
    if not trusted and not _is_loopback(request.host):
        return "", True
    try:
        parts = urlsplit("//" + request.host)
        name, port = (parts.hostname or "").lower(), parts.port
    except ValueError:
        return request.host_url, False
    names = {h.lower() for h in trusted} if trusted else set(LOOPBACK_HOSTS)
    same_port = port is None or str(port) == str(request.environ.get("SERVER_PORT"))
    return request.host_url, name in names and same_port


def _is_loopback(host: str) -> bool:
    try:
        return urlsplit("//" + host).hostname in LOOPBACK_HOSTS
    except ValueError:
        return False


def check_frame_ancestors(app: Flask) -> None:
    """Fail at start-up, with the setting's name, if FRAME_ANCESTORS is not a list of CSP sources."""
    value = str(app.config.get("FRAME_ANCESTORS", "*"))
    if not value.split() or not all(_SOURCE.match(part) for part in value.split()):
        raise ValueError(f"FRAME_ANCESTORS={value!r} is not a list of CSP sources; use e.g. \"*\", \"'self'\" or "
                         "\"'self' https://portal.example.gov.vn\" (space-separated, no ';').")


def content_security_policy(response: Response) -> Response:
    """Headers for every response: one charset, nosniff, a Referrer-Policy, and a CSP on every HTML and SVG."""
    _single_charset(response)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if response.status_code == 304:
        return response  # a 304 keeps the policy stored with the page (its nonce), see views/caching.py
    if response.mimetype == "image/svg+xml":
        response.headers["Content-Security-Policy"] = SVG_POLICY
        return response
    if response.mimetype != "text/html":
        return response
    if response.headers.get("Content-Disposition", "").startswith("attachment"):
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response
    nonce = csp_nonce()
    ancestors = g.get("csp_frame_ancestors", "'self'")
    response.headers["Content-Security-Policy"] = policy(nonce, ancestors, img_hosts())
    if ancestors == "'self'":
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


# An SVG opened on its own is a document: its own styles and inline images, no script, nothing else.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


def _single_charset(response: Response) -> None:
    """`text/csv; charset=utf-8; charset=utf-8` (a charset given twice) becomes one charset."""
    content_type = response.headers.get("Content-Type", "")
    if content_type.lower().count("charset=") > 1:
        params = [p.strip() for p in content_type.split(";")]
        kept = [params[0]] + [p for p in params[1:] if not p.lower().startswith("charset=")]
        kept.append(next(p for p in params[1:] if p.lower().startswith("charset=")))
        response.headers["Content-Type"] = "; ".join(kept)


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
