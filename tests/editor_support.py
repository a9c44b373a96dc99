"""Helpers for the editors' tests: an app with its own store and secret, users, signed-in clients."""
from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import pytest

from geo_app import create_app
from geo_app.store.datastore import DataStore
from geo_app.store.users import UserStore

PASSWORD = "correct horse battery"
CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


_SEEDED: dict[tuple, Path] = {}


def seeded_database(settings) -> Path:
    """A store seeded once per test run (revisions 1 and 2 from the default files), to copy for each test."""
    key = (str(settings.boundaries_dir), str(settings.status_dir))
    if key not in _SEEDED:
        folder = Path(tempfile.mkdtemp(prefix="ntm-seeded-"))
        store = DataStore(settings, folder / "ntm.sqlite")
        store.dataset()
        with store.revisions.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        store.revisions.engine.dispose()
        _SEEDED[key] = folder / "ntm.sqlite"
    return _SEEDED[key]


def make_app(settings, tmp_path: Path, **config):
    """A real app on a store of its own (a copy of a seeded one), with its secret key in tmp_path."""
    database = tmp_path / "ntm.sqlite"
    if not database.exists():
        tmp_path.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(seeded_database(settings), database)
    return create_app({"TESTING": True, "SETTINGS": settings, "DATABASE": str(database),
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


@pytest.fixture()
def app(default_settings, tmp_path):
    """The app on a store of its own, with the editor "editor1" and an upload folder (import it with `editor`)."""
    app = make_app(default_settings, tmp_path, UPLOAD_FOLDER=str(tmp_path / "uploads"))
    add_user(app)
    return app


@pytest.fixture()
def editor(app):
    """A client signed in as "editor1"."""
    client = app.test_client()
    assert sign_in(client).status_code == 302
    return client
