"""Table exports for meetings: .xlsx with a title and 数据截至 stamp; text can never become a formula."""

from __future__ import annotations

import io

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from loaders.cells import neutralise


def table_xlsx(frame: pd.DataFrame, title: str, stamp: str, sheet: str = "数据") -> bytes:
    """One sheet: title row, stamp row (e.g. 数据截至…), header, rows. Strings are neutralised."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31]
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([stamp])
    ws.append([str(c) for c in frame.columns])
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for row in frame.itertuples(index=False):
        ws.append([neutralise(v) if isinstance(v, str) else v for v in row])
    for i, col in enumerate(frame.columns, start=1):
        longest = max([len(str(col))] + [len(str(v)) for v in frame[col].head(200)])
        ws.column_dimensions[get_column_letter(i)].width = min(60, 4 + longest * 2)
    ws.freeze_panes = "A4"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def table_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV with BOM (opens correctly in Excel); strings neutralised."""
    safe = frame.map(lambda v: neutralise(v) if isinstance(v, str) else v)
    return safe.to_csv(index=False).encode("utf-8-sig")
