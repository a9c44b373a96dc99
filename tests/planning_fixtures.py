"""A tiny hand-checked Dataset for the planning tests (two districts, eleven units, two years)."""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry import box

from geo_app.domain.criteria import CRITERION_COLUMNS
from geo_app.model.dataset import Dataset

A, B = "836", "831"  # Huyện Ba Tri, Huyện Châu Thành
# code, name, type, district, {year: (level, missing criteria)}; a missing year means no data that year.
UNITS = [
    ("90001", "Xã An", "Xã", A, {2021: ("chua_dat", [1, 2, 3, 10, 13, 17, 19]),
                                 2022: ("chua_dat", [1, 2, 3, 10, 13, 17, 19])}),
    ("90002", "Xã Bình", "Xã", A, {2021: ("chua_dat", [2, 10, 13, 17, 18, 19]),
                                   2022: ("chua_dat", [2, 10, 13, 17, 19])}),
    ("90003", "Xã Cần", "Xã", A, {2021: ("chua_dat", [17]), 2022: ("chua_dat", [17])}),
    ("90004", "Xã Đông", "Xã", A, {2021: ("chua_dat", [9]), 2022: ("ntm", [])}),
    ("90005", "Xã Én", "Xã", A, {2021: ("nang_cao", []), 2022: ("nang_cao", [])}),
    ("90006", "Xã Mới", "Xã", A, {}),
    ("90011", "Xã Giang", "Xã", B, {2021: ("chua_dat", [10, 13, 17]), 2022: ("chua_dat", [10, 13, 17])}),
    ("90012", "Xã Hà", "Xã", B, {2021: ("ntm", []), 2022: ("ntm", [])}),
    ("90013", "Xã Ích", "Xã", B, {2021: ("nang_cao", []), 2022: ("nang_cao", [])}),
    ("90014", "Xã Kha", "Xã", B, {2021: ("ntm", []), 2022: ("kieu_mau", [])}),
    ("90015", "Phường Lộc", "Phường", B, {}),
]
DISTRICT_NAMES = {A: "Huyện Ba Tri", B: "Huyện Châu Thành"}


def make_dataset(units: list | None = None, notes: dict[str, str] | None = None,
                 names: dict[str, str] | None = None) -> Dataset:
    """Build a Dataset straight from small frames (no files): boxes side by side, status per year."""
    units = units or UNITS
    notes, names = notes or {}, names or {}
    boundaries = gpd.GeoDataFrame(
        {
            "ward_code": [u[0] for u in units],
            "name": [names.get(u[0], u[1]) for u in units],
            "type": [u[2] for u in units],
            "district_code": [u[3] for u in units],
            "district_name": [DISTRICT_NAMES.get(u[3], u[3]) for u in units],
            "vintage": "2020-02-01/2024-11-30",
        },
        geometry=[box(106 + 0.01 * i, 10, 106.01 + 0.01 * i, 10.01) for i in range(len(units))],
        crs="EPSG:4326",
    )
    status = []
    for code, _name, _type, _district, years in units:
        for year, (level, missing) in years.items():
            rec = {"ward_code": code, "year": year, "level": level,
                   "year_recognised": year if level != "chua_dat" else None,
                   "note": notes.get(code, ""), "provenance": "illustrative", "source_url": ""}
            rec.update({c: (i + 1) not in missing for i, c in enumerate(CRITERION_COLUMNS)})
            status.append(rec)
    commune_status = pd.DataFrame(status)
    districts = pd.DataFrame([
        {"district_code": d, "year": y, "level": "chua_dat", "decision": "", "note": "",
         "provenance": "illustrative", "source_url": ""}
        for d in sorted({u[3] for u in units}) for y in (2021, 2022)
    ])
    return Dataset(boundaries=boundaries, commune_status=commune_status, district_status=districts)
