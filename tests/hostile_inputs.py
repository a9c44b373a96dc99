"""A corpus of hostile or broken import files, each with what it exercises and the message it must give.

HOSTILE_INPUTS: (id, kind 'boundaries' | 'status', builder(tmp_path) -> Path, expected message fragment).
Every one must be refused: `flask --app app data check FILE` exits 1 naming the problem (test_hostile_imports),
and `flask --app app import boundaries|status FILE` must leave the store unchanged.
"""
from __future__ import annotations

import io
import json
import os
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import openpyxl
import shapely
from shapely.geometry import Polygon, box

from office_fixtures import Style, make_truth, office_workbook

Builder = Callable[[Path], Path]

GIAO_LONG = "28813"
PHU_LE = "29146"


def _squares(crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame({"ma_xa": [GIAO_LONG, PHU_LE], "ten_xa": ["Xã Giao Long", "Xã Phú Lễ"]},
                             geometry=[box(106.40, 10.25, 106.41, 10.26), box(106.42, 10.25, 106.43, 10.26)],
                             crs="EPSG:4326")
    return frame.to_crs(crs)


def _shapefile_parts(tmp: Path) -> dict[str, bytes]:
    folder = tmp / "parts"
    folder.mkdir(exist_ok=True)
    _squares().to_file(folder / "xa.shp", encoding="UTF-8")
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def _zip(tmp: Path, name: str, members: dict[str, bytes]) -> Path:
    path = tmp / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    return path


# ---------------------------------------------------------------- boundaries

def zip_slip(tmp: Path) -> Path:
    """Members named ../../ would be written outside the extraction folder."""
    parts = _shapefile_parts(tmp)
    return _zip(tmp, "slip.zip", {f"../../{n}": d for n, d in parts.items()})


def zip_absolute_path(tmp: Path) -> Path:
    parts = _shapefile_parts(tmp)
    return _zip(tmp, "absolute.zip", {f"/tmp/ntm/{n}": d for n, d in parts.items()})


def zip_symlink(tmp: Path) -> Path:
    """A member that is a symbolic link to a file of the server."""
    parts = _shapefile_parts(tmp)
    path = _zip(tmp, "link.zip", parts)
    with zipfile.ZipFile(path, "a") as zf:
        info = zipfile.ZipInfo("xa.prj.link")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    return path


def zip_bomb(tmp: Path) -> Path:
    """A 300 MB member of zeros stored in a few hundred kB."""
    path = tmp / "bomb.zip"
    parts = _shapefile_parts(tmp)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for n, d in parts.items():
            zf.writestr(n, d)
        with zf.open("padding.bin", "w", force_zip64=True) as member:
            block = bytes(1024 * 1024)
            for _ in range(300):
                member.write(block)
    return path


def zip_many_files(tmp: Path) -> Path:
    parts = _shapefile_parts(tmp)
    members = {**parts, **{f"junk/{i}.txt": b"x" for i in range(1200)}}
    return _zip(tmp, "many.zip", members)


def not_a_zip(tmp: Path) -> Path:
    path = tmp / "ranh-gioi.zip"
    path.write_bytes(b"PK\x03\x04 this is not really a zip archive")
    return path


def zip_without_layer(tmp: Path) -> Path:
    return _zip(tmp, "readme.zip", {"doc/README.txt": "Bản đồ ranh giới".encode()})


def zip_two_layers(tmp: Path) -> Path:
    parts = _shapefile_parts(tmp)
    members = {**{f"a/{n}": d for n, d in parts.items()}, **{f"b/{n.replace('xa', 'xa2')}": d for n, d in parts.items()}}
    return _zip(tmp, "two.zip", members)


def zip_missing_dbf(tmp: Path) -> Path:
    parts = {n: d for n, d in _shapefile_parts(tmp).items() if not n.endswith(".dbf")}
    return _zip(tmp, "nodbf.zip", parts)


def zip_in_zip(tmp: Path) -> Path:
    inner = zip_missing_dbf(tmp).read_bytes()
    return _zip(tmp, "nested.zip", {"inner.zip": inner})


def empty_layer(tmp: Path) -> Path:
    path = tmp / "empty.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    return path


def no_geometry(tmp: Path) -> Path:
    path = tmp / "nogeom.geojson"
    features = [{"type": "Feature", "properties": {"ma_xa": GIAO_LONG}, "geometry": None}]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def points_not_polygons(tmp: Path) -> Path:
    path = tmp / "points.geojson"
    gpd.GeoDataFrame({"ma_xa": [GIAO_LONG]}, geometry=[shapely.Point(106.4, 10.25)], crs=4326).to_file(path)
    return path


def lines_not_polygons(tmp: Path) -> Path:
    path = tmp / "lines.geojson"
    gpd.GeoDataFrame({"ma_xa": [GIAO_LONG]}, geometry=[shapely.LineString([(106.4, 10.25), (106.5, 10.3)])],
                     crs=4326).to_file(path)
    return path


def metres_without_prj(tmp: Path) -> Path:
    path = tmp / "vn2000.shp"
    _squares("EPSG:9210").to_file(path)
    path.with_suffix(".prj").unlink()
    return path


def collapsed_bow_ties(tmp: Path) -> Path:
    """Bow-tie rings whose two lobes are flat: repair leaves no area (a fixable bow-tie is repaired, with a
    warning, in test_boundaries)."""
    path = tmp / "bowtie.geojson"
    flat = Polygon([(106.40, 10.25), (106.41, 10.25), (106.42, 10.25), (106.41, 10.25), (106.40, 10.25)])
    flat2 = Polygon([(106.42, 10.25), (106.43, 10.26), (106.44, 10.27), (106.43, 10.26), (106.42, 10.25)])
    gpd.GeoDataFrame({"ma_xa": [GIAO_LONG, PHU_LE]}, geometry=[flat, flat2], crs=4326).to_file(path)
    return path


def unknown_codes(tmp: Path) -> Path:
    path = tmp / "unknown.geojson"
    frame = _squares()
    frame["ma_xa"] = ["99991", "99992"]
    frame["ten_xa"] = ["Xã Không Có", "Xã Cũng Không"]
    frame.to_file(path, driver="GeoJSON")
    return path


def corrupt_geojson(tmp: Path) -> Path:
    path = tmp / "corrupt.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [{"type": ', encoding="utf-8")
    return path


def zero_bytes(tmp: Path) -> Path:
    path = tmp / "zero.gpkg"
    path.write_bytes(b"")
    return path


def text_named_shp(tmp: Path) -> Path:
    folder = tmp / "fake"
    folder.mkdir()
    for suffix in (".shp", ".shx", ".dbf"):
        (folder / f"xa{suffix}").write_text("Danh sách xã\n", encoding="utf-8")
    return folder / "xa.shp"


def oversized_layer(tmp: Path) -> Path:
    """A 201 MB GeoJSON (sparse: no disk used) is refused before it is parsed."""
    path = tmp / "huge.geojson"
    with open(path, "wb") as f:
        f.truncate(201 * 1024 * 1024)
    return path


def outside_ben_tre(tmp: Path) -> Path:
    path = tmp / "hanoi.geojson"
    frame = _squares()
    frame.geometry = [box(105.80, 21.00, 105.81, 21.01), box(105.82, 21.00, 105.83, 21.01)]
    frame.to_file(path, driver="GeoJSON")
    return path


def lonlat_outside_vietnam(tmp: Path) -> Path:
    path = tmp / "paris.shp"
    frame = _squares()
    frame.geometry = [box(2.30, 48.80, 2.31, 48.81), box(2.32, 48.80, 2.33, 48.81)]
    frame.to_file(path)
    path.with_suffix(".prj").unlink()
    return path


def unknown_cpg(tmp: Path) -> Path:
    path = tmp / "klingon.shp"
    _squares().to_file(path)
    path.with_suffix(".cpg").write_text("KLINGON-8", encoding="ascii")
    return path


def missing_shx(tmp: Path) -> Path:
    path = tmp / "noshx.shp"
    _squares().to_file(path)
    path.with_suffix(".shx").unlink()
    return path


def no_code_or_name_columns(tmp: Path) -> Path:
    path = tmp / "bare.geojson"
    gpd.GeoDataFrame({"fid_x": [1]}, geometry=[box(106.4, 10.25, 106.41, 10.26)], crs=4326).to_file(path)
    return path


# ---------------------------------------------------------------- status

def _office(tmp: Path, name: str, style: Style | None = None, **kw) -> Path:
    return office_workbook(tmp / name, 2023, style or Style(), **kw)[0]


def _edit(path: Path, edit: Callable) -> Path:
    wb = openpyxl.load_workbook(path)
    edit(wb.worksheets[0])
    wb.save(path)
    return path


def _row_of(ws, code: str, column: int = 2) -> int:
    return next(r for r in range(1, ws.max_row + 1) if str(ws.cell(r, column).value) == code)


def text_named_xlsx(tmp: Path) -> Path:
    path = tmp / "ket-qua.xlsx"
    path.write_text("STT,Tên xã\n1,Giao Long\n", encoding="utf-8")
    return path


def zip_named_xlsx(tmp: Path) -> Path:
    """A real zip, but not a workbook inside."""
    return _zip(tmp, "zipped.xlsx", {"xl/readme.txt": b"not a workbook"})


def old_xls(tmp: Path) -> Path:
    path = tmp / "bao-cao.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    return path


def header_with_18_criteria(tmp: Path) -> Path:
    """The criteria header has 18 of the 19 columns (criterion 19 deleted)."""
    path = _office(tmp, "18tc.xlsx")
    return _edit(path, lambda ws: ws.delete_cols(22))


def level_contradicts_marks(tmp: Path) -> Path:
    truth = make_truth(2023)
    code = next(k[0] for k, met in truth.criteria.items() if sum(met) == 17)
    path = office_workbook(tmp / "contradiction.xlsx", 2023, Style(), truth=truth)[0]

    def edit(ws):
        ws.cell(_row_of(ws, code), 24).value = "Đạt chuẩn NTM"
    return _edit(path, edit)


def text_in_criterion_cell(tmp: Path) -> Path:
    def edit(ws):
        ws.cell(_row_of(ws, GIAO_LONG), 6).value = "đạt 80%"
    return _edit(_office(tmp, "text-mark.xlsx"), edit)


def year_missing_everywhere(tmp: Path) -> Path:
    return _office(tmp, "no-year.xlsx", Style(title_year=False))


def formula_in_name(tmp: Path) -> Path:
    def edit(ws):
        ws.cell(_row_of(ws, "Xã Giao Long", 2), 2).value = '=HYPERLINK("http://example.invalid","Giao Long")'
    return _edit(_office(tmp, "formula-name.xlsx", Style(codes=False)), edit)


def duplicate_codes(tmp: Path) -> Path:
    def edit(ws):
        r = _row_of(ws, GIAO_LONG)
        ws.cell(r + 1, 2).value = GIAO_LONG
        ws.cell(r + 1, 3).value = "Xã Giao Long"
    return _edit(_office(tmp, "duplicate.xlsx"), edit)


def unknown_status_code(tmp: Path) -> Path:
    def edit(ws):
        r = _row_of(ws, GIAO_LONG)
        ws.cell(r, 2).value = 99999
        ws.cell(r, 3).value = None
    return _edit(_office(tmp, "unknown-code.xlsx"), edit)


def removed_2019_code(tmp: Path) -> Path:
    def edit(ws):
        r = _row_of(ws, GIAO_LONG)
        ws.cell(r, 2).value = "28816"  # Giao Hòa, merged into Giao Long in 2020
        ws.cell(r, 3).value = None
    return _edit(_office(tmp, "code-2019.xlsx"), edit)


def not_applicable_for_a_xa(tmp: Path) -> Path:
    def edit(ws):
        ws.cell(_row_of(ws, GIAO_LONG), 4).value = "Không áp dụng"
    return _edit(_office(tmp, "kad.xlsx"), edit)


def no_table_in_workbook(tmp: Path) -> Path:
    path = tmp / "notes.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["Báo cáo tình hình thực hiện chương trình"])
    wb.active.append(["Nội dung", "Kết quả"])
    wb.save(path)
    return path


def ambiguous_name_without_district(tmp: Path) -> Path:
    """Names only and no district headings: 'An Hiệp' is a xã of two districts."""
    path = tmp / "ambiguous.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["BẢNG TỔNG HỢP KẾT QUẢ NĂM 2023"])
    ws.append(["STT", "Tên xã"] + [f"TC{n}" for n in range(1, 20)])
    ws.append([1, "An Hiệp"] + ["x"] * 19)
    wb.save(path)
    return path


def csv_not_utf8(tmp: Path) -> Path:
    path = tmp / "windows.csv"
    path.write_bytes("ward_code,year,note\n28813,2022,Ghi chú\n".encode("cp1258"))
    return path


def csv_empty(tmp: Path) -> Path:
    path = tmp / "empty.csv"
    path.write_bytes(b"\n\n")
    return path


def oversized_status(tmp: Path) -> Path:
    """A 30 MB CSV (sparse) is refused before parsing."""
    path = tmp / "huge.csv"
    with open(path, "wb") as f:
        f.write(b"ward_code,year\n")
        f.truncate(30 * 1024 * 1024)
    return path


def marks_formulas_without_results(tmp: Path) -> Path:
    """Criterion marks that are formulas with no saved result: the value cannot be known."""
    def edit(ws):
        r = _row_of(ws, GIAO_LONG)
        for c in range(4, 23):
            ws.cell(r, c).value = f'=IF(Z{r}>0,"x","")'
    return _edit(_office(tmp, "formula-marks.xlsx"), edit)


def _demo_csv_rows() -> list[list[str]]:
    import csv

    demo = Path(__file__).resolve().parent.parent / "data" / "status" / "demo-communes.csv"
    with demo.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))[:4]


def _write_csv(path: Path, rows: list[list[str]]) -> Path:
    import csv

    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def csv_row_with_18_criterion_cells(tmp: Path) -> Path:
    """A data row that lost its c7 cell (not emptied: gone), so every later value moved one column left."""
    header, *rows = _demo_csv_rows()
    c7 = header.index("c7")
    rows[1] = rows[1][:c7] + rows[1][c7 + 1:]
    return _write_csv(tmp / "row-18-criteria.csv", [header, *rows])


def csv_row_with_an_extra_cell(tmp: Path) -> Path:
    """An unquoted comma in a name splits it into two cells: every later value moves one column right."""
    header, *rows = _demo_csv_rows()
    name = header.index("name")
    rows[2] = rows[2][:name] + ["Xã Phú Hưng", "TP Bến Tre"] + rows[2][name + 1:]
    return _write_csv(tmp / "row-extra-cell.csv", [header, *rows])


HOSTILE_INPUTS: list[tuple[str, str, Builder, str]] = [
    # id, kind, builder, expected fragment of the message
    ("zip-slip", "boundaries", zip_slip, "'..'"),
    ("zip-absolute-path", "boundaries", zip_absolute_path, "absolute path"),
    ("zip-symlink", "boundaries", zip_symlink, "symbolic link"),
    ("zip-bomb", "boundaries", zip_bomb, "zip bomb"),
    ("zip-too-many-files", "boundaries", zip_many_files, "files (at most"),
    ("not-a-zip", "boundaries", not_a_zip, "not a readable .zip"),
    ("zip-without-layer", "boundaries", zip_without_layer, "no shapefile"),
    ("zip-two-layers", "boundaries", zip_two_layers, "several layers"),
    ("zip-missing-dbf", "boundaries", zip_missing_dbf, ".dbf missing"),
    ("zip-in-zip", "boundaries", zip_in_zip, "no shapefile"),
    ("empty-layer", "boundaries", empty_layer, "no features"),
    ("no-geometry", "boundaries", no_geometry, "no polygon geometry"),
    ("points-not-polygons", "boundaries", points_not_polygons, "no polygon"),
    ("lines-not-polygons", "boundaries", lines_not_polygons, "no polygon"),
    ("metres-without-prj", "boundaries", metres_without_prj, "EPSG:9210"),
    ("collapsed-bow-ties", "boundaries", collapsed_bow_ties, "nothing to map"),
    ("unknown-codes", "boundaries", unknown_codes, "none of the 2 features matches"),
    ("corrupt-geojson", "boundaries", corrupt_geojson, "cannot read"),
    ("zero-bytes", "boundaries", zero_bytes, "empty"),
    ("text-named-shp", "boundaries", text_named_shp, "cannot read"),
    ("oversized-layer", "boundaries", oversized_layer, "over the limit"),
    ("outside-ben-tre", "boundaries", outside_ben_tre, "not in Bến Tre"),
    ("lonlat-outside-vietnam", "boundaries", lonlat_outside_vietnam, "outside Vietnam"),
    ("unknown-cpg", "boundaries", unknown_cpg, "not a known text encoding"),
    ("missing-shx", "boundaries", missing_shx, ".shx missing"),
    ("no-code-or-name-columns", "boundaries", no_code_or_name_columns, "no column with GSO codes"),
    ("xlsx-not-a-workbook", "status", text_named_xlsx, "not an Excel workbook"),
    ("xlsx-zip-not-a-workbook", "status", zip_named_xlsx, "not a valid Excel workbook"),
    ("old-xls", "status", old_xls, ".xls"),
    ("18-of-19-criteria", "status", header_with_18_criteria, "18 of the 19 criterion columns"),
    ("csv-row-with-18-of-19-criterion-cells", "status", csv_row_with_18_criterion_cells,
     "row 3: the row has 1 cell(s) fewer than the header (it holds 18 of the 19 criterion cells"),
    ("csv-row-with-an-extra-cell", "status", csv_row_with_an_extra_cell, "row 4: the row has 1 cell(s) more"),
    ("level-contradicts-marks", "status", level_contradicts_marks, "needs all 19 criteria met"),
    ("text-in-criterion-cell", "status", text_in_criterion_cell, "'đạt 80%' not understood"),
    ("year-missing-everywhere", "status", year_missing_everywhere, "no year found"),
    ("formula-in-name", "status", formula_in_name, "is a formula"),
    ("duplicate-codes", "status", duplicate_codes, "appears twice"),
    ("unknown-status-code", "status", unknown_status_code, "not one of Bến Tre's 157 GSO codes"),
    ("removed-2019-code", "status", removed_2019_code, "no longer exists"),
    ("not-applicable-for-a-xa", "status", not_applicable_for_a_xa, "NTM criteria apply to every xã"),
    ("no-table-in-workbook", "status", no_table_in_workbook, "no sheet holds a table"),
    ("ambiguous-name", "status", ambiguous_name_without_district, "several units"),
    ("csv-not-utf8", "status", csv_not_utf8, "not UTF-8"),
    ("csv-empty", "status", csv_empty, "empty"),
    ("oversized-status", "status", oversized_status, "over the limit"),
    ("mark-formulas-without-results", "status", marks_formulas_without_results, "no saved result"),
]
