"""AppTest scenario of the upload page: choose, upload, preview, commit, see the overview change."""

from __future__ import annotations

import io
import re

import openpyxl
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from dashboard import intake, months, queries
from tests.apptest import ADMIN, app
from tests.intake_fixtures import covered_townships_sql

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _ledger_for_all_townships(engine, county_code: str) -> tuple[bytes, int]:
    """A 示范点台账 for one county naming one built demo site in every township."""
    villages = [v for v in intake.village_index(engine).villages if v.county_code == county_code]
    first = {}
    for v in villages:
        first.setdefault(v.township_code, v)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["县(市、区)", "乡镇(街道)", "村(社区)", "区划代码", "示范点级别", "创建状态", "创建年度", "品牌亮点", "验收日期"])
    for v in first.values():
        ws.append([v.county, v.township, v.name, v.code, "县级", "已建成", 2026, "清风村务", None])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), len(first)


def _ledger_codes(data: bytes) -> list[str]:
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    return [row[3] for row in ws.iter_rows(min_row=2, values_only=True)]


def _open_upload(kind: str, period: str, county: str) -> AppTest:
    at = app(60).run()
    at.switch_page("pages/upload.py").run()
    at.selectbox(key="up_kind").set_value(kind).run()
    at.selectbox(key="up_period").set_value(period).run()
    at.selectbox(key="up_county").set_value(county).run()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_upload_preview_commit_and_overview_refreshes(demo_store):
    # last month: its view still uses the current versions (a past month's view keeps the versions
    # that stood at the end of the month after it, so an upload made today would not show there)
    period = months.previous(months.this_month())
    counties = queries.counties(demo_store)
    towns = queries.townships(demo_store)
    before = covered_townships_sql(demo_store, period)
    # the county furthest behind
    lagging = min(counties, key=lambda c: len(before & set(towns[towns.county_code == c].township_code))
                  / (towns.county_code == c).sum())
    data, n = _ledger_for_all_townships(demo_store, lagging)

    at = _open_upload("demo_sites", period, lagging)
    at.file_uploader(key="up_file").set_value(("台账.xlsx", data, XLSX)).run()
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["读取行数"] == str(n) and tiles["错误"] == "0"
    # compared with the county's latest ledger (2025-12): its sites not in the new file are 'missing'
    with demo_store.connect() as conn:
        old = set(conn.execute(text(
            "SELECT d.village_code FROM demo_sites d JOIN uploads u ON u.id = d.upload_id "
            "WHERE u.kind='demo_sites' AND u.active AND u.scope=:c AND u.period='2025-12'"), {"c": lagging}).scalars())
    new = {v.code for v in intake.village_index(demo_store).villages if v.county_code == lagging}
    new_sites = set(_ledger_codes(data))
    assert int(tiles["新增"]) == len(new_sites - old)
    assert int(tiles["较生效版本缺少"]) == len(old - new_sites) > 0
    assert new_sites <= new
    commit = next(b for b in at.button if b.label == "确认提交")
    commit.click().run()
    assert not at.exception
    label = f"{period[:4]}年{int(period[5:])}月"
    assert any(f"已提交:示范点台账 {label}" in s.value and f"共 {n} 行" in s.value for s in at.success)

    covered_now = before | set(towns[towns.county_code == lagging].township_code)
    expected = f"{100 * len(covered_now) / len(towns):.1f}%"
    at.switch_page("pages/overview.py").run()
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["乡镇示范点覆盖率"] == expected
    assert f"数据截至 {label}" in " ".join(c.value for c in at.caption)
    with demo_store.connect() as conn:
        active = conn.execute(text(
            "SELECT uploaded_by, rows FROM uploads WHERE kind='demo_sites' AND period=:p AND active"),
            {"p": period}).one()
    assert tuple(active) == ("测试管理员(t_admin)", n)


def test_refused_upload_shows_errors_and_is_recorded(demo_store):
    counties = queries.counties(demo_store)
    code = next(iter(counties))
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "台账"
    ws.append(["县(市、区)", "乡镇(街道)", "村(社区)", "示范点级别", "创建状态", "创建年度"])
    ws.append([counties[code], "不存在镇", "无名村", "省级", "已建成", "二〇二六"])
    buf = io.BytesIO()
    wb.save(buf)
    at = _open_upload("demo_sites", "2026-01", code)
    at.file_uploader(key="up_file").set_value(("bad.xlsx", buf.getvalue(), XLSX)).run()
    assert not at.exception
    assert "未通过校验,没有写入任何数据" in at.error[0].value
    issues = at.dataframe[0].value
    assert list(issues["行号"]) == ["2", "2", "2"]
    assert list(issues["列"]) == ["示范点级别", "创建年度", "村(社区)"]
    assert list(issues["问题及修改方法"]) == [
        "「省级」不是可选值。请从下拉列表中选择:市级/县级",
        "应为4位年份,例如 2024,实际填写「二〇二六」。请改为年份(4位)",
        f"乡镇(街道)「不存在镇」不在{counties[code]}名录中。请核对乡镇名称,或先上报村级名录",
    ]
    assert not [b for b in at.button if b.label == "确认提交"]
    with demo_store.connect() as conn:
        refused = conn.execute(text("SELECT file_name, uploaded_by, errors FROM uploads WHERE outcome='refused'")).all()
    assert [tuple(r) for r in refused] == [("bad.xlsx", "测试管理员(t_admin)", 3)]


def test_completeness_tab_names_missing_units_and_counties(demo_store):
    at = app(60).run()
    at.switch_page("pages/upload.py").run()
    at.selectbox(key="cb_period").set_value("2025-12").run()
    assert not at.exception
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["未报送"] == "3"
    frames = [d.value for d in at.dataframe if "报送对象" in d.value.columns]
    missing = frames[0]
    assert "市委宣传部" in set(missing[missing["状态"] == "未报送"]["报送对象"])
    # 市生态环境局 finished its only measure (8, 已完成 at 100 %) before December: it is not chased any more
    assert "市生态环境局" not in set(missing["报送对象"])


def test_template_download_fill_upload_commit(demo_store):
    from dashboard.templates import template_file

    code, name = list(queries.counties(demo_store).items())[1]
    at = _open_upload("village_monthly", "2026-01", code)
    button = at.get("download_button")[0]
    assert button.proto.label == f"下载村级指标月报模板(已预填{name}名录)"
    data, file_name, count = template_file(demo_store, "village_monthly", "2026-01", code, who=ADMIN)  # what the button serves
    assert file_name == f"村级指标月报_2026-01_{name}.xlsx"
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb["村级指标月报"]
    header_row = next(r for r in range(1, 6) if ws.cell(r, 1).value == "县(市、区)")
    legal_col = next(c for c in range(1, ws.max_column + 1) if ws.cell(header_row, c).value == "法律明白人数")
    for r in range(header_row + 1, header_row + 1 + count):
        ws.cell(r, legal_col).value = 5  # every village now has 5 法律明白人
    buf = io.BytesIO()
    wb.save(buf)
    at.file_uploader(key="up_file").set_value((file_name, buf.getvalue(), XLSX)).run()
    tiles = {m.label: m.value for m in at.metric}
    assert (tiles["读取行数"], tiles["错误"], tiles["新增"]) == (str(count), "0", str(count))
    next(b for b in at.button if b.label == "确认提交").click().run()
    assert any(f"共 {count} 行" in s.value for s in at.success)
    with demo_store.connect() as conn:
        values = conn.execute(text(
            "SELECT DISTINCT r.legal_persons FROM village_reports r JOIN uploads u ON u.id = r.upload_id "
            "WHERE u.active AND u.period = '2026-01' AND u.scope = :c"), {"c": code}).scalars().all()
    assert values == [5]
    history = next(d.value for d in at.dataframe if "版本号" in d.value.columns)
    newest = history.iloc[0]
    assert (newest["报表"], newest["范围"], newest["状态"], newest["填报人"]) == ("村级指标月报", name, "生效", "测试管理员(t_admin)")


# --- hostile files through the page: a refusal like any other, recorded, and the page keeps working ------

def _issues(at: AppTest) -> list[str]:
    frame = next(d.value for d in at.dataframe if "问题及修改方法" in d.value.columns)
    return list(frame["问题及修改方法"])


def _refusal(at: AppTest) -> str:
    """The one error box of a file refused as a whole, as the reader sees it."""
    [box] = at.error
    return re.sub(r"\\(.)", r"\1", box.value)


def _refusals(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT file_name, uploaded_by, outcome, content IS NULL FROM uploads WHERE outcome='refused' ORDER BY id"))]


def test_a_file_that_kills_its_parser_is_refused_on_the_page_and_recorded(demo_store):
    from dashboard.sandbox import sandbox
    from loaders.refusals import REFUSALS
    from tests.hostile_files import string_bomb
    from tests.intake_fixtures import COUNTY, county_code_of, monthly_table

    code = county_code_of(demo_store, COUNTY)
    at = _open_upload("village_monthly", "2026-01", code)
    at.file_uploader(key="up_file").set_value(("炸弹.xlsx", string_bomb(), XLSX)).run()
    assert not at.exception
    assert _refusal(at) == REFUSALS["capacity"]()  # it says itself that nothing was written
    assert "读取行数" not in [m.label for m in at.metric]  # nothing was read: no row counts to show
    assert _refusals(demo_store) == [("炸弹.xlsx", "测试管理员(t_admin)", "refused", 1)]
    # the same session goes on: the next file is read by a fresh worker
    at.file_uploader(key="up_file").set_value(("月报.xlsx", monthly_table(demo_store, COUNTY).xlsx(), XLSX)).run()
    assert {m.label: m.value for m in at.metric}["错误"] == "0"
    assert any("校验通过" in i.value for i in at.info)
    assert sandbox().limits.memory_mb == 1024  # the configured cap did the work


def test_csv_with_an_overlong_field_is_refused_on_the_page_and_recorded(demo_store):
    from tests.intake_fixtures import COUNTY, county_code_of, monthly_table

    code = county_code_of(demo_store, COUNTY)
    table = monthly_table(demo_store, COUNTY).set(2, "村(社区)", "长" * 200_000)
    at = _open_upload("village_monthly", "2026-01", code)
    at.file_uploader(key="up_file").set_value(("月报.csv", table.csv(), "text/csv")).run()
    assert not at.exception
    assert _refusal(at) == ("CSV 文件第 4 行无法读取:有单元格超过 131072 个字符。请检查该行的引号是否成对,或另存为 .xlsx 后上传。"
                            "\n\n未写入任何数据。")
    assert _refusals(demo_store) == [("月报.csv", "测试管理员(t_admin)", "refused", 1)]


def test_a_call_out_formula_is_refused_on_the_page(demo_store):
    from tests.hostile_files import add_cells
    from tests.intake_fixtures import COUNTY, county_code_of, monthly_table

    code = county_code_of(demo_store, COUNTY)
    data = add_cells(monthly_table(demo_store, COUNTY).xlsx(),
                     '<row r="117"><c r="O117" t="str"><f>HYPERLINK("http://evil.example/","x")</f><v>x</v></c></row>')
    at = _open_upload("village_monthly", "2026-01", code)
    at.file_uploader(key="up_file").set_value(("月报.xlsx", data, XLSX)).run()
    assert _refusal(at) == ("工作表「村级指标月报」第117行:单元格 O117 的公式使用了 HYPERLINK,打开时会访问外部地址,"
                            "为安全起见不予接收。请选中这些单元格,复制后用“选择性粘贴 → 数值”粘贴回原处,保存后再上传。"
                            "\n\n未写入任何数据。")


def test_a_queued_upload_is_told_how_many_files_are_ahead(demo_store, monkeypatch):
    """The sandbox tells the page how many files wait before this one; the page says so, and keeps a note."""
    from dashboard.sandbox import Sandbox
    from tests.intake_fixtures import COUNTY, county_code_of, monthly_table

    real_run = Sandbox.run

    def queued_run(self, job, on_wait=None):
        on_wait(1)  # as if one file were being checked when this one arrived
        return real_run(self, job, None)

    monkeypatch.setattr(Sandbox, "run", queued_run)
    code = county_code_of(demo_store, COUNTY)
    at = _open_upload("village_monthly", "2026-01", code)
    at.file_uploader(key="up_file").set_value(("月报.xlsx", monthly_table(demo_store, COUNTY).xlsx(), XLSX)).run()
    assert not at.exception
    assert "本文件排在其他 1 个文件之后校验(同一时间只校验一个文件,以免影响看板使用)。" in [c.value for c in at.caption]
    assert any("校验通过" in i.value for i in at.info)


def test_a_rerun_does_not_check_the_same_file_again(demo_store, monkeypatch):
    from dashboard.sandbox import Sandbox
    from tests.intake_fixtures import COUNTY, county_code_of, monthly_table

    calls = []
    real_run = Sandbox.run
    monkeypatch.setattr(Sandbox, "run", lambda self, job, on_wait=None: calls.append(1) or real_run(self, job, on_wait))
    code = county_code_of(demo_store, COUNTY)
    at = _open_upload("village_monthly", "2026-01", code)
    at.file_uploader(key="up_file").set_value(("月报.xlsx", monthly_table(demo_store, COUNTY).xlsx(), XLSX)).run()
    at.run()
    at.run()
    assert len(calls) == 1
