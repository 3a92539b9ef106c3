"""Benchmark of the meeting exports (issue "Meeting exports", BRIEF §4) — a measurement, not a test.

    .venv/bin/python scripts/bench_exports.py [--scale city,province] [--repeat 3] [--json OUT]

Budgets: the month's deck ≤ 10 s at city scale and ≤ 30 s at province scale; all PNGs of a month ≤ 10 s at
city scale. The demo stores are the page benchmark's (``var/bench/<scale>.db``, seeded once by
``scripts/bench_pages.py``'s ``ensure_store``).

Per scale, in a FRESH subprocess (nothing of the dashboard imported yet, as a server just started), for the
newest month whose deadline has passed:

* baseline — ``report.build`` (reading the month's figures from the store), measured in the same process
  right before: every export pays it once, and the ratios export / baseline make runs on different machines
  comparable;
* for each format — the first ``meeting.export`` (cold: lazy imports, vl-convert's start-up, the read) and the
  median of ``--repeat`` further calls (warm), each the time a user waits after the click;
* frozen — the same after ``freeze.freeze``: the stored snapshot is read instead of the live figures.

The store is copied first so the benchmark's freeze never touches the cached store.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.apptest import ADMIN

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

BUDGETS = {("city", "pptx"): 10.0, ("province", "pptx"): 30.0, ("city", "png"): 10.0}
FORMATS = ("pptx", "docx", "png", "xlsx")


def measure(url: str, repeat: int) -> dict:
    """Runs inside the fresh subprocess: baseline, then every format cold and warm, live and frozen."""
    t0 = time.perf_counter()
    from dashboard import freeze, meeting, months, queries, report
    from dashboard.settings import deadline_day
    from dashboard.store import make_engine

    imported = time.perf_counter() - t0
    engine = make_engine(url)
    done = [p for p in queries.periods(engine) if not months.in_progress(p, deadline_day())]
    month = done[-1]
    t = time.perf_counter()
    report.build(engine, month)
    baseline = time.perf_counter() - t
    out = {"month": month, "import_s": round(imported, 3), "baseline_read_s": round(baseline, 3), "formats": {}}
    for fmt in FORMATS:
        t = time.perf_counter()
        files = meeting.export(engine, month, fmt, who=ADMIN)
        cold = time.perf_counter() - t
        warm = []
        for _ in range(repeat):
            t = time.perf_counter()
            meeting.export(engine, month, fmt, who=ADMIN)
            warm.append(time.perf_counter() - t)
        out["formats"][fmt] = {"cold_s": round(cold, 3), "warm_s": round(statistics.median(warm), 3),
                               "files": len(files), "bytes": sum(len(d) for _, d in files),
                               "ratio_to_baseline": round(statistics.median(warm) / baseline, 2)}
    t = time.perf_counter()
    freeze.freeze(engine, month, ADMIN)
    out["freeze_s"] = round(time.perf_counter() - t, 3)
    for fmt in FORMATS:
        t = time.perf_counter()
        meeting.export(engine, month, fmt, who=ADMIN)
        out["formats"][fmt]["frozen_s"] = round(time.perf_counter() - t, 3)
    return out


def run_scale(scale: str, repeat: int) -> dict:
    from bench_pages import ensure_store

    url, info = ensure_store(scale)
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "bench.db"
        shutil.copy(url.removeprefix("sqlite:///"), copy)
        from dashboard.catalog import ready
        from dashboard.store import make_engine

        ready(make_engine(f"sqlite:///{copy}"))  # migrations are not part of any figure
        code = ("import json, sys; sys.path.insert(0, sys.argv[1] + '/scripts'); from bench_exports import measure; "
                "print(json.dumps(measure(sys.argv[2], int(sys.argv[3]))))")
        proc = subprocess.run([sys.executable, "-c", code, str(ROOT), f"sqlite:///{copy}", str(repeat)],
                              capture_output=True, text=True, cwd=ROOT, env={**os.environ})
    if proc.returncode:
        raise SystemExit(f"{scale}: 基准运行失败 / failed\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["store"] = {"villages": info.get("counts", {}).get("regions"), "reused": info.get("reused")}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description="会议材料导出基准 / meeting export benchmark")
    parser.add_argument("--scale", default="city,province")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    results = {}
    for scale in args.scale.split(","):
        results[scale] = run_scale(scale, args.repeat)
        r = results[scale]
        print(f"\n== {scale} · {r['month']} · 读取基线 baseline {r['baseline_read_s']:.2f} s · 冻结 freeze {r['freeze_s']:.2f} s")
        print(f"{'格式':<6}{'cold s':>9}{'warm s':>9}{'frozen s':>10}{'×基线':>8}{'文件':>6}{'预算':>8}")
        for fmt, f in r["formats"].items():
            budget = BUDGETS.get((scale, fmt))
            verdict = "" if budget is None else (f"≤{budget:g} " + ("OK" if f["cold_s"] <= budget else "超出"))
            print(f"{fmt:<8}{f['cold_s']:>9.2f}{f['warm_s']:>9.2f}{f['frozen_s']:>10.2f}{f['ratio_to_baseline']:>8.1f}"
                  f"{f['files']:>6}  {verdict}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
