"""目标进度 (being built)."""

import streamlit as st

st.title("目标进度")
st.info("本页正在建设中。")
