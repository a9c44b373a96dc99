"""The hostile import corpus (tests/hostile_inputs.py) through `flask --app app import …`: every file is
refused with exit 1 and a clear message, and the store is left exactly as it was."""
from __future__ import annotations

import pytest

from geo_app import create_app
from hostile_inputs import HOSTILE_INPUTS
from test_store import db_fingerprint


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, default_settings):
    database = tmp_path_factory.mktemp("hostile-store") / "store.sqlite"
    app = create_app({"TESTING": True, "SETTINGS": default_settings, "DATABASE": str(database)})
    app.extensions["ntm_store"].seed()
    return app, database


@pytest.mark.parametrize("case_id, kind, build, fragment", HOSTILE_INPUTS, ids=[c[0] for c in HOSTILE_INPUTS])
def test_hostile_import_is_refused_and_changes_nothing(seeded, tmp_path, case_id, kind, build, fragment):
    app, database = seeded
    before = db_fingerprint(database)
    heads = app.extensions["ntm_store"].revisions.heads()
    path = build(tmp_path)
    result = app.test_cli_runner().invoke(args=["import", kind, str(path)])
    assert result.exit_code == 1, (case_id, result.output)
    assert fragment.lower() in result.output.lower(), (case_id, result.output)
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    assert "the store is unchanged" in result.output
    assert db_fingerprint(database) == before
    assert app.extensions["ntm_store"].revisions.heads() == heads
