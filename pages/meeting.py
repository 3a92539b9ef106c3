"""会议材料: freeze a month for the 通报, and export its deck, 通报 draft, pictures and tables."""

import streamlit as st

from dashboard import ui

st.title("会议材料")

with ui.guarded("会议材料"):
    ver = ui.version()
    view = ui.frame()
    st.caption(ui.plain(ui.view_caption(view)))
