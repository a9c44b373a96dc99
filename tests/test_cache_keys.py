"""The shared response cache is keyed on the validated view: extra, reordered or repeated parameters share one
entry, junk never grows it, invalid values are answered 400 without caching, and only trusted hosts are kept."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

NONCE = re.compile(r"'nonce-([^']+)'")


@pytest.fixture()
def own_app(tmp_path, default_settings):
    """An app with a store (a copy of a seeded one) and a response cache of its own (so entries can be counted)."""
    from editor_support import make_app

    return make_app(default_settings, tmp_path, PAGE_CACHE_DIR=str(tmp_path / "cache"))


def entries(app) -> int:
    """Responses kept in the shared (file) cache."""
    return sum(1 for p in Path(app.config["PAGE_CACHE_DIR"]).iterdir() if not p.name.startswith("__wz"))


def without_nonce(response) -> bytes:
    match = NONCE.search(response.headers.get("Content-Security-Policy", ""))
    body = response.get_data()
    return body.replace(match.group(1).encode(), b"N") if match else body


SAME_VIEWS = {
    "/": ["/?year=2022&layer=band&lang=en", "/?lang=en&layer=band&year=2022", "/?layer=band&year=+2022&lang=en",
          "/?year=2022&layer=band&lang=en&utm_source=mail&fbclid=x&_external=1",
          "/?year=2022&year=2019&layer=band&lang=en&lang=vi", "/?year=2022&layer=band&lang=en&paper=a3&band=",
          "/?year=2022&layer=band&lang=en&title=ignored-here"],
    "/lagging": ["/lagging?year=2023&band=15_18", "/lagging?band=15_18&year=2023&whatever=1",
                 "/lagging?band=%2015_18&year=2023&lang=vi&layer=level"],
    "/api/summary.json": ["/api/summary.json?year=2022", "/api/summary.json?year=2022&callback=x&_=1712",
                          "/api/summary.json?year=02022&scale=2"],
    "/export/map.png": ["/export/map.png?year=2022&scale=1", "/export/map.png?scale=1&year=2022&x=y",
                        "/export/map.png?year=2022&header=yes&scale=1", "/export/map.png?year=2022&header=TRUE"],
}


@pytest.mark.parametrize("route", list(SAME_VIEWS))
def test_the_same_view_with_extra_or_reordered_parameters_is_one_entry(own_app, route):
    client = own_app.test_client()
    before = entries(own_app)
    responses = [client.get(url) for url in SAME_VIEWS[route]]
    assert all(r.status_code == 200 for r in responses), [r.status_code for r in responses]
    assert entries(own_app) == before + 1
    assert len({r.headers["ETag"] for r in responses}) == 1
    assert len({without_nonce(r) for r in responses}) == 1  # (links keep the first request's order)
    for r in responses:  # what the view did not read never reaches its links
        assert b"utm_source" not in r.get_data() and b"fbclid" not in r.get_data()


def test_links_of_a_shared_page_carry_the_view_only(own_app):
    client = own_app.test_client()
    text = client.get("/?lang=en&layer=band&year=+2022&junk=1&band=").get_data(as_text=True)
    assert 'href="/?layer=band&amp;year=2022"' in text  # the language switch: the view as validated, no junk


def test_junk_parameters_and_invalid_values_do_not_grow_the_cache(own_app):
    client = own_app.test_client()
    assert client.get("/?year=2022").status_code == 200
    before = entries(own_app)
    for i in range(30):
        assert client.get(f"/?year=2022&x{i}={i}&utm_{i}=y").status_code == 200
        assert client.get(f"/api/summary.json?year=2022&cb={i}").status_code == 200
    invalid = ["/?year=1800", "/?year=20x2", "/?layer=secret", "/?criterion=99", "/?district=000", "/?lang=fr",
               "/lagging?band=nope", "/api/summary.json?year=2030", "/export/map.png?scale=7", "/embed?controls=maybe",
               "/print?paper=letter", "/export/map.gif"]
    for url in invalid:
        response = client.get(url)
        assert response.status_code == 400, url
        assert response.headers["Cache-Control"] == "no-store" and "ETag" not in response.headers, url
    assert entries(own_app) == before + 1  # only the summary of 2022


def test_free_text_and_arbitrary_choices_are_answered_but_not_kept(own_app):
    client = own_app.test_client()
    client.get("/embed?year=2022")
    before = entries(own_app)
    for i in range(5):
        response = client.get(f"/embed?year=2022&title=Caption {i}")
        assert response.status_code == 200 and f"Caption {i}" in response.get_data(as_text=True)
        assert client.get(f"/targets?year=2022&whatif=all18&n={i}").status_code == 200
    assert entries(own_app) == before
    again = client.get("/embed?year=2022&title=Caption 3")
    etag = again.headers["ETag"]
    assert client.get("/embed?year=2022&title=Caption 3", headers={"If-None-Match": etag}).status_code == 304


def test_only_trusted_hosts_are_kept_and_no_host_gets_another_hosts_page(own_app):
    client = own_app.test_client()
    ours = client.get("/?year=2022")  # Host: localhost (this machine, the server's port)
    before = entries(own_app)
    spoofed = [client.get("/?year=2022", headers={"Host": f"localhost:{port}"}) for port in (1, 2, 3, 4444)]
    assert entries(own_app) == before  # other ports of this machine: answered, never kept
    for port, response in zip((1, 2, 3, 4444), spoofed):
        text = response.get_data(as_text=True)
        assert f"//localhost:{port}/embed" in text and "//localhost/embed" not in text
    assert "//localhost/embed" in ours.get_data(as_text=True)
    for host in ("evil.example", "a.evil.example", "203.0.113.9:81"):  # not shown (relative links): one entry
        response = client.get("/?year=2022", headers={"Host": host})
        assert response.status_code == 200 and host not in response.get_data(as_text=True)
    assert entries(own_app) == before + 1


def test_trusted_hosts_setting_keeps_listed_names_only(tmp_path, default_settings):
    from editor_support import make_app

    app = make_app(default_settings, tmp_path, PAGE_CACHE_DIR=str(tmp_path / "cache"),
                   TRUSTED_HOSTS=["ntm.example.gov.vn", ".example.org"])
    client = app.test_client()
    client.get("/gaps?year=2022", headers={"Host": "ntm.example.gov.vn"})
    before = entries(app)
    for sub in ("a", "b", "c"):  # any subdomain of a '.suffix' entry is allowed but not kept
        response = client.get("/?year=2022", headers={"Host": f"{sub}.example.org"})
        assert response.status_code == 200 and f"//{sub}.example.org/embed" in response.get_data(as_text=True)
    assert entries(app) == before
    assert client.get("/?year=2022", headers={"Host": "ntm.example.gov.vn"}).status_code == 200
    assert entries(app) == before + 1
    assert client.get("/?year=2022", headers={"Host": "evil.example"}).status_code == 400  # Flask's own check


def test_a_new_data_revision_gives_new_entries_and_content(own_app, tmp_path, default_settings):
    from geo_app.store.importing import import_status
    from geo_app.store.revisions import RevisionStore

    client = own_app.test_client()
    url = "/api/summary.json?year=2022"
    before = client.get(url)
    count = entries(own_app)
    assert client.get(url + "&junk=1").headers["ETag"] == before.headers["ETag"]
    lines = default_settings.commune_status_path().read_text("utf-8").splitlines(keepends=True)
    victim = next(i for i, line in enumerate(lines[1:], 1) if ",2022," in line and re.search(r",1,ntm,\d*,", line))
    lines[victim] = re.sub(r",1,ntm,\d*,", ",0,chua_dat,,", lines[victim], count=1)
    changed = tmp_path / "status-2022.csv"
    changed.write_text("".join(line for i, line in enumerate(lines) if i == 0 or ",2022," in line), "utf-8")
    # Imported through a connection of its own (as another process would), not the app's.
    other = RevisionStore.open(own_app.config["DATABASE"])
    assert import_status(other, changed, "test", "one NTM xã less", year=2022).ok
    after = client.get(url + "&junk=2")
    assert after.headers["ETag"] != before.headers["ETag"]
    assert after.get_json()["province"]["xa_ntm"] == before.get_json()["province"]["xa_ntm"] - 1
    assert entries(own_app) == count + 1
    assert client.get(url).headers["ETag"] == after.headers["ETag"]


def test_heads_are_read_again_only_when_the_database_changed(own_app, monkeypatch):
    from geo_app.store.revisions import RevisionStore

    client = own_app.test_client()
    client.get("/gaps?year=2022")
    reads = []
    real = RevisionStore.heads
    monkeypatch.setattr(RevisionStore, "heads", lambda self, conn=None: (conn is None and reads.append(1)) or real(self, conn))
    for _ in range(5):
        assert client.get("/gaps?year=2022").status_code == 200
    assert reads == []  # cached pages need no query of the revisions
    store = own_app.extensions["ntm_store"]
    other = RevisionStore.open(own_app.config["DATABASE"])
    other.audit("test", "someone")  # any commit by another connection: the heads are read once more
    store.heads()
    store.heads()
    assert len(reads) == 1


def test_lagging_ranking_is_computed_once_per_data_revision_for_every_worker(own_app, tmp_path, monkeypatch):
    from geo_app import create_app
    from geo_app.model import planning

    first = own_app.test_client().get("/lagging?year=2022")
    assert first.status_code == 200

    def refuse(*args, **kwargs):
        raise AssertionError("ranked again")

    with monkeypatch.context() as m:
        m.setattr(planning, "_rank", refuse)
        worker = create_app({"TESTING": True, "SETTINGS": own_app.config["SETTINGS"],
                             "DATABASE": own_app.config["DATABASE"], "PAGE_CACHE_DIR": str(tmp_path / "other")})
        client = worker.test_client()
        for query in ("", "&band=15_18", "&district=831", "&criterion=17", "&lang=en"):  # page-cache misses
            assert client.get(f"/lagging?year=2022{query}").status_code == 200
        assert client.get("/lagging.csv?year=2022&band=lt10").status_code == 200
    filtered = client.get("/lagging.csv?year=2022&district=831").get_data(as_text=True).splitlines()[1:]
    positions = [line.split(",")[0] for line in filtered]
    assert positions == [str(i) for i in range(1, len(filtered) + 1)]  # filtered rows are numbered 1..n


def test_export_all_districts_is_made_once_per_data_revision_and_parameters(own_app, tmp_path, monkeypatch,
                                                                            default_settings):
    from geo_app.cli.export import export_command
    from geo_app.render import static
    from geo_app.store.importing import import_status

    def run(*args):  # drawn in this process (--jobs 1), where the renders are counted
        result = own_app.test_cli_runner().invoke(export_command, ["--jobs", "1", *map(str, args)])
        assert result.exit_code == 0, result.output

    run("--format", "svg", "--year", "2022", "--all-districts", "-o", tmp_path / "first")
    first = {p.name: p.read_bytes() for p in (tmp_path / "first").iterdir()}
    assert len(first) == 9
    real = static.render
    with monkeypatch.context() as m:
        m.setattr(static, "render", lambda *a, **k: pytest.fail("rendered again"))
        run("--format", "svg", "--year", "2022", "--all-districts", "-o", tmp_path / "again")
    assert {p.name: p.read_bytes() for p in (tmp_path / "again").iterdir()} == first
    calls = []
    monkeypatch.setattr(static, "render", lambda *a, **k: calls.append(a) or real(*a, **k))
    run("--format", "svg", "--year", "2022", "--lang", "en", "--all-districts", "-o", tmp_path / "english")
    assert len(calls) == 9  # other parameters: made (once)
    changed = tmp_path / "status.csv"
    lines = default_settings.commune_status_path().read_text("utf-8").splitlines(keepends=True)
    changed.write_text("".join(line for i, line in enumerate(lines) if i == 0 or ",2022," in line), "utf-8")
    assert import_status(own_app.extensions["ntm_store"].revisions, changed, "test", "same rows, new revision",
                         year=2022).ok
    run("--format", "svg", "--year", "2022", "--all-districts", "-o", tmp_path / "new-revision")
    assert len(calls) == 18  # a new data revision: made again
