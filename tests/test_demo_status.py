"""The committed demo status files reproduce every published fact (ntm-facts.md §4) and are honest about the rest."""
from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from geo_app.sources import demo_status
from geo_app.sources.status_io import read_commune_status, read_district_status
from geo_app.domain.units import BECAME_TOWNSHIP_2023, units

STATUS_DIR = Path(__file__).resolve().parents[1] / "data" / "status"
CSV = {"communes": STATUS_DIR / "demo-communes.csv", "districts": STATUS_DIR / "demo-districts.csv"}
XLSX = STATUS_DIR / "demo-status.xlsx"
CRITERIA = [f"c{n}" for n in range(1, 20)]
RANK = {"chua_dat": 0, "ntm": 1, "nang_cao": 2, "kieu_mau": 3}
ILLUSTRATIVE = "Giá trị minh họa (illustrative), không phải số liệu chính thức"

# Sources as listed in ntm-facts.md §4.
URL_DAI_DIEN = "http://dost-bentre.gov.vn/tin-tuc/3024/dai-dien-khoat-len-minh-dien-mao-moi"
URL_2018 = "http://nongthonmoi.bentre.gov.vn/noi-dung/-/cms-icbt/10180/bai-viet/338133"
URL_2020 = "https://baodongkhoi.vn/cho-lach-va-tp-ben-tre-dat-100-tieu-chi-xay-dung-nong-thon-moi-08092020-a77633.html"
URL_PHU_NHUAN = ("https://dantocmiennui.baotintuc.vn/phu-nhuan-tro-thanh-xa-nong-thon-moi-nang-cao-dau-tien-cua-ben-"
                 "tre-post301812.html")
URL_MCN = ("https://langngheviet.com.vn/them-3-huyen-cua-ben-tre-soc-trang-va-ba-ria-vung-tau-dat-chuan-nong-thon-"
           "moi-31872.html")
DAI_DIEN, PHU_NHUAN, DINH_THUY = "29188", "28798", "28930"
RECOGNISED_2018 = ("28927", "29107", "28966")  # Tân Thanh Tây, Thới Thuận, An Thới
PILOTS = ("29146", "28813")


def _read(reader, path):
    frame, report = reader(path)
    assert report.usable, report.to_text()
    assert report.warnings == []
    return frame


@pytest.fixture(scope="module", params=["csv", "xlsx"])
def source(request) -> str:
    """Every fact is checked in both committed formats, through the real readers."""
    return request.param


@pytest.fixture(scope="module")
def communes(source) -> pd.DataFrame:
    frame = _read(read_commune_status, CSV["communes"] if source == "csv" else XLSX)
    frame["met"] = frame[CRITERIA].astype(int).sum(axis=1)
    frame["rank"] = frame["level"].map(RANK)
    frame["district"] = frame["ward_code"].map(lambda c: units()[c].district_code)
    return frame


@pytest.fixture(scope="module")
def districts(source) -> pd.DataFrame:
    return _read(read_district_status, CSV["districts"] if source == "csv" else XLSX)


def counts(communes: pd.DataFrame, year: int, district: str | None = None) -> dict[str, int]:
    rows = communes[communes["year"] == year]
    if district:
        rows = rows[rows["district"] == district]
    rest = rows[rows["rank"] == 0]["met"]
    return {"xa": len(rows), "ntm": int((rows["rank"] >= 1).sum()), "nang_cao": int((rows["rank"] >= 2).sum()),
            "kieu_mau": int((rows["rank"] >= 3).sum()), "15_18": int(rest.between(15, 18).sum()),
            "10_14": int(rest.between(10, 14).sum()), "lt10": int((rest < 10).sum())}


def rows_of(communes: pd.DataFrame, code: str) -> pd.DataFrame:
    return communes[communes["ward_code"] == code].sort_values("year")


# ---------------------------------------------------------------- published facts

def test_2022_province_totals(communes):
    assert counts(communes, 2022) == {"xa": 142, "ntm": 80, "nang_cao": 20, "kieu_mau": 0,
                                      "15_18": 24, "10_14": 38, "lt10": 0}


def test_dai_dien_ntm_since_2015_and_not_model(communes):
    rows = rows_of(communes, DAI_DIEN)
    assert list(rows["year"]) == [2021, 2022, 2023, 2024]
    assert (rows["year_recognised"] == 2015).all() and (rows["rank"] >= 1).all()
    assert "kieu_mau" not in set(rows["level"])
    at_ntm = rows[rows["level"] == "ntm"]
    assert len(at_ntm) >= 2 and (at_ntm["provenance"] == "documented").all()
    assert (at_ntm["source_url"] == URL_DAI_DIEN).all()


def test_27_xa_by_2018_including_the_named_three(communes):
    first = communes.groupby("ward_code")["year_recognised"].min()
    assert int((first <= 2018).sum()) == 27
    for code in RECOGNISED_2018:
        rows = rows_of(communes, code)
        assert (rows["year_recognised"] == 2018).all()
        ntm = rows[rows["level"] == "ntm"]
        assert not ntm.empty and (ntm["provenance"] == "documented").all() and (ntm["source_url"] == URL_2018).all()


@pytest.mark.parametrize("district,size,level,decision", [
    ("832", 10, "huyen_ntm", "QĐ 1503/QĐ-TTg"),
    ("829", 6, "hoan_thanh", "QĐ 1502/QĐ-TTg"),
])
def test_cho_lach_and_city_all_xa_ntm_by_2020(communes, districts, district, size, level, decision):
    rows = communes[communes["district"] == district]
    assert rows["ward_code"].nunique() == size
    assert (rows["rank"] >= 1).all() and (rows["year_recognised"] <= 2020).all()
    ntm = rows[rows["level"] == "ntm"]
    assert (ntm["provenance"] == "documented").all() and (ntm["source_url"] == URL_2020).all()
    drows = districts[districts["district_code"] == district]
    assert list(drows["year"]) == [2021, 2022, 2023, 2024]
    assert set(drows["level"]) == {level} and set(drows["decision"]) == {decision}
    assert set(drows["provenance"]) == {"documented"} and set(drows["source_url"]) == {URL_2020}


def test_phu_nhuan_first_nang_cao_2021(communes):
    rows = rows_of(communes, PHU_NHUAN)
    assert list(rows["year"]) == [2021, 2022, 2023, 2024] and (rows["rank"] >= 2).all()
    nc = rows[rows["level"] == "nang_cao"]
    assert 2021 in set(nc["year"]) and (nc["source_url"] == URL_PHU_NHUAN).all()
    assert (nc["provenance"] == "documented").all()


def test_mo_cay_nam_2023(communes, districts):
    assert counts(communes, 2023, "833")["xa"] == 15
    assert counts(communes, 2023, "833")["ntm"] == 15 and counts(communes, 2023, "833")["nang_cao"] == 3
    assert counts(communes, 2022, "833")["ntm"] < 15  # recognised as a district in 2023, not before
    model = rows_of(communes, DINH_THUY).set_index("year")
    assert model.at[2023, "level"] == "kieu_mau" and model.at[2023, "provenance"] == "documented"
    assert model.at[2023, "source_url"] == URL_MCN
    assert counts(communes, 2022)["kieu_mau"] == 0 and counts(communes, 2023)["kieu_mau"] == 1
    mcn = communes[(communes["district"] == "833") & (communes["year"] == 2023) & (communes["level"] == "ntm")]
    assert (mcn["provenance"] == "documented").all() and (mcn["source_url"] == URL_MCN).all()
    d = districts[districts["district_code"] == "833"].set_index("year")
    assert list(d["level"]) == ["chua_dat", "chua_dat", "huyen_ntm", "huyen_ntm"]
    assert d.at[2023, "decision"] == "QĐ 1611/QĐ-TTg" and d.at[2023, "source_url"] == URL_MCN


def test_other_districts_illustrative_not_yet(districts):
    assert len(districts) == 36
    assert sorted(districts.groupby("year")["district_code"].nunique().items()) == [(y, 9) for y in range(2021, 2025)]
    others = districts[~districts["district_code"].isin(["829", "832", "833"])]
    assert set(others["level"]) == {"chua_dat"} and set(others["provenance"]) == {"illustrative"}


def test_pilots_are_illustrative(communes):
    assert set(communes[communes["ward_code"].isin(PILOTS)]["provenance"]) == {"illustrative"}


# ---------------------------------------------------------------- coverage, honesty, consistency

def test_one_row_per_xa_and_year(communes):
    for year in (2021, 2022, 2023, 2024):
        expected = {u.code for u in units().values() if u.ntm_applicable(year)}
        got = communes[communes["year"] == year]["ward_code"]
        assert got.is_unique and set(got) == expected
    assert len(expected) == 139
    assert communes[communes["ward_code"].isin(BECAME_TOWNSHIP_2023)]["year"].max() == 2022


def test_provenance_is_honest(communes):
    assert set(communes["provenance"]) == {"documented", "illustrative"}
    documented = communes[communes["provenance"] == "documented"]
    assert documented["source_url"].str.startswith("http").all()
    illustrative = communes[communes["provenance"] == "illustrative"]
    assert (illustrative["source_url"] == "").all() and illustrative["note"].str.startswith(ILLUSTRATIVE).all()
    assert len(illustrative) > len(documented)


def test_trajectories_never_go_back(communes):
    for code, rows in communes.sort_values("year").groupby("ward_code"):
        met = [set(r[CRITERIA][r[CRITERIA].astype(bool)].index) for _, r in rows.iterrows()]
        assert all(a <= b for a, b in zip(met, met[1:])), code
        assert rows["rank"].is_monotonic_increasing, code
        recognised = rows["year_recognised"].dropna()
        assert recognised.nunique() <= 1, code
        assert ((rows["rank"] >= 1) == (rows["year_recognised"] <= rows["year"]).fillna(False)).all(), code
        assert ((rows["rank"] == 0) | (rows["met"] == 19)).all(), code


def test_yearly_progress_is_plausible(communes):
    by_year = {y: counts(communes, y) for y in (2021, 2022, 2023, 2024)}
    assert by_year[2021]["ntm"] < by_year[2022]["ntm"] < by_year[2023]["ntm"] < by_year[2024]["ntm"]
    assert 0 < by_year[2021]["nang_cao"] < by_year[2022]["nang_cao"] < by_year[2024]["nang_cao"]


def test_hard_criteria_missing_most_often(communes):
    missing = (~communes[communes["rank"] == 0][CRITERIA].astype(bool)).sum()
    assert min(missing["c10"], missing["c17"], missing["c11"]) > max(missing["c4"], missing["c19"], missing["c18"])


def test_names_for_people_match_the_units():
    with CSV["communes"].open(encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh):
            unit = units()[rec["ward_code"]]
            assert (rec["name"], rec["district"]) == (unit.name_in(int(rec["year"])), unit.district_name)


# ---------------------------------------------------------------- the generator

def test_committed_files_are_regenerated_byte_identically(tmp_path):
    written = demo_status.write(tmp_path)
    assert sorted(p.name for p in written) == ["demo-communes.csv", "demo-districts.csv", "demo-status.xlsx"]
    for path in written:
        assert path.read_bytes() == (STATUS_DIR / path.name).read_bytes(), path.name
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written)  # no temp files left


def test_xlsx_and_csv_hold_the_same_data():
    from_csv = _read(read_commune_status, CSV["communes"])
    from_xlsx = _read(read_commune_status, XLSX)
    pd.testing.assert_frame_equal(from_csv, from_xlsx)
    pd.testing.assert_frame_equal(_read(read_district_status, CSV["districts"]), _read(read_district_status, XLSX))


@pytest.mark.parametrize("seed", [1, 2025])
def test_facts_hold_for_any_seed(seed):
    frame, districts = demo_status.generate(seed)
    frame = frame.assign(met=frame[CRITERIA].astype(int).sum(axis=1), rank=frame["level"].map(RANK),
                         district=frame["ward_code"].map(lambda c: units()[c].district_code))
    assert counts(frame, 2022) == {"xa": 142, "ntm": 80, "nang_cao": 20, "kieu_mau": 0,
                                   "15_18": 24, "10_14": 38, "lt10": 0}
    assert counts(frame, 2023, "833")["ntm"] == 15 and counts(frame, 2023, "833")["nang_cao"] == 3
    assert int((frame.groupby("ward_code")["year_recognised"].min() <= 2018).sum()) == 27
    baseline, _ = demo_status.generate()
    assert not frame[CRITERIA].equals(baseline[CRITERIA])  # the seed really drives the illustrative part


def test_model_summary_reproduces_2022(dataset):
    """End to end: the app's own summary of the default data gives the published 2022 totals."""
    province = dataset.summary(2022)["province"]
    assert (province["xa_total"], province["xa_ntm"], province["xa_nang_cao"]) == (142, 80, 20)
    assert (province["band_15_18"], province["band_10_14"], province["band_lt10"]) == (24, 38, 0)
    assert dataset.has_illustrative(2022)
