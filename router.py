"""Router (served by streamlit_app.py behind the sign-in gate): page config, who is signed in, the pages of
their role, meeting mode (?meeting=1), run the chosen page."""

from pathlib import Path

import streamlit as st

from dashboard import signed_in, ui

meeting = ui.meeting_flag()
st.set_page_config(
    page_title="清廉乡村建设监测看板",
    page_icon=str(Path(__file__).parent / "dashboard" / "assets" / "favicon.png"),
    layout="wide",
    initial_sidebar_state="collapsed" if meeting else "expanded",
)
ui.chinese_chrome()
check = None
with ui.guarded("登录"):
    check = signed_in.current()
if check is None:  # the store could not be read: guarded() has said so in Chinese
    st.stop()
if check.account is None:
    signed_in.sign_in_needed(check)
    st.stop()

pages = [
    st.Page("pages/overview.py", title="总览", icon=":material/dashboard:", default=True),
    st.Page("pages/map.py", title="示范点地图", icon=":material/map:"),
    st.Page("pages/targets.py", title="目标进度", icon=":material/flag:"),
    st.Page("pages/accountability.py", title="责任落实", icon=":material/assignment_ind:"),
    st.Page("pages/meeting.py", title="会议材料", icon=":material/co_present:"),
    st.Page("pages/upload.py", title="数据上报", icon=":material/upload_file:"),
    st.Page("pages/plan.py", title="实施方案", icon=":material/description:"),
    st.Page("pages/users.py", title="用户管理", icon=":material/manage_accounts:"),
    st.Page("pages/audit.py", title="审计日志", icon=":material/policy:"),
]
pages = [page for page in pages if page.title in signed_in.pages_for(check.account)]  # only the role's pages
if meeting:
    ui.meeting_chrome()
else:
    signed_in.sidebar(check.account)
page = st.navigation(pages, position="hidden" if meeting else "sidebar")
if meeting and page.title not in ui.MEETING_PAGES.values():  # meeting mode shows the four dashboard pages only
    st.switch_page(pages[0])
page.run()
