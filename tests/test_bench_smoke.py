"""The intake benchmark runs end to end on a small sheet and writes its figures (no timing assertions)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "bench_intake.py"
TIMINGS = ("ours_first", "ours_first_scoped", "ours_reupload", "naive", "naive_read", "naive_to_sql",
           "bare_read", "read_table", "build_context", "build_context_scoped", "validate", "commit",
           "unzip_sheet_xml")
BUDGET_KEYS = ("naive_over_ours_brief", "naive_over_ours_issue", "ours_over_bare", "ours_seconds")


def test_bench_intake_small_run_writes_positive_figures(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, str(SCRIPT), "--villages", "300", "--province-villages", "400",
                           "--repeat", "1", "--json", str(out)], cwd=ROOT, capture_output=True, timeout=600)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-3000:]
    text = proc.stdout.decode("utf-8")
    assert "达标" in text and "naive" in text

    fig = json.loads(out.read_text(encoding="utf-8"))
    assert fig["rows"] == 300 and fig["villages"] == 300 and fig["repeat"] == 1
    assert fig["columns"] >= 20 and fig["file_bytes"] > 0
    for key in TIMINGS:
        assert fig["seconds"][key] > 0, key
    for key in TIMINGS:
        if key not in ("naive_read", "naive_to_sql"):
            assert len(fig["runs"][key]) == 1 and fig["cpu_seconds"][key] >= 0, key
    for value in fig["ratios"].values():
        assert value > 0
    for case in ("ours_first", "ours_first_scoped", "ours_reupload"):
        for key in BUDGET_KEYS:
            budget = fig["budgets"][f"{case}:{key}"]
            assert budget["value"] > 0 and isinstance(budget["met"], bool)
        assert fig["previews"][case]["rows"] == 300
    assert fig["previews"]["ours_first"]["diff"]["added"] == 300
    assert fig["previews"]["ours_reupload"]["diff"]["added"] == 0
    # the province case: the first 400 villages of the province geography span several counties, one
    # version each, from the template without a county
    province = fig["province"]
    assert province["rows"] == province["villages"] == 400 and province["counties"] > 1
    seen = fig["previews"]["ours_province"]
    assert (seen["rows"], seen["versions"]) == (400, province["counties"])
    assert seen["diff"] == {"added": 400, "changed": 0, "unchanged": 0, "missing": 0}
    for key in ("ours_province", "naive_province", "bare_read_province", "province_split", "province_commit"):
        assert fig["seconds"][key] > 0, key
    for key in BUDGET_KEYS:
        assert isinstance(fig["budgets"][f"ours_province:{key}"]["met"], bool)
    assert province["worker"]["VmPeak"] > 0 and province["reply_bytes"] > 0
