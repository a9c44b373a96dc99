"""An editor's whole round in real Chromium: sign in, upload a status file, preview the map with the changed
communes outlined, commit, see the public map and /targets change, roll back, see them return. An XSS
payload in a cell and in the commit note stays text on every admin and public page (issue 8)."""
from __future__ import annotations

import re

import pytest

from admin_fixtures import YEAR, promotable, promotion_csv
from browser_support import browser, page, serve  # noqa: F401  (pytest fixtures)
from editor_support import PASSWORD, add_user, make_app
from geo_app.domain.units import PILOT_COMMUNES
from geo_app.render.interactive import HIGHLIGHT_OUTLINE

PAYLOAD = '<img src=x onerror="window.__xss=1;alert(1)"><script>window.__xss=2</script>'
MAPS_READY = "(n) => window.NTM && NTM.maps.length === n"


@pytest.fixture()
def server(default_settings, tmp_path):
    app = make_app(default_settings, tmp_path, UPLOAD_FOLDER=str(tmp_path / "uploads"))
    add_user(app, "lan.editor")
    app.extensions["ntm_store"].dataset()  # seeded before the browser arrives
    with serve(app) as url:
        yield app, url


def level_cells(page, base: str, codes: list[str]) -> dict[str, str]:
    page.goto(f"{base}/?year={YEAR}")
    page.wait_for_function(MAPS_READY, arg=1)
    return {c: page.locator(f'#commune-table tr[data-ward-code="{c}"] td').nth(3).inner_text() for c in codes}


def targets_text(page, base: str) -> str:
    page.goto(f"{base}/targets")
    return page.locator("main").inner_text()


def assert_inert(page, dialogs: list) -> None:
    assert dialogs == [], dialogs
    assert page.evaluate("() => window.__xss === undefined")
    assert page.locator('img[src="x"]').count() == 0
    assert page.evaluate("() => document.querySelectorAll('[onerror]').length") == 0


def test_editor_round_trip_in_chromium(server, page):
    app, base = server
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    codes = promotable(4)
    before_levels, before_targets = level_cells(page, base, codes), targets_text(page, base)
    base_revision = app.extensions["ntm_store"].revisions.heads()["status"]["id"]

    page.goto(f"{base}/admin/")
    assert "/signin" in page.url
    page.fill('input[name="name"]', "lan.editor")
    page.fill('input[name="password"]', PASSWORD)
    page.click('#signin-form button[type="submit"]')
    page.wait_for_url(re.compile(r"/admin/$"))

    page.set_input_files("#upload-status input[type=file]", files=[{
        "name": "bao-cao-2024.csv", "mimeType": "text/csv", "buffer": promotion_csv(codes, note=PAYLOAD)}])
    page.click('#upload-status button[type="submit"]')
    page.wait_for_url(re.compile(r"/admin/preview/"))
    page.wait_for_function(MAPS_READY, arg=2)
    listed = page.locator("#level-changes tbody tr").evaluate_all("rows => rows.map(r => r.dataset.wardCode)")
    assert sorted(listed) == sorted(codes)
    plain = [c for c in codes if c not in PILOT_COMMUNES]
    for frame in ("#map-now", "#map-new"):
        outlined = page.locator(f'{frame} path.ntm-commune[stroke="{HIGHLIGHT_OUTLINE}"]').count()
        assert outlined == len(plain), frame
    assert app.extensions["ntm_store"].revisions.heads()["status"]["id"] == base_revision  # nothing committed yet
    assert_inert(page, dialogs)

    preview_url = page.url
    page.fill('#commit-form textarea[name="note"]', PAYLOAD)
    page.click('#commit-form button[type="submit"]')
    page.wait_for_url(re.compile(r"/admin/revisions"))
    assert page.locator("#revision-done").count() == 1
    assert PAYLOAD in page.locator("#revisions-table").inner_text()  # shown as text
    assert_inert(page, dialogs)
    new_revision = app.extensions["ntm_store"].revisions.heads()["status"]["id"]
    assert new_revision > base_revision

    after_levels = level_cells(page, base, codes)
    assert after_levels != before_levels and len(set(after_levels.values())) == 1
    assert f"bản {new_revision}" in page.locator("#data-revision").inner_text()
    assert targets_text(page, base) != before_targets

    for path in ("/admin/", "/admin/revisions", "/admin/audit", f"/admin/revisions/diff?a={base_revision}&b="
                 f"{new_revision}", f"/?year={YEAR}", "/lagging", "/gaps", "/targets", "/embed", "/print"):
        seen = len(page.errors)
        page.goto(base + path)
        page.wait_for_load_state("load")
        assert_inert(page, dialogs)
        if path.startswith("/admin"):
            assert page.errors[seen:] == [], path
    page.goto(preview_url)
    assert page.locator("#upload-gone").count() == 1  # a committed preview is gone

    page.goto(f"{base}/admin/revisions")
    page.click(f'a[href^="/admin/revisions/{base_revision}/rollback"]')
    page.click('#rollback-form button[type="submit"]')
    page.wait_for_url(re.compile(r"/admin/revisions"))
    assert level_cells(page, base, codes) == before_levels
    assert targets_text(page, base) == before_targets
    assert page.external == []


def test_editor_uploads_an_office_workbook_in_chromium(server, page, tmp_path):
    """The workbook an office really sends (title rows, merged headers, district headings, Cộng rows, names only):
    the preview says how it was read, lists the communes whose level changes, and the commit is what the public
    map then shows."""
    from office_fixtures import Style, office_workbook

    app, base = server
    path, truth = office_workbook(tmp_path / "BC-NTM-2024.xlsx", YEAR, Style(codes=False))
    page.goto(f"{base}/admin/")
    page.fill('input[name="name"]', "lan.editor")
    page.fill('input[name="password"]', PASSWORD)
    page.click('#signin-form button[type="submit"]')
    page.wait_for_url(re.compile(r"/admin/$"))
    page.set_input_files("#upload-status input[type=file]", str(path))
    page.click('#upload-status button[type="submit"]')
    page.wait_for_url(re.compile(r"/admin/preview/"))
    page.wait_for_function(MAPS_READY, arg=2)
    understood = page.locator(".understanding-block")
    assert "\tđã đọc\t2024\t" in understood.locator(".understanding-sheets").inner_text()  # the table was found
    page.click(".understanding-skipped summary")  # the rows left out open on demand: the subtotal rows among them
    skipped = understood.locator(".understanding-skipped").inner_text()
    assert "Cộng\tdòng cộng (tính lại, không đọc)" in skipped
    assert page.locator("#level-changes tbody tr").count() > 0
    page.fill('#commit-form textarea[name="note"]', "Báo cáo 45/BC-VPĐP ngày 15/12/2024")
    page.click('#commit-form button[type="submit"]')
    page.wait_for_url(re.compile(r"/admin/revisions"))
    head = app.extensions["ntm_store"].revisions.heads()["status"]
    assert head["provenance"] == "official" and head["file_name"] == "BC-NTM-2024.xlsx"
    summary = page.request.get(f"{base}/api/summary.json?year={YEAR}").json()["province"]
    totals = truth.totals(YEAR)
    assert (summary["xa_ntm"], summary["xa_nang_cao"], summary["xa_kieu_mau"]) == \
        (totals["ntm_or_better"], totals["nang_cao_or_better"], totals["kieu_mau"])
    assert page.external == []


def signed_in_on_a_phone(browser, base: str, user: str, **options):
    """(context, page) of a 390×844 Vietnamese browser signed in as `user`, on /admin/."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN", **options)
    page = context.new_page()
    page.goto(f"{base}/admin/")
    page.fill('input[name="name"]', user)
    page.fill('input[name="password"]', PASSWORD)
    page.click('#signin-form button[type="submit"]')
    page.wait_for_url(re.compile(r"/admin/$"))
    return context, page


@pytest.mark.parametrize("path,table,cell", [("/admin/users", "users-table", "quản trị viên"),
                                             ("/admin/", "current-revisions", "demo-communes.csv")])
def test_admin_tables_on_a_phone_keep_their_words_whole(default_settings, tmp_path, browser, path, table, cell):
    """At 390 px the users table was squeezed beside its forms until "Tên đăng nhập" and "quản trị viên" broke
    after every letter (the current revisions too: "setu p"); they scroll sideways in their own box instead, the
    page does not. Lines may break between words and after a hyphen, not inside a word."""
    app = make_app(default_settings, tmp_path)
    add_user(app, "chi.admin", role="admin")
    with serve(app) as base:
        context, page = signed_in_on_a_phone(browser, base, "chi.admin")
        page.goto(f"{base}{path}")
        lines = page.evaluate("""table => Array.from(document.querySelectorAll(`#${table} th, #${table} td`))
            .filter(c => !c.querySelector('form') && c.textContent.trim())
            .map(c => { const r = document.createRange(); r.selectNodeContents(c);
                        const tops = new Set(Array.from(r.getClientRects()).map(b => Math.round(b.top)));
                        return [c.textContent.trim(), tops.size, c.textContent.trim().split(/[\\s-]+/).length]; })""",
                              table)
        assert lines and all(count <= words for _, count, words in lines), [x for x in lines if x[1] > x[2]]
        assert cell in [text for text, _, _ in lines]  # e.g. the admin's role, named
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        if table == "current-revisions":  # a card per revision, each cell beside its column's name (its note was
            # one word per line, its rows 200 px tall, the file name cut off at the box's edge)
            assert page.evaluate(f"document.getElementById('{table}').scrollWidth") <= 370
            cards = page.eval_on_selector_all(f"#{table} tbody tr", "rs => rs.map(r => r.getBoundingClientRect().height)")
            assert cards and max(cards) < 260, cards
            assert page.evaluate(f"getComputedStyle(document.querySelector('#{table} td'), '::before').content") \
                == '"Loại"'
        context.close()


def test_the_revisions_on_a_phone_are_cards_with_rollback_in_reach(default_settings, tmp_path, browser):
    """At 390 px the revisions table scrolled sideways with no sign of it, each row 350 px tall (the checksum
    one letter a line), and "Roll back to this" was squeezed into a 34 px column at the far right. Each revision
    is a card: its cells under their column's names, the rollback link a full touch target within the screen."""
    app = make_app(default_settings, tmp_path)
    add_user(app, "lan.editor")
    with serve(app) as base:
        context, page = signed_in_on_a_phone(browser, base, "lan.editor", has_touch=True)
        page.set_input_files("#upload-status input[type=file]", files=[{
            "name": "bao-cao-2024.csv", "mimeType": "text/csv", "buffer": promotion_csv(promotable(2))}])
        page.click('#upload-status button[type="submit"]')
        page.wait_for_url(re.compile(r"/admin/preview/"))
        page.fill('#commit-form textarea[name="note"]', "hai xã đạt chuẩn")
        page.click('#commit-form button[type="submit"]')
        page.wait_for_url(re.compile(r"/admin/revisions"))
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert page.evaluate("document.getElementById('revisions-table').scrollWidth") <= 370
        cards = page.eval_on_selector_all("#revisions-table tbody tr", "rs => rs.map(r => r.getBoundingClientRect().height)")
        assert len(cards) == 3 and max(cards) < 520, cards  # some 15 lines, none a letter a line
        link = page.locator("#revisions-table td.action a").first
        link.scroll_into_view_if_needed()
        box = link.bounding_box()
        assert box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        link.tap()
        page.wait_for_url(re.compile(r"/rollback"))
        # The audit log too: its "Chi tiết" column was off the screen and each row about 300 px tall.
        page.goto(base + "/admin/audit")
        assert page.evaluate("document.getElementById('audit-table').scrollWidth") <= 370
        detail = page.locator("#audit-table td.audit-detail").first.bounding_box()
        assert detail["x"] >= 0 and detail["x"] + detail["width"] <= 390, detail
        assert page.locator("#audit-table td.audit-detail").first.evaluate(
            "td => getComputedStyle(td, '::before').content") == '"Chi tiết"'
        context.close()


def test_an_office_workbooks_preview_on_a_phone_reads_without_scrolling_sideways(default_settings, tmp_path, browser):
    """The preview's table of sheets was 545 px wide at 390 px (it scrolled sideways) and "Năm lấy từ" (the title
    the year came from) one word a line: each sheet is now a card, each value beside its column's name."""
    from office_fixtures import Style, office_workbook

    path, _ = office_workbook(tmp_path / "tong-hop-2023.xlsx", 2023, Style())
    app = make_app(default_settings, tmp_path)
    add_user(app, "lan.editor")
    with serve(app) as base:
        context, page = signed_in_on_a_phone(browser, base, "lan.editor")
        page.set_input_files("#upload-status input[type=file]", str(path))
        page.click('#upload-status button[type="submit"]')
        page.wait_for_url(re.compile(r"/admin/preview/"))
        table = page.locator("table.understanding-sheets")
        assert table.evaluate("t => t.scrollWidth") <= 370 and page.evaluate("document.documentElement.scrollWidth") <= 390
        came_from = page.locator("table.understanding-sheets td[data-label='Năm lấy từ']")
        assert "BẢNG TỔNG HỢP" in came_from.inner_text()
        label = came_from.evaluate("c => getComputedStyle(c, '::before').content")
        assert label == '"Năm lấy từ"'
        assert came_from.bounding_box()["height"] < 90  # three lines of the title, not one word a line
        context.close()
