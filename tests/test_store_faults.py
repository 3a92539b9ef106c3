"""Store faults said in plain Chinese: unreachable at start, read-only or full during a commit.

Simulated for real where this machine allows it — a read-only SQLite connection, SQLite's page limit
standing in for a full disk, a PostgreSQL port nobody listens on — and by an injected error carrying
PostgreSQL's "disk full" SQLSTATE. After each failed commit the store holds what it held before.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import event, insert, select
from sqlalchemy.exc import OperationalError
from streamlit.testing.v1 import AppTest

from dashboard import intake as api
from dashboard import models
from dashboard.store import PAGE_UNREACHABLE, StoreError, make_engine, store_fault, upgrade
from tests.apptest import ADMIN, APP, app
from tests.intake_fixtures import beyond_attempts, fingerprint, uploads_rows

ROOT = Path(__file__).resolve().parents[1]
QINGLIAN = str(Path(sys.executable).with_name("qinglian"))
DEAD_PG = "postgresql+psycopg://qinglian:s3cret-pw@127.0.0.1:1/qinglian"
UNREACHABLE_LINE = "无法连接数据库(127.0.0.1:1):请确认数据库服务已启动、地址和端口正确,稍后重试。\n"


# --- during a commit -----------------------------------------------------------------------------

def test_commit_to_a_read_only_store_writes_nothing_and_says_so(intake):
    preview = intake.accepted(intake.table().set(0, "法律明白人数", 9).xlsx())
    before = fingerprint(intake.engine)
    read_only = make_engine(f"sqlite:///file:{intake.engine.url.database}?mode=ro&uri=true")
    try:
        with pytest.raises(StoreError) as fault:
            api.commit(read_only, preview, who=ADMIN)
    finally:
        read_only.dispose()
    assert fault.value.kind == "readonly"
    assert fault.value.commit_text() == "本次上报未写入任何数据:数据库只读,请联系系统管理员"
    assert fingerprint(intake.engine) == before  # not even the attempt could be recorded: nothing at all


def test_commit_on_a_full_disk_writes_nothing_and_records_the_attempt(intake, tmp_path):
    preview = intake.accepted(intake.table().set(0, "法律明白人数", 9).xlsx())
    path = intake.engine.url.database
    intake.engine.dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("VACUUM")  # no free pages left inside the file: every new row needs a new page
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    full = make_engine(f"sqlite:///{path}")

    @event.listens_for(full, "connect")
    def _limit(dbapi_conn, _record):  # room for one small record, not for 115 rows and the file
        dbapi_conn.execute(f"PRAGMA max_page_count={pages + 2}")

    before = fingerprint(intake.engine)
    try:
        with pytest.raises(StoreError) as fault:
            api.commit(full, preview, who=ADMIN)
    finally:
        full.dispose()
    assert fault.value.commit_text() == "本次上报未写入任何数据:磁盘已满,请联系系统管理员"
    after = fingerprint(intake.engine)
    assert beyond_attempts(after) == beyond_attempts(before)
    assert after["audit_log"][0] == before["audit_log"][0] + 1  # the failed attempt, audited
    new = uploads_rows(intake.engine)[-1]
    assert (new["outcome"], new["active"], new["content"]) == ("failed", False, None)
    assert new["message"] == "本次上报未写入任何数据:磁盘已满,请联系系统管理员"
    assert after["uploads"][0] == before["uploads"][0] + 1
    assert api.check_store(intake.engine) == []


class _PgDiskFull(Exception):
    sqlstate = "53100"

    def __str__(self) -> str:
        return 'could not extend file "base/16384/2619": No space left on device'


def _tiny_city(engine) -> str:
    """A city with one county, one township and two villages; returns the county code."""
    rows = [("450000000000", "清源市", "city", None, None), ("450101000000", "东城区", "county", "450000000000", "450101000000"),
            ("450101001000", "东镇", "township", "450101000000", "450101000000"),
            ("450101001001", "东村", "village", "450101001000", "450101000000"),
            ("450101001002", "西村", "village", "450101001000", "450101000000")]
    with engine.begin() as conn:
        conn.execute(insert(models.Region), [dict(code=c, name=n, level=lv, parent_code=p, county_code=k, is_demo=False)
                                             for c, n, lv, p, k in rows])
    return "450101000000"


def test_an_injected_disk_full_on_postgresql_leaves_the_store_as_it_was(pg_url, monkeypatch):
    engine = make_engine(pg_url)
    try:
        upgrade(engine)
        county = _tiny_city(engine)
        data = ("县(市、区),乡镇(街道),村(社区),法律明白人数,小微权力清单已建立,纪检委员已配备,三务公开本月按时公开,村务监督委员会健全,"
                "问题线索发现数,问题线索查处数,问题线索通报曝光数,矛盾纠纷受理数,矛盾纠纷化解数\r\n"
                "东城区,东镇,东村,3,是,是,是,是,0,0,0,0,0\r\n东城区,东镇,西村,4,是,否,是,是,1,1,0,2,1\r\n").encode()
        preview = api.prepare(engine, data, "月报.csv", "village_monthly", "2026-01", county, who=ADMIN)
        assert preview.ok, [i.text() for i in preview.errors]

        def disk_full(conn, *args, **kwargs):
            raise OperationalError("INSERT INTO village_reports ...", {}, _PgDiskFull())

        monkeypatch.setattr(api, "_bulk_insert", disk_full)
        before = fingerprint(engine)
        with pytest.raises(StoreError) as fault:
            api.commit(engine, preview, who=ADMIN)
        assert fault.value.commit_text() == "本次上报未写入任何数据:磁盘已满,请联系系统管理员"
        after = fingerprint(engine)
        assert beyond_attempts(after) == beyond_attempts(before)
        assert after["audit_log"][0] == before["audit_log"][0] + 1  # the failed attempt, audited
        failed = uploads_rows(engine)
        assert [(u["outcome"], u["active"], u["rows"]) for u in failed] == [("failed", False, 2)]
        assert api.check_store(engine) == []
    finally:
        engine.dispose()


def test_store_fault_names_host_and_port_never_the_password():
    from sqlalchemy import create_engine

    engine = create_engine(DEAD_PG, connect_args={"connect_timeout": 3})
    with pytest.raises(OperationalError) as caught:
        engine.connect()
    fault = store_fault(caught.value, engine.url)
    assert fault is not None and fault.kind == "unreachable"
    assert fault.cli_text() == UNREACHABLE_LINE.rstrip("\n")
    assert "s3cret" not in fault.cli_text() and "qinglian:" not in fault.cli_text()


def test_a_query_error_is_not_mistaken_for_a_store_fault(sqlite_url):
    engine = make_engine(sqlite_url)
    with pytest.raises(OperationalError) as caught, engine.connect() as conn:
        conn.exec_driver_sql("SELECT * FROM no_such_table")
    assert store_fault(caught.value, engine.url) is None


# --- unreachable at start: the CLI -----------------------------------------------------------------

@pytest.mark.parametrize("verb", [
    ["db", "upgrade"],
    ["serve", "--no-demo", "--port", "8999"],
    ["demo"],
    ["template", "village_monthly", "--period", "2026-01"],
    ["import", "README.md", "--kind", "village_monthly", "--period", "2026-01", "--county", "东城区"],
])
def test_every_cli_verb_says_the_store_is_unreachable_in_one_chinese_line(verb):
    out = subprocess.run([QINGLIAN, "--db", DEAD_PG, *verb], capture_output=True, timeout=120,
                         cwd=ROOT, env={**os.environ, "QINGLIAN_DB_URL": ""})
    assert out.returncode == 2, out.stderr.decode()
    assert out.stderr.decode() == UNREACHABLE_LINE
    assert b"s3cret" not in out.stdout + out.stderr and b"Traceback" not in out.stderr


def test_cli_import_into_a_read_only_store(intake, tmp_path):
    path = tmp_path / "月报.xlsx"
    path.write_bytes(intake.table().set(0, "法律明白人数", 9).xlsx())
    before = fingerprint(intake.engine)
    url = f"sqlite:///file:{intake.engine.url.database}?mode=ro&uri=true"
    out = subprocess.run([QINGLIAN, "--db", url, "import", str(path), "--kind", "village_monthly", "--period",
                          "2026-01", "--county", "北亭县"], capture_output=True, timeout=120)
    assert out.returncode == 2, out.stderr.decode()
    assert out.stderr.decode().startswith("本次上报未写入任何数据:数据库只读,请联系系统管理员(SQLite 文件 ")
    assert b"Traceback" not in out.stderr
    assert fingerprint(intake.engine) == before


# --- unreachable and full: the pages ---------------------------------------------------------------

@pytest.mark.parametrize("page", ["pages/overview.py", "pages/map.py", "pages/targets.py", "pages/accountability.py",
                                  "pages/upload.py", "pages/plan.py"])
def test_pages_say_the_store_is_unreachable(page, monkeypatch):
    """Nobody can be signed in (the sessions are in the store): the router and each page say why, in Chinese."""
    monkeypatch.setenv("QINGLIAN_DB_URL", DEAD_PG)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception and [e.value for e in at.error] == [PAGE_UNREACHABLE]
    assert not at.warning  # not "请先登录": signing in would not help
    at.switch_page(page).run()
    assert not at.exception
    assert [e.value for e in at.error] == [PAGE_UNREACHABLE]


def test_upload_page_says_nothing_was_written_when_the_disk_is_full(demo_store, monkeypatch):
    from tests.intake_fixtures import COUNTY, county_code_of, monthly_table

    table = monthly_table(demo_store, COUNTY)
    code = county_code_of(demo_store, COUNTY)
    at = app(60).run()
    at.switch_page("pages/upload.py").run()
    at.selectbox(key="up_kind").set_value("village_monthly").run()
    at.selectbox(key="up_period").set_value("2026-01").run()
    at.selectbox(key="up_county").set_value(code).run()
    at.file_uploader(key="up_file").set_value(("月报.xlsx", table.xlsx(),
                                                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")).run()
    assert any("校验通过" in i.value for i in at.info)

    def disk_full(conn, *args, **kwargs):
        orig = sqlite3.OperationalError("database or disk is full")
        orig.sqlite_errorcode, orig.sqlite_errorname = 13, "SQLITE_FULL"
        raise OperationalError("INSERT", {}, orig)

    monkeypatch.setattr(api, "_bulk_insert", disk_full)
    before = fingerprint(demo_store)
    next(b for b in at.button if b.label == "确认提交").click().run()
    assert not at.exception
    assert "本次上报未写入任何数据:磁盘已满,请联系系统管理员" in [e.value for e in at.error]
    after = fingerprint(demo_store)
    assert beyond_attempts(after) == beyond_attempts(before)
    assert after["audit_log"][0] == before["audit_log"][0] + 1  # the failed attempt, audited
    with demo_store.connect() as conn:
        outcome = conn.scalar(select(models.Upload.outcome).order_by(models.Upload.id.desc()).limit(1))
    assert outcome == "failed"


@pytest.mark.parametrize("code, kind", [
    (8 | 4 << 8, "readonly"),  # SQLITE_READONLY_DIRECTORY
    (8 | 3 << 8, "readonly"),  # SQLITE_READONLY_ROLLBACK
    (10 | 3 << 8, "ioerror"),  # SQLITE_IOERR_WRITE
    (13, "full"),
    (5 | 2 << 8, "locked"),  # SQLITE_BUSY_SNAPSHOT
    (14, "unreachable"),  # SQLITE_CANTOPEN
    (19 | 6 << 8, None),  # SQLITE_CONSTRAINT_PRIMARYKEY: a bug, not a store fault
])
def test_sqlite_faults_are_known_by_their_family(code, kind):
    orig = sqlite3.OperationalError("x")
    orig.sqlite_errorcode = code
    fault = store_fault(OperationalError("INSERT", {}, orig), "sqlite:////srv/qinglian.db")
    assert (fault.kind if fault else None) == kind
    if kind == "ioerror":
        assert fault.commit_text() == "本次上报未写入任何数据:数据库文件读写出错,请联系系统管理员"


def test_a_crashed_parse_shows_no_traceback_in_the_cli(intake, tmp_path, monkeypatch, capsys):
    from dashboard import cli
    from dashboard.sandbox import Sandbox, SandboxFailure

    def crash(self, job, on_wait=None):
        raise SandboxFailure("crash", 'Traceback (most recent call last):\n  File "x.py"\nKeyError: 1')

    monkeypatch.setattr(Sandbox, "run", crash)
    path = tmp_path / "月报.xlsx"
    path.write_bytes(intake.table().xlsx())
    code = cli.main(["--db", str(intake.engine.url), "import", str(path), "--kind", "village_monthly",
                     "--period", "2026-01", "--county", "北亭县"])
    out = capsys.readouterr()
    assert code == 1
    assert "Traceback" not in out.out + out.err and "KeyError" not in out.out + out.err
    assert out.out.splitlines()[-1] == "错误:系统校验该文件时出错,未写入任何数据。请稍后重试;如仍失败,请把文件发给系统管理员。"
