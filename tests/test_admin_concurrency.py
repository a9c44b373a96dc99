"""Two editors committing at once against one SQLite file: two revisions in order, or one clear refusal, never a
mixed state (issue 8)."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from admin_fixtures import YEAR, promotable, promotion_csv
from editor_support import add_user, make_app, sign_in
from test_admin_workflow import commit, upload, upload_id

ROOT = Path(__file__).resolve().parents[1]


def levels(app, codes: list[str], revision: int | None = None) -> set[str]:
    store = app.extensions["ntm_store"].revisions
    rev = store.revision(revision) if revision else store.heads()["status"]
    communes, _ = store.status(rev["data_revision"])
    rows = communes[(communes["year"] == YEAR) & communes["ward_code"].isin(codes)]
    assert len(rows) == len(codes)
    return set(rows["level"])


def test_two_editors_in_two_workers_commit_at_once_one_is_refused(default_settings, tmp_path):
    config = {"UPLOAD_FOLDER": str(tmp_path / "uploads")}
    worker_a = make_app(default_settings, tmp_path, **config)  # two apps: two engines, like two processes
    worker_b = make_app(default_settings, tmp_path, **config)
    add_user(worker_a, "lan")
    add_user(worker_a, "minh")
    first, second = promotable(6)[:3], promotable(6)[3:]
    lan, minh = worker_a.test_client(), worker_b.test_client()
    sign_in(lan, "lan")
    sign_in(minh, "minh")
    base = worker_a.extensions["ntm_store"].revisions.heads()["status"]["id"]
    uid_a = upload_id(upload(lan, promotion_csv(first), "lan.csv"))
    uid_b = upload_id(upload(minh, promotion_csv(second), "minh.csv"))
    barrier = threading.Barrier(2)
    results: dict[str, int] = {}

    def run(name, client, uid):
        page_ready = client.get(f"/admin/preview/{uid}")  # both previews compare against the same revision
        assert page_ready.status_code == 200
        barrier.wait()
        results[name] = commit(client, uid, note=f"by {name}").status_code

    threads = [threading.Thread(target=run, args=("lan", lan, uid_a)),
               threading.Thread(target=run, args=("minh", minh, uid_b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert sorted(results.values()) == [302, 409], results
    store = worker_a.extensions["ntm_store"].revisions
    head = store.heads()["status"]
    assert head["id"] == base + 1  # exactly one new revision
    winner = head["user"]
    won, lost = (first, second) if winner == "lan" else (second, first)
    assert levels(worker_a, won) == {"ntm"} and levels(worker_a, lost) == {"chua_dat"}  # never a mix
    refused = store.audit_entries("commit_refused")
    assert len(refused) == 1 and refused[0]["user"] != winner
    # the refused editor looks again and commits on top: two revisions, in order
    loser_client, loser_uid = (minh, uid_b) if winner == "lan" else (lan, uid_a)
    assert commit(loser_client, loser_uid).status_code == 302
    assert store.heads()["status"]["id"] == base + 2
    assert levels(worker_a, first + second) == {"ntm"}
    assert levels(worker_a, won, base + 1) == {"ntm"} and levels(worker_a, lost, base + 1) == {"chua_dat"}


def test_two_imports_in_two_processes_make_two_whole_revisions_in_order(default_settings, tmp_path):
    app = make_app(default_settings, tmp_path)
    store = app.extensions["ntm_store"]
    store.dataset()  # seeded before the race
    base = store.revisions.heads()["status"]["id"]
    first, second = promotable(6)[:3], promotable(6)[3:]
    files = []
    for name, codes in (("a.csv", first), ("b.csv", second)):
        path = tmp_path / name
        path.write_bytes(promotion_csv(codes))
        files.append(path)
    env = {**os.environ, "NTM_DATABASE": str(tmp_path / "ntm.sqlite"), "NTM_SECRET_KEY_FILE": str(tmp_path / "k")}
    procs = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "import", "status", str(f), "--note",
                               f.name], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for f in files]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    revs = [r for r in store.revisions.list_revisions("status") if r["id"] > base]
    assert sorted(r["id"] for r in revs) == [base + 1, base + 2]
    one, two = sorted(revs, key=lambda r: r["id"])
    one_codes = first if one["note"] == "a.csv" else second
    other_codes = second if one_codes is first else first
    assert levels(app, one_codes, one["id"]) == {"ntm"} and levels(app, other_codes, one["id"]) == {"chua_dat"}
    assert levels(app, first + second, two["id"]) == {"ntm"}
