"""The downloadable .xlsx template of a kind, derived from its schema definition (no store access).

Layout of the data sheet: title row, an optional merged group row (e.g. 问题线索), the header row of
plain ``Column.label`` texts (required ones in red), then the pre-filled rows. A 填报说明 sheet follows.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from itertools import groupby

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from dashboard import months
from loaders.cells import neutralise, parse_period
from loaders.schema import TYPE_LABELS, Column, Kind

INSTRUCTIONS_SHEET = "填报说明"
SPARE_ROWS = 500  # drop-downs and formats reach this far below the pre-filled rows
RULE = "请勿修改表头;可删除不需要的行"
BOOL_CHOICES = ("是", "否")
RED, HEADER_FILL = "C00000", PatternFill("solid", fgColor="DDEBF7")
THIN = Side(style="thin", color="8EA9C1")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
NUMBER_RULES = {  # column type -> (validation type, operator, formula1, formula2, what to enter)
    "int": ("whole", "greaterThanOrEqual", "0", None, "非负整数,例如 3"),
    "percent": ("decimal", "between", "0", "100", "0 到 100 之间的数字"),
    "year": ("whole", "between", "2000", "2099", "4位年份,例如 2024"),
}


def choices(col: Column) -> tuple[str, ...]:
    """The values a drop-down offers for ``col`` (empty when the column is free text or a number)."""
    return col.allowed or (BOOL_CHOICES if col.type == "bool" else ())





def template_title(kind: Kind, period: str, scope_label: str | None = None, city: str | None = None) -> str:
    """E.g. 清源市 2025年12月 村级指标月报(下溪县)."""
    parts = [city, months.label(period), kind.label + (f"({scope_label})" if scope_label else "")]
    return " ".join(p for p in parts if p)


def header_row(kind: Kind) -> int:
    """The 1-based row of the column labels: below the title, and below the group row if any."""
    return 3 if any(c.group for c in kind.columns) else 2


def build_template(kind: Kind, period: str, rows: list[dict] | None = None,
                   scope_label: str | None = None, city: str | None = None) -> bytes:
    """The .xlsx bytes of ``kind``'s template for ``period``, with ``rows`` (keyed by column key) pre-filled."""
    period = parse_period(period)
    rows = rows or []
    book = Workbook()
    sheet = book.active
    sheet.title = kind.label
    _data_sheet(sheet, kind, template_title(kind, period, scope_label, city), rows)
    _instructions(book.create_sheet(INSTRUCTIONS_SHEET), kind, period, scope_label)
    book.properties.creator = "清廉乡村建设监测看板"
    book.properties.title = template_title(kind, period, scope_label, city)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _data_sheet(sheet: Worksheet, kind: Kind, title: str, rows: list[dict]) -> None:
    head = header_row(kind)
    ncols = len(kind.columns)
    sheet.cell(1, 1, title).font = Font(bold=True, size=14)
    sheet.cell(1, 1).alignment = Alignment(horizontal="center", vertical="center")
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
    sheet.row_dimensions[1].height = 28
    if head == 3:
        _group_row(sheet, kind)
    for c, col in enumerate(kind.columns, start=1):
        cell = sheet.cell(head, c, col.label)
        cell.font = Font(bold=True, color=RED if col.required else None)
        cell.fill, cell.border, cell.alignment = HEADER_FILL, BORDER, CENTER
        note = ("必填。" if col.required else "选填。") + (col.help or TYPE_LABELS[col.type])
        cell.comment = Comment(note, "清廉乡村建设监测看板", width=240, height=90)
        width = max(col.width, _display_width(col.label) + 4)
        sheet.column_dimensions[get_column_letter(c)].width = width
    sheet.row_dimensions[head].height = 32
    for r, row in enumerate(rows, start=head + 1):
        for c, col in enumerate(kind.columns, start=1):
            _write(sheet.cell(r, c), col, row.get(col.key))
    last = head + len(rows) + SPARE_ROWS
    _validations(sheet, kind, head + 1, last)
    for c, col in enumerate(kind.columns, start=1):
        if col.type == "code":
            for r in range(head + 1, last + 1):
                sheet.cell(r, c).number_format = "@"
    keys = [c.key for c in kind.columns]
    frozen_cols = keys.index("village") + 1 if "village" in keys else 0
    sheet.freeze_panes = sheet.cell(head + 1, frozen_cols + 1).coordinate
    sheet.print_title_rows = f"1:{head}"
    sheet.page_setup.orientation = "landscape"


def _group_row(sheet: Worksheet, kind: Kind) -> None:
    """Merged cells naming each run of columns that share a group; other cells stay blank but shaded."""
    for c in range(1, len(kind.columns) + 1):
        sheet.cell(2, c).fill, sheet.cell(2, c).border = HEADER_FILL, BORDER
    start = 1
    for group, run in groupby(kind.columns, key=lambda col: col.group):
        size = len(list(run))
        if group:
            cell = sheet.cell(2, start, group)
            cell.font, cell.alignment = Font(bold=True), CENTER
            if size > 1:
                sheet.merge_cells(start_row=2, start_column=start, end_row=2, end_column=start + size - 1)
        start += size


def _write(cell, col: Column, value) -> None:
    """One pre-filled value: booleans as 是/否, codes as text, text never able to start a formula."""
    if value is None or value == "":
        return
    if col.type == "bool" or isinstance(value, bool):
        value = "是" if value else "否"
    elif col.type == "code":
        value = str(value)
    if isinstance(value, str):
        cell.value = neutralise(value)
        return
    cell.value = value
    if isinstance(value, (date, datetime)):
        cell.number_format = "yyyy-mm-dd"


def _validations(sheet: Worksheet, kind: Kind, first: int, last: int) -> None:
    for c, col in enumerate(kind.columns, start=1):
        cells = f"{get_column_letter(c)}{first}:{get_column_letter(c)}{last}"
        options = choices(col)
        if options:
            dv = DataValidation(type="list", formula1='"' + ",".join(options) + '"', allow_blank=True,
                                error=f"「{col.label}」请从下拉列表中选择:{'/'.join(options)}")
        elif col.type in NUMBER_RULES:
            kind_, operator, low, high, expected = NUMBER_RULES[col.type]
            dv = DataValidation(type=kind_, operator=operator, formula1=low, formula2=high, allow_blank=True,
                                error=f"「{col.label}」应填写{expected}")
        else:
            continue
        dv.errorTitle, dv.errorStyle, dv.showErrorMessage = "填写有误", "stop", True
        dv.add(cells)
        sheet.add_data_validation(dv)


def _instructions(sheet: Worksheet, kind: Kind, period: str, scope_label: str | None) -> None:
    """Every column with 列名/是否必填/类型/可选值/说明, after the kind's purpose, period and rules."""
    scope = scope_label or {"county": "全市各县(市、区)", "unit": "各责任单位", "city": "全市"}[kind.scope]
    lines = [
        f"{kind.label} 填报说明",
        f"报送期:{months.label(period)}({period})",
        f"填报范围:{scope}",
        f"用途:{kind.help}",
        f"规则:{RULE}。红色表头为必填列;有下拉箭头的列请从下拉列表中选择。",
        "区划代码请保持文本格式,保留开头的0;数字列请只填数字,不要带单位。",
    ]
    for r, text in enumerate(lines, start=1):
        sheet.cell(r, 1, text).font = Font(bold=r == 1, size=14 if r == 1 else 11)
    head = len(lines) + 2
    for c, (name, width) in enumerate((("列名", 22), ("是否必填", 10), ("类型", 20), ("可选值", 30),
                                        ("说明", 70)), start=1):
        cell = sheet.cell(head, c, name)
        cell.font, cell.fill, cell.border, cell.alignment = Font(bold=True), HEADER_FILL, BORDER, CENTER
        sheet.column_dimensions[get_column_letter(c)].width = width
    for r, col in enumerate(kind.columns, start=head + 1):
        values = (col.label, "是" if col.required else "否", TYPE_LABELS[col.type], "/".join(choices(col)),
                  neutralise(col.help))
        for c, value in enumerate(values, start=1):
            cell = sheet.cell(r, c, value)
            cell.border, cell.alignment = BORDER, Alignment(vertical="top", wrap_text=True)
        if col.required:
            sheet.cell(r, 1).font = Font(color=RED)
