"""Status workbooks in the layouts offices send, written with openpyxl (merged headers, COUNTIF totals without
saved results, district headings, Cộng rows, signature blocks), and the truth they were written from."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter

from geo_app.domain.criteria import CRITERIA
from geo_app.domain.units import DISTRICTS, units

MET_SPELLINGS = ("x", "X", "✓", "Đạt", 1)
NOT_MET_SPELLINGS = (None, "-", 0, "Chưa đạt")
LEVEL_WORDS = {"chua_dat": "Chưa đạt", "ntm": "Đạt chuẩn NTM", "nang_cao": "Đạt chuẩn NTM nâng cao",
               "kieu_mau": "NTM kiểu mẫu"}
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX")


@dataclass
class Truth:
    """What a fixture holds: per (code, year) the criteria met and the level."""

    criteria: dict[tuple[str, int], list[bool]] = field(default_factory=dict)
    levels: dict[tuple[str, int], str] = field(default_factory=dict)

    def totals(self, year: int) -> dict[str, int]:
        keys = [k for k in self.levels if k[1] == year]
        return {"xa": len(keys),
                "ntm_or_better": sum(self.levels[k] in ("ntm", "nang_cao", "kieu_mau") for k in keys),
                "nang_cao_or_better": sum(self.levels[k] in ("nang_cao", "kieu_mau") for k in keys),
                "kieu_mau": sum(self.levels[k] == "kieu_mau" for k in keys),
                "criteria_met": sum(sum(self.criteria[k]) for k in keys)}


def make_truth(year: int, seed: int = 4798) -> Truth:
    """A deterministic status for every xã of the year: some at 19 (NTM, nâng cao, kiểu mẫu), others fewer."""
    rng = random.Random(seed + year)
    truth = Truth()
    for code, unit in units().items():
        if not unit.ntm_applicable(year):
            continue
        met_count = rng.choice((19, 19, 19, 18, 17, 15, 12, 9))
        met = [True] * met_count + [False] * (19 - met_count)
        rng.shuffle(met)
        level = rng.choice(("ntm", "ntm", "nang_cao", "kieu_mau", "chua_dat")) if met_count == 19 else "chua_dat"
        truth.criteria[(code, year)] = met
        truth.levels[(code, year)] = level
    return truth


@dataclass
class Style:
    """How an office lays out its sheet."""

    codes: bool = True  # a Mã xã column; else names only, matched within district headings
    header_rows: int = 2  # 2: merged "Kết quả thực hiện các tiêu chí" over sub-columns; 1: one header row
    labels: str = "digits"  # digits (1..19), tc (TC1..TC19), names (criteria names)
    result_column: bool = True  # a "Kết quả" column in words; else the level comes from the marks
    column_numbers_row: bool = False  # a row "(1) (2) (3) ..." under the header
    title_year: bool = True  # "... NĂM 2023" in the title


def _marks_cycle():
    i = 0
    while True:
        yield i
        i += 1


def write_sheet(ws, year: int, truth: Truth, style: Style, districts: list[str], title_district: bool = False,
                include_non_xa: bool = True) -> None:
    """One sheet: titles, header, district headings, commune rows, Cộng rows, Tổng cộng, signatures."""
    counter = _marks_cycle()
    ws.append(["UBND TỈNH BẾN TRE", None, None, None, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"])
    ws.append(["BAN CHỈ ĐẠO CÁC CHƯƠNG TRÌNH MTQG", None, None, None, "Độc lập - Tự do - Hạnh phúc"])
    year_text = f" NĂM {year}" if style.title_year else ""
    where = f" HUYỆN {DISTRICTS[districts[0]].split(' ', 1)[1].upper()}" if title_district else ""
    ws.append([f"BẢNG TỔNG HỢP KẾT QUẢ THỰC HIỆN BỘ TIÊU CHÍ XÃ NÔNG THÔN MỚI{where}{year_text}"])
    ws.merge_cells(start_row=3, start_column=1, end_row=3, end_column=26)
    ws.append(["(Kèm theo Báo cáo số 123/BC-BCĐ)"])
    first = ["STT"] + (["Mã xã"] if style.codes else []) + ["Tên xã, phường, thị trấn"]
    crit_start = len(first) + 1
    labels = {"digits": [str(n) for n in range(1, 20)], "tc": [f"TC{n}" for n in range(1, 20)],
              "names": [c.name_vi for c in CRITERIA]}[style.labels]
    tail = ["Tổng số tiêu chí đạt"] + (["Kết quả"] if style.result_column else []) + ["Ghi chú"]
    header_top = ws.max_row + 1
    if style.header_rows == 2:
        ws.append(first + ["Kết quả thực hiện các tiêu chí"] + [None] * 18 + tail)
        ws.append([None] * len(first) + labels + [None] * len(tail))
        for c in range(1, len(first) + 1):
            ws.merge_cells(start_row=header_top, start_column=c, end_row=header_top + 1, end_column=c)
        ws.merge_cells(start_row=header_top, start_column=crit_start, end_row=header_top, end_column=crit_start + 18)
        for c in range(crit_start + 19, crit_start + 19 + len(tail)):
            ws.merge_cells(start_row=header_top, start_column=c, end_row=header_top + 1, end_column=c)
    else:
        ws.append(first + labels + tail)
    if style.column_numbers_row:
        ws.append([f"({n})" for n in range(1, len(first) + 19 + len(tail) + 1)])
    total_col = get_column_letter(crit_start + 19)
    first_col, last_col = get_column_letter(crit_start), get_column_letter(crit_start + 18)
    subtotal_rows = []
    for d_index, district in enumerate(districts):
        ws.append([ROMAN[d_index], *([None] if style.codes else []), DISTRICTS[district].upper()])
        start = ws.max_row + 1
        n = 0
        for code, unit in units().items():
            if unit.district_code != district:
                continue
            if not unit.ntm_applicable(year):
                if include_non_xa:
                    name = unit.name_in(year)
                    ws.append([None, *([code] if style.codes else []), name] + ["-"] * 19 + [None] +
                              (["Không áp dụng"] if style.result_column else []) + ["Đô thị văn minh"])
                continue
            n += 1
            met = truth.criteria[(code, year)]
            marks = []
            for ok in met:
                i = next(counter)
                marks.append(MET_SPELLINGS[i % len(MET_SPELLINGS)] if ok else NOT_MET_SPELLINGS[i % len(NOT_MET_SPELLINGS)])
            r = ws.max_row + 1
            level = truth.levels[(code, year)]
            blank_ok = level == "chua_dat" and not all(met) and r % 2 == 0  # blank result: level from the marks
            result = [None if blank_ok else LEVEL_WORDS[level]] if style.result_column else []
            ws.append([n, *([int(code) if r % 3 else code] if style.codes else []), unit.name_in(year), *marks,
                       f'=COUNTIF({first_col}{r}:{last_col}{r},"x")+COUNTIF({first_col}{r}:{last_col}{r},"Đạt")',
                       *result, None])
        end = ws.max_row
        ws.append([None, *([None] if style.codes else []), "Cộng"] +
                  [f'=COUNTIF({get_column_letter(crit_start + i)}{start}:{get_column_letter(crit_start + i)}{end},"x")'
                   for i in range(19)] + [f"=SUM({total_col}{start}:{total_col}{end})"])
        subtotal_rows.append(ws.max_row)
    ws.append([None, *([None] if style.codes else []), "Tổng cộng"] +
              [f"=SUM({','.join(f'{get_column_letter(crit_start + i)}{r}' for r in subtotal_rows)})" for i in range(19)])
    ws.append([])
    ws.append([None, None, None, None, None, None, None, None, None, None, "Bến Tre, ngày 15 tháng 12 năm 2023"])
    ws.append(["Người lập biểu", None, None, None, None, None, None, None, None, None, "KT. TRƯỞNG BAN"])
    ws.append([None, None, None, None, None, None, None, None, None, None, "PHÓ TRƯỞNG BAN"])
    ws.append([None, None, None, None, None, None, None, None, None, None, "Nguyễn Văn A"])


def office_workbook(path: Path, year: int = 2023, style: Style | None = None, per_district: bool = False,
                    truth: Truth | None = None, years: tuple[int, ...] | None = None) -> tuple[Path, Truth]:
    """A workbook for one year (one sheet, or one per district) or several years (one sheet per year)."""
    style = style or Style()
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    combined = Truth()
    for y in years or (year,):
        t = truth or make_truth(y)
        combined.criteria.update(t.criteria)
        combined.levels.update(t.levels)
        if per_district:
            for district in DISTRICTS:
                write_sheet(wb.create_sheet(DISTRICTS[district].replace("Huyện ", "").replace("Thành phố", "TP")),
                            y, t, style, [district], title_district=True)
        else:
            write_sheet(wb.create_sheet(f"Năm {y}" if years else "TH"), y, t, style, list(DISTRICTS))
    wb.save(path)
    return path, combined
