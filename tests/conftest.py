"""Shared fixtures: the default data (built once), the real app and its test client."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data" / "ben-tre"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"reference data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def default_boundaries() -> Path:
    """The default commune layer in data/boundaries/, built if missing (as the README commands do)."""
    from geo_app.sources.boundary_build import build_default
    from geo_app.settings import DEFAULT_DATA_DIR

    path, report = build_default(DEFAULT_DATA_DIR / "boundaries")
    assert report.usable, report.to_text()
    return path


@pytest.fixture(scope="session")
def default_settings(default_boundaries):
    from geo_app.settings import DEFAULT_DATA_DIR, Settings

    return Settings.from_env({"NTM_DATA_DIR": str(DEFAULT_DATA_DIR)})


@pytest.fixture(scope="session")
def dataset(default_settings):
    from geo_app.model.dataset import load_dataset

    return load_dataset(default_settings)


@pytest.fixture(autouse=True)
def own_database(tmp_path, monkeypatch):
    """Every test's apps and CLI runs get a store and a response cache of their own (NTM_DATABASE,
    NTM_CACHE_DIR), never the project's instance/."""
    monkeypatch.setenv("NTM_DATABASE", str(tmp_path / "ntm-test.sqlite"))
    monkeypatch.setenv("NTM_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture(scope="session")
def app(default_settings, tmp_path_factory):
    from geo_app import create_app

    database = tmp_path_factory.mktemp("store") / "ntm.sqlite"
    return create_app({"TESTING": True, "SETTINGS": default_settings, "DATABASE": str(database)})


@pytest.fixture()
def client(app):
    return app.test_client()
