"""Versions as events: a month's view uses the version in effect at its cut-off — restores count from when
they were made, corrections after the cut-off are held back, late first reports fill the gap (迟报) — and
every page sees a restore on its next rerun."""

from __future__ import annotations

from dashboard import facts, intake, months, queries
from tests.apptest import ADMIN, app
from tests.clock import at
from tests.intake_fixtures import COUNTY, county_code_of, monthly_table

OTHER = "下溪县"
PERIOD = "2026-01"  # cut-off: 2026-02-28 24:00 Beijing time



def _upload(engine, county: str, legal: int, period: str = PERIOD) -> int:
    table = monthly_table(engine, county)
    for i in range(len(table.rows)):
        table.set(i, "法律明白人数", legal)
    preview = intake.prepare(engine, table.xlsx(), f"月报{legal}.xlsx", "village_monthly", period,
                             county_code_of(engine, county), who=ADMIN)
    assert preview.ok, [i.text() for i in preview.errors]
    return intake.commit(engine, preview, who=ADMIN)


def _legal_values(engine, view: facts.View, county: str) -> set[int]:
    reports = facts.village_reports(engine, view)
    return set(reports[reports["county_code"] == county_code_of(engine, county)]["legal_persons"])


def test_a_restore_counts_from_when_it_was_made(demo_store):
    with at("2026-02-03 09:00"):
        first = _upload(demo_store, COUNTY, 5)
    with at("2026-02-10 09:00"):
        _upload(demo_store, COUNTY, 1)
    with at("2026-02-20 09:00"):
        intake.restore(demo_store, first, who=ADMIN)
    view = facts.View(PERIOD)
    with at("2026-02-25 09:00"):  # cut-off ahead: what is active now
        assert _legal_values(demo_store, view, COUNTY) == {5}
    with at("2026-03-10 09:00"):  # cut-off passed: the restore, made before it, still holds
        assert _legal_values(demo_store, view, COUNTY) == {5}


def test_a_correction_after_the_cut_off_is_held_back_but_a_late_first_report_fills_the_gap(demo_store):
    with at("2026-02-03 09:00"):
        _upload(demo_store, COUNTY, 5)
    with at("2026-03-05 09:00"):  # after the cut-off: a correction, and 下溪县's first report for January
        _upload(demo_store, COUNTY, 2)
        _upload(demo_store, OTHER, 4)
    view = facts.View(PERIOD)
    with at("2026-03-10 09:00"):
        assert _legal_values(demo_store, view, COUNTY) == {5}  # as the February meeting saw it
        assert _legal_values(demo_store, view, OTHER) == {4}  # the gap is filled
        sources = facts.sources(demo_store, ("village_monthly",), view)
    rows = {r.file_name: (r.scope, r.late) for r in sources.itertuples()}
    assert rows == {"月报5.xlsx": (county_code_of(demo_store, COUNTY), False),
                    "月报4.xlsx": (county_code_of(demo_store, OTHER), True)}


def test_every_page_sees_a_restore_on_its_next_rerun(demo_store):
    period = months.this_month()  # its cut-off lies ahead: the active versions
    first = _upload(demo_store, COUNTY, 5, period)
    _upload(demo_store, COUNTY, 1, period)
    code = county_code_of(demo_store, COUNTY)
    at = app(90)
    at.query_params["month"], at.query_params["county"] = period, code
    at.run()
    assert {m.label: m.value for m in at.metric}["法律明白人≥3名的村占比"] == "0.0%"
    before = queries.data_version(demo_store)
    intake.restore(demo_store, first, who=ADMIN)
    assert queries.data_version(demo_store) != before
    at.run()
    assert {m.label: m.value for m in at.metric}["法律明白人≥3名的村占比"] == "100.0%"


def test_existing_stores_get_their_activations(store_url):
    """Migration 0005 backfills one activation per accepted upload, and a restore where one happened."""
    from alembic import command
    from sqlalchemy import text

    from dashboard.store import alembic_config, make_engine, upgrade

    engine = make_engine(store_url)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0004")
    rows = [  # id, uploaded_at, active, superseded_at: 1 replaced by 2 at 02-10, then 1 restored at 02-20
        (1, "2026-02-03 01:00:00", True, None), (2, "2026-02-10 01:00:00", False, "2026-02-20 01:00:00")]
    with engine.begin() as conn:
        for i, up, active, sup in rows:
            conn.execute(text(
                "INSERT INTO uploads (id, kind, period, scope, file_name, sha256, uploaded_by, uploaded_at, rows, "
                "errors, warnings, outcome, message, active, superseded_at, is_demo) VALUES (:i, 'village_monthly', "
                "'2026-01', 'x', 'a.xlsx', 'h', '甲', :up, 0, 0, 0, 'accepted', '', :a, :s, false)"),
                {"i": i, "up": up, "a": active, "s": sup})
    upgrade(engine)
    with engine.connect() as conn:
        events = conn.execute(text("SELECT upload_id, action FROM activations ORDER BY id")).all()
    assert [tuple(e) for e in events] == [(1, "commit"), (2, "commit"), (1, "restore")]
    engine.dispose()
