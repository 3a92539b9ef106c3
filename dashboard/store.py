"""Connections to the shared store and schema migrations.

SQLite connections run in WAL mode with a busy timeout and foreign keys on, so a reader never blocks
the monthly import and an import never waits forever on another one.
"""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.orm import Session

from dashboard import models
from dashboard.settings import db_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str | None = None) -> Engine:
    """Engine for ``url`` (default: the configured store) with the SQLite pragmas applied."""
    url = url or db_url()
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    path = url.removeprefix("sqlite:///")
    if url.startswith("sqlite:///") and ":memory:" not in url and not path.startswith("file:"):
        Path(path).parent.mkdir(parents=True, exist_ok=True)  # a URI (file:...?mode=ro) names an existing file
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


# Alembic's commands keep their context in module globals: two threads migrating at once (a server just started,
# a crowd of browsers reconnecting) break each other ("KeyError: 'script'"). One at a time per process.
MIGRATION_LOCK = threading.RLock()


def upgrade(engine: Engine) -> str:
    """Apply every pending migration; returns the head revision now in the store."""
    cfg = alembic_config()
    with MIGRATION_LOCK, engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return current_revision(engine)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def is_empty(engine: Engine) -> bool:
    """True when the store holds no regions yet (a fresh install)."""
    with Session(engine) as session:
        return not session.scalar(select(func.count()).select_from(models.Region))


# --- store faults in plain Chinese ----------------------------------------------------------------

FAULT_KINDS = ("unreachable", "readonly", "full", "locked", "ioerror")
_SQLSTATE = {"53100": "full", "25006": "readonly", "57P01": "unreachable", "57P02": "unreachable",
             "57P03": "unreachable", "53300": "unreachable"}
# SQLite primary result codes (an extended code's low byte): READONLY, FULL, CANTOPEN, BUSY, LOCKED, IOERR, PERM.
_SQLITE = {8: "readonly", 13: "full", 14: "unreachable", 5: "locked", 6: "locked", 10: "ioerror", 3: "readonly"}
COMMIT_FAULTS = {"readonly": "数据库只读", "full": "磁盘已满", "locked": "数据库正忙,请稍后重试",
                 "unreachable": "数据库无法连接", "ioerror": "数据库文件读写出错"}
PAGE_UNREACHABLE = "数据库暂时无法连接,请稍后重试(已上报的数据不受影响)"


class StoreError(Exception):
    """The store cannot be used right now. ``kind`` is one of :data:`FAULT_KINDS`; ``where`` names the
    host and port (or the SQLite file), never the password."""

    def __init__(self, kind: str, where: str):
        self.kind, self.where = kind, where
        super().__init__(self.cli_text())

    def cli_text(self) -> str:
        """The one line the CLI prints."""
        if self.kind == "unreachable":
            return f"无法连接数据库({self.where}):请确认数据库服务已启动、地址和端口正确,稍后重试。"
        return f"数据库({self.where})暂时无法写入:{COMMIT_FAULTS[self.kind]}。请联系系统管理员。"

    def commit_text(self, action: str = "本次上报") -> str:
        """What the user reads when a write hit the fault: nothing was written."""
        return f"{action}未写入任何数据:{COMMIT_FAULTS[self.kind]},请联系系统管理员"

    def page_text(self) -> str:
        """What a page shows instead of its content."""
        if self.kind == "unreachable":
            return PAGE_UNREACHABLE
        return f"数据库暂时无法使用({COMMIT_FAULTS[self.kind]}),请联系系统管理员(已上报的数据不受影响)"


def describe_url(url) -> str:
    """Host:port of a server URL, or the file of an SQLite URL — never the user or password."""
    from sqlalchemy.engine import make_url

    url = make_url(str(url)) if not hasattr(url, "drivername") else url
    if url.drivername.startswith("sqlite"):
        return f"SQLite 文件 {(url.database or '(内存)').removeprefix('file:')}"
    return f"{url.host or 'localhost'}:{url.port or 5432}"


def store_fault(exc: BaseException, url) -> StoreError | None:
    """The :class:`StoreError` an SQLAlchemy/DBAPI exception stands for, or None when it is something else."""
    from sqlalchemy import exc as sa_exc

    if not isinstance(exc, (sa_exc.DBAPIError, sa_exc.TimeoutError)):
        return None
    orig = getattr(exc, "orig", None)
    text = str(orig or exc).lower()
    sqlite_code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(sqlite_code, int):
        kind = _SQLITE.get(sqlite_code & 0xFF)  # SQLITE_READONLY_DIRECTORY, SQLITE_IOERR_WRITE, … by their family
        return StoreError(kind, describe_url(url)) if kind else None
    sqlstate = getattr(orig, "sqlstate", None) or ""
    kind = _SQLSTATE.get(sqlstate) or ("unreachable" if sqlstate.startswith("08") else None)
    if kind is None and not sqlstate:  # no SQLSTATE: the server never answered (refused, unknown host, gone)
        if "read-only" in text or "read only" in text:
            kind = "readonly"
        elif "no space left" in text or "disk is full" in text:
            kind = "full"
        elif isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)):
            kind = "unreachable"
    return StoreError(kind, describe_url(url)) if kind else None
