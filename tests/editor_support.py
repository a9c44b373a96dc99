"""Helpers for the editors' tests: an app with its own store and secret, users, signed-in clients."""
from __future__ import annotations

import re
from pathlib import Path

from geo_app import create_app
from geo_app.store.users import UserStore

PASSWORD = "correct horse battery"
CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def make_app(settings, tmp_path: Path, **config):
    """A real app on a store of its own (seeded on first use), with its secret key in tmp_path."""
    return create_app({"TESTING": True, "SETTINGS": settings, "DATABASE": str(tmp_path / "ntm.sqlite"),
                       "SECRET_KEY_FILE": str(tmp_path / "instance" / "secret_key"), **config})


def user_store(app) -> UserStore:
    return UserStore(app.extensions["ntm_store"].revisions)


def add_user(app, name: str = "editor1", role: str = "editor", password: str = PASSWORD):
    return user_store(app).create(name, role, password, "test")


def csrf_token(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def sign_in(client, name: str = "editor1", password: str = PASSWORD, **extra):
    page = client.get("/signin")
    token = csrf_token(page.get_data(as_text=True))
    return client.post("/signin", data={"name": name, "password": password, "csrf_token": token, **extra})


def page_token(client, path: str = "/admin/") -> str:
    """A CSRF token from a signed-in page."""
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return csrf_token(response.get_data(as_text=True))
