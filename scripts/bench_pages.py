"""Benchmark of every dashboard page at province scale (BRIEF §4) — a measurement, not a test.

    .venv/bin/python scripts/bench_pages.py [--db URL] [--scale province|city] [--repeat 5] [--json OUT]
                                            [--profile auto|all|none] [--no-browser] [--pages overview,map]

Set-up (timed, reported, not part of the budget): unless ``--db`` is given, a demo store of ``--scale``
is seeded once with ``qinglian demo`` into ``var/bench/<scale>.db`` (province: ~15,000 villages × 36
months ≈ 540k village reports) and reused while its ``.json`` receipt says it is complete. Pending
migrations are applied before anything is timed, so no page pays for them.

For every page registered in ``router.py`` (read from the file, so new pages are included), in a
FRESH subprocess (empty caches, nothing of the dashboard imported yet, as a server just started):

* cold — ``AppTest.from_file(router.py)`` signed in as 管理员; ``switch_page(page)``; the first ``run()`` (router +
  page, imports of the data stack, the engine, every cached query);
* warm — the median of ``--repeat`` further ``run()`` calls (every cache hit);
* after a data change — ``st.cache_data.clear()`` and the shared target inputs dropped, then one ``run()``
  (modules and engine kept, every cached query misses: what the first visitor after an upload waits for).
  Reported, not budgeted;
* memory — the subprocess' peak RSS (``ru_maxrss``) after those runs, and its RSS before the first run.

Times are server-side: AppTest runs the script in-process without a websocket. Each time is given as
the ``run()`` wall time (the budget figure) and as the script thread's own time (without AppTest's
element-tree parsing). A page whose run raised or showed ``st.error`` is reported as failing.

Optionally (default when Debian chromium and Playwright are present): one real server
(``python -m dashboard.server``) against the same store; chromium opens every page in turn, twice; the
server's VmHWM at the end is one app process's peak memory with every page visited.

With ``--profile auto`` (default) every page over its time budget is re-run in another fresh process
under cProfile (the script thread, cold and warm run separately); the top cumulative functions go to
``var/bench/profile_<page>_<cold|warm>.txt`` (and ``.prof`` for snakeviz / pstats).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "router.py"  # the pages behind the sign-in gate; each visit signs in as 管理员 first
BENCH_DIR = ROOT / "var" / "bench"
BUDGET = {"cold_s": 3.0, "warm_s": 0.5, "peak_mb": 600.0}
SCALES = ("province", "city")
WORKER_TIMEOUT_S = 900
VISIT_TIMEOUT_S = 120


# --- the pages ------------------------------------------------------------------------------------

def signed_in(at) -> None:
    """Sign the AppTest in as 管理员 (the pages are behind the sign-in gate), as the page tests do."""
    sys.path.insert(0, str(ROOT))
    from tests.apptest import sign_in

    sign_in(at)


def registered_pages(app: Path = APP) -> list[dict]:
    """``[{"path": "pages/x.py", "title": ...}]`` for every page of the router's ``PAGES`` list
    (``(script, title, icon)`` tuples), in order."""
    for node in ast.walk(ast.parse(app.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "PAGES" for t in node.targets):
            return [{"path": item.elts[0].value, "title": item.elts[1].value, "line": item.lineno}
                    for item in node.value.elts]
    raise ValueError(f"{app} 中没有 PAGES 页面列表")


# --- the store ------------------------------------------------------------------------------------

def _sqlite_path(url: str) -> Path | None:
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None


def _run_measured(cmd: list[str], env: dict, log: Path) -> tuple[int, float, float]:
    """Run ``cmd``; (returncode, wall seconds, peak RSS MB of that child alone)."""
    t0 = time.perf_counter()
    with log.open("wb") as fh:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, time.perf_counter() - t0, usage.ru_maxrss / 1024


def ensure_store(scale: str) -> tuple[str, dict]:
    """URL of the cached demo store of ``scale``, seeding it first when missing or incomplete."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    db, receipt = BENCH_DIR / f"{scale}.db", BENCH_DIR / f"{scale}.json"
    if db.exists() and receipt.exists():
        info = json.loads(receipt.read_text(encoding="utf-8"))
        if info.get("complete") and info.get("scale") == scale:
            return f"sqlite:///{db}", {**info, "reused": True}
    partial = BENCH_DIR / f"{scale}.partial.db"
    for path in (db, receipt, *BENCH_DIR.glob(f"{scale}.partial.db*")):
        path.unlink(missing_ok=True)
    env = {**os.environ, "QINGLIAN_DB_URL": f"sqlite:///{partial}"}
    cli = [str(Path(sys.executable).with_name("qinglian"))]
    if not Path(cli[0]).exists():
        cli = [sys.executable, "-m", "dashboard.cli"]
    print(f"构建 {scale} 规模演示库 / seeding the {scale} demo store: {db} …", flush=True)
    code, seconds, peak = _run_measured([*cli, "demo", "--scale", scale], env, BENCH_DIR / f"{scale}.seed.log")
    output = (BENCH_DIR / f"{scale}.seed.log").read_text(encoding="utf-8", errors="replace")
    if code:
        raise SystemExit(f"演示库构建失败 / seeding failed ({code}):\n{output[-3000:]}")
    import sqlite3

    with sqlite3.connect(partial) as conn:  # fold the WAL in, so the file alone is the store
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        counts = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                  for t in ("regions", "uploads", "village_reports", "demo_sites", "measure_reports")}
        conn.execute("PRAGMA journal_mode=DELETE")
    partial.replace(db)
    for path in BENCH_DIR.glob(f"{scale}.partial.db*"):
        path.unlink()
    info = {"complete": True, "scale": scale, "seed_seconds": round(seconds, 2), "seed_peak_mb": round(peak, 1),
            "counts": counts, "bytes": db.stat().st_size, "cli_output": output.strip()[-500:],
            "built_at": time.strftime("%Y-%m-%d %H:%M:%S")}
    receipt.write_text(json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8")
    return f"sqlite:///{db}", {**info, "reused": False}


def upgrade_store(url: str) -> dict:
    """Apply pending migrations (untimed for the pages); the store's size in rows for the report."""
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import text

    from dashboard.store import current_revision, make_engine, upgrade

    engine = make_engine(url)
    before = current_revision(engine)
    t0 = time.perf_counter()
    after = upgrade(engine)
    seconds = time.perf_counter() - t0
    with engine.connect() as conn:
        counts = {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar()
                  for t in ("regions", "uploads", "village_reports")}
        villages = conn.execute(text("SELECT COUNT(*) FROM regions WHERE level = 'village'")).scalar()
        months = conn.execute(text("SELECT COUNT(DISTINCT period) FROM uploads WHERE active")).scalar()
    engine.dispose()
    return {"revision_before": before, "revision": after, "upgraded": before != after,
            "upgrade_seconds": round(seconds, 2), "counts": counts, "villages": villages, "months": months}


# --- one page in a fresh process ------------------------------------------------------------------

def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class ScriptClock:
    """Times (and optionally profiles) the script thread of each AppTest run."""

    def __init__(self):
        self.seconds: list[float] = []
        self.cpu_seconds: list[float] = []
        self.profile = None

    def install(self) -> None:
        from streamlit.testing.v1.local_script_runner import LocalScriptRunner

        original = LocalScriptRunner._run_script_thread
        clock = self

        def timed(runner):
            profile = clock.profile
            t0, c0 = time.perf_counter(), time.thread_time()
            if profile is not None:
                profile.enable()
            try:
                original(runner)
            finally:
                if profile is not None:
                    profile.disable()
                clock.seconds.append(time.perf_counter() - t0)
                clock.cpu_seconds.append(time.thread_time() - c0)

        LocalScriptRunner._run_script_thread = timed


def _problems(at) -> list[str]:
    out = [f"exception: {e.message or e.value}" for e in at.exception]
    out += [f"st.error: {e.value}" for e in at.error]
    return out


def preimport() -> list[str]:
    """Import every module of the app's own packages (what a server could do before its first visitor)."""
    import importlib
    import pkgutil

    sys.path.insert(0, str(ROOT))
    names = []
    for package in ("dashboard", "loaders"):
        pkg = importlib.import_module(package)
        for info in pkgutil.iter_modules(pkg.__path__, f"{package}."):
            if info.name not in ("dashboard.server", "dashboard.cli"):
                importlib.import_module(info.name)
                names.append(info.name)
    return names


def browse_months(at, run, count: int) -> list[dict]:
    """Pick ``count`` earlier months in the sidebar "数据截至" box, one run each (a user looking back)."""
    boxes = [b for b in at.selectbox if b.label == "数据截至"]
    if not boxes or count <= 0:
        return []
    out = []
    for month in list(boxes[0].options)[1:count + 1]:
        [b for b in at.selectbox if b.label == "数据截至"][0].set_value(month)
        wall, _, cpu = run("month")
        out.append({"month": month, "s": wall, "cpu_s": cpu, "rss_mb": _rss_mb(), "problems": _problems(at)})
    return out


class Breakdown:
    """Inclusive wall and CPU seconds per function of the app's own modules (cheap: no profiler).

    Every plain function defined in ``dashboard.*`` (except ``ui``, whose cached functions must stay
    Streamlit objects) is wrapped, and every module namespace that imported it gets the wrapper too.
    Nested calls are counted in their callers as well (like cProfile's cumulative time).
    """

    SKIP = ("dashboard.ui", "dashboard.server", "dashboard.cli", "dashboard.models")

    def __init__(self):
        self.calls: dict[str, list[float]] = {}

    def install(self) -> None:
        import inspect

        modules = [m for name, m in list(sys.modules.items()) if name.startswith("dashboard.") and m]
        wrapped = {}
        for module in modules:
            if module.__name__ in self.SKIP:
                continue
            for name, fn in vars(module).items():
                if inspect.isfunction(fn) and fn.__module__ == module.__name__ and not name.startswith("__"):
                    wrapped[fn] = self._wrap(fn, f"{module.__name__.removeprefix('dashboard.')}.{name}")
        for module in modules:
            for name, fn in list(vars(module).items()):
                if inspect.isfunction(fn) and fn in wrapped:
                    setattr(module, name, wrapped[fn])

    def _wrap(self, fn, label: str):
        import functools

        @functools.wraps(fn)
        def timed(*args, **kwargs):
            t0, c0 = time.perf_counter(), time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                entry = self.calls.setdefault(label, [0, 0.0, 0.0])
                entry[0] += 1
                entry[1] += time.perf_counter() - t0
                entry[2] += time.thread_time() - c0
        return timed

    def take(self, top: int = 15) -> list[dict]:
        """The heaviest functions since the last take (inclusive seconds), then reset."""
        rows = sorted(self.calls.items(), key=lambda kv: -kv[1][1])[:top]
        self.calls = {}
        return [{"fn": k, "calls": v[0], "s": round(v[1], 4), "cpu_s": round(v[2], 4)} for k, v in rows if v[1] >= 0.005]


def worker(page: str, url: str, repeat: int, profile_dir: Path | None, preload: bool = False,
           months: int = 0) -> dict:
    """Measure one page in this (fresh) process; returns the figures as a dict.

    ``preload``: import the app's modules first (untimed), so cold is caches + queries + drawing only.
    """
    import logging

    os.environ["QINGLIAN_DB_URL"] = url
    logged: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            logged.append(f"{record.name}: {record.getMessage()}"
                          + (f" ({record.exc_info[1]!r})" if record.exc_info else ""))

    handler = Collect(logging.ERROR)
    logging.getLogger().addHandler(handler)
    logging.getLogger("qinglian").addHandler(handler)

    from streamlit.testing.v1 import AppTest

    clock = ScriptClock()
    clock.install()
    preload_s, breakdown, spent = None, None, {}
    if preload:
        t0 = time.perf_counter()
        preimport()
        preload_s = time.perf_counter() - t0
        breakdown = Breakdown()
        breakdown.install()
    rss_before = _rss_mb()
    at = AppTest.from_file(str(APP), default_timeout=WORKER_TIMEOUT_S)
    signed_in(at)
    at.switch_page(page)

    def run(label: str) -> tuple[float, float, float]:
        if profile_dir is not None:
            import cProfile

            clock.profile = cProfile.Profile()
        n = len(clock.seconds)
        t0 = time.perf_counter()
        at.run()
        wall = time.perf_counter() - t0
        if profile_dir is not None:
            _dump_profile(clock.profile, profile_dir, page, label)
            clock.profile = None
        if breakdown is not None:
            spent.setdefault(label, breakdown.take())
        return wall, sum(clock.seconds[n:]), sum(clock.cpu_seconds[n:])

    load_start = os.getloadavg()[0]
    cold, cold_script, cold_cpu = run("cold")
    problems = _problems(at)
    shown = _page_shown(at)
    warm_runs, warm_script, warm_cpu = [], [], []
    for i in range(repeat):
        wall, script, cpu = run("warm" if i == repeat - 1 else f"warm{i}")
        warm_runs.append(wall)
        warm_script.append(script)
        warm_cpu.append(cpu)
        problems += [p for p in _problems(at) if p not in problems]
    import streamlit as st

    from dashboard import ui

    st.cache_data.clear()
    ui.target_inputs.clear()  # per data version, like the cached data (the engine stays)
    changed, changed_script, changed_cpu = run("data_changed")
    problems += [p for p in _problems(at) if p not in problems]
    peak_before_browse = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    browsed = browse_months(at, run, months)
    for b in browsed:
        problems += [p for p in b.pop("problems") if p not in problems]
    problems += [f"log: {m}" for m in logged if f"log: {m}" not in problems]
    return {
        "page": page, "shown": shown, "ok": not problems, "problems": problems, "preload_s": preload_s,
        "breakdown": spent or None,
        "cold_s": cold, "cold_script_s": cold_script, "cold_cpu_s": cold_cpu,
        "warm_s": statistics.median(warm_runs), "warm_script_s": statistics.median(warm_script),
        "warm_cpu_s": statistics.median(warm_cpu), "warm_runs": warm_runs,
        "after_data_change_s": changed, "after_data_change_script_s": changed_script,
        "after_data_change_cpu_s": changed_cpu, "loadavg_1min": [load_start, os.getloadavg()[0]],
        "rss_before_mb": rss_before, "rss_end_mb": _rss_mb(),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_before_months_mb": peak_before_browse, "months_browsed": browsed,
        "month_switch_s": statistics.median([b["s"] for b in browsed]) if browsed else None,
        "elements": _element_counts(at),
    }


def soak(pages: list[str], url: str, months: int) -> dict:
    """One process (as one server): every page, then ``months`` earlier months on each; RSS along the way."""
    os.environ["QINGLIAN_DB_URL"] = url
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=WORKER_TIMEOUT_S)
    signed_in(at)
    trail, problems = [], []
    t0 = time.perf_counter()
    for page in pages:
        at.switch_page(page).run()
        problems += _problems(at)
        trail.append({"page": page, "month": None, "rss_mb": round(_rss_mb(), 1)})
        boxes = [b for b in at.selectbox if b.label == "数据截至"]
        for month in (list(boxes[0].options)[1:months + 1] if boxes else []):
            [b for b in at.selectbox if b.label == "数据截至"][0].set_value(month)
            at.run()
            problems += _problems(at)
        if boxes:
            trail.append({"page": page, "month": f"{months} months", "rss_mb": round(_rss_mb(), 1)})
    return {"pages": pages, "months": months, "trail": trail, "problems": problems,
            "seconds": round(time.perf_counter() - t0, 1),
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "end_mb": _rss_mb()}


def _page_shown(at) -> str | None:
    """The title the run showed (proof the requested page ran, not the default one)."""
    titles = [t.value for t in at.title]
    return titles[0] if titles else None


def _element_counts(at) -> dict[str, int]:
    kinds = ("metric", "dataframe", "table", "markdown", "caption", "selectbox", "error", "warning", "info")
    counts = {k: len(getattr(at, k)) for k in kinds}
    counts["vega_lite_chart"] = len(at.get("vega_lite_chart"))
    counts["deck_gl_json_chart"] = len(at.get("deck_gl_json_chart"))
    return {k: v for k, v in counts.items() if v}


def _slug(page: str) -> str:
    return Path(page).stem


def _dump_profile(profile, out_dir: Path, page: str, label: str, top: int = 45) -> None:
    import io
    import pstats

    if label.startswith("warm") and label != "warm":
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    base = out_dir / f"profile_{_slug(page)}_{label}"
    profile.dump_stats(str(base.with_suffix(".prof")))
    buf = io.StringIO()
    stats = pstats.Stats(profile, stream=buf).strip_dirs().sort_stats("cumulative")
    stats.print_stats(top)
    buf.write("\n--- by own time (tottime) ---\n")
    stats.sort_stats("tottime").print_stats(25)
    base.with_suffix(".txt").write_text(buf.getvalue(), encoding="utf-8")


# A fixed piece of pandas and plain-Python work, timed in its own process (imports not counted): the pages' times
# divided by it compare across machines and across runs of a noisy one.
BASELINE_CODE = """
import json, time
import numpy as np, pandas as pd
t = time.perf_counter()
rng = np.random.default_rng(7)
frame = pd.DataFrame({"county": rng.integers(0, 3150, 120_000).astype(str), "month": rng.integers(0, 36, 120_000),
                      "n": rng.integers(0, 50, 120_000)})
for _ in range(6):
    sums = frame.groupby(["county", "month"])["n"].sum().reset_index()
    joined = sums.merge(frame.drop_duplicates(["county"]), on="county")
    ordered = sorted(str(x) for x in joined["n_x"].tolist())
total = sum(i * i for i in range(6_000_000))
print(json.dumps({"s": time.perf_counter() - t}))
"""


def machine_baseline(runs: int = 3) -> float:
    """Median seconds of :data:`BASELINE_CODE` over ``runs`` fresh processes."""
    times = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", BASELINE_CODE], capture_output=True, text=True, check=True)
        times.append(json.loads(out.stdout)["s"])
    return statistics.median(times)


def _travel(now: str | None):
    """Within it, the clock reads ``now`` (``--now``, ticking on from there), else the real time."""
    import contextlib

    if not now:
        return contextlib.nullcontext()
    import time_machine

    from dashboard import months

    return time_machine.travel(datetime.fromisoformat(now).replace(tzinfo=months.zone()), tick=True)


def measure_page(page: str, url: str, repeat: int, profile_dir: Path | None = None, preload: bool = False,
                 months: int = 0, now: str | None = None) -> dict:
    """Run :func:`worker` in a fresh interpreter; a crash is reported as a failing page."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--_worker", page, "--db", url,
               "--repeat", str(repeat), "--_out", str(out), "--months", str(months)]
        if profile_dir is not None:
            cmd += ["--_profile-dir", str(profile_dir)]
        if preload:
            cmd += ["--_preload"]
        if now:
            cmd += ["--now", now]
        env = {**os.environ, "QINGLIAN_DB_URL": url, "PYTHONPATH": str(ROOT)}
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, timeout=WORKER_TIMEOUT_S * 2)
        except subprocess.TimeoutExpired:
            return {"page": page, "ok": False, "problems": ["worker timed out"]}
        if proc.returncode or not out.exists():
            tail = (proc.stderr or proc.stdout).decode(errors="replace")[-2000:]
            return {"page": page, "ok": False, "problems": [f"worker exit {proc.returncode}: {tail}"]}
        result = json.loads(out.read_text(encoding="utf-8"))
        result["process_s"] = time.perf_counter() - t0
        return result


# --- one real server, every page in chromium ------------------------------------------------------

def _proc_status(pid: int) -> dict[str, float]:
    out = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                out[key] = int(value.split()[0]) / 1024
    return out


def _proc_cpu_s(pid: int) -> float:
    """user + system CPU seconds of process ``pid`` so far (all its threads)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def browser_missing() -> str | None:
    if not Path("/usr/bin/chromium").exists():
        return "没有 /usr/bin/chromium"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "没有 playwright"
    return None


def _wait_rendered(page, timeout_s: float = 300) -> float:
    """perf_counter when this visit's script run finished (confirmed: no rerun follows within 0.5 s)."""
    done = '[data-testid="stApp"][data-test-script-state="notRunning"]'
    deadline = time.time() + timeout_s
    while True:
        page.wait_for_selector(done, timeout=max(1.0, deadline - time.time()) * 1000)
        finished = time.perf_counter()
        time.sleep(0.5)
        if page.locator(done).count() and page.locator('[data-testid="stMain"] h1').count():
            return finished
        if time.time() > deadline:
            raise TimeoutError("页面未在时限内完成渲染")


def measure_server(url: str, pages: list[dict]) -> dict:
    """Peak memory of one server process after chromium has opened every page twice."""
    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS, free_port, sign_in_cookie

    port = free_port()
    log = BENCH_DIR / "server.log"
    env = {**os.environ, "QINGLIAN_DB_URL": url}
    with log.open("wb") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "dashboard.server", "--server.port", str(port),
                                 "--server.headless", "true"], cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    result: dict = {"visits": [], "pid": proc.pid}
    started = time.perf_counter()
    try:
        import urllib.request

        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2):
                    break
            except OSError:
                if time.time() > deadline:
                    raise RuntimeError("Streamlit 服务未能在 60 秒内启动") from None
                time.sleep(0.3)
        result["idle_mb"] = _proc_status(proc.pid)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            sign_in_cookie(context, base, url)
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            for rnd in ("cold", "warm"):
                for spec in pages:
                    slug = _slug(spec["path"])
                    t0, cpu0 = time.perf_counter(), _proc_cpu_s(proc.pid)
                    visit = {"page": spec["path"], "round": rnd, "loadavg_1min": os.getloadavg()[0],
                             "at_s": round(t0 - started, 1)}
                    try:
                        page.goto(f"{base}/{slug}", wait_until="domcontentloaded")
                        visit["browser_s"] = round(_wait_rendered(page, VISIT_TIMEOUT_S) - t0, 3)
                        visit["errors_shown"] = page.locator(
                            '[data-testid="stException"], [data-testid="stAlertContentError"]').count()
                    except Exception as exc:  # noqa: BLE001 — one slow page must not hide the others
                        visit["error"] = f"{exc.__class__.__name__}: {str(exc)[:200]}"
                    visit["server_cpu_s"] = round(_proc_cpu_s(proc.pid) - cpu0, 3)
                    result["visits"].append({**visit, **_proc_status(proc.pid)})
            result["page_errors"] = errors
            browser.close()
        result["end"] = _proc_status(proc.pid)
        result["seconds"] = round(time.perf_counter() - started, 1)
        result["peak_mb"] = result["end"]["VmHWM"]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    return result


# --- report ---------------------------------------------------------------------------------------

def verdicts(row: dict) -> dict[str, bool]:
    if not row.get("ok"):
        return {"cold_s": False, "warm_s": False, "peak_mb": False}
    return {key: row[key] <= limit for key, limit in BUDGET.items()}


def _mark(ok: bool) -> str:
    return "达标" if ok else "未达标"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cells(values: list[str], widths: list[int]) -> str:
    """One table line; the first cell left-aligned, the rest right-aligned, CJK counted double-width."""
    out = []
    for i, (value, width) in enumerate(zip(values, widths)):
        pad = " " * max(0, width - _width(value))
        out.append(value + pad if i == 0 else pad + value)
    return "  ".join(out)


COLUMNS = ["页面 page", "冷 cold s", "(CPU)", "预载后冷 s", "热 warm s", "(CPU)", "数据更新后 s", "换月 s", "峰值 MB",
           "冷≤3s", "热≤0.5s", "内存≤600MB"]


def print_table(rows: list[dict], titles: dict[str, str]) -> None:
    lines = []
    for row in rows:
        name = f"{titles.get(row['page'], '')} {row['page']}"
        if "cold_s" not in row:
            lines.append(([name, "失败 FAILED"], row))
            continue
        v = verdicts(row)
        pre = row.get("preloaded") or {}
        lines.append(([name, f"{row['cold_s']:.2f}", f"{row['cold_cpu_s']:.2f}",
                       f"{pre['cold_s']:.2f}" if pre.get("cold_s") else "—", f"{row['warm_s']:.3f}",
                       f"{row['warm_cpu_s']:.3f}", f"{row['after_data_change_s']:.2f}",
                       f"{row['month_switch_s']:.2f}" if row.get("month_switch_s") else "—", f"{row['peak_mb']:.0f}",
                       _mark(v["cold_s"]), _mark(v["warm_s"]), _mark(v["peak_mb"])], row))
    widths = [max(_width(c) for c in col) for col in zip(COLUMNS, *[cells + [""] * (len(COLUMNS) - len(cells))
                                                                     for cells, _ in lines])]
    head = _cells(COLUMNS, widths)
    print(head)
    print("-" * _width(head))
    for cells, row in lines:
        print(_cells(cells, widths[:len(cells)]))
        if not row.get("ok"):
            print(f"    页面出错 / page FAILS: {'; '.join(row['problems'])[:400]}")
    print("冷 = 新进程中首次运行(含导入、建连接与全部查询);预载后冷 = 同样的新进程,但先(不计时)导入 dashboard/loaders 全部模块;热 = 缓存命中后重跑的中位数;(CPU) = 脚本线程 CPU 时间,"
          "不受机器上其他负载影响;数据更新后 = 清空 st.cache_data 后一次运行(仅供参考,不计预算);换月 = 在「数据截至」"
          "中依次改选较早月份时每次重跑的中位数;峰值 = 该进程 ru_maxrss(含换月)。")
    print("cold = first run in a fresh process (imports, engine, every query); preloaded cold = the same with the "
          "app's modules imported (untimed) first; warm = median rerun with caches hit; "
          "(CPU) = script-thread CPU time, insensitive to other load; after data change = one run after "
          "st.cache_data.clear() (not budgeted); month switch = median rerun after picking an earlier month in "
          "数据截至; peak = the process' ru_maxrss (months included).")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="store URL (default: the cached demo store of --scale under var/bench/)")
    parser.add_argument("--scale", choices=SCALES, default="province")
    parser.add_argument("--repeat", type=int, default=5, help="warm reruns per page (median reported)")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--pages", help="comma-separated page stems to measure (default: every registered page)")
    parser.add_argument("--profile", choices=("auto", "all", "none"), default="auto",
                        help="cProfile pages over budget (auto), every page, or none")
    parser.add_argument("--months", type=int, default=6,
                        help="after the warm runs, pick this many earlier months in 数据截至 (switch time, memory)")
    parser.add_argument("--no-browser", action="store_true", help="skip the real server + chromium measurement")
    parser.add_argument("--now", help="measure as at this local time (e.g. 2026-01-20T10:00): a month whose cut-off "
                                      "has not passed is read from the active versions, as the current month is")
    parser.add_argument("--_worker", help=argparse.SUPPRESS)
    parser.add_argument("--_out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--_profile-dir", dest="profile_dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--_preload", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--_soak", help=argparse.SUPPRESS)
    parser.add_argument("--soak-months", type=int, default=0,
                        help="memory soak: ONE process visits every page and this many earlier months on each")
    parser.add_argument("--no-preload-run", action="store_true",
                        help="skip the second cold run per page with the app's modules imported beforehand")
    args = parser.parse_args(argv)

    if args._soak:
        result = soak(args._soak.split(","), args.db, args.soak_months)
        args._out.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
        return 0
    if args._worker:
        with _travel(args.now):
            result = worker(args._worker, args.db, args.repeat, args.profile_dir, args._preload, args.months)
        args._out.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
        return 0

    setup: dict = {}
    if args.db:
        url = args.db
        setup["store"] = {"given": url}
    else:
        url, setup["store"] = ensure_store(args.scale)
        if not setup["store"]["reused"]:
            print(f"演示库已构建 / seeded in {setup['store']['seed_seconds']:.1f} s "
                  f"(peak {setup['store']['seed_peak_mb']:.0f} MB): {setup['store']['cli_output']}")
    setup["upgrade"] = upgrade_store(url)
    setup["now"] = args.now or "实际时间 / real time"
    up = setup["upgrade"]
    print(f"数据库 / store: {url}  区划 {up['counts']['regions']:,},行政村 {up['villages']:,},"
          f"上报 {up['counts']['uploads']:,},村级月报 {up['counts']['village_reports']:,} 行,{up['months']} 个月"
          + (f"(已升级迁移 {up['revision_before']} → {up['revision']})" if up["upgraded"] else ""))

    pages = registered_pages()
    if args.pages:
        wanted = set(args.pages.split(","))
        pages = [p for p in pages if _slug(p["path"]) in wanted]
    titles = {p["path"]: p["title"] for p in pages}
    baseline = [machine_baseline()]
    print(f"机器基线 / machine baseline: {baseline[0]:.2f} s", flush=True)
    rows = []
    for spec in pages:
        print(f"… {spec['title']} {spec['path']}", flush=True)
        row = measure_page(spec["path"], url, args.repeat, months=args.months, now=args.now)
        if not args.no_preload_run and "cold_s" in row:
            pre = measure_page(spec["path"], url, 1, preload=True, months=min(args.months, 1), now=args.now)
            row["preloaded"] = {k: pre.get(k) for k in ("cold_s", "cold_cpu_s", "preload_s", "ok", "problems",
                                                        "breakdown")}
        rows.append(row)
    baseline.append(machine_baseline())
    setup["baseline_s"] = {"before": round(baseline[0], 3), "after": round(baseline[1], 3)}
    base = statistics.mean(baseline)
    for row in rows:
        if "cold_s" in row:
            row["cold_x_baseline"] = round(row["cold_s"] / base, 2)
            if (row.get("preloaded") or {}).get("cold_s"):
                row["preloaded"]["cold_x_baseline"] = round(row["preloaded"]["cold_s"] / base, 2)
    print()
    print_table(rows, titles)
    print(f"机器基线(页面测量前 / 后)/ machine baseline before / after: {baseline[0]:.2f} / {baseline[1]:.2f} s;"
          "冷启动 ÷ 基线 / cold ÷ baseline(新进程 / 预载):"
          + ",".join(f"{titles.get(r['page'], r['page'])} {r['cold_x_baseline']}"
                     + (f" / {r['preloaded']['cold_x_baseline']}" if "cold_x_baseline" in (r.get("preloaded") or {}) else "")
                     for r in rows if "cold_x_baseline" in r))

    for row in rows:
        over = "cold_s" in row and not all(verdicts(row)[k] for k in ("cold_s", "warm_s"))
        spent = (row.get("preloaded") or {}).get("breakdown") or {}
        if over and spent:
            print(f"\n{row['page']}:应用自身函数耗时(含子调用,模块已预载的新进程)/ app functions, inclusive, preloaded process")
            for label in ("cold", "month"):
                for item in spent.get(label, [])[:10]:
                    print(f"  {label:<5} {item['fn']:<42}{item['calls']:>4} 次 {item['s']:>7.3f} s  (CPU {item['cpu_s']:.3f})")

    profiles = {}
    if args.profile != "none":
        prof_dir = BENCH_DIR
        for row in rows:
            over = not all(verdicts(row)[k] for k in ("cold_s", "warm_s")) and "cold_s" in row
            if args.profile == "all" or over:
                print(f"剖析 / profiling {row['page']} …", flush=True)
                measure_page(row["page"], url, 2, prof_dir, months=1, now=args.now)
                profiles[row["page"]] = {label: str(prof_dir / f"profile_{_slug(row['page'])}_{label}.txt")
                                         for label in ("cold", "warm", "data_changed", "month")
                                         if (prof_dir / f"profile_{_slug(row['page'])}_{label}.txt").exists()}
        for page, files in profiles.items():
            print(f"  {page}: {files['cold']} , {files['warm']}")

    soaked = None
    if args.soak_months > 0:
        print(f"内存浸泡 / memory soak: one process, every page × {args.soak_months} months …", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "soak.json"
            subprocess.run([sys.executable, str(Path(__file__).resolve()), "--_soak", ",".join(titles), "--db", url,
                            "--soak-months", str(args.soak_months), "--_out", str(out)],
                           cwd=ROOT, env={**os.environ, "QINGLIAN_DB_URL": url}, timeout=WORKER_TIMEOUT_S * 4)
            soaked = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {"error": "soak failed"}
        if "peak_mb" in soaked:
            print(f"  峰值 / peak {soaked['peak_mb']:.0f} MB ({_mark(soaked['peak_mb'] <= BUDGET['peak_mb'])}),"
                  f"结束时 / end {soaked['end_mb']:.0f} MB,{soaked['seconds']} s"
                  + (f";出错 / problems: {soaked['problems'][:3]}" if soaked["problems"] else ""))
            for step in soaked["trail"]:
                print(f"    {step['page']:<26}{step['month'] or '':<12}{step['rss_mb']:>7.0f} MB")

    server = None
    if not args.no_browser:
        missing = browser_missing()
        if missing:
            server = {"skipped": missing}
            print(f"跳过真实服务测量 / real server skipped: {missing}")
        else:
            print("真实服务 + chromium 依次打开各页面 / real server, chromium visits every page …", flush=True)
            try:
                server = measure_server(url, pages)
                print(f"服务进程峰值内存 / server peak (VmHWM): {server['peak_mb']:.0f} MB "
                      f"({_mark(server['peak_mb'] <= BUDGET['peak_mb'])});空闲时 / idle "
                      f"{server['idle_mb']['VmRSS']:.0f} MB")
                for v in server["visits"]:
                    seen = f"{v['browser_s']:>7.2f} s" if "browser_s" in v else f"  {v['error']}"
                    print(f"  {v['round']:<5}{v['page']:<26}浏览器可见 browser {seen}  服务 CPU {v['server_cpu_s']:>6.2f} s"
                          f"  RSS {v['VmRSS']:>5.0f} MB" + ("  页面显示错误!" if v.get("errors_shown") else ""))
            except Exception as exc:  # a measurement, not the app: report and carry on
                server = {"error": repr(exc)}
                print(f"真实服务测量失败 / real server measurement failed: {exc!r}")

    if args.json:
        payload = {
            "scale": args.scale, "db": url, "repeat": args.repeat, "budget": BUDGET, "setup": setup,
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
            "pages": [{**row, "title": titles.get(row["page"]), "met": verdicts(row)} for row in rows],
            "profiles": profiles, "server": server, "soak": soaked,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0 if all(r.get("ok") for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
