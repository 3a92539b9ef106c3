"""实施方案: the parsed plan — sections, measures with lead/co-units, and targets in the plan's own words."""

import pandas as pd
import streamlit as st

from dashboard import ui

st.title("实施方案")

with ui.guarded("实施方案"):
    ui.demo_banner(ui.version())
    plan = ui.plan_view(ui.version())
    if plan is None:
        st.info("尚未载入实施方案。请运行 `qinglian db upgrade` 后重新启动,系统会自动载入 data/plan.txt。")
        st.stop()
    st.caption(f"来源文件:{ui.plain(plan.source_name)}(方案原文,自动解析)")
    st.markdown(f"### {ui.plain(plan.title)}")

    st.subheader("目标与时间节点")
    targets = pd.DataFrame(
        {
            "目标": [t.text for t in plan.targets],
            "要求": [f"{'≥' if t.comparator == '>=' else t.comparator} {t.value:g}{t.unit}" for t in plan.targets],
            "期限": [f"{t.deadline:%Y-%m-%d}" + (" (配置默认值)" if t.deadline_configured else "")
                   for t in plan.targets],
            "方案原文": [t.source for t in plan.targets],
        }
    )
    st.table(targets.map(ui.plain).set_index("目标"))  # st.table reads Markdown in its cells: shown escaped
    stamp = f"来源文件:{plan.source_name}"
    ui.download(targets, "实施方案目标与时间节点", None, "targets", stamp=stamp)
    if any(t.deadline_configured for t in plan.targets):
        st.caption("方案原文中部分年份以「XX年」遮盖,标注「配置默认值」的期限取自 data/plan_config.toml,可按实际修改。")

    st.subheader("工作措施与责任单位")
    st.caption("责任单位中排列首位的为牵头单位,其余为配合单位。")
    for i, section in enumerate(plan.sections):
        measures = [m for m in plan.measures if m["section"] == section.number]
        st.markdown(f"**({'一二三四五六七八九十'[section.number - 1]}){ui.plain(section.title)}**")
        table = pd.DataFrame(
            {
                "序号": [m["number"] for m in measures],
                "措施": [m["title"] for m in measures],
                "牵头单位": [m["lead_unit"] or "(责任单位缺失)" for m in measures],
                "配合单位": ["、".join(m["co_units"]) or "—" for m in measures],
                "各县(市、区)负责": ["是" if m["counties_responsible"] else "否" for m in measures],
            }
        )
        ui.table(table, f"工作措施与责任单位({'一二三四五六七八九十'[section.number - 1]}){section.title}", None,
                 f"measures_{i}", stamp=stamp)

    flagged = [m for m in plan.measures if m["flags"]]
    for m in flagged:
        st.warning(f"措施 {m['number']}「{ui.plain(m['title'])}」:{'、'.join(m['flags'])}(原文在责任单位之前截断),请补全方案文本。")

    with st.expander("查看措施原文"):
        choice = st.selectbox("选择措施", [f"{m['number']}. {m['title']}" for m in plan.measures],
                              placeholder="请选择措施")
        chosen = next(m for m in plan.measures if f"{m['number']}. {m['title']}" == choice)
        st.text(chosen["body"])
