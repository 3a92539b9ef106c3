"""The plan decides the thresholds: a plan asking for 4 法律明白人 per village is measured against 4."""

from __future__ import annotations

from sqlalchemy import text

from dashboard import queries, targets
from dashboard.catalog import active_plan, load_plan
from dashboard.plan import parse_plan
from dashboard.settings import DEFAULT_PLAN_FILE
from tests.apptest import app

FOUR = DEFAULT_PLAN_FILE.read_text(encoding="utf-8").replace("每个村至少有3名", "每个村至少有4名")


def test_the_number_per_village_is_read_from_the_plan():
    legal = next(t for t in parse_plan(FOUR).targets if t.metric == "legal_persons_coverage")
    assert (legal.key, legal.value, legal.unit) == ("legal_persons_4", 4.0, "名/村")
    spec = next(s for s in targets.specs([_row(t) for t in parse_plan(FOUR).targets])
                if s.metric == "legal_persons_coverage")
    assert (spec.label, spec.threshold, [m.value for m in spec.milestones]) == ("法律明白人≥4名的村占比", 4.0, [100.0])


def _row(t):
    from types import SimpleNamespace

    return SimpleNamespace(metric=t.metric, value=t.value, deadline=t.deadline, source=t.source,
                           deadline_configured=t.deadline_configured)


def test_pages_count_villages_against_the_plans_number(demo_store):
    load_plan(demo_store, FOUR, "方案(每村4名).txt")
    assert active_plan(demo_store).source_name == "方案(每村4名).txt"
    newest = queries.periods(demo_store)[-1]
    with demo_store.connect() as conn:
        expected = dict(conn.execute(text(
            "SELECT r.county_code, SUM(CASE WHEN r.legal_persons >= 4 THEN 1 ELSE 0 END) FROM village_reports r "
            "JOIN uploads u ON u.id = r.upload_id WHERE u.active AND u.kind = 'village_monthly' AND u.period = :p "
            "GROUP BY r.county_code"), {"p": newest}).all())
        three = dict(conn.execute(text(
            "SELECT r.county_code, SUM(CASE WHEN r.legal_persons >= 3 THEN 1 ELSE 0 END) FROM village_reports r "
            "JOIN uploads u ON u.id = r.upload_id WHERE u.active AND u.kind = 'village_monthly' AND u.period = :p "
            "GROUP BY r.county_code"), {"p": newest}).all())
    assert expected != three  # the demo has villages with 3 or 4: the bar makes a difference
    at = app(90)
    at.query_params["month"] = newest
    at.run()
    assert "法律明白人≥4名的村占比" in [m.label for m in at.metric]
    at.switch_page("pages/targets.py")
    at.session_state["target_metric"] = "legal_persons_coverage"
    at.run()
    assert not at.exception
    assert at.markdown[0].value.startswith("#### 法律明白人≥4名的村占比:") or any(
        m.value.startswith("#### 法律明白人≥4名的村占比:") for m in at.markdown)
    names = queries.counties(demo_store)
    table = next(d.value for d in at.dataframe if "达标村" in d.value.columns)
    shown = dict(zip(table["县(市、区)"], table["达标村"]))
    assert {names[c]: shown[names[c]] for c in expected} == {names[c]: n for c, n in expected.items()}
    assert sum(expected.values()) > 0
    gaps = next(d.value for d in at.dataframe if "填报情况" in d.value.columns)
    assert set(gaps["填报情况"]) <= {"0 名", "1 名", "2 名", "3 名", "未报送"} and "3 名" in set(gaps["填报情况"])
