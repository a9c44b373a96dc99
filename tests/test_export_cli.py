"""`flask --app app export`: every format writes a file; --all-districts one per district; bad options exit 2."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from geo_app.cli.export import export_command
from geo_app.domain.units import DISTRICTS


def run(app, *args):
    return app.test_cli_runner().invoke(export_command, [str(a) for a in args])


@pytest.mark.parametrize("fmt, check", [
    ("png", lambda b: Image.open(io.BytesIO(b)).size == (1920, 1080)),
    ("svg", lambda b: b.lstrip().startswith(b"<?xml") and b"<svg" in b[:1000]),
    ("pdf", lambda b: b.startswith(b"%PDF")),
    ("html", lambda b: b.lower().startswith(b"<!doctype html") and b"data:text/javascript;base64," in b),
    ("pptx", lambda b: "ppt/presentation.xml" in zipfile.ZipFile(io.BytesIO(b)).namelist()),
])
def test_each_format_writes_a_file(app, tmp_path, fmt, check):
    out = tmp_path / f"map.{fmt}"
    result = run(app, "--format", fmt, "--year", "2022", "-o", out)
    assert result.exit_code == 0, result.output
    assert out.is_file() and check(out.read_bytes())
    assert str(out) in result.output


def test_a_missing_folder_is_made_as_for_all_districts(app, tmp_path):
    """`export -o ../ex/map.png` failed when ../ex did not exist, while --all-districts made its folder."""
    out = tmp_path / "ex" / "2022" / "map.pdf"
    result = run(app, "--format", "pdf", "--year", "2022", "-o", out)
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")
    (tmp_path / "a-file").write_text("x")
    blocked = run(app, "--format", "pdf", "--year", "2022", "-o", tmp_path / "a-file" / "map.pdf")
    assert blocked.exit_code == 2 and "cannot be made" in blocked.output


def test_view_options_select_the_view(app, tmp_path):
    out = tmp_path / "c.svg"
    result = run(app, "--format", "svg", "--layer", "criterion", "--criterion", "17", "--district", "832",
                 "--lang", "en", "-o", out)
    assert result.exit_code == 0, result.output
    text = out.read_text("utf-8")
    assert "<title>Criterion 17: Environment and food safety — Huyện Chợ Lách, " in text


def test_png_scale_2(app, tmp_path):
    out = tmp_path / "big.png"
    assert run(app, "--format", "png", "--scale", "2", "-o", out).exit_code == 0
    assert Image.open(out).size == (3840, 2160)


def test_all_districts_writes_one_file_per_district(app, tmp_path):
    folder = tmp_path / "districts"
    result = run(app, "--format", "png", "--year", "2023", "--layer", "band", "--all-districts", "-o", folder)
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in folder.iterdir())
    assert files == sorted(f"ntm-ben-tre-2023-band-{code}.png" for code in DISTRICTS)
    assert len(files) == 9
    assert "Wrote 9 files" in result.output


@pytest.mark.parametrize("args, words", [
    (["--format", "png", "--year", "1999"], ["--year", "1999", "2021"]),
    (["--format", "png", "--year", "soon"], ["--year", "whole number"]),
    (["--format", "png", "--layer", "heat"], ["--layer", "heat", "band"]),
    (["--format", "png", "--layer", "criterion", "--criterion", "25"], ["--criterion", "1 to 19"]),
    (["--format", "png", "--district", "999"], ["--district", "999", "832"]),
    (["--format", "png", "--lang", "fr"], ["--lang", "'vi' or 'en'"]),
    (["--format", "gif"], ["--format", "gif"]),
    (["--format", "png", "--scale", "9"], ["--scale"]),
    (["--format", "png", "--all-districts", "--district", "832"], ["--all-districts", "--district"]),
    (["--format", "pptx", "--all-districts"], ["pptx", "one slide per district"]),
])
def test_bad_options_exit_2_with_a_clear_message(app, tmp_path, args, words):
    out = tmp_path / ("d" if "--all-districts" in args else f"map.{args[1]}")
    result = run(app, *args, "-o", out)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "Error:" in result.output
    for word in words:
        assert word in result.output
    assert not out.exists()


def test_bad_output_paths_exit_2(app, tmp_path):
    wrong_suffix = run(app, "--format", "pdf", "-o", tmp_path / "map.png")
    assert wrong_suffix.exit_code == 2 and "does not end in .pdf" in wrong_suffix.output
    folder = run(app, "--format", "pdf", "-o", tmp_path)
    assert folder.exit_code == 2 and "is a folder" in folder.output
    (tmp_path / "file.txt").write_text("x")
    batch_to_file = run(app, "--format", "png", "--all-districts", "-o", tmp_path / "file.txt")
    assert batch_to_file.exit_code == 2 and "give a folder" in batch_to_file.output
    missing_o = run(app, "--format", "png")
    assert missing_o.exit_code == 2 and "-o" in missing_o.output


def test_export_files_live_beside_the_page_cache_so_pruning_pages_never_meets_a_folder(default_settings, tmp_path,
                                                                                       caplog):
    import logging

    from geo_app import create_app

    pages = tmp_path / "cache"
    app = create_app({"TESTING": True, "SETTINGS": default_settings, "PAGE_CACHE_DIR": str(pages),
                      "PAGE_CACHE_THRESHOLD": 3})
    assert run(app, "--format", "png", "--year", "2022", "-o", tmp_path / "a.png").exit_code == 0
    assert any((tmp_path / "cache-exports").iterdir()) and not any(p.is_dir() for p in pages.iterdir())
    client = app.test_client()
    with caplog.at_level(logging.WARNING):
        for year in (2021, 2022, 2023, 2024):  # more pages than the threshold: the cache prunes
            for layer in ("level", "band"):
                assert client.get(f"/?year={year}&layer={layer}").status_code == 200
    assert not [r for r in caplog.records if "cache file" in r.getMessage()]


def test_an_export_folder_left_in_the_page_cache_by_an_earlier_version_is_removed(default_settings, tmp_path,
                                                                                   caplog):
    import logging

    from geo_app import create_app

    pages = tmp_path / "cache"
    (pages / "exports").mkdir(parents=True)  # where earlier versions kept `flask export` files
    (pages / "exports" / "0123abcd").write_bytes(b"old export")
    app = create_app({"TESTING": True, "SETTINGS": default_settings, "PAGE_CACHE_DIR": str(pages),
                      "PAGE_CACHE_THRESHOLD": 3})
    assert not (pages / "exports").exists()
    client = app.test_client()
    with caplog.at_level(logging.WARNING):
        for year in (2021, 2022, 2023, 2024):  # more pages than the threshold: the cache prunes
            assert client.get(f"/?year={year}").status_code == 200
    assert not [r for r in caplog.records if "cache file" in r.getMessage()]


NOT_NEEDED_TO_COPY = ("matplotlib", "folium", "openpyxl", "pptx", "alembic",  # drawing, migrating
                      "geopandas", "pandas", "numpy", "shapely", "pyproj")  # loading the data


def _flask_export(tmp_path, env, *args) -> set[str]:
    """`flask --app app export ...` in a new process (as a user runs it); which of NOT_NEEDED_TO_COPY it imported."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    command = [sys.executable, "-X", "importtime", "-m", "flask", "--app", "app", "export", *map(str, args)]
    done = subprocess.run(command, cwd=root, env={**os.environ, **env, "PYTHONPATH": str(root)}, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    return {name for name in NOT_NEEDED_TO_COPY if name in imported}


def test_all_districts_again_copies_the_same_files_without_loading_the_drawing_libraries(default_settings, tmp_path):
    """A second `--all-districts` run of the same view and data copies the kept files: same bytes, and the process
    never imports matplotlib, folium, openpyxl or python-pptx (what made a repeat run slow), nor geopandas, pandas,
    numpy, shapely or pyproj (the data is not loaded: half a second of every start); a new data revision
    draws new files. (The store is current: opening it does not load Alembic either.)"""
    import shutil

    from editor_support import seeded_database
    from geo_app.store.importing import import_status
    from geo_app.store.revisions import RevisionStore

    database = tmp_path / "ntm.sqlite"
    shutil.copyfile(seeded_database(default_settings), database)
    env = {"NTM_DATABASE": str(database), "NTM_CACHE_DIR": str(tmp_path / "cache")}
    args = ("--format", "png", "--year", "2022", "--all-districts", "-o")
    assert {"matplotlib", "geopandas", "pandas"} <= _flask_export(tmp_path, env, *args, tmp_path / "first")
    first = {p.name: p.read_bytes() for p in (tmp_path / "first").iterdir()}
    assert len(first) == len(DISTRICTS)

    assert _flask_export(tmp_path, env, *args, tmp_path / "again") == set()
    assert {p.name: p.read_bytes() for p in (tmp_path / "again").iterdir()} == first

    lines = default_settings.commune_status_path().read_text("utf-8").splitlines(keepends=True)
    changed = tmp_path / "status.csv"  # 2022's rows again: a new data revision (drawn again, not copied)
    rows = [line for i, line in enumerate(lines) if i == 0 or ",2022," in line]
    changed.write_text("".join(rows), "utf-8")
    store = RevisionStore.open(database)
    assert import_status(store, changed, "test", "same rows, new revision", year=2022).ok
    store.engine.dispose()
    assert "matplotlib" in _flask_export(tmp_path, env, *args, tmp_path / "new-revision")
    assert len(list((tmp_path / "new-revision").iterdir())) == len(DISTRICTS)


@pytest.mark.parametrize("fmt", ["png", "pdf"])
def test_all_districts_drawn_by_several_processes_are_the_files_one_process_draws(default_settings, tmp_path,
                                                                                     monkeypatch, fmt):
    """--jobs 2 forks two drawing processes (after the year's frames, the format's libraries and the kept text work
    are made ready): the same nine files, byte for byte, as drawn one after another, and kept like them (a run
    again copies them)."""
    from editor_support import make_app
    from geo_app.render import static

    args = ("--format", fmt, "--year", "2023", "--layer", "band", "--all-districts")
    apps, files = {}, {}
    for jobs in (1, 2):  # each with a store copy and an export cache of its own: drawn, not copied
        apps[jobs] = make_app(default_settings, tmp_path / f"jobs-{jobs}", PAGE_CACHE_DIR=str(tmp_path / f"c{jobs}"))
        result = run(apps[jobs], *args, "--jobs", jobs, "-o", tmp_path / f"files-{jobs}")
        assert result.exit_code == 0, result.output
        files[jobs] = {p.name: p.read_bytes() for p in (tmp_path / f"files-{jobs}").iterdir()}
    assert len(files[1]) == len(DISTRICTS)
    assert files[2] == files[1]
    monkeypatch.setattr(static, "render", lambda *a, **k: pytest.fail("drawn again"))
    again = run(apps[2], *args, "--jobs", 2, "-o", tmp_path / "again")
    assert again.exit_code == 0, again.output
    assert {p.name: p.read_bytes() for p in (tmp_path / "again").iterdir()} == files[1]


def test_the_export_process_exits_without_the_collector_walking_what_it_loaded(app, tmp_path, monkeypatch):
    """`flask export` registers gc.freeze to run at exit (before the interpreter's last collections, which walked
    every object pandas, geopandas and matplotlib made); the file is written all the same."""
    import atexit
    import gc

    registered = []
    monkeypatch.setattr(atexit, "register", lambda fn, *a, **k: registered.append(fn) or fn)
    result = run(app, "--format", "svg", "-o", tmp_path / "map.svg")
    assert result.exit_code == 0, result.output
    assert gc.freeze in registered
    assert (tmp_path / "map.svg").read_bytes().startswith(b"<?xml")
