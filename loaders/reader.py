"""Forgiving, safe reading of uploaded .xlsx and .csv files into a header-located table.

Safety first, before any cell is parsed: file size, file type by content (not by name); for .xlsx the
checks of :mod:`loaders.xlsx_guard` (sizes counted while inflating, macros, external links, formulas that
call out, cell positions against the limits), after which the Rust reader only sees the checked parts.
CSV rows are counted and measured as they are read. Every refusal is a sentence of :mod:`loaders.refusals`.
Callers run this in the parse sandbox (:mod:`dashboard.sandbox`), never in the server process.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from python_calamine import CalamineWorkbook, SheetTypeEnum

from dashboard.settings import intake_limits
from loaders.cells import decode_text, norm_header, norm_text
from loaders.errors import IntakeError
from loaders.refusals import REFUSALS
from loaders.schema import Kind
from loaders.xlsx_guard import percent_cells, refuse, unpack_xlsx

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
TOTAL_WORDS = ("合计", "总计", "小计", "汇总")
SKIP_SHEETS = {"填报说明", "说明", "使用说明"}
HEADER_SCAN_ROWS = 20


def limits() -> dict:
    """The reader's limits (``[limits]`` of data/intake.toml; tests pin them by replacing this function)."""
    return intake_limits()


@dataclass
class RawTable:
    """The located data of one sheet: which column index holds which schema column, and the rows."""

    sheet: str
    header_row: int  # as Excel shows it (1-based)
    columns: dict[str, int]  # schema key -> index in each row
    headers: dict[str, str]  # schema key -> header text as written in the file
    rows: list[tuple[int, list]] = field(default_factory=list)  # (Excel row number, cells)
    ignored_headers: list[str] = field(default_factory=list)
    percent_cells: set[tuple[int, int]] = field(default_factory=set)  # (row, column) shown as a percentage


def read_table(data: bytes, filename: str, kind: Kind, lim: dict | None = None) -> RawTable:
    """Read ``data`` (named ``filename``) and locate ``kind``'s header; raises IntakeError."""
    lim = lim or limits()
    if not data:
        raise refuse("empty")
    if len(data) > lim["max_file_mb"] * 1024 * 1024:
        raise refuse("too_big", mb=lim["max_file_mb"])
    if data.startswith(OLE2):
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00i\x00o\x00n\x00I\x00n\x00f\x00o" in data:
            raise refuse("encrypted")
        raise refuse("xls")
    if data.startswith(b"PK"):
        if filename.lower().endswith(".xlsm"):
            raise refuse("xlsm")
        clean = unpack_xlsx(data, filename, lim)
        table = locate(kind, _read_xlsx(clean, filename, lim), lim)
        if any(c.type == "percent" for c in kind.columns):  # the one reading that depends on a cell's format
            formats = percent_cells(clean, filename, lim)
            table.percent_cells = next((cells for name, cells in formats.items() if norm_text(name) == table.sheet),
                                       set())
        return table
    if filename.lower().endswith((".csv", ".txt")):
        return locate(kind, [("CSV", _read_csv(data, lim))], lim)
    raise refuse("not_table", name=filename)


def _read_xlsx(clean: bytes, filename: str, lim: dict) -> list[tuple[str, list[list]]]:
    """The worksheets of a checked workbook (see :func:`loaders.xlsx_guard.unpack_xlsx`)."""
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(clean))
        names = [m.name for m in book.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
        return [(norm_text(name), _filled(book.get_sheet_by_name(name), norm_text(name), lim)) for name in names]
    except (IntakeError, KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # noqa: BLE001 - a Rust panic arrives as pyo3's PanicException(BaseException)
        # the Rust reader's own messages are English; the user needs a way forward
        raise refuse("unreadable", name=filename) from None


def _filled(sheet, name: str, lim: dict) -> list[list]:
    """The sheet grid from A1, with each merged range's value copied into all of its cells."""
    end = sheet.end  # the grid runs from A1 to here: the guard checked it; checked again before it is built
    if end is not None and (end[0] + 1) * (end[1] + 1) > lim["max_cells"]:
        raise IntakeError(REFUSALS["too_many_cells"](rows=end[0] + 1, columns=end[1] + 1, limit=lim["max_cells"]),
                          sheet=name)
    grid = sheet.to_python(skip_empty_area=False)
    budget = lim["max_cells"]  # merged ranges may not overlap; a file whose merges do cannot cost more than this
    for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or ():
        if r0 >= len(grid) or c0 >= len(grid[r0]):
            continue
        value = grid[r0][c0]
        rows, cols = range(r0, min(r1 + 1, len(grid))), range(c0, min(c1 + 1, len(grid[r0])))
        budget -= len(rows) * len(cols)
        if budget < 0:
            raise refuse("merged")
        for r in rows:
            line = grid[r]
            for c in cols:
                if c < len(line):
                    line[c] = value
    return grid


def _read_csv(data: bytes, lim: dict) -> list[list]:
    text = decode_text(data)
    if text is None:
        raise refuse("csv_encoding")
    if "\x00" in text:
        raise refuse("csv_binary")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    rows, most = [], lim["max_rows"] + HEADER_SCAN_ROWS
    try:
        for row in reader:
            if len(row) > lim["max_columns"]:
                raise refuse("csv_wide", line=reader.line_num, count=len(row), limit=lim["max_columns"])
            rows.append(row)
            if len(rows) > most:
                raise refuse("too_many_rows", limit=lim["max_rows"])
    except csv.Error as exc:
        why = (f"有单元格超过 {csv.field_size_limit()} 个字符" if "field limit" in str(exc) else "格式不规范")
        raise refuse("csv_field", line=reader.line_num, why=why) from None
    return rows


def _header_names(kind: Kind) -> dict[str, str]:
    """Normalised header text -> schema key, for every name of every column."""
    out = {}
    for col in kind.columns:
        for name in col.names():
            out.setdefault(norm_header(name), col.key)
    return out


def _match_header(grid: list[list], r: int, names: dict[str, str]) -> tuple[dict[str, int], dict[str, str], list[str]]:
    row, above = grid[r], grid[r - 1] if r > 0 else []
    columns, headers, ignored = {}, {}, []
    for c, cell in enumerate(row):
        label = norm_header(cell)
        parent = norm_header(above[c]) if c < len(above) else ""
        candidates = [label] + ([f"{parent}({label})", parent + label] if parent and parent != label else [])
        key = next((names[x] for x in candidates if x in names), None)
        if key and key not in columns:
            columns[key], headers[key] = c, norm_text(cell)
        elif label:
            ignored.append(norm_text(cell))
    return columns, headers, ignored


def _blank(cells: list) -> bool:
    first = cells[0] if cells else None
    if first.__class__ is float or (first.__class__ is str and first[:1].isalnum()):
        return False  # the common case, decided without looking at the rest of the row
    return all(norm_text(v) == "" for v in cells)


def _total(cells: list) -> bool:
    """A 合计/总计/小计/汇总 row (one of its first 4 cells starts with such a word)."""
    head = cells[:4]
    marks = repr(head)  # one C-level pass; most rows hold neither character
    if "计" not in marks and "汇" not in marks:
        return False
    return any(isinstance(v, str) and norm_header(v).startswith(TOTAL_WORDS) for v in head)


def locate(kind: Kind, sheets: list[tuple[str, list[list]]], lim: dict | None = None) -> RawTable:
    """Find the sheet and row holding ``kind``'s header; rows after it (blank and 合计 rows dropped)."""
    lim = lim or limits()
    names = _header_names(kind)
    required = [c for c in kind.columns if c.required]
    best = None
    for sheet, grid in sheets:
        if sheet in SKIP_SHEETS:
            continue
        for r in range(min(HEADER_SCAN_ROWS, len(grid))):
            columns, headers, ignored = _match_header(grid, r, names)
            score = (sum(c.key in columns for c in required), len(columns))
            if best is None or score > best[0]:
                best = (score, sheet, grid, r, columns, headers, ignored)
    if best is None or best[0][1] < 2:
        raise IntakeError(
            f"未找到「{kind.name}」的表头(如「{'」「'.join(c.label for c in required[:3])}」)。"
            "请确认上传的是该类报表,表头在前 20 行内,且使用本系统模板。")
    _, sheet, grid, r, columns, headers, ignored = best
    missing = [c.label for c in required if c.key not in columns]
    if missing:
        raise IntakeError(
            f"表头缺少必填列「{'」「'.join(missing)}」。请按模板补上这些列(列名可用模板中的写法)后重新上传。",
            sheet=sheet, row=r + 1)
    data_rows = grid[r + 1:]
    if len(data_rows) > lim["max_rows"]:
        raise IntakeError(REFUSALS["too_many_rows"](limit=lim["max_rows"]), sheet=sheet)
    table = RawTable(sheet, r + 1, columns, headers, ignored_headers=ignored)
    for offset, cells in enumerate(data_rows):
        if _blank(cells) or _total(cells):
            continue
        table.rows.append((r + 2 + offset, cells))
    return table
