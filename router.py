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

allowed = signed_in.pages_for(check.account)
PAGES = [  # (script, title, icon); a role's other pages are registered hidden, so typing their URL is answered
    ("pages/overview.py", "总览", ":material/dashboard:"),  # in Chinese below rather than by "Page not found"
    ("pages/map.py", "示范点地图", ":material/map:"),
    ("pages/targets.py", "目标进度", ":material/flag:"),
    ("pages/accountability.py", "责任落实", ":material/assignment_ind:"),
    ("pages/meeting.py", "会议材料", ":material/co_present:"),
    ("pages/upload.py", "数据上报", ":material/upload_file:"),
    ("pages/plan.py", "实施方案", ":material/description:"),
    ("pages/users.py", "用户管理", ":material/manage_accounts:"),
    ("pages/audit.py", "审计日志", ":material/policy:"),
]
pages = [st.Page(path, title=title, icon=icon, default=title == "总览",
                 visibility="visible" if title in allowed else "hidden") for path, title, icon in PAGES]
if meeting:
    ui.meeting_chrome()
else:
    signed_in.sidebar(check.account)
page = st.navigation(pages, position="hidden" if meeting else "sidebar")
if page.title not in allowed:  # the page itself would refuse too; say it here, in Chinese, and run nothing
    signed_in.not_for_role(check.account, page.title)
    st.stop()
if meeting and page.title not in ui.MEETING_PAGES.values():  # meeting mode shows the four dashboard pages only
    st.switch_page(pages[0])
page.run()
