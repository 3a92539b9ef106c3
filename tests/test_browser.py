"""One real browser visit of each page: renders, no error box, no request leaves the machine."""

from __future__ import annotations

import pytest

from tests.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    REPORT_DROPZONE,
    PageWatch,
    ProxyTrap,
    browser_missing,
    copy_store,
    new_page,
    screenshot,
    streamlit_server,
)

pytestmark = [pytest.mark.browser, pytest.mark.skipif(bool(browser_missing()), reason=browser_missing() or "")]


@pytest.fixture(scope="module")
def trap():
    return ProxyTrap()


@pytest.fixture(scope="module")
def app_url(demo_db, tmp_path_factory, trap):
    with streamlit_server(copy_store(demo_db, tmp_path_factory.mktemp("browser")), trap) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def _visit(browser, app_url: str, path: str, ready_text: str, shot: str):
    page = new_page(browser, app_url)
    watch = PageWatch(page, app_url)
    page.goto(f"{app_url}/{path}")
    page.get_by_text(ready_text, exact=False).first.wait_for(timeout=30_000)
    page.wait_for_function(  # the script run has finished and no placeholder is left
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"], [data-testid=\"stSkeleton\"]')",
        timeout=60_000)
    page.wait_for_timeout(1500)  # let the data grids paint
    screenshot(page, shot)
    body = page.inner_text("body")
    exceptions = page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').count()
    page.close()
    return watch, body, exceptions


PAGES = [  # url path, text that shows the page has rendered, screenshot name
    ("", "推进最滞后的措施及牵头单位", "overview"),
    ("map", "示范点地图", "map"),
    ("targets", "完成下一节点还需", "targets"),
    ("accountability", "措施详情", "accountability"),
    ("meeting", "冻结记录", "meeting"),
    ("upload", "下载村级指标月报模板", "upload"),
    ("plan", "工作措施与责任单位", "plan"),
]


@pytest.mark.parametrize(("path", "ready", "shot"), PAGES, ids=[p[2] for p in PAGES])
def test_every_page_in_chromium(browser, app_url, path, ready, shot):
    watch, body, exceptions = _visit(browser, app_url, path, ready, shot)
    assert exceptions == 0 and not watch.errors, watch.errors
    assert watch.foreign == [], f"向外部主机发出了请求:{watch.foreign}"
    assert "页面加载失败" not in body and "Traceback" not in body
    assert "演示数据" in body


def test_server_makes_no_outbound_request(browser, app_url, trap):
    """After serving both pages, the server process has not tried to reach any outside host."""
    _visit(browser, app_url, "", "推进最滞后的措施及牵头单位", "overview_again")
    assert trap.requests == [], f"服务器进程尝试访问外部网络:{trap.requests}"


EMPTY_PAGES = [  # a city's first start (qinglian serve --no-demo): what each page asks for
    ("", "请先在「数据上报」页上传村级名录"),
    ("map", "请先在「数据上报」页上传村级名录"),
    ("targets", "还没有上报数据"),
    ("accountability", "尚无措施推进月报"),
    ("meeting", "还没有上报数据,无法生成会议材料"),
    ("upload", "数据库中还没有村级名录"),
    ("plan", "工作措施与责任单位"),
]


def test_an_empty_store_guides_the_first_upload_in_chromium(browser, tmp_path):
    with streamlit_server(f"sqlite:///{tmp_path / 'new.db'}") as base:
        for path, ready in EMPTY_PAGES:
            watch, body, exceptions = _visit(browser, base, path, ready, f"empty_{path or 'overview'}")
            assert exceptions == 0 and not watch.errors, (path, watch.errors)
            assert watch.foreign == []
            assert "页面加载失败" not in body and "当前显示的是演示数据" not in body


def test_the_file_uploader_speaks_chinese(browser, app_url):
    """Streamlit's own "Upload" / "20MB per file" are hidden and Chinese drawn in their place."""
    page = new_page(browser, app_url)
    page.goto(f"{app_url}/upload")
    page.locator(REPORT_DROPZONE).wait_for(timeout=60_000)
    page.wait_for_function(  # the page's style arrives with the script run, a moment after the widgets
        "() => { const p = document.querySelector('[data-testid=stFileUploaderDropzone] button p');"
        " return p && getComputedStyle(p).fontSize === '0px'; }", timeout=30_000)
    drawn = page.evaluate("""() => {
        const button = document.querySelector('[data-testid=stFileUploaderDropzone] button p');
        const hint = document.querySelector('[data-testid=stFileUploaderDropzoneInstructions] span');
        const seen = (el) => [getComputedStyle(el).fontSize, getComputedStyle(el, '::after').content];
        return [seen(button), seen(hint)];
    }""")
    screenshot(page, "upload_uploader")
    page.close()
    assert drawn == [["0px", '"选择文件"'], ["0px", '"或把文件拖到这里 · 每个文件不超过 20 MB"']]
