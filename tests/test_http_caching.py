"""Compression, ETag/304, Cache-Control, the shared response cache (nonce per response) and hashed static files."""
from __future__ import annotations

import gzip
import re
import shutil
import zlib

import brotli
import pytest

from geo_app.views.caching import CachedBody, deflate_segment, spliced_gzip, unhashed

NONCE = re.compile(r"'nonce-([^']+)'")


def nonce_of(response) -> str:
    return NONCE.search(response.headers["Content-Security-Policy"]).group(1)


def decoded(response) -> bytes:
    body = response.get_data()
    encoding = response.headers.get("Content-Encoding")
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "br":
        return brotli.decompress(body)
    assert encoding is None, encoding
    return body


# ------------------------------------------------------------------ compression


@pytest.mark.parametrize("url", ["/", "/lagging", "/gaps", "/targets?lang=en", "/embed"])
@pytest.mark.parametrize("accept", ["gzip", "gzip, deflate, br, zstd", "br", "br;q=1.0, gzip;q=0.8", "identity", ""])
def test_pages_are_compressed_as_the_client_accepts_and_decompress_to_the_page(client, url, accept):
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    response = client.get(url, headers={"Accept-Encoding": accept})
    assert response.status_code == 200 and "Accept-Encoding" in response.headers["Vary"]
    encoding = response.headers.get("Content-Encoding")
    offered = {part.split(";")[0].strip() for part in accept.split(",") if part.strip()}
    if offered & {"gzip", "br"}:
        assert encoding in offered & {"gzip", "br"}
        assert len(response.get_data()) < len(plain.get_data()) / 4
    else:
        assert encoding is None
    # Same page once the per-response nonce is put back.
    body = decoded(response).replace(nonce_of(response).encode(), b"NONCE")
    assert body == plain.get_data().replace(nonce_of(plain).encode(), b"NONCE")
    assert int(response.headers["Content-Length"]) == len(response.get_data())


@pytest.mark.parametrize("url", ["/api/communes.geojson", "/api/summary.json", "/lagging.csv?year=2022",
                                 "/charts/progress.svg"])
@pytest.mark.parametrize("accept", ["br", "gzip", "gzip, br", "identity"])
def test_data_responses_decompress_to_the_same_bytes(client, url, accept):
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    response = client.get(url, headers={"Accept-Encoding": accept})
    assert response.status_code == 200 and "Accept-Encoding" in response.headers["Vary"]
    assert decoded(response) == plain.get_data()
    assert response.headers.get("Content-Encoding") == (None if accept == "identity" else accept.split(",")[-1].strip())


def test_refused_encodings_are_never_used(client):
    response = client.get("/api/communes.geojson", headers={"Accept-Encoding": "br;q=0, gzip;q=0"})
    assert "Content-Encoding" not in response.headers
    response = client.get("/", headers={"Accept-Encoding": "gzip;q=0, br"})
    assert response.headers["Content-Encoding"] == "br"


def test_binary_exports_are_not_recompressed(client):
    response = client.get("/export/map.png?year=2022", headers={"Accept-Encoding": "gzip, br"})
    assert response.status_code == 200 and "Content-Encoding" not in response.headers
    assert response.get_data().startswith(b"\x89PNG")


def test_spliced_gzip_is_one_valid_member():
    parts = [b"<html>" * 500, b"middle" * 3, b"", b"end</html>" * 200]
    for joint in (b"", b"N0nce", b"x" * 300):
        deflated = [deflate_segment(p) for p in parts]
        data = spliced_gzip(deflated, parts, joint)
        assert gzip.decompress(data) == joint.join(parts)
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)  # a strict single-member reader: nothing left over
        assert d.decompress(data) == joint.join(parts) and d.eof and d.unused_data == b""


def test_spliced_crc_from_the_segments_equals_the_whole_bodys_crc():
    import random

    from geo_app.views.caching import segment_crc, spliced_crc

    rng = random.Random(9)
    for _ in range(100):
        parts = [rng.randbytes(rng.choice([0, 1, 7, 300, 70_000])) for _ in range(rng.randint(1, 7))]
        joint = rng.randbytes(rng.choice([0, 1, 24]))
        assert spliced_crc(parts, joint, [segment_crc(p) for p in parts]) == zlib.crc32(joint.join(parts))
        deflated = [deflate_segment(p) for p in parts]
        assert gzip.decompress(spliced_gzip(deflated, parts, joint, [segment_crc(p) for p in parts])) == \
            joint.join(parts)


def test_cached_body_with_placeholder_gives_each_nonce_its_own_bytes():
    entry = CachedBody.build(b'<script nonce="PH">a</script><style nonce="PH">b</style>', "text/html", b"PH")
    assert entry.brotli_body is None and entry.encodings() == ("gzip",)
    assert gzip.decompress(entry.encoded("gzip", "abc")) == b'<script nonce="abc">a</script><style nonce="abc">b</style>'
    assert entry.encoded(None, "xyz") == b'<script nonce="xyz">a</script><style nonce="xyz">b</style>'


# ------------------------------------------------------------------ ETag / 304 / Cache-Control


@pytest.mark.parametrize("url", ["/", "/lagging", "/gaps", "/targets", "/embed", "/print", "/api/summary.json",
                                 "/api/communes.geojson", "/export/map.png?year=2022", "/lagging.xlsx",
                                 "/gaps.csv", "/targets.xlsx"])
def test_conditional_get_answers_304_with_no_body(client, url):
    first = client.get(url)
    etag = first.headers["ETag"]
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-cache"
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag
    # The browser keeps the policy stored with its copy: a new nonce would not match the page it has.
    assert "Content-Security-Policy" not in again.headers
    assert client.get(url, headers={"If-None-Match": 'W/"something-else"'}).status_code == 200


def test_etag_differs_by_view_and_language(client):
    etags = {client.get(url).headers["ETag"] for url in
             ("/", "/?lang=en", "/?layer=band", "/?year=2022", "/?district=831", "/lagging", "/gaps")}
    assert len(etags) == 7


def test_errors_are_not_stored(client):
    response = client.get("/?year=1800")
    assert response.status_code == 400 and response.headers["Cache-Control"] == "no-store"
    assert "ETag" not in response.headers


def test_nonce_differs_per_response_while_the_cached_bytes_are_reused(client, monkeypatch):
    import geo_app.views.maps as maps

    calls = []
    real = maps.map_parts
    monkeypatch.setattr(maps, "map_parts", lambda *a, **k: calls.append(1) or real(*a, **k))
    url = "/?layer=criterion&criterion=7&district=829"
    responses = [client.get(url) for _ in range(3)]
    assert len(calls) <= 1  # built at most once (or earlier by another test), then served from the cache
    nonces = [nonce_of(r) for r in responses]
    assert len(set(nonces)) == 3
    for response, nonce in zip(responses, nonces):
        text = response.get_data(as_text=True)
        tags = re.findall(r"<(?:script|style)\b[^>]*>", text)
        inline = [t for t in tags if "src=" not in t]
        assert inline and all(f'nonce="{nonce}"' in t for t in inline)
        assert sum(n in text for n in nonces) == 1  # no other response's nonce, no placeholder left
    bodies = {r.get_data().replace(n.encode(), b"N") for r, n in zip(responses, nonces)}
    assert len(bodies) == 1


@pytest.fixture()
def own_data_app(tmp_path, default_settings):
    """An app with a store and a response cache of its own, so a test can add data revisions."""
    from geo_app import create_app

    return create_app({"TESTING": True, "SETTINGS": default_settings, "DATABASE": str(tmp_path / "ntm.sqlite"),
                       "PAGE_CACHE_DIR": str(tmp_path / "cache")})


def test_new_data_revision_changes_etags_and_content(own_data_app, tmp_path, default_settings):
    from geo_app.store.importing import import_status

    client = own_data_app.test_client()
    urls = ("/", "/api/summary.json?year=2022", "/export/map.png?year=2022")
    before = {url: client.get(url) for url in urls}
    lines = default_settings.commune_status_path().read_text("utf-8").splitlines(keepends=True)
    # A new status revision in which one NTM xã misses criterion 19 in 2022 (so it is not NTM).
    victim = next(i for i, line in enumerate(lines[1:], 1) if ",2022," in line and re.search(r",1,ntm,\d*,", line))
    lines[victim] = re.sub(r",1,ntm,\d*,", ",0,chua_dat,,", lines[victim], count=1)
    changed = tmp_path / "status-2022.csv"
    changed.write_text("".join(line for i, line in enumerate(lines) if i == 0 or ",2022," in line), "utf-8")
    result = import_status(own_data_app.extensions["ntm_store"].revisions, changed, "test", "one row less",
                           year=2022)
    assert result.ok, result
    for url, old in before.items():
        response = client.get(url, headers={"If-None-Match": old.headers["ETag"]})
        assert response.status_code == 200, url
        assert response.headers["ETag"] != old.headers["ETag"]
    old_counts = before["/api/summary.json?year=2022"].get_json()["province"]
    new_counts = client.get("/api/summary.json?year=2022").get_json()["province"]
    assert new_counts["xa_ntm"] == old_counts["xa_ntm"] - 1
    assert new_counts["band_15_18"] == old_counts["band_15_18"] + 1


def test_cache_is_shared_between_app_instances(own_data_app, tmp_path, monkeypatch):
    """A second worker (another app on the same instance cache) serves the first worker's bytes."""
    from geo_app import create_app
    import geo_app.views.planning as planning

    first = own_data_app.test_client().get("/gaps?lang=en")
    other = create_app({"TESTING": True, "SETTINGS": own_data_app.config["SETTINGS"],
                        "DATABASE": own_data_app.config["DATABASE"], "PAGE_CACHE_DIR": str(tmp_path / "cache")})
    monkeypatch.setattr(planning, "render_template", lambda *a, **k: pytest.fail("rendered again"))
    second = other.test_client().get("/gaps?lang=en")
    assert second.status_code == 200 and second.headers["ETag"] == first.headers["ETag"]
    assert second.get_data().replace(nonce_of(second).encode(), b"N") == \
        first.get_data().replace(nonce_of(first).encode(), b"N")


# ------------------------------------------------------------------ static files


def static_refs(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/static/[^"]+)"', html)


def test_static_files_have_content_hashed_names_and_are_immutable(client):
    refs = static_refs(client.get("/").get_data(as_text=True))
    assert any(re.search(r"/vendor/leaflet-1\.9\.4/leaflet\.[0-9a-f]{10}\.js$", r) for r in refs), refs
    assert any(re.search(r"/css/app\.[0-9a-f]{10}\.css$", r) for r in refs), refs
    for ref in refs:
        response = client.get(ref, headers={"Accept-Encoding": "br, gzip"})
        assert response.status_code == 200, ref
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        plain_name, digest = unhashed(ref)
        plain = client.get(plain_name, headers={"Accept-Encoding": "identity"})
        assert decoded(response) == plain.get_data()
        assert plain.headers["Cache-Control"] == "no-cache" and plain.headers["ETag"]
        assert client.get(plain_name, headers={"If-None-Match": plain.headers["ETag"]}).status_code == 304
    assert client.get("/static/js/ntm-map.0123456789.js").status_code == 404  # a hash that is not the file's


def test_our_scripts_and_style_sheets_are_served_without_their_comments(client):
    """Our own scripts and style sheets were sent with their comments: a third of their compressed bytes on a
    first view. They are minified as served (names kept); vendored files are sent exactly as they are."""
    from pathlib import Path

    from geo_app.settings import ROOT

    refs = static_refs(client.get("/").get_data(as_text=True))
    ours = [r for r in refs if "/vendor/" not in r and r.endswith((".js", ".css"))]
    assert {Path(unhashed(r)[0]).name for r in ours} >= {"ntm-map.js", "map.js", "app.css", "ntm-map.css"}
    for ref in ours:
        served = decoded(client.get(ref, headers={"Accept-Encoding": "br"})).decode("utf-8")
        source = Path(ROOT, "geo_app", unhashed(ref)[0].lstrip("/")).read_text("utf-8")
        assert len(served) < 0.8 * len(source), ref
        assert "/**" not in served and "\n  " not in served, ref  # no doc comments, no indentation
    script = decoded(client.get(next(r for r in ours if "/ntm-map." in r and r.endswith(".js")),
                                headers={"Accept-Encoding": "br"})).decode("utf-8")
    for name in ("NTM.mount", "geometryLayers", "formerMatch", "ntm-map-interactive"):  # the code run is the code read
        assert name in script
    vendor = next(r for r in refs if "/vendor/" in r and r.endswith(".css"))
    assert decoded(client.get(vendor, headers={"Accept-Encoding": "br"})) == \
        Path(ROOT, "geo_app", unhashed(vendor)[0].lstrip("/")).read_bytes()


def test_static_javascript_is_sent_compressed(client):
    ref = next(r for r in static_refs(client.get("/").get_data(as_text=True)) if "leaflet." in r and r.endswith(".js"))
    br = client.get(ref, headers={"Accept-Encoding": "gzip, deflate, br"})
    gz = client.get(ref, headers={"Accept-Encoding": "gzip"})
    assert br.headers["Content-Encoding"] == "br" and gz.headers["Content-Encoding"] == "gzip"
    assert brotli.decompress(br.get_data()) == gzip.decompress(gz.get_data())
    assert len(br.get_data()) < 60_000 and br.mimetype == "text/javascript"


def test_static_files_are_compressed_once_for_every_worker_at_brotlis_best(default_settings, tmp_path, monkeypatch):
    """Leaflet and our scripts change only with a release: sent as small as brotli makes them, compressed once
    per content and kept in the shared cache, so a worker that starts later compresses nothing."""
    from pathlib import Path
    from types import SimpleNamespace

    from geo_app import create_app
    from geo_app.settings import ROOT
    from geo_app.views import caching

    config = {"TESTING": True, "SETTINGS": default_settings, "DATABASE": str(tmp_path / "ntm.sqlite"),
              "PAGE_CACHE_DIR": str(tmp_path / "cache")}
    caching._static_entry.cache_clear()  # a worker starts with nothing in its memory
    first = create_app(config).test_client()
    ref = next(r for r in static_refs(first.get("/").get_data(as_text=True)) if "leaflet." in r and r.endswith(".js"))
    body = first.get(ref, headers={"Accept-Encoding": "gzip, deflate, br"}).get_data()
    source = Path(ROOT, "geo_app/static/vendor/leaflet-1.9.4/leaflet.js").read_bytes()
    assert brotli.decompress(body) == source
    assert len(body) <= len(brotli.compress(source, quality=11)) < len(brotli.compress(source, quality=9))

    def refuse(*args, **kwargs):
        raise AssertionError("compressed again by a new worker")

    caching._static_entry.cache_clear()
    monkeypatch.setattr(caching, "brotli", SimpleNamespace(compress=refuse))
    monkeypatch.setattr(caching, "deflate_segment", refuse)
    later = create_app(config).test_client()
    again = later.get(ref, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert again.status_code == 200 and again.headers["Content-Encoding"] == "br" and again.get_data() == body
    gz = later.get(ref, headers={"Accept-Encoding": "gzip"})
    assert gzip.decompress(gz.get_data()) == source


def test_a_new_worker_serves_its_first_page_without_loading_or_simplifying(own_data_app, tmp_path, monkeypatch):
    """Derived data is computed once per data revision and shared: rendered pages (instance cache) and web
    geometry (the store's derived data) are not recomputed by a worker that starts later."""
    from geo_app import create_app
    from geo_app.render import webgeo
    from geo_app.store.datastore import DataStore

    first = own_data_app.test_client().get("/?lang=en")
    assert first.status_code == 200

    def refuse(*args, **kwargs):
        raise AssertionError("recomputed in a new worker")

    settings, database = own_data_app.config["SETTINGS"], own_data_app.config["DATABASE"]
    with monkeypatch.context() as m:
        m.setattr(DataStore, "_load", refuse)
        worker = create_app({"TESTING": True, "SETTINGS": settings, "DATABASE": database,
                             "PAGE_CACHE_DIR": str(tmp_path / "cache")})
        again = worker.test_client().get("/?lang=en")
        assert again.status_code == 200 and again.headers["ETag"] == first.headers["ETag"]
    # A worker with an empty page cache still finds the web geometry in the store.
    monkeypatch.setattr(webgeo, "_simplified_in_metres", refuse)  # a step of every web-geometry path
    worker = create_app({"TESTING": True, "SETTINGS": settings, "DATABASE": database,
                         "PAGE_CACHE_DIR": str(tmp_path / "other-cache")})
    assert worker.test_client().get("/?lang=en&layer=band").status_code == 200


@pytest.mark.parametrize("url", ["/lagging.csv?year=2022", "/lagging.xlsx?year=2022", "/charts/progress.svg",
                                 "/export/map.png?year=2022"])
def test_headers_a_view_sets_are_kept_on_cached_responses(client, url):
    first, again = client.get(url), client.get(url)
    for name in ("Content-Disposition", "X-Content-Type-Options"):
        assert again.headers.get(name) == first.headers.get(name), name
    if "lagging" in url:
        assert again.headers["X-Content-Type-Options"] == "nosniff" and "attachment" in again.headers["Content-Disposition"]
