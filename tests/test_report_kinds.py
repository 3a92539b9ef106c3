"""What a report kind needs besides its definition in loaders/schema.py (README「新增一类报表」): each test
here fails for a kind added to the schema until that part exists."""

from __future__ import annotations

import io
import sys
import types
from datetime import datetime

import openpyxl
import pytest

from dashboard import intake, templates
from loaders import county_scope
from loaders.schema import KIND_LABELS, KINDS, MENU_ORDER, VILLAGE_COLUMNS, Column, Kind
from loaders.validate import kind_module
from tests.apptest import ADMIN

CONTRACT = ("resolve_scope", "to_record", "check_all", "DUP_COLUMN", "ROW_NOUN")


def test_every_kind_is_offered_once_under_its_schema_name():
    assert sorted(MENU_ORDER) == sorted(KINDS)
    assert KIND_LABELS == {"village_monthly": "村级指标月报", "demo_sites": "示范点台账", "measure_progress": "措施推进月报",
                           "county_brands": "县级特色品牌", "roster": "村级名录"}
    assert list(KIND_LABELS) == list(MENU_ORDER)
    assert all(KINDS[key].name == label for key, label in KIND_LABELS.items())


@pytest.mark.parametrize("key", KINDS)
def test_every_kind_has_its_loader_module(key):
    module = kind_module(KINDS[key])
    assert module.__name__ == f"loaders.{key}"
    assert [name for name in CONTRACT if not hasattr(module, name)] == []


@pytest.mark.parametrize("key", KINDS)
def test_every_kind_has_a_prefilled_template(demo_store, key):
    data, name, rows = templates.template_file(demo_store, key, "2025-12", None, who=ADMIN)
    assert data.startswith(b"PK") and name == f"{KIND_LABELS[key]}_2025-12.xlsx" and rows > 0


# --- a kind added by its schema entry and its loader module, nothing else --------------------------------

NEW = "council_meetings"


def _new_loader() -> types.ModuleType:
    """What ``loaders/council_meetings.py`` would hold: the village rows of 村民议事会台账."""
    module = types.ModuleType(f"loaders.{NEW}")
    module.DUP_COLUMN, module.ROW_NOUN = county_scope.DUP_COLUMN, county_scope.ROW_NOUN
    module.resolve_scope, module.check_all, module.split = (county_scope.resolve_scope, county_scope.check_all,
                                                            county_scope.split)

    def to_record(values, row, ctx, scope, report):
        village = county_scope.village_of(values, row, ctx, scope, report)
        if village is None:
            return None
        return {"village_code": village.code, "county_code": village.county_code,
                "meetings": values.get("meetings"), "held_on": values.get("held_on")}

    module.to_record = to_record
    return module


@pytest.fixture
def new_kind(monkeypatch):
    """A kind that exists only in the schema and its loader module (set up here instead of in those files)."""
    kind = Kind(NEW, "村民议事会台账", "county",
                VILLAGE_COLUMNS + (Column("meetings", "本月议事次数", "int"),
                                   Column("held_on", "最近议事日期", "date", required=False)),
                ("village_code",), "每个村本月召开村民议事会的情况。", snapshot=True)
    monkeypatch.setitem(KINDS, NEW, kind)
    monkeypatch.setitem(KIND_LABELS, NEW, kind.label)
    monkeypatch.setitem(sys.modules, f"loaders.{NEW}", _new_loader())
    return kind


def _upload(engine, rows: list[dict], county: str, period: str) -> int:
    data, _, _ = templates.template_file(engine, NEW, period, county, who=ADMIN)
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book[KIND_LABELS[NEW]]
    header = next(r for r in range(1, 6) if sheet.cell(r, 1).value == "县(市、区)")
    columns = {sheet.cell(header, c).value: c for c in range(1, sheet.max_column + 1)}
    for r, values in enumerate(rows, start=header + 1):
        sheet.cell(r, columns["本月议事次数"]).value = values["meetings"]
        sheet.cell(r, columns["最近议事日期"]).value = values.get("held_on")
    buf = io.BytesIO()
    book.save(buf)
    preview = intake.prepare_here(engine, buf.getvalue(), "议事会.xlsx", NEW, period, county)
    assert preview.ok, [e.text() for e in preview.errors]
    preview.data, preview.user = buf.getvalue(), "王芳"
    return intake.commit(engine, preview, who=ADMIN)


def test_a_kind_added_by_schema_and_loader_alone_goes_all_the_way(demo_store, new_kind):
    county = intake.county_code(demo_store, "下溪县")
    villages = [v for v in intake.village_index(demo_store).villages if v.county_code == county]
    rows, _ = templates.template_rows(demo_store, NEW, "2025-11", county, who=ADMIN)
    assert len(rows) == len(villages) and {r["village"] for r in rows} == {v.name for v in villages}
    first = _upload(demo_store, [{"meetings": 2, "held_on": datetime(2025, 11, 20)}] * len(rows), county, "2025-11")
    stored = intake.active_records(demo_store, NEW, "2025-11", county)
    assert len(stored) == len(villages)
    assert stored[(villages[0].code,)] == {"village_code": villages[0].code, "county_code": county, "meetings": 2,
                                           "held_on": "2025-11-20"}
    # a register: next month's template starts from these rows, and re-sending them unchanged changes nothing
    again, _ = templates.template_rows(demo_store, NEW, "2025-12", county, who=ADMIN)
    assert {r["meetings"] for r in again} == {2}
    same = intake.prepare_here(demo_store, templates.template_file(demo_store, NEW, "2025-11", county, who=ADMIN)[0],
                               "议事会.xlsx", NEW, "2025-11", county)
    assert same.diff == {"added": 0, "changed": 0, "unchanged": len(villages), "missing": 0}
    second = _upload(demo_store, [{"meetings": 3}] * len(rows), county, "2025-11")
    assert intake.active_records(demo_store, NEW, "2025-11", county)[(villages[0].code,)]["meetings"] == 3
    versions = intake.history(demo_store, NEW, "2025-11", county, who=ADMIN)
    assert [(v["id"], v["active"]) for v in versions] == [(second, True), (first, False)]
    intake.restore(demo_store, first, who=ADMIN)
    assert intake.active_records(demo_store, NEW, "2025-11", county)[(villages[0].code,)]["meetings"] == 2
    assert intake.check_store(demo_store) == []
