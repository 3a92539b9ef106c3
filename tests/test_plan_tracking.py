"""Targets drive the dashboards: a plan's targets are read in the forms cities write them, each is tracked by a
demo-site / brand rule or an indicator of data/indicators.toml (or 不在看板跟踪), the mapping can be corrected by
hand, and the targets page and the overview's tiles follow the active plan — six tracked targets show six."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import text

from dashboard import facts, plan_edits, queries, targets, tracking
from dashboard.accounts import Account
from dashboard.catalog import active_plan, load_plan, ready
from dashboard.plan import PlanConfig, parse_plan
from dashboard.store import make_engine
from tests.apptest import app

CONFIG = PlanConfig("2024-01-01", {}, fallback="2026-12-31", full_coverage=("规范配备",))

# A county's own plan, hand-written in another style than the seed: targets as "XX%的乡镇", "达到XX%以上",
# "全覆盖", "每村至少N名", each with its year in its own sentence, and one target no dashboard measures.
OWN_PLAN = """清河县清廉村居建设三年行动方案
一、工作目标
到2025年底,全县60%的乡镇建成清廉村居示范点;至2026年,示范点覆盖率达到90%以上。
村级小微权力清单2025年实现全覆盖。
群众对基层正风反腐的满意度2026年达到95%以上。
二、重点任务
1.规范“三务”公开。全面推行“三务”公开,到2025年“三务”按时公开的村达85%以上。(责任单位:县民政局、县财政局)
2.健全村务监督委员会。2025年底前,村务监督委员会健全率达到95%以上。(责任单位:县民政局)
3.培育法律明白人。至2026年,每村至少配备4名法律明白人。(责任单位:县司法局、县委政法委)
4.配强纪检委员。2025年,村党组织纪检委员配备率达100%。(责任单位:县委组织部)
"""
SIX = ["乡镇示范点覆盖率", "法律明白人≥4名的村占比", "小微权力清单覆盖率", "纪检委员配备率",
       "三务公开本月按时公开的村占比", "村务监督委员会健全的村占比"]


def test_the_forms_cities_write_targets_in():
    plan = parse_plan(OWN_PLAN, CONFIG)
    got = [(t.metric, t.value, t.unit, t.deadline, t.deadline_configured, t.measure) for t in plan.targets]
    assert got == [
        ("township_demo_coverage", 60.0, "%", "2025-12-31", False, None),  # "60%的乡镇", 到2025年底
        ("township_demo_coverage", 90.0, "%", "2026-12-31", False, None),  # the nearest year before: 至2026年
        ("micro_power_list_coverage", 100.0, "%", "2025-12-31", False, None),  # 全覆盖 = 100 %
        ("untracked", 95.0, "%", "2026-12-31", False, None),  # 满意度: no dashboard measures it
        ("affairs_disclosed_coverage", 85.0, "%", "2025-12-31", False, 1),  # its sentence names “三务”公开
        ("supervision_committee_coverage", 95.0, "%", "2025-12-31", False, 2),
        ("legal_persons_coverage", 4.0, "名/村", "2026-12-31", False, 3),  # 每村至少配备4名
        ("discipline_member_coverage", 100.0, "%", "2025-12-31", False, 4),
    ]
    assert [t.key for t in plan.targets][:4] == ["township_demo_60", "township_demo_90", "micro_power_list",
                                                 "untracked_95"]
    assert plan.targets[3].text == "群众对基层正风反腐的满意度2026年达到95%以上"  # its own words, for review
    assert plan.targets[4].source == "全面推行“三务”公开,到2025年“三务”按时公开的村达85%以上"


def test_a_deadline_comes_from_the_targets_own_sentence_only():
    """A year in the sentence before is not this target's: the masked one here falls back, flagged."""
    text_ = ("四、工作措施1.强化监督。到2025年完成制度建设。小微权力清单到XX年实现全覆盖。〔责任单位:县纪委监委〕")
    (target,) = parse_plan(text_, CONFIG).targets
    assert (target.metric, target.deadline, target.deadline_configured) == (
        "micro_power_list_coverage", "2026-12-31", True)
    assert target.flags == ("原文未写年份,暂按方案默认期限 2026-12-31 计,请核对或在 data/plan_config.toml "
                            "[targets] 中补充 micro_power_list = \"YYYY-MM-DD\"",)
    dated = parse_plan(text_, PlanConfig("2024-01-01", {"micro_power_list": "2025-06-30"}, "2026-12-31"))
    assert (dated.targets[0].deadline, dated.targets[0].flags) == ("2025-06-30", ())


@pytest.mark.parametrize("sentence, expected", [
    ("至2025年,每个村至少有3名“法律明白人”", ("legal_persons_coverage", 3.0, "名/村")),
    ("至2025年,每村不少于2名法律明白人", ("legal_persons_coverage", 2.0, "名/村")),
    ("2025年底前实现村务监督委员会全覆盖", ("supervision_committee_coverage", 100.0, "%")),
    ("到2025年,70%的村完成小微权力清单编制", ("micro_power_list_coverage", 70.0, "%")),
    ("到2025年,每个县(市、区)都有清廉乡村特色亮点和品牌", ("county_brand_coverage", 100.0, "%")),
    ("到2025年,法律明白人覆盖率达80%以上", ("untracked", 80.0, "%")),  # a count indicator asked as a share
])
def test_each_form_is_tracked_by_the_indicator_its_clause_names(sentence, expected):
    (target,) = parse_plan(f"{sentence}。四、工作措施1.强化监督。加强检查。〔责任单位:县纪委监委〕", CONFIG).targets
    assert (target.metric, target.value, target.unit) == expected
    assert target.deadline == "2025-12-31"


def test_a_share_of_a_count_indicator_is_flagged_not_guessed():
    (target,) = parse_plan("到2025年,法律明白人覆盖率达80%以上。四、工作措施1.强化监督。加强检查。〔责任单位:县纪委监委〕",
                           CONFIG).targets
    assert target.flags == ("目标写法与「法律明白人≥80名的村占比」的口径不符(一个是人数、一个是比例),请在修改表中指定跟踪指标",)


def test_every_catalogue_indicator_can_track_a_target():
    from dashboard.settings import indicators

    offered = tracking.choices()
    assert list(offered)[0] == "township_demo_coverage" and list(offered)[-2:] == ["county_brand_coverage", "untracked"]
    assert {f"{i['key']}_coverage" for i in indicators()} <= set(offered)
    assert offered["clues_found_coverage"] == "村级指标:问题线索发现数"
    assert tracking.label_of("gone_coverage") == "不在看板跟踪(原指标「gone_coverage」已不在指标目录中)"


@pytest.fixture
def own_store(demo_store):
    load_plan(demo_store, OWN_PLAN, "清河县行动方案.txt")
    return demo_store


def test_the_active_plans_tracked_targets_become_the_specs(own_store):
    specs = targets.specs(active_plan(own_store).targets)
    assert [s.label for s in specs] == SIX
    township = specs[0]
    assert [(m.deadline, m.value) for m in township.milestones] == [(date(2025, 12, 31), 60.0),
                                                                     (date(2026, 12, 31), 90.0)]
    assert (specs[1].threshold, [m.value for m in specs[1].milestones]) == (4.0, [100.0])
    assert targets.village_bars(specs) == (("legal_persons", 4.0), ("micro_power_list", None),
                                           ("discipline_member", None), ("affairs_disclosed", None),
                                           ("supervision_committee", None))


def test_a_new_indicator_target_is_counted_like_plain_sql(own_store):
    newest = queries.periods(own_store)[-1]
    specs = targets.specs(active_plan(own_store).targets)
    affairs = next(s for s in specs if s.metric == "affairs_disclosed_coverage")
    data = queries.target_inputs(own_store, newest, targets.village_bars(specs))
    table = targets.county_table(affairs, data, "2024-01-01", newest, 10).set_index("county_code")
    with own_store.connect() as conn:
        expected = dict(conn.execute(text(
            "SELECT r.county_code, SUM(CASE WHEN r.affairs_disclosed THEN 1 ELSE 0 END) FROM village_reports r "
            "JOIN uploads u ON u.id = r.upload_id WHERE u.active AND u.kind = 'village_monthly' AND u.period = :p "
            "GROUP BY r.county_code"), {"p": newest}).all())
    assert expected and {c: int(n) for c, n in table["count"].items() if c in expected} == expected
    gaps = targets.gaps(affairs, data.only(None), newest, facts.villages(own_store, newest),
                        facts.village_reports(own_store, facts.View(newest)))
    not_met = int((gaps["情况"] == "未达标").sum())
    assert not_met == int(table["total"].sum() - table["unreported"].sum() - table["count"].sum())


def test_the_targets_page_and_the_tiles_follow_the_active_plan(own_store):
    at = app(90).run()
    tiles = [m.label for m in at.metric]
    assert tiles == SIX + ["本月报送完整率", "措施推进"]  # six tracked targets: six tiles, then the two fixed ones
    assert at.markdown and any("乡镇示范点覆盖率排名" in m.value for m in at.markdown)
    at.switch_page("pages/targets.py").run()
    assert not at.exception and not at.error
    control = at.get("segmented_control")[0]
    assert [o.content for o in control.proto.options] == SIX
    shown = [c.value.replace("\\", "") for c in at.caption]  # Markdown escapes (95\\%) are not what is seen
    assert any(c.startswith("方案中另有 1 个目标不在看板跟踪:群众对基层正风反腐的满意度2026年达到95%以上") for c in shown)
    control.set_value("affairs_disclosed_coverage").run()
    assert any(m.value.startswith("#### 三务公开本月按时公开的村占比:") for m in at.markdown)
    assert any("方案节点:2025年12月31日前 85%" in c.value.replace("\\", "") for c in at.caption)


def test_a_plan_tracking_nothing_says_so(demo_store):
    load_plan(demo_store, "群众满意度到2026年达到95%以上。四、工作措施1.强化监督。加强检查。〔责任单位:县纪委监委〕",
              "无跟踪目标.txt")
    at = app(90).run()
    assert not at.exception and not at.error
    assert [m.label for m in at.metric] == ["本月报送完整率", "措施推进"]
    assert any(i.value.startswith("当前实施方案没有在看板跟踪的量化目标") for i in at.info)
    at.switch_page("pages/targets.py").run()
    assert not at.exception and not at.error
    assert any(i.value.startswith("当前实施方案没有在看板跟踪的量化目标") for i in at.info)


ADMIN = Account("wang", "王管理", "admin")


@pytest.fixture
def engine(tmp_path):
    eng = make_engine(f"sqlite:///{tmp_path / 'track.db'}")
    ready(eng)
    yield eng
    eng.dispose()


def test_the_tracking_measure_is_corrected_by_hand(engine):
    plan = active_plan(engine)
    measures, targets_ = plan_edits.measure_frame(plan), plan_edits.target_frame(plan)
    measures.at[13, "牵头单位"] = ["市委宣传部"]  # the seed's measure 14 lost its units
    row = targets_.index[targets_["跟踪指标"] == "村级指标:纪检委员已配备"][0]
    targets_.at[row, "跟踪指标"] = "村级指标:村务监督委员会健全"
    plan_edits.save(engine, ADMIN, plan, measures, targets_)
    now = active_plan(engine)
    moved = next(t for t in now.targets if t.key == "discipline_member")
    assert (moved.metric, moved.text) == ("supervision_committee_coverage", "村务监督委员会健全的村占比")
    assert "村务监督委员会健全的村占比" in [s.label for s in targets.specs(now.targets)]
    assert "纪检委员配备率" not in [s.label for s in targets.specs(now.targets)]
    with engine.connect() as conn:
        detail = conn.execute(text("SELECT detail FROM audit_log WHERE action = 'plan' ORDER BY id DESC")).scalar()
    assert "「跟踪指标」:村级指标:纪检委员已配备 → 村级指标:村务监督委员会健全" in detail


def test_a_tracking_measure_that_does_not_fit_the_unit_is_refused(engine):
    plan = active_plan(engine)
    measures, targets_ = plan_edits.measure_frame(plan), plan_edits.target_frame(plan)
    measures.at[13, "牵头单位"] = ["市委宣传部"]
    first = targets_.index[targets_["数值"] == 40.0][0]
    targets_.at[first, "跟踪指标"] = "村级指标:法律明白人数"
    legal = targets_.index[targets_["单位"] == "名/村"][0]
    targets_.at[legal, "跟踪指标"] = "不在这里的指标"
    problems = plan_edits.check(measures, targets_, plan)
    assert problems == [
        f"目标表第 {first + 1} 行({targets_.at[first, '目标']})「跟踪指标」村级指标:法律明白人数是人数指标,"
        "目标须写成每村人数:「单位」请填「名/村」,「数值」填每村至少的人数。",
        f"目标表第 {legal + 1} 行({targets_.at[legal, '目标']})「跟踪指标」「不在这里的指标」不在可选列表中:"
        "请从列表中选择,或选「不在看板跟踪」。",
    ]


def test_an_indicator_kept_in_the_json_column_is_counted_from_the_rows(tmp_path):
    """An indicator added to the catalogue without a column of its own is stored in ``extra``; a target on it is
    counted from the village rows — here by hand: 甲县 October has 10 reports, 6 given 巡查次数 of 2 or more."""
    from tests.tricky_city import JIA, build

    eng = build(f"sqlite:///{tmp_path / 'city.db'}")
    try:
        with eng.begin() as conn:
            ids = [r[0] for r in conn.execute(text(
                "SELECT v.id FROM village_reports v JOIN uploads u ON u.id = v.upload_id "
                "WHERE u.active AND v.period = '2023-10' AND v.county_code = :c ORDER BY v.id"), {"c": JIA})]
            assert len(ids) == 10
            for i, vid in enumerate(ids):
                conn.execute(text("UPDATE village_reports SET extra = :e WHERE id = :i"),
                             {"e": json.dumps({"patrols": [0, 1, 2, 3, 5, 2, 2, 4, None, 1][i]}), "i": vid})
        series = facts.indicator_series(eng, facts.View("2023-11"), (("patrols", 2.0), ("micro_power_list", None)))
        row = series.set_index(["period", "county_code"]).loc[("2023-10", JIA)]
        assert (row["reported"], row["patrols"], row["micro_power_list"]) == (10, 6, 6)
    finally:
        eng.dispose()


def test_a_year_in_chinese_numerals_is_a_written_year_and_a_masked_one_is_not():
    plan = parse_plan("二〇二五年底前,小微权力清单实现全覆盖。四、工作措施1.强化监督。加强检查,二〇二六年底前完成。"
                      "〔责任单位:县纪委监委〕", CONFIG)
    assert (plan.targets[0].deadline, plan.targets[0].deadline_configured) == ("2025-12-31", False)
    assert plan.targets[0].source == "二〇二五年底前,小微权力清单实现全覆盖"  # the plan's own characters
    assert plan.measures[0].deadline == "2026-12-31"
    masked = parse_plan("二〇XX年,小微权力清单实现全覆盖。四、工作措施1.强化监督。加强检查。〔责任单位:县纪委监委〕", CONFIG)
    assert (masked.targets[0].deadline, masked.targets[0].deadline_configured) == ("2026-12-31", True)


VILLAGE_ONLY = ("到2025年,每村至少有2名法律明白人。小微权力清单2025年实现全覆盖。"
                "四、工作措施1.强化监督。加强检查。〔责任单位:县纪委监委〕")


def test_exports_rank_counties_by_what_the_overview_ranks_by(demo_store, monkeypatch):
    """A plan tracking no demo-site coverage: the overview, the 通报 and the deck rank by its first tracked target."""
    from io import BytesIO

    from docx import Document

    from dashboard import circular, report

    load_plan(demo_store, VILLAGE_ONLY, "只有村级目标.txt")
    newest = queries.periods(demo_store)[-1]
    snap = report.build(demo_store, newest)
    assert snap["ranked"] == "legal_persons_coverage"
    ranking = report.frame(snap["ranking"])
    table = next(t for t in snap["targets"] if t["metric"] == "legal_persons_coverage")["counties"]
    by_county = dict(zip(report.frame(table)["县(市、区)"], report.frame(table)["实际(%)"]))
    assert "达标/村数" in ranking.columns and len(ranking) == 7
    def number(v):
        return None if v in (None, "—") or v != v else float(v)

    ranked_shares = {c: number(v) for c, v in zip(ranking["县(市、区)"], ranking["覆盖率(%)"])}
    assert ranked_shares == {c: number(v) for c, v in by_county.items()}  # the target's own county figures
    assert sum(v is not None for v in ranked_shares.values()) >= 5
    text = "\n".join(p.text for p in Document(BytesIO(circular.build(snap))).paragraphs)
    assert "各县(市、区)法律明白人≥2名的村占比排名见下表(按法律明白人≥2名的村占比由高到低排列)。" in text
    assert "乡镇示范点覆盖率" not in text
    at = app(90).run()
    assert any(m.value.replace("\\", "") == "**各县(市、区)法律明白人≥2名的村占比排名**" for m in at.markdown), [m.value for m in at.markdown][:3]
    shown = next(d.value for d in at.dataframe if "名次" in d.value.columns)
    assert shown["县(市、区)"].tolist() == ranking["县(市、区)"].tolist()


def test_the_county_map_is_uncoloured_when_the_plan_tracks_no_demo_site_coverage(demo_store):
    """A province-scale map colours counties by 乡镇示范点覆盖率; a plan without it leaves them uncoloured, 未报送."""
    import pandas as pd

    from dashboard import charts_map

    load_plan(demo_store, VILLAGE_ONLY, "只有村级目标.txt")
    counties = facts.boundaries(demo_store, "county")
    layers = charts_map.county_layers(counties, pd.DataFrame(columns=["county_code", "count", "total", "actual", "lamp"]))
    assert len(layers["counties"]) == len(counties) == 7
    assert layers["counties"]["color"].map(tuple).nunique() == 1
    assert all(tip.endswith("亮灯:未报送") for tip in layers["counties"]["提示"])
