"""The sign-in gate on a real server: an anonymous browser reaches nothing — no page, no websocket, no upload
endpoint, no media — but the sign-in page; signing in survives a reload, the cookie is out of the page's
reach, each role sees its own pages, and signing out ends it."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from urllib.parse import urlencode, urlparse

import pytest

from tests.apptest import PASSWORD, account
from tests.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    NoRedirect,
    PageWatch,
    ProxyTrap,
    assert_clean,
    browser_missing,
    copy_store,
    screenshot,
    sign_in_form,
    streamlit_server,
)
from tests.intake_fixtures import COUNTY

pytestmark = [pytest.mark.browser, pytest.mark.skipif(bool(browser_missing()), reason=browser_missing() or "")]
READY = "() => !document.querySelector('[data-testid=\"stStatusWidget\"], [data-testid=\"stSkeleton\"]')"



def _request(url: str, data: bytes | None = None, headers: dict | None = None):
    """(status, headers — looked up without regard to case —, body) of one request, redirects not followed."""
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=10) as resp:
            return resp.status, resp.headers, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode("utf-8", "replace")


def _websocket_status(base: str) -> str:
    """The status line the server answers a websocket handshake to /_stcore/stream with."""
    host, port = urlparse(base).hostname, urlparse(base).port
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall((f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: streamlit\r\n\r\n").encode())
        return sock.recv(200).split(b"\r\n")[0].decode()


@pytest.fixture(scope="module")
def server(demo_db, tmp_path_factory):
    url = copy_store(demo_db, tmp_path_factory.mktemp("signin"))
    from dashboard.store import make_engine
    from tests.intake_fixtures import county_code_of

    engine = make_engine(url)
    code = county_code_of(engine, COUNTY)
    engine.dispose()
    account("admin", username="zhang", url=url)
    account("county", county=code, username="beiting", url=url)
    trap = ProxyTrap()
    with streamlit_server(url, trap) as base:
        yield base, trap


def test_an_anonymous_client_reaches_nothing_but_the_sign_in_page(server):
    base, trap = server
    status, headers, _ = _request(f"{base}/map?month=2025-11")
    assert status == 303 and headers["location"] == "/signin?next=/map%3Fmonth%3D2025-11&why=none"
    for path in ("/_stcore/host-config", "/media/x.png", "/component/x/index.html", "/_stcore/upload_file/s/f"):
        status, _, body = _request(f"{base}{path}", data=b"x" if "upload" in path else None)
        assert (status, body) == (401, "未登录或登录已超时,请重新登录。"), path
    assert " 403 " in _websocket_status(base)
    status, headers, body = _request(f"{base}/signin")
    assert status == 200 and "清廉乡村建设监测看板" in body and "<script" not in body
    assert headers["X-Frame-Options"] == "DENY" and "default-src 'none'" in headers["Content-Security-Policy"]
    assert _request(f"{base}/_stcore/health")[0] == 200  # for nginx and monitoring
    # a sign-in posted from another site is refused; a forged cookie signs nobody in
    form = urlencode({"username": "zhang", "password": PASSWORD, "next": "/"}).encode()
    status, _, body = _request(f"{base}/signin", form, {"Origin": "https://evil.example"})
    assert (status, body) == (403, "登录请求来自其他网站,已拒绝。")
    status, _, _ = _request(f"{base}/", headers={"Cookie": "qinglian_session=abc.def"})
    assert status == 303
    # a right password answers with the cookie and a redirect that stays on this site
    status, headers, _ = _request(f"{base}/signin", urlencode({"username": "zhang", "password": PASSWORD,
                                                              "next": "//evil.example/"}).encode())
    assert status == 303 and headers["location"] == "/"
    cookie = headers["set-cookie"]
    assert cookie.startswith("qinglian_session=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http on loopback; through nginx (https) it is Secure
    assert _request(f"{base}/_stcore/host-config", headers={"Cookie": cookie.split(";")[0]})[0] == 200
    # another intranet application's odd cookie next to ours does not sign the browser out
    odd = 'pref={"a":1}; flag; ' + cookie.split(";")[0]
    assert _request(f"{base}/_stcore/host-config", headers={"Cookie": odd})[0] == 200
    # a sign-in posted from a sandboxed frame or after cross-site redirects (Origin: null) is refused too
    status, _, _ = _request(f"{base}/signin", form, {"Origin": "null"})
    assert status == 403
    status, _, _ = _request(f"{base}/signin", form, {"Origin": "null", "Sec-Fetch-Site": "cross-site"})
    assert status == 403
    # a page served with Referrer-Policy: no-referrer (the shipped nginx) posts Origin: null, same-origin
    status, _, _ = _request(f"{base}/signin", form, {"Origin": "null", "Sec-Fetch-Site": "same-origin"})
    assert status == 303
    status, _, _ = _request(f"{base}/signin", form, {"Sec-Fetch-Site": "cross-site"})
    assert status == 403
    assert trap.requests == []


def test_signing_in_survives_a_reload_and_signing_out_ends_it(server):
    from playwright.sync_api import sync_playwright

    base, trap = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN").new_page()
        watch = PageWatch(page, base)
        page.goto(f"{base}/map")
        assert page.url == f"{base}/signin?next=/map&why=none"
        screenshot(page, "sign_in")
        sign_in_form(page, base, "zhang", "wrong-password")
        assert "账号或密码不正确。" in page.inner_text("body")
        sign_in_form(page, base, "zhang", PASSWORD)
        page.get_by_text("当前用户").first.wait_for(timeout=60_000)
        page.wait_for_function(READY, timeout=60_000)
        assert page.evaluate("document.cookie").find("qinglian_session") == -1  # HttpOnly: no script reads it
        nav = page.inner_text('[data-testid="stSidebarNav"]')
        assert "用户管理" in nav and "审计日志" in nav
        page.reload()
        page.get_by_text("当前用户").first.wait_for(timeout=60_000)
        assert "测试管理员" in page.inner_text('[data-testid="stSidebar"]')
        page.get_by_text("退出登录").click()
        page.get_by_text("已退出登录。").wait_for(timeout=30_000)
        page.goto(f"{base}/")
        assert page.url.startswith(f"{base}/signin")

        clerk = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN").new_page()
        clerk_watch = PageWatch(clerk, base)
        sign_in_form(clerk, base, "beiting", PASSWORD)
        clerk.get_by_text("当前用户").first.wait_for(timeout=60_000)
        nav = clerk.inner_text('[data-testid="stSidebarNav"]')
        assert "数据上报" in nav and "用户管理" not in nav and "审计日志" not in nav
        clerk.goto(f"{base}/users")  # typed in by hand: not one of its pages
        clerk.get_by_text("县级填报员账号不能打开「用户管理」页;如需使用,请联系管理员。").wait_for(timeout=60_000)
        clerk.wait_for_function(READY, timeout=60_000)
        clerk.wait_for_timeout(1000)
        body = clerk.inner_text("body")
        assert "新建账号" not in body and "账号列表" not in body and "Page not found" not in body
        screenshot(clerk, "sign_in_county_typed_users")
        browser.close()
    assert_clean(watch, trap)
    assert not clerk_watch.errors and clerk_watch.foreign == []
