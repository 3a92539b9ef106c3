"""Strict validation of a located table: every problem of the file at once, before anything is written.

The generic pass parses each cell by its column type and resolves villages; each kind's module
(``loaders/<kind>.py``) adds its own rules and turns a parsed row into a store record.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import itemgetter

from loaders import cells
from loaders.errors import CellError, Issue
from loaders.reader import RawTable
from loaders.schema import TYPE_LABELS, Column, Kind
from loaders.villages import VillageIndex

SHOWN_CHARS = 60  # an error quotes at most this much of the cell
PARSERS = {
    "int": cells.parse_int,
    "float": cells.parse_float,
    "percent": cells.parse_percent,
    "bool": cells.parse_bool,
    "date": cells.parse_date,
    "year": cells.parse_year,
    "month": cells.parse_month,
    "code": cells.parse_code,
}


@dataclass
class Context:
    """What validation needs to know besides the file: period, scope and reference data."""

    period: str
    scope: str | None  # county code, unit name, or None to infer from the file
    villages: VillageIndex
    measures: dict[int, dict] = field(default_factory=dict)  # number -> title, lead_unit, co_units
    load_previous: Callable[[str], dict] | None = None  # scope -> last month's records by key
    bbox: tuple[float, float, float, float] | None = None  # lon0, lat0, lon1, lat1 of the city
    removed: dict[str, str] = field(default_factory=dict)  # village code -> month of its 撤销/合并 (<= period)
    _previous: dict[str, dict] = field(default_factory=dict)

    def previous(self, scope: str | None) -> dict:
        """Last month's records of ``scope`` (loaded once; the scope may only be known from the file)."""
        if scope is None or self.load_previous is None:
            return {}
        if scope not in self._previous:
            self._previous[scope] = self.load_previous(scope)
        return self._previous[scope]


@dataclass
class Result:
    kind: str
    sheet: str
    scope: str | None
    rows_read: int
    records: list[dict]
    errors: list[Issue]
    warnings: list[Issue]
    record_rows: list[int] = field(default_factory=list)  # the Excel row of each record

    @property
    def ok(self) -> bool:
        return not self.errors


class Report:
    """Collects issues for one sheet; the kind modules call ``error`` and ``warning``."""

    def __init__(self, sheet: str, table: RawTable, kind: Kind):
        self.sheet, self.table, self.kind = sheet, table, kind
        self.errors: list[Issue] = []
        self.warnings: list[Issue] = []

    def _issue(self, row: int, key: str | None, value, message: str) -> Issue:
        column = self.table.headers.get(key) or (self.kind.column(key).label if key else None)
        shown = None if value is None else cells.norm_text(value)
        if shown is not None and len(shown) > SHOWN_CHARS:
            shown = shown[:SHOWN_CHARS] + "…"
        return Issue(self.sheet, row, column, shown, message)

    def error(self, row: int, key: str | None, value, message: str) -> None:
        self.errors.append(self._issue(row, key, value, message))

    def warning(self, row: int, key: str | None, value, message: str) -> None:
        self.warnings.append(self._issue(row, key, value, message))


def _empty(col: Column, raw, row: int, report: Report) -> None:
    if col.required:
        report.error(row, col.key, raw, f"必填,不能为空。请填写{TYPE_LABELS[col.type]}")


def _parse(col: Column, raw, row: int, report: Report, fraction: bool = False):
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return _empty(col, raw, row, report)
    if col.type == "enum":
        text = cells.norm_text(raw)
        if text not in col.allowed:
            report.error(row, col.key, raw, f"「{text}」不是可选值。请从下拉列表中选择:{'/'.join(col.allowed)}")
            return None
        return text
    parser = PARSERS.get(col.type)
    if parser is None:
        text = cells.norm_text(raw)
        if len(text) > col.max_chars:
            report.error(row, col.key, raw, f"内容过长({len(text)} 字),最多 {col.max_chars} 字。请精简后重新上传")
            return None
        return text or _empty(col, raw, row, report)  # e.g. only zero-width spaces
    try:
        return parser(raw, fraction) if col.type == "percent" else parser(raw)
    except CellError as exc:
        report.error(row, col.key, raw, f"{exc},实际填写「{cells.norm_text(raw)}」。请改为{TYPE_LABELS[col.type]}")
        return None


def _shortcuts(col: Column) -> dict:
    """Cell values whose parse is known in advance (是/否, the allowed choices): a dict lookup, no call."""
    if col.type == "bool":
        return dict(cells.BOOL_FAST)
    if col.type == "enum":
        return {v: v for v in col.allowed}
    return {}


def _parse_rows(kind: Kind, table: RawTable, report: Report) -> list[tuple[int, dict]]:
    """Every row's cells parsed by column type; problems go to ``report``.

    A text cell that parsed cleanly is remembered, so the county and township names repeated on every row
    (a city-wide file holds thousands of them) are cleaned once."""
    plan = [(col, table.columns.get(col.key), _shortcuts(col), col.type == "int", col.type == "text")
            for col in kind.columns]
    percent = table.percent_cells
    miss, max_count = object(), cells.MAX_COUNT
    parsed = []
    for row, raw_cells in table.rows:
        n, values = len(raw_cells), {}
        for col, idx, shortcuts, whole, learn in plan:
            raw = raw_cells[idx] if idx is not None and idx < n else None
            if raw.__class__ is str:
                value = shortcuts.get(raw, miss)
            elif whole and raw.__class__ is float and raw.is_integer() and 0 <= raw <= max_count:
                value = int(raw)  # the common case of a count typed in Excel
            else:
                value = miss
            if value is miss:
                fraction = col.type == "percent" and (row, idx + 1) in percent
                errors = len(report.errors)
                value = _parse(col, raw, row, report, fraction)
                if learn and raw.__class__ is str and value is not None and len(report.errors) == errors:
                    shortcuts[raw] = value
            values[col.key] = value
        parsed.append((row, values))
    return parsed


def kind_module(kind: Kind):
    return importlib.import_module(f"loaders.{kind.key}")


def validate(kind: Kind, table: RawTable, ctx: Context) -> Result:
    """Validate every row of ``table``; records are produced only if the whole file is clean."""
    report = Report(table.sheet, table, kind)
    module = kind_module(kind)
    parsed = _parse_rows(kind, table, report)
    scope = module.resolve_scope(parsed, ctx, report)
    records, record_rows, seen = [], [], {}
    key_of = itemgetter(*kind.key_columns)
    for row, values in parsed:
        record = module.to_record(values, row, ctx, scope, report)
        if record is None:
            continue
        key = key_of(record)
        if key in seen:
            report.error(row, module.DUP_COLUMN, values.get(module.DUP_COLUMN),
                         f"与第{seen[key]}行重复(同一{module.ROW_NOUN}只能填一行)。请删除重复的行")
            continue
        seen[key] = row
        records.append(record)
        record_rows.append(row)
    if not table.rows:
        report.error(table.header_row, None, None, "表头下面没有数据行。请填写数据后重新上传")
    module.check_all(records, ctx, scope, report)
    report.errors.sort(key=lambda i: i.row or 0)  # in row order, as the user walks the sheet
    report.warnings.sort(key=lambda i: i.row or 0)
    ok = not report.errors
    return Result(kind.key, table.sheet, scope, len(table.rows), records if ok else [],
                  report.errors, report.warnings, record_rows if ok else [])
