"""The 会议材料 page in chromium: freeze the month after confirming, build the deck with its progress bar and
download it — the file opens as a 16:9 deck — with no request leaving the machine."""

from __future__ import annotations

import io

import pytest

from tests.browser import assert_clean, browser_missing, chromium_page, copy_store, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.skipif(bool(browser_missing()), reason=browser_missing() or "")]


def _settled(page) -> None:
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"], [data-testid=\"stSkeleton\"]')",
        timeout=120_000)
    page.wait_for_timeout(800)


def test_freeze_and_download_the_deck(demo_db, tmp_path):
    from pptx import Presentation

    from dashboard import freeze
    from dashboard.store import make_engine

    url = copy_store(demo_db, tmp_path)
    with chromium_page(url, "/meeting?month=2025-11") as (page, watch, trap):
        page.get_by_text("冻结记录").first.wait_for(timeout=60_000)
        _settled(page)
        assert "冻结人:测试管理员(t_admin)(当前登录账号)" in page.inner_text("body")  # the account, not typed
        page.get_by_role("button", name="冻结2025年11月").click()
        page.get_by_role("button", name="确认冻结").wait_for(timeout=30_000)
        screenshot(page, "meeting_confirm")
        page.get_by_role("button", name="确认冻结").click()
        page.get_by_text("2025年11月已冻结(通报口径):冻结人 测试管理员(t_admin)").wait_for(timeout=60_000)
        _settled(page)
        page.get_by_role("button", name="生成会议幻灯片(.pptx)").click()
        name = "下载 清源市清廉乡村建设_2025-11_会议材料.pptx"
        page.get_by_role("button", name=name).wait_for(timeout=120_000)
        _settled(page)
        screenshot(page, "meeting_built")
        with page.expect_download() as download:
            page.get_by_role("button", name=name).click()
        data = open(download.value.path(), "rb").read()
        body = page.inner_text("body")
        assert_clean(watch, trap)
    assert "页面加载失败" not in body and "Traceback" not in body
    engine = make_engine(url)
    assert freeze.frozen(engine, "2025-11").frozen_by == "测试管理员(t_admin)"
    prs = Presentation(io.BytesIO(data))
    assert (prs.slide_width, prs.slide_height) == (12192000, 6858000)  # 16:9
    assert len(prs.slides) > 10
    cover = " ".join(s.text_frame.text for s in prs.slides[0].shapes if s.has_text_frame)
    assert "已冻结" in cover and "测试管理员(t_admin)" in cover
