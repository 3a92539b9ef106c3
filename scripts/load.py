"""Load test (a measurement, not a test): sessions ramping 5 → 10 → 20 against one or two app processes.

    .venv/bin/python scripts/load.py [--db URL] [--instances 1|2] [--stages 5,10,20] [--clients protocol|browser]
                                     [--json OUT]

Each session is its own Streamlit session and opens 总览, then 示范点地图 and 目标进度, one after the other.
Sessions of a stage start together, as before a city-wide meeting; with two instances they alternate between
them (what nginx's sticky balancing does). Per stage: the P50/P95 page time, the errors (error boxes, page
errors, timeouts), and each app process's resident memory before and after (growth).

Two kinds of client:

* ``--clients protocol`` (default): each session speaks Streamlit's own websocket protocol (the protobuf
  messages the browser sends and receives) with a signed-in session cookie, asks for a page as the browser
  does on navigation, and times until the server has sent the whole page (``script_finished``) — so 20
  sessions cost this machine almost nothing beyond the app itself, as when the browsers are the users' own
  PCs. Alongside them one real chromium session (the probe) opens the same pages and is timed to a fully
  drawn page, showing what a user sees under that load (drawing included: the map's WebGL is software here).
* ``--clients browser``: every session is its own chromium context, timed to a fully drawn page (no running
  indicator, no skeleton left). On a 2-core machine the 20 browsers themselves take most of the CPU.

Budget (issue 10): 20 sessions on one instance P95 ≤ 5 s, zero errors, memory growth ≤ 150 MB.
Default store: a copy of the city-scale demo store of ``scripts/bench_pages.py`` (``var/bench/city.db``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))
USER = "load_leader"  # every session signs in as this 领导 account through the sign-in page (not timed)
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
READY = "() => !document.querySelector('[data-testid=\"stStatusWidget\"], [data-testid=\"stSkeleton\"]')"
VISITS = [("", "推进最滞后的措施及牵头单位"), ("map", "尚无示范点的乡镇"), ("targets", "完成下一节点还需")]


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start(url: str, log: Path) -> tuple[subprocess.Popen, str]:
    port = _port()
    proc = subprocess.Popen([sys.executable, "-m", "dashboard.server", "--server.port", str(port)], cwd=ROOT,
                            env={**os.environ, "QINGLIAN_DB_URL": url}, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2):
                return proc, base
        except OSError:
            time.sleep(0.3)
    raise SystemExit("看板进程未能启动 / the app did not start")


async def session(browser, base: str) -> tuple[list[float], list[str]]:
    context = await browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    times = []
    try:
        from tests.apptest import PASSWORD

        await page.goto(f"{base}/signin")
        await page.fill("#username", USER)
        await page.fill("#password", PASSWORD)
        await page.click("button[type=submit]")
        await page.get_by_text("当前用户").first.wait_for(timeout=120_000)
        for path, text in VISITS:
            start_at = time.monotonic()
            try:
                await page.goto(f"{base}/{path}")
                await page.get_by_text(text).first.wait_for(timeout=60_000)
                await page.wait_for_function(READY, timeout=60_000)
            except Exception as exc:  # a timeout is an error of the run, counted, not raised
                errors.append(f"{path or '总览'}:{exc.__class__.__name__}")
                continue
            times.append(time.monotonic() - start_at)
            if await page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').count():
                errors.append(f"{path or '总览'}:页面出现错误提示")
    finally:
        await context.close()
    return times, errors


async def protocol_session(base: str, cookie: str) -> tuple[list[float], list[str]]:
    """One session over Streamlit's websocket protocol: for each page, the time from asking for it to the
    server's ``script_finished``, after checking the page's closing text arrived and no error box did."""
    from streamlit.proto.Alert_pb2 import Alert
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.asyncio.client import connect

    from dashboard.sessions import COOKIE

    errors: list[str] = []
    times = []
    headers = {"Cookie": f"{COOKIE}={cookie}", "Origin": base}
    async with connect(base.replace("http", "ws", 1) + "/_stcore/stream", subprotocols=["streamlit"],
                       additional_headers=headers, max_size=None, open_timeout=60) as ws:
        for path, text in VISITS:
            name = path or "总览"
            ask = BackMsg()
            ask.rerun_script.page_name = path
            ask.rerun_script.query_string = ""
            start_at = time.monotonic()
            await ws.send(ask.SerializeToString())
            seen, failed = False, False
            try:
                async with asyncio.timeout(60):
                    while True:
                        raw = await ws.recv()
                        msg = ForwardMsg()
                        msg.ParseFromString(raw)
                        kind = msg.WhichOneof("type")
                        if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                            element = msg.delta.new_element
                            which = element.WhichOneof("type")
                            failed |= which == "exception" or (which == "alert" and element.alert.format == Alert.ERROR)
                            seen |= text.encode() in raw
                        elif kind == "page_not_found":
                            failed = True
                        elif kind == "script_finished" and msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                            break
            except TimeoutError:
                errors.append(f"{name}:TimeoutError")
                continue
            times.append(time.monotonic() - start_at)
            if failed or not seen:
                errors.append(f"{name}:页面出现错误提示" if failed else f"{name}:未见“{text}”")
    return times, errors


def _summary(results: list[tuple[list[float], list[str]]]) -> dict:
    times = sorted(t for ts, _ in results for t in ts)
    p95 = times[max(0, int(round(0.95 * len(times))) - 1)] if times else None
    return {"pages": len(times), "p50_s": round(statistics.median(times), 2) if times else None,
            "p95_s": round(p95, 2) if p95 is not None else None, "max_s": round(times[-1], 2) if times else None,
            "errors": [e for _, es in results for e in es]}


async def stage(bases: list[str], sessions: int, cookies: list[str] | None = None) -> dict:
    """``sessions`` sessions started together; with ``cookies`` (protocol clients, one signed-in session each)
    plus one chromium probe whose figures are reported apart."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            if cookies is None:
                results = await asyncio.gather(*(session(browser, bases[i % len(bases)]) for i in range(sessions)))
                return {"sessions": sessions, **_summary(results)}
            results = await asyncio.gather(session(browser, bases[0]),
                                           *(protocol_session(bases[i % len(bases)], cookies[i]) for i in range(sessions)))
        finally:
            await browser.close()
    return {"sessions": sessions, **_summary(results[1:]), "probe": _summary(results[:1])}


def main() -> None:
    parser = argparse.ArgumentParser(description="看板负载测试 / load test")
    parser.add_argument("--db", help="store URL (default: a copy of var/bench/city.db)")
    parser.add_argument("--instances", type=int, choices=(1, 2), default=1)
    parser.add_argument("--stages", default="5,10,20")
    parser.add_argument("--clients", choices=("protocol", "browser"), default="protocol")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="qinglian-load-"))
    url = args.db
    if url is None:
        from bench_pages import ensure_store

        source, _ = ensure_store("city")
        shutil.copy(source.removeprefix("sqlite:///"), tmp / "load.db")
        url = f"sqlite:///{tmp / 'load.db'}"
    from tests.apptest import account  # also sets a cookie secret the servers inherit

    leader = account("leader", username=USER, url=url)
    cookies = None
    if args.clients == "protocol":  # one signed-in session per client, made as the sign-in page makes them
        from dashboard import sessions
        from dashboard.store import make_engine

        engine = make_engine(url)
        cookies = [sessions.open_session(engine, leader) for _ in range(max(int(x) for x in args.stages.split(",")))]
        engine.dispose()
    servers = [start(url, tmp / f"server{i}.log") for i in range(args.instances)]
    try:
        bases = [base for _, base in servers]
        for base in bases:  # warm every process's caches once, as a morning's first visitor does
            asyncio.run(stage([base], 1))
        memory_start = [_rss_mb(proc.pid) for proc, _ in servers]
        report = {"instances": args.instances, "clients": args.clients, "store": url, "rss_after_warm_mb": [round(m) for m in memory_start],
                  "stages": []}
        for n in (int(x) for x in args.stages.split(",")):
            before = [_rss_mb(proc.pid) for proc, _ in servers]
            cpu_before, wall = [_cpu_s(proc.pid) for proc, _ in servers], time.monotonic()
            result = asyncio.run(stage(bases, n, cookies))
            after = [_rss_mb(proc.pid) for proc, _ in servers]
            # how much of the stage the app processes themselves were busy: the rest is the browsers (same cores)
            result["wall_s"] = round(time.monotonic() - wall, 1)
            result["server_cpu_s"] = [round(_cpu_s(proc.pid) - c, 1) for (proc, _), c in zip(servers, cpu_before)]
            result["rss_mb"] = [round(a) for a in after]
            result["growth_mb"] = [round(a - b) for a, b in zip(after, before)]
            result["growth_since_warm_mb"] = [round(a - m) for a, m in zip(after, memory_start)]
            report["stages"].append(result)
            print(f"{args.instances} 个进程 · {n:>2} 个会话:页面 {result['pages']},P50 {result['p50_s']} s,"
                  f"P95 {result['p95_s']} s,最慢 {result['max_s']} s,错误 {len(result['errors'])},"
                  f"用时 {result['wall_s']} s(看板进程 CPU {result['server_cpu_s']} s),"
                  f"内存 {result['rss_mb']} MB(本阶段增长 {result['growth_mb']} MB,较预热后 {result['growth_since_warm_mb']} MB)"
                  + (f";浏览器探针 P50 {result['probe']['p50_s']} s,最慢 {result['probe']['max_s']} s,"
                     f"错误 {len(result['probe']['errors'])}" if "probe" in result else ""), flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    finally:
        for proc, _ in servers:
            proc.terminate()
            proc.wait(timeout=20)


if __name__ == "__main__":
    main()
