"""Planners' pages: lagging communes (+ CSV/XLSX), criteria gap matrix, targets of plan 4798, progress charts."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from geo_app.model import planning as P
from geo_app.render.charts import inline_svg, progress_svg
from geo_app.domain.criteria import BANDS, CRITERIA
from geo_app.domain.messages import percent
from geo_app.render.mapspec import boundary_attribution
from geo_app.model.dataset import Dataset
from geo_app.domain.plan import PLAN_ID, SHARE_NANG_CAO, SHARE_NTM
from geo_app.render.tabular import CSV_MIME, XLSX_MIME, to_csv, to_xlsx
from geo_app.domain.units import DISTRICTS, place_name
from geo_app.model.viewstate import ViewState
from .caching import cached
from .geometry import geometry_source
from .common import bad_request, dataset, parse_view_args, static_asset_url, store
from .security import nonced

bp = Blueprint("planning", __name__)

# Shading of the gap matrix by share of xã missing a criterion (YlGnBu-family, darker = more missing).
GAP_SHADES = ((0.0, "#ffffff"), (20.0, "#edf8b1"), (40.0, "#c7e9b4"), (60.0, "#7fcdbb"), (80.0, "#41b6c4"),
              (100.1, "#1d91c0"))

# Interface texts: English msgids, Vietnamese in the catalog (geo_app/translations/vi). {plan} = PLAN_ID.
MESSAGES = {
    'lagging_title': _l('Communes lagging behind'),
    'gaps_title': _l('Criteria not met, by district'),
    'targets_title': _l('Progress against the 2025 targets (plan {plan})'),
    'year': _l('Year'),
    'district': _l('District'),
    'all_districts': _l('Whole province'),
    'band': _l('Criteria band'),
    'any': _l('Any'),
    'criterion': _l('Missing criterion'),
    'apply': _l('Filter'),
    'filters': _l('Filters'),
    'download': _l('Download'),
    'rows': _l('communes listed'),
    'none': _l('No commune matches these filters.'),
    'show_on_map': _l('Show on map'),
    'order': _l('Order: not yet NTM with under 15 criteria, then 15-18 criteria, then NTM communes not yet advanced in districts with under 40 % advanced; within a group, fewest criteria (furthest from the next level) first.'),
    'map_missing': _l('The map is not available yet; the table below is complete.'),
    'illustrative': _l('This page uses ILLUSTRATIVE values, not official figures; do not cite.'),
    'gaps_intro': _l('Each cell: the number (and share of xã with data) of xã not meeting the criterion. Click a cell to open the map of that criterion for the district.'),
    'xa_with_data': _l('xã with data'),
    'no_data': _l('xã without data'),
    'shade': _l('Darker = more xã not meeting it.'),
    'province': _l('Whole province'),
    'target': _l('Target'),
    'actual': _l('Actual'),
    'goal': _l('Goal'),
    'gap': _l('Gap'),
    'status': _l('Status'),
    'met': _l('Met'),
    'not_met': _l('Not met'),
    'tracked': _l('Tracked'),
    'per_district': _l('By district'),
    'progress': _l('Progress over the years'),
    'whatif': _l('What if these communes reached NTM next year'),
    'whatif_all18': _l('Every xã now at 18 criteria'),
    'whatif_codes': _l('Choose communes (not yet NTM)'),
    'whatif_run': _l('Try it'),
    'whatif_result': _l('What-if result for'),
    'before': _l('Now'),
    'after': _l('What if'),
    'whatif_chosen': _l('Communes assumed to reach NTM'),
    'whatif_already': _l('Already NTM (ignored)'),
    'whatif_township': _l('Become townships next year (no longer counted)'),
    'whatif_none': _l('None.'),
    'share_ntm': _l('% xã NTM'),
    'share_nc': _l('% xã advanced'),
    'model': _l('Model xã'),
    'ge15': _l('Other xã ≥ 15 criteria'),
    'download_note': _l('The CSV/XLSX files use the same filters as the table.'),
    'commune': _l('Commune'),
    'level': _l('Level'),
    'criteria_met': _l('Criteria met'),
    'missing': _l('Criteria not met'),
    'last_change': _l('Last change'),
    'provenance': _l('Provenance'),
    'group': _l('Group'),
    'note': _l('Note'),
    'yes': _l('yes'),
    'no': _l('no'),
    'chart_alt': _l('Progress chart'),
    'data': _l('Download the data'),
}


def texts(lang: str) -> dict[str, str]:
    """Every planning-page text in `lang` (from the gettext catalogs)."""
    with force_locale(lang):
        return {key: str(message).replace("{plan}", PLAN_ID) for key, message in MESSAGES.items()}


# --------------------------------------------------------------------------- parameters


def lagging_rows(ds: Dataset, filters: P.LaggingFilters) -> list[P.LaggingRow]:
    """The lagging list for `filters`, from the year's ranking computed once per data revision and kept in the
    store's derived data for every worker (a page-cache miss filters it, it does not rank again)."""
    key = ("lagging-ranking", filters.year, P.RANKING_FIELDS)
    ranking = store().persisted(key, lambda data: P.ranked_lagging(data, filters.year))
    return P.lagging(ds, filters, ranking)


def _lagging_request(ds: Dataset) -> tuple[ViewState, P.LaggingFilters]:
    """View args plus the lagging filters (band, criterion), 400 with a readable message if invalid."""
    args = parse_view_args(ds, extra_layers=("lagging",))
    try:
        filters = P.LaggingFilters(year=args.year, district=args.district,
                                   band=request.args.get("band") or None, criterion=args.criterion)
    except P.PlanningError as exc:
        bad_request(exc.text(args.lang))
    return args, filters


def _query(args: ViewState, filters: P.LaggingFilters) -> dict:
    """URL parameters of a lagging view (defaults omitted)."""
    q: dict = {"year": args.year}
    q.update({k: v for k, v in (("district", filters.district), ("band", filters.band),
                                ("criterion", filters.criterion)) if v})
    if args.lang != "vi":
        q["lang"] = args.lang
    return q


def _url(path: str, q: dict) -> str:
    return f"{request.script_root}{path}" + (f"?{urlencode(q)}" if q else "")


def _common(ds: Dataset, args: ViewState) -> dict:
    """Template context every planning page shares (base.html provides navigation and the language switch)."""
    return {
        "t": texts(args.lang), "lang": args.lang, "year": args.year, "years": ds.years,
        "illustrative": ds.has_illustrative(args.year), "districts": list(DISTRICTS.items()),
    }


# --------------------------------------------------------------------------- lagging


@bp.get("/lagging")
@cached(nonce=True, params=("band",))
def lagging_page():
    ds = dataset()
    args, filters = _lagging_request(ds)
    rows = lagging_rows(ds, filters)
    q = _query(args, filters)
    ctx = _common(ds, args)
    ctx.update(
        rows=rows, counts=P.lagging_counts(rows), filters=filters,
        place=DISTRICTS.get(filters.district or "", texts(args.lang)["all_districts"]),
        group_labels=P.GROUP_LABELS,
        bands=BANDS, criteria=CRITERIA, csv_url=_url("/lagging.csv", q), xlsx_url=_url("/lagging.xlsx", q),
        map_parts=_lagging_map(ds, rows, filters, args.lang),
        criterion_label=P.criterion_label, level_name=P.level_name, note_text=P.note_text,
        provenance_label=P.provenance_label,
    )
    return render_template("lagging.html", **ctx)


@bp.get("/lagging.csv")
@cached(params=("band",))
def lagging_csv():
    ds = dataset()
    args, filters = _lagging_request(ds)
    columns, rows = P.lagging_table(lagging_rows(ds, filters), args.lang)
    return _download(to_csv(columns, rows), CSV_MIME, _filename(filters, "csv"))


@bp.get("/lagging.xlsx")
@cached(params=("band",))
def lagging_xlsx():
    ds = dataset()
    args, filters = _lagging_request(ds)
    columns, rows = P.lagging_table(lagging_rows(ds, filters), args.lang)
    title = texts(args.lang)["lagging_title"] + f" — {DISTRICTS.get(filters.district or '', 'Bến Tre')}, {args.year}"
    if ds.has_illustrative(args.year):
        title += " — " + texts(args.lang)["illustrative"]
    body = to_xlsx(columns, rows, sheet=f"{args.year}", title=title)
    return _download(body, XLSX_MIME, _filename(filters, "xlsx"))


def _filename(filters: P.LaggingFilters, ext: str) -> str:
    parts = ["ntm-lagging", str(filters.year), filters.district, filters.band and f"band{filters.band}",
             filters.criterion and f"tc{filters.criterion}"]
    return "-".join(p for p in parts if p) + f".{ext}"


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    resp = Response(body, content_type=mimetype)
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


def _lagging_map(ds: Dataset, rows: list[P.LaggingRow], filters: P.LaggingFilters, lang: str):
    """The map with exactly the listed communes highlighted (classes = lagging groups)."""
    from geo_app.render.interactive import map_parts
    from geo_app.render.webgeo import web_view

    spec, keys = P.lagging_spec(ds, rows, filters.year, filters.district, lang)
    web = web_view(store(), filters.year, "level")
    return nonced(map_parts(spec, relabel(web.communes_fc, keys), web.districts_fc,
                     highlight={r.ward_code for r in rows}, lang=lang, height="520px",
                     basemap_url=current_app.config["SETTINGS"].basemap_url,
                     static_url=static_asset_url, geometry=geometry_source(),
                     attribution=boundary_attribution(ds.sources.get("boundaries", ""), lang)))


def relabel(communes_fc: dict, keys: dict[str, str]) -> dict:
    """A copy of the commune FeatureCollection with each feature's `class` set from `keys` (ward_code -> class)."""
    features = [{**f, "properties": {**f["properties"], "class": keys.get(f["properties"]["ward_code"], "no_data")}}
                for f in communes_fc["features"]]
    return {**communes_fc, "features": features}


# --------------------------------------------------------------------------- gaps


@bp.get("/gaps")
@cached(nonce=True, params=())
def gaps_page():
    ds = dataset()
    args = parse_view_args(ds)
    matrix = P.gap_matrix(ds, args.year)
    ctx = _common(ds, args)
    q = {k: v for k, v in (("year", args.year), ("lang", "en" if args.lang == "en" else None)) if v}
    ctx.update(data_links=[("CSV", _url("/gaps.csv", q)), ("XLSX", _url("/gaps.xlsx", q))])
    ctx.update(matrix=matrix, criteria=CRITERIA, shade=_shade, text_on=_text_on, short_name=P.short_name,
               cell_url=lambda d, k: _url("/", _map_query(args, d, k)),
               share=lambda value: percent(value / 100, args.lang))
    return render_template("gaps.html", **ctx)


@bp.get("/gaps.<fmt>")
@cached(params=())  # once per data revision and view for every worker, as /lagging.csv
def gaps_download(fmt: str):
    """The /gaps matrix of a year as CSV or XLSX (same numbers as the page)."""
    ds = dataset()
    args = parse_view_args(ds)
    columns, rows = with_provenance(ds, args, *P.gap_table(P.gap_matrix(ds, args.year), args.lang), "district")
    title = texts(args.lang)["gaps_title"] + f", {args.year}"
    return _table_download(ds, args, fmt, columns, rows, title, f"ntm-gaps-{args.year}")


@bp.get("/targets.<fmt>")
@cached(params=())  # once per data revision and view for every worker, as /lagging.csv
def targets_download(fmt: str):
    """The /targets tables of a year (province, then each district) as CSV or XLSX."""
    ds = dataset()
    args = parse_view_args(ds)
    columns, rows = with_provenance(ds, args, *P.targets_table(P.targets(ds, args.year), args.lang), "scope")
    title = texts(args.lang)["targets_title"] + f" — {args.year}"
    return _table_download(ds, args, fmt, columns, rows, title, f"ntm-targets-{args.year}")


def with_provenance(ds: Dataset, args: ViewState, columns: list, rows: list[dict], scope: str) -> tuple[list, list]:
    """The table with a last column saying where each row's numbers come from ("12 có tài liệu dẫn nguồn, 3 minh
    họa"), for its district or the whole province: a CSV carries no title row, and gaps.csv and targets.csv said
    nowhere that their numbers were illustrative."""
    from geo_app.model.viewstate import provenance_text

    communes = ds.communes(args.year)
    whole = provenance_text(communes, args.lang)
    label, _sep, _text = whole.partition(": ")
    by_district = {name: provenance_text(group, args.lang).partition(": ")[2]
                   for name, group in communes.groupby("district_name")}
    rows = [{**row, "provenance": by_district.get(row[scope], whole.partition(": ")[2])} for row in rows]
    return [*columns, ("provenance", label)], rows


def _table_download(ds: Dataset, args: ViewState, fmt: str, columns, rows, title: str, stem: str) -> Response:
    if fmt not in ("csv", "xlsx"):
        bad_request(_("{name}.{fmt} is not a download format; use .csv or .xlsx.").format(name=stem.split("-")[1],
                                                                                            fmt=fmt))
    if ds.has_illustrative(args.year):
        title += " — " + texts(args.lang)["illustrative"]
    suffix = "-en" if args.lang == "en" else ""
    if fmt == "csv":
        return _download(to_csv(columns, rows), CSV_MIME, f"{stem}{suffix}.csv")
    return _download(to_xlsx(columns, rows, sheet=str(args.year), title=title), XLSX_MIME, f"{stem}{suffix}.xlsx")


def _map_query(args: ViewState, district: str, criterion: int) -> dict:
    q: dict = {"year": args.year, "layer": "criterion", "criterion": criterion}
    if district:
        q["district"] = district
    if args.lang != "vi":
        q["lang"] = args.lang
    return q


def _shade(share: float | None) -> str:
    if share is None:
        return "#f0f0f0"
    for limit, color in GAP_SHADES:
        if share <= limit:
            return color
    return GAP_SHADES[-1][1]


def _text_on(color: str) -> str:
    return "#ffffff" if color in ("#41b6c4", "#1d91c0") else "#111111"


# --------------------------------------------------------------------------- targets


@bp.get("/targets")
@cached(nonce=True, params=("whatif",))
def targets_page():
    ds = dataset()
    args = parse_view_args(ds)
    whatif_raw = ",".join(v for v in request.args.getlist("whatif") if v.strip())
    result = None
    if whatif_raw:
        try:
            mode, codes = P.parse_whatif(whatif_raw)
            result = P.what_if(ds, args.year, mode, codes)
        except P.PlanningError as exc:
            bad_request(exc.text(args.lang))
    view = P.targets(ds, args.year)
    ctx = _common(ds, args)
    ctx.update(view=view, result=result, cells=P.target_cells, zip=zip,
               by_key=lambda rows: {r["key"]: r for r in rows}, charts=_charts(ds, args.lang), share_ntm=SHARE_NTM,
               share_nc=SHARE_NANG_CAO, candidates=_candidates(ds, args.year),
               chosen_codes=set(whatif_raw.split(",")), whatif_raw=whatif_raw,
               data_links=[("CSV", _url("/targets.csv", _year_lang(args))),
                           ("XLSX", _url("/targets.xlsx", _year_lang(args)))],
               chart_url=lambda code: _url("/charts/progress.svg", {k: v for k, v in (
                   ("district", code), ("lang", "en" if args.lang == "en" else None)) if v}))
    return render_template("targets.html", **ctx)


def _year_lang(args: ViewState) -> dict:
    return {k: v for k, v in (("year", args.year), ("lang", "en" if args.lang == "en" else None)) if v}


def _candidates(ds: Dataset, year: int) -> list[dict]:
    """Xã not yet NTM (what-if choices), most criteria first, by district."""
    rows = lagging_rows(ds, P.LaggingFilters(year=year))
    rows = [r for r in rows if r.level == "chua_dat"]
    rows.sort(key=lambda r: (r.district_code, -r.criteria_met, r.commune))
    return [{"ward_code": r.ward_code, "commune": r.commune, "district": r.district,
             "criteria_met": r.criteria_met} for r in rows]


def _charts(ds: Dataset, lang: str) -> list[tuple[str, str, str]]:
    """(district code or '', title, inline SVG) for the province and each district, cached per data revision."""
    def build(ds: Dataset) -> list[tuple[str, str, str]]:
        series = P.progress_all(ds)
        out = []
        for code, points in series.items():
            title = place_name(code, lang)
            out.append((code, title, inline_svg(progress_svg(points, title, lang, salt=code or "province"))))
        return out
    return store().cached(("planning-charts", lang), build)


@bp.get("/charts/progress.svg")
@cached(params=())
def progress_chart():
    ds = dataset()
    args = parse_view_args(ds)
    code = args.district or ""
    title = place_name(code, args.lang)

    def build(ds: Dataset) -> str:
        return progress_svg(P.progress(ds, code or None), title, args.lang, salt=code or "province")

    svg = store().cached(("progress-svg", code, args.lang), build)
    resp = Response(svg, mimetype="image/svg+xml")
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp
