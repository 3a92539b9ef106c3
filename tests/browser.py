"""Helpers for browser tests: a real Streamlit server and Debian chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
SCREENSHOTS = ROOT / "var" / "screenshots"


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not Path(CHROMIUM).exists():
        return "未安装 Debian chromium(apt-get install chromium fonts-noto-cjk)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "未安装 playwright Python 包"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """A urllib handler that leaves redirects unfollowed, so a test sees the 30x itself."""

    def redirect_request(self, *args, **kwargs):
        return None


class ProxyTrap:
    """A local 'proxy' that records every outbound HTTP(S) attempt of the server process."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.requests: list[str] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    self.requests.append(conn.recv(200).split(b"\r\n")[0].decode(errors="replace"))
                except OSError:
                    self.requests.append("(连接)")

    def env(self) -> dict[str, str]:
        return {key: self.url for key in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")} | {
            "NO_PROXY": "", "no_proxy": ""}


class Base(str):
    """A running server's base URL (``http://127.0.0.1:port``) that also knows its store's URL."""

    db_url: str


@contextmanager
def streamlit_server(db_url: str, trap: ProxyTrap | None = None, log_path: Path | None = None):
    """Run the app (behind its sign-in gate) on a free port against ``db_url``; yields its base URL (a
    :class:`Base`, which :func:`new_page` signs in against).

    With ``trap``, the server's proxy settings point at it, so any outbound request is recorded. The server's
    output goes to ``log_path`` (default: next to a SQLite store).
    """
    port = free_port()
    env = {**os.environ, "QINGLIAN_DB_URL": db_url, **(trap.env() if trap else {})}
    log = open(log_path or Path(urlparse(db_url).path).with_suffix(".log"), "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashboard.server", "--server.port", str(port)],  # as `qinglian serve` does
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = Base(f"http://127.0.0.1:{port}")
    base.db_url = db_url
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        else:
            raise RuntimeError("Streamlit 服务未能在 60 秒内启动")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


class PageWatch:
    """Records requests to foreign hosts, page errors and console errors of one browser page."""

    def __init__(self, page, base: str):
        self.host = urlparse(base).netloc
        self.foreign: list[str] = []
        self.errors: list[str] = []
        page.on("request", self._request)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _request(self, request) -> None:
        url = urlparse(request.url)
        if url.scheme in ("data", "blob", "about"):
            return
        if url.netloc != self.host:
            self.foreign.append(request.url)


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def copy_store(src: Path, dest_dir: Path) -> str:
    dest = dest_dir / "browser.db"
    shutil.copy(src, dest)
    return f"sqlite:///{dest}"


def sign_in_cookie(context, base: str, db_url: str, role: str = "admin", **scope) -> None:
    """Give the browser ``context`` a signed-in session of an account of ``role`` (made in the store if missing),
    as the sign-in page would; tests of the sign-in page itself fill in its form instead."""
    from dashboard import sessions
    from dashboard.store import make_engine
    from tests.apptest import account

    who = account(role, url=db_url, **scope)
    engine = make_engine(db_url)
    try:
        cookie = sessions.open_session(engine, who)
    finally:
        engine.dispose()
    context.add_cookies([{"name": sessions.COOKIE, "value": cookie, "url": base}])


def new_page(browser, base: Base, role: str | None = "admin", **scope):
    """A 1920×1080 Chinese-locale page in a fresh browser context, signed in to ``base`` as ``role`` (None: not
    signed in); closing it closes its context."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    if role is not None:
        sign_in_cookie(context, base, base.db_url, role, **scope)
    page = context.new_page()
    page.on("close", lambda _: context.close())
    return page


def sign_in_form(page, base: str, username: str, password: str) -> None:
    """Sign in through the sign-in page, as a person does."""
    page.goto(f"{base}/signin")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")


@contextmanager
def chromium_page(db_url: str, path: str, role: str | None = "admin", **scope):
    """A real server on ``db_url`` and a 1920×1080 Chinese-locale chromium page, signed in as ``role`` (None:
    not signed in), opened at ``path``; yields (page, watch, trap) — the page's foreign requests and errors,
    the server's outbound attempts."""
    from playwright.sync_api import sync_playwright

    trap = ProxyTrap()
    with streamlit_server(db_url, trap) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
        if role is not None:
            sign_in_cookie(context, base, db_url, role, **scope)
        page = context.new_page()
        watch = PageWatch(page, base)
        page.goto(f"{base}{path}")
        try:
            yield page, watch, trap
        finally:
            browser.close()


def assert_clean(watch: PageWatch, trap: ProxyTrap) -> None:
    """No page error, no request from the page to a foreign host, nothing outbound from the server."""
    assert not watch.errors
    assert watch.foreign == [], f"向外部主机发出了请求:{watch.foreign}"
    assert trap.requests == []


# the reports' uploader (a 管理员's upload page also holds the boundary files' one, in its own tab)
REPORT_DROPZONE = '[data-testid=stFileUploaderDropzone][aria-label^="上传填好的表格"]'
REPORT_INPUT = f"{REPORT_DROPZONE} input[type=file]"


def one_uploader(page) -> None:
    """Wait until the rerun after a choice has finished and left one reports' file input (choosing a county turns
    the several-files uploader into a one-file one; until the rerun ends the page holds both)."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        f" && document.querySelectorAll('{REPORT_INPUT}').length === 1", timeout=60_000)
