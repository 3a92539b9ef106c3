"""责任落实: each measure's lead unit, latest report and lamp; per-unit reporting; the measure × unit matrix."""

import pandas as pd
import streamlit as st

from dashboard import accountability as acc
from dashboard import facts, ui
from dashboard.plan import load_plan_config
from dashboard.settings import lamp_rule


def _rows_height(frame: pd.DataFrame) -> int:
    """Tall enough to show every row without an inner scroll bar."""
    return 38 + 35 * len(frame)


def _measure_detail(plan, measures: pd.DataFrame, reports: pd.DataFrame, city: facts.View) -> None:
    """A chosen measure: its lamp and units, its report history and the plan's own text."""
    titles = {m["number"]: m["title"] for m in plan.measures}
    number = st.columns([2, 3])[0].selectbox(
        "选择措施", list(titles), index=None, placeholder="请选择措施", format_func=lambda n: f"{n}. {titles[n]}",
        key="acc_measure", help="查看该措施的历次报送和方案原文")
    if number is None:
        st.caption("选择一项措施后,显示其历次报送记录和方案原文。")
        return
    m = next(m for m in plan.measures if m["number"] == number)
    row = measures[measures["序号"] == number].iloc[0]
    st.markdown(f"#### {number}. {ui.plain(m['title'])}")
    st.markdown(
        f"**{row['灯']}**:{ui.plain(row['灯号说明'])}  \n"
        f"牵头单位:{ui.plain(row['牵头单位'])};配合单位:{ui.plain(row['配合单位'])};"
        f"各县(市、区)党委和人民政府:{'负责' if m['counties_responsible'] else '不负责'}"
    )
    with st.expander("方案原文", expanded=True, icon=":material/description:"):
        st.markdown(ui.plain(m["body"]) if m["body"] else "(方案原文缺失)")
    rows = acc.history(reports, number, m["lead_unit"])
    st.markdown(f"**历次报送(共 {len(rows)} 条,最新在前)**")
    if rows.empty:
        st.info("该措施尚无报送记录。")
        return
    ui.table(
        rows.assign(**{"完成进度(%)": acc.percent_text(rows["完成进度(%)"])}), f"措施{number}历次报送", city,
        f"history_{number}", height=min(420, _rows_height(rows)),
        column_config={
            "报送月份": st.column_config.TextColumn(width=76),
            "报送单位": st.column_config.TextColumn(width=235),
            "角色": st.column_config.TextColumn(width=50),
            "状态": st.column_config.TextColumn(width=60),
            "完成进度(%)": st.column_config.TextColumn(width=90, alignment="right"),
            "本月进展": st.column_config.TextColumn(width=390),
            "填报人": st.column_config.TextColumn(width=70),
            "上报时间": st.column_config.TextColumn(width=130),
        },
    )


PAGE, TITLE = "pages/accountability.py", "责任落实"
ui.title(TITLE)

with ui.guarded("责任落实"):
    ver = ui.version()
    ui.demo_banner(ver)
    view = ui.frame()
    city = facts.View(view.as_of)  # measures are reported by city units: the page is city-wide
    ui.meeting_stamp(PAGE, TITLE, view, ("measure_progress",), city_wide=True)
    ui.missing_notice(view, ("measure_progress",))
    plan = ui.plan_view(ver)
    if plan is None or not plan.measures:
        st.info("尚未载入实施方案,无法列出工作措施。请在「实施方案」页确认方案已载入。")
        st.stop()
    rule, start = lamp_rule(), load_plan_config().start
    reports = ui.measure_reports(ver, view.as_of)
    measures = ui.measure_table(ver, view.as_of)  # acc.measure_table, cached (the overview shows it too)
    units = acc.unit_table(plan.measures, reports, view.as_of, measures, plan.units)
    caption = ui.plain(ui.view_caption(view))
    if view.county:
        caption += " · 工作措施由市级单位牵头报送,本页不按县(市、区)筛选"
    st.caption(caption)
    ui.export_button(view, ("accountability",))

    counts = acc.lamp_counts(measures)
    done, leading = acc.units_reported(units)
    cols = st.columns(5)
    cols[0].metric("工作措施", f"{len(measures)} 项")
    for col, label in zip(cols[1:4], ("绿灯", "黄灯", "红灯")):
        col.metric(label, f"{counts[label]} 项")
    cols[4].metric(f"{ui.period_label(view.as_of)}已报单位", f"{done}/{leading}",
                   help="本月已报送其牵头的全部措施的单位数 / 有牵头措施的单位数")
    missing = units[units["本月未报"] != acc.NONE]
    if not missing.empty:
        names = "、".join(f"{u}(措施 {n})" for u, n in zip(missing["单位"], missing["本月未报"]))
        st.warning(f"{ui.period_label(view.as_of)}尚未报送的牵头单位:{ui.plain(names)}", icon=":material/schedule:")

    st.subheader("措施落实情况")
    st.caption(f"亮灯规则 — {rule.text()}")
    st.caption(f"应达进度:从方案起始({start},0%)到措施完成期限(方案未写明的按 "
               f"{rule.measure_deadline})达到 100% 的直线,取所选月份月末的值;只按牵头单位的报送计算。")
    sections_help = ui.plain(";".join(f"{acc.section_numeral(s.number)}{s.title}" for s in plan.sections))
    ui.table(
        acc.lamp_style(acc.compact(measures)), "措施落实情况", city, "measures", export=measures,
        height=_rows_height(measures),
        column_config={
            "篇章": st.column_config.TextColumn(width=48, help=sections_help),
            "序号": st.column_config.NumberColumn(width=45),
            "措施": st.column_config.TextColumn(width=262),
            "牵头单位": st.column_config.TextColumn(width=245),
            "配合单位": st.column_config.TextColumn(
                width=160, help="责任单位中除牵头单位外的其余单位;悬停单元格可看全部,下方矩阵亦有列示"),
            "各县负责": st.column_config.TextColumn(width=66, help="各县(市、区)党委和人民政府是否为责任单位"),
            "最新状态": st.column_config.TextColumn(width=70),
            "完成进度(%)": st.column_config.TextColumn(width=90, alignment="right"),
            "最近报送": st.column_config.TextColumn(width=76),
            "应达进度(%)": st.column_config.TextColumn(width=90, alignment="right"),
            "灯": st.column_config.TextColumn(width=48, help=rule.text()),
            "灯号说明": st.column_config.TextColumn(width=250),
        },
    )

    st.subheader("责任单位落实情况")
    st.caption(f"本月指所选的 {ui.period_label(view.as_of)};本月已报 / 本月未报只统计单位牵头的措施,此前已报“已完成”(进度 100%)的措施无需再报,计入本月已报;"
               "滞后措施指牵头措施中亮红灯或最新状态为「滞后」的措施。")
    ui.table(units, "责任单位落实情况", city, "units", height=_rows_height(units), column_config={
        "单位": st.column_config.TextColumn(width=260),
        **{c: st.column_config.NumberColumn(width=110) for c in ("牵头措施(项)", "配合措施(项)", "本月已报(项)")},
    })

    st.subheader("措施 × 责任单位")
    st.caption("● 牵头  ○ 配合;列名为措施序号和灯号,有标记的单元格按该措施的灯色着色。")
    grid = acc.matrix(plan.measures, measures, plan.units)
    titles = dict(zip(measures["序号"], measures["措施"]))
    ui.table(
        acc.matrix_style(grid), "措施 × 责任单位", city, "matrix", height=_rows_height(grid),
        column_config={"单位": st.column_config.TextColumn(width=250)} | {
            col: st.column_config.TextColumn(width="small", alignment="center", help=ui.plain(f"{n}. {titles[n]}"))
            for col, n in zip(grid.columns[1:], measures["序号"])},
    )

    st.subheader("措施详情")
    _measure_detail(plan, measures, reports, city)

    ui.sources_expander(view, ("measure_progress",))
