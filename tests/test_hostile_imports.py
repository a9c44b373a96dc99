"""Hostile or broken import files (the corpus in hostile_inputs.py): each is refused with a clear message.

Each entry says what it exercises; `flask --app app data check FILE` must exit 1, name the problem and print no
traceback. The same corpus is meant for `flask --app app import ...`, which must leave the store unchanged.
"""
from __future__ import annotations

import pytest

from geo_app.cli.data import data_cli
from hostile_inputs import HOSTILE_INPUTS


def test_the_corpus_is_large_and_names_are_unique():
    ids = [entry[0] for entry in HOSTILE_INPUTS]
    assert len(ids) >= 30 and len(set(ids)) == len(ids)
    assert {entry[1] for entry in HOSTILE_INPUTS} == {"boundaries", "status"}


@pytest.mark.parametrize("name,kind,build,expected", HOSTILE_INPUTS, ids=[e[0] for e in HOSTILE_INPUTS])
def test_data_check_refuses_it_clearly(app, tmp_path, name, kind, build, expected):
    work = tmp_path / "in"
    work.mkdir()
    path = build(work)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    result = app.test_cli_runner().invoke(data_cli, ["check", str(path)])
    assert isinstance(result.exception, SystemExit) and result.exit_code == 1, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    assert expected in result.output, result.output
    assert "NOT usable" in result.output or "ERROR" in result.output
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before  # nothing unpacked beside it
