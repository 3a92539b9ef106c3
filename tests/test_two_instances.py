"""Two app processes on one PostgreSQL behind nginx (Debian), with the shipped site config (deploy/), TLS and
sticky sessions: signing in through nginx gives a Secure session cookie that both processes accept, the
dashboard works through nginx with its security headers, and an upload made through one process shows on the
other at its next rerun (the caches are keyed by the store's data version)."""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path

import pytest

from dashboard import months
from tests.apptest import PASSWORD, account
from tests.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    NoRedirect,
    PageWatch,
    browser_missing,
    free_port,
    screenshot,
    sign_in_form,
    streamlit_server,
)
from tests.store_states import COUNTY, PERIOD, build, monthly_file

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "deploy" / "nginx-qinglian.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
READY = "() => !document.querySelector('[data-testid=\"stStatusWidget\"], [data-testid=\"stSkeleton\"]')"

pytestmark = [pytest.mark.browser, pytest.mark.postgres,
              pytest.mark.skipif(bool(browser_missing()), reason=browser_missing() or ""),
              pytest.mark.skipif(not Path(NGINX).exists(), reason="未安装 nginx(apt-get install nginx-light)")]


def _nginx(tmp: Path, first: str, second: str) -> tuple[list[str], int]:
    """The shipped site config with this test's ports and a throw-away certificate, in a private nginx."""
    port = free_port()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-keyout", str(tmp / "qinglian.key"), "-out", str(tmp / "qinglian.crt")],
                   check=True, capture_output=True)
    site = SITE.read_text(encoding="utf-8")
    for shipped, here in (("127.0.0.1:8501", first), ("127.0.0.1:8502", second),
                          ("listen 443 ssl;", f"listen 127.0.0.1:{port} ssl;"),
                          ("listen 80;", f"listen 127.0.0.1:{free_port()};"),
                          ("/etc/ssl/qinglian/", f"{tmp}/")):
        assert shipped in site, shipped  # the test follows the shipped file: a change there must come here too
        site = site.replace(shipped, here)
    (tmp / "site.conf").write_text(site, encoding="utf-8")
    temp = " ".join(f"{name}_temp_path {tmp}/{name};" for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (tmp / "nginx.conf").write_text(
        f"worker_processes 1; daemon off; pid {tmp}/nginx.pid; error_log {tmp}/error.log;\n"
        f"events {{ worker_connections 256; }}\n"
        f"http {{ access_log {tmp}/access.log; {temp} include {tmp}/site.conf; }}\n", encoding="utf-8")
    check = subprocess.run([NGINX, "-t", "-c", str(tmp / "nginx.conf"), "-p", str(tmp)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    return [NGINX, "-c", str(tmp / "nginx.conf"), "-p", str(tmp)], port


def _context(browser):
    return browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN", ignore_https_errors=True)


def _open(page, url: str, ready: str):
    watch = PageWatch(page, url)
    response = page.goto(url)
    page.get_by_text(ready).first.wait_for(timeout=60_000)
    page.wait_for_function(READY, timeout=60_000)
    return watch, response


def _signed_in(page, base: str, username: str, ready: str) -> None:
    sign_in_form(page, base, username, PASSWORD)
    page.get_by_text(ready).first.wait_for(timeout=60_000)
    page.wait_for_function(READY, timeout=60_000)


def _legal_tile(page) -> str:
    """The value of the 法律明白人 tile, e.g. "100.0%"."""
    tile = page.locator('[data-testid="stMetric"]', has_text="法律明白人").first
    return tile.locator('[data-testid="stMetricValue"]').inner_text().strip()


def test_two_instances_on_one_postgresql_behind_nginx(pg_url, tmp_path):
    from playwright.sync_api import sync_playwright

    build(pg_url, "first_month").dispose()  # 4 villages, each with 3 法律明白人: 100.0 %
    upload = tmp_path / "更正.xlsx"
    upload.write_bytes(monthly_file(1))  # the correction: 1 each, so none meets the bar of 3
    with ExitStack() as stack:
        one = stack.enter_context(streamlit_server(pg_url, log_path=tmp_path / "one.log"))
        two = stack.enter_context(streamlit_server(pg_url, log_path=tmp_path / "two.log"))
        command, port = _nginx(tmp_path, one.removeprefix("http://"), two.removeprefix("http://"))
        proxy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        stack.callback(proxy.terminate)
        front = f"https://127.0.0.1:{port}"
        deadline = time.time() + 20
        while time.time() < deadline and not (tmp_path / "nginx.pid").exists():
            time.sleep(0.2)
        p = stack.enter_context(sync_playwright())
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        stack.callback(browser.close)

        from dashboard.store import make_engine
        from tests.intake_fixtures import county_code_of

        engine = make_engine(pg_url)
        code = county_code_of(engine, COUNTY)
        engine.dispose()
        account("admin", username="zhang", url=pg_url)
        account("county", county=code, username="beiting", url=pg_url)

        # through nginx, not signed in: only the sign-in page answers, with its own strict headers
        front_context = _context(browser)
        page = front_context.new_page()
        refused = page.goto(f"{front}/map")
        assert refused.url == f"{front}/signin?next=/map&why=none" and refused.headers["x-frame-options"] == "SAMEORIGIN"
        assert "default-src 'none'" in refused.headers["content-security-policy"]
        # signing in through nginx: TLS, the security headers, the websocket (the page draws), a figure
        _signed_in(page, front, "zhang", "推进最滞后的措施及牵头单位")
        cookie = next(c for c in front_context.cookies() if c["name"] == "qinglian_session")
        assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Lax"  # nginx said https
        watch, response = _open(page, f"{front}/", "推进最滞后的措施及牵头单位")
        headers = response.headers
        assert headers["x-frame-options"] == "SAMEORIGIN"
        assert headers["content-security-policy"] == "frame-ancestors 'self'"
        assert _legal_tile(page) == "100.0%"
        screenshot(page, "nginx_overview")

        # the same session works on the second process (one store of sessions, one cookie secret)
        second_context = _context(browser)
        second_context.add_cookies([{**{k: cookie[k] for k in ("name", "value")}, "url": two}])
        other = second_context.new_page()
        other_watch, _ = _open(other, f"{two}/", "推进最滞后的措施及牵头单位")
        assert _legal_tile(other) == "100.0%"
        # the county's clerk signs in on the first process and uploads its correction
        clerk = _context(browser).new_page()
        clerk_watch = PageWatch(clerk, one)
        _signed_in(clerk, one, "beiting", "推进最滞后的措施及牵头单位")
        _open(clerk, f"{one}/upload", "下载村级指标月报模板")
        assert clerk.get_by_label("所属县(市、区)").input_value() == COUNTY  # its own, not a choice
        assert clerk.get_by_label("填报人(当前登录账号)").input_value() == "测试县级填报员(beiting)"
        clerk.get_by_label("报送期").first.click()  # the upload's: this month (it offers last month first)
        clerk.get_by_role("option", name=months.label(PERIOD), exact=True).click()
        clerk.wait_for_function(READY, timeout=60_000)
        clerk.locator('input[type="file"]').set_input_files(str(upload))
        clerk.get_by_text("校验通过").wait_for(timeout=60_000)
        clerk.get_by_role("button", name="确认提交").click()
        clerk.get_by_text("已提交:村级指标月报").wait_for(timeout=60_000)

        other.reload()  # the second process's next rerun
        other.get_by_text("推进最滞后的措施及牵头单位").first.wait_for(timeout=60_000)
        other.wait_for_function(READY, timeout=60_000)
        assert _legal_tile(other) == "0.0%"
        page.reload()  # and through nginx, whichever process it sticks to
        page.get_by_text("推进最滞后的措施及牵头单位").first.wait_for(timeout=60_000)
        page.wait_for_function(READY, timeout=60_000)
        assert _legal_tile(page) == "0.0%"
        screenshot(other, "instance_two_after_upload")
        for w in (watch, other_watch, clerk_watch):
            assert not w.errors and w.foreign == [], (w.errors, w.foreign)
    # both processes served: each answered its own health check while nginx balanced the front
    access = (tmp_path / "access.log").read_text(encoding="utf-8")
    assert "GET / HTTP/1.1\" 200" in access and "/_stcore/stream" in access


def test_nginx_redirects_plain_http_to_tls(tmp_path):
    """The shipped config sends http:// visitors to https:// (certificates are the city's)."""
    command, _ = _nginx(tmp_path, "127.0.0.1:1", "127.0.0.1:2")
    site = (tmp_path / "site.conf").read_text(encoding="utf-8")
    plain = int(site.split("listen 127.0.0.1:")[1].split(";")[0])
    proxy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                opener = urllib.request.build_opener(NoRedirect)
                opener.open(f"http://127.0.0.1:{plain}/map", timeout=2)
            except urllib.error.HTTPError as redirect:
                assert redirect.code == 301
                assert redirect.headers["Location"] == "https://127.0.0.1/map"
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("nginx 未在 20 秒内启动")
    finally:
        proxy.terminate()


