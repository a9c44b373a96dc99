"""`GET /compare`: the "so sánh" view — each commune's change in level and criteria between two years."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import gettext as _

from geo_app.domain.criteria import COMMUNE_LEVEL_BY_KEY
from geo_app.domain.units import DISTRICTS
from geo_app.model.compare import CHANGE_CLASSES, CompareError, compare, compare_sentence, compare_spec
from geo_app.model.dataset import Dataset
from geo_app.model.viewstate import ViewState
from geo_app.render.interactive import map_parts
from geo_app.render.mapspec import boundary_attribution
from .caching import cached
from .common import bad_request, dataset, parse_view_args, static_asset_url, store
from .geometry import geometry_source
from .security import nonced

bp = Blueprint("compare", __name__)


def compare_years(ds: Dataset, args: ViewState) -> tuple[int, ViewState]:
    """(from, view) of the request: `from` defaults to the first year, `year` to the latest when left out."""
    raw = (request.args.get("from") or "").strip()
    if raw and not (raw.isascii() and raw.isdigit() and len(raw) <= 6):
        bad_request(_("from={value} must be a year, one of {years}.").format(
            value=repr(raw[:40]), years=", ".join(map(str, ds.years))))
    year_from = int(raw) if raw else ds.years[0]
    if not (request.args.get("year") or "").strip() and len(ds.years) > 1:
        args = ViewState(year=ds.years[-1], layer=args.layer, criterion=args.criterion, district=args.district,
                         lang=args.lang)
    return year_from, args


@bp.get("/compare")
@cached(nonce=True, params=("from",))
def compare_page():
    from geo_app.render.webgeo import web_view

    from .planning import relabel

    ds = dataset()
    year_from, args = compare_years(ds, parse_view_args(ds))
    try:
        changes = compare(ds, year_from, args.year, args.lang)
    except CompareError as exc:
        bad_request(str(exc))
    illustrative = ds.has_illustrative(args.year) or ds.has_illustrative(year_from)
    spec, keys = compare_spec(changes, year_from, args.year, args.district, args.lang, illustrative)
    web = web_view(store(), args.year, "level")
    parts = nonced(map_parts(spec, relabel(web.communes_fc, keys), web.districts_fc, lang=args.lang, height="100%",
                             basemap_url=current_app.config["SETTINGS"].basemap_url, static_url=static_asset_url,
                             geometry=geometry_source(), attribution=boundary_attribution(ds.sources.get("boundaries", ""), args.lang)))
    en = args.lang == "en"
    level = lambda key: (lambda lv: (lv.name_en if en else lv.name_vi) if lv else key)(COMMUNE_LEVEL_BY_KEY.get(key))
    shown = [c for c in changes if (not args.district or c.district_code == args.district)
             and (c.change in ("gained", "lost") or c.gained or c.lost)]
    scope = {"district": args.district} if args.district else {}
    lang_q = {"lang": "en"} if en else {}
    years_links = [(fmt.upper(), url_for("exports.export_years", fmt=fmt, layer="level", **scope, **lang_q))
                   for fmt in ("png", "svg", "pdf")]
    return render_template(
        "compare.html", lang=args.lang, args=args, year_from=year_from, years=ds.years, spec=spec, map=parts,
        summary=compare_sentence(changes, year_from, args.year, args.district, args.lang), rows=shown,
        level=level, districts=DISTRICTS, change_labels={c.key: c.label(args.lang) for c in CHANGE_CLASSES},
        illustrative=illustrative, years_links=years_links)
