"""JSON API: `GET /api/communes.geojson?year=` and `GET /api/summary.json?year=`. Errors are JSON too."""
from __future__ import annotations

import json

from flask import Blueprint, current_app, jsonify
from werkzeug.exceptions import HTTPException

from geo_app.store.datastore import DataUnavailable
from .caching import cached
from .common import dataset, parse_view_args, store

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/communes.geojson")
@cached(params=())
def communes_geojson():
    """Every commune in `year` (default: latest) with its status, as a GeoJSON FeatureCollection."""
    from geo_app.render.webgeo import web_view

    args = parse_view_args(dataset())
    fc = web_view(store(), args.year, args.layer, args.criterion).communes_fc
    response = jsonify(fc)
    response.mimetype = "application/geo+json"
    return response


@bp.get("/summary.json")
@cached(params=())
def summary_json():
    """Byte for byte the JSON of `flask --app app data summary --json --year YEAR`."""
    ds = dataset()
    args = parse_view_args(ds)
    text = json.dumps(ds.summary(args.year), ensure_ascii=False, indent=2) + "\n"
    return current_app.response_class(text, mimetype="application/json")


def json_error(exc: HTTPException):
    """Errors of the API as JSON {"error": "...", "status": code}, never an HTML page."""
    return jsonify({"error": exc.description, "status": exc.code}), exc.code


# By code, so these win over the app's HTML handlers for the same codes (Flask looks up codes first).
for _code in (400, 404, 405, 500):
    bp.register_error_handler(_code, json_error)


@bp.errorhandler(DataUnavailable)
def json_unavailable(exc: DataUnavailable):
    from geo_app import user_message

    return jsonify({"error": user_message(current_app, str(exc)), "status": 503}), 503
