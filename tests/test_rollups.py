"""The counts kept at commit (dashboard.rollups) on the hand-made 清溪市, on SQLite and PostgreSQL: the values
written by hand from its files, the same as counting the rows in plain SQL, refilled by the migration that
introduced them, and gone with the demo when it is removed."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from dashboard import demo, store
from tests.apptest import ADMIN
from tests.tricky_city import JIA, YI, build

VILLAGE_SQL = """
SELECT v.upload_id, v.legal_persons, count(*),
       sum(CASE WHEN v.micro_power_list THEN 1 ELSE 0 END), sum(CASE WHEN v.discipline_member THEN 1 ELSE 0 END)
FROM village_reports v GROUP BY v.upload_id, v.legal_persons
"""
LEDGER_SQL = """
SELECT u.id, (SELECT count(DISTINCT r.parent_code) FROM demo_sites d JOIN regions r ON r.code = d.village_code
              WHERE d.upload_id = u.id AND d.status IN ('已建成', '已验收命名'))
FROM uploads u WHERE u.kind = 'demo_sites'
"""


def _kept(conn) -> tuple[set, set]:
    villages = {tuple(r) for r in conn.execute(text(
        "SELECT upload_id, legal_persons, villages, micro_power_list, discipline_member FROM village_report_counts"))}
    ledgers = {tuple(r) for r in conn.execute(text("SELECT upload_id, townships FROM ledger_township_counts"))}
    return villages, ledgers


def _upload(conn, kind: str, period: str, scope: str) -> int:
    return conn.scalar(text("SELECT min(id) FROM uploads WHERE kind = :k AND period = :p AND scope = :s"),
                       {"k": kind, "p": period, "s": scope})


def test_counts_are_kept_at_commit_as_the_files_say(store_url):
    engine = build(store_url)
    try:
        with engine.connect() as conn:
            villages, ledgers = _kept(conn)
            october = _upload(conn, "village_monthly", "2023-10", JIA)
            # 甲县's October file: 10 villages, the first 4 with 3 法律明白人 (all with a list and a member), the
            # other 6 with 1, two of them with a 小微权力清单 and one with a 纪检委员
            assert {r[1:] for r in villages if r[0] == october} == {(3, 4, 4, 4), (1, 6, 2, 1)}
            # 甲县's November ledger: 甲一村 (甲一镇) built, 甲四村 (甲二镇) accepted, 甲七村 only 创建中
            assert (_upload(conn, "demo_sites", "2023-11", JIA), 2) in ledgers
            assert (_upload(conn, "demo_sites", "2023-11", YI), 1) in ledgers
            # 乙县's January ledger demotes its only built site: it counts 0, it is not absent
            assert (_upload(conn, "demo_sites", "2024-01", YI), 0) in ledgers
            # and every upload's counts are what counting its rows in plain SQL gives
            assert villages == {tuple(r) for r in conn.execute(text(VILLAGE_SQL))}
            assert ledgers == {tuple(r) for r in conn.execute(text(LEDGER_SQL))}
    finally:
        engine.dispose()


def test_the_migration_counts_every_upload_already_stored(tmp_path):
    engine = build(f"sqlite:///{tmp_path / 'city.db'}")
    try:
        with engine.connect() as conn:
            before = _kept(conn)
        cfg = store.alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0010")
        assert store.current_revision(engine) == "0010"
        assert store.upgrade(engine) == store.head_revision()
        with engine.connect() as conn:
            after = _kept(conn)
        assert after == before and len(after[0]) > 10 and len(after[1]) >= 5
    finally:
        engine.dispose()


def test_removing_the_demo_removes_its_counts(demo_store):
    with demo_store.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM village_report_counts")) > 0
    demo.remove_demo(demo_store, ADMIN)
    with demo_store.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM village_report_counts")) == 0
        assert conn.scalar(text("SELECT count(*) FROM ledger_township_counts")) == 0
