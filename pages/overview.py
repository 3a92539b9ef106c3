"""总览: are we on track — KPI tiles with the change since last month, the milestone ladder,
the county ranking with lamps, the measures most behind and this month's reporting completeness."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import accountability, completeness, facts, metrics, months, targets, ui
from dashboard.settings import deadline_day, lamp_rule

PAGE, TITLE = "pages/overview.py", "清廉乡村建设总览"
SOURCES = ("village_monthly", "demo_sites", "county_brands", "measure_progress")
ui.title(TITLE)


def _figure(value) -> float | None:
    """A share, or None when it is 未报送."""
    return None if value is None or pd.isna(value) else float(value)


def _delta(now: float, before: float | None) -> str | None:
    return None if before is None else f"{now - before:+.1f} 个百分点(较上月)"


def _tile_columns(n: int) -> list:
    """``n`` tile slots, six to a row at most and rows of equal length (seven tiles: 4 + 3)."""
    rows = -(-n // 6)
    per_row = -(-n // rows)
    return [col for start in range(0, n, per_row) for col in st.columns(per_row)][:n]


def kpi_tiles(ver: tuple, view) -> None:
    """One tile per target the active plan tracks, then the month's reporting completeness and the measures."""
    previous = months.previous(view.as_of)
    reported = ui.periods(ver)
    specs = ui.target_specs(ver)
    cols = _tile_columns(len(specs) + 2)
    for col, spec in zip(cols, specs):
        series = ui.target_series(ver, view.as_of, view.county, spec.metric, last=2).set_index("period")
        now = _figure(series["actual"].iloc[-1]) if not series.empty else None
        before = _figure(series["actual"].get(previous)) if previous in series.index else None
        upcoming = metrics.next_milestone(list(spec.milestones), months.last_day(view.as_of)) or spec.milestones[-1]
        note = "(期限为配置默认值)" if spec.configured else ""
        steady = now is not None and before is not None and round(now - before, 1) == 0
        col.metric(ui.plain(spec.label), targets.NOT_REPORTED if now is None else f"{now:.1f}%",
                   _delta(now, before) if now is not None else None, delta_color="off" if steady else "normal",
                   help=f"下一节点:{upcoming.deadline:%Y年%m月%d日}前达到 {upcoming.value:g}%{note};"
                        f"按全部{spec.noun}计算,未报送的{spec.noun}不计为达标")
        unreported = int(series["unreported"].iloc[-1]) if not series.empty else 0
        if unreported and now is not None:
            col.caption(f"其中 {unreported:,} 个{spec.noun}未报送")
    rate, received, expected = completeness.received(ui.completeness_of(ver, view.as_of, view.county))
    deadline = months.deadline(view.as_of, deadline_day())
    pending = f";报送中,截止 {deadline:%m月%d日} 24 时" if months.in_progress(view.as_of, deadline_day()) else ""
    cols[-2].metric("本月报送完整率", f"{rate:.1f}%", help=f"{ui.period_label(view.as_of)}应报 {expected} 份,已完整报送 {received} 份"
                   f"(县级村级指标月报、示范点台账和牵头单位措施月报;部分报送不计){pending}")
    lamps = ui.measure_table(ver, view.as_of)["灯"].value_counts()
    cols[-1].metric("措施推进", f"红灯 {int(lamps.get('红灯', 0))} 项",
                   help=f"{len(reported) and ui.period_label(view.as_of)}:绿灯 {int(lamps.get('绿灯', 0))} 项、"
                        f"黄灯 {int(lamps.get('黄灯', 0))} 项、红灯 {int(lamps.get('红灯', 0))} 项(亮灯规则见页面底部)")


RANKING_WIDTHS = {"名次": 44, "覆盖率(%)": 74, "应达(%)": 60, "亮灯": 48, "较上月": 56}


def ranking(ver: tuple, view, spec: targets.Spec) -> tuple[pd.DataFrame, str | None]:
    """The county ranking by ``spec``, with the places gained since the latest frozen 通报 when there is one (and
    its note)."""
    now = ui.target_table(ver, view.as_of, None, spec.metric)
    before = ui.target_table(ver, view.as_of, None, spec.metric, months.previous(view.as_of))
    table = targets.ranking(now, before, spec.noun)
    frozen = ui.frozen_ranking(ver, view.as_of)
    if frozen is None:
        return table, None
    period, at, reported = frozen
    table = targets.rank_vs(table, reported, f"较{ui.period_label(period)}通报")
    return table, f"名次变化对比 {ui.period_label(period)} 通报(冻结于 {at})"


def ladder_and_ranking(ver: tuple, view, spec: targets.Spec, city) -> None:
    """The ranked target's milestone ladder beside the county ranking by it."""
    left, right = st.columns([4, 3], gap="large")  # the ranking may carry a 较…通报 column too
    with left:
        st.vega_lite_chart(spec=ui.ladder_spec(ver, view.as_of, view.county, spec.metric, f"{spec.label}与方案节点"),
                           width="stretch")
        if spec.configured:
            st.caption("方案原文年份以“XX年”遮盖,节点日期为 data/plan_config.toml 中的配置默认值。")
    with right:
        title = f"各县(市、区){spec.label}排名"
        st.markdown(f"**{ui.plain(title)}**")
        table, compared = ranking(ver, view, spec)
        ui.table(table, title, city, "ranking", height=min(320, 38 + 35 * len(table)),
                 column_config={c: st.column_config.Column(width=w) for c, w in RANKING_WIDTHS.items()})
        if compared:
            st.caption(compared)
        st.caption(f"亮灯规则:{lamp_rule().text()}")


with ui.guarded("总览"):
    ver = ui.version()
    ui.demo_banner(ver)
    counts = ui.region_counts(ver)
    if not counts["village"] or not ui.periods(ver):
        st.info("数据库中还没有区划或上报数据。请先在「数据上报」页上传村级名录,或运行 `qinglian demo` 写入演示数据。")
        st.stop()
    view = ui.frame()
    ui.meeting_stamp(PAGE, TITLE, view, SOURCES)
    ui.missing_notice(view, SOURCES)
    st.caption(f"{ui.plain(ui.view_caption(view))} · {counts['county']:,} 个县(市、区)、{counts['township']:,} 个乡镇(街道)、"
               f"{counts['village']:,} 个行政村(社区)")
    ui.export_button(view, ("overview",))
    kpi_tiles(ver, view)

    city = facts.View(view.as_of)  # the ranking and the measures are city-wide whichever county is chosen
    spec = ui.ranked_spec(ver)
    if spec is None:
        st.info("当前实施方案没有在看板跟踪的量化目标,因此不显示节点图和各县排名。"
                "管理员可在「实施方案」页的「手工修改当前方案」中为目标选择跟踪指标。")
    else:
        ladder_and_ranking(ver, view, spec, city)

    st.markdown("**推进最滞后的措施及牵头单位**")
    measures = ui.measure_table(ver, view.as_of)
    behind = accountability.lagging(measures).head(5)
    shown = accountability.compact(behind)
    ui.table(shown[["序号", "措施", "牵头单位", "完成进度(%)", "应达进度(%)", "最近报送", "灯", "灯号说明"]],
             "推进最滞后的措施及牵头单位", city, "lagging")

    ui.sources_expander(view, SOURCES)
