"""Router only: page config, the page list, run the chosen page."""

import streamlit as st

st.set_page_config(
    page_title="清廉乡村建设监测看板",
    page_icon=":material/account_balance:",
    layout="wide",
    initial_sidebar_state="expanded",
)

pages = [
    st.Page("pages/overview.py", title="总览", icon=":material/dashboard:", default=True),
    st.Page("pages/plan.py", title="实施方案", icon=":material/description:"),
]
st.navigation(pages).run()
