"""The monthly upload in a real browser: choose county, upload, preview, commit, see it in history."""

from __future__ import annotations

import openpyxl
import pytest

from dashboard import intake, queries
from dashboard.store import make_engine
from tests.browser import (
    REPORT_INPUT,
    assert_clean,
    browser_missing,
    chromium_page,
    copy_store,
    one_uploader,
    screenshot,
)

pytestmark = [pytest.mark.browser, pytest.mark.skipif(bool(browser_missing()), reason=browser_missing() or "")]


def _monthly_xlsx(engine, county_code: str, path) -> int:
    villages = [v for v in intake.village_index(engine).villages if v.county_code == county_code]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "村级指标月报"
    ws.append(["2026年10月村级指标月报"])
    ws.append(["县(市、区)", "乡镇(街道)", "村(社区)", "区划代码", "法律明白人数", "小微权力清单已建立", "纪检委员已配备",
               "三务公开本月按时公开", "村务监督委员会健全", "问题线索发现数", "问题线索查处数", "问题线索通报曝光数",
               "矛盾纠纷受理数", "矛盾纠纷化解数"])
    for v in villages:
        ws.append([v.county, v.township, v.name, v.code, 4, "是", "是", "是", "是", 0, 0, 0, 1, 1])
    wb.save(path)
    return len(villages)


def test_upload_flow_in_chromium(demo_db, tmp_path):
    url = copy_store(demo_db, tmp_path)
    engine = make_engine(url)
    code, name = list(queries.counties(engine).items())[2]
    n = _monthly_xlsx(engine, code, tmp_path / "月报.xlsx")
    with chromium_page(url, "/upload", "county", county=code) as (page, watch, trap):
        page.get_by_text("下载村级指标月报模板").wait_for(timeout=30_000)
        # a first visit straight to /upload still goes through the router (not Streamlit's v1 pages mode),
        # which lists the county clerk's pages only
        nav = page.inner_text('[data-testid="stSidebarNav"]')
        assert "总览" in nav and "数据上报" in nav and "streamlit app" not in nav
        assert "用户管理" not in nav and "审计日志" not in nav and "实施方案" not in nav
        assert page.get_by_label("所属县(市、区)").input_value() == name  # its county: shown, not chosen
        who = page.get_by_label("填报人(当前登录账号)").input_value()
        assert who.startswith("测试县级填报员(t_county_")
        one_uploader(page)
        page.locator(REPORT_INPUT).set_input_files(str(tmp_path / "月报.xlsx"))
        page.get_by_text("校验通过").wait_for(timeout=30_000)
        page.wait_for_timeout(800)
        screenshot(page, "upload_preview")
        body = page.inner_text("body")
        assert "读取行数" in body and str(n) in body
        page.get_by_role("button", name="确认提交").click()
        page.get_by_text("已提交:村级指标月报").wait_for(timeout=30_000)
        screenshot(page, "upload_committed")
        page.get_by_role("tab", name="历史版本").click()
        page.wait_for_timeout(1500)
        screenshot(page, "upload_history")
        page.get_by_role("tab", name="催报清单").click()
        page.wait_for_timeout(1500)
        screenshot(page, "upload_reminders")
        assert page.locator('[data-testid="stException"]').count() == 0
    assert_clean(watch, trap)
    with engine.connect() as conn:
        from sqlalchemy import text

        row = conn.execute(text("SELECT uploaded_by, rows, scope FROM uploads WHERE active AND kind='village_monthly' "
                                "AND uploaded_by=:who"), {"who": who}).one()
    assert tuple(row) == (who, n, code)


def test_consolidated_upload_of_two_files_in_chromium(demo_db, tmp_path):
    """No county chosen: a file of two counties and a file of a third, previewed per county, committed together."""
    from sqlalchemy import text

    from tests.intake_fixtures import monthly_table
    from tests.test_consolidated_upload import consolidated

    url = copy_store(demo_db, tmp_path)
    engine = make_engine(url)
    both, alone = tmp_path / "两县汇总.xlsx", tmp_path / "北亭县.xlsx"
    both.write_bytes(consolidated(engine, ("新桥区", "下溪县"), drop={"下溪县": 3}).xlsx())
    alone.write_bytes(monthly_table(engine, "北亭县").xlsx())
    with chromium_page(url, "/upload") as (page, watch, trap):
        page.get_by_text("下载村级指标月报模板(已预填全市名录)").wait_for(timeout=30_000)
        one_uploader(page)  # 管理员, no county chosen: several files at once
        page.locator(REPORT_INPUT).set_input_files([str(both), str(alone)])
        page.get_by_text("校验通过。确认无误").wait_for(timeout=60_000)
        page.wait_for_timeout(1200)
        screenshot(page, "upload_consolidated_preview")
        body = page.inner_text("body")
        assert "本次共 2 个文件,校验通过的文件含 3 个县(市、区)" in body
        assert "部分报送:下溪县名录共 162 个村,文件缺少 3 个村" in body
        assert "确认部分报送(下溪县 159/162 村;其余村在催报清单中显示为部分报送)" in body
        page.get_by_text("确认部分报送").click()
        page.get_by_role("button", name="确认提交").click()
        page.get_by_text("已提交:村级指标月报").wait_for(timeout=60_000)
        page.wait_for_timeout(800)
        screenshot(page, "upload_consolidated_committed")
        assert "2 个文件共 3 个县(市、区)、399 行" in page.inner_text("body")
        assert page.locator('[data-testid="stException"]').count() == 0
    assert_clean(watch, trap)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT scope, rows, expected_rows, file_name FROM uploads WHERE active "
                                 "AND uploaded_by = '测试管理员(t_admin)' ORDER BY scope")).all()
    assert [tuple(r) for r in rows] == [("451301000000", 159, 162, "两县汇总.xlsx"),
                                        ("451302000000", 125, 125, "两县汇总.xlsx"),
                                        ("451303000000", 115, 115, "北亭县.xlsx")]
