"""催报: the rules in dashboard/completeness.py on plain inputs, and the store read behind them (facts)."""

from __future__ import annotations

from datetime import datetime

from dashboard import completeness, facts, queries
from dashboard.completeness import Expected


def test_every_county_for_village_kinds_and_every_lead_unit_once_for_measures():
    counties = [("451301000000", "甲县"), ("451302000000", "乙县")]
    leads = ["市纪委监委", None, "市司法局", "市纪委监委"]
    assert completeness.expected(counties, leads) == [
        Expected("village_monthly", "451301000000", "甲县"), Expected("village_monthly", "451302000000", "乙县"),
        Expected("demo_sites", "451301000000", "甲县"), Expected("demo_sites", "451302000000", "乙县"),
        Expected("measure_progress", "市纪委监委", "市纪委监委"), Expected("measure_progress", "市司法局", "市司法局")]


def test_a_county_is_chased_for_its_own_reports_and_the_lead_units_for_theirs():
    counties = [("451301000000", "甲县"), ("451302000000", "乙县")]
    assert completeness.expected(counties, ["市司法局"], county="451302000000") == [
        Expected("village_monthly", "451302000000", "乙县"), Expected("demo_sites", "451302000000", "乙县"),
        Expected("measure_progress", "市司法局", "市司法局")]


def test_a_countys_table_is_the_city_table_cut_to_that_county_and_the_lead_units(demo_store):
    now = datetime(2026, 2, 1)
    code, name = next(iter(queries.counties(demo_store).items()))
    city = facts.completeness(demo_store, "2025-12", now=now)
    county = facts.completeness(demo_store, "2025-12", now=now, county=code)
    mine = city[(city["报送对象"] == name) | (city["报表"] == "措施推进月报")].reset_index(drop=True)
    assert county.equals(mine)
    assert set(county.loc[county["报表"] != "措施推进月报", "报送对象"]) == {name}
    assert len(city) == 2 * len(queries.counties(demo_store)) + (city["报表"] == "措施推进月报").sum()
