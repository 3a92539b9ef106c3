"""Benchmark of the monthly intake path on SQLite (BRIEF §4) — a measurement, not a test.

    .venv/bin/python scripts/bench_intake.py [--villages 15000] [--province-villages N] [--repeat 3]
                                             [--json OUT] [--profile] [--only-province]

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

The province case (the city office's consolidated upload) has its own store: the province-scale demo
geography as it is (about 110 counties, 15,000 villages; ``--province-villages`` keeps only the first N
villages, for a quick run), the default plan, and last month committed through the real intake. The file
is what ``qinglian template village_monthly --period P`` without ``--county`` hands out — every village of
every county in one sheet, prefilled with last month's values by ``template_file`` — with this month's
figures typed in (built with the same ``build_template``). Timed, paired as above:

* ours, province — ``prepare(...)`` with no county (validated as a whole, split by county, each county
  compared with its own active version and roster) + ``commit_batch``: one version per county, one
  transaction; each run for a fresh month whose previous month is active;
* naive, province — ``pandas.read_excel(engine="openpyxl")`` + ``to_sql`` of the same file;
* bare read, province — python-calamine alone on the same file;

each run of ours comes right after a naive run and a bare read of its own, and both ratios are medians
of the per-run ratios;
* the sandbox's cost for it — the worker's peak memory (its own ``ru_maxrss``) and the reply size, against
  the ``[sandbox]`` limits of data/intake.toml.

Not modelled: a store already holding 36 months × 15,000 rows (inserts go into a small table here).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import pickle
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
from dashboard.sandbox import sandbox  # noqa: E402
from dashboard.store import make_engine, upgrade  # noqa: E402
from dashboard.templates import template_rows  # noqa: E402
from loaders.reader import limits as reader_limits  # noqa: E402
from loaders.reader import read_table  # noqa: E402
from loaders.schema import KINDS  # noqa: E402
from loaders.template import build_template, header_row  # noqa: E402
from loaders.validate import validate  # noqa: E402
from loaders.xlsx_guard import unpack_xlsx  # noqa: E402
from tests.apptest import ADMIN  # noqa: E402

KIND = "village_monthly"
FILE_NAME = "bench.xlsx"
PREVIOUS_PERIOD = "2025-12"
# Columns a real county sheet carries besides the schema's; the reader ignores unknown headers.
EXTRA_HEADERS = ("村党组织书记", "村民小组数", "填报人", "联系电话", "填报日期", "备注")
REMARKS = ("", "", "", "", "已核实", "数据来源:村务公开栏", "本月新增法律明白人培训", "较上月无变化")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗梁宋郑谢韦覃蒙莫"
GIVEN = "建华明军丽芳敏强伟静磊洋艳勇杰娟涛超霞平刚桂英秀兰"

CASES = (  # key in "seconds", short Chinese/English name, the naive and bare-read runs it is compared with
    ("ours_first", "首次上报(自动识别县)/ first, county inferred", "naive"),
    ("ours_first_scoped", "首次上报(选定县)/ first, county chosen", "naive"),
    ("ours_reupload", "重新上报 / re-upload, replaces active", "naive"),
    ("ours_province", "全省汇总(一个文件逐县入库)/ province-wide file", "naive_province"),
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


def make_store(path: Path, rows: list[dict]):
    """A migrated SQLite store at ``path`` holding the regions ``rows`` and the default plan."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(insert(models.Region), rows[start:start + 5000])
    ensure_default_plan(engine)
    return engine, rows


def province_regions(seed: int, villages: int | None) -> list[dict]:
    """Region rows of the province-scale demo geography as it is (every county keeps its own townships),
    or of its first ``villages`` villages and the counties and townships they belong to."""
    city = build_city("province", seed)
    rows = region_rows(city)
    if villages is None:
        return rows
    kept = [r for r in rows if r["level"] == "village"][:villages]
    towns, counties = {r["parent_code"] for r in kept}, {r["county_code"] for r in kept}
    return [r for r in rows if r["level"] == "city" or (r["level"] == "county" and r["code"] in counties)
            or (r["level"] == "township" and r["code"] in towns)] + kept


def filled_template(engine, period: str, seed: int) -> tuple[bytes, int]:
    """The whole-province template of ``period`` (prefilled with last month's values, as ``qinglian
    template`` writes it) with this month's figures typed in; returns the .xlsx and its row count."""
    rows, label = template_rows(engine, KIND, period, None, who=ADMIN)
    rng = random.Random(seed)
    for row in rows:  # as month_rows: legal persons mostly flat or rising, a rare fall (warned)
        legal = row.get("legal_persons")
        if legal is not None:
            row["legal_persons"] = legal + (rng.random() < 0.08) - (legal > 0 and rng.random() < 0.005)
        found = rng.choice((0, 0, 0, 0, 1, 1, 2, 3))
        handled = rng.randint(0, found)
        received = rng.choice((0, 0, 1, 2, 3, 5))
        row.update(clues_found=found, clues_handled=handled, clues_exposed=rng.randint(0, handled),
                   disputes_received=received, disputes_resolved=rng.randint(0, received))
    return build_template(KINDS[KIND], period, rows, label, "清源省(基准测试)"), len(rows)


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

    def after(self, engine, last_month_data: bytes) -> str:
        """A fresh month whose previous month holds ``last_month_data`` (committed here, not timed)."""
        ours(engine, last_month_data, self.next())
        return self.next()


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
    preview = intake.prepare(engine, data, FILE_NAME, KIND, period, scope, who=ADMIN)
    if not preview.ok:
        first = preview.errors[0].text() if preview.errors else "范围未确定"
        raise SystemExit(f"基准文件未通过校验 / benchmark file refused: {first}")
    return preview


def ours(engine, data: bytes, period: str, scope: str | None = None, seen: dict | None = None) -> list[int]:
    """The measured path: read + validate + diff (prepare), then commit — one version per county."""
    preview = checked_prepare(engine, data, period, scope)
    upload_ids = intake.commit_batch(engine, [preview], who=ADMIN)
    if seen is not None:
        seen.update(rows=preview.rows, warnings=len(preview.warnings), diff=dict(preview.diff),
                    versions=len(upload_ids))
    return upload_ids


def naive(data: bytes, conn: sqlite3.Connection, split: dict, header: int = 1) -> None:
    t0 = time.perf_counter()
    frame = pd.read_excel(io.BytesIO(data), engine="openpyxl", dtype={"区划代码": str}, header=header)
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


def _profile(fn) -> str:
    """cProfile of ``fn()`` (in this process: the sandbox's child cannot be profiled from here)."""
    profiler = cProfile.Profile()
    profiler.enable()
    fn()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)
    return out.getvalue()


def _here_and_commit(engine, data: bytes, period: str) -> None:
    lim = reader_limits()
    preview = intake.prepare_here(engine, data, FILE_NAME, KIND, period, None, lim)
    preview.data, preview.user = data, "bench"
    for part in preview.parts:
        part.data, part.user = data, "bench"
    intake.commit_batch(engine, [preview], who=ADMIN)


class Figures:
    """The measurements of one run: medians, every run, CPU medians, paired bare reads, preview facts."""

    def __init__(self):
        self.seconds, self.runs, self.cpu, self.previews, self.facts = {}, {}, {}, {}, {}
        self.paired: dict[str, list[float]] = {}  # a bare read timed just before each run of ours
        self.paired_naive: dict[str, list[float]] = {}  # and, for the province case, a naive run too

    def record(self, name: str, value) -> None:
        self.seconds[name], self.runs[name], self.cpu[name] = value

    def with_bare(self, case: str, data: bytes, before):
        """``before`` followed by a bare read of ``data`` timed for ``case`` (so both see the same moment)."""
        def prepare_run():
            arg = before()
            gc.collect()
            t0 = time.perf_counter()
            bare_read(data)
            self.paired.setdefault(case, []).append(time.perf_counter() - t0)
            return arg
        return prepare_run


def county_cases(args, tmp: Path, fig: Figures) -> None:
    """One county's 15,000-row sheet: first upload (county inferred / chosen), re-upload, naive, split."""
    kind = KINDS[KIND]
    t_setup = time.perf_counter()
    engine, regions = make_store(tmp / "store.db", bench_regions(args.villages, args.seed))
    county = regions[1]["code"]
    title = f"{regions[1]['name']}村级指标月报"
    last_month = month_rows(regions, args.seed + 1)
    rows = month_rows(regions, args.seed + 2, before=last_month)
    corrected = month_rows(regions, args.seed + 3, before=rows, share=0.01)
    data, corrected_data = build_xlsx(rows, title), build_xlsx(corrected, title)
    last_month_data = build_xlsx(last_month, title)
    ours(engine, last_month_data, PREVIOUS_PERIOD)
    fig.facts.update(villages=args.villages, rows=len(rows), columns=len(rows[0]), file_bytes=len(data),
                     setup_seconds=time.perf_counter() - t_setup)
    print(f"准备完成 / set-up done in {fig.facts['setup_seconds']:.1f} s: {len(rows)} 行 rows × {len(rows[0])} 列 "
          f"columns, {len(data) / 1024:.0f} KB", flush=True)

    periods = Periods()

    def after_last_month():
        return periods.after(engine, last_month_data)

    for name, scope in (("ours_first", None), ("ours_first_scoped", county)):
        seen = fig.previews.setdefault(name, {})
        fig.record(name, timed(lambda period, scope=scope, seen=seen: ours(engine, data, period, scope, seen),
                               args.repeat, before=fig.with_bare(name, data, after_last_month)))
    reupload_period = periods.next()
    ours(engine, data, reupload_period)  # the version the re-upload replaces
    # each re-upload replaces the other file, so every one changes the same 1 % of the rows
    files = [corrected_data, data]
    seen = fig.previews.setdefault("ours_reupload", {})

    def other_file():
        files.reverse()
        return files[1]

    fig.record("ours_reupload", timed(lambda f: ours(engine, f, reupload_period, None, seen), args.repeat,
                                      before=fig.with_bare("ours_reupload", data, other_file)))

    with sqlite3.connect(tmp / "naive.db") as naive_conn:
        naive_split: dict = {}
        fig.record("naive", timed(lambda _: naive(data, naive_conn, naive_split), args.repeat))
    naive_conn.close()
    fig.seconds["naive_read"] = statistics.median(naive_split["read"])
    fig.seconds["naive_to_sql"] = statistics.median(naive_split["to_sql"])
    fig.record("bare_read", timed(lambda _: bare_read(data), args.repeat))
    fig.record("unzip_sheet_xml", timed(lambda _: unzip_sheet(data), args.repeat))

    # the split of ours
    lim = reader_limits()
    fig.record("guard", timed(lambda _: unpack_xlsx(data, FILE_NAME, lim), args.repeat))
    fig.record("read_table", timed(lambda _: read_table(data, FILE_NAME, kind), args.repeat))
    probe = periods.next()
    fig.record("prepare_here", timed(lambda _: intake.prepare_here(engine, data, FILE_NAME, KIND, probe, None, lim),
                                     args.repeat))
    fig.record("prepare_sandboxed", timed(lambda _: checked_prepare(engine, data, probe), args.repeat))
    table = read_table(data, FILE_NAME, kind)
    split_period = after_last_month()  # its previous month is active: the scoped context loads it
    fig.record("build_context", timed(lambda _: intake.build_context(engine, KIND, split_period, None),
                                      args.repeat))
    fig.record("build_context_scoped", timed(lambda _: intake.build_context(engine, KIND, split_period, county),
                                             args.repeat))
    ctx = intake.build_context(engine, KIND, split_period, county)
    fig.record("validate", timed(lambda _: validate(kind, table, ctx), args.repeat))
    diff = getattr(intake, "_diff", None)  # private; measured only while it exists
    if diff is not None:
        preview = checked_prepare(engine, other_file(), reupload_period)
        fig.record("diff_reupload", timed(lambda _: diff(engine, preview, ctx.villages), args.repeat))
    fig.record("commit", timed(lambda p: intake.commit_batch(engine, [p], who=ADMIN), args.repeat,
                               before=lambda: checked_prepare(engine, data, periods.next())))
    if args.profile:
        fig.facts["profile"] = _profile(lambda: _here_and_commit(engine, data, periods.next()))
    engine.dispose()


def province_case(args, tmp: Path, fig: Figures) -> None:
    """The province-wide file from the template without a county: ours, naive and the bare read."""
    t_setup = time.perf_counter()
    engine, regions = make_store(tmp / "province.db", province_regions(args.seed, args.province_villages))
    counties = sum(r["level"] == "county" for r in regions)
    villages = [r for r in regions if r["level"] == "village"]
    last_month_data = build_xlsx(month_rows(regions, args.seed + 1), "全省村级指标月报")
    ours(engine, last_month_data, PREVIOUS_PERIOD)
    data, rows = filled_template(engine, "2026-01", args.seed + 2)
    header = header_row(KINDS[KIND])
    fig.facts["province"] = {"counties": counties, "villages": len(villages), "rows": rows,
                             "columns": len(KINDS[KIND].columns), "file_bytes": len(data),
                             "setup_seconds": time.perf_counter() - t_setup}
    print(f"全省准备完成 / province set-up done in {fig.facts['province']['setup_seconds']:.1f} s: {counties} 县 "
          f"counties, {rows} 行 rows, {len(data) / 1024:.0f} KB", flush=True)

    periods = Periods()

    def after_last_month():
        return periods.after(engine, last_month_data)

    # each run of ours follows a naive run and a bare read of its own, so all three see the same moment
    seen = fig.previews.setdefault("ours_province", {})
    naive_runs: list[float] = []
    with sqlite3.connect(tmp / "naive_province.db") as naive_conn:
        naive_split: dict = {}

        def naive_then_fresh_month():
            period = after_last_month()
            gc.collect()
            t0 = time.perf_counter()
            naive(data, naive_conn, naive_split, header - 1)
            naive_runs.append(time.perf_counter() - t0)
            return period

        fig.record("ours_province", timed(lambda period: ours(engine, data, period, None, seen), args.repeat,
                                          before=fig.with_bare("ours_province", data, naive_then_fresh_month)))
    naive_conn.close()
    fig.seconds["naive_province"], fig.runs["naive_province"] = statistics.median(naive_runs), naive_runs
    fig.paired_naive["ours_province"] = naive_runs
    fig.seconds["naive_province_read"] = statistics.median(naive_split["read"])
    fig.seconds["naive_province_to_sql"] = statistics.median(naive_split["to_sql"])
    fig.record("bare_read_province", timed(lambda _: bare_read(data), args.repeat))

    # what the file costs the sandbox: the worker's peak (virtual, which RLIMIT_AS caps; resident) and the reply
    period = after_last_month()
    here = intake.prepare_here(engine, data, FILE_NAME, KIND, period, None, reader_limits())
    to_wire = getattr(intake, "_to_wire", None)  # private; measured only while it exists
    if to_wire is not None:
        fig.facts["province"]["reply_bytes"] = len(pickle.dumps(to_wire(here), protocol=pickle.HIGHEST_PROTOCOL))
    fig.facts["province"]["worker"] = worker_memory()
    fig.facts["province"]["limits"] = vars(sandbox().limits)
    fig.record("province_split", timed(lambda _: intake.prepare_here(engine, data, FILE_NAME, KIND, period, None,
                                                                      reader_limits()), args.repeat))
    fig.record("province_commit", timed(lambda p: intake.commit_batch(engine, [p], who=ADMIN), args.repeat,
                                        before=lambda: checked_prepare(engine, data, after_last_month())))
    if args.profile:
        fig.facts["profile_province"] = _profile(lambda: _here_and_commit(engine, data, after_last_month()))
    engine.dispose()


def worker_memory() -> dict:
    """Peak virtual and resident size (MB) of the idle sandbox worker(s), from /proc (Linux)."""
    out = {}
    for worker in getattr(sandbox(), "_idle", []):
        try:
            status = Path(f"/proc/{worker.proc.pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            key, _, value = line.partition(":")
            if key in ("VmPeak", "VmHWM"):
                out[key] = max(out.get(key, 0), int(value.split()[0]) / 1024)
    return out


def run(args) -> dict:
    fig = Figures()
    with tempfile.TemporaryDirectory(prefix="bench_intake_") as tmp:
        if not args.only_province:
            county_cases(args, Path(tmp), fig)
        if args.province_villages != 0:
            province_case(args, Path(tmp), fig)
    s = fig.seconds
    ratios, budgets = {}, {}
    for case, _, naive_key in CASES:
        if case not in s:
            continue
        naive_runs = fig.paired_naive.get(case)
        ratios[f"naive_over_{case}"] = (statistics.median(n / o for n, o in zip(naive_runs, fig.runs[case]))
                                        if naive_runs else s[naive_key] / s[case])
        # against the bare read timed just before each run: both see the same moment of a noisy machine
        ratios[f"{case}_over_bare"] = statistics.median(o / b for o, b in zip(fig.runs[case], fig.paired[case]))
        values = {"naive_over_ours_brief": ratios[f"naive_over_{case}"],
                  "naive_over_ours_issue": ratios[f"naive_over_{case}"],
                  "ours_over_bare": ratios[f"{case}_over_bare"], "ours_seconds": s[case]}
        for key, label, op, limit in BUDGETS:
            value = values[key]
            budgets[f"{case}:{key}"] = {"label": label, "value": value, "limit": limit, "op": op,
                                        "met": value >= limit if op == ">=" else value <= limit}
    unzip = s.get("unzip_sheet_xml")
    return {
        **{k: v for k, v in fig.facts.items() if not k.startswith("profile")},
        "repeat": args.repeat, "seed": args.seed,
        "seconds": s, "cpu_seconds": fig.cpu, "runs": fig.runs, "paired_bare_reads": fig.paired,
        "paired_naive_runs": fig.paired_naive, "ratios": ratios,
        "budgets": budgets, "previews": fig.previews,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "sqlite": sqlite3.sqlite_version, "platform": platform.platform(),
                    "load_average": os.getloadavg(),
                    "unzip_vs_reference": unzip / (0.03 * fig.facts["rows"] / 15000) if unzip else None},
        "profile": "\n".join(fig.facts[k] for k in ("profile", "profile_province") if k in fig.facts) or None,
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
    ("ours_province", "全省汇总 本系统(逐县入库)/ province file: ours"),
    ("naive_province", "全省汇总 朴素做法 / province file: naive"),
    ("naive_province_read", "  其中读取 / of which read_excel"),
    ("naive_province_to_sql", "  其中写库 / of which to_sql"),
    ("bare_read_province", "全省汇总 仅 Rust 读取 / province file: bare read"),
    ("province_split", "全省汇总 分解 本进程内预览 / split: prepare_here"),
    ("province_commit", "全省汇总 分解 提交 / split: commit_batch"),
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
    if "rows" in fig:
        print(f"村级指标月报入库基准 / monthly intake benchmark: {fig['rows']} 行 × {fig['columns']} 列, "
              f"{fig['file_bytes'] / 1024:.0f} KB, SQLite {fig['machine']['sqlite']}, {fig['machine']['cpus']} CPU, "
              f"中位数 / median of {fig['repeat']}")
    if "province" in fig:
        p = fig["province"]
        print(f"全省汇总文件 / province-wide file: {p['counties']} 县 counties, {p['rows']} 行 × {p['columns']} 列, "
              f"{p['file_bytes'] / 1024:.0f} KB (qinglian template, no --county, values filled)")
    print(_pad("", width) + _pad("墙钟 wall", 10, True) + _pad("CPU", 10, True))
    print("-" * (width + 20))
    for key, label in LABELS:
        if key in s:
            c = f"{cpu[key]:8.3f} s" if key in cpu else ""
            print(f"{_pad(label, width)}{s[key]:8.3f} s{c}")
    print("-" * (width + 20))
    slow = fig["machine"]["unzip_vs_reference"]
    if slow:
        print(f"校准:本机解压耗时约为参考机的 {slow:.1f} 倍(按行数折算)/ "
              f"calibration: unzip ≈ {slow:.1f}× the reference machine (scaled by rows); "
              f"load average {fig['machine']['load_average'][0]:.2f}")
    if "province" in fig:
        p, lim = fig["province"], fig["province"].get("limits", {})
        worker = p.get("worker", {})
        print(f"校验子进程 / sandbox worker: 峰值虚拟内存 peak virtual {worker.get('VmPeak', 0):.0f} MB, "
              f"峰值常驻 peak resident {worker.get('VmHWM', 0):.0f} MB (上限 cap {lim.get('memory_mb')} MB); "
              f"回复 reply {p.get('reply_bytes', 0) / 2**20:.1f} MB; 时间上限 time cap {lim.get('timeout_seconds')} s")
    print()
    print("预算 / budgets(达标 = met,未达标 = missed)")
    print(_pad("", width) + "".join(_pad(label, 18, True) for _, label, _, _ in BUDGETS))
    for case, name, _ in CASES:
        if f"{case}:ours_seconds" not in fig["budgets"]:
            continue
        cells = []
        for key, _, _, _ in BUDGETS:
            b = fig["budgets"][f"{case}:{key}"]
            unit = "s" if key == "ours_seconds" else "×"
            cells.append(f"{b['value']:.2f}{unit} {'达标' if b['met'] else '未达标'}")
        print(_pad(name, width) + "".join(_pad(c, 18, True) for c in cells))
    for case, info in fig["previews"].items():
        if info:
            print(f"  {case}: {info['rows']} 行, {info['versions']} 个版本 / versions, {info['warnings']} 条提示 / "
                  f"warnings, 比对 / diff {info['diff']}")
    if fig.get("profile"):
        print()
        print("cProfile: prepare_here + commit_batch in this process, no county chosen (county file, then province)")
        print(fig["profile"])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--villages", type=int, default=15000, help="rows of the monthly sheet (default 15000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the median is reported")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--json", metavar="OUT", help="also write the figures as JSON to OUT")
    parser.add_argument("--province-villages", type=int, default=None,
                        help="keep only the first N villages of the province case (default: all; 0 skips it)")
    parser.add_argument("--only-province", action="store_true", help="run only the province-wide case")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one first upload")
    args = parser.parse_args(argv)
    if args.villages < 1 or args.repeat < 1:
        parser.error("--villages and --repeat must be at least 1")
    if args.only_province and args.province_villages == 0:
        parser.error("--only-province needs the province case")
    fig = run(args)
    print_report(fig)
    if args.json:
        Path(args.json).write_text(json.dumps(fig, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
