"""Request parsing shared by every view: one set of URL parameters, validated with readable errors."""
from __future__ import annotations

from flask import abort, current_app, request, url_for

from geo_app.store.datastore import DataStore
from geo_app.model.dataset import Dataset
from geo_app.model.viewstate import ViewError, ViewState, validate_view


# Every query parameter a page documents. Only these are carried into links the app writes: anything else
# (an unknown name, or Flask's own `_method`, `_external`, `_scheme`, `_anchor`) never reaches url_for.
KNOWN_PARAMS = ("year", "from", "layer", "criterion", "district", "lang", "band", "whatif", "controls", "legend",
                "title", "paper", "scale", "header")


# Values of the export parameters (views/exports.py): paper sizes, image scales, on/off flags.
PAPERS = {"a4": ("A4", "297mm", "210mm"), "a3": ("A3", "420mm", "297mm")}
SCALES = (1, 2)
FLAGS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}
VIEW_PARAMS = ("year", "layer", "criterion", "district", "lang")  # validated into a ViewState by every view


def known_args(drop: tuple[str, ...] = ()) -> dict[str, str | list[str]]:
    """The request's documented, non-empty query parameters, minus `drop` (a list where one is repeated)."""
    params: dict[str, str | list[str]] = {}
    for name in request.args:  # the request's order
        values = [v for v in request.args.getlist(name) if v]
        if name in KNOWN_PARAMS and name not in drop and values:
            params[name] = values[0] if len(values) == 1 else values
    return params


def store() -> DataStore:
    return current_app.extensions["ntm_store"]


def dataset() -> Dataset:
    return store().dataset()


def static_asset_url(name: str) -> str:
    """URL of a static file (content-hashed name, served immutable)."""
    return url_for("static", filename=name)


def bad_request(message: str):
    """Stop with HTTP 400 and a readable message."""
    abort(400, description=message)


def parse_view_args(ds: Dataset, extra_layers: tuple[str, ...] = ()) -> ViewState:
    """Read year/layer/criterion/district/lang from the query string; 400 with a clear message if invalid."""
    args = request.args
    try:
        return validate_view(ds.years, args.get("year"), args.get("layer"), args.get("criterion"),
                             args.get("district"), args.get("lang"), extra_layers=extra_layers)
    except ViewError as exc:
        bad_request(exc.text(request_lang()))


def request_lang() -> str:
    """The page language asked for ('vi' unless lang=en), also for pages that answer with an error."""
    return "en" if request.args.get("lang", "").strip() == "en" else "vi"


# ------------------------------------------------------------------ the view as a cache key


MEMO_SIZE = 4096


def canonical_args(params: tuple[str, ...] | None = None,
                   years: list[int] | None = None) -> tuple[list[tuple[str, str]], bool]:
    """`read_canonical_args` of this request, remembered per query string and years (not parsed again)."""
    years = store().years() if years is None else years
    memo: dict = current_app.extensions.setdefault("ntm_canonical_args", {})
    key = (request.query_string, params, tuple(years))
    found = memo.get(key)
    if found is None:
        found = read_canonical_args(params, years)  # an invalid view stops here (400), and is not remembered
        if len(memo) >= MEMO_SIZE:
            memo.clear()
        memo[key] = found
    return found


def read_canonical_args(params: tuple[str, ...] | None, years: list[int]) -> tuple[list[tuple[str, str]], bool]:
    """The request's view as canonical query parameters (in the request's order), and whether it is one of a
    bounded set of views (cache keys sort them).

    The view parameters are validated first (400 with the usual message when invalid) and written one way
    (`year=+2022 ` -> `year=2022`, `layer=level` and `lang=vi` left out); `params` names the other documented
    parameters the endpoint reads (None: every documented one). Unknown names and repeated values are left out.
    Free text (`title`), any set of communes (`whatif`) and a value that is not valid are not bounded: such a
    response is answered but never kept in the shared cache.
    """
    args = request.args
    try:
        state = validate_view(years, args.get("year"), args.get("layer"), args.get("criterion"),
                              args.get("district"), args.get("lang"), extra_layers=("lagging",))
    except ViewError as exc:
        bad_request(exc.text(request_lang()))
    pairs = [("year", str(state.year))] if (args.get("year") or "").strip() else []
    pairs += [(name, str(value)) for name, value, default in (
        ("layer", state.layer, "level"), ("criterion", state.criterion, None), ("district", state.district, None),
        ("lang", state.lang, "vi")) if value != default]
    bounded = True
    for name in KNOWN_PARAMS if params is None else params:
        if name not in VIEW_PARAMS:
            value, valid = canonical_value(name, years)
            if value is not None:
                pairs.append((name, value))
                bounded = bounded and valid
    order = {name: i for i, name in enumerate(dict.fromkeys(args))}  # links keep the request's order
    return sorted(pairs, key=lambda pair: order.get(pair[0], len(order))), bounded


PARAM_DEFAULTS = {"controls": "1", "legend": "1", "header": "1", "scale": "1", "paper": "a4"}  # as if left out


def canonical_value(name: str, years: list[int]) -> tuple[str | None, bool]:
    """(value written one way, or None when absent or blank; whether it is one of a known, bounded set)."""
    if name == "whatif":  # several values, joined as /targets reads them
        values = [v.strip() for v in request.args.getlist(name) if v.strip()]
        return (",".join(values) or None), False
    text = (request.args.get(name) or "").strip()
    if not text:
        return None, True
    canonical = _param_checks(years).get(name, lambda t: None)(text)
    if canonical is None:
        return text, False
    return (None if canonical == PARAM_DEFAULTS.get(name) else canonical), True


def _param_checks(years: list[int]) -> dict:
    """name -> function giving the canonical form of a valid value (None: not valid, or free text)."""
    from geo_app.domain.criteria import BAND_BY_KEY

    def flag(text: str) -> str | None:
        value = FLAGS.get(text.lower())
        return None if value is None else "1" if value else "0"

    def year(text: str) -> str | None:
        return text if text.isascii() and text.isdigit() and int(text) in years else None

    return {"band": lambda t: t if t in BAND_BY_KEY else None, "controls": flag, "legend": flag, "header": flag,
            "paper": lambda t: t.lower() if t.lower() in PAPERS else None,
            "scale": lambda t: t if t in {str(s) for s in SCALES} else None,
            "from": lambda t: str(int(t)) if year(t) else None}
