"""Every table on a page comes with its .xlsx: one helper (ui.table) draws the table and, right under it,
"下载(.xlsx)"; the file has a title row, a 数据截至 stamp row, a frozen header and no live formula."""

from __future__ import annotations

import ast
import io
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import text
from streamlit.runtime.media_file_manager import MediaFileManager

from tests.apptest import open_page, open_sources

ROOT = Path(__file__).resolve().parents[1]
LABEL = "下载(.xlsx)"


def _dataframe_calls(path: Path) -> list[int]:
    """Lines where ``path`` calls st.dataframe (or any .dataframe(...)) itself."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute) and node.func.attr == "dataframe"]


@pytest.mark.parametrize("page", sorted((ROOT / "pages").glob("*.py")), ids=lambda p: p.name)
def test_pages_draw_tables_only_through_the_helper(page):
    assert _dataframe_calls(page) == [], f"{page.name} 直接调用了 st.dataframe,请改用 ui.table"


def test_the_helper_is_the_one_place_that_calls_st_dataframe():
    ui = ROOT / "dashboard" / "ui.py"
    calls = _dataframe_calls(ui)
    assert len(calls) == 1
    helper = next(n for n in ast.walk(ast.parse(ui.read_text(encoding="utf-8")))
                  if isinstance(n, ast.FunctionDef) and n.name == "table")
    assert helper.lineno <= calls[0] <= helper.end_lineno


# --- on the pages -----------------------------------------------------------------------------------

def _pairs(block) -> list[tuple[str, str | None]]:
    """(element type, type of the element right after it in the same container) for every table on the page."""
    out = []
    kids = list(getattr(block, "children", {}).values())
    for i, node in enumerate(kids):
        # a table to read, not an editor (st.data_editor: its edits are saved, not downloaded)
        if getattr(node, "type", None) == "dataframe" and not getattr(node.proto, "editing_mode", 0):
            after = kids[i + 1] if i + 1 < len(kids) else None
            out.append(("dataframe", after.proto.label if getattr(after, "type", None) == "download_button" else None))
        out += _pairs(node)
    return out


PAGES = {"pages/overview.py": 3, "pages/map.py": 2, "pages/targets.py": 3, "pages/accountability.py": 4,
         "pages/upload.py": 2, "pages/plan.py": 5}  # tables on the demo city's page (upload: history and 催报;
# 数据来源 opened; plan: its versions and one table per section)


@pytest.mark.parametrize("page", list(PAGES))
def test_every_table_has_its_download_right_under_it(demo_store, page):
    at = open_sources(open_page(page))
    pairs = _pairs(at.main)
    assert len(pairs) == PAGES[page]
    assert all(label == LABEL for _, label in pairs), pairs


def test_the_measure_history_downloads_too(demo_store):
    at = open_page("pages/accountability.py")
    at.selectbox(key="acc_measure").set_value(5).run()
    assert len(_pairs(at.main)) == 4 and all(label == LABEL for _, label in _pairs(at.main))  # 数据来源 closed


def test_plan_targets_table_downloads_under_it(demo_store):
    at = open_page("pages/plan.py")
    kids = list(at.main.children.values())
    table = next(i for i, node in enumerate(kids) if getattr(node, "type", None) == "table")
    assert kids[table + 1].proto.label == LABEL


# --- the file ----------------------------------------------------------------------------------------

@pytest.fixture
def files(monkeypatch) -> dict[str, object]:
    """file name -> the callable a download button would run on click (recorded as the page registers it)."""
    made: dict[str, object] = {}
    register = MediaFileManager.add_deferred

    def recording(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        made[file_name] = data_callable
        return register(self, data_callable, mimetype, coordinates, file_name=file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", recording)
    return made


FORMULA = '=HYPERLINK("http://evil.example","点我")'


def test_a_page_table_file_has_title_stamp_frozen_header_and_no_formula(demo_store, files):
    with demo_store.begin() as conn:  # a county whose name, as uploaded on a roster, would be a formula
        code = conn.execute(text("SELECT code FROM regions WHERE level = 'county' AND name = '义溪区'")).scalar()
        conn.execute(text("UPDATE regions SET name = :n WHERE code = :c"), {"n": FORMULA, "c": code})
        gaps = conn.execute(text("""
            SELECT COUNT(*) FROM regions t WHERE t.level = 'township' AND t.county_code = :c AND NOT EXISTS (
                SELECT 1 FROM demo_sites d JOIN uploads u ON u.id = d.upload_id JOIN regions v ON v.code = d.village_code
                WHERE v.parent_code = t.code AND u.active AND d.status IN ('已建成', '已验收命名')
                AND u.period = (SELECT MAX(period) FROM uploads WHERE kind = 'demo_sites' AND active
                                AND scope = u.scope AND period <= '2025-12'))"""), {"c": code}).scalar()
    assert gaps > 0
    open_page("pages/map.py", month="2025-12", county=code)
    name = next(n for n in files if "尚无示范点的乡镇(街道)名单" in n)
    assert name.endswith("_2025-12.xlsx") and "/" not in name
    sheet = openpyxl.load_workbook(io.BytesIO(files[name]())).active
    assert sheet["A1"].value == f"'{FORMULA}尚无示范点的乡镇(街道)名单" and sheet["A1"].data_type == "s"
    assert "数据截至 2025年12月" in sheet["A2"].value and sheet["A2"].value.startswith("'" + FORMULA)
    assert [c.value for c in sheet[3]] == ["县(市、区)", "乡镇(街道)", "区划代码", "在建或计划示范点"]
    assert sheet.freeze_panes == "A4"
    assert sheet.max_row == 3 + gaps
    county = [sheet.cell(row, 1) for row in range(4, sheet.max_row + 1)]
    assert all(c.value == "'" + FORMULA and c.data_type == "s" for c in county)  # text, never a formula
    assert all(sheet.column_dimensions[col].width >= 10 for col in "ABCD")


def test_overview_ranking_file_is_stamped_with_the_month(demo_store, files):
    open_page("pages/overview.py", month="2024-06")
    sheet = openpyxl.load_workbook(io.BytesIO(files["各县(市、区)乡镇示范点覆盖率排名_2024-06.xlsx"]())).active
    assert sheet["A1"].value == "各县(市、区)乡镇示范点覆盖率排名"
    assert sheet["A2"].value == "全市 · 数据截至 2024年6月"
    assert sheet["A3"].value == "名次" and sheet.freeze_panes == "A4"
    assert sheet.max_row == 3 + 7  # one row per county


def test_accountability_measure_file_holds_the_full_table_behind_the_compact_one(demo_store, files):
    open_page("pages/accountability.py", month="2025-12")
    sheet = openpyxl.load_workbook(io.BytesIO(files["措施落实情况_2025-12.xlsx"]())).active
    header = [c.value for c in sheet[3]]
    assert "配合单位" in header and "灯" in header
    chapters = [sheet.cell(row, header.index("篇章") + 1).value for row in range(4, sheet.max_row + 1)]
    assert all(len(c) > 3 for c in chapters)  # the section's full title, not the screen's "(一)"
