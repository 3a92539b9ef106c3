"""Router only: page config, the page list, run the chosen page."""

from pathlib import Path

import streamlit as st

from dashboard.ui import chinese_chrome

st.set_page_config(
    page_title="清廉乡村建设监测看板",
    page_icon=str(Path(__file__).parent / "dashboard" / "assets" / "favicon.png"),
    layout="wide",
    initial_sidebar_state="expanded",
)

pages = [
    st.Page("pages/overview.py", title="总览", icon=":material/dashboard:", default=True),
    st.Page("pages/map.py", title="示范点地图", icon=":material/map:"),
    st.Page("pages/targets.py", title="目标进度", icon=":material/flag:"),
    st.Page("pages/accountability.py", title="责任落实", icon=":material/assignment_ind:"),
    st.Page("pages/meeting.py", title="会议材料", icon=":material/co_present:"),
    st.Page("pages/upload.py", title="数据上报", icon=":material/upload_file:"),
    st.Page("pages/plan.py", title="实施方案", icon=":material/description:"),
]
chinese_chrome()
st.navigation(pages).run()
