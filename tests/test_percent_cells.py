"""Percent cells without guessing: read as the cell shows them, the same in .xlsx and CSV."""

from __future__ import annotations

import io

import openpyxl
import pytest

from tests.intake_fixtures import one

HEADER = ["措施序号", "责任单位", "推进状态", "完成进度(%)", "填报人"]


def _measure(demo) -> tuple[int, str]:
    m = demo["plan"].measures[0]
    return m["number"], m["lead_unit"]


def _xlsx(number: int, unit: str, progress, number_format: str | None = None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "措施推进月报"
    ws.append(HEADER)
    ws.append([number, unit, "推进中", progress, "张三"])
    if number_format:
        ws["D2"].number_format = number_format
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _csv(number: int, unit: str, progress: str) -> bytes:
    return (",".join(HEADER) + f"\r\n{number},{unit},推进中,{progress},张三\r\n").encode("utf-8")


@pytest.mark.parametrize("progress, number_format, expected", [
    (35, None, 35.0),           # a plain number: percentage points
    (1, None, 1.0),             # "1" is 1 %, not 100 %
    (0.5, None, 0.5),           # as written: 0.5 %
    (0.35, "0%", 35.0),         # formatted as a percentage: Excel holds the fraction
    (1, "0%", 100.0),
    (0.355, "0.0%", 35.5),      # a custom percentage format
    (35, '0"%"', 35.0),         # a literal "%" in quotes is decoration, not a percentage format
    ("35%", None, 35.0),        # text with a percent sign
    ("35", None, 35.0),
])
def test_xlsx_percent_cells(intake, demo, progress, number_format, expected):
    number, unit = _measure(demo)
    preview = intake.accepted(_xlsx(number, unit, progress, number_format), name="措施.xlsx",
                              kind="measure_progress", scope=unit)
    assert preview.result.records[0]["progress"] == expected


@pytest.mark.parametrize("progress, expected", [("1", 1.0), ("35", 35.0), ("35%", 35.0), ("0.5", 0.5)])
def test_csv_agrees_with_xlsx(intake, demo, progress, expected):
    number, unit = _measure(demo)
    preview = intake.accepted(_csv(number, unit, progress), name="措施.csv", kind="measure_progress", scope=unit)
    assert preview.result.records[0]["progress"] == expected


@pytest.mark.parametrize("data_of", [
    lambda n, u: _xlsx(n, u, 150),
    lambda n, u: _xlsx(n, u, 1.5, "0%"),  # shows 150 %
    lambda n, u: _csv(n, u, "150%"),
])
def test_outside_0_to_100_is_refused_naming_row_and_column(intake, demo, data_of):
    number, unit = _measure(demo)
    data = data_of(number, unit)
    name = "措施.csv" if data[:2] != b"PK" else "措施.xlsx"
    error = one(intake.refused(data, name=name, kind="measure_progress", scope=unit))
    assert (error.row, error.column) == (2, "完成进度(%)")
    assert error.message.startswith("应为 0 到 100 之间的数字,实际填写「")


def test_the_template_says_what_it_expects():
    from loaders.schema import KINDS

    help_text = next(c for c in KINDS["measure_progress"].columns if c.key == "progress").help
    assert help_text == "填 0–100 的数字,例如 35 表示 35%(不带百分号亦可);单元格设为百分比格式时按显示的百分数读取"
