"""Benchmark of the monthly intake path on SQLite (BRIEF §4) — a measurement, not a test.

    .venv/bin/python scripts/bench_intake.py [--villages 15000] [--repeat 3] [--json OUT] [--profile]

Set-up (not timed): a temporary SQLite store with regions from the province-scale demo geography and the
default plan (no demo monthly rows). A monthly village sheet is ONE county's file, so all townships are
re-parented to the first county (codes unchanged, so still unique; township names may repeat, which is
harmless because every row carries its 区划代码) and the roster is cut to ``--villages`` villages. The
sheet is what a county sends: a title row, the template's header labels, 6 extra columns the reader
ignores (20 columns in all), codes as text. Last month (2025-12) is committed through the real intake,
and this month's figures evolve from it (a few villages lose a 法律明白人 and get a warning).

Timed, median of ``--repeat`` runs each (the ratio to the bare read is the median of per-run ratios, each
run paired with a bare read timed just before it, so both see the same moment of a noisy machine):

* ours, first upload — ``prepare(...)`` without a scope (inferred from the file's single county) +
  ``commit``, for a month with no active version yet;
* ours, first upload with the county chosen — the same with ``scope=<county code>`` (as the upload page
  and ``--county`` pass it); only then does ``build_context`` load last month for the comparison;
* ours, re-upload — a corrected file (1 % of rows changed) for a month that already has an active
  version: diff against it, supersede it, insert the new version;
* naive — ``pandas.read_excel(engine="openpyxl", dtype={"区划代码": str})`` + ``DataFrame.to_sql`` into a
  separate SQLite file (``header=1`` because of the title row);
* bare read — python-calamine alone, the floor for any reader;
* the split of ours — the xlsx guard alone (``unpack_xlsx``: inflate with counters, check, re-zip),
  ``read_table``, ``build_context``, ``validate``, the diff of a re-upload, ``commit``; and ``prepare`` run
  in this process (``prepare_here``) against ``prepare`` through the parse sandbox, whose difference is
  what the child process costs (sending the file, pickling the rows back).

``prepare`` reads and validates in the parse sandbox's worker process (``dashboard/sandbox.py``), as the
server does; the worker is started once, by the set-up's first import, so the timed runs find it warm — as
``qinglian serve`` starts it with the server.
* calibration — unzipping the sheet XML (≈ 0.03 s on the reference machine of BRIEF §4).

Not modelled: a store already holding 36 months × 15,000 rows (inserts go into a small table here).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import platform
import pstats
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import unicodedata
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402
from openpyxl import Workbook  # noqa: E402
from python_calamine import CalamineWorkbook  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from dashboard import intake, models  # noqa: E402
from dashboard.catalog import ensure_default_plan  # noqa: E402
from dashboard.demo import region_rows  # noqa: E402
from dashboard.demo_geo import build_city  # noqa: E402
from dashboard.store import make_engine, upgrade  # noqa: E402
from loaders.reader import limits as reader_limits  # noqa: E402
from loaders.reader import read_table  # noqa: E402
from loaders.schema import KINDS  # noqa: E402
from loaders.validate import validate  # noqa: E402
from loaders.xlsx_guard import unpack_xlsx  # noqa: E402

KIND = "village_monthly"
FILE_NAME = "bench.xlsx"
PREVIOUS_PERIOD = "2025-12"
# Columns a real county sheet carries besides the schema's; the reader ignores unknown headers.
EXTRA_HEADERS = ("村党组织书记", "村民小组数", "填报人", "联系电话", "填报日期", "备注")
REMARKS = ("", "", "", "", "已核实", "数据来源:村务公开栏", "本月新增法律明白人培训", "较上月无变化")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗梁宋郑谢韦覃蒙莫"
GIVEN = "建华明军丽芳敏强伟静磊洋艳勇杰娟涛超霞平刚桂英秀兰"

CASES = (  # key in "seconds", short Chinese/English name
    ("ours_first", "首次上报(自动识别县)/ first, county inferred"),
    ("ours_first_scoped", "首次上报(选定县)/ first, county chosen"),
    ("ours_reupload", "重新上报 / re-upload, replaces active"),
)
# Budgets: BRIEF §4 (≥ 5× naive, ≤ 1.0 s) and the issue (≥ 4× naive, ≤ 4× the bare Rust read).
BUDGETS = (
    ("naive_over_ours_brief", "naive/ours ≥ 5×", ">=", 5.0),
    ("naive_over_ours_issue", "naive/ours ≥ 4×", ">=", 4.0),
    ("ours_over_bare", "ours/bare ≤ 4×", "<=", 4.0),
    ("ours_seconds", "ours ≤ 1.0 s", "<=", 1.0),
)


# ---------------------------------------------------------------- set-up (not timed)

def bench_regions(villages: int, seed: int) -> list[dict]:
    """Region rows: the city, ONE county, and enough townships (re-parented to it) for ``villages``."""
    city = build_city("province", seed)
    county = city.children[0]
    county_row = next(r for r in region_rows(county) if r["level"] == "county")
    rows = [next(r for r in region_rows(city) if r["level"] == "city"), county_row]
    left = villages
    for township in (t for c in city.children for t in c.children):
        if left <= 0:
            break
        township.children = township.children[:left]
        left -= len(township.children)
        township.parent = township.county = county.code
        for village in township.children:
            village.county = county.code
        rows += region_rows(township)
    if left > 0:
        raise SystemExit(f"省级演示地理只有 {villages - left} 个村,不足 {villages} 个 / "
                         f"the province geography has only {villages - left} villages")
    return rows


def make_store(path: Path, villages: int, seed: int):
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    rows = bench_regions(villages, seed)
    with engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(insert(models.Region), rows[start:start + 5000])
    ensure_default_plan(engine)
    return engine, rows


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def month_rows(regions: list[dict], seed: int, before: list[list] | None = None, share: float = 1.0):
    """One month's data rows (schema columns, then the extra ones).

    Without ``before``: a first month. With it: ``share`` of the rows evolve from ``before`` the way
    monthly figures do (legal persons mostly flat or rising, a rare fall; 是/否 mostly unchanged; the
    monthly counts new); the other rows are copied unchanged.
    """
    by_code = {r["code"]: r for r in regions}
    rng = random.Random(seed)
    out = []
    for k, v in enumerate(r for r in regions if r["level"] == "village"):
        old = before[k] if before is not None else None
        if old is not None and rng.random() >= share:
            out.append(list(old))
            continue
        if old is None:
            township, county = by_code[v["parent_code"]], by_code[v["county_code"]]
            ident = [county["name"], township["name"], v["name"], v["code"]]
            legal = rng.choice((1, 2, 3, 3, 3, 4, 5, 6))
            flags = ["是" if rng.random() < p else "否" for p in (0.85, 0.9, 0.95, 0.9)]
            fixed = [_person(rng), rng.randint(3, 18)]
            phone = f"1{rng.randint(30, 99)}{rng.randint(0, 99999999):08d}"
        else:
            ident, legal, flags, fixed, phone = old[:4], old[4], old[5:9], old[14:16], old[17]
            legal += (rng.random() < 0.08) - (legal > 0 and rng.random() < 0.005)
            flags = ["是" if f == "是" or rng.random() < 0.05 else "否" for f in flags]
        found = rng.choice((0, 0, 0, 0, 1, 1, 2, 3))
        handled = rng.randint(0, found)
        received = rng.choice((0, 0, 1, 2, 3, 5))
        counts = [found, handled, rng.randint(0, handled), received, rng.randint(0, received)]
        out.append(ident + [legal] + flags + counts + fixed + [_person(rng), phone, "2026-02-03",
                                                               rng.choice(REMARKS)])
    return out


def build_xlsx(rows: list[list], title: str) -> bytes:
    """A county's monthly sheet: title row, header row (template labels + extra columns), codes as text."""
    headers = [c.label for c in KINDS[KIND].columns] + list(EXTRA_HEADERS)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("村级指标月报")
    sheet.append([title])
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------- timing

class Periods:
    """Consecutive fresh periods 2026-01, 2026-02, … (a new month has no active version yet)."""

    def __init__(self):
        self.n = 0

    def next(self) -> str:
        year, month = divmod(self.n, 12)
        self.n += 1
        return f"{2026 + year}-{month + 1:02d}"


def timed(fn, repeat: int, before=None) -> tuple[float, list[float], float]:
    """Median wall seconds of ``fn(arg)`` over ``repeat`` runs, all runs, and the median CPU seconds.

    ``before()`` (not timed) makes the argument of each run.
    """
    wall, cpu = [], []
    for _ in range(repeat):
        arg = before() if before else None
        gc.collect()
        c0, t0 = time.process_time(), time.perf_counter()
        fn(arg)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), wall, statistics.median(cpu)


def checked_prepare(engine, data: bytes, period: str, scope: str | None = None):
    preview = intake.prepare(engine, data, FILE_NAME, KIND, period, scope, user="bench")
    if not preview.ok:
        first = preview.errors[0].text() if preview.errors else "范围未确定"
        raise SystemExit(f"基准文件未通过校验 / benchmark file refused: {first}")
    return preview


def ours(engine, data: bytes, period: str, scope: str | None = None, seen: dict | None = None) -> int:
    """The measured path: read + validate + diff (prepare), then commit."""
    preview = checked_prepare(engine, data, period, scope)
    upload_id = intake.commit(engine, preview)
    if seen is not None:
        seen.update(rows=preview.rows, warnings=len(preview.warnings), diff=dict(preview.diff))
    return upload_id


def naive(data: bytes, conn: sqlite3.Connection, split: dict) -> None:
    t0 = time.perf_counter()
    frame = pd.read_excel(io.BytesIO(data), engine="openpyxl", dtype={"区划代码": str}, header=1)
    t1 = time.perf_counter()
    frame.to_sql("naive_village_reports", conn, if_exists="replace", index=False)
    conn.commit()
    split.setdefault("read", []).append(t1 - t0)
    split.setdefault("to_sql", []).append(time.perf_counter() - t1)


def bare_read(data: bytes) -> list:
    return CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()


def unzip_sheet(data: bytes) -> int:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return sum(len(archive.read(n)) for n in archive.namelist() if n.startswith("xl/worksheets/"))


def run(args) -> dict:
    kind = KINDS[KIND]
    results, runs, cpu, previews = {}, {}, {}, {}

    def record(name, value):
        results[name], runs[name], cpu[name] = value

    with tempfile.TemporaryDirectory(prefix="bench_intake_") as tmp:
        tmp = Path(tmp)
        t_setup = time.perf_counter()
        engine, regions = make_store(tmp / "store.db", args.villages, args.seed)
        county = regions[1]["code"]
        title = f"{regions[1]['name']}村级指标月报"
        last_month = month_rows(regions, args.seed + 1)
        rows = month_rows(regions, args.seed + 2, before=last_month)
        corrected = month_rows(regions, args.seed + 3, before=rows, share=0.01)
        data, corrected_data = build_xlsx(rows, title), build_xlsx(corrected, title)
        last_month_data = build_xlsx(last_month, title)
        ours(engine, last_month_data, PREVIOUS_PERIOD)
        setup_seconds = time.perf_counter() - t_setup
        print(f"准备完成 / set-up done in {setup_seconds:.1f} s: {len(rows)} 行 rows × {len(rows[0])} 列 columns, "
              f"{len(data) / 1024:.0f} KB", flush=True)

        periods = Periods()

        def after_last_month():
            """A fresh month whose previous month holds ``last_month`` (committed here, not timed)."""
            ours(engine, last_month_data, periods.next())
            return periods.next()

        paired: dict[str, list[float]] = {}  # a bare read timed just before each run of ours

        def with_bare(case: str, before):
            def prepare_run():
                arg = before()
                gc.collect()
                t0 = time.perf_counter()
                bare_read(data)
                paired.setdefault(case, []).append(time.perf_counter() - t0)
                return arg
            return prepare_run

        for name, scope in (("ours_first", None), ("ours_first_scoped", county)):
            seen = previews.setdefault(name, {})
            record(name, timed(lambda period, scope=scope, seen=seen: ours(engine, data, period, scope, seen),
                               args.repeat,
                               before=with_bare(name, after_last_month)))
        reupload_period = periods.next()
        ours(engine, data, reupload_period)  # the version the re-upload replaces
        # each re-upload replaces the other file, so every one changes the same 1 % of the rows
        files = [corrected_data, data]
        seen = previews.setdefault("ours_reupload", {})

        def other_file():
            files.reverse()
            return files[1]

        record("ours_reupload", timed(lambda f: ours(engine, f, reupload_period, None, seen), args.repeat,
                                      before=with_bare("ours_reupload", other_file)))

        with sqlite3.connect(tmp / "naive.db") as naive_conn:
            naive_split: dict = {}
            record("naive", timed(lambda _: naive(data, naive_conn, naive_split), args.repeat))
        naive_conn.close()
        results["naive_read"] = statistics.median(naive_split["read"])
        results["naive_to_sql"] = statistics.median(naive_split["to_sql"])
        record("bare_read", timed(lambda _: bare_read(data), args.repeat))
        record("unzip_sheet_xml", timed(lambda _: unzip_sheet(data), args.repeat))

        # the split of ours
        lim = reader_limits()
        record("guard", timed(lambda _: unpack_xlsx(data, FILE_NAME, lim), args.repeat))
        record("read_table", timed(lambda _: read_table(data, FILE_NAME, kind), args.repeat))
        probe = periods.next()
        record("prepare_here", timed(lambda _: intake.prepare_here(engine, data, FILE_NAME, KIND, probe, None, lim),
                                     args.repeat))
        record("prepare_sandboxed", timed(lambda _: checked_prepare(engine, data, probe), args.repeat))
        table = read_table(data, FILE_NAME, kind)
        split_period = after_last_month()  # its previous month is active: the scoped context loads it
        record("build_context", timed(lambda _: intake.build_context(engine, KIND, split_period, None),
                                      args.repeat))
        record("build_context_scoped", timed(lambda _: intake.build_context(engine, KIND, split_period, county),
                                             args.repeat))
        ctx = intake.build_context(engine, KIND, split_period, county)
        record("validate", timed(lambda _: validate(kind, table, ctx), args.repeat))
        diff = getattr(intake, "_diff", None)  # private; measured only while it exists
        if diff is not None:
            preview = checked_prepare(engine, other_file(), reupload_period)
            record("diff_reupload", timed(lambda _: diff(engine, preview, ctx.villages), args.repeat))
        record("commit", timed(lambda p: intake.commit(engine, p), args.repeat,
                               before=lambda: checked_prepare(engine, data, periods.next())))

        profile_text = None
        if args.profile:
            profiler = cProfile.Profile()
            period = periods.next()
            profiler.enable()  # in this process: the sandbox's child cannot be profiled from here
            preview = intake.prepare_here(engine, data, FILE_NAME, KIND, period, None, lim)
            preview.data, preview.user = data, "bench"
            intake.commit(engine, preview)
            profiler.disable()
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("cumulative").print_stats(40)
            stats.sort_stats("tottime").print_stats(25)
            profile_text = out.getvalue()
        engine.dispose()

    ratios, budgets = {}, {}
    for case, _ in CASES:
        ratios[f"naive_over_{case}"] = results["naive"] / results[case]
        # against the bare read timed just before each run: both see the same moment of a noisy machine
        ratios[f"{case}_over_bare"] = statistics.median(o / b for o, b in zip(runs[case], paired[case]))
        values = {"naive_over_ours_brief": ratios[f"naive_over_{case}"],
                  "naive_over_ours_issue": ratios[f"naive_over_{case}"],
                  "ours_over_bare": ratios[f"{case}_over_bare"], "ours_seconds": results[case]}
        for key, label, op, limit in BUDGETS:
            value = values[key]
            budgets[f"{case}:{key}"] = {"label": label, "value": value, "limit": limit, "op": op,
                                        "met": value >= limit if op == ">=" else value <= limit}
    return {
        "villages": args.villages, "rows": len(rows), "columns": len(rows[0]), "file_bytes": len(data),
        "repeat": args.repeat, "seed": args.seed, "setup_seconds": setup_seconds,
        "seconds": results, "cpu_seconds": cpu, "runs": runs, "ratios": ratios, "budgets": budgets,
        "previews": previews,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "sqlite": sqlite3.sqlite_version, "platform": platform.platform(),
                    "load_average": os.getloadavg(),
                    "unzip_vs_reference": results["unzip_sheet_xml"] / (0.03 * len(rows) / 15000)},
        "profile": profile_text,
    }


# ---------------------------------------------------------------- report

LABELS = (
    ("ours_first", "本系统 首次上报(自动识别县)/ ours, first upload"),
    ("ours_first_scoped", "本系统 首次上报(选定县)/ ours, first, county chosen"),
    ("ours_reupload", "本系统 重新上报 / ours, re-upload"),
    ("naive", "朴素做法 / naive: read_excel(openpyxl) + to_sql"),
    ("naive_read", "  其中读取 / of which read_excel"),
    ("naive_to_sql", "  其中写库 / of which to_sql"),
    ("bare_read", "仅 Rust 读取 / bare read: python-calamine"),
    ("guard", "分解 安全检查 / split: xlsx guard (unpack_xlsx)"),
    ("read_table", "分解 读取(含安全检查)/ split: read_table"),
    ("build_context", "分解 上下文 / split: build_context"),
    ("build_context_scoped", "分解 上下文(选定县)/ split: build_context, county"),
    ("validate", "分解 校验 / split: validate"),
    ("diff_reupload", "分解 比对(重报)/ split: diff of a re-upload"),
    ("commit", "分解 提交 / split: commit"),
    ("prepare_here", "分解 本进程内预览 / split: prepare_here, no sandbox"),
    ("prepare_sandboxed", "分解 经校验子进程预览 / split: prepare via sandbox"),
    ("unzip_sheet_xml", "校准 解压工作表 XML / calibration: unzip sheet XML"),
)


def _pad(text: str, width: int, right: bool = False) -> str:
    """``text`` padded to ``width`` terminal columns (CJK characters take two)."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    fill = " " * max(width - used, 0)
    return fill + text if right else text + fill


def print_report(fig: dict) -> None:
    s, cpu = fig["seconds"], fig["cpu_seconds"]
    width = 60
    print()
    print(f"村级指标月报入库基准 / monthly intake benchmark: {fig['rows']} 行 × {fig['columns']} 列, "
          f"{fig['file_bytes'] / 1024:.0f} KB, SQLite {fig['machine']['sqlite']}, {fig['machine']['cpus']} CPU, "
          f"中位数 / median of {fig['repeat']}")
    print(_pad("", width) + _pad("墙钟 wall", 10, True) + _pad("CPU", 10, True))
    print("-" * (width + 20))
    for key, label in LABELS:
        if key in s:
            c = f"{cpu[key]:8.3f} s" if key in cpu else ""
            print(f"{_pad(label, width)}{s[key]:8.3f} s{c}")
    print("-" * (width + 20))
    slow = fig["machine"]["unzip_vs_reference"]
    print(f"校准:本机解压耗时约为参考机的 {slow:.1f} 倍(按行数折算)/ "
          f"calibration: unzip ≈ {slow:.1f}× the reference machine (scaled by rows); "
          f"load average {fig['machine']['load_average'][0]:.2f}")
    print()
    print("预算 / budgets(达标 = met,未达标 = missed)")
    print(_pad("", width) + "".join(_pad(label, 18, True) for _, label, _, _ in BUDGETS))
    for case, name in CASES:
        cells = []
        for key, _, _, _ in BUDGETS:
            b = fig["budgets"][f"{case}:{key}"]
            unit = "s" if key == "ours_seconds" else "×"
            cells.append(f"{b['value']:.2f}{unit} {'达标' if b['met'] else '未达标'}")
        print(_pad(name, width) + "".join(_pad(c, 18, True) for c in cells))
    for case, info in fig["previews"].items():
        if info:
            print(f"  {case}: {info['rows']} 行, {info['warnings']} 条提示 / warnings, 比对 / diff {info['diff']}")
    if fig.get("profile"):
        print()
        print("cProfile: one first upload (prepare_here + commit, in this process), county inferred")
        print(fig["profile"])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--villages", type=int, default=15000, help="rows of the monthly sheet (default 15000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the median is reported")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--json", metavar="OUT", help="also write the figures as JSON to OUT")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one first upload")
    args = parser.parse_args(argv)
    if args.villages < 1 or args.repeat < 1:
        parser.error("--villages and --repeat must be at least 1")
    fig = run(args)
    print_report(fig)
    if args.json:
        Path(args.json).write_text(json.dumps(fig, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
