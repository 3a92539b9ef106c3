"""责任落实: lamps, unit counts and the matrix on hand-computed fixtures; the page on the demo store."""

from __future__ import annotations

import io
from collections import namedtuple
from datetime import date, datetime

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from dashboard import accountability as acc
from dashboard.exports import table_xlsx
from dashboard.settings import LampRule
from tests.apptest import app

Section = namedtuple("Section", "number title")

# Plan start 2024-01-01 and deadline 2024-12-28 (day 362): at the end of June (day 181) the straight
# path stands at exactly 100 * 181 / 362 = 50.0 %.
START = date(2024, 1, 1)
DEADLINE = date(2024, 12, 28)
RULE = LampRule(yellow_gap_points=10.0, red_missing_months=2, measure_deadline="2024-12-28")
SECTIONS = [Section(1, "强化党建引领,提升素质能力"), Section(2, "完善村民自治,构建治理体系")]


def _measure(number, lead, co=(), section=1, deadline=None, counties=True):
    return {"number": number, "section": section, "title": f"措施{number}", "body": f"第{number}项措施的原文。",
            "lead_unit": lead, "co_units": list(co), "counties_responsible": counties, "deadline": deadline,
            "flags": [] if lead else ["责任单位缺失"]}


MEASURES = [
    _measure(1, "甲局", ["乙局"], deadline=DEADLINE),
    _measure(2, "甲局", ["乙局", "丙局"]),          # no own deadline: rule.measure_deadline, the same day
    _measure(3, "甲局"),
    _measure(4, "乙局", ["甲局"], section=2),
    _measure(5, "乙局", section=2),
    _measure(6, "丙局", ["丁局"], section=2),
    _measure(7, None, section=2, counties=False),
]


def _report(period, number, unit, progress, status="推进中", day=3):
    year, month = int(period[:4]), int(period[5:])
    return {"period": period, "measure_number": number, "unit_name": unit, "status": status,
            "progress": progress, "this_month": f"{unit}{period}进展", "problems": None, "next_steps": "继续推进",
            "reporter": "张三", "uploaded_at": datetime(year + month // 12, month % 12 + 1, day, 9, 0)}


REPORTS = pd.DataFrame([
    _report("2024-05", 1, "甲局", 30.0),
    _report("2024-06", 1, "甲局", 50.0),                  # exactly on the path
    _report("2024-06", 1, "乙局", 5.0),                   # a co-unit's report never drives the lamp
    _report("2024-06", 2, "甲局", 40.1),                  # 9.9 behind
    _report("2024-06", 3, "甲局", 40.0, status="滞后"),   # 10 behind
    _report("2024-05", 4, "乙局", 50.0),                  # one month late, on the path
    _report("2024-04", 5, "乙局", 45.0),                  # nothing for May and June
    _report("2024-07", 5, "乙局", 80.0),                  # after the as-of month: ignored
    _report("2024-06", 6, "丁局", 60.0),                  # only the co-unit reported
])


@pytest.fixture
def table() -> pd.DataFrame:
    return acc.measure_table(MEASURES, SECTIONS, REPORTS, "2024-06", START, RULE)


def _row(frame: pd.DataFrame, number: int) -> dict:
    return frame[frame["序号"] == number].iloc[0].to_dict()


def test_measure_table_columns_and_units(table):
    assert list(table.columns) == ["篇章", "序号", "措施", "牵头单位", "配合单位", "各县负责", "最新状态",
                                   "完成进度(%)", "最近报送", "应达进度(%)", "灯", "灯号说明"]
    first = _row(table, 1)
    assert (first["篇章"], first["牵头单位"], first["配合单位"], first["各县负责"]) == (
        "(一)强化党建引领", "甲局", "乙局", "是")
    assert _row(table, 2)["配合单位"] == "乙局、丙局"
    assert _row(table, 3)["配合单位"] == "—"
    assert _row(table, 4)["篇章"] == "(二)完善村民自治"
    missing = _row(table, 7)
    assert (missing["牵头单位"], missing["各县负责"], missing["最新状态"], missing["最近报送"]) == (
        "(责任单位缺失)", "否", "—", "—")
    assert pd.isna(missing["完成进度(%)"])


def test_expected_progress_is_the_straight_path_at_month_end(table):
    assert set(table["应达进度(%)"]) == {50.0}
    # one month on: day 212 of 362 -> 58.6 %
    july = acc.measure_table(MEASURES, SECTIONS, REPORTS, "2024-07", START, RULE)
    assert _row(july, 1)["应达进度(%)"] == round(100 * 212 / 362, 1) == 58.6
    # a measure's own deadline wins over the configured default
    own = [_measure(1, "甲局", deadline=date(2024, 6, 30))]
    assert _row(acc.measure_table(own, SECTIONS, REPORTS, "2024-06", START, RULE), 1)["应达进度(%)"] == 100.0


def test_lamp_at_each_boundary(table):
    lamps = {n: (_row(table, n)["灯"], _row(table, n)["灯号说明"]) for n in range(1, 8)}
    assert lamps == {
        1: ("绿灯", "达到应达进度"),
        2: ("黄灯", "落后应达进度 9.9 个百分点"),
        3: ("红灯", "落后应达进度 10.0 个百分点"),
        4: ("黄灯", "迟报 1 个月"),
        5: ("红灯", "已连续 2 个月未报送"),
        6: ("红灯", "牵头单位从未报送"),
        7: ("红灯", "未设牵头单位,无法报送"),
    }


def test_latest_report_is_the_lead_units_up_to_as_of(table):
    first = _row(table, 1)
    assert (first["最新状态"], first["完成进度(%)"], first["最近报送"]) == ("推进中", 50.0, "2024-06")
    fifth = _row(table, 5)
    assert (fifth["完成进度(%)"], fifth["最近报送"]) == (45.0, "2024-04")
    assert (_row(table, 6)["最新状态"], _row(table, 6)["最近报送"]) == ("未报送", "—")
    # in May, measure 5's April report is one month old and 5 points behind 41.7 % (day 151 of 362)
    may = acc.measure_table(MEASURES, SECTIONS, REPORTS, "2024-05", START, RULE)
    assert _row(may, 5)["应达进度(%)"] == 41.7
    assert (_row(may, 5)["灯"], _row(may, 5)["灯号说明"]) == ("黄灯", "迟报 1 个月")
    assert (_row(may, 2)["灯"], _row(may, 2)["灯号说明"]) == ("红灯", "牵头单位从未报送")


def test_late_and_behind_names_both_and_takes_the_worse_colour():
    reports = pd.DataFrame([_report("2024-05", 1, "甲局", 44.0), _report("2024-05", 2, "甲局", 38.0)])
    out = acc.measure_table(MEASURES[:2], SECTIONS, reports, "2024-06", START, RULE)
    assert (_row(out, 1)["灯"], _row(out, 1)["灯号说明"]) == ("黄灯", "迟报 1 个月,落后 6.0 个百分点")
    assert (_row(out, 2)["灯"], _row(out, 2)["灯号说明"]) == ("红灯", "迟报 1 个月,落后 12.0 个百分点")


def test_gap_of_exactly_the_threshold_is_red_despite_float_noise():
    # end of January is day 30; a deadline on day 183 puts the path at 16.4 %, and 16.4 - 6.4 = 9.999… in floats
    measures = [_measure(1, "甲局", deadline=date(2024, 7, 2))]
    out = acc.measure_table(measures, SECTIONS, pd.DataFrame([_report("2024-01", 1, "甲局", 6.4)]),
                            "2024-01", START, RULE)
    assert (_row(out, 1)["应达进度(%)"], _row(out, 1)["灯"]) == (16.4, "红灯")
    assert _row(out, 1)["灯号说明"] == "落后应达进度 10.0 个百分点"


def test_deadline_passed_unmet_is_red_and_met_is_green():
    reports = pd.DataFrame([_report("2025-01", 1, "甲局", 95.0), _report("2025-01", 2, "甲局", 100.0, "已完成")])
    out = acc.measure_table(MEASURES[:2], SECTIONS, reports, "2025-01", START, RULE)
    assert (_row(out, 1)["灯"], _row(out, 1)["灯号说明"]) == ("红灯", "期限 2024-12-28 已过未完成")
    assert (_row(out, 2)["灯"], _row(out, 2)["灯号说明"]) == ("绿灯", "已完成(2025年1月)")


def test_report_without_progress_is_red():
    out = acc.measure_table(MEASURES[:1], SECTIONS, pd.DataFrame([_report("2024-06", 1, "甲局", None)]),
                            "2024-06", START, RULE)
    assert (_row(out, 1)["灯"], _row(out, 1)["灯号说明"]) == ("红灯", "最近一次报送未填完成进度")


def test_thresholds_come_from_the_rule():
    strict = LampRule(yellow_gap_points=6.0, red_missing_months=3, measure_deadline="2024-12-28")
    out = acc.measure_table(MEASURES, SECTIONS, REPORTS, "2024-06", START, strict)
    assert _row(out, 2)["灯"] == "红灯"                     # 9.9 behind >= 6
    assert (_row(out, 5)["灯"], _row(out, 5)["灯号说明"]) == ("黄灯", "迟报 2 个月,落后 5.0 个百分点")


def test_lamp_counts(table):
    assert acc.lamp_counts(table) == {"绿灯": 1, "黄灯": 2, "红灯": 4}


def test_unit_table_counts(table):
    units = acc.unit_table(MEASURES, REPORTS, "2024-06", table)
    assert units.to_dict("records") == [
        {"单位": "甲局", "牵头措施(项)": 3, "牵头措施序号": "1、2、3", "配合措施(项)": 1, "本月已报(项)": 3,
         "本月未报": "—", "滞后措施": "3"},
        {"单位": "乙局", "牵头措施(项)": 2, "牵头措施序号": "4、5", "配合措施(项)": 2, "本月已报(项)": 0,
         "本月未报": "4、5", "滞后措施": "5"},
        {"单位": "丙局", "牵头措施(项)": 1, "牵头措施序号": "6", "配合措施(项)": 1, "本月已报(项)": 0,
         "本月未报": "6", "滞后措施": "6"},
        {"单位": "丁局", "牵头措施(项)": 0, "牵头措施序号": "—", "配合措施(项)": 1, "本月已报(项)": 0,
         "本月未报": "—", "滞后措施": "—"},
    ]
    assert acc.units_reported(units) == (1, 3)


def test_status_behind_counts_as_behind_even_on_a_green_lamp():
    reports = pd.DataFrame([_report("2024-06", 1, "甲局", 60.0, status="滞后")])
    out = acc.measure_table(MEASURES[:1], SECTIONS, reports, "2024-06", START, RULE)
    assert _row(out, 1)["灯"] == "绿灯"
    assert acc.unit_table(MEASURES[:1], reports, "2024-06", out).iloc[0]["滞后措施"] == "1"


def test_matrix_symbols_and_lamp_in_column_names(table):
    grid = acc.matrix(MEASURES, table)
    assert list(grid.columns) == ["单位", "1 绿灯", "2 黄灯", "3 红灯", "4 黄灯", "5 红灯", "6 红灯", "7 红灯"]
    rows = {r["单位"]: list(r.values())[1:] for r in grid.to_dict("records")}
    assert rows == {
        "甲局": ["●", "●", "●", "○", "", "", ""],
        "乙局": ["○", "○", "", "●", "●", "", ""],
        "丙局": ["", "○", "", "", "", "●", ""],
        "丁局": ["", "", "", "", "", "○", ""],
    }


def test_matrix_colours_marked_cells_by_lamp(table):
    grid = acc.matrix(MEASURES, table)
    css = acc.matrix_colours(grid)
    assert css.loc[0, "1 绿灯"] == acc.LAMP_STYLES["green"]
    assert css.loc[0, "2 黄灯"] == acc.LAMP_STYLES["yellow"]
    assert css.loc[1, "5 红灯"] == acc.LAMP_STYLES["red"]
    assert css.loc[0, "5 红灯"] == "" and css.loc[0, "单位"] == ""
    assert "#dcf1dc" in acc.matrix_style(grid).to_html()


def test_history_newest_first_lead_before_co_units():
    rows = acc.history(REPORTS, 1, "甲局")
    assert rows[["报送月份", "报送单位", "角色", "完成进度(%)"]].values.tolist() == [
        ["2024-06", "甲局", "牵头", 50.0], ["2024-06", "乙局", "配合", 5.0], ["2024-05", "甲局", "牵头", 30.0]]
    assert list(rows.columns) == ["报送月份", "报送单位", "角色", "状态", "完成进度(%)", "本月进展", "存在问题",
                                  "下步计划", "填报人", "上报时间"]
    assert rows.iloc[0]["存在问题"] == "" and rows.iloc[0]["上报时间"] == "2024-07-03 09:00"
    assert acc.history(REPORTS, 7).empty


def test_screen_text_for_percentages_sorts_like_numbers(table):
    shown = acc.compact(table)
    assert list(shown["篇章"][:4]) == ["(一)", "(一)", "(一)", "(二)"]
    assert _row(shown, 7)["完成进度(%)"] == "—"
    texts = acc.percent_text(pd.Series([100.0, 5.0, 78.4, None]))
    assert texts.tolist() == ["100.0", "  5.0", " 78.4", "—"]
    assert sorted(texts) == ["  5.0", " 78.4", "100.0", "—"]


def test_measure_table_exports_to_xlsx(table):
    data = table_xlsx(table, "措施落实情况", "数据截至 2024年6月")
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert [ws["A1"].value, ws["A2"].value, ws["C3"].value, ws["L3"].value] == [
        "措施落实情况", "数据截至 2024年6月", "措施", "灯号说明"]
    assert [c.value for c in ws[4]][:4] == ["(一)强化党建引领", 1, "措施1", "甲局"]
    assert ws.max_row == 3 + len(table)


# --- the page on the demo store -------------------------------------------------------------

PAGE = "pages/accountability.py"
EXPECTED_LEADS = {
    1: "市委组织部", 2: "市委组织部", 3: "市委组织部", 4: "市委组织部", 5: "市民政局", 6: "市民政局",
    7: "市委组织部", 8: "市生态环境局", 9: "市纪委监委驻市委办公室纪检监察组", 10: "市司法局",
    11: "市委政法委", 12: "市委政法委", 13: "市委宣传部", 14: "(责任单位缺失)",
}
IN_EFFECT = """
    FROM measure_reports r JOIN uploads u ON u.id = r.upload_id
    WHERE u.kind = 'measure_progress' AND u.active AND r.period <= :as_of"""


def _page() -> AppTest:
    at = app(60).run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _tables(at: AppTest) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    frames = [d.value for d in at.dataframe]
    measures = next(f for f in frames if "灯号说明" in f.columns)
    units = next(f for f in frames if "本月未报" in f.columns)
    grid = next(f for f in frames if f.columns[0] == "单位" and "本月未报" not in f.columns)
    return measures, units, grid


def _sql_latest_progress(engine, number: int, unit: str, as_of: str = "2025-12") -> float:
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT r.progress {IN_EFFECT} AND r.measure_number = :n AND r.unit_name = :u "
                                 "ORDER BY r.period DESC LIMIT 1"), {"as_of": as_of, "n": number, "u": unit}).scalar()


def test_page_shows_every_measures_lead_unit_and_lamp(demo_store):
    at = _page()
    measures, _, _ = _tables(at)
    assert dict(zip(measures["序号"], measures["牵头单位"])) == EXPECTED_LEADS
    rows = measures.set_index("序号")
    # measure 8 was reported 已完成 at 100 % in 2025-09 and then, rightly, no more: it stays green
    assert (rows.loc[8, "灯"], rows.loc[8, "灯号说明"]) == ("绿灯", "已完成(2025年9月)")
    assert rows.loc[8, "最近报送"] == "2025-10"
    assert rows.loc[13, "灯"] != "绿灯" and rows.loc[13, "灯号说明"].startswith("迟报 1 个月")
    assert (rows.loc[14, "灯"], rows.loc[14, "灯号说明"], rows.loc[14, "完成进度(%)"]) == (
        "红灯", "未设牵头单位,无法报送", "—")
    assert set(rows["灯"]) <= {"绿灯", "黄灯", "红灯"}
    assert "全市 · 数据截至 2025年12月" in [c.value for c in at.caption]
    assert any(c.value.startswith("亮灯规则 — 应达值按直线进度计算") for c in at.caption)
    assert any("演示数据" in w.value for w in at.warning)


def test_latest_progress_equals_sql(demo_store):
    measures, _, _ = _tables(_page())
    rows = measures.set_index("序号")
    for number, lead in EXPECTED_LEADS.items():
        if number == 14:
            continue
        assert float(rows.loc[number, "完成进度(%)"]) == _sql_latest_progress(demo_store, number, lead), number


def test_kpis_and_reminder_match_sql(demo_store):
    at = _page()
    measures, units, _ = _tables(at)
    tiles = {m.label: m.value for m in at.metric}
    with demo_store.connect() as conn:
        reported = set(conn.execute(text(f"SELECT DISTINCT r.unit_name, r.measure_number {IN_EFFECT} "
                                         "AND r.period = :as_of"), {"as_of": "2025-12"}).all())
        # finished (已完成 at 100 %) before the month: no report is due for it any more
        finished = set(conn.execute(text(f"SELECT DISTINCT r.unit_name, r.measure_number {IN_EFFECT} "
                                         "AND r.period < :as_of AND r.status = '已完成' AND r.progress >= 100"),
                                    {"as_of": "2025-12"}).all())
    leads: dict[str, set[int]] = {}
    for number, unit in EXPECTED_LEADS.items():
        if number != 14:
            leads.setdefault(unit, set()).add(number)
    complete = [u for u, numbers in leads.items() if all((u, n) in reported | finished for n in numbers)]
    assert ("市生态环境局", 8) in finished
    assert tiles["2025年12月已报单位"] == f"{len(complete)}/{len(leads)}" == "6/7"
    assert tiles["工作措施"] == "14 项"
    for label in ("绿灯", "黄灯", "红灯"):
        assert tiles[label] == f"{(measures['灯'] == label).sum()} 项"
    assert "2025年12月尚未报送的牵头单位:市委宣传部\\(措施 13\\)" in [
        w.value for w in at.warning]
    rows = units.set_index("单位")
    assert (rows.loc["市生态环境局", "本月未报"], rows.loc["市委宣传部", "本月未报"]) == ("—", "13")
    assert rows.loc["市委组织部", "牵头措施序号"] == "1、2、3、4、7"
    assert rows.loc["市农业农村局", "牵头措施(项)"] == 0 and rows.loc["市农业农村局", "配合措施(项)"] == 7


def test_matrix_marks_lead_and_co_units(demo_store):
    _, _, grid = _tables(_page())
    rows = grid.set_index("单位")
    assert rows.loc["市生态环境局", "8 绿灯"] == "●"
    assert rows.loc["市农业农村局", "8 绿灯"] == rows.loc["市乡村振兴局", "8 绿灯"] == "○"
    assert rows.loc["市委组织部", "8 绿灯"] == ""
    assert (rows == "●").sum().sum() == 13          # one lead per measure, none for measure 14
    assert grid.columns[-1] == "14 红灯" and set(grid["14 红灯"]) == {""}


def test_choosing_a_measure_shows_its_history_and_plan_text(demo_store):
    at = _page()
    assert at.selectbox(key="acc_measure").placeholder == "请选择措施"
    at.selectbox(key="acc_measure").set_value(8).run()
    assert not at.exception
    history = next(d.value for d in at.dataframe if "本月进展" in d.value.columns)
    with demo_store.connect() as conn:
        count = conn.execute(text(f"SELECT COUNT(*) {IN_EFFECT} AND r.measure_number = 8"),
                             {"as_of": "2025-12"}).scalar()
    assert len(history) == count == 34
    assert history.iloc[0]["报送月份"] == "2025-10" and set(history["报送单位"]) == {"市生态环境局"}
    texts = [m.value for m in at.markdown]
    assert "#### 8. 持续推进农村生活污水治理" in texts
    assert f"**历次报送(共 {count} 条,最新在前)**" in texts
    assert any(t.startswith("扎实推进全市农村生活污水治理规划有序实施") for t in texts)
    assert any("牵头单位:市生态环境局;配合单位:市农业农村局、市乡村振兴局" in t for t in texts)


def test_measure_without_lead_unit_has_no_history(demo_store):
    at = _page()
    at.selectbox(key="acc_measure").set_value(14).run()
    assert "该措施尚无报送记录。" in [i.value for i in at.info]


def test_earlier_month_and_a_county(demo_store):
    at = _page()
    at.selectbox(key="month_widget").set_value("2025-11").run()
    measures, _, _ = _tables(at)
    rows = measures.set_index("序号")
    assert rows.loc[8, "灯号说明"] == "已完成(2025年9月)"
    assert rows.loc[13, "最近报送"] == "2025-11"
    assert float(rows.loc[5, "完成进度(%)"]) == _sql_latest_progress(demo_store, 5, "市民政局", "2025-11")
    with demo_store.connect() as conn:
        county = conn.execute(text("SELECT MIN(code) FROM regions WHERE level = 'county'")).scalar()
    at.selectbox(key="county_widget").set_value(county).run()
    assert any("本页不按县(市、区)筛选" in c.value for c in at.caption)



def test_lagging_orders_red_then_yellow_by_how_far_behind():
    measures = pd.DataFrame({"序号": [1, 2, 3, 4, 5], "灯": ["绿灯", "红灯", "黄灯", "红灯", "红灯"],
                             "完成进度(%)": [90.0, 70.0, 85.0, None, 50.0], "应达进度(%)": [80.0, 80.0, 90.0, 40.0, 80.0]})
    # gaps: 2 → 10, 3 → 5, 4 → 40 (never reported counts as 0 %), 5 → 30; green last whatever its gap
    assert list(acc.lagging(measures)["序号"]) == [4, 5, 2, 3, 1]
