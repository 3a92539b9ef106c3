"""实施方案: the parsed plan — sections, measures with lead/co-units, and targets in the plan's own words; its
versions; and for 管理员, loading a new plan (file or pasted text), reviewed before it is saved as a new version,
or making an earlier version the active one again."""

import pandas as pd
import streamlit as st

from dashboard import plan_edits, signed_in, tracking, ui
from dashboard.accountability import section_numeral
from dashboard.catalog import PlanVersionError, activate_plan, add_plan_version, plan_versions
from dashboard.plan import PlanParseError, parse_plan, requirement
from dashboard.plan_files import KINDS, plan_text
from dashboard.scope import ScopeError

st.title("实施方案")
DRAFT, DONE = "plan_draft", "plan_done"  # session_state: the text under review, the message after a save
PASTED = "粘贴的方案文本.txt"


def review(parsed, name: str) -> None:
    """The parse as it would be saved: measures with their units and flags, targets with their sentences."""
    stamp = f"解析自:{name}(尚未保存)"
    sections = {s.number: s.title for s in parsed.sections}
    flagged = [m for m in parsed.measures if m.flags]
    st.markdown(f"**{ui.plain(parsed.title)}**:{len(parsed.sections)} 个章节、{len(parsed.measures)} 项措施、"
                f"{len(parsed.targets)} 个目标节点" + (f";**{len(flagged)} 项措施需要人工核对**" if flagged else ""))
    ui.table(pd.DataFrame({
        "序号": [m.number for m in parsed.measures],
        "章节": [sections.get(m.section, "—") for m in parsed.measures],
        "措施": [m.title for m in parsed.measures],
        "牵头单位": [m.lead_unit or "(缺失)" for m in parsed.measures],
        "配合单位": ["、".join(m.co_units) or "—" for m in parsed.measures],
        "各县(市、区)负责": ["是" if m.counties_responsible else "否" for m in parsed.measures],
        "期限": [m.deadline or "—" for m in parsed.measures],
        "需核对": ["、".join(m.flags) for m in parsed.measures],
    }), "方案解析结果:工作措施与责任单位", None, "review_measures", stamp=stamp)
    ui.table(pd.DataFrame({
        "目标": [t.text for t in parsed.targets],
        "要求": [requirement(t.comparator, t.value, t.unit) for t in parsed.targets],
        "期限": [t.deadline + ("(配置默认值)" if t.deadline_configured else "") for t in parsed.targets],
        "跟踪指标": [tracking.label_of(t.metric) for t in parsed.targets],
        "方案原文": [t.source for t in parsed.targets],
        "需核对": ["、".join(t.flags) for t in parsed.targets],
    }), "方案解析结果:目标与时间节点", None, "review_targets", stamp=stamp)
    untracked = sum(t.metric == tracking.UNTRACKED for t in parsed.targets)
    if untracked:
        st.caption(f"{untracked} 个目标未能对应到看板指标,标为「{tracking.UNTRACKED_LABEL}」;保存后可在「手工修改当前方案」"
                   "中为它选择跟踪指标。")


def load_new(who) -> None:
    """管理员: a plan file or pasted text → the parse for review → saved as a new version only on confirmation."""
    with st.expander("载入新的实施方案", icon=":material/upload_file:", expanded=DRAFT in st.session_state):
        st.caption("支持 .txt(UTF-8 或 GB18030)和 Word .docx;也可直接粘贴全文。解析结果确认后才保存为新的方案版本,"
                   "此前的版本都保留,可随时重新启用。")
        upload = st.file_uploader("方案文件", type=list(KINDS), key="plan_file")
        pasted = st.text_area("或粘贴方案全文", key="plan_paste", height=140)
        if st.button("解析", icon=":material/manage_search:", key="plan_parse"):
            try:
                if upload is not None:
                    name, text = upload.name, plan_text(upload.name, upload.getvalue())
                elif pasted.strip():
                    name, text = PASTED, pasted
                else:
                    st.warning("请先选择方案文件,或粘贴方案全文。")
                    return
                st.session_state[DRAFT] = (name, text, parse_plan(text))
            except PlanParseError as exc:
                st.session_state.pop(DRAFT, None)
                st.error(str(exc))
                return
        if DRAFT not in st.session_state:
            return
        name, text, parsed = st.session_state[DRAFT]
        st.markdown(f"**解析结果(尚未保存)**:{ui.plain(name)}")
        review(parsed, name)
        save, drop = st.columns([1, 4])
        if save.button("确认保存为新的方案版本", type="primary", key="plan_save"):
            try:
                version = add_plan_version(ui.engine(), who, text, name, parsed)
            except ScopeError as exc:
                st.error(str(exc))
                return
            del st.session_state[DRAFT]
            st.session_state[DONE] = f"已保存为方案版本 {version},并设为当前方案;各看板已按新方案显示。"
            st.rerun()
        if drop.button("放弃", key="plan_drop"):
            del st.session_state[DRAFT]
            st.rerun()


def correct(who, plan) -> None:
    """管理员: the active plan's measures and targets as editable tables, checked and saved as a new version."""
    with st.expander("手工修改当前方案(措施的责任单位、期限,目标的数值、期限和跟踪指标)", icon=":material/edit_note:"):
        st.caption("牵头单位每项措施恰好一个;单位可从列表中选,也可直接输入新的名称(输入一次后即可选用)。"
                   "保存后成为新的方案版本,当前版本保留,可在“方案版本”中重新启用。")
        units = plan.units
        measures = st.data_editor(
            plan_edits.measure_frame(plan), key="plan_measures", hide_index=True, num_rows="fixed", width="stretch",
            disabled=["序号"],
            column_config={
                "措施": st.column_config.TextColumn(width="large", required=True),
                "牵头单位": st.column_config.MultiselectColumn(options=units, accept_new_options=True,
                                                           help="恰好一个单位"),
                "配合单位": st.column_config.MultiselectColumn(options=units, accept_new_options=True),
                "各县(市、区)负责": st.column_config.CheckboxColumn(),
                "期限": st.column_config.TextColumn(help="YYYY-MM-DD,可留空"),
            })
        targets = st.data_editor(
            plan_edits.target_frame(plan), key="plan_targets", hide_index=True, num_rows="fixed", width="stretch",
            disabled=["目标"],
            column_config={
                "要求": st.column_config.SelectboxColumn(options=list(plan_edits.COMPARATORS), required=True),
                "数值": st.column_config.NumberColumn(min_value=0.0, step=1.0, required=True),
                "期限": st.column_config.TextColumn(help="YYYY-MM-DD", required=True),
                "跟踪指标": st.column_config.SelectboxColumn(
                    options=list(tracking.choices().values()), required=True, width="medium",
                    help="看板按哪个指标跟踪这个目标;人数指标的目标单位为「名/村」,其余为「%」"),
            })
        if st.button("检查并保存为新的方案版本", type="primary", key="plan_edit_save"):
            try:
                version = plan_edits.save(ui.engine(), who, plan, measures, targets)
            except plan_edits.PlanEditError as exc:
                st.error("未保存,请修改以下问题:\n\n" + "\n".join(f"- {ui.plain(p)}" for p in exc.problems))
                return
            except ScopeError as exc:
                st.error(str(exc))
                return
            st.session_state[DONE] = f"已将修改保存为方案版本 {version},并设为当前方案;各看板已按新版本显示。"
            st.rerun()


def versions(who) -> None:
    """Every version kept; 管理员 may make an earlier one the active plan again."""
    kept = plan_versions(ui.engine())
    with st.expander(f"方案版本(共 {len(kept)} 个)", icon=":material/history:"):
        ui.table(pd.DataFrame({
            "版本": [v["id"] for v in kept], "状态": ["当前" if v["active"] else "" for v in kept],
            "标题": [v["title"] for v in kept], "来源文件": [v["source_name"] for v in kept],
            "措施数": [v["measures"] for v in kept],
            "载入时间": [f"{v['loaded_at']:%Y-%m-%d %H:%M}" for v in kept],
            "载入人": [v["loaded_by"] or "—" for v in kept],
        }), "实施方案版本", None, "plan_versions", stamp=f"共 {len(kept)} 个版本")
        earlier = [v for v in kept if not v["active"]]
        if who.role != "admin" or not earlier:
            return
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        chosen = left.selectbox("重新启用的版本", [v["id"] for v in earlier], key="plan_version",
                                format_func=lambda i: next(f"版本 {v['id']}:{v['title']}({v['source_name']})"
                                                           for v in earlier if v["id"] == i))
        if right.button("设为当前方案", key="plan_activate"):
            try:
                activate_plan(ui.engine(), chosen, who)
            except (PlanVersionError, ScopeError) as exc:
                st.error(str(exc))
                return
            st.session_state[DONE] = f"已将方案版本 {chosen} 设为当前方案;各看板已按该版本显示。"
            st.rerun()

with ui.guarded("实施方案"):
    ui.demo_banner(ui.version())
    who = signed_in.account()
    if DONE in st.session_state:
        st.success(st.session_state.pop(DONE))
    if who.role == "admin":
        load_new(who)
    versions(who)
    plan = ui.plan_view(ui.version())
    if plan is None:
        st.info("尚未载入实施方案。请运行 `qinglian db upgrade` 后重新启动,系统会自动载入 data/plan.txt。")
        st.stop()
    if who.role == "admin":
        correct(who, plan)
    st.caption(f"当前方案:版本 {plan.id},来源文件 {ui.plain(plan.source_name)}(方案原文,自动解析)")
    st.markdown(f"### {ui.plain(plan.title)}")

    st.subheader("目标与时间节点")
    targets = pd.DataFrame(
        {
            "目标": [t.text for t in plan.targets],
            "要求": [requirement(t.comparator, t.value, t.unit) for t in plan.targets],
            "期限": [f"{t.deadline:%Y-%m-%d}" + (" (配置默认值)" if t.deadline_configured else "")
                   for t in plan.targets],
            "跟踪指标": [tracking.label_of(t.metric) for t in plan.targets],
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
    numbered = {s.number for s in plan.sections}
    groups = [(section_numeral(s.number) + s.title, [m for m in plan.measures if m["section"] == s.number])
              for s in plan.sections]
    loose = [m for m in plan.measures if m["section"] not in numbered]  # a plan without sections, or before the first
    if loose:
        groups.insert(0, ("", loose))
    for i, (heading, measures) in enumerate(groups):
        if heading:
            st.markdown(f"**{ui.plain(heading)}**")
        table = pd.DataFrame(
            {
                "序号": [m["number"] for m in measures],
                "措施": [m["title"] for m in measures],
                "牵头单位": [m["lead_unit"] or "(责任单位缺失)" for m in measures],
                "配合单位": ["、".join(m["co_units"]) or "—" for m in measures],
                "各县(市、区)负责": ["是" if m["counties_responsible"] else "否" for m in measures],
            }
        )
        ui.table(table, "工作措施与责任单位" + (f"({heading})" if heading else ""), None, f"measures_{i}", stamp=stamp)

    flagged = [m for m in plan.measures if m["flags"]]
    for m in flagged:
        fix = "请在上方“手工修改当前方案”中补全" if who.role == "admin" else "请管理员核对后补全"
        st.warning(f"措施 {m['number']}「{ui.plain(m['title'])}」:{ui.plain('、'.join(m['flags']))}。{fix}。")

    with st.expander("查看措施原文"):
        choice = st.selectbox("选择措施", [f"{m['number']}. {m['title']}" for m in plan.measures],
                              placeholder="请选择措施")
        chosen = next(m for m in plan.measures if f"{m['number']}. {m['title']}" == choice)
        st.text(chosen["body"])
