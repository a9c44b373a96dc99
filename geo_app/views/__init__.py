"""Web views (the only layer that imports Flask besides the app factory)."""
from __future__ import annotations

from importlib import import_module

from flask import Flask

BLUEPRINT_MODULES = ("maps", "geometry", "api", "planning", "exports", "templates", "auth", "admin", "compare")


def register_blueprints(app: Flask) -> None:
    for name in BLUEPRINT_MODULES:
        module = import_module(f"{__name__}.{name}")
        app.register_blueprint(module.bp)
        if hasattr(module, "init_app"):  # e.g. auth: sign-in, CSRF, the session secret
            module.init_app(app)
