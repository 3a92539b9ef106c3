"""Lamps: the rule written next to every lamp is the rule computed; reports are late only after their
deadline (Beijing time); a finished measure stays green; the default month is the newest complete one."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import time_machine

from dashboard import accountability as acc
from dashboard import months
from dashboard.metrics import Milestone, expected_on, lamp
from dashboard.settings import LampRule

START = date(2023, 1, 1)
LADDER = [Milestone(date(2023, 12, 31), 40.0), Milestone(date(2024, 12, 31), 70.0)]


def test_expected_value_runs_through_each_milestone_as_the_text_says():
    """On 2024-06-30 the path through the milestones expects 54.9 %; "from the start to the next milestone"
    would expect 52.4 %. A county at 53 % is therefore behind (yellow) — by the text and by the computation."""
    on = date(2024, 6, 30)
    through = 40 + 30 * (on - date(2023, 12, 31)).days / (date(2024, 12, 31) - date(2023, 12, 31)).days
    straight_to_next = 70 * (on - START).days / (date(2024, 12, 31) - START).days
    assert round(through, 1) == 54.9 and round(straight_to_next, 1) == 52.4
    assert expected_on(START, LADDER, on) == 54.9
    assert lamp(53.0, expected_on(START, LADDER, on)) == "yellow"
    text = LampRule().text()
    assert text.startswith("应达值按直线进度计算:方案起始为0,依次连到各节点")
    assert "从方案起始到下一节点" not in text
    assert "落后不足10个百分点" in LampRule().text() and "落后不足5个百分点" in LampRule(yellow_gap_points=5).text()


def test_after_the_last_milestone_its_value_holds():
    assert expected_on(START, LADDER, date(2025, 6, 30)) == 70.0


MEASURES = [{"number": 1, "section": 1, "title": "措施一", "lead_unit": "甲局", "co_units": [],
             "counties_responsible": False, "deadline": "2026-12-31", "body": "", "flags": []}]
SECTIONS = [type("S", (), {"number": 1, "title": "篇"})()]


def _reports(*rows) -> pd.DataFrame:
    return pd.DataFrame([{"period": p, "measure_number": 1, "unit_name": "甲局", "status": s, "progress": g,
                          "this_month": "", "problems": "", "next_steps": "", "reporter": "",
                          "uploaded_at": datetime(2026, 1, 1)} for p, s, g in rows])


def test_a_report_is_late_only_after_its_deadline():
    """On 3 March the February report is not due yet (5 March): January's report is on time, not late."""
    reports = _reports(("2026-01", "推进中", 60.0))
    with time_machine.travel(datetime(2026, 3, 3, 10, 0, tzinfo=months.zone()), tick=False):
        due = months.due("2026-02", 5, months.now())
        assert due == "2026-01" and months.in_progress("2026-02", 5)
        on_time = acc.measure_table(MEASURES, SECTIONS, reports, "2026-02", START, LampRule(), due)
    with time_machine.travel(datetime(2026, 3, 6, 0, 0, 1, tzinfo=months.zone()), tick=False):
        due = months.due("2026-02", 5, months.now())
        late = acc.measure_table(MEASURES, SECTIONS, reports, "2026-02", START, LampRule(), due)
    assert not on_time.iloc[0]["灯号说明"].startswith("迟报")
    assert late.iloc[0]["灯号说明"].startswith("迟报 1 个月")


def test_a_finished_measure_stays_green_without_further_reports():
    reports = _reports(("2025-06", "已完成", 100.0))
    out = acc.measure_table(MEASURES, SECTIONS, reports, "2025-12", START, LampRule())
    assert (out.iloc[0]["灯"], out.iloc[0]["灯号说明"]) == ("绿灯", "已完成(2025年6月)")
    unfinished = acc.measure_table(MEASURES, SECTIONS, _reports(("2025-06", "已完成", 90.0)), "2025-12", START,
                                   LampRule())
    assert (unfinished.iloc[0]["灯"], unfinished.iloc[0]["灯号说明"]) == ("红灯", "已连续 6 个月未报送")


def test_the_default_month_is_the_newest_whose_deadline_has_passed():
    from dashboard import ui

    with time_machine.travel(datetime(2026, 3, 3, 10, 0, tzinfo=months.zone()), tick=False):
        assert ui.default_month(["2026-01", "2026-02", "2026-03"]) == "2026-01"
        assert ui.month_choice("2026-02") == "2026年2月(报送中)" and ui.month_choice("2026-01") == "2026年1月"
    with time_machine.travel(datetime(2026, 3, 6, 0, 0, 1, tzinfo=months.zone()), tick=False):
        assert ui.default_month(["2026-01", "2026-02", "2026-03"]) == "2026-02"


def test_a_unit_that_finished_every_measure_it_leads_is_not_chased():
    measures = [{**MEASURES[0], "number": 1, "lead_unit": "甲局"}, {**MEASURES[0], "number": 2, "lead_unit": "甲局"},
                {**MEASURES[0], "number": 3, "lead_unit": "乙局"}]
    reports = pd.concat([_reports(("2025-06", "已完成", 100.0)),
                         _reports(("2025-07", "已完成", 100.0)).assign(measure_number=2),
                         _reports(("2025-07", "已完成", 100.0)).assign(measure_number=3, unit_name="乙局", progress=90.0)])
    assert acc.finished_measures(measures, reports, "2025-06") == {1}
    assert acc.finished_units(measures, reports, "2025-06") == set()  # measure 2 still open
    assert acc.finished_units(measures, reports, "2025-07") == {"甲局"}  # 乙局 said 已完成 at 90 %: still due
    units = acc.unit_table(measures, reports, "2025-08", acc.measure_table(measures, SECTIONS, reports, "2025-08",
                                                                            START, LampRule()))
    assert units.set_index("单位").loc["甲局", ["本月已报(项)", "本月未报"]].tolist() == [2, "—"]
