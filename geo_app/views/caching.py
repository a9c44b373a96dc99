"""HTTP caching and compression: ETag/304, Cache-Control per kind of route, compressed bodies, hashed static files.

- Dynamic routes (pages, API, exports) keep their bytes in a cache every gunicorn worker shares
  (Flask-Caching, FileSystemCache in the instance folder), keyed on the data revision, the app's own code
  and the request's endpoint and query. The ETag comes from that key, so a new data revision (or a new
  release) changes it; `If-None-Match` answers 304 without rendering anything.
- Pages are cached with a random placeholder where the CSP nonce goes; each response gets a fresh nonce.
  Their gzip form is kept as independently deflated segments between the placeholders, so a response is
  spliced together (segment, nonce, segment ...) without compressing the page again.
- Everything else the app answers (HTML, JSON, GeoJSON, CSS, JS, SVG) is compressed by Flask-Compress
  (brotli or gzip, as the client accepts).
- Static files are linked with content-hashed names (`url_for('static', filename='js/x.js')` ->
  `/static/js/x.<hash>.js`) and served `immutable` for a year, pre-compressed in memory.
"""
from __future__ import annotations

import functools
import hashlib
import mimetypes
import secrets
import shutil
import struct
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable

import brotli
from flask import Flask, Response, current_app, g, make_response, request
from flask_caching import Cache
from flask_compress import Compress
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import NotFound
from werkzeug.utils import safe_join

from geo_app.domain.messages import office_today
from geo_app.render.minify import shipped
from geo_app.settings import ROOT

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"  # the browser may keep it but asks every time (a 304 when nothing changed)
NO_STORE = "no-store"
ENCODINGS = ("br", "gzip")  # server preference when the client accepts both equally
COMPRESSIBLE = ("text/html", "text/css", "text/plain", "text/csv", "text/javascript", "application/javascript",
                "application/json", "application/geo+json", "image/svg+xml")
HASH_LEN = 10
# Headers of a built response that are not kept with its cached bytes (each response sets its own).
NOT_KEPT_HEADERS = {"content-length", "content-type", "content-encoding", "etag", "cache-control", "vary", "date",
                    "set-cookie", "last-modified", "content-security-policy", "x-frame-options"}
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # deflate, no name, no mtime, unknown OS
DEFLATE_END = b"\x03\x00"  # an empty final deflate block
GZIP_LEVEL, BROTLI_QUALITY = 9, 9  # cached bytes are compressed once: spend the time
# Static files change only with a release: brotli's best (about 8 % smaller than 9 on Leaflet and our scripts,
# 0.3 s for all of them), made once per file content for every worker (kept in the shared cache).
STATIC_BROTLI_QUALITY = 11

page_cache = Cache()
export_cache = Cache()  # `flask export` files: a folder of their own, so pages coming and going never evict them
compress = Compress()


def init_app(app: Flask) -> None:
    """Compression, the shared response cache, hashed static URLs and default Cache-Control."""
    app.config.setdefault("COMPRESS_ALGORITHM", list(ENCODINGS))
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["br"])
    app.config.setdefault("COMPRESS_MIMETYPES", list(COMPRESSIBLE))
    app.config.setdefault("COMPRESS_BR_LEVEL", 5)
    cache_dir = app.config.get("PAGE_CACHE_DIR") or str(Path(app.instance_path) / "cache")
    drop_old_export_folder(Path(cache_dir))
    page_cache.init_app(app, config={
        "CACHE_TYPE": "FileSystemCache", "CACHE_DIR": str(cache_dir),
        "CACHE_DEFAULT_TIMEOUT": 0,  # keys carry the data revision: entries never go stale, old ones are pruned
        "CACHE_THRESHOLD": int(app.config.get("PAGE_CACHE_THRESHOLD", 400)),
    })
    export_cache.init_app(app, config={
        "CACHE_TYPE": "FileSystemCache", "CACHE_DIR": export_cache_dir(app, cache_dir), "CACHE_DEFAULT_TIMEOUT": 0,
        "CACHE_THRESHOLD": int(app.config.get("EXPORT_CACHE_THRESHOLD", 200)),
    })
    app.extensions["ntm_code_version"] = code_version()
    app.extensions["ntm_recent_entries"] = RecentEntries(int(app.config.get("RECENT_ENTRIES_MB", 64)) * 2**20)
    app.config["COMPRESS_REGISTER"] = False  # `compress_response` calls it (after checking what the client refuses)
    app.after_request(default_cache_control)  # registered first: runs after compression (reverse order)
    compress.init_app(app)
    app.after_request(compress_response)
    app.url_defaults(hashed_static_names)
    app.view_functions["static"] = static_file


def drop_old_export_folder(page_cache_dir: Path) -> None:
    """Earlier versions kept `flask export` files in <page cache>/exports; cachelib reads every file of its folder
    as an entry and logged a traceback at each pruning. Those files are only a cache: remove the folder."""
    old = page_cache_dir / "exports"
    if old.is_dir() and not old.is_symlink():
        shutil.rmtree(old, ignore_errors=True)


def export_cache_dir(app: Flask, page_cache_dir: str) -> str:
    """Beside the page cache, not inside it: cachelib prunes every entry of its folder and cannot read a folder."""
    page = Path(page_cache_dir)
    return app.config.get("EXPORT_CACHE_DIR") or str(page.parent / f"{page.name}-exports")


# ------------------------------------------------------------------ cached dynamic responses


@dataclass
class CachedBody:
    """Bytes of one response, kept once for every worker: plain, gzip segments, brotli (when no nonce)."""

    mimetype: str
    segments: list[bytes]  # the body split at the nonce placeholder (one segment: no nonce)
    gzip_segments: list[bytes]  # each segment raw-deflated on its own, ending byte-aligned (sync flush)
    brotli_body: bytes | None  # the whole body in brotli, when it holds no nonce
    headers: dict[str, str] = field(default_factory=dict)
    crcs: list[tuple[int, int]] = field(default_factory=list)  # per segment: CRC-32, shift operator (spliced_gzip)

    @classmethod
    def build(cls, body: bytes, mimetype: str, placeholder: bytes | None = None,
              headers: dict[str, str] | None = None, brotli_quality: int = BROTLI_QUALITY) -> "CachedBody":
        segments = body.split(placeholder) if placeholder else [body]
        compressible = _compressible(mimetype)
        gz = [deflate_segment(s) for s in segments] if compressible else []
        br = brotli.compress(body, quality=brotli_quality) if compressible and len(segments) == 1 else None
        crcs = [segment_crc(s) for s in segments] if gz and len(segments) > 1 else []
        return cls(mimetype, segments, gz, br, dict(headers or {}), crcs)

    def body(self, nonce: str = "") -> bytes:
        return nonce.encode("ascii").join(self.segments)

    def encoded(self, encoding: str | None, nonce: str = "") -> bytes:
        """The body in `encoding` (None: identity), with `nonce` where the placeholder was."""
        if encoding == "br" and self.brotli_body is not None:
            return self.brotli_body
        if encoding == "gzip" and self.gzip_segments:
            return spliced_gzip(self.gzip_segments, self.segments, nonce.encode("ascii"),
                                getattr(self, "crcs", None) or None)  # (kept by an older release: none)
        return self.body(nonce)

    def size(self) -> int:
        return sum(map(len, self.segments)) + sum(map(len, self.gzip_segments)) + len(self.brotli_body or b"")

    def encodings(self) -> tuple[str, ...]:
        return tuple(e for e, ok in (("br", self.brotli_body is not None), ("gzip", bool(self.gzip_segments))) if ok)


def deflate_segment(data: bytes, level: int = GZIP_LEVEL) -> bytes:
    """Raw deflate of `data` with no history before it, ending on a byte boundary (not a final block)."""
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)


def spliced_gzip(deflated: list[bytes], plain: list[bytes], joint: bytes,
                 crcs: list[tuple[int, int]] | None = None) -> bytes:
    """One gzip member: the deflated segments with `joint` (stored) between them, as `joint.join(plain)`.
    `crcs` (from `segment_crc`) spares reading the whole body again for its CRC-32 (the trailer)."""
    out = [GZIP_HEADER]
    joint_block = _stored_block(joint)
    for i, part in enumerate(deflated):
        if i:
            out.append(joint_block)
        out.append(part)
    out.append(DEFLATE_END)
    size = sum(map(len, plain)) + len(joint) * (len(plain) - 1)
    out.append(struct.pack("<II", spliced_crc(plain, joint, crcs), size & 0xFFFFFFFF))
    return b"".join(out)


# CRC-32 of a concatenation from the parts' CRCs (zlib's crc32_combine, which Python's zlib does not offer):
# crc(A + B) = x^(8·len B) · crc(A) + crc(B) over GF(2) modulo the CRC polynomial (reflected bit order).
CRC_POLY = 0xEDB88320
CRC_ONE = 1 << 31  # the polynomial 1 (x^0) in reflected order


def _multmodp(a: int, b: int) -> int:
    """a·b modulo the CRC polynomial (a != 0)."""
    product, mask = 0, CRC_ONE
    while True:
        if a & mask:
            product ^= b
            if a & (mask - 1) == 0:
                return product
        mask >>= 1
        b = (b >> 1) ^ CRC_POLY if b & 1 else b >> 1


def _x_powers() -> list[int]:
    """x^(2^k) modulo the CRC polynomial, k = 0..31."""
    powers = [1 << 30]  # x^1
    for _ in range(31):
        powers.append(_multmodp(powers[-1], powers[-1]))
    return powers


_X_POWERS = _x_powers()


def crc_shift(length: int) -> int:
    """x^(8·length) modulo the CRC polynomial: moves a CRC past `length` bytes."""
    power, k, n = CRC_ONE, 3, length
    while n:
        if n & 1:
            power = _multmodp(_X_POWERS[k & 31], power)
        n >>= 1
        k += 1
    return power


def segment_crc(data: bytes) -> tuple[int, int]:
    return zlib.crc32(data), crc_shift(len(data))


def spliced_crc(plain: list[bytes], joint: bytes, crcs: list[tuple[int, int]] | None = None) -> int:
    """zlib.crc32(joint.join(plain)), from each segment's (CRC, shift) when given: a few operations per joint."""
    if not crcs:
        return zlib.crc32(joint.join(plain)) & 0xFFFFFFFF
    crc = crcs[0][0]
    for segment_crc_, shift in crcs[1:]:
        t0, t1, t2, t3 = _shift_tables(shift)
        crc = zlib.crc32(joint, crc)
        crc = t0[crc & 0xFF] ^ t1[(crc >> 8) & 0xFF] ^ t2[(crc >> 16) & 0xFF] ^ t3[crc >> 24] ^ segment_crc_
    return crc & 0xFFFFFFFF


@lru_cache(maxsize=4096)
def _shift_tables(shift: int) -> tuple[list[int], ...]:
    """`_multmodp(shift, crc)` as four byte tables (the product is linear in crc): four lookups per joint."""
    tables = []
    for k in range(4):
        bits = [_multmodp(shift, 1 << (8 * k + j)) for j in range(8)]
        table = [0] * 256
        for byte in range(1, 256):
            low = byte & -byte
            table[byte] = table[byte ^ low] ^ bits[low.bit_length() - 1]
        tables.append(table)
    return tuple(tables)


def _stored_block(data: bytes) -> bytes:
    """A non-final stored deflate block (the stream is byte-aligned after a sync flush)."""
    if len(data) > 0xFFFF:
        raise ValueError("a stored block holds at most 65535 bytes")
    return b"\x00" + struct.pack("<HH", len(data), len(data) ^ 0xFFFF) + data


def _compressible(mimetype: str) -> bool:
    return mimetype.split(";")[0].strip() in COMPRESSIBLE


def choose_encoding(available: Iterable[str]) -> str | None:
    """The encoding the client prefers among `available` (None: send it as is)."""
    offered = [e for e in ENCODINGS if e in set(available)]
    return request.accept_encodings.best_match(offered, default=None) if offered else None


def cached_response(build: Callable[[], Response], *, nonce: bool = False, key: tuple = (),
                    cache_control: str = REVALIDATE, params: tuple[str, ...] | None = None) -> Response:
    """This request's response from the shared cache, built by `build()` on a miss; 304 on a matching ETag.

    The key is the validated view (`canonical_args`: unknown parameters ignored, invalid values answered 400
    before anything is looked up, equal views written one way) with the data revision, the app's code and
    settings, today's date (pages and exports show it), the request's address where pages show it (trusted
    hosts only are kept), the endpoint and `key`. `params`: the documented parameters besides the view that
    the endpoint reads (None: all). On a miss the view sees exactly the canonical parameters, so equal views
    give equal bytes. `nonce=True` for HTML pages: the body is built once with a placeholder nonce and every
    response gets its own. Only 200 responses of bounded views are kept; errors and redirects pass through.
    """
    from .common import canonical_args, store
    from .security import address_key

    data = store()
    heads = data.heads()  # one look at the store per request (re-read only when the database changed)
    pairs, bounded = canonical_args(params, data.years(heads))
    address, trusted = address_key()
    text_key = "|".join(map(str, (current_app.extensions["ntm_code_version"], current_data_key(heads), office_today(),
                                   config_fingerprint(), address, request.endpoint,
                                   sorted(request.view_args.items()) if request.view_args else "", sorted(pairs),
                                   *key)))
    etag = hashlib.sha256(text_key.encode("utf-8")).hexdigest()[:32]
    if request.if_none_match.contains_weak(etag):
        return not_modified(etag, cache_control)
    keep = bounded and trusted
    recent: RecentEntries = current_app.extensions["ntm_recent_entries"]
    entry: CachedBody | None = recent.get(text_key) if keep else None
    if entry is None and keep:
        entry = page_cache.get(text_key)
        if entry is not None:
            recent.put(text_key, entry)
    if entry is None:
        request.args = ImmutableMultiDict(pairs)  # the view reads the canonical view and nothing else
        placeholder = secrets.token_hex(16) if nonce else None
        if placeholder:
            g.csp_nonce = placeholder
        try:
            response = build()
        finally:
            if placeholder:
                g.pop("csp_nonce", None)
        if response.status_code != 200 or response.is_streamed:
            return response
        headers = {k: v for k, v in response.headers.items() if k.lower() not in NOT_KEPT_HEADERS}
        entry = CachedBody.build(response.get_data(), response.content_type,
                                 placeholder.encode("ascii") if placeholder else None, headers)
        if keep:
            page_cache.set(text_key, entry)
            recent.put(text_key, entry)
    return serve(entry, etag, cache_control)


class RecentEntries:
    """The last cached bodies this worker served, by key, kept in memory up to `max_bytes` (least recently
    used dropped first): a hit needs no file read. Keys carry the data revision, so an entry never goes stale."""

    def __init__(self, max_bytes: int = 64 * 2**20):
        self.max_bytes, self.size = max_bytes, 0
        self._entries: OrderedDict[str, tuple[CachedBody, int]] = OrderedDict()

    def get(self, key: str) -> CachedBody | None:
        found = self._entries.get(key)
        if found is None:
            return None
        self._entries.move_to_end(key)
        return found[0]

    def put(self, key: str, entry: CachedBody) -> None:
        size = entry.size()
        if key in self._entries or size > self.max_bytes // 4:
            return
        self._entries[key] = (entry, size)
        self.size += size
        while self.size > self.max_bytes:
            _, (_, dropped) = self._entries.popitem(last=False)
            self.size -= dropped

    def clear(self) -> None:
        self._entries.clear()
        self.size = 0



def current_data_key(heads: dict[str, dict] | None = None) -> str:
    """The current data revision for cache keys, read from the store's heads without loading the data, so a
    new worker answers from the shared cache at once (falls back to loading when the store is still empty)."""
    from .common import store

    data = store()
    heads = data.heads() if heads is None else heads
    if len(heads) < 2:
        return data_revision_key(data.dataset())
    return heads_key(heads)


def data_revision_key(ds) -> str:
    return heads_key(ds.revisions) if getattr(ds, "revisions", None) else f"files:{ds.revision}"


def heads_key(heads: dict[str, dict]) -> str:
    """Each current store revision (the `Dataset.revision` numbers) with when and from what file it was made,
    so a store that is recreated (numbers start again at 1) never matches cached bytes of an older one."""
    return ",".join(f"{kind}:{r.get('id')}:{r.get('data_revision')}:{r.get('created_at')}:{str(r.get('sha256'))[:16]}"
                    for kind, r in sorted(heads.items()))


def config_fingerprint() -> str:
    """The settings that change what pages show (data, database, basemap, framing), as one short text."""
    from .common import store

    config = current_app.config
    return repr((config["SETTINGS"], str(store().database), config.get("FRAME_ANCESTORS"), config.get("PUBLIC_URL"),
                 config.get("TRUSTED_HOSTS")))


def kept_key(key: tuple) -> str:
    """The export cache's key for `key`: with the data revision, the app's code and settings and today's date
    (what exports show), so a new revision, release or day never finds older bytes."""
    return "|".join(map(str, ("bytes", current_app.extensions["ntm_code_version"], current_data_key(),
                              office_today(), config_fingerprint(), *key)))


def kept_bytes(key: tuple, build: Callable[[], bytes]) -> bytes:
    """Bytes kept under `kept_key(key)` in the instance's export cache (`flask export` files, made once per
    revision and parameters); `build()` makes them when they are not there yet."""
    text_key = kept_key(key)
    data = export_cache.get(text_key)
    if not isinstance(data, bytes):
        data = build()
        export_cache.set(text_key, data)
    return data


def cached(nonce: bool = False, cache_control: str = REVALIDATE, params: tuple[str, ...] | None = None):
    """Decorator: the view's response comes from `cached_response` (pages: `nonce=True`); `params`: the
    documented parameters besides year/layer/criterion/district/lang that the view reads (None: all)."""
    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            return cached_response(lambda: make_response(view(*args, **kwargs)), nonce=nonce,
                                   cache_control=cache_control, params=params)
        return wrapper
    return decorate


def serve(entry: CachedBody, etag: str, cache_control: str) -> Response:
    """A response from cached bytes, in the encoding the client prefers, with this request's nonce."""
    from .security import csp_nonce

    nonce = csp_nonce() if len(entry.segments) > 1 else ""
    encoding = choose_encoding(entry.encodings())
    response = Response(entry.encoded(encoding, nonce), content_type=entry.mimetype)
    for name, value in entry.headers.items():
        response.headers[name] = value
    if encoding:
        response.headers["Content-Encoding"] = encoding
    if entry.encodings():
        response.vary.add("Accept-Encoding")
    response.set_etag(etag, weak=True)
    response.headers["Cache-Control"] = cache_control
    return response


def not_modified(etag: str, cache_control: str) -> Response:
    """304: the client's copy is current. No CSP header: the browser keeps the policy stored with its copy
    (a new nonce would not match the nonce in the page it already has)."""
    response = Response(status=304)
    response.set_etag(etag, weak=True)
    response.headers["Cache-Control"] = cache_control
    response.vary.add("Accept-Encoding")
    return response


def compress_response(response: Response) -> Response:
    """Flask-Compress for responses not already encoded, unless the client refuses both encodings
    (Flask-Compress 1.25 would still pick one listed with q=0)."""
    if "Content-Encoding" in response.headers or choose_encoding(ENCODINGS) is None:
        if _compressible(response.content_type or ""):
            response.vary.add("Accept-Encoding")
        return response
    return compress.after_request(response)


def default_cache_control(response: Response) -> Response:
    """Cache-Control for responses that did not set one: revalidate successes, never store errors."""
    if "Cache-Control" not in response.headers:
        ok = 200 <= response.status_code < 400
        response.headers["Cache-Control"] = REVALIDATE if ok else NO_STORE
    return response


# ------------------------------------------------------------------ hashed static files


def code_version() -> str:
    """A hash of the app's code, templates and static files: cached responses of another release never match."""
    h = hashlib.sha1()
    for folder in (ROOT / "geo_app", ROOT / "templates"):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix in (".py", ".html", ".js", ".css", ".json") \
                    and "__pycache__" not in path.parts:
                h.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:12]


@lru_cache(maxsize=256)
def _file_hash(path: str, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:HASH_LEN]


def file_hash(path: Path) -> str | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return _file_hash(str(path), st.st_mtime_ns, st.st_size)


def hashed_static_names(endpoint: str, values: dict) -> None:
    """url_for('static', filename='js/a.js') -> 'js/a.<content hash>.js' (files that exist; others unchanged)."""
    if endpoint != "static" or not values.get("filename"):
        return
    name = values["filename"]
    path = _static_path(name)
    digest = file_hash(path) if path is not None and path.is_file() else None
    if digest:
        stem, dot, ext = name.rpartition(".")
        values["filename"] = f"{stem}.{digest}.{ext}" if dot and "/" not in ext else f"{name}.{digest}"


def _static_path(name: str) -> Path | None:
    folder = current_app.static_folder
    joined = safe_join(folder, name) if folder else None
    return Path(joined) if joined else None


def unhashed(name: str) -> tuple[str, str | None]:
    """('js/a.js', '<hash>') for 'js/a.<hash>.js'; (name, None) when it carries no hash."""
    parts = name.rsplit(".", 2)
    if len(parts) == 3 and len(parts[1]) == HASH_LEN and all(c in "0123456789abcdef" for c in parts[1]):
        return f"{parts[0]}.{parts[2]}", parts[1]
    parts = name.rsplit(".", 1)
    if len(parts) == 2 and len(parts[1]) == HASH_LEN and all(c in "0123456789abcdef" for c in parts[1]):
        return parts[0], parts[1]
    return name, None


@lru_cache(maxsize=128)
def _static_entry(path: str, mtime_ns: int, size: int) -> CachedBody:
    """A static file's bytes, pre-compressed (brotli and gzip) once per content for every worker: kept in the
    shared cache under the content's hash, and in each process's memory once read."""
    mimetype = mimetypes.guess_type(path)[0] or "application/octet-stream"
    if path.endswith(".js"):
        mimetype = "text/javascript"
    if mimetype.startswith("text/") or mimetype in ("application/json", "image/svg+xml"):
        mimetype += "; charset=utf-8"
    data = shipped(Path(path), Path(path).read_bytes())  # our scripts and style sheets minified
    key = f"static:{hashlib.sha256(data).hexdigest()}:{mimetype}:{GZIP_LEVEL}:{STATIC_BROTLI_QUALITY}"
    entry = page_cache.get(key)
    if isinstance(entry, CachedBody) and entry.body() == data:
        return entry
    entry = CachedBody.build(data, mimetype, brotli_quality=STATIC_BROTLI_QUALITY)
    page_cache.set(key, entry)
    return entry


def static_file(filename: str) -> Response:
    """Static files: hashed names are immutable for a year; plain names revalidate (ETag)."""
    name, digest = unhashed(filename)
    path = _static_path(name)
    if path is None or not path.is_file():
        raise NotFound()
    current = file_hash(path)
    if digest is not None and digest != current:
        raise NotFound()  # an old release's file: its hash no longer exists
    etag = current or ""
    cache_control = IMMUTABLE if digest else REVALIDATE
    if request.if_none_match.contains_weak(etag):
        return not_modified(etag, cache_control)
    st = path.stat()
    return serve(_static_entry(str(path), st.st_mtime_ns, st.st_size), etag, cache_control)
