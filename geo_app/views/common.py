"""Request parsing shared by every view: one set of URL parameters, validated with readable errors."""
from __future__ import annotations

from flask import abort, current_app, request, url_for

from geo_app.store.datastore import DataStore
from geo_app.model.dataset import Dataset
from geo_app.model.viewstate import ViewError, ViewState, validate_view


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
