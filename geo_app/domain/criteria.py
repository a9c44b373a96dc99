"""The NTM criteria catalogue (QĐ 318, 319, 320/QĐ-TTg, 2022), levels and reporting bands."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


@dataclass(frozen=True)
class Criterion:
    number: int
    name_vi: str
    name_en: str
    group: str  # Roman numeral of the group


CRITERIA_SETS_FILE = Path(__file__).resolve().parent / "data" / "criteria-sets.json"


@lru_cache(maxsize=1)
def criteria_sets() -> dict[str, dict]:
    """Every criteria set (data, keyed by set key): name, legal basis, years, criteria, levels."""
    sets = json.loads(CRITERIA_SETS_FILE.read_text(encoding="utf-8"))["criteria_sets"]
    return {s["key"]: s for s in sets}


def criteria_set_for_year(year: int) -> str:
    """The key of the criteria set that applies to `year`."""
    for key, s in criteria_sets().items():
        if s["first_year"] <= year <= s["last_year"]:
            return key
    raise ValueError(f"no criteria set covers the year {year}")


PLAN_SET = "ntm-2021-2025"  # the set of plan 4798; the app's views use it
CRITERIA: tuple[Criterion, ...] = tuple(
    Criterion(c["number"], c["name_vi"], c["name_en"], c["group"]) for c in criteria_sets()[PLAN_SET]["criteria"]
)
CRITERION_NUMBERS = tuple(c.number for c in CRITERIA)
CRITERION_COLUMNS = tuple(f"c{n}" for n in CRITERION_NUMBERS)
GROUPS = {
    "I": ("Quy hoạch", "Planning"),
    "II": ("Hạ tầng kinh tế - xã hội", "Infrastructure"),
    "III": ("Kinh tế và tổ chức sản xuất", "Economy and production"),
    "IV": ("Văn hóa - Xã hội - Môi trường", "Culture, society, environment"),
    "V": ("Hệ thống chính trị", "Political system"),
}


def criterion(number: int) -> Criterion:
    return CRITERIA[number - 1]


@dataclass(frozen=True)
class Level:
    key: str
    rank: int
    name_vi: str
    name_en: str


# Commune levels, ordered. "not_applicable" (phường, thị trấn) and "no_data" sit outside the order.
COMMUNE_LEVELS: tuple[Level, ...] = (
    Level("chua_dat", 0, "Chưa đạt chuẩn", "Not yet NTM"),
    Level("ntm", 1, "Đạt chuẩn NTM", "NTM"),
    Level("nang_cao", 2, "NTM nâng cao", "Advanced NTM"),
    Level("kieu_mau", 3, "NTM kiểu mẫu", "Model NTM"),
)
NOT_APPLICABLE = Level("not_applicable", -1, "Không áp dụng (phường, thị trấn)", "Not applicable (ward, township)")
NO_DATA = Level("no_data", -2, "Chưa có dữ liệu", "No data")
COMMUNE_LEVEL_BY_KEY = {lv.key: lv for lv in (*COMMUNE_LEVELS, NOT_APPLICABLE, NO_DATA)}

# Words accepted in status files for each level key (compared after name folding).
LEVEL_ALIASES: dict[str, tuple[str, ...]] = {
    "chua_dat": ("chua dat", "chua dat chuan", "chua", "not yet", "not yet ntm", "none", "0"),
    "ntm": ("ntm", "dat chuan", "dat chuan ntm", "nong thon moi", "xa ntm", "1"),
    "nang_cao": ("nang cao", "ntm nang cao", "advanced", "advanced ntm", "2"),
    "kieu_mau": ("kieu mau", "ntm kieu mau", "model", "model ntm", "3"),
}


@dataclass(frozen=True)
class Band:
    key: str
    name_vi: str
    name_en: str
    low: int
    high: int


# Reporting bands for criteria met, as Bến Tre reports them.
BANDS: tuple[Band, ...] = (
    Band("lt10", "Dưới 10 tiêu chí", "Under 10 criteria", 0, 9),
    Band("10_14", "10-14 tiêu chí", "10-14 criteria", 10, 14),
    Band("15_18", "15-18 tiêu chí", "15-18 criteria", 15, 18),
    Band("19", "Đạt 19 tiêu chí", "All 19 criteria", 19, 19),
)
BAND_BY_KEY = {b.key: b for b in BANDS}


def band_for(criteria_met: int) -> str:
    for b in BANDS:
        if b.low <= criteria_met <= b.high:
            return b.key
    raise ValueError(f"criteria met must be 0-19, got {criteria_met}")


# District criteria (QĐ 320/QĐ-TTg); names partly unverified, see ntm-facts.md §2.
DISTRICT_CRITERIA: tuple[tuple[int, str, str], ...] = (
    (1, "Quy hoạch", "Planning"),
    (2, "Giao thông", "Transport"),
    (3, "Thủy lợi và phòng, chống thiên tai", "Irrigation and disaster prevention"),
    (4, "Điện", "Electricity"),
    (5, "Y tế - Văn hóa - Giáo dục", "Health, culture, education"),
    (6, "Kinh tế", "Economy"),
    (7, "Môi trường", "Environment"),
    (8, "Chất lượng môi trường sống", "Quality of living environment"),
    (9, "Hệ thống chính trị - An ninh trật tự - Hành chính công", "Political system, security, public administration"),
)

DISTRICT_LEVELS: tuple[Level, ...] = (
    Level("chua_dat", 0, "Chưa đạt chuẩn", "Not yet NTM"),
    Level("huyen_ntm", 1, "Huyện NTM", "NTM district"),
    Level("hoan_thanh", 1, "Hoàn thành nhiệm vụ XD NTM", "Completed the NTM task (city)"),
    Level("huyen_nang_cao", 2, "Huyện NTM nâng cao", "Advanced NTM district"),
)
DISTRICT_LEVEL_BY_KEY = {lv.key: lv for lv in DISTRICT_LEVELS}
DISTRICT_LEVEL_ALIASES: dict[str, tuple[str, ...]] = {
    "chua_dat": ("chua dat", "chua dat chuan", "not yet", "none"),
    "huyen_ntm": ("huyen ntm", "ntm", "dat chuan ntm", "ntm district"),
    "hoan_thanh": ("hoan thanh", "hoan thanh nhiem vu", "hoan thanh nhiem vu xd ntm", "completed"),
    "huyen_nang_cao": ("huyen ntm nang cao", "nang cao", "ntm nang cao", "advanced"),
}

PROVENANCES = ("official", "documented", "illustrative")
