"""The NTM criteria catalogue (QĐ 318, 319, 320/QĐ-TTg, 2022), levels and reporting bands."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Criterion:
    number: int
    name_vi: str
    name_en: str
    group: str  # Roman numeral of the group


CRITERIA: tuple[Criterion, ...] = (
    Criterion(1, "Quy hoạch", "Planning", "I"),
    Criterion(2, "Giao thông", "Transport", "II"),
    Criterion(3, "Thủy lợi và phòng, chống thiên tai", "Irrigation and disaster prevention", "II"),
    Criterion(4, "Điện", "Electricity", "II"),
    Criterion(5, "Trường học", "Schools", "II"),
    Criterion(6, "Cơ sở vật chất văn hóa", "Cultural facilities", "II"),
    Criterion(7, "Cơ sở hạ tầng thương mại nông thôn", "Rural commercial infrastructure", "II"),
    Criterion(8, "Thông tin và Truyền thông", "Information and communications", "II"),
    Criterion(9, "Nhà ở dân cư", "Housing", "II"),
    Criterion(10, "Thu nhập", "Income", "III"),
    Criterion(11, "Nghèo đa chiều", "Multidimensional poverty", "III"),
    Criterion(12, "Lao động", "Labour", "III"),
    Criterion(13, "Tổ chức sản xuất và phát triển kinh tế nông thôn", "Production organisation and rural economy", "III"),
    Criterion(14, "Giáo dục và Đào tạo", "Education and training", "IV"),
    Criterion(15, "Y tế", "Health", "IV"),
    Criterion(16, "Văn hóa", "Culture", "IV"),
    Criterion(17, "Môi trường và an toàn thực phẩm", "Environment and food safety", "IV"),
    Criterion(18, "Hệ thống chính trị và tiếp cận pháp luật", "Political system and access to law", "V"),
    Criterion(19, "Quốc phòng và An ninh", "Defence and security", "V"),
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
