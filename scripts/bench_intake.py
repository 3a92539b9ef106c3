"""Benchmark of the monthly intake path on SQLite (BRIEF §4) — a measurement, not a test.

    .venv/bin/python scripts/bench_intake.py [--villages 15000] [--repeat 3] [--json OUT] [--profile]

Set-up (not timed): a temporary SQLite store with the regions of the province-scale demo geography and
the default plan. All townships are re-parented to the first county (codes unchanged, so still unique),
because a monthly village sheet is one county's file: the scope is inferred from the file's single county,
exactly as an upload without a chosen county works. The previous month (2025-12) is committed through the
real intake, so every timed upload validates against last month's figures like a real monthly upload.

Timed (median of ``--repeat`` runs each):

* ours, first upload: ``prepare`` + ``commit`` for a period with no active version yet;
* ours, re-upload: the same for a period that already has an active version (a corrected file with ~1 %
  of rows changed: diff against the active version, supersede it, insert the new one);
* naive: ``pandas.read_excel(engine="openpyxl")`` + ``DataFrame.to_sql`` into a separate SQLite file;
* bare read: python-calamine alone (the floor for any reader);
* the split of ours: ``read_table``, ``build_context``, ``validate``, ``commit`` alone.

Not measured here: a store already holding 36 months × 15,000 rows (the insert goes into a small table).
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402
from openpyxl import Workbook  # noqa: E402
from python_calamine import CalamineWorkbook  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from dashboard import models  # noqa: E402
from dashboard.catalog import ensure_default_plan  # noqa: E402
from dashboard.demo import region_rows  # noqa: E402
from dashboard.demo_geo import build_city, walk  # noqa: E402
from dashboard.intake import build_context, commit, prepare  # noqa: E402
from dashboard.store import make_engine, upgrade  # noqa: E402
from loaders.reader import read_table  # noqa: E402
from loaders.schema import KINDS  # noqa: E402
from loaders.validate import validate  # noqa: E402

KIND = "village_monthly"
FILE_NAME = "bench.xlsx"
PREVIOUS_PERIOD = "2025-12"
# Columns a real county sheet carries besides the schema's; the reader ignores unknown headers.
EXTRA_HEADERS = ("村党组织书记", "村民小组数", "填报人", "联系电话", "填报日期", "备注")
REMARKS = ("", "", "", "", "已核实", "数据来源:村务公开栏", "本月新增法律明白人培训", "较上月无变化")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗梁宋郑谢韦覃蒙莫"
GIVEN = "建华明军丽芳敏强伟静磊洋艳勇杰娟涛超霞平刚桂英秀兰"

# Budgets: BRIEF §4 (≥ 5× naive, ≤ 1.0 s) and the issue (≥ 4× naive, ≤ 4× the bare Rust read).
BUDGETS = (
    ("naive_over_ours_brief", "naive / ours ≥ 5×(BRIEF §4)", ">=", 5.0),
    ("naive_over_ours_issue", "naive / ours ≥ 4×(issue)", ">=", 4.0),
    ("ours_over_bare", "ours / bare read ≤ 4×", "<=", 4.0),
    ("ours_seconds", "ours ≤ 1.0 s", "<=", 1.0),
)


# ---------------------------------------------------------------- set-up (not timed)

def bench_regions(villages: int, seed: int) -> list[dict]:
    """Region rows: the city, ONE county, and enough townships (re-parented to it) for ``villages``."""
    city = build_city("province", seed)
    county = city.children[0]
    rows = [r for r in region_rows(city) if r["level"] == "city"]
    rows.append(next(r for r in region_rows(county) if r["level"] == "county"))
    left = villages
    for old_county in city.children:
        for township in old_county.children:
            if left <= 0:
                break
            take = township.children[:left]
            left -= len(take)
            township.parent, township.county = county.code, county.code
            for v in take:
                v.county = county.code
            township.children = take
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


def sheet_rows(regions: list[dict], seed: int, change_share: float = 1.0, base: list[list] | None = None):
    """Data rows (schema columns then the extra ones); with ``base``, only ``change_share`` of rows differ."""
    by_code = {r["code"]: r for r in regions}
    rng = random.Random(seed)
    out = []
    villages = [r for r in regions if r["level"] == "village"]
    for k, v in enumerate(villages):
        if base is not None and rng.random() >= change_share:
            out.append(list(base[k]))
            continue
        township, county = by_code[v["parent_code"]], by_code[v["county_code"]]
        found = rng.choice((0, 0, 0, 0, 1, 1, 2, 3))
        handled = rng.randint(0, found)
        received = rng.choice((0, 0, 1, 2, 3, 5))
        yes_no = lambda p: "是" if rng.random() < p else "否"  # noqa: E731
        out.append([
            county["name"], township["name"], v["name"], v["code"],
            rng.choice((1, 2, 3, 3, 3, 4, 5, 6)), yes_no(0.85), yes_no(0.9), yes_no(0.95), yes_no(0.9),
            found, handled, rng.randint(0, handled), received, rng.randint(0, received),
            _person(rng), rng.randint(3, 18), _person(rng), f"1{rng.randint(30, 99)}{rng.randint(0, 99999999):08d}",
            "2026-02-03", rng.choice(REMARKS),
        ])
    return out


def build_xlsx(rows: list[list], title: str) -> bytes:
    """A county's monthly sheet as Excel users fill the template: title row, header row, codes as text."""
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
    """Fresh periods 2026-01, 2026-02, … (a new month has no active version yet)."""

    def __init__(self):
        self.n = 0

    def next(self) -> str:
        year, month = divmod(self.n, 12)
        self.n += 1
        return f"{2026 + year}-{month + 1:02d}"


def timed(fn, repeat: int, before=None) -> tuple[float, list[float]]:
    """Median seconds of ``fn(arg)`` over ``repeat`` runs; ``before()`` (untimed) makes the argument."""
    times = []
    for _ in range(repeat):
        arg = before() if before else None
        gc.collect()
        t0 = time.perf_counter()
        fn(arg)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def ours(engine, data: bytes, period: str) -> int:
    preview = prepare(engine, data, FILE_NAME, KIND, period, user="bench")
    if not preview.ok:
        first = preview.errors[0].text() if preview.errors else "范围未确定"
        raise SystemExit(f"基准文件未通过校验 / benchmark file refused: {first}")
    return commit(engine, preview)


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


def run(args) -> dict:
    kind = KINDS[KIND]
    with tempfile.TemporaryDirectory(prefix="bench_intake_") as tmp:
        tmp = Path(tmp)
        t_setup = time.perf_counter()
        engine, regions = make_store(tmp / "store.db", args.villages, args.seed)
        county = regions[1]
        prev_rows = sheet_rows(regions, args.seed + 1)
        rows = sheet_rows(regions, args.seed + 2)
        corrected = sheet_rows(regions, args.seed + 3, change_share=0.01, base=rows)
        title = f"{county['name']}村级指标月报"
        data = build_xlsx(rows, title)
        corrected_data = build_xlsx(corrected, title)
        ours(engine, build_xlsx(prev_rows, title), PREVIOUS_PERIOD)  # last month, as in a live store
        setup_seconds = time.perf_counter() - t_setup
        print(f"准备完成 / set-up done in {setup_seconds:.1f} s: {args.villages} 村, {len(rows[0])} 列, "
              f"{len(data) / 1024:.0f} KB", flush=True)

        periods = Periods()
        results, runs = {}, {}

        def record(name, value):
            results[name], runs[name] = value

        # ours, first upload of a new month (last month present)
        record("ours_first", timed(lambda _: ours(engine, data, periods.next()), args.repeat))
        # ours, re-upload of a month that already has an active version (the corrected file)
        reupload_period = periods.next()
        ours(engine, data, reupload_period)
        record("ours_reupload", timed(lambda _: ours(engine, corrected_data, reupload_period), args.repeat))

        # naive: pandas + openpyxl, then to_sql, on its own SQLite file
        naive_conn = sqlite3.connect(tmp / "naive.db")
        naive_split: dict = {}
        record("naive", timed(lambda _: naive(data, naive_conn, naive_split), args.repeat))
        naive_conn.close()
        results["naive_read"] = statistics.median(naive_split["read"])
        results["naive_to_sql"] = statistics.median(naive_split["to_sql"])

        record("bare_read", timed(lambda _: bare_read(data), args.repeat))

        # split of ours
        record("read_table", timed(lambda _: read_table(data, FILE_NAME, kind), args.repeat))
        table = read_table(data, FILE_NAME, kind)
        split_period = periods.next()
        record("build_context", timed(lambda _: build_context(engine, KIND, split_period, None), args.repeat))
        ctx = build_context(engine, KIND, split_period, None)
        record("validate", timed(lambda _: validate(kind, table, ctx), args.repeat))

        def fresh_preview():
            preview = prepare(engine, data, FILE_NAME, KIND, periods.next(), user="bench")
            assert preview.ok, preview.errors[:3]
            return preview

        record("commit", timed(lambda preview: commit(engine, preview), args.repeat, before=fresh_preview))

        profile_text = None
        if args.profile:
            profiler = cProfile.Profile()
            period = periods.next()
            profiler.enable()
            ours(engine, data, period)
            profiler.disable()
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("cumulative").print_stats(35)
            stats.sort_stats("tottime").print_stats(25)
            profile_text = out.getvalue()
        engine.dispose()

    ratios = {
        "naive_over_ours": results["naive"] / results["ours_first"],
        "naive_over_ours_reupload": results["naive"] / results["ours_reupload"],
        "ours_over_bare": results["ours_first"] / results["bare_read"],
        "ours_reupload_over_bare": results["ours_reupload"] / results["bare_read"],
    }
    budgets = {}
    for case, ours_key in (("first", "ours_first"), ("reupload", "ours_reupload")):
        values = {
            "naive_over_ours_brief": results["naive"] / results[ours_key],
            "naive_over_ours_issue": results["naive"] / results[ours_key],
            "ours_over_bare": results[ours_key] / results["bare_read"],
            "ours_seconds": results[ours_key],
        }
        for key, label, op, limit in BUDGETS:
            value = values[key]
            met = value >= limit if op == ">=" else value <= limit
            budgets[f"{case}:{key}"] = {"label": label, "value": value, "limit": limit, "op": op, "met": met}
    return {
        "villages": args.villages, "rows": len(rows), "columns": len(rows[0]), "file_bytes": len(data),
        "repeat": args.repeat, "seed": args.seed, "setup_seconds": setup_seconds,
        "seconds": results, "runs": runs, "ratios": ratios, "budgets": budgets,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "sqlite": sqlite3.sqlite_version, "platform": platform.platform()},
        "profile": profile_text,
    }


# ---------------------------------------------------------------- report

LABELS = (
    ("ours_first", "本系统 首次上报 / ours, first upload (prepare + commit)"),
    ("ours_reupload", "本系统 重新上报 / ours, re-upload (replaces active version)"),
    ("naive", "朴素做法 / naive: read_excel(openpyxl) + to_sql"),
    ("naive_read", "  其中读取 / of which read_excel"),
    ("naive_to_sql", "  其中写库 / of which to_sql"),
    ("bare_read", "仅 Rust 读取 / bare read: python-calamine to_python"),
    ("read_table", "分解 读取 / split: read_table"),
    ("build_context", "分解 上下文 / split: build_context"),
    ("validate", "分解 校验 / split: validate"),
    ("commit", "分解 提交 / split: commit"),
)


def print_report(fig: dict) -> None:
    s = fig["seconds"]
    print()
    print(f"村级指标月报入库基准 / monthly intake benchmark — {fig['rows']} 行 × {fig['columns']} 列, "
          f"{fig['file_bytes'] / 1024:.0f} KB, SQLite {fig['machine']['sqlite']}, "
          f"{fig['machine']['cpus']} CPU, 中位数 / median of {fig['repeat']}")
    print("-" * 78)
    for key, label in LABELS:
        print(f"{label:<62}{s[key]:>10.3f} s")
    print("-" * 78)
    r = fig["ratios"]
    print(f"naive / ours(首次 first)   {r['naive_over_ours']:6.1f}×    "
          f"naive / ours(重报 re-upload) {r['naive_over_ours_reupload']:6.1f}×")
    print(f"ours / bare(首次 first)    {r['ours_over_bare']:6.1f}×    "
          f"ours / bare(重报 re-upload)  {r['ours_reupload_over_bare']:6.1f}×")
    print()
    print("预算 / budgets")
    for key, b in fig["budgets"].items():
        case = "首次 first   " if key.startswith("first") else "重报 re-upload"
        unit = "s" if key.endswith("ours_seconds") else "×"
        mark = "达标 met" if b["met"] else "未达标 MISSED"
        print(f"  {case}  {b['label']:<30} 实测 {b['value']:7.2f} {unit}   {mark}")
    if fig.get("profile"):
        print()
        print("cProfile of one first upload (prepare + commit):")
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
        parser.error("--villages and --repeat must be positive")
    fig = run(args)
    print_report(fig)
    if args.json:
        Path(args.json).write_text(json.dumps(fig, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
