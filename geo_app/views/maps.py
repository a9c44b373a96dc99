"""`GET /`: the province map page (map, summary, controls, search, table), all state in the URL."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from geo_app.domain.criteria import COMMUNE_LEVEL_BY_KEY, CRITERIA
from geo_app.render.mapspec import LANGS, boundary_attribution
from geo_app.render.interactive import map_parts
from geo_app.domain.messages import mark as _l
from geo_app.domain.messages import translator
from geo_app.domain.units import DISTRICTS
from geo_app.model.viewstate import map_view
from .caching import cached
from .geometry import geometry_source
from .common import dataset, known_args, parse_view_args, static_asset_url, store
from .security import nonced

bp = Blueprint("maps", __name__)

LAYER_LABELS = {
    "level": _l("NTM level"),
    "band": _l("Criteria met (band)"),
    "criterion": _l("One criterion"),
    "district": _l("District level"),
    "lagging": _l("Communes lagging behind"),  # served by /lagging (planning blueprint)
}
PROVENANCE_SHORT = {"official": _l("official"), "documented": _l("documented"), "illustrative": _l("illustrative")}


@bp.get("/")
@cached(nonce=True, params=("band",))  # band: kept by the redirect of layer=lagging
def index():
    from geo_app.render.webgeo import web_view

    if request.args.get("layer") == "lagging":  # the lagging layer is its own view, filters kept
        return redirect(url_for("planning.lagging_page", **known_args(drop=("layer",))))
    ds = dataset()
    args = parse_view_args(ds)
    view = map_view(ds, args)
    web = web_view(store(), args.year, args.layer, args.criterion)
    settings = current_app.config["SETTINGS"]
    parts = nonced(map_parts(view.spec, web.communes_fc, web.districts_fc, lang=args.lang, height="100%",
                      basemap_url=settings.basemap_url, static_url=static_asset_url, geometry=geometry_source(),
                      attribution=boundary_attribution(ds.sources.get("boundaries", ""), args.lang)))
    en = args.lang == "en"
    rows = table_rows(web.communes_fc, view.spec, args.lang, args.district, web.districts_fc)
    return render_template(
        "map.html", lang=args.lang, args=args, view=view, spec=view.spec, map=parts, years=ds.years,
        rows=rows, districts=DISTRICTS,
        layers=[(k, translator(args.lang)(v)) for k, v in LAYER_LABELS.items()],
        criteria=[(c.number, c.name_en if en else c.name_vi) for c in CRITERIA],
        data_links=data_links(args.query()),
        illustrative_count=sum(r["provenance"] == "illustrative" for r in rows),  # the units in view, like rows
    )


MAP_COLUMNS = (("ward_code", _l("Code")), ("name", _l("Name")), ("district_name", _l("District")),
               ("level_label", _l("Level")), ("criteria_met", _l("Criteria met")), ("class_label", _l("Map class")),
               ("year_recognised", _l("Year recognised")), ("provenance_label", _l("Data provenance")),
               ("source_url", _l("Source")))


@bp.get("/data.<fmt>")
def map_data(fmt: str):
    """Exactly the map page's table (same year, layer, criterion and district) as CSV, XLSX or GeoJSON."""
    from geo_app.render.webgeo import web_view

    from flask import Response, jsonify

    from geo_app.render.tabular import CSV_MIME, XLSX_MIME, to_csv, to_xlsx
    from .common import bad_request

    if fmt not in ("csv", "xlsx", "geojson"):
        bad_request(_("data.{fmt} is not a download format; use data.csv, data.xlsx or data.geojson.").format(fmt=fmt))
    ds = dataset()
    args = parse_view_args(ds)
    view = map_view(ds, args)
    web = web_view(store(), args.year, args.layer, args.criterion)
    name = args.slug() + f"-data.{fmt}"
    if fmt == "geojson":
        features = [f for f in web.communes_fc["features"]
                    if not args.district or f["properties"]["district_code"] == args.district]
        response = jsonify({**web.communes_fc, "features": features})
        response.mimetype = "application/geo+json"
    else:
        rows = table_rows(web.communes_fc, view.spec, args.lang, args.district, web.districts_fc)
        columns = [(key, translator(args.lang)(label)) for key, label in MAP_COLUMNS]
        if fmt == "csv":
            response = Response(to_csv(columns, rows), mimetype=CSV_MIME)
        else:
            title = view.spec.title + (f" — {view.warning}" if view.warning else "")
            response = Response(to_xlsx(columns, rows, sheet=str(args.year), title=title), mimetype=XLSX_MIME)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def data_links(query: dict) -> list[tuple[str, str]]:
    """(label, URL) of the map's data downloads for the page's query."""
    return [(fmt.upper() if fmt != "geojson" else "GeoJSON", url_for("maps.map_data", fmt=fmt, **query))
            for fmt in ("csv", "xlsx", "geojson")]


def table_rows(fc: dict, spec, lang: str, district: str | None = None, districts_fc: dict | None = None) -> list[dict]:
    """One row per commune in view (its district's, or all) for the page's table, by district then name; its map
    class is the one its shape has on the map (on the district layer, its district's)."""
    classes = {c.key: c.label(lang) for c in spec.classes}
    by_district = {f["properties"]["district_code"]: f["properties"]["class"]
                   for f in (districts_fc or {}).get("features", [])} if spec.layer == "district" else {}
    _ = translator(lang)
    rows = []
    for f in fc["features"]:
        p = f["properties"]
        if district and p["district_code"] != district:
            continue
        level = COMMUNE_LEVEL_BY_KEY.get(p["level"])
        rows.append({
            **p,
            "level_label": (level.name_en if lang == "en" else level.name_vi) if level else p["level"],
            "class_label": classes.get(by_district.get(p["district_code"], p["class"]), ""),
            "provenance_label": _(PROVENANCE_SHORT[p["provenance"]]) if p["provenance"] in PROVENANCE_SHORT else "",
            "source_link": p["source_url"] if _is_http(p["source_url"]) else "",
        })
    return sorted(rows, key=lambda r: (r["district_code"], r["search"]))


def _is_http(url: str) -> bool:
    try:
        parts = urlsplit(url or "")
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


# The page each form-only address (POST) comes from: a link to the form's address itself would be a GET it does not
# answer (the language switch on a refused upload, a refused commit or a user action gave "405 Method Not Allowed").
PAGE_OF_FORM = {"admin.upload_status": "admin.index", "admin.upload_boundaries": "admin.index",
                "admin.commit": "admin.preview", "admin.discard": "admin.preview", "admin.user_action": "admin.users",
                "auth.signout": "maps.index"}


def page_to_show(endpoint: str, view_args: dict) -> tuple[str, dict]:
    """(endpoint, its arguments) of a page a link may open for this request: the endpoint itself, or for a
    form-only address the page its form is on."""
    page = PAGE_OF_FORM.get(endpoint)
    if page is None:
        return endpoint, view_args
    rule = next(iter(current_app.url_map.iter_rules(page)))
    return page, {k: v for k, v in view_args.items() if k in rule.arguments}


@bp.app_context_processor
def page_helpers() -> dict:
    """`page_lang` and `lang_url(code)` for every template (the language switch in base.html)."""
    lang = request.args.get("lang", "vi")
    lang = lang if lang in LANGS else "vi"

    def lang_url(code: str) -> str:
        params = known_args(drop=("lang",))
        if code != "vi":
            params["lang"] = code
        endpoint, view_args = page_to_show(request.endpoint or "maps.index", request.view_args or {})
        return url_for(endpoint, **view_args, **params)

    return {"page_lang": lang, "lang_url": lang_url}
