"""Planning views' logic: lagging communes, criteria gaps, targets of plan 4798, progress and what-if.

Plain Python on top of `model.Dataset` (no Flask, no folium). Every function takes the dataset and a
year and returns plain data (dataclasses / dicts) that the views, tables and charts render.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from dataclasses import asdict, dataclass, field, fields, replace


from geo_app.domain import plan
from geo_app.domain.criteria import BAND_BY_KEY, COMMUNE_LEVEL_BY_KEY, CRITERION_COLUMNS, CRITERION_NUMBERS, criterion
from geo_app.domain.messages import both, percent, translator
from geo_app.domain.messages import mark as _l
from geo_app.domain.notes import note_text
from geo_app.render.mapspec import MapClass, MapSpec, NO_DATA_CLASS, NOT_APPLICABLE_CLASS, district_classes
from geo_app.model.dataset import Dataset, district_level_name, districts_from_communes, province_counts
from geo_app.model.viewstate import ViewError
from geo_app.domain.units import DISTRICTS, PROVINCE_NAME, place_name, units

if TYPE_CHECKING:  # imported where used: loading them is most of a command's start
    import pandas as pd

# Lagging groups, in the order the plan asks planners to push them.
GROUP_BELOW_15 = "below_15"  # not yet NTM, fewer than 15 criteria (plan: every xã ≥ 15 by 2025)
GROUP_15_18 = "15_18"  # not yet NTM, 15-18 criteria
GROUP_NTM_LOW_NC = "ntm_low_nang_cao"  # NTM, not nâng cao, in a district below 40 % nâng cao
GROUPS = (GROUP_BELOW_15, GROUP_15_18, GROUP_NTM_LOW_NC)
GROUP_LABELS = {
    GROUP_BELOW_15: both(_l("Not yet NTM, under 15 criteria")),
    GROUP_15_18: both(_l("Not yet NTM, 15-18 criteria")),
    GROUP_NTM_LOW_NC: both(_l("NTM, not advanced (district under 40 % advanced)")),
}
# Lagging map layer: one class per group (YlGnBu-family, darkest = furthest behind), the rest neutral.
LAGGING_COLORS = {GROUP_BELOW_15: "#253494", GROUP_15_18: "#41b6c4", GROUP_NTM_LOW_NC: "#c7e9b4"}
NOT_LISTED_CLASS = MapClass("not_listed", *both(_l("Not in the list")), "#ffffff")


class PlanningError(ViewError):
    """A planning request that cannot be answered (unknown band, commune code, ...): a view parameter's error,
    its message from the catalogs in either language (`text`)."""


def _pick(lang: str, vi: str, en: str) -> str:
    """One of two names held as data (levels, criteria); interface text comes from the catalogs (`_t`)."""
    return en if lang == "en" else vi


def _t(lang: str, message: str, **values: object) -> str:
    """`message` from the gettext catalogs in `lang`, its %(name)s placeholders filled in."""
    text = translator(lang)(message)
    return text % values if values else text


def level_name(key: str, lang: str = "vi") -> str:
    lv = COMMUNE_LEVEL_BY_KEY[key]
    return _pick(lang, lv.name_vi, lv.name_en)


def criterion_label(number: int, lang: str = "vi") -> str:
    """'TC 17 Môi trường và an toàn thực phẩm' / 'C17 Environment and food safety'."""
    c = criterion(number)
    return _pick(lang, f"TC {c.number} {c.name_vi}", f"C{c.number} {c.name_en}")


# --------------------------------------------------------------------------- lagging ranking


@dataclass(frozen=True)
class LaggingFilters:
    """Which lagging communes to list; all optional except the year."""

    year: int
    district: str | None = None
    band: str | None = None
    criterion: int | None = None

    def __post_init__(self) -> None:
        if self.district is not None and self.district not in DISTRICTS:
            raise PlanningError("district", _l("district={value} is not a Bến Tre district code; "
                                               "use one of {codes}."),
                                value=repr(self.district), codes=", ".join(DISTRICTS))
        if self.band is not None and self.band not in BAND_BY_KEY:
            raise PlanningError("band", _l("band={value} is unknown; use one of {bands}."), value=repr(self.band),
                                bands=", ".join(BAND_BY_KEY))
        if self.criterion is not None and self.criterion not in CRITERION_NUMBERS:
            raise PlanningError("criterion", _l("criterion={value} must be a number from 1 to 19."),
                                value=repr(self.criterion))


@dataclass
class LaggingRow:
    """One commune of the lagging list."""

    position: int
    group: str
    ward_code: str
    commune: str
    district_code: str
    district: str
    level: str
    criteria_met: int
    missing: list[int]
    last_change: int | None  # latest year ≤ the chosen year whose criteria count or level differs from before
    first_year: int | None  # first year with data for this commune (the change is unknown before it)
    provenance: str
    source_url: str
    note: str
    district_pct_nang_cao: float | None
    band: str = ""  # criteria band (lt10, 10_14, 15_18, 19), for the filters

    def missing_names(self, lang: str = "vi") -> list[str]:
        return [criterion_label(n, lang) for n in self.missing]

    def to_next_level(self) -> int:
        """Criteria still to meet for NTM (0 for a commune already NTM)."""
        return len(self.missing)

    def last_change_label(self, lang: str = "vi") -> str:
        if self.last_change is not None:
            return str(self.last_change)
        if self.first_year is None:
            return ""
        return _t(lang, "unchanged since %(year)s", year=self.first_year)

    def group_label(self, lang: str = "vi") -> str:
        vi, en = GROUP_LABELS[self.group]
        return _pick(lang, vi, en)


def last_changes(ds: Dataset, year: int) -> dict[str, tuple[int | None, int]]:
    """ward_code -> (year of the last change in criteria count or level at or before `year`, first data year)."""
    cs = ds.commune_status[ds.commune_status["year"] <= year].sort_values(["ward_code", "year"])
    if cs.empty:
        return {}
    met = cs[list(CRITERION_COLUMNS)].fillna(False).astype(bool).sum(axis=1)
    same_ward = cs["ward_code"].eq(cs["ward_code"].shift())
    changed = same_ward & (met.ne(met.shift()) | cs["level"].ne(cs["level"].shift()))
    out: dict[str, tuple[int | None, int]] = {}
    for code, group in cs.assign(changed=changed).groupby("ward_code"):
        years = group.loc[group["changed"], "year"]
        out[str(code)] = (int(years.max()) if len(years) else None, int(group["year"].min()))
    return out


def _group_of(row, district_nc: dict[str, float]) -> str | None:
    import pandas as pd

    if row.level == "chua_dat":
        return GROUP_BELOW_15 if row.criteria_met < 15 else GROUP_15_18
    if row.level == "ntm":
        share = district_nc.get(row.district_code)
        if share is not None and not pd.isna(share) and share < plan.SHARE_NANG_CAO:
            return GROUP_NTM_LOW_NC
    return None


def lagging(ds: Dataset, filters: LaggingFilters, ranking: list[LaggingRow] | None = None) -> list[LaggingRow]:
    """Communes ranked by how far they are from the next level, filtered as asked (positions count the listed
    rows). `ranking`: `ranked_lagging(ds, filters.year)` if the caller keeps it (e.g. shared by every worker)."""
    ranking = ranked_lagging(ds, filters.year) if ranking is None else ranking
    listed = [row for row in ranking if _passes(row, filters)]
    return [replace(row, position=i) for i, row in enumerate(listed, start=1)]


def ranked_lagging(ds: Dataset, year: int) -> list[LaggingRow]:
    """Every lagging commune of `year`, ranked: computed once per dataset (do not modify the rows)."""
    return ds.shared(("lagging-ranking", year), lambda: _rank(ds, year))


RANKING_FIELDS = tuple(f.name for f in fields(LaggingRow))  # part of a kept ranking's key (the rows' shape)


def _rank(ds: Dataset, year: int) -> list[LaggingRow]:
    communes = ds.communes(year)
    dframe = ds.district_frame(year)
    district_nc = dict(zip(dframe["district_code"], dframe["pct_nang_cao"]))
    changes = last_changes(ds, year)
    rows: list[LaggingRow] = []
    for r in communes[communes["ntm_applicable"]].itertuples():
        group = _group_of(r, district_nc) if r.level in ("chua_dat", "ntm") else None
        if group is None:
            continue
        last, first = changes.get(str(r.ward_code), (None, None))
        rows.append(LaggingRow(
            position=0, group=group, ward_code=str(r.ward_code), commune=str(r.name),
            district_code=str(r.district_code), district=str(r.district_name), level=str(r.level),
            criteria_met=int(r.criteria_met), missing=list(r.missing), last_change=last, first_year=first,
            provenance=str(r.provenance or ""), source_url=str(r.source_url or ""), note=str(r.note or ""),
            district_pct_nang_cao=_float(district_nc.get(r.district_code)), band=str(r.band),
        ))
    rows.sort(key=_rank_key)
    for i, row in enumerate(rows, start=1):
        row.position = i
    return rows


def _passes(r: LaggingRow, f: LaggingFilters) -> bool:
    if f.district and r.district_code != f.district:
        return False
    if f.band and r.band != f.band:
        return False
    if f.criterion and f.criterion not in r.missing:
        return False
    return True


def _rank_key(row: LaggingRow) -> tuple:
    """Group order, then fewest criteria (furthest from NTM); NTM rows by their district's nâng cao share."""
    nc = row.district_pct_nang_cao if row.district_pct_nang_cao is not None else 0.0
    secondary = nc if row.group == GROUP_NTM_LOW_NC else 0.0
    return GROUPS.index(row.group), row.criteria_met, secondary, row.district_code, row.commune, row.ward_code


def _float(value) -> float | None:
    import pandas as pd

    return None if value is None or pd.isna(value) else float(value)


LAGGING_COLUMNS = ("position", "ward_code", "commune", "district", "group", "level", "criteria_met",
                   "missing", "last_change", "first_year", "provenance", "note", "source_url")
PROVENANCE_LABELS = {"official": _l("official"), "documented": _l("documented, with its source"),
                     "illustrative": _l("illustrative")}
# Short criterion names for narrow column headers (the full names are in the criteria set).
SHORT_NAMES = {
    1: ("Quy hoạch", "Planning"), 2: ("Giao thông", "Transport"), 3: ("Thủy lợi", "Irrigation"),
    4: ("Điện", "Power"), 5: ("Trường học", "Schools"), 6: ("CSVC văn hóa", "Culture venues"),
    7: ("Chợ, thương mại", "Commerce"), 8: ("TT-TT", "ICT"), 9: ("Nhà ở", "Housing"), 10: ("Thu nhập", "Income"),
    11: ("Nghèo đa chiều", "Poverty"), 12: ("Lao động", "Labour"), 13: ("Tổ chức SX", "Production"),
    14: ("Giáo dục", "Education"), 15: ("Y tế", "Health"), 16: ("Văn hóa", "Culture"),
    17: ("Môi trường", "Environment"), 18: ("Chính trị, pháp luật", "Politics, law"),
    19: ("Quốc phòng, an ninh", "Defence"),
}


def short_name(number: int, lang: str = "vi") -> str:
    """'Môi trường' for criterion 17 (the full name when none is set)."""
    pair = SHORT_NAMES.get(number)
    if pair:
        return _pick(lang, *pair)
    c = criterion(number)
    return c.name_en if lang == "en" else c.name_vi


def provenance_label(key: str, lang: str = "vi") -> str:
    """'minh họa' / 'illustrative' for a provenance key (unknown keys as they are)."""
    message = PROVENANCE_LABELS.get(key)
    return _t(lang, message) if message else key


def lagging_table(rows: list[LaggingRow], lang: str = "vi") -> tuple[list[tuple[str, str]], list[dict]]:
    """(columns as (key, header), row dicts) for the downloads and the HTML table."""
    headers = {
        "position": _l("#"), "ward_code": _l("Commune code"), "commune": _l("Commune"), "district": _l("District"),
        "group": _l("Group"), "level": _l("Level"), "criteria_met": _l("Criteria met"),
        "missing": _l("Criteria not met"), "last_change": _l("Year of last change"), "first_year": _l("Data since"),
        "provenance": _l("Provenance"), "note": _l("Note"), "source_url": _l("Source"),
    }
    columns = [(k, _t(lang, headers[k])) for k in LAGGING_COLUMNS]
    out = []
    for row in rows:
        out.append({
            "position": row.position, "ward_code": row.ward_code, "commune": row.commune,
            "district": row.district, "group": row.group_label(lang), "level": level_name(row.level, lang),
            "criteria_met": row.criteria_met, "missing": "; ".join(row.missing_names(lang)),
            "last_change": row.last_change, "first_year": row.first_year,  # numbers (blank when unknown)
            "provenance": provenance_label(row.provenance, lang), "note": note_text(row.note, lang),
            "source_url": row.source_url,
        })
    return columns, out


def lagging_counts(rows: list[LaggingRow]) -> dict[str, int]:
    return {g: sum(1 for r in rows if r.group == g) for g in GROUPS}


def lagging_spec(ds: Dataset, rows: list[LaggingRow], year: int, district: str | None = None,
                 lang: str = "vi") -> tuple[MapSpec, dict[str, str]]:
    """A MapSpec for the lagging map layer and each commune's class key (listed communes by group)."""
    communes = ds.communes(year)
    group_by_code = {r.ward_code: r.group for r in rows}
    keys: dict[str, str] = {}
    for code, level in zip(communes["ward_code"], communes["level"]):
        if code in group_by_code:
            keys[code] = group_by_code[code]
        elif level in ("not_applicable", "no_data"):
            keys[code] = level
        else:
            keys[code] = NOT_LISTED_CLASS.key
    classes = [MapClass(g, *GROUP_LABELS[g], LAGGING_COLORS[g]) for g in GROUPS]
    classes += [NOT_LISTED_CLASS, NOT_APPLICABLE_CLASS, NO_DATA_CLASS]
    in_view = communes if not district else communes[communes["district_code"] == district]
    counts: dict[str, int] = {}
    for code in in_view["ward_code"]:  # legend counts cover the communes in view, like the main map's
        counts[keys[code]] = counts.get(keys[code], 0) + 1
    where = place_name(district, lang)
    title = _t(lang, "Communes lagging behind — %(where)s, %(year)s", where=where, year=year)
    spec = MapSpec(layer="lagging", year=year, lang=lang, district=district, classes=classes, counts=counts,
                   title=title, illustrative=ds.has_illustrative(year), district_classes=district_classes())
    return spec, keys


# --------------------------------------------------------------------------- criteria gap matrix


@dataclass
class GapCell:
    criterion: int
    count: int  # xã with data not meeting the criterion
    share: float | None  # percent of the district's xã with data


@dataclass
class GapRow:
    district_code: str  # "" for the province row
    district: str
    xa_with_data: int
    xa_no_data: int
    cells: list[GapCell]

    def ranked(self) -> list[GapCell]:
        """The criteria missed at least once, most missed first (ties by criterion number)."""
        return sorted((c for c in self.cells if c.count > 0), key=lambda c: (-c.count, c.criterion))

    def top(self, n: int = 3) -> list[GapCell]:
        """The n most missed criteria, only those missed at least once."""
        return self.ranked()[:n]

    def tied_with_last(self, n: int = 3) -> list[GapCell]:
        """The criteria left out of `top(n)` though missed as often as its last one."""
        ranked = self.ranked()
        top = ranked[:n]
        return [c for c in ranked[len(top):] if c.count == top[-1].count] if top else []

    def sentence(self, lang: str = "vi") -> str:
        return gap_sentence(self, lang)


def gap_matrix(ds: Dataset, year: int) -> list[GapRow]:
    """Per district (then the province): how many xã miss each of the 19 criteria."""
    communes = ds.communes(year)
    xa = communes[communes["ntm_applicable"]]
    present = set(ds.boundaries["district_code"])
    rows = [_gap_row(code, name, xa[xa["district_code"] == code])
            for code, name in DISTRICTS.items() if code in present]
    rows.append(_gap_row("", PROVINCE_NAME, xa))
    return rows


def _gap_row(code: str, name: str, xa: pd.DataFrame) -> GapRow:
    with_data = xa[xa["level"] != "no_data"]
    total = len(with_data)
    cells = []
    for number, col in zip(CRITERION_NUMBERS, CRITERION_COLUMNS):
        count = int((with_data[col] == False).sum())  # noqa: E712 - values are True/False/None
        cells.append(GapCell(number, count, round(100.0 * count / total, 1) if total else None))
    return GapRow(code, name, total, int(len(xa) - total), cells)


def gap_table(matrix: list[GapRow], lang: str = "vi") -> tuple[list[tuple[str, str]], list[dict]]:
    """The /gaps matrix as (columns, rows) for CSV/XLSX: per criterion the count and the share (%)."""
    columns = [("district", _t(lang, "District")), ("xa_with_data", _t(lang, "Xã with criteria data")),
               ("xa_no_data", _t(lang, "Xã without criteria data"))]
    for number in CRITERION_NUMBERS:
        name = short_name(number, lang)
        columns.append((f"n{number}", _t(lang, "C%(number)s %(name)s: xã not met", number=number, name=name)))
        columns.append((f"p{number}", _t(lang, "C%(number)s: %% not met", number=number)))
    rows = []
    for row in matrix:
        out = {"district": row.district if row.district_code else _t(lang, "Whole province"),
               "xa_with_data": row.xa_with_data, "xa_no_data": row.xa_no_data}
        for cell in row.cells:
            out[f"n{cell.criterion}"] = cell.count
            out[f"p{cell.criterion}"] = None if cell.share is None else round(cell.share, 1)
        rows.append(out)
    return columns, rows


def targets_table(view: "TargetsView", lang: str = "vi") -> tuple[list[tuple[str, str]], list[dict]]:
    """The /targets tables (province, then each district) as (columns, rows) for CSV/XLSX."""
    columns = [("scope", _t(lang, "Scope")), ("target", _t(lang, "Target")), ("actual", _t(lang, "Actual")),
               ("goal", _t(lang, "Goal")), ("gap", _t(lang, "Gap")), ("status", _t(lang, "Status"))]
    rows = []
    scopes = [(_t(lang, "Whole province"), view.province)]
    scopes += [(d.district, d.targets) for d in view.districts]
    for scope, targets_ in scopes:
        for t in targets_:
            c = target_cells(t, lang)
            rows.append({"scope": scope, "target": c["label"], "actual": c["actual"], "goal": c["goal"],
                         "gap": c["gap"], "status": c["status"]})
    return columns, rows


def gap_sentence(row: GapRow, lang: str = "vi") -> str:
    """'Huyện Ba Tri: ba tiêu chí chưa đạt nhiều nhất là …' (the three most missed criteria)."""
    name = row.district if row.district_code else place_name("", lang)
    if row.xa_with_data == 0:
        return _t(lang, "%(district)s: no criteria data.", district=name)
    top = row.top(3)
    if not top:
        return _t(lang, "%(district)s: every xã with data meets all 19 criteria.", district=name)
    parts = [f"{criterion_label(c.criterion, lang)} "
             + _t(lang, "(%(n)s of %(total)s xã)", n=c.count, total=row.xa_with_data) for c in top]
    sentence = {1: _l("%(district)s: The only missed criterion is %(list)s."),
                2: _l("%(district)s: The two most missed criteria are %(list)s."),
                3: _l("%(district)s: The three most missed criteria are %(list)s.")}[len(top)]
    text = _t(lang, sentence, district=name, list=_join(parts, _t(lang, "and")))
    tied = row.tied_with_last(len(top))
    if tied:  # the three were picked by number among equals: the others are named too
        text += " " + _t(lang, "Missed in as many xã (%(n)s of %(total)s): %(list)s.", n=top[-1].count,
                         total=row.xa_with_data, list=", ".join(_pick(lang, f"TC {c.criterion}", f"C{c.criterion}")
                                                                for c in tied))
    return text


def _join(parts: list[str], word: str) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return f"{'; '.join(parts[:-1])} {word} {parts[-1]}"


# --------------------------------------------------------------------------- targets vs actual


def gap_text(target: dict, lang: str = "vi") -> str:
    """What is still needed for one target, in communes ('needs 34 more xã NTM'), or that it is met."""
    key, gap = target["key"], target.get("gap", 0)
    if target.get("met") is None:
        return _t(lang, "tracked, no numeric target")
    if target["met"]:
        return _t(lang, "already met")
    phrases = {
        "xa_ntm_share": _l("needs %(n)s more xã NTM"),
        "rest_ge_15": _l("needs %(n)s more xã at ≥ 15 criteria"),
        "xa_nang_cao_share": _l("needs %(n)s more advanced NTM xã"),
        "model_per_district": _l("needs %(n)s more model NTM xã"),
        "all_xa_ntm": _l("%(n)s xã not yet NTM"),
    }
    if key in phrases:
        return _t(lang, phrases[key], n=gap)
    if key.startswith("district_"):
        have = district_level_name(target["actual"], lang)
        want = district_level_name(target["target"], lang)
        return _t(lang, "now: %(have)s; goal: %(want)s", have=have, want=want)
    return _t(lang, "%(gap)s short", gap=gap)


def target_cells(target: dict, lang: str = "vi") -> dict[str, str]:
    """Display texts of one target row: label, actual, goal, gap and status."""
    label = target["label_en"] if lang == "en" else target["label_vi"]
    if target["key"].startswith("district_"):
        actual, goal = district_level_name(target["actual"], lang), district_level_name(target["target"], lang)
    elif target["key"] == "rest_ge_15" and not target["target"]:  # every xã is NTM ("all 0 xã" read oddly)
        actual = goal = _t(lang, "every xã is NTM")
    elif target["key"] == "rest_ge_15":
        actual = _t(lang, "%(n)s of %(total)s xã not yet NTM", n=target["actual"], total=target["target"])
        goal = _t(lang, "all %(n)s xã", n=target["target"])
    elif target["unit"] == "district":
        actual = f"{target['actual']}/{target['total']}"
        goal = f"{target['target']}/{target['total']}"
    else:
        pct = target.get("actual_pct")
        actual = f"{target['actual']}/{target['total']} xã" + (f" ({percent(pct / 100, lang, 1)})" if pct is not None
                                                               else "")
        goal = "—" if target["target"] is None else f"≥ {target['target']} xã"
    if target["met"] is None:
        status = _t(lang, "tracked")
    else:
        status = _t(lang, "met") if target["met"] else _t(lang, "not met")
    return {"label": label, "actual": actual, "goal": goal, "gap": gap_text(target, lang), "status": status}


@dataclass
class DistrictTargets:
    district_code: str
    district: str
    xa_total: int
    level: str
    targets: list[dict] = field(default_factory=list)


@dataclass
class TargetsView:
    year: int
    province: list[dict]
    districts: list[DistrictTargets]
    counts: dict
    illustrative: bool


def targets(ds: Dataset, year: int) -> TargetsView:
    """The province and each district against the 2025 targets of plan 4798, with gaps in communes."""
    return _targets_from(ds.communes(year), ds.district_frame(year), year, ds.has_illustrative(year))


def _targets_from(communes: pd.DataFrame, dframe: pd.DataFrame, year: int, illustrative: bool) -> TargetsView:
    counts = province_counts(communes)
    province = plan.evaluate(counts, dframe) + [_city_quality(dframe)]
    districts = [district_targets(communes, dframe, code) for code in dframe["district_code"]]
    return TargetsView(year, _with_text(province), districts, counts, illustrative)


def district_targets(communes: pd.DataFrame, dframe: pd.DataFrame, code: str) -> DistrictTargets:
    """The plan's shares applied to one district, its own level goal, and 100 % xã NTM for a huyện NTM goal."""
    own = dframe[dframe["district_code"] == code]
    counts = province_counts(communes[communes["district_code"] == code])
    rows = [t for t in plan.evaluate(counts, own) if t.get("district_code") in (None, code)]
    if code in plan.DISTRICT_GOALS:
        rows.append(_all_xa_ntm(counts))
    if code == plan.CITY_QUALITY_GOAL:
        rows.append(_city_quality(own))
    level = str(own["level"].iloc[0]) if len(own) else "chua_dat"
    return DistrictTargets(code, DISTRICTS.get(code, code), counts["xa_total"], level, _with_text(rows))


def _all_xa_ntm(counts: dict) -> dict:
    """A huyện NTM needs every xã NTM (QĐ 320/QĐ-TTg): the district-level precondition as a target row."""
    have, total = counts["xa_ntm"], counts["xa_total"]
    return {"key": "all_xa_ntm", "label_vi": "100 % xã đạt chuẩn NTM (điều kiện của huyện NTM)",
            "label_en": "100 % of xã NTM (required for an NTM district)", "actual": have, "target": total,
            "total": total, "actual_pct": round(100.0 * have / total, 1) if total else None,
            "met": have >= total, "gap": max(0, total - have), "unit": "xa"}


def _city_quality(dframe: pd.DataFrame) -> dict:
    """TP Bến Tre's goal (raise the quality of its criteria) has no number: shown as its nâng cao count."""
    row = dframe[dframe["district_code"] == plan.CITY_QUALITY_GOAL]
    nc = int(row["xa_nang_cao"].iloc[0]) if len(row) else 0
    total = int(row["xa_total"].iloc[0]) if len(row) else 0
    name = DISTRICTS[plan.CITY_QUALITY_GOAL]
    return {"key": "city_quality", "label_vi": f"{name} nâng chất các tiêu chí NTM",
            "label_en": f"{name} raises the quality of its NTM criteria", "district_code": plan.CITY_QUALITY_GOAL,
            "actual": nc, "target": None, "total": total,
            "actual_pct": round(100.0 * nc / total, 1) if total else None, "met": None, "gap": 0, "unit": "xa"}


def _with_text(rows: list[dict]) -> list[dict]:
    for t in rows:
        t["gap_vi"], t["gap_en"] = gap_text(t, "vi"), gap_text(t, "en")
    return rows


# --------------------------------------------------------------------------- progress over the years


@dataclass
class ProgressPoint:
    year: int
    xa_total: int
    xa_ntm: int
    xa_nang_cao: int
    pct_ntm: float | None
    pct_nang_cao: float | None
    illustrative: bool


def progress(ds: Dataset, district: str | None = None,
             frames: dict[int, pd.DataFrame] | None = None) -> list[ProgressPoint]:
    """Share of xã NTM and nâng cao in each year with data, for the province or one district."""
    frames = frames or {year: ds.communes(year) for year in ds.years}
    out = []
    for year, communes in sorted(frames.items()):
        if district:
            communes = communes[communes["district_code"] == district]
        c = province_counts(communes)
        total = c["xa_total"]
        out.append(ProgressPoint(
            year, total, c["xa_ntm"], c["xa_nang_cao"],
            round(100.0 * c["xa_ntm"] / total, 1) if total else None,
            round(100.0 * c["xa_nang_cao"] / total, 1) if total else None,
            ds.has_illustrative(year),
        ))
    return out


def progress_all(ds: Dataset) -> dict[str, list[ProgressPoint]]:
    """'' (the province) and each district code present -> its progress series."""
    frames = {year: ds.communes(year) for year in ds.years}
    present = [code for code in DISTRICTS if code in set(ds.boundaries["district_code"])]
    return {"": progress(ds, None, frames), **{code: progress(ds, code, frames) for code in present}}


# --------------------------------------------------------------------------- what-if


@dataclass
class WhatIf:
    """Targets now and if the chosen communes reach NTM next year."""

    year: int
    next_year: int
    mode: str  # "all18" | "codes"
    chosen: list[dict]  # communes that would become NTM
    already: list[dict]  # chosen communes that already are NTM (ignored)
    before: TargetsView
    after: TargetsView
    becomes_township: list[str] = field(default_factory=list)  # xã that stop counting next year

    def as_dict(self) -> dict:
        return asdict(self)


def parse_whatif(raw: str) -> tuple[str, list[str]]:
    """'all18' or a comma-separated list of ward codes -> (mode, codes)."""
    raw = (raw or "").strip()
    if raw == "all18":
        return "all18", []
    codes = [c.strip() for c in raw.replace(";", ",").replace(" ", ",").split(",") if c.strip()]
    if not codes:
        raise PlanningError("whatif", _l("whatif is empty; give 'all18' or commune codes separated by "
                                         "commas, e.g. 28813,29146."))
    bad = [c for c in codes if not c.isdigit()]
    if bad:
        raise PlanningError("whatif", _l("whatif: {values} is not a commune code; give 'all18' or 5-digit GSO "
                                         "codes separated by commas, e.g. 28813,29146."),
                            values=", ".join(repr(b) for b in bad))
    return "codes", list(dict.fromkeys(codes))


def what_if(ds: Dataset, year: int, mode: str, codes: list[str] | None = None) -> WhatIf:
    """Targets if the chosen xã (or every xã at 18 criteria) reach NTM in `year` + 1, all else unchanged.

    Unit types of the next year apply (xã that become thị trấn stop counting).
    """
    communes = ds.communes(year)
    xa = communes[communes["ntm_applicable"]]
    if mode == "all18":
        picked = xa[(xa["level"] == "chua_dat") & (xa["criteria_met"] == 18)]
        already = xa.iloc[0:0]
    else:
        _check_codes(communes, codes or [])
        picked_all = xa[xa["ward_code"].isin(codes or [])]
        already = picked_all[picked_all["level_rank"] >= 1]
        picked = picked_all[picked_all["level_rank"] < 1]
    after_frame, townships = _next_year_frame(communes, year + 1, set(picked["ward_code"]))
    dframe_after = districts_from_communes(ds, after_frame, year)
    before = targets(ds, year)
    after = _targets_from(after_frame, dframe_after, year + 1, ds.has_illustrative(year))
    return WhatIf(year, year + 1, mode, _brief(picked), _brief(already), before, after, townships)


def _check_codes(communes: pd.DataFrame, codes: list[str]) -> None:
    known = dict(zip(communes["ward_code"], communes["ntm_applicable"]))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise PlanningError("whatif", _l("whatif: no commune with code {codes} in the boundary layer; use GSO "
                                         "codes from the lagging list (e.g. 28813)."), codes=", ".join(unknown))
    urban = [c for c in codes if not known[c]]
    if urban:
        raise PlanningError("whatif", _l("whatif: {codes} is a phường/thị trấn; "
                                         "NTM criteria apply to xã only."),
                            codes=", ".join(urban))


def _brief(frame: pd.DataFrame) -> list[dict]:
    import pandas as pd

    return [{"ward_code": str(r.ward_code), "commune": str(r.name), "district": str(r.district_name),
             "criteria_met": None if pd.isna(r.criteria_met) else int(r.criteria_met), "level": str(r.level)}
            for r in frame.itertuples()]


def _next_year_frame(communes: pd.DataFrame, next_year: int, reach: set[str]) -> tuple[pd.DataFrame, list[str]]:
    """The commune frame with `reach` set to NTM and next year's unit types applied."""
    out = communes.copy()
    unit_by_code = units()
    townships = []
    for idx, code in zip(out.index, out["ward_code"]):
        unit = unit_by_code.get(code)
        if out.at[idx, "ntm_applicable"] and unit is not None and not unit.ntm_applicable(next_year):
            townships.append(unit.name_in(next_year))
            out.loc[idx, ["ntm_applicable", "level", "band"]] = [False, "not_applicable", "not_applicable"]
            out.at[idx, "level_rank"] = COMMUNE_LEVEL_BY_KEY["not_applicable"].rank
    mask = out["ward_code"].isin(reach) & out["ntm_applicable"]
    out.loc[mask, "level"] = "ntm"
    out.loc[mask, "level_rank"] = COMMUNE_LEVEL_BY_KEY["ntm"].rank
    out.loc[mask, "criteria_met"] = 19
    out.loc[mask, "band"] = "19"
    for col in CRITERION_COLUMNS:
        out.loc[mask, col] = True
    out["missing"] = [[] if m else list(miss) for m, miss in zip(mask, out["missing"])]
    return out, townships


