"""AppTest of 总览: KPI values and the ranking equal figures computed independently in SQL."""

from __future__ import annotations

from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from tests.apptest import app, open_sources

LATEST_LEDGER = """
    WITH latest AS (SELECT scope, MAX(period) AS period FROM uploads
                    WHERE kind = 'demo_sites' AND active AND period <= :p GROUP BY scope)
    SELECT t.county_code, COUNT(DISTINCT v.parent_code) FROM demo_sites d
    JOIN uploads u ON u.id = d.upload_id JOIN latest l ON l.scope = u.scope AND l.period = u.period
    JOIN regions v ON v.code = d.village_code JOIN regions t ON t.code = v.parent_code
    WHERE u.kind = 'demo_sites' AND u.active AND d.status IN ('已建成', '已验收命名') GROUP BY t.county_code"""
# a village report counts for its own month only: a county that has not reported this month meets nothing
LEGAL = """
    SELECT COUNT(*) FROM village_reports r JOIN uploads u ON u.id = r.upload_id
    WHERE u.kind = 'village_monthly' AND u.active AND u.period = :p AND r.legal_persons >= 3"""
REPORTED = """
    SELECT COUNT(*) FROM village_reports r JOIN uploads u ON u.id = r.upload_id
    WHERE u.kind = 'village_monthly' AND u.active AND u.period = :p"""


def _coverage(conn, period: str) -> dict[str, int]:
    return dict(conn.execute(text(LATEST_LEDGER), {"p": period}).all())


def _run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def test_kpis_equal_independent_figures(demo_store):
    at = _run(app(90))
    tiles = {m.label: m for m in at.metric}
    with demo_store.connect() as conn:
        towns = conn.execute(text("SELECT COUNT(*) FROM regions WHERE level = 'township'")).scalar()
        villages = conn.execute(text("SELECT COUNT(*) FROM regions WHERE level = 'village'")).scalar()
        now, before = sum(_coverage(conn, "2025-12").values()), sum(_coverage(conn, "2025-11").values())
        legal_now = conn.execute(text(LEGAL), {"p": "2025-12"}).scalar()
        legal_before = conn.execute(text(LEGAL), {"p": "2025-11"}).scalar()
        received = conn.execute(text(
            "SELECT COUNT(DISTINCT kind || scope) FROM uploads WHERE period = '2025-12' AND outcome = 'accepted' "
            "AND kind IN ('village_monthly', 'demo_sites', 'measure_progress')")).scalar()
    assert tiles["乡镇示范点覆盖率"].value == f"{100 * now / towns:.1f}%"
    assert tiles["乡镇示范点覆盖率"].delta == f"{100 * (now - before) / towns:+.1f} 个百分点(较上月)"
    assert tiles["法律明白人≥3名的村占比"].value == f"{100 * legal_now / villages:.1f}%"
    assert tiles["法律明白人≥3名的村占比"].delta == \
        f"{round(100 * legal_now / villages, 1) - round(100 * legal_before / villages, 1):+.1f} 个百分点(较上月)"
    with demo_store.connect() as conn:
        unreported = villages - conn.execute(text(REPORTED), {"p": "2025-12"}).scalar()
    assert unreported > 0  # the demo has a county late in its last month
    assert f"其中 {unreported} 个村未报送" in [c.value for c in at.caption]
    # every county reports 2 monthly kinds; 7 distinct lead units report measures, less 市生态环境局, whose
    # only measure (8) was reported 已完成 at 100 % before December: no report is due from it any more
    with demo_store.connect() as conn:
        finished = conn.execute(text(
            "SELECT COUNT(*) FROM measure_reports r JOIN uploads u ON u.id = r.upload_id WHERE u.active "
            "AND r.unit_name = '市生态环境局' AND r.measure_number = 8 AND r.status = '已完成' AND r.progress >= 100 "
            "AND r.period < '2025-12'")).scalar()
    assert finished > 0
    expected = 7 * 2 + 7 - 1
    assert tiles["本月报送完整率"].value == f"{100 * received / expected:.1f}%"
    assert "下一节点" in tiles["乡镇示范点覆盖率"].help


def test_ranking_names_counties_with_lamps(demo_store):
    at = _run(app(90))
    table = next(d.value for d in at.dataframe if "名次" in d.value.columns)
    with demo_store.connect() as conn:
        covered = _coverage(conn, "2025-12")
        totals = dict(conn.execute(text("SELECT county_code, COUNT(*) FROM regions WHERE level = 'township' "
                                        "GROUP BY county_code")).all())
        names = dict(conn.execute(text("SELECT code, name FROM regions WHERE level = 'county'")).all())
    pct = {names[c]: round(100 * covered.get(c, 0) / totals[c], 1) for c in totals}
    assert dict(zip(table["县(市、区)"], table["覆盖率(%)"])) == {n: f"{p:g}" for n, p in pct.items()}
    # after the 70 % milestone (2024-12-31) a county below it is red, one at or above green
    assert dict(zip(table["县(市、区)"], table["亮灯"])) == {n: "绿灯" if p >= 70 else "红灯" for n, p in pct.items()}
    best = max(pct.values())
    assert set(table.loc[table["名次"] == "1", "县(市、区)"]) == {n for n, p in pct.items() if p == best}
    assert "亮灯规则:应达值按直线进度计算" in " ".join(c.value for c in at.caption)


def test_url_carries_month_and_county(demo_store):
    with demo_store.connect() as conn:
        code, name = conn.execute(text("SELECT code, name FROM regions WHERE level = 'county' ORDER BY code")).first()
        covered = _coverage(conn, "2024-06").get(code, 0)
        total = conn.execute(text("SELECT COUNT(*) FROM regions WHERE level = 'township' AND county_code = :c"),
                             {"c": code}).scalar()
    at = app(90)
    at.query_params["month"] = "2024-06"
    at.query_params["county"] = code
    _run(at)
    assert at.selectbox(key="month_widget").value == "2024-06"
    assert at.selectbox(key="county_widget").value == code
    assert f"{name} · 数据截至 2024年6月" in " ".join(c.value for c in at.caption)
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["乡镇示范点覆盖率"] == f"{100 * covered / total:.1f}%"
    at.selectbox(key="month_widget").set_value("2023-12")
    _run(at)
    assert at.query_params["month"] == ["2023-12"] or at.query_params["month"] == "2023-12"


def test_sources_expander_names_the_uploads(demo_store):
    at = _run(app(90))
    assert not [d for d in at.dataframe if "上报时间" in d.value.columns]  # closed: the list is not read yet
    closed = [e.label for e in at.expander if e.label.startswith("数据来源")]
    at = open_sources(at)
    sources = next(d.value for d in at.dataframe if "上报时间" in d.value.columns)
    with demo_store.connect() as conn:  # this month's village reports, and every register / unit's latest report
        n = conn.execute(text("""
            SELECT (SELECT COUNT(*) FROM uploads WHERE active AND kind = 'village_monthly' AND period = '2025-12')
                 + (SELECT COUNT(*) FROM uploads u JOIN (
                       SELECT kind, scope, MAX(period) AS p FROM uploads WHERE active AND period <= '2025-12'
                       AND kind IN ('demo_sites', 'county_brands', 'measure_progress') GROUP BY kind, scope) l
                    ON l.kind = u.kind AND l.scope = u.scope AND l.p = u.period WHERE u.active)""")).scalar()
    assert len(sources) == n
    assert set(sources["报送期"]) - {"2025-12"}  # carried registers are listed with the month they are from
    assert set(sources["填报人"]) == {"演示数据"}
    assert closed == [f"数据来源(共 {n} 份上报)"]
    assert any(e.label.startswith(f"数据来源(共 {n} 份上报)") for e in at.expander)
