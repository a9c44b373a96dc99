"""Plan 4798/KH-UBND (01/8/2022): Bến Tre's NTM targets for 2025, as data, and how to check them."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: loading them is most of a command's start
    import pandas as pd


PLAN_ID = "4798/KH-UBND"
PLAN_DATE = "2022-08-01"
TARGET_YEAR = 2025

SHARE_NTM = 80.0  # ≥ 80 % of xã reach NTM
MIN_CRITERIA_REST = 15  # every other xã meets ≥ 15 criteria
SHARE_NANG_CAO = 40.0  # ≥ 40 % of xã reach NTM nâng cao
MODEL_PER_DISTRICT = 1  # one NTM kiểu mẫu xã in each district/city

# District goals for 2025: code -> required district level key.
DISTRICT_GOALS: dict[str, str] = {
    "832": "huyen_nang_cao",  # Chợ Lách: huyện NTM nâng cao
    "838": "huyen_ntm",  # Mỏ Cày Bắc
    "833": "huyen_ntm",  # Mỏ Cày Nam
    "837": "huyen_ntm",  # Thạnh Phú
    "831": "huyen_ntm",  # Châu Thành
    "835": "huyen_ntm",  # Bình Đại
}
CITY_QUALITY_GOAL = "829"  # TP Bến Tre: raise the quality of its communes' criteria (no level named)
DISTRICT_LEVEL_RANK = {"chua_dat": 0, "huyen_ntm": 1, "hoan_thanh": 1, "huyen_nang_cao": 2}


@dataclass(frozen=True)
class PilotCommune:
    code: str
    name: str
    district_code: str
    requirements_vi: tuple[str, ...] = (
        "Khu dân cư tập trung",
        "Vùng sản xuất tập trung",
        "Nghĩa trang nhân dân",
    )
    requirements_en: tuple[str, ...] = (
        "Concentrated residential area",
        "Concentrated production area",
        "People's cemetery",
    )


PILOTS = (
    PilotCommune("29146", "Xã Phú Lễ", "836"),
    PilotCommune("28813", "Xã Giao Long", "831"),
)
PILOT_BY_CODE = {p.code: p for p in PILOTS}


def needed(share: float, total: int) -> int:
    """Smallest whole number of xã that makes `share` % of `total`."""
    return math.ceil(share * total / 100 - 1e-9)


def evaluate(province: dict, districts: pd.DataFrame) -> list[dict]:
    """Each 2025 target with actual, target and the gap in communes (0 when met)."""
    total = province["xa_total"]
    not_ntm = total - province["xa_ntm"]  # includes xã without data: they are not known to meet 15
    want_ntm = needed(SHARE_NTM, total)
    want_nc = needed(SHARE_NANG_CAO, total)
    out = [
        _target("xa_ntm_share", "≥ 80 % xã đạt chuẩn NTM", "≥ 80 % of xã reach NTM",
                province["xa_ntm"], want_ntm, total, unit="xa"),
        _target("rest_ge_15", "Các xã còn lại đạt ≥ 15 tiêu chí", "All other xã meet ≥ 15 criteria",
                province["band_15_18"], not_ntm, total, unit="xa"),
        _target("xa_nang_cao_share", "≥ 40 % xã đạt NTM nâng cao", "≥ 40 % of xã reach advanced NTM",
                province["xa_nang_cao"], want_nc, total, unit="xa"),
    ]
    with_model = int(districts["has_model"].sum())
    out.append(_target("model_per_district", "Mỗi huyện, thành phố có 01 xã NTM kiểu mẫu",
                       "One model NTM xã in each district/city", with_model, len(districts), len(districts),
                       unit="district"))
    levels = dict(zip(districts["district_code"], districts["level"]))
    names = dict(zip(districts["district_code"], districts["district_name"]))
    for code, goal in DISTRICT_GOALS.items():
        have = DISTRICT_LEVEL_RANK.get(levels.get(code, "chua_dat"), 0)
        want = DISTRICT_LEVEL_RANK[goal]
        label = "huyện NTM nâng cao" if goal == "huyen_nang_cao" else "huyện NTM"
        label_en = "advanced NTM district" if goal == "huyen_nang_cao" else "NTM district"
        out.append({
            "key": f"district_{code}", "label_vi": f"{names.get(code, code)} đạt chuẩn {label}",
            "label_en": f"{names.get(code, code)} becomes an {label_en}", "district_code": code,
            "actual": levels.get(code, "chua_dat"), "target": goal, "met": have >= want, "gap": 0 if have >= want else 1,
            "unit": "district",
        })
    return out


def _target(key: str, label_vi: str, label_en: str, actual: int, target: int, total: int, unit: str) -> dict:
    return {
        "key": key, "label_vi": label_vi, "label_en": label_en, "actual": int(actual), "target": int(target),
        "total": int(total), "actual_pct": round(100.0 * actual / total, 1) if total else None,
        "met": actual >= target, "gap": max(0, int(target - actual)), "unit": unit,
    }
