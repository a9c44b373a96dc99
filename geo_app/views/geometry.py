"""`GET /geo/<digest>.json` (and `.js`): the web geometry of the current boundary revision, sent once and kept by browsers.

The map pages carry only their view's attributes; the geometry (every commune and district, simplified as a
coverage, with label points: `webgeo.geometry_document`) comes from this URL, named by the SHA-256 of its bytes.
The bytes and their gzip/brotli forms are made once per data revision and kept in the store's derived data,
shared by every worker. A URL names one content forever: `immutable` for a year, an ETag from the digest
(weak, as the bytes differ per encoding), `If-None-Match` -> 304. A digest that is not the current geometry's is 404 (a page of an older revision
shows a message asking to reload).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from flask import Blueprint, abort, request, url_for

from geo_app.render.interactive import GeometrySource
from .caching import IMMUTABLE, CachedBody, not_modified, serve
from .common import store

bp = Blueprint("geometry", __name__)

DIGEST_LEN = 20
MIMETYPES = {"json": "application/json; charset=utf-8", "js": "text/javascript; charset=utf-8"}
FILE_VERSION = 2  # bump when GeometryFile changes: files kept in the store by older code are not reused
SCRIPT_REGISTRY = "NTM_GEOMETRY"  # window.NTM_GEOMETRY[digest]: the geometry loaded by the page's <script>


@dataclass
class GeometryFile:
    """The geometry document of one revision: its digest (the URLs' name) and its bytes, compressed once,
    as JSON (`/geo/<digest>.json`) and as a script that hands the same JSON to the page (`/geo/<digest>.js`)."""

    digest: str
    bodies: dict[str, CachedBody]


def geometry_file() -> GeometryFile:
    """The current revision's geometry file, built once per revision and kept for every worker."""
    from geo_app.render.webgeo import GEOMETRY_DOCUMENT_VERSION, cached_geometry_document

    data = store()

    def build(ds) -> GeometryFile:
        body = cached_geometry_document(data)  # made with the web geometry, kept with it
        digest = hashlib.sha256(body).hexdigest()[:DIGEST_LEN]
        return GeometryFile(digest, {"json": CachedBody.build(body, MIMETYPES["json"]),
                                     "js": CachedBody.build(geometry_script(digest, body), MIMETYPES["js"])})

    return data.persisted(("geometry-file", FILE_VERSION, GEOMETRY_DOCUMENT_VERSION), build)


def geometry_script(digest: str, body: bytes) -> bytes:
    """A script that registers the JSON document under its digest. The page loads it with a plain <script src>:
    the browser fetches it early (like any script) and the map draws as soon as the parser reaches the map,
    before the rest of the page (the table) is read; `JSON.parse` of one string literal is the fastest way in."""
    literal = json.dumps(body.decode("utf-8")).replace("</", "<\\/")
    return (f"(window.{SCRIPT_REGISTRY}=window.{SCRIPT_REGISTRY}||{{}})[{json.dumps(digest)}]"
            f"=JSON.parse({literal});\n").encode("utf-8")


def geometry_source() -> GeometrySource:
    """Where map pages get the current geometry (for `map_parts(geometry=...)`)."""
    digest = geometry_file().digest
    return GeometrySource(url=url_for("geometry.geometry", digest=digest, ext="json"),
                          script=url_for("geometry.geometry", digest=digest, ext="js"), key=digest)


@bp.get("/geo/<digest>.<ext>")
def geometry(digest: str, ext: str):
    if ext not in MIMETYPES:
        abort(404)
    etag = f"{digest}-{ext}"
    if len(digest) == DIGEST_LEN and request.if_none_match.contains_weak(etag):
        return not_modified(etag, IMMUTABLE)  # the URL names its bytes: the client's copy is them
    current = geometry_file()
    if digest != current.digest:
        abort(404)
    return serve(current.bodies[ext], etag, IMMUTABLE)
