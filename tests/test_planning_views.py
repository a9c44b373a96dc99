"""Planning pages through the Flask test client: routes, filters, downloads, bad parameters (400, never 500).

Most tests run the real app on the tiny hand-checked Dataset of tests/planning_fixtures.py (served by a
store that holds it in memory); the demo-data tests use the session app of conftest.py.
"""
from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET

import openpyxl
import pytest
from planning_fixtures import make_dataset

from geo_app import create_app
from geo_app.store.datastore import DataStore
from geo_app.settings import Settings

FORMULA_NAME = '=HYPERLINK("http://example.invalid","x")'
FORMULA_NOTE = "@SUM(1+1)*cmd|' /C calc'!A0"


class FixedStore(DataStore):
    """A DataStore that serves one in-memory Dataset (no files)."""

    def __init__(self, ds, settings: Settings):
        super().__init__(settings, ":memory:")  # never opened: dataset() is fixed
        self._fixed = ds

    def dataset(self):
        return self._fixed


@pytest.fixture(scope="module")
def small_app(tmp_path_factory):
    settings = Settings.from_env({"NTM_DATA_DIR": str(tmp_path_factory.mktemp("no-data"))})
    app = create_app({"TESTING": True, "SETTINGS": settings})
    ds = make_dataset(names={"90002": FORMULA_NAME}, notes={"90001": FORMULA_NOTE})
    app.extensions["ntm_store"] = FixedStore(ds, settings)
    return app


@pytest.fixture()
def small(small_app):
    return small_app.test_client()


def listed_codes(html: str) -> list[str]:
    return re.findall(r'<tr data-ward-code="(\d+)"', html)


# --------------------------------------------------------------------------- /lagging


def test_lagging_page_lists_the_ranked_communes(small):
    r = small.get("/lagging?year=2022")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert listed_codes(html) == ["90001", "90002", "90011", "90003", "90004"]
    assert "TC 17 Môi trường và an toàn thực phẩm" in html
    assert "không đổi từ 2021" in html  # Xã An's year of last change
    assert 'id="lagging-count">5<' in html
    assert "MINH HỌA" in html  # illustrative banner


@pytest.mark.parametrize("query, expected", [
    ("district=831", ["90011"]),
    ("band=15_18", ["90011", "90003"]),
    ("criterion=2", ["90001", "90002"]),
    ("district=836&band=10_14&criterion=3", ["90001"]),
    ("band=lt10", []),
])
def test_lagging_filters_in_the_url(small, query, expected):
    r = small.get(f"/lagging?year=2022&{query}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert listed_codes(html) == expected
    if not expected:
        assert "Không có xã nào phù hợp bộ lọc." in html
    # The downloads carry the same filters.
    assert f'/lagging.csv?year=2022&amp;{query.replace("&", "&amp;")}' in html


def test_lagging_page_in_english_and_with_map(small):
    html = small.get("/lagging?year=2022&lang=en").get_data(as_text=True)
    assert '<html lang="en"' in html
    assert "C17 Environment and food safety" in html and "unchanged since 2021" in html
    assert "NTM.mount(" in html  # the interactive map is on the page
    assert '"layer": "lagging"' in html or '"layer":"lagging"' in html


def test_lagging_names_are_escaped_in_html(small):
    html = small.get("/lagging?year=2022").get_data(as_text=True)
    assert "=HYPERLINK(&#34;http://example.invalid&#34;,&#34;x&#34;)" in html


def test_main_map_lagging_layer_opens_the_lagging_view(small):
    r = small.get("/?year=2022&layer=lagging&band=15_18&lang=en")
    assert r.status_code == 302
    assert r.headers["Location"].endswith("/lagging?year=2022&band=15_18&lang=en")


# --------------------------------------------------------------------------- downloads


def test_csv_download_has_the_filtered_rows_and_inert_formulas(small):
    r = small.get("/lagging.csv?year=2022&district=836")
    assert r.status_code == 200
    assert r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"] and "ntm-lagging-2022-836.csv" in r.headers[
        "Content-Disposition"]
    assert r.data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    rows = list(csv.DictReader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert [row["Mã xã"] for row in rows] == ["90001", "90002", "90003", "90004"]
    by_code = {row["Mã xã"]: row for row in rows}
    assert by_code["90002"]["Xã"] == "'" + FORMULA_NAME
    assert by_code["90001"]["Ghi chú"] == "'" + FORMULA_NOTE
    assert by_code["90003"]["Tiêu chí chưa đạt"] == "TC 17 Môi trường và an toàn thực phẩm"
    assert by_code["90002"]["Năm thay đổi gần nhất"] == "2022"


def test_xlsx_download_has_the_filtered_rows_and_inert_formulas(small):
    r = small.get("/lagging.xlsx?year=2022&band=10_14&lang=en")
    assert r.status_code == 200
    assert r.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ws = openpyxl.load_workbook(io.BytesIO(r.data)).active
    values = [[c.value for c in row] for row in ws.iter_rows()]
    header = values[1]
    assert header[:3] == ["#", "Code", "Commune"]
    body = values[2:]
    assert [row[1] for row in body] == ["90001", "90002"]
    name_cell = ws.cell(row=4, column=3)
    assert name_cell.value == "'" + FORMULA_NAME and name_cell.data_type == "s"
    assert all(not (isinstance(v, str) and v.startswith(("=", "+", "-", "@"))) for row in values for v in row)
    assert "ILLUSTRATIVE" in values[0][0]


def test_xlsx_columns_fit_filter_and_speak_the_files_language(client):
    """Demo data: sensible widths (the title does not widen column A), an autofilter over the table,
    provenance in Vietnamese in the Vietnamese file, and the year columns are numbers."""
    ws = openpyxl.load_workbook(io.BytesIO(client.get("/lagging.xlsx?year=2022").data)).active
    header = [c.value for c in ws[2]]
    assert ws.auto_filter.ref == f"A2:{openpyxl.utils.get_column_letter(len(header))}{ws.max_row}"
    widths = {c: ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width for i, c in enumerate(header, 1)}
    assert widths["STT"] <= 10 and widths["Xã"] <= 25 and max(widths.values()) <= 40
    column = {name: [ws.cell(row=r, column=i).value for r in range(3, ws.max_row + 1)]
              for i, name in enumerate(header, 1)}
    assert set(column["Nguồn gốc"]) <= {"minh họa", "có tài liệu dẫn nguồn", "chính thức", ""}
    assert "minh họa" in column["Nguồn gốc"]
    for name in ("Năm thay đổi gần nhất", "Có số liệu từ năm"):
        assert all(v is None or isinstance(v, int) for v in column[name]) and any(column[name])
    en = openpyxl.load_workbook(io.BytesIO(client.get("/lagging.xlsx?year=2022&lang=en").data)).active
    en_header = [c.value for c in en[2]]
    provenance = [en.cell(row=r, column=en_header.index("Provenance") + 1).value for r in range(3, en.max_row + 1)]
    assert "illustrative" in provenance


def test_english_lagging_rows_translate_the_notes(client):
    html = client.get("/lagging?year=2022&lang=en").get_data(as_text=True)
    assert "Illustrative value, not an official figure" in html
    assert "Giá trị minh họa" not in html and "không phải số liệu chính thức" not in html
    assert ">illustrative<" in html or ">illustrative</a>" in html
    vi = client.get("/lagging?year=2022").get_data(as_text=True)
    assert "Giá trị minh họa, không phải số liệu chính thức" in vi and ">minh họa<" in vi
    assert "(illustrative)" not in vi and "(illustrative)" not in client.get("/lagging.csv?year=2022").get_data(
        as_text=True)


# --------------------------------------------------------------------------- /gaps


def test_gap_matrix_names_the_criteria(small):
    html = small.get("/gaps?year=2022").get_data(as_text=True)
    head = html[html.index('id="gap-matrix"'):html.index("</thead>")]
    for text in ("Quy hoạch", "Môi trường", "Quốc phòng, an ninh"):
        assert f'<span class="pl-crit-name">{text}</span>' in head
    en = small.get("/gaps?year=2022&lang=en").get_data(as_text=True)
    assert '<span class="pl-crit-name">Environment</span>' in en


def test_gap_matrix_page(small):
    r = small.get("/gaps?year=2022")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    row = html[html.index('<tr data-district="836"'):]
    row = row[:row.index("</tr>")]
    cell = re.search(r'data-criterion="17" data-count="(\d+)">\s*<a href="([^"]+)"', row)
    assert cell.group(1) == "3"
    assert cell.group(2).replace("&amp;", "&") == "/?year=2022&layer=criterion&criterion=17&district=836"
    assert "Huyện Ba Tri: Ba tiêu chí chưa đạt nhiều nhất là TC 17 Môi trường và an toàn thực phẩm (3/5 xã)" in html
    assert "1 xã chưa có dữ liệu" in html


def test_gap_links_keep_the_language(small):
    html = small.get("/gaps?year=2021&lang=en").get_data(as_text=True)
    assert "/?year=2021&amp;layer=criterion&amp;criterion=1&amp;district=836&amp;lang=en" in html
    assert "The three most missed criteria are" in html


# --------------------------------------------------------------------------- /targets and charts


def test_targets_page_with_gaps_and_charts(small):
    r = small.get("/targets?year=2022")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "5/10 xã (50,0 %)" in html and "cần thêm 3 xã đạt chuẩn NTM" in html
    assert html.count("<svg") == 3  # province + the two districts, inline
    assert 'id="targets-831"' in html and "còn 1 xã chưa đạt chuẩn NTM" in html
    en = small.get("/targets?year=2022&lang=en").get_data(as_text=True)
    assert "needs 3 more xã NTM" in en


def test_targets_what_if_all18(small):
    html = small.get("/targets?year=2022&whatif=all18").get_data(as_text=True)
    result = html[html.index('id="whatif-result"'):]
    assert "Xã Cần (Huyện Ba Tri)" in result
    assert "6/10 xã (60,0 %)" in result and "cần thêm 2 xã đạt chuẩn NTM" in result


def test_targets_what_if_codes(small):
    html = small.get("/targets?year=2022&whatif=90011,90012").get_data(as_text=True)
    result = html[html.index('id="whatif-result"'):]
    assert "Xã Giang (Huyện Châu Thành)" in result
    assert "Đã đạt chuẩn (bỏ qua)" in result and "Xã Hà" in result
    row = result[result.index('<tr data-district="831"'):]
    assert "75.0 % → 100.0 %" in row[:row.index("</tr>")]
    # The same choice as repeated checkbox parameters (what the form sends).
    again = small.get("/targets?year=2022&whatif=90011&whatif=90012").get_data(as_text=True)
    assert "75.0 % → 100.0 %" in again


def test_progress_chart_endpoint(small):
    r = small.get("/charts/progress.svg?district=836&lang=en")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    root = ET.fromstring(r.data)
    assert "goal 80%" in " ".join(root.itertext()) and "2025 goals 80% and 40%." in " ".join(root.itertext())
    assert small.get("/charts/progress.svg").status_code == 200


# --------------------------------------------------------------------------- bad parameters


@pytest.mark.parametrize("url, needle", [
    ("/lagging?band=20", "band="),
    ("/lagging?criterion=0", "criterion="),
    ("/lagging?criterion=abc", "criterion="),
    ("/lagging?year=abc", "year="),
    ("/lagging?year=2030", "year=2030"),
    ("/lagging?district=999", "district="),
    ("/lagging?lang=fr", "lang="),
    ("/lagging.csv?band=x", "band="),
    ("/lagging.xlsx?criterion=99", "criterion="),
    ("/gaps?year=1999", "year=1999"),
    ("/targets?whatif=abc", "whatif"),
    ("/targets?whatif=99999", "99999"),
    ("/targets?whatif=90015", "phường"),
    ("/targets?year=x", "year="),
    ("/charts/progress.svg?district=12", "district="),
])
def test_bad_parameters_get_a_readable_400(small, url, needle):
    r = small.get(url)
    assert r.status_code == 400
    text = r.get_data(as_text=True)
    assert needle in text.replace("&#39;", "'")
    assert "Traceback" not in text


# --------------------------------------------------------------------------- demo data


def test_demo_targets_2022(client):
    html = client.get("/targets?year=2022").get_data(as_text=True)
    assert "80/142 xã (56,3 %)" in html
    assert "cần thêm 34 xã đạt chuẩn NTM" in html
    assert html.count("<svg") == 10  # province + 9 districts


def test_demo_lagging_csv_2022_band_15_18(client):
    r = client.get("/lagging.csv?year=2022&band=15_18")
    rows = list(csv.DictReader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert len(rows) == 24  # ntm-facts.md: 24 xã at 15-18 criteria in 2022
    assert all(15 <= int(row["Số tiêu chí đạt"]) <= 18 for row in rows)


# --------------------------------------------------------------------------- data beside every view


def csv_rows(response) -> list[dict]:
    assert response.status_code == 200 and response.headers["Content-Disposition"].startswith("attachment")
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_map_data_downloads_hold_exactly_the_table(client):
    page = client.get("/?year=2022&district=836").get_data(as_text=True)
    assert 'id="data-download"' in page and "Tải số liệu" in page
    links = re.findall(r'href="(/data\.(?:csv|xlsx|geojson)\?[^"]+)"', page)
    assert len(links) == 3 and all("district=836" in link and "year=2022" in link for link in links)
    table = page[page.index('id="commune-table"'):]
    codes = re.findall(r'<tr data-ward-code="(\d+)"', table)
    rows = csv_rows(client.get(links[0].replace("&amp;", "&")))
    assert [r["Mã"] for r in rows] == codes and len(codes) == 23
    assert {r["Huyện"] for r in rows} == {"Huyện Ba Tri"}
    geo = client.get(links[2].replace("&amp;", "&")).get_json()
    assert sorted(f["properties"]["ward_code"] for f in geo["features"]) == sorted(codes)
    ws = openpyxl.load_workbook(io.BytesIO(client.get(links[1].replace("&amp;", "&")).data)).active
    assert [ws.cell(row=r, column=1).value for r in range(3, ws.max_row + 1)] == codes
    en = client.get("/data.csv?year=2022&lang=en&layer=criterion&criterion=17")
    assert "Map class" in en.get_data(as_text=True).splitlines()[0] and len(csv_rows(en)) == 157
    assert client.get("/data.pdf").status_code == 400


def test_gaps_download_matches_the_page(small):
    page = small.get("/gaps?year=2022").get_data(as_text=True)
    assert '/gaps.csv?year=2022' in page and '/gaps.xlsx?year=2022' in page
    rows = csv_rows(small.get("/gaps.csv?year=2022"))
    ba_tri = next(r for r in rows if r["Huyện"] == "Huyện Ba Tri")
    assert ba_tri["TC 17 Môi trường: số xã chưa đạt"] == "3"
    assert rows[-1]["Huyện"] == "Toàn tỉnh"
    ws = openpyxl.load_workbook(io.BytesIO(small.get("/gaps.xlsx?year=2022&lang=en").data)).active
    assert ws.cell(row=2, column=1).value == "District"


def test_targets_download_matches_the_page(small):
    page = small.get("/targets?year=2022").get_data(as_text=True)
    assert '/targets.csv?year=2022' in page and '/targets.xlsx?year=2022' in page
    rows = csv_rows(small.get("/targets.csv?year=2022"))
    province = [r for r in rows if r["Phạm vi"] == "Toàn tỉnh"]
    assert province[0]["Thực hiện"] == "5/10 xã (50,0 %)" and province[0]["Còn thiếu"] == "cần thêm 3 xã đạt chuẩn NTM"
    for r in rows:
        assert r["Chỉ tiêu"] in page
    assert small.get("/targets.pdf?year=2022").status_code == 400


def test_on_the_district_layer_each_communes_map_class_is_its_districts(client, dataset):
    """On the district layer the table's "Lớp trên bản đồ" was blank for every commune at NTM (their level is not
    one of the layer's classes) and "Chưa đạt chuẩn" for the others, whatever their district: it is the class the
    map gives the commune's district."""
    rows = csv_rows(client.get("/data.csv?year=2024&layer=district"))
    assert len(rows) == 157 and all(r["Lớp trên bản đồ"] for r in rows)
    by_district: dict[str, set] = {}
    for r in rows:
        by_district.setdefault(r["Huyện"], set()).add(r["Lớp trên bản đồ"])
    assert all(len(classes) == 1 for classes in by_district.values()), by_district
    assert len({next(iter(c)) for c in by_district.values()}) >= 2
    from geo_app.render.mapspec import build_spec

    spec = build_spec(dataset.communes(2024), dataset.district_frame(2024), 2024, "district")
    level = dict(zip(dataset.district_frame(2024)["district_name"], dataset.district_frame(2024)["level"]))
    label = {c.key: c.label("vi") for c in spec.classes}
    assert {name: classes for name, classes in by_district.items()} == {name: {label[level[name]]} for name in level}


@pytest.mark.parametrize("path, scope", [("/gaps.csv", "Huyện"), ("/targets.csv", "Phạm vi")])
def test_every_csv_row_says_where_its_numbers_come_from(client, dataset, path, scope):
    """gaps.csv and targets.csv had no title row and no provenance column: copied into a report, illustrative
    numbers read as official ones."""
    rows = csv_rows(client.get(f"{path}?year=2024"))
    communes = dataset.communes(2024)
    for row in rows:
        in_scope = communes if row[scope] == "Toàn tỉnh" else communes[communes["district_name"] == row[scope]]
        illustrative = int((in_scope["provenance"] == "illustrative").sum())
        assert (f"{illustrative} minh họa" in row["Nguồn gốc số liệu"]) is (illustrative > 0), row
    assert any("có tài liệu dẫn nguồn" in row["Nguồn gốc số liệu"] for row in rows)
    english = csv_rows(client.get(f"{path}?year=2024&lang=en"))
    assert all("illustrative" in row["Data provenance"] for row in english)
