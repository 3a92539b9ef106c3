"""Two app processes on one PostgreSQL behind nginx (Debian), with the shipped site config (deploy/), TLS and
sticky sessions: the dashboard works through nginx with its security headers, and an upload made through one
process shows on the other at its next rerun (the caches are keyed by the store's data version)."""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path

import pytest

from dashboard import months
from tests.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PageWatch,
    browser_missing,
    free_port,
    one_uploader,
    screenshot,
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


def _open(browser, url: str, ready: str):
    page = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN",
                               ignore_https_errors=True).new_page()
    watch = PageWatch(page, url)
    response = page.goto(url)
    page.get_by_text(ready).first.wait_for(timeout=60_000)
    page.wait_for_function(READY, timeout=60_000)
    return page, watch, response


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

        # through nginx: TLS, the security headers, the websocket (the page draws), a figure from the store
        page, watch, response = _open(browser, f"{front}/", "推进最滞后的措施及牵头单位")
        headers = response.headers
        assert headers["x-frame-options"] == "SAMEORIGIN"
        assert headers["content-security-policy"] == "frame-ancestors 'self'"
        assert _legal_tile(page) == "100.0%"
        screenshot(page, "nginx_overview")

        # the second process shows the same figure; then the county uploads its correction through the first
        other, other_watch, _ = _open(browser, f"{two}/", "推进最滞后的措施及牵头单位")
        assert _legal_tile(other) == "100.0%"
        clerk, clerk_watch, _ = _open(browser, f"{one}/upload", "下载村级指标月报模板")
        clerk.get_by_label("报送期").first.click()  # the upload's: this month (it offers last month first)
        clerk.get_by_role("option", name=months.label(PERIOD), exact=True).click()
        clerk.wait_for_function(READY, timeout=60_000)
        clerk.get_by_label("所属县(市、区)").click()
        clerk.get_by_role("option", name=COUNTY).click()
        clerk.get_by_label("填报人").fill("王芳")
        clerk.get_by_label("填报人").press("Enter")
        one_uploader(clerk)
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


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
