"""Request parsing shared by every view: one set of URL parameters, validated with readable errors."""
from __future__ import annotations

from dataclasses import dataclass, replace

from flask import abort, current_app, request

from ..criteria import CRITERION_NUMBERS
from ..datastore import DataStore
from ..mapspec import LANGS, LAYERS
from ..model import Dataset
from ..units import DISTRICTS


@dataclass(frozen=True)
class ViewArgs:
    """The state of a map view, all of it in the URL."""

    year: int
    layer: str = "level"
    criterion: int | None = None
    district: str | None = None
    lang: str = "vi"

    def query(self, **changes) -> dict:
        """URL parameters for this view (with changes), omitting defaults."""
        v = replace(self, **changes) if changes else self
        q: dict = {"year": v.year, "layer": v.layer}
        if v.layer == "criterion" and v.criterion:
            q["criterion"] = v.criterion
        if v.district:
            q["district"] = v.district
        if v.lang != "vi":
            q["lang"] = v.lang
        return q


def store() -> DataStore:
    return current_app.extensions["ntm_store"]


def dataset() -> Dataset:
    return store().dataset()


def bad_request(message: str):
    """Stop with HTTP 400 and a readable message."""
    abort(400, description=message)


def parse_view_args(ds: Dataset, extra_layers: tuple[str, ...] = ()) -> ViewArgs:
    """Read year/layer/criterion/district/lang from the query string; 400 with a clear message if invalid."""
    args = request.args
    lang = args.get("lang", "vi")
    if lang not in LANGS:
        bad_request(f"lang={lang!r} is not supported; use 'vi' or 'en'.")
    year = _int_arg("year", ds.latest_year)
    if year not in ds.years:
        bad_request(f"year={year} has no data; choose one of {', '.join(map(str, ds.years))}.")
    layer = args.get("layer", "level")
    allowed = (*LAYERS, *extra_layers)
    if layer not in allowed:
        bad_request(f"layer={layer!r} is unknown; choose one of {', '.join(allowed)}.")
    number = None
    if layer == "criterion" or "criterion" in args:
        number = _int_arg("criterion", 1 if layer == "criterion" else None)
        if number not in CRITERION_NUMBERS:
            bad_request(f"criterion={args.get('criterion')!r} must be a number from 1 to 19.")
    district = args.get("district") or None
    if district is not None and district not in DISTRICTS:
        codes = ", ".join(f"{c} ({n})" for c, n in DISTRICTS.items())
        bad_request(f"district={district!r} is not a Bến Tre district code; use one of {codes}.")
    return ViewArgs(year=year, layer=layer, criterion=number, district=district, lang=lang)


def _int_arg(name: str, default: int | None) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        bad_request(f"{name}={raw!r} must be a whole number.")
