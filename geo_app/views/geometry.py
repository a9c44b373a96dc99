"""`GET /geo/<digest>.json`: the web geometry of the current boundary revision, sent once and kept by browsers.

The map pages carry only their view's attributes; the geometry (every commune and district, simplified as a
coverage, with label points: `webgeo.geometry_document`) comes from this URL, named by the SHA-256 of its bytes.
The bytes and their gzip/brotli forms are made once per data revision and kept in the store's derived data,
shared by every worker. A URL names one content forever: `immutable` for a year, an ETag from the digest
(weak, as the bytes differ per encoding), `If-None-Match` -> 304. A digest that is not the current geometry's is 404 (a page of an older revision
shows a message asking to reload).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import Blueprint, abort, request, url_for

from geo_app.render.webgeo import GEOMETRY_DOCUMENT_VERSION, cached_web_geometry, geometry_document_bytes
from .caching import IMMUTABLE, CachedBody, not_modified, serve
from .common import store

bp = Blueprint("geometry", __name__)

DIGEST_LEN = 20
MIMETYPE = "application/json; charset=utf-8"


@dataclass
class GeometryFile:
    """The geometry document of one revision: its digest (the URL's name) and its bytes, compressed once."""

    digest: str
    body: CachedBody


def geometry_file() -> GeometryFile:
    """The current revision's geometry file, built once per revision and kept for every worker."""
    data = store()

    def build(ds) -> GeometryFile:
        communes, districts = cached_web_geometry(data)
        body = geometry_document_bytes(communes, districts)
        return GeometryFile(hashlib.sha256(body).hexdigest()[:DIGEST_LEN], CachedBody.build(body, MIMETYPE))

    return data.persisted(("geometry-file", GEOMETRY_DOCUMENT_VERSION), build)


def geometry_url() -> str:
    """The URL of the current geometry (for `map_parts(geometry_url=...)`)."""
    return url_for("geometry.geometry", digest=geometry_file().digest)


@bp.get("/geo/<digest>.json")
def geometry(digest: str):
    if request_has(digest):
        return not_modified(digest, IMMUTABLE)  # the URL names its bytes: the client's copy is them
    current = geometry_file()
    if digest != current.digest:
        abort(404)
    return serve(current.body, digest, IMMUTABLE)


def request_has(digest: str) -> bool:
    """The request's If-None-Match names this digest (a well-formed one)."""
    return len(digest) == DIGEST_LEN and request.if_none_match.contains_weak(digest)
