"""Pure metrics on hand-computed fixtures."""

from datetime import date

import pandas as pd

from dashboard.metrics import Milestone, coverage_by_county, expected_on, next_milestone, period_end, share

LADDER = [Milestone(date(2023, 12, 31), 40.0), Milestone(date(2024, 12, 31), 70.0)]
START = date(2023, 1, 1)


def test_coverage_by_county_counts_covered_townships():
    towns = pd.DataFrame({
        "county_code": ["A", "A", "A", "B"],
        "county": ["甲县", "甲县", "甲县", "乙县"],
        "township_code": ["a1", "a2", "a3", "b1"],
        "township": ["一镇", "二镇", "三镇", "四镇"],
    })
    out = coverage_by_county(towns, {"a1", "a3", "zz"})
    assert out[["county", "townships", "covered", "coverage"]].values.tolist() == [
        ["甲县", 3, 2, 66.7], ["乙县", 1, 0, 0.0]]


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


def test_period_end():
    assert period_end("2024-02") == date(2024, 2, 29)
    assert period_end("2023-12") == date(2023, 12, 31)
