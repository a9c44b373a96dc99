"""/admin with a boundary layer, and the importers' `report.understanding` shown in the preview (issue 8)."""
from __future__ import annotations

import re

from shapely import affinity

from admin_fixtures import promotable, promotion_csv
from editor_support import app, editor  # noqa: F401  (pytest fixtures)
from test_admin_workflow import commit, revisions, upload, upload_files, upload_id


def test_boundary_upload_preview_shows_moved_units_then_commits(app, editor, tmp_path):
    current = app.extensions["ntm_store"].dataset().boundaries.copy()
    moved = current.loc[40, "ward_code"]
    current.loc[10, "name"] = "Xã Tên Mới <b>"
    current.loc[40, "geometry"] = current.loc[40, "geometry"].buffer(-0.0005)  # shrinks: no overlap
    path = tmp_path / "ranh-gioi.geojson"
    current.to_file(path, driver="GeoJSON")
    head = revisions(app).heads()["boundaries"]["id"]
    uid = upload_id(upload(editor, path.read_bytes(), "ranh-gioi.geojson", kind="boundaries"))
    html = editor.get(f"/admin/preview/{uid}").get_data(as_text=True)
    counts = html[html.index('id="preview-counts"'):html.index("</ul>", html.index('id="preview-counts"'))]
    assert "0 thêm, 0 bớt, 1 ranh giới thay đổi" in counts, counts  # names come from the GSO list (a warning)
    assert html.count('class="folium-map ntm-map') == 2
    assert "Xã Tên Mới <b>" not in html and "Xã Tên Mới &lt;b&gt;" in html  # the reader's warnings, as text
    key = html[html.index('id="outline-key"'):html.index("</p>", html.index('id="outline-key"'))]
    assert "Viền đậm: xã thay đổi ranh giới hoặc tên." in key and "mức đạt" not in key  # not the status upload's
    assert revisions(app).heads()["boundaries"]["id"] == head
    assert commit(editor, uid, note="QĐ 01/2025 ranh giới").status_code == 302
    new = revisions(app).heads()["boundaries"]
    assert new["id"] > head and new["file_name"] == "ranh-gioi.geojson"
    assert {m["unit_code"] for m in new["changes"]["moved"]} == {moved}
    assert upload_files(tmp_path) == []


def overlapping_layer(app, tmp_path):
    current = app.extensions["ntm_store"].dataset().boundaries.copy()
    current.loc[1, "geometry"] = affinity.translate(current.loc[1, "geometry"], 0.002, 0)  # overlaps neighbours
    path = tmp_path / "chong-lan.geojson"
    current.to_file(path, driver="GeoJSON")
    return path


def test_a_layer_with_overlaps_is_previewed_on_both_maps_and_can_be_committed(app, editor, tmp_path):
    path = overlapping_layer(app, tmp_path)
    uid = upload_id(upload(editor, path.read_bytes(), "chong-lan.geojson", kind="boundaries"))
    html = editor.get(f"/admin/preview/{uid}").get_data(as_text=True)
    assert 'id="map-error"' not in html and html.count('class="folium-map ntm-map') == 2
    assert re.search(r"\d+ cặp đối tượng liền kề chồng lấn nhau \(tổng [^)]+\): ", html) and 'id="commit-form"' in html
    english = editor.get(f"/admin/preview/{uid}?lang=en").get_data(as_text=True)
    assert re.search(r"\d+ pairs of neighbouring features overlap", english) and "chồng lấn" not in english
    assert commit(editor, uid, note="ranh giới có chồng lấn").status_code == 302
    assert app.test_client().get("/").status_code == 200


def test_a_layer_the_map_cannot_draw_is_not_committed(app, editor, tmp_path, monkeypatch):
    from geo_app.render import webgeo

    assert app.test_client().get("/").status_code == 200  # the current map's geometry is computed and kept
    path = overlapping_layer(app, tmp_path)

    def cannot_draw(*args, **kwargs):
        raise webgeo.shapely.errors.GEOSException("TopologyException: side location conflict")

    monkeypatch.setattr(webgeo, "simplify_coverage", cannot_draw)
    head = revisions(app).heads()["boundaries"]["id"]
    uid = upload_id(upload(editor, path.read_bytes(), "chong-lan.geojson", kind="boundaries"))
    page = editor.get(f"/admin/preview/{uid}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="map-error"' in html and 'id="commit-form"' not in html
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    forced = editor.post(f"/admin/preview/{uid}/commit", data={"csrf_token": token, "note": "ép ghi", "base": head})
    assert forced.status_code == 400 and revisions(app).heads()["boundaries"]["id"] == head


def test_status_upload_to_the_boundary_form_is_refused(app, editor, tmp_path):
    response = upload(editor, promotion_csv(promotable(1)), "bao-cao.csv", kind="boundaries")
    assert response.status_code == 400 and ".zip" in response.get_data(as_text=True)
    assert upload_files(tmp_path) == []


def test_understanding_from_the_readers_is_shown_as_text(app, editor, monkeypatch):
    import geo_app.store.uploads as uploads_module

    real = uploads_module.read_status_file

    def with_understanding(path, *args, **kwargs):
        communes, districts, reports = real(path, *args, **kwargs)
        reports[0].understanding = {"Hàng → xã": ["hàng 7 → 28783 Xã Sơn Đông", "hàng 8 bỏ qua: <b>Cộng</b>"],
                                    "Cột → tiêu chí": {"F": "TC1", "G": "TC2"}}
        return communes, districts, reports

    monkeypatch.setattr(uploads_module, "read_status_file", with_understanding)
    uid = upload_id(upload(editor, promotion_csv(promotable(1))))
    html = editor.get(f"/admin/preview/{uid}").get_data(as_text=True)
    assert "hàng 7 → 28783 Xã Sơn Đông" in html and "<dt>Cột → tiêu chí</dt>" in html and "<dd>TC1</dd>" in html
    assert "&lt;b&gt;Cộng&lt;/b&gt;" in html and "<b>Cộng</b>" not in html
