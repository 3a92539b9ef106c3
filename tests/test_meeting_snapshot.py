"""The month snapshot behind every meeting export, on the hand-made city of tests/tricky_city.py: its figures are
the ones worked out by hand in tests/test_tricky_city.py (the same dictionaries, so both are held to one sheet
of paper), and the 通报 sentence is put together as written here."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from dashboard import months, report, targets
from dashboard.metrics import Milestone
from dashboard.store import make_engine
from tests.test_tricky_city import DEC, JAN, OVERVIEW, TARGETS
from tests.tricky_city import NOW, build


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('snap') / 'city.db'}"
    build(url).dispose()
    engine = make_engine(url)
    yield engine
    engine.dispose()


def _snap(engine, month, county=None):
    with time_machine.travel(NOW.replace(tzinfo=months.zone()), tick=False):
        return report.build(engine, month, county)


@pytest.mark.parametrize("month", [DEC, JAN])
def test_snapshot_has_the_hand_worked_figures(city, month):
    snap = _snap(city, month)
    assert snap["stamp"] == f"全市 · 数据截至 {int(month[:4])}年{int(month[5:])}月"
    tiles = {t["label"]: t for t in snap["targets"]}
    for label, (value, _delta) in OVERVIEW[month]["tiles"].items():
        if label in tiles:
            assert f"{tiles[label]['actual']:.1f}%" == value, label
    ranking = report.frame(snap["ranking"])
    got = [(None if r["名次"] == "—" else int(r["名次"]), r["县(市、区)"], r["覆盖率(%)"], r["亮灯"], r["较上月"],
            r["已覆盖/乡镇数"]) for _, r in ranking.iterrows()]
    assert got == OVERVIEW[month]["ranking"]
    assert [int(n) for n in report.frame(snap["lagging"])["序号"]][:5] == OVERVIEW[month]["behind"]
    assert snap["lamp_counts"]["红灯"] == int(OVERVIEW[month]["tiles"]["措施推进"][0].split()[1])
    rate = OVERVIEW[month]["tiles"]["本月报送完整率"][0]
    assert f"{snap['received']['rate']:.1f}%" == rate


@pytest.mark.parametrize("month,metric", [(m, k) for m in TARGETS for k in TARGETS[m]])
def test_snapshot_gap_lists_and_county_tables(city, month, metric):
    snap = _snap(city, month)
    target = next(t for t in snap["targets"] if t["metric"] == metric)
    want = TARGETS[month][metric]
    gaps = report.frame(target["gaps"])
    if "村(社区)" in gaps.columns:
        assert list(zip(gaps["情况"], gaps["村(社区)"])) == want["gaps"]
    elif "品牌" in gaps.columns:
        assert list(zip(gaps["县(市、区)"], gaps["品牌"], gaps["状态"])) == want["gaps"]
    else:
        assert list(zip(gaps["县(市、区)"], gaps["乡镇(街道)"])) == want["gaps"]
    table = report.frame(target["counties"])
    assert list(table["县(市、区)"]) == [row[0] for row in want["table"]]
    assert list(table["灯"]) == [row[-2] if metric in ("township_demo_coverage", "county_brand_coverage") else row[-1]
                                 for row in want["table"]]
    assert want["heading"].endswith(target["lamp_label"])


def test_county_snapshot_keeps_to_its_county(city):
    city_snap = _snap(city, DEC)
    county = next(c for c in report.Month(city, DEC).inputs.counties.items() if c[1] == "甲县")[0]
    snap = _snap(city, DEC, county)
    assert snap["where"] == "甲县" and snap["stamp"] == "甲县 · 数据截至 2023年12月"
    town = next(t for t in snap["targets"] if t["metric"] == "township_demo_coverage")
    assert (town["count"], town["total"], town["actual"]) == (2, 5, 40.0)  # 甲县 2/5 (hand-worked, see above)
    assert set(report.frame(town["gaps"])["县(市、区)"]) == {"甲县"}
    assert snap["map"]["township_total"] == 5 and city_snap["map"]["township_total"] == 8
    assert len(snap["map"]["sites"]) == 10  # 甲县's ten villages on the roster


def test_county_figures_sliced_from_the_city_equal_those_counted_alone(city):
    """A freeze counts the city once and slices every county from it; that must be exactly what counting the
    county on its own gives."""
    with time_machine.travel(NOW.replace(tzinfo=months.zone()), tick=False):
        for month in (DEC, JAN):
            shared, alone = report.Month(city, month), report.Month(city, month, share=False)
            shared.snapshot()
            for county in shared.inputs.counties:
                assert report.dumps(shared.snapshot(county)) == report.dumps(alone.snapshot(county)), county


def test_the_circular_sentence_is_written_out():
    spec = targets.Spec("township_demo_coverage", "乡镇示范点覆盖率", "乡镇",
                        (Milestone(date(2024, 12, 31), 70.0), Milestone(date(2025, 12, 31), 100.0)), "…", False,
                        met="已有示范点")
    text = report.sentence(spec, "全市", 82, 100, 82.0, 80.0, 75.3, spec.milestones[0], date(2024, 11, 30), 0)
    assert text == ("全市 100 个乡镇(街道)中 82 个已有示范点,乡镇示范点覆盖率 82.0%,较上月提高 2.0 个百分点,"
                    "已达到 70% 的节点要求(按直线进度本月应达 75.3%)。")
    behind = report.sentence(spec, "甲县", 3, 5, 60.0, 60.0, 80.0, spec.milestones[1], date(2025, 3, 31), 1)
    assert behind == ("甲县 5 个乡镇(街道)中 3 个已有示范点,乡镇示范点覆盖率 60.0%,与上月持平,"
                      "距 2025年12月31日前达到 100% 的节点要求还差 40.0 个百分点(按直线进度本月应达 80.0%);"
                      "另有 1 乡镇(街道)未报送,不计为达标。")
    late = report.sentence(spec, "乙县", 0, 2, 0.0, 50.0, 72.0, spec.milestones[0], date(2025, 1, 31), 0)
    assert "较上月下降 50.0 个百分点" in late and "2024年12月31日前达到 70% 的节点期限已过,仍差 70.0 个百分点" in late
    assert report.sentence(spec, "丙县", 0, 1, None, None, 72.0, spec.milestones[0], date(2025, 1, 31), 1) == \
        "丙县乡镇示范点覆盖率:本月未报送,无法计算。"
