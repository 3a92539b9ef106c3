"""实施方案 page: a 管理员 loads a new plan from pasted text, reviews the parse, saves it as a new version and can
make the earlier one active again; nothing is saved before the confirmation; other roles see the versions only."""

from __future__ import annotations

from sqlalchemy import text

from dashboard.settings import DEFAULT_PLAN_FILE
from tests.apptest import app

SEED = DEFAULT_PLAN_FILE.read_text(encoding="utf-8")
FIXED = SEED.rstrip() + "〔责任单位:市委宣传部、市文明办〕\n"  # measure 14 gets the units the seed lost


def _plan_page(role: str = "admin"):
    at = app(role=role)
    at.run()
    at.switch_page("pages/plan.py").run()
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    return at


def _plans(store) -> list[tuple[int, bool, str | None]]:
    with store.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT id, active, loaded_by FROM plans ORDER BY id"))]


def _frame(at, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_an_admin_reviews_a_pasted_plan_before_saving_it(demo_store):
    at = _plan_page()
    assert "方案版本(共 1 个)" in [e.label for e in at.expander]
    at.text_area(key="plan_paste").set_value(FIXED)
    at.button(key="plan_parse").click().run()
    assert not at.error
    review = _frame(at, "需核对")
    assert review.loc[review["序号"] == 14, "牵头单位"].item() == "市委宣传部"
    assert review.loc[review["序号"] == 14, "配合单位"].item() == "市文明办"
    assert review["需核对"].eq("").all()  # the units it lacked are there now
    targets = _frame(at, "方案原文")
    assert "≥ 70%" in set(targets["要求"]) and len(targets) == 6
    assert _plans(demo_store) == [(1, True, "系统(首次启动载入默认方案)")]  # nothing saved yet
    at.button(key="plan_save").click().run()
    assert [s.value for s in at.success] == ["已保存为方案版本 2,并设为当前方案;各看板已按新方案显示。"]
    assert [p[:2] for p in _plans(demo_store)] == [(1, False), (2, True)]
    assert _plans(demo_store)[1][2] == "测试管理员(t_admin)"  # who saved it, from the signed-in account
    leads = [d.value for d in at.dataframe if "牵头单位" in d.value.columns and "期限" not in d.value.columns]
    assert any((df["序号"] == 14).any() and df.loc[df["序号"] == 14, "牵头单位"].item() == "市委宣传部"
               for df in leads)  # the page shows the new version at once
    assert not any("责任单位缺失" in w.value for w in at.warning)
    kept = _frame(at, "载入人")
    assert kept["版本"].tolist() == [2, 1] and kept["状态"].tolist() == ["当前", ""]
    with demo_store.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM audit_log WHERE action = 'plan' AND target = :t"),
                            {"t": "粘贴的方案文本.txt"}).scalar() == 1


def test_an_admin_makes_the_earlier_version_active_again(demo_store):
    at = _plan_page()
    at.text_area(key="plan_paste").set_value(FIXED)
    at.button(key="plan_parse").click().run()
    at.button(key="plan_save").click().run()
    at.selectbox(key="plan_version").set_value(1)
    at.button(key="plan_activate").click().run()
    assert [s.value for s in at.success] == ["已将方案版本 1 设为当前方案;各看板已按该版本显示。"]
    assert [p[:2] for p in _plans(demo_store)] == [(1, True), (2, False)]
    assert any("措施 14" in w.value and "责任单位缺失" in w.value for w in at.warning)


def test_text_without_measures_is_refused_and_nothing_is_saved(demo_store):
    at = _plan_page()
    at.text_area(key="plan_paste").set_value("关于召开会议的通知\n请各单位准时参加。")
    at.button(key="plan_parse").click().run()
    assert any("未在方案文本中找到任何工作措施" in e.value for e in at.error)
    assert not [b for b in at.button if b.key == "plan_save"]
    assert not at.exception
    assert _plans(demo_store) == [(1, True, "系统(首次启动载入默认方案)")]


def test_an_empty_parse_asks_for_a_file_or_text(demo_store):
    at = _plan_page()
    at.button(key="plan_parse").click().run()
    assert [w.value for w in at.warning if "请先选择" in w.value] == ["请先选择方案文件,或粘贴方案全文。"]


def test_a_leader_sees_the_versions_but_cannot_load_or_activate(demo_store):
    at = _plan_page("leader")
    assert "载入新的实施方案" not in [e.label for e in at.expander]
    assert "方案版本(共 1 个)" in [e.label for e in at.expander]
    assert not [b for b in at.button if b.key in ("plan_parse", "plan_save", "plan_activate")]


def test_an_admin_saving_the_tables_unchanged_is_told_what_to_fix(demo_store):
    """The seed's measure 14 lost its units: the correction tables refuse it by row and column, nothing saved."""
    at = _plan_page()
    assert any(e.label.startswith("手工修改当前方案") for e in at.expander)
    at.button(key="plan_edit_save").click().run()
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("未保存,请修改以下问题:")
    assert "工作措施表第 14 行(措施 14)「牵头单位」须恰好一个(现有 0 个)" in errors[0].replace("\\", "")
    assert _plans(demo_store) == [(1, True, "系统(首次启动载入默认方案)")]


def test_a_leader_has_no_correction_tables(demo_store):
    at = _plan_page("leader")
    assert not any(e.label.startswith("手工修改当前方案") for e in at.expander)
    assert not [b for b in at.button if b.key == "plan_edit_save"]


def test_a_plan_without_sections_lists_all_its_measures(demo_store):
    """A county plan whose 重点任务 are numbered 1.–4. with no (一)(二) sections: every measure is listed."""
    from dashboard.catalog import load_plan
    from tests.test_plan_tracking import OWN_PLAN

    load_plan(demo_store, OWN_PLAN, "清河县行动方案.txt")
    at = _plan_page("leader")
    listed = [d.value for d in at.dataframe if "各县(市、区)负责" in d.value.columns]
    assert len(listed) == 1
    assert listed[0]["措施"].tolist() == ["规范“三务”公开", "健全村务监督委员会", "培育法律明白人", "配强纪检委员"]
    assert listed[0]["牵头单位"].tolist() == ["县民政局", "县民政局", "县司法局", "县委组织部"]
    shown = _frame(at, "跟踪指标") if any("跟踪指标" in d.value.columns for d in at.dataframe) else None
    tracked = shown["跟踪指标"].tolist() if shown is not None else [t.value for t in at.table]
    assert tracked
