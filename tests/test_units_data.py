"""Bến Tre's unit vintage, districts and changes are data (geo_app/domain/data/units-ben-tre.json): the file
agrees with the GSO unit list it describes, so a wrong edit is caught here and not on a map."""
from __future__ import annotations

import json

from geo_app.domain import units as u


def test_the_vintage_has_157_units_in_the_nine_districts():
    assert len(u.units()) == 157
    assert {unit.district_code for unit in u.units().values()} == set(u.DISTRICTS) and len(u.DISTRICTS) == 9
    assert u.BOUNDARY_VINTAGE == "2020-02-01/2024-11-30" and u.PROVINCE_CODE == "83"


def test_every_change_points_at_units_of_the_vintage():
    for (district, _), into in u.MERGES_2020.items():
        assert district in u.DISTRICTS and into in u.units()
    for code, (_, into) in u.REMOVED_2020.items():
        assert code not in u.units() and into in u.units()
    for code, name in u.BECAME_TOWNSHIP_2023.items():
        unit = u.units()[code]
        assert unit.type == "Xã" and name.startswith("Thị trấn") and not unit.ntm_applicable(u.TOWNSHIP_CHANGE_YEAR)
        assert unit.ntm_applicable(u.TOWNSHIP_CHANGE_YEAR - 1)


def test_the_pilot_communes_of_plan_4798_are_xa_of_ba_tri_and_chau_thanh():
    assert {code: (u.units()[code].name, u.units()[code].district_name) for code in u.PILOT_COMMUNES} == {
        "29146": ("Xã Phú Lễ", "Huyện Ba Tri"), "28813": ("Xã Giao Long", "Huyện Châu Thành")}


def test_each_change_names_its_legal_basis():
    data = json.loads(u.UNITS_FILE.read_text(encoding="utf-8"))
    assert [c["basis"] for c in data["changes"]] == ["NQ 855/NQ-UBTVQH14", "NQ 724/NQ-UBTVQH15"]


def test_the_units_read_from_the_per_district_files_are_those_of_the_national_list(monkeypatch):
    """units() reads the package's nine per-district files (not its 3.8 MB national list, and without importing the
    package): the same 157 units as the national list gives."""
    national = [rec for rec in u._package_json("xa_phuong.json").values() if rec["parent_code"] in u.DISTRICTS]
    assert sorted(national, key=lambda rec: rec["code"]) == sorted(u._district_records(), key=lambda rec: rec["code"])
    own = u.units()
    u.units.cache_clear()
    try:
        monkeypatch.setattr(u, "_district_records", lambda: national)
        assert u.units() == own
    finally:
        u.units.cache_clear()
