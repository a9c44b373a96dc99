"""The joined model: counts per year, districts, xã-only ratios, no-data handling, settings."""
from __future__ import annotations

import pandas as pd
import pytest

from geo_app.model.dataset import Dataset, commune_frame, district_frame
from geo_app.settings import Settings, SettingsError


def test_2022_matches_published_aggregates(dataset):
    p = dataset.summary(2022)["province"]
    assert (p["xa_total"], p["xa_ntm"], p["xa_nang_cao"]) == (142, 80, 20)
    assert (p["band_15_18"], p["band_10_14"], p["band_lt10"]) == (24, 38, 0)


def test_wards_and_townships_are_never_counted(dataset):
    communes = dataset.communes(2022)
    assert len(communes) == 157
    non_xa = communes[~communes["ntm_applicable"]]
    assert set(non_xa["type"]) == {"Phường", "Thị trấn"}
    assert set(non_xa["level"]) == {"not_applicable"}
    # three xã became thị trấn in 2023: 139 xã from then on
    assert dataset.summary(2023)["province"]["xa_total"] == 139
    tien_thuy = dataset.communes(2023).set_index("ward_code").loc["28861"]
    assert tien_thuy["type"] == "Thị trấn" and tien_thuy["name"] == "Thị trấn Tiên Thủy"


def test_district_rollup(dataset):
    d = dataset.district_frame(2022).set_index("district_code")
    assert d["xa_total"].sum() == 142
    assert d.loc["832", ["xa_total", "xa_ntm"]].tolist() == [10, 10]  # Chợ Lách, huyện NTM 2020
    assert d.loc["832", "level"] == "huyen_ntm"
    assert d.loc["829", "level"] == "hoan_thanh"  # TP Bến Tre
    assert d.loc["832", "pct_ntm"] == 100.0
    mcn = dataset.district_frame(2023).set_index("district_code").loc["833"]
    assert (mcn["xa_total"], mcn["xa_ntm"], mcn["xa_nang_cao"], bool(mcn["has_model"])) == (15, 15, 3, True)


def test_commune_columns_and_pilots(dataset):
    c = dataset.communes(2022).set_index("ward_code")
    assert set(c.index[c["is_pilot"]]) == {"29146", "28813"}
    row = c.loc["28813"]
    assert row["district_name"] == "Huyện Châu Thành"
    assert row["criteria_met"] == 19 - len(row["missing"])
    assert row["provenance"] in ("documented", "illustrative", "official")


def test_missing_status_is_no_data_not_failure(dataset):
    status = dataset.commune_status[~((dataset.commune_status["ward_code"] == "29146")
                                      & (dataset.commune_status["year"] == 2022))]
    ds = Dataset(dataset.boundaries, status, dataset.district_status)
    row = commune_frame(ds, 2022).set_index("ward_code").loc["29146"]
    assert row["level"] == "no_data" and row["band"] == "no_data" and pd.isna(row["criteria_met"])
    p = ds.summary(2022)["province"]
    assert p["xa_no_data"] == 1 and p["xa_total"] == 142
    assert district_frame(ds, 2022).set_index("district_code").loc["836", "xa_no_data"] == 1
    rest = {t["key"]: t for t in ds.summary(2022)["targets"]}["rest_ge_15"]
    # a commune without data is not known to meet 15 criteria: it stays in the gap
    assert (rest["actual"], rest["target"]) == (p["band_15_18"], p["xa_total"] - p["xa_ntm"])
    assert rest["gap"] == p["band_10_14"] + p["band_lt10"] + p["xa_no_data"]


def test_targets_in_summary(dataset):
    targets = {t["key"]: t for t in dataset.summary(2022)["targets"]}
    ntm = targets["xa_ntm_share"]
    assert (ntm["actual"], ntm["target"], ntm["gap"], ntm["met"]) == (80, 114, 34, False)
    assert ntm["actual_pct"] == 56.3
    assert targets["xa_nang_cao_share"]["target"] == 57  # ceil(40 % of 142)
    assert targets["district_832"]["target"] == "huyen_nang_cao"


def test_several_layers_need_an_explicit_setting(tmp_path):
    (tmp_path / "boundaries").mkdir()
    for name in ("a.geojson", "b.gpkg"):
        (tmp_path / "boundaries" / name).write_text("{}")
    settings = Settings.from_env({"NTM_DATA_DIR": str(tmp_path)})
    with pytest.raises(SettingsError, match="NTM_BOUNDARIES"):
        settings.boundaries_path()
    chosen = Settings.from_env({"NTM_DATA_DIR": str(tmp_path), "NTM_BOUNDARIES": "b.gpkg"})
    assert chosen.boundaries_path().name == "b.gpkg"
    with pytest.raises(SettingsError, match="no such file"):
        Settings.from_env({"NTM_DATA_DIR": str(tmp_path), "NTM_BOUNDARIES": "c.shp"}).boundaries_path()


def test_district_rollup_of_no_commune_at_all_counts_zero_without_warnings(dataset):
    """A layer whose units all fail to join leaves no xã: every district counts 0 (pandas warned that filling an
    empty text column with 0 will raise in a future version)."""
    import warnings

    from geo_app.model.dataset import districts_from_communes

    year = dataset.latest_year
    none = commune_frame(dataset, year).iloc[0:0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = districts_from_communes(dataset, none, year)
    assert len(out) == 9 and (out["xa_total"] == 0).all() and (out["xa_ntm"] == 0).all()
