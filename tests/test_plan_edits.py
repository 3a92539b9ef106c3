"""Correcting the active plan by hand: the checks (each naming the table, row and column), the new version it
saves (who, what changed, the earlier version kept), and that only a 管理员 may."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from dashboard import plan_edits
from dashboard.accounts import Account
from dashboard.catalog import active_plan, plan_versions, ready
from dashboard.scope import ScopeError, command_line
from dashboard.store import make_engine

ADMIN = Account("wang", "王管理", "admin")


@pytest.fixture
def engine(tmp_path):
    eng = make_engine(f"sqlite:///{tmp_path / 'edits.db'}")
    ready(eng)  # the seed plan, version 1: measure 14 has no units, six target milestones
    yield eng
    eng.dispose()


def _tables(engine):
    plan = active_plan(engine)
    return plan, plan_edits.measure_frame(plan), plan_edits.target_frame(plan)


def test_the_tables_show_the_plan_as_stored(engine):
    plan, measures, targets_ = _tables(engine)
    assert measures.columns.tolist() == plan_edits.MEASURE_COLUMNS and len(measures) == 14
    five = measures.set_index("序号").loc[5]
    assert five["牵头单位"] == ["市民政局"] and five["配合单位"][0] == "市委组织部" and five["各县(市、区)负责"]
    assert measures.set_index("序号").loc[14, "牵头单位"] == []
    assert measures.set_index("序号").loc[10, "期限"] == "2025-12-31"
    seventy = targets_[targets_["数值"] == 70.0].iloc[0]
    assert (seventy["要求"], seventy["单位"], seventy["期限"]) == ("≥", "%", "2024-12-31")


def test_each_bad_edit_is_named_by_table_row_and_column(engine):
    plan, measures, targets_ = _tables(engine)
    measures.at[0, "牵头单位"] = ["市委组织部", "市委宣传部"]
    measures.at[1, "措施"] = "  "
    measures.at[4, "配合单位"] = ["市民政局", "市财政局"]  # its lead again
    measures.at[9, "期限"] = "2025年底"
    targets_.at[1, "数值"] = 170.0
    targets_.at[2, "要求"] = "大于"
    targets_.at[3, "期限"] = ""
    problems = plan_edits.check(measures, targets_, plan)
    assert problems == [
        "工作措施表第 1 行(措施 1)「牵头单位」须恰好一个(现有 2 个):其余单位请移到「配合单位」。",
        "工作措施表第 2 行(措施 2)「措施」为空:请填写措施名称。",
        "工作措施表第 5 行(措施 5)「配合单位」中不应再有牵头单位「市民政局」。",
        "工作措施表第 10 行(措施 10)「期限」「2025年底」不是日期:请写成 YYYY-MM-DD,如 2025-12-31,或留空。",
        "工作措施表第 14 行(措施 14)「牵头单位」须恰好一个(现有 0 个):请选择或输入牵头单位。",
        f"目标表第 2 行({targets_.at[1, '目标']})「数值」「170.0」超出范围:应为 0–100 之间的百分数。",
        f"目标表第 3 行({targets_.at[2, '目标']})「要求」只能是 ≥、≤ 或 =。",
        f"目标表第 4 行({targets_.at[3, '目标']})「期限」不能为空:请写成 YYYY-MM-DD,如 2025-12-31。",
    ]
    with pytest.raises(plan_edits.PlanEditError) as refused:
        plan_edits.save(engine, ADMIN, plan, measures, targets_)
    assert refused.value.problems == problems
    assert [v["id"] for v in plan_versions(engine)] == [1]  # nothing saved


def test_a_correction_is_saved_as_a_new_version_with_who_and_what(engine):
    plan, measures, targets_ = _tables(engine)
    measures.at[13, "牵头单位"] = ["市委宣传部"]  # the unit the cut-off text lost, picked from the list
    measures.at[13, "配合单位"] = ["市文明办"]  # typed once: a new unit
    targets_.at[1, "期限"] = "2025-06-30"
    version = plan_edits.save(engine, ADMIN, plan, measures, targets_)
    assert version == 2
    now = active_plan(engine)
    fourteen = now.measures[13]
    assert (fourteen["lead_unit"], fourteen["co_units"], fourteen["flags"]) == ("市委宣传部", ["市文明办"], [])
    assert fourteen["body"] == plan.measures[13]["body"]  # the plan's own words are kept
    moved = next(t for t in now.targets if t.key == plan.targets[1].key)
    assert (moved.deadline.isoformat(), moved.deadline_configured, moved.source) == (
        "2025-06-30", False, plan.targets[1].source)
    assert "市文明办" in now.units
    versions = plan_versions(engine)
    assert [(v["id"], v["active"]) for v in versions] == [(2, True), (1, False)]
    assert versions[0]["source_name"] == "plan.txt(手工修改)" and versions[0]["loaded_by"] == "王管理(wang)"
    with engine.connect() as conn:
        detail = conn.execute(text("SELECT detail FROM audit_log WHERE action = 'plan' ORDER BY id DESC")).scalar()
    assert detail.startswith("手工修改:措施 14「牵头单位」:(空) → 市委宣传部;措施 14「配合单位」:(空) → 市文明办;")
    assert detail.endswith("「期限」:2024-12-31 → 2025-06-30(方案版本 2)")


def test_nothing_changed_is_not_a_new_version(engine):
    plan, measures, targets_ = _tables(engine)
    measures.at[13, "牵头单位"] = ["市委宣传部"]
    plan_edits.save(engine, command_line(), plan, measures, targets_)
    plan, measures, targets_ = _tables(engine)  # version 2, every measure with its lead unit
    with pytest.raises(plan_edits.PlanEditError, match="没有任何修改"):
        plan_edits.save(engine, command_line(), plan, measures, targets_)
    assert [v["id"] for v in plan_versions(engine)] == [2, 1]


@pytest.mark.parametrize("role", ["leader", "county", "unit"])
def test_only_an_admin_may_correct_the_plan(engine, role):
    plan, measures, targets_ = _tables(engine)
    measures.at[13, "牵头单位"] = ["市委宣传部"]
    who = Account("x", "某人", role, county="330101000000" if role == "county" else None,
                  unit="市民政局" if role == "unit" else None)
    with pytest.raises(ScopeError):
        plan_edits.save(engine, who, plan, measures, targets_)
    assert [v["id"] for v in plan_versions(engine)] == [1]
