"""Markdown, HTML, KaTeX and image-link payloads in names and texts, as a real browser renders them.

The AppTest twin (tests/test_markdown_payloads.py) checks the Markdown each element receives; this one
checks what Chromium makes of the pages: no link or image to the payload's host, no KaTeX, no bold or
HTML element formed from uploaded text, no request to the outside — and the county name as typed.
"""

from __future__ import annotations

import pytest

from dashboard.store import make_engine
from tests.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PageWatch,
    ProxyTrap,
    browser_missing,
    copy_store,
    new_page,
    screenshot,
    streamlit_server,
)
from tests.payloads import PERIOD, load_payloads

pytestmark = [pytest.mark.browser, pytest.mark.skipif(bool(browser_missing()), reason=browser_missing() or "")]
READY = "() => !document.querySelector('[data-testid=\"stStatusWidget\"], [data-testid=\"stSkeleton\"]')"
FORMED = ('a[href*="evil.example"], img[src*="evil.example"], .katex, '
          '[data-testid="stMarkdownContainer"] b, [data-testid="stMarkdownContainer"] strong:text-matches("^粗$")')


def test_payloads_render_as_text_in_chromium(demo_db, tmp_path):
    from playwright.sync_api import sync_playwright

    url = copy_store(demo_db, tmp_path)
    engine = make_engine(url)
    city = load_payloads(engine)
    engine.dispose()
    trap = ProxyTrap()
    pages = [("", "推进最滞后的措施及牵头单位"), ("map", "尚无示范点的乡镇"), ("targets", "完成下一节点还需"),
             ("accountability", "措施详情"), ("upload", "下载村级指标月报模板"), ("plan", "工作措施与责任单位")]
    with streamlit_server(url, trap) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = new_page(browser, base)
        watch = PageWatch(page, base)
        for path, ready in pages:
            page.goto(f"{base}/{path}?county={city.county_code}&month={PERIOD}")
            page.get_by_text(ready).first.wait_for(timeout=60_000)
            page.wait_for_function(READY, timeout=60_000)
            page.wait_for_timeout(1000)
            screenshot(page, f"payload_{path or 'overview'}")
            assert page.locator(FORMED).count() == 0, path
            assert page.locator('[data-testid="stException"]').count() == 0, path
            if path in ("", "targets", "accountability"):
                assert city.county in page.inner_text("body").replace("\u2060", ""), path
        page.goto(f"{base}/accountability?month={PERIOD}")
        page.get_by_text("措施详情").first.wait_for(timeout=60_000)
        chooser = page.get_by_role("combobox", name="选择措施")
        chooser.click()
        chooser.fill("深化法治乡村建设")  # the list is virtual: narrow it so option 10 is rendered
        page.get_by_role("option", name="10. " + city.measure_title).click()
        page.get_by_text("历次报送").first.wait_for(timeout=60_000)
        page.wait_for_timeout(1000)
        screenshot(page, "payload_measure_detail")
        assert page.locator(FORMED).count() == 0
        assert ("10. " + city.measure_title) in page.inner_text("body").replace("\u2060", "")
        browser.close()
    assert not watch.errors
    assert watch.foreign == [], f"向外部主机发出了请求:{watch.foreign}"
    assert trap.requests == []
