"""目标进度: pure target computations on a hand-made city, and the page against independent SQL."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import text

from dashboard import targets
from dashboard.metrics import Milestone
from tests.apptest import app

DEMO = targets.Spec("township_demo_coverage", "乡镇示范点覆盖率", "乡镇",
                    (Milestone(date(2023, 12, 31), 40.0), Milestone(date(2024, 12, 31), 70.0)), "原文", True)
LEGAL = targets.Spec("legal_persons_coverage", "法律明白人≥3名的村占比", "村", (Milestone(date(2025, 12, 31), 100.0),),
                     "原文", False, 3.0, "legal_persons")


VILLAGES = pd.DataFrame({"code": ["v1", "v2", "v3", "v4"], "name": ["甲村", "乙村", "丙村", "丁村"],
                         "township_code": ["a1", "a1", "a2", "b1"], "township": ["一镇", "一镇", "二镇", "三镇"],
                         "county_code": ["A", "A", "A", "B"], "county": ["甲县", "甲县", "甲县", "乙县"]})


def _city() -> targets.Inputs:
    """Two counties: 甲县 with townships a1, a2 (villages v1, v2, v3), 乙县 with b1 (village v4)."""
    townships = pd.DataFrame({"county_code": ["A", "A", "B"], "county": ["甲县", "甲县", "乙县"],
                              "township_code": ["a1", "a2", "b1"], "township": ["一镇", "二镇", "三镇"]})
    villages = VILLAGES  # one village each: the roster counts
    # the ledgers: 甲县 June (v1 已建成), 甲县 September (v1 已验收命名, v3 创建中), 乙县 September (v4 已建成);
    # per version the townships with a built site (kept at commit), and the rows in effect from September on
    ledger_counts = pd.DataFrame({"county_code": ["A", "A", "B"], "period": ["2023-06", "2023-09", "2023-09"],
                                  "n": [1, 1, 1]})
    ledger = pd.DataFrame({"upload_period": ["2023-09"] * 3, "scope": ["A", "A", "B"],
                           "village_code": ["v1", "v3", "v4"], "township_code": ["a1", "a2", "b1"],
                           "status": ["已验收命名", "创建中", "已建成"]})
    indicators = pd.DataFrame({"period": ["2023-06", "2023-07"], "county_code": ["A", "A"], "reported": [3, 3],
                               "legal_persons": [1, 2], "micro_power_list": [0, 0], "discipline_member": [0, 0]})
    brands = pd.DataFrame(columns=["county_code", "name", "status", "period"])
    return targets.Inputs(townships, villages, ledger, ledger_counts, indicators, brands, {"A": "甲县", "B": "乙县"})


def test_series_counts_townships_from_each_countys_latest_ledger():
    series = targets.series(DEMO, _city(), "2023-01-01", "2023-10")
    actual = dict(zip(series["period"], series["actual"]))
    assert pd.isna(actual["2023-05"])  # no county has a ledger yet: 未报送, not 0 %
    assert actual["2023-06"] == round(100 / 3, 1)      # a1 built in 甲县's June ledger
    assert actual["2023-08"] == round(100 / 3, 1)      # carried forward
    assert actual["2023-09"] == round(200 / 3, 1)      # 甲县 a1 (v3 only 创建中) + 乙县 b1
    assert series["expected"].iloc[-1] == round(40 * (date(2023, 10, 31) - date(2023, 1, 1)).days / 364, 1)


def test_county_table_lamps_and_gap_list():
    table = targets.county_table(DEMO, _city(), "2023-01-01", "2024-06", 10).set_index("county")
    assert table.loc["甲县", ["count", "total", "actual"]].tolist() == [1, 2, 50.0]
    # 40 % milestone passed; 甲县 at 50 % is above it but below the 55 % straight-path value
    assert table.loc["甲县", "lamp"] == "yellow" and table.loc["乙县", "lamp"] == "green"
    gaps = targets.gaps(DEMO, _city(), "2024-06", VILLAGES)
    assert gaps.values.tolist() == [["甲县", "二镇"]]
    assert targets.pace(DEMO, _city(), "2024-06").needed == 1  # 70 % of 3 = 2.1 → 3 townships, 2 covered


def test_indicator_gap_lists_name_villages_with_their_values():
    reports = pd.DataFrame({"village_code": ["v1", "v2", "v3"], "period": ["2023-07"] * 3,
                            "legal_persons": [3, 2, 0]})
    gaps = targets.gaps(LEGAL, _city(), "2023-07", VILLAGES, reports)
    assert gaps.values.tolist() == [["未达标", "甲县", "一镇", "乙村", "2 名"],
                                    ["未达标", "甲县", "二镇", "丙村", "0 名"],
                                    ["未报送", "乙县", "三镇", "丁村", "未报送"]]
    # a village report counts for its month only: in September nobody has reported
    counts = targets.counts_by_county("legal_persons_coverage", _city(), "2023-09")
    assert counts.loc["A", ["count", "total", "covered"]].tolist() == [0, 3, 0]
    july = targets.counts_by_county("legal_persons_coverage", _city(), "2023-07")
    assert july.loc["A", ["count", "total", "covered"]].tolist() == [2, 3, 3]
    assert july.loc["B", ["count", "total", "covered"]].tolist() == [0, 1, 0]


def test_targets_page_gap_list_matches_sql(demo_store):
    at = app(90).run()
    at.switch_page("pages/targets.py").run()
    assert not at.exception and not at.error
    with demo_store.connect() as conn:
        uncovered = conn.execute(text("""
            WITH latest AS (SELECT scope, MAX(period) AS period FROM uploads
                            WHERE kind = 'demo_sites' AND active GROUP BY scope),
            covered AS (SELECT DISTINCT v.parent_code AS code FROM demo_sites d
                        JOIN uploads u ON u.id = d.upload_id JOIN latest l ON l.scope = u.scope AND l.period = u.period
                        JOIN regions v ON v.code = d.village_code WHERE d.status IN ('已建成', '已验收命名'))
            SELECT c.name, t.name FROM regions t JOIN regions c ON c.code = t.county_code
            WHERE t.level = 'township' AND t.code NOT IN (SELECT code FROM covered) ORDER BY t.code""")).all()
    gaps = next(d.value for d in at.dataframe if list(d.value.columns) == ["县(市、区)", "乡镇(街道)"])
    assert gaps.values.tolist() == [list(r) for r in uncovered]
    assert any(e.label == f"缺口清单:尚未达标的乡镇(共 {len(uncovered)} 个)" for e in at.expander)
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["直线进度应达"] == "70.0%"


def test_targets_page_switches_to_legal_persons(demo_store):
    at = app(90).run()
    at.switch_page("pages/targets.py").run()
    at.segmented_control(key="target_metric").set_value("legal_persons_coverage").run()
    assert not at.exception
    assert any(m.value.startswith("#### 法律明白人≥3名的村占比") for m in at.markdown)
    month = "2025-12"  # the newest month of the demo: one county has not reported it
    with demo_store.connect() as conn:
        this_month = ("SELECT r.village_code, r.legal_persons FROM village_reports r JOIN uploads u "
                      "ON u.id = r.upload_id WHERE u.kind = 'village_monthly' AND u.active AND u.period = :p")
        below = conn.execute(text(f"SELECT COUNT(*) FROM ({this_month}) WHERE legal_persons < 3"), {"p": month}).scalar()
        unreported = conn.execute(text(f"SELECT COUNT(*) FROM regions WHERE level = 'village' AND code NOT IN "
                                       f"(SELECT village_code FROM ({this_month}))"), {"p": month}).scalar()
    assert below and unreported
    assert any(e.label == f"缺口清单:尚未达标的村(共 {below + unreported} 个,其中未达标 {below} 个、未报送 {unreported} 个)"
               for e in at.expander)


def test_the_last_months_of_a_series_are_the_same_figures():
    """The overview's tiles ask for this month and the one before only: each month's figure stands on its own."""
    for spec in (DEMO, LEGAL):
        whole = targets.series(spec, _city(), "2023-01-01", "2024-06")
        recent = targets.series(spec, _city(), "2023-01-01", "2024-06", last=2)
        assert recent["period"].tolist() == ["2024-05", "2024-06"]
        assert recent.reset_index(drop=True).equals(whole.tail(2).reset_index(drop=True))
    july = targets.series(LEGAL, _city(), "2023-01-01", "2023-07", last=2)
    assert july["actual"].tolist() == [round(100 * 1 / 4, 1), 50.0]  # June 1 of 4 villages meet, July 2 of 4


def test_page_inputs_count_townships_without_reading_them(demo_store):
    """The pages' inputs (ledger=False) hold townships per county, not the township rows, and give the same
    county table as the full inputs; the counts equal a plain count of the regions."""
    from dashboard import queries
    from dashboard.catalog import active_plan

    with demo_store.connect() as conn:
        want = dict(conn.execute(text("SELECT county_code, COUNT(*) FROM regions WHERE level = 'township' "
                                      "GROUP BY county_code")).all())
    light = queries.target_inputs(demo_store, "2025-12", (), ledger=False)
    full = queries.target_inputs(demo_store, "2025-12", ())
    assert light.townships is None and light.ledger is None
    assert light.township_counts.to_dict() == want and full.township_counts.to_dict() == want
    spec = next(s for s in targets.specs(active_plan(demo_store).targets) if s.metric == "township_demo_coverage")
    one, other = (targets.county_table(spec, data, "2023-01-01", "2025-12", 10.0) for data in (light, full))
    pd.testing.assert_frame_equal(one, other)
    assert one["total"].tolist() == [want[code] for code in one["county_code"]]
    county = next(iter(want))
    assert light.only(county).township_counts.to_dict() == {county: want[county]}


def test_a_memo_of_all_months_gives_the_same_counts_for_any_of_them():
    """The pages share one set of inputs with a memo: after the whole series, a month, a pair of months or a
    county's view sliced from it are the same figures as counted afresh (in the months' own order)."""
    shared = _city()
    shared.memo = {}
    for spec in (DEMO, LEGAL):
        whole = targets.series(spec, shared, "2023-01-01", "2023-09")
        assert whole["period"].tolist()[-1] == "2023-09"
        for months_ in (["2023-09"], ["2023-06", "2023-07"], ["2023-07", "2023-06"]):
            got, want = (targets.monthly_counts(spec.metric, data, months_).astype({"source": object})
                         for data in (shared, _city()))
            # a month without any data has no source: None or NaN alike
            pd.testing.assert_frame_equal(got.fillna({"source": "无"}), want.fillna({"source": "无"}))
        pd.testing.assert_frame_equal(targets.series(spec, shared, "2023-01-01", "2023-09", last=2),
                                      targets.series(spec, _city(), "2023-01-01", "2023-09", last=2))
        pd.testing.assert_frame_equal(targets.county_table(spec, shared.only("A"), "2023-01-01", "2023-07", 10.0),
                                      targets.county_table(spec, _city().only("A"), "2023-01-01", "2023-07", 10.0))
    june = targets.monthly_counts(DEMO.metric, shared, ["2023-06"])
    assert june.set_index("county_code")["count"].to_dict() == {"A": 1, "B": 0}  # 甲县's June ledger, 乙县 none yet
