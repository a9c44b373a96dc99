"""One map view (year, layer, criterion, district, lang): validated without Flask, and what to draw for it.

The web (views/*), the `export` command and the PowerPoint/static renderers all go through
`validate_view` (same rules, same messages) and `map_view` (same spec, summary and footer texts).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING


from geo_app.domain.criteria import CRITERION_NUMBERS
from geo_app.domain.messages import long_date, number, office_today, short_date, translator
from geo_app.render.mapspec import (LANGS, LAYERS, MapSpec, boundary_attribution, build_spec, criterion_sentence,
                                    summary_sentence)
from geo_app.domain.units import BOUNDARY_VINTAGE, DISTRICTS, units

if TYPE_CHECKING:  # imported where used: loading them is most of a command's start
    import geopandas as gpd

    from geo_app.model.dataset import Dataset


def _(message: str) -> str:
    """Marks a message for the catalogs; `ViewError.text` translates it."""
    return message


class ViewError(ValueError):
    """An invalid view parameter; `param` names it and the message says what to use instead."""

    def __init__(self, param: str, message: str, **values: object):
        self.param, self.message, self.values = param, message, values
        super().__init__(self.text("en"))

    def text(self, lang: str = "en") -> str:
        """The message in `lang` ('vi' or 'en'), from the catalogs."""
        return translator(lang)(self.message).format(**self.values)


@dataclass(frozen=True)
class ViewState:
    """The state of a map view, all of it expressible as URL parameters."""

    year: int
    layer: str = "level"
    criterion: int | None = None
    district: str | None = None
    lang: str = "vi"

    def query(self, **changes) -> dict:
        """URL parameters for this view (with changes), omitting defaults."""
        v = replace(self, **changes) if changes else self
        q: dict = {"year": v.year, "layer": v.layer}
        if v.layer == "criterion" and v.criterion:
            q["criterion"] = v.criterion
        if v.district:
            q["district"] = v.district
        if v.lang != "vi":
            q["lang"] = v.lang
        return q

    def slug(self) -> str:
        """A file-name-safe name for exports of this view, e.g. 'ntm-ben-tre-2024-level-832'."""
        parts = ["ntm-ben-tre", str(self.year), self.layer]
        if self.layer == "criterion" and self.criterion:
            parts.append(f"tc{self.criterion}")
        if self.district:
            parts.append(self.district)
        if self.lang != "vi":
            parts.append(self.lang)
        return "-".join(parts)


def validate_view(years: list[int], year: object = None, layer: object = None, criterion: object = None,
                  district: object = None, lang: object = None, extra_layers: tuple[str, ...] = ()) -> ViewState:
    """Check raw view parameters (strings from a URL or values from the CLI); raise ViewError if invalid."""
    lang = _text(lang) or "vi"
    if lang not in LANGS:
        raise ViewError("lang", _("lang={value} is not supported; use 'vi' or 'en'."), value=repr(lang))
    year_n = _whole("year", year, years[-1] if years else None)
    if year_n not in years:
        raise ViewError("year", _("year={value} has no data; choose one of {years}."), value=year_n,
                        years=", ".join(map(str, years)))
    layer = _text(layer) or "level"
    allowed = (*LAYERS, *extra_layers)
    if layer not in allowed:
        raise ViewError("layer", _("layer={value} is unknown; choose one of {layers}."), value=repr(layer),
                        layers=", ".join(allowed))
    number = None
    if layer == "criterion" or _text(criterion):
        number = _whole("criterion", criterion, 1 if layer == "criterion" else None)
        if number not in CRITERION_NUMBERS:
            raise ViewError("criterion", _("criterion={value} must be a number from 1 to 19."), value=repr(criterion))
    code = _text(district) or None
    if code is not None and code not in DISTRICTS:
        codes = ", ".join(f"{c} ({n})" for c, n in DISTRICTS.items())
        raise ViewError("district", _("district={value} is not a Bến Tre district code; use one of {codes}."),
                        value=repr(code), codes=codes)
    return ViewState(year=year_n, layer=layer, criterion=number, district=code, lang=lang)


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _whole(name: str, raw: object, default: int | None) -> int | None:
    text = _text(raw)
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise ViewError(name, _("{name}={value} must be a whole number."), name=name, value=repr(text)) from None


PROVENANCE_LABELS = {"official": _("official"), "documented": _("documented (with a source)"),
                     "illustrative": _("illustrative")}


@dataclass
class MapView:
    """Everything a renderer needs for one view: frames, spec and the texts around the map."""

    state: ViewState
    spec: MapSpec
    communes: gpd.GeoDataFrame  # every commune (context for a district view)
    districts: gpd.GeoDataFrame
    summary: str  # one sentence: the province's (or the district's) attainment
    source: str
    provenance: str
    warning: str  # non-empty when the year holds illustrative values
    generated: dt.date

    @property
    def lang(self) -> str:
        return self.state.lang

    def in_view(self) -> gpd.GeoDataFrame:
        """The communes the view is about (its district's, or all)."""
        if self.state.district:
            return self.communes[self.communes["district_code"] == self.state.district]
        return self.communes

    def date_text(self) -> str:
        _ = translator(self.lang)
        return _("Exported: {date}").format(date=long_date(self.generated, self.lang))

    def footer_lines(self) -> list[str]:
        """Source; provenance and date; the illustrative warning if any."""
        lines = [self.source, f"{self.provenance} · {self.date_text()}"]
        if self.warning:
            lines.append(self.warning)
        return lines


def map_view(ds: Dataset, state: ViewState, generated: dt.date | None = None) -> MapView:
    """Build the spec and texts for `state` from the dataset (legend counts cover the communes in view)."""
    from geo_app.model.dataset import province_counts

    communes = ds.communes(state.year)
    districts = ds.district_frame(state.year)
    focus = communes if not state.district else communes[communes["district_code"] == state.district]
    focus_districts = districts if not state.district else districts[districts["district_code"] == state.district]
    illustrative = ds.has_illustrative(state.year)
    spec = build_spec(focus, focus_districts, state.year, state.layer, state.criterion, state.district,
                      state.lang, illustrative)
    if state.layer == "criterion" and state.criterion:  # the map shows one criterion: so does the sentence
        sentence = criterion_sentence(focus, state.year, state.criterion, state.lang)
    else:
        sentence = summary_sentence(province_counts(focus), state.year, state.lang)
    if state.district:
        sentence = f"{DISTRICTS[state.district]} — {sentence}"
    return MapView(state=state, spec=spec, communes=communes, districts=districts, summary=sentence,
                   source=source_text(ds, state.lang, state.year),
                   provenance=provenance_text(focus, state.lang) + unoutlined_text(ds, state.district, state.lang),
                   warning=illustrative_warning(state.lang) if illustrative else "",
                   generated=generated or office_today())


def source_text(ds: Dataset, lang: str = "vi", year: int | None = None) -> str:
    """Where the map's data comes from, by file name (never a full local path): the files `year`'s rows were
    imported from (a 2023 table imported over the demo data is the source of 2023 only), else the newest."""
    status = status_files(ds, year) or Path(ds.sources.get("commune_status", "")).name or "?"
    bounds = boundary_attribution(ds.sources.get("boundaries", ""), lang)
    _ = translator(lang)
    return _("Source: NTM status {status}. {bounds} ({vintage}). Bến Tre plan 4798/KH-UBND (2022).").format(
        status=status, bounds=bounds, vintage=vintage_text(lang))


def status_files(ds: Dataset, year: int | None) -> str:
    """'demo-communes.csv, demo-districts.csv': the files the year's commune and district rows came from ("" if
    not known)."""
    if year is None:
        return ""
    names = set()
    for rows in (ds.commune_status, ds.district_status):
        if "source_file" in rows.columns:
            names |= {Path(str(name)).name for name in rows.loc[rows["year"] == year, "source_file"] if name}
    return ", ".join(sorted(names))


def vintage_text(lang: str = "vi") -> str:
    """'TCTK 01/02/2020 – 30/11/2024, 157 đơn vị' ('GSO Feb 1, 2020 – Nov 30, 2024, 157 units'): the unit list the
    boundaries and status use, its dates written as the page's other dates (they were ISO dates)."""
    start, _sep, end = BOUNDARY_VINTAGE.partition("/")
    _ = translator(lang)

    def day(text: str) -> str:
        return short_date(dt.date.fromisoformat(text), lang) if text else "…"

    return _("GSO {start} – {end}, {count} units").format(start=day(start), end=day(end),
                                                          count=number(len(units()), lang))


def provenance_text(communes: gpd.GeoDataFrame, lang: str = "vi") -> str:
    """How many units' values are official, documented or illustrative (and how many xã have none)."""
    _ = translator(lang)
    counts = communes["provenance"].fillna("").value_counts()
    parts = [f"{number(int(counts[key]), lang)} {_(label)}" for key, label in PROVENANCE_LABELS.items()
             if counts.get(key, 0)]
    no_value = communes["provenance"].fillna("") == ""
    missing = int((no_value & communes["ntm_applicable"]).sum())
    if missing:
        parts.append(f"{number(missing, lang)} {_('xã without data')}")
    other = int((no_value & ~communes["ntm_applicable"]).sum())
    if other:
        parts.append(f"{number(other, lang)} {_('wards/townships (not assessed)')}")
    return f"{_('Data provenance')}: {', '.join(parts)}"


UNOUTLINED_LISTED = 5


def unoutlined_text(ds: Dataset, district: str | None, lang: str = "vi") -> str:
    """"; 3 units not on this map nor in its counts (no outline in the boundary layer): 28813 Xã Giao Long, …" for
    the GSO units (of the view's district) the boundary layer in use lacks, else "". Counts and shares are made from
    the units drawn, so a layer missing units changes them: the map says which."""
    missing = unoutlined_units(ds, district)
    if not missing:
        return ""
    _ = translator(lang)
    return "; " + _("{count} units not on this map nor in its counts (no outline in the boundary layer): {names}"
                    ).format(count=number(len(missing), lang), names=unit_list(missing, lang))


def unoutlined_units(ds: Dataset, district: str | None = None) -> list[tuple[str, str]]:
    """(code, name) of the GSO units (of `district`) that the boundary layer in use has no outline for."""
    drawn = set(ds.boundaries["ward_code"])
    return [(code, unit.name) for code, unit in units().items()
            if code not in drawn and (not district or unit.district_code == district)]


def unit_list(units_: list[tuple[str, str]], lang: str) -> str:
    """"28813 Xã Giao Long, 29146 Xã Phú Lễ" (the first UNOUTLINED_LISTED, then ", and N more")."""
    _ = translator(lang)
    names = ", ".join(f"{code} {name}" for code, name in units_[:UNOUTLINED_LISTED])
    if len(units_) > UNOUTLINED_LISTED:
        names += _(", and {count} more").format(count=number(len(units_) - UNOUTLINED_LISTED, lang))
    return names


def illustrative_warning(lang: str = "vi") -> str:
    _ = translator(lang)
    return "⚠ " + _("This map contains ILLUSTRATIVE values: not official figures, do not cite.")
