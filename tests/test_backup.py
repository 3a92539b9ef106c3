"""``qinglian backup`` / ``qinglian restore`` round trips on SQLite and PostgreSQL: the restored store is the
backed-up one row for row, the store as it was before the restore is saved first, and wrong files are refused
before anything is touched."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from dashboard import audit, freeze
from dashboard.store import make_engine
from tests.apptest import ADMIN
from tests.intake_fixtures import fingerprint as whole_fingerprint
from tests.store_states import PERIOD, build

QINGLIAN = str(Path(sys.executable).with_name("qinglian"))


def fingerprint(engine) -> dict:
    """Every table but the audit log, which records the backup and the restore themselves."""
    return {k: v for k, v in whole_fingerprint(engine).items() if k != "audit_log"}


def run(url: str, var: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([QINGLIAN, "--db", url, *args], capture_output=True, timeout=600,
                          env={**os.environ, "QINGLIAN_VAR": str(var)})


def test_round_trip_restores_every_row_and_keeps_the_store_it_replaced(store_url, tmp_path):
    engine = build(store_url, "first_month")
    before = fingerprint(engine)
    out = run(store_url, tmp_path / "var", "backup", str(tmp_path / "备份" / "月初.bak"))
    assert out.returncode == 0, out.stderr.decode()
    assert "已备份到" in out.stdout.decode() and "上报记录 2 份" in out.stdout.decode()
    # the month goes on: a freeze, and a village report table emptied by mistake
    freeze.freeze(engine, PERIOD, ADMIN)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM village_reports"))
    changed = fingerprint(engine)
    assert changed != before

    refused = run(store_url, tmp_path / "var", "restore", str(tmp_path / "备份" / "月初.bak"))
    assert refused.returncode == 1 and "请先停止看板服务,确认无误后加 --yes" in refused.stderr.decode()
    assert fingerprint(engine) == changed

    done = run(store_url, tmp_path / "var", "restore", str(tmp_path / "备份" / "月初.bak"), "--yes")
    assert done.returncode == 0, done.stderr.decode()
    engine.dispose()
    engine = make_engine(store_url)
    assert fingerprint(engine) == before  # every table, row for row
    log = audit.entries(engine, who=ADMIN)
    assert log.iloc[0]["操作"] == "恢复数据库" and "恢复前的数据另存为" in log.iloc[0]["说明"]
    saved = list((tmp_path / "var" / "backups").glob("恢复前_*"))
    assert len(saved) == 1 and str(saved[0]) in done.stdout.decode()
    if engine.dialect.name == "sqlite":  # the store that was replaced can itself be opened again
        assert fingerprint(make_engine(f"sqlite:///{saved[0]}")) == changed
    else:
        assert saved[0].read_bytes()[:5] == b"PGDMP"
    engine.dispose()


def test_wrong_files_are_refused_before_anything_changes(store_url, tmp_path):
    engine = build(store_url, "roster")
    before = fingerprint(engine)
    junk = tmp_path / "照片.bak"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    out = run(store_url, tmp_path / "var", "restore", str(junk), "--yes")
    assert out.returncode == 2 and "不是看板的备份文件" in out.stderr.decode()
    other = tmp_path / "另一种.bak"
    other.write_bytes(b"PGDMP" + bytes(200) if engine.dialect.name == "sqlite" else b"SQLite format 3\x00" + bytes(200))
    out = run(store_url, tmp_path / "var", "restore", str(other), "--yes")
    assert out.returncode == 2
    assert ("是 PostgreSQL 的备份" if engine.dialect.name == "sqlite" else "是内置 SQLite 数据库的备份") in out.stderr.decode()
    assert fingerprint(engine) == before and not (tmp_path / "var" / "backups").exists()
    assert "Traceback" not in out.stderr.decode()
    engine.dispose()


def test_a_backup_never_overwrites_a_file(sqlite_url, tmp_path):
    build(sqlite_url, "roster").dispose()
    target = tmp_path / "已有.bak"
    target.write_bytes(b"keep")
    out = run(sqlite_url, tmp_path / "var", "backup", str(target))
    assert out.returncode == 1 and "已存在,未覆盖" in out.stderr.decode() and target.read_bytes() == b"keep"


def test_a_truncated_sqlite_backup_is_refused(sqlite_url, tmp_path):
    engine = build(sqlite_url, "first_month")
    assert run(sqlite_url, tmp_path / "var", "backup", str(tmp_path / "a.bak")).returncode == 0
    cut = tmp_path / "断了.bak"
    cut.write_bytes((tmp_path / "a.bak").read_bytes()[:4096])
    before = fingerprint(engine)
    out = run(sqlite_url, tmp_path / "var", "restore", str(cut), "--yes")
    assert out.returncode == 2 and ("已损坏" in out.stderr.decode() or "不是完整的看板数据库备份" in out.stderr.decode())
    assert fingerprint(engine) == before
    engine.dispose()
