"""Spreadsheets built in code for the intake tests, and a fingerprint of the whole store.

``monthly_table(engine, county)`` gives a valid 村级指标月报 for one demo county (last month's values,
so no warnings); tweak cells with ``set`` and render with ``xlsx()`` or ``csv()``.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field

import openpyxl
from sqlalchemy import Engine, func, select

from dashboard import models
from dashboard.intake import active_records, prepare, village_index
from loaders.errors import Issue
from loaders.schema import KINDS
from tests.apptest import ADMIN

COUNTY = "北亭县"  # the smallest demo county: 115 villages
PERIOD = "2026-01"
MONTHLY = KINDS["village_monthly"]
MONTHLY_HEADERS = [c.label for c in MONTHLY.columns]
SHEET = "村级指标月报"


class Formula(str):
    """A cell written as a formula (openpyxl stores no cached value); other text starting with = stays text."""


@dataclass(frozen=True)
class Styled:
    """A cell value with an Excel number format, e.g. ``Styled(3, "yyyy-mm-dd")``."""

    value: object
    number_format: str


@dataclass
class Table:
    """A header and rows of cells, rendered to .xlsx or .csv; ``excel_row(i)`` is data row i's row number."""

    headers: list[str]
    rows: list[list]
    sheet: str = SHEET
    title_rows: list[list] = field(default_factory=list)  # rows above the header

    def col(self, header: str) -> int:
        return self.headers.index(header)

    def get(self, i: int, header: str):
        return self.rows[i][self.col(header)]

    def set(self, i: int, header: str, value) -> Table:
        self.rows[i][self.col(header)] = value
        return self

    def rename(self, old: str, new: str) -> Table:
        self.headers[self.col(old)] = new
        return self

    def excel_row(self, i: int) -> int:
        """Excel row number of data row ``i`` when no blank rows are inserted."""
        return len(self.title_rows) + 2 + i

    def grid(self) -> list[list]:
        return [*self.title_rows, list(self.headers), *self.rows]

    def xlsx(self, before: list[tuple[str, list[list]]] = (), merges: list[str] = ()) -> bytes:
        """The table as the only data sheet; ``before`` adds sheets in front, ``merges`` merges ranges."""
        return workbook([*before, (self.sheet, self.grid())], merges={self.sheet: list(merges)})

    def csv(self, encoding: str = "utf-8", delimiter: str = ",") -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
        for row in self.grid():
            writer.writerow(["" if v is None else v for v in row])
        return out.getvalue().encode(encoding)


def workbook(sheets: list[tuple[str, list[list]]], merges: dict[str, list[str]] | None = None) -> bytes:
    """An .xlsx with the given sheets (rows of cell values; None leaves a cell empty)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, grid in sheets:
        ws = wb.create_sheet(name)
        for r, row in enumerate(grid, start=1):
            for c, value in enumerate(row, start=1):
                if value is None:
                    continue
                cell = ws.cell(r, c)
                if isinstance(value, Styled):
                    cell.value, cell.number_format = value.value, value.number_format
                else:
                    cell.value = str(value) if isinstance(value, Formula) else value
                if isinstance(value, str) and value.startswith("=") and not isinstance(value, Formula):
                    cell.data_type = "s"  # text the user typed, not a formula
        for ref in (merges or {}).get(name, ()):
            ws.merge_cells(ref)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def sheet_xlsx(header: list[str], rows: list[list]) -> bytes:
    """A one-sheet .xlsx: the header row, then the rows."""
    return workbook([("Sheet1", [header, *rows])])


def county_code_of(engine: Engine, county: str) -> str:
    return next(v.county_code for v in village_index(engine).villages if v.county == county)


def monthly_table(engine: Engine, county: str, limit: int | None = None, based_on: str = "2025-12") -> Table:
    """A valid 村级指标月报 of ``county``: every village (or the first ``limit``), with ``based_on``'s values."""
    villages = [v for v in village_index(engine).villages if v.county == county][:limit]
    before = active_records(engine, "village_monthly", based_on, villages[0].county_code)
    rows = []
    for v in villages:
        record = before.get((v.code,), {})
        row = [v.county, v.township, v.name, v.code]
        for col in MONTHLY.columns[4:]:
            value = record.get(col.key)
            if col.type == "bool":
                value = "否" if value is False else "是"
            elif value is None:
                value = 0
            row.append(value)
        rows.append(row)
    return Table(list(MONTHLY_HEADERS), rows)


def rewrite_zip(data: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None,
                compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A copy of the zip ``data`` with some members replaced and others added."""
    replace, add = replace or {}, add or {}
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, replace.get(info.filename, src.read(info)))
        for name, content in add.items():
            dst.writestr(name, content)
    return buf.getvalue()


def member(data: bytes, name: str) -> bytes:
    return zipfile.ZipFile(io.BytesIO(data)).read(name)


def first_sheet(data: bytes) -> str:
    """The zip name of the first worksheet part."""
    return next(n for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if n.startswith("xl/worksheets/sheet"))


ATTEMPT_TABLES = ("uploads", "audit_log")  # where a refused or failed attempt is recorded, and nowhere else


def beyond_attempts(fp: dict) -> dict:
    """A :func:`fingerprint` without the tables that record attempts (a refusal must change nothing else)."""
    return {k: v for k, v in fp.items() if k not in ATTEMPT_TABLES}


def fingerprint(engine: Engine) -> dict[str, tuple[int, str]]:
    """Row count and sha256 of the rows (in primary-key order) of every table of the store, except the
    signed-in browsers' last activity (sign_in_sessions), which any click of a signed-in page may update."""
    out = {}
    with engine.connect() as conn:
        for table in models.Base.metadata.sorted_tables:
            if table.name == "sign_in_sessions":
                continue
            count = conn.scalar(select(func.count()).select_from(table))
            digest = hashlib.sha256()
            for row in conn.execute(select(table).order_by(*table.primary_key.columns)):
                digest.update(repr(tuple(row)).encode())
            out[table.name] = (count, digest.hexdigest())
    return out


def uploads_rows(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(models.Upload).order_by(models.Upload.id)).mappings()]


class Intake:
    """``prepare`` on the demo store, asserting every time that nothing was written."""

    def __init__(self, engine, demo):
        self.engine, self.demo, self.code = engine, demo, demo["code"]

    def table(self):
        return copy.deepcopy(self.demo["table"])

    def prepare(self, data: bytes, name: str = "村级指标月报.xlsx", kind: str = "village_monthly",
                scope: str | None = "county"):
        """``scope="county"`` stands for the demo county's code; None lets the file name its county."""
        preview = prepare(self.engine, data, name, kind, PERIOD, self.code if scope == "county" else scope, who=ADMIN)
        assert fingerprint(self.engine) == self.demo["fingerprint"], "prepare must not write"
        json.dumps(preview.to_json(), ensure_ascii=False)
        return preview

    def accepted(self, data: bytes, **kw):
        preview = self.prepare(data, **kw)
        assert preview.errors == [], [i.text() for i in preview.errors]
        assert preview.ok
        return preview

    def refused(self, data: bytes, **kw) -> list[Issue]:
        preview = self.prepare(data, **kw)
        assert not preview.ok
        assert preview.errors
        return preview.errors

    def file_error(self, data: bytes, **kw) -> str:
        """The single whole-file message (no sheet/row/column)."""
        errors = self.refused(data, **kw)
        assert len(errors) == 1
        assert (errors[0].sheet, errors[0].row, errors[0].column) == (None, None, None)
        return errors[0].message


def one(errors: list[Issue]) -> Issue:
    assert len(errors) == 1, [i.text() for i in errors]
    return errors[0]


COVERED_SQL = """
SELECT DISTINCT v.parent_code FROM demo_sites d
JOIN uploads u ON u.id = d.upload_id JOIN regions v ON v.code = d.village_code
WHERE u.kind = 'demo_sites' AND u.active AND d.status IN ('已建成', '已验收命名')
  AND u.period = (SELECT max(u2.period) FROM uploads u2
                  WHERE u2.kind = 'demo_sites' AND u2.active AND u2.scope = u.scope AND u2.period <= :p)
"""


def covered_townships_sql(engine, period: str) -> set[str]:
    """Townships with a built site in each county's latest active ledger up to ``period``, in plain SQL —
    an independent computation to check the dashboards against."""
    from sqlalchemy import text

    with engine.connect() as conn:
        return set(conn.execute(text(COVERED_SQL), {"p": period}).scalars())
