"""Backup and restore of the whole store: ``qinglian backup OUT`` / ``qinglian restore IN``.

SQLite is copied with its online backup API (consistent while the app runs: every page of one moment);
PostgreSQL with ``pg_dump -Fc`` of the store's schema and ``pg_restore --clean --single-transaction`` (all or
nothing). A restore first saves the current store under ``var/backups/`` (nothing is ever lost by a restore),
checks that the file is a backup of this kind of store, and afterwards applies any newer migration.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text

from dashboard import months
from dashboard.settings import child_env, var_dir

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"


class BackupError(ValueError):
    """A backup or restore that cannot be done, said in Chinese; ``code`` is the CLI's exit code."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Done:
    path: Path
    bytes: int
    uploads: int  # upload versions (accepted or refused) in the store that was saved / restored


def _sqlite_path(engine: Engine) -> Path:
    return Path(engine.url.database)


def _uploads(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(text("SELECT COUNT(*) FROM uploads")) or 0)


def _pg_env(engine: Engine) -> tuple[list[str], dict[str, str]]:
    """libpq arguments for pg_dump/pg_restore (host, port, user, database) and the password in the environment,
    never on the command line."""
    url = engine.url
    args = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-d", url.database or "postgres"]
    if url.username:
        args += ["-U", url.username]
    return args, child_env(**({"PGPASSWORD": url.password} if url.password else {}))


def _schema(engine: Engine) -> str:
    with engine.connect() as conn:
        return conn.scalar(text("SELECT current_schema()"))


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"未找到 {name}:PostgreSQL 的备份与恢复需要它,请安装 postgresql-client(apt-get install "
                          "postgresql-client),版本不低于数据库服务器。", 2)
    return found


def backup(engine: Engine, out: Path) -> Done:
    """Write a consistent copy of the whole store to ``out`` (refused when ``out`` exists)."""
    out = Path(out)
    if out.exists():
        raise BackupError(f"备份文件「{out}」已存在,未覆盖。请换一个文件名。")
    out.parent.mkdir(parents=True, exist_ok=True)
    if engine.dialect.name == "sqlite":
        source = sqlite3.connect(_sqlite_path(engine))
        target = sqlite3.connect(out)
        try:
            with target:
                source.backup(target)
        finally:
            target.close()
            source.close()
    elif engine.dialect.name == "postgresql":
        args, env = _pg_env(engine)
        done = subprocess.run([_tool("pg_dump"), "-Fc", "--no-owner", "-n", _schema(engine), "-f", str(out), *args],
                              capture_output=True, env=env, timeout=3600)
        if done.returncode:
            out.unlink(missing_ok=True)
            raise BackupError(f"pg_dump 失败:{done.stderr.decode(errors='replace').strip()[:500]}", 2)
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported stores
        raise BackupError(f"不支持的数据库类型:{engine.dialect.name}", 2)
    return Done(out, out.stat().st_size, _uploads(engine))


def _check(engine: Engine, source: Path) -> None:
    """Refuse a file that is not a backup of this kind of store, before anything is touched."""
    try:
        with source.open("rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise BackupError(f"无法读取备份文件「{source}」:{exc.strerror or exc}。", 2) from exc
    kind = engine.dialect.name
    if kind == "sqlite" and not head.startswith(SQLITE_MAGIC):
        what = "是 PostgreSQL 的备份" if head.startswith(PG_MAGIC) else "不是看板的备份文件"
        raise BackupError(f"「{source.name}」{what},不能恢复到内置 SQLite 数据库。", 2)
    if kind == "postgresql" and not head.startswith(PG_MAGIC):
        what = "是内置 SQLite 数据库的备份" if head.startswith(SQLITE_MAGIC) else "不是看板的备份文件"
        raise BackupError(f"「{source.name}」{what},不能恢复到 PostgreSQL。", 2)
    if kind == "sqlite":
        conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            ok = conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            has = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"「{source.name}」已损坏,无法恢复:{exc}。", 2) from exc
        finally:
            conn.close()
        if not ok or not {"alembic_version", "uploads", "regions"} <= has:
            raise BackupError(f"「{source.name}」不是完整的看板数据库备份(缺少数据表或校验未通过),未恢复。", 2)


def restore(engine: Engine, source: Path, safety_dir: Path | None = None) -> tuple[Done, Done]:
    """Replace the whole store with the backup ``source``; returns (the safety copy of the store as it was, the
    restored store). The copy is taken first, so a wrong restore can itself be undone."""
    from dashboard.catalog import ready

    source = Path(source)
    _check(engine, source)
    folder = safety_dir or var_dir() / "backups"
    suffix = ".db" if engine.dialect.name == "sqlite" else ".dump"
    saved = backup(engine, folder / f"恢复前_{months.now():%Y%m%d_%H%M%S}{suffix}")
    engine.dispose()
    if engine.dialect.name == "sqlite":
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dst = sqlite3.connect(_sqlite_path(engine))
        try:
            with dst:
                src.backup(dst)  # one step: the store becomes the backup, page for page, or stays as it was
        finally:
            dst.close()
            src.close()
    else:
        args, env = _pg_env(engine)
        done = subprocess.run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
                               *args, str(source)], capture_output=True, env=env, timeout=3600)
        if done.returncode:
            raise BackupError(f"pg_restore 失败,数据库未改变(单一事务):"
                              f"{done.stderr.decode(errors='replace').strip()[:500]}", 2)
    ready(engine)  # a backup from an older version gets the newer migrations
    return saved, Done(source, source.stat().st_size, _uploads(engine))
