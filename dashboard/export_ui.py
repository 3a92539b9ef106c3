"""The "导出会议材料" control every dashboard page shows: builds the page's slides (or any format) of the month
on the sidebar with a progress bar, then offers the file. Files come from :func:`dashboard.meeting.export`."""

from __future__ import annotations

import streamlit as st

from dashboard import facts, meeting, signed_in, ui

MIME = {
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "png": "image/png",
}


def build(view: facts.View, fmt: str, sections: tuple[str, ...] | None, key: str) -> None:
    """Build the files now, showing progress, and keep them for this view until the next build."""
    from dashboard.pictures import FontMissing

    with st.status("正在生成会议材料……", expanded=True) as status:
        bar = st.progress(0.0, text="开始")

        def progress(share: float, text: str) -> None:
            bar.progress(max(0.0, min(1.0, share)), text=text)

        try:
            files = meeting.export(ui.engine(), view.as_of, fmt, view.county, sections, progress,
                                  who=signed_in.account())
        except FontMissing as exc:  # the pictures would have blank text: refuse, and say what to install
            status.update(label="未能生成会议材料", state="error", expanded=True)
            st.error(str(exc), icon=":material/font_download_off:")
            return
        bar.progress(1.0, text="完成")
        status.update(label=f"已生成 {len(files)} 个文件", state="complete", expanded=False)
    st.session_state[key] = (ui.version(), view.as_of, view.county, files)


def offer(view: facts.View, key: str) -> None:
    """Download buttons for the files built for exactly this view and data version."""
    built = st.session_state.get(key)
    if not built or built[:3] != (ui.version(), view.as_of, view.county):
        return
    for i, (name, data) in enumerate(built[3]):
        st.download_button(ui.plain(f"下载 {name}"), data, file_name=name, mime=MIME[name.rsplit(".", 1)[-1]],
                           on_click="ignore", icon=":material/download:", key=f"{key}_dl_{i}")


def meeting_button(view: facts.View, sections: tuple[str, ...], label: str = "导出会议材料") -> None:
    """One button per page: this page's slides of the chosen month and county as an editable .pptx."""
    key = "meeting_" + "_".join(sections)
    if st.button(label, icon=":material/co_present:", key=f"{key}_go",
                 help="生成本页内容的会议幻灯片(.pptx,16:9,图表可在 PowerPoint 中编辑);整月材料见「会议材料」页。"):
        build(view, "pptx", sections, key)
    offer(view, key)
