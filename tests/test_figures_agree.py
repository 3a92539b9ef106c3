"""One definition per figure: for every target, county and month, what meets the target plus the named gap
list is the whole — numerator + len(gap list) = denominator — so the KPI, the ranking and the gap list can
never tell different stories."""

from __future__ import annotations

import pytest

from dashboard import charts_map, facts, queries, targets
from dashboard.catalog import active_plan


@pytest.fixture(scope="module", params=["demo", "tricky"])
def city(request, tmp_path_factory):
    """The demo city (every fifth month) and the hand-made 清溪市 of tests/tricky_city.py (every month)."""
    from dashboard.store import make_engine
    from tests.tricky_city import build

    if request.param == "demo":
        engine = make_engine(f"sqlite:///{request.getfixturevalue('demo_db')}")
        months_ = queries.periods(engine)[::5] + ["2025-12"]
    else:
        engine = build(f"sqlite:///{tmp_path_factory.mktemp('agree') / 'city.db'}")
        months_ = queries.periods(engine)
    yield engine, months_
    engine.dispose()


def _inputs(engine, specs, as_of: str) -> tuple[targets.Inputs, object]:
    data = queries.target_inputs(engine, as_of, targets.village_bars(specs))
    return data, facts.village_reports(engine, facts.View(as_of)), facts.villages(engine, as_of)


def test_numerator_plus_gap_list_is_the_denominator_everywhere(city):
    engine, months_ = city
    specs = targets.specs(active_plan(engine).targets)
    assert [s.metric for s in specs] == ["township_demo_coverage", "legal_persons_coverage", "micro_power_list_coverage",
                                         "discipline_member_coverage", "county_brand_coverage"]
    checked = 0
    for as_of in months_:
        data, reports, villages = _inputs(engine, specs, as_of)
        for spec in specs:
            for county in [None, *data.counties]:
                part = data.only(county)
                counts = targets.counts_by_county(spec.metric, part, as_of)
                month_reports = reports if county is None else reports[reports["county_code"] == county]
                named = villages if county is None else villages[villages["county_code"] == county]
                gaps = targets.gaps(spec, part, as_of, named, month_reports if spec.noun == "村" else None)
                assert int(counts["count"].sum()) + len(gaps) == int(counts["total"].sum()), (spec.metric, county, as_of)
                if spec.metric == "township_demo_coverage":  # the map names the same townships
                    assert (list(charts_map.gap_townships(part.townships, part.ledger)["乡镇(街道)"])
                            == list(gaps["乡镇(街道)"])), (county, as_of)
                if "情况" in gaps.columns:  # 未报送 in the gap list = what the figures count as not reported
                    unreported = int((counts["total"] - counts["covered"]).sum())
                    assert int((gaps["情况"] == targets.NOT_REPORTED).sum()) == unreported, (spec.metric, county, as_of)
                checked += 1
    assert checked >= len(months_) * len(specs) * 3
