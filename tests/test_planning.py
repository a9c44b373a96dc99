"""Planning logic (lagging ranking, gap matrix, targets, progress, what-if), charts and table downloads.

Most tests use a tiny hand-checked Dataset (tests/planning_fixtures.py): two districts, Ba Tri (836) with
An 12, Bình 14, Cần 18 criteria (not NTM), Đông NTM, Én nâng cao and Mới without data; Châu Thành (831)
with Giang 16, Hà NTM, Ích nâng cao, Kha kiểu mẫu and a phường. Demo-data tests check ntm-facts.md.
"""
from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET

import openpyxl
import pytest
from planning_fixtures import UNITS, make_dataset

from geo_app.model import planning as P
from geo_app.render.charts import inline_svg, progress_svg
from geo_app.render.tabular import neutralise, to_csv, to_xlsx


@pytest.fixture(scope="module")
def small():
    return make_dataset()


def names(rows) -> list[str]:
    return [r.commune for r in rows]


# --------------------------------------------------------------------------- lagging ranking


def test_ranking_order_groups_and_exclusions(small):
    rows = P.lagging(small, P.LaggingFilters(2022))
    # < 15 criteria first (fewest first), then 15-18, then NTM in a district under 40 % nâng cao (Ba Tri: 1 of 6 xã).
    assert names(rows) == ["Xã An", "Xã Bình", "Xã Giang", "Xã Cần", "Xã Đông"]
    assert [r.group for r in rows] == ["below_15", "below_15", "15_18", "15_18", "ntm_low_nang_cao"]
    assert [r.criteria_met for r in rows] == [12, 14, 16, 18, 19]
    assert [r.position for r in rows] == [1, 2, 3, 4, 5]
    # Hà is NTM but Châu Thành has 2/4 xã nâng cao (50 %): not lagging. No-data xã and the phường never listed.
    assert not {"Xã Hà", "Xã Mới", "Phường Lộc", "Xã Én", "Xã Ích", "Xã Kha"} & set(names(rows))
    assert P.lagging_counts(rows) == {"below_15": 2, "15_18": 2, "ntm_low_nang_cao": 1}


def test_ntm_group_follows_the_districts_nang_cao_share():
    units = [u if u[0] != "90013" else (*u[:4], {2021: ("ntm", []), 2022: ("ntm", [])}) for u in UNITS]
    ds = make_dataset(units)  # Châu Thành now 1/4 nâng cao (25 %) -> its NTM xã become lagging
    rows = P.lagging(ds, P.LaggingFilters(2022))
    ntm_rows = [r for r in rows if r.group == "ntm_low_nang_cao"]
    # Ba Tri (1/6, its no-data xã counts in the total) is further from 40 % than Châu Thành (1/4): first.
    assert names(ntm_rows) == ["Xã Đông", "Xã Hà", "Xã Ích"]
    assert [r.district_pct_nang_cao for r in ntm_rows] == [16.7, 25.0, 25.0]


@pytest.mark.parametrize("filters, expected", [
    (dict(district="831"), ["Xã Giang"]),
    (dict(district="836"), ["Xã An", "Xã Bình", "Xã Cần", "Xã Đông"]),
    (dict(band="15_18"), ["Xã Giang", "Xã Cần"]),
    (dict(band="10_14"), ["Xã An", "Xã Bình"]),
    (dict(band="19"), ["Xã Đông"]),
    (dict(band="lt10"), []),
    (dict(criterion=17), ["Xã An", "Xã Bình", "Xã Giang", "Xã Cần"]),
    (dict(criterion=2), ["Xã An", "Xã Bình"]),
    (dict(criterion=18), []),
    (dict(district="836", band="10_14", criterion=3), ["Xã An"]),
])
def test_filters(small, filters, expected):
    rows = P.lagging(small, P.LaggingFilters(2022, **filters))
    assert names(rows) == expected
    assert [r.position for r in rows] == list(range(1, len(expected) + 1))


@pytest.mark.parametrize("bad", [dict(district="999"), dict(band="20"), dict(criterion=0), dict(criterion=20)])
def test_invalid_filters_are_refused_with_a_message(bad):
    with pytest.raises(P.PlanningError) as err:
        P.LaggingFilters(2022, **bad)
    assert next(iter(bad)) in str(err.value)


def test_row_details_missing_names_and_provenance(small):
    can = next(r for r in P.lagging(small, P.LaggingFilters(2022)) if r.commune == "Xã Cần")
    assert can.ward_code == "90003" and can.district == "Huyện Ba Tri" and can.level == "chua_dat"
    assert can.missing == [17]
    assert can.missing_names("vi") == ["TC 17 Môi trường và an toàn thực phẩm"]
    assert can.missing_names("en") == ["C17 Environment and food safety"]
    assert can.provenance == "illustrative"
    columns, table = P.lagging_table([can], "en")
    assert dict(columns)["missing"] == "Criteria not met"
    assert table[0]["missing"] == "C17 Environment and food safety"
    assert table[0]["level"] == "Not yet NTM"


def test_year_of_last_change(small):
    rows = {r.commune: r for r in P.lagging(small, P.LaggingFilters(2022))}
    assert rows["Xã Bình"].last_change == 2022  # 13 -> 14 criteria
    assert rows["Xã Đông"].last_change == 2022  # chưa đạt -> NTM
    assert rows["Xã An"].last_change is None  # same in both years
    assert rows["Xã An"].last_change_label("vi") == "không đổi từ 2021"
    assert rows["Xã An"].last_change_label("en") == "unchanged since 2021"
    # Asked for 2021, nothing can have changed yet (2021 is the first year).
    early = {r.commune: r for r in P.lagging(small, P.LaggingFilters(2021))}
    assert early["Xã Bình"].last_change is None


def test_last_change_is_the_latest_change_at_or_before_the_year():
    units = [("90001", "Xã An", "Xã", "836", {2021: ("chua_dat", [1, 2]), 2022: ("chua_dat", [1]),
                                               2023: ("chua_dat", [1]), 2024: ("ntm", [])})]
    ds = make_dataset(units)
    changes = P.last_changes(ds, 2023)
    assert changes["90001"] == (2022, 2021)
    assert P.last_changes(ds, 2024)["90001"] == (2024, 2021)


# --------------------------------------------------------------------------- criteria gap matrix


def test_gap_matrix_counts_shares_and_top_three(small):
    matrix = {row.district_code: row for row in P.gap_matrix(small, 2022)}
    assert set(matrix) == {"836", "831", ""}  # the two districts present and the province
    ba_tri = matrix["836"]
    assert (ba_tri.xa_with_data, ba_tri.xa_no_data) == (5, 1)
    by_number = {c.criterion: c for c in ba_tri.cells}
    assert (by_number[17].count, by_number[17].share) == (3, 60.0)
    assert (by_number[2].count, by_number[10].count, by_number[1].count, by_number[18].count) == (2, 2, 1, 0)
    assert [c.criterion for c in ba_tri.top(3)] == [17, 2, 10]  # ties broken by criterion number
    province = matrix[""]
    assert province.xa_with_data == 9
    assert {c.criterion: c.count for c in province.cells}[17] == 4


def test_gap_sentences(small):
    matrix = {row.district_code: row for row in P.gap_matrix(small, 2022)}
    vi = matrix["836"].sentence("vi")
    assert vi.startswith("Huyện Ba Tri: Ba tiêu chí chưa đạt nhiều nhất là "
                         "TC 17 Môi trường và an toàn thực phẩm (3/5 xã)")
    assert "TC 2 Giao thông (2/5 xã)" in vi and "TC 10 Thu nhập (2/5 xã)" in vi
    en = matrix["836"].sentence("en")
    assert en.startswith("Huyện Ba Tri: The three most missed criteria are C17 Environment and food safety (3 of 5 xã)")


def test_gap_sentence_when_nothing_or_little_is_missing():
    units = [("90001", "Xã An", "Xã", "836", {2022: ("ntm", [])}),
             ("90002", "Xã Bình", "Xã", "831", {2022: ("chua_dat", [5])}),
             ("90003", "Xã Cần", "Xã", "831", {2022: ("ntm", [])})]
    matrix = {row.district_code: row for row in P.gap_matrix(make_dataset(units), 2022)}
    assert matrix["836"].sentence("en") == "Huyện Ba Tri: every xã with data meets all 19 criteria."
    assert matrix["831"].sentence("vi") == "Huyện Châu Thành: Tiêu chí duy nhất chưa đạt là TC 5 Trường học (1/2 xã)."


def test_gap_sentence_names_the_criteria_tied_with_the_third():
    """Châu Thành read "TC 10 (2/19); TC 17 (2/19) và TC 1 (1/19)" though TC 2, 11, 12 and 13 were 1/19 too: the
    third was picked by number among equals, without a word of the others."""
    units = [("90001", "Xã An", "Xã", "836", {2022: ("chua_dat", [10, 17, 1, 2, 11])}),
             ("90002", "Xã Bình", "Xã", "836", {2022: ("chua_dat", [10, 17])})]
    row = {r.district_code: r for r in P.gap_matrix(make_dataset(units), 2022)}["836"]
    assert [c.criterion for c in row.top(3)] == [10, 17, 1] and [c.criterion for c in row.tied_with_last()] == [2, 11]
    assert row.sentence("vi").endswith("và TC 1 Quy hoạch (1/2 xã). Cũng chưa đạt ở 1/2 xã: TC 2, TC 11.")
    assert row.sentence("en").endswith("Missed in as many xã (1 of 2): C2, C11.")
    untied = [("90001", "Xã An", "Xã", "836", {2022: ("chua_dat", [10, 17, 1])})]
    assert "1/1" not in {r.district_code: r for r in P.gap_matrix(make_dataset(untied), 2022)}["836"].sentence(
        "vi").split(").", 1)[1]


# --------------------------------------------------------------------------- targets


def test_targets_province_and_gap_texts(small):
    view = P.targets(small, 2022)
    rows = {t["key"]: t for t in view.province}
    ntm = rows["xa_ntm_share"]
    # 10 xã (the phường does not count), 5 NTM; 80 % of 10 = 8 -> 3 more needed.
    assert (ntm["actual"], ntm["total"], ntm["target"], ntm["gap"], ntm["met"]) == (5, 10, 8, 3, False)
    assert ntm["gap_vi"] == "cần thêm 3 xã đạt chuẩn NTM"
    assert ntm["gap_en"] == "needs 3 more xã NTM"
    nc = rows["xa_nang_cao_share"]
    assert (nc["actual"], nc["target"], nc["gap_en"]) == (3, 4, "needs 1 more advanced NTM xã")
    assert rows["model_per_district"]["actual"] == 1  # Kha (Châu Thành) is kiểu mẫu
    assert rows["district_831"]["gap_en"] == "now: Not yet NTM; goal: NTM district"
    assert rows["city_quality"]["met"] is None
    cells = P.target_cells(ntm, "vi")
    assert cells["actual"] == "5/10 xã (50,0 %)" and cells["status"] == "chưa đạt"  # Babel: vi decimal comma
    english = P.target_cells(ntm, "en")
    assert english["actual"] == "5/10 xã (50.0%)" and english["status"] == "not met"
    assert english["gap"] == "needs 3 more xã NTM" and P.target_cells(ntm, "vi")["gap"] == "cần thêm 3 xã đạt chuẩn NTM"


def test_targets_per_district(small):
    view = P.targets(small, 2022)
    by_code = {d.district_code: d for d in view.districts}
    chau_thanh = {t["key"]: t for t in by_code["831"].targets}
    assert chau_thanh["xa_ntm_share"]["actual"] == 3 and chau_thanh["xa_ntm_share"]["target"] == 4
    assert chau_thanh["xa_nang_cao_share"]["met"] is True  # 2/4 ≥ 40 %
    assert chau_thanh["model_per_district"]["met"] is True
    # A huyện NTM goal (Châu Thành) needs every xã NTM: 3/4, one left.
    assert chau_thanh["all_xa_ntm"]["gap_vi"] == "còn 1 xã chưa đạt chuẩn NTM"
    assert not any(k.startswith("district_") and k != "district_831" for k in chau_thanh)
    ba_tri = {t["key"]: t for t in by_code["836"].targets}
    assert "all_xa_ntm" not in ba_tri  # Ba Tri has no district goal in plan 4798
    assert ba_tri["xa_ntm_share"]["gap_en"] == "needs 3 more xã NTM"  # 2/6 NTM, 80 % of 6 = 4.8 -> 5


def test_progress_series(small):
    points = P.progress(small)
    assert [(p.year, p.xa_total, p.xa_ntm, p.xa_nang_cao) for p in points] == [(2021, 10, 4, 2), (2022, 10, 5, 3)]
    assert [(p.pct_ntm, p.pct_nang_cao) for p in points] == [(40.0, 20.0), (50.0, 30.0)]
    ba_tri = P.progress(small, "836")
    assert [(p.xa_ntm, p.xa_total) for p in ba_tri] == [(1, 6), (2, 6)]
    assert set(P.progress_all(small)) == {"", "831", "836"}


# --------------------------------------------------------------------------- what-if


def test_what_if_all_xa_at_18(small):
    result = P.what_if(small, 2022, "all18")
    assert [c["commune"] for c in result.chosen] == ["Xã Cần"]
    after = {t["key"]: t for t in result.after.province}
    assert after["xa_ntm_share"]["actual"] == 6 and after["xa_ntm_share"]["gap"] == 2
    assert result.next_year == 2023
    before = {t["key"]: t for t in result.before.province}
    assert before["xa_ntm_share"]["actual"] == 5  # the current state is unchanged


def test_what_if_chosen_codes_and_district_outcome(small):
    result = P.what_if(small, 2022, "codes", ["90011", "90012"])
    assert [c["commune"] for c in result.chosen] == ["Xã Giang"]
    assert [c["commune"] for c in result.already] == ["Xã Hà"]
    chau_thanh = {t["key"]: t for t in next(d for d in result.after.districts if d.district_code == "831").targets}
    assert chau_thanh["xa_ntm_share"]["met"] is True  # 4/4
    assert chau_thanh["all_xa_ntm"]["met"] is True
    assert chau_thanh["rest_ge_15"]["met"] is True


def test_what_if_applies_next_years_unit_types():
    # Tiên Thủy (28861) became a thị trấn in 2023: in a 2022 -> 2023 what-if it no longer counts as a xã.
    units = [("28861", "Xã Tiên Thủy", "Xã", "831", {2022: ("ntm", [])}),
             ("90001", "Xã An", "Xã", "831", {2022: ("chua_dat", [3])})]
    result = P.what_if(make_dataset(units), 2022, "codes", ["90001"])
    assert result.becomes_township == ["Thị trấn Tiên Thủy"]
    after = {t["key"]: t for t in result.after.province}
    assert (after["xa_ntm_share"]["actual"], after["xa_ntm_share"]["total"]) == (1, 1)


def test_what_if_refuses_unknown_and_urban_codes(small):
    with pytest.raises(P.PlanningError, match="99999"):
        P.what_if(small, 2022, "codes", ["99999"])
    with pytest.raises(P.PlanningError, match="phường"):
        P.what_if(small, 2022, "codes", ["90015"])


@pytest.mark.parametrize("raw, expected", [
    ("all18", ("all18", [])), ("28813,29146", ("codes", ["28813", "29146"])),
    (" 28813 ; 28813 29146 ", ("codes", ["28813", "29146"])),
])
def test_parse_whatif(raw, expected):
    assert P.parse_whatif(raw) == expected


@pytest.mark.parametrize("raw", ["", "abc", "28813,x1"])
def test_parse_whatif_refuses_garbage(raw):
    with pytest.raises(P.PlanningError, match="whatif"):
        P.parse_whatif(raw)


def test_lagging_map_spec_classes(small):
    rows = P.lagging(small, P.LaggingFilters(2022, district="836"))
    spec, keys = P.lagging_spec(small, rows, 2022, "836", "en")
    assert keys["90001"] == "below_15" and keys["90003"] == "15_18" and keys["90004"] == "ntm_low_nang_cao"
    assert keys["90011"] == "not_listed"  # lagging, but outside the district filter
    assert keys["90006"] == "no_data" and keys["90015"] == "not_applicable"
    assert spec.counts["below_15"] == 2 and spec.layer == "lagging"
    assert sum(spec.counts.values()) == 6 and "not_applicable" not in spec.counts  # Ba Tri's units only
    assert {k for k, v in keys.items() if v in P.GROUPS} == {r.ward_code for r in rows}


# --------------------------------------------------------------------------- demo data (ntm-facts.md)


def test_demo_2022_targets_match_published_figures(dataset):
    view = P.targets(dataset, 2022)
    ntm = {t["key"]: t for t in view.province}["xa_ntm_share"]
    # ntm-facts.md §4: 2022-11-26, 80/142 xã NTM; 80 % of 142 = 113.6 -> 114 -> 34 more.
    assert (ntm["actual"], ntm["total"], ntm["actual_pct"], ntm["gap"]) == (80, 142, 56.3, 34)
    assert ntm["gap_vi"] == "cần thêm 34 xã đạt chuẩn NTM"
    assert ntm["gap_en"] == "needs 34 more xã NTM"
    assert view.counts["xa_nang_cao"] == 20


def test_demo_2022_lagging_bands_match_published_figures(dataset):
    counts = P.lagging_counts(P.lagging(dataset, P.LaggingFilters(2022)))
    # 24 xã at 15-18 criteria, 38 at 10-14, none below 10 (ntm-facts.md §4).
    assert counts["15_18"] == 24 and counts["below_15"] == 38
    assert len(P.lagging(dataset, P.LaggingFilters(2022, band="lt10"))) == 0


# --------------------------------------------------------------------------- charts


def test_progress_chart_is_deterministic_svg(small):
    points = P.progress(small)
    svg = progress_svg(points, "Tỉnh Bến Tre", "vi")
    assert svg == progress_svg(points, "Tỉnh Bến Tre", "vi")
    root = ET.fromstring(svg.encode("utf-8"))
    assert root.tag.endswith("svg")
    text = " ".join(t for t in root.itertext())
    assert "mục tiêu 80 %" in text and "mục tiêu 40 %" in text
    assert "50,0" in text and "30,0" in text and "50.0" not in text  # the 2022 shares, with a decimal comma
    english = " ".join(ET.fromstring(progress_svg(points, "Bến Tre", "en").encode("utf-8")).itertext())
    assert "50.0" in english and "50,0" not in english
    assert root.get("role") == "img" and "<style" not in svg  # a nonce CSP would block matplotlib's <style>
    title = root.find("{http://www.w3.org/2000/svg}title").text
    desc = root.find("{http://www.w3.org/2000/svg}desc").text
    assert title == "Tỉnh Bến Tre" and "2022: 50,0 %" in desc and "2022: 30,0 %" in desc
    assert "Dữ liệu minh họa" in text  # the fixture's values are illustrative
    assert "DejaVu Sans" in svg
    assert "2025" in text


def test_charts_for_different_districts_do_not_share_ids(small):
    a = progress_svg(P.progress(small, "836"), "Ba Tri", "en", salt="836")
    b = progress_svg(P.progress(small, "831"), "Châu Thành", "en", salt="831")
    ids = lambda s: {e.get("id") for e in ET.fromstring(s.encode()).iter() if e.get("id")}  # noqa: E731
    assert ids(a) and not ids(a) & ids(b)
    refs = re.findall(r'url\(#([^)]+)\)|xlink:href="#([^"]+)"', a)
    assert refs and all((x or y) in ids(a) for x, y in refs)  # clip paths and markers still resolve
    assert inline_svg(a).startswith("<svg")


# --------------------------------------------------------------------------- table downloads


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+cmd", "'+cmd"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=x", "'\t=x"),
    ("\r=x", "'\r=x"), ("Xã Giồng Trôm", "Xã Giồng Trôm"), (-2, -2), (3.5, 3.5), (None, ""),
])
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_csv_and_xlsx_keep_text_inert():
    columns = [("name", "Tên"), ("n", "Số")]
    rows = [{"name": '=HYPERLINK("http://x","y")', "n": 3}, {"name": "Xã Tân Phú Tây", "n": -1}]
    data = to_csv(columns, rows)
    assert data.startswith("\ufeff".encode("utf-8"))
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert parsed == [["Tên", "Số"], ["'=HYPERLINK(\"http://x\",\"y\")", "3"], ["Xã Tân Phú Tây", "-1"]]
    ws = openpyxl.load_workbook(io.BytesIO(to_xlsx(columns, rows, sheet="a/b", title="T"))).active
    assert ws.title == "a_b"
    assert ws["A3"].value == "'=HYPERLINK(\"http://x\",\"y\")" and ws["A3"].data_type == "s"
    assert ws["B3"].value == 3 and ws["B4"].value == -1


def test_gap_matrix_page_writes_shares_as_the_language_does(client):
    """/gaps cells: Vietnamese '5 %', English '5%' (as the summary and the map's labels)."""
    vi = client.get("/gaps?year=2024").get_data(as_text=True)
    en = client.get("/gaps?year=2024&lang=en").get_data(as_text=True)
    cells = r'data-count="\d+">\s*<a [^>]*>\d+<br><small>([^<]+)</small>'
    vi_shares, en_shares = re.findall(cells, vi), re.findall(cells, en)
    assert vi_shares and all(re.fullmatch(r"\d+\s%", s) for s in vi_shares), vi_shares[:5]
    assert en_shares and all(re.fullmatch(r"\d+%", s) for s in en_shares), en_shares[:5]


def test_the_rest_target_of_a_district_with_every_xa_ntm_says_so():
    """/targets read "0/0 xã chưa đạt chuẩn" and "tất cả 0 xã" for Chợ Lách, whose xã are all NTM."""
    units = [("90001", "Xã An", "Xã", "832", {2022: ("ntm", [])}),
             ("90002", "Xã Bình", "Xã", "832", {2022: ("nang_cao", [])})]
    view = P.targets(make_dataset(units), 2022)
    rest = next(t for d in view.districts if d.district_code == "832" for t in d.targets if t["key"] == "rest_ge_15")
    cells = P.target_cells(rest, "vi")
    assert cells["actual"] == cells["goal"] == "mọi xã đã đạt chuẩn NTM" and cells["status"] == "đạt"
    assert P.target_cells(rest, "en")["goal"] == "every xã is NTM"
