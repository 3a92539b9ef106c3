"""Forgiving, safe reading of uploaded .xlsx and .csv files into a header-located table.

Safety checks run before any parsing: file size, file type by content (not by name), zip-bomb
limits, XML entity declarations (defusedxml), row/column limits from the sheet dimension.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
import zipfile
from dataclasses import dataclass, field

import defusedxml.ElementTree as SafeET
from python_calamine import CalamineWorkbook

from dashboard.settings import DATA_DIR
from loaders.cells import norm_header, norm_text
from loaders.errors import IntakeError
from loaders.schema import Kind

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
TOTAL_WORDS = ("合计", "总计", "小计", "汇总")
SKIP_SHEETS = {"填报说明", "说明", "使用说明"}
HEADER_SCAN_ROWS = 20
_FORMULA_NO_VALUE = re.compile(
    rb'<c r="([A-Z]+)(\d+)"([^>]*)>\s*<f[^>]*(?:/>|>[^<]*</f>)\s*(<v\s*/>|<v>\s*</v>)?\s*</c>')
_DIMENSION = re.compile(rb'<dimension ref="[A-Z]*\d*:?([A-Z]+)(\d+)"')


def limits() -> dict:
    with (DATA_DIR / "intake.toml").open("rb") as fh:
        return tomllib.load(fh)["limits"]


@dataclass
class RawTable:
    """The located data of one sheet: which column index holds which schema column, and the rows."""

    sheet: str
    header_row: int  # as Excel shows it (1-based)
    columns: dict[str, int]  # schema key -> index in each row
    headers: dict[str, str]  # schema key -> header text as written in the file
    rows: list[tuple[int, list]] = field(default_factory=list)  # (Excel row number, cells)
    ignored_headers: list[str] = field(default_factory=list)


def read_table(data: bytes, filename: str, kind: Kind) -> RawTable:
    """Read ``data`` (named ``filename``) and locate ``kind``'s header; raises IntakeError."""
    lim = limits()
    if not data:
        raise IntakeError("文件是空的(0 字节)。请确认选择了填写好的表格文件后重新上传。")
    if len(data) > lim["max_file_mb"] * 1024 * 1024:
        raise IntakeError(f"文件超过 {lim['max_file_mb']} MB 上限。请删除无关工作表或图片后重新上传。")
    if data.startswith(OLE2):
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00i\x00o\x00n\x00I\x00n\x00f\x00o" in data:
            raise IntakeError("文件设置了打开密码,系统无法读取。请在 Excel 中取消密码(文件→信息→保护工作簿)后另存为 .xlsx 再上传。")
        raise IntakeError("这是旧版 Excel(.xls)文件,系统不支持。请在 Excel 中“另存为”Excel 工作簿(*.xlsx)后再上传。")
    if data.startswith(b"PK"):
        sheets = _read_xlsx(data, filename, lim)
    elif filename.lower().endswith((".csv", ".txt")):
        sheets = [("CSV", _read_csv(data))]
    else:
        raise IntakeError(f"「{filename}」不是 Excel(.xlsx)或 CSV 文件。请下载本系统的模板填写后上传。")
    return locate(kind, sheets, lim)


def _read_xlsx(data: bytes, filename: str, lim: dict) -> list[tuple[str, list[list]]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError):
        raise IntakeError(f"「{filename}」已损坏,无法打开。请在 Excel 中重新保存为 .xlsx 后上传。") from None
    names = {m.filename for m in members}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise IntakeError(f"「{filename}」不是 Excel 工作簿(.xlsx)。请下载本系统的模板填写后上传。")
    _guard_zip(members, lim)
    try:
        content_types = archive.read("[Content_Types].xml")
        SafeET.fromstring(content_types)
        SafeET.fromstring(archive.read("xl/workbook.xml"))
    except Exception:  # defusedxml refuses entity tricks; anything else is a broken part
        raise IntakeError(f"「{filename}」内部结构异常(可能含有不安全的 XML 内容),已拒绝读取。请用 Excel 另存为新的 .xlsx 后上传。") from None
    if b"macroEnabled" in content_types or filename.lower().endswith(".xlsm"):
        raise IntakeError("文件是启用宏的工作簿(.xlsm),为安全起见不予接收。请另存为 Excel 工作簿(*.xlsx)后再上传。")
    try:
        sheets_xml = [archive.read(m) for m in members
                      if m.filename.startswith("xl/worksheets/") and m.filename.endswith(".xml")]
    except Exception:  # zlib/zip errors of a damaged member
        raise IntakeError(f"「{filename}」已损坏,无法打开。请在 Excel 中重新保存为 .xlsx 后上传。") from None
    for xml in sheets_xml:
        _guard_sheet(xml, lim)
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        return [(name, _filled(book.get_sheet_by_name(name))) for name in book.sheet_names]
    except Exception:  # the Rust reader's own messages are English; the user needs a way forward
        raise IntakeError(f"「{filename}」无法读取,文件可能已损坏。请在 Excel 中打开并重新保存为 .xlsx 后上传。") from None


def _guard_zip(members, lim: dict) -> None:
    total = sum(m.file_size for m in members)
    if total > lim["max_uncompressed_mb"] * 1024 * 1024:
        raise IntakeError("文件解压后过大(疑似压缩炸弹),已拒绝读取。请只保留需要上报的数据后重新保存。")
    for m in members:
        if m.file_size > 1024 * 1024 and m.file_size > lim["max_compression_ratio"] * max(m.compress_size, 1):
            raise IntakeError("文件压缩比异常(疑似压缩炸弹),已拒绝读取。请使用本系统模板重新填写。")


def _guard_sheet(xml: bytes, lim: dict) -> None:
    head = xml[:4096]
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise IntakeError("文件内部含有不安全的 XML 声明,已拒绝读取。请用 Excel 另存为新的 .xlsx 后上传。")
    dim = _DIMENSION.search(head)
    if dim:
        rows, cols = int(dim.group(2)), _col_index(dim.group(1).decode()) + 1
        if rows > lim["max_rows"] or cols > lim["max_columns"]:
            raise IntakeError(
                f"工作表有 {rows} 行、{cols} 列,超过上限({lim['max_rows']} 行、{lim['max_columns']} 列)。"
                "请删除多余的空行空列或拆分文件后上传。")
    for match in _FORMULA_NO_VALUE.finditer(xml) if b"<f" in xml else ():
        if match.group(4) and b't="str"' in match.group(3):
            continue  # Excel's saved result of a formula that returns "" (e.g. =IF(...,"超",""))
        cell = match.group(1).decode() + match.group(2).decode()
        raise IntakeError(
            f"单元格 {cell} 是公式但没有保存计算结果(常见于程序生成的文件)。"
            "请在 Excel 中打开、确认数值后保存,或把公式复制后“粘贴为数值”再上传。",
            row=int(match.group(2)))


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _filled(sheet) -> list[list]:
    """The sheet grid from A1, with each merged range's value copied into all of its cells."""
    grid = sheet.to_python(skip_empty_area=False)
    for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or ():
        if r0 >= len(grid) or c0 >= len(grid[r0]):
            continue
        value = grid[r0][c0]
        for r in range(r0, min(r1 + 1, len(grid))):
            for c in range(c0, min(c1 + 1, len(grid[r]))):
                grid[r][c] = value
    return grid


def _read_csv(data: bytes) -> list[list]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise IntakeError("CSV 文件的文字编码无法识别。请在 Excel 中另存为“CSV UTF-8(逗号分隔)”或 .xlsx 后上传。")
    if "\x00" in text:
        raise IntakeError("文件不是文本格式的 CSV。请另存为 .xlsx 或“CSV UTF-8(逗号分隔)”后上传。")
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    return [row for row in csv.reader(io.StringIO(text), dialect)]


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
        raise IntakeError(f"数据超过 {lim['max_rows']} 行上限。请拆分文件后上传。", sheet=sheet)
    table = RawTable(sheet, r + 1, columns, headers, ignored_headers=ignored)
    for offset, cells in enumerate(data_rows):
        if all(norm_text(v) == "" for v in cells):
            continue
        if any(isinstance(v, str) and ("计" in v or "汇" in v) and norm_header(v).startswith(TOTAL_WORDS)
               for v in cells[:4]):
            continue
        table.rows.append((r + 2 + offset, cells))
    return table
