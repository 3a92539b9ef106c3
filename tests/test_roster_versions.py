"""Rosters are versions: a 撤销/合并 takes effect from its month, past denominators never move, a merged
village no longer reports, and templates carry the marks (on the hand-made city of tests/tricky_city.py)."""

from __future__ import annotations

import io
from datetime import datetime

import openpyxl
import pytest

from dashboard import facts, intake
from dashboard.templates import template_rows
from tests.apptest import ADMIN
from tests.tricky_city import YI, build, code_of, roster_file, village_file


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    engine = build(f"sqlite:///{tmp_path_factory.mktemp('roster') / 'city.db'}")
    yield engine
    engine.dispose()


def _yi(frame):
    return frame[frame["county_code"] == YI]


def test_a_merger_counts_from_its_month_and_never_moves_an_earlier_month(city):
    november = _yi(facts.villages(city, "2023-11"))
    assert len(november) == 6 and november["removed_from"].isna().all()  # the roster of 2023-10 stood then
    december = _yi(facts.villages(city, "2023-12"))
    assert dict(zip(december["name"], december["removed_from"]))["乙二村"] == "2023-12"
    assert facts.removed_villages(city, "2023-12") == {code_of("乙二村"): "2023-12"}
    assert facts.removed_villages(city, "2023-11") == {}


def test_a_report_for_a_merged_village_is_refused_with_its_row(city):
    preview = intake.prepare(city, village_file(YI, 3, 3, 3), "乙县2月.xlsx", "village_monthly", "2024-02", YI, who=ADMIN)
    assert not preview.ok
    errors = [(e.row, e.text()) for e in preview.errors]
    assert len(errors) == 1 and errors[0][0] == 3  # 乙二村 is the second data row
    assert "该村已于 2023年12月撤销或合并(见村级名录),此后不再单独报送。请删除此行" in errors[0][1]
    clean = village_file(YI, 3, 3, 3, only=["乙一村", "乙三村", "乙四村", "乙五村", "乙六村"])
    preview = intake.prepare(city, clean, "乙县2月.xlsx", "village_monthly", "2024-02", YI, who=ADMIN)
    assert preview.ok and not preview.partial and preview.roster_total == 5


@pytest.mark.parametrize("marks,message", [
    ({"乙二村": ("合并", None, "乙一村")}, "填写了撤并情况“合并”,还须填写撤并生效月份"),
    ({"乙二村": ("合并", "2023-12", None)}, "合并的村须填写并入村的12位区划代码"),
    ({"乙二村": ("撤销", "2023-12", "乙一村")}, "只有撤并情况为“合并”时才填写并入村区划代码"),
    ({"乙二村": ("合并", "2023-12", "乙一村"), "乙一村": ("撤销", "2023-12", None)}, "的并入村不在本名录中或本身已撤并"),
])
def test_roster_marks_are_checked(city, marks, message):
    preview = intake.prepare(city, roster_file(YI, marks), "乙县名录.xlsx", "roster", "2024-02", YI, who=ADMIN)
    assert not preview.ok
    assert any(message in e.text() for e in preview.errors), [e.text() for e in preview.errors]


def test_a_month_cell_excel_turned_into_a_date_is_read_as_its_month(city):
    data = roster_file(YI, {"乙二村": ("合并", "2023-12", "乙一村")})
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.active
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 3).value == "乙二村")
    sheet.cell(row, 9).value = datetime(2023, 12, 1)
    buf = io.BytesIO()
    book.save(buf)
    preview = intake.prepare(city, buf.getvalue(), "乙县名录.xlsx", "roster", "2024-02", YI, who=ADMIN)
    assert preview.ok, [e.text() for e in preview.errors]
    merged = next(r for r in preview.result.records if r["name"] == "乙二村")
    assert (merged["change"], merged["change_month"], merged["merged_into"]) == ("合并", "2023-12", code_of("乙一村"))


def test_templates_carry_the_marks_and_leave_merged_villages_out(city):
    roster, _ = template_rows(city, "roster", "2024-02", YI, who=ADMIN)
    merged = next(r for r in roster if r["village"] == "乙二村")
    assert (merged["change"], merged["change_month"], merged["merged_into"]) == ("合并", "2023-12", code_of("乙一村"))
    monthly, _ = template_rows(city, "village_monthly", "2024-02", YI, who=ADMIN)
    assert [r["village"] for r in monthly] == ["乙一村", "乙三村", "乙四村", "乙五村", "乙六村"]
    november, _ = template_rows(city, "village_monthly", "2023-11", YI, who=ADMIN)
    assert "乙二村" in [r["village"] for r in november]  # a correction of November still lists it
