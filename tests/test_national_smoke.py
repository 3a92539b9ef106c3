"""The national-scale generator (scripts/national.py) on a small country: loads with COPY into PostgreSQL, the
store is consistent, and the overview draws from it (its timings are measured by scripts/bench_pages.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dashboard import intake, models
from dashboard.store import make_engine

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.postgres


def test_a_small_country_loads_consistently_and_the_overview_draws_it(pg_url, monkeypatch):
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "national.py"), "--db", pg_url,
                          "--villages", "3000"], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout)
    engine = make_engine(pg_url)
    try:
        with engine.connect() as conn:
            villages = conn.scalar(select(func.count()).where(models.Region.level == "village"))
            reported = conn.scalar(select(func.count(func.distinct(models.VillageReport.village_code))))
            periods = conn.scalar(select(func.count(func.distinct(models.VillageReport.period))))
            rows = conn.scalar(select(func.count()).select_from(models.VillageReport))
        assert report["counts"]["villages"] == villages == reported and 2500 < villages < 3500
        assert periods == 36 and rows == report["counts"]["village_reports"]
        with engine.connect() as conn:  # the counts the pages read were made after the COPY
            kept = conn.execute(select(func.count(), func.sum(models.VillageCount.villages))).one()
            uploads = conn.scalar(select(func.count()).where(models.Upload.kind == "village_monthly"))
            ledgers = conn.scalar(select(func.count()).select_from(models.LedgerCount))
            ledger_uploads = conn.scalar(select(func.count()).where(models.Upload.kind == "demo_sites"))
            ended = conn.scalar(select(func.count()).where(models.Activation.ended_at.is_not(None)))
        assert tuple(kept) == (uploads, rows) and ledgers == ledger_uploads > 0
        assert ended == 0  # one version per report: none replaced
        assert intake.check_store(engine) == []  # one active version per report, every upload's row count right
        again = subprocess.run([sys.executable, str(ROOT / "scripts" / "national.py"), "--db", pg_url,
                                "--villages", "3000"], capture_output=True, text=True, timeout=600, cwd=ROOT)
        assert again.returncode != 0 and "数据库中已有区划数据;要覆盖请加 --replace" in again.stderr
    finally:
        engine.dispose()
    monkeypatch.setenv("QINGLIAN_DB_URL", pg_url)
    from tests.apptest import app

    at = app(300).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["乡镇示范点覆盖率"].endswith("%") and tiles["小微权力清单覆盖率"].endswith("%")
