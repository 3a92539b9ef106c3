"""目标进度: for every target of the plan — the actual series against the milestone path, a per-county
table with lamps, the pace still needed to reach the next milestone, and the named gap list."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import targets, ui
from dashboard.metrics import LAMP_LABELS, pace_text
from dashboard.settings import lamp_rule

PAGE, TITLE = "pages/targets.py", "目标进度"
SOURCES = ("village_monthly", "demo_sites", "county_brands")
ui.title(TITLE)


def target_section(ver: tuple, view, spec: targets.Spec) -> None:
    series = ui.target_series(ver, view.as_of, view.county, spec.metric)
    actual, expected, colour = targets.latest(spec, series, view.as_of, lamp_rule().yellow_gap_points)
    shown = targets.NOT_REPORTED if actual is None else f"{actual:.1f}%"
    unreported = int(series["unreported"].iloc[-1])
    pace = ui.target_pace(ver, view.as_of, view.county, spec.metric)
    ladder = "、".join(f"{m.deadline:%Y年%m月%d日}前 {m.value:g}%" for m in spec.milestones)
    note = "(期限为配置默认值,见 data/plan_config.toml)" if spec.configured else ""

    st.markdown(f"#### {ui.plain(spec.label)}:{shown}  ·  {LAMP_LABELS.get(colour, targets.NOT_REPORTED)}")
    st.caption(f"方案节点:{ladder}{note}。方案原文:“{ui.plain(spec.source)}”")
    c1, c2, c3 = st.columns(3)
    c1.metric("当前", shown)
    if unreported and actual is not None:
        c1.caption(f"其中 {unreported:,} 个{spec.noun}未报送(不计为达标)")
    c2.metric("直线进度应达", f"{expected:.1f}%", None if actual is None else f"{actual - expected:+.1f} 个百分点",
              delta_color="normal")
    c3.metric("完成下一节点还需", pace_text(pace, spec.noun) if pace else "—")

    left, right = st.columns([3, 2], gap="large")
    with left:
        st.vega_lite_chart(spec=ui.ladder_spec(ver, view.as_of, view.county, spec.metric, f"{spec.label}:实际与节点"),
                           width="stretch")
    with right:
        table = ui.target_table(ver, view.as_of, view.county, spec.metric)
        shown_table = table.assign(
            灯=table["lamp"].map(lambda c: LAMP_LABELS.get(c, targets.NOT_REPORTED)),
            actual=table["actual"].map(lambda v: "—" if v is None or pd.isna(v) else f"{v:g}"),
            来自=table["source"].map(lambda p: "" if p is None or pd.isna(p) else ui.period_label(p)))
        columns = ["县(市、区)", f"达标{spec.noun}", f"{spec.noun}总数", f"未报送{spec.noun}", "实际(%)", "应达(%)", "灯"]
        if spec.noun != "村":  # registers stand until replaced: say from which month
            columns = [c for c in columns if not c.startswith("未报送")] + ["来自"]
        ui.table(shown_table.rename(columns={
            "county": "县(市、区)", "count": f"达标{spec.noun}", "total": f"{spec.noun}总数",
            "unreported": f"未报送{spec.noun}", "actual": "实际(%)", "expected": "应达(%)"})[columns],
            f"{spec.label}:分县(市、区)情况", view, f"counties_{spec.metric}")

    gaps = ui.target_gaps(ver, view.as_of, view.county, spec.metric)
    split = (f",其中未达标 {int((gaps['情况'] == '未达标').sum())} 个、未报送 {int((gaps['情况'] == targets.NOT_REPORTED).sum())} 个"
             if "情况" in gaps.columns else "")
    with st.expander(f"缺口清单:尚未达标的{spec.noun}(共 {len(gaps)} 个{split})", expanded=spec.noun != "村"):
        ui.table(gaps, f"{spec.label}缺口清单", view, f"gaps_{spec.metric}", sheet="缺口清单",
                 stamp=f"{ui.view_caption(view)};亮灯规则见看板", height=min(420, 38 + 35 * max(len(gaps), 1)))


with ui.guarded("目标进度"):
    ver = ui.version()
    ui.demo_banner(ver)
    if not ui.periods(ver):
        st.info("还没有上报数据。请先在「数据上报」页上传报表,或运行 `qinglian demo` 写入演示数据。")
        st.stop()
    view = ui.frame()
    ui.meeting_stamp(PAGE, TITLE, view, SOURCES)
    ui.missing_notice(view, SOURCES)
    st.caption(f"{ui.plain(ui.view_caption(view))}。亮灯规则:{lamp_rule().text()}")
    ui.export_button(view, ("targets",))
    specs = {s.metric: s for s in ui.target_specs(ver)}
    plan = ui.plan_view(ver)
    untracked = [t.text for t in (plan.targets if plan else []) if t.metric not in specs]
    if untracked:
        st.caption(f"方案中另有 {len(untracked)} 个目标不在看板跟踪:{ui.plain('、'.join(dict.fromkeys(untracked)))}"
                   "(管理员可在「实施方案」页为其选择跟踪指标)。")
    if not specs:
        st.info("当前实施方案没有在看板跟踪的量化目标。管理员可在「实施方案」页的「手工修改当前方案」中为目标选择跟踪指标。")
        st.stop()
    metric = st.segmented_control("选择目标", list(specs), format_func=lambda m: specs[m].label,
                                  default=next(iter(specs)), required=True, key="target_metric")
    target_section(ver, view, specs[metric or next(iter(specs))])
    ui.sources_expander(view, SOURCES)
