"""Altair chart builders (no Streamlit): Chinese labels kept horizontal, an explicit CJK font."""

from __future__ import annotations

import altair as alt
import pandas as pd

from dashboard.metrics import Milestone

FONT = "Noto Sans CJK SC"
ACTUAL, EXPECTED, MILESTONE = "#b22222", "#7f7f7f", "#1f4e79"


def _configure(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return (chart.configure(font=FONT)
            .configure_axis(labelAngle=0, labelFont=FONT, titleFont=FONT, labelFontSize=12, titleFontSize=13)
            .configure_legend(labelFont=FONT, titleFont=FONT, orient="bottom")
            .configure_title(font=FONT, fontSize=15, anchor="start")
            .configure_view(strokeWidth=0))


def milestone_ladder(series: pd.DataFrame, milestones: list[Milestone], title: str, height: int = 320):
    """Monthly actual % (solid) against the straight milestone path (dashed) and the milestones."""
    frame = series.assign(月份=pd.to_datetime(series["period"] + "-01"))
    long = pd.concat([
        frame.assign(系列="实际", 值=frame["actual"]),
        frame.assign(系列="直线进度应达", 值=frame["expected"]),
    ])[["月份", "系列", "值"]]
    # the dash joins the colour legend (a legend=None on it would make Vega-Lite drop the merged legend)
    colour = alt.Color("系列:N", title=None, scale=alt.Scale(domain=["实际", "直线进度应达"], range=[ACTUAL, EXPECTED]),
                       legend=alt.Legend(symbolType="stroke", symbolSize=900, symbolStrokeWidth=3))
    lines = alt.Chart(long).mark_line(point=alt.OverlayMarkDef(size=18)).encode(
        x=alt.X("月份:T", title=None, axis=alt.Axis(format="%Y年%m月", labelAngle=0, tickCount=8)),
        y=alt.Y("值:Q", title="百分比(%)", scale=alt.Scale(domain=[0, 100])),
        color=colour,
        strokeDash=alt.StrokeDash("系列:N", scale=alt.Scale(
            domain=["实际", "直线进度应达"], range=[[1, 0], [6, 4]])),
        tooltip=[alt.Tooltip("月份:T", title="月份", format="%Y年%m月"), alt.Tooltip("系列:N", title="系列"),
                 alt.Tooltip("值:Q", title="百分比(%)", format=".1f")],
    )
    marks = pd.DataFrame({"日期": [pd.Timestamp(m.deadline) for m in milestones],
                          "节点": [m.value for m in milestones],
                          "说明": [f"{m.value:g}% 节点({m.deadline:%Y-%m-%d})" for m in milestones]})
    points = alt.Chart(marks).mark_point(shape="diamond", size=160, filled=True, color=MILESTONE).encode(
        x="日期:T", y="节点:Q", tooltip=[alt.Tooltip("说明:N", title="方案节点")])
    labels = alt.Chart(marks).mark_text(align="right", dx=-8, dy=-10, color=MILESTONE, fontSize=12).encode(
        x="日期:T", y="节点:Q", text="说明:N")
    return _configure(alt.layer(lines, points, labels).properties(title=title, height=height, width="container"))


def county_bars(table: pd.DataFrame, title: str, height: int = 300):
    """Horizontal bars of each county's actual % with its lamp as colour and text label, top to bottom in the
    table's order (a sort="-x" would be dropped: the two layers share the y scale)."""
    colours = alt.Scale(domain=["绿灯", "黄灯", "红灯"], range=["#2e7d32", "#f9a825", "#c62828"])
    base = alt.Chart(table).encode(y=alt.Y("县(市、区):N", sort=list(table["县(市、区)"]), title=None))
    bars = base.mark_bar().encode(
        x=alt.X("实际(%):Q", title="百分比(%)", scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("灯:N", scale=colours, title="亮灯"),
        tooltip=["县(市、区):N", alt.Tooltip("实际(%):Q", format=".1f"), "灯:N"])
    text = base.mark_text(align="left", dx=4, fontSize=12).encode(
        x="实际(%):Q", text=alt.Text("标签:N"))
    return _configure(alt.layer(bars, text).properties(title=title, height=height, width="container"))
