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
