"""A blank status workbook for one year, in the layout offices use, that office_workbook reads back cleanly.

Title rows with the year, a two-row merged header ("Kết quả thực hiện các tiêu chí" over criteria 1..19), one
heading per district ("I. THÀNH PHỐ BẾN TRE"), every unit with its GSO code and its name in that year, phường
and thị trấn marked "Không áp dụng", COUNTIF totals, Cộng rows, a signature block, and a sheet explaining it.
"""
from __future__ import annotations

import io
from functools import lru_cache

from geo_app.domain.criteria import CRITERIA
from geo_app.domain.units import DISTRICTS, PROVINCE_NAME, VINTAGE_LABEL, units

TEMPLATE_YEARS = range(2020, 2026)  # the 2021-2025 criteria set (QĐ 318/QĐ-TTg) over the GSO 2020-2024 units
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
RESULTS = ("Chưa đạt", "Đạt chuẩn NTM", "Đạt chuẩn NTM nâng cao", "NTM kiểu mẫu")
FIRST_CRITERION_COLUMN = 4  # D: after STT, Mã xã, Tên
MET_MARKS = ("x", "Đạt", "✓", 1)


def template_filename(year: int) -> str:
    return f"mau-ket-qua-ntm-{year}.xlsx"


@lru_cache(maxsize=8)
def office_template(year: int) -> bytes:
    """The workbook as .xlsx bytes; `year` must be in TEMPLATE_YEARS."""
    import openpyxl

    if year not in TEMPLATE_YEARS:
        raise ValueError(f"year {year} is outside {TEMPLATE_YEARS.start}-{TEMPLATE_YEARS.stop - 1}")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = f"Năm {year}"
    _write_table(ws, year)
    _write_guide(wb.create_sheet("Hướng dẫn"), year)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _write_table(ws, year: int) -> None:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    crit = FIRST_CRITERION_COLUMN
    last_crit = crit + 18
    total_col, result_col, recognised_col, note_col = last_crit + 1, last_crit + 2, last_crit + 3, last_crit + 4
    bold, center = Font(bold=True), Alignment(horizontal="center", vertical="center", wrap_text=True)
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)

    ws.append([PROVINCE_NAME.upper().replace("TỈNH", "UBND TỈNH")])
    ws.append(["BAN CHỈ ĐẠO CÁC CHƯƠNG TRÌNH MỤC TIÊU QUỐC GIA"])
    ws.append([f"BẢNG TỔNG HỢP KẾT QUẢ THỰC HIỆN BỘ TIÊU CHÍ XÃ NÔNG THÔN MỚI NĂM {year}"])
    ws.append(["(Đánh dấu x vào tiêu chí đã đạt, để trống tiêu chí chưa đạt; cột Kết quả: chọn trong danh sách. "
               f"Danh sách đơn vị: {VINTAGE_LABEL})"])
    for r in (3, 4):
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=note_col)
        ws.cell(r, 1).alignment = center
    ws.cell(3, 1).font = Font(bold=True, size=13)
    header = 5
    ws.cell(header, 1, "STT")
    ws.cell(header, 2, "Mã xã")
    ws.cell(header, 3, "Tên xã, phường, thị trấn")
    ws.cell(header, crit, "Kết quả thực hiện các tiêu chí")
    for c, text in ((total_col, "Tổng số tiêu chí đạt"), (result_col, "Kết quả"),
                    (recognised_col, "Năm công nhận"), (note_col, "Ghi chú")):
        ws.cell(header, c, text)
    for n in range(1, 20):
        ws.cell(header + 1, crit + n - 1, n)
    for c in (1, 2, 3, total_col, result_col, recognised_col, note_col):
        ws.merge_cells(start_row=header, start_column=c, end_row=header + 1, end_column=c)
    ws.merge_cells(start_row=header, start_column=crit, end_row=header, end_column=last_crit)
    for r in (header, header + 1):
        for c in range(1, note_col + 1):
            ws.cell(r, c).font, ws.cell(r, c).alignment, ws.cell(r, c).border = bold, center, box

    first_letter, last_letter = get_column_letter(crit), get_column_letter(last_crit)
    marks = DataValidation(type="list", formula1='"x,-"', allow_blank=True, showErrorMessage=False)
    results = DataValidation(type="list", formula1=f'"{",".join(RESULTS)}"', allow_blank=True)
    ws.add_data_validation(marks)
    ws.add_data_validation(results)
    heading_fill = PatternFill("solid", fgColor="DDEBF7")
    subtotals = []
    row = header + 2
    for index, (district, name) in enumerate(DISTRICTS.items()):
        ws.cell(row, 1, ROMAN[index])
        ws.cell(row, 3, name.upper())
        for c in range(1, note_col + 1):
            ws.cell(row, c).font, ws.cell(row, c).fill = bold, heading_fill
        row += 1
        start, number = row, 0
        for code, unit in units().items():
            if unit.district_code != district:
                continue
            ws.cell(row, 2, code)
            ws.cell(row, 3, unit.name_in(year))
            if unit.ntm_applicable(year):
                number += 1
                ws.cell(row, 1, number)
                span = f"{first_letter}{row}:{last_letter}{row}"
                ws.cell(row, total_col, "=" + "+".join(f'COUNTIF({span},"{m}")' if isinstance(m, str) else
                                                       f"COUNTIF({span},{m})" for m in MET_MARKS))
                marks.add(span)
                results.add(f"{get_column_letter(result_col)}{row}")
            else:
                for c in range(crit, last_crit + 1):
                    ws.cell(row, c, "-")
                ws.cell(row, result_col, "Không áp dụng")
                ws.cell(row, note_col, f"{unit.type_in(year)}: đánh giá đô thị văn minh")
            for c in range(1, note_col + 1):
                ws.cell(row, c).border = box
            row += 1
        end = row - 1
        ws.cell(row, 3, f"Cộng {name}")
        for c in range(crit, last_crit + 1):
            letter = get_column_letter(c)
            ws.cell(row, c, f'=COUNTIF({letter}{start}:{letter}{end},"x")')
        ws.cell(row, total_col, f"=SUM({get_column_letter(total_col)}{start}:{get_column_letter(total_col)}{end})")
        for c in range(1, note_col + 1):
            ws.cell(row, c).font = bold
        subtotals.append(row)
        row += 1
    ws.cell(row, 3, "Tổng cộng toàn tỉnh")
    for c in list(range(crit, last_crit + 1)) + [total_col]:
        letter = get_column_letter(c)
        ws.cell(row, c, "=" + "+".join(f"{letter}{r}" for r in subtotals))
        ws.cell(row, c).font = bold
    ws.cell(row, 3).font = bold
    row += 2
    ws.cell(row, total_col - 4, f"Bến Tre, ngày ..... tháng ..... năm {year}")
    ws.cell(row + 1, 3, "Người lập biểu")
    ws.cell(row + 1, total_col - 4, "TM. BAN CHỈ ĐẠO")
    ws.cell(row + 2, 3, "(Ký, ghi rõ họ tên)")
    ws.cell(row + 2, total_col - 4, "(Ký tên, đóng dấu)")

    ws.column_dimensions["A"].width = 6
    ws.column_dimensions["B"].width = 8
    ws.column_dimensions["C"].width = 30
    for c in range(crit, last_crit + 1):
        ws.column_dimensions[get_column_letter(c)].width = 4.5
    for c, width in ((total_col, 10), (result_col, 22), (recognised_col, 10), (note_col, 24)):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = ws.cell(header + 2, crit)
    ws.print_title_rows = f"{header}:{header + 1}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1


def _write_guide(ws, year: int) -> None:
    ws.append(["Hướng dẫn điền biểu"])
    ws.append([f"Năm đánh giá: {year}. Đánh dấu x (hoặc Đạt, ✓, 1) vào tiêu chí đã đạt; để trống (hoặc -, 0, "
               "Chưa đạt) tiêu chí chưa đạt."])
    ws.append(["Cột Kết quả: Chưa đạt / Đạt chuẩn NTM / Đạt chuẩn NTM nâng cao / NTM kiểu mẫu. Để trống: tính theo "
               "số tiêu chí đạt (đủ 19 tiêu chí = Đạt chuẩn NTM)."])
    ws.append(["Không xóa cột Mã xã, không đổi thứ tự các cột tiêu chí. Phường, thị trấn: không áp dụng."])
    ws.append([])
    ws.append(["Số", "Tiêu chí (QĐ 318/QĐ-TTg ngày 08/3/2022)"])
    for criterion in CRITERIA:
        ws.append([criterion.number, criterion.name_vi])
    ws.column_dimensions["B"].width = 60
