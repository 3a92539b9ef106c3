"""总览: the city at a glance — regions in the store and township demo-site coverage vs the milestones."""

import streamlit as st

from dashboard import metrics, ui

st.title("清廉乡村建设总览")

with ui.guarded("总览"):
    ver = ui.version()
    ui.demo_banner(ver)
    counts = ui.region_counts(ver)
    plan = ui.plan_view(ver)
    months = ui.periods(ver)
    if not counts["village"] or not months:
        st.info("数据库中还没有区划或上报数据。请先在「数据上报」页上传村级名录,或运行 `qinglian demo` 写入演示数据。")
        st.stop()
    period = months[-1]
    towns = ui.townships(ver)
    covered = ui.townships_with_built_site(ver, period)
    by_county = metrics.coverage_by_county(towns, covered)
    citywide = metrics.share(len(covered & set(towns["township_code"])), len(towns))
    ladder = [t for t in plan.targets if t.metric == "township_demo_coverage"] if plan else []
    st.caption(f"数据截至 {period[:4]} 年 {int(period[5:])} 月")

    c1, c2, c3, c4 = st.columns(4)
    c1.metric("县(市、区)", f"{counts['county']} 个")
    c2.metric("乡镇(街道)", f"{counts['township']} 个")
    c3.metric("行政村(社区)", f"{counts['village']:,} 个")
    c4.metric("乡镇示范点覆盖率", f"{citywide:.1f}%", help="至少有一个已建成或已验收命名示范点的乡镇(街道)占比")

    st.subheader("示范点覆盖率与方案节点")
    cols = st.columns(max(1, len(ladder)))
    for col, target in zip(cols, ladder):
        reached = citywide >= target.value
        note = "(年份为配置默认值)" if target.deadline_configured else ""
        col.markdown(
            f"**{target.deadline:%Y年%m月%d日}前达到 {target.value:.0f}%**{note}  \n"
            f"当前 {citywide:.1f}%,{'已达到' if reached else f'还差 {target.value - citywide:.1f} 个百分点'}"
        )
        col.progress(min(1.0, citywide / target.value), text=f"{citywide:.1f}% / {target.value:.0f}%")

    st.subheader("各县(市、区)乡镇示范点覆盖情况")
    st.dataframe(
        by_county.rename(columns={"county": "县(市、区)", "townships": "乡镇数", "covered": "已覆盖乡镇",
                                  "coverage": "覆盖率(%)"}).drop(columns="county_code"),
        hide_index=True,
        width="stretch",
    )
