"""The page benchmark runs every registered page on the demo city and writes its figures (no timing assertions)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "bench_pages.py"
FIGURES = ("cold_s", "cold_script_s", "warm_s", "warm_script_s", "after_data_change_s", "peak_mb", "rss_before_mb")


def _registered_pages() -> list[str]:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from bench_pages import registered_pages
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    return [p["path"] for p in registered_pages()]


def test_registered_pages_are_read_from_the_router():
    pages = _registered_pages()
    assert pages[0] == "pages/overview.py"
    assert {"pages/upload.py", "pages/plan.py"} <= set(pages)
    assert all((ROOT / p).is_file() for p in pages)


SOME = ("overview", "upload", "users")  # the heaviest page, a form page, an admin page: each in its own process


def test_bench_pages_city_run_writes_positive_figures_for_the_pages_asked(demo_db, tmp_path):
    store = tmp_path / "bench.db"
    shutil.copy(demo_db, store)
    out = tmp_path / "pages.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--db", f"sqlite:///{store}", "--scale", "city", "--repeat", "1",
         "--json", str(out), "--no-browser", "--profile", "none", "--pages", ",".join(SOME)],
        cwd=ROOT, capture_output=True, timeout=900,
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr).decode(errors="replace")[-4000:]
    text = proc.stdout.decode("utf-8")
    assert "达标" in text and "cold" in text

    fig = json.loads(out.read_text(encoding="utf-8"))
    assert fig["scale"] == "city" and fig["repeat"] == 1
    assert fig["budget"] == {"cold_s": 3.0, "warm_s": 0.5, "peak_mb": 600.0}
    assert fig["setup"]["baseline_s"]["before"] > 0 and fig["setup"]["baseline_s"]["after"] > 0
    assert "机器基线" in text
    assert fig["setup"]["upgrade"]["villages"] > 0 and fig["setup"]["upgrade"]["months"] == 36
    assert [p["page"] for p in fig["pages"]] == [f"pages/{stem}.py" for stem in SOME]  # in the router's order
    for page in fig["pages"]:
        assert page["ok"] and page["problems"] == [], (page["page"], page["problems"])
        assert page["shown"], page["page"]  # the page drew its title, so it is the page that ran
        for key in FIGURES:
            assert page[key] > 0, (page["page"], key)
        assert len(page["warm_runs"]) == 1
        assert page["peak_mb"] >= page["rss_before_mb"]
        assert set(page["met"]) == {"cold_s", "warm_s", "peak_mb"}
        assert all(isinstance(v, bool) for v in page["met"].values())
        assert page["preloaded"]["ok"] and page["preloaded"]["cold_s"] > 0, page["page"]
        baseline = sum(fig["setup"]["baseline_s"].values()) / 2  # the machine's reference work, same run
        assert abs(page["cold_x_baseline"] - page["cold_s"] / baseline) < 0.02, page["page"]
    overview = fig["pages"][0]
    assert overview["months_browsed"] and all(m["s"] > 0 for m in overview["months_browsed"])
    assert overview["preloaded"]["breakdown"]["cold"], "the app functions' timings are recorded"
    titles = {p["title"] for p in fig["pages"]}
    assert titles == {"总览", "数据上报", "用户管理"}
