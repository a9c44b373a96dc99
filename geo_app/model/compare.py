"""Change over time: each commune's level and criteria in one year against another (the "so sánh" view).

No Flask here. `compare(ds, year_from, year_to)` gives one row per unit; `compare_spec` the map's classes.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from geo_app.domain.criteria import COMMUNE_LEVEL_BY_KEY, CRITERION_NUMBERS
from geo_app.domain.messages import both, number, plural_mark, translations, translator
from geo_app.domain.textnorm import strip_type
from geo_app.domain.messages import mark as _l
from geo_app.domain.units import place_name
from geo_app.model.dataset import Dataset
from geo_app.render.mapspec import NO_DATA_CLASS, NOT_APPLICABLE_CLASS, MapClass, MapSpec, district_classes

# RdYlBu (ColorBrewer, colour-blind safe): red = lost a level, pale = same level, blue = gained.
CHANGE_CLASSES = (
    MapClass("gained", *both(_l("Gained a level")), "#4575b4"),
    MapClass("same", *both(_l("Same level")), "#fee090"),
    MapClass("lost", *both(_l("Lost a level")), "#d73027"),
)


class CompareError(ValueError):
    """Years that cannot be compared; the message says which to use."""


@dataclass
class Change:
    ward_code: str
    name: str
    district_code: str
    district_name: str
    change: str  # gained / same / lost / not_applicable / no_data
    level_from: str
    level_to: str
    criteria_from: int | None
    criteria_to: int | None
    gained: list[int] = field(default_factory=list)  # criteria met in year_to, not in year_from
    lost: list[int] = field(default_factory=list)


def compare(ds: Dataset, year_from: int, year_to: int, lang: str = "vi") -> list[Change]:
    """Every unit's change from `year_from` to `year_to` (units without data in either year: no_data)."""
    if year_from not in ds.years or year_to not in ds.years or year_from >= year_to:
        _ = translator(lang)
        raise CompareError(_("from={year_from} and year={year_to}: choose two years of {years}, the first before "
                             "the second.").format(year_from=year_from, year_to=year_to,
                                                   years=", ".join(map(str, ds.years))))
    before = ds.communes(year_from).set_index("ward_code")
    after = ds.communes(year_to)
    out = []
    for row in after.itertuples(index=False):
        old = before.loc[row.ward_code] if row.ward_code in before.index else None
        out.append(_change(row, old))
    return sorted(out, key=lambda c: (c.district_code, c.name))


def _change(row, old) -> Change:
    level_from = str(old["level"]) if old is not None else "no_data"
    level_to = str(row.level)
    if level_to == "not_applicable" or level_from == "not_applicable":
        kind = "not_applicable"
    elif level_to == "no_data" or level_from == "no_data":
        kind = "no_data"
    else:
        diff = int(row.level_rank) - int(old["level_rank"])
        kind = "gained" if diff > 0 else ("lost" if diff < 0 else "same")
    gained, lost = [], []
    if kind in ("gained", "same", "lost"):
        for n in CRITERION_NUMBERS:
            now, then = _met(getattr(row, f"c{n}")), _met(old[f"c{n}"])
            if now and not then:
                gained.append(n)
            elif then and not now:
                lost.append(n)
    return Change(str(row.ward_code), str(row.name), str(row.district_code), str(row.district_name), kind,
                  level_from, level_to, _count(old["criteria_met"]) if old is not None else None,
                  _count(row.criteria_met), gained, lost)


def _met(value) -> bool:
    return bool(value) if value is not None and value == value else False


def _count(value) -> int | None:
    return None if value is None or value != value else int(value)


def compare_counts(changes: list[Change], district: str | None = None) -> dict[str, int]:
    counts: dict[str, int] = {}
    for c in changes:
        if district and c.district_code != district:
            continue
        counts[c.change] = counts.get(c.change, 0) + 1
    return counts


def compare_spec(changes: list[Change], year_from: int, year_to: int, district: str | None, lang: str,
                 illustrative: bool) -> tuple[MapSpec, dict[str, str]]:
    """The map of the comparison: one class per kind of change, counted over the units in scope."""
    keys = {c.ward_code: c.change for c in changes}
    _ = translator(lang)
    where = place_name(district, lang)
    title = _("Change in NTM level {year_from} → {year_to} — {where}").format(
        year_from=year_from, year_to=year_to, where=where)
    spec = MapSpec(layer="compare", year=year_to, lang=lang, district=district,
                   classes=[*CHANGE_CLASSES, NOT_APPLICABLE_CLASS, NO_DATA_CLASS],
                   counts=compare_counts(changes, district), title=title, illustrative=illustrative,
                   district_classes=district_classes())
    return spec, keys


def compare_sentence(changes: list[Change], year_from: int, year_to: int, district: str | None, lang: str) -> str:
    scope = [c for c in changes if not district or c.district_code == district]
    n = compare_counts(changes, district)
    gained = sum(len(c.gained) for c in scope)
    lost = sum(len(c.lost) for c in scope)
    _ = translator(lang)
    sentence = _("{year_from} → {year_to}: {gained} xã gained a level, {lost} lost one, {same} stayed; "
                 "{criteria_gained} criteria newly met, {criteria_lost} no longer met.").format(
        year_from=year_from, year_to=year_to, gained=number(n.get("gained", 0), lang),
        lost=number(n.get("lost", 0), lang), same=number(n.get("same", 0), lang),
        criteria_gained=number(gained, lang), criteria_lost=number(lost, lang))
    return sentence + townships_sentence(scope, year_from, year_to, lang)


BECAME_TOWNSHIPS = plural_mark("{n} xã of {year_from} is a township (thị trấn) in {year_to}, no longer counted as a xã: "
                               "{names}.", "{n} xã of {year_from} are townships (thị trấn) in {year_to}, no longer "
                               "counted as xã: {names}.")


def townships_sentence(scope: list[Change], year_from: int, year_to: int, lang: str) -> str:
    """' 3 xã of 2022 are townships (thị trấn) in 2024, …: Phước Mỹ Trung (Đạt chuẩn NTM), …' for the xã that
    became thị trấn in between (NQ 724/NQ-UBTVQH15, 2023): the counts above leave them out, and a planner
    reconciling 80 → 106 xã NTM needs to know why (else '')."""
    became = [c for c in scope if c.level_to == "not_applicable" and c.level_from in COMMUNE_LEVEL_BY_KEY
              and c.level_from != "not_applicable"]
    if not became:
        return ""
    names = ", ".join(f"{strip_type(c.name)} ({level_label(c.level_from, lang)})" for c in became)
    text = translations(lang).ngettext(*BECAME_TOWNSHIPS, len(became))
    return " " + text.format(n=number(len(became), lang), year_from=year_from, year_to=year_to, names=names)


def level_label(key: str, lang: str) -> str:
    level = COMMUNE_LEVEL_BY_KEY[key]
    return level.name_en if lang == "en" else level.name_vi
