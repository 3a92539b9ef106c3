"""示范点地图 (being built)."""

import streamlit as st

st.title("示范点地图")
st.info("本页正在建设中。")
