"""The export benchmark measures every format, live and frozen, on a demo store (figures only, no timing asserted)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_export_benchmark_measures_every_format(demo_db, tmp_path):
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from bench_exports import FORMATS, measure
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    copy = tmp_path / "bench.db"
    shutil.copy(demo_db, copy)
    out = measure(f"sqlite:///{copy}", repeat=1)
    assert out["month"] == "2025-12" and out["baseline_read_s"] > 0 and out["freeze_s"] > 0
    assert set(out["formats"]) == set(FORMATS)
    assert out["formats"]["png"]["files"] == 7  # a ladder per target (5), the county ranking, the map
    for figures in out["formats"].values():
        assert figures["files"] >= 1 and figures["bytes"] > 1000
        assert {"cold_s", "warm_s", "frozen_s", "ratio_to_baseline"} <= set(figures)
