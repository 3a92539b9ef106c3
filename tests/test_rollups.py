"""The counts kept at commit (dashboard.rollups) on the hand-made 清溪市, on SQLite and PostgreSQL: the values
written by hand from its files, the same as counting the rows in plain SQL, refilled by the migration that
introduced them, and gone with the demo when it is removed."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from dashboard import demo, facts, store
from tests.apptest import ADMIN
from tests.tricky_city import JIA, YI, build

VILLAGE_SQL = """
SELECT v.upload_id, count(*),
       sum(CASE WHEN v.micro_power_list THEN 1 ELSE 0 END), sum(CASE WHEN v.discipline_member THEN 1 ELSE 0 END),
       """ + ", ".join(f"sum(CASE WHEN v.legal_persons >= {k} THEN 1 ELSE 0 END)" for k in range(11)) + """
FROM village_reports v GROUP BY v.upload_id
"""
LEGAL = ", ".join(f"legal_{k}" for k in range(11))
LEDGER_SQL = """
SELECT u.id, (SELECT count(DISTINCT r.parent_code) FROM demo_sites d JOIN regions r ON r.code = d.village_code
              WHERE d.upload_id = u.id AND d.status IN ('已建成', '已验收命名'))
FROM uploads u WHERE u.kind = 'demo_sites'
"""


def _kept(conn) -> tuple[set, set, list]:
    villages = {tuple(r) for r in conn.execute(text(
        f"SELECT upload_id, villages, micro_power_list, discipline_member, {LEGAL} FROM village_report_counts"))}
    ledgers = {tuple(r) for r in conn.execute(text("SELECT upload_id, townships FROM ledger_township_counts"))}
    ends = [tuple(r) for r in conn.execute(text("SELECT id, ended_at, first FROM activations ORDER BY id"))]
    return villages, ledgers, ends


def _upload(conn, kind: str, period: str, scope: str) -> int:
    return conn.scalar(text("SELECT min(id) FROM uploads WHERE kind = :k AND period = :p AND scope = :s"),
                       {"k": kind, "p": period, "s": scope})


def test_counts_are_kept_at_commit_as_the_files_say(store_url):
    engine = build(store_url)
    try:
        with engine.connect() as conn:
            villages, ledgers, ends = _kept(conn)
            october = _upload(conn, "village_monthly", "2023-10", JIA)
            # 甲县's October file: 10 villages, the first 4 with 3 法律明白人, the other 6 with 1; the first 6 with
            # a 小微权力清单, the first 5 with a 纪检委员
            assert [r[1:] for r in villages if r[0] == october] == [(10, 6, 5, 10, 10, 4, 4, 0, 0, 0, 0, 0, 0, 0)]
            # 甲县's November ledger: 甲一村 (甲一镇) built, 甲四村 (甲二镇) accepted, 甲七村 only 创建中
            assert (_upload(conn, "demo_sites", "2023-11", JIA), 2) in ledgers
            assert (_upload(conn, "demo_sites", "2023-11", YI), 1) in ledgers
            # 乙县's January ledger demotes its only built site: it counts 0, it is not absent
            assert (_upload(conn, "demo_sites", "2024-01", YI), 0) in ledgers
            # and every upload's counts are what counting its rows in plain SQL gives
            assert villages == {tuple(r) for r in conn.execute(text(VILLAGE_SQL))}
            assert ledgers == {tuple(r) for r in conn.execute(text(LEDGER_SQL))}
            # 甲县's November village file was corrected once: the first version ended when the second came
            moments = conn.execute(text(
                "SELECT a.ended_at IS NOT NULL, a.first FROM activations a WHERE a.kind = 'village_monthly' "
                "AND a.period = '2023-11' AND a.scope = :s ORDER BY a.id"), {"s": JIA}).all()
            assert [tuple(m) for m in moments] == [(True, True), (False, False)]
    finally:
        engine.dispose()


def test_a_bar_above_the_counted_ones_counts_the_village_rows(tmp_path):
    """法律明白人 are counted at commit for bars 0 … 10; a plan asking for more is counted from the rows."""
    engine = build(f"sqlite:///{tmp_path / 'city.db'}")
    try:
        view = facts.View("2023-11")
        kept = facts.indicator_series(engine, view, (("legal_persons", 3.0), ("micro_power_list", None), ("discipline_member", None))).set_index(["period", "county_code"]).sort_index()
        rows = facts.indicator_series(engine, view, (("legal_persons", 11.0), ("micro_power_list", None), ("discipline_member", None))).set_index(["period", "county_code"]).sort_index()
        # 甲县 October: 4 of its 10 villages have 3 (facts above); 2.5 is the same bar as 3 for whole people
        assert kept.loc[("2023-10", JIA), ["reported", "legal_persons", "micro_power_list"]].tolist() == [10, 4, 6]
        assert facts.indicator_series(engine, view, (("legal_persons", 2.5), ("micro_power_list", None), ("discipline_member", None))).set_index(["period", "county_code"]).sort_index().equals(kept)
        assert (rows["legal_persons"] == 0).all()
        assert rows.drop(columns="legal_persons").equals(kept.drop(columns="legal_persons"))
    finally:
        engine.dispose()


def test_the_migration_counts_every_upload_already_stored(tmp_path):
    """…and sets when each activation ended, as the intake does when it activates the next version."""
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
        assert sum(1 for _, ended, _ in after[2] if ended is not None) >= 2  # a correction and a restore
        assert after == before and len(after[0]) == 8 and len(after[1]) >= 5  # 清溪市's 8 village files
    finally:
        engine.dispose()


def test_removing_the_demo_removes_its_counts(demo_store):
    with demo_store.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM village_report_counts")) > 0
    demo.remove_demo(demo_store, ADMIN)
    with demo_store.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM village_report_counts")) == 0
        assert conn.scalar(text("SELECT count(*) FROM ledger_township_counts")) == 0


def test_postgresql_reads_the_big_frames_as_sqlite_does(pg_url, tmp_path):
    """The target inputs come through COPY on PostgreSQL (facts.read_frame): same rows, types, NULLs and
    Chinese text as the row-by-row read SQLite uses."""
    stores = [build(pg_url), build(f"sqlite:///{tmp_path / 'city.db'}")]
    try:
        for as_of in ("2023-11", "2024-01"):
            view = facts.View(as_of)
            frames = [(facts.indicator_series(e, view, (("legal_persons", 3.0), ("micro_power_list", None), ("discipline_member", None))), facts.ledger_counts(e, view), facts.ledger_in_effect(e, view))
                      for e in stores]
            for pg, lite in zip(*frames):
                keys = list(pg.columns[:3])
                pg, lite = (f.sort_values(keys, ignore_index=True) for f in (pg, lite))
                assert list(pg.dtypes) == list(lite.dtypes) and pg.equals(lite), (as_of, pg, lite)
        ledger = facts.ledger_in_effect(stores[0], facts.View("2024-01"))
        assert ledger["brand"].isna().all() and ledger["brand"].map(type).eq(type(None)).all()
        assert "甲一村" not in set(ledger["village_code"]) and ledger["status"].isin(["已建成", "已验收命名", "创建中"]).all()
    finally:
        for engine in stores:
            engine.dispose()
