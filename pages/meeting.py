"""会议材料: freeze the month for the 通报 (with confirmation; unfreezing asks for a reason and is recorded), and
export the whole month — deck, 通报 draft, pictures, tables — from the frozen figures when it is frozen."""

import streamlit as st

from dashboard import export_ui, freeze, meeting, months, signed_in, ui
from dashboard.settings import deadline_day

st.title("会议材料")


@st.cache_data(show_spinner=False)
def _history(ver: tuple):
    return freeze.history(ui.engine())


def _frozen_box(view, label: str) -> None:
    """The month's freeze: who froze it and when, or (管理员) a freeze button that asks for confirmation first."""
    done = freeze.frozen(ui.engine(), view.as_of)
    who = signed_in.account()
    admin = who.role == "admin"
    if done is not None:
        st.success(f"{label}已冻结(通报口径):冻结人 {ui.plain(done.frozen_by)},{done.frozen_at:%Y-%m-%d %H:%M};"
                   f"依据上报 {len(done.upload_ids)} 份。本页和各页导出的材料均使用冻结时的数字,此后的更正和恢复不影响。",
                   icon=":material/lock:")
        if not admin:
            return
        with st.expander("解除冻结"):
            st.caption("解除后导出材料改用当前数据;冻结记录和原因会保留在下方“冻结记录”中。")
            with st.form("unfreeze_form", border=False):
                st.caption(f"操作人:{ui.plain(who.signature)}(当前登录账号)")
                reason = st.text_area("解除原因(必填)", placeholder="例如:某县更正了上报数据,需重新出具通报",
                                      key="unfreeze_reason")
                if st.form_submit_button("解除冻结", icon=":material/lock_open:"):
                    try:
                        freeze.unfreeze(ui.engine(), view.as_of, who, reason)
                    except freeze.FreezeError as exc:
                        st.error(ui.plain(exc))
                    else:
                        st.session_state["meeting_notice"] = f"已解除{label}的冻结,原因已记录。"
                        st.rerun()
        return
    st.info(f"{label}尚未冻结:导出材料使用当前数据,之后的上报、更正和恢复会改变其中的数字。"
            "召开会议、印发通报前请先冻结本月" + ("。" if admin else "(由管理员冻结)。"), icon=":material/lock_open:")
    if not admin:
        return
    if months.in_progress(view.as_of, deadline_day()):
        st.warning(f"{label}仍在报送中(截止 {months.deadline(view.as_of, deadline_day()):%m月%d日} 24 时),"
                   "现在冻结,未报的数据不会计入。", icon=":material/schedule:")
    st.caption(f"冻结人:{ui.plain(who.signature)}(当前登录账号)")
    if st.button(f"冻结{label}", icon=":material/lock:", key="freeze_go",
                 help="保存本月全市和各县(市、区)的全部数字、排名、亮灯和缺口清单,以及所依据的上报版本"):
        st.session_state["freeze_confirm"] = view.as_of
    if st.session_state.get("freeze_confirm") == view.as_of:
        st.warning(f"确认冻结{label}?冻结后该月导出的材料固定为现在的数字;如需改动须先解除冻结并说明原因。")
        yes, no, _ = st.columns([1, 1, 6])
        if yes.button("确认冻结", type="primary", key="freeze_yes"):
            st.session_state.pop("freeze_confirm", None)
            try:
                with st.spinner("正在冻结:保存全市和各县(市、区)的全部数字……"):
                    freeze.freeze(ui.engine(), view.as_of, who)
            except freeze.FreezeError as exc:
                st.error(ui.plain(exc))
            else:
                st.session_state["meeting_notice"] = f"已冻结{label}。"
                st.rerun()
        if no.button("取消", key="freeze_no"):
            st.session_state.pop("freeze_confirm", None)
            st.rerun()


def _exports(view) -> None:
    """The whole month in each format: build on click with a progress bar, then download."""
    st.subheader("导出本月材料")
    st.caption("幻灯片为 16:9 可编辑 PowerPoint(图表可在 PowerPoint 中修改);通报稿为 A4 Word 文档;"
               "图片为 1920×1080 PNG;数据表为本月全部表格(Excel)。命令行:`qinglian export --month "
               f"{view.as_of} --format pptx --out 输出目录`。")
    cols = st.columns(len(meeting.FORMATS))
    clicked = None
    for col, (fmt, label) in zip(cols, meeting.FORMATS.items()):
        if col.button(f"生成{label}", key=f"month_{fmt}_go", width="stretch"):
            clicked = fmt
    if clicked:  # built under the row, where the progress bar and the file names have the page's width
        export_ui.build(view, clicked, None, f"month_{clicked}")
    for fmt in meeting.FORMATS:
        export_ui.offer(view, f"month_{fmt}")


with ui.guarded("会议材料"):
    ver = ui.version()
    ui.demo_banner(ver)
    if not ui.periods(ver):
        st.info("还没有上报数据,无法生成会议材料。请先在「数据上报」页上传报表,或运行 `qinglian demo` 写入演示数据。")
        st.stop()
    view = ui.frame()
    label = ui.period_label(view.as_of)
    st.caption(ui.plain(ui.view_caption(view)) + "。冻结以月为单位,同时保存全市和各县(市、区)的数字;"
               "侧栏选择县(市、区)时导出该县的材料。")
    if notice := st.session_state.pop("meeting_notice", None):
        st.toast(notice, icon=":material/check_circle:")
    _frozen_box(view, label)
    _exports(view)
    st.subheader("冻结记录")
    history = _history(ver)
    if history.empty:
        st.caption("还没有冻结过任何月份。")
    else:
        ui.table(history, "冻结记录", view, "freezes", stamp="会议材料冻结与解除记录",
                 height=min(400, 38 + 35 * len(history)))
