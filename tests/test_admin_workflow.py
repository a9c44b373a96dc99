"""/admin workflow through the real app: upload -> preview -> commit or discard, revisions, diff, rollback,
the audit log, and the public pages' revision line (issue 8)."""
from __future__ import annotations

import csv
import datetime as dt
import http.client
import html
import html as html_module
import io
import json
import re
from urllib.parse import urlsplit

import pytest

from admin_fixtures import XSS, YEAR, promotable, promotion_csv
from browser_support import serve
from editor_support import add_user, app, csrf_token, editor, make_app, page_token, sign_in  # noqa: F401  (fixtures)


def revisions(app):
    return app.extensions["ntm_store"].revisions


def upload(client, data: bytes, name: str = "bao-cao-2024.csv", kind: str = "status", token: str | None = None):
    token = token if token is not None else page_token(client)
    return client.post(f"/admin/upload/{kind}", data={"csrf_token": token, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def upload_id(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    match = re.search(r"/admin/preview/([A-Za-z0-9_-]+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


def commit(client, uid: str, note: str = "Báo cáo 123/BC-VPĐP ngày 15/12/2024"):
    page = client.get(f"/admin/preview/{uid}")
    html = page.get_data(as_text=True)
    base = re.search(r'name="base" type="hidden" value="(\d+)"', html).group(1)
    return client.post(f"/admin/preview/{uid}/commit", data={"csrf_token": csrf_token(html), "note": note,
                                                              "base": base})


def ntm_count(client) -> int:
    return client.get(f"/api/summary.json?year={YEAR}").get_json()["province"]["xa_ntm"]


def level_of(client, code: str) -> str:
    fc = client.get(f"/api/communes.geojson?year={YEAR}").get_json()
    return next(f["properties"]["level"] for f in fc["features"] if f["properties"]["ward_code"] == code)


def targets_text(client) -> str:
    html = client.get("/targets").get_data(as_text=True)
    html = re.sub(r'nonce="[^"]+"', "", html)
    main = html[html.index("<main"):html.index("</main>")]
    return main


def upload_files(tmp_path) -> list:
    folder = tmp_path / "uploads"
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_upload_preview_commit_changes_public_pages_and_rollback_restores(app, editor, tmp_path):
    public = app.test_client()
    codes = promotable(4)
    before_count, before_targets = ntm_count(public), targets_text(public)
    assert all(level_of(public, c) == "chua_dat" for c in codes)
    head = revisions(app).heads()["status"]["id"]
    uid = upload_id(upload(editor, promotion_csv(codes)))
    page = editor.get(f"/admin/preview/{uid}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "bao-cao-2024.csv" in html and "4 đổi mức đạt" in html
    for code in codes:
        assert f'<tr data-ward-code="{code}">' in html
    assert html.count('class="folium-map ntm-map') == 2  # current map beside the result
    # Leaflet, its style sheet and the first-frame watch once for the two maps (the second map's are left out).
    assert html.count("/leaflet.") == 2 and html.count("NTM_FRAMED = false") == 1
    assert revisions(app).heads()["status"]["id"] == head  # nothing committed by a preview
    assert ntm_count(public) == before_count
    done = commit(editor, uid)
    assert done.status_code == 302 and "/admin/revisions" in done.headers["Location"]
    new_head = revisions(app).heads()["status"]
    assert new_head["id"] > head and new_head["note"] == "Báo cáo 123/BC-VPĐP ngày 15/12/2024"
    assert new_head["user"] == "editor1" and new_head["file_name"] == "bao-cao-2024.csv"
    assert len(new_head["sha256"]) == 64
    assert ntm_count(public) == before_count + 4
    assert all(level_of(public, c) == "ntm" for c in codes)
    assert targets_text(public) != before_targets
    footer = public.get("/").get_data(as_text=True)
    assert f"bản {new_head['id']}" in footer
    assert upload_files(tmp_path) == []  # the uploaded file is not kept once committed
    listing = editor.get("/admin/revisions").get_data(as_text=True)
    assert "Báo cáo 123/BC-VPĐP ngày 15/12/2024" in listing and new_head["sha256"][:16] in listing
    diff = editor.get(f"/admin/revisions/diff?a={head}&b={new_head['id']}").get_data(as_text=True)
    assert all(f'<tr data-ward-code="{c}">' in diff for c in codes)
    confirm = editor.get(f"/admin/revisions/{head}/rollback")
    assert confirm.status_code == 200 and revisions(app).heads()["status"]["id"] == new_head["id"]
    rolled = editor.post(f"/admin/revisions/{head}/rollback",
                         data={"csrf_token": csrf_token(confirm.get_data(as_text=True)), "note": "sai số liệu"})
    assert rolled.status_code == 302
    assert revisions(app).heads()["status"]["rollback_of"] == head
    assert ntm_count(public) == before_count
    assert all(level_of(public, c) == "chua_dat" for c in codes)
    assert targets_text(public) == before_targets
    actions = [e["action"] for e in revisions(app).audit_entries()]
    assert {"upload", "commit", "rollback", "login"} <= set(actions)
    # Every write names the client's address in the log, commits and rollbacks too (they had none).
    newest = {e["action"]: e["address"] for e in reversed(revisions(app).audit_entries())}
    assert [newest[a] for a in ("upload", "commit", "rollback")] == ["127.0.0.1"] * 3


def test_commit_needs_a_note_and_discard_keeps_nothing(app, editor, tmp_path):
    head = revisions(app).heads()["status"]["id"]
    uid = upload_id(upload(editor, promotion_csv(promotable(2))))
    assert upload_files(tmp_path)
    refused = commit(editor, uid, note="")
    assert refused.status_code == 400 and "Cần ghi chú" in refused.get_data(as_text=True)
    assert revisions(app).heads()["status"]["id"] == head
    token = page_token(editor, f"/admin/preview/{uid}")
    assert editor.post(f"/admin/preview/{uid}/discard", data={"csrf_token": token}).status_code == 302
    assert upload_files(tmp_path) == []
    assert editor.get(f"/admin/preview/{uid}").status_code == 404
    assert commit_after_discard(editor, uid, token).status_code == 409
    assert revisions(app).heads()["status"]["id"] == head
    assert revisions(app).audit_entries("discard")


def commit_after_discard(client, uid, token):
    return client.post(f"/admin/preview/{uid}/commit", data={"csrf_token": token, "note": "late", "base": "1"})


def test_unusable_file_shows_why_and_cannot_be_committed(app, editor):
    bad = promotion_csv(promotable(1)).replace(b",ntm,", b",ntm nang cao sieu cap,", 1)
    uid = upload_id(upload(editor, bad, "sai.csv"))
    html = editor.get(f"/admin/preview/{uid}").get_data(as_text=True)
    assert 'id="not-usable"' in html and "sai.csv, dòng 2" in html and 'id="commit-form"' not in html
    english = editor.get(f"/admin/preview/{uid}?lang=en").get_data(as_text=True)
    assert "sai.csv, row 2" in english and "dòng 2" not in english


def test_the_previews_counts_say_what_they_count(app, editor):
    """A commune whose level changed (its criteria the same) was counted as "with changed criteria", and a file
    with one bad row said "0 rows read, 135 matched"."""
    codes = promotable(2)
    assert commit(editor, upload_id(upload(editor, promotion_csv(codes)))).status_code == 302
    level_only = promotion_csv(codes[:1]).replace(b",ntm,", b",nang_cao,", 1)  # the same 19 criteria, a new level
    preview = f"/admin/preview/{upload_id(upload(editor, level_only))}"
    page = editor.get(preview).get_data(as_text=True)
    assert "1 đổi mức đạt; 1 xã-năm thay đổi mức đạt hoặc tiêu chí;" in page
    english = editor.get(preview + "?lang=en").get_data(as_text=True)  # it read "1 commune-years"
    assert "1 changed level; 1 commune-year with a changed level or criteria;" in english
    from geo_app.views.admin import counted_change
    assert counted_change("commune_years", 1234, "en") == "1,234 commune-years with a changed level or criteria"
    assert counted_change("levels", 2, "en") == "2 changed levels"
    assert counted_change("commune_years", 1234, "vi") == "1.234 xã-năm thay đổi mức đạt hoặc tiêu chí"
    bad = promotion_csv(promotable(4)).replace(b",ntm,", b",ntm nang cao sieu cap,", 1)
    page = editor.get(f"/admin/preview/{upload_id(upload(editor, bad, 'sai.csv'))}").get_data(as_text=True)
    assert "4 dòng/đối tượng đọc được, 3 khớp mã" in page  # the bad row is read, not matched


def test_a_clean_files_preview_says_there_is_nothing_to_fix(app, editor):
    """For a clean CSV the heading "How the file was read" stood over nothing: an officer may think a part failed
    to load. It says there is nothing to fix; a file with problems lists them instead."""
    clean = editor.get(f"/admin/preview/{upload_id(upload(editor, promotion_csv(promotable(2))))}")
    assert "Không có gì cần sửa: mọi dòng đều đọc được" in clean.get_data(as_text=True)
    bad = promotion_csv(promotable(4)).replace(b",ntm,", b",ntm nang cao sieu cap,", 1)
    page = editor.get(f"/admin/preview/{upload_id(upload(editor, bad, 'sai.csv'))}?lang=en").get_data(as_text=True)
    assert 'id="report-errors"' in page and "Nothing to fix" not in page


def preview_bounds(page: str) -> list:
    """The bounds each of the preview's maps first shows ([[south, west], [north, east]])."""
    ids = re.findall(r'NTM\.mount\(\w+, "([\w-]+)"\);', page)
    docs = [json.loads(re.search(r'<script\b[^>]*\bid="' + re.escape(i) + r'"[^>]*>(.*?)</script>', page, re.S).group(1))
            for i in ids]
    return [d["config"]["bounds"] for d in docs]


def test_the_previews_maps_open_on_the_changed_communes(app, editor):
    """One commune changed was a small outline under a pilot's star in two maps of the whole province, on a phone
    hard to find. When few communes change, both maps open on them and their surroundings."""
    province = preview_bounds(editor.get(f"/admin/preview/{upload_id(upload(editor, promotion_csv(promotable(40))))}")
                              .get_data(as_text=True))
    assert len(province) == 2 and province[0] == province[1]  # many changes: the whole province, as before
    (south, west), (north, east) = province[0]
    assert east - west > 0.7  # Bến Tre is about 0.9° wide
    codes = promotable(1)
    focused = preview_bounds(editor.get(f"/admin/preview/{upload_id(upload(editor, promotion_csv(codes)))}")
                             .get_data(as_text=True))
    assert len(focused) == 2 and focused[0] == focused[1]
    (fs, fw), (fn, fe) = focused[0]
    assert fe - fw < (east - west) / 3 and fn - fs < (north - south) / 3
    commune = revisions(app).boundaries(revisions(app).heads()["boundaries"]["data_revision"])
    cw, cs, ce, cn = commune[commune["ward_code"] == codes[0]].total_bounds
    assert fw < cw and fs < cs and ce < fe and cn < fn  # the commune with room around it


@pytest.mark.parametrize("fmt,lang", [("csv", ""), ("csv", "en"), ("xlsx", "")])
def test_the_maps_data_download_is_named_as_such_when_uploaded(app, editor, fmt, lang):
    """A new editor downloaded the map's CSV, changed a level and uploaded it: they were told of missing columns
    ('year', 'provenance', c1..c19), one of which the file had under another name. The upload page now says what
    it takes and links the blank workbook; the download itself is named for what it is."""
    index = editor.get("/admin/").get_data(as_text=True)
    assert "Bảng mẫu trống để điền, có sẵn mã và tên các xã (template.xlsx)" in index
    assert editor.get(re.search(r'<a href="([^"]+)" download>Bảng mẫu', index).group(1)).status_code == 200
    download = editor.get(f"/data.{fmt}?year=2024&lang={lang}").get_data()
    page = editor.get(f"/admin/preview/{upload_id(upload(editor, download, 'so-lieu.' + fmt))}?lang=en")
    text = html.unescape(page.get_data(as_text=True))
    header_row = 2 if fmt == "xlsx" else 1  # below the workbook's title
    assert f"so-lieu.{fmt}, row {header_row}: this is the map's data download, for reading" in text
    assert "missing column" not in text and "no district" not in text
    assert 'id="commit-form"' not in text


def test_a_file_its_preview_refuses_is_logged_as_rejected_once_and_marked_in_the_list(app, editor):
    """Files that failed their preview were logged only as "uploaded" and listed as waiting like any other."""
    bad = promotion_csv(promotable(2)).replace(b",ntm,", b",ntm nang cao sieu cap,", 1)
    uid = upload_id(upload(editor, bad, "sai.csv"))
    good = upload_id(upload(editor, promotion_csv(promotable(1)), "dung.csv"))
    for _ in range(2):
        assert editor.get(f"/admin/preview/{uid}").status_code == 200
    assert editor.get(f"/admin/preview/{good}").status_code == 200
    rejected = [e for e in revisions(app).audit_entries("import_rejected") if e["detail"].get("upload") == uid]
    assert len(rejected) == 1 and rejected[0]["user"] == "editor1" and rejected[0]["address"] == "127.0.0.1"
    assert rejected[0]["target"] == "sai.csv" and rejected[0]["detail"]["error_count"] == 1
    assert not [e for e in revisions(app).audit_entries("import_rejected") if e["detail"].get("upload") == good]
    listed = dict(re.findall(r'<li><a href="/admin/preview/([^"]+)">[^<]*</a>(.*?)</li>',
                             editor.get("/admin/").get_data(as_text=True), re.S))
    assert "không dùng được" in listed[uid] and "không dùng được" not in listed[good]


def test_wrong_file_type_is_refused_before_preview(app, editor, tmp_path):
    """Refused in the page's language (the store's reasons were English on the Vietnamese page)."""
    response = upload(editor, b"MZ\x90\x00", "setup.exe")
    assert response.status_code == 400
    assert "setup.exe: tệp kết quả NTM phải có đuôi .csv, .xlsx" in response.get_data(as_text=True)
    english = editor.post("/admin/upload/boundaries?lang=en", content_type="multipart/form-data",
                          data={"csrf_token": page_token(editor), "file": (io.BytesIO(b"MZ"), "setup.exe")})
    assert english.status_code == 400 and "setup.exe: boundary files must be one of: .zip" in english.get_data(as_text=True)
    assert upload_files(tmp_path) == []


def test_previews_expire(default_settings, tmp_path):
    app = make_app(default_settings, tmp_path, UPLOAD_FOLDER=str(tmp_path / "uploads"), PREVIEW_HOURS=0)
    add_user(app)
    client = app.test_client()
    sign_in(client)
    uid = upload_id(upload(client, promotion_csv(promotable(1))))
    assert client.get(f"/admin/preview/{uid}").status_code == 404
    assert upload_files(tmp_path) == []
    assert revisions(app).audit_entries("upload_expired")


@pytest.mark.parametrize("note", ["", "   ", " \n\t ", " x "])
def test_a_commit_needs_a_note_of_words_not_spaces(app, editor, note):
    """A note of spaces passed the browser's `required` and the server's length check: the revision was kept with
    an empty note."""
    uid = upload_id(upload(editor, promotion_csv(promotable(1))))
    head = revisions(app).heads()["status"]["id"]
    refused = commit(editor, uid, note)
    assert refused.status_code == 400 and "Cần ghi chú ngắn (tối đa 300 ký tự)." in refused.get_data(as_text=True)
    assert revisions(app).heads()["status"]["id"] == head
    assert commit(editor, uid, "  Báo cáo 7/BC  ").status_code == 302
    assert revisions(app).heads()["status"]["note"] == "Báo cáo 7/BC"


def test_commit_is_refused_when_another_revision_landed_since_the_preview(app, editor):
    first = upload_id(upload(editor, promotion_csv(promotable(2))))
    second = upload_id(upload(editor, promotion_csv(promotable(4)[2:])))
    page = editor.get(f"/admin/preview/{second}").get_data(as_text=True)  # previewed against the same head
    assert commit(editor, first).status_code == 302
    head = revisions(app).heads()["status"]["id"]
    stale = editor.post(f"/admin/preview/{second}/commit", data={
        "csrf_token": csrf_token(page), "note": "second",
        "base": re.search(r'name="base" type="hidden" value="(\d+)"', page).group(1)})
    base = int(re.search(r'name="base" type="hidden" value="(\d+)"', page).group(1))
    assert stale.status_code == 409 and (f"bản kết quả NTM hiện hành nay là bản {head} (do editor1 ghi), không còn là "
                                         f"bản {base} như lúc xem trước; chưa ghi gì") in stale.get_data(as_text=True)
    assert revisions(app).heads()["status"]["id"] == head
    assert commit(editor, second).status_code == 302  # looked at again: commits on top
    assert revisions(app).heads()["status"]["id"] == head + 1


WRITES = [("post", "/admin/upload/status"), ("post", "/admin/upload/boundaries"), ("post", "/admin/preview/{uid}/commit"),
          ("post", "/admin/preview/{uid}/discard"), ("post", "/admin/revisions/1/rollback"), ("post", "/admin/users")]


def test_anonymous_and_csrf_less_writes_change_nothing(app, editor, tmp_path):
    uid = upload_id(upload(editor, promotion_csv(promotable(2))))
    heads = revisions(app).heads()
    audit_before = len(revisions(app).audit_entries())
    anonymous = app.test_client()
    token = csrf_token(anonymous.get("/signin").get_data(as_text=True))
    for method, path in WRITES:
        path = path.format(uid=uid)
        data = {"note": "x", "file": (io.BytesIO(promotion_csv(promotable(1))), "a.csv")}
        assert anonymous.post(path, data=data, content_type="multipart/form-data").status_code == 401, path
        data = {"csrf_token": token, "note": "x", "file": (io.BytesIO(promotion_csv(promotable(1))), "a.csv")}
        assert anonymous.post(path, data=data, content_type="multipart/form-data").status_code == 401, path
        data = {"note": "x", "file": (io.BytesIO(promotion_csv(promotable(1))), "a.csv")}
        assert editor.post(path, data=data, content_type="multipart/form-data").status_code == 400, path
    assert revisions(app).heads() == heads
    assert len(revisions(app).audit_entries()) == audit_before
    assert len(upload_files(tmp_path)) == 1  # only the preview uploaded above
    assert editor.get(f"/admin/preview/{uid}").status_code == 200  # still waiting


@pytest.mark.parametrize("name", ["../../../etc/passwd.csv", "..\\..\\boot.csv", "bad\x00name.csv",
                                  "x" * 5000 + ".csv", '<img src=x onerror=alert(1)>.csv', "<b>đậm</b>.csv"])
def test_uploaded_file_names_are_harmless(app, editor, tmp_path, name):
    uid = upload_id(upload(editor, promotion_csv(promotable(1)), name))
    files = upload_files(tmp_path)
    assert len(files) == 1
    stored = files[0]
    assert stored.resolve().is_relative_to((tmp_path / "uploads").resolve())
    assert stored.parent.name == uid and len(stored.name) <= 120 and "\x00" not in stored.name
    assert "<" not in stored.name and ">" not in stored.name
    html = editor.get(f"/admin/preview/{uid}").get_data(as_text=True)
    assert "<img src=x" not in html and "<b>đậm" not in html
    assert commit(editor, uid).status_code == 302
    rev = revisions(app).heads()["status"]
    assert rev["file_name"] == stored.name
    assert "<img src=x" not in editor.get("/admin/revisions").get_data(as_text=True)
    assert "<img src=x" not in editor.get("/admin/audit").get_data(as_text=True)


def test_xss_in_cells_and_note_is_text_everywhere(app, editor):
    codes = promotable(2)
    uid = upload_id(upload(editor, promotion_csv(codes, note=XSS)))
    preview = editor.get(f"/admin/preview/{uid}").get_data(as_text=True)
    assert XSS not in preview
    assert commit(editor, uid, note=XSS).status_code == 302
    pages = ["/admin/", "/admin/revisions", "/admin/audit", f"/admin/revisions/diff?a=1&b=3"]
    public = app.test_client()
    for path in pages:
        html = editor.get(path).get_data(as_text=True)
        assert XSS not in html and "<script>alert" not in html, path
    for path in ["/", f"/?year={YEAR}", "/lagging", "/gaps", "/targets", "/embed", "/print"]:
        response = public.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x onerror" not in html, path
    assert "&lt;script&gt;alert" in editor.get("/admin/revisions").get_data(as_text=True)


def test_uploads_over_the_limit_get_413_and_nothing_is_kept(default_settings, tmp_path):
    limit = 4096
    app = make_app(default_settings, tmp_path, UPLOAD_FOLDER=str(tmp_path / "uploads"),
                   ADMIN_UPLOAD_LIMITS={"admin.upload_status": limit, "admin.upload_boundaries": limit})
    add_user(app)
    client = app.test_client()
    sign_in(client)
    heads = revisions(app).heads()
    response = upload(client, b"ward_code,year\n" + b"x" * (limit * 4))
    assert response.status_code == 413 and "không có gì được lưu" in response.get_data(as_text=True)
    assert upload_files(tmp_path) == [] and revisions(app).heads() == heads
    assert not [e for e in revisions(app).audit_entries(user="editor1") if e["action"] in ("upload", "commit")]


def test_413_comes_before_the_body_is_read(default_settings, tmp_path):
    """A real server answers 413 to a declared 50 MB upload at once: the body is never sent, nothing is kept."""
    app = make_app(default_settings, tmp_path, UPLOAD_FOLDER=str(tmp_path / "uploads"),
                   ADMIN_UPLOAD_LIMITS={"admin.upload_status": 4096, "admin.upload_boundaries": 4096})
    add_user(app)
    client = app.test_client()
    sign_in(client)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    with serve(app) as url:
        conn = http.client.HTTPConnection(urlsplit(url).hostname, urlsplit(url).port, timeout=20)
        conn.putrequest("POST", "/admin/upload/status")
        conn.putheader("Content-Type", "multipart/form-data; boundary=x")
        conn.putheader("Content-Length", str(50_000_000))
        conn.putheader("Cookie", f"{app.config['SESSION_COOKIE_NAME']}={cookie}")
        conn.endheaders()  # headers only: the server must answer without waiting for the body
        response = conn.getresponse()
        assert response.status == 413
        conn.close()
    assert upload_files(tmp_path) == []


def test_audit_page_filters_and_csv(app, editor):
    sign_in(app.test_client(), "editor1", "wrong password!")
    html = editor.get("/admin/audit?action=login_failed").get_data(as_text=True)
    assert "login_failed" in html and "<td>login</td>" not in html
    response = editor.get("/admin/audit.csv?user=editor1")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["id", "at", "user", "address", "action", "target", "detail"]
    assert {r[4] for r in rows[1:]} >= {"login", "login_failed"} and {r[2] for r in rows[1:]} == {"editor1"}


def test_revision_line_in_public_footer(app, editor):
    public = app.test_client()
    status = revisions(app).heads()["status"]
    html = public.get("/").get_data(as_text=True)
    assert "Số liệu có phần minh họa, cập nhật" in html and f"bản {status['id']}" in html  # the demo data
    assert 'id="illustrative-banner"' in html
    en = public.get("/targets?lang=en").get_data(as_text=True)
    assert f"revision {status['id']}" in en
    from geo_app.views.admin import revision_line

    official = {"id": 7, "created_at": "2023-12-15T03:00:00+00:00", "provenance": "official"}
    assert revision_line(official, "vi", False) == "Số liệu chính thức, cập nhật 15/12/2023, bản 7"
    late = {**official, "created_at": "2023-12-14T20:00:00+00:00"}  # 03:00 on the 15th in Vietnam
    assert revision_line(late, "en", False) == "Official data, updated Dec 15, 2023, revision 7"  # as the tables
    assert revision_line({**official, "provenance": "mixed"}, "vi", True).startswith("Số liệu có phần minh họa")
    assert revision_line({**official, "provenance": "documented"}, "vi", False).startswith("Số liệu có tài liệu")


def test_the_signed_in_users_role_is_named_in_the_pages_language(app, editor):
    assert "editor1 (biên tập viên)" in editor.get("/admin/").get_data(as_text=True)
    assert "editor1 (editor)" in editor.get("/admin/?lang=en").get_data(as_text=True)


def test_admin_pages_in_english(app, editor):
    uid = upload_id(upload(editor, promotion_csv(promotable(1))))
    html = editor.get(f"/admin/preview/{uid}?lang=en").get_data(as_text=True)
    assert "How the file was read" in html and "Map if committed" in html and "Commit as a new revision" in html
    assert "Revisions" in editor.get("/admin/revisions?lang=en").get_data(as_text=True)


def test_the_revisions_page_compares_like_with_like_and_tells_local_time(app, editor, tmp_path):
    """Its comparison form started on the newest two revisions, a boundary and a status one on a new store, so
    the first click was refused ("compare revisions of one kind"); and its times were UTC in ISO form."""
    def form_and_times():
        listing = editor.get("/admin/revisions").get_data(as_text=True)
        chosen = {name: re.findall(r'<option value="(\d+)" selected', part)
                  for name, part in re.findall(r'<select name="(a|b)">(.*?)</select>', listing, re.S)}
        return listing, chosen

    listing, chosen = form_and_times()
    kinds = {r["id"]: r["kind"] for r in revisions(app).list_revisions(None)}
    assert sorted(kinds.values()) == ["boundaries", "status"]  # one of each: nothing of one kind to compare
    assert chosen == {} and 'id="diff-none"' in listing and "chưa có bản thứ hai" in listing
    assert commit(editor, upload_id(upload(editor, promotion_csv(promotable(2))))).status_code == 302
    listing, chosen = form_and_times()
    kinds = {r["id"]: r["kind"] for r in revisions(app).list_revisions(None)}
    a, b = int(chosen["a"][0]), int(chosen["b"][0])
    assert kinds[a] == kinds[b] == "status" and a < b == max(kinds)
    assert editor.get(f"/admin/revisions/diff?a={a}&b={b}").status_code == 200
    # two of different kinds (the form offers every revision): said on the revisions page, in its language
    boundary = next(r for r, k in kinds.items() if k == "boundaries")
    refused = editor.get(f"/admin/revisions/diff?a={b}&b={boundary}")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400 and 'id="diff-error"' in text and 'id="diff-form"' in text
    assert f"Bản {b} là Kết quả NTM, bản {boundary} là Ranh giới: hãy chọn hai bản cùng loại." in text
    missing = editor.get(f"/admin/revisions/diff?a={b}&b=999&lang=en")
    assert missing.status_code == 404 and "There is no revision 999." in missing.get_data(as_text=True)
    # the two choices are named in the page's language (they were "a" and "b")
    assert re.search(r'<label>Trước <select name="a">', listing) and re.search(r'<label>Sau <select name="b">', listing)
    stamps = re.findall(r'<time datetime="([^"]+)">([^<]+)</time>', listing)
    stored, shown = stamps[0]
    utc = dt.datetime.fromisoformat(stored)
    local = (utc + dt.timedelta(hours=7)).strftime("%H:%M")  # Việt Nam: UTC+7, no daylight saving
    assert local in shown and str((utc + dt.timedelta(hours=7)).year) in shown and "T" not in shown


def test_audit_actions_and_revision_counts_are_named_in_the_pages_language(app, editor):
    """The Vietnamese audit log showed the codes ("commit", "login_failed") and the revisions page the count keys
    ("commune_rows: 562"); the log and its CSV keep the codes, the pages name them."""
    from geo_app.views.admin import ACTION_LABELS
    assert commit(editor, upload_id(upload(editor, promotion_csv(promotable(2))))).status_code == 302
    codes = {e["action"] for e in revisions(app).audit_entries()}
    assert {"login", "upload", "commit"} <= codes and codes <= set(ACTION_LABELS)
    vi = editor.get("/admin/audit").get_data(as_text=True)
    cells = dict(re.findall(r'<td data-action="([a-z_]+)"[^>]*>([^<]+)</td>', vi))
    assert cells["login"] == "Đăng nhập" and cells["commit"] == "Ghi bản mới" and cells["upload"] == "Tải tệp lên"
    en = editor.get("/admin/audit?lang=en").get_data(as_text=True)
    assert dict(re.findall(r'<td data-action="([a-z_]+)"[^>]*>([^<]+)</td>', en))["commit"] == "Committed a revision"
    assert b",login," in editor.get("/admin/audit.csv").get_data()  # the CSV keeps the codes
    listing = editor.get("/admin/revisions").get_data(as_text=True)
    assert "dòng xã:" in listing and "commune_rows" not in listing


def test_audit_details_are_named_parts_in_the_pages_language(app, editor):
    """The log's detail column was the stored JSON ({"counts": {"commune_rows": …}, "sha256": …}): it is named
    parts in the page's language, while the CSV keeps the JSON."""
    assert commit(editor, upload_id(upload(editor, promotion_csv(promotable(2))))).status_code == 302
    assert upload(editor, b"MZ\x90\x00", "setup.exe").status_code == 400
    def details(lang: str = "") -> dict:
        page = editor.get("/admin/audit" + lang).get_data(as_text=True)
        rows = re.findall(r'<td data-action="([a-z_]+)"[^>]*>[^<]*</td>\s*<td[^>]*>[^<]*</td><td[^>]*class="audit-detail">([^<]*)</td>',
                          page)
        return {action: html.unescape(text) for action, text in reversed(rows)}  # the newest of each action
    vi = details()
    assert vi["commit"].startswith("Loại: Kết quả NTM · Ghi chú: Báo cáo 123/BC-VPĐP ngày 15/12/2024 · "
                                   "Tệp: bao-cao-2024.csv · Dung lượng: ")
    assert "Số lượng: dòng xã: " in vi["commit"] and "SHA-256: " in vi["commit"]
    assert vi["upload_rejected"].startswith("Loại: Kết quả NTM · Lý do: ") and "setup.exe" not in vi["login"]
    # An upload's random id says nothing to a reader; roles are named, not coded.
    upload_id_stored = revisions(app).audit_entries("upload")[0]["detail"]["upload"]
    assert upload_id_stored not in vi["upload"] and vi["upload"].startswith("Loại: Kết quả NTM · Dung lượng: ")
    assert vi["login"] == "Vai trò: biên tập viên" and details("?lang=en")["login"] == "Role: editor"
    assert not any("{" in text or "commune_rows" in text for text in vi.values()), vi
    assert details("?lang=en")["commit"].startswith("Kind: NTM status · Note: ")
    targets = re.findall(r'<td data-action="commit"[^>]*>[^<]*</td>\s*<td[^>]*>([^<]*)</td>', editor.get("/admin/audit").get_data(as_text=True))
    assert targets and all(re.fullmatch(r"Bản \d+", target) for target in targets), targets  # was "revision 4"
    csv_text = editor.get("/admin/audit.csv").get_data(as_text=True)
    assert '""commune_rows""' in csv_text  # the CSV keeps the stored JSON
    # file sizes are written one way on every admin page: the page's language's
    assert re.search(r"demo-communes\.csv \(\d{3}\.\d{3} B\)", editor.get("/admin/revisions").get_data(as_text=True))
    assert re.search(r"demo-communes\.csv \(\d{3},\d{3} B\)", editor.get("/admin/revisions?lang=en").get_data(as_text=True))


def test_a_rejected_imports_detail_names_its_problems_and_keeps_unknown_keys():
    from geo_app.views.admin import COUNT_LABELS, detail_text, labeller, strings

    detail = {"kind": "boundaries", "errors": [f"row {n}: no GSO code" for n in range(2, 22)], "error_count": 25,
              "future_key": [1, 2]}
    text = detail_text(detail, strings("vi"), labeller(COUNT_LABELS, "vi"))
    assert text.startswith("Loại: Ranh giới · 25 lỗi: row 2: no GSO code; row 3: no GSO code; row 4: no GSO code; …")
    assert text.endswith(" · future_key: [1, 2]") and "row 5" not in text
    assert detail_text({"error_count": 3}, strings("en"), labeller(COUNT_LABELS, "en")) == "error_count: 3"
    size = {"file_size": 139849}  # an upload's (its file's name is the entry's target)
    assert detail_text(size, strings("vi"), labeller(COUNT_LABELS, "vi"), "vi") == "Dung lượng: 139.849 B"
    assert detail_text(size, strings("en"), labeller(COUNT_LABELS, "en"), "en") == "Size: 139,849 B"


def test_revision_notes_the_app_wrote_are_in_the_pages_language(app, editor):
    """The first run's notes were English on the Vietnamese pages, and a rollback without a note read "rollback to
    revision 2 — khôi phục bản 2" (its audit entry: no note)."""
    page = editor.get("/admin/revisions").get_data(as_text=True)
    assert "lần chạy đầu: các tệp kết quả đã cấu hình" in page and "first run" not in page
    assert "first run: the configured status files" in editor.get("/admin/revisions?lang=en").get_data(as_text=True)
    assert "lần chạy đầu: lớp ranh giới đã cấu hình" in editor.get("/admin/").get_data(as_text=True)
    head = revisions(app).heads()["status"]["id"]
    assert commit(editor, upload_id(upload(editor, promotion_csv(promotable(1))))).status_code == 302
    confirm = editor.get(f"/admin/revisions/{head}/rollback").get_data(as_text=True)
    assert "lần chạy đầu: các tệp kết quả đã cấu hình" in confirm
    assert editor.post(f"/admin/revisions/{head}/rollback", data={"csrf_token": csrf_token(confirm)}).status_code == 302
    rows = re.findall(r'<td class="note"[^>]*>([^<]*)</td>', editor.get("/admin/revisions").get_data(as_text=True))
    assert f"khôi phục bản {head}" in rows and not any("rollback to" in r for r in rows), rows


def test_the_audit_log_writes_stored_refusals_and_problems_in_the_pages_language(app, editor, tmp_path):
    """A refused upload's reason and a rejected import's problems were stored as English text and shown so on the
    Vietnamese log. They are kept as phrases: each page writes them in its language, the CSV in English."""
    from geo_app.store.importing import import_status

    assert upload(editor, b"MZ", "setup.exe").status_code == 400
    bad = tmp_path / "sai.csv"
    bad.write_bytes(promotion_csv(promotable(1)).replace(b",ntm,", b",ntm nang cao sieu cap,", 1))
    assert not import_status(revisions(app), bad, "editor1").ok  # as `flask import status` does
    def detail(action: str, lang: str = "") -> str:
        page = editor.get("/admin/audit" + lang).get_data(as_text=True)
        rows = re.findall(r'<td data-action="([a-z_]+)"[^>]*>[^<]*</td>\s*<td[^>]*>[^<]*</td><td[^>]*class="audit-detail">([^<]*)</td>',
                          page)
        return html.unescape(dict(reversed(rows))[action])
    assert detail("upload_rejected") == "Loại: Kết quả NTM · Lý do: setup.exe: tệp kết quả NTM phải có đuôi .csv, .xlsx"
    assert detail("upload_rejected", "?lang=en") == ("Kind: NTM status · Reason: setup.exe: status files must be one "
                                                     "of: .csv, .xlsx")
    assert "sai.csv, dòng 2" in detail("import_rejected") and "row 2" not in detail("import_rejected")
    assert "sai.csv, row 2" in detail("import_rejected", "?lang=en")
    stored = revisions(app).audit_entries("import_rejected")[0]["detail"]["errors"][0]
    csv_text = editor.get("/admin/audit.csv").get_data(as_text=True)
    assert "setup.exe: status files must be one of: .csv, .xlsx" in csv_text and stored["text"] in csv_text
    assert '""message""' not in csv_text and "dòng 2" not in csv_text  # the CSV: English text, not the phrases


def test_a_change_of_note_only_is_shown_in_the_preview_and_the_comparison(app, editor):
    """A file changing only a commune's note (not its level or criteria) was previewed as "0 … 0 …" and its
    comparison said "Không có." (nothing): such changes are counted and listed, with what changed."""
    codes = promotable(2)
    assert commit(editor, upload_id(upload(editor, promotion_csv(codes)))).status_code == 302
    first = max(r["id"] for r in revisions(app).list_revisions("status"))
    uid = upload_id(upload(editor, promotion_csv(codes, note="Báo cáo 456/BC-VPĐP (sửa)")))
    preview = editor.get(f"/admin/preview/{uid}").get_data(as_text=True)
    assert "2 chỉ đổi năm công nhận, ghi chú, nguồn gốc hoặc nguồn" in preview
    assert commit(editor, uid).status_code == 302
    second = max(r["id"] for r in revisions(app).list_revisions("status"))
    page = editor.get(f"/admin/revisions/diff?a={first}&b={second}").get_data(as_text=True)
    assert "Không có." not in page and 'id="diff-details"' in page
    rows = re.findall(r'<tr data-ward-code="(\d+)"><td>2024</td>.*?<td>([^<]*)</td></tr>', page, re.S)
    assert sorted(code for code, _ in rows) == sorted(codes) and {what for _, what in rows} == {"Ghi chú"}
    listing = editor.get("/admin/revisions").get_data(as_text=True)
    assert "2 chỉ đổi năm công nhận" in listing


def rollback_form(html: str) -> dict:
    """The rollback page's form fields (CSRF token, the current revision it was shown against, the note)."""
    base = re.search(r'name="base" value="(\d+)"', html)
    assert base, "no rollback form on the page"
    note = re.search(r'<input name="note" maxlength="300" value="([^"]*)"', html)
    return {"csrf_token": csrf_token(html), "base": base.group(1), "note": html_module.unescape(note.group(1))}


def test_a_rollback_shown_before_another_commit_is_refused_and_shown_again(app, editor):
    """lan opened "roll back to 7" while 9 was current; chi committed 10; lan's confirmation made 11 from 7, and
    chi's 10 was gone from what is served without a word to either of them."""
    first = revisions(app).heads()["status"]["id"]
    codes = promotable(3)
    assert commit(editor, upload_id(upload(editor, promotion_csv(codes[:1])))).status_code == 302
    confirm = editor.get(f"/admin/revisions/{first}/rollback").get_data(as_text=True)
    # what the rollback would change is on the page: the commune the commit promoted goes back
    changes = confirm[confirm.index('id="rollback-changes"'):]
    assert f'<tr data-ward-code="{codes[0]}">' in changes and f'data-ward-code="{codes[1]}"' not in changes
    other = app.test_client()
    add_user(app, "chi", "editor")
    assert sign_in(other, "chi").status_code == 302
    assert commit(other, upload_id(upload(other, promotion_csv(codes[1:2]))), note="Báo cáo của chi").status_code == 302
    chis = revisions(app).heads()["status"]["id"]
    form = {**rollback_form(confirm), "note": "số liệu sai"}
    refused = editor.post(f"/admin/revisions/{first}/rollback", data=form)
    text = refused.get_data(as_text=True)
    assert refused.status_code == 409 and revisions(app).heads()["status"]["id"] == chis  # chi's revision stays
    assert f"nay là bản {chis} (do chi ghi)" in text and "chưa quay lại gì" in text
    again = rollback_form(text)
    assert again["base"] == str(chis) and again["note"] == "số liệu sai"  # the note is kept
    changes = text[text.index('id="rollback-changes"'):]
    assert f'<tr data-ward-code="{codes[1]}">' in changes  # chi's change is now listed as undone too
    assert editor.post(f"/admin/revisions/{first}/rollback", data=again).status_code == 302
    assert revisions(app).heads()["status"]["rollback_of"] == first


def test_a_rollback_that_would_change_nothing_is_not_offered_or_made(app, editor):
    """Confirm, Back, confirm again made two revisions restoring the same one (the second changing nothing)."""
    first = revisions(app).heads()["status"]["id"]
    assert commit(editor, upload_id(upload(editor, promotion_csv(promotable(1))))).status_code == 302
    confirm = editor.get(f"/admin/revisions/{first}/rollback").get_data(as_text=True)
    assert editor.post(f"/admin/revisions/{first}/rollback", data=rollback_form(confirm)).status_code == 302
    made = revisions(app).heads()["status"]["id"]
    back = editor.post(f"/admin/revisions/{first}/rollback", data=rollback_form(confirm))  # the form before, again
    assert back.status_code == 409 and revisions(app).heads()["status"]["id"] == made
    page = editor.get(f"/admin/revisions/{first}/rollback").get_data(as_text=True)
    assert f"bản kết quả NTM hiện hành (bản {made}) đã dùng đúng dữ liệu của bản {first}" in page
    assert 'id="rollback-form"' not in page
    no_base = {"csrf_token": csrf_token(page), "note": ""}  # a client that sends no base is refused too
    assert editor.post(f"/admin/revisions/{first}/rollback", data=no_base).status_code == 409
    assert revisions(app).heads()["status"]["id"] == made


def page_links(html: str) -> dict[str, str]:
    """{text: href} of an error page's links."""
    return {html_module.unescape(text): html_module.unescape(href)
            for href, text in re.findall(r'<a href="([^"]+)">([^<]+)</a>', html)}


def test_a_form_from_an_earlier_sign_in_says_so_and_leads_back(app, editor):
    """Signing out and in again in one tab, then pressing "Ghi nhận" in another, gave "The CSRF tokens do not
    match. Hãy kiểm tra lại địa chỉ (URL) rồi thử lại." with a link to the map only."""
    uid = upload_id(upload(editor, promotion_csv(promotable(1))))
    preview = editor.get(f"/admin/preview/{uid}").get_data(as_text=True)
    old_token = csrf_token(preview)
    assert editor.post("/signout", data={"csrf_token": old_token}).status_code == 302
    assert sign_in(editor).status_code == 302
    stale = editor.post(f"/admin/preview/{uid}/commit", data={"csrf_token": old_token, "note": "Báo cáo 12/BC"},
                        headers={"Referer": f"http://localhost/admin/preview/{uid}"})
    text = stale.get_data(as_text=True)
    assert stale.status_code == 400 and "Biểu mẫu đã hết hiệu lực" in text and "chưa có gì được lưu" in text
    assert "CSRF" not in text and "địa chỉ (URL)" not in text
    assert page_links(text)["Mở lại trang"] == f"/admin/preview/{uid}"
    assert editor.get(f"/admin/preview/{uid}").status_code == 200  # the upload still waits
    english = editor.post(f"/admin/preview/{uid}/commit?lang=en", data={"csrf_token": "forged", "note": "x"})
    assert "This form has expired" in english.get_data(as_text=True)
    assert page_links(english.get_data(as_text=True))["Open the page again"] == "/admin/?lang=en"  # no Referer


def test_a_write_after_signing_out_elsewhere_offers_to_sign_in_and_come_back(app, editor):
    uid = upload_id(upload(editor, promotion_csv(promotable(1))))
    token = csrf_token(editor.get(f"/admin/preview/{uid}").get_data(as_text=True))
    other_tab = editor  # same browser: signing out there ends this session too
    assert other_tab.post("/signout", data={"csrf_token": token}).status_code == 302
    refused = editor.post(f"/admin/preview/{uid}/commit", data={"csrf_token": token, "note": "Báo cáo 12/BC"},
                          headers={"Referer": f"http://localhost/admin/preview/{uid}"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 401 and "Bạn không còn đăng nhập" in text
    sign_in_link = page_links(text)["Đăng nhập lại"]
    assert sign_in_link == f"/signin?next=/admin/preview/{uid}" or \
        sign_in_link == f"/signin?next=%2Fadmin%2Fpreview%2F{uid}"
    foreign = editor.post(f"/admin/preview/{uid}/commit", data={"csrf_token": token},
                          headers={"Referer": "http://evil.example/admin/preview/x"})
    assert page_links(foreign.get_data(as_text=True))["Đăng nhập lại"] == "/signin"  # no other site's path


def test_a_too_large_upload_names_the_limit_and_leads_back(default_settings, tmp_path):
    app = make_app(default_settings, tmp_path, UPLOAD_FOLDER=str(tmp_path / "uploads"),
                   ADMIN_UPLOAD_LIMITS={"admin.upload_status": 3 * 2**20 + 64 * 1024,
                                        "admin.upload_boundaries": 2**20 + 64 * 1024})
    add_user(app)
    client = app.test_client()
    sign_in(client)
    text = upload(client, b"x" * (4 * 2**20)).get_data(as_text=True)
    assert "lớn hơn giới hạn 3 MB" in text and page_links(text)["Tải số liệu lên"] == "/admin/"
    assert "giới hạn 1 MB" in upload(client, b"x" * (2 * 2**20), "ranh_gioi.zip", kind="boundaries").get_data(
        as_text=True)


def test_the_upload_limits_follow_the_settings(default_settings, tmp_path, monkeypatch):
    """NTM_STATUS_MAX_MB=50 raised the command line's limit while the web upload still refused 21 MB."""
    monkeypatch.setenv("NTM_STATUS_MAX_MB", "50")
    monkeypatch.setenv("NTM_BOUNDARY_MAX_MB", "300")
    app = make_app(default_settings, tmp_path)
    add_user(app)
    client = app.test_client()
    sign_in(client)
    page = client.get("/admin/").get_data(as_text=True)
    assert "50 MB" in page and "300 MB" in page
    assert app.config["ADMIN_UPLOAD_LIMITS"]["admin.upload_status"] >= 50 * 2**20
    from geo_app.store.importing import max_file_bytes as max_bytes

    assert max_bytes("status") == 50 * 2**20 and max_bytes("boundaries") == 300 * 2**20  # the kept file's check


def test_the_language_switch_never_links_to_a_form_only_address(app, editor):
    """An upload refused, a commit refused or a user action: their pages' "English" link opened the form's own
    address (a POST), giving "405 Method Not Allowed"."""
    from geo_app.views.maps import PAGE_OF_FORM

    posts_only = {r.endpoint for r in app.url_map.iter_rules() if "GET" not in r.methods}
    assert posts_only <= set(PAGE_OF_FORM), posts_only - set(PAGE_OF_FORM)
    refused = upload(editor, b"", "rong.csv")
    english = re.search(r'<a href="([^"]+)" lang="en"', refused.get_data(as_text=True)).group(1)
    assert english == "/admin/?lang=en" and editor.get(english).status_code == 200
    uid = upload_id(upload(editor, promotion_csv(promotable(1))))
    no_note = commit(editor, uid, note="")
    english = html_module.unescape(re.search(r'<a href="([^"]+)" lang="en"', no_note.get_data(as_text=True)).group(1))
    assert english == f"/admin/preview/{uid}?lang=en" and editor.get(english).status_code == 200


def test_an_old_xls_workbook_is_told_how_to_save_it_as_xlsx(app, editor):
    """"Báo cáo 2023.xls" got "tệp kết quả NTM phải có đuôi .csv, .xlsx", with no word of how to make one."""
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    refused = upload(editor, ole2, "Báo cáo 2023.xls")
    text = html_module.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 400 and "Báo cáo 2023.xls là sổ Excel 97-2003 kiểu cũ (.xls)" in text
    assert "Sổ làm việc Excel (.xlsx)" in text
    renamed = upload(editor, ole2, "Báo cáo 2023.xlsx")  # renamed: kept, and the preview says what it is
    page = html_module.unescape(editor.get(f"/admin/preview/{upload_id(renamed)}").get_data(as_text=True))
    assert "sổ Excel 97-2003 kiểu cũ (.xls) được đặt tên .xlsx" in page and "BadZipFile" not in page


def test_an_upload_that_changes_nothing_is_not_committed(app, editor):
    """The same file uploaded again was committed as a new revision reading "0 xã-năm thay đổi"."""
    data = promotion_csv(promotable(2))
    assert commit(editor, upload_id(upload(editor, data))).status_code == 302
    head = revisions(app).heads()["status"]["id"]
    again = commit(editor, upload_id(upload(editor, data)))
    text = html_module.unescape(again.get_data(as_text=True))
    assert again.status_code == 409 and f"không có gì thay đổi: mọi dòng của tệp đã có y như vậy trong bản kết quả " \
        f"NTM hiện hành {head}" in text
    assert revisions(app).heads()["status"]["id"] == head


def test_an_upload_waiting_in_preview_can_be_discarded_from_the_list(app, editor):
    """Uploads waiting in preview piled up on /admin (17 in an afternoon, unusable ones too) with no way to drop
    one but opening each."""
    uid = upload_id(upload(editor, promotion_csv(promotable(1)), "thu-lan-1.csv"))
    page = editor.get("/admin/").get_data(as_text=True)
    listing = page[page.index('id="pending-uploads"'):]
    form = re.search(r'<form method="post" action="(/admin/preview/[^"]+/discard)" class="pending-discard">', listing)
    assert form and uid in form.group(1) and 'aria-label="Hủy bỏ: thu-lan-1.csv"' in listing
    token = re.search(r'name="csrf_token" value="([^"]+)"', listing).group(1)  # the list's own form
    assert editor.post(form.group(1), data={"csrf_token": token}).status_code == 302
    assert "thu-lan-1.csv" not in editor.get("/admin/").get_data(as_text=True)
    assert editor.get(f"/admin/preview/{uid}").status_code == 404
