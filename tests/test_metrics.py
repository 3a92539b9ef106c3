"""Pure metrics on hand-computed fixtures."""

from datetime import date

import pandas as pd

from dashboard.metrics import Milestone, expected_on, next_milestone, share

LADDER = [Milestone(date(2023, 12, 31), 40.0), Milestone(date(2024, 12, 31), 70.0)]
START = date(2023, 1, 1)


def test_share_rounds_and_handles_zero():
    assert share(1, 3) == 33.3
    assert share(0, 0) == 0.0


def test_expected_value_on_the_straight_path():
    assert expected_on(START, LADDER, date(2022, 6, 1)) == 0.0
    assert expected_on(START, LADDER, date(2023, 12, 31)) == 40.0
    # half-way between the two milestones (2024-07-01 is day 183 of 366)
    assert expected_on(START, LADDER, date(2024, 7, 1)) == round(40 + 30 * 183 / 366, 1)
    assert expected_on(START, LADDER, date(2026, 1, 1)) == 70.0


def test_next_milestone():
    assert next_milestone(LADDER, date(2023, 6, 1)).value == 40.0
    assert next_milestone(LADDER, date(2023, 12, 31)).value == 40.0
    assert next_milestone(LADDER, date(2024, 1, 1)).value == 70.0
    assert next_milestone(LADDER, date(2025, 1, 1)) is None


from dashboard.metrics import (  # noqa: E402
    Pace,
    lamp,
    measure_lamp,
    missed,
    pace_needed,
    pace_text,
    rank_change,
)


def test_lamp_at_each_boundary():
    assert lamp(40.0, 40.0) == "green"          # exactly on the path
    assert lamp(30.1, 40.0) == "yellow"         # 9.9 points behind
    assert lamp(30.0, 40.0) == "red"            # 10 points behind
    assert lamp(6.4, 16.4) == "red"             # 16.4 - 6.4 is 9.999… in floating point
    assert lamp(55.0, 40.0, missed_milestone=True) == "red"
    assert lamp(35.0, 40.0, yellow_gap=4) == "red"


def test_missed_milestone_only_after_its_date():
    assert missed(LADDER, 39.0, date(2024, 1, 1)) is True
    assert missed(LADDER, 39.0, date(2023, 12, 31)) is False  # the day itself is not yet passed
    assert missed(LADDER, 45.0, date(2024, 6, 1)) is False


def test_measure_lamp_degrades_with_missing_reports():
    assert measure_lamp(60, 55, 0) == "green"
    assert measure_lamp(60, 55, 1) == "yellow"   # one month late
    assert measure_lamp(60, 55, 2) == "red"      # two months without a report
    assert measure_lamp(None, 55, None) == "red"  # never reported
    assert measure_lamp(50, 55, 0) == "yellow" and measure_lamp(40, 55, 1) == "red"



def test_rank_change_counts_places_gained():
    now = pd.Series({"甲县": 80.0, "乙县": 60.0, "丙县": 60.0})
    before = pd.Series({"甲县": 50.0, "乙县": 70.0, "丙县": 40.0})
    out = rank_change(now, before)
    assert out.loc["甲县"].tolist() == [1, 2, 1]
    assert out.loc["乙县"].tolist() == [2, 1, -1]
    assert out.loc["丙县"].tolist() == [2, 3, 1]


def test_pace_needed():
    # 100 townships, 52 covered, 70 % by 2024-12-31, as of 2024-06: 18 more in 6 months
    assert pace_needed(52, 100, 70, "2024-06", date(2024, 12, 31)) == Pace(18, 6, 3.0)
    assert pace_text(Pace(18, 6, 3.0), "乡镇") == "还需 18 个乡镇,平均每月 3 个"
    assert pace_needed(75, 100, 70, "2024-06", date(2024, 12, 31)).needed == 0
    late = pace_needed(60, 100, 70, "2025-02", date(2024, 12, 31))
    assert late == Pace(10, 0, None) and pace_text(late, "乡镇") == "已到节点日期,仍差 10 个乡镇"
    assert pace_needed(0, 7, 100, "2025-11", date(2025, 12, 31)) == Pace(7, 1, 7.0)
