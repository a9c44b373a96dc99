"""NTM map application for Bến Tre (plan 4798/KH-UBND, 2021-2025)."""
from __future__ import annotations

import os
import re
from pathlib import Path

from flask import Flask, render_template

from geo_app.store.datastore import DataStore, DataUnavailable
from geo_app.settings import ROOT, Settings


def create_app(test_config: dict | None = None) -> Flask:
    """Flask app factory: settings from the environment (NTM_*), overridable by `test_config`."""
    app = Flask(__name__, instance_relative_config=True, template_folder=str(ROOT / "templates"))
    app.config.from_mapping(
        SETTINGS=Settings.from_env(),
        FRAME_ANCESTORS="*",  # who may embed /embed in an iframe (CSP frame-ancestors)
        JSON_SORT_KEYS=False,
        # The site's public base address (embed code); else TRUSTED_HOSTS: the only Host headers answered.
        PUBLIC_URL=os.environ.get("NTM_PUBLIC_URL") or None,
        TRUSTED_HOSTS=[h.strip() for h in os.environ.get("NTM_TRUSTED_HOSTS", "").split(",") if h.strip()] or None,
        # The shared response cache (default instance/cache; `flask export` files beside it, in cache-exports).
        PAGE_CACHE_DIR=os.environ.get("NTM_CACHE_DIR") or None,
    )
    if test_config:
        app.config.update(test_config)
    app.json.ensure_ascii = False
    app.extensions["ntm_store"] = DataStore(app.config["SETTINGS"], database_for(app))

    from . import i18n
    from .views import caching, register_blueprints, security

    i18n.init_app(app)
    register_blueprints(app)
    caching.init_app(app)
    security.init_app(app)
    _register_errors(app)

    from geo_app.cli.data import data_cli

    app.cli.add_command(data_cli)
    from geo_app.cli.store import register as register_store_commands

    register_store_commands(app)
    from geo_app.cli.users import users_cli

    app.cli.add_command(users_cli)
    try:
        from geo_app.cli.export import export_command
    except ImportError:  # pragma: no cover - while the export module is absent
        export_command = None
    if export_command is not None:
        app.cli.add_command(export_command)
    return app


def database_for(app: Flask) -> str:
    """The store's database: the DATABASE config, else NTM_DATABASE, else `ntm.sqlite` in the instance folder."""
    return (app.config.get("DATABASE") or app.config["SETTINGS"].database or os.environ.get("NTM_DATABASE")
            or os.path.join(app.instance_path, "ntm.sqlite"))


def user_message(app: Flask, text: str) -> str:
    """A message for users: no server paths (data files shown by their folder and name)."""
    from geo_app.sources.report import public_text

    settings = app.config["SETTINGS"]
    return public_text(text, (settings.boundaries_dir, settings.status_dir, Path(app.instance_path), ROOT))


LONG_RUN = re.compile(r"\S{81,}")


def shortened_values(message: str) -> str:
    """A refusal's message with any very long unbroken text (a value of 3,000 characters typed into the address)
    cut to its first 60 characters: the message says what is wrong, not the whole value again."""
    return LONG_RUN.sub(lambda m: m.group(0)[:60] + "…", message)


def _register_errors(app: Flask) -> None:
    @app.errorhandler(DataUnavailable)
    def data_unavailable(exc: DataUnavailable):
        return render_template("error.html", status=503, title="Dữ liệu chưa sẵn sàng / Data not available",
                               message=user_message(app, str(exc))), 503

    @app.errorhandler(500)
    def server_error(exc):
        return render_template("error.html", status=500, title="Lỗi máy chủ / Server error",
                               message="Đã xảy ra lỗi; vui lòng thử lại. / Something went wrong; please try again."), 500

    from flask_babel import gettext as _

    from .views.common import request_lang

    @app.errorhandler(400)
    def bad_request(exc):
        return render_template("error.html", status=400, title=_("Bad request"),
                               message=shortened_values(str(exc.description or "")),
                               hint=_("Check the address (URL) and try again."), lang=request_lang()), 400

    @app.errorhandler(404)
    def not_found(exc):
        return render_template("error.html", status=404, title=_("Not found"), message=_("This page does not exist."),
                               lang=request_lang()), 404
