"""Meeting mode (?meeting=1&embed=true): no sidebar or navigation, larger text, every page stamped with its title,
数据截至 and sources, and 下一页 through 总览 → 示范点地图 → 目标进度 → 责任落实 keeping the month and county.
AppTest checks what the pages draw; one chromium visit checks what a projector shows."""

from __future__ import annotations

import re
from urllib.parse import parse_qs

import pytest
from sqlalchemy import text

from tests.apptest import open_page
from tests.browser import assert_clean, browser_missing, chromium_page, copy_store, screenshot

CYCLE = [("pages/overview.py", "清廉乡村建设总览", "示范点地图"), ("pages/map.py", "示范点地图", "目标进度"),
         ("pages/targets.py", "目标进度", "责任落实"), ("pages/accountability.py", "责任落实", "总览")]
SOURCES = {"pages/overview.py": "村级指标月报、示范点台账、县级特色品牌、措施推进月报", "pages/map.py": "示范点台账",
           "pages/targets.py": "村级指标月报、示范点台账、县级特色品牌", "pages/accountability.py": "措施推进月报"}


def shown(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")


def _county(engine) -> tuple[str, str]:
    with engine.connect() as conn:
        return tuple(conn.execute(text("SELECT code, name FROM regions WHERE level = 'county' ORDER BY code")).first())


@pytest.mark.parametrize(("page", "title", "following"), CYCLE, ids=[p for p, _, _ in CYCLE])
def test_meeting_page_is_stamped_and_leads_to_the_next(demo_store, page, title, following):
    code, name = _county(demo_store)
    at = open_page(page, meeting="1", embed="true", month="2024-06", county=code)
    assert [t.value for t in at.title] == [title]
    stamp = shown(at.markdown[0].value)
    where = "全市" if page == "pages/accountability.py" else name  # measures are reported city-wide
    assert stamp.startswith(f"{where} · 数据截至 2024年6月 · 来源:{SOURCES[page]}(共 ")
    assert "演示数据" in stamp and not any("演示数据" in w.value for w in at.warning)  # said once, in the stamp
    link = at.get("page_link")[0].proto
    assert link.label == f"下一页:{following}"
    assert parse_qs(link.query_string) == {"meeting": ["1"], "month": ["2024-06"], "county": [code]}
    leave = at.get("page_link")[1].proto  # back to the ordinary dashboard, same page, month and county
    assert leave.label == "退出会议模式"
    assert parse_qs(leave.query_string) == {"meeting": ["0"], "month": ["2024-06"], "county": [code]}
    assert not at.sidebar.selectbox and not at.get("link_button")  # no month/county pickers, no 会议模式 link
    assert not [b for b in at.button if b.label == "导出会议材料"]
    assert not at.get("download_button") and at.table  # tables drawn as HTML for the larger font


def test_flag_is_kept_in_the_session_across_a_page_switch(demo_store):
    at = open_page("pages/overview.py", meeting="1", embed="true", month="2024-06")
    at.query_params.clear()  # a page switch drops the page's own parameters
    at.switch_page("pages/map.py").run()
    assert not at.exception
    assert at.query_params["meeting"] == "1" and at.query_params["month"] == "2024-06"  # back in the URL
    assert not at.sidebar.selectbox and at.get("page_link")[0].proto.label == "下一页:目标进度"
    assert shown(at.markdown[0].value).startswith("全市 · 数据截至 2024年6月")


def test_meeting_0_is_the_ordinary_dashboard(demo_store):
    at = open_page("pages/map.py", meeting="0")
    assert at.selectbox(key="month_widget").value == "2025-12" and not at.get("page_link")
    assert "meeting" not in at.query_params


@pytest.mark.parametrize(("page", "sections"), [("pages/overview.py", "overview"), ("pages/map.py", "map"),
                                                ("pages/targets.py", "targets"),
                                                ("pages/accountability.py", "accountability")])
def test_normal_mode_has_the_export_button_and_the_meeting_link(demo_store, page, sections):
    code, _ = _county(demo_store)
    at = open_page(page, month="2024-06", county=code)
    assert [b.label for b in at.button if b.label == "导出会议材料"] == ["导出会议材料"]
    assert at.button(key=f"meeting_{sections}_go").label == "导出会议材料"
    link = at.get("link_button")[0].proto
    assert link.label == "会议模式"
    assert parse_qs(link.url.lstrip("?")) == {"meeting": ["1"], "embed": ["true"], "month": ["2024-06"],
                                              "county": [code]}
    assert not at.get("page_link")


# --- in chromium ------------------------------------------------------------------------------------

def _settled(page) -> None:
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"], [data-testid=\"stSkeleton\"]')",
        timeout=60_000)
    page.wait_for_timeout(1500)  # let the tables and charts paint


@pytest.mark.browser
@pytest.mark.skipif(bool(browser_missing()), reason=browser_missing() or "")
def test_meeting_mode_in_chromium(demo_db, tmp_path):
    with chromium_page(copy_store(demo_db, tmp_path), "/?meeting=1&embed=true") as (page, watch, trap):
        page.get_by_text("数据截至 2025年12月 · 来源").first.wait_for(timeout=60_000)
        _settled(page)
        assert page.get_by_role("heading", name="清廉乡村建设总览").is_visible()
        assert not page.locator("[data-testid=stSidebar]").is_visible()
        assert not page.locator("[data-testid=stSidebarNav]").is_visible()
        assert not page.locator("[data-testid=stToolbar]").is_visible()
        assert not page.get_by_text("导出会议材料").count() and not page.get_by_text("下载(.xlsx)").count()
        value = page.locator("[data-testid=stMetricValue] p").first  # larger figures than on the desk
        assert float(value.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 44
        screenshot(page, "meeting_overview")
        for title, shot in (("示范点地图", "meeting_map"), ("目标进度", "meeting_targets"),
                            ("责任落实", "meeting_accountability")):
            page.get_by_text(f"下一页:{title}").click()
            page.get_by_role("heading", name=title).wait_for(timeout=60_000)
            _settled(page)
            assert page.get_by_text("数据截至 2025年12月 · 来源").first.is_visible()  # the flag survived the switch
            assert not page.locator("[data-testid=stSidebar]").is_visible()
            assert "meeting=1" in page.url and "embed=true" in page.url
            screenshot(page, shot)
        page.get_by_text("下一页:总览").click()
        page.get_by_role("heading", name="清廉乡村建设总览").wait_for(timeout=60_000)
        _settled(page)
        page.goto(page.url.split("?")[0].rstrip("/") + "/upload?meeting=1&embed=true")  # not a meeting page
        page.get_by_role("heading", name="清廉乡村建设总览").wait_for(timeout=60_000)
        assert "/upload" not in page.url
        _settled(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert "Traceback" not in page.inner_text("body")
        assert_clean(watch, trap)
