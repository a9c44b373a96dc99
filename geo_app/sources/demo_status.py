"""Deterministic demo status data 2021-2024: every published fact (ntm-facts.md §4) plus illustrative values.

Rows a published fact determines carry provenance "documented" and that fact's URL; every other value is
invented (provenance "illustrative") so the application has something to show until official data arrive.
"""
from __future__ import annotations

import io
import os
import random
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd

from geo_app.domain.criteria import COMMUNE_LEVELS, CRITERION_COLUMNS, CRITERION_NUMBERS, DISTRICT_LEVEL_BY_KEY
from geo_app.domain.units import BECAME_TOWNSHIP_2023, DISTRICTS, units

SEED = 4798
YEARS = (2021, 2022, 2023, 2024)
FIXED_TIME = datetime(2022, 8, 1)  # the plan's date; stamped into the workbook so it is byte-stable
ILLUSTRATIVE_NOTE = "Giá trị minh họa (illustrative), không phải số liệu chính thức"

URL_DAI_DIEN = "http://dost-bentre.gov.vn/tin-tuc/3024/dai-dien-khoat-len-minh-dien-mao-moi"
URL_2018 = "http://nongthonmoi.bentre.gov.vn/noi-dung/-/cms-icbt/10180/bai-viet/338133"
URL_2020 = ("https://baodongkhoi.vn/cho-lach-va-tp-ben-tre-dat-100-tieu-chi-xay-dung-nong-thon-moi-"
            "08092020-a77633.html")
URL_PHU_NHUAN = ("https://dantocmiennui.baotintuc.vn/phu-nhuan-tro-thanh-xa-nong-thon-moi-nang-cao-dau-tien-"
                 "cua-ben-tre-post301812.html")
URL_2022 = "https://thiennhienmoitruong.vn/ben-tre-80-xa-dat-chuan-nong-thon-moi.html"
URL_MCN = ("https://langngheviet.com.vn/them-3-huyen-cua-ben-tre-soc-trang-va-ba-ria-vung-tau-dat-chuan-"
           "nong-thon-moi-31872.html")

DAI_DIEN, PHU_NHUAN, DINH_THUY = "29188", "28798", "28930"
RECOGNISED_2018 = {"28927": "Tân Thanh Tây", "29107": "Thới Thuận", "28966": "An Thới"}
TP_BEN_TRE, CHO_LACH, MO_CAY_NAM = "829", "832", "833"

# Published facts, by commune: (from year, level reached, source URL, note).
_YEAR_INVENTED = "năm công nhận NTM là minh họa"
COMMUNE_FACTS: dict[str, list[tuple[int, str, str, str]]] = {
    DAI_DIEN: [(2015, "ntm", URL_DAI_DIEN, "Đạt chuẩn NTM năm 2015")],
    **{code: [(2018, "ntm", URL_2018, "Đạt chuẩn NTM năm 2018")] for code in RECOGNISED_2018},
    PHU_NHUAN: [(2021, "nang_cao", URL_PHU_NHUAN, f"Xã NTM nâng cao đầu tiên của tỉnh (24/4/2021); {_YEAR_INVENTED}")],
    DINH_THUY: [(2023, "kieu_mau", URL_MCN,
                 f"Xã NTM kiểu mẫu, huyện Mỏ Cày Nam đạt chuẩn NTM 2023 (QĐ 1611/QĐ-TTg); {_YEAR_INVENTED}")],
}
# Published facts, by district: every xã of the district is at least NTM from that year.
DISTRICT_XA_FACTS: dict[str, tuple[int, str, str]] = {
    TP_BEN_TRE: (2020, URL_2020, "TP Bến Tre 6/6 xã đạt chuẩn NTM năm 2020 (QĐ 1502/QĐ-TTg)"),
    CHO_LACH: (2020, URL_2020, "Chợ Lách 10/10 xã đạt chuẩn NTM năm 2020 (QĐ 1503/QĐ-TTg)"),
    MO_CAY_NAM: (2023, URL_MCN, "Mỏ Cày Nam 15/15 xã đạt chuẩn NTM năm 2023 (QĐ 1611/QĐ-TTg)"),
}
# District levels: code -> (from year, level, decision, URL); before that year "chua_dat" (documented when the
# recognition year is known, since the source dates the first recognition).
DISTRICT_FACTS: dict[str, tuple[int, str, str, str]] = {
    TP_BEN_TRE: (2020, "hoan_thanh", "QĐ 1502/QĐ-TTg", URL_2020),
    CHO_LACH: (2020, "huyen_ntm", "QĐ 1503/QĐ-TTg", URL_2020),
    MO_CAY_NAM: (2023, "huyen_ntm", "QĐ 1611/QĐ-TTg", URL_MCN),
}

# The illustrative plan per district: xã NTM (cumulative) by the end of 2018, 2020, 2021, 2022, 2023, 2024;
# xã nâng cao or above 2021-2024; xã kiểu mẫu 2023-2024. Sums: 27 by 2018; 80 NTM and 20 nâng cao in 2022.
PLAN: dict[str, tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]] = {
    "829": ((4, 6, 6, 6, 6, 6), (1, 4, 5, 5), (0, 1)),
    "831": ((3, 7, 10, 12, 14, 16), (1, 3, 4, 6), (0, 0)),
    "832": ((7, 10, 10, 10, 10, 10), (2, 5, 6, 7), (0, 1)),
    "833": ((3, 5, 8, 11, 15, 15), (0, 1, 3, 4), (1, 1)),
    "834": ((2, 4, 6, 8, 10, 12), (0, 1, 2, 3), (0, 0)),
    "835": ((2, 5, 7, 9, 11, 13), (0, 2, 3, 4), (0, 0)),
    "836": ((2, 4, 6, 9, 11, 13), (0, 1, 2, 3), (0, 0)),
    "837": ((2, 4, 5, 7, 9, 11), (0, 1, 2, 3), (0, 0)),
    "838": ((2, 4, 6, 8, 10, 11), (0, 2, 3, 4), (0, 0)),
}
PLAN_YEARS = (2018, 2020, 2021, 2022, 2023, 2024)
# Level raises fixed by facts (or, for Đại Điền, a reasoned illustrative choice: a model commune by 2025-06
# must have been nâng cao before).
FORCED_NANG_CAO = {PHU_NHUAN: 2021, DINH_THUY: 2022, DAI_DIEN: 2024}
FORCED_KIEU_MAU = {DINH_THUY: 2023}
NEVER_KIEU_MAU = {DAI_DIEN}  # model only from 2025 per the source: unknown before
# How often each criterion is the one still missing (income, poverty, production, environment, planning, transport).
MISSING_WEIGHTS = {1: 6, 2: 7, 3: 3, 4: 1, 5: 4, 6: 4, 7: 3, 8: 1, 9: 3, 10: 10, 11: 8, 12: 3, 13: 8, 14: 2,
                   15: 3, 16: 2, 17: 9, 18: 1, 19: 1}

COMMUNE_CSV, DISTRICT_CSV, WORKBOOK = "demo-communes.csv", "demo-districts.csv", "demo-status.xlsx"


@dataclass
class Trajectory:
    """One xã's path: recognition year, level raises, criteria met per non-NTM year, criteria hardest first."""

    code: str
    district: str
    recognised: int | None = None
    nang_cao: int | None = None
    kieu_mau: int | None = None
    met: dict[int, int] = field(default_factory=dict)
    hardest: list[int] = field(default_factory=list)

    def level(self, year: int) -> str:
        for key, since in (("kieu_mau", self.kieu_mau), ("nang_cao", self.nang_cao), ("ntm", self.recognised)):
            if since is not None and since <= year:
                return key
        return "chua_dat"

    def criteria(self, year: int) -> int:
        return 19 if self.level(year) != "chua_dat" else self.met[year]


def _exists(code: str, year: int) -> bool:
    return units()[code].ntm_applicable(year)


def _weighted_order(rng: random.Random) -> list[int]:
    """Criteria ordered hardest first (weighted random, Efraimidis-Spirakis keys)."""
    keys = {n: rng.random() ** (1 / MISSING_WEIGHTS[n]) for n in CRITERION_NUMBERS}
    return sorted(CRITERION_NUMBERS, key=lambda n: -keys[n])


def _assign_recognition(paths: dict[str, Trajectory], rng: random.Random) -> None:
    """Recognition years per the district plan; documented communes first, future townships only before 2023."""
    forced_year = {DAI_DIEN: 2015, **{code: 2018 for code in RECOGNISED_2018}}
    for district, (ntm_by, _, _) in PLAN.items():
        codes = sorted(c for c, p in paths.items() if p.district == district)
        front = [c for c in dict.fromkeys((*forced_year, *FORCED_NANG_CAO)) if c in codes]
        rest = [c for c in codes if c not in front]
        rng.shuffle(rest)
        order = front + rest
        late = [c for c in order[ntm_by[3]:] if c in BECAME_TOWNSHIP_2023]  # no xã left to recognise from 2023
        order = [c for c in order if c not in late] + late
        for slot, code in enumerate(order):
            year = next((y for y, n in zip(PLAN_YEARS, ntm_by) if slot < n), None)
            if year == 2018:
                year = forced_year.get(code, rng.randint(2014, 2018))
            elif year == 2020:
                year = rng.choice((2019, 2020))
            paths[code].recognised = year


def _raise_levels(paths: dict[str, Trajectory], rng: random.Random, attr: str, plan_index: int,
                  first_year: int, forced: dict[str, int], eligible: Callable[[Trajectory, int], bool]) -> None:
    """Raise communes to nâng cao (or kiểu mẫu) per the district plan: forced ones first, then earliest recognised."""
    years = YEARS[YEARS.index(first_year):]
    for district, plan in PLAN.items():
        for year, target in zip(years, plan[plan_index]):
            members = [p for p in paths.values() if p.district == district and _exists(p.code, year)]
            for p in members:
                if forced.get(p.code) == year:
                    setattr(p, attr, year)
            done = [p for p in members if getattr(p, attr) is not None]
            pool = [p for p in members if getattr(p, attr) is None and p.code not in forced and eligible(p, year)]
            pool.sort(key=lambda p: (p.recognised or 9999) + 3 * rng.random())
            if target < len(done) or target - len(done) > len(pool):
                raise RuntimeError(f"demo plan for district {district} cannot give {target} {attr} in {year}")
            for p in pool[:target - len(done)]:
                setattr(p, attr, year)


def _assign_criteria(paths: dict[str, Trajectory], rng: random.Random) -> None:
    """Criteria met in non-NTM years: 2022 bands 24 × 15-18 and 38 × 10-14 (published); others drift upward."""
    for p in paths.values():
        p.hardest = _weighted_order(rng)
    pending = [p for p in paths.values() if p.level(2022) == "chua_dat"]
    pending.sort(key=lambda p: ((p.recognised or 9999), rng.random()))
    for i, p in enumerate(pending):
        p.met[2022] = rng.choice((17, 18, 18)) if p.recognised == 2023 else (
            rng.randint(15, 18) if i < 24 else rng.randint(10, 14))
    for p in paths.values():
        if p.level(2021) == "chua_dat":
            drop = rng.choice((0, 0, 1, 1, 2))
            p.met[2021] = rng.randint(15, 18) if p.recognised == 2022 else max(9, p.met[2022] - drop)
        for year in (2023, 2024):
            if p.level(year) == "chua_dat":
                p.met[year] = min(18, p.met[year - 1] + rng.choice((0, 1, 1, 2)))


def trajectories(seed: int = SEED) -> dict[str, Trajectory]:
    """Every 2020-2024 xã's path through 2021-2024, deterministic for a seed."""
    rng = random.Random(seed)
    paths = {u.code: Trajectory(u.code, u.district_code) for u in units().values() if u.ntm_applicable(2020)}
    _assign_recognition(paths, rng)
    _raise_levels(paths, rng, "nang_cao", 1, 2021, FORCED_NANG_CAO,
                  lambda p, y: p.recognised is not None and p.recognised < y)
    _raise_levels(paths, rng, "kieu_mau", 2, 2023, FORCED_KIEU_MAU,
                  lambda p, y: p.nang_cao is not None and p.nang_cao < y and p.code not in NEVER_KIEU_MAU)
    _assign_criteria(paths, rng)
    return paths


def _facts(p: Trajectory, year: int) -> list[tuple[str, str, str]]:
    """(level, URL, note) of every published fact about this commune in effect in `year`."""
    facts = [(level, url, note) for since, level, url, note in COMMUNE_FACTS.get(p.code, []) if since <= year]
    fact = DISTRICT_XA_FACTS.get(p.district)
    if fact and fact[0] <= year:
        facts.append(("ntm", fact[1], fact[2] + "; năm công nhận của từng xã là minh họa"))
    return facts


def _commune_row(p: Trajectory, year: int) -> dict:
    unit = units()[p.code]
    met = set(CRITERION_NUMBERS) - set(p.hardest[:19 - p.criteria(year)])
    recognised = p.recognised if p.recognised is not None and p.recognised <= year else None
    facts = _facts(p, year)
    exact = [(url, note) for level, url, note in facts if level == p.level(year)]
    if exact:
        provenance, (url, note) = "documented", exact[0]
    else:
        provenance, url = "illustrative", ""
        note = "; ".join([ILLUSTRATIVE_NOTE, *(f"đã công bố: {n}" for _, _, n in facts[:1])])
        if year == 2022:
            note += f"; tổng toàn tỉnh 2022 khớp số liệu đã công bố ({URL_2022})"
    return {"ward_code": p.code, "name": unit.name_in(year), "district": unit.district_name, "year": year,
            **{f"c{n}": n in met for n in CRITERION_NUMBERS}, "level": p.level(year),
            "year_recognised": recognised, "note": note, "provenance": provenance, "source_url": url}


def _district_row(code: str, year: int) -> dict:
    row = {"district_code": code, "name": DISTRICTS[code], "year": year, "level": "chua_dat", "decision": "",
           "note": ILLUSTRATIVE_NOTE, "provenance": "illustrative", "source_url": ""}
    if code in DISTRICT_FACTS:
        since, level, decision, url = DISTRICT_FACTS[code]
        reached, name = year >= since, DISTRICT_LEVEL_BY_KEY[level].name_vi
        row.update(level=level if reached else "chua_dat", decision=decision if reached else "",
                   provenance="documented", source_url=url,
                   note=f"{name} từ năm {since} ({decision})" if reached else f"Chưa đạt; {name} năm {since} "
                                                                                f"({decision})")
    return row


def generate(seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(communes, districts) demo frames: one row per xã (resp. district) and year 2021-2024."""
    paths = trajectories(seed)
    communes = pd.DataFrame([_commune_row(p, y) for y in YEARS for p in paths.values() if _exists(p.code, y)])
    communes["year_recognised"] = communes["year_recognised"].astype("Int64")
    districts = pd.DataFrame([_district_row(code, y) for y in YEARS for code in DISTRICTS])
    return communes, districts


# ---------------------------------------------------------------- writing

def _csv_bytes(frame: pd.DataFrame) -> bytes:
    out = frame.copy()
    out[[c for c in CRITERION_COLUMNS if c in out]] = out[[c for c in CRITERION_COLUMNS if c in out]].astype(int)
    return out.to_csv(index=False, lineterminator="\n").encode("utf-8")


def _xlsx_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """A workbook with one sheet per frame, byte-stable: fixed document times and zip entry times."""
    import openpyxl
    from openpyxl.xml.functions import tostring

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, frame in sheets.items():
        ws = wb.create_sheet(title)
        ws.append(list(frame.columns))
        for record in frame.itertuples(index=False):
            ws.append([_xlsx_value(v) for v in record])
        ws.freeze_panes = "A2"
    raw = io.BytesIO()
    wb.save(raw)  # stamps the current time as "modified": replaced below, as are the zip entry times
    wb.properties.created = wb.properties.modified = FIXED_TIME
    core = tostring(wb.properties.to_tree())
    stable = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(stable, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = core if info.filename == "docProps/core.xml" else src.read(info)
            dst.writestr(zipfile.ZipInfo(info.filename, FIXED_TIME.timetuple()[:6]), data,
                         compress_type=zipfile.ZIP_DEFLATED)
    return stable.getvalue()


def _xlsx_value(value: object) -> object:
    if value is pd.NA or value is None:
        return None
    value = value.item() if hasattr(value, "item") else value
    return int(value) if isinstance(value, bool) else value


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write(out_dir: str | Path, seed: int = SEED) -> list[Path]:
    """Write demo-communes.csv, demo-districts.csv and demo-status.xlsx into out_dir; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    communes, districts = generate(seed)
    files = {
        out / COMMUNE_CSV: _csv_bytes(communes),
        out / DISTRICT_CSV: _csv_bytes(districts),
        out / WORKBOOK: _xlsx_bytes({"communes": communes, "districts": districts}),
    }
    for path, data in files.items():
        _write_atomic(path, data)
    return list(files)


def province_counts(communes: pd.DataFrame, year: int) -> dict[str, int]:
    """Province totals over xã rows of one year (a quick check without boundaries)."""
    rows = communes[communes["year"] == year]
    rank = rows["level"].map({lv.key: lv.rank for lv in COMMUNE_LEVELS})
    met = rows[list(CRITERION_COLUMNS)].sum(axis=1)
    rest = met[rank == 0]
    return {"xa_total": len(rows), "xa_ntm": int((rank >= 1).sum()), "xa_nang_cao": int((rank >= 2).sum()),
            "xa_kieu_mau": int((rank >= 3).sum()), "band_15_18": int(rest.between(15, 18).sum()),
            "band_10_14": int(rest.between(10, 14).sum()), "band_lt10": int((rest < 10).sum())}
