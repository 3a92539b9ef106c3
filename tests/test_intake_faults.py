"""Crashes and races during commit, on SQLite and PostgreSQL, with real processes.

A worker (``tests/fault_worker.py``) SIGKILLs itself at each stage of ``commit``: afterwards the store must
be exactly what it was and sound. Four workers importing the same kind/period/county at once must leave
one active version whose rows all come from one file, with every attempt kept and nobody told
"database is locked".
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dashboard import models
from dashboard.demo import seed_demo
from dashboard.intake import check_store
from dashboard.store import make_engine, upgrade
from tests.conftest import pg_schema
from tests.intake_fixtures import county_code_of, fingerprint, monthly_table

ROOT = Path(__file__).resolve().parents[1]
WORKER = ROOT / "tests" / "fault_worker.py"
COUNTY = "北亭县"  # 115 villages
KILL_PERIOD = "2025-12"  # the demo holds an active version to supersede
RACE_PERIOD = "2026-02"
STAGES = ("locked", "superseded", "upload", "rows")
U, VR = models.Upload, models.VillageReport


@pytest.fixture(scope="module")
def pg_demo_url(pg_reason):
    """A PostgreSQL schema holding the demo city, shared by this module's tests (each checks its own before)."""
    with pg_schema(pg_reason) as url:
        engine = make_engine(url)
        upgrade(engine)
        seed_demo(engine)
        engine.dispose()
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def demo_url(request, demo_db, tmp_path) -> str:
    """A store holding the demo city: a private SQLite file copy, or the module's PostgreSQL schema."""
    if request.param == "postgresql":
        return request.getfixturevalue("pg_demo_url")
    path = tmp_path / "store.db"
    shutil.copy(demo_db, path)  # demo_db was checkpointed: no -wal/-shm to carry along
    return f"sqlite:///{path}"


def _file(url: str, tmp_path: Path, legal_persons: int, name: str) -> tuple[Path, str]:
    """A valid file of COUNTY whose every row has ``legal_persons``; returns its path and the county code."""
    engine = make_engine(url)
    try:
        table = monthly_table(engine, COUNTY)
        code = county_code_of(engine, COUNTY)
    finally:
        engine.dispose()
    for i in range(len(table.rows)):
        table.set(i, "法律明白人数", legal_persons)
    path = tmp_path / name
    path.write_bytes(table.xlsx())
    return path, code


def _worker(url: str, *args: str) -> subprocess.Popen:
    env = {**os.environ, "QINGLIAN_DB_URL": url}
    return subprocess.Popen([sys.executable, str(WORKER), *map(str, args)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _run(url: str, *args: str) -> subprocess.CompletedProcess:
    proc = _worker(url, *args)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _state(url: str):
    """Fingerprint and check_store of a freshly opened engine (as after a restart)."""
    engine = make_engine(url)
    try:
        return fingerprint(engine), check_store(engine)
    finally:
        engine.dispose()


@pytest.mark.parametrize("stage", STAGES)
def test_sigkill_during_commit_leaves_the_store_as_it_was(demo_url, tmp_path, stage):
    path, code = _file(demo_url, tmp_path, 41, "月报.xlsx")
    before, problems = _state(demo_url)
    assert problems == []
    result = _run(demo_url, path, code, KILL_PERIOD, stage)
    assert result.returncode == -signal.SIGKILL, result.stderr
    assert result.stdout == ""
    after, problems = _state(demo_url)
    assert after == before
    assert problems == []


def test_commit_after_a_crash_writes_the_whole_version(demo_url, tmp_path):
    """A killed import leaves no lock behind: the next run commits, superseding (not deleting) the old version."""
    path, code = _file(demo_url, tmp_path, 42, "月报.xlsx")
    assert _run(demo_url, path, code, KILL_PERIOD, "rows").returncode == -signal.SIGKILL
    engine = make_engine(demo_url)
    try:
        with engine.connect() as conn:
            old_id = conn.scalar(select(U.id).where(U.kind == "village_monthly", U.period == KILL_PERIOD,
                                                    U.scope == code, U.active))
            old_rows = conn.scalar(select(func.count()).select_from(VR).where(VR.upload_id == old_id))
        assert old_id is not None and old_rows == 115
        result = _run(demo_url, path, code, KILL_PERIOD, "none")
        assert result.returncode == 0, result.stderr
        new_id = json.loads(result.stdout)["upload_id"]
        with engine.connect() as conn:
            versions = {r.id: r for r in conn.execute(
                select(U.id, U.active, U.rows, U.outcome, U.superseded_at)
                .where(U.kind == "village_monthly", U.period == KILL_PERIOD, U.scope == code))}
            new_values = conn.execute(select(VR.legal_persons, func.count()).where(VR.upload_id == new_id)
                                      .group_by(VR.legal_persons)).all()
            kept = conn.scalar(select(func.count()).select_from(VR).where(VR.upload_id == old_id))
        assert [i for i, r in versions.items() if r.active] == [new_id]
        assert (versions[new_id].rows, versions[new_id].outcome) == (115, "accepted")
        assert new_values == [(42, 115)]
        assert versions[old_id].superseded_at is not None and kept == old_rows
        assert check_store(engine) == []
    finally:
        engine.dispose()


CONSOLIDATED = ("北亭县", "新桥区", "下溪县")  # 115 + 125 + 162 villages
# upload: the three versions recorded, no row yet; rows2: inside the second county's rows;
# part3: all three counties written, the transaction not yet committed
MULTI_STAGES = ("upload", "rows2", "part2", "part3")


def _consolidated_file(url: str, tmp_path: Path) -> tuple[Path, dict[str, int]]:
    """One file holding every village of three counties (legal persons 43); returns it and rows per county code."""
    engine = make_engine(url)
    try:
        tables = [monthly_table(engine, county) for county in CONSOLIDATED]
        codes = [county_code_of(engine, county) for county in CONSOLIDATED]
    finally:
        engine.dispose()
    counts = {code: len(t.rows) for code, t in zip(codes, tables)}
    table = tables[0]
    table.rows = [row for t in tables for row in t.rows]
    for i in range(len(table.rows)):
        table.set(i, "法律明白人数", 43)
    path = tmp_path / "全市汇总.xlsx"
    path.write_bytes(table.xlsx())
    return path, counts


@pytest.mark.parametrize("stage", MULTI_STAGES)
def test_sigkill_during_a_consolidated_commit_leaves_the_store_as_it_was(demo_url, tmp_path, stage):
    """Killed after one or all of the counties are written (inside the one transaction): none of them is."""
    path, _ = _consolidated_file(demo_url, tmp_path)
    before, problems = _state(demo_url)
    assert problems == []
    result = _run(demo_url, path, "-", KILL_PERIOD, stage)
    assert result.returncode == -signal.SIGKILL, result.stderr
    after, problems = _state(demo_url)
    assert after == before
    assert problems == []


def test_a_consolidated_commit_writes_one_version_per_county(demo_url, tmp_path):
    path, rows = _consolidated_file(demo_url, tmp_path)
    assert sorted(rows.values()) == [115, 125, 162]
    result = _run(demo_url, path, "-", KILL_PERIOD, "none")
    assert result.returncode == 0, result.stderr
    ids = json.loads(result.stdout)["upload_ids"]
    engine = make_engine(demo_url)
    try:
        with engine.connect() as conn:
            versions = conn.execute(select(U.id, U.scope, U.rows, U.active).where(U.id.in_(ids)).order_by(U.id)).all()
            values = conn.execute(select(VR.upload_id, VR.legal_persons, func.count()).where(VR.upload_id.in_(ids))
                                  .group_by(VR.upload_id, VR.legal_persons).order_by(VR.upload_id)).all()
            active = conn.execute(select(U.scope, U.id).where(U.kind == "village_monthly", U.period == KILL_PERIOD,
                                                              U.scope.in_(list(rows)), U.active)).all()
        assert [(v.scope, v.rows, v.active) for v in versions] == [(code, n, True) for code, n in sorted(rows.items())]
        assert [tuple(v) for v in values] == [(v.id, 43, v.rows) for v in versions]
        assert dict(active) == {v.scope: v.id for v in versions}  # each county's earlier version superseded
        assert check_store(engine) == []
    finally:
        engine.dispose()


def test_parallel_imports_of_one_county_month(demo_url, tmp_path):
    values = (21, 22, 23, 24)
    files = [_file(demo_url, tmp_path, v, f"月报{v}.xlsx") for v in values]
    code = files[0][1]
    go = tmp_path / "go"
    procs = [_worker(demo_url, path, code, RACE_PERIOD, "hold", go) for path, _ in files]
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("go.ready.*"))) < len(procs):
        assert time.monotonic() < deadline, "workers did not get ready"
        assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
        time.sleep(0.01)
    go.touch()
    results = [p.communicate(timeout=120) + (p.returncode,) for p in procs]
    for _out, err, code_ in results:
        assert code_ == 0, err
        assert "locked" not in err.lower(), err
    ids = [json.loads(out)["upload_id"] for out, _, _ in results]

    engine = make_engine(demo_url)
    try:
        with engine.connect() as conn:
            versions = conn.execute(select(U.id, U.active, U.outcome, U.rows, U.superseded_at)
                                    .where(U.kind == "village_monthly", U.period == RACE_PERIOD, U.scope == code)
                                    .order_by(U.id)).all()
            by_upload = conn.execute(select(VR.upload_id, VR.legal_persons, func.count())
                                     .where(VR.upload_id.in_(ids)).group_by(VR.upload_id, VR.legal_persons)).all()
        assert sorted(ids) == [v.id for v in versions]
        assert all(v.outcome == "accepted" and v.rows == 115 for v in versions)
        active = [v.id for v in versions if v.active]
        assert active == [max(ids)], "the last commit wins"
        assert all(v.superseded_at is not None for v in versions if not v.active)
        # every version holds exactly its own file's rows: no mixing between concurrent imports
        assert sorted(by_upload) == sorted((uid, value, 115) for uid, value in zip(ids, values))
        assert check_store(engine) == []
    finally:
        engine.dispose()
